#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# offload_basic.sh - I/O queues handed to a nicsim device and taken back.
# A port bound to nicsim1 offloads every I/O queue at connect (the admin
# queue stays in software); fio crc32c verification is clean and the
# device's counters equal what fio sent; a command the device does not
# execute is punted to software and succeeds (flush with a narrowed opcode
# mask, Dataset Management, Compare), counted per opcode and namespace; reads and
# writes punted (io_opcodes 0) are executed in software and verify;
# queues toggle live under fio; a raw host's responses carry one
# continuous SQ head while its queue moves between software and the device
# (the hand-over record carries the head); the device and port keep the counts of
# queues that closed; an offload the device refuses leaves the queue working
# in software; and deleting the device under I/O brings every queue back
# with no I/O error.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:offload-basic
DBG=$OQ_DBG
SIMDBG=/sys/kernel/debug/nicsim/nicsim1

msg() { ktap_print_msg "$*"; }
io_queue_states() { oq_states; }
wait_states() { oq_wait_all "$1"; }

# Sum of an offload_stats column over the I/O queues.
ostat() {
	awk -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
		{ s += $col } END { print s + 0 }' "$DBG/offload_stats"
}

admin_state() { awk 'NR > 1 && $4 == 0 { print $16 }' "$DBG/queues"; }

# Netlink counters (nl_raw): nlc SCOPE-ARGS FIELD, e.g. nlc "scope=device
# dev-id=1" write-blocks; punts_of SCOPE-ARGS OPCODE: punts of one opcode.
nlc() {
	# shellcheck disable=SC2086 # the selector is words
	nl_raw stats-get $1 | sed -n "s/.* counters\.$2=\([0-9]*\).*/\1/p"
}
punts_of() {
	# shellcheck disable=SC2086
	nl_raw stats-get $1 | grep -o "punted-by-opcode\.opcode=$2 counters\.punted-by-opcode\.count=[0-9]*" |
		sed 's/.*=//' | grep . || echo 0
}
DEVSEL=

ktap_print_header
ktap_set_plan 13

offload_target_setup "$NQN"

# 1
if grep -q ' nicsim1 ' "$DBG/devices" && echo "1 on nicsim1" >"$DBG/port_offload"; then
	ktap_test_pass "nicsim1 registered and bound to port 1"
else
	ktap_test_fail "nicsim1 registered and bound to port 1"
fi

modprobe nvme-tcp
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null
ns=$(host_ns_dev "$NQN") || ktap_exit_fail_msg "no namespace device"

# 2
if wait_states offloaded && [ "$(admin_state)" = software ]; then
	ktap_test_pass "I/O queues offloaded at connect, admin queue in software"
else
	ktap_test_fail "I/O queues offloaded at connect, admin queue in software"
fi

# 3: fio verify on the offloaded queues; the counters (per queue in
# debugfs, per device and per namespace over netlink) equal what fio sent.
DEVSEL="scope=device dev-id=$(awk '$2 == "nicsim1" { print $1 }' "$DBG/devices")"
NSSEL="scope=namespace port-id=1 nsid=1"
nl_raw stats-reset $DEVSEL && nl_raw stats-reset $NSSEL ||
	ktap_print_msg "stats-reset failed"
w0=$(ostat write_blks); r0=$(ostat read_blks)
if fio_verify "$ns" --bs=4k --size=8M --iodepth=32 >/dev/null; then
	w=$(( $(ostat write_blks) - w0 )); r=$(( $(ostat read_blks) - r0 ))
	nl="$(nlc "$DEVSEL" write-blocks) $(nlc "$DEVSEL" read-blocks) $(nlc "$NSSEL" write-blocks) $(nlc "$NSSEL" read-blocks)"
	if [ "$w" -eq 2048 ] && [ "$r" -eq 2048 ] && [ "$nl" = "2048 2048 2048 2048" ]; then
		ktap_test_pass "fio verify clean on offloaded queues; queues, device and namespace counted 2048 blocks written and read"
	else
		ktap_test_fail "counters: queues $w blocks written, $r read; device and namespace written/read: $nl (fio: 2048 each)"
	fi
else
	ktap_test_fail "fio verify on offloaded queues"
fi

# 4: an opcode the device does not execute is punted and succeeds.
echo 0x6 >"$SIMDBG/io_opcodes"	# read | write only: no flush
p0=$(ostat punted)
if nvme flush "$ns" >/dev/null 2>&1 && [ "$(ostat punted)" -gt "$p0" ]; then
	ktap_test_pass "flush punted to software and succeeded"
else
	ktap_test_fail "flush punted to software and succeeded (punted $p0 -> $(ostat punted))"
fi
echo 0x107 >"$SIMDBG/io_opcodes"	# read, write, flush, write zeroes

# 5: reads and writes the device does not execute (io_opcodes 0) are punted,
# executed in software, and verify: a punt that completes without doing the
# I/O fails here.
echo 0 >"$SIMDBG/io_opcodes"
p0=$(ostat punted)
if fio_verify "$ns" --bs=4k --size=2M --iodepth=8 >/tmp/punt.fio 2>&1; then punt_ok=1; else punt_ok=0; fi
np=$(( $(ostat punted) - p0 ))
echo 0x107 >"$SIMDBG/io_opcodes"
if [ "$punt_ok" = 1 ] && [ "$np" -ge 1024 ]; then
	ktap_test_pass "reads and writes punted (io_opcodes 0): $np punts, fio verify clean"
else
	ktap_test_fail "reads and writes punted (io_opcodes 0): $np punts (want >= 1024), fio verify ok=$punt_ok"
	grep -iE 'verify|err' /tmp/punt.fio | head -n 5 | sed 's/^/# /'
fi

# 6: Dataset Management (deallocate) and Compare, which the device never
# executes: punted, counted per opcode for the device and the namespace,
# and answered as software answers them (nvmet does DSM; in 6.1 it has no
# Compare, so that one fails the same way on a software queue).
dsm0=$(punts_of "$DEVSEL" 9); cmp0=$(punts_of "$DEVSEL" 5); nsdsm0=$(punts_of "$NSSEL" 9)
head -c 4096 /dev/zero >/tmp/cmp.bin
nvme compare "$ns" -s 0 -c 0 -z 4096 -d /tmp/cmp.bin >/tmp/cmp.off 2>&1
cmp_rc=$?
if nvme dsm "$ns" --ad -s 0 -b 8 >/dev/null 2>&1; then dsm_ok=1; else dsm_ok=0; fi
dsm=$(( $(punts_of "$DEVSEL" 9) - dsm0 )); cmp=$(( $(punts_of "$DEVSEL" 5) - cmp0 ))
nsdsm=$(( $(punts_of "$NSSEL" 9) - nsdsm0 ))
# the same Compare on a software queue
oq_toggle_all off; wait_states software
nvme compare "$ns" -s 0 -c 0 -z 4096 -d /tmp/cmp.bin >/tmp/cmp.sw 2>&1
sw_rc=$?
oq_toggle_all on; wait_states offloaded
msg "dsm ok=$dsm_ok punted=$dsm (ns $nsdsm); compare punted=$cmp rc offloaded=$cmp_rc software=$sw_rc"
if [ "$dsm_ok" = 1 ] && [ "$dsm" -eq 1 ] && [ "$nsdsm" -eq 1 ] && [ "$cmp" -eq 1 ] &&
   [ "$cmp_rc" = "$sw_rc" ]; then
	ktap_test_pass "DSM and Compare punted, counted per opcode (device, namespace), answered as in software"
else
	ktap_test_fail "DSM and Compare punted, counted per opcode (device, namespace), answered as in software"
	sed 's/^/# /' /tmp/cmp.off /tmp/cmp.sw
fi

# 7: live toggles of every I/O queue under fio. Each toggle waits for the
# hand-over to finish, so each one is exactly one offload or one reclaim
# per queue: 8 checks the counts.
nq=$(oq_states | wc -l)
off0=$(oq_sum 18); rcl0=$(oq_sum 19)
fio_verify "$ns" --bs=4k --size=16M --iodepth=32 >/tmp/toggle.fio 2>&1 &
fio_pid=$!
toggles=0 offs=0 ons=0 terr=0
while kill -0 $fio_pid 2>/dev/null && [ $toggles -lt 20 ]; do
	if [ $((toggles % 2)) -eq 0 ]; then
		oq_toggle_all off || terr=$((terr + 1))
		wait_states software || terr=$((terr + 1))
		offs=$((offs + 1))
	else
		oq_toggle_all on || terr=$((terr + 1))
		wait_states offloaded || terr=$((terr + 1))
		ons=$((ons + 1))
	fi
	toggles=$((toggles + 1))
done
if wait $fio_pid && [ $terr -eq 0 ] && [ $toggles -ge 4 ]; then
	ktap_test_pass "fio verify clean across $toggles live toggles of $nq queues"
else
	ktap_test_fail "fio verify across live toggles ($toggles toggles, $terr refused or not done)"
	sed 's/^/# /' /tmp/toggle.fio | tail -n 20
fi
if [ $((toggles % 2)) -eq 1 ]; then
	oq_toggle_all on
	wait_states offloaded
	ons=$((ons + 1))
fi

# 8: every hand-over counted, no more, no less
doff=$(( $(oq_sum 18) - off0 )); drcl=$(( $(oq_sum 19) - rcl0 ))
if [ "$nq" -ge 2 ] && [ "$drcl" -eq $((nq * offs)) ] && [ "$doff" -eq $((nq * ons)) ]; then
	ktap_test_pass "toggles counted: $drcl reclaims and $doff offloads of $nq queues"
else
	ktap_test_fail "toggles counted: $drcl reclaims (want $((nq * offs))) and $doff offloads (want $((nq * ons))) of $nq queues"
fi

# 9: the SQ head a raw host sees on one queue (depth 1: each response one
# more than the last, modulo 32) stays continuous while the queue moves
# between software and the device, through the device's own reads and its
# punts (every 5th read goes to an unknown namespace). A device starting
# from its own head, or nvmet not taking the device's back, breaks it.
SWEEP_N=${NVO_SQHD_READS:-20000}
t0=$EPOCHREALTIME
nvme_tcp_nsid_sweep --addr 127.0.0.1 --subnqn "$NQN" --count "$SWEEP_N" --depth 1 \
	--first 1 --stride 0 --lba-size 4096 --punt-every 5 --wait-ms 1000 --sqhd \
	>/tmp/sqhd.out 2>&1 &
sweep_pid=$!
sleep 1.5
toggles=0 terr=0
while kill -0 $sweep_pid 2>/dev/null && [ $toggles -lt 40 ]; do
	if [ $((toggles % 2)) -eq 0 ]; then
		{ oq_toggle_all off && wait_states software; } || terr=$((terr + 1))
	else
		{ oq_toggle_all on && wait_states offloaded; } || terr=$((terr + 1))
	fi
	toggles=$((toggles + 1))
done
wait $sweep_pid
sweep_rc=$?
oq_toggle_all on; wait_states offloaded
msg "$(tr '\n' ' ' </tmp/sqhd.out)($toggles toggles during the sweep, $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
if [ $sweep_rc -eq 0 ] && [ $terr -eq 0 ] && [ $toggles -ge 3 ] &&
   grep -q "invalid_ns=$((SWEEP_N / 5)) success=$((SWEEP_N - SWEEP_N / 5)) other=0 .*sqhd_checked=$((SWEEP_N - 1)) sqhd_breaks=0" /tmp/sqhd.out; then
	ktap_test_pass "SQ head continuous across $toggles toggles ($SWEEP_N reads, device and punted)"
else
	ktap_test_fail "SQ head continuous across toggles (rc $sweep_rc, $toggles toggles, $terr refused or not done)"
fi

# 10: the queues close: the device, port and namespace keep their counts.
before="$(nlc "$DEVSEL" write-blocks) $(nlc "scope=port port-id=1" write-blocks) $(nlc "$NSSEL" write-blocks)"
echo 10 >"$SIMDBG/refuse_next_offload"
host_disconnect "$NQN" >/dev/null
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null
ns=$(host_ns_dev "$NQN")
# a closing queue's counts reach its port when its teardown ends: wait for it
for _ in $(seq 50); do
	after="$(nlc "$DEVSEL" write-blocks) $(nlc "scope=port port-id=1" write-blocks) $(nlc "$NSSEL" write-blocks)"
	[ "$before" = "$after" ] && break
	sleep 0.1
done
if [ "$before" = "$after" ] && [ "${before%% *}" -gt 2048 ]; then
	ktap_test_pass "closed queues' counts stay in device, port and namespace ($after blocks written)"
else
	ktap_test_fail "closed queues' counts stay in device, port and namespace (before $before, after $after)"
fi

# 11: a refused offload leaves the queue in software, and it works.
sleep 1
if wait_states software && fio_verify "$ns" --bs=4k --size=4M --iodepth=8 >/dev/null &&
   grep -q refused "$DBG/queues"; then
	ktap_test_pass "refused offload: queues stay in software and verify clean"
else
	ktap_test_fail "refused offload: queues stay in software and verify clean"
fi
echo 0 >"$SIMDBG/refuse_next_offload"

# 12: device deleted under I/O: queues come back, no I/O error.
oq_toggle_all on
wait_states offloaded
fio_verify "$ns" --bs=4k --size=16M --iodepth=32 >/tmp/del.fio 2>&1 &
fio_pid=$!
sleep 2
echo 1 >"$NICSIM_BUS/del_device"
if wait $fio_pid && wait_states software; then
	ktap_test_pass "device deleted under I/O: queues back in software, verify clean"
else
	ktap_test_fail "device deleted under I/O: queues back in software, verify clean"
	sed 's/^/# /' /tmp/del.fio | tail -n 20
fi

# 13: nothing went wrong in the kernel log
if dmesg | grep -E 'nvme nvme[0-9]+: (I/O|.*timeout|.*reset)|Buffer I/O error' >/dev/null; then
	ktap_test_fail "no host I/O errors, timeouts or resets in the kernel log"
	dmesg | grep -E 'nvme nvme[0-9]+:' | tail -n 10 | sed 's/^/# /'
else
	ktap_test_pass "no host I/O errors, timeouts or resets in the kernel log"
fi

ktap_finished
