#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_discovery.sh - what a host learns when the target's configuration
# changes: the discovery log page (nvme discover) and a namespace resize.
#  - A wildcard listener (0.0.0.0, and :: for IPv6) reports in the log page
#    the address the host reached it on (127.0.0.1, a second local address
#    10.98.0.1, ::1), never the wildcard; the host connects to what it was
#    told and does verified I/O.
#  - A referral from port 1 to port 2 appears in port 1's log page as a
#    discovery-subsystem entry with port 2's address.
#  - The generation counter changes with every change of the log page
#    (a subsystem linked, a referral removed) and the log page follows.
#  - Namespace resize: the backing loop device grows, nvmet's configfs
#    revalidate_size is written, and the host sees the new size by the
#    namespace-change AEN alone (no ns-rescan), then verifies I/O past the
#    old end: once with software I/O queues and once (our transport) with
#    the I/O queues offloaded to nicsim1, which executes that I/O.
#
# Usage: tcp_discovery.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/storm.sh
. "$DIR/lib/storm.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:discovery-a
NQN2=nqn.2014-08.io.nvmet-offload:discovery-b
DISC=nqn.2014-08.org.nvmexpress.discovery
ADDR2=10.98.0.1
IMG=/tmp/disc/ns.img
DBG=/sys/kernel/debug/nvmet_offload
LOOP=

cleanup() {
	nvmet_cleanup
	storm_offload_cleanup
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	ip link del nvo-d0 2>/dev/null
	rm -f "$IMG"
}

disc() { timeout 60 nvme discover -t tcp -a "$1" -s "$2" 2>&1; }

# entries LOG: one "subtype|subnqn|traddr|trsvcid" line per log entry
entries() {
	awk '
		/^=====Discovery Log Entry/ { if (n++) print st "|" s "|" a "|" p; st = s = a = p = "" }
		/^subtype:/ { sub(/^subtype: */, ""); st = $0 }
		/^subnqn:/  { s = $2 }
		/^traddr:/  { a = $2 }
		/^trsvcid:/ { p = $2 }
		END { if (n) print st "|" s "|" a "|" p }' <<<"$1"
}
genctr() { sed -n 's/.*Generation counter \([0-9]*\).*/\1/p' <<<"$1" | head -n1; }

# wildcard FAMADDR PORT: discover via FAMADDR; the entry for $NQN reports
# FAMADDR, then connect to that and verify a little I/O.
wildcard() {
	local via=$1 port=$2 out e addr dev rc=0
	out=$(disc "$via" "$port") || { msg "discover via $via:$port: $out"; return 1; }
	e=$(entries "$out" | grep "|$NQN|")
	addr=$(cut -d'|' -f3 <<<"$e")
	msg "via $via:$port: entry $e"
	[ "$addr" = "$via" ] || { msg "reported traddr '$addr', want $via"; return 1; }
	quiet host_connect "$NQN" "$addr" "$port" --nr-io-queues=1 || return 1
	dev=$(host_ns_dev "$NQN" 1) || rc=1
	[ $rc -eq 0 ] && { quiet fio_verify "$dev" --size=2M --iodepth=8 || rc=1; }
	quiet host_disconnect "$NQN" || rc=1
	wait_for 10 eval '! host_ctrl "$NQN" >/dev/null' || rc=1
	return $rc
}

referral() {
	local r=$NVMET_CFS/ports/1/referrals/r2 out
	mkdir "$r" && _nvo_write "$r/addr_trtype" tcp && _nvo_write "$r/addr_adrfam" ipv4 &&
		_nvo_write "$r/addr_traddr" 127.0.0.1 && _nvo_write "$r/addr_trsvcid" 4421 &&
		_nvo_write "$r/enable" 1 || { msg "cannot create the referral"; return 1; }
	out=$(disc 127.0.0.1 4420) || { msg "$out"; return 1; }
	G1=$(genctr "$out")
	msg "port 1 log page (genctr $G1): $(entries "$out" | tr '\n' ';')"
	entries "$out" | grep -q "^.*discovery.*|$DISC|127.0.0.1|4421\$" || return 1
	# port 2's own log page lists NQN2 there, the subsystem the referral leads to
	out=$(disc 127.0.0.1 4421) || { msg "$out"; return 1; }
	entries "$out" | grep -q "|$NQN2|127.0.0.1|4421\$" ||
		{ msg "port 2: $(entries "$out" | tr '\n' ';')"; return 1; }
}

# the generation counter moves with each change and the page follows it
generations() {
	local out g2 g3
	nvmet_port_link 1 "$NQN2" || return 1
	out=$(disc 127.0.0.1 4420) || { msg "$out"; return 1; }
	g2=$(genctr "$out")
	entries "$out" | grep -q "|$NQN2|127.0.0.1|4420\$" ||
		{ msg "$NQN2 linked to port 1 but not listed: $(entries "$out" | tr '\n' ';')"; return 1; }
	rmdir "$NVMET_CFS/ports/1/referrals/r2" || return 1
	out=$(disc 127.0.0.1 4420) || { msg "$out"; return 1; }
	g3=$(genctr "$out")
	entries "$out" | grep -q "|$DISC|127.0.0.1|4421\$" && { msg "referral still listed"; return 1; }
	msg "genctr: $G1 (referral) -> $g2 (subsystem linked) -> $g3 (referral removed)"
	[ -n "$G1" ] && [ -n "$g2" ] && [ -n "$g3" ] && [ "$g2" -gt "$G1" ] && [ "$g3" -gt "$g2" ]
}

host_size_mb() { echo $(($(cat "/sys/block/${1##*/}/size") / 2048)); }

# resize MB WHAT: grow the backing file and loop device to MB, revalidate;
# the host sees MB without a rescan; fio verifies the 16 MiB before MB.
resize() {
	local mb=$1 dev old
	dev=$(host_ns_dev "$NQN" 1) || return 1
	old=$(host_size_mb "$dev")
	truncate -s "${mb}M" "$IMG" && losetup -c "$LOOP" &&
		_nvo_write "$NVMET_CFS/subsystems/$NQN/namespaces/1/revalidate_size" 1 ||
		{ msg "cannot resize the backing device"; return 1; }
	if ! wait_for 20 eval '[ "$(host_size_mb "$dev")" -eq "$mb" ]'; then
		msg "$dev: $(host_size_mb "$dev") MiB 20 s after the resize to $mb MiB (no AEN?)"
		return 1
	fi
	msg "$dev: $old -> $mb MiB without ns-rescan"
	quiet fio_verify "$dev" --offset=$((mb - 16))M --size=16M --iodepth=16
}

offstat() {
	awk -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
		{ s += $col } END { print s + 0 }' "$DBG/offload_stats"
}

resize_offloaded() {
	local w0 p0 w p want
	# fio writes 16 MiB past the old end; offload_stats counts LBAs
	want=$((16 * 1048576 / $(cat "/sys/block/${LOOP##*/}/queue/logical_block_size")))
	storm_offload_bind on || return 1
	oq_toggle_all on && oq_wait_all offloaded || return 1
	w0=$(offstat write_blks)
	p0=$(offstat punted)
	resize 128 || return 1
	w=$(($(offstat write_blks) - w0))
	p=$(($(offstat punted) - p0))
	msg "offloaded queues wrote $w blocks past the old end (fio: $want), $p punted"
	oq_wait_all offloaded || return 1
	[ "$w" -ge "$want" ] && [ "$p" -eq 0 ]
}

ktap_print_header
ktap_set_plan 9
trap cleanup EXIT
thp_off
dmesg_mark
msg "transport: $(nvo_transport)"

nvmet_transport_load || ktap_exit_fail_msg "cannot load the $(nvo_transport) transport"
quiet modprobe nvme-tcp || ktap_exit_fail_msg "no nvme-tcp host"
quiet modprobe loop || ktap_exit_fail_msg "no loop module"
storm_offload_init
mkdir -p "${IMG%/*}"
# 1
if truncate -s 64M "$IMG" && LOOP=$(losetup -f) && losetup "$LOOP" "$IMG" &&
	ip link add nvo-d0 type dummy && ip addr add "$ADDR2/32" dev nvo-d0 &&
	ip link set nvo-d0 up &&
	nvmet_subsys_create "$NQN" && nvmet_ns_create "$NQN" 1 "$LOOP" &&
	nvmet_subsys_create "$NQN2" &&
	nvmet_port_create 1 0.0.0.0 4420 ipv4 && nvmet_port_link 1 "$NQN" &&
	nvmet_port_create 2 127.0.0.1 4421 ipv4 && nvmet_port_link 2 "$NQN2" &&
	nvmet_port_create 3 :: 4422 ipv6 && nvmet_port_link 3 "$NQN"; then
	ktap_test_pass "setup: $LOOP (64 MiB file) as nsid 1; ports 0.0.0.0:4420, 127.0.0.1:4421, [::]:4422"
else
	ktap_exit_fail_msg "setup failed"
fi

# 2-4
ktap_test_result "wildcard 0.0.0.0 reports 127.0.0.1 to a host that came by 127.0.0.1; connect, I/O" \
	wildcard 127.0.0.1 4420
ktap_test_result "wildcard 0.0.0.0 reports $ADDR2 to a host that came by $ADDR2; connect, I/O" \
	wildcard "$ADDR2" 4420
ktap_test_result "wildcard :: reports ::1 to a host that came by ::1; connect, I/O" \
	wildcard ::1 4422
# 5, 6
G1=
ktap_test_result "referral to port 2 listed in port 1's log page" referral
ktap_test_result "genctr grows when a subsystem is linked and a referral removed; the page follows" \
	generations

# 7, 8: resize
if quiet host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=1 && host_ns_dev "$NQN" 1 >/dev/null; then
	ktap_test_result "resize 64 -> 96 MiB, software queues: the AEN brings the host the new size; I/O past the old end verifies" \
		resize 96
else
	ktap_test_fail "resize: connect failed"
fi
if [ -n "$STORM_OFFLOAD" ]; then
	ktap_test_result "resize 96 -> 128 MiB, queues offloaded to nicsim1: the AEN brings the new size; nicsim1 executes I/O past the old end" \
		resize_offloaded
else
	ktap_test_skip "resize with offloaded queues" "stock transport"
fi
quiet host_disconnect_all
# 9
ktap_test_result "kernel log clean" storm_klog_clean
ktap_finished
