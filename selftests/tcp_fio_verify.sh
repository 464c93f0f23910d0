#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_fio_verify.sh - data integrity through the NVMe/TCP target transport:
# fio randwrite + crc32c verify at 4k/128k/1M blocks, iodepth 1 and 32, on a
# memory-backed null_blk namespace and a file-backed namespace (/tmp), then
# once more with header and data digests on. Any fio error or verify
# mismatch fails the subtest, and so does an I/O or digest error in the
# kernel log. Sizes are small: TCG makes I/O ~20x slower than native.
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

no_io_errors() {
	dmesg_clean_since_mark -Ei 'I/O error|digest error|blk_update_request|critical medium|nvme.*(timeout|reset)'
}

ktap_print_header
ktap_set_plan $((2 + 2 * 3 * 2 + 1))
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
ktap_test_result "no I/O, digest, timeout or reset errors in the kernel log" no_io_errors
ktap_finished
