#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_fio_verify.sh - data integrity through the NVMe/TCP target transport:
# fio randwrite + crc32c verify at 4k/128k/1M blocks, iodepth 1 and 32, on a
# memory-backed null_blk namespace and a file-backed namespace (/tmp), then
# once more with header and data digests on. Any fio error or verify
# mismatch fails the subtest, and so does an I/O or digest error in the
# kernel log. Then reads and writes of 4 KiB at once under 2% packet loss on
# lo (tc netem): TCP keeps a read's data for retransmission while the
# command's slot takes the next command's in-capsule write, so a slot page
# reused too early goes out corrupted on a retransmit (ours counts the
# pages it replaced because an skb still held them: rd_pg_new in debugfs).
# Sizes are small: TCG makes I/O ~20x slower than native.
#
# Usage: tcp_fio_verify.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:tcp-fio-verify
ADDR=127.0.0.1
PORT=4420
FILE=/tmp/nvo-fio-verify.img
BLOCK_SIZES="4k 128k 1M"
DEPTHS="1 32"

# Per-job size: enough I/Os to matter, small enough for TCG.
size_for() {
	case $1 in
	4k) echo 8M ;;
	128k) echo 16M ;;
	*) echo 32M ;;
	esac
}

setup() {
	local file
	thp_off		# a loopback-only kernel BUG with THP: see lib/tcp_test.sh
	tcp_target_setup "$NQN" "$ADDR" "$PORT" || return 1
	file=$(filedev_create "$FILE" 128) || return 1
	# nvmet_ns_create sets buffered_io: tmpfs has no O_DIRECT in 6.1.
	nvmet_ns_create "$NQN" 2 "$file" || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" || return 1
	host_ns_dev "$NQN" 1 >/dev/null && host_ns_dev "$NQN" 2 >/dev/null
}

# verify NSID BS DEPTH: one fio write+verify pass over that namespace.
verify() {
	local dev
	dev=$(host_ns_dev "$NQN" "$1") || { msg "no device for nsid $1"; return 1; }
	quiet fio_verify "$dev" --bs="$2" --iodepth="$3" --size="$(size_for "$2")"
}

# Reconnect with both digests and verify large blocks at depth.
verify_digests() {
	quiet host_disconnect "$NQN" || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" --hdr-digest --data-digest || return 1
	verify 1 1M 32 && verify 2 4k 32
}

# Reads verified (a region written first, read back 3 times) while a second
# fio writes 4 KiB blocks elsewhere, on one I/O queue, with 2% of lo's
# packets dropped.
held_pages() {
	awk 'NR > 1 && $4 > 0 { s += $NF } END { print s + 0 }' /sys/kernel/debug/nvmet_offload/queues
}
verify_under_loss() {
	local dev wpid h0 h1 rc=0
	modprobe sch_netem 2>/dev/null
	tc qdisc add dev lo root netem loss 0% 2>/dev/null && tc qdisc del dev lo root ||
		{ LOSS_SKIP="machine: no tc netem (sch_netem) in this kernel"; return 0; }
	quiet host_disconnect "$NQN" || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" --nr-io-queues=1 || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	quiet fio_verify "$dev" --rw=write --size=8M --do_verify=0 || return 1
	[ "$(nvo_transport)" = ours ] && h0=$(held_pages)
	tc qdisc add dev lo root netem loss 2% || { msg "tc netem on lo failed"; return 1; }
	fio --name=writer --filename="$dev" --ioengine=libaio --direct=1 --allow_file_create=0 \
		--rw=randwrite --bs=4k --iodepth=16 --offset=32M --size=16M \
		--time_based --runtime=120 >/tmp/loss-writer.fio 2>&1 &
	wpid=$!
	quiet fio_verify "$dev" --rw=write --size=8M --verify_only=1 --loops=3 || rc=1
	kill "$wpid" 2>/dev/null
	wait "$wpid"
	tc qdisc del dev lo root || rc=1
	if [ "$(nvo_transport)" = ours ]; then
		h1=$(held_pages)
		msg "slot pages replaced while an skb held them: ${h0:-?} -> ${h1:-?}"
		[ $((h1 - h0)) -ge 1 ] || { msg "no retransmit held a slot page: the case was not reached"; rc=1; }
	fi
	return $rc
}

no_io_errors() {
	dmesg_clean_since_mark -Ei 'I/O error|digest error|blk_update_request|critical medium|nvme.*(timeout|reset)'
}

ktap_print_header
ktap_set_plan $((2 + 2 * 3 * 2 + 2))
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport)"
dmesg_mark

setup_failed=
if setup; then
	ktap_test_pass "setup: null_blk nsid 1, file nsid 2 ($FILE), connected"
else
	ktap_test_fail "setup: null_blk nsid 1, file nsid 2 ($FILE), connected"
	setup_failed=1
fi

for nsid in 1 2; do
	what="file"
	[ "$nsid" = 1 ] && what="null_blk"
	for bs in $BLOCK_SIZES; do
		for qd in $DEPTHS; do
			desc="fio crc32c verify, $what, bs=$bs iodepth=$qd size=$(size_for "$bs")"
			if [ -n "$setup_failed" ]; then
				ktap_test_skip "$desc" "setup failed"
			else
				ktap_test_result "$desc" verify "$nsid" "$bs" "$qd"
			fi
		done
	done
done

if [ -n "$setup_failed" ]; then
	ktap_test_skip "fio verify with --hdr-digest --data-digest" "setup failed"
else
	ktap_test_result "fio verify with --hdr-digest --data-digest (null_blk 1M, file 4k)" verify_digests
fi
if [ -n "$setup_failed" ]; then
	ktap_test_skip "reads verified beside 4 KiB writes under 2% packet loss" "setup failed"
else
	LOSS_SKIP=
	desc="reads verified beside 4 KiB writes under 2% packet loss on lo: retransmitted read data intact"
	if verify_under_loss; then
		if [ -n "$LOSS_SKIP" ]; then ktap_test_skip "$desc" "$LOSS_SKIP"; else ktap_test_pass "$desc"; fi
	else
		ktap_test_fail "$desc"
	fi
fi
ktap_test_result "no I/O, digest, timeout or reset errors in the kernel log" no_io_errors
ktap_finished
