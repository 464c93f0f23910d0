#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What the offload_*.sh selftests have in common: a target on our transport
# with a nicsim device, and reading the queues' offload state from debugfs
# (lib/offload_queues.sh: oq_col, oq_sum, oq_states, oq_wait_all,
# oq_toggle_all). Sources ktap.sh, nvmet.sh and offload_queues.sh; installs
# an EXIT trap.
#
#   offload_target_setup NQN      transport + nicsim1 (2 engines) + a 1 GB
#                                 null_blk as nsid 1 of NQN on port 1
#                                 (127.0.0.1:4420); the test binds the port;
#                                 exits (KTAP) on failure
#   offload_cleanup               undo all of it (the EXIT trap)

_OFFLOAD_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ktap.sh
. "$_OFFLOAD_LIB/ktap.sh"
# shellcheck source=nvmet.sh
. "$_OFFLOAD_LIB/nvmet.sh"
# shellcheck source=offload_queues.sh
. "$_OFFLOAD_LIB/offload_queues.sh"

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

