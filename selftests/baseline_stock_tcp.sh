#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# baseline_stock_tcp.sh - the test bed end to end with the kernel's own
# pieces only: stock nvmet-tcp target, memory-backed null_blk namespace,
# kernel nvme-tcp host over 127.0.0.1, fio crc32c-verified 4k random writes.
# If this fails, the bed is broken, not our transport.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/ktap.sh
. "$DIR/lib/ktap.sh"
# shellcheck source=lib/nvmet.sh
. "$DIR/lib/nvmet.sh"

export NVO_TRANSPORT=stock
NQN=nqn.2014-08.io.nvmet-offload:baseline-stock
ADDR=127.0.0.1
PORT=4420
DEV=

# step DESC FUNC [ARGS]: a subtest that is skipped once an earlier one failed
failed=
step() {
	local desc=$1
	shift
	if [ -n "$failed" ]; then
		ktap_test_skip "$desc" "earlier step failed"
		return
	fi
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
		failed=1
	fi
}

setup_target() {
	local nullb
	nvmet_transport_load || return 1
	nullb=$(nullb_create 1) || return 1
	nvmet_subsys_create "$NQN" || return 1
	nvmet_ns_create "$NQN" 1 "$nullb" || return 1
	nvmet_port_create 1 "$ADDR" "$PORT" ipv4 || return 1
	nvmet_port_link 1 "$NQN"
}

connect() {
	timeout 60 host_connect "$NQN" "$ADDR" "$PORT" || return 1
	DEV=$(host_ns_dev "$NQN" 1) || return 1
	ktap_print_msg "namespace 1 is $DEV"
}

# fio's whole report only when it failed; its key lines otherwise
verify() {
	local out rc
	out=$(timeout 120 fio_verify "$DEV" --rw=randwrite --bs=4k --size=16M --iodepth=16 2>&1)
	rc=$?
	[ $rc -eq 0 ] && out=$(grep -E 'err=|IOPS=|issued rwts' <<<"$out")
	ktap_print_msg "$out"
	return $rc
}

disconnect() {
	timeout 60 host_disconnect "$NQN" || return 1
	# the namespace must be gone from the host
	! NVO_NS_WAIT=1 host_ns_dev "$NQN" 1 >/dev/null 2>&1
}

no_kernel_errors() {
	local hits
	hits=$(dmesg_since_mark | grep -E 'I/O error|nvme.*(timeout|reset|error)|BUG:|WARNING:')
	[ -z "$hits" ] && return 0
	ktap_print_msg "$hits"
	return 1
}

ktap_print_header
ktap_set_plan 5
trap nvmet_cleanup EXIT
dmesg_mark

step "stock nvmet-tcp target: null_blk namespace on $ADDR:$PORT" setup_target
step "kernel nvme-tcp host connects, namespace appears" connect
step "fio randwrite 4k 16MiB iodepth 16, crc32c verify" verify
step "host disconnects, namespace goes away" disconnect
ktap_test_result "no I/O or nvme errors in the kernel log" no_kernel_errors
ktap_finished
