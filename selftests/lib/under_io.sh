#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tearing something down while the host's I/O runs: the host controller of
# $NQN, a background fio on its namespace, bounded waits. Sourced by
# tcp_test.sh; the caller sets NQN, and TCP_NULLB is the target's backing
# device (tcp_target_setup, rdma_target_setup).
#
#   ctrl, ctrl_state              the host controller of $NQN, its state
#   state_is S, state_not S, no_ctrl
#   with_timeout SECS CMD...      CMD in the background; 124 when it has
#                                 not ended within SECS (a stuck configfs
#                                 write or rmmod is a failure to report,
#                                 not a reason to hang the test)
#   fio_start DEV [RUNTIME]       random 4k mixed I/O, QD16, time based,
#                                 into $FIOLOG; returns once I/O reaches
#                                 the backing device
#   fio_wait SECS                 0: fio ended cleanly, 1: with errors,
#                                 124: still running after SECS
#   fio_reap                      kill a background fio that is left

FIOLOG=${FIOLOG:-/tmp/nvo-under-io-fio.log}
FIO_PID=

ctrl() { host_ctrl "$NQN"; }
ctrl_state() { local c; c=$(ctrl) && cat "/sys/class/nvme/$c/state"; }
state_is() { [ "$(ctrl_state)" = "$1" ]; }
state_not() { [ "$(ctrl_state)" != "$1" ]; }
no_ctrl() { ! ctrl >/dev/null; }

# It runs in a subshell: only for helpers whose shell state is not needed
# afterwards.
with_timeout() {
	local secs=$1 pid
	shift
	"$@" &
	pid=$!
	for _ in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	msg "still running after ${secs}s: $*"
	return 124
}

# Reads + writes completed by the namespace's backing device (the host's
# multipath node keeps no I/O statistics).
io_count() { awk '{ print $1 + $5 }' "/sys/block/${TCP_NULLB##*/}/stat" 2>/dev/null || echo 0; }
io_moved() { [ "$(io_count)" -gt $(($1 + 200)) ]; }

fio_start() {
	local dev=$1 runtime=${2:-30} r0
	r0=$(io_count)
	fio --name=bg --filename="$dev" --allow_file_create=0 --rw=randrw --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --time_based --runtime="$runtime" \
		--size=64M >"$FIOLOG" 2>&1 &
	FIO_PID=$!
	# only tear down once I/O really reaches the target
	wait_for 20 io_moved "$r0" || { msg "fio did not start I/O on $dev"; return 1; }
}

fio_done() { ! kill -0 "$FIO_PID" 2>/dev/null; }

# fio (3.33) was seen once to abort (exit 134) after it had printed its
# job's summary with err= 0: the job's I/O had all completed without error
# and the crash is in fio's own exit path, which is not what a caller asks.
# Its last words are shown; only that exact shape counts as clean.
fio_crashed_after_clean_job() {
	local sig=$(($1 - 128))
	tail -n 15 "$FIOLOG" | sed 's/^/# fio log: /'
	grep -q 'groupid=.*err= 0:' "$FIOLOG" && ! grep -q 'io_u error' "$FIOLOG" || return 1
	msg "fio ended by signal $sig after a job summary of err= 0 and no I/O error: counted clean"
}

fio_wait() {
	local secs=$1 rc
	wait_for "$secs" fio_done || { msg "fio still running after ${secs}s"; return 124; }
	wait "$FIO_PID"
	rc=$?
	FIO_PID=
	grep -E 'err=|error' "$FIOLOG" | head -n 3 | sed 's/^/# fio: /'
	msg "background fio exit status $rc"
	[ $rc -gt 128 ] && fio_crashed_after_clean_job $rc && return 0
	[ $rc -eq 0 ]
}

# A failed step's fio must not race the next step's I/O (a passing step may
# leave it running for the next, e.g. a port re-link).
fio_reap() {
	if [ -n "$FIO_PID" ] && kill -9 "$FIO_PID" 2>/dev/null; then
		wait "$FIO_PID" 2>/dev/null
	fi
	FIO_PID=
}
