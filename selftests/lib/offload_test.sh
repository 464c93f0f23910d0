#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the offload_*.sh selftests have in common: a target on our transport
# with a nicsim device, and reading the queues' offload state from debugfs
# (/sys/kernel/debug/nvmet_offload/queues; columns: 1 queue, 4 qid,
# 16 offload state, 18 offloads, 19 reclaims, 20 fallbacks, 21 last
# fallback reason). Sources ktap.sh and nvmet.sh; installs an EXIT trap.
#
#   offload_target_setup NQN      transport + nicsim1 (2 engines) + a 1 GB
#                                 null_blk as nsid 1 of NQN on port 1
#                                 (127.0.0.1:4420); the test binds the port;
#                                 exits (KTAP) on failure
#   offload_cleanup               undo all of it (the EXIT trap)
#   oq_col COL                    "queue value" of column COL, I/O queues
#   oq_sum COL                    column COL summed over the I/O queues
#   oq_states                     "queue offload-state", I/O queues
#   oq_wait_all STATE [SECS]      every I/O queue in STATE (default 10 s)
#   oq_toggle_all on|off          ask for every I/O queue on or off

_OFFLOAD_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ktap.sh
. "$_OFFLOAD_LIB/ktap.sh"
# shellcheck source=nvmet.sh
. "$_OFFLOAD_LIB/nvmet.sh"

OQ_DBG=/sys/kernel/debug/nvmet_offload
NICSIM_BUS=/sys/bus/nicsim

offload_cleanup() {
	nvmet_cleanup >/dev/null 2>&1
	[ -d "$NICSIM_BUS" ] && echo 1 >"$NICSIM_BUS/del_device" 2>/dev/null
	rmmod nicsim 2>/dev/null
	nvmet_transport_unload >/dev/null 2>&1
}
trap offload_cleanup EXIT

offload_target_setup() {
	local nqn=$1 dev
	nvmet_transport_load || ktap_exit_fail_msg "cannot load our transport"
	insmod "$NVO_MODULES/nicsim.ko" || ktap_exit_fail_msg "cannot load nicsim"
	echo "1 2" >"$NICSIM_BUS/new_device" ||
		ktap_exit_fail_msg "cannot create nicsim1"
	dev=$(nullb_create 1) || ktap_exit_fail_msg "no null_blk"
	{ nvmet_subsys_create "$nqn" && nvmet_ns_create "$nqn" 1 "$dev" &&
		nvmet_port_create 1 127.0.0.1 4420 ipv4 &&
		nvmet_port_link 1 "$nqn"; } || ktap_exit_fail_msg "target setup failed"
}

oq_col() { awk -v c="$1" 'NR > 1 && $4 > 0 { print $1, $c }' "$OQ_DBG/queues"; }
oq_sum() { awk -v c="$1" 'NR > 1 && $4 > 0 { s += $c } END { print s + 0 }' "$OQ_DBG/queues"; }
oq_states() { oq_col 16; }

oq_wait_all() {
	local i
	for i in $(seq $((${2:-10} * 10))); do
		if [ -n "$(oq_states)" ] &&
		   ! oq_states | awk -v s="$1" '$2 != s { b = 1 } END { exit !b }'; then
			return 0
		fi
		sleep 0.1
	done
	ktap_print_msg "queues: $(oq_states | tr '\n' ';')"
	return 1
}

oq_toggle_all() {
	local q
	for q in $(oq_states | awk '{ print $1 }'); do
		echo "$q $1" >"$OQ_DBG/queue_offload" 2>/dev/null
	done
}
