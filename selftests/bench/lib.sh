#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the benchmark's guest scripts (perf.sh, icount.sh) share: the
# workloads, the target's subsystem and port, the host's connect, and the
# NVMe/RDMA configurations over Soft-RoCE. Sourced; the caller sets NQN and
# CFG (the nvmet configfs root) first.
#
#   wl_args WORKLOAD            fio's options for a workload name
#   wl_bs WORKLOAD              its block size in bytes
#   bench_subsys DEV            NQN with DEV as namespace 1, any host
#   bench_port_add TRTYPE ADDR  port 1 at ADDR:4420 (ipv4), NQN linked
#   bench_port_del              NQN unlinked, port 1 removed
#   bench_connect TRTYPE ADDR [WRAPPER...]
#                               nvme connect (one I/O queue) to NQN, run
#                               under WRAPPER (e.g. ip netns exec ini); sets
#                               DEV to the namespace's /dev/nvmeXnY
#   bench_rdma CONFIG           true for the RDMA configurations
#   bench_rdma_load CONFIG      rstock: the kernel's nvmet-rdma; rours:
#                               nvmet_offload_rdma.ko; roff: that, and
#                               nicsim1 (nicsim_rdma.ko) with one engine on
#                               vCPU $BENCH_NIC_CPU (default 0), to which
#                               bench_rdma_bind hands port 1's I/O queues
#                               at connect. They register the same trtype:
#                               one at a time
#   bench_rdma_bind CONFIG      roff: port 1 bound to nicsim1, policy on
#   bench_rdma_offloaded CONFIG roff: true once nicsim1 holds an RDMA queue
#   bench_rdma_unload CONFIG
#   bench_tcp_offloaded         true once port 1 has an NVMe/TCP I/O queue
#                               offloaded (nvmet_offload.ko; 10 s at most)
# The RDMA configurations run over rxe0 on dummy0 at $RDMA_ADDR
# (rdma_link_up of selftests/lib/rdma_test.sh, as the rdma_*.sh tests do).

_bench_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/rdma_test.sh
. "$_bench_lib/../lib/rdma_test.sh"
unset _bench_lib

wl_args() {
	case $1 in
	rr4k-qd1) echo --rw=randread --bs=4k --iodepth=1 ;;
	rr4k-qd32) echo --rw=randread --bs=4k --iodepth=32 ;;
	rw4k-qd1) echo --rw=randwrite --bs=4k --iodepth=1 ;;
	rw4k-qd32) echo --rw=randwrite --bs=4k --iodepth=32 ;;
	sr128k-qd16) echo --rw=read --bs=128k --iodepth=16 ;;
	sr1m-qd4) echo --rw=read --bs=1M --iodepth=4 ;;
	*) return 1 ;;
	esac
}

wl_bs() {
	local bs
	bs=$(wl_args "$1" | sed -n 's/.*--bs=\([0-9]*[kM]\).*/\1/p')
	case $bs in
	*k) echo $((${bs%k} * 1024)) ;;
	*M) echo $((${bs%M} * 1048576)) ;;
	*) return 1 ;;
	esac
}

bench_subsys() {
	mkdir "$CFG/subsystems/$NQN" &&
		echo 1 >"$CFG/subsystems/$NQN/attr_allow_any_host" &&
		mkdir "$CFG/subsystems/$NQN/namespaces/1" &&
		echo "$1" >"$CFG/subsystems/$NQN/namespaces/1/device_path" &&
		echo 1 >"$CFG/subsystems/$NQN/namespaces/1/enable"
}

bench_port_add() {
	mkdir -p "$CFG/ports/1" &&
		echo "$1" >"$CFG/ports/1/addr_trtype" &&
		echo ipv4 >"$CFG/ports/1/addr_adrfam" &&
		echo "$2" >"$CFG/ports/1/addr_traddr" &&
		echo 4420 >"$CFG/ports/1/addr_trsvcid" &&
		ln -s "$CFG/subsystems/$NQN" "$CFG/ports/1/subsystems/$NQN"
}

bench_port_del() {
	rm -f "$CFG/ports/1/subsystems/$NQN"
	rmdir "$CFG/ports/1"
}

bench_connect() {
	local tr=$1 addr=$2 b
	shift 2
	"$@" nvme connect -t "$tr" -a "$addr" -s 4420 -n "$NQN" --nr-io-queues=1 >/dev/null ||
		return 1
	for _ in $(seq 100); do
		for b in /sys/block/nvme*n*; do
			[ -e "/dev/${b##*/}" ] || continue
			# shellcheck disable=SC2034 # the caller's
			grep -qx "$NQN" "$b/device/subsysnqn" 2>/dev/null &&
				{ DEV=/dev/${b##*/}; return 0; }
		done
		sleep 0.1
	done
	return 1
}

bench_rdma() { case $1 in rstock | rours | roff) return 0 ;; esac; return 1; }

bench_rdma_load() {
	rdma_link_up >&2 || return 1
	modprobe nvme-rdma || return 1
	if [ "$1" = rstock ]; then
		modprobe nvmet-rdma || return 1
	else
		# ours lists its queues through nvmet_offload.ko: loaded first
		modprobe rdma_cm && modprobe nvmet && modprobe libcrc32c || return 1
		grep -q '^nvmet_offload ' /proc/modules ||
			insmod "$NVO_MODULES/nvmet_offload.ko" || return 1
		insmod "$NVO_MODULES/nvmet_offload_rdma.ko" || return 1
	fi
	if [ "$1" = roff ]; then
		insmod "$NVO_MODULES/nicsim.ko" && insmod "$NVO_MODULES/nicsim_rdma.ko" ||
			return 1
		echo "1 1 ${BENCH_NIC_CPU:-0}" >/sys/bus/nicsim/new_device || return 1
	fi
	# which of the two serves trtype rdma in this round
	echo "# $1: $(grep -oE '^nvmet_(offload_)?rdma ' /proc/modules)loaded"
}

bench_rdma_bind() {
	[ "$1" = roff ] || return 0
	echo "1 on nicsim1" >/sys/kernel/debug/nvmet_offload/port_offload
}

bench_rdma_offloaded() {
	[ "$1" = roff ] || return 0
	[ "$(cat /sys/kernel/debug/nicsim/nicsim1/rdma_queues 2>/dev/null)" -ge 1 ] 2>/dev/null
}

# the queues of the last connection may still be on their way out
bench_rdma_unload() {
	local mod=nvmet_offload_rdma
	[ "$1" = rstock ] && mod=nvmet_rdma
	if [ "$1" = roff ]; then
		echo 1 >/sys/bus/nicsim/del_device
		rmmod nicsim_rdma && rmmod nicsim || return 1
	fi
	for _ in $(seq 50); do
		rmmod $mod 2>/dev/null && break
		sleep 0.1
	done
	grep -q "^$mod " /proc/modules && { rmmod $mod || return 1; }
	# and the core ours loaded (a TCP configuration loads its own)
	[ "$1" = rstock ] || rmmod nvmet_offload
}

bench_tcp_offloaded() {
	local q=/sys/kernel/debug/nvmet_offload/queues _

	for _ in $(seq 100); do
		awk 'NR > 1 && $4 > 0 && $16 == "offloaded" { ok = 1 } END { exit !ok }' "$q" &&
			return 0
		sleep 0.1
	done
	cat "$q" >&2
	return 1
}
