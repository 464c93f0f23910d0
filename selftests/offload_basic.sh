#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# offload_basic.sh - I/O queues handed to a nicsim device and taken back.
# A port bound to nicsim1 offloads every I/O queue at connect (the admin
# queue stays in software); fio crc32c verification is clean and the
# device's counters equal what fio sent; a command the device does not
# execute is punted to software and succeeds; queues toggle live under fio;
# an offload the device refuses leaves the queue working in software; and
# deleting the device under I/O brings every queue back with no I/O error.

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

ktap_print_header
ktap_set_plan 9

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

# 3: fio verify on the offloaded queues; the counters equal what fio sent.
w0=$(ostat write_blks); r0=$(ostat read_blks)
if fio_verify "$ns" --bs=4k --size=8M --iodepth=32 >/dev/null; then
	w=$(( $(ostat write_blks) - w0 )); r=$(( $(ostat read_blks) - r0 ))
	if [ "$w" -eq 2048 ] && [ "$r" -eq 2048 ]; then
		ktap_test_pass "fio verify clean on offloaded queues; device counted 2048 blocks written and read"
	else
		ktap_test_fail "device counters: $w blocks written, $r read (fio: 2048 each)"
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

# 5: live toggles of every I/O queue under fio.
fio_verify "$ns" --bs=4k --size=16M --iodepth=32 >/tmp/toggle.fio 2>&1 &
fio_pid=$!
toggles=0
while kill -0 $fio_pid 2>/dev/null && [ $toggles -lt 40 ]; do
	if [ $((toggles % 2)) -eq 0 ]; then oq_toggle_all off; else oq_toggle_all on; fi
	toggles=$((toggles + 1))
	sleep 0.1
done
if wait $fio_pid; then
	ktap_test_pass "fio verify clean across $toggles rounds of live toggles"
else
	ktap_test_fail "fio verify across live toggles"
	sed 's/^/# /' /tmp/toggle.fio | tail -n 20
fi
oq_toggle_all on
wait_states offloaded

# 6: reclaim counted
if [ "$(oq_sum 19)" -gt 0 ]; then
	ktap_test_pass "reclaims counted"
else
	ktap_test_fail "reclaims counted"
fi

# 7: a refused offload leaves the queue in software, and it works.
echo 10 >"$SIMDBG/refuse_next_offload"
host_disconnect "$NQN" >/dev/null
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null
ns=$(host_ns_dev "$NQN")
sleep 1
if wait_states software && fio_verify "$ns" --bs=4k --size=4M --iodepth=8 >/dev/null &&
   grep -q refused "$DBG/queues"; then
	ktap_test_pass "refused offload: queues stay in software and verify clean"
else
	ktap_test_fail "refused offload: queues stay in software and verify clean"
fi
echo 0 >"$SIMDBG/refuse_next_offload"

# 8: device deleted under I/O: queues come back, no I/O error.
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

# 9: nothing went wrong in the kernel log
if dmesg | grep -E 'nvme nvme[0-9]+: (I/O|.*timeout|.*reset)|Buffer I/O error' >/dev/null; then
	ktap_test_fail "no host I/O errors, timeouts or resets in the kernel log"
	dmesg | grep -E 'nvme nvme[0-9]+:' | tail -n 10 | sed 's/^/# /'
else
	ktap_test_pass "no host I/O errors, timeouts or resets in the kernel log"
fi

ktap_finished
