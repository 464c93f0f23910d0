#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench.sh: stock nvmet-tcp, our software transport
# and our transport with the I/O queues offloaded to nicsim, in one boot,
# alternating, REPS times each. Prints one CSV line per run:
#   config,rep,iops,cpu_us_per_io,engine_us_per_io,p50_us,p99_us
# cpu: all vCPUs' busy time (target + initiator + fio) over the run; the
# initiator side is the same in every configuration, so differences and
# ratios speak for the target. engine: the nicsim engine threads' own CPU
# (the simulated NIC cores), 0 elsewhere.
set -u
REPS=${NVO_BENCH_REPS:-3}
RUNTIME=${NVO_BENCH_RUNTIME:-10}
NQN=nqn.2026-11.io.nvmet-offload:bench
CFG=/sys/kernel/config/nvmet

cpu_busy() { # busy jiffies of all CPUs
	awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat
}

engine_busy() { # jiffies of the nicsim engine threads
	local t=0 p
	for p in $(pgrep '^nicsim' 2>/dev/null); do
		t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
	done
	echo $t
}

setup_target() { # TRANSPORT: stock|ours
	if [ "$1" = stock ]; then
		modprobe nvmet-tcp || return 1
	else
		modprobe libcrc32c
		insmod /opt/nvmet-offload/modules/nvmet_offload.ko || return 1
	fi
	if [ "$1" = offload ]; then
		insmod /opt/nvmet-offload/modules/nicsim.ko || return 1
		# one engine, on the last vCPU: the "NIC core"
		echo "1 1 $(($(nproc) - 1))" >/sys/bus/nicsim/new_device || return 1
	fi
	mkdir -p $CFG/ports/1
	echo tcp >$CFG/ports/1/addr_trtype
	echo ipv4 >$CFG/ports/1/addr_adrfam
	echo 127.0.0.1 >$CFG/ports/1/addr_traddr
	echo 4420 >$CFG/ports/1/addr_trsvcid
	ln -s $CFG/subsystems/$NQN $CFG/ports/1/subsystems/$NQN
	if [ "$1" = offload ]; then
		echo "1 on nicsim1" >/sys/kernel/debug/nvmet_offload/port_offload || return 1
	fi
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
	if [ "$1" = offload ]; then
		echo 1 >/sys/bus/nicsim/del_device
		rmmod nicsim
	fi
	if [ "$1" = stock ]; then rmmod nvmet_tcp; else rmmod nvmet_offload; fi
}

run_fio() { # CONFIG REP
	local before after ebefore eafter out
	before=$(cpu_busy)
	ebefore=$(engine_busy)
	out=$(fio --name=bench --filename="$DEV" --rw=randread --bs=4k \
		--ioengine=libaio --direct=1 --iodepth=32 --runtime="$RUNTIME" \
		--time_based --size=256m --output-format=terse --terse-version=3 \
		--clat_percentiles=1 --percentile_list=50:99)
	after=$(cpu_busy)
	eafter=$(engine_busy)
	echo "$out" | awk -F';' -v cfg="$1" -v rep="$2" -v busy=$((after - before)) \
		-v ebusy=$((eafter - ebefore)) '{
		iops = $8; ms = $9; ios = iops * ms / 1000
		split($18, a, "="); split($19, b, "=")
		printf "%s,%s,%d,%.1f,%.1f,%s,%s\n", cfg, rep, iops,
			ios ? busy * 10000 / ios : 0, ios ? ebusy * 10000 / ios : 0,
			a[2], b[2] }'
}

modprobe nvmet
modprobe nvme-tcp
modprobe null_blk nr_devices=1 gb=1 bs=4096 queue_mode=2 irqmode=0
mkdir $CFG/subsystems/$NQN
echo 1 >$CFG/subsystems/$NQN/attr_allow_any_host
mkdir $CFG/subsystems/$NQN/namespaces/1
echo /dev/nullb0 >$CFG/subsystems/$NQN/namespaces/1/device_path
echo 1 >$CFG/subsystems/$NQN/namespaces/1/enable

echo "config,rep,iops,cpu_us_per_io,engine_us_per_io,p50_us,p99_us"
for rep in $(seq "$REPS"); do
	for cfg in stock ours offload; do
		setup_target $cfg || { echo "setup of $cfg failed" >&2; exit 1; }
		run_fio $cfg "$rep"
		teardown_target $cfg
	done
done
