#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/demo.sh: a target on our transport with its I/O
# queues offloaded to a simulated SmartNIC (nicsim), administered with
# nicctl; the kernel's nvme-tcp host as the initiator, fio with
# verification, the counters, and a queue taken back live.
# It also checks what it shows (a "demo check:" line each; any failed check
# fails the demo): the I/O queues were offloaded and the admin queue was
# not, the device's counters moved by what fio did, the monitor saw the
# queue taken back and offloaded again, and the kernel log stayed clean.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/nvmet.sh
. "$here/lib/nvmet.sh"
# shellcheck source=lib/nl_monitor.sh
. "$here/lib/nl_monitor.sh"
NQN=nqn.2026-11.io.nvmet-offload:demo
DBG=/sys/kernel/debug/nvmet_offload
cleanup() {
	nvmet_cleanup
	echo 1 >/sys/bus/nicsim/del_device 2>/dev/null || true
	rmmod nicsim 2>/dev/null || true
}
trap cleanup EXIT

say() { printf '\n### %s\n' "$*"; }

failed=0
# check DESC CMD...: one assertion of the demo
check() {
	local desc=$1
	shift
	if "$@"; then
		echo "demo check: ok - $desc"
	else
		echo "demo check: FAILED - $desc"
		failed=$((failed + 1))
	fi
}
# dev_counter KEY: one counter of nicsim1 from nicctl's JSON
dev_counter() {
	nicctl -j stats show dev nicsim1 | grep -o "\"$1\":[0-9]*" | head -n1 | cut -d: -f2 || true
}
# qstates: "qid state" of every queue, from nicctl's JSON
qstates() {
	nicctl -j queue show | sed 's/},{/}\n{/g' |
		sed -n 's/.*"qid":\([0-9]*\).*"state":"\([a-z-]*\)".*/\1 \2/p'
}
ioqs_all() { # STATE: every I/O queue (there are some) in STATE
	qstates | awk -v s="$1" '$1 > 0 { n++; if ($2 != s) bad = 1 } END { exit bad || n < 2 }'
}
admin_in_software() { qstates | awk '$1 == 0 { n++; if ($2 != "software") bad = 1 } END { exit bad || !n }'; }
ge() { [ "${1:-0}" -ge "$2" ]; }
klog_clean() {
	! dmesg | grep -aE 'Oops|BUG:|WARNING:|general protection|Call Trace|refcount_t|KASAN|UBSAN|nvme nvme[0-9]+: .*(timeout|I/O error|reset)|Buffer I/O error'
}

say "load nvmet, our transport (nvmet-tcp stays unloaded) and nicsim"
nvmet_transport_load
insmod "$NVO_MODULES/nicsim.ko"
grep -E '^(nvmet_offload|nicsim|nvmet) ' /proc/modules | cut -d' ' -f1-3

say "a simulated SmartNIC, nicsim1, with 2 engine threads (its NIC cores)"
echo "1 2" >/sys/bus/nicsim/new_device
nicctl dev show

say "export a 1 GiB memory-backed null_blk namespace on 127.0.0.1:4420, offloaded to nicsim1"
dev=$(nullb_create 1)
nvmet_subsys_create "$NQN"
nvmet_ns_create "$NQN" 1 "$dev"
nvmet_port_create 1 127.0.0.1 4420 ipv4
nvmet_port_link 1 "$NQN"
nicctl port set 1 offload on dev nicsim1
nicctl port show

say "the initiator connects (header and data digests, 2 I/O queues)"
modprobe nvme-tcp
nvme discover -t tcp -a 127.0.0.1 -s 4420 | grep -E 'subnqn|traddr'
host_connect "$NQN" 127.0.0.1 4420 --hdr-digest --data-digest --nr-io-queues=2
ns=$(host_ns_dev "$NQN")
sleep 1
say "queues: the admin queue (qid 0) stays in software, I/O queues are offloaded"
nicctl queue show
for _ in $(seq 50); do ioqs_all offloaded && break; sleep 0.2; done
check "both I/O queues offloaded to nicsim1" ioqs_all offloaded
check "the admin queue stays in software" admin_in_software
w0=$(dev_counter write_cmds)
r0=$(dev_counter read_cmds)
o0=$(dev_counter offload_events)

say "fio: 4k random writes with crc32c verification, then 4k random reads"
fio_verify "$ns" --bs=4k --size=32m --iodepth=16 --output-format=normal |
	grep -E 'write:|read:|err='
fio --name=randread --filename="$ns" --rw=randread --bs=4k --size=256m \
	--ioengine=libaio --direct=1 --iodepth=32 --runtime=5 --time_based |
	grep -E 'read:|lat \(usec\): min|cpu'

say "the device's counters"
nicctl stats show dev nicsim1
w1=$(dev_counter write_cmds)
r1=$(dev_counter read_cmds)
# fio: 32 MiB of 4k writes (8192), read back to verify, then 5 s of reads
check "nicsim1 executed fio's writes ($w0 -> $w1, >= 8192 more)" ge $((w1 - w0)) 8192
check "nicsim1 executed fio's reads ($r0 -> $r1, >= 8192 more)" ge $((r1 - r0)) 8192
check "nicsim1 counted the two offloads (offload_events $o0)" ge "$o0" 2

say "one I/O queue taken back live (nicctl monitor follows the events)"
l0=$(nl_listeners)
nicctl monitor --count 2 >/tmp/monitor.out 2>&1 &
mon=$!
# the monitor is listening once its socket joined the group
nl_wait_listener "$l0" 50 || true
ctrl=$(awk 'NR > 1 && $4 == 1 { print $3 }' $DBG/queues)
q=$(awk 'NR > 1 && $4 == 1 { print $1 }' $DBG/queues)
nicctl queue set "$ctrl/1" offload off
sleep 1
rc0=$(dev_counter reclaim_events)
nicctl queue set "$ctrl/1" offload on
for _ in $(seq 100); do kill -0 $mon 2>/dev/null || break; sleep 0.1; done
kill $mon 2>/dev/null || true
wait $mon || true
cat /tmp/monitor.out
nicctl queue show
nicctl -j stats show queue "$q" | head -c 400; echo
check "the monitor saw queue $q taken back" grep -q "queue-reclaimed queue $q " /tmp/monitor.out
check "the monitor saw queue $q offloaded again" grep -q "queue-offloaded queue $q " /tmp/monitor.out
check "nicsim1 counted the reclaim (reclaim_events $rc0)" ge "$rc0" 1
for _ in $(seq 50); do ioqs_all offloaded && break; sleep 0.2; done
check "both I/O queues offloaded again" ioqs_all offloaded
check "kernel log clean (no oops, warning, host I/O error, timeout or reset)" klog_clean

say "demo checks: $failed failed"
[ "$failed" -eq 0 ]
