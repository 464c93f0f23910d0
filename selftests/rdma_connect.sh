#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma_connect.sh - the NVMe/RDMA target transport over Soft-RoCE (rxe0 on
# dummy0 at 169.254.0.2/16): discovery, connect with several I/O queues,
# fio crc32c verify at 4k QD32 and 1M QD4, writes at and past the
# in-capsule size, a controller reset, disconnect, a second port on IPv6
# (fd00::2 on dummy0, a RoCEv2 GID of rxe0: discovery, connect, verify),
# nvmet_offload's netlink family listing the RDMA port and queues beside
# NVMe/TCP ones (ours only), and the module unloading clean once the ports are gone. The runner fails
# the boot on any oops/WARN.
#
# Usage: rdma_connect.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/rdma_test.sh
. "$DIR/lib/rdma_test.sh"
# shellcheck source=lib/under_io.sh
. "$DIR/lib/under_io.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:rdma-connect
PORT=4420
INLINE=16384
IOQ=4

module() { [ "$(nvo_transport)" = stock ] && echo nvmet_rdma || echo nvmet_offload_rdma; }

test_link() { rdma_link_up; }

test_target() {
	rdma_target_setup "$NQN" "$PORT" param_inline_data_size=$INLINE || return 1
	[ -d "/sys/module/$(module)" ] || { msg "$(module) not loaded"; return 1; }
	[ "$(cat "$NVMET_CFS/ports/1/addr_trtype")" = rdma ] || return 1
	if [ "$(nvo_transport)" = ours ]; then
		dmesg_grep_since_mark 'nvmet_offload_rdma: port 1: listening on' >/dev/null ||
			{ msg "no 'listening' line from nvmet_offload_rdma"; return 1; }
	fi
}

test_discover() {
	local out
	out=$(rdma_host_discover "$PORT" 2>&1) || { msg "$out"; return 1; }
	printf '%s\n' "$out" | grep -q "subnqn: *$NQN" || { msg "$out"; return 1; }
	printf '%s\n' "$out" | grep -q 'trtype: *rdma' || { msg "$out"; return 1; }
	printf '%s\n' "$out" | grep -q "traddr: *$RDMA_ADDR" || { msg "$out"; return 1; }
}

test_connect() {
	local c n want
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	c=$(ctrl) || return 1
	[ "$(cat "/sys/class/nvme/$c/transport")" = rdma ] || return 1
	# queue_count: the admin queue and the I/O queues (nvme-rdma makes at
	# most one I/O queue per CPU)
	n=$(cat "/sys/class/nvme/$c/queue_count")
	want=$(($(nproc) < IOQ ? $(nproc) : IOQ))
	msg "$c: queue_count $n (admin + I/O), want $((want + 1))"
	[ "$n" -eq $((want + 1)) ] && [ "$n" -ge 3 ]
}


# The family (nvmet_offload's) lists our RDMA port and queues beside an
# NVMe/TCP port and its queues (a second subsystem on 127.0.0.1:$TCP_PORT,
# no namespace): one id space, transport on every object, RDMA queues in
# software with no cpu; filters apply; a move with no device bound, or a
# policy on with none, is -EINVAL with a message.
TCP_PORT=4430
NQN_TCP=$NQN-tcp
test_family() {
	local c cntlid n dump rq tq ids l rc=0 id
	c=$(ctrl) || return 1
	cntlid=$(cat "/sys/class/nvme/$c/cntlid")
	n=$(cat "/sys/class/nvme/$c/queue_count")
	{ nvmet_subsys_create "$NQN_TCP" && nvmet_port_create 3 127.0.0.1 $TCP_PORT &&
		nvmet_port_link 3 "$NQN_TCP"; } || return 1
	quiet nvme connect -t tcp -n "$NQN_TCP" -a 127.0.0.1 -s $TCP_PORT --nr-io-queues=1 || return 1

	dump=$(nl_raw -d port-get) || { msg "$dump"; return 1; }
	msg "ports: $dump"
	grep -q " id=1 .*transport=rdma" <<<"$dump" || { msg "port 1 not listed as rdma"; rc=1; }
	grep -q " id=3 .*transport=tcp" <<<"$dump" || { msg "port 3 not listed as tcp"; rc=1; }
	l=$(grep " id=1 " <<<"$dump")
	[ "$(field "$l" traddr)" = "$RDMA_ADDR" ] && [ "$(field "$l" policy)" = off ] &&
		[ -z "$(field "$l" dev-id)" ] || { msg "port 1: $l"; rc=1; }
	l=$(nl_raw port-get id=1) || { msg "$l"; return 1; }
	[ "$(field "$l" transport)" = rdma ] || { msg "port-get id=1: $l"; rc=1; }

	dump=$(nl_raw -d queue-get) || { msg "$dump"; return 1; }
	rq=$(grep " port-id=1 " <<<"$dump")
	tq=$(grep " port-id=3 " <<<"$dump")
	msg "RDMA queues: $rq"
	msg "TCP queues: $tq"
	[ "$(grep -c . <<<"$rq")" -eq "$n" ] || { msg "want $n RDMA queues (queue_count)"; rc=1; }
	[ "$(grep -c . <<<"$tq")" -eq 2 ] || { msg "want 2 TCP queues"; rc=1; }
	while IFS= read -r l; do
		[ "$(field "$l" transport)" = rdma ] && [ "$(field "$l" state)" = software ] &&
			[ "$(field "$l" ctrl-id)" = "$cntlid" ] && [ -z "$(field "$l" cpu)" ] &&
			[ -z "$(field "$l" dev-id)" ] && [ "$(field "$l" subsysnqn)" = "$NQN" ] ||
			{ msg "bad RDMA queue: $l"; rc=1; }
	done <<<"$rq"
	[ "$(for l in $(sed -n 's/.* qid=\([0-9]*\).*/\1/p' <<<"$rq"); do echo "$l"; done | sort -n | uniq | tr '\n' ' ')" = \
		"$(seq -s ' ' 0 $((n - 1))) " ] || { msg "RDMA qids not 0..$((n - 1))"; rc=1; }
	while IFS= read -r l; do
		[ "$(field "$l" transport)" = tcp ] && [ -n "$(field "$l" cpu)" ] ||
			{ msg "bad TCP queue: $l"; rc=1; }
	done <<<"$tq"
	ids=$(sed -n 's/^[^ ]* id=\([0-9]*\) .*/\1/p' <<<"$dump" | sort -n)
	[ "$(uniq <<<"$ids" | grep -c .)" -eq "$(grep -c . <<<"$ids")" ] &&
		[ "$(grep -c . <<<"$ids")" -eq $((n + 2)) ] || { msg "queue ids not distinct: $ids"; rc=1; }

	# filters and a do request
	[ "$(nl_raw -d queue-get port-id=1 ctrl-id="$cntlid" | grep -c .)" -eq "$n" ] ||
		{ msg "port-id/ctrl-id filter"; rc=1; }
	[ -z "$(nl_raw -d queue-get port-id=1 dev-id=1)" ] || { msg "dev-id filter selected RDMA queues"; rc=1; }
	id=$(field "$(grep ' qid=1 ' <<<"$rq")" id)
	l=$(nl_raw queue-get id="$id") || { msg "$l"; return 1; }
	[ "$(field "$l" transport)" = rdma ] && [ "$(field "$l" qid)" = 1 ] || { msg "queue-get id=$id: $l"; rc=1; }

	# no device bound to port 1: nothing to move the queues to
	nl_err EINVAL queue-set id="$id" offload=on || rc=1
	nl_err EINVAL queue-set ctrl-id="$cntlid" offload=on || rc=1
	nl_err EINVAL port-set id=1 policy=on || rc=1
	nl_err ENOENT queue-set ctrl-id=65000 offload=on || rc=1

	quiet host_disconnect "$NQN_TCP" || rc=1
	nvmet_port_remove 3 || rc=1
	return $rc
}

# After the disconnect the family lists no RDMA queue (a queue leaves the
# list when its release work runs).
no_rdma_queues() {
	local out
	out=$(nl_raw -d queue-get port-id=1) || { msg "$out"; return 1; }
	[ -z "$out" ] || { echo "$out" >"${TMPDIR:-/tmp}/rdma-left"; return 1; }
}
eventually_no_rdma_queues() {
	wait_for 10 no_rdma_queues || { msg "left: $(cat "${TMPDIR:-/tmp}/rdma-left")"; return 1; }
}

verify() {
	local dev
	dev=$(host_ns_dev "$NQN" 1) || return 1
	quiet fio_verify "$dev" "$@"
}

# At the port's in-capsule size a write travels in the command capsule; a
# block past it makes the target fetch the data with RDMA READ. Each region
# is read back in 1M blocks (RDMA WRITE) and compared with what was written.
# pattern_rw BS OFFSET_MB: 4 MiB of random data written with BS, read back.
pattern_rw() {
	local dev=$1 bs=$2 off=$3
	dd if=$PATTERN of="$dev" bs="$bs" seek=$((off * 1048576 / bs)) \
		count=$((4194304 / bs)) oflag=direct status=none || return 1
	dd if="$dev" of=/tmp/nvo-readback bs=1M skip="$off" count=4 iflag=direct status=none ||
		return 1
	cmp -s $PATTERN /tmp/nvo-readback || { msg "bs=$bs: read back differs"; return 1; }
}

PATTERN=/tmp/nvo-pattern
test_inline_boundary() {
	local dev
	dev=$(host_ns_dev "$NQN" 1) || return 1
	head -c 4194304 /dev/urandom >$PATTERN || return 1
	pattern_rw "$dev" $INLINE 100 || return 1
	pattern_rw "$dev" $((INLINE * 2)) 104 || return 1
	pattern_rw "$dev" 4096 108 || return 1
	pattern_rw "$dev" 1048576 112
}

test_reset() {
	local c
	c=$(ctrl) || return 1
	quiet nvme reset "/dev/$c" || return 1
	wait_for 30 state_is live || { msg "state after reset: $(ctrl_state)"; return 1; }
	verify --bs=4k --iodepth=8 --size=2M
}

test_disconnect() {
	quiet host_disconnect "$NQN" || return 1
	wait_for 10 eval '! ctrl >/dev/null' || { msg "host controller $(ctrl) still there"; return 1; }
}

test_unload() {
	nvmet_port_remove 1 || return 1
	rdma_transport_unload || { msg "cannot unload $(module)"; return 1; }
	[ ! -d "/sys/module/$(module)" ]
}

# The memory a host's queues pin is bounded: with a 1 MiB ceiling the I/O
# queue (128 receive buffers with 16 KiB in-capsule pages, over 2 MiB) is
# refused and the connect fails, saying why; with the ceiling back it
# connects. Stock nvmet-rdma has no such ceiling.
test_mem_limit() {
	local p=/sys/module/nvmet_offload_rdma/parameters/queue_mem_limit_kb old rc=0
	old=$(cat "$p") || return 1
	dmesg_mark
	echo 1024 >"$p" || return 1
	if rdma_host_connect "$NQN" "$PORT" --nr-io-queues=1 >/dev/null 2>&1; then
		msg "connected under a 1 MiB ceiling"
		rc=1
	fi
	echo "$old" >"$p"
	ctrl >/dev/null 2>&1 && quiet host_disconnect "$NQN"
	dmesg_since_mark | grep -q 'would pass queue_mem_limit_kb (1024 KiB): connect refused' ||
		{ msg "no refusal in the kernel log"; rc=1; }
	[ $rc -eq 0 ] || return 1
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=1 || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	quiet host_disconnect "$NQN"
}

# IPv6: rxe0's GID table follows dummy0's addresses, so a port on fd00::2
# is reached through a RoCEv2 GID of that address.
RDMA_ADDR6=fd00::2
PORT6=4421
gid6() { grep -qi '^fd00:' /sys/class/infiniband/$RDMA_LINK/ports/1/gids/* 2>/dev/null; }
test_ipv6() {
	local out c addr rc=0
	_nvo_diag /usr/sbin/ip -6 addr replace "$RDMA_ADDR6/64" dev $RDMA_NETDEV nodad || return 1
	wait_for 10 gid6 || { msg "no fd00:: GID on $RDMA_LINK"; return 1; }
	{ nvmet_port_create 2 "$RDMA_ADDR6" $PORT6 addr_trtype=rdma && nvmet_port_link 2 "$NQN"; } ||
		return 1
	out=$(nvme discover -t rdma -a "$RDMA_ADDR6" -s $PORT6 2>&1) || { msg "$out"; return 1; }
	printf '%s\n' "$out" | grep -q "subnqn: *$NQN" || { msg "$out"; rc=1; }
	printf '%s\n' "$out" | grep -q 'adrfam: *ipv6' || { msg "discovery: no ipv6 entry"; rc=1; }
	quiet nvme connect -t rdma -n "$NQN" -a "$RDMA_ADDR6" -s $PORT6 --nr-io-queues=2 || return 1
	c=$(ctrl) || return 1
	addr=$(cat "/sys/class/nvme/$c/address")
	msg "host controller $c: $addr"
	[[ $addr == *traddr=$RDMA_ADDR6,* ]] || rc=1
	verify --bs=4k --iodepth=16 --size=4M || rc=1
	quiet host_disconnect "$NQN" || rc=1
	nvmet_port_remove 2 || rc=1
	return $rc
}

no_io_errors() {
	dmesg_clean_since_mark -Ei 'I/O error|blk_update_request|critical medium|nvme.*timeout|failed with status|nvmet_offload_rdma: (queue .*failed|refusing|cannot)'
}

ktap_print_header
ktap_set_plan 15
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport)"
dmesg_mark

step "rxe0 on dummy0 ($RDMA_ADDR/16) ACTIVE" test_link
step "target: $(module) registered, port 1 rdma $RDMA_ADDR:$PORT inline $INLINE" test_target
step "nvme discover -t rdma lists the subsystem" test_discover
step "nvme connect -t rdma --nr-io-queues=$IOQ: one I/O queue per CPU" test_connect
if [ "$(nvo_transport)" = stock ]; then
	ktap_test_skip "nvmet_offload's family lists the RDMA port and queues" "stock nvmet-rdma is not ours"
else
	# before the reset: while the ids are low, ids of a space of its own
	# would meet the NVMe/TCP ones
	step "nvmet_offload's family lists the RDMA port and queues beside NVMe/TCP ones (one id space, transport, filters, EINVAL for a move with no device bound)" test_family
fi
step "fio crc32c verify bs=4k iodepth=32 size=8M" verify --bs=4k --iodepth=32 --size=8M
step "fio crc32c verify bs=1M iodepth=4 size=32M" verify --bs=1M --iodepth=4 --size=32M
step "dd writes at ($INLINE) and past the in-capsule size, 4k, 1M, read back in 1M" test_inline_boundary
step "nvme reset: live again, verify" test_reset
step "nvme disconnect" test_disconnect
if [ "$(nvo_transport)" = stock ]; then
	ktap_test_skip "the family lists no RDMA queue after the disconnect" "stock nvmet-rdma is not ours"
else
	step "the family lists no RDMA queue after the disconnect" eventually_no_rdma_queues
fi
step_always "no I/O, timeout or transport errors in the kernel log" no_io_errors
if [ "$(nvo_transport)" = stock ]; then
	ktap_test_skip "queue_mem_limit_kb: a connect past it is refused" "stock nvmet-rdma has no ceiling"
else
	step "queue_mem_limit_kb at 1 MiB: the I/O queue refused, connect fails; restored: connects" test_mem_limit
fi
step "IPv6: a port on $RDMA_ADDR6 (dummy0, a RoCEv2 GID): discovery, connect, fio verify, disconnect" test_ipv6
step "port removed, $(module) unloads" test_unload
ktap_finished
