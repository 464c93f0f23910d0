#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_multihost.sh - several hosts, each in its own network namespace behind
# a veth pair (not loopback), with distinct host NQNs, on one subsystem
# that only allows the hosts in its allowed_hosts (attr_allow_any_host=0).
#  - H1 and H2 (allowed) connect over their veth links; the target sees
#    each from its own address, each controller has its own host NQN.
#  - H3 (not allowed) reaches the target, is refused (nvmet logs it) and
#    leaves no controller; once linked to allowed_hosts it connects.
#  - On our transport the port is bound to nicsim1: every I/O queue of the
#    three controllers is offloaded at connect.
#  - The three hosts verify (fio crc32c) at once, each on its own region.
#  - On our transport: each controller's offloaded queues carried that
#    host's writes (offload_stats per controller), nicsim1's counters moved.
#  - Disconnect: no target connection left, kernel log clean.
# One namespace (null_blk), target port 1 on 0.0.0.0:4420.
#
# Usage: tcp_multihost.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/storm.sh
. "$DIR/lib/storm.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:multihost
PORT=4420
HOSTS="1 2 3"
DBG=/sys/kernel/debug/nvmet_offload
TMP=/tmp/multihost
mkdir -p "$TMP"

hostnqn() { echo "nqn.2014-08.io.nvmet-offload:host$1"; }
hostid() { printf '4e564f2d-6d75-6c74-6968-6f73740000%02x' "$1"; }
taddr() { echo "10.99.$1.1"; }	# the target's end of host N's veth
haddr() { echo "10.99.$1.2"; }	# host N's end, in netns nvo-h$N

cleanup() {
	local i
	nvmet_cleanup
	storm_offload_cleanup
	for i in $HOSTS; do
		ip link del "nvo-t$i" 2>/dev/null
		ip netns del "nvo-h$i" 2>/dev/null
	done
}

net_setup() {
	local i
	for i in $HOSTS; do
		ip netns add "nvo-h$i" &&
			ip link add "nvo-t$i" type veth peer name "nvo-v$i" &&
			ip link set "nvo-v$i" netns "nvo-h$i" &&
			ip addr add "$(taddr "$i")/24" dev "nvo-t$i" &&
			ip link set "nvo-t$i" up &&
			ip -n "nvo-h$i" addr add "$(haddr "$i")/24" dev "nvo-v$i" &&
			ip -n "nvo-h$i" link set "nvo-v$i" up &&
			ip -n "nvo-h$i" link set lo up || return 1
	done
	# the links are up when each host reaches the target
	for i in $HOSTS; do
		wait_for 10 ip netns exec "nvo-h$i" ping -c1 -W1 "$(taddr "$i")" >/dev/null 2>&1 ||
			{ msg "host $i cannot reach $(taddr "$i")"; return 1; }
	done
}

allow() {
	mkdir -p "$NVMET_CFS/hosts/$(hostnqn "$1")" &&
		ln -s "$NVMET_CFS/hosts/$(hostnqn "$1")" \
			"$NVMET_CFS/subsystems/$NQN/allowed_hosts/$(hostnqn "$1")"
}

# connect N: host N connects from its netns (the host's sockets live in the
# namespace of the process that writes /dev/nvme-fabrics).
connect() {
	ip netns exec "nvo-h$1" nvme connect -t tcp -n "$NQN" -a "$(taddr "$1")" \
		-s "$PORT" --hostnqn="$(hostnqn "$1")" --hostid="$(hostid "$1")" \
		--nr-io-queues=1 2>&1
}

# ctrl_of N: host N's nvmeX (by host NQN)
ctrl_of() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$NQN" ] || continue
		[ "$(cat "$c/hostnqn" 2>/dev/null)" = "$(hostnqn "$1")" ] || continue
		basename "$c"
		return 0
	done
	return 1
}

# ns_of N: host N's namespace block device. nvme_core runs with
# multipath=0 here: with it, the three controllers (one subsystem) would be
# paths of one shared disk; without it each has its own nvmeXnY.
ns_of() {
	local c d
	c=$(ctrl_of "$1") || return 1
	for d in /sys/class/nvme/"$c"/"$c"n*; do
		[ -b "/dev/${d##*/}" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

# target-side connections, by peer address
peers() { ss -Htn state established "( sport = :$PORT )" | awk '{ print $4 }' | sed 's/:[0-9]*$//' | sort | uniq -c; }

# offloaded I/O queues of host N's controller (target side, by cntlid)
ctrl_queues() {
	local cid
	cid=$(cat "/sys/class/nvme/$(ctrl_of "$1")/cntlid") || return 1
	awk -v c="$cid" 'NR > 1 && $3 == c && $4 > 0 { print $1, $16 }' "$DBG/queues"
}
# blocks written through host N's offloaded queues (offload_stats)
ctrl_off_writes() {
	local q s=0 v
	for q in $(ctrl_queues "$1" | awk '{ print $1 }'); do
		v=$(awk -v q="$q" 'NR > 1 && $1 == q { print $5 }' "$DBG/offload_stats")
		s=$((s + ${v:-0}))
	done
	echo $s
}

ktap_print_header
ktap_set_plan 9
trap cleanup EXIT
thp_off
dmesg_mark
msg "transport: $(nvo_transport); hosts $HOSTS in netns nvo-h1..3 over veth"

# before nvmet, which depends on nvme_core; a kernel built without
# NVME_MULTIPATH (the debug lane's) has no such parameter and no shared disk
quiet modprobe nvme-core multipath=N
[ -d /sys/module/nvme_core ] || ktap_exit_fail_msg "nvme_core did not load"
mp=/sys/module/nvme_core/parameters/multipath
[ ! -e $mp ] || [ "$(cat $mp)" = N ] ||
	ktap_exit_fail_msg "nvme_core loaded with multipath on (this test needs a disk per host)"
nvmet_transport_load || ktap_exit_fail_msg "cannot load the $(nvo_transport) transport"
quiet modprobe nvme-tcp || ktap_exit_fail_msg "no nvme-tcp host"
storm_offload_init
dev=$(nullb_create 1) || ktap_exit_fail_msg "no null_blk"
# 1
if net_setup && nvmet_subsys_create "$NQN" &&
	_nvo_write "$NVMET_CFS/subsystems/$NQN/attr_allow_any_host" 0 &&
	allow 1 && allow 2 && nvmet_ns_create "$NQN" 1 "$dev" &&
	nvmet_port_create 1 0.0.0.0 "$PORT" ipv4 && nvmet_port_link 1 "$NQN"; then
	ktap_test_pass "setup: 3 netns over veth, port 0.0.0.0:$PORT, allowed_hosts H1 H2"
else
	ktap_exit_fail_msg "setup: 3 netns over veth, port 0.0.0.0:$PORT, allowed_hosts H1 H2"
fi
storm_offload_bind on
storm_nic_mark

# 2: H1 and H2 connect over their own links
two_connect() {
	local i out rc=0 p
	for i in 1 2; do
		out=$(connect "$i") || { msg "host $i: $out"; rc=1; }
	done
	[ $rc -eq 0 ] || return 1
	for i in 1 2; do
		ctrl_of "$i" >/dev/null || { msg "no controller with host NQN $(hostnqn "$i")"; return 1; }
	done
	wait_for 10 eval 'ns_of 1 >/dev/null && ns_of 2 >/dev/null' ||
		{ msg "no namespace device for host 1 or 2"; return 1; }
	p=$(peers)
	msg "target connections by peer: $(echo "$p" | tr '\n' ';')"
	# admin + 1 I/O queue from each, none from loopback
	echo "$p" | grep -q " 2 $(haddr 1)\$" && echo "$p" | grep -q "2 $(haddr 2)\$" &&
		! echo "$p" | grep -q '127\.0\.0\.1'
}
ktap_test_result "H1 and H2 connect over veth with their own host NQNs; the target sees 2 connections from each" two_connect

# 3: H3 is not in allowed_hosts
refused() {
	local out
	if out=$(connect 3); then
		msg "H3 connected although not allowed: $out"
		return 1
	fi
	msg "H3 refused: $(echo "$out" | head -n1)"
	ctrl_of 3 >/dev/null && { msg "H3 has a controller"; return 1; }
	# refused by the allow list (nvmet says so), not by the network
	dmesg_grep_since_mark "connect by host $(hostnqn 3) for subsystem $NQN not allowed" >/dev/null ||
		{ msg "no 'not allowed' from nvmet: H3 did not reach the target"; return 1; }
}
ktap_test_result "H3 (not in allowed_hosts) reaches the target and is refused, no controller left" refused

# 4: allowed now, it connects
third() {
	local out
	allow 3 || { msg "cannot add H3 to allowed_hosts"; return 1; }
	out=$(connect 3) || { msg "H3: $out"; return 1; }
	wait_for 10 eval 'ns_of 3 >/dev/null'
}
ktap_test_result "H3 connects once in allowed_hosts" third

# 5: offloaded at connect
offloaded() {
	local i q n=0
	for i in $HOSTS; do
		q=$(ctrl_queues "$i")
		msg "host $i queues: $(echo "$q" | tr '\n' ';')"
		[ -n "$q" ] || return 1
		echo "$q" | awk '$2 != "offloaded" { b = 1 } END { exit b }' || return 1
		n=$((n + $(echo "$q" | wc -l)))
	done
	[ "$n" -ge 3 ]
}
if [ -n "$STORM_OFFLOAD" ]; then
	wait_for 10 eval '[ "$(storm_ioq_offloaded)" -ge 3 ]'
	ktap_test_result "every host's I/O queues offloaded to nicsim1 at connect" offloaded
else
	ktap_test_skip "every host's I/O queues offloaded to nicsim1 at connect" "stock transport"
fi

# 6: fio verify from the three hosts at once, each on its own 8 MiB
declare -A W0
for i in $HOSTS; do W0[$i]=$(ctrl_off_writes "$i" 2>/dev/null || echo 0); done
all_fio() {
	local i pids=() rc=0 d
	for i in $HOSTS; do
		d=$(ns_of "$i") || { msg "host $i: no namespace"; return 1; }
		fio_verify "$d" --offset=$(((i - 1) * 32))M --size=8M --iodepth=16 \
			>"$TMP/h$i.fio" 2>&1 &
		pids+=($!)
	done
	for i in $HOSTS; do
		if ! wait "${pids[$((i - 1))]}"; then
			msg "host $i fio failed:"
			grep -iE 'verify|err' "$TMP/h$i.fio" | head -n 5 | sed 's/^/  /'
			rc=1
		fi
	done
	return $rc
}
ktap_test_result "fio crc32c verify clean from 3 hosts at once" all_fio

# 7: each host's writes went through its own offloaded queues
carried() {
	local i w rc=0
	for i in $HOSTS; do
		w=$(($(ctrl_off_writes "$i") - W0[$i]))
		msg "host $i: $w blocks written through its offloaded queues (fio: 2048)"
		[ "$w" -ge 2048 ] || rc=1
	done
	storm_nic_moved "3 hosts" 3 || rc=1
	return $rc
}
if [ -n "$STORM_OFFLOAD" ]; then
	ktap_test_result "each host's writes carried by its offloaded queues; nicsim1 counted them" carried
else
	ktap_test_skip "each host's writes carried by its offloaded queues; nicsim1 counted them" "stock transport"
fi

# 8, 9
gone() {
	host_disconnect "$NQN" >/dev/null 2>&1
	for i in $HOSTS; do ctrl_of "$i" >/dev/null && return 1; done
	wait_for 20 tcp_port_idle "$PORT"
}
quiet host_disconnect_all
ktap_test_result "all hosts disconnected, no target connection left" gone
ktap_test_result "kernel log clean" storm_klog_clean
ktap_finished
