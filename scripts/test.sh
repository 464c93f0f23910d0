#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The project's test command: installs what is missing, builds everything,
# then runs the static kernel checks, the unit tests (CTest), a bounded fuzz
# run of the PDU codec and every kselftest in the VM. Ends with the line
# "N passed, N failed[, N skipped]" and exits non-zero when anything failed.
# Env: NVO_TESTS="a.sh b.sh" runs only those kselftests; FUZZ_SECONDS.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
cd "$src"

pass=0 fail=0 skip=0
step() { # NAME CMD...: one counted check
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		pass=$((pass + 1))
		echo "=== $name: ok"
	else
		fail=$((fail + 1))
		echo "=== $name: FAILED"
	fi
}
die() {
	echo "test.sh: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

bash scripts/deps.sh || die "dependency installation failed"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null ||
	die "cmake configure failed"
cmake --build "$build" -j"$(nproc)" || die "userspace build failed"
cmake --build "$build" --target modules || die "kernel module build failed"

step "kcheck (checkpatch --strict, sparse)" bash scripts/kcheck.sh "$build"
step "modules build against Debian's 6.12" bash scripts/compat-build.sh 6.12 "$build/compat-6.12"

# Unit tests: CTest counts its own tests.
echo "=== ctest"
ctest_log=$(mktemp)
(cd "$build" && ctest --output-on-failure -j"$(nproc)") 2>&1 | tee "$ctest_log"
ctest_total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$ctest_log")
ctest_failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$ctest_log")
if [ -n "$ctest_total" ]; then
	pass=$((pass + ctest_total - ctest_failed))
	fail=$((fail + ctest_failed))
elif ! grep -q "No tests were found" "$ctest_log"; then
	fail=$((fail + 1))
fi
rm -f "$ctest_log"

if [ -x scripts/fuzz-codec.sh ]; then
	step "fuzz PDU codec (${FUZZ_SECONDS:-20} s)" bash scripts/fuzz-codec.sh "${FUZZ_SECONDS:-20}"
fi

# kselftests, one VM boot each; the runner writes its counts.
results="$build/selftests/results.txt"
rm -f "$results"
# shellcheck disable=SC2086
selftests/vm/run-selftests.sh ${NVO_TESTS:-}
if [ -f "$results" ]; then
	# shellcheck disable=SC1090
	. "$results"
	pass=$((pass + ${KSFT_PASS:-0}))
	fail=$((fail + ${KSFT_FAIL:-0}))
	skip=$((skip + ${KSFT_SKIP:-0}))
else
	echo "test.sh: the kselftest runner left no results" >&2
	fail=$((fail + 1))
fi

summary="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && summary="$summary, $skip skipped"
echo "$summary"
[ "$fail" -eq 0 ]
