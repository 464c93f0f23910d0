#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 900
# nvo-append: slub_debug=U
#
# storm_reset.sh - the host resets its controller (nvme reset /dev/nvmeX)
# over and over while fio writes and verifies back to back (crc32c,
# iodepth 32): the host requeues what the reset interrupted, so every fio
# run must end clean. Twice: with the I/O queues in software, then (on our
# transport) with the port bound to a nicsim device so that each reset's
# new I/O queues are offloaded again (and the old ones torn down while
# offloaded). NVO_STORM_RESET_SECS (default 45) per part; a reset every
# NVO_STORM_RESET_GAP (default 2) seconds once the previous one is done.
# Then: data written before intact, no target socket left, slab caches,
# memory and the module's counters at baseline, kernel log clean.
#
# Usage: storm_reset.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/storm.sh
. "$DIR/lib/storm.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:storm-reset
SECS=${NVO_STORM_RESET_SECS:-$(storm_scale 45)}
GAP=${NVO_STORM_RESET_GAP:-2}
DBG=/sys/kernel/debug/nvmet_offload
SIM=/sys/kernel/debug/nicsim/nicsim1


# storm PART OFFLOADED [toggle]: fio loop and resets (and the toggler); prints its report line; returns
# 0 when fio stayed clean and every reset brought the controller back.
RESETS=0
storm() {
	local part=$1 offl=$2 toggle=${3:-} ctrl dev t0 rc=0 failed=0 reoffl=0 secs
	local trounds=0 recovering=0 st
	storm_connect "$NQN" --nr-io-queues=2 --reconnect-delay=1 --ctrl-loss-tmo=60 ||
		{ msg "$part: connect failed"; return 1; }
	ctrl=$(storm_ctrl "$NQN")
	dev=$(host_ns_dev "$NQN" 1)
	if [ "$offl" = 1 ] && ! oq_wait_all offloaded 15; then
		msg "$part: I/O queues not offloaded: $(oq_states | tr '\n' ' ')"
		rc=1
	fi
	[ "$offl" = 1 ] && storm_nic_mark
	t0=$(storm_now)
	storm_fio_loop_start "$part" "$dev" "$SECS" --size=16M --iodepth=32
	if [ -n "$toggle" ]; then
		echo 100 >"$SIM/slow_reclaim_ms"
		storm_toggler_start 0.3
	fi
	RESETS=0
	while kill -0 "$STORM_LOOP_PID" 2>/dev/null; do
		sleep "$GAP"
		kill -0 "$STORM_LOOP_PID" 2>/dev/null || break
		# The host refuses a reset unless its controller is live: it may
		# be recovering on its own (an I/O timeout on a starved debug
		# kernel). Only a refusal while live counts as a failure.
		if ! wait_for 60 eval '[ "$(storm_ctrl_state "$NQN")" = live ]'; then
			msg "$part: controller not live 60 s before reset $((RESETS + 1)): $(storm_ctrl_state "$NQN")"
			failed=$((failed + 1))
			break
		fi
		if ! quiet nvme reset "/dev/$ctrl"; then
			st=$(storm_ctrl_state "$NQN")
			msg "$part: nvme reset refused, controller $st"
			if [ "$st" = live ]; then
				failed=$((failed + 1))
				[ $failed -gt 5 ] && break
			else
				recovering=$((recovering + 1))
			fi
			continue
		fi
		RESETS=$((RESETS + 1))
		if ! wait_for 60 eval '[ "$(storm_ctrl_state "$NQN")" = live ]'; then
			msg "$part: controller not live 60 s after reset $RESETS: $(storm_ctrl_state "$NQN")"
			failed=$((failed + 1))
			break
		fi
		# the new I/O queues go to the device again
		if [ "$offl" = 1 ] && [ -z "$toggle" ]; then
			oq_wait_all offloaded 15 && reoffl=$((reoffl + 1))
		fi
	done
	storm_fio_loop_wait "$part" || { msg "$part: fio failed"; rc=1; }
	secs=$(storm_since "$t0")
	if [ -n "$toggle" ]; then
		storm_toggler_stop
		trounds=$STORM_TOGGLE_ROUNDS
		echo 0 >"$SIM/slow_reclaim_ms"
	fi
	[ $failed -eq 0 ] || { msg "$part: $failed resets failed"; rc=1; }
	[ $RESETS -ge 3 ] || { msg "$part: only $RESETS resets"; rc=1; }
	if [ "$offl" = 1 ] && [ -z "$toggle" ] && [ $reoffl -lt $RESETS ]; then
		msg "$part: I/O queues offloaded again after $reoffl of $RESETS resets"
		rc=1
	fi
	# from nicsim1's counters: the I/O queues of the first connect and of
	# every reset went to the device, and it executed fio's commands
	if [ "$offl" = 1 ]; then
		storm_nic_moved "$part" $((RESETS + 1)) || rc=1
		msg "$part: nicsim1 offload_events +$(($(storm_nic offload_events) - STORM_NIC_OFF0)), commands +$(($(storm_nic_io) - STORM_NIC_IO0))"
	fi
	storm_report "reset-$part" "resets=$RESETS failed=$failed host_recovering=$recovering reoffloaded=$reoffl toggle_rounds=$trounds time=${secs}s" \
		"fio_runs=$STORM_LOOP_RUNS verified_mib=$STORM_LOOP_MIB" \
		"mismatches=$(storm_mismatches "$STORM_TMP/$part.fio" "$STORM_TMP/$part.fail")"
	storm_golden_verify "$(host_ns_dev "$NQN" 1)" || { msg "$part: data not intact"; rc=1; }
	quiet host_disconnect "$NQN"
	return $rc
}

ktap_print_header
ktap_set_plan 8
thp_off
msg "transport: $(nvo_transport); ${SECS}s per part, a reset every ${GAP}s"

cleanup() {
	nvmet_cleanup >/dev/null 2>&1
	[ -d /sys/bus/nicsim ] && echo 1 >/sys/bus/nicsim/del_device 2>/dev/null
	rmmod nicsim 2>/dev/null
}
trap cleanup EXIT

tcp_target_setup "$NQN" "$STORM_ADDR" "$STORM_PORT" ||
	ktap_exit_fail_msg "target setup failed"
quiet modprobe nvme-tcp || ktap_exit_fail_msg "no nvme-tcp host"
storm_offload_init
offload=$STORM_OFFLOAD
storm_connect "$NQN" || ktap_exit_fail_msg "first connect failed"
ktap_test_result "data written before the storm (${STORM_GOLDEN_MB} MiB, crc32c)" \
	storm_golden_write "$(host_ns_dev "$NQN" 1)"
quiet host_disconnect "$NQN"
wait_for 10 tcp_port_idle "$STORM_PORT"
storm_leak_baseline
storm_klog_mark

ktap_test_result "software queues: fio verify clean across resets" storm software 0
if [ -n "$offload" ]; then
	if echo "1 on nicsim1" >"$DBG/port_offload"; then
		ktap_test_result "offloaded queues (nicsim1): fio verify clean across resets, queues offloaded again each time" \
			storm offloaded 1
		ktap_test_result "offloaded queues toggled every 300 ms, slow reclaims: fio verify clean across resets" \
			storm toggled 1 toggle
		echo "1 off" >"$DBG/port_offload"
	else
		ktap_test_fail "offloaded queues: cannot bind nicsim1 to port 1"
		ktap_test_fail "offloaded queues toggled: cannot bind nicsim1 to port 1"
	fi
else
	ktap_test_skip "offloaded queues: fio verify clean across resets" \
		"needs our transport and nicsim ($(nvo_transport))"
	ktap_test_skip "offloaded queues toggled: fio verify clean across resets" \
		"needs our transport and nicsim ($(nvo_transport))"
fi

ok=1
storm_connect "$NQN" && storm_golden_verify "$(host_ns_dev "$NQN" 1)" || ok=0
quiet host_disconnect "$NQN" || ok=0
[ $ok = 1 ] && ktap_test_pass "data written before the storm intact after a fresh connect" ||
	ktap_test_fail "data written before the storm intact after a fresh connect"
storm_final_checks

ktap_finished
