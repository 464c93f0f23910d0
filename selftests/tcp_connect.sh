#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_connect.sh - connection set-up through the NVMe/TCP target transport:
# discovery, digests, several I/O queues, queue sizes, IPv6. Every connect
# is followed by a small verified write/read and a disconnect that must
# leave neither a host controller nor a target-side socket behind.
#
# Usage: tcp_connect.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:tcp-connect
ADDR4=127.0.0.1
ADDR6=::1
PORT4=4420
PORT6=4421
NCPU=$(grep -c ^processor /proc/cpuinfo)

setup_failed=
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }

# nvmeX of the live host controller connected to $NQN at address $1.
ctrl_of() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c/subsysnqn" ] || continue
		[ "$(cat "$c/subsysnqn")" = "$NQN" ] || continue
		[ "$(cat "$c/transport")" = tcp ] || continue
		grep -q "traddr=$1," "$c/address" 2>/dev/null || continue
		basename "$c"
		return 0
	done
	return 1
}

# Target-side established TCP connections on local port $1.
target_socks() {
	ss -Htn state established "( sport = :$1 )" | wc -l
}

# A small write+verify through the namespace of the connected controller.
small_io() {
	local dev
	dev=$(host_ns_dev "$NQN" 1) || { msg "no namespace device"; return 1; }
	quiet fio_verify "$dev" --size=2M --bs=4k --iodepth=8 "$@"
}

# connect ADDR PORT [nvme connect args]: connect and check controller state.
connect() {
	local addr=$1 port=$2 c
	shift 2
	if ! quiet host_connect "$NQN" "$addr" "$port" "$@"; then
		msg "nvme connect $addr:$port $* failed"
		return 1
	fi
	c=$(ctrl_of "$addr") || { msg "no host controller for $NQN at $addr"; return 1; }
	[ "$(cat "/sys/class/nvme/$c/state")" = live ] ||
		{ msg "$c state $(cat "/sys/class/nvme/$c/state")"; return 1; }
}

# No target socket on port $1, no host controller at either address.
all_gone() {
	[ "$(target_socks "$1")" -eq 0 ] && ! ctrl_of "$ADDR4" >/dev/null &&
		! ctrl_of "$ADDR6" >/dev/null
}

# Disconnect; no host controller and no target socket may remain.
disconnect() {
	local port=$1
	quiet host_disconnect "$NQN" || { msg "disconnect failed"; return 1; }
	wait_for 5 all_gone "$port" && return 0
	msg "after disconnect: $(target_socks "$port") target sockets on :$port, ctrl $(ctrl_of "$ADDR4" || ctrl_of "$ADDR6")"
	return 1
}

# cycle DESC_DIGEST [nvme connect args]: connect, I/O, disconnect on IPv4.
cycle() {
	local rc=0
	connect "$ADDR4" "$PORT4" "$@" || return 1
	small_io || rc=1
	disconnect "$PORT4" || rc=1
	return $rc
}

setup() {
	tcp_target_setup "$NQN" "$ADDR4" "$PORT4" || return 1
	# We call nvme discover directly: it needs the host transport.
	modprobe nvme-tcp
}

test_discover() {
	local out
	out=$(timeout 60 nvme discover -t tcp -a "$ADDR4" -s "$PORT4" 2>&1) ||
		{ msg "nvme discover failed: $out"; return 1; }
	# Our entry: this subsystem, on TCP, at the address and port we asked.
	echo "$out" | awk -v nqn="$NQN" -v port="$PORT4" -v addr="$ADDR4" '
		/^=====Discovery Log Entry/ { t = s = p = a = "" }
		/^trtype:/  { t = $2 }
		/^trsvcid:/ { p = $2 }
		/^traddr:/  { a = $2 }
		/^subnqn:/  { s = $2 }
		t == "tcp" && s == nqn && p == port && a == addr { found = 1 }
		END { exit !found }' && return 0
	echo "$out" | sed 's/^/# /'
	return 1
}

# Several I/O queues: the host creates min(N, CPUs) per queue type; every
# queue is one TCP connection the target must have accepted.
test_queues() {
	local want=$1 c n socks rc=0
	shift
	connect "$ADDR4" "$PORT4" "$@" || return 1
	c=$(ctrl_of "$ADDR4")
	n=$(cat "/sys/class/nvme/$c/queue_count")
	socks=$(target_socks "$PORT4")
	msg "$*: queue_count $n (want $want), target sockets $socks"
	[ "$n" -eq "$want" ] || rc=1
	[ "$socks" -eq "$want" ] || rc=1
	# Spread I/O over the queues: one job per CPU, each on its own range
	# (jobs verifying the same blocks would overwrite each other's data).
	small_io --numjobs="$NCPU" --size=1M --offset_increment=1M || rc=1
	disconnect "$PORT4" || rc=1
	return $rc
}

test_qsize() {
	local qs=$1 c sq rc=0
	connect "$ADDR4" "$PORT4" --queue-size="$qs" || return 1
	c=$(ctrl_of "$ADDR4")
	sq=$(cat "/sys/class/nvme/$c/sqsize")
	msg "queue-size $qs: sqsize $sq (0's based)"
	[ "$sq" -eq $((qs - 1)) ] || rc=1
	# Fill the queue: iodepth = queue size.
	small_io --iodepth="$qs" || rc=1
	disconnect "$PORT4" || rc=1
	return $rc
}

test_ipv6() {
	local out
	if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
		msg "no ::1 on lo"
		return 4
	fi
	nvmet_port_create 2 "$ADDR6" "$PORT6" ipv6 || return 1
	nvmet_port_link 2 "$NQN" || return 1
	out=$(timeout 60 nvme discover -t tcp -a "$ADDR6" -s "$PORT6" 2>&1) ||
		{ msg "discover on [::1] failed: $out"; return 1; }
	echo "$out" | grep -q "subnqn: *$NQN\$" || { msg "$out"; return 1; }
	connect "$ADDR6" "$PORT6" || return 1
	small_io || { disconnect "$PORT6"; return 1; }
	disconnect "$PORT6"
}

# run DESC FUNC [ARGS]: one KTAP subtest; 4 from FUNC means skip.
run() {
	local desc=$1 rc
	shift
	if [ -n "$setup_failed" ]; then
		ktap_test_skip "$desc" "setup failed"
		return
	fi
	"$@"
	rc=$?
	case $rc in
	0) ktap_test_pass "$desc" ;;
	4) ktap_test_skip "$desc" "not available in this guest" ;;
	*) ktap_test_fail "$desc" ;;
	esac
}

ktap_print_header
ktap_set_plan 11
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport), $NCPU CPUs"

if setup && ss -Htln "( sport = :$PORT4 )" | grep -q .; then
	ktap_test_pass "setup: $(nvo_transport) transport, null_blk namespace, port $ADDR4:$PORT4"
else
	ktap_test_fail "setup: $(nvo_transport) transport, null_blk namespace, port $ADDR4:$PORT4"
	setup_failed=1	# later subtests are skipped
fi
run "discovery log lists $NQN on tcp $ADDR4:$PORT4" test_discover
run "connect, no digests, I/O, disconnect" cycle
run "connect --hdr-digest, I/O, disconnect" cycle --hdr-digest
run "connect --data-digest, I/O, disconnect" cycle --data-digest
run "connect --hdr-digest --data-digest, I/O, disconnect" cycle --hdr-digest --data-digest
run "--nr-io-queues=4: $(min 4 "$NCPU") I/O queues, one socket each" \
	test_queues $((1 + $(min 4 "$NCPU"))) --nr-io-queues=4
run "--nr-io-queues=2 --nr-write-queues=2: $(($(min 2 "$NCPU") * 2)) I/O queues" \
	test_queues $((1 + 2 * $(min 2 "$NCPU"))) --nr-io-queues=2 --nr-write-queues=2
run "--queue-size=32: sqsize 31, iodepth 32 I/O" test_qsize 32
run "--queue-size=128: sqsize 127, iodepth 128 I/O" test_qsize 128
run "IPv6 port on [::1]:$PORT6: discover, connect, I/O, disconnect" test_ipv6
ktap_finished
