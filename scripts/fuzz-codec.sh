#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz-codec.sh [SECONDS]
#
# Build the NVMe/TCP PDU codec fuzzer (userspace/fuzz/pdu_fuzz.c) with clang,
# libFuzzer, ASan and UBSan in a build tree of its own (build/fuzz), replay
# the seed corpus under the sanitizers, then fuzz for SECONDS (default 30)
# on a scratch copy of the corpus. Exits non-zero if anything crashes or an
# invariant breaks; the reproducer is left in build/fuzz/artifacts/.
#
# Environment: NVO_FUZZ_BUILD (build dir), NVO_FUZZ_RUNS (cap on executions,
# default 100000 per second of budget), NVO_FUZZ_SEED (libFuzzer -seed),
# NVO_FUZZ_JOBS (parallel build jobs).
set -euo pipefail

secs=${1:-30}
if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
	echo "usage: $0 [SECONDS]" >&2
	exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NVO_FUZZ_BUILD:-$root/build/fuzz}
runs=${NVO_FUZZ_RUNS:-$((secs * 100000))}
jobs=${NVO_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
seeds=$root/userspace/fuzz/corpus

for tool in clang clang++ cmake; do
	command -v "$tool" >/dev/null || {
		echo "fuzz-codec: $tool not found (scripts/deps.sh installs it)" >&2
		exit 1
	}
done

echo "fuzz-codec: configuring $build (clang, NVO_FUZZ=ON)"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" \
	-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVO_FUZZ=ON >/dev/null
cmake --build "$build" -j "$jobs" --target pdu_fuzz pdu_fuzz_replay

fuzzer=$build/bin/pdu_fuzz
replay=$build/bin/pdu_fuzz_replay
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "fuzz-codec: replaying the seed corpus under ASan/UBSan"
replay_inputs=("$seeds")
[ -d "$root/userspace/fuzz/regressions" ] &&
	replay_inputs+=("$root/userspace/fuzz/regressions")
"$replay" "${replay_inputs[@]}"

# Fuzz a scratch copy: what libFuzzer adds to it stays out of the tree.
work=$(mktemp -d "${TMPDIR:-/tmp}/nvo-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$seeds" "$work/corpus"
artifacts=$build/artifacts
mkdir -p "$artifacts"

seed_opt=()
[ -n "${NVO_FUZZ_SEED:-}" ] && seed_opt=(-seed="$NVO_FUZZ_SEED")

echo "fuzz-codec: fuzzing for ${secs}s (at most $runs runs), log: $build/fuzz.log"
set +e
"$fuzzer" "${seed_opt[@]}" \
	-max_total_time="$secs" -runs="$runs" \
	-max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$artifacts/" -print_final_stats=1 \
	"$work/corpus" >"$build/fuzz.log" 2>&1
rc=$?
set -e

if [ "$rc" -ne 0 ]; then
	tail -n 60 "$build/fuzz.log" >&2
	echo "fuzz-codec: FAILED (exit $rc); full log: $build/fuzz.log" >&2
	ls -1t "$artifacts" | head -n 5 | sed "s|^|  $artifacts/|" >&2
	echo "fuzz-codec: replay with: NVO_FUZZ_TRACE=1 $replay <artifact>" >&2
	exit 1
fi
grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' \
	"$build/fuzz.log" | sed 's/^/  /'
echo "fuzz-codec: OK, no crash in ${secs}s ($(ls "$work/corpus" | wc -l) corpus inputs)"
