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
# shellcheck source=lib/ktap.sh
. "$DIR/lib/ktap.sh"
# shellcheck source=lib/nvmet.sh
. "$DIR/lib/nvmet.sh"

case ${1:-} in
--transport) export NVO_TRANSPORT=${2:?}; shift 2 ;;
--transport=*) export NVO_TRANSPORT=${1#*=}; shift ;;
esac

NQN=nqn.2014-08.io.nvmet-offload:tcp-fio-verify
ADDR=127.0.0.1
PORT=4420
FILE=/tmp/nvo-fio-verify.img
BLOCK_SIZES="4k 128k 1M"
DEPTHS="1 32"

msg() { ktap_print_msg "$*"; }
quiet() { "$@" 2>&1 | sed 's/^/# /'; return "${PIPESTATUS[0]}"; }

# Per-job size: enough I/Os to matter, small enough for TCG.
size_for() {
	case $1 in
	4k) echo 8M ;;
	128k) echo 16M ;;
	*) echo 32M ;;
	esac
}

# nvmet opens file namespaces with O_DIRECT unless buffered_io is set, and
# tmpfs (our /tmp) has no O_DIRECT in 6.1: set it while the ns is disabled.
ns_buffered() {
	local ns=/sys/kernel/config/nvmet/subsystems/$NQN/namespaces/$1
	[ -e "$ns/buffered_io" ] || return 0
	[ "$(cat "$ns/buffered_io")" = 1 ] && [ "$(cat "$ns/enable")" = 1 ] && return 0
	nvmet_ns_disable "$NQN" "$1" 2>/dev/null
	echo 1 >"$ns/buffered_io" || return 1
	nvmet_ns_enable "$NQN" "$1"
}

setup() {
	local nullb file
	nvmet_transport_load || { msg "cannot load the $(nvo_transport) transport"; return 1; }
	nullb=$(nullb_create 1) || return 1
	file=$(filedev_create "$FILE" 128) || return 1
	nvmet_subsys_create "$NQN" || return 1
	nvmet_ns_create "$NQN" 1 "$nullb" || return 1
	# A failed enable on O_DIRECT is repaired by ns_buffered below.
	nvmet_ns_create "$NQN" 2 "$file" || msg "ns 2 enable failed as created, retrying buffered"
	ns_buffered 2 || { msg "cannot enable file namespace $file"; return 1; }
	nvmet_port_create 1 "$ADDR" "$PORT" ipv4 || return 1
	nvmet_port_link 1 "$NQN" || return 1
	quiet timeout 60 host_connect "$NQN" "$ADDR" "$PORT" || return 1
	host_ns_dev "$NQN" 1 >/dev/null && host_ns_dev "$NQN" 2 >/dev/null
}

# verify NSID BS DEPTH: one fio write+verify pass over that namespace.
verify() {
	local dev
	dev=$(host_ns_dev "$NQN" "$1") || { msg "no device for nsid $1"; return 1; }
	quiet timeout 150 fio_verify "$dev" --bs="$2" --iodepth="$3" --size="$(size_for "$2")"
}

# Reconnect with both digests and verify large blocks at depth.
verify_digests() {
	quiet timeout 60 host_disconnect "$NQN" || return 1
	quiet timeout 60 host_connect "$NQN" "$ADDR" "$PORT" --hdr-digest --data-digest || return 1
	verify 1 1M 32 && verify 2 4k 32
}

no_io_errors() {
	local hits
	hits=$(dmesg_since_mark | grep -Ei 'I/O error|digest error|blk_update_request|critical medium|nvme.*(timeout|reset)')
	[ -z "$hits" ] && return 0
	echo "$hits" | sed 's/^/# /'
	return 1
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
	[ "$nsid" = 1 ] && what=null_blk || what=file
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
