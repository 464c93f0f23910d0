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
#
# null_blk is not memory-backed: writes allocate nothing, so the first
# write round costs what the others do.
# Prints one CSV line per run (header first, lines start with "icount,"):
#   icount,config,workload,rep,ios,busy_us,us_per_io
# busy_us: guest CPU time (all of /proc/stat's busy fields) over the run.
# Env: NVO_BENCH_REPS (2), NVO_BENCH_RUNTIME (8 s), NVO_BENCH_CONFIGS,
# NVO_BENCH_WORKLOADS.
set -u
REPS=${NVO_BENCH_REPS:-2}
RUNTIME=${NVO_BENCH_RUNTIME:-8}
ALT=${NVO_ICOUNT_ALT:-/opt/nvmet-offload/extra/nvmet_offload.ko}
CONFIGS=${NVO_BENCH_CONFIGS:-local stock ours alt}
WORKLOADS=${NVO_BENCH_WORKLOADS:-rr4k-qd32 rw4k-qd32 rr4k-qd1 rw4k-qd1}
NQN=nqn.2026-11.io.nvmet-offload:icount
CFG=/sys/kernel/config/nvmet
MODS=/opt/nvmet-offload/modules

die() { echo "icount: $*" >&2; exit 1; }

wl_args() {
	case $1 in
	rr4k-qd1) echo --rw=randread --bs=4k --iodepth=1 ;;
	rr4k-qd32) echo --rw=randread --bs=4k --iodepth=32 ;;
	rw4k-qd1) echo --rw=randwrite --bs=4k --iodepth=1 ;;
	rw4k-qd32) echo --rw=randwrite --bs=4k --iodepth=32 ;;
	*) return 1 ;;
	esac
}

# jiffies (USER_HZ) the CPU was busy: user nice system irq softirq steal
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

connect() {
	local i b
	nvme connect -t tcp -a 127.0.0.1 -s 4420 -n $NQN --nr-io-queues=1 >/dev/null ||
		return 1
	for i in $(seq 100); do
		for b in /sys/block/nvme*n*; do
			[ -e "/dev/${b##*/}" ] || continue
			grep -qx "$NQN" "$b/device/subsysnqn" 2>/dev/null &&
				{ DEV=/dev/${b##*/}; return 0; }
		done
		sleep 0.1
	done
	return 1
}

setup() { # CONFIG
	DEV=
	case $1 in
	local) DEV=/dev/nullb0; return 0 ;;
	stock) modprobe nvmet-tcp || return 1 ;;
	ours) insmod $MODS/nvmet_offload.ko || return 1 ;;
	alt) insmod "$ALT" || return 1 ;;
	esac
	mkdir -p $CFG/ports/1
	echo tcp >$CFG/ports/1/addr_trtype
	echo ipv4 >$CFG/ports/1/addr_adrfam
	echo 127.0.0.1 >$CFG/ports/1/addr_traddr
	echo 4420 >$CFG/ports/1/addr_trsvcid
	ln -s $CFG/subsystems/$NQN $CFG/ports/1/subsystems/$NQN
	connect
}

teardown() { # CONFIG
	[ "$1" = local ] && return 0
	nvme disconnect -n $NQN >/dev/null
	rm -f $CFG/ports/1/subsystems/$NQN
	rmdir $CFG/ports/1
	if [ "$1" = stock ]; then rmmod nvmet_tcp; else rmmod nvmet_offload; fi
}

run() { # CONFIG WORKLOAD REP
	local b0 b1 out
	b0=$(busy)
	# shellcheck disable=SC2046 # wl_args is a list of options
	out=$(fio --name=icount --filename="$DEV" $(wl_args "$2") --ioengine=libaio \
		--direct=1 --runtime="$RUNTIME" --time_based --size=512m \
		--output-format=terse --terse-version=3) || return 1
	b1=$(busy)
	# terse v3: read total I/Os $6, write $47
	echo "$out" | awk -F';' -v cfg="$1" -v wl="$2" -v rep="$3" -v j=$((b1 - b0)) '
	{ ios = $6 + $47; us = j * 10000
	  printf "icount,%s,%s,%s,%d,%d,%.2f\n", cfg, wl, rep, ios, us, ios ? us / ios : 0 }'
}

for w in $WORKLOADS; do wl_args "$w" >/dev/null || die "unknown workload $w"; done
[ -e "$ALT" ] || CONFIGS=${CONFIGS//alt/}
modprobe nvmet || die "no nvmet"
modprobe nvme-tcp || die "no nvme-tcp"
modprobe libcrc32c
modprobe null_blk nr_devices=1 gb=1 bs=4096 queue_mode=2 irqmode=0 || die "no null_blk"
mkdir $CFG/subsystems/$NQN
echo 1 >$CFG/subsystems/$NQN/attr_allow_any_host
mkdir $CFG/subsystems/$NQN/namespaces/1
echo /dev/nullb0 >$CFG/subsystems/$NQN/namespaces/1/device_path
echo 1 >$CFG/subsystems/$NQN/namespaces/1/enable

echo "icount,config,workload,rep,ios,busy_us,us_per_io"
for rep in $(seq "$REPS"); do
	for cfg in $CONFIGS; do
		setup "$cfg" || die "set-up of $cfg failed"
		for w in $WORKLOADS; do
			run "$cfg" "$w" "$rep" || die "fio failed: $cfg $w"
		done
		teardown "$cfg"
	done
done
