#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench.sh: stock nvmet-tcp against our software
# transport, in one boot, alternating, REPS times each. Prints one CSV line
# per run: config,rep,iops,cpu_us_per_io,p50_us,p99_us
# CPU is all vCPUs' busy time (target + initiator + fio) over the run: the
# initiator side is the same in both configurations, so the difference and
# the ratio speak for the target.
set -u
REPS=${NVO_BENCH_REPS:-3}
RUNTIME=${NVO_BENCH_RUNTIME:-10}
NQN=nqn.2026-11.io.nvmet-offload:bench
CFG=/sys/kernel/config/nvmet

cpu_busy() { # busy jiffies of all CPUs
	awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat
}

setup_target() { # TRANSPORT: stock|ours
	if [ "$1" = stock ]; then
		modprobe nvmet-tcp || return 1
	else
		modprobe libcrc32c
		insmod /opt/nvmet-offload/modules/nvmet_offload.ko || return 1
	fi
	mkdir -p $CFG/ports/1
	echo tcp >$CFG/ports/1/addr_trtype
	echo ipv4 >$CFG/ports/1/addr_adrfam
	echo 127.0.0.1 >$CFG/ports/1/addr_traddr
	echo 4420 >$CFG/ports/1/addr_trsvcid
	ln -s $CFG/subsystems/$NQN $CFG/ports/1/subsystems/$NQN
	nvme connect -t tcp -a 127.0.0.1 -s 4420 -n $NQN >/dev/null || return 1
	for _ in $(seq 50); do
		for b in /sys/block/nvme*n*; do
			[ -e "/dev/${b##*/}" ] || continue
			grep -qx "$NQN" "$b/device/subsysnqn" 2>/dev/null &&
				{ DEV=/dev/${b##*/}; return 0; }
		done
		sleep 0.2
	done
	return 1
}

teardown_target() {
	nvme disconnect -n $NQN >/dev/null
	rm -f $CFG/ports/1/subsystems/$NQN
	rmdir $CFG/ports/1
	if [ "$1" = stock ]; then rmmod nvmet_tcp; else rmmod nvmet_offload; fi
}

run_fio() { # CONFIG REP
	local before after out iops rt ios
	before=$(cpu_busy)
	out=$(fio --name=bench --filename="$DEV" --rw=randread --bs=4k \
		--ioengine=libaio --direct=1 --iodepth=32 --runtime="$RUNTIME" \
		--time_based --size=256m --output-format=terse --terse-version=3 \
		--clat_percentiles=1 --percentile_list=50:99)
	after=$(cpu_busy)
	echo "$out" | awk -F';' -v cfg="$1" -v rep="$2" -v busy=$((after - before)) '{
		iops = $8; ms = $9; ios = iops * ms / 1000
		split($18, a, "="); split($19, b, "=")
		printf "%s,%s,%d,%.1f,%s,%s\n", cfg, rep, iops,
			ios ? busy * 10000 / ios : 0, a[2], b[2] }'
}

modprobe nvmet
modprobe nvme-tcp
modprobe null_blk nr_devices=1 gb=1 bs=4096 queue_mode=2 irqmode=0
mkdir $CFG/subsystems/$NQN
echo 1 >$CFG/subsystems/$NQN/attr_allow_any_host
mkdir $CFG/subsystems/$NQN/namespaces/1
echo /dev/nullb0 >$CFG/subsystems/$NQN/namespaces/1/device_path
echo 1 >$CFG/subsystems/$NQN/namespaces/1/enable

echo "config,rep,iops,cpu_us_per_io,p50_us,p99_us"
for rep in $(seq "$REPS"); do
	for cfg in stock ours; do
		setup_target $cfg || { echo "setup of $cfg failed" >&2; exit 1; }
		run_fio $cfg "$rep"
		teardown_target $cfg
	done
done
