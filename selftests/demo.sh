#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/demo.sh: a target on our transport with its I/O
# queues offloaded to a simulated SmartNIC (nicsim), administered with
# nicctl; the kernel's nvme-tcp host as the initiator, fio with
# verification, the counters, and a queue taken back live.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/nvmet.sh
. "$here/lib/nvmet.sh"
NQN=nqn.2026-11.io.nvmet-offload:demo
DBG=/sys/kernel/debug/nvmet_offload
cleanup() {
	nvmet_cleanup
	echo 1 >/sys/bus/nicsim/del_device 2>/dev/null || true
	rmmod nicsim 2>/dev/null || true
}
trap cleanup EXIT

say() { printf '\n### %s\n' "$*"; }

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

say "fio: 4k random writes with crc32c verification, then 4k random reads"
fio_verify "$ns" --bs=4k --size=32m --iodepth=16 --output-format=normal |
	grep -E 'write:|read:|err='
fio --name=randread --filename="$ns" --rw=randread --bs=4k --size=256m \
	--ioengine=libaio --direct=1 --iodepth=32 --runtime=5 --time_based |
	grep -E 'read:|lat \(usec\): min|cpu'

say "the device's counters"
nicctl stats show dev nicsim1

say "one I/O queue taken back live (nicctl monitor follows the events)"
nicctl monitor --count 2 >/tmp/monitor.out 2>&1 &
mon=$!
sleep 0.5
ctrl=$(awk 'NR > 1 && $4 == 1 { print $3 }' $DBG/queues)
nicctl queue set "$ctrl/1" offload off
sleep 1
nicctl queue set "$ctrl/1" offload on
wait $mon || true
cat /tmp/monitor.out
nicctl queue show
nicctl -j stats show queue 1 | head -c 400; echo
