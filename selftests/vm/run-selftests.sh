#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the selftests, each in its own fresh VM boot, and print one KTAP
# document: every test's own KTAP nested (indented 4 spaces) under an
# "ok N name" / "not ok N name" / "ok N name # SKIP reason" line.
#
# usage: run-selftests.sh [-v] [TEST...]
#   TEST     names in selftests/ (default: $NVO_TESTS, else TEST_PROGS of
#            selftests/Makefile)
#   -v       stream each VM's console to stdout too
# A test also fails when its boot's kernel log shows an oops, BUG, WARNING,
# lockdep/hung-task/KASAN/UBSAN/kmemleak report, or the guest ends tainted
# with anything but O (out-of-tree) and E (unsigned module).
# Writes: build/selftests/results.txt (KSFT_PASS= KSFT_FAIL= KSFT_SKIP=,
#         sourceable), build/selftests/ktap.txt (this KTAP document),
#         build/selftests/logs/<test>.log (console: kernel + test + dmesg),
#         build/selftests/logs/<test>.out (the test's own output).
# Per-test budget: settings' timeout=, or "# nvo-timeout: SECS" in the
# test's first 20 lines ("# nvo-initramfs: python" there: the boot gets
# run-vm.sh --part python, python3 and the kernel's ynl CLI; "# nvo-append:
# ARGS" adds ARGS to the guest kernel's command line). Env:
# NVO_TIMEOUT overrides both; NVO_VM_ARGS: more run-vm.sh options
# (e.g. "--smp 4 --file /tmp/dbg.ko"); NVO_* is passed to the guest
# (e.g. NVO_TRANSPORT=stock). Exit 1 if any test failed.
# NVO_KERNEL=debug: on the debug kernel (scripts/debug-kernel.sh), writing to
# build/selftests-debug/ instead, budgets times NVO_TIMEOUT_SCALE (default 3
# there, 1 here), and the guest scans for leaks (kmemleak) after each test.
set -uo pipefail
# Parsed whole before it runs (the braces, closed at the end): editing this
# file while a run is under way must not change that run.
{

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
st=$repo/selftests
builddir=${NVO_BUILDDIR:-$repo/build}
# KFLAVOR: which kernel (NVO_KERNEL); exported for run-vm.sh and the rest
# shellcheck source=../../scripts/kernel-env.sh
. "$repo/scripts/kernel-env.sh" || exit 1
set +e
outdir=$builddir/selftests${KFLAVOR:+-$KFLAVOR}
logs=$outdir/logs

verbose=()
if [ "${1:-}" = -v ] || [ "${1:-}" = --verbose ]; then
	verbose=(-v)
	shift
fi

tests=("$@")
if [ ${#tests[@]} -eq 0 ] && [ -n "${NVO_TESTS:-}" ]; then
	read -r -a tests <<<"$NVO_TESTS"
fi
if [ ${#tests[@]} -eq 0 ]; then
	mapfile -t tests < <(make -s --no-print-directory -C "$st" list_tests)
fi
if [ ${#tests[@]} -eq 0 ]; then
	echo "run-selftests: no tests (TEST_PROGS empty?)" >&2
	exit 1
fi

timeout=$(sed -n 's/^timeout=\([0-9]*\).*/\1/p' "$st/settings" 2>/dev/null | tail -n1)
timeout=${NVO_TIMEOUT:-${timeout:-300}}
# The debug kernel runs several times slower under TCG (measured: see
# Documentation/testbed.rst): scale the budgets, not the tests.
scale=${NVO_TIMEOUT_SCALE:-1}
[ -n "$KFLAVOR" ] && scale=${NVO_TIMEOUT_SCALE:-3}
[[ $scale =~ ^[0-9]+$ ]] || { echo "run-selftests: bad NVO_TIMEOUT_SCALE $scale" >&2; exit 2; }

mkdir -p "$logs"
# Written under temporary names and renamed at the end: engineers share
# the tree, and a concurrent run must not see half a results.txt.
ktap_tmp=$(mktemp "$outdir/.ktap.XXXXXX")
# append mode: tee -a /dev/fd/3 below reopens the file and must not be overwritten
exec 3>>"$ktap_tmp"
# emit LINE...: to stdout and to ktap.txt
trap 'rm -f "$ktap_tmp" "${res_tmp:-}"' EXIT
emit() {
	printf '%s\n' "$@"
	printf '%s\n' "$@" >&3
}

# Kernel log lines (printk-timestamped) that fail a test whatever it said.
KERNEL_BAD='Oops|BUG:|WARNING:|general protection|Call Trace|Kernel panic|'
KERNEL_BAD+='possible circular locking|inconsistent lock state|possible recursive locking|'
KERNEL_BAD+='INFO: task .* blocked|soft lockup|hard LOCKUP|rcu_sched detected stall|'
# kmemleak (debug kernel): not its "initialized" line at boot, nor the
# "suspected memory leaks" of the guest's scan before the test (what the boot
# left); "unreferenced object" is what its scan after the test found.
KERNEL_BAD+='rcu: INFO: .*stall|KASAN|UBSAN|kmemleak: .*(disabled|[Cc]annot)|'
KERNEL_BAD+='unreferenced object|'
KERNEL_BAD+='list_(add|del) corruption|refcount_t: '
kernel_problems() {
	grep -aE '\[ *[0-9]+\.[0-9]+\] ' "$1" | grep -aE -- "$KERNEL_BAD" | sort -u | head -n 20
}

# taint bits, bit 0 first (Documentation/admin-guide/tainted-kernels.rst)
TAINT_FLAGS=PFSRMBUDAWCIOELKXT
taint_letters() {
	local t=$1 i s=
	for ((i = 0; i < ${#TAINT_FLAGS}; i++)); do
		(((t >> i) & 1)) && s+=${TAINT_FLAGS:i:1}
	done
	echo "$s"
}
TAINT_ALLOWED=$((4096 | 8192)) # O, E

n=0
pass=0
fail=0
skip=0
summary=()
t_all=$SECONDS
emit "TAP version 13" "1..${#tests[@]}"
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=${t#selftests/}
	log=$logs/${name//\//_}.log
	out=$logs/${name//\//_}.out
	rm -f "$log" "$out"
	emit "# selftests: nvmet-offload: $name"
	if [ ! -f "$st/$name" ]; then
		emit "# $name: no such test in selftests/"
		emit "not ok $n $name # missing"
		fail=$((fail + 1))
		summary+=("# fail $name 0")
		continue
	fi
	if [ ! -x "$st/$name" ]; then
		emit "# $name: not executable (chmod +x, and commit the mode)"
		emit "not ok $n $name # not executable"
		fail=$((fail + 1))
		summary+=("# fail $name 0")
		continue
	fi
	# A long test states its own budget in its header: "# nvo-timeout: SECS".
	test_timeout=$(sed -n '1,20s/^# nvo-timeout: *\([0-9][0-9]*\).*/\1/p' "$st/$name" | head -n1)
	test_timeout=${NVO_TIMEOUT:-$((${test_timeout:-$timeout} * scale))}
	# ...and the optional initramfs parts it needs: "# nvo-initramfs: NAME..."
	part_args=()
	for p in $(sed -n '1,20s/^# nvo-initramfs: *//p' "$st/$name" | head -n1); do
		part_args+=(--part "$p")
	done
	# ...and what its kernel command line needs: "# nvo-append: ARGS"
	for p in $(sed -n '1,20s/^# nvo-append: *//p' "$st/$name" | head -n1); do
		part_args+=(--append "$p")
	done
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086 # NVO_VM_ARGS is a list of options
	"$here/run-vm.sh" "${verbose[@]}" ${NVO_VM_ARGS:-} "${part_args[@]+"${part_args[@]}"}" --timeout "$test_timeout" --log "$log" \
		--output "$out" "$name" 2>"$log.runvm"
	rc=$?
	if [ "$rc" -eq 130 ]; then
		emit "not ok $n $name # interrupted" "Bail out! interrupted"
		fail=$((fail + 1))
		break
	fi
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")
	[ -f "$out" ] || : >"$out"
	# the test's own KTAP, nested
	sed -n '/^@@NVO-RESULT /!s/^/    /p' "$out" | tee -a /dev/fd/3
	result=$(grep -a '^@@NVO-RESULT ' "$out" | tail -n1)
	taint=$(sed -n 's/.* tainted=\([0-9]*\).*/\1/p' <<<"$result")
	sed 's/^/# /' "$log.runvm" | tee -a /dev/fd/3
	cat "$log.runvm" >>"$log"
	rm -f "$log.runvm"

	reasons=()
	problems=$(kernel_problems "$log")
	if [ -n "$problems" ]; then
		reasons+=("kernel log")
		emit "# $name: the guest kernel log shows problems:"
		while IFS= read -r l; do emit "#   $l"; done <<<"$problems"
	fi
	if [ -n "$taint" ] && [ $((taint & ~TAINT_ALLOWED)) -ne 0 ]; then
		reasons+=("tainted $(taint_letters "$taint")")
		emit "# $name: kernel tainted $taint ($(taint_letters "$taint")); only O and E are allowed"
	fi
	emit "# $name: exit $rc in $secs s (log: ${log#"$repo"/})"

	directive=
	if [ "$rc" -eq 124 ]; then
		directive="TIMEOUT $test_timeout seconds"
		verdict=fail
	elif [ ${#reasons[@]} -gt 0 ]; then
		verdict=fail
		directive="exit=$rc"
		for r in "${reasons[@]}"; do directive+=", $r"; done
	elif [ "$rc" -eq 0 ]; then
		verdict=pass
	elif [ "$rc" -eq 4 ]; then
		verdict=skip
		reason=$(sed -n 's/^1\.\.0 # SKIP *//p' "$out" | head -n1)
		[ -n "$reason" ] || reason=$(sed -n 's/^ok [0-9]* .* # SKIP *//p' "$out" | head -n1)
		directive="SKIP ${reason:-exit 4}"
	else
		verdict=fail
		directive="exit=$rc"
		[ "$rc" -eq 125 ] && directive="exit=$rc (no result: guest panic or crash)"
	fi
	case $verdict in
	pass)
		emit "ok $n $name"
		pass=$((pass + 1))
		;;
	skip)
		emit "ok $n $name # $directive"
		skip=$((skip + 1))
		;;
	fail)
		emit "not ok $n $name # $directive"
		fail=$((fail + 1))
		;;
	esac
	summary+=("# $verdict $name $secs")
done

emit "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
emit "# ${#tests[@]} tests in $((SECONDS - t_all)) s on $KABI; logs in ${logs#"$repo"/}/"
exec 3>&-
chmod 644 "$ktap_tmp"
mv "$ktap_tmp" "$outdir/ktap.txt"
res_tmp=$(mktemp "$outdir/.results.XXXXXX")
{
	echo "# written by selftests/vm/run-selftests.sh; verdict name seconds below"
	echo "KSFT_PASS=$pass"
	echo "KSFT_FAIL=$fail"
	echo "KSFT_SKIP=$skip"
	echo "KSFT_TOTAL=${#tests[@]}"
	printf '%s\n' "${summary[@]}"
} >"$res_tmp"
chmod 644 "$res_tmp"
mv "$res_tmp" "$outdir/results.txt"
[ "$fail" -eq 0 ]
exit
}
