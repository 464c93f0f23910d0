#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KTAP/TAP13 output for the project's selftests, sourced by every test script.
# The function names follow tools/testing/selftests/kselftest/ktap_helpers.sh
# of newer kernels (Debian's 6.1 has none). Counters live in shell variables,
# so call these from the main shell, not from a $(...) or a pipeline.
#
#   ktap_print_header                 "TAP version 13"
#   ktap_set_plan N                   "1..N"
#   ktap_skip_all REASON              "1..0 # SKIP REASON" (then exit $KSFT_SKIP)
#   ktap_test_pass DESC               "ok N DESC"
#   ktap_test_fail DESC               "not ok N DESC"
#   ktap_test_skip DESC [REASON]      "ok N DESC # SKIP REASON"
#   ktap_test_xfail DESC [REASON]     "ok N DESC # XFAIL REASON"
#   ktap_test_result DESC CMD [ARGS]  pass if CMD exits 0, else fail
#   ktap_print_msg MSG                "# MSG"
#   ktap_exit_fail_msg MSG            "Bail out! MSG", totals, exit 1
#   ktap_print_totals                 "# Totals: pass:N fail:N ..."
#   ktap_finished                     totals; exit 1 on any failure or a
#                                     plan mismatch, 4 if all skipped, else 0

# Exit codes of the kselftest framework (for the tests that source us).
# shellcheck disable=SC2034
KSFT_PASS=0
KSFT_FAIL=1
KSFT_XFAIL=2
KSFT_XPASS=3
KSFT_SKIP=4

KTAP_TESTNO=1
KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KTAP_CNT_XFAIL=0
KTAP_PLAN=

ktap_print_header() {
	echo "TAP version 13"
}

ktap_set_plan() {
	KTAP_PLAN=$1
	echo "1..$KTAP_PLAN"
}

ktap_skip_all() {
	KTAP_PLAN=0
	echo "1..0 # SKIP $*"
}

# __ktap_test RESULT DESC [DIRECTIVE]
__ktap_test() {
	local result=$1 desc=$2 directive=${3:-}
	if [ -n "$directive" ]; then
		echo "$result $KTAP_TESTNO $desc # $directive"
	else
		echo "$result $KTAP_TESTNO $desc"
	fi
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
}

ktap_test_pass() {
	__ktap_test ok "$1"
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
}

ktap_test_fail() {
	__ktap_test "not ok" "$1"
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
}

ktap_test_skip() {
	local reason=${2:-}
	__ktap_test ok "$1" "SKIP${reason:+ $reason}"
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

ktap_test_xfail() {
	local reason=${2:-}
	__ktap_test ok "$1" "XFAIL${reason:+ $reason}"
	KTAP_CNT_XFAIL=$((KTAP_CNT_XFAIL + 1))
}

# ktap_test_result DESC CMD [ARGS...]: errexit is off inside the condition,
# so a failing command in CMD does not kill the script.
ktap_test_result() {
	local desc=$1
	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
	fi
}

ktap_print_msg() {
	local line
	# one "# " per line: multi-line messages stay valid KTAP
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

ktap_print_totals() {
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:$KTAP_CNT_XFAIL xpass:0 skip:$KTAP_CNT_SKIP error:0"
}

ktap_exit_fail_msg() {
	echo "Bail out! $*"
	ktap_print_totals
	exit "$KSFT_FAIL"
}

ktap_finished() {
	local ran=$((KTAP_TESTNO - 1)) rc=$KSFT_PASS
	if [ -n "$KTAP_PLAN" ] && [ "$ran" -ne "$KTAP_PLAN" ]; then
		echo "# Planned tests != run tests ($KTAP_PLAN != $ran)"
		rc=$KSFT_FAIL
	fi
	ktap_print_totals
	if [ "$KTAP_CNT_FAIL" -gt 0 ]; then
		rc=$KSFT_FAIL
	elif [ "$rc" -eq "$KSFT_PASS" ] && [ "$KTAP_CNT_PASS" -eq 0 ] &&
		[ "$KTAP_CNT_XFAIL" -eq 0 ]; then
		# everything skipped (or a 1..0 plan)
		rc=$KSFT_SKIP
	fi
	exit "$rc"
}
