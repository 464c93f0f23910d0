#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# offload_toggle_soak.sh - every I/O queue switched between software and
# the device every 100 ms for NVO_SOAK_SECS (default 60) seconds while fio
# writes and verifies (crc32c, iodepth 32) without a pause: zero I/O
# errors, zero mismatches, and the switches really happened.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:offload-soak
DBG=$OQ_DBG
SECS=${NVO_SOAK_SECS:-60}

ktap_print_header
ktap_set_plan 3

offload_target_setup "$NQN"
echo "1 on nicsim1" >"$DBG/port_offload"
modprobe nvme-tcp
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null
ns=$(host_ns_dev "$NQN") || ktap_exit_fail_msg "no namespace device"

# fio, back to back, until the soak ends; each run writes then verifies.
(
	end=$((SECONDS + SECS))
	runs=0
	while [ $SECONDS -lt $end ]; do
		fio_verify "$ns" --bs=4k --size=8M --iodepth=32 >/tmp/soak.fio 2>&1 ||
			{ echo "fio run $runs failed" >/tmp/soak.err; cat /tmp/soak.fio >>/tmp/soak.err; exit 1; }
		runs=$((runs + 1))
	done
	echo "$runs" >/tmp/soak.runs
) &
fio_loop=$!

rounds=0
on=off
end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ]; do
	oq_toggle_all $on
	if [ $on = off ]; then on=on; else on=off; fi
	rounds=$((rounds + 1))
	sleep 0.1
done

if wait $fio_loop; then
	ktap_test_pass "fio verify clean in $(cat /tmp/soak.runs) back-to-back runs over ${SECS}s of toggles"
else
	ktap_test_fail "fio verify over ${SECS}s of toggles"
	sed 's/^/# /' /tmp/soak.err | grep -iE 'fail|err|verify' | head -n 10
fi

# The queues really moved: offloads and reclaims both counted, many times.
offloads=$(oq_sum 18)
reclaims=$(oq_sum 19)
ktap_print_msg "$rounds toggle rounds; $offloads offloads, $reclaims reclaims"
if [ "$offloads" -ge 20 ] && [ "$reclaims" -ge 20 ]; then
	ktap_test_pass "queues moved both ways ($offloads offloads, $reclaims reclaims)"
else
	ktap_test_fail "queues moved both ways ($offloads offloads, $reclaims reclaims)"
fi

if dmesg | grep -E 'nvme nvme[0-9]+: (I/O|.*timeout|.*reset)|Buffer I/O error' >/dev/null; then
	ktap_test_fail "no host I/O errors, timeouts or resets"
	dmesg | grep -E 'nvme nvme[0-9]+:' | tail -n 10 | sed 's/^/# /'
else
	ktap_test_pass "no host I/O errors, timeouts or resets"
fi

ktap_finished
