#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 900
# nvo-append: slub_debug=U
#
# storm_hostkill.sh - the host goes away in the middle of its I/O, again
# and again, and the target must clean up after it each time:
#  1. "disconnect": nvme disconnect while fio writes
#     (NVO_STORM_KILL_ROUNDS, default 8): the host aborts its requests and
#     closes the sockets mid-stream, mid-PDU or not.
#  2. "ss -K": the connections are destroyed by the socket layer (RST), the
#     host's end and the target's end in turn (4 rounds): needs a kernel
#     that destroys sockets (CONFIG_INET_DIAG_DESTROY, tcp_diag), tried on
#     a probe connection first, else skipped. The host recovers by itself
#     (reconnect).
#  3. "partition": loopback down for longer than the keep-alive timeout
#     (NVO_STORM_PARTITION_ROUNDS, default 2): the target's keep-alive
#     timer kills the controller while its sockets still hold unsent data;
#     lo comes back, the host reconnects, the requeued I/O completes.
#  4. "raw": a raw NVMe/TCP host (storm_raw_halfwrite, bash /dev/tcp)
#     connects an admin and an I/O queue, starts a 64 KiB write, sends half
#     of its data (by R2T + H2CData, or in the capsule) and exits
#     (NVO_STORM_RAW_ROUNDS, default 12): the target holds a half-received
#     command when the stream ends.
# On our transport, the second half of the "disconnect", "ss -K" and "raw" rounds
# run with the port bound to a nicsim device: the I/O queues are offloaded
# and nicsim's engine sees the stream end (fallback stream-lost).
# Each offloaded round asserts from nicsim1's counters (netlink) that the
# device took the round's I/O queues and executed its fio's commands (raw
# rounds: that it took queues at all).
# Each round: no hang, no verify mismatch, the target's sockets and queues
# gone, and the data written before the storm intact after reconnecting;
# in the "ss -K" and "partition" rounds, where the host recovers by itself,
# fio must also end without an I/O error.
# Then slab caches, memory and module counters at baseline, kernel log clean.
#
# Usage: storm_hostkill.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/storm.sh
. "$DIR/lib/storm.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:storm-hostkill
KILLS=${NVO_STORM_KILL_ROUNDS:-$(storm_scale 8)}
SSK=${NVO_STORM_SSK_ROUNDS:-$(storm_scale 4)}
PARTS=${NVO_STORM_PARTITION_ROUNDS:-$(storm_scale 2)}
RAWS=${NVO_STORM_RAW_ROUNDS:-$(storm_scale 12)}
MISM=0
DBG=/sys/kernel/debug/nvmet_offload
OFFLOAD=
# offload_on ROUND TOTAL: bind nicsim1 to port 1 from the second half on
OFFL_NOW=off
offload_on() {
	[ -n "$OFFLOAD" ] || return 0
	if [ "$1" -gt $(($2 / 2)) ]; then
		echo "1 on nicsim1" >"$DBG/port_offload"
		OFFL_NOW=on
		storm_nic_mark
	else
		echo "1 off" >"$DBG/port_offload"
		OFFL_NOW=off
	fi
}
offload_off() {
	OFFL_NOW=off
	[ -z "$OFFLOAD" ] || echo "1 off" >"$DBG/port_offload"
}
# seen_offloaded WHAT: in an offloaded round, wait for the I/O queues to be
# on the device before the host goes (counted in SEEN_OFFL), and for the
# device to have executed some of fio's commands; 1 if either does not
# happen
SEEN_OFFL=0
seen_offloaded() {
	[ "$OFFL_NOW" = on ] || return 0
	if ! wait_for 10 eval '[ "$(storm_ioq_offloaded)" -gt 0 ]'; then
		msg "$1: no I/O queue offloaded ($(oq_states | tr '\n' ' '))"
		return 1
	fi
	SEEN_OFFL=$((SEEN_OFFL + 1))
	wait_for 10 eval 'storm_nic_moved round >/dev/null' || storm_nic_moved "$1"
}
offloaded_rounds() {
	[ -n "$OFFLOAD" ] || { echo 0; return; }
	echo $(($1 - $1 / 2))
}

# target_clean: no connection left on the target's port, no queue listed
target_clean() {
	local rc=0
	wait_for 20 tcp_port_idle "$STORM_PORT" ||
		{ msg "$(tcp_port_socks "$STORM_PORT") target sockets left"; rc=1; }
	if [ "$(storm_module)" = nvmet_offload ]; then
		wait_for 20 eval '[ "$(storm_queue_rows)" -eq 0 ]' ||
			{ msg "nvmet_offload still lists $(storm_queue_rows) queues"; rc=1; }
	fi
	return $rc
}

# golden_check: connect if needed, verify the data written before, leave
# connected.
golden_check() {
	storm_ctrl "$NQN" >/dev/null || storm_connect "$NQN" || { msg "reconnect failed"; return 1; }
	storm_golden_verify "$(host_ns_dev "$NQN" 1)"
}

fio_bg() {
	storm_fio_start "$1" "$(host_ns_dev "$NQN" 1)" --size=32M --iodepth=16
	storm_wait_io "$TCP_NULLB" 30 || { msg "$1: fio did not start"; return 1; }
}

# 1. nvme disconnect under I/O.
kill_disconnect() {
	local i rc=0 ok=0 args
	for i in $(seq 1 "$KILLS"); do
		args="--nr-io-queues=2"
		[ $((i % 2)) -eq 0 ] && args="--nr-io-queues=1 --hdr-digest --data-digest"
		offload_on "$i" "$KILLS"
		# shellcheck disable=SC2086
		storm_connect "$NQN" $args || { msg "disconnect $i: connect failed"; rc=1; continue; }
		fio_bg kill || rc=1
		seen_offloaded "disconnect $i" || rc=1
		# at a random point of the stream
		sleep "0.$((RANDOM % 10))"
		storm_with_timeout 60 quiet host_disconnect "$NQN" || { msg "disconnect $i: hung or failed"; rc=1; }
		storm_fio_wait kill 60
		[ $? -eq 124 ] && rc=1
		MISM=$((MISM + $(storm_mismatches "$STORM_TMP/kill.fio")))
		target_clean || rc=1
		golden_check || rc=1
		quiet host_disconnect "$NQN"
		ok=$((ok + 1))
	done
	offload_off
	storm_report hostkill-disconnect "rounds=$KILLS done=$ok offloaded=$(offloaded_rounds "$KILLS")" \
		"seen_offloaded=$SEEN_OFFL mismatches=$MISM"
	SEEN_OFFL=0
	return $rc
}

# 2. ss -K on one end of every connection.
# Tried, not inferred from a module: ss -K exits 0 on a kernel that cannot
# destroy sockets, and a built-in tcp_diag has no /sys/module entry.
ssk_works() {
	local probe gone=0
	modprobe tcp_diag 2>/dev/null
	exec {probe}<>"/dev/tcp/127.0.0.1/$STORM_PORT" || return 1
	wait_for 5 eval 'ss -Htn state established "( dport = :$STORM_PORT )" | grep -q .'
	ss -K -tn "( dport = :$STORM_PORT )" >/dev/null 2>&1
	ss -Htn state established "( dport = :$STORM_PORT )" | grep -q . || gone=1
	exec {probe}>&-
	wait_for 10 tcp_port_idle "$STORM_PORT"
	[ $gone -eq 1 ]
}
kill_ssk() {
	local i rc=0 end filter clean=0
	for i in $(seq 1 "$SSK"); do
		offload_on "$i" "$SSK"
		storm_connect "$NQN" --nr-io-queues=2 --reconnect-delay=1 --ctrl-loss-tmo=60 ||
			{ msg "ss -K $i: connect failed"; rc=1; continue; }
		fio_bg ssk || rc=1
		seen_offloaded "ss -K $i" || rc=1
		if [ $((i % 2)) -eq 1 ]; then
			end=host
			filter="( dport = :$STORM_PORT )"
		else
			end=target
			filter="( sport = :$STORM_PORT )"
		fi
		quiet ss -K -tn "$filter" || { msg "ss -K $i failed"; rc=1; }
		wait_for 60 eval '[ "$(storm_ctrl_state "$NQN")" = live ]' ||
			{ msg "ss -K $i ($end): host not live again: $(storm_ctrl_state "$NQN")"; rc=1; }
		storm_fio_wait ssk 120
		case $? in
		0) clean=$((clean + 1)) ;;
		124) rc=1 ;;
		*) msg "ss -K $i ($end): fio saw errors"; rc=1 ;;
		esac
		MISM=$((MISM + $(storm_mismatches "$STORM_TMP/ssk.fio")))
		golden_check || rc=1
		quiet host_disconnect "$NQN"
		target_clean || rc=1
	done
	offload_off
	storm_report hostkill-ssk "rounds=$SSK offloaded=$(offloaded_rounds "$SSK") seen_offloaded=$SEEN_OFFL" \
		"fio_clean=$clean mismatches=$MISM"
	SEEN_OFFL=0
	return $rc
}

# 3. loopback down past the keep-alive timeout.
kill_partition() {
	local i rc=0 clean=0 t
	for i in $(seq 1 "$PARTS"); do
		storm_connect "$NQN" --nr-io-queues=2 --keep-alive-tmo=5 --reconnect-delay=1 \
			--ctrl-loss-tmo=120 || { msg "partition $i: connect failed"; rc=1; continue; }
		fio_bg part || rc=1
		# shellcheck disable=SC2034 # read by the condition wait_for evals
		storm_klog_mark_part=$(dmesg | wc -l)
		ip link set lo down
		t=$(storm_now)
		# the target's keep-alive timer ends the controller
		if ! wait_for 60 eval 'dmesg | tail -n +"$storm_klog_mark_part" | grep -q "keep-alive timer .* expired"'; then
			msg "partition $i: the target's keep-alive timer did not expire"
			rc=1
		fi
		sleep 2
		ip link set lo up
		msg "partition $i: lo down for $(storm_since "$t") s"
		wait_for 90 eval '[ "$(storm_ctrl_state "$NQN")" = live ]' ||
			{ msg "partition $i: host not live again: $(storm_ctrl_state "$NQN")"; rc=1; }
		storm_fio_wait part 120
		case $? in
		0) clean=$((clean + 1)) ;;
		124) rc=1 ;;
		*) msg "partition $i: fio saw errors"; rc=1 ;;
		esac
		MISM=$((MISM + $(storm_mismatches "$STORM_TMP/part.fio")))
		golden_check || rc=1
		quiet host_disconnect "$NQN"
		target_clean || rc=1
	done
	storm_report hostkill-partition "rounds=$PARTS fio_clean=$clean mismatches=$MISM"
	return $rc
}

# 4. a raw host that leaves a write half sent.
kill_raw() {
	local i rc=0 ok=0 mode err off0=
	for i in $(seq 1 "$RAWS"); do
		mode=r2t
		[ $((i % 2)) -eq 0 ] && mode=capsule
		offload_on "$i" "$RAWS"
		[ "$OFFL_NOW" = on ] && [ -z "$off0" ] && off0=$(storm_nic offload_events)
		if err=$(timeout 60 bash -c '. "$1"; storm_raw_halfwrite "${@:2}"' raw \
			"$DIR/lib/storm.sh" "$STORM_ADDR" "$STORM_PORT" "$NQN" $mode 2>&1); then
			ok=$((ok + 1))
		else
			msg "raw $i ($mode): $err"
			rc=1
		fi
		# the target ends both connections and the controller
		target_clean || rc=1
	done
	offload_off
	if [ -n "$off0" ] && [ "$(storm_nic offload_events)" -le "$off0" ]; then
		msg "raw: nicsim1 took no queue in the offloaded rounds (offload_events $off0)"
		rc=1
	fi
	storm_report hostkill-raw "rounds=$RAWS offloaded=$(offloaded_rounds "$RAWS") completed_to_the_cut=$ok"
	golden_check || rc=1
	quiet host_disconnect "$NQN"
	return $rc
}

ktap_print_header
ktap_set_plan 9
cleanup() {
	ip link set lo up
	nvmet_cleanup
	[ -d /sys/bus/nicsim ] && echo 1 >/sys/bus/nicsim/del_device 2>/dev/null
	rmmod nicsim 2>/dev/null
}
trap cleanup EXIT
thp_off
msg "transport: $(nvo_transport); $KILLS disconnects, $SSK ss -K, $PARTS partitions, $RAWS raw half-writes"

tcp_target_setup "$NQN" "$STORM_ADDR" "$STORM_PORT" ||
	ktap_exit_fail_msg "target setup failed"
quiet modprobe nvme-tcp || ktap_exit_fail_msg "no nvme-tcp host"
storm_offload_init
OFFLOAD=$STORM_OFFLOAD
storm_connect "$NQN" || ktap_exit_fail_msg "first connect failed"
ktap_test_result "data written before the storm (${STORM_GOLDEN_MB} MiB, crc32c)" \
	storm_golden_write "$(host_ns_dev "$NQN" 1)"
quiet host_disconnect "$NQN"
wait_for 10 tcp_port_idle "$STORM_PORT"
# What the rounds do to the machine once, whatever the target does, before
# the leak baseline: tcp_diag loaded (ss -K), loopback taken down and up
# (the partition rounds), so that only what grows per round is counted.
SSK_OK=
ssk_works && SSK_OK=1
ip link set lo down
sleep 1
ip link set lo up
wait_for 10 eval 'ss -Hltn "( sport = :$STORM_PORT )" | grep -q .'
storm_leak_baseline
storm_klog_mark

ktap_test_result "nvme disconnect under I/O, $KILLS rounds: no hang, target clean, data intact" \
	kill_disconnect
if [ -n "$SSK_OK" ]; then
	ktap_test_result "ss -K of the host's or the target's sockets under I/O, $SSK rounds: host back, target clean, data intact" \
		kill_ssk
else
	ktap_test_skip "ss -K under I/O" "the guest kernel cannot destroy sockets (CONFIG_INET_DIAG_DESTROY, tcp_diag)"
fi
ktap_test_result "loopback down past keep-alive under I/O, $PARTS rounds: target lets go, host back, data intact" \
	kill_partition
ktap_test_result "raw host exits halfway through a write's data, $RAWS rounds: target drops it cleanly, data intact" \
	kill_raw
[ $MISM -eq 0 ] && ktap_test_pass "no verify mismatch in any round" ||
	ktap_test_fail "$MISM verify mismatches"
if target_clean; then
	ktap_test_pass "no target connection or queue left"
else
	ktap_test_fail "no target connection or queue left"
fi
ktap_test_result "no leak: slab caches, memory and module counters at baseline" storm_leak_check
ktap_test_result "kernel log clean (no oops, warning, hung task, lockdep)" storm_klog_clean

ktap_finished
