#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 240
#
# offload_reclaim_timeout.sh - a device that does not give a queue back is
# not waited for forever (Documentation/driver-api-v2.rst, section 4).
#   - reclaim_hang: nicsim1 ignores the reclaim; at the deadline
#     (reclaim_timeout_ms, 2 s) the shim kills the queue, nicsim stops and
#     hands it back without a record, the connection is closed and the host
#     reconnects: fallback reason reclaim-timeout, within 3 s of the
#     request (plus the machine's slack), fio crc32c verify clean across it;
#   - kill_hang: nicsim1 ignores the kill too: after the kill timeout (1 s)
#     the device is failed, unbound from the port, the queue's connection is
#     cut (fallback reason kill-timeout), the host reconnects in software
#     and verifies, and deleting the device (unregister) returns; until
#     then netlink reports the device in state failed (dev-get, nicctl dev
#     show) and sent one dev-failed notification (nicctl monitor).
# The runner fails the test on any oops or WARNING in the guest's log.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"
# shellcheck source=lib/nl_monitor.sh
. "$DIR/lib/nl_monitor.sh"

NQN=nqn.2014-08.io.nvmet-offload:offload-reclaim-timeout
SIM=/sys/kernel/debug/nicsim/nicsim1
DBG=$OQ_DBG
NS=

msg() { ktap_print_msg "$*"; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
# Kernel log time (ms) of the first line since the mark matching REGEX.
klog_ms() {
	dmesg_grep_since_mark "$1" | head -n 1 |
		sed -n 's/^\[ *\([0-9]*\)\.\([0-9][0-9][0-9]\).*/\1\2/p'
}

# Port 1's netlink counter FIELD.
portc() {
	nl_raw stats-get scope=port port-id=1 |
		sed -n "s/.* counters\.$1=\([0-9]*\).*/\1/p"
}

# fio crc32c verify for about SECS seconds, in the background (FIO_PID).
fio_bg() {
	fio --name=rt --filename="$NS" --ioengine=libaio --direct=1 --allow_file_create=0 \
		--rw=randwrite --bs=4k --iodepth=8 --size=8M --time_based --runtime="$1" \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_backlog=64 \
		--output=/tmp/rt.fio >/dev/null 2>&1 &
	FIO_PID=$!
}

fio_done() {
	wait "$FIO_PID"
	local rc=$?
	msg "fio rc $rc: $(grep -E 'err=' /tmp/rt.fio | head -n 1)"
	return $rc
}

# wait_dmesg REGEX SECS: the kernel log shows REGEX since the mark.
wait_dmesg() {
	local _
	for _ in $(seq $(($2 * 10))); do
		dmesg_grep_since_mark "$1" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

ktap_print_header
ktap_set_plan 6

offload_target_setup "$NQN"
modprobe nvme-tcp
echo "1 on nicsim1" >"$DBG/port_offload" || ktap_exit_fail_msg "cannot bind nicsim1"
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=1 --reconnect-delay=1 >/dev/null ||
	ktap_exit_fail_msg "cannot connect"
NS=$(host_ns_dev "$NQN") || ktap_exit_fail_msg "no namespace device"
oq_wait_all offloaded 20 || ktap_exit_fail_msg "queue not offloaded"

# 1-2: reclaim_hang.
echo 1 >"$SIM/reclaim_hang"
fio_bg 12
sleep 2
dmesg_mark
oq_toggle_all off
# From the reclaim (nicsim logs that it ignores it) to the queue back in
# software, in the guest kernel's own time: within the 2 s deadline plus
# the 1 s the kill may take.
if wait_dmesg 'back in software \(reclaim-timeout\)' 15; then
	t0=$(klog_ms 'reclaim ignored \(reclaim_hang\)')
	t1=$(klog_ms 'back in software \(reclaim-timeout\)')
	dt=$((t1 - ${t0:-0}))
	if [ -n "$t0" ] && [ "$dt" -ge 2000 ] && [ "$dt" -le 3000 ]; then
		ktap_test_pass "reclaim_hang: the queue was killed ${dt} ms after the reclaim (deadline 2000 ms, kill 1000 ms)"
	else
		ktap_test_fail "reclaim_hang: the queue was killed ${dt} ms after the reclaim, not within 2000-3000 ms"
	fi
else
	ktap_test_fail "reclaim_hang: no reclaim-timeout fallback within 15 s"
	dmesg_since_mark | tail -n 20 | sed 's/^/# /'
fi
echo 0 >"$SIM/reclaim_hang"
if fio_done; then
	ktap_test_pass "the host reconnected and fio crc32c verify stayed clean"
else
	ktap_test_fail "the host reconnected and fio crc32c verify stayed clean"
fi

# 3-6: kill_hang.
oq_wait_all offloaded 30 || msg "the new queue is not offloaded"
echo 1 >"$SIM/reclaim_hang"
echo 1 >"$SIM/kill_hang"
listeners=$(nl_listeners)
timeout 30 nicctl monitor event dev count 1 >/tmp/mon.out 2>&1 &
MON_PID=$!
nl_wait_listener "$listeners" 100 || msg "nicctl monitor did not join the monitor group"
fio_bg 12
sleep 2
dmesg_mark
oq_toggle_all off
policy=
if wait_dmesg 'offload device nicsim1 failed' 15; then
	sleep 1
	policy=$(nl_raw port-get id=1)
fi
kt=$(dmesg_grep_since_mark 'connection cut \(kill-timeout\)' | head -n 1)
t0=$(klog_ms 'reclaim ignored \(reclaim_hang\)')
t1=$(klog_ms 'offload device nicsim1 failed')
dt=$((${t1:-0} - ${t0:-0}))
msg "device failed ${dt} ms after the reclaim (deadline 2000 ms + kill 1000 ms)"
if [ -n "$policy" ] && ! echo "$policy" | grep -q 'dev-id=' && [ -n "$kt" ] &&
	[ -n "$t0" ] && [ "$dt" -ge 3000 ] && [ "$dt" -le 4000 ]; then
	ktap_test_pass "kill_hang: the device failed ${dt} ms after the reclaim, unbound from the port, its queue cut (kill-timeout)"
else
	ktap_test_fail "kill_hang: the device failed, unbound from the port, its queue cut (port: $policy)"
	dmesg_since_mark | tail -n 20 | sed 's/^/# /'
fi
if fio_done && oq_wait_all software 20; then
	ktap_test_pass "the host reconnected in software and fio crc32c verify stayed clean"
else
	ktap_test_fail "the host reconnected in software and fio crc32c verify stayed clean"
fi
# The failed device, as netlink reports it until it unregisters: the dump
# (raw and through nicctl) and the one notification, the monitor's first
# device event.
wait "$MON_PID"
mon=$(cat /tmp/mon.out)
raw=$(nl_raw dev-get name=nicsim1)
js=$(nicctl -j dev show nicsim1)
msg "monitor: $mon; dev-get: $raw"
if echo "$raw" | grep -q ' state=failed' &&
   echo "$js" | grep -q '"state": *"failed"' &&
   echo "$mon" | grep -Eq '^[0-9:]+ dev-failed nicsim1 \([0-9]+\) failed,'; then
	ktap_test_pass "netlink: nicsim1 in state failed (dev-get, nicctl dev show), one dev-failed notification"
else
	ktap_test_fail "netlink: nicsim1 in state failed (dev-get, nicctl dev show), one dev-failed notification"
	echo "$js" | sed 's/^/# /'
fi
t0=$(now_ms)
if timeout 30 sh -c "echo 1 >$NICSIM_BUS/del_device"; then
	ktap_test_pass "unregister of the failed device returned ($(($(now_ms) - t0)) ms)"
else
	ktap_test_fail "unregister of the failed device returned"
fi

ktap_finished
