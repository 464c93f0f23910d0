#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 900
# nvo-append: slub_debug=U
#
# storm_connect.sh - the kernel's nvme-tcp host connects to and disconnects
# from the target over loopback, again and again (NVO_STORM_CONNECTS rounds,
# default 160: what fits ~4 minutes under TCG on a busy 2-core machine at
# 0.5-0.8 connects/s; 500 for the full storm of issue #7), with header and data
# digests and 1 or 2 I/O queues in turn, and a small crc32c-verified I/O
# every NVO_STORM_VERIFY_EVERY (10) rounds. Then: every round connected,
# every verify clean, data written before the storm intact, no target
# socket or queue left, slab caches and free memory back to the baseline,
# and a clean kernel log. NVO_STORM_SCALE multiplies the default count.
# On our transport the second half of the rounds run with the port bound to
# a nicsim device: each connect offloads the I/O queues, each disconnect
# ends streams the device owns; meanwhile every I/O queue is switched off
# and on every 100 ms with slowed reclaims (slow_reclaim_ms=50), so that
# disconnects also meet queues in the middle of a hand-over.
# Then NVO_STORM_CONNECT_PAR_SECS (default 40) of NVO_STORM_CONNECT_PAR (3)
# hosts (each its own host NQN, through /dev/nvme-fabrics and sysfs)
# connecting and disconnecting at once: the
# accept path and the queue lists under concurrency (offloaded, on ours).
#
# Usage: storm_connect.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/storm.sh
. "$DIR/lib/storm.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:storm-connect
ROUNDS=${NVO_STORM_CONNECTS:-$(storm_scale 160)}
PAR=${NVO_STORM_CONNECT_PAR:-3}
PAR_SECS=${NVO_STORM_CONNECT_PAR_SECS:-$(storm_scale 40)}
EVERY=${NVO_STORM_VERIFY_EVERY:-10}

# round I: the connect options of that round (digests and queue count vary
# so that each kind of queue set-up and teardown is repeated).
round_args() {
	case $(($1 % 4)) in
	0) echo "--nr-io-queues=2" ;;
	1) echo "--nr-io-queues=1 --hdr-digest --data-digest" ;;
	2) echo "--nr-io-queues=2 --hdr-digest" ;;
	3) echo "--nr-io-queues=1 --data-digest" ;;
	esac
}

DBG=/sys/kernel/debug/nvmet_offload
cleanup() {
	nvmet_cleanup
	[ -d /sys/bus/nicsim ] && echo 1 >/sys/bus/nicsim/del_device 2>/dev/null
	rmmod nicsim 2>/dev/null
}

ktap_print_header
ktap_set_plan 8
trap cleanup EXIT
thp_off
msg "transport: $(nvo_transport); $ROUNDS rounds, verified I/O every $EVERY"

tcp_target_setup "$NQN" "$STORM_ADDR" "$STORM_PORT" ||
	ktap_exit_fail_msg "target setup failed"
quiet modprobe nvme-tcp || ktap_exit_fail_msg "no nvme-tcp host"
storm_offload_init
OFFLOAD=$STORM_OFFLOAD

# Warm-up and the data the storm must not disturb.
storm_golden_baseline "$NQN"

t0=$(storm_now)
connected=0
failed=0
verified=0
vfail=0
mib=0
offl_rounds=0
nic_rounds=0
for i in $(seq 1 "$ROUNDS"); do
	if [ -n "$OFFLOAD" ] && [ "$i" -eq $((ROUNDS / 2 + 1)) ]; then
		echo "1 on nicsim1" >"$DBG/port_offload" || msg "cannot bind nicsim1"
		echo 50 >/sys/kernel/debug/nicsim/nicsim1/slow_reclaim_ms
		storm_nic_mark
		storm_toggler_start 0.1
	fi
	# shellcheck disable=SC2046 # round_args is a list of options
	if ! storm_connect "$NQN" $(round_args "$i"); then
		failed=$((failed + 1))
		msg "round $i: connect failed ($(round_args "$i"))"
		quiet host_disconnect_all
		[ $failed -ge 5 ] && { msg "giving up after 5 failed connects"; break; }
		continue
	fi
	connected=$((connected + 1))
	if [ -n "$OFFLOAD" ] && [ "$i" -gt $((ROUNDS / 2)) ] &&
		[ $((i % EVERY)) -eq $((EVERY / 2)) ]; then
		# now and then, wait for the hand-over before disconnecting
		wait_for 10 eval '[ "$(storm_ioq_offloaded)" -gt 0 ]' && offl_rounds=$((offl_rounds + 1))
	fi
	[ -n "$OFFLOAD" ] && [ "$i" -gt $((ROUNDS / 2)) ] && nic_rounds=$((nic_rounds + 1))
	if [ $((i % EVERY)) -eq 0 ]; then
		dev=$(host_ns_dev "$NQN" 1)
		if fio_verify "$dev" --offset="$STORM_FIO_OFFSET" --size=1M --iodepth=8 --allow_file_create=0 \
			>"$STORM_TMP/round.fio" 2>&1; then
			verified=$((verified + 1))
			mib=$(awk -v a="$mib" -v b="$(storm_fio_read_mib "$STORM_TMP/round.fio")" \
				'BEGIN { printf "%.1f", a + b }')
		else
			vfail=$((vfail + 1))
			msg "round $i: verified I/O failed ($(round_args "$i"))"
			grep -iE 'verify|err=' "$STORM_TMP/round.fio" | head -n 3 | sed 's/^/# fio: /'
		fi
	fi
	if ! quiet host_disconnect "$NQN"; then
		failed=$((failed + 1))
		msg "round $i: disconnect failed"
	fi
done
secs=$(storm_since "$t0")
rate=$(storm_rate "$connected" "$t0")
storm_toggler_stop
trounds=$STORM_TOGGLE_ROUNDS
if [ -n "$OFFLOAD" ]; then
	echo 0 >/sys/kernel/debug/nicsim/nicsim1/slow_reclaim_ms
fi
storm_report connect "rounds=$ROUNDS connected=$connected failed=$failed" \
	"time=${secs}s rate=${rate}/s verifies=$verified verify_failures=$vfail verified_mib=$mib" \
	"offload_half=${OFFLOAD:-0} seen_offloaded=$offl_rounds toggle_rounds=$trounds"

# The offload half, from nicsim1's counters: every connect of it handed at
# least one I/O queue to the device (the toggler adds more), and the
# device executed I/O (the verified rounds' fio, whatever the toggler left
# offloaded). A half that silently stayed in software fails here.
if [ -n "$OFFLOAD" ]; then
	if [ "$ROUNDS" -ge $((2 * EVERY)) ] && [ "$offl_rounds" -eq 0 ]; then
		msg "no round saw its I/O queues offloaded"
		failed=$((failed + 1))
	fi
	storm_nic_moved "offload half ($nic_rounds connects)" "$nic_rounds" || failed=$((failed + 1))
	msg "nicsim1 over the offload half: offload_events +$(($(storm_nic offload_events) - STORM_NIC_OFF0))," \
		"commands +$(($(storm_nic_io) - STORM_NIC_IO0)), reclaim_events $(storm_nic reclaim_events)"
fi
if [ "$connected" -eq "$ROUNDS" ] && [ "$failed" -eq 0 ]; then
	ktap_test_pass "$ROUNDS connect/disconnect rounds (${rate} connects/s)"
else
	ktap_test_fail "$ROUNDS connect/disconnect rounds: $connected connected, $failed failures"
fi
if [ "$verified" -gt 0 ] && [ "$vfail" -eq 0 ]; then
	ktap_test_pass "$verified verified I/Os during the storm, no mismatch or error"
else
	ktap_test_fail "verified I/Os during the storm: $verified clean, $vfail failed"
fi

# Several hosts at once; each worker counts its rounds and failures.
worker() {
	local k=$1 end=$((SECONDS + PAR_SECS)) n=0 f=0 c
	local hnqn=nqn.2014-08.io.nvmet-offload:storm-host-$k
	local hid
	hid=$(printf '4e564f2d-7374-6f72-6d00-%012d' "$k")
	while [ $SECONDS -lt $end ]; do
		# straight to /dev/nvme-fabrics: nvme-cli's look-ups of existing
		# controllers race the other workers' (and under TCG it starts
		# slowly); the kernel answers "instance=N,cntlid=M"
		c=$( { exec 3<>/dev/nvme-fabrics &&
			printf 'transport=tcp,traddr=%s,trsvcid=%s,nqn=%s,hostnqn=%s,hostid=%s,nr_io_queues=%d' \
				"$STORM_ADDR" "$STORM_PORT" "$NQN" "$hnqn" "$hid" $((1 + k % 2)) >&3 &&
			IFS= read -r line <&3 && echo "$line"; } 2>>"$STORM_TMP/worker.$k.err" |
			sed -n 's/^instance=\([0-9]*\),.*/nvme\1/p')
		if [ -z "$c" ]; then
			f=$((f + 1))
			echo "connect failed" >>"$STORM_TMP/worker.$k.err"
			sleep 0.5
			continue
		fi
		echo 1 2>>"$STORM_TMP/worker.$k.err" >"/sys/class/nvme/$c/delete_controller" ||
			{ f=$((f + 1)); echo "delete $c failed" >>"$STORM_TMP/worker.$k.err"; }
		n=$((n + 1))
	done
	echo "$n $f" >"$STORM_TMP/worker.$k"
}
t0=$(storm_now)
pids=()
for k in $(seq 1 "$PAR"); do
	worker "$k" &
	pids+=($!)
done
wait "${pids[@]}"
pn=0
pf=0
for k in $(seq 1 "$PAR"); do
	read -r n f <"$STORM_TMP/worker.$k" || { n=0; f=1; }
	pn=$((pn + n))
	pf=$((pf + f))
done
quiet host_disconnect_all
[ -n "$OFFLOAD" ] && echo "1 off" >"$DBG/port_offload"
storm_report connect-parallel "hosts=$PAR time=$(storm_since "$t0")s connects=$pn failures=$pf" \
	"rate=$(storm_rate "$pn" "$t0")/s"
if [ "$pn" -ge "$PAR" ] && [ "$pf" -eq 0 ]; then
	ktap_test_pass "$PAR hosts connecting at once: $pn connect/disconnect rounds, no failure"
else
	ktap_test_fail "$PAR hosts connecting at once: $pn rounds, $pf failures"
	cat "$STORM_TMP"/worker.*.err | sort | uniq -c | sort -rn | head -n 12 | sed 's/^/# /'
fi

ok=1
storm_connect "$NQN" && dev=$(host_ns_dev "$NQN" 1) && storm_golden_verify "$dev" || ok=0
quiet host_disconnect "$NQN" || ok=0
[ $ok = 1 ] && ktap_test_pass "data written before the storm intact" ||
	ktap_test_fail "data written before the storm intact"

storm_final_checks

ktap_finished
