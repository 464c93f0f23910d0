#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Call and include cycles among the files of nvmet_offload.ko (or of the
module a kbuild subdirectory builds, e.g. kmod/rdma/).

The call graph is read from the built objects: file A calls file B when A's
object has an undefined symbol that B's object defines (nm). The include
graph is read from the sources: kmod/X.h including kmod/Y.h. A cycle is a
strongly connected component of more than one file.

usage: kmod-cycles.py KBUILD_KMOD_DIR [--max-files N]
  KBUILD_KMOD_DIR   the kbuild copy of kmod/ (or kmod/rdma/) holding the
                    .o files (build/kbuild/kmod after scripts/build-modules.sh)
  --max-files N     exit 1 when more than N files stand in call cycles
                    (a ratchet while the layering is untangled; 0 is the goal)
Prints each cycle with the calls that make it, and exits 1 on any include
cycle.
"""
import collections
import os
import re
import subprocess
import sys


def module_objects(kdir):
    """The object files the module(s) of KDIR's Kbuild are linked from
    (obj-m += NAME.o, NAME-y := ...): nvmet_offload.ko in kmod/,
    nvmet_offload_rdma.ko in kmod/rdma/."""
    text = open(os.path.join(kdir, "Kbuild")).read().replace("\\\n", " ")
    mods = re.findall(r"^obj-m\s*\+?=\s*(\w+)\.o\s*$", text, re.M)
    objs = []
    for mod in mods:
        for m in re.finditer(rf"^{mod}-y\s*[:+]?=(.*)$", text, re.M):
            objs += m.group(1).split()
    return [o[:-2] for o in objs if o.endswith(".o")]


def call_graph(kdir, files):
    defs, uses = {}, collections.defaultdict(set)
    for f in files:
        out = subprocess.run(["nm", os.path.join(kdir, f + ".o")],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBRV":
                defs[p[2]] = f
            elif len(p) == 2 and p[0] == "U":
                uses[f].add(p[1])
    edges = collections.defaultdict(lambda: collections.defaultdict(list))
    for a, syms in uses.items():
        for s in syms:
            b = defs.get(s)
            if b and b != a:
                edges[a][b].append(s)
    return edges


def include_graph(kdir):
    edges = collections.defaultdict(lambda: collections.defaultdict(list))
    for f in os.listdir(kdir):
        if not f.endswith(".h"):
            continue
        for m in re.finditer(r'^#include "([^"]+\.h)"', open(os.path.join(kdir, f)).read(), re.M):
            edges[f][m.group(1)].append("#include")
    return edges


def cycles(edges):
    """Tarjan's strongly connected components of more than one node."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def report(kind, edges, comps):
    for comp in comps:
        print(f"{kind} cycle among {len(comp)} files: {' '.join(comp)}")
        for a in comp:
            for b in sorted(edges[a]):
                if b in comp:
                    print(f"  {a} -> {b}: {' '.join(sorted(edges[a][b])[:6])}")


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    kdir, max_files = args[0], None
    if len(args) == 3 and args[1] == "--max-files":
        max_files = int(args[2])
    calls = call_graph(kdir, module_objects(kdir))
    incs = include_graph(kdir)
    call_cycles, inc_cycles = cycles(calls), cycles(incs)
    report("call", calls, call_cycles)
    report("include", incs, inc_cycles)
    in_cycles = sum(len(c) for c in call_cycles)
    print(f"kmod-cycles: {in_cycles} files in call cycles, "
          f"{sum(len(c) for c in inc_cycles)} in include cycles")
    if inc_cycles:
        return 1
    if max_files is not None and in_cycles > max_files:
        print(f"kmod-cycles: more than {max_files} files in call cycles", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
