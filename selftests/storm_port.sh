#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 900
# nvo-append: slub_debug=U
#
# storm_port.sh - nvmet ports added and removed under I/O.
#  1. A second port (4421), which the host does not use, is created, enabled
#     (subsystem linked), disabled and removed over and over for
#     NVO_STORM_PORT_SECS (default 60) while fio verifies back to back on
#     the first: every fio run clean.
#  2. The port the host IS connected to is removed under fio, in rounds
#     (NVO_STORM_PORT_ROUNDS, default 6), alternately
#     - "gone": the host gives up (ctrl-loss-tmo 3 s): its I/O fails, its
#       controller goes; then the port is re-added, the host reconnects;
#     - "back": the port returns within 3 s: the host reconnects by itself
#       and the interrupted fio completes clean.
#     The target must neither crash nor hang nor leak; data written before
#     the storm is re-verified after every round.
# On our transport, rounds 3, 4 (and every 4 after) of part 2 run with the
# port bound to nicsim1: the port goes away under offloaded queues (with
# fewer than 4 rounds, round 2 does).
# Then: no target socket left, slab caches and memory at baseline, kernel
# log clean. NVO_STORM_SCALE multiplies the defaults.
#
# Usage: storm_port.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/storm.sh
. "$DIR/lib/storm.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:storm-port
SECS=${NVO_STORM_PORT_SECS:-$(storm_scale 60)}
ROUNDS=${NVO_STORM_PORT_ROUNDS:-$(storm_scale 6)}
PORT2=4421

# the offload policy belongs to the port: a re-created port gets it again
OFFL_NOW=off
port_up() {
	nvmet_port_create 1 "$STORM_ADDR" "$STORM_PORT" ipv4 && nvmet_port_link 1 "$NQN" &&
		storm_offload_bind $OFFL_NOW
}
listening() { ss -Hltn "( sport = :$1 )" | grep -q .; }

ktap_print_header
ktap_set_plan 10
trap 'nvmet_cleanup; storm_offload_cleanup' EXIT
thp_off
msg "transport: $(nvo_transport); second port for ${SECS}s, $ROUNDS rounds on the host's port"

tcp_target_setup "$NQN" "$STORM_ADDR" "$STORM_PORT" ||
	ktap_exit_fail_msg "target setup failed"
quiet modprobe nvme-tcp || ktap_exit_fail_msg "no nvme-tcp host"
storm_offload_init
storm_golden_baseline "$NQN"

# --- 1. the other port ------------------------------------------------------
storm_connect "$NQN" --nr-io-queues=2 || ktap_exit_fail_msg "connect failed"
dev=$(host_ns_dev "$NQN" 1)
t0=$(storm_now)
storm_fio_loop_start port2 "$dev" "$SECS" --size=8M --iodepth=16
toggles=0
terr=0
while kill -0 "$STORM_LOOP_PID" 2>/dev/null; do
	# Odd rounds remove the whole port, even ones only disable it (unlink
	# the subsystem, the transport's remove_port) and enable it again.
	if [ -d "$NVMET_CFS/ports/2" ]; then
		nvmet_port_link 2 "$NQN" || terr=$((terr + 1))
		listening $PORT2 || { terr=$((terr + 1)); msg "port 2 enabled but not listening"; }
		if [ $((toggles % 2)) -eq 0 ]; then
			nvmet_port_unlink 2 "$NQN" || terr=$((terr + 1))
		else
			nvmet_port_remove 2 || terr=$((terr + 1))
		fi
	else
		{ nvmet_port_create 2 "$STORM_ADDR" $PORT2 ipv4 && nvmet_port_link 2 "$NQN"; } ||
			terr=$((terr + 1))
		listening $PORT2 || { terr=$((terr + 1)); msg "port 2 created but not listening"; }
		nvmet_port_unlink 2 "$NQN" || terr=$((terr + 1))
	fi
	toggles=$((toggles + 1))
	[ $terr -gt 10 ] && { msg "too many configfs errors, stopping"; break; }
done
fio_ok=1
storm_fio_loop_wait port2 || fio_ok=0
secs=$(storm_since "$t0")
nvmet_port_remove 2
storm_report port-second "toggles=$toggles errors=$terr time=${secs}s fio_runs=$STORM_LOOP_RUNS verified_mib=$STORM_LOOP_MIB mismatches=$(storm_mismatches "$STORM_TMP"/port2.f*)"
if [ $fio_ok = 1 ] && [ "$STORM_LOOP_RUNS" -gt 0 ]; then
	ktap_test_pass "second port: $toggles add/remove under I/O, $STORM_LOOP_RUNS fio runs verified clean"
else
	ktap_test_fail "second port: $toggles add/remove under I/O, fio verify after $STORM_LOOP_RUNS clean runs"
fi
if [ $terr -eq 0 ] && [ $toggles -ge 10 ] && ! listening $PORT2; then
	ktap_test_pass "second port: every add/remove took effect, nothing listens after"
else
	ktap_test_fail "second port: $terr configfs errors in $toggles toggles (listening after: $(listening $PORT2 && echo yes || echo no))"
fi
quiet host_disconnect "$NQN"

# --- 2. the host's own port -------------------------------------------------
# round MODE: MODE gone or back; returns 0 when the round behaved as the
# mode expects. Sets R_FIO (fio exit: 0, 1 or 124).
round() {
	local mode=$1 tmo=3 rc=0
	[ "$mode" = back ] && tmo=60
	storm_connect "$NQN" --nr-io-queues=2 --reconnect-delay=1 --ctrl-loss-tmo=$tmo ||
		{ msg "$mode: connect failed"; return 1; }
	dev=$(host_ns_dev "$NQN" 1)
	storm_fio_start "own-$mode" "$dev" --size=32M --iodepth=16
	storm_wait_io "$TCP_NULLB" 30 || { msg "$mode: fio did not start"; rc=1; }
	# an offloaded round: its I/O queues on nicsim1, which executes fio's
	# commands (its counters, over netlink)
	if [ $OFFL_NOW = on ]; then
		if wait_for 10 eval '[ "$(storm_ioq_offloaded)" -gt 0 ]'; then
			OFFL_SEEN=$((OFFL_SEEN + 1))
		else
			msg "$mode: no I/O queue offloaded"
			rc=1
		fi
		wait_for 10 eval 'storm_nic_moved round >/dev/null' || storm_nic_moved "$mode" || rc=1
	fi
	nvmet_port_remove 1 || { msg "$mode: port removal failed"; rc=1; }
	wait_for 15 eval '[ "$(storm_ctrl_state "$NQN")" != live ]' ||
		{ msg "$mode: host controller still live with its port gone"; rc=1; }
	wait_for 10 tcp_port_idle "$STORM_PORT" ||
		{ msg "$mode: $(tcp_port_socks "$STORM_PORT") target sockets left without a port"; rc=1; }
	if [ "$mode" = gone ]; then
		# ctrl-loss-tmo: the host deletes the controller, fio gets errors
		wait_for 30 eval '! storm_ctrl "$NQN" >/dev/null' ||
			{ msg "gone: host controller still there: $(storm_ctrl_state "$NQN")"; rc=1; }
		storm_fio_wait "own-$mode" 60
		R_FIO=$?
		[ $R_FIO -eq 1 ] || { msg "gone: fio exit $R_FIO, expected I/O errors"; rc=1; }
		port_up || { msg "gone: port re-add failed"; return 1; }
		storm_connect "$NQN" || { msg "gone: reconnect failed"; return 1; }
	else
		sleep 2
		port_up || { msg "back: port re-add failed"; return 1; }
		wait_for 30 eval '[ "$(storm_ctrl_state "$NQN")" = live ]' ||
			{ msg "back: host did not reconnect: $(storm_ctrl_state "$NQN")"; rc=1; }
		storm_fio_wait "own-$mode" 120
		R_FIO=$?
		[ $R_FIO -eq 0 ] || { msg "back: interrupted fio did not complete clean (exit $R_FIO)"; rc=1; }
	fi
	[ "$(storm_mismatches "$STORM_TMP/own-$mode.fio")" -eq 0 ] ||
		{ msg "$mode: verify mismatches"; rc=1; }
	dev=$(host_ns_dev "$NQN" 1) && storm_golden_verify "$dev" ||
		{ msg "$mode: data written before not intact"; rc=1; }
	quiet host_disconnect "$NQN"
	return $rc
}

t0=$(storm_now)
gone_ok=0
gone_n=0
back_ok=0
back_n=0
fio_errors=0
mism=0
OFFL_SEEN=0
offl_rounds=0
for i in $(seq 1 "$ROUNDS"); do
	if [ $((i % 2)) -eq 1 ]; then mode=gone; else mode=back; fi
	OFFL_NOW=off
	# fewer than 4 rounds (the arm64 lane's 2): the even ones offloaded
	if [ -n "$STORM_OFFLOAD" ] &&
	   { [ $(((i - 1) % 4)) -ge 2 ] || { [ "$ROUNDS" -lt 4 ] && [ $((i % 2)) -eq 0 ]; }; }; then
		OFFL_NOW=on
		offl_rounds=$((offl_rounds + 1))
	fi
	storm_offload_bind $OFFL_NOW
	[ $OFFL_NOW = on ] && storm_nic_mark
	R_FIO=-
	if round $mode; then
		eval "${mode}_ok=\$((${mode}_ok + 1))"
	else
		msg "round $i ($mode) failed"
		# the next round needs the port back and no host
		quiet host_disconnect_all
		[ -d "$NVMET_CFS/ports/1" ] || port_up
	fi
	eval "${mode}_n=\$((${mode}_n + 1))"
	[ "$R_FIO" = 1 ] && fio_errors=$((fio_errors + 1))
	mism=$((mism + $(storm_mismatches "$STORM_TMP/own-$mode.fio")))
done
secs=$(storm_since "$t0")
OFFL_NOW=off
storm_offload_bind off
storm_report port-own "rounds=$ROUNDS gone_ok=$gone_ok/$gone_n back_ok=$back_ok/$back_n" \
	"offloaded_rounds=$offl_rounds offload_seen=$OFFL_SEEN" \
	"fio_runs_with_io_errors=$fio_errors mismatches=$mism time=${secs}s"

if [ $gone_ok -eq $gone_n ] && [ $gone_n -gt 0 ]; then
	ktap_test_pass "host's port removed for good under I/O ($gone_n rounds): host errors, target clean, reconnect, data intact"
else
	ktap_test_fail "host's port removed for good under I/O: $gone_ok of $gone_n rounds as expected"
fi
if [ $back_ok -eq $back_n ] && [ $back_n -gt 0 ]; then
	ktap_test_pass "host's port removed and re-added under I/O ($back_n rounds): host reconnects, fio clean, data intact"
else
	ktap_test_fail "host's port removed and re-added under I/O: $back_ok of $back_n rounds as expected"
fi
[ $mism -eq 0 ] && ktap_test_pass "no verify mismatch in any round" ||
	ktap_test_fail "$mism verify mismatches"

ok=1
storm_connect "$NQN" && dev=$(host_ns_dev "$NQN" 1) && storm_golden_verify "$dev" || ok=0
quiet host_disconnect "$NQN" || ok=0
[ $ok = 1 ] && ktap_test_pass "data written before the storm intact at the end" ||
	ktap_test_fail "data written before the storm intact at the end"

storm_final_checks

ktap_finished
