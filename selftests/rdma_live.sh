#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 600
#
# rdma_live.sh - running NVMe/RDMA I/O queues moved live between our
# software path and an offload device, both ways (driver API:
# ops->rdma_take with the record of <linux/nvmet_offload_rdma.h>;
# nicsim_rdma.ko on nicsim1) over Soft-RoCE (rxe0 on dummy0). Port 1 is
# bound to nicsim1 with the policy off, so the host's queues connect in
# software; queue-set moves them: the family lists them offloaded on
# nicsim1, which then executes their reads and writes on the same QP (fio
# crc32c verify), and back, where nvmet executes them again; twenty moves
# of every I/O queue under fio crc32c verify at 4k QD32 and at 1M QD4, no
# error, no reconnect (the host never notices); the admin queue and a queue
# taken at connect refuse to move, with a message; the device's engine
# crashes under fio while it has the queues (they end, the host reconnects
# to software queues, fio clean); the device removed under fio while it has
# them (they come back live: no reconnect, fio clean); extra_latency_us,
# slow_reclaim_ms and offload_delay_ms on lent queues (moves under fio
# still clean, the delays seen); moves racing the
# host's disconnect (no hang, no queue or QP left); modules unload. The
# runner fails the boot on any oops/WARN.
#
# Usage: rdma_live.sh   (our transport only: with --transport stock every
# subtest is skipped)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/rdma_test.sh
. "$DIR/lib/rdma_test.sh"
# shellcheck source=lib/under_io.sh
. "$DIR/lib/under_io.sh"
# shellcheck source=lib/nicsim_rdma.sh
. "$DIR/lib/nicsim_rdma.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:rdma-live
PORT=4420
INLINE=16384
IOQ=2
RECONNECT=(--reconnect-delay=1 --ctrl-loss-tmo=60)

cleanup() {
	[ -w "$RECLAIM_MS" ] && deadline "$RECLAIM_DEFAULT"
	nicsim_rdma_cleanup
}

# The shim's reclaim deadline (nvmet_offload's reclaim_timeout_ms): long
# for the moves (30 s), whose drains a loaded machine or the debug kernel
# can slow past the default 2 s (a 1 MiB QD4 give-back took over 10 s on
# the debug kernel beside three other VMs); the default again where a
# deadline is what is tested.
RECLAIM_MS=/sys/module/nvmet_offload/parameters/reclaim_timeout_ms
RECLAIM_DEFAULT=2000
deadline() { echo "$1" >"$RECLAIM_MS"; }

test_setup() {
	nicsim_rdma_setup || return 1
	RECLAIM_DEFAULT=$(cat "$RECLAIM_MS") || return 1
	deadline 30000
}

DEVID=
# bind POLICY: port 1 bound to nicsim1 with the policy POLICY.
bind() {
	local l
	l=$(nl_raw port-set id=1 dev-name=nicsim1 policy="$1" 2>&1) || { msg "$l"; return 1; }
	l=$(nl_raw port-get id=1) || { msg "$l"; return 1; }
	msg "port 1: $l"
	DEVID=$(field "$l" dev-id)
	[ "$(field "$l" policy)" = "$1" ] && [ -n "$DEVID" ] && [ "$(field "$l" dev-name)" = nicsim1 ]
}

CNTLID=
NIOQ=
connect() {
	local c n
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	c=$(ctrl) || return 1
	n=$(cat "/sys/class/nvme/$c/queue_count")
	NIOQ=$((n - 1))
	CNTLID=$(cat "/sys/class/nvme/$c/cntlid")
	msg "$c: cntlid $CNTLID, $NIOQ I/O queues"
	[ "$NIOQ" -ge 1 ]
}

# move on|off: every I/O queue of the host's controller (its cntlid now:
# a reconnect may change it).
move() {
	local c
	c=$(ctrl) && CNTLID=$(cat "/sys/class/nvme/$c/cntlid") || return 1
	nl_raw queue-set ctrl-id="$CNTLID" offload="$1" >/dev/null
}

verify() {
	local dev
	dev=$(host_ns_dev "$NQN" 1) || return 1
	quiet fio_verify "$dev" "$@"
}

test_connect_software() {
	connect || return 1
	queues_where 0 "$NIOQ"
}

# The admin queue stays ours; an unknown queue is no queue.
test_refusals() {
	local id rc=0
	id=$(nl_raw -d queue-get port-id=1 | grep ' qid=0 ' | sed -n 's/^[^ ]* id=\([0-9]*\) .*/\1/p')
	nl_err EINVAL queue-set id="$id" offload=on || rc=1
	nl_err ENOENT queue-set id=999999 offload=on || rc=1
	queues_where 0 "$NIOQ" || rc=1
	return $rc
}

# Moved to nicsim1: it executes the reads and writes (on our QP); back in
# software: nvmet does, nicsim1 none.
test_move_on() {
	local own0 want=$((2 * 16 * 256))
	move on || return 1
	queues_where "$NIOQ" 0 || return 1
	own0=$(nic rdma_own)
	verify --bs=4k --iodepth=32 --size=16M || return 1
	msg "nicsim1 executed $(($(nic rdma_own) - own0)) reads and writes, want $want at least"
	[ $(($(nic rdma_own) - own0)) -ge $want ]
}

test_move_off() {
	local own0
	move off || return 1
	queues_where 0 "$NIOQ" || return 1
	own0=$(nic rdma_own)
	verify --bs=4k --iodepth=32 --size=8M || return 1
	[ "$(nic rdma_own)" -eq "$own0" ] || { msg "nicsim1 executed I/O of a software queue"; return 1; }
}

# toggles BS QD SIZE [MOVES]: fio crc32c verify in the background while
# every I/O queue moves to nicsim1 and back, up to MOVES times (20); fio
# clean, every move done, no reconnect, the device counted the moves.
toggles() {
	local bs=$1 qd=$2 size=$3 max=${4:-20} dev pid n=0 bad=0 ev0 ev1 rc=0 mark=$NVO_DMESG_MARK
	local least=$((max < 4 ? max : 4))
	dev=$(host_ns_dev "$NQN" 1) || return 1
	ev0=$(nl_raw stats-get scope=device dev-id="$DEVID" | tr ' ' '\n' | sed -n "s/^counters\.offload-events=//p")
	dmesg_mark
	fio_verify "$dev" --bs="$bs" --iodepth="$qd" --size="$size" >/tmp/nvo-live-fio.log 2>&1 &
	pid=$!
	sleep 1
	while kill -0 $pid 2>/dev/null && [ $n -lt "$max" ]; do
		if [ $((n % 2)) -eq 0 ]; then move on || bad=$((bad + 1)); else move off || bad=$((bad + 1)); fi
		n=$((n + 1))
		sleep 0.2
	done
	wait $pid || { msg "fio verify failed"; tail -n 20 /tmp/nvo-live-fio.log | sed 's/^/# fio: /'; rc=1; }
	[ $((n % 2)) -eq 0 ] || move off || bad=$((bad + 1))
	ev1=$(nl_raw stats-get scope=device dev-id="$DEVID" | tr ' ' '\n' | sed -n "s/^counters\.offload-events=//p")
	msg "$n moves of $NIOQ queues under fio bs=$bs iodepth=$qd, $bad refused; offload events ${ev0:-?} -> ${ev1:-?}"
	[ "$bad" -eq 0 ] && [ $n -ge "$least" ] || rc=1
	[ -z "$ev0" ] || [ $((ev1 - ev0)) -ge $(((n + 1) / 2 * NIOQ)) ] || { msg "offloads not counted"; rc=1; }
	if dmesg_grep_since_mark 'nvme nvme[0-9]+: (Reconnecting|.*error recovery|.*reset)' >/dev/null; then
		msg "the host noticed: $(dmesg_grep_since_mark 'nvme nvme[0-9]+:' | head -n 3)"
		rc=1
	fi
	NVO_DMESG_MARK=$mark
	queues_where 0 "$NIOQ" || rc=1
	return $rc
}

disconnect() { host_gone; }

# A queue nicsim1 took at its connect (policy on) stays with it: its QP is
# the device's.
test_at_connect_stays() {
	local id rc=0
	disconnect || return 1
	bind on || return 1
	connect || return 1
	queues_where "$NIOQ" 0 || return 1
	id=$(nl_raw -d queue-get port-id=1 | grep ' qid=1 ' | sed -n 's/^[^ ]* id=\([0-9]*\) .*/\1/p')
	nl_err EOPNOTSUPP queue-set id="$id" offload=off || rc=1
	queues_where "$NIOQ" 0 || rc=1
	disconnect || rc=1
	bind off || rc=1
	return $rc
}

# The device's engine crashes while it has the queues, under fio: they end
# (no record), the host reconnects to software queues (policy off).
test_crash() {
	local dev f0 rc=0
	connect || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	move on || return 1
	queues_where "$NIOQ" 0 || return 1
	f0=$(nic rdma_failed)
	fio_start "$dev" 20 || return 1
	echo 1 >"$NICSIM_DBG/crash" || rc=1
	fio_wait 90 || rc=1
	msg "queues failed by the crash: $(($(nic rdma_failed) - f0)) (want $NIOQ)"
	[ "$(nic rdma_failed)" -ge $((f0 + NIOQ)) ] || rc=1
	wait_for 30 state_is live || { msg "state: $(ctrl_state)"; return 1; }
	wait_for 10 queues_where 0 "$NIOQ" >/dev/null || queues_where 0 "$NIOQ" || rc=1
	[ $rc -eq 0 ] || return 1
	verify --bs=4k --iodepth=16 --size=8M
}

# A give-back the device ignores (reclaim_hang): it is killed at the
# reclaim deadline and answers without a record, so the queue's connection
# ends; the host reconnects to software queues; fio clean.
test_reclaim_hang() {
	local dev mark=$NVO_DMESG_MARK rc=0
	dev=$(host_ns_dev "$NQN" 1) || return 1
	move on || return 1
	queues_where "$NIOQ" 0 || return 1
	dmesg_mark
	fio_start "$dev" 20 || return 1
	echo 1 >"$NICSIM_DBG/reclaim_hang" || return 1
	deadline "$RECLAIM_DEFAULT"
	move off || { msg "queue-set off failed"; rc=1; }
	deadline 30000
	echo 0 >"$NICSIM_DBG/reclaim_hang"
	[ "$(dmesg_grep_since_mark 'nicsim1 missed the reclaim deadline' | grep -c .)" -ge 1 ] ||
		{ msg "no kill at the deadline"; rc=1; }
	wait_for 30 state_is live || { msg "state: $(ctrl_state)"; rc=1; }
	fio_wait 90 || rc=1
	NVO_DMESG_MARK=$mark
	wait_for 10 queues_where 0 "$NIOQ" >/dev/null || queues_where 0 "$NIOQ" || rc=1
	[ $rc -eq 0 ] || return 1
	verify --bs=4k --iodepth=16 --size=8M
}

dev_failed() { [ "$(field "$(nl_raw dev-get name=nicsim1)" state)" = failed ]; }

# A device that answers neither the give-back nor the kill (kill_hang):
# queue-set says so (ETIMEDOUT), the connection ends, the device is failed
# and unbound, the queue parked; the host recovers on software queues, fio
# clean; deleting the device releases the parked queues. A new nicsim1 is
# bound (policy off) for what follows.
test_kill_hang() {
	local dev out n l mark=$NVO_DMESG_MARK rc=0
	dev=$(host_ns_dev "$NQN" 1) || return 1
	move on || return 1
	queues_where "$NIOQ" 0 || return 1
	dmesg_mark
	fio_start "$dev" 20 || return 1
	echo 1 >"$NICSIM_DBG/kill_hang" || return 1
	deadline "$RECLAIM_DEFAULT"
	out=$(nl_raw queue-set ctrl-id="$(cat "/sys/class/nvme/$(ctrl)/cntlid")" offload=off 2>&1)
	msg "queue-set off: $out"
	# nl_raw names no ETIMEDOUT: its number
	grep -q '^error=.* errno=110 msg="[^"]' <<<"$out" || rc=1
	wait_for 20 dev_failed || { msg "nicsim1 not failed within 20 s"; rc=1; }
	l=$(nl_raw port-get id=1)
	[ -z "$(field "$l" dev-id)" ] || { msg "port 1 still bound: $l"; rc=1; }
	wait_for 30 state_is live || { msg "state: $(ctrl_state)"; rc=1; }
	fio_wait 90 || rc=1
	# The first queue froze at its give-back; the others may answer (the
	# host's recovery moves their QPs to error: a lent queue that sees
	# flushes it did not cause fails, without a record).
	n=$(dmesg_grep_since_mark 'nicsim1 answered no kill: parked' | grep -c .)
	msg "queues parked: $n (want 1 at least)"
	[ "$n" -ge 1 ] || rc=1
	NICSIM_DBG=/nonexistent queues_where 0 "$NIOQ" || rc=1
	verify --bs=4k --iodepth=16 --size=8M || rc=1
	nicsim_del || rc=1
	l=$(dmesg_grep_since_mark 'gave the parked queue back: released' | grep -c .)
	msg "parked queues released at the deletion: $l"
	[ "$l" -eq "$n" ] || rc=1
	NVO_DMESG_MARK=$mark
	deadline 30000
	nicsim_new && bind off || rc=1
	return $rc
}

# now_ms: milliseconds since boot, to 10 ms (busybox's date has no %N).
now_ms() {
	local up
	read -r up _ </proc/uptime
	echo $((10#${up/./} * 10))
}
# ms_since T0: milliseconds since T0 (now_ms).
ms_since() { echo $(($(now_ms) - $1)); }

# reads_ms DEV: the milliseconds 20 direct 4k reads take, one at a time.
reads_ms() {
	local t0
	t0=$(now_ms)
	fio --name=nvo-lat --filename="$1" --ioengine=psync --direct=1 \
		--allow_file_create=0 --rw=read --bs=4k --size=80k >/dev/null || return 1
	ms_since "$t0"
}

# extra_latency_us and slow_reclaim_ms on lent queues: moves under fio
# verify stay clean (2 ms, 500 ms); the device's own I/O is slowed (20
# reads one at a time take 500 ms more with 50 ms each than with none,
# measured just before); a give-back lasts slow_reclaim_ms (2 s, below the
# 30 s deadline) at least, parking meanwhile (one takes ~0.4 s without).
test_slow_faults() {
	local dev t0 ms base rc=0
	dev=$(host_ns_dev "$NQN" 1) || return 1
	echo 2000 >"$NICSIM_DBG/extra_latency_us" || return 1
	echo 500 >"$NICSIM_DBG/slow_reclaim_ms" || return 1
	toggles 4k 32 64M 10 || rc=1
	echo 0 >"$NICSIM_DBG/extra_latency_us"
	if move on && queues_where "$NIOQ" 0; then
		base=$(reads_ms "$dev") || rc=1
		echo 50000 >"$NICSIM_DBG/extra_latency_us"
		ms=$(reads_ms "$dev") || rc=1
		echo 0 >"$NICSIM_DBG/extra_latency_us"
		msg "20 reads of 4k one at a time, offloaded: ${base:-?} ms; with 50 ms of extra latency ${ms:-?} ms (want 500 more at least: 1,000 expected)"
		[ $((${ms:-0} - ${base:-0})) -ge 500 ] || rc=1
		echo 2000 >"$NICSIM_DBG/slow_reclaim_ms"
		t0=$(now_ms)
		move off || rc=1
		ms=$(ms_since "$t0")
		msg "move off (give-back of $NIOQ queues) with slow_reclaim_ms 2000: $ms ms (want 2000 at least)"
		[ "$ms" -ge 2000 ] || rc=1
	else
		rc=1
	fi
	echo 0 >"$NICSIM_DBG/extra_latency_us"
	echo 0 >"$NICSIM_DBG/slow_reclaim_ms"
	queues_where 0 "$NIOQ" || rc=1
	return $rc
}

# offload_delay_ms: each take waits that long before it touches the queue
# (the shim's CQ handler already calls the device); moves under fio stay
# clean (300 ms); a take lasts it at least (1 s).
test_offload_delay() {
	local t0 ms rc=0
	echo 300 >"$NICSIM_DBG/offload_delay_ms" || return 1
	toggles 4k 32 32M 6 || rc=1
	echo 1000 >"$NICSIM_DBG/offload_delay_ms"
	t0=$(now_ms)
	move on || rc=1
	ms=$(ms_since "$t0")
	msg "move on (take of $NIOQ queues) with offload_delay_ms 1000: $ms ms (want 1000 at least)"
	[ "$ms" -ge 1000 ] || rc=1
	queues_where "$NIOQ" 0 || rc=1
	move off || rc=1
	echo 0 >"$NICSIM_DBG/offload_delay_ms"
	queues_where 0 "$NIOQ" || rc=1
	return $rc
}

# Moves racing the host's disconnect: every one ends (done, or refused as
# closing), no queue and no QP are left.
test_race_disconnect() {
	local i pid
	( for i in $(seq 40); do move on; move off; done ) >/dev/null 2>&1 &
	pid=$!
	sleep 1
	disconnect || { kill $pid 2>/dev/null; return 1; }
	wait_for 60 eval "! kill -0 $pid 2>/dev/null" ||
		{ msg "moves still running after 60 s"; kill $pid; return 1; }
	wait $pid
	no_rdma_queues && qps_gone
}

# nicsim1 removed while it has the queues, under fio: they come back live
# (its unregister reclaims them), the host does not reconnect.
test_device_removed() {
	local dev l mark=$NVO_DMESG_MARK rc=0
	connect || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	move on || return 1
	queues_where "$NIOQ" 0 || return 1
	dmesg_mark
	fio_start "$dev" 15 || return 1
	sleep 2
	nicsim_del || rc=1
	l=$(nl_raw port-get id=1)
	msg "port 1 after: $l"
	[ -z "$(field "$l" dev-id)" ] || { msg "port still bound"; rc=1; }
	queues_where 0 "$NIOQ" || rc=1
	fio_wait 60 || rc=1
	if dmesg_grep_since_mark 'nvme nvme[0-9]+: (Reconnecting|.*error recovery)' >/dev/null; then
		msg "the host reconnected"
		rc=1
	fi
	NVO_DMESG_MARK=$mark
	[ $rc -eq 0 ] || return 1
	verify --bs=4k --iodepth=16 --size=8M || return 1
	disconnect
}

test_unload() {
	_nvo_rmmod nicsim_rdma || return 1
	_nvo_rmmod nicsim || return 1
	nvmet_port_remove 1 || return 1
	rdma_transport_unload || return 1
	[ ! -d /sys/module/nvmet_offload_rdma ]
}

ktap_print_header
ktap_set_plan 17
trap cleanup EXIT
msg "transport: $(nvo_transport)"
if [ "$(nvo_transport)" = stock ]; then
	for i in $(seq 17); do
		ktap_test_skip "rdma live subtest $i" "stock nvmet-rdma has no offload"
	done
	ktap_finished
fi
dmesg_mark

step "rxe0 up, target on port 1 ($RDMA_ADDR:$PORT, inline $INLINE), nicsim1 with nicsim_rdma" test_setup
step "port-set: port 1 bound to nicsim1, policy off" bind off
step "connect: every I/O queue in software" test_connect_software
step "queue-set: the admin queue stays (EINVAL), an unknown queue is none (ENOENT)" test_refusals
step "queue-set on: every I/O queue moves to nicsim1 live, which executes fio crc32c verify bs=4k iodepth=32" test_move_on
step "queue-set off: back in software, nvmet executes fio verify, nicsim1 nothing" test_move_off
step "20 moves of every I/O queue under fio crc32c verify bs=4k iodepth=32: clean, no reconnect, counted" toggles 4k 32 64M
step "20 moves of every I/O queue under fio crc32c verify bs=1M iodepth=4: clean, no reconnect" toggles 1M 4 256M
step "a queue taken at connect (policy on) does not move (EOPNOTSUPP)" test_at_connect_stays
step "the device's engine crashes under fio while it has the queues: they end, the host reconnects to software, fio clean" test_crash
step "reclaim_hang: a give-back the device ignores is killed at the deadline, the connection ends, the host reconnects to software; fio clean" test_reclaim_hang
step "kill_hang: queue-set off says ETIMEDOUT, the device is failed and unbound, its queues parked; fio clean; the deletion releases them" test_kill_hang
step "extra_latency_us and slow_reclaim_ms on lent queues: 10 moves under fio crc32c verify bs=4k iodepth=32, clean, no reconnect; own I/O slowed by the latency; a give-back lasts slow_reclaim_ms at least" test_slow_faults
step "offload_delay_ms: 6 moves under fio crc32c verify still clean; a take lasts the delay at least" test_offload_delay
step "moves racing the host's disconnect: no hang, no queue or QP left" test_race_disconnect
step "nicsim1 removed under fio while it has the queues: they come back live, no reconnect, fio clean" test_device_removed
step "nicsim_rdma, nicsim, port and transport unload" test_unload
ktap_finished
