#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/demo.sh: a target on our transport, the kernel's
# nvme-tcp host as the initiator, fio I/O with verification.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/nvmet.sh
. "$here/lib/nvmet.sh"
NQN=nqn.2026-11.io.nvmet-offload:demo
trap nvmet_cleanup EXIT

say() { printf '\n### %s\n' "$*"; }

say "load nvmet and our transport (nvmet-tcp stays unloaded)"
nvmet_transport_load
grep -E '^(nvmet_offload|nvmet) ' /proc/modules | cut -d' ' -f1-3
dmesg | grep 'nvmet_offload:' | tail -n 2

say "export a 1 GiB memory-backed null_blk namespace on 127.0.0.1:4420"
dev=$(nullb_create 1)
nvmet_subsys_create "$NQN"
nvmet_ns_create "$NQN" 1 "$dev"
nvmet_port_create 1 127.0.0.1 4420 ipv4
nvmet_port_link 1 "$NQN"
dmesg | grep 'nvmet_offload: port' | tail -n 1

say "nvme discover, then connect with header and data digests, 2 I/O queues"
modprobe nvme-tcp
nvme discover -t tcp -a 127.0.0.1 -s 4420 | grep -E 'trtype|subnqn|traddr'
host_connect "$NQN" 127.0.0.1 4420 --hdr-digest --data-digest --nr-io-queues=2
ns=$(host_ns_dev "$NQN")
nvme list | grep -E 'Node|----|nvme'

say "fio: 4k random writes with crc32c verification, then 4k random reads"
fio_verify "$ns" --bs=4k --size=32m --iodepth=16 --output-format=normal |
	grep -E 'write:|read:|verify|err='
fio --name=randread --filename="$ns" --rw=randread --bs=4k --size=256m \
	--ioengine=libaio --direct=1 --iodepth=32 --runtime=5 --time_based |
	grep -E 'read:|lat \(usec\): min|cpu'

say "per-queue counters of the target (debugfs; admin queue has qid 0)"
cat /sys/kernel/debug/nvmet_offload/queues

say "what the target saw (kernel log)"
dmesg | grep -E 'nvmet(_offload)?:' | tail -n 6
