#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_teardown.sh - tearing things down while I/O runs. Host disconnect, port
# unlink, namespace disable and module removal, each under a running fio;
# the I/O may fail, the target must not: each step ends with a fresh verified
# I/O, and the runner scans the kernel log for oopses and WARNs.
#
# Usage: tcp_teardown.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/under_io.sh
. "$DIR/lib/under_io.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:tcp-teardown
ADDR=127.0.0.1
PORT=4420
FIOLOG=/tmp/nvo-teardown-fio.log
# Reconnect fast, and keep trying long enough to span our outages.
RECONNECT=(--reconnect-delay=1 --ctrl-loss-tmo=60)

module() { [ "$(nvo_transport)" = stock ] && echo nvmet_tcp || echo nvmet_offload; }
loaded() { [ -d "/sys/module/$(module)" ]; }

connect() {
	quiet host_connect "$NQN" "$ADDR" "$PORT" "$@" &&
		host_ns_dev "$NQN" 1 >/dev/null
}

disconnect() {
	quiet host_disconnect "$NQN"
}

verify() {
	local dev
	dev=$(host_ns_dev "$NQN" 1) || { msg "no namespace device"; return 1; }
	quiet fio_verify "$dev" --size=2M --bs=4k --iodepth=8
}

export_target() {
	nvmet_port_create 1 "$ADDR" "$PORT" ipv4 || return 1
	nvmet_port_link 1 "$NQN"
}

# 1. The host disconnects while fio runs: fio fails, nothing is left over.
test_disconnect_under_io() {
	local rc=0
	connect || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 60 || rc=1
	with_timeout 60 disconnect || { msg "nvme disconnect failed or hung"; rc=1; }
	fio_wait 60
	[ $? -eq 124 ] && rc=1		# errors are expected, hanging is not
	wait_for 10 tcp_port_idle "$PORT" || { msg "$(tcp_port_socks "$PORT") target sockets left"; rc=1; }
	ctrl >/dev/null && { msg "host controller $(ctrl) still there"; rc=1; }
	return $rc
}

test_fresh_connect() {
	connect || return 1
	verify || { disconnect; return 1; }
	disconnect
}

# 2. The port goes away under I/O; the host keeps reconnecting; the port
# comes back and the host's queued I/O completes.
test_port_unlink() {
	connect "${RECONNECT[@]}" || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 20 || return 1
	with_timeout 60 nvmet_port_unlink 1 "$NQN" || { msg "port unlink failed or hung"; return 1; }
	wait_for 15 state_not live || { msg "host controller still live after unlink"; return 1; }
	msg "host controller state after unlink: $(ctrl_state)"
	wait_for 10 tcp_port_idle "$PORT" || { msg "$(tcp_port_socks "$PORT") target sockets left after unlink"; return 1; }
	sleep 2
}

test_port_relink() {
	local rc=0
	nvmet_port_link 1 "$NQN" || { msg "port re-link failed"; return 1; }
	wait_for 30 state_is live || { msg "host did not reconnect: $(ctrl_state)"; rc=1; }
	# The I/O the outage interrupted was requeued by the host, not failed.
	fio_wait 90 || rc=1
	return $rc
}

test_verify_after_reconnect() {
	local rc=0
	verify || rc=1
	disconnect || rc=1
	return $rc
}

# 3. The namespace is disabled under I/O (nvmet waits for in-flight
# commands: a leaked request would hang here), then enabled again.
test_ns_disable() {
	local rc=0
	connect || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 60 || return 1
	with_timeout 60 nvmet_ns_disable "$NQN" 1 || { msg "ns disable failed or hung"; return 1; }
	fio_wait 60
	[ $? -eq 124 ] && rc=1
	return $rc
}

test_ns_enable() {
	local c
	nvmet_ns_enable "$NQN" 1 || { msg "ns enable failed"; return 1; }
	c=$(ctrl) || { msg "host controller gone"; return 1; }
	# The AEN makes the host rescan; ask explicitly if it is slow.
	if ! NVO_NS_WAIT=10 host_ns_dev "$NQN" 1 >/dev/null 2>&1; then
		msg "namespace not back after 10 s, nvme ns-rescan"
		quiet nvme ns-rescan "/dev/$c"
		NVO_NS_WAIT=20 host_ns_dev "$NQN" 1 >/dev/null ||
			{ msg "namespace did not come back on the host"; return 1; }
	fi
	state_is live || { msg "controller state $(ctrl_state)"; return 1; }
	verify || { disconnect; return 1; }
	disconnect
}

# 4. rmmod with a host connected and I/O running: refused. nvmet holds a
# reference on the transport module while one of its ports is enabled
# (nvmet_enable_port), so rmmod must fail with "in use" and change nothing:
# the host stays live and its fio ends clean. A removal, a hang (124) or
# any other error fails.
test_rmmod_connected() {
	local rc=0 rrc
	connect "${RECONNECT[@]}" || return 1
	fio_start "$(host_ns_dev "$NQN" 1)" 15 || return 1
	with_timeout 60 rmmod "$(module)" >/tmp/rmmod.out 2>&1
	rrc=$?
	msg "rmmod $(module): exit $rrc: $(tr '\n' ' ' </tmp/rmmod.out)"
	if [ $rrc -eq 124 ]; then
		msg "rmmod hung"
		return 1
	fi
	if ! loaded; then
		msg "rmmod removed $(module) with a port enabled and a host connected"
		rc=1
	elif [ $rrc -eq 0 ] || ! grep -qi 'in use' /tmp/rmmod.out; then
		msg "rmmod did not fail with 'in use'"
		rc=1
	fi
	if loaded; then
		state_is live || { msg "controller state $(ctrl_state)"; rc=1; }
		fio_wait 60 || { msg "fio failed across the refused rmmod"; rc=1; }
	else
		fio_wait 90
	fi
	return $rc
}

# Port gone, host still trying to reconnect: nothing may pin the module.
test_rmmod_after_port_removal() {
	if ! loaded; then
		nvmet_transport_load || return 1
	fi
	[ -e "/sys/kernel/config/nvmet/ports/1/subsystems/$NQN" ] && nvmet_port_unlink 1 "$NQN"
	nvmet_port_remove 1 || return 1
	ctrl >/dev/null && msg "host controller state: $(ctrl_state)"
	with_timeout 60 rmmod "$(module)" || return 1
	! loaded
}

test_reload() {
	local rc=0
	nvmet_transport_load || { msg "reload failed"; return 1; }
	export_target || return 1
	if ctrl >/dev/null; then
		# The host never gave up (ctrl-loss-tmo): it must come back.
		wait_for 30 state_is live || { msg "host did not reconnect: $(ctrl_state)"; rc=1; }
	else
		connect || return 1
	fi
	verify || rc=1
	disconnect || rc=1
	return $rc
}

# Everything gone in order: the module must unload.
test_final_unload() {
	quiet host_disconnect_all
	if [ -e "/sys/kernel/config/nvmet/ports/1/subsystems/$NQN" ]; then
		nvmet_port_unlink 1 "$NQN" || return 1
	fi
	[ -d /sys/kernel/config/nvmet/ports/1 ] && { nvmet_port_remove 1 || return 1; }
	with_timeout 60 nvmet_transport_unload || return 1
	! loaded
}

ktap_print_header
ktap_set_plan 12
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport) (module $(module))"

step_on_fail fio_reap
step "setup: $(nvo_transport) transport, null_blk namespace, port $ADDR:$PORT" \
	tcp_target_setup "$NQN" "$ADDR" "$PORT"
step_soft "disconnect under I/O: completes, fio ends, no controller or socket left" test_disconnect_under_io
step_soft "fresh connect and verified I/O after that" test_fresh_connect
step_soft "port unlink under I/O: host controller leaves live, target sockets closed" test_port_unlink
step_soft "port re-link: host reconnects by itself, interrupted fio completes cleanly" test_port_relink
step_soft "verified I/O after the reconnect" test_verify_after_reconnect
step_soft "namespace disable under I/O: completes, fio ends" test_ns_disable
step_soft "namespace re-enable: device back on the host, verified I/O" test_ns_enable
step_soft "rmmod $(module) with a host connected under I/O: refused (in use), host live, fio clean" test_rmmod_connected
step_soft "port removed, host reconnecting: rmmod succeeds" test_rmmod_after_port_removal
step_soft "reload and re-export: host reconnects, verified I/O" test_reload
step_soft "host_disconnect_all and port removal: transport unloads" test_final_unload
ktap_finished
