#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 900
# nvo-append: slub_debug=U
#
# storm_offload_faults.sh - every nicsim fault knob and capability limit,
# one after the other and then several at once, while every I/O queue is
# switched between software and nicsim1 every ~150 ms and fio writes and
# verifies back to back (crc32c, iodepth 32, 4k-64k blocks) without a pause.
# The host must see nothing: zero I/O errors, zero mismatches, no reset.
# Every fallback must be counted with its reason: the queues' and the
# device's fallback counters move together with the queue-fallback events
# of "nicctl -j monitor", each knob shows the reason it causes, no event is
# lost. Then the queues return to software, the host disconnects and slab
# caches, memory and module counters are back at baseline, kernel log clean.
# Last, nicsim1 itself is deleted and created again under the same fio and
# toggles (NVO_STORM_DEVICE_ROUNDS, default 10): each time its queues come
# back to software (dev-removed), counted as such, the host sees nothing.
# NVO_STORM_FAULT_SECS (default 12) per knob; NVO_STORM_SCALE multiplies it.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/storm.sh
. "$DIR/lib/storm.sh"
# shellcheck source=lib/nl_monitor.sh
. "$DIR/lib/nl_monitor.sh"
# last: its EXIT trap undoes the target and nicsim
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:storm-faults
SECS=${NVO_STORM_FAULT_SECS:-$(storm_scale 12)}
DEVROUNDS=${NVO_STORM_DEVICE_ROUNDS:-$(storm_scale 10)}
DBG=$OQ_DBG
SIM=/sys/kernel/debug/nicsim/nicsim1
MON=$STORM_TMP/monitor.jsonl
# fio's region in LBAs (null_blk's 4 KiB blocks): the LBA-range knob must
# hit it
FIO_LBA0=$((64 * 256))
# name, knob settings ("knob=value ..."; re-armed every second), reason the
# fallbacks must show ("-": none expected), what else must move
PHASES=(
	"refuse_next_offload|refuse_next_offload=2|refused"
	"fail_queue_after|fail_queue_after=40|queue-failed"
	"backend_error_every|backend_error_every=60|queue-failed"
	"backend_error_lba|backend_error_lba_start=$((FIO_LBA0 + 64)) backend_error_lba_end=$((FIO_LBA0 + 1024))|queue-failed"
	"extra_latency_us|extra_latency_us=3000|-"
	"slow_reclaim_ms|slow_reclaim_ms=300|-"
	"crash|crash=1|dev-failed"
	"io_opcodes=0 (punt all)|io_opcodes=0x0|-"
	"max_io_size=8k (punt large)|max_io_size=8192|-"
	"max_queues=1|max_queues=1|refused"
	"all at once|fail_queue_after=30 backend_error_every=50 extra_latency_us=1000 slow_reclaim_ms=100 refuse_next_offload=1|queue-failed"
)
DEFAULTS="refuse_next_offload=0 fail_queue_after=0 backend_error_every=0 backend_error_lba_start=0 backend_error_lba_end=0 extra_latency_us=0 slow_reclaim_ms=0 io_opcodes=0x107 max_io_size=131072 max_queues=64"

knobs_set() {
	local kv
	for kv in $1; do
		echo "${kv#*=}" >"$SIM/${kv%%=*}" 2>/dev/null ||
			msg "cannot set ${kv%%=*} to ${kv#*=}"
	done
}

# queue-fallback events in the monitor's output from line FROM on, with
# reason REASON (any if empty)
mon_fallbacks() {
	tail -n +"$1" "$MON" | grep '"event":"queue-fallback"' |
		{ if [ -n "${2:-}" ]; then grep -c "\"reason\":\"$2\""; else grep -c .; fi; }
}
dev_counter() {
	nicctl -j stats show dev nicsim1 2>/dev/null | grep -o "\"$1\":[0-9]*" | head -n1 | cut -d: -f2
}
# I/O queue counters: column 18 offloads, 19 reclaims, 20 fallbacks
q_sum() { oq_sum "$1"; }

ktap_print_header
ktap_set_plan $((${#PHASES[@]} + 10))
thp_off
msg "${SECS}s per knob, ${#PHASES[@]} knobs, queues toggled every ~150 ms"

offload_target_setup "$NQN"
# shellcheck disable=SC2034 # lib/tcp_test.sh's, for storm_wait_io
TCP_NULLB=/dev/nullb0
echo "1 on nicsim1" >"$DBG/port_offload" || ktap_exit_fail_msg "cannot bind nicsim1"
quiet modprobe nvme-tcp || ktap_exit_fail_msg "no nvme-tcp host"
storm_connect "$NQN" --nr-io-queues=2 || ktap_exit_fail_msg "first connect failed"
ktap_test_result "data written before the storm (${STORM_GOLDEN_MB} MiB, crc32c)" \
	storm_golden_write "$(host_ns_dev "$NQN" 1)"
quiet host_disconnect "$NQN"
wait_for 10 tcp_port_idle "$STORM_PORT"
storm_leak_baseline
storm_klog_mark

# shellcheck disable=SC2034 # read by the condition wait_for evals
listeners=$(nl_listeners)
nicctl -j monitor >"$MON" 2>"$MON.err" &
mon_pid=$!
nl_wait_listener "$listeners" 100 || msg "nicctl monitor did not join its group"

storm_connect "$NQN" --nr-io-queues=2 || ktap_exit_fail_msg "connect failed"
dev=$(host_ns_dev "$NQN" 1)
oq_wait_all offloaded 15 || ktap_exit_fail_msg "queues were not offloaded"
f0=$(q_sum 20)
o0=$(q_sum 18)
r0=$(q_sum 19)
d0=$(dev_counter fallback_events)
t0=$(storm_now)

# the toggler: every I/O queue off, then on, then off...
storm_toggler_start 0.15
# runs until stopped after the last phase (the time is a backstop)
storm_fio_loop_start faults "$dev" $((SECS * ${#PHASES[@]} * 3)) \
	--size=16M --iodepth=32 --bsrange=4k-64k

for p in "${PHASES[@]}"; do
	IFS='|' read -r name set reason <<<"$p"
	line=$(($(wc -l <"$MON") + 1))
	pf0=$(q_sum 20)
	pu0=$(dev_counter punted_cmds)
	end=$((SECONDS + SECS))
	while [ $SECONDS -lt $end ] && kill -0 "$STORM_LOOP_PID" 2>/dev/null; do
		knobs_set "$set"
		sleep 1
	done
	knobs_set "$DEFAULTS"
	sleep 1
	n=$(($(q_sum 20) - pf0))
	got=$(mon_fallbacks "$line" "")
	want=0
	[ "$reason" != - ] && want=$(mon_fallbacks "$line" "$reason")
	reasons=$(tail -n +"$line" "$MON" | grep '"event":"queue-fallback"' |
		grep -o '"reason":"[^"]*"' | cut -d'"' -f4 | sort | uniq -c | awk '{ printf "%s%s=%s", s, $2, $1; s = "," }')
	msg "$name: $n fallbacks counted, $got events (${reasons:-none})"
	ok=1
	if [ "$reason" != - ] && [ "$want" -eq 0 ]; then
		msg "$name: no fallback with reason $reason"
		ok=0
	fi
	case $name in
	io_opcodes*|max_io_size*)
		# the device punted what it was told not to execute
		pu=$(dev_counter punted_cmds)
		msg "$name: device punted $((pu - pu0)) commands"
		[ "$pu" -gt "$pu0" ] || { msg "$name: nothing punted ($pu0 -> $pu)"; ok=0; }
		;;
	esac
	kill -0 "$STORM_LOOP_PID" 2>/dev/null || { msg "$name: fio loop already ended"; ok=0; }
	desc="$name: fio verify running clean"
	[ "$reason" != - ] && desc+=", fallbacks with reason $reason counted ($want)"
	if [ $ok = 1 ]; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi
done

# the device's counter and the queues' agree so far (the device's own
# counters restart when it is created again below)
dev_fb=$(($(dev_counter fallback_events) - d0))
q_fb=$(($(q_sum 20) - f0))

# nicsim1 deleted and created again: its queues come back (dev-removed)
line=$(($(wc -l <"$MON") + 1))
pf0=$(q_sum 20)
derr=0
for _ in $(seq 1 "$DEVROUNDS"); do
	kill -0 "$STORM_LOOP_PID" 2>/dev/null || break
	echo 1 >/sys/bus/nicsim/del_device || derr=$((derr + 1))
	sleep 0.5
	echo "1 2" >/sys/bus/nicsim/new_device || derr=$((derr + 1))
	echo "1 on nicsim1" >"$DBG/port_offload" || derr=$((derr + 1))
	sleep 1
done
sleep 1
n=$(($(q_sum 20) - pf0))
want=$(mon_fallbacks "$line" dev-removed)
msg "device removed $DEVROUNDS times: $n fallbacks counted, $want dev-removed events, $derr errors"
storm_report offload-device-removal "rounds=$DEVROUNDS errors=$derr fallbacks=$n dev_removed_events=$want"
if [ $derr -eq 0 ] && [ "$want" -gt 0 ] && kill -0 "$STORM_LOOP_PID" 2>/dev/null; then
	ktap_test_pass "nicsim1 deleted and re-created $DEVROUNDS times: fio running clean, fallbacks dev-removed ($want)"
else
	ktap_test_fail "nicsim1 deleted and re-created $DEVROUNDS times: $derr errors, $want dev-removed fallbacks"
fi

fio_ok=1
storm_fio_loop_stop faults
storm_fio_loop_wait faults || fio_ok=0
storm_toggler_stop
secs=$(storm_since "$t0")
toggles=$STORM_TOGGLE_ROUNDS
fb=$(($(q_sum 20) - f0))
offl=$(($(q_sum 18) - o0))
recl=$(($(q_sum 19) - r0))
oq_toggle_all off
oq_wait_all software 20 || msg "queues not back in software"
sleep 1
kill "$mon_pid" 2>/dev/null
wait "$mon_pid" 2>/dev/null
events=$(grep -c '"event":"queue-fallback"' "$MON")
lost=$(grep -c '"event":"lost"' "$MON")
mism=$(storm_mismatches "$STORM_TMP/faults.fio" "$STORM_TMP/faults.fail")
storm_report offload-faults "knobs=${#PHASES[@]} time=${secs}s toggle_rounds=$toggles offloads=$offl" \
	"reclaims=$recl fallbacks=$fb fallback_events=$events lost=$lost" \
	"before_device_removal: queues=$q_fb device=$dev_fb" \
	"fio_runs=$STORM_LOOP_RUNS verified_mib=$STORM_LOOP_MIB mismatches=$mism"

if [ $fio_ok = 1 ] && [ "$STORM_LOOP_RUNS" -gt 0 ] && [ "$mism" -eq 0 ]; then
	ktap_test_pass "fio verify clean in $STORM_LOOP_RUNS back-to-back runs ($STORM_LOOP_MIB MiB verified), 0 mismatches"
else
	ktap_test_fail "fio verify through the storm: $STORM_LOOP_RUNS clean runs, $mism mismatches"
fi
if [ "$offl" -ge 20 ] && [ "$recl" -ge 20 ]; then
	ktap_test_pass "queues moved both ways ($offl offloads, $recl reclaims in $toggles toggle rounds)"
else
	ktap_test_fail "queues moved both ways ($offl offloads, $recl reclaims in $toggles toggle rounds)"
fi
# The queues' counter, the device's and the events agree.
if [ "$fb" -gt 0 ] && [ "$lost" -eq 0 ] && [ "$events" -eq "$fb" ] &&
	[ "$dev_fb" -eq "$q_fb" ]; then
	ktap_test_pass "every fallback counted with its reason ($fb: queues, device and events agree)"
else
	ktap_test_fail "every fallback counted with its reason: queues $fb, events $events, lost $lost; before device removal queues $q_fb, device $dev_fb"
	sed 's/^/# /' "$MON.err" | head -n 5
fi
if dmesg_since_mark | grep -E 'nvme nvme[0-9]+: (I/O|.*timeout|.*reset|.*reconnect)|Buffer I/O error' >"$STORM_TMP/host.err"; then
	ktap_test_fail "no host I/O error, timeout, reset or reconnect"
	head -n 10 "$STORM_TMP/host.err" | sed 's/^/# /'
else
	ktap_test_pass "no host I/O error, timeout, reset or reconnect"
fi

ok=1
storm_golden_verify "$(host_ns_dev "$NQN" 1)" || ok=0
quiet host_disconnect "$NQN" || ok=0
[ $ok = 1 ] && ktap_test_pass "data written before the storm intact" ||
	ktap_test_fail "data written before the storm intact"
storm_final_checks

ktap_finished
