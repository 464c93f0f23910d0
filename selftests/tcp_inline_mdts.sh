#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_inline_mdts.sh - in-capsule data limit and large transfers. The port
# is created with param_inline_data_size=8192, so the controller reports
# IOCCSZ (64 + 8192) / 16 = 516 and the host sends writes up to 8 KiB
# in-capsule and larger ones through R2T/H2CData. Writes below, at and above
# that limit must verify clean, and so must I/O larger than the largest
# request the host sends (MDTS / max_sectors_kb), which the host splits.
#
# Usage: tcp_inline_mdts.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:tcp-inline-mdts
ADDR=127.0.0.1
PORT=4420
INLINE=8192

DEV=
CTRL=

setup() {
	thp_off		# a loopback-only kernel BUG with THP: see lib/tcp_test.sh
	tcp_target_setup "$NQN" "$ADDR" "$PORT" param_inline_data_size=$INLINE || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" || return 1
	DEV=$(host_ns_dev "$NQN" 1) || return 1
	CTRL=$(host_ctrl "$NQN")
}

# id-ctrl field from nvme-cli's "name : value" text output.
id_ctrl_field() {
	nvme id-ctrl "/dev/$CTRL" 2>/dev/null | awk -F: -v f="$1" '
		{ gsub(/ /, "", $1) } $1 == f { gsub(/ /, "", $2); print $2; exit }'
}

test_ioccsz() {
	local attr ioccsz
	attr=$(cat "$NVMET_CFS/ports/1/param_inline_data_size")
	ioccsz=$(id_ctrl_field ioccsz)
	msg "port param_inline_data_size $attr, controller IOCCSZ $ioccsz"
	[ "$attr" = "$INLINE" ] && [ "$ioccsz" = $(((64 + INLINE) / 16)) ]
}

verify() {
	quiet fio_verify "$DEV" "$@"
}

# test_split MIB: blocks larger than the host's largest request: the block layer splits
# them into several commands; check that this really happens.
test_split() {
	local bs=$1M bytes=$(($1 << 20)) max_kb hw_kb mdts
	max_kb=$(cat "/sys/block/$(basename "$DEV")/queue/max_sectors_kb")
	hw_kb=$(cat "/sys/block/$(basename "$DEV")/queue/max_hw_sectors_kb")
	mdts=$(id_ctrl_field mdts)
	msg "bs $bs: MDTS $mdts, max_hw_sectors_kb $hw_kb, max_sectors_kb $max_kb"
	if [ "$bytes" -le $((max_kb * 1024)) ]; then
		msg "bs $bs is not above max_sectors_kb: no split to test"
		return 1
	fi
	verify --bs="$bs" --iodepth=4 --size=32M
}

ktap_print_header
ktap_set_plan 9
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport)"

if setup; then
	ktap_test_pass "setup: port with param_inline_data_size=$INLINE, connected"
	ktap_test_result "controller reports IOCCSZ $(((64 + INLINE) / 16)) for inline $INLINE" test_ioccsz
	ktap_test_result "4k writes (in-capsule) verify clean" verify --bs=4k --iodepth=16 --size=8M
	ktap_test_result "8k writes (exactly the in-capsule limit) verify clean" verify --bs=8k --iodepth=16 --size=8M
	ktap_test_result "16k writes (R2T) verify clean" verify --bs=16k --iodepth=16 --size=16M
	ktap_test_result "64k writes (R2T) verify clean" verify --bs=64k --iodepth=16 --size=16M
	ktap_test_result "mixed 4k-64k writes (in-capsule and R2T interleaved) verify clean" \
		verify --bsrange=4k-64k --iodepth=32 --size=16M
	ktap_test_result "2M I/O above max_sectors_kb is split and verifies clean" test_split 2
	ktap_test_result "4M I/O above max_sectors_kb is split and verifies clean" test_split 4
else
	ktap_test_fail "setup: port with param_inline_data_size=$INLINE, connected"
	for t in "IOCCSZ" "4k" "8k" "16k" "64k" "mixed" "2M split" "4M split"; do
		ktap_test_skip "$t" "setup failed"
	done
fi
ktap_finished
