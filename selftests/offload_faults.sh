#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# offload_faults.sh - nicsim's fault knobs under fio crc32c verification.
# Every fault must leave the host's I/O intact: the failing queue falls back
# to software (counted, with its reason) and I/O goes on, verify clean.
# A fallback counts only on a queue whose fallback counter moved in that
# case, with that case's reason (not a reason left over from the case
# before). The knobs without a fallback are measured: extra_latency_us
# delays every offloaded command by at least that much (fio's minimum
# completion latency), slow_reclaim_ms makes a reclaim take at least that
# long. Also: rmmod nicsim under I/O, and two subsystems with several
# namespaces behind one offloaded port.

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
# "queue fallbacks" of every I/O queue
fbk_snap() { oq_col 20; }
# new_fallback_reasons SNAP: the last fallback reason of every queue whose
# fallback counter moved since SNAP (one a line)
new_fallback_reasons() {
	awk 'NR == FNR { f[$1] = $2; next }
		$4 > 0 && ($1 in f) && $20 > f[$1] { print $21 }' <(echo "$1") "$DBG/queues"
}
# fio_min_lat_us LOG: fio's minimum total latency (submission to
# completion: " lat", not "clat", which starts after io_submit returned,
# by when the command may already be on the device) in LOG, in us
fio_min_lat_us() {
	awk 'match($0, /^ +lat \((nsec|usec|msec)\): *min= *[0-9.]+/) {
		u = $0; sub(/^ *lat \(/, "", u); sub(/\).*/, "", u)
		v = $0; sub(/.*min= */, "", v); v += 0
		if (u == "nsec") v /= 1000; else if (u == "msec") v *= 1000
		printf "%d\n", v; exit
	}' "$1"
}
# randread_min_lat: 3 s of 4k reads at queue depth 1; fio's minimum
# total latency (us)
randread_min_lat() {
	fio --name=lat --filename="$NS" --ioengine=libaio --direct=1 --rw=randread \
		--bs=4k --iodepth=1 --size=8M --runtime=3 --time_based >/tmp/lat.fio 2>&1 || return 1
	fio_min_lat_us /tmp/lat.fio
}

# fault_case NAME KNOB VALUE REASON: set the knob under fio; verify clean, a
# fallback with REASON counted (REASON "-": the queues stay offloaded).
fault_case() {
	local name=$1 knob=$2 value=$3 reason=$4 f0 ok=1 snap got
	offload_all || { ktap_test_fail "$name: queues offloaded first"; return; }
	f0=$(fallbacks)
	snap=$(fbk_snap)
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
		# this case's fallbacks, each with this case's reason
		got=$(new_fallback_reasons "$snap" | sort -u | tr '\n' ' ')
		[ "$got" = "$reason " ] || { ok=0; msg "$name: reasons of the new fallbacks: '${got% }', want '$reason'"; }
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
ktap_set_plan 10

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
# extra_latency_us measured: every command the device executes completes
# at least that much later
offload_all
lat0=$(randread_min_lat)
echo 2000 >"$SIM/extra_latency_us"
lat1=$(randread_min_lat)
echo 0 >"$SIM/extra_latency_us"
msg "4k reads at QD1: min latency ${lat0:-?} us, with extra_latency_us=2000: ${lat1:-?} us"
if [ -n "$lat0" ] && [ -n "$lat1" ] && [ "$lat1" -ge 2000 ] && [ "$lat1" -ge $((lat0 + 1500)) ] &&
	io_queues | awk '$2 != "offloaded" { b = 1 } END { exit b }'; then
	ktap_test_pass "extra_latency_us=2000 delays every offloaded read by >= 2 ms (min ${lat1} us, ${lat0} us without)"
else
	ktap_test_fail "extra_latency_us=2000 delays every offloaded read by >= 2 ms (min ${lat1:-?} us, ${lat0:-?} us without)"
fi
fault_case "engine crash" crash 1 device-failed

# slow reclaim: toggling off still completes, I/O intact, and takes at
# least slow_reclaim_ms (500 ms) where it takes well under that without it.
# reclaim_secs: seconds from the request until every I/O queue is back
reclaim_secs() {
	local t0 rc=0
	t0=$EPOCHREALTIME
	oq_toggle_all off || rc=1
	wait_all software 10 || rc=1
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }'
	return $rc
}
offload_all
fast=$(reclaim_secs) || fast=
offload_all
echo 500 >"$SIM/slow_reclaim_ms"
fio_verify "$NS" --bs=4k --size=8M --iodepth=16 >/tmp/slow.fio 2>&1 &
pid=$!
sleep 1
slow=$(reclaim_secs) || slow=
msg "reclaim of every I/O queue: ${fast:-failed} s, with slow_reclaim_ms=500: ${slow:-failed} s"
if wait $pid && [ -n "$slow" ]; then
	ktap_test_pass "slow_reclaim_ms: reclaim completes, fio verify clean"
else
	ktap_test_fail "slow_reclaim_ms: reclaim completes, fio verify clean"
fi
echo 0 >"$SIM/slow_reclaim_ms"
if [ -n "$fast" ] && [ -n "$slow" ] && awk -v f="$fast" -v s="$slow" 'BEGIN { exit !(s >= 0.5 && s - f >= 0.3) }'; then
	ktap_test_pass "slow_reclaim_ms=500: a reclaim takes >= 0.5 s (${slow} s; ${fast} s without)"
else
	ktap_test_fail "slow_reclaim_ms=500: a reclaim takes >= 0.5 s (${slow:-?} s; ${fast:-?} s without)"
fi

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
