#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that the nvmet_offload netlink family agrees with itself.

The YNL spec (Documentation/netlink/specs/nvmet_offload.yaml) is the source
of truth. What is generated from it (the UAPI header, the kernel's policies
and ops, the counter and name tables: scripts/ynl-gen.sh, which checks they
are current with --check) needs no check here. This script checks the rest,
and exits non-zero on any disagreement:

  spec        the genetlink-c rules this project relies on: required keys,
              dash-separated names, a doc on every definition, entry,
              attribute and operation, known types, references that resolve,
              admin-perm on every request, kernel 6.1 compatibility
              (no uint/sint, a pad attribute in every set with 64-bit
              attributes); with --schema (or KSRC) the kernel's own JSON
              schema (Documentation/netlink/genetlink-c.yaml) too
  driver API  include/linux/nvmet_offload.h (when present): every field of
              struct nvo_caps has its attribute, enum
              nvo_fallback_reason and enum nvo_backend match their
              definitions, NVO_LAT_BUCKETS and NVO_DEV_NAME_LEN match the
              constants
  reference   Documentation/netlink.rst: the part between the GENERATED
              markers is what --update-rst renders from the spec

Usage: check-netlink-spec.py [--root DIR] [--update-rst] [--schema FILE]
"""

import argparse
import ast
import operator
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("check-netlink-spec: python3-yaml is missing "
                     "(apt-get install python3-yaml)\n")
    sys.exit(2)

SPEC = "Documentation/netlink/specs/nvmet_offload.yaml"
DRIVER_API = "include/linux/nvmet_offload.h"
RST = "Documentation/netlink.rst"
RST_BEGIN = ".. BEGIN GENERATED FROM THE SPEC (scripts/check-netlink-spec.py --update-rst)"
RST_END = ".. END GENERATED FROM THE SPEC"

TOP_KEYS = {
    "name", "doc", "protocol", "uapi-header", "c-family-name",
    "c-version-name", "max-by-define", "cmd-max-name", "cmd-cnt-name",
    "definitions", "attribute-sets", "operations", "mcast-groups",
    "kernel-family",
}
ATTR_TYPES = {
    "unused", "pad", "flag", "binary", "uint", "sint", "u8", "u16", "u32",
    "u64", "s32", "s64", "string", "nest", "indexed-array",
    "nest-type-value",
}
# NLA_UINT/NLA_SINT arrived in 6.8; the module targets 6.1.
NOT_IN_6_1 = {"uint", "sint"}
LIBNL_TYPE = {
    "u8": "U8", "u16": "U16", "u32": "U32", "u64": "U64", "s32": "S32",
    "s64": "S64", "string": "STRING", "flag": "FLAG", "nest": "NESTED",
    "pad": "UNSPEC", "binary": "UNSPEC",
}
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def c_upper(name):
    return name.upper().replace("-", "_")


def c_lower(name):
    return name.lower().replace("-", "_")


class Checker:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def check(self, cond, msg):
        self.checks += 1
        if not cond:
            self.failures.append(msg)
        return cond


# ---- the model the spec implies --------------------------------------------
class Model:
    """C names and values the spec implies, following YNL's rules."""

    def __init__(self, spec):
        self.spec = spec
        self.family = spec["name"]
        self.fam_upper = c_upper(self.family)
        self.defines = {}      # name -> value (int or str)
        self.enums = []        # (enum c name or None, [(entry, value)])
        self.sets = {}         # set name -> [(attr name, value, attr yaml)]
        self.ops = []          # (op name, value, op yaml)
        self.definitions = {}  # definition name -> yaml
        self._build()

    def _build(self):
        spec = self.spec
        fam = self.family
        self.defines[spec.get("c-family-name", fam + "-family-name")
                     .upper().replace("-", "_")] = '"%s"' % fam
        self.defines[spec.get("c-version-name", fam + "-family-version")
                     .upper().replace("-", "_")] = spec.get("version", 1)
        for d in spec.get("definitions", []):
            self.definitions[d["name"]] = d
            if d.get("header") or d.get("scope", "uapi") != "uapi":
                continue
            if d["type"] == "const":
                prefix = d.get("name-prefix", fam + "-")
                self.defines[c_upper(prefix + d["name"])] = d["value"]
                continue
            prefix = c_upper(d.get("name-prefix", fam + "-" + d["name"] + "-"))
            if "enum-name" in d:
                ename = d["enum-name"]
            else:
                ename = c_lower(fam + "-" + d["name"])
            entries = []
            val = d.get("value-start", 0)
            for e in d["entries"]:
                if isinstance(e, str):
                    e = {"name": e}
                if "value" in e:
                    val = e["value"]
                user = (1 << val) if d["type"] == "flags" else val
                entries.append((prefix + c_upper(e["name"]), user))
                val += 1
            if d.get("render-max"):
                if d["type"] == "flags":
                    entries.append((prefix + "MASK",
                                    sum(v for _, v in entries)))
                else:
                    entries.append(("__" + prefix + "MAX", val))
                    entries.append((prefix + "MAX", val - 1))
            self.enums.append((ename, entries))
        for s in spec["attribute-sets"]:
            prefix = c_upper(s.get("name-prefix",
                                   fam + "-a-" + s["name"] + "-"))
            attrs = []
            val = 1
            entries = []
            for a in s["attributes"]:
                if "value" in a:
                    val = a["value"]
                attrs.append((a["name"], val, a))
                entries.append((prefix + c_upper(a["name"]), val))
                val += 1
            self.sets[s["name"]] = attrs
            cnt = s.get("attr-cnt-name", "__" + prefix + "MAX")
            mx = s.get("attr-max-name", prefix + "MAX")
            entries.append((c_upper(cnt), val))
            entries.append((c_upper(mx), val - 1))
            self.enums.append((s.get("enum-name"), entries))
        ops = spec["operations"]
        prefix = c_upper(ops.get("name-prefix", fam + "-cmd-"))
        val = 1
        entries = []
        for op in ops["list"]:
            if "value" in op:
                val = op["value"]
            self.ops.append((op["name"], val, op))
            entries.append((prefix + c_upper(op["name"]), val))
            val += 1
        cnt = spec.get("cmd-cnt-name", "__" + prefix + "MAX")
        mx = spec.get("cmd-max-name", prefix + "MAX")
        entries.append((c_upper(cnt), val))
        entries.append((c_upper(mx), val - 1))
        self.enums.append((ops.get("enum-name"), entries))
        for g in spec.get("mcast-groups", {}).get("list", []):
            name = g.get("c-define-name",
                         fam + "-mcgrp-" + g["name"])
            self.defines[c_upper(name)] = '"%s"' % g["name"]


# ---- spec rules ------------------------------------------------------------
def check_spec(spec, ck, schema_path):
    if schema_path:
        try:
            import jsonschema
        except ImportError:
            ck.check(False, "--schema given but python3-jsonschema missing")
        else:
            with open(schema_path) as f:
                schema = yaml.safe_load(f)
            try:
                jsonschema.validate(spec, schema)
                ck.check(True, "")
            except jsonschema.ValidationError as e:
                ck.check(False, "schema %s: %s" % (schema_path, e.message))

    for key in spec:
        ck.check(key in TOP_KEYS, "spec: unknown top-level key %r" % key)
    for key in ("name", "doc", "attribute-sets", "operations"):
        ck.check(key in spec, "spec: %s missing" % key)
    ck.check(spec.get("protocol") == "genetlink-c",
             "spec: protocol must be genetlink-c")
    ck.check("version" not in spec or spec["version"] == 1,
             "spec: version must be 1")

    defs = {}
    for d in spec.get("definitions", []):
        where = "definition %s" % d.get("name")
        ck.check(NAME_RE.match(d.get("name", "")), where + ": bad name")
        ck.check(d.get("doc"), where + ": no doc")
        ck.check(d.get("type") in ("const", "enum", "flags"),
                 where + ": bad type")
        defs[d.get("name")] = d
        if d.get("type") in ("enum", "flags"):
            seen = set()
            for e in d.get("entries", []):
                e = {"name": e} if isinstance(e, str) else e
                ck.check(NAME_RE.match(str(e["name"])),
                         "%s: bad entry name %r" % (where, e["name"]))
                ck.check(e.get("doc"),
                         "%s: entry %s has no doc" % (where, e["name"]))
                ck.check(e["name"] not in seen,
                         "%s: entry %s twice" % (where, e["name"]))
                seen.add(e["name"])

    sets = {}
    for s in spec.get("attribute-sets", []):
        name = s.get("name")
        where = "attribute-set %s" % name
        ck.check(NAME_RE.match(name or ""), where + ": bad name")
        ck.check(s.get("doc"), where + ": no doc")
        ck.check(name not in sets, where + ": defined twice")
        sets[name] = s
        seen = set()
        has_64 = has_pad = False
        for a in s.get("attributes", []):
            aw = "%s.%s" % (name, a.get("name"))
            ck.check(NAME_RE.match(a.get("name", "")), aw + ": bad name")
            ck.check(a.get("name") not in seen, aw + ": defined twice")
            seen.add(a.get("name"))
            ck.check(a.get("doc"), aw + ": no doc")
            t = a.get("type")
            ck.check(t in ATTR_TYPES, aw + ": unknown type %r" % t)
            ck.check(t not in NOT_IN_6_1,
                     aw + ": type %s needs kernel 6.8 (use u64 + pad)" % t)
            ck.check(t in LIBNL_TYPE,
                     aw + ": type %s not handled by the library" % t)
            has_64 |= t in ("u64", "s64")
            has_pad |= t == "pad"
            if t == "nest":
                ck.check(a.get("nested-attributes") in
                         [x["name"] for x in spec["attribute-sets"]],
                         aw + ": nested-attributes does not resolve")
            if "enum" in a:
                ck.check(defs.get(a["enum"], {}).get("type")
                         in ("enum", "flags"),
                         aw + ": enum %s is not defined" % a["enum"])
        ck.check(not has_64 or has_pad,
                 where + ": 64-bit attributes but no pad attribute "
                 "(nla_put_u64_64bit on 6.1)")

    groups = [g["name"] for g in spec.get("mcast-groups", {}).get("list", [])]
    for g in groups:
        ck.check(NAME_RE.match(g), "mcast group %s: bad name" % g)
    ops = {}
    for op in spec.get("operations", {}).get("list", []):
        name = op.get("name")
        where = "operation %s" % name
        ck.check(NAME_RE.match(name or ""), where + ": bad name")
        ck.check(op.get("doc"), where + ": no doc")
        ck.check(name not in ops, where + ": defined twice")
        ops[name] = op
        aset = sets.get(op.get("attribute-set"))
        if "attribute-set" in op:
            ck.check(aset is not None, where + ": attribute-set unknown")
        names = {a["name"] for a in aset["attributes"]} if aset else set()
        for mode in ("do", "dump"):
            if mode not in op:
                continue
            for part in ("request", "reply"):
                for a in op[mode].get(part, {}).get("attributes", []):
                    ck.check(a in names, "%s %s %s: no attribute %s" %
                             (where, mode, part, a))
        if "event" in op:
            for a in op["event"].get("attributes", []):
                ck.check(a in names, "%s event: no attribute %s" % (where, a))
        if "notify" in op:
            target = ops.get(op["notify"])
            ck.check(target is not None and "do" in target and
                     "reply" in target["do"],
                     where + ": notify target needs a do reply")
        if "notify" in op or "event" in op:
            ck.check(op.get("mcgrp") in groups,
                     where + ": notification without a known mcgrp")
            ck.check("do" not in op and "dump" not in op,
                     where + ": a notification is not a request")
        # Every request needs CAP_NET_ADMIN: replies name the hosts
        # (Documentation/netlink.rst, "Errors").
        if name and ("do" in op or "dump" in op):
            ck.check("admin-perm" in op.get("flags", []),
                     where + ": operation without admin-perm")
        if "do" in op and "dump" in op:
            # 6.1 genl_ops: one policy per command for do and dump.
            ck.check(True, "")
    return ck


# ---- the UAPI header ---------------------------------------------------------
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub,
        ast.LShift: operator.lshift, ast.BitOr: operator.or_,
        ast.Mult: operator.mul}


def c_eval(expr, names):
    expr = expr.strip()
    expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", expr)

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise ValueError("unknown name %s" % node.id)
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError("cannot evaluate %r" % expr)

    return ev(ast.parse(expr, mode="eval"))


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def parse_c_enums(text):
    """[(enum name or None, [(entry, value)])] in file order."""
    names = {}
    out = []
    for m in re.finditer(r"\benum\s+(\w+)?\s*\{(.*?)\}\s*;", text, re.S):
        entries = []
        val = -1
        for part in m.group(2).split(","):
            part = part.strip()
            if not part:
                continue
            if "=" in part:
                n, expr = part.split("=", 1)
                n = n.strip()
                val = c_eval(expr, names)
            else:
                n = part
                val += 1
            names[n] = val
            entries.append((n, val))
        out.append((m.group(1), entries))
    return out, names


def parse_c_defines(text):
    out = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(?:[ \t]+([^\n]*))?$",
                         text, re.M):
        out[m.group(1)] = (m.group(2) or "").strip()
    return out


# ---- the driver API ----------------------------------------------------------
def c_struct_fields(text, struct):
    m = re.search(r"struct\s+%s\s*\{(.*?)\}\s*;" % struct, text, re.S)
    if not m:
        return None
    fields = []
    for decl in m.group(1).split(";"):
        decl = " ".join(decl.split())
        fm = re.match(r"^(?:const\s+)?([\w ]+?)\s+\**(\w+)\s*(\[[^\]]*\])?$",
                      decl)
        if fm:
            fields.append((fm.group(2), fm.group(1).split()[-1],
                           fm.group(3) is not None))
    return fields


def check_driver_api(model, path, ck):
    with open(path) as f:
        text = strip_comments(f.read())
    defines = parse_c_defines(text)
    enums, _ = parse_c_enums(text)
    consts = {d["name"]: d for d in model.spec.get("definitions", [])}

    for cname, spec_const in (("NVO_LAT_BUCKETS", "lat-buckets"),
                              ("NVO_DEV_NAME_LEN", "dev-name-len")):
        if ck.check(cname in defines, "driver API: %s missing" % cname):
            ck.check(str(consts.get(spec_const, {}).get("value")) ==
                     defines[cname].split()[0],
                     "driver API: %s = %s, spec %s = %s" %
                     (cname, defines[cname], spec_const,
                      consts.get(spec_const, {}).get("value")))

    # The caps nest: struct nvo_caps's scalars, struct nvo_tr_caps's (the
    # NVMe/TCP entry of tr[]) and struct nvo_tcp_caps's; the size field,
    # arrays and bitmaps (io-opcodes is put by hand) and nested structs are
    # not attributes of their own.
    caps = {x[0]: x[2]["type"] for x in model.sets["caps"]}
    widen = {"u8": ("u32",), "u16": ("u32",), "u32": ("u32",),
             "u64": ("u64",), "bool": ("flag",)}
    for struct in ("nvo_caps", "nvo_tr_caps", "nvo_tcp_caps"):
        fields = c_struct_fields(text, struct)
        if not ck.check(fields is not None,
                        "driver API: struct %s missing" % struct):
            continue
        for name, ctype, is_array in fields:
            if is_array or name == "size" or ctype.startswith("nvo_"):
                continue
            attr = name.replace("_", "-")
            if ck.check(attr in caps, "caps: no attribute for struct "
                        "%s.%s" % (struct, name)):
                ck.check(caps[attr] in widen.get(ctype, ()),
                         "caps.%s is %s, struct %s.%s is %s" %
                         (attr, caps[attr], struct, name, ctype))

    def enum_entries(cname):
        for n, entries in enums:
            if n == cname:
                return entries
        return None

    for cenum, prefix, spec_def in (
            ("nvo_fallback_reason", "NVO_FALLBACK_", "fallback-reason"),
            ("nvo_backend", "NVO_BACKEND_", "backend"),
            ("nvo_ns_flags", "NVO_NS_", "ns-flags")):
        entries = enum_entries(cenum)
        if not ck.check(entries is not None,
                        "driver API: enum %s missing" % cenum):
            continue
        d = model.definitions.get(spec_def)
        if not ck.check(d is not None, "spec: definition %s missing" %
                        spec_def):
            continue
        want = []
        val = d.get("value-start", 0)
        for e in d["entries"]:
            e = {"name": e} if isinstance(e, str) else e
            val = e.get("value", val)
            want.append((prefix + c_upper(e["name"]),
                         (1 << val) if d["type"] == "flags" else val))
            val += 1
        ck.check(entries == want,
                 "enum %s differs from %s:\n  driver API: %s\n  spec:       "
                 "%s" % (cenum, spec_def, entries, want))


# ---- Documentation/netlink.rst -------------------------------------------------
def rst_table(header, rows):
    widths = [len(h) for h in header]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    line = "  ".join("=" * w for w in widths)
    out = [line, "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
           line]
    for r in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    out.append(line)
    return out


def one_line(doc):
    return " ".join(str(doc or "").split())


def render_rst(model):
    spec = model.spec
    fam = model.fam_upper
    out = [RST_BEGIN, ""]
    out += ["Operations", "----------", ""]
    rows = []
    for name, val, op in model.ops:
        if "notify" in op or "event" in op:
            continue
        modes = "/".join(m for m in ("do", "dump") if m in op)
        req = []
        for mode in ("do", "dump"):
            attrs = op.get(mode, {}).get("request", {}).get("attributes", [])
            if attrs:
                req.append("%s: %s" % (mode, ", ".join(attrs)))
        rows.append((name, str(val), modes,
                     "admin" if "admin-perm" in op.get("flags", []) else "",
                     "; ".join(req) or "-"))
    out += rst_table(("operation", "value", "modes", "perm",
                      "request attributes"), rows)
    out.append("")
    for name, val, op in model.ops:
        if "notify" in op or "event" in op:
            continue
        out += ["``%s`` (%s_CMD_%s)" % (name, fam, c_upper(name)),
                "  " + one_line(op["doc"]), ""]
        for mode in ("do", "dump"):
            reply = op.get(mode, {}).get("reply", {}).get("attributes")
            if reply:
                out += ["  %s reply: %s" % (mode, ", ".join(reply)), ""]
    out += ["Notifications (multicast group ``%s``)" %
            ", ".join(g["name"] for g in
                      spec.get("mcast-groups", {}).get("list", [])),
            "-------------------------------------------", ""]
    rows = []
    for name, val, op in model.ops:
        if "notify" in op:
            attrs = "as the %s reply" % op["notify"]
        elif "event" in op:
            attrs = ", ".join(op["event"]["attributes"])
        else:
            continue
        rows.append((name, str(val), attrs, one_line(op["doc"])))
    out += rst_table(("notification", "value", "attributes", "meaning"), rows)
    out += ["", "Attribute sets", "--------------", ""]
    for s in spec["attribute-sets"]:
        out += ["``%s``: %s" % (s["name"], one_line(s.get("doc"))), ""]
        rows = []
        for aname, val, a in model.sets[s["name"]]:
            t = a["type"]
            if t == "nest":
                t = "nest(%s)" % a["nested-attributes"]
            if a.get("multi-attr"):
                t += ", multi"
            if "enum" in a:
                t += ", enum %s" % a["enum"]
            rows.append(("%s_A_%s_%s" % (fam, c_upper(s["name"]),
                                          c_upper(aname)),
                         str(val), t, one_line(a.get("doc"))))
        out += rst_table(("attribute", "value", "type", "meaning"), rows)
        out.append("")
    out += ["Definitions", "-----------", ""]
    for d in spec.get("definitions", []):
        if d["type"] == "const":
            out += ["``%s`` = %s: %s" % (d["name"], d["value"],
                                         one_line(d.get("doc"))), ""]
            continue
        out += ["``%s`` (%s): %s" % (d["name"], d["type"],
                                     one_line(d.get("doc"))), ""]
        rows = []
        val = d.get("value-start", 0)
        for e in d["entries"]:
            e = {"name": e} if isinstance(e, str) else e
            val = e.get("value", val)
            user = (1 << val) if d["type"] == "flags" else val
            rows.append((str(e["name"]), str(user), one_line(e.get("doc"))))
            val += 1
        out += rst_table(("name", "value", "meaning"), rows)
        out.append("")
    out.append(RST_END)
    return "\n".join(out) + "\n"


def check_rst(model, path, ck, update):
    with open(path) as f:
        text = f.read()
    begin = text.find(RST_BEGIN)
    end = text.find(RST_END)
    if not ck.check(begin >= 0 and end > begin,
                    "%s: GENERATED markers missing" % RST):
        return
    end += len(RST_END) + 1
    want = render_rst(model)
    if update:
        with open(path, "w") as f:
            f.write(text[:begin] + want + text[end:])
        return
    ck.check(text[begin:end] == want,
             "%s: the generated part is out of date: run "
             "scripts/check-netlink-spec.py --update-rst" % RST)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--schema", help="the kernel's genetlink-c.yaml "
                    "(default: $KSRC/Documentation/netlink/genetlink-c.yaml)")
    ap.add_argument("--update-rst", action="store_true",
                    help="rewrite the generated part of %s" % RST)
    args = ap.parse_args()
    root = args.root

    def p(rel):
        return os.path.join(root, rel)

    with open(p(SPEC)) as f:
        spec = yaml.safe_load(f)
    schema = args.schema
    if not schema and os.environ.get("KSRC"):
        cand = os.path.join(os.environ["KSRC"],
                            "Documentation/netlink/genetlink-c.yaml")
        schema = cand if os.path.exists(cand) else None

    ck = Checker()
    check_spec(spec, ck, schema)
    if ck.failures:
        for f in ck.failures:
            print("FAIL: " + f)
        print("netlink spec check: the spec itself is broken")
        return 1
    model = Model(spec)
    if os.path.exists(p(DRIVER_API)):
        check_driver_api(model, p(DRIVER_API), ck)
    else:
        print("note: %s absent, driver API not checked" % DRIVER_API)
    if os.path.exists(p(RST)) or args.update_rst:
        if args.update_rst and not os.path.exists(p(RST)):
            with open(p(RST), "w") as f:
                f.write(RST_BEGIN + "\n" + RST_END + "\n")
        check_rst(model, p(RST), ck, args.update_rst)

    for f in ck.failures:
        print("FAIL: " + f)
    print("netlink spec check: %d checks, %d failed (%d operations, %d "
          "attribute sets, %d attributes)" %
          (ck.checks, len(ck.failures), len(model.ops), len(model.sets),
           sum(len(a) for a in model.sets.values())))
    return 1 if ck.failures else 0


if __name__ == "__main__":
    sys.exit(main())
