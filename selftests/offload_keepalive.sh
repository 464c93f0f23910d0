#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 240
#
# offload_keepalive.sh - keep-alive while the I/O queues are on a device.
# nvmet advertises traffic-based keep-alive (TBKAS): a Linux host that sees
# completions sends no Keep Alive, and nvmet fails a controller whose
# queues saw no command for KATO. The commands nicsim answers never reach
# nvmet, so only the shim's look at the device's completions
# (kmod/traffic.c) keeps the controller alive. A host connected with a
# 5 s keep-alive timeout runs 60 s of fio crc32c verify on offloaded
# queues: no keep-alive expiry on the target, no error recovery or
# reconnect on the host, the queues stay offloaded, and the host sent (at
# most a few) keep-alives: the target's admin queue saw fewer commands
# than one per KATO/2 of the run would make.
#
# Env: NVO_KA_SECS (default 60) seconds of I/O.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:offload-keepalive
DBG=$OQ_DBG
KATO=5
SECS=${NVO_KA_SECS:-60}
TBKAS=0x40	# CTRATT bit 6, Identify Controller

msg() { ktap_print_msg "$*"; }
# nicsim1's netlink counter FIELD (a device's counts outlive its queues).
devc() {
	nl_raw stats-get scope=device dev-id="$DEVID" |
		sed -n "s/.* counters\.$1=\([0-9]*\).*/\1/p"
}
# "queue cmds" of the admin queue (debugfs queues, qid 0): the commands
# nvmet completed on it. A reconnect makes a new queue.
admin_cmds() { awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "cmds") c = i; next }
	$4 == 0 { print $1, $c }' "$DBG/queues"; }

ktap_print_header
ktap_set_plan 4

offload_target_setup "$NQN"
echo "1 on nicsim1" >"$DBG/port_offload" || ktap_exit_fail_msg "cannot bind nicsim1"
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 --keep-alive-tmo=$KATO >/dev/null ||
	ktap_exit_fail_msg "cannot connect"
ns=$(host_ns_dev "$NQN") || ktap_exit_fail_msg "no namespace device"
ctrl=$(host_ctrl "$NQN")
DEVID=$(awk '$2 == "nicsim1" { print $1 }' "$DBG/devices")

# 1: the set-up this test is about: TBKAS advertised, the host's KATO, the
# I/O queues on the device. Without TBKAS the host sends Keep Alive anyway
# and nothing here could fail.
ctratt=$(nvme id-ctrl "/dev/$ctrl" 2>/dev/null | awk '$1 == "ctratt" { print $3 }')
kato=$(cat "/sys/class/nvme/$ctrl/kato" 2>/dev/null || echo "?")
if [ $((${ctratt:-0} & TBKAS)) -ne 0 ] && [ "$kato" = "$KATO" ] && oq_wait_all offloaded 20; then
	ktap_test_pass "TBKAS advertised (ctratt $ctratt), KATO $kato s, I/O queues offloaded"
else
	ktap_test_fail "TBKAS advertised (ctratt ${ctratt:-?}), KATO $kato s (want $KATO), I/O queues offloaded"
fi

# 2: the I/O, with no keep-alive expiry and no reconnect.
off0=$(devc offload-events)
read -r aq0 adm0 <<<"$(admin_cmds)"
dmesg_mark
if fio_verify "$ns" --rw=randrw --iodepth=4 --size=32M --time_based --runtime="$SECS" \
	--verify_backlog=64 >/tmp/ka.fio 2>&1; then
	fio_ok=1
else
	fio_ok=0
	grep -iE 'verify|err' /tmp/ka.fio | head -n 5 | sed 's/^/# /'
fi
bad=$(dmesg_grep_since_mark 'keep-alive timer|error recovery|Reconnecting|reconnect|nvme nvme[0-9]+: I/O')
if [ "$fio_ok" = 1 ] && [ -z "$bad" ]; then
	ktap_test_pass "$SECS s of fio verify on offloaded queues: no keep-alive expiry, no reconnect"
else
	ktap_test_fail "$SECS s of fio verify on offloaded queues: no keep-alive expiry, no reconnect (fio ok=$fio_ok)"
	echo "$bad" | head -n 10 | sed 's/^/# /'
fi

# 3: the queues stayed where they were: nicsim1 took no queue during the
# run (a reconnect makes new queues, which it would take), all still
# offloaded.
off1=$(devc offload-events)
if [ -n "$off0" ] && [ "$off1" = "$off0" ] && oq_wait_all offloaded 1; then
	ktap_test_pass "the I/O queues stayed offloaded: nicsim1 took no new queue ($off1 offloads)"
else
	ktap_test_fail "the I/O queues stayed offloaded: nicsim1's offloads went ${off0:-?} -> ${off1:-?}"
fi

# 4: the host relied on the traffic: its keep-alives (about one per
# KATO/4 without TBKAS's help) are few next to the run's length.
read -r aq1 adm1 <<<"$(admin_cmds)"
dadm=$((adm1 - adm0))
msg "admin queue $aq0 -> $aq1: $dadm commands during the run"
# (a new admin queue may reuse the old one's id, but not its count)
if [ "$aq1" = "$aq0" ] && [ "$dadm" -ge 0 ] && [ "$dadm" -lt $((SECS / KATO)) ]; then
	ktap_test_pass "the host sent $dadm admin commands in $SECS s (keep-alive skipped on traffic)"
else
	ktap_test_fail "the host sent $dadm admin commands in $SECS s: TBKAS did not hold keep-alives back"
fi

ktap_finished
