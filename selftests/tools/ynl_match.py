#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare what the kernel's ynl CLI decoded (--output-json) with what
nicctl -j printed for the same objects (selftests/netlink_ynl_cli.sh).

usage: ynl_match.py KIND YNL_JSON NICCTL_JSON
  KIND  dev, port, queue (objects keyed by id) or stats (keyed by scope and
        object ids); either side a JSON array or one object.

ynl names attributes as the spec does (dashes), nicctl with underscores.
Every key either side has must agree: an attribute ynl decoded that nicctl
does not print (or prints differently) fails, and so does a nicctl field
with a value the kernel did not send (nicctl prints null, or false for a
flag, for what is absent). Enums compare by the spec's names; a hex
display-hint (ynl: "0x..") by value. Prints one line per difference and
exits 1 if there is any, else prints what it compared and exits 0.
"""
import json
import sys

# nicctl's own additions, derived from other fields: not attributes.
DERIVED = {
    'dev': {'caps.io_opcodes'},           # the mask's opcode names
    'queue': {'dev_name'},                # the name of dev_id
    'stats': {'dev_name', 'interval_s', 'per_second', 'latency',
              'counters.punted_by_opcode'},
}
# nicctl name -> ynl name (after dashes became underscores), where they differ
RENAMED = {'caps.io_opcodes_mask': 'caps.io_opcodes'}


def norm(v):
    """ynl's JSON with underscores in keys, sets (lists) sorted."""
    if isinstance(v, dict):
        return {k.replace('-', '_'): norm(x) for k, x in v.items()}
    if isinstance(v, list):
        items = [norm(x) for x in v]
        if all(isinstance(x, str) for x in items):
            return sorted(items)
        return items
    return v


def flat(obj, prefix=''):
    """{'a.b': value} for the scalars and lists of nested objects."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(flat(v, prefix + k + '.'))
        else:
            out[prefix + k] = v
    return out


def same(y, n):
    if y is None:  # absent: nicctl's null, a flag's false (never 0)
        return n is None or n is False or n == []
    if isinstance(y, str) and isinstance(n, int) and y.startswith('0x'):
        return int(y, 16) == n
    if isinstance(n, list) and all(isinstance(x, str) for x in n):
        return sorted(n) == y
    return y == n


def stats_nicctl(obj):
    """nicctl's latency buckets and punted opcodes in ynl's shape."""
    c = obj.get('counters', {})
    c = dict(c, lat_hist={'bucket': [b['count'] for b in
                                     obj.get('latency', {}).get('buckets', [])]})
    c['punted'] = sorted((p['opcode'], p['count'])
                         for p in obj['counters'].get('punted_by_opcode', []))
    return dict(obj, counters=c)


def stats_ynl(obj):
    c = dict(obj.get('counters', {}))
    c['punted'] = sorted((p['opcode'], p['count'])
                         for p in c.pop('punted_by_opcode', []))
    return dict(obj, counters=c)


def key(kind, obj):
    if kind == 'stats':
        return tuple(obj.get(k) for k in
                     ('scope', 'dev_id', 'port_id', 'nsid', 'queue_id'))
    return obj.get('id')


def main():
    kind, ynl_file, nicctl_file = sys.argv[1:4]
    with open(ynl_file) as f:
        ynl = norm(json.load(f))
    with open(nicctl_file) as f:
        nic = json.load(f)
    ynl = ynl if isinstance(ynl, list) else [ynl]
    nic = nic if isinstance(nic, list) else [nic]
    if kind == 'stats':
        ynl = [stats_ynl(o) for o in ynl]
        nic = [stats_nicctl(o) for o in nic]
    ys = {key(kind, o): flat(o) for o in ynl}
    ns = {key(kind, o): flat(o) for o in nic}
    bad = []
    if sorted(ys, key=str) != sorted(ns, key=str):
        bad.append(f'objects: ynl {sorted(ys, key=str)}, nicctl {sorted(ns, key=str)}')
    fields = 0
    for k in ys.keys() & ns.keys():
        y, n = ys[k], ns[k]
        for name in n.keys() - DERIVED.get(kind, set()):
            if any(name.startswith(d + '.') for d in DERIVED.get(kind, set())):
                continue
            yname = RENAMED.get(name, name)
            fields += 1
            if not same(y.get(yname), n[name]):
                bad.append(f'{kind} {k} {name}: ynl {y.get(yname)!r}, nicctl {n[name]!r}')
        for name in y.keys() - n.keys() - set(RENAMED.values()):
            bad.append(f'{kind} {k} {name}: ynl {y[name]!r}, not in nicctl -j')
    for b in bad:
        print(b)
    if not bad:
        print(f'{kind}: {len(ys)} objects, {fields} fields agree')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
