#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark: stock nvmet-tcp, our software transport and our offload path on
# nicsim, measured in one VM boot (4k randread, iodepth 32, null_blk). Prints
# the runs and a table of medians with ratios against stock.
# Env: NVO_BENCH_REPS, NVO_BENCH_RUNTIME.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
cd "$src"
bash scripts/deps.sh
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cmake --build "$build" --target modules >/dev/null
mkdir -p "$build/bench"
csv="$build/bench/tcp_compare.csv"
selftests/vm/run-vm.sh --timeout 900 --log "$build/bench/console.log" \
	--output "$build/bench/output.txt" selftests/bench/tcp_compare.sh
grep -E '^(config|stock|ours|offload),' "$build/bench/output.txt" >"$csv"
cat "$csv"
python3 - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = {}
cfgs = ("stock", "ours", "offload")
for cfg in cfgs:
    r = [x for x in rows if x["config"] == cfg]
    med[cfg] = {k: statistics.median(float(x[k]) for x in r)
                for k in ("iops", "cpu_us_per_io", "engine_us_per_io", "p50_us", "p99_us")}
print("\n| config | IOPS | CPU us/IO (all vCPUs) | of which NIC engine | host CPU us/IO | p50 us | p99 us | IOPS vs stock | host CPU/IO vs stock |")
print("|---|---|---|---|---|---|---|---|---|")
s = med["stock"]
for cfg in cfgs:
    m = med[cfg]
    host = m["cpu_us_per_io"] - m["engine_us_per_io"]
    print(f"| {cfg} | {m['iops']:.0f} | {m['cpu_us_per_io']:.1f} | {m['engine_us_per_io']:.1f} | {host:.1f} | "
          f"{m['p50_us']:.0f} | {m['p99_us']:.0f} | {m['iops']/s['iops']:.2f}x | {host/s['cpu_us_per_io']:.2f}x |")
PY
