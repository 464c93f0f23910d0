#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 600
#
# offload_staging.sh - nicsim's staging memory follows what is in flight.
# Two 256-deep I/O queues offloaded to a device whose staging budget is at
# its floor (1 MiB): fio crc32c-verified random writes of 4k to 256k at
# depth 64 make commands wait for staging, while the queues are reclaimed
# and offloaded again live. Verify is clean, commands did wait, the most
# staging in use stayed near the budget (what the device may force past it
# is counted), every page is back once the I/O stops, and a 1024-deep queue
# offloaded idle holds no staging at all.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:offload-staging
SIM=/sys/kernel/debug/nicsim/nicsim1
DBG=$OQ_DBG

msg() { ktap_print_msg "$*"; }
sim() { cat "$SIM/$1"; }
snapshot() {
	local k out=
	for k in staging_limit_kb staging_pages staging_pages_max staging_waits staging_forced; do
		out="$out $k=$(sim $k)"
	done
	echo "$out"
}

ktap_print_header
ktap_set_plan 4

offload_target_setup "$NQN"
modprobe nvme-tcp
echo "1 on nicsim1" >"$DBG/port_offload" || ktap_exit_fail_msg "cannot bind nicsim1 to port 1"

# 1: an idle 1024-deep queue holds no staging.
if host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=1 --queue-size=1024 >/dev/null &&
	host_ns_dev "$NQN" >/dev/null && oq_wait_all offloaded 20 &&
	[ "$(sim staging_pages)" -eq 0 ]; then
	ktap_test_pass "a 1024-deep queue offloaded idle holds no staging ($(snapshot))"
else
	ktap_test_fail "a 1024-deep queue offloaded idle holds no staging ($(snapshot))"
fi
host_disconnect "$NQN" >/dev/null

# 2: verify clean under a starved budget, with live toggles.
echo 1024 >"$SIM/staging_limit_kb"	# the floor: one 1 MiB transfer
limit_pages=256
echo 0 >"$SIM/staging_pages_max"
w0=$(sim staging_waits)
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 --queue-size=256 >/dev/null ||
	ktap_exit_fail_msg "cannot connect"
ns=$(host_ns_dev "$NQN") || ktap_exit_fail_msg "no namespace device"
oq_wait_all offloaded 20 || msg "not every queue offloaded before fio"
off0=$(oq_sum 18)
fio --name=staging --filename="$ns" --rw=randwrite --bsrange=4k-256k --blockalign=4k \
	--iodepth=64 --numjobs=2 --offset_increment=24M --size=24M --loops=2 \
	--direct=1 --ioengine=libaio --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--allow_file_create=0 --group_reporting --output="/tmp/staging.fio" &
fpid=$!
sleep 3
for _ in 1 2 3 4; do
	oq_toggle_all off
	sleep 1
	oq_toggle_all on
	sleep 1
done
wait "$fpid"
frc=$?
oq_wait_all offloaded 20 || msg "not every queue offloaded after the toggles"
toggles=$(($(oq_sum 18) - off0))
waits=$(($(sim staging_waits) - w0))
maxp=$(sim staging_pages_max)
forced=$(sim staging_forced)
msg "fio rc $frc: $(grep -E 'err=' /tmp/staging.fio | head -1)"
msg "$toggles re-offloads; staging: $(snapshot)"
if [ "$frc" -eq 0 ] && [ "$toggles" -ge 4 ]; then
	ktap_test_pass "fio verify clean on a 1 MiB staging budget across $toggles live re-offloads"
else
	ktap_test_fail "fio verify clean on a 1 MiB staging budget across live re-offloads (fio rc $frc, $toggles re-offloads)"
fi

# 3: the budget bound the device: commands waited, and the most in use at
# once stayed within the budget plus what it had to force past it.
if [ "$waits" -gt 0 ] && [ "$maxp" -le $((limit_pages + forced)) ]; then
	ktap_test_pass "commands waited for staging ($waits), at most $maxp pages in use (budget $limit_pages + $forced forced)"
else
	ktap_test_fail "commands waited for staging ($waits), at most $maxp pages in use (budget $limit_pages + $forced forced)"
fi

# 4: every page back once the I/O has stopped.
host_disconnect "$NQN" >/dev/null
for _ in $(seq 50); do
	[ "$(sim staging_pages)" -eq 0 ] && break
	sleep 0.2
done
if [ "$(sim staging_pages)" -eq 0 ]; then
	ktap_test_pass "staging back to 0 pages after the hosts left"
else
	ktap_test_fail "staging back to 0 pages after the hosts left: $(snapshot)"
fi

ktap_finished
