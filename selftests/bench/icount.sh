#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench-icount.sh: CPU per I/O of the whole path
# (fio, block layer, the nvme-tcp host and the target) on one vCPU whose
# clock counts instructions (QEMU -icount, sleep=off), so the figure does
# not depend on what else the host runs. Configurations, in one boot,
# alternating, REPS rounds:
#
#   local   fio straight on null_blk: the part no transport changes
#   stock   the kernel's nvmet-tcp over 127.0.0.1
#   ours    nvmet_offload.ko (this tree), software path
#   alt     another build of nvmet_offload.ko (NVO_ICOUNT_ALT, e.g. the
#           tree before a change), software path; only when it is there
#   offload nvmet_offload.ko, the I/O queue offloaded to nicsim1 (one
#           engine): the engine thread's time is the NIC's, the rest the
#           host's (initiator and target share the vCPU)
#   rstock  the kernel's nvmet-rdma, nvme-rdma host, over Soft-RoCE (rxe0
#           on dummy0: rxe loops a local address back in software)
#   rours   nvmet_offload_rdma.ko, the same way (rstock and rours share
#           trtype rdma: each is unloaded before the other loads)
#   roff    as rours, the I/O queue taken at connect by nicsim1's RDMA
#           engine (nicsim_rdma.ko): the engine thread's time is the NIC's,
#           the rest the host's (initiator and target share the vCPU)
#
# null_blk is not memory-backed: writes allocate nothing, so the first
# write round costs what the others do.
# Prints one CSV line per run (header first, lines start with "icount,"):
#   icount,config,workload,rep,ios,busy_us,us_per_io,nic_us_per_io
# busy_us: guest CPU time (all of /proc/stat's busy fields) over the run;
# nic_us_per_io: of that, the nicsim engine threads' own (offload, roff;
# else 0).
# Env: NVO_BENCH_REPS (2), NVO_BENCH_RUNTIME (8 s), NVO_BENCH_CONFIGS,
# NVO_BENCH_WORKLOADS.
set -u
REPS=${NVO_BENCH_REPS:-2}
RUNTIME=${NVO_BENCH_RUNTIME:-8}
ALT=${NVO_ICOUNT_ALT:-/opt/nvmet-offload/extra/nvmet_offload.ko}
CONFIGS=${NVO_BENCH_CONFIGS:-local stock ours alt offload rstock rours roff}
WORKLOADS=${NVO_BENCH_WORKLOADS:-rr4k-qd32 rw4k-qd32 rr4k-qd1 rw4k-qd1 sr1m-qd4}
NQN=nqn.2026-11.io.nvmet-offload:icount
# shellcheck disable=SC2034 # lib.sh's
CFG=/sys/kernel/config/nvmet
MODS=/opt/nvmet-offload/modules

die() { echo "icount: $*" >&2; exit 1; }

# shellcheck source=lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

# jiffies (USER_HZ) the CPU was busy: user nice system irq softirq steal
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# jiffies of the nicsim engine threads (nicsim's engines, nicsim_rdma's
# per-queue threads)
engine_busy() {
	local t=0 p
	for p in $(pgrep '^nicsim' 2>/dev/null); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

setup() { # CONFIG
	DEV=
	case $1 in
	local) DEV=/dev/nullb0; return 0 ;;
	stock) modprobe nvmet-tcp || return 1 ;;
	ours) insmod $MODS/nvmet_offload.ko || return 1 ;;
	alt) insmod "$ALT" || return 1 ;;
	offload)
		insmod $MODS/nvmet_offload.ko && insmod $MODS/nicsim.ko || return 1
		echo "1 1 0" >/sys/bus/nicsim/new_device || return 1
		bench_port_add tcp 127.0.0.1 || return 1
		echo "1 on nicsim1" >/sys/kernel/debug/nvmet_offload/port_offload || return 1
		bench_connect tcp 127.0.0.1 || return 1
		bench_tcp_offloaded || { echo "icount: offload: no queue offloaded" >&2; return 1; }
		return ;;
	rstock | rours | roff)
		bench_rdma_load "$1" || return 1
		bench_port_add rdma "$RDMA_ADDR" || return 1
		bench_rdma_bind "$1" || return 1
		bench_connect rdma "$RDMA_ADDR" || return 1
		bench_rdma_offloaded "$1" || { echo "icount: $1: no queue offloaded" >&2; return 1; }
		return ;;
	esac
	bench_port_add tcp 127.0.0.1 || return 1
	bench_connect tcp 127.0.0.1
}

teardown() { # CONFIG
	[ "$1" = local ] && return 0
	nvme disconnect -n $NQN >/dev/null
	bench_port_del
	case $1 in
	stock) rmmod nvmet_tcp ;;
	offload)
		echo 1 >/sys/bus/nicsim/del_device
		rmmod nicsim nvmet_offload ;;
	rstock | rours | roff) bench_rdma_unload "$1" ;;
	*) rmmod nvmet_offload ;;
	esac
}

run() { # CONFIG WORKLOAD REP
	local b0 b1 e0 e1 out
	b0=$(busy)
	e0=$(engine_busy)
	# shellcheck disable=SC2046 # wl_args is a list of options
	out=$(fio --name=icount --filename="$DEV" $(wl_args "$2") --ioengine=libaio \
		--direct=1 --runtime="$RUNTIME" --time_based --size=512m \
		--output-format=terse --terse-version=3) || return 1
	b1=$(busy)
	e1=$(engine_busy)
	# terse v3: KiB read $6, written $47 (KiB, not I/Os: divided by the
	# block size)
	echo "$out" | awk -F';' -v cfg="$1" -v wl="$2" -v rep="$3" -v j=$((b1 - b0)) \
		-v e=$((e1 - e0)) -v bs_kib=$(($(wl_bs "$2") / 1024)) '
	{ ios = ($6 + $47) / bs_kib; us = j * 10000
	  printf "icount,%s,%s,%s,%d,%d,%.2f,%.2f\n", cfg, wl, rep, ios, us,
		ios ? us / ios : 0, ios ? e * 10000 / ios : 0 }'
}

for w in $WORKLOADS; do wl_args "$w" >/dev/null || die "unknown workload $w"; done
[ -e "$ALT" ] || CONFIGS=${CONFIGS//alt/}
modprobe nvmet || die "no nvmet"
modprobe nvme-tcp || die "no nvme-tcp"
modprobe libcrc32c
modprobe null_blk nr_devices=1 gb=1 bs=4096 queue_mode=2 irqmode=0 || die "no null_blk"
bench_subsys /dev/nullb0 || die "cannot export /dev/nullb0"

echo "icount,config,workload,rep,ios,busy_us,us_per_io,nic_us_per_io"
for rep in $(seq "$REPS"); do
	for cfg in $CONFIGS; do
		setup "$cfg" || die "set-up of $cfg failed"
		for w in $WORKLOADS; do
			run "$cfg" "$w" "$rep" || die "fio failed: $cfg $w"
		done
		teardown "$cfg"
	done
done
