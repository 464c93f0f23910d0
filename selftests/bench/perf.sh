#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench.sh, part 1: the configurations against each
# other, in one boot, alternating (every configuration once per round,
# REPS rounds), each running every workload:
#
#   stock     the kernel's nvmet-tcp
#   ours      nvmet_offload.ko, software path
#   offload   nvmet_offload.ko, I/O queue offloaded to nicsim
#   offnic    as offload, and the target side's TCP receive processing
#             (softirq) steered to the NIC core too: what a NIC that also
#             terminates TCP would leave on the host (a model, see
#             Documentation/performance.md)
#   ceiling   fio directly on the null_blk device (no network, no target)
#   rstock    the kernel's nvmet-rdma, nvme-rdma host, over Soft-RoCE
#   rours     nvmet_offload_rdma.ko, the same way (rstock and rours share
#             trtype rdma: each is unloaded before the other loads)
#   roff      as rours, the I/O queue taken at connect by nicsim1's RDMA
#             engine (nicsim_rdma.ko), its thread on the NIC core
#
# CPU placement (needs >= 4 online vCPUs; the others are taken offline):
#   vCPU 0  initiator: nvme-tcp's I/O work and its TCP receive (RPS)
#   vCPU 1  fio
#   vCPU 2  target host core: its TCP receive (RPS), io_work, null_blk
#   vCPU 3  NIC core: the nicsim engine thread
# Initiator and target talk over a veth pair, the initiator in its own
# network namespace, so that each side's receive softirq can be steered
# (RPS) to its own vCPUs; over loopback both sides' receive runs on the
# sender's CPU. Each vCPU's busy time comes from /proc/stat, the engine
# threads' own from /proc/PID/stat. The RDMA configurations have no such
# split: host and target share rxe0, which hands a packet for a local
# address straight to its receive path on the sending CPU, so only their
# sum (all vCPUs) per I/O means something (Documentation/performance.md).
#
# Prints one CSV line per run (header first, lines start with "perf,"):
#   perf,config,workload,rep,iops,p50_us,p99_us,ini_us,tgt_us,nic_us,eng_us,busy0,...,busy3
# *_us: CPU microseconds per I/O on the initiator vCPUs (0-1), the target
# host core (2, and any other vCPU but 3), the NIC core (3), and of the
# engine threads themselves; busyN: vCPU N's busy share (%) over the run
# (which one limits the rate). Before each round a line
#   idle,rep,cpu0%,cpu1%,...: each vCPU's busy share with nothing running.
# Env: NVO_BENCH_REPS (3), NVO_BENCH_RUNTIME (6 s, plus 1 s ramp),
# NVO_BENCH_CONFIGS, NVO_BENCH_WORKLOADS (names below).
set -u
REPS=${NVO_BENCH_REPS:-3}
RUNTIME=${NVO_BENCH_RUNTIME:-6}
CONFIGS=${NVO_BENCH_CONFIGS:-stock ours offload offnic ceiling rstock rours roff}
WORKLOADS=${NVO_BENCH_WORKLOADS:-rr4k-qd1 rr4k-qd32 rw4k-qd1 rw4k-qd32 sr128k-qd16 sr1m-qd4}
NQN=nqn.2026-11.io.nvmet-offload:bench
# shellcheck disable=SC2034 # lib.sh's
CFG=/sys/kernel/config/nvmet
DBG=/sys/kernel/debug/nvmet_offload
MODS=/opt/nvmet-offload/modules
CPU_INI=0 CPU_FIO=1 CPU_TGT=2 CPU_NIC=3
TGT_IP=10.99.0.1 INI_IP=10.99.0.2

die() { echo "perf: $*" >&2; exit 1; }

# shellcheck source=lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

# "cpuN busy" for every online vCPU: user nice system irq softirq steal
cpu_busy() { awk '/^cpu[0-9]/ { print $1, $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

engine_busy() { # jiffies of the nicsim engine threads
	local t=0 p
	for p in $(pgrep '^nicsim' 2>/dev/null); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}

hexmask() { printf '%x' $((1 << $1)); }

# Everything that may move leaves the target's and the NIC's vCPUs for
# the initiator's: this script and its children (nvme-cli, ip, awk), the
# kernel threads that allow it (rcu_preempt, busy under TCG, kcompactd ...;
# kthreadd, so that new ones start there), unbound workqueues. Per-CPU
# kthreads and kworkers stay (they refuse).
housekeeping_on_initiator() {
	local mask p
	mask=$(printf '%x' $(((1 << CPU_INI) | (1 << CPU_FIO))))
	echo "$mask" >/sys/devices/virtual/workqueue/cpumask 2>/dev/null
	for p in /proc/[0-9]*; do
		taskset -p "$mask" "${p#/proc/}" >/dev/null 2>&1
	done
	taskset -p "$(hexmask $CPU_INI)" $$ >/dev/null
}

housekeeping_everywhere() {
	local all p
	all=$(printf '%x' $(((1 << NCPUS) - 1)))
	echo "$all" >/sys/devices/virtual/workqueue/cpumask 2>/dev/null
	for p in /proc/[0-9]*; do
		taskset -p "$all" "${p#/proc/}" >/dev/null 2>&1
	done
}

# idle REP: each vCPU's busy share over 2 s with nothing running. Under
# TCG on a loaded host an idle vCPU looks busy (its ticks and wake-ups take
# host time it waits for): a high figure means the CPU columns are not
# to be trusted.
idle() {
	cpu_busy >/tmp/cpu.before
	sleep 2
	cpu_busy | paste -d' ' /tmp/cpu.before - |
		awk -v rep="$1" '{ s = s sprintf(",%.1f", ($4 - $2) / 2) } END { print "idle," rep s }'
}

net_setup() {
	ip netns add ini || return 1
	ip link add vtgt type veth peer name vini || return 1
	ip link set vini netns ini || return 1
	ip addr add $TGT_IP/24 dev vtgt && ip link set vtgt up || return 1
	ip netns exec ini sh -c "ip link set lo up && ip addr add $INI_IP/24 dev vini &&
		ip link set vini up && echo $(hexmask $CPU_INI) >/sys/class/net/vini/queues/rx-0/rps_cpus" ||
		return 1
	steer_target $CPU_TGT
}

# steer_target CPU: the target side's TCP receive runs on CPU
steer_target() { hexmask "$1" >/sys/class/net/vtgt/queues/rx-0/rps_cpus; }

# Our transport runs a queue's io_work on queue->cpu, given round robin
# over the online CPUs as queues are accepted (nvo_pick_cpu()); a connect
# takes two (admin + I/O queue). Until an I/O queue lands on the target's
# core: reconnect, every other time after a bare TCP connection that takes
# one more.
ours_on_target_cpu() {
	awk -v c=$CPU_TGT 'NR > 1 && $4 > 0 { n++; if ($6 != c) bad = 1 } END { exit bad || n != 1 }' \
		"$DBG/queues"
}

ours_place_queue() {
	local i
	for i in $(seq 8); do
		ours_on_target_cpu && return 0
		nvme disconnect -n $NQN >/dev/null
		# wait for the old queues to be released
		while [ "$(wc -l <$DBG/queues)" -gt 1 ]; do sleep 0.05; done
		if [ $((i % 2)) = 1 ]; then
			exec 3<>/dev/tcp/$TGT_IP/4420 && exec 3<&-
			while [ "$(wc -l <$DBG/queues)" -gt 1 ]; do sleep 0.05; done
		fi
		connect || return 1
	done
	ours_on_target_cpu && return 0
	echo "perf: ours: I/O queue not on vCPU $CPU_TGT" >&2
	cat $DBG/queues >&2
	return 1
}

connect() { bench_connect tcp $TGT_IP ip netns exec ini; }

setup_target() { # CONFIG
	local cfg=$1 i
	DEV=
	[ "$cfg" = ceiling ] && { DEV=/dev/nullb0; return 0; }
	if bench_rdma "$cfg"; then
		BENCH_NIC_CPU=$CPU_NIC bench_rdma_load "$cfg" && bench_port_add rdma "$RDMA_ADDR" &&
			bench_rdma_bind "$cfg" && bench_connect rdma "$RDMA_ADDR" || return 1
		bench_rdma_offloaded "$cfg" || { echo "perf: $cfg: no queue offloaded" >&2; return 1; }
		return
	fi
	if [ "$cfg" = stock ]; then
		modprobe nvmet-tcp || return 1
	else
		modprobe libcrc32c
		insmod $MODS/nvmet_offload.ko || return 1
	fi
	case $cfg in offload | offnic)
		insmod $MODS/nicsim.ko || return 1
		# one engine, alone on its vCPU: the "NIC core"
		echo "1 1 $CPU_NIC" >/sys/bus/nicsim/new_device || return 1 ;;
	esac
	bench_port_add tcp $TGT_IP || return 1
	case $cfg in offload | offnic)
		echo "1 on nicsim1" >$DBG/port_offload || return 1 ;;
	esac
	[ "$cfg" = offnic ] && steer_target $CPU_NIC
	connect || return 1
	if [ "$cfg" = ours ]; then
		ours_place_queue || return 1
	fi
	case $cfg in offload | offnic)
		bench_tcp_offloaded && return 0
		echo "perf: $cfg: the I/O queue is not offloaded" >&2
		return 1 ;;
	esac
	return 0
}

teardown_target() { # CONFIG
	[ "$1" = ceiling ] && return 0
	nvme disconnect -n $NQN >/dev/null
	bench_port_del
	bench_rdma "$1" && { bench_rdma_unload "$1"; return; }
	steer_target $CPU_TGT
	case $1 in offload | offnic)
		echo 1 >/sys/bus/nicsim/del_device
		rmmod nicsim ;;
	esac
	if [ "$1" = stock ]; then rmmod nvmet_tcp; else rmmod nvmet_offload; fi
}

run_fio() { # CONFIG WORKLOAD REP
	local out eb ea
	# shellcheck disable=SC2046 # wl_args is a list of options
	set -- "$1" "$2" "$3" $(wl_args "$2")
	cpu_busy >/tmp/cpu.before
	eb=$(engine_busy)
	if [ -n "${NVO_BENCH_DEBUG:-}" ]; then
		cat /proc/softirqs >/tmp/sirq.before
		cat /proc/interrupts >/tmp/irq.before
		for p in /proc/[0-9]*; do echo "${p#/proc/} $(awk '{ print $14 + $15, $39 }' "$p/stat" 2>/dev/null) $(cat "$p/comm" 2>/dev/null)"; done >/tmp/thr.before
	fi
	t0=${EPOCHREALTIME/./}
	out=$(fio --name=bench --cpus_allowed=$CPU_FIO --filename="$DEV" "${@:4}" \
		--ioengine=libaio --direct=1 --runtime="$RUNTIME" --ramp_time=1 \
		--time_based --size=512m --output-format=terse --terse-version=3 \
		--clat_percentiles=1 --percentile_list=50:99) || return 1
	cpu_busy >/tmp/cpu.after
	ea=$(engine_busy)
	t1=${EPOCHREALTIME/./}
	if [ -n "${NVO_BENCH_DEBUG:-}" ]; then
		echo "# $1 $2 per-vCPU busy jiffies: $(paste -d' ' /tmp/cpu.before /tmp/cpu.after | awk '{ printf "%s=%d ", $1, $4 - $2 }')"
		paste -d' ' /tmp/sirq.before /proc/softirqs | awk 'NR > 1 { h = NF / 2; printf "# %s", $1; for (i = 2; i <= h; i++) printf " %d", $(i + h) - $i; print "" }'
		paste -d' ' /tmp/irq.before /proc/interrupts | awk 'NR > 1 { h = int(NF / 2); printf "# %s", $1; for (i = 2; i <= 9; i++) printf " %d", $(i + h) - $i; print "" }' | awk '{ s = 0; for (i = 2; i <= NF; i++) s += $i; if (s > 50) print }'
		for p in /proc/[0-9]*; do echo "${p#/proc/} $(awk '{ print $14 + $15, $39 }' "$p/stat" 2>/dev/null) $(cat "$p/comm" 2>/dev/null)"; done >/tmp/thr.after
		awk 'FILENAME == ARGV[1] { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 2) print "# thread", $4, "cpu", $3, "jiffies", d }' /tmp/thr.before /tmp/thr.after
		cat $DBG/queues 2>/dev/null | sed 's/^/# /'
	fi
	# terse v3: read iops $8 runtime(ms) $9 p50 $18 p99 $19; write +41
	# The CPU deltas cover fio's start, ramp and exit too: scaled to the
	# measured part (its share of the wall time).
	echo "$out" | awk -F';' -v cfg="$1" -v wl="$2" -v rep="$3" \
		-v eng=$((ea - eb)) -v ini="$CPU_INI,$CPU_FIO" -v nic=$CPU_NIC \
		-v wall=$((t1 - t0)) '
	function pct(s) { sub(/.*=/, "", s); return s + 0 }
	BEGIN {
		while ((getline l < "/tmp/cpu.before") > 0) { split(l, a, " "); b[a[1]] = a[2] }
		while ((getline l < "/tmp/cpu.after") > 0) {
			split(l, a, " "); d = a[2] - b[a[1]]; n = substr(a[1], 4) + 0
			# busy share of each of the first 4 vCPUs
			if (n < 4) u[n] = d * 10000 / wall * 100
			if (index("," ini ",", "," n ",")) ci += d
			else if (n == nic) cn += d
			else ct += d
		}
	}
	{
		r = $8 > 0; iops = r ? $8 : $49; ms = r ? $9 : $50
		p50 = pct(r ? $18 : $59); p99 = pct(r ? $19 : $60)
		# jiffies (USER_HZ 100) over the wall time -> us per I/O
		f = ms ? 10000 / (iops * ms / 1000) * (ms * 1000 / wall) : 0
		printf "perf,%s,%s,%s,%d,%d,%d,%.1f,%.1f,%.1f,%.1f,%.0f,%.0f,%.0f,%.0f\n", cfg, wl, rep,
			iops, p50, p99, ci * f, ct * f, cn * f, eng * f, u[0], u[1], u[2], u[3]
	}'
}

NCPUS=$(grep -c "^processor" /proc/cpuinfo)
for c in $(seq 4 $((NCPUS - 1))); do
	echo 0 >"/sys/devices/system/cpu/cpu$c/online" 2>/dev/null
done
[ "$(nproc)" -ge 4 ] || die "needs 4 online vCPUs (run-vm.sh --smp 4 or more), has $(nproc)"
for w in $WORKLOADS; do wl_args "$w" >/dev/null || die "unknown workload $w"; done

modprobe nvmet || die "no nvmet"
modprobe nvme-tcp || die "no nvme-tcp"
modprobe null_blk nr_devices=1 gb=1 bs=4096 queue_mode=2 irqmode=0 || die "no null_blk"
bench_subsys /dev/nullb0 || die "cannot export /dev/nullb0"
net_setup || die "network set-up failed"
housekeeping_on_initiator

echo "perf,config,workload,rep,iops,p50_us,p99_us,ini_us,tgt_us,nic_us,eng_us,busy0,busy1,busy2,busy3"
for rep in $(seq "$REPS"); do
	idle "$rep"
	for cfg in $CONFIGS; do
		setup_target "$cfg" || die "set-up of $cfg failed"
		for wl in $WORKLOADS; do
			run_fio "$cfg" "$wl" "$rep" || die "fio failed: $cfg $wl"
		done
		if [ "$cfg" = offload ] || [ "$cfg" = offnic ]; then
			# the engine did the I/O: not punted, not in software
			echo "# $cfg rep $rep offloaded queue: $(awk 'NR > 1 && $4 > 0 { print "cmds", $7, "state", $16 }' $DBG/queues) engine: $(grep -h . /sys/kernel/debug/nicsim/nicsim1/queues | tail -n +2 | awk '{ print "read", $9, "write", $10, "punted", $14 }')"
		fi
		teardown_target "$cfg"
	done
done
ip netns del ini
for c in $(seq 4 $((NCPUS - 1))); do
	echo 1 >"/sys/devices/system/cpu/cpu$c/online" 2>/dev/null
done
housekeeping_everywhere
exit 0
