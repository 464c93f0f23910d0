#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the rdma_*.sh selftests (the NVMe/RDMA target transport, ours or
# stock nvmet-rdma, over Soft-RoCE) have in common. Sources tcp_test.sh
# (ktap.sh, nvmet.sh, msg, quiet, wait_for, dmesg_clean_since_mark); a test
# begins with
#	DIR=$(cd "$(dirname "$0")" && pwd)
#	# shellcheck source=lib/rdma_test.sh
#	. "$DIR/lib/rdma_test.sh"
#	tcp_test_args "$@"
#
#   rdma_link_up                  dummy0 at $RDMA_ADDR/16, rxe0 on it (the
#                                 guest has no NIC; 127/8 does not route for
#                                 rdma_cm, a link-local address does)
#   rdma_link_down                rxe0 deleted (rdma_rxe stays loaded)
#   rdma_transport_load           nvmet plus ours (nvmet_offload_rdma.ko,
#                                 on nvmet_offload.ko, the core it lists its
#                                 ports and queues through) or stock
#                                 nvmet-rdma ($NVO_TRANSPORT); the two share
#                                 trtype rdma: never both
#   rdma_transport_unload         and the core, when the load brought it
#   rdma_target_setup NQN PORT [ATTR=VAL...]
#                                 a 1 GB null_blk ($TCP_NULLB) as nsid 1 of
#                                 NQN on port 1, trtype rdma, $RDMA_ADDR:PORT
#   rdma_host_connect NQN PORT [ARGS...]   nvme connect -t rdma
#   rdma_host_discover PORT       nvme discover -t rdma
#   rc_qps, no_qps                RC queue pairs on rxe0 (the host's and the
#                                 target's: a queue the target did not
#                                 release keeps its QP), none
#   qps_gone                      no_qps within 20 s, else lists them
#   field LINE NAME               NAME=... of an nl_raw reply line
#   nl_err ERRNO ARGS...          the nl_raw request fails with ERRNO and
#                                 an extack message

_rdma_test_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tcp_test.sh
. "$_rdma_test_lib/tcp_test.sh"
unset _rdma_test_lib

RDMA_ADDR=${RDMA_ADDR:-169.254.0.2}
RDMA_NETDEV=dummy0
RDMA_LINK=rxe0

rdma_link_up() {
	_nvo_diag modprobe dummy numdummies=0 || return 1
	if [ ! -d /sys/class/net/$RDMA_NETDEV ]; then
		_nvo_diag /usr/sbin/ip link add $RDMA_NETDEV type dummy || return 1
	fi
	_nvo_diag /usr/sbin/ip addr replace "$RDMA_ADDR/16" dev $RDMA_NETDEV || return 1
	_nvo_diag /usr/sbin/ip link set $RDMA_NETDEV up || return 1
	# rxe's ICRC is crc32: the crypto API finds it by name, not modules.dep
	modprobe crc32-pclmul 2>/dev/null || modprobe crc32_generic 2>/dev/null
	_nvo_diag modprobe rdma_rxe || return 1
	if ! rdma link show $RDMA_LINK/1 >/dev/null 2>&1; then
		_nvo_diag rdma link add $RDMA_LINK type rxe netdev $RDMA_NETDEV || return 1
	fi
	wait_for 10 eval "rdma link show $RDMA_LINK/1 2>/dev/null | grep -q 'state ACTIVE'" ||
		{ msg "$RDMA_LINK did not become ACTIVE"; return 1; }
}

rdma_link_down() {
	_nvo_diag rdma link delete $RDMA_LINK
}

rdma_transport_load() {
	local tr
	tr=$(nvo_transport) || return 1
	_nvo_diag modprobe nvmet || return 1
	case $tr in
	ours)
		if _nvo_mod_loaded nvmet_rdma; then
			msg "nvmet_rdma is loaded and owns trtype rdma; not loading ours"
			return 1
		fi
		_nvo_mod_loaded nvmet_offload_rdma && return 0
		_nvo_diag modprobe rdma_cm || return 1
		if ! nvmet_offload_module_loaded; then
			nvmet_transport_load || { msg "cannot load nvmet_offload.ko, which ours needs"; return 1; }
			_rdma_loaded_core=1
		fi
		_nvo_diag insmod "$NVO_MODULES/nvmet_offload_rdma.ko" ||
			{ msg "insmod nvmet_offload_rdma.ko failed"; return 1; }
		;;
	stock)
		_nvo_diag modprobe nvmet-rdma || return 1
		;;
	esac
}

rdma_transport_unload() {
	case $(nvo_transport) in
	ours)
		_nvo_rmmod nvmet_offload_rdma || return 1
		if [ -n "${_rdma_loaded_core:-}" ]; then
			nvmet_transport_unload || return 1
			_rdma_loaded_core=
		fi
		;;
	stock) _nvo_rmmod nvmet_rdma ;;
	esac
}

rdma_target_setup() {
	[ $# -ge 2 ] || { msg "usage: rdma_target_setup NQN PORT [ATTR=VAL...]"; return 1; }
	rdma_transport_load || { msg "cannot load the $(nvo_transport) RDMA transport"; return 1; }
	target_export "$1" "$RDMA_ADDR" "$2" "${@:3}" addr_trtype=rdma
}

rdma_host_connect() {
	local nqn=$1 port=$2
	shift 2 || { msg "usage: rdma_host_connect NQN PORT [ARGS...]"; return 1; }
	_nvo_diag modprobe nvme-rdma || return 1
	_nvo_diag nvme connect -t rdma -n "$nqn" -a "$RDMA_ADDR" -s "$port" "$@" ||
		{ msg "nvme connect -t rdma to $nqn at $RDMA_ADDR:$port failed"; return 1; }
}

rdma_host_discover() {
	_nvo_diag modprobe nvme-rdma || return 1
	nvme discover -t rdma -a "$RDMA_ADDR" -s "$1"
}

rc_qps() { rdma resource show qp link "$RDMA_LINK/1" 2>/dev/null | grep -c 'type RC'; }
no_qps() { [ "$(rc_qps)" -eq 0 ]; }
qps_gone() {
	wait_for 20 no_qps && return 0
	msg "$(rc_qps) RC queue pairs left on $RDMA_LINK:"
	msg "$(rdma resource show qp link "$RDMA_LINK/1" 2>&1)"
	return 1
}

# field LINE NAME: NAME=... of an nl_raw reply line, or nothing.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# nl_err ERRNO NL_RAW-ARGS...: the request fails with ERRNO and an extack
# message.
nl_err() {
	local want=$1 out
	shift
	out=$(nl_raw "$@" 2>&1)
	msg "nl_raw $* -> $out"
	grep -q "^error=$want " <<<"$out" && grep -q ' msg="[^"]' <<<"$out"
}
