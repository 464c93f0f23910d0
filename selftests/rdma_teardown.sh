#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma_teardown.sh - tearing the NVMe/RDMA transport down while I/O runs,
# over Soft-RoCE: the host disconnects, the port goes away (and comes back:
# the host reconnects and its requeued I/O completes), and the rxe link is
# deleted (the RDMA device goes: our ib_client releases every queue on it),
# the host resets its controller, host and target tear queues down in turn
# (a storm), and rdma_rxe is removed.
# The I/O may fail, the target must not: each step checks that no RC queue
# pair is left on rxe0 (`rdma resource show qp`: a queue the target did not
# release keeps its QP), ends with fresh verified I/O, and the runner scans
# the kernel log for oopses and WARNs.
#
# Usage: rdma_teardown.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/rdma_test.sh
. "$DIR/lib/rdma_test.sh"
# shellcheck source=lib/under_io.sh
. "$DIR/lib/under_io.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:rdma-teardown
PORT=4420
FIOLOG=/tmp/nvo-teardown-fio.log
RECONNECT=(--reconnect-delay=1 --ctrl-loss-tmo=60)

module() { [ "$(nvo_transport)" = stock ] && echo nvmet_rdma || echo nvmet_offload_rdma; }

connect() {
	quiet rdma_host_connect "$NQN" "$PORT" "$@" && host_ns_dev "$NQN" 1 >/dev/null
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
}

test_first_connect() {
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

# 3. The host resets its controller twice while fio runs (nvme reset: the
# host ends every queue and connects new ones; the target releases the old
# ones): the I/O the resets interrupt is requeued, not failed, and the
# connection holds as many queue pairs afterwards as before.
test_reset_under_io() {
	local rc=0 c q0 i
	connect "${RECONNECT[@]}" || return 1
	q0=$(rc_qps)
	c=$(ctrl) || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 6 || return 1
	for i in 1 2; do
		with_timeout 60 quiet nvme reset "/dev/$c" || { msg "reset $i failed or hung"; rc=1; }
		wait_for 30 state_is live || { msg "state after reset $i: $(ctrl_state)"; rc=1; }
	done
	fio_wait 60 || rc=1
	# shellcheck disable=SC2016 # for eval
	wait_for 20 eval '[ "$(rc_qps)" -eq "$q0" ]' ||
		{ msg "$(rc_qps) RC queue pairs after the resets, $q0 before"; rc=1; }
	verify || rc=1
	quiet host_disconnect "$NQN" || rc=1
	qps_gone || rc=1
	return $rc
}

# 4. A teardown storm, host and target side in turn, fio running each time:
# the host disconnects; or the port is unlinked and at once linked again
# (nvmet deletes the port's controllers, ours ends their queues; the host
# reconnects by itself and its requeued I/O completes). After every round
# no queue pair is left.
STORM_ROUNDS=${NVO_RDMA_STORM_ROUNDS:-4}
storm_host_round() {
	connect || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 30 || return 1
	with_timeout 60 quiet host_disconnect "$NQN" || { msg "disconnect hung"; return 1; }
	fio_wait 60
	[ $? -ne 124 ]
}

storm_target_round() {
	connect "${RECONNECT[@]}" || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 4 || return 1
	with_timeout 60 nvmet_port_unlink 1 "$NQN" || { msg "port unlink hung"; return 1; }
	wait_for 15 state_not live || { msg "host controller still live after unlink"; return 1; }
	nvmet_port_link 1 "$NQN" || return 1
	wait_for 30 state_is live || { msg "host did not reconnect: $(ctrl_state)"; return 1; }
	fio_wait 60 || return 1
	quiet host_disconnect "$NQN"
}

test_storm() {
	local i kind
	for i in $(seq "$STORM_ROUNDS"); do
		kind=host
		[ $((i % 2)) -eq 0 ] && kind=target
		"storm_${kind}_round" || { msg "round $i ($kind side) failed"; fio_reap; return 1; }
		qps_gone || { msg "round $i ($kind side)"; return 1; }
	done
}

# 5. The RDMA device goes away under I/O (rdma link delete: rxe unregisters
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

# A new link: ours listens again by itself within its retry (2 s), the
# port as it was; stock nvmet-rdma does not after a device removal, so
# its port is re-created. Either serves I/O again; then everything goes.
relistened() { dmesg_grep_since_mark 'nvmet_offload_rdma: port 1: listening again' >/dev/null; }
test_relisten() {
	local t0=$SECONDS
	rdma_link_up || return 1
	if [ "$(nvo_transport)" = ours ]; then
		wait_for 15 relistened || { msg "port 1 not listening again 15 s after the new link"; return 1; }
		msg "port 1 listening again $((SECONDS - t0)) s after the new link"
	else
		with_timeout 30 nvmet_port_remove 1 || { msg "port removal failed or hung"; return 1; }
		nvmet_port_create 1 "$RDMA_ADDR" "$PORT" ipv4 || return 1
		_nvo_write "$NVMET_CFS/ports/1/addr_trtype" rdma || return 1
		nvmet_port_link 1 "$NQN" || return 1
	fi
	connect || return 1
	verify || return 1
	quiet host_disconnect "$NQN" || return 1
	qps_gone
}

# 6. rdma_rxe itself removed under I/O: its module exit unregisters every
# link it has, as a driver's removal would.
test_rxe_rmmod() {
	local rc=0
	connect || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 60 || return 1
	with_timeout 60 _nvo_rmmod rdma_rxe || { msg "rmmod rdma_rxe failed or hung"; return 1; }
	fio_wait 60
	[ $? -eq 124 ] && rc=1
	wait_for 30 no_ctrl || { msg "host controller $(ctrl) still there: $(ctrl_state)"; rc=1; }
	[ -d "/sys/module/$(module)" ] || { msg "$(module) is gone"; rc=1; }
	return $rc
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
ktap_set_plan 13
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport)"
dmesg_mark

# After a failed step: no fio, no host controller left for the next one.
after_failure() {
	fio_reap
	quiet host_disconnect_all
	[ -e "$NVMET_CFS/ports/1/subsystems/$NQN" ] || nvmet_port_link 1 "$NQN" 2>/dev/null
}
step_on_fail after_failure
step "setup: rxe0, target, no queue pair" test_setup
step_soft "a connect, verify and disconnect leave no queue pair" test_first_connect
step_soft "host disconnect under I/O: no controller, no queue pair left" test_disconnect_under_io
step_soft "fresh connect and verify" test_fresh_connect
step_soft "port unlinked under I/O: host not live, target queues gone" test_port_unlink
step_soft "port linked again: host reconnects, its I/O completes, verify" test_port_relink
step_soft "nvme reset twice under I/O: live again, fio clean, as many queue pairs as before" \
	test_reset_under_io
step_soft "teardown storm, $STORM_ROUNDS rounds under I/O: host disconnect / port unlink+relink in turn, no queue pair left" \
	test_storm
step_soft "rxe0 deleted under I/O: host controller gone, $(module) still loaded" test_link_delete
step_soft "new rxe0: the port listens again (ours by itself; stock re-created): connect, verify, no queue pair left" test_relisten
step_soft "rmmod rdma_rxe under I/O: host controller gone, $(module) still loaded" test_rxe_rmmod
step_soft "port removed, $(module) unloads" test_unload
step_always "no refused connects or target errors in the kernel log" no_errors
ktap_finished
