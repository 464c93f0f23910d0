#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The NVMe/RDMA offload tests' common ground (rdma_offload.sh, rdma_live.sh):
# nicsim1 with nicsim_rdma.ko beside our RDMA target on port 1, and what
# they look at. Sourced after rdma_test.sh and under_io.sh; the caller sets
# NQN, PORT and INLINE.
#
#   nic FILE               nicsim1's debugfs FILE, or -1
#   nicsim_new, nicsim_del nicsim1 created (two engines); deleted, its
#                          unregister bounded (60 s)
#   queues_where NOFF NSW  the family lists port 1's admin queue and NSW
#                          I/O queues in software, NOFF I/O queues offloaded
#                          on nicsim1 (DEVID), which has NOFF RDMA queues
#   nicsim_rdma_setup      rxe0, the target (in-capsule INLINE), nicsim.ko,
#                          nicsim_rdma.ko, nicsim1
#   nicsim_rdma_cleanup    what a failed test leaves
#   no_rdma_queues         port 1 lists no queue, nicsim1 holds none
#   host_gone              the host disconnected: no controller, no queue,
#                          no queue pair left

NICSIM_BUS=/sys/bus/nicsim
NICSIM_DBG=/sys/kernel/debug/nicsim/nicsim1

nic() { cat "$NICSIM_DBG/$1" 2>/dev/null || echo -1; }

nicsim_new() { echo "1 2" >"$NICSIM_BUS/new_device" || { msg "cannot create nicsim1"; return 1; }; }
nicsim_del() {
	with_timeout 60 sh -c "echo 1 >$NICSIM_BUS/del_device" ||
		{ msg "del_device did not return"; return 1; }
}


nicsim_rdma_setup() {
	rdma_link_up || return 1
	rdma_target_setup "$NQN" "$PORT" param_inline_data_size="$INLINE" || return 1
	_nvo_diag insmod "$NVO_MODULES/nicsim.ko" || return 1
	_nvo_diag insmod "$NVO_MODULES/nicsim_rdma.ko" || return 1
	nicsim_new || return 1
	[ -r "$NICSIM_DBG/rdma_queues" ] || { msg "no $NICSIM_DBG/rdma_queues"; return 1; }
}

nicsim_rdma_cleanup() {
	fio_reap
	nvmet_cleanup >/dev/null 2>&1
	[ -d "$NICSIM_BUS" ] && echo 1 >"$NICSIM_BUS/del_device" 2>/dev/null
	rmmod nicsim_rdma 2>/dev/null
	rmmod nicsim 2>/dev/null
}

no_rdma_queues() {
	local out
	out=$(nl_raw -d queue-get port-id=1) || return 1
	[ -z "$out" ] && { [ ! -d "$NICSIM_DBG" ] || [ "$(nic rdma_queues)" -eq 0 ]; }
}

host_gone() {
	quiet host_disconnect "$NQN" || return 1
	wait_for 10 eval '! ctrl >/dev/null' || { msg "host controller $(ctrl) still there"; return 1; }
	wait_for 10 no_rdma_queues ||
		{ msg "left: $(nl_raw -d queue-get port-id=1), nicsim1 rdma_queues $(nic rdma_queues)"; return 1; }
	qps_gone
}

queues_where() {
	local noff=$1 nsw=$2 dump l off=0 sw=0 rc=0
	dump=$(nl_raw -d queue-get port-id=1) || { msg "$dump"; return 1; }
	msg "queues: $dump"
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		[ "$(field "$l" transport)" = rdma ] || { msg "not rdma: $l"; rc=1; }
		case $(field "$l" state) in
		offloaded)
			[ "$(field "$l" dev-id)" = "$DEVID" ] && [ "$(field "$l" qid)" != 0 ] ||
				{ msg "bad offloaded queue: $l"; rc=1; }
			off=$((off + 1)) ;;
		software)
			[ -z "$(field "$l" dev-id)" ] || { msg "software queue with a device: $l"; rc=1; }
			[ "$(field "$l" qid)" = 0 ] || sw=$((sw + 1)) ;;
		*) msg "state? $l"; rc=1 ;;
		esac
	done <<<"$dump"
	[ $off -eq "$noff" ] && [ $sw -eq "$nsw" ] ||
		{ msg "offloaded $off (want $noff), I/O in software $sw (want $nsw)"; rc=1; }
	[ ! -d "$NICSIM_DBG" ] || [ "$(nic rdma_queues)" -eq "$noff" ] ||
		{ msg "nicsim1 rdma_queues $(nic rdma_queues), want $noff"; rc=1; }
	[ "$noff" -eq 0 ] || [ "$(nl_raw -d queue-get dev-id="$DEVID" | grep -c .)" -eq "$noff" ] ||
		{ msg "dev-id filter"; rc=1; }
	return $rc
}
