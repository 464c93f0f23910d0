#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A test as a sequence of KTAP subtests where a later step needs the earlier
# ones (set-up, connect, I/O, teardown). Sourced by tcp_test.sh, after
# ktap.sh; call the functions from the main shell (they keep state).
#
#   step DESC CMD [ARGS...]         a subtest; skipped once an earlier step
#                                   failed, and a failure skips the rest
#   step_soft DESC CMD [ARGS...]    skipped once an earlier step failed, but
#                                   its own failure skips nothing (checks
#                                   that do not change the state)
#   step_always DESC CMD [ARGS...]  runs whatever failed before, skips
#                                   nothing (e.g. the kernel log check)
#   step_on_fail CMD [ARGS...]      what a failed step runs afterwards
#                                   (e.g. reap a background fio)

STEPS_FAILED=
STEPS_ON_FAIL=()

step_on_fail() { STEPS_ON_FAIL=("$@"); }

# _step GATE ALWAYS DESC CMD...
_step() {
	local gate=$1 always=$2 desc=$3
	shift 3
	if [ -n "$STEPS_FAILED" ] && [ -z "$always" ]; then
		ktap_test_skip "$desc" "an earlier step failed"
		return
	fi
	if "$@"; then
		ktap_test_pass "$desc"
		return
	fi
	ktap_test_fail "$desc"
	[ -n "$gate" ] && STEPS_FAILED=1
	[ ${#STEPS_ON_FAIL[@]} -eq 0 ] || "${STEPS_ON_FAIL[@]}"
}

step() { _step 1 "" "$@"; }
step_soft() { _step "" "" "$@"; }
step_always() { _step "" 1 "$@"; }
