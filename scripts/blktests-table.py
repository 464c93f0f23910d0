#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tally selftests/blktests/guest.sh's lines: stock and ours side by side.

usage: blktests-table.py [--commit SHA] OUTPUT.txt

Prints an RST table (test, stock, ours), the totals of each column, the
time each pass took, why tests did not run (blktests' own words), and what
ours fails that stock passes. Exit 1 when ours fails a test stock passes,
when the columns did not run the same tests, when the guest reported that
a column did not measure what it claims (BT-BAD), or when its self-check
(stock posing as ours must be caught) failed.
"""
import argparse
import collections
import sys

PASSES = ("stock", "ours")


def parse(path):
    res = collections.defaultdict(dict)
    why = collections.defaultdict(list)
    bad, times, kernel, selfcheck = [], {}, "?", None
    with open(path, errors="replace") as f:
        for line in f:
            w = line.rstrip("\n").split(" ")
            if w[0] == "BT" and len(w) >= 5:
                status = w[3]
                rest = w[4:]
                if status == "not" and rest and rest[0] == "run":
                    status, rest = "not run", rest[1:]
                secs = rest[0] if rest else "?"
                reason = " ".join(rest[1:])
                res[w[2]][w[1]] = (status, secs, reason)
            elif w[0] == "BT-WHY" and len(w) >= 4:
                why[(w[1], w[2])].append(" ".join(w[3:]))
            elif w[0] == "BT-BAD":
                bad.append(" ".join(w[1:]))
            elif w[0] == "BT-TIME" and len(w) == 3:
                times[w[1]] = int(w[2])
            elif w[0] == "BT-SELFCHECK":
                selfcheck = " ".join(w[1:])
            elif w[0] == "BT-KERNEL":
                kernel = " ".join(w[1:])
    return res, why, bad, times, kernel, selfcheck


def cell(r):
    if r is None:
        return "(missing)"
    status, secs, reason = r
    if status == "fail" and reason:
        status += f" ({reason})"
    if status in ("pass", "fail") or status.startswith("fail"):
        status += f", {secs} s"
    return status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commit", default="?")
    ap.add_argument("output")
    a = ap.parse_args()
    res, why, bad, times, kernel, selfcheck = parse(a.output)
    if not res:
        print(f"blktests-table: no results in {a.output}", file=sys.stderr)
        return 1
    rows = [(t, cell(res[t].get("stock")), cell(res[t].get("ours")))
            for t in sorted(res)]
    w = [max(len(x[i]) for x in rows + [("test", "stock", "ours")])
         for i in range(3)]
    sep = "  ".join("=" * n for n in w)
    print(f"blktests {a.commit}, kernel {kernel}, NVMET_TRTYPES=rdma (rxe)")
    print()
    print(sep)
    print("  ".join(h.ljust(n) for h, n in zip(("test", "stock", "ours"), w)))
    print(sep)
    for r in rows:
        print("  ".join(x.ljust(n) for x, n in zip(r, w)).rstrip())
    print(sep)
    print()
    for p in PASSES:
        c = collections.Counter(res[t][p][0] for t in res if p in res[t])
        took = times.get(p)
        print(f"{p}: {c['pass']} pass, {c['fail']} fail, {c['not run']} not run"
              + (f"; {took} s" if took is not None else ""))
    print()
    reasons = collections.defaultdict(list)
    for t in sorted(res):
        for p in PASSES:
            r = res[t].get(p)
            if r and r[0] == "not run":
                for y in why.get((p, t), []) or ["(no reason given)"]:
                    reasons[(p, y)].append(t)
    print("not run, blktests' reasons:")
    for (p, y), ts in sorted(reasons.items()):
        print(f"  {p}: {y}: {' '.join(ts)}")
    rc = 0
    worse = [t for t in res
             if res[t].get("stock", ("",))[0] == "pass"
             and res[t].get("ours", ("",))[0] != "pass"]
    differ = [t for t in res
              if (res[t].get("stock", ("",))[0] == "not run")
              != (res[t].get("ours", ("",))[0] == "not run")]
    if worse:
        print(f"\nours below stock: {' '.join(sorted(worse))}")
        rc = 1
    if differ:
        print(f"\nnot the same tests run: {' '.join(sorted(differ))}")
        rc = 1
    for b in bad:
        print(f"\nNOT MEASURED AS CLAIMED: {b}")
        rc = 1
    if selfcheck is not None:
        print(f"\nself-check of the module assertion: {selfcheck}")
        if not selfcheck.startswith("ok"):
            rc = 1
    if rc == 0:
        print("\nours is not below stock")
    return rc


if __name__ == "__main__":
    sys.exit(main())
