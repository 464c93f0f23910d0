#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma_malformed.sh - what nvme-rdma never sends, from a raw verbs host
# (selftests/tools/nvme_rdma_badsgl.c, librdmacm over Soft-RoCE): a connect
# request past the queue-size limit (NVMe/RDMA reject INVALID_HSQSIZE),
# unsupported SGL types, a keyed SGL past MDTS and in-capsule data on a read
# (each a clear NVMe status with DNR, and the queue keeps working), and data
# behind a bad remote key, written and read (the transfer fails, the target
# ends that connection), a capsule shorter than a command (the target ends
# the connection), and a host that stops sending Keep Alive (the
# target's keep-alive timer ends its controller and queue). After all of it
# a normal host connects and verifies I/O, no queue pair is left over, and
# the runner scans the kernel log for oopses and WARNs.
#
# Usage: rdma_malformed.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/rdma_test.sh
. "$DIR/lib/rdma_test.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:rdma-malformed
PORT=4420
CLIENT=$NVO_BIN/nvme_rdma_badsgl

module() { [ "$(nvo_transport)" = stock ] && echo nvmet_rdma || echo nvmet_offload_rdma; }

test_setup() {
	[ -x "$CLIENT" ] || { msg "$CLIENT not built (libibverbs-dev, librdmacm-dev)"; return 1; }
	_nvo_diag modprobe rdma_ucm || return 1
	_nvo_diag modprobe ib_uverbs || return 1
	rdma_link_up || return 1
	rdma_target_setup "$NQN" "$PORT"
}

# client MODE: the raw host's checks as diagnostics; its exit status.
client() {
	local out rc
	out=$(timeout 60 "$CLIENT" "$RDMA_ADDR" "$PORT" "$NQN" "$1" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	[ $rc -eq 0 ] || return 1
	wait_for 20 no_qps || { msg "$(rc_qps) RC queue pairs left"; return 1; }
}

# nvmet's keep-alive timer, not something else, ended it
client_kato() {
	client kato || return 1
	dmesg_grep_since_mark 'keep-alive timer \(2 seconds\) expired' >/dev/null ||
		{ msg "no keep-alive expiry in the kernel log"; return 1; }
}

test_good_host() {
	local dev
	quiet rdma_host_connect "$NQN" "$PORT" || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	quiet fio_verify "$dev" --size=4M --bs=4k --iodepth=16 || return 1
	quiet host_disconnect "$NQN" || return 1
	wait_for 20 no_qps || { msg "$(rc_qps) RC queue pairs left"; return 1; }
}

test_unload() {
	nvmet_port_remove 1 || return 1
	rdma_transport_unload || { msg "cannot unload $(module)"; return 1; }
	[ ! -d "/sys/module/$(module)" ]
}

ktap_print_header
ktap_set_plan 9
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport)"
dmesg_mark

step "setup: rxe0, $(module), port 1, raw client built" test_setup
step_soft "connect request with hsqsize 1023 rejected: INVALID_HSQSIZE" client reject
step_soft "bad SGL type/subtype 0x11, past MDTS 0x0f, in-capsule read 0x02 (DNR); queue still works" client sgl
step_soft "Connect data behind a bad key (RDMA READ fails): no success, connection ended" client badkey-write
step_soft "Identify into a bad key (RDMA WRITE fails): no success, connection ended" client badkey-read
step_soft "a 32-byte capsule (half a command): no success, connection ended" client short
step_soft "silent host: kept alive for 3 x KATO, then ended by the target's keep-alive timer, no queue pair left" \
	client_kato
step_soft "then nvme-rdma connects and verifies I/O; no queue pair left" test_good_host
step_soft "port removed, $(module) unloads" test_unload
ktap_finished
