#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_ipv6.sh - the target over IPv6 (::1): a port with adrfam ipv6, the
# kernel's nvme-tcp host with header and data digests and 2 I/O queues,
# crc32c-verified fio; then (ours) the same port bound to a nicsim device:
# the I/O queues are offloaded (debugfs), the device executes fio's
# commands (its counters, over netlink) and the I/O verifies; a queue taken
# back and offloaded again under fio. IPv6 missing from the guest kernel is
# the one reason to skip ("machine:").
#
# Usage: tcp_ipv6.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/offload_queues.sh
. "$DIR/lib/offload_queues.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:tcp-ipv6
ADDR=::1
PORT=4420
DIGESTS=(--hdr-digest --data-digest --nr-io-queues=2)

cleanup() {
	nvmet_cleanup
	[ -d /sys/bus/nicsim ] && echo 1 >/sys/bus/nicsim/del_device 2>/dev/null
	rmmod nicsim 2>/dev/null
}

nic() {
	local v
	v=$(nicctl -j stats show dev nicsim1 2>/dev/null | grep -o "\"$1\":[0-9]*" | head -n1)
	echo "${v#*:}"
}

# the host's controller really is on ::1, with both digests
host_ipv6_digests() {
	local c addr
	c=$(host_ctrl "$NQN") || return 1
	addr=$(cat "/sys/class/nvme/$c/address")
	msg "host controller $c: $addr"
	# the digests: nvme-tcp fails a queue whose ICResp does not grant a
	# digest it asked for, so connected means negotiated
	[[ $addr == *traddr=::1,* ]]
}

connect_verify() {
	local dev
	quiet host_connect "$NQN" "$ADDR" "$PORT" "${DIGESTS[@]}" || return 1
	host_ipv6_digests || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	quiet fio_verify "$dev" --size=8M --iodepth=16
}

offloaded_ipv6() {
	local dev w0 w1 rc=0
	quiet insmod "$NVO_MODULES/nicsim.ko" || return 1
	echo "1 2" >/sys/bus/nicsim/new_device || return 1
	echo "1 on nicsim1" >"$OQ_DBG/port_offload" || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" "${DIGESTS[@]}" || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	oq_wait_all offloaded 15 || { msg "I/O queues not offloaded"; return 1; }
	w0=$(nic write_cmds)
	quiet fio_verify "$dev" --size=8M --iodepth=16 || rc=1
	w1=$(nic write_cmds)
	msg "nicsim1 write_cmds ${w0:-?} -> ${w1:-?} (fio: 2048 writes of 4k)"
	[ -n "$w0" ] && [ -n "$w1" ] && [ $((w1 - w0)) -ge 2048 ] || rc=1
	return $rc
}

toggle_under_io() {
	local dev pid rc=0 r0
	dev=$(host_ns_dev "$NQN" 1) || return 1
	r0=$(oq_sum 19)
	fio_verify "$dev" --size=16M --iodepth=16 >/tmp/ipv6-toggle.fio 2>&1 &
	pid=$!
	sleep 1
	{ oq_toggle_all off && oq_wait_all software 15 && oq_toggle_all on &&
		oq_wait_all offloaded 15; } || rc=1
	wait $pid || { rc=1; grep -iE 'err|verify' /tmp/ipv6-toggle.fio | head -n 5 | sed 's/^/# /'; }
	[ "$(oq_sum 19)" -ge $((r0 + 2)) ] || { msg "reclaims $r0 -> $(oq_sum 19)"; rc=1; }
	return $rc
}

ktap_print_header
if [ ! -e /proc/net/if_inet6 ]; then
	ktap_skip_all "machine: no IPv6 in the guest kernel"
	exit "$KSFT_SKIP"
fi
nplan=3
[ "$(nvo_transport)" = ours ] && nplan=5
ktap_set_plan $nplan
trap cleanup EXIT
thp_off
msg "transport: $(nvo_transport)"
ip -6 addr show dev lo | grep -q '::1/128' || ip -6 addr add ::1/128 dev lo 2>/dev/null
ip link set lo up

if { nvmet_transport_load && TCP_NULLB=$(nullb_create 1) && nvmet_subsys_create "$NQN" &&
	nvmet_ns_create "$NQN" 1 "$TCP_NULLB" && nvmet_port_create 1 "$ADDR" "$PORT" ipv6 &&
	nvmet_port_link 1 "$NQN"; } && ss -Hltn "( sport = :$PORT )" | grep -q '\[::1\]'; then
	ktap_test_pass "port 1 listening on [::1]:$PORT (adrfam ipv6)"
else
	ktap_test_fail "port 1 listening on [::1]:$PORT (adrfam ipv6)"
	ss -Hltn | sed 's/^/# /'
fi
ktap_test_result "host connects over IPv6 with header and data digests, fio verify clean" connect_verify
quiet host_disconnect "$NQN"
if [ "$(nvo_transport)" = ours ]; then
	ktap_test_result "offloaded to nicsim1 over IPv6 with digests: queues offloaded, nicsim1 executed the writes, verify clean" \
		offloaded_ipv6
	ktap_test_result "IPv6 offloaded queues taken back and offloaded again under fio: verify clean, reclaims counted" \
		toggle_under_io
	quiet host_disconnect "$NQN"
fi
ktap_test_result "no target connection left open" wait_for 15 tcp_port_idle "$PORT"
ktap_finished
