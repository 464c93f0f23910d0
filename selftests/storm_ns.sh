#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 900
# nvo-append: slub_debug=U
#
# storm_ns.sh - namespaces disabled and enabled under I/O.
#  1. Namespace 2 is disabled and enabled over and over for
#     NVO_STORM_NS_SECS (default 60) while fio verifies back to back on
#     namespace 1 (every run clean) and a reader keeps hitting namespace 2
#     whenever the host has it (its errors are expected). Namespace 2 then
#     comes back on the host and verifies.
#  2. Namespace 1, the one under fio, is disabled in rounds
#     (NVO_STORM_NS_ROUNDS, default 5): fio may fail, nothing may hang; on
#     re-enable the host gets the namespace back and the data written
#     before the storm verifies.
# Namespace changes reach the host by AEN: each time the host needed an
# explicit ns-rescan to see a namespace again counts against a subtest of
# its own.
# The offloaded parts check nicsim1's counters (netlink): the I/O queues
# were on the device and it executed I/O.
# On our transport, part 1's second half and part 2's even rounds run with
# the port bound to nicsim1: namespaces go away under offloaded queues,
# whose device holds namespace references while its bios run.
# Then: no target socket left, slab caches and memory at baseline, kernel
# log clean. NVO_STORM_SCALE multiplies the defaults.
#
# Usage: storm_ns.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
# shellcheck source=lib/storm.sh
. "$DIR/lib/storm.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:storm-ns
SECS=${NVO_STORM_NS_SECS:-$(storm_scale 60)}
ROUNDS=${NVO_STORM_NS_ROUNDS:-$(storm_scale 5)}

# ns_enable NSID: enable the namespace; a kernel-log marker just before it
# lets ns_back tell whether an AEN reached the host since.
ns_enable() {
	NS_MARK="nvo-ns-enable-$1-$RANDOM$RANDOM"
	echo "<6>$NS_MARK" >/dev/kmsg
	storm_with_timeout 60 nvmet_ns_enable "$NQN" "$1"
}
# the host logged an AEN-driven rescan after the last ns_enable's marker
aen_since_enable() {
	dmesg | awk -v m="$NS_MARK" 'm != "" && index($0, m) { s = 1; next }
		s && /rescanning namespaces/ { f = 1 } END { exit !f }'
}
# the host side of a namespace that is late: AEN seen or not, the host's
# candidate disks and every task blocked in D state with its stack
ns_late_diag() {
	local d p
	msg "namespace $1 not back after 15 s; AEN since enable: $(aen_since_enable && echo yes || echo no)"
	for d in /sys/block/nvme*; do
		msg "  ${d##*/}: nsid=$(cat "$d/nsid" 2>/dev/null) size=$(cat "$d/size" 2>/dev/null)" \
			"node=$([ -b "/dev/${d##*/}" ] && echo yes || echo no)"
	done
	for p in /proc/[0-9]*; do
		[ "$(awk '/^State:/ { print $2 }' "$p/status" 2>/dev/null)" = D ] || continue
		msg "  blocked: $(cat "$p/comm" 2>/dev/null) (${p#/proc/})"
		sed 's/^/#     /' "$p/stack" 2>/dev/null
	done
}
# ns_back NSID: the host has the namespace again. The AEN makes it rescan;
# the host's scan may be slow behind its own I/O error handling, so wait up
# to 60 s (saying so after 15) before asking explicitly: an explicit
# ns-rescan counts in NS_RESCANS (the AEN did not do its job) so that the
# rest of the storm can go on.
NS_RESCANS=0
ns_back() {
	local c t0=$SECONDS
	NVO_NS_WAIT=15 host_ns_dev "$NQN" "$1" >/dev/null 2>&1 && return 0
	ns_late_diag "$1"
	if NVO_NS_WAIT=45 host_ns_dev "$NQN" "$1" >/dev/null 2>&1; then
		msg "namespace $1 back after $((SECONDS - t0)) s without ns-rescan (slow host scan)"
		return 0
	fi
	c=$(storm_ctrl "$NQN") || { msg "no host controller"; return 1; }
	msg "namespace $1 not back 60 s after enable: nvme ns-rescan"
	NS_RESCANS=$((NS_RESCANS + 1))
	quiet nvme ns-rescan "/dev/$c"
	NVO_NS_WAIT=30 host_ns_dev "$NQN" "$1" >/dev/null
}

ktap_print_header
ktap_set_plan 11
trap 'nvmet_cleanup; storm_offload_cleanup' EXIT
thp_off
msg "transport: $(nvo_transport); namespace 2 toggled for ${SECS}s, namespace 1 $ROUNDS rounds"

nvmet_transport_load || ktap_exit_fail_msg "cannot load the $(nvo_transport) transport"
nullb_create 1 nr_devices=2 >/dev/null || ktap_exit_fail_msg "no null_blk"
[ -b /dev/nullb1 ] || ktap_exit_fail_msg "no /dev/nullb1"
TCP_NULLB=/dev/nullb0
{ nvmet_subsys_create "$NQN" && nvmet_ns_create "$NQN" 1 /dev/nullb0 &&
	nvmet_ns_create "$NQN" 2 /dev/nullb1 &&
	nvmet_port_create 1 "$STORM_ADDR" "$STORM_PORT" ipv4 &&
	nvmet_port_link 1 "$NQN"; } || ktap_exit_fail_msg "target setup failed"
quiet modprobe nvme-tcp || ktap_exit_fail_msg "no nvme-tcp host"
storm_offload_init
storm_golden_baseline "$NQN"

# --- 1. the other namespace ---------------------------------------------------
storm_connect "$NQN" --nr-io-queues=2 || ktap_exit_fail_msg "connect failed"
dev=$(host_ns_dev "$NQN" 1)
NVO_NS_WAIT=20 host_ns_dev "$NQN" 2 >/dev/null || ktap_exit_fail_msg "no namespace 2 on the host"
t0=$(storm_now)
storm_fio_loop_start ns1 "$dev" "$SECS" --size=8M --iodepth=16
# The reader: I/O on namespace 2 whenever the host shows it.
touch "$STORM_TMP/ns2.run"
(
	n=0
	while [ -e "$STORM_TMP/ns2.run" ]; do
		d=$(NVO_NS_WAIT=0 host_ns_dev "$NQN" 2 2>/dev/null) &&
			fio --name=ns2 --filename="$d" --allow_file_create=0 --ioengine=libaio --direct=1 --rw=randrw \
				--bs=4k --iodepth=8 --size=1M --runtime=2 >/dev/null 2>&1 &&
			n=$((n + 1))
		sleep 0.1
	done
	echo "$n" >"$STORM_TMP/ns2.reads"
) &
reader=$!
toggles=0
terr=0
half=$((SECONDS + SECS / 2))
while kill -0 "$STORM_LOOP_PID" 2>/dev/null; do
	# second half: the I/O queues go to nicsim1 (new I/O queues only: the
	# policy applies to queues as they connect, so ask for these too)
	if [ -n "$STORM_OFFLOAD" ] && [ -n "$half" ] && [ $SECONDS -ge "$half" ]; then
		storm_nic_mark
		storm_offload_bind on
		for q in $(awk 'NR > 1 && $4 > 0 { print $1 }' /sys/kernel/debug/nvmet_offload/queues); do
			echo "$q on" >/sys/kernel/debug/nvmet_offload/queue_offload 2>/dev/null
		done
		half=
	fi
	storm_with_timeout 60 nvmet_ns_disable "$NQN" 2 || terr=$((terr + 1))
	# some toggles back to back, some after the host had time to notice
	sleep "0.$((RANDOM % 6))"
	ns_enable 2 || terr=$((terr + 1))
	sleep "0.$((RANDOM % 6))"
	toggles=$((toggles + 1))
	[ $terr -gt 10 ] && { msg "too many configfs errors, stopping"; break; }
done
fio_ok=1
storm_fio_loop_wait ns1 || fio_ok=0
rm -f "$STORM_TMP/ns2.run"
wait_for 30 eval "! kill -0 $reader 2>/dev/null" || { msg "namespace 2 reader stuck"; fio_ok=0; }
secs=$(storm_since "$t0")
offl_end=$(storm_ioq_offloaded)
storm_report ns-second "toggles=$toggles errors=$terr time=${secs}s fio_runs=$STORM_LOOP_RUNS" \
	"offloaded_queues_at_end=$offl_end" \
	"verified_mib=$STORM_LOOP_MIB ns2_reads_ok=$(cat "$STORM_TMP/ns2.reads" 2>/dev/null)" \
	"mismatches=$(storm_mismatches "$STORM_TMP"/ns1.f*)"
if [ $fio_ok = 1 ] && [ "$STORM_LOOP_RUNS" -gt 0 ] && [ $terr -eq 0 ]; then
	ktap_test_pass "namespace 2: $toggles disable/enable under I/O on namespace 1, $STORM_LOOP_RUNS fio runs clean"
else
	ktap_test_fail "namespace 2: $toggles disable/enable ($terr errors), fio on namespace 1 after $STORM_LOOP_RUNS clean runs"
fi
ok=1
if ! ns_back 2; then
	msg "namespace 2 did not come back; target enable=$(cat "$NVMET_CFS/subsystems/$NQN/namespaces/2/enable")"
	msg "host: $(ls /sys/block | tr '\n' ' '); active namespaces: $(nvme list-ns "/dev/$(storm_ctrl "$NQN")" 2>&1 | tr '\n' ' ')"
	ok=0
fi
if [ $ok = 1 ]; then
	d=$(host_ns_dev "$NQN" 2)
	quiet fio_verify "$d" --size=4M --iodepth=8 --allow_file_create=0 || ok=0
fi
[ "$(storm_ctrl_state "$NQN")" = live ] || { msg "controller $(storm_ctrl_state "$NQN")"; ok=0; }
[ $ok = 1 ] && ktap_test_pass "namespace 2 back on the host after the storm, verified I/O" ||
	ktap_test_fail "namespace 2 back on the host after the storm, verified I/O"

# part 1's offloaded half: the I/O queues went to nicsim1 (and stayed:
# nothing takes them back) and it executed the I/O
if [ -n "$STORM_OFFLOAD" ]; then
	ok=1
	[ "$offl_end" -ge 2 ] || { msg "$offl_end I/O queues offloaded at the end of part 1, want 2"; ok=0; }
	storm_nic_moved "namespace 2 storm, offloaded half" 2 || ok=0
	[ $ok = 1 ] && ktap_test_pass "offloaded half of the namespace 2 storm: I/O queues on nicsim1, I/O executed there" ||
		ktap_test_fail "offloaded half of the namespace 2 storm: I/O queues on nicsim1, I/O executed there"
else
	ktap_test_skip "offloaded half of the namespace 2 storm" "needs our transport ($(nvo_transport))"
fi

# --- 2. the namespace under I/O ---------------------------------------------
t0=$(storm_now)
rounds_ok=0
fio_errors=0
mism=0
for i in $(seq 1 "$ROUNDS"); do
	rc=0
	if [ -n "$STORM_OFFLOAD" ]; then
		if [ $((i % 2)) -eq 0 ]; then on=on; else on=off; fi
		for q in $(awk 'NR > 1 && $4 > 0 { print $1 }' /sys/kernel/debug/nvmet_offload/queues); do
			echo "$q $on" >/sys/kernel/debug/nvmet_offload/queue_offload 2>/dev/null
		done
	fi
	dev=$(host_ns_dev "$NQN" 1) || { msg "round $i: no namespace 1"; break; }
	[ "${on:-}" = on ] && storm_nic_mark
	storm_fio_start "ns-own" "$dev" --size=32M --iodepth=16
	storm_wait_io "$TCP_NULLB" 30 || { msg "round $i: fio did not start"; rc=1; }
	if [ "${on:-}" = on ]; then
		# the queues were taken back last round: switched on again above,
		# they are on nicsim1 and fio's commands run there
		oq_wait_all offloaded 10 || { msg "round $i: I/O queues not offloaded"; rc=1; }
		wait_for 10 eval 'storm_nic_moved round >/dev/null' ||
			storm_nic_moved "round $i" 0 || rc=1
	fi
	storm_with_timeout 60 nvmet_ns_disable "$NQN" 1 || { msg "round $i: disable failed or hung"; rc=1; }
	storm_fio_wait ns-own 60
	r=$?
	[ $r -eq 124 ] && rc=1
	[ $r -eq 1 ] && fio_errors=$((fio_errors + 1))
	m=$(storm_mismatches "$STORM_TMP/ns-own.fio")
	mism=$((mism + m))
	sleep "0.$((RANDOM % 10))"
	ns_enable 1 || { msg "round $i: enable failed or hung"; rc=1; }
	ns_back 1 || { msg "round $i: namespace 1 did not come back"; rc=1; }
	[ "$(storm_ctrl_state "$NQN")" = live ] || { msg "round $i: controller $(storm_ctrl_state "$NQN")"; rc=1; }
	dev=$(host_ns_dev "$NQN" 1) && storm_golden_verify "$dev" || { msg "round $i: data not intact"; rc=1; }
	[ $rc -eq 0 ] && rounds_ok=$((rounds_ok + 1))
done
secs=$(storm_since "$t0")
storm_report ns-own "rounds=$ROUNDS ok=$rounds_ok fio_runs_with_io_errors=$fio_errors mismatches=$mism time=${secs}s"
if [ $rounds_ok -eq "$ROUNDS" ]; then
	ktap_test_pass "namespace 1 disabled under its own I/O, $ROUNDS rounds: no hang, back on the host, data intact"
else
	ktap_test_fail "namespace 1 disabled under its own I/O: $rounds_ok of $ROUNDS rounds clean"
fi
[ $mism -eq 0 ] && ktap_test_pass "no verify mismatch in any round" ||
	ktap_test_fail "$mism verify mismatches"
quiet host_disconnect "$NQN"
storm_offload_bind off
[ $NS_RESCANS -eq 0 ] && ktap_test_pass "every namespace change reached the host by AEN (no ns-rescan needed)" ||
	ktap_test_fail "namespace changes by AEN: the host needed $NS_RESCANS explicit ns-rescans"

ok=1
storm_connect "$NQN" && dev=$(host_ns_dev "$NQN" 1) && storm_golden_verify "$dev" || ok=0
quiet host_disconnect "$NQN" || ok=0
[ $ok = 1 ] && ktap_test_pass "data written before the storm intact after a fresh connect" ||
	ktap_test_fail "data written before the storm intact after a fresh connect"
storm_final_checks

ktap_finished
