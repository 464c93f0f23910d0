#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma_teardown.sh - tearing the NVMe/RDMA transport down while I/O runs,
# over Soft-RoCE: the host disconnects, the port goes away (and comes back:
# the host reconnects and its requeued I/O completes), and the rxe link is
# deleted (the RDMA device goes: our ib_client releases every queue on it).
# The I/O may fail, the target must not: each step checks that no RC queue
# pair is left on rxe0 (`rdma resource show qp`: a queue the target did not
# release keeps its QP), ends with fresh verified I/O, and the runner scans
# the kernel log for oopses and WARNs.
#
# Usage: rdma_teardown.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/rdma_test.sh
. "$DIR/lib/rdma_test.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:rdma-teardown
PORT=4420
FIOLOG=/tmp/nvo-teardown-fio.log
RECONNECT=(--reconnect-delay=1 --ctrl-loss-tmo=60)

module() { [ "$(nvo_transport)" = stock ] && echo nvmet_rdma || echo nvmet_offload_rdma; }

ctrl() { host_ctrl "$NQN"; }
ctrl_state() { local c; c=$(ctrl) && cat "/sys/class/nvme/$c/state"; }
state_is() { [ "$(ctrl_state)" = "$1" ]; }
state_not() { [ "$(ctrl_state)" != "$1" ]; }
no_ctrl() { ! ctrl >/dev/null; }

# RC queue pairs on the rxe link: the host's and the target's.
rc_qps() { rdma resource show qp link "$RDMA_LINK/1" 2>/dev/null | grep -c 'type RC'; }
no_qps() { [ "$(rc_qps)" -eq 0 ]; }
qps_gone() {
	wait_for 20 no_qps && return 0
	msg "$(rc_qps) RC queue pairs left on $RDMA_LINK:"
	msg "$(rdma resource show qp link "$RDMA_LINK/1" 2>&1)"
	return 1
}

with_timeout() {
	local secs=$1 pid
	shift
	"$@" &
	pid=$!
	for _ in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	msg "still running after ${secs}s: $*"
	return 124
}

connect() {
	quiet rdma_host_connect "$NQN" "$PORT" "$@" && host_ns_dev "$NQN" 1 >/dev/null
}

FIO_PID=
io_count() { awk '{ print $1 + $5 }' "/sys/block/${TCP_NULLB##*/}/stat" 2>/dev/null || echo 0; }
io_moved() { [ "$(io_count)" -gt $(($1 + 200)) ]; }
fio_start() {
	local dev=$1 runtime=${2:-30} r0
	r0=$(io_count)
	fio --name=bg --filename="$dev" --allow_file_create=0 --rw=randrw --bs=4k --iodepth=16 \
		--ioengine=libaio --direct=1 --time_based --runtime="$runtime" \
		--size=64M >"$FIOLOG" 2>&1 &
	FIO_PID=$!
	wait_for 20 io_moved "$r0" || { msg "fio did not start I/O on $dev"; return 1; }
}
fio_done() { ! kill -0 "$FIO_PID" 2>/dev/null; }
# fio_wait SECS: 0 if fio ended cleanly, 1 if with errors, 124 if stuck.
fio_wait() {
	local secs=$1 rc
	wait_for "$secs" fio_done || { msg "fio still running after ${secs}s"; return 124; }
	wait "$FIO_PID"
	rc=$?
	FIO_PID=
	grep -E 'err=|error' "$FIOLOG" | head -n 3 | sed 's/^/# fio: /'
	msg "background fio exit status $rc"
	[ $rc -eq 0 ]
}

verify() {
	local dev
	dev=$(host_ns_dev "$NQN" 1) || { msg "no namespace device"; return 1; }
	quiet fio_verify "$dev" --size=2M --bs=4k --iodepth=8
}

test_setup() {
	rdma_link_up || return 1
	rdma_target_setup "$NQN" "$PORT" || return 1
	no_qps || { msg "RC queue pairs before any connect"; return 1; }
	connect || return 1
	msg "connected: $(rc_qps) RC queue pairs on $RDMA_LINK (host + target)"
	verify && quiet host_disconnect "$NQN" && qps_gone
}

# 1. The host disconnects while fio runs.
test_disconnect_under_io() {
	local rc=0
	connect || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 60 || rc=1
	with_timeout 60 quiet host_disconnect "$NQN" || { msg "nvme disconnect failed or hung"; rc=1; }
	fio_wait 60
	[ $? -eq 124 ] && rc=1		# errors are expected, hanging is not
	wait_for 10 no_ctrl || { msg "host controller $(ctrl) still there"; rc=1; }
	qps_gone || rc=1
	return $rc
}

test_fresh_connect() {
	connect || return 1
	verify || return 1
	quiet host_disconnect "$NQN"
}

# 2. The port goes away under I/O: every target queue of the port ends; the
# host keeps reconnecting until the port is back, then its I/O completes.
test_port_unlink() {
	connect "${RECONNECT[@]}" || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 20 || return 1
	with_timeout 60 nvmet_port_unlink 1 "$NQN" || { msg "port unlink failed or hung"; return 1; }
	wait_for 15 state_not live || { msg "host controller still live after unlink"; return 1; }
	msg "host controller state after unlink: $(ctrl_state)"
	qps_gone
}

test_port_relink() {
	local rc=0
	nvmet_port_link 1 "$NQN" || { msg "port re-link failed"; return 1; }
	wait_for 30 state_is live || { msg "host did not reconnect: $(ctrl_state)"; rc=1; }
	fio_wait 90 || rc=1
	verify || rc=1
	quiet host_disconnect "$NQN" || rc=1
	qps_gone || rc=1
	return $rc
}

# 3. The RDMA device goes away under I/O (rdma link delete: rxe unregisters
# its ib_device). Host and target both lose every queue on it; the target
# module stays loaded, its port can be removed and the module unloaded.
test_link_delete() {
	local rc=0
	connect || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 60 || return 1
	with_timeout 60 rdma_link_down || { msg "rdma link delete failed or hung"; return 1; }
	fio_wait 60
	[ $? -eq 124 ] && rc=1
	wait_for 30 no_ctrl || { msg "host controller $(ctrl) still there: $(ctrl_state)"; rc=1; }
	[ -d "/sys/module/$(module)" ] || { msg "$(module) is gone"; rc=1; }
	if [ "$(nvo_transport)" = ours ]; then
		dmesg_grep_since_mark 'nvmet_offload_rdma: port 1: RDMA device removed' >/dev/null ||
			{ msg "no 'RDMA device removed' line from the listener"; rc=1; }
	fi
	return $rc
}

# The port re-created on a new link serves I/O again; then everything goes.
test_relisten() {
	rdma_link_up || return 1
	with_timeout 30 nvmet_port_remove 1 || { msg "port removal failed or hung"; return 1; }
	nvmet_port_create 1 "$RDMA_ADDR" "$PORT" ipv4 || return 1
	_nvo_write "$NVMET_CFS/ports/1/addr_trtype" rdma || return 1
	nvmet_port_link 1 "$NQN" || return 1
	connect || return 1
	verify || return 1
	quiet host_disconnect "$NQN" || return 1
	qps_gone
}

test_unload() {
	with_timeout 30 nvmet_port_remove 1 || return 1
	rdma_transport_unload || { msg "cannot unload $(module)"; return 1; }
	[ ! -d "/sys/module/$(module)" ]
}

no_errors() {
	dmesg_clean_since_mark -Ei 'nvmet_offload_rdma: (refusing|cannot)|BUG|WARNING'
}

ktap_print_header
ktap_set_plan 9
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport)"
dmesg_mark

failed=
run() {
	local desc=$1
	shift
	if [ -n "$failed" ]; then
		ktap_test_skip "$desc" "an earlier step failed"
	elif "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
		failed=1
	fi
}
run "setup: rxe0, target, a connect and disconnect leave no queue pair" test_setup
run "host disconnect under I/O: no controller, no queue pair left" test_disconnect_under_io
run "fresh connect and verify" test_fresh_connect
run "port unlinked under I/O: host not live, target queues gone" test_port_unlink
run "port linked again: host reconnects, its I/O completes, verify" test_port_relink
run "rxe0 deleted under I/O: host controller gone, $(module) still loaded" test_link_delete
run "new rxe0, port re-created: connect, verify, no queue pair left" test_relisten
run "port removed, $(module) unloads" test_unload
failed=
run "no refused connects or target errors in the kernel log" no_errors
ktap_finished
