#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# offload_faults.sh - nicsim's fault knobs under fio crc32c verification.
# Every fault must leave the host's I/O intact: the failing queue falls back
# to software (counted, with its reason) and I/O goes on, verify clean.
# Also: rmmod nicsim under I/O, and two subsystems with several namespaces
# behind one offloaded port.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:offload-faults
NQN2=nqn.2014-08.io.nvmet-offload:offload-faults-2
DBG=$OQ_DBG
SIM=/sys/kernel/debug/nicsim/nicsim1

msg() { ktap_print_msg "$*"; }
io_queues() { awk 'NR > 1 && $4 > 0 { print $1, $16, $21 }' "$DBG/queues"; }
fallbacks() { oq_sum 20; }
wait_all() { oq_wait_all "$@"; }
offload_all() { oq_toggle_all on; wait_all offloaded; }

# fault_case NAME KNOB VALUE REASON: set the knob under fio; verify clean, a
# fallback with REASON counted (REASON "-": the queues stay offloaded).
fault_case() {
	local name=$1 knob=$2 value=$3 reason=$4 f0 ok=1
	offload_all || { ktap_test_fail "$name: queues offloaded first"; return; }
	f0=$(fallbacks)
	fio_verify "$NS" --bs=4k --size=8M --iodepth=16 >/tmp/fault.fio 2>&1 &
	local pid=$!
	sleep 1
	echo "$value" >"$SIM/$knob"
	wait $pid || ok=0
	echo 0 >"$SIM/$knob" 2>/dev/null
	if [ "$reason" = - ]; then
		io_queues | grep -qv offloaded && ok=0
	else
		[ "$(fallbacks)" -gt "$f0" ] || ok=0
		io_queues | grep -q "$reason" || ok=0
	fi
	if [ $ok = 1 ]; then
		ktap_test_pass "$name: fio verify clean${reason:+, fallback $reason}"
	else
		ktap_test_fail "$name: fio verify clean${reason:+, fallback $reason}"
		msg "queues: $(io_queues | tr '\n' ';') fallbacks $f0 -> $(fallbacks)"
		sed 's/^/# /' /tmp/fault.fio | grep -iE 'err|verify' | head -n 5
	fi
}

ktap_print_header
ktap_set_plan 8

offload_target_setup "$NQN"
echo "1 on nicsim1" >"$DBG/port_offload" || ktap_exit_fail_msg "cannot bind nicsim1"
modprobe nvme-tcp
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null
NS=$(host_ns_dev "$NQN") || ktap_exit_fail_msg "no namespace device"
wait_all offloaded || ktap_exit_fail_msg "queues were not offloaded"

fault_case "fail_queue_after" fail_queue_after 100 queue-failed
fault_case "backend_error_every" backend_error_every 50 queue-failed
fault_case "backend error on an LBA range" backend_error_lba_end 100000 queue-failed
fault_case "extra_latency_us" extra_latency_us 2000 -
fault_case "engine crash" crash 1 device-failed

# slow reclaim: toggling off still completes, I/O intact.
offload_all
echo 500 >"$SIM/slow_reclaim_ms"
fio_verify "$NS" --bs=4k --size=8M --iodepth=16 >/tmp/slow.fio 2>&1 &
pid=$!
sleep 1
oq_toggle_all off
if wait $pid && wait_all software 10; then
	ktap_test_pass "slow_reclaim_ms: reclaim completes, fio verify clean"
else
	ktap_test_fail "slow_reclaim_ms: reclaim completes, fio verify clean"
fi
echo 0 >"$SIM/slow_reclaim_ms"

# rmmod nicsim under I/O.
offload_all
fio_verify "$NS" --bs=4k --size=16M --iodepth=32 >/tmp/rmmod.fio 2>&1 &
pid=$!
sleep 2
if rmmod nicsim && wait $pid && wait_all software 10 &&
   ! grep -q nicsim "$DBG/devices"; then
	ktap_test_pass "rmmod nicsim under I/O: queues back in software, verify clean"
else
	ktap_test_fail "rmmod nicsim under I/O: queues back in software, verify clean"
	sed 's/^/# /' /tmp/rmmod.fio | grep -iE 'err|verify' | head -n 5
fi

# Two subsystems, three namespaces, one offloaded port.
host_disconnect "$NQN" >/dev/null
insmod "$NVO_MODULES/nicsim.ko" && echo "1 2" >"$NICSIM_BUS/new_device"
echo "1 on nicsim1" >"$DBG/port_offload"
filedev=$(filedev_create /tmp/nvo-faults.img 64)
nvmet_ns_create "$NQN" 2 "$filedev"
modprobe null_blk 2>/dev/null
nvmet_subsys_create "$NQN2"
nvmet_ns_create "$NQN2" 1 /dev/nullb0
nvmet_port_link 1 "$NQN2"
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null
host_connect "$NQN2" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null
ns1=$(host_ns_dev "$NQN" 1); ns2=$(host_ns_dev "$NQN" 2); ns3=$(host_ns_dev "$NQN2" 1)
ok=1
wait_all offloaded || ok=0
for d in "$ns1" "$ns2" "$ns3"; do
	[ -n "$d" ] && fio_verify "$d" --bs=4k --size=4M --iodepth=8 --offset=32M >/dev/null || ok=0
done
if [ $ok = 1 ]; then
	ktap_test_pass "two subsystems, three namespaces (bdev and file) behind one offloaded port"
else
	ktap_test_fail "two subsystems, three namespaces (bdev and file) behind one offloaded port"
fi

ktap_finished
