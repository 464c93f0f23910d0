#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# CPU per I/O that repeats on a busy machine: one VM boot with one vCPU
# under QEMU's instruction counting (-icount shift=N,sleep=off), so guest
# time counts executed instructions, not host time. Runs
# selftests/bench/icount.sh: fio on null_blk straight, through stock
# nvmet-tcp, through ours, and through another build of ours given with
# --alt (e.g. the tree before a change), with the I/O queue offloaded to
# nicsim (offload), then NVMe/RDMA over Soft-RoCE
# through stock nvmet-rdma and through nvmet_offload_rdma.ko, in software
# and with the I/O queue taken at connect by nicsim's RDMA engine (roff),
# alternating; prints the CSV and a table of the median us per I/O of each
# configuration and its ratio to stock (the RDMA ones to stock
# nvmet-rdma); for offload and roff also the engine thread's part (the NIC's) and the
# rest (the host's: initiator and target host share the one vCPU).
# Usage: bench-icount.sh [--alt OLD_NVMET_OFFLOAD_KO] [--shift N]
# Env: NVO_BENCH_REPS (2), NVO_BENCH_RUNTIME (8 s of guest time),
# NVO_BENCH_CONFIGS, NVO_BENCH_WORKLOADS, NVO_BUILDDIR.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
alt=
shift_n=0
while [ $# -gt 0 ]; do
	case $1 in
	--alt) alt=$2; shift 2 ;;
	--shift) shift_n=$2; shift 2 ;;
	*) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
cd "$src"
t0=$SECONDS
bash scripts/deps.sh
bash scripts/build-modules.sh "$build" >/dev/null
out=$build/bench
mkdir -p "$out"
args=(--icount "$shift_n" --mem 2G --timeout 3000 --log "$out/icount-console.log"
	--output "$out/icount.txt")
[ -n "$alt" ] && args+=(--file "$alt:/opt/nvmet-offload/extra/nvmet_offload.ko")
rc=0
selftests/vm/run-vm.sh "${args[@]}" selftests/bench/icount.sh || rc=$?
grep '^icount,' "$out/icount.txt" >"$out/icount.csv" || true
[ $rc -eq 0 ] || echo "bench-icount: the guest failed (exit $rc): $out/icount.txt" >&2
python3 - "$out/icount.csv" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), fieldnames=[
    "t", "config", "workload", "rep", "ios", "busy_us", "us_per_io", "nic"]) if r["config"] != "config"]
by = {}
for r in rows:
    by.setdefault((r["workload"], r["config"]), []).append(float(r["us_per_io"]))
    if r["config"] in ("offload", "roff"):
        # what the host keeps: all but the NIC's engine thread
        host = float(r["us_per_io"]) - float(r["nic"] or 0)
        by.setdefault((r["workload"], r["config"] + "-host"), []).append(host)
wls = sorted({w for w, _ in by}, key=lambda w: [r["workload"] for r in rows].index(w))
cfgs = [c for c in ("local", "stock", "ours", "alt", "offload", "offload-host",
                    "rstock", "rours", "roff", "roff-host")
        if any(k[1] == c for k in by)]
# each ratio against the stock target of its own transport
pairs = [(a, b) for a, b in (("ours", "stock"), ("alt", "stock"), ("offload-host", "stock"),
                             ("rours", "rstock"), ("roff-host", "rstock"))
         if a in cfgs and b in cfgs]
print("| workload | " + " | ".join("%s us/IO (spread)" % c for c in cfgs) +
      "".join(" | %s/%s" % p for p in pairs) + " |")
print("|---" * (len(cfgs) + len(pairs) + 1) + "|")
for w in wls:
    cells, med = [], {}
    for c in cfgs:
        v = by.get((w, c), [])
        if not v:
            cells.append("-"); continue
        med[c] = statistics.median(v)
        spread = (max(v) - min(v)) / med[c] * 100 if med[c] else 0
        cells.append("%.2f (%.1f%%)" % (med[c], spread))
    ratio = lambda a, b: "%.3f" % (med[a] / med[b]) if a in med and med.get(b) else "-"
    print("| %s | %s |" % (w, " | ".join(cells + [ratio(a, b) for a, b in pairs])))
PY
echo "bench-icount: $((SECONDS - t0)) s; CSV in $out/icount.csv" >&2
exit $rc
