#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 600
#
# rdma_offload.sh - NVMe/RDMA I/O queues taken by an offload device at their
# connect (driver API: ops->rdma_accept; nicsim_rdma.ko's engine on nicsim1)
# over Soft-RoCE (rxe0 on dummy0): port 1 bound with the policy on over
# netlink; each I/O queue's QP is the device's (the family lists it
# offloaded on nicsim1, the admin queue in software), the device executes
# reads and writes (keyed SGLs, in-capsule writes) and punts the rest
# (Fabrics Connect, flush) through nvmet; fio crc32c verify at 4k QD32 and
# 1M QD4; writes at and past the in-capsule size read back; a refused
# queue served in software beside an offloaded one; a device with small
# limits makes the port advertise them (MDTS, IOCCSZ, MQES); two subsystems (a
# file namespace's I/O punted); keep-alive fed by the
# device's completions (KATO 5 s, 20 s of I/O); the policy off keeps
# new queues in software; a queue the device fails (fail_queue_after)
# reconnects and is offloaded again; back-end errors on the device's bios
# run in nvmet; the device's engine crash fails every queue, the host
# reconnects to offloaded queues; rxe0 deleted under offloaded fio (the device gives its
# queues back before the ib_device goes; a new link serves offloaded
# again); the device removed under fio (its queues end,
# the host reconnects to software, fio verify clean); a device that
# answers no kill (kill_hang) is failed and its queues parked, the host
# recovers in software, its deletion releases them; bad keys from a raw
# host on an offloaded I/O queue fail the queue, which we end; disconnects leave no
# queue pair and no queue; nicsim_rdma, nicsim and our modules unload. The
# runner fails the boot on any oops/WARN.
#
# Usage: rdma_offload.sh   (our transport only: stock nvmet-rdma has no
# offload; with --transport stock every subtest is skipped)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/rdma_test.sh
. "$DIR/lib/rdma_test.sh"
# shellcheck source=lib/under_io.sh
. "$DIR/lib/under_io.sh"
# shellcheck source=lib/nicsim_rdma.sh
. "$DIR/lib/nicsim_rdma.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:rdma-offload
PORT=4420
INLINE=16384
IOQ=2
RECONNECT=(--reconnect-delay=1 --ctrl-loss-tmo=60)

cleanup() { nicsim_rdma_cleanup; }

test_setup() { nicsim_rdma_setup; }

DEVID=
test_bind() {
	local l
	l=$(nl_raw port-set id=1 dev-name=nicsim1 policy=on 2>&1) || { msg "$l"; return 1; }
	l=$(nl_raw port-get id=1) || { msg "$l"; return 1; }
	msg "port 1: $l"
	DEVID=$(field "$l" dev-id)
	[ "$(field "$l" transport)" = rdma ] && [ "$(field "$l" policy)" = on ] &&
		[ -n "$DEVID" ] && [ "$(field "$l" dev-name)" = nicsim1 ]
}

NIOQ=
PUNTS0=0
test_connect() {
	local c n
	PUNTS0=$(nic rdma_punts)
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	c=$(ctrl) || return 1
	n=$(cat "/sys/class/nvme/$c/queue_count")
	NIOQ=$((n - 1))
	msg "$c: $NIOQ I/O queues"
	[ "$NIOQ" -ge 1 ] || return 1
	queues_where "$NIOQ" 0 || return 1
	# every I/O queue's Fabrics Connect was punted to nvmet
	[ "$(nic rdma_punts)" -ge $((PUNTS0 + NIOQ)) ] ||
		{ msg "punts $PUNTS0 -> $(nic rdma_punts), want +$NIOQ (the Connects)"; return 1; }
}

verify() {
	local dev
	dev=$(host_ns_dev "$NQN" 1) || return 1
	quiet fio_verify "$dev" "$@"
}

# verify_on_device BS SIZE_MB ARGS: fio verify of SIZE_MB in BS blocks,
# every write and every read executed by the device (its count moves by
# 2 x SIZE_MB / BS at least).
verify_on_device() {
	local bs=$1 mb=$2 own0 own want d0 d q
	shift 2
	want=$((2 * mb * 1048576 / bs))
	own0=$(nic rdma_own)
	d0=$(dev_rw)
	verify --bs="$bs" --size="${mb}M" "$@" || return 1
	own=$(nic rdma_own)
	d=$(dev_rw)
	q=$(queues_rw)
	msg "nicsim1 executed $((own - own0)) reads and writes, want $want at least"
	msg "netlink: the device's counters moved by $((d - d0)), its queues' show $q"
	rxe_retries
	[ $((own - own0)) -ge "$want" ] && [ $((d - d0)) -ge "$want" ] && [ "$q" -ge "$want" ]
}

# rxe0's retransmission counters (initiator and target share it), said
# after the bulk I/O: a retry makes Debian 6.1's rxe re-run a host's
# completed REG_MR, which the host then reports as MEMREG ... local QP
# operation error (seen on the debug kernel); these tell whether any came.
rxe_retries() {
	local c d=/sys/class/infiniband/$RDMA_LINK/ports/1/hw_counters out=
	for c in send_rnr_err rcvd_rnr_err rcvd_seq_err completer_retry_err duplicate_request; do
		[ -r "$d/$c" ] && out="$out $c=$(cat "$d/$c")"
	done
	msg "rxe0:${out:- no hw_counters}"
}

# The family's offload counters (stats-get): reads and writes nicsim1 counts
# (device scope: its live queues and those that ended), and the sum over
# its queues (queue scope).
rw_of() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^counters\.(read|write)-cmds=/) { sub(/.*=/, "", $i); n += $i } } END { print n + 0 }'; }
dev_rw() { nl_raw stats-get scope=device dev-id="$DEVID" | rw_of; }
queues_rw() { nl_raw -d stats-get scope=queue dev-id="$DEVID" | rw_of; }

# The counts of ended queues stay in their device's; a queue's own cannot
# be reset (it has no base), its device's can.
test_disconnect_counts() {
	local d d1 qid out
	qid=$(nl_raw -d queue-get dev-id="$DEVID" | head -n 1 | sed -n 's/^queue-get id=\([0-9]*\) .*/\1/p')
	out=$(nl_raw stats-reset scope=queue queue-id="$qid" 2>&1)
	msg "stats-reset of queue $qid: $out"
	grep -q '^error=EOPNOTSUPP .*msg="[^"]' <<<"$out" || return 1
	d=$(dev_rw)
	test_disconnect || return 1
	d1=$(dev_rw)
	msg "nicsim1's reads and writes: $d before the disconnect, $d1 after"
	[ "$d" -gt 0 ] && [ "$d1" -ge "$d" ]
}

PATTERN=/tmp/nvo-pattern
pattern_rw() {
	local dev=$1 bs=$2 off=$3
	dd if=$PATTERN of="$dev" bs="$bs" seek=$((off * 1048576 / bs)) \
		count=$((4194304 / bs)) oflag=direct status=none || return 1
	dd if="$dev" of=/tmp/nvo-readback bs=1M skip="$off" count=4 iflag=direct status=none ||
		return 1
	cmp -s $PATTERN /tmp/nvo-readback || { msg "bs=$bs: read back differs"; return 1; }
}

test_inline_boundary() {
	local dev own0
	dev=$(host_ns_dev "$NQN" 1) || return 1
	head -c 4194304 /dev/urandom >$PATTERN || return 1
	own0=$(nic rdma_own)
	pattern_rw "$dev" $INLINE 100 || return 1
	pattern_rw "$dev" $((INLINE * 2)) 104 || return 1
	pattern_rw "$dev" 4096 108 || return 1
	pattern_rw "$dev" 1048576 112 || return 1
	[ "$(nic rdma_own)" -gt "$own0" ] || { msg "no command on the device"; return 1; }
}

# The family's punt count over nicsim1's queues (queue scope).
punts_nl() {
	nl_raw -d stats-get scope=queue dev-id="$DEVID" | awk '{ for (i = 1; i <= NF; i++)
		if ($i ~ /^counters\.punted-cmds=/) { sub(/.*=/, "", $i); n += $i } } END { print n + 0 }'
}

test_flush() {
	local dev p0 n0
	dev=$(host_ns_dev "$NQN" 1) || return 1
	p0=$(nic rdma_punts)
	n0=$(punts_nl)
	quiet nvme flush "$dev" -n 1 || return 1
	[ "$(nic rdma_punts)" -gt "$p0" ] || { msg "the flush was not punted"; return 1; }
	msg "punts counted by the family: $n0 -> $(punts_nl)"
	[ "$(punts_nl)" -gt "$n0" ] || { msg "the punt was not counted"; return 1; }
}

test_disconnect() { host_gone; }

# The device refuses the first I/O queue (refuse_next_offload): that one
# is ours in software, the other the device's; both verify.
test_refused() {
	[ "$NIOQ" -ge 2 ] || { msg "needs 2 I/O queues, the host made $NIOQ"; return 1; }
	echo 1 >"$NICSIM_DBG/refuse_next_offload" || return 1
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	queues_where $((NIOQ - 1)) 1 || return 1
	verify --bs=4k --iodepth=16 --size=8M || return 1
	dmesg_grep_since_mark 'nicsim1 refused it' >/dev/null || { msg "no refusal logged"; return 1; }
	test_disconnect
}

# id_ctrl FIELD: the host controller's Identify field.
id_ctrl() {
	nvme id-ctrl "/dev/$(ctrl)" 2>/dev/null | awk -F: -v f="$1" '
		{ gsub(/ /, "", $1) } $1 == f { gsub(/ /, "", $2); print $2; exit }'
}

# A device with small RDMA capabilities (64 KiB per command, 4 KiB
# in-capsule, queues up to 32 deep), bound again: the port advertises
# them to a new controller (MDTS 4, IOCCSZ (64 + 4096) / 16, MQES: the host
# asks for 32 entries), so its queues are offloaded, not refused; I/O past
# MDTS (split by the host) and in-capsule writes verify. Bound with the
# defaults again: the port's own values once more.
test_small_caps() {
	local io inl depth mdts ioccsz sq rc=0
	io=$(nic rdma_max_io_size) inl=$(nic rdma_max_inline) depth=$(nic rdma_max_queue_depth)
	{ echo 65536 >"$NICSIM_DBG/rdma_max_io_size" && echo 4096 >"$NICSIM_DBG/rdma_max_inline" &&
		echo 32 >"$NICSIM_DBG/rdma_max_queue_depth"; } || return 1
	nl_raw port-set id=1 dev-name=nicsim1 policy=on >/dev/null || return 1
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	mdts=$(id_ctrl mdts) ioccsz=$(id_ctrl ioccsz) sq=$(cat "/sys/class/nvme/$(ctrl)/sqsize")
	msg "small device: mdts $mdts ioccsz $ioccsz sqsize $sq (want 4 260 31)"
	[ "$mdts" = 4 ] && [ "$ioccsz" = 260 ] && [ "$sq" = 31 ] || rc=1
	queues_where "$NIOQ" 0 || rc=1
	verify --bs=256k --iodepth=4 --size=16M || rc=1
	verify --bs=4k --iodepth=16 --size=4M || rc=1
	quiet host_disconnect "$NQN" || rc=1
	wait_for 10 no_rdma_queues || rc=1
	echo "$io" >"$NICSIM_DBG/rdma_max_io_size"
	echo "$inl" >"$NICSIM_DBG/rdma_max_inline"
	echo "$depth" >"$NICSIM_DBG/rdma_max_queue_depth"
	nl_raw port-set id=1 dev-name=nicsim1 policy=on >/dev/null || return 1
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	mdts=$(id_ctrl mdts) ioccsz=$(id_ctrl ioccsz) sq=$(cat "/sys/class/nvme/$(ctrl)/sqsize")
	msg "defaults again: mdts $mdts ioccsz $ioccsz sqsize $sq (want 8 $(((64 + INLINE) / 16)) 127)"
	[ "$mdts" = 8 ] && [ "$ioccsz" = $(((64 + INLINE) / 16)) ] && [ "$sq" = 127 ] || rc=1
	[ $rc -eq 0 ] || return 1
	test_disconnect
}

# Two subsystems on the port: each controller's I/O queues are offloaded,
# each resolves its own namespace (the queue's controller); the second's is
# a file, which the device cannot serve (no block device): all of its I/O
# is punted and nvmet runs it. Both verify.
NQN2=$NQN-file
test_two_subsystems() {
	local f dump n own0 p0 c2 rc=0
	f=$(filedev_create rdma-offload-ns2 64) || return 1
	{ nvmet_subsys_create "$NQN2" && nvmet_ns_create "$NQN2" 1 "$f" &&
		nvmet_port_link 1 "$NQN2"; } || return 1
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	rdma_host_connect "$NQN2" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null && host_ns_dev "$NQN2" 1 >/dev/null || return 1
	dump=$(nl_raw -d queue-get port-id=1) || { msg "$dump"; return 1; }
	for c2 in "$NQN" "$NQN2"; do
		n=$(grep -E " subsysnqn=$c2( |\$)" <<<"$dump" | grep -c 'state=offloaded')
		[ "$n" -eq "$NIOQ" ] || { msg "$c2: $n queues offloaded, want $NIOQ"; rc=1; }
	done
	own0=$(nic rdma_own)
	verify --bs=4k --iodepth=16 --size=8M || rc=1
	[ "$(nic rdma_own)" -gt "$own0" ] || { msg "subsystem 1: nothing on the device"; rc=1; }
	own0=$(nic rdma_own)
	p0=$(nic rdma_punts)
	quiet fio_verify "$(host_ns_dev "$NQN2" 1)" --bs=4k --iodepth=16 --size=8M || rc=1
	msg "subsystem 2 (file): punts +$(($(nic rdma_punts) - p0)), own +$(($(nic rdma_own) - own0))"
	[ "$(nic rdma_own)" -eq "$own0" ] || { msg "the device executed I/O of a file namespace"; rc=1; }
	[ "$(nic rdma_punts)" -ge $((p0 + 4096)) ] || { msg "its I/O was not punted"; rc=1; }
	quiet host_disconnect "$NQN2" || rc=1
	nvmet_port_unlink 1 "$NQN2" || rc=1
	[ $rc -eq 0 ] || return 1
	test_disconnect
}

# Keep-alive: nvmet advertises TBKAS, so a Linux host that sees completions
# sends no Keep Alive, and nvmet ends a controller whose queues showed no
# command for KATO; the device's commands never reach nvmet, only the
# shim's look at the device's completions keeps it alive. A 5 s KATO and
# 20 s of I/O on offloaded queues: no expiry, no reconnect, still offloaded.
test_keepalive() {
	local dev bad mark=$NVO_DMESG_MARK
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ --keep-alive-tmo=5 "${RECONNECT[@]}" ||
		return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	queues_where "$NIOQ" 0 || return 1
	dmesg_mark
	fio_start "$dev" 20 || return 1
	fio_wait 90 || return 1
	bad=$(dmesg_grep_since_mark 'keep-alive timer|error recovery|Reconnecting|reconnect')
	# the test's own mark again: the log check at the end covers it all
	NVO_DMESG_MARK=$mark
	[ -z "$bad" ] || { msg "$bad"; return 1; }
	queues_where "$NIOQ" 0 || return 1
	test_disconnect
}

# Policy off: the device stays bound, new queues are ours.
test_policy_off() {
	local l
	l=$(nl_raw port-set id=1 policy=off 2>&1) || { msg "$l"; return 1; }
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	queues_where 0 "$NIOQ" || return 1
	verify --bs=4k --iodepth=16 --size=8M || return 1
	test_disconnect || return 1
	l=$(nl_raw port-set id=1 policy=on 2>&1) || { msg "$l"; return 1; }
}

# fail_queue_after: the device fails a queue on its own (stops, destroys
# its QP, nvo_offload_failed()); the shim ends the connection at once, the
# host reconnects, its new queues are offloaded again. First with one
# read in flight, which the failure drops: it completes after the
# reconnect within seconds (left to the host's own detection it would
# wait for its 30 s I/O timeout); then under fio verify.
test_queue_failed() {
	local dev f0 t0 mark=$NVO_DMESG_MARK rc=0
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	queues_where "$NIOQ" 0 || return 1
	f0=$(nic rdma_failed)
	dmesg_mark
	echo 1 >"$NICSIM_DBG/fail_queue_after" || return 1
	t0=$SECONDS
	with_timeout 20 dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none ||
		{ msg "the read in flight did not complete within 20 s"; rc=1; }
	msg "the read dropped by the failed queue completed after $((SECONDS - t0)) s"
	[ "$(nic rdma_failed)" -gt "$f0" ] || { msg "no queue failed"; rc=1; }
	wait_for 30 state_is live || { msg "state: $(ctrl_state)"; return 1; }
	echo 500 >"$NICSIM_DBG/fail_queue_after" || return 1
	verify --bs=4k --iodepth=16 --size=16M || rc=1
	echo 0 >"$NICSIM_DBG/fail_queue_after"
	msg "nicsim1 failed $(($(nic rdma_failed) - f0)) queue(s)"
	[ "$(nic rdma_failed)" -gt $((f0 + 1)) ] || { msg "no second queue failed"; rc=1; }
	dmesg_grep_since_mark 'injected queue failure' >/dev/null || { msg "no injected failure logged"; rc=1; }
	dmesg_grep_since_mark 'nicsim1 gave it up \(failed\): ending the connection' >/dev/null ||
		{ msg "the shim did not end the connection"; rc=1; }
	NVO_DMESG_MARK=$mark
	wait_for 30 state_is live || { msg "state: $(ctrl_state)"; return 1; }
	wait_for 10 queues_where "$NIOQ" 0 >/dev/null || queues_where "$NIOQ" 0 || rc=1
	[ $rc -eq 0 ] || return 1
	test_disconnect
}

# Back-end errors on the device's bios (an LBA range that fails on it):
# each such command runs again in nvmet with the data the device holds;
# the host sees no error and reads back what it wrote.
test_backend_errors() {
	local e0 rc=0
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	e0=$(nic rdma_backend_errors)
	echo 0 >"$NICSIM_DBG/backend_error_lba_start" &&
		echo 2048 >"$NICSIM_DBG/backend_error_lba_end" || return 1
	verify --bs=4k --iodepth=16 --size=8M || rc=1
	echo 0 >"$NICSIM_DBG/backend_error_lba_end"
	msg "back-end errors run by nvmet: $(($(nic rdma_backend_errors) - e0))"
	[ "$(nic rdma_backend_errors)" -gt "$e0" ] || { msg "no back-end error"; rc=1; }
	queues_where "$NIOQ" 0 || rc=1
	[ $rc -eq 0 ] || return 1
	test_disconnect
}

# The device's engine crashes (crash in debugfs) under fio: every queue it
# holds fails at once (nvo_offload_failed, DEV_FAILED), their connections
# end, the host reconnects to queues offloaded again, fio is clean.
test_crash() {
	local dev f0 mark=$NVO_DMESG_MARK rc=0
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	queues_where "$NIOQ" 0 || return 1
	f0=$(nic rdma_failed)
	dmesg_mark
	fio_start "$dev" 20 || return 1
	echo 1 >"$NICSIM_DBG/crash" || rc=1
	fio_wait 90 || rc=1
	msg "queues failed by the crash: $(($(nic rdma_failed) - f0)) (want $NIOQ)"
	[ "$(nic rdma_failed)" -ge $((f0 + NIOQ)) ] || rc=1
	[ "$(dmesg_grep_since_mark 'nicsim1 gave it up \(failed\)' | grep -c .)" -ge "$NIOQ" ] ||
		{ msg "the shim did not end every queue's connection"; rc=1; }
	NVO_DMESG_MARK=$mark
	wait_for 30 state_is live || { msg "state: $(ctrl_state)"; return 1; }
	wait_for 10 queues_where "$NIOQ" 0 >/dev/null || queues_where "$NIOQ" 0 || rc=1
	[ $rc -eq 0 ] || return 1
	verify --bs=4k --iodepth=16 --size=8M || return 1
	test_disconnect
}

# A new connection: every I/O queue offloaded; verify, disconnect.
connect_offloaded_verify() {
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	queues_where "$NIOQ" 0 || return 1
	verify --bs=4k --iodepth=16 --size=8M || return 1
	test_disconnect
}

# rxe0 deleted while fio runs on offloaded queues: the RDMA device under
# the device's QPs goes, so our ib_client ends every queue on it and each
# release waits for nicsim1 to give its queue back (QP and CQ destroyed
# before the ib_device may unregister); the host's controller goes too.
# A new link: the port listens again, a new connect is offloaded, verify.
relistened() { dmesg_grep_since_mark 'nvmet_offload_rdma: port 1: listening again' >/dev/null; }
test_link_deleted() {
	local mark=$NVO_DMESG_MARK rc=0
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	queues_where "$NIOQ" 0 || return 1
	dmesg_mark
	fio_start "$(host_ns_dev "$NQN" 1)" 60 || return 1
	with_timeout 60 rdma_link_down || { msg "rdma link delete failed or hung"; return 1; }
	fio_wait 60
	[ $? -eq 124 ] && rc=1
	fio_reap
	wait_for 30 no_ctrl || { msg "host controller $(ctrl) still there: $(ctrl_state)"; rc=1; }
	wait_for 10 no_rdma_queues || { msg "queues left: $(nl_raw -d queue-get port-id=1)"; rc=1; }
	dmesg_grep_since_mark 'nvmet_offload_rdma: port 1: RDMA device removed' >/dev/null ||
		{ msg "no 'RDMA device removed' line from the listener"; rc=1; }
	rdma_link_up || return 1
	wait_for 15 relistened || { msg "port 1 not listening again"; rc=1; }
	NVO_DMESG_MARK=$mark
	[ $rc -eq 0 ] || return 1
	connect_offloaded_verify
}

# nicsim1 goes while fio runs on its queues: they end (the host sees its
# connections drop), the port is unbound, the host reconnects to software
# queues and fio ends without an error.
test_device_removed() {
	local dev l
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	queues_where "$NIOQ" 0 || return 1
	fio_start "$dev" 20 || return 1
	sleep 2
	nicsim_del || return 1
	l=$(nl_raw port-get id=1)
	msg "port 1 after: $l"
	[ "$(field "$l" policy)" = off ] && [ -z "$(field "$l" dev-id)" ] || { msg "port still bound"; return 1; }
	wait_for 30 state_is live || { msg "state: $(ctrl_state)"; return 1; }
	fio_wait 60 || return 1
	queues_where 0 "$NIOQ" || return 1
	verify --bs=4k --iodepth=16 --size=8M || return 1
	test_disconnect
}

# A device that gives no queue back (kill_hang: nicsim1's RDMA queues
# freeze at the reclaim) while the host resets its controller under fio:
# each release kills the queue at the reclaim deadline and, the kill
# unanswered too, fails the device (unbound from port 1, state failed)
# and parks the queue (its QP is on our CM id) instead of holding a
# worker of nvmet_wq; the host reconnects to software queues, fio is
# clean. Deleting the device stops its frozen queues first: each parked
# queue is released and the device's unregister returns.
dev_failed() { dmesg_grep_since_mark 'offload device nicsim1 failed' >/dev/null; }
test_kill_hang() {
	local dev c l n mark=$NVO_DMESG_MARK rc=0
	nicsim_new || return 1
	test_bind || return 1
	rdma_host_connect "$NQN" "$PORT" --nr-io-queues=$IOQ "${RECONNECT[@]}" || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	c=$(ctrl) || return 1
	queues_where "$NIOQ" 0 || return 1
	echo 1 >"$NICSIM_DBG/kill_hang" || return 1
	dmesg_mark
	fio_start "$dev" 20 || return 1
	echo 1 >"/sys/class/nvme/$c/reset_controller" || { msg "reset failed"; rc=1; }
	wait_for 20 dev_failed || { msg "nicsim1 not failed within 20 s"; rc=1; }
	l=$(nl_raw port-get id=1)
	msg "port 1: $l"
	[ "$(field "$l" policy)" = off ] && [ -z "$(field "$l" dev-id)" ] ||
		{ msg "port 1 still bound"; rc=1; }
	l=$(nl_raw dev-get name=nicsim1)
	[ "$(field "$l" state)" = failed ] || { msg "nicsim1: $l"; rc=1; }
	wait_for 30 state_is live || { msg "state: $(ctrl_state)"; rc=1; }
	fio_wait 90 || rc=1
	n=$(dmesg_grep_since_mark 'nicsim1 answered no kill: parked' | grep -c .)
	msg "queues parked: $n (the reset's $NIOQ, and any the host opened before the failure)"
	[ "$n" -ge "$NIOQ" ] || rc=1
	# The parked queues are off the family's list; nicsim1 still has them.
	NICSIM_DBG=/nonexistent queues_where 0 "$NIOQ" || rc=1
	verify --bs=4k --iodepth=16 --size=8M || rc=1
	nicsim_del || rc=1
	l=$(dmesg_grep_since_mark 'gave the parked queue back: released' | grep -c .)
	msg "parked queues released at the deletion: $l"
	[ "$l" -eq "$n" ] || rc=1
	NVO_DMESG_MARK=$mark
	[ $rc -eq 0 ] || return 1
	test_disconnect
}

# Bad keys from a raw NVMe/RDMA host (tools/nvme_rdma_badsgl) on an I/O
# queue the device took at connect: after a good Read, a Read whose data
# the device's RDMA WRITE cannot place and a Write whose data its RDMA READ
# cannot fetch. No success comes back, the device fails the queue
# (counted), we end its connection; a kernel host then connects, offloaded,
# and verifies.
test_bad_keys() {
	local lba f0 o0 n mode out rc=0 mark=$NVO_DMESG_MARK
	nicsim_new || return 1
	test_bind || return 1
	lba=$(cat "/sys/block/${TCP_NULLB##*/}/queue/logical_block_size") || return 1
	f0=$(nic rdma_failed)
	o0=$(nic rdma_own)
	dmesg_mark
	for mode in ioq-badkey-read ioq-badkey-write; do
		out=$(timeout 60 "$NVO_BIN/nvme_rdma_badsgl" "$RDMA_ADDR" "$PORT" "$NQN" \
			"$mode" "$lba" 2>&1) || { msg "$mode failed"; rc=1; }
		while IFS= read -r l; do msg "$mode: $l"; done <<<"$out"
	done
	n=$(($(nic rdma_failed) - f0))
	msg "queues nicsim1 failed: $n (want 2); reads it executed: $(($(nic rdma_own) - o0))"
	[ "$n" -eq 2 ] && [ "$(nic rdma_own)" -ge $((o0 + 2)) ] || rc=1
	[ "$(dmesg_grep_since_mark 'nicsim1 gave it up \(failed\)' | grep -c .)" -eq 2 ] ||
		{ msg "the shim did not end both connections"; rc=1; }
	NVO_DMESG_MARK=$mark
	[ $rc -eq 0 ] || return 1
	connect_offloaded_verify || return 1
	nicsim_del
}

test_unload() {
	rxe_retries
	_nvo_rmmod nicsim_rdma || return 1
	_nvo_rmmod nicsim || return 1
	nvmet_port_remove 1 || return 1
	rdma_transport_unload || return 1
	[ ! -d /sys/module/nvmet_offload_rdma ]
}

no_io_errors() {
	dmesg_clean_since_mark -Ei 'I/O error|blk_update_request|critical medium|failed with status|nicsim.*(failed|error)'
}

ktap_print_header
ktap_set_plan 22
trap cleanup EXIT
msg "transport: $(nvo_transport)"
if [ "$(nvo_transport)" = stock ]; then
	for i in $(seq 22); do
		ktap_test_skip "rdma offload subtest $i" "stock nvmet-rdma has no offload"
	done
	ktap_finished
fi
dmesg_mark

step "rxe0 up, target on port 1 ($RDMA_ADDR:$PORT, inline $INLINE), nicsim1 with nicsim_rdma" test_setup
step "port-set: port 1 bound to nicsim1, policy on" test_bind
step "connect: every I/O queue offloaded on nicsim1 (its QP), the admin queue ours; the Connects punted" test_connect
step "fio crc32c verify bs=4k iodepth=32 executed by the device" verify_on_device 4096 16 --iodepth=32
step "fio crc32c verify bs=1M iodepth=4 executed by the device" verify_on_device 1048576 32 --iodepth=4
step "dd writes at ($INLINE) and past the in-capsule size, 4k, 1M, read back" test_inline_boundary
step "nvme flush: punted, completed, counted (stats-get)" test_flush
step "disconnect: no queue, no QP left, nicsim1 holds none; its counters keep the queues' I/O" test_disconnect_counts
step "a queue nicsim1 refuses is served in software beside an offloaded one; verify" test_refused
step "a device with small RDMA limits: the port advertises them (MDTS, IOCCSZ, MQES), queues offloaded, verify" test_small_caps
step "two subsystems: both controllers' queues offloaded; a file namespace's I/O punted; both verify" test_two_subsystems
step "keep-alive: KATO 5 s, 20 s of I/O on offloaded queues, no expiry, no reconnect" test_keepalive
step "policy off: new queues in software, verify; on again" test_policy_off
step_always "no I/O or device errors in the kernel log" no_io_errors
step "fail_queue_after: a queue the device fails ends its connection; the host reconnects, offloaded again; verify" test_queue_failed
step "back-end errors on the device: those commands run in nvmet, the host sees none; verify" test_backend_errors
step "the device's engine crashes under fio: every queue fails, the host reconnects, offloaded again; fio clean" test_crash
step "rxe0 deleted under offloaded fio: queues end, the device's QPs go; new link: offloaded again, verify" test_link_deleted
step "nicsim1 removed under fio: queues end, port unbound, host back on software queues, fio clean" test_device_removed
step "kill_hang: a reset under fio; the device failed and unbound, its queues parked, the host on software queues; fio clean; deleting the device releases them" test_kill_hang
step "bad keys from a raw host on an offloaded I/O queue (Read, Write): no success, the device fails the queue, we end it; a kernel host verifies" test_bad_keys
step "nicsim_rdma, nicsim, port and transport unload" test_unload
ktap_finished
