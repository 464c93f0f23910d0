#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench.sh, part 2: scale. CTRLS controllers with
# IOQ I/O queues each (default 64 x 8), all offloaded to one nicsim device,
# then more controllers in software until the target has >= DUMPQ queues
# (default 1024). The kernel host makes no more I/O queues than online
# CPUs: boot with --smp >= IOQ (scripts/bench.sh boots 8 vCPUs). Each
# controller connects to its own loopback address (nvme-cli refuses a
# second connection to the same address), depth 16.
#
# Measures, printing "scale,METRIC,VALUE,UNIT" lines:
#   - kernel memory per queue (/proc/meminfo Slab, SUnreclaim, MemFree; the
#     slab caches that grew most), for the connect (initiator + target,
#     software) and for the offload (nicsim's per-queue state and staging
#     buffers) apart;
#   - wall time of `nicctl -j queue show`, `nicctl -j stats show` and
#     `nicctl -j stats show queue` (median of RUNS), at CTRLS x IOQ and at
#     >= DUMPQ queues; the JSON is checked with json_check and counted;
#   - hand-over latency of one queue toggled off then on again while fio
#     loads the queues, asked by a write to debugfs queue_offload or by
#     `nicctl queue set CTRL/QID offload off|on`: from just before the
#     request until a `nl_raw monitor` listener sees the queue-reclaimed /
#     queue-offloaded event (the kernel sends it when the state is
#     reached); nicctl's own run time apart; and the same moves as the
#     kernel timed them (the events' move-us: request to state reached,
#     no listener or shell in it).
# Env: NVO_SCALE_CTRLS (64), NVO_SCALE_IOQ (8), NVO_SCALE_DUMPQ (1024),
# NVO_SCALE_TOGGLES (25 each way and method), NVO_SCALE_RUNS (5).
set -u
CTRLS=${NVO_SCALE_CTRLS:-64}
IOQ=${NVO_SCALE_IOQ:-8}
DUMPQ=${NVO_SCALE_DUMPQ:-1024}
TOGGLES=${NVO_SCALE_TOGGLES:-25}
RUNS=${NVO_SCALE_RUNS:-5}
NQN=nqn.2026-11.io.nvmet-offload:scale
CFG=/sys/kernel/config/nvmet
DBG=/sys/kernel/debug/nvmet_offload
MODS=/opt/nvmet-offload/modules
TMP=$(mktemp -d)

die() { echo "scale: $*" >&2; exit 1; }
out() { echo "scale,$1,$2,$3"; }
now() { echo "${EPOCHREALTIME/./}"; } # microseconds

for c in /sys/devices/system/cpu/cpu[0-9]*/online; do echo 1 >"$c" 2>/dev/null; done
ncpus=$(grep -c '^processor' /proc/cpuinfo)
taskset -p "$(printf '%x' $(((1 << ncpus) - 1)))" $$ >/dev/null
[ "$ncpus" -ge "$IOQ" ] || die "needs >= $IOQ online vCPUs for $IOQ I/O queues, has $ncpus"

nq() { echo $(($(wc -l <$DBG/queues) - 1)); }
nq_state() { awk -v s="$1" 'NR > 1 && $4 > 0 && $16 == s' $DBG/queues | wc -l; }
# shellcheck disable=SC2317 # called through wait_until
nq_atleast() { [ "$(nq)" -ge "$1" ]; }
# shellcheck disable=SC2317 # called through wait_until
offloaded_is() { [ "$(nq_state offloaded)" -eq "$1" ]; }

wait_until() { # SECS CMD...: poll CMD every 0.2 s
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

meminfo() { awk '/^(Slab|SUnreclaim|MemFree):/ { printf "%s=%s ", $1, $2 }' /proc/meminfo; }
slabs() { awk 'NR > 2 { print $1, $3 * $4 }' /proc/slabinfo | sort; }

# mem_delta TAG QUEUES BEFORE AFTER SLABS_BEFORE SLABS_AFTER
mem_delta() {
	local tag=$1 n=$2 k b a
	for k in Slab SUnreclaim MemFree; do
		b=$(tr ' ' '\n' <<<"$3" | sed -n "s/^$k:=//p")
		a=$(tr ' ' '\n' <<<"$4" | sed -n "s/^$k:=//p")
		# MemFree falls as memory is used: report the use
		[ $k = MemFree ] && { local t=$a; a=$b; b=$t; }
		out "mem_${tag}_${k}_per_queue" "$(awk -v d=$((a - b)) -v n="$n" 'BEGIN { printf "%.1f", d / n }')" KiB
	done
	awk 'FILENAME == ARGV[1] { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 0) printf "%d %s\n", d, $1 }' "$5" "$6" |
		sort -rn | head -n 5 | while read -r d name; do
		out "slab_${tag}_${name}_per_queue" "$(awk -v d="$d" -v n="$n" 'BEGIN { printf "%.1f", d / 1024 / n }')" KiB
	done
}

connect_ctrl() { # N PORT
	timeout 120 nvme connect -t tcp -n $NQN -a "127.0.$(($1 / 250)).$(($1 % 250 + 2))" -s "$2" \
		--nr-io-queues="$IOQ" --queue-size=16 >/dev/null
}

# time_cmd NAME: median wall time (ms) of RUNS runs of the rest, whose
# JSON must be valid
time_cmd() {
	local name=$1 i t0 t1 n
	shift
	for i in $(seq "$RUNS"); do
		t0=$(now)
		"$@" >"$TMP/json" || die "$name failed"
		t1=$(now)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' >"$TMP/med"
	json_check <"$TMP/json" >/dev/null || die "$name: invalid JSON"
	n=$(grep -o '"qid":' "$TMP/json" | wc -l)
	[ "$n" -gt 0 ] && n=", $n queues" || n=
	out "${name}_ms" "$(cat "$TMP/med")" "ms (median of $RUNS; $(wc -c <"$TMP/json") bytes of JSON$n)"
}

dumps() { # TAG
	time_cmd "queue_show_json_$1" nicctl -j queue show
	time_cmd "stats_show_json_$1" nicctl -j stats show
	time_cmd "stats_show_queue_json_$1" nicctl -j stats show queue
}

pctl() { # FILE P: the P-th percentile (nearest rank) of the numbers in FILE
	sort -n "$1" | awk -v p="$2" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print a[i] }'
}

# --- target: our transport, nicsim2 with 2 engines on the last vCPUs ---
modprobe nvmet || die "no nvmet"
modprobe nvme-tcp || die "no nvme-tcp"
[ -b /dev/nullb0 ] || modprobe null_blk nr_devices=1 gb=1 bs=4096 queue_mode=2 irqmode=0
grep -q '^nvmet_offload ' /proc/modules || { modprobe libcrc32c; insmod $MODS/nvmet_offload.ko; } ||
	die "cannot load nvmet_offload"
insmod $MODS/nicsim.ko || die "cannot load nicsim"
last=$((ncpus - 1))
echo "2 2 $((last - 1))-$last" >/sys/bus/nicsim/new_device || die "cannot create nicsim2"
echo 4096 >/sys/kernel/debug/nicsim/nicsim2/max_queues
mkdir $CFG/subsystems/$NQN
echo 1 >$CFG/subsystems/$NQN/attr_allow_any_host
mkdir $CFG/subsystems/$NQN/namespaces/1
echo /dev/nullb0 >$CFG/subsystems/$NQN/namespaces/1/device_path
echo 1 >$CFG/subsystems/$NQN/namespaces/1/enable
for p in 2 3; do
	mkdir $CFG/ports/$p
	echo tcp >$CFG/ports/$p/addr_trtype
	echo ipv4 >$CFG/ports/$p/addr_adrfam
	echo 0.0.0.0 >$CFG/ports/$p/addr_traddr
	echo $((4419 + p)) >$CFG/ports/$p/addr_trsvcid
	ln -s $CFG/subsystems/$NQN $CFG/ports/$p/subsystems/$NQN || die "port $p"
done

# --- CTRLS x IOQ in software, then offloaded ---
m0=$(meminfo)
slabs >"$TMP/s0"
t0=$SECONDS
for i in $(seq "$CTRLS"); do connect_ctrl "$i" 4421 || die "connect $i failed"; done
wait_until 60 nq_atleast $((CTRLS * (IOQ + 1))) || die "$(nq) queues, want $((CTRLS * (IOQ + 1)))"
out connect_s $((SECONDS - t0)) "s for $CTRLS controllers"
ioq=$(awk 'NR > 1 && $4 > 0' $DBG/queues | wc -l)
[ "$ioq" -eq $((CTRLS * IOQ)) ] || die "$ioq I/O queues, want $((CTRLS * IOQ))"
sleep 1
m1=$(meminfo)
slabs >"$TMP/s1"
t0=$(now)
nicctl -q port set 2 offload on dev nicsim2 >/dev/null || die "port set"
wait_until 300 offloaded_is "$ioq" || die "$(nq_state offloaded) of $ioq offloaded"
out offload_all_ms $((($(now) - t0) / 1000)) "ms to offload $ioq queues"
sleep 1
m2=$(meminfo)
slabs >"$TMP/s2"
out queues "$(nq)" "($ioq I/O queues offloaded, $CTRLS controllers)"
mem_delta connect "$(nq)" "$m0" "$m1" "$TMP/s0" "$TMP/s1"
mem_delta offload "$ioq" "$m1" "$m2" "$TMP/s1" "$TMP/s2"
dumps "$(nq)q"

# --- hand-over latency under load ---
subsys=$(grep -lx $NQN /sys/class/nvme-subsystem/*/subsysnqn | head -n1)
echo round-robin >"${subsys%/subsysnqn}/iopolicy" 2>/dev/null
dev=
for b in /sys/block/nvme*n*; do
	grep -qx $NQN "$b/device/subsysnqn" 2>/dev/null && [ -e "/dev/${b##*/}" ] && { dev=/dev/${b##*/}; break; }
done
[ -n "$dev" ] || die "no namespace device"
# four jobs on vCPUs 0-3: I/O queues 1-4 of every controller carry I/O
fio --name=load --filename="$dev" --rw=randread --bs=4k --ioengine=libaio --direct=1 \
	--iodepth=16 --numjobs=4 --cpus_allowed=0-3 --cpus_allowed_policy=split \
	--runtime=3600 --time_based --size=512m --group_reporting \
	--output-format=terse --terse-version=3 >"$TMP/fio.out" 2>&1 &
fio_pid=$!
nl_raw monitor --events 1000000 --timeout 3600 --ready "$TMP/mon.ready" 2>/dev/null |
	while IFS= read -r l; do echo "${EPOCHREALTIME/./} $l"; done >"$TMP/mon" &
mon_pid=$!
wait_until 20 test -e "$TMP/mon.ready" || die "monitor did not start"
sleep 3
: >"$TMP/cli"
mapfile -t ctrls < <(awk 'NR > 1 && $4 > 0 { print $3 }' $DBG/queues | sort -un)
# toggle VIA CTRL QID DIR: ask, then wait for the event; its latency (us)
# goes to "$TMP/lat.VIA.DIR"
toggle() {
	local via=$1 c=$2 q=$3 dir=$4 ev=queue-offloaded n0 t0 t1 idx
	[ "$dir" = off ] && ev=queue-reclaimed
	idx=$(awk -v c="$c" -v q="$q" 'NR > 1 && $3 == c && $4 == q { print $1 }' $DBG/queues)
	n0=$(wc -l <"$TMP/mon")
	t0=$(now)
	if [ "$via" = nicctl ]; then
		nicctl -q queue set "$c/$q" offload "$dir" >/dev/null || die "queue set $c/$q $dir"
		t1=$(now)
		echo $((t1 - t0)) >>"$TMP/cli"
	else
		echo "$idx $dir" >$DBG/queue_offload || die "queue_offload $idx $dir"
	fi
	# shellcheck disable=SC2016 # an awk program
	wait_until 30 awk -v n0="$n0" -v ev=$ev -v c="$c" -v q="$q" '
		NR > n0 && $2 == ev && index($0, " ctrl-id=" c " ") && index($0, " qid=" q " ") { f = 1 }
		END { exit !f }' "$TMP/mon" || die "no $ev for $c/$q"
	awk -v n0="$n0" -v ev=$ev -v c="$c" -v q="$q" -v t0="$t0" '
		NR > n0 && $2 == ev && index($0, " ctrl-id=" c " ") && index($0, " qid=" q " ") {
			print $1 - t0; exit }' "$TMP/mon" >>"$TMP/lat.$via.$dir"
	# the same move as the kernel timed it (move-us): no listener in it
	awk -v n0="$n0" -v ev=$ev -v c="$c" -v q="$q" '
		NR > n0 && $2 == ev && index($0, " ctrl-id=" c " ") && index($0, " qid=" q " ") {
			if (match($0, / move-us=[0-9]+/)) print substr($0, RSTART + 9, RLENGTH - 9); exit }' \
		"$TMP/mon" >>"$TMP/klat.$dir"
}
: >"$TMP/klat.off"
: >"$TMP/klat.on"
for via in debugfs nicctl; do
	: >"$TMP/lat.$via.off"
	: >"$TMP/lat.$via.on"
	for i in $(seq "$TOGGLES"); do
		c=${ctrls[$((RANDOM % ${#ctrls[@]}))]}
		q=$((RANDOM % 4 + 1))
		toggle $via "$c" "$q" off
		toggle $via "$c" "$q" on
	done
done
kill $fio_pid 2>/dev/null
wait $fio_pid 2>/dev/null
grep -q "fallback" "$TMP/mon" && out fallbacks "$(grep -c fallback "$TMP/mon")" "queue-fallback events during the toggles"
ms() { awk '{ printf "%.1f", $1 / 1000 }' <<<"$1"; }
for via in debugfs nicctl; do
	for dir in off on; do
		f="$TMP/lat.$via.$dir"
		out "handover_${via}_${dir}_p50_ms" "$(ms "$(pctl "$f" 50)")" "ms ($(wc -l <"$f") toggles under load)"
		out "handover_${via}_${dir}_p99_ms" "$(ms "$(pctl "$f" 99)")" ms
	done
done
for dir in off on; do
	f="$TMP/klat.$dir"
	out "handover_kernel_${dir}_p50_ms" "$(ms "$(pctl "$f" 50)")" "ms (move-us of the events, both ways of asking: $(wc -l <"$f") moves)"
	out "handover_kernel_${dir}_p99_ms" "$(ms "$(pctl "$f" 99)")" ms
done
out nicctl_queue_set_p50_ms "$(ms "$(pctl "$TMP/cli" 50)")" "ms (nicctl's own run time, part of the nicctl hand-over times)"
out load_iops "$(awk -F';' '{ print $8 }' "$TMP/fio.out" | tail -n1)" "IOPS of the load during the toggles"

# --- >= DUMPQ queues: more controllers in software (port 3) ---
i=$CTRLS
while [ "$(nq)" -lt "$DUMPQ" ]; do
	i=$((i + 1))
	connect_ctrl "$i" 4422 || die "connect $i failed"
done
wait_until 60 nq_atleast "$DUMPQ" || die "$(nq) queues"
out queues_total "$(nq)" "($(nq_state offloaded) offloaded, $i controllers)"
dumps "$(nq)q"
kill $mon_pid 2>/dev/null
exit 0
