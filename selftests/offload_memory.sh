#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 600
#
# offload_memory.sh - what a remote host can make the target allocate.
# In one boot: the memory one I/O queue of depth 1024 costs with the stock
# nvmet-tcp and with ours (in software, then offloaded to nicsim), each the
# median of five connects, and ours may cost at most 1 MiB more than stock;
# reads to hundreds of namespace ids the subsystem does not have, sent on an
# offloaded queue (the device punts them), fail with Invalid Namespace and
# allocate nothing that stays; the slot memory of all queues is charged
# against queue_mem_limit_kb, a Connect past it fails cleanly, and every
# charge is returned when the host leaves.
#
# On the debug kernel (kmemleak present) stock nvmet-tcp is left out: its
# install_queue flushes nvmet-wq from io_work, which lockdep reports as a
# possible deadlock with release_work, and the first report turns lockdep
# off for the rest of the boot, our part included. Byte budgets are not
# asserted there either (KASAN's quarantine and kmemleak's records keep
# freed memory counted): the runner's kmemleak scan is the leak check.
#
# Env: NVO_MEM_UNKNOWN_NS (default 400) unknown namespace ids to read.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:offload-memory
DBG=$OQ_DBG
PARAM=/sys/module/nvmet_offload/parameters/queue_mem_limit_kb
UNKNOWN=${NVO_MEM_UNKNOWN_NS:-400}
DEPTH=1024

msg() { ktap_print_msg "$*"; }
DEBUG_KERNEL=
[ -e /sys/kernel/debug/kmemleak ] && DEBUG_KERNEL=1
meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# free_kb: MemFree plus the pages the per-CPU lists hold, which MemFree does
# not count: a page freed by one disconnect sits there until the next connect
# takes it, which made bare MemFree readings swing by megabytes.
free_kb() {
	awk '$1 == "MemFree:" { f = $2 } $1 == "count:" { n += $2 } END { print f + n * 4 }' \
		/proc/meminfo /proc/zoneinfo
}

# settle: let RCU frees and per-CPU caches drain, so that two readings differ
# by what was allocated and not by what is about to be freed.
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

# connect_cost [offloaded]: sets COST to the KiB of free memory one host
# connection with one I/O queue of depth $DEPTH takes (host and target: the
# host's share is the same for every transport), measured to the connected
# namespace (and, offloaded, to the finished hand-over) and back.
connect_cost() {
	local before after ns
	COST=
	settle
	before=$(free_kb)
	host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=1 --queue-size=$DEPTH >/dev/null ||
		return 1
	ns=$(host_ns_dev "$NQN") && [ -b "$ns" ] || return 1
	if [ "${1:-}" = offloaded ]; then
		oq_wait_all offloaded 20 || return 1
		HANDOVERS=$((HANDOVERS + $(oq_sum 18)))
	fi
	settle
	after=$(free_kb)
	host_disconnect "$NQN" >/dev/null || return 1
	COST=$((before - after))
}

# five_costs [offloaded]: MEDIAN of five connect_costs after one that is
# not counted (the first connect of a boot also allocates the host's and
# nvmet's one-time state); the median of five is what is compared.
five_costs() {
	local runs=()
	MEDIAN=
	connect_cost "$@" || return 1
	for _ in 1 2 3 4 5; do
		connect_cost "$@" || return 1
		runs+=("$COST")
	done
	msg "  runs after a warm-up: ${runs[*]} KiB"
	MEDIAN=$(median "${runs[@]}")
}

target_setup() {
	local dev
	dev=$(nullb_create 1) || return 1
	nvmet_subsys_create "$NQN" && nvmet_ns_create "$NQN" 1 "$dev" &&
		nvmet_port_create 1 127.0.0.1 4420 ipv4 && nvmet_port_link 1 "$NQN"
}

ktap_print_header
ktap_set_plan 6
modprobe nvme-tcp

# 1: stock nvmet-tcp, the reference, in this boot.
stock=
if [ -n "$DEBUG_KERNEL" ]; then
	ktap_test_skip "stock nvmet-tcp: connect cost" "machine: debug kernel (stock's lockdep report would silence lockdep for ours)"
elif NVO_TRANSPORT=stock nvmet_transport_load && target_setup && five_costs; then
	stock=$MEDIAN
	ktap_test_pass "stock nvmet-tcp: one I/O queue of depth $DEPTH costs $stock KiB"
else
	ktap_test_fail "stock nvmet-tcp: connect cost measured"
fi
nvmet_cleanup >/dev/null 2>&1
NVO_TRANSPORT=stock nvmet_transport_unload >/dev/null 2>&1

# 2: ours in software, against stock.
offload_target_setup "$NQN"
ours=
five_costs && ours=$MEDIAN
if [ -n "$DEBUG_KERNEL" ] && [ -n "$ours" ]; then
	ktap_test_skip "ours in software: $ours KiB" "machine: debug kernel (no stock reference, byte budgets not meaningful)"
elif [ -n "$ours" ] && [ -n "$stock" ] && [ "$ours" -le $((stock + 1024)) ]; then
	ktap_test_pass "ours in software: $ours KiB, stock $stock KiB (at most 1 MiB more)"
else
	ktap_test_fail "ours in software: ${ours:-?} KiB, stock ${stock:-?} KiB (at most 1 MiB more)"
fi

# 3: offloaded to nicsim at connect: the device's share on top.
echo "1 on nicsim1" >"$DBG/port_offload" || msg "cannot bind nicsim1 to port 1"
HANDOVERS=0
off=
five_costs offloaded && off=$MEDIAN
offs=$HANDOVERS
if [ -n "$DEBUG_KERNEL" ] && [ -n "$off" ] && [ "$offs" -ge 4 ]; then
	ktap_test_skip "offloaded: $off KiB over $offs hand-overs" "machine: debug kernel (no stock reference, byte budgets not meaningful)"
elif [ -n "$off" ] && [ -n "$stock" ] && [ "$offs" -ge 4 ] &&
	[ "$off" -le $((stock + 1024)) ]; then
	ktap_test_pass "offloaded: $off KiB over $offs hand-overs, stock $stock KiB (at most 1 MiB more)"
else
	ktap_test_fail "offloaded: ${off:-?} KiB over $offs hand-overs, stock ${stock:-?} KiB (at most 1 MiB more)"
fi

# 4: unknown namespaces on an offloaded queue: answered Invalid Namespace,
# punted by the device, nothing kept.
devid() { awk '$2 == "nicsim1" { print $1 }' "$DBG/devices"; }
unknown_ns() {
	local sel p0 p1 su0 su1 out
	sel="scope=device dev-id=$(devid)"
	p0=$(nl_raw stats-get $sel | sed -n 's/.* counters\.punted-cmds=\([0-9]*\).*/\1/p')
	settle
	su0=$(meminfo_kb SUnreclaim)
	out=$(nvme_tcp_nsid_sweep --addr 127.0.0.1 --subnqn "$NQN" --count "$UNKNOWN" \
		--first 1000 --stride 7919 --depth 8 --wait-ms 3000) || { msg "$out"; return 1; }
	settle
	su1=$(meminfo_kb SUnreclaim)
	p1=$(nl_raw stats-get $sel | sed -n 's/.* counters\.punted-cmds=\([0-9]*\).*/\1/p')
	UNK_NL=$(nl_raw -d --count stats-get scope=namespace | sed -n 's/^objects=\([0-9]*\).*/\1/p')
	msg "$out"
	msg "device punts $p0 -> $p1, SUnreclaim $su0 -> $su1 KiB, namespace records ${UNK_NL:-?} (nsid 1 only expected)"
	grep -q "invalid_ns=$UNKNOWN success=0 other=0" <<<"$out" &&
		[ $((p1 - p0)) -ge "$UNKNOWN" ] && { [ -n "$DEBUG_KERNEL" ] || [ $((su1 - su0)) -lt 256 ]; } &&
		[ "${UNK_NL:-0}" -eq 1 ]
}
# The slot memory one host's queues hold, while connected.
slots_connected() {
	host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=1 --queue-size=$DEPTH >/dev/null &&
		host_ns_dev "$NQN" >/dev/null || return 1
	SLOTS=$(awk '$1 == "slot_bytes" { print $2 }' "$DBG/memory")
	host_disconnect "$NQN" >/dev/null
}
slots_connected || msg "cannot read the slot memory of a connected host"
if unknown_ns; then
	ktap_test_pass "$UNKNOWN reads to unknown namespaces on an offloaded queue: Invalid Namespace, punted, < 256 KiB kept, no namespace record"
else
	ktap_test_fail "$UNKNOWN reads to unknown namespaces on an offloaded queue: Invalid Namespace, punted, < 256 KiB kept, no namespace record"
fi

# 5: a Connect whose slots pass queue_mem_limit_kb fails cleanly; with the
# limit back, the same connect works.
limit_refuses() {
	local old rc
	old=$(cat "$PARAM") || return 1
	dmesg_mark
	echo 256 >"$PARAM" || return 1
	host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=1 --queue-size=$DEPTH >/dev/null 2>&1
	rc=$?
	echo "$old" >"$PARAM"
	host_disconnect_all >/dev/null 2>&1
	if [ $rc -eq 0 ]; then
		msg "a $DEPTH-deep queue connected under a 256 KiB limit"
		return 1
	fi
	dmesg_grep_since_mark 'would pass queue_mem_limit_kb' >/dev/null ||
		{ msg "no refusal in the kernel log"; return 1; }
	host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=1 --queue-size=$DEPTH >/dev/null &&
		host_ns_dev "$NQN" >/dev/null && host_disconnect "$NQN" >/dev/null
}
if limit_refuses; then
	ktap_test_pass "a Connect past queue_mem_limit_kb fails with an error; under the limit it works"
else
	ktap_test_fail "a Connect past queue_mem_limit_kb fails with an error; under the limit it works"
fi

# 6: every queue gone, every charge returned.
for _ in $(seq 50); do
	[ "$(awk '$1 == "slot_bytes" { print $2 }' "$DBG/memory")" = 0 ] && break
	sleep 0.2
done
left=$(awk '$1 == "slot_bytes" { print $2 }' "$DBG/memory")
if [ "$left" = 0 ]; then
	ktap_test_pass "slot memory back to 0 once the hosts left (was ${SLOTS:-?} bytes for one host with an admin and a 1024-deep I/O queue)"
else
	ktap_test_fail "slot memory back to 0 once the hosts left: $left bytes still charged"
fi

ktap_finished
