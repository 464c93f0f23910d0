#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_inline_mdts.sh - in-capsule data limit and large transfers. The port
# is created with param_inline_data_size=8192, so the controller reports
# IOCCSZ (64 + 8192) / 16 = 516 and the host sends writes up to 8 KiB
# in-capsule and larger ones through R2T/H2CData. Writes below, at and above
# that limit must verify clean, and so must I/O larger than the largest
# request the host sends (MDTS / max_sectors_kb), which the host splits.
# On our transport each write size is also checked against the path it
# took, from the I/O queues' counters in debugfs (write_cmds, inl_wr,
# r2ts): up to the limit every write in-capsule and none by R2T, above it
# every write by R2T and none in-capsule. The host's largest request must
# be what the controller's MDTS allows (2^MDTS pages of 4 KiB).
# Then (our transport) MAXH2CDATA below the transfer size: with the module's
# max_h2c_data at 8 KiB, each 64 KiB write takes exactly 8 R2Ts, one after
# the other, and verifies; and again with the I/O queues offloaded to
# nicsim1, which serves them with the MAXH2CDATA the host was told.
#
# Usage: tcp_inline_mdts.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/offload_queues.sh
. "$DIR/lib/offload_queues.sh"
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

# Sums over the I/O queues (debugfs of nvmet_offload): "write_cmds inl_wr r2ts"
QDBG=/sys/kernel/debug/nvmet_offload/queues
path_counts() { awk 'NR > 1 && $4 > 0 { w += $10; i += $12; r += $13 } END { print w + 0, i + 0, r + 0 }' "$QDBG"; }

# verify_path inline|r2t|both FIO-ARGS...: fio verify clean, and on our
# transport every write (inline) or none (r2t) went in-capsule; every write
# (r2t) or none (inline) asked for its data by R2T; both: some of each.
verify_path() {
	local want=$1 w0 i0 r0 w1 i1 r1 dw di dr
	shift
	if [ "$(nvo_transport)" != ours ]; then
		verify "$@"
		return
	fi
	read -r w0 i0 r0 < <(path_counts)
	verify "$@" || return 1
	read -r w1 i1 r1 < <(path_counts)
	dw=$((w1 - w0)) di=$((i1 - i0)) dr=$((r1 - r0))
	msg "writes $dw: in-capsule $di, R2Ts $dr"
	case $want in
	inline) [ "$dw" -gt 0 ] && [ "$di" -eq "$dw" ] && [ "$dr" -eq 0 ] ;;
	r2t) [ "$dw" -gt 0 ] && [ "$di" -eq 0 ] && [ "$dr" -ge "$dw" ] ;;
	both) [ "$di" -gt 0 ] && [ "$dr" -gt 0 ] && [ "$di" -lt "$dw" ] ;;
	esac || { msg "want $want writes"; return 1; }
}

# The host's largest request follows the controller's MDTS: 2^MDTS pages
# (CAP.MPSMIN: 4 KiB), i.e. max_hw_sectors_kb = 4 << MDTS (MDTS 0: no limit).
test_mdts() {
	local mdts hw_kb
	mdts=$(id_ctrl_field mdts)
	hw_kb=$(cat "/sys/block/$(basename "$DEV")/queue/max_hw_sectors_kb")
	msg "MDTS $mdts, max_hw_sectors_kb $hw_kb"
	[[ $mdts =~ ^[0-9]+$ ]] && [ "$mdts" -gt 0 ] && [ "$hw_kb" -eq $((4 << mdts)) ]
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
	# split: more commands than fio's writes (32M / bs), each R2T
	local w0 w1
	read -r w0 _ < <(path_counts 2>/dev/null || echo 0)
	verify_path r2t --bs="$bs" --iodepth=4 --size=32M || return 1
	[ "$(nvo_transport)" = ours ] || return 0
	read -r w1 _ < <(path_counts)
	msg "$((32 / $1)) writes of $bs became $((w1 - w0)) commands"
	[ $((w1 - w0)) -gt $((32 / $1)) ]
}

H2C_PARAM=/sys/module/nvmet_offload/parameters/max_h2c_data
# reconnect H2C: a new association told MAXH2CDATA H2C bytes
reconnect_h2c() {
	quiet host_disconnect "$NQN"
	echo "$1" >"$H2C_PARAM" || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" || return 1
	DEV=$(host_ns_dev "$NQN" 1) || return 1
	CTRL=$(host_ctrl "$NQN")
}

# 64k writes (past the 8k in-capsule limit) with MAXH2CDATA 8k: a host may
# send no H2CData PDU above 8k and we open one 8k window at a time, so
# exactly 8 R2Ts a write; a bad value for the knob is refused.
test_multi_r2t() {
	local w0 i0 r0 w1 i1 r1 dw dr
	echo 4095 >"$H2C_PARAM" 2>/dev/null && { msg "max_h2c_data took 4095"; return 1; }
	echo 8194 >"$H2C_PARAM" 2>/dev/null && { msg "max_h2c_data took 8194 (not a multiple of 4)"; return 1; }
	reconnect_h2c 8192 || return 1
	read -r w0 i0 r0 < <(path_counts)
	verify --bs=64k --iodepth=8 --size=8M || return 1
	read -r w1 i1 r1 < <(path_counts)
	dw=$((w1 - w0)) dr=$((r1 - r0))
	msg "MAXH2CDATA 8192: $dw writes of 64k, $dr R2Ts, in-capsule $((i1 - i0))"
	[ "$dw" -gt 0 ] && [ "$dr" -eq $((8 * dw)) ] && [ "$i1" -eq "$i0" ]
}

# the same on offloaded queues: nicsim1 solicits the data; its counters
# show the writes executed there, none in-capsule, none by our R2Ts
test_multi_r2t_offloaded() {
	local w0 w1 iw0 iw1 r0 r1
	quiet insmod "$NVO_MODULES/nicsim.ko" || { msg "cannot load nicsim.ko"; return 1; }
	echo "1 2" >/sys/bus/nicsim/new_device || return 1
	echo "1 on nicsim1" >/sys/kernel/debug/nvmet_offload/port_offload || return 1
	reconnect_h2c 8192 || return 1
	oq_wait_all offloaded 10 || { msg "I/O queues not offloaded: $(oq_states)"; return 1; }
	read -r _ _ r0 < <(path_counts)
	w0=$(nic_sum 2) iw0=$(nic_sum 3)
	verify --bs=64k --iodepth=8 --size=8M || return 1
	w1=$(nic_sum 2) iw1=$(nic_sum 3)
	read -r _ _ r1 < <(path_counts)
	msg "nicsim1: $((w1 - w0)) writes, in-capsule $((iw1 - iw0)); our R2Ts $((r1 - r0))"
	[ $((w1 - w0)) -ge 128 ] && [ "$iw1" -eq "$iw0" ] && [ "$r1" -eq "$r0" ]
}
# nic_sum N: the sum of the Nth column after "state" (read_cmds=1) over
# nicsim1's queues
nic_sum() {
	awk -v c="$1" 'NR > 1 { s += $(8 + c) } END { print s + 0 }' /sys/kernel/debug/nicsim/nicsim1/queues
}

ktap_print_header
ktap_set_plan 12
cleanup() {
	nvmet_cleanup
	[ -d /sys/bus/nicsim ] && echo 1 >/sys/bus/nicsim/del_device 2>/dev/null
	rmmod nicsim 2>/dev/null
	return 0
}
trap cleanup EXIT
msg "transport: $(nvo_transport)"

if setup; then
	ktap_test_pass "setup: port with param_inline_data_size=$INLINE, connected"
	ktap_test_result "controller reports IOCCSZ $(((64 + INLINE) / 16)) for inline $INLINE" test_ioccsz
	ktap_test_result "host's largest request follows MDTS (4 KiB << MDTS)" test_mdts
	ktap_test_result "4k writes in-capsule, verify clean" verify_path inline --bs=4k --iodepth=16 --size=8M
	ktap_test_result "8k writes (exactly the in-capsule limit) in-capsule, verify clean" \
		verify_path inline --bs=8k --iodepth=16 --size=8M
	ktap_test_result "12k writes (past the limit) by R2T, verify clean" verify_path r2t --bs=12k --iodepth=16 --size=12M
	ktap_test_result "64k writes by R2T, verify clean" verify_path r2t --bs=64k --iodepth=16 --size=16M
	ktap_test_result "mixed 4k-64k writes (in-capsule and R2T interleaved) verify clean" \
		verify_path both --bsrange=4k-64k --iodepth=32 --size=16M
	ktap_test_result "2M I/O above max_sectors_kb is split and verifies clean" test_split 2
	ktap_test_result "4M I/O above max_sectors_kb is split and verifies clean" test_split 4
	if [ "$(nvo_transport)" = ours ]; then
		ktap_test_result "MAXH2CDATA 8 KiB: 64k writes take 8 R2Ts each, verify clean" test_multi_r2t
		ktap_test_result "MAXH2CDATA 8 KiB, I/O queues on nicsim1: 64k writes verify clean there" \
			test_multi_r2t_offloaded
	else
		ktap_test_skip "MAXH2CDATA 8 KiB: several R2Ts a command" "machine: max_h2c_data is our module's knob"
		ktap_test_skip "MAXH2CDATA 8 KiB, offloaded" "machine: needs our transport and nicsim"
	fi
else
	ktap_test_fail "setup: port with param_inline_data_size=$INLINE, connected"
	for t in "IOCCSZ" "MDTS" "4k" "8k" "12k" "64k" "mixed" "2M split" "4M split" "multi-R2T" "multi-R2T offloaded"; do
		ktap_test_skip "$t" "setup failed"
	done
fi
ktap_finished
