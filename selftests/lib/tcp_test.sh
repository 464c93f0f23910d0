#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the tcp_*.sh selftests (the NVMe/TCP target transport, ours or stock
# nvmet-tcp) have in common. Sources ktap.sh, steps.sh (step, step_soft,
# step_always) and nvmet.sh from its own directory; a test begins with
#	DIR=$(cd "$(dirname "$0")" && pwd)
#	# shellcheck source=lib/tcp_test.sh
#	. "$DIR/lib/tcp_test.sh"
#	tcp_test_args "$@"
# Diagnostics go to stdout as "# ..." lines (KTAP). tcp_target_setup sets a
# variable: call it from the main shell, not from a $(...).
#
#   tcp_test_args [--transport ours|stock]   export NVO_TRANSPORT if given
#   msg MSG...                    "# MSG" (ktap_print_msg)
#   quiet CMD [ARGS...]           run CMD; its output, as diagnostics, only
#                                 if it fails; returns CMD's status
#   wait_for SECS CMD [ARGS...]   poll CMD every 0.1 s until it succeeds;
#                                 1 if it did not within SECS
#   thp_off                       transparent huge pages off (see below)
#   tcp_target_setup NQN ADDR PORT [ATTR=VAL...]
#                                 load the selected transport; a 1 GB null_blk
#                                 ($TCP_NULLB) as nsid 1 of NQN, exported on
#                                 port 1 at ADDR:PORT (ipv4) with the ATTRs
#   target_export NQN ADDR PORT [ATTR=VAL...]
#                                 the same with the transport loaded already
#   tcp_port_socks PORT           how many connections on local PORT are
#                                 ESTAB or CLOSE-WAIT (not closed by us)
#   tcp_port_idle PORT            true when tcp_port_socks PORT is 0
#   dmesg_clean_since_mark GREP_ARGS...
#                                 true when no kernel log line since
#                                 dmesg_mark matches `grep GREP_ARGS`;
#                                 otherwise prints the matches

_tcp_test_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/ktap.sh
. "$_tcp_test_lib/ktap.sh"
# shellcheck source=lib/steps.sh
. "$_tcp_test_lib/steps.sh"
# shellcheck source=lib/nvmet.sh
. "$_tcp_test_lib/nvmet.sh"
unset _tcp_test_lib

# the null_blk device tcp_target_setup exported
TCP_NULLB=

tcp_test_args() {
	case ${1:-} in
	--transport) export NVO_TRANSPORT=${2:?} ;;
	--transport=*) export NVO_TRANSPORT=${1#*=} ;;
	esac
}

msg() { ktap_print_msg "$*"; }

quiet() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	[ $rc -ne 0 ] && [ -n "$out" ] && printf '%s\n' "$out" | sed '/^#/!s/^/# /'
	return "$rc"
}

wait_for() {
	local secs=$1
	shift
	for _ in $(seq $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Debian's 6.1 (THP "always", CONFIG_HARDENED_USERCOPY) BUGs in the target's
# recvmsg ("usercopy: Kernel memory exposure attempt detected from page
# alloc"; seen with stock nvmet-tcp at bs=1M) when the loopback host sends a
# multi-page bvec of fio's buffer that runs past the end of a transparent
# huge page: the skb frag spans two folios and copy_to_iter's check trips on
# it. A remote host never produces such frags; keep fio's buffers out of
# THPs so the result does not depend on memory layout. NVO_KEEP_THP=1 keeps
# THP on to reproduce it.
thp_off() {
	[ "${NVO_KEEP_THP:-0}" = 1 ] && return 0
	echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true
}

# null_blk is memory backed (see nullb_create): data written survives a
# reconnect, so verifying it means something.
tcp_target_setup() {
	[ $# -ge 3 ] || { msg "usage: tcp_target_setup NQN ADDR PORT [ATTR=VAL...]"; return 1; }
	# shellcheck disable=SC2119 # no module parameters
	nvmet_transport_load || { msg "cannot load the $(nvo_transport) transport"; return 1; }
	target_export "$@"
}

# target_export NQN ADDR PORT [ATTR=VAL...]: the transport is loaded; a 1 GB
# null_blk ($TCP_NULLB) as nsid 1 of NQN on port 1 (ipv4), the ATTRs
# written to the port (addr_trtype=rdma for another transport)
target_export() {
	local nqn=$1 addr=$2 port=$3
	shift 3
	TCP_NULLB=$(nullb_create 1) || return 1
	nvmet_subsys_create "$nqn" || return 1
	nvmet_ns_create "$nqn" 1 "$TCP_NULLB" || return 1
	nvmet_port_create 1 "$addr" "$port" ipv4 "$@" || return 1
	nvmet_port_link 1 "$nqn"
}

tcp_port_socks() {
	ss -Htn "( sport = :$1 )" | grep -cE '^(ESTAB|CLOSE-WAIT)'
}

tcp_port_idle() { [ "$(tcp_port_socks "$1")" -eq 0 ]; }

dmesg_clean_since_mark() {
	local hits
	hits=$(dmesg_since_mark | grep "$@")
	[ -z "$hits" ] && return 0
	msg "$hits"
	return 1
}
