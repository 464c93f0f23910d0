#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark (Documentation/performance.md): one VM boot (8 vCPUs, 4 GiB)
# runs selftests/bench/run.sh:
#   perf.sh   stock nvmet-tcp, our software path, our offload path on
#             nicsim (and with the target's TCP receive on the NIC core),
#             fio on the raw null_blk, stock nvmet-rdma and ours over
#             Soft-RoCE; 4k randread/randwrite QD1/QD32, 128k and 1M
#             sequential read; alternating, NVO_BENCH_REPS rounds; IOPS,
#             p50/p99, CPU per I/O on the initiator, target host core and
#             NIC core (RDMA: of all vCPUs together)
#   scale.sh  64 controllers x 8 I/O queues offloaded, then >= 1024 queues:
#             memory per queue, nicctl JSON times, hand-over latency
# then scripts/bench-report.py: build/bench/{perf,summary,scale}.csv,
# report.md (printed at the end: the tables for performance.md) and
# bench.png (needs gnuplot: installed here when missing and root).
# Env: NVO_BENCH_REPS (3), NVO_BENCH_RUNTIME (6 s a run, + 1 s ramp),
# NVO_BENCH_CONFIGS, NVO_BENCH_WORKLOADS, NVO_BENCH_PARTS ("perf scale"),
# NVO_SCALE_* (selftests/bench/scale.sh), NVO_BENCH_SMP (8), NVO_BUILDDIR.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
cd "$src"
t0=$SECONDS
bash scripts/deps.sh
# The chart's one extra package (scripts/deps.sh is not ours to grow).
if [ "$(dpkg-query -W -f='${db:Status-Status}' gnuplot-nox 2>/dev/null || true)" != installed ] &&
	! command -v gnuplot >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "bench: installing gnuplot-nox (for the chart)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			gnuplot-nox >/dev/null || echo "bench: could not install gnuplot-nox: no chart" >&2
	else
		echo "bench: gnuplot-nox is not installed and we are not root: no chart" \
			"(apt-get install gnuplot-nox)" >&2
	fi
fi
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cmake --build "$build" --target modules >/dev/null
out=$build/bench
mkdir -p "$out"
rc=0
# the host's load, every 20 s: the report says how quiet the machine was
: >"$out/hostload.txt"
(while :; do cat /proc/loadavg >>"$out/hostload.txt"; sleep 20; done) &
loadpid=$!
trap 'kill $loadpid 2>/dev/null || true' EXIT
# cryptomgr.notests: once, on a loaded host, an 8-vCPU TCG boot hung in a
# crypto self-test (soft lockup in cryptomgr_test); the tests are not ours.
selftests/vm/run-vm.sh --smp "${NVO_BENCH_SMP:-8}" --mem 4G --timeout 3000 \
	--append cryptomgr.notests=1 \
	--log "$out/console.log" --output "$out/output.txt" selftests/bench/run.sh || rc=$?
kill $loadpid 2>/dev/null || true
grep -E '^(# .* took|idle,)' "$out/output.txt" >&2 || true
[ $rc -eq 0 ] || echo "bench: the guest failed (exit $rc): $out/output.txt, $out/console.log" >&2
python3 scripts/bench-report.py "$out/output.txt" "$out"
echo "bench: $((SECONDS - t0)) s in all; CSV, report.md and bench.png in $out" >&2
exit $rc
