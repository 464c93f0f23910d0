#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 240
#
# offload_caps.sh - a port advertises what its bound device honours, and a
# queue the device cannot take stays in software, decided before any drain
# (Documentation/driver-api-v2.rst, section 1). nicsim1 is made small:
# 64 KiB per command, 4 KiB in-capsule, queues up to 32 deep, no digests.
#   - unbound: the host sees the stock MDTS (8), IOCCSZ ((64 + 16384) / 16)
#     and the queue size it asked for (64);
#   - bound while that controller is connected: its 64-deep I/O queue stays
#     in software, counted as admit-depth-events, and verifies;
#   - a new controller while bound: MDTS 4, IOCCSZ (64 + 4096) / 16, the
#     host clamped to 32 entries (MQES), its queue offloaded, fio verify
#     clean with transfers past MDTS and in-capsule writes;
#   - a header digest on the digest-less device: software, counted as
#     admit-digest-events, verifies;
#   - nothing was refused after a drain (fallback-events 0);
#   - unbound again: the stock values once more.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:offload-caps
SIM=/sys/kernel/debug/nicsim/nicsim1
DBG=$OQ_DBG
STOCK_IOCCSZ=$(((64 + 16384) / 16))
SMALL_IOCCSZ=$(((64 + 4096) / 16))
CTRL=
NS=

msg() { ktap_print_msg "$*"; }

# id-ctrl field from nvme-cli's "name : value" text output.
id_ctrl() {
	nvme id-ctrl "/dev/$CTRL" 2>/dev/null | awk -F: -v f="$1" '
		{ gsub(/ /, "", $1) } $1 == f { gsub(/ /, "", $2); print $2; exit }'
}

# Port 1's netlink counter FIELD.
portc() {
	nl_raw stats-get scope=port port-id=1 |
		sed -n "s/.* counters\.$1=\([0-9]*\).*/\1/p"
}

# connect [ARGS...]: one I/O queue; sets CTRL and NS.
connect() {
	host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=1 "$@" >/dev/null || return 1
	NS=$(host_ns_dev "$NQN") || return 1
	CTRL=$(host_ctrl "$NQN")
}

# limits MDTS IOCCSZ SQSIZE: what the host was told.
limits() {
	local mdts ioccsz sq
	mdts=$(id_ctrl mdts) ioccsz=$(id_ctrl ioccsz)
	sq=$(cat "/sys/class/nvme/$CTRL/sqsize")
	msg "$CTRL: mdts $mdts ioccsz $ioccsz sqsize $sq (want $1 $2 $3)"
	[ "$mdts" = "$1" ] && [ "$ioccsz" = "$2" ] && [ "$sq" = "$3" ]
}

verify() {
	timeout 120 fio_verify "$NS" --size=8M "$@" 2>&1 | tail -n 3 | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# queue_state STATE: the one I/O queue is in STATE (offloaded: waits).
queue_state() {
	if [ "$1" = offloaded ]; then
		oq_wait_all offloaded 20
		return
	fi
	sleep 1
	[ "$(oq_states | awk '{ print $2 }')" = "$1" ] ||
		{ msg "queues: $(oq_states | tr '\n' ';')"; return 1; }
}

ktap_print_header
ktap_set_plan 7

offload_target_setup "$NQN"
modprobe nvme-tcp
for kv in max_io_size=65536 max_inline=4096 max_queue_depth=32 hdgst=0 ddgst=0; do
	echo "${kv#*=}" >"$SIM/${kv%%=*}" || ktap_exit_fail_msg "cannot set nicsim1 $kv"
done

# 1: unbound, the stock values.
connect --queue-size=64 || ktap_exit_fail_msg "cannot connect"
if limits 8 "$STOCK_IOCCSZ" 63; then
	ktap_test_pass "unbound: stock MDTS 8, IOCCSZ $STOCK_IOCCSZ, 64 entries"
else
	ktap_test_fail "unbound: stock MDTS 8, IOCCSZ $STOCK_IOCCSZ, 64 entries"
fi

# 2: bound under a 64-deep queue: it stays in software, counted, verifies.
echo "1 on nicsim1" >"$DBG/port_offload" || ktap_exit_fail_msg "cannot bind nicsim1"
if queue_state software && [ "$(portc admit-depth-events)" = 1 ] && verify; then
	ktap_test_pass "a 64-deep queue stays in software on a 32-deep device (admit-depth-events 1), verify clean"
else
	ktap_test_fail "a 64-deep queue stays in software on a 32-deep device (admit-depth-events $(portc admit-depth-events))"
fi
host_disconnect "$NQN" >/dev/null

# 3: a controller made while bound is told the device's limits.
connect --queue-size=64 || ktap_exit_fail_msg "cannot connect while bound"
if limits 4 "$SMALL_IOCCSZ" 31; then
	ktap_test_pass "bound: MDTS 4 (64 KiB), IOCCSZ $SMALL_IOCCSZ (4 KiB), 32 entries"
else
	ktap_test_fail "bound: MDTS 4 (64 KiB), IOCCSZ $SMALL_IOCCSZ (4 KiB), 32 entries"
fi

# 4: ...and its queue is offloaded and verifies: writes in-capsule and
# not, transfers the host splits at MDTS.
w0=$(portc write-cmds)
if queue_state offloaded && verify --bsrange=4k-256k --blockalign=4k &&
	[ "$(($(portc write-cmds) - w0))" -gt 0 ] && queue_state offloaded; then
	ktap_test_pass "its queue offloaded, fio verify clean with 4 KiB to 256 KiB ($(($(portc write-cmds) - w0)) writes by the device)"
else
	ktap_test_fail "its queue offloaded, fio verify clean with 4 KiB to 256 KiB"
fi
host_disconnect "$NQN" >/dev/null

# 5: a header digest the device lacks: software, counted, verifies.
connect --hdr-digest || ktap_exit_fail_msg "cannot connect with a header digest"
if queue_state software && [ "$(portc admit-digest-events)" = 1 ] && verify; then
	ktap_test_pass "a header-digest queue stays in software (admit-digest-events 1), verify clean"
else
	ktap_test_fail "a header-digest queue stays in software (admit-digest-events $(portc admit-digest-events))"
fi
host_disconnect "$NQN" >/dev/null

# 6: nothing was refused after a drain.
fb=$(portc fallback-events)
if [ "$fb" = 0 ]; then
	ktap_test_pass "no queue refused after a drain (fallback-events 0)"
else
	ktap_test_fail "no queue refused after a drain (fallback-events $fb)"
	dmesg | grep -E 'refused|stays in software' | tail -n 5 | sed 's/^/# /'
fi

# 7: unbound, the stock values again.
nl_raw port-set id=1 policy=off dev-id=0 >/dev/null || ktap_exit_fail_msg "cannot unbind"
connect --queue-size=64 || ktap_exit_fail_msg "cannot connect after unbind"
if limits 8 "$STOCK_IOCCSZ" 63 && verify; then
	ktap_test_pass "unbound again: stock MDTS, IOCCSZ and queue size, verify clean"
else
	ktap_test_fail "unbound again: stock MDTS, IOCCSZ and queue size"
fi

ktap_finished
