#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 420
#
# offload_ns_table.sh - namespace tables (Documentation/driver-api-v2.rst,
# section 3): the shim pushes each subsystem's namespaces to the device, and
# nicsim resolves its commands from that table. With the I/O queues of a host
# offloaded to nicsim1 (nsid 1: null_blk; nsid 2: a loop device, enabled
# after the connect):
#  1. the table is attached with the queues: nsid 1 in it, nsid 2 not;
#  2. nsid 2 enabled while nicsim1's table is full (ns_table_max=1): left
#     out, counted (ns_table_full), its I/O punted and verified;
#  3. room again (ns_table_max back to 0), nsid 2 left as it is: the shim
#     tries the refused ADD again within its 5 s retry, the table gains it
#     (gen moves) and the device executes its I/O (own_cmds of nsid 2);
#  4. nsid 2 grown (loop device, revalidate_size): the table's entry has the
#     new size and the device executes I/O past the old end;
#  5. nsid 2 shrunk to 32 MiB: the table's entry has the new size, and a
#     read past the new end (passthrough, which the host does not check)
#     is punted and fails with an NVMe status, not data;
#  6. the device loses its tables under fio verify on nsid 1
#     (ns_table_lose): reported (nvo_ns_table_lost()), the shim sends the
#     table again within a period; silent, the table stays empty until the
#     next update (nsid 2 resized to 48 MiB) meets the gap, -ESTALE, and the
#     shim sends it again; both times both entries come back with their
#     sizes and the verify is clean; then a silent loss and nsid 2
#     disabled: its REMOVE meets the gap, and the table sent again
#     settles it (the disable returns), nsid 2 enabled again after;
#  7. nsid 2 disabled under I/O, its updates 500 ms late
#     (ns_update_delay_ms): the disable returns within 20 s, its entry
#     leaves the table, and fio verify on nsid 1 meanwhile is clean;
#  8. the host gone, the table is detached (ns_tables empty);
#  9. a device that declines tables (ns_table_decline): the queues are
#     offloaded all the same, no table, and the device executes fio's
#     verified I/O through v1's per-command nvo_offload_ns_get();
# 10. no I/O error on nsid 1's disk in the kernel log;
# 11. the shim's view through netlink (nicctl -j ns-table show), read at
#     the end of 2: nsid 1 in-device with debugfs's size, nsid 2 refused;
# 12. and at the end of 3: nsid 2 in-device with debugfs's size.
# 13. (run after 6) the device's back end for nsid 2 fails under fio verify
#     on it (ns_fail_nsid): the device reports it (nvo_ns_failed()), the
#     shim removes the entry (nicctl: failed; debugfs: absent), its I/O is
#     punted and verified clean, the queues stay offloaded, the retry does
#     not bring it back (6 s); disabled and enabled again, the device has
#     it and executes its I/O.
# 14. (run after 7) with the shim's reconcile period at 30 s
#     (ns_period_ms), nsid 2 enabled and then grown reaches the device's
#     table within 5 s each: the namespace notice nvmet sends the host
#     (an Asynchronous Event) starts the reconcile, not the period.
# (11-14 are reported last so that 1-10 keep their numbers.)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/offload_test.sh
. "$DIR/lib/offload_test.sh"
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"	# wait_for

NQN=nqn.2014-08.io.nvmet-offload:offload-ns-table
SIM=/sys/kernel/debug/nicsim/nicsim1
IMG=/tmp/nstable/ns2.img
LOOP=

check() {
	local name=$1
	shift
	if "$@"; then ktap_test_pass "$name"; else ktap_test_fail "$name"; fi
}
quiet() { "$@" >/tmp/nstable.out 2>&1 || { sed 's/^/# /' /tmp/nstable.out | tail -n 15; return 1; }; }

# The device's table: gen, and an entry's field (blocks, own_cmds, ...).
tbl_gen() { awk '$1 == "subsys" { print $4 }' "$SIM/ns_tables"; }
tbl_has() { awk -v n="$1" '$1 == "nsid" && $2 == n { f = 1 } END { exit !f }' "$SIM/ns_tables"; }
tbl_field() {
	awk -v n="$1" -v k="$2" '$1 == "nsid" && $2 == n {
		for (i = 3; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$SIM/ns_tables"
}
tbl_bytes() { local b s; b=$(tbl_field "$1" blocks); s=$(tbl_field "$1" lba_shift); echo $(( ${b:-0} << ${s:-0} )); }
ns_punts() {
	nl_raw stats-get scope=namespace port-id=1 nsid="$1" |
		sed -n 's/.* counters\.punted-cmds=\([0-9]*\).*/\1/p' | head -n 1
}
# The host's disk of nsid $1, rescanning when the AEN did not bring it.
ns_dev() {
	local d
	d=$(NVO_NS_WAIT=10 host_ns_dev "$NQN" "$1" 2>/dev/null) && { echo "$d"; return 0; }
	nvme ns-rescan "/dev/$(host_ctrl "$NQN")" >/dev/null 2>&1
	host_ns_dev "$NQN" "$1"
}
tbl_bytes_is() { [ "$(tbl_bytes "$1")" -eq "$2" ]; }
tbl_empty() { [ -z "$(cat "$SIM/ns_tables")" ]; }
tbl_lacks() { ! tbl_has "$1"; }
# Reads and writes nicsim1 executed itself (netlink, nicctl).
nic_cmds() {
	local j r w
	j=$(nicctl -j stats show dev nicsim1) || return 1
	r=$(grep -o '"read_cmds":[0-9]*' <<<"$j" | head -n 1)
	w=$(grep -o '"write_cmds":[0-9]*' <<<"$j" | head -n 1)
	[ -n "$r" ] && [ -n "$w" ] && echo $((${r#*:} + ${w#*:}))
}
# A field of nsid $1's entry in the shim's table on nicsim1, from nicctl's
# JSON (one line; an entry has no nested object).
nl_entry() {
	nicctl -j ns-table show dev nicsim1 | grep -o "{\"nsid\":$1,[^}]*}" |
		sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"]*\).*/\1/p" | head -n 1
}
# nicctl's entry of nsid $1 is in state $2 with the size debugfs shows
# ($2 refused or failed: the device has no entry to compare with).
nl_entry_is() {
	local st nb dbg
	st=$(nl_entry "$1" state)
	nb=$(nl_entry "$1" nr_blocks)
	dbg=$(tbl_field "$1" blocks)
	msg "nicctl: nsid $1 ${st:-absent} nr_blocks ${nb:-?}; debugfs blocks ${dbg:-none}"
	[ "$st" = "$2" ] || return 1
	[ "$2" = refused ] || [ "$2" = failed ] && { [ -z "$dbg" ]; return; }
	[ -n "$nb" ] && [ "$nb" = "$dbg" ]
}
host_bytes_is() { [ "$(blockdev --getsize64 "$1")" -eq "$2" ]; }
gone_pid() { ! kill -0 "$1" 2>/dev/null; }

cleanup() {
	offload_cleanup
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -f "$IMG"
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 14

offload_target_setup "$NQN"
mkdir -p "${IMG%/*}"
modprobe loop 2>/dev/null
{ truncate -s 64M "$IMG" && LOOP=$(losetup -f) && losetup "$LOOP" "$IMG" &&
	nvmet_ns_create "$NQN" 2 "$LOOP" && nvmet_ns_disable "$NQN" 2 &&
	echo "1 on nicsim1" >"$OQ_DBG/port_offload"; } ||
	ktap_exit_fail_msg "second namespace or port binding failed"
modprobe nvme-tcp
host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null
NS1=$(host_ns_dev "$NQN" 1) || ktap_exit_fail_msg "no namespace device"
dmesg_mark

# 1
attached() {
	oq_wait_all offloaded && wait_for 5 tbl_has 1 && ! tbl_has 2 &&
		[ "$(tbl_bytes 1)" -eq $((1 << 30)) ]
}
check "table attached with the offloaded queues: nsid 1 ($(tbl_bytes 1) bytes), not the disabled nsid 2" attached
sed 's/^/# /' "$SIM/ns_tables"

# 2
table_full() {
	local full0 p0 p1
	echo 1 >"$SIM/ns_table_max" || return 1
	full0=$(cat "$SIM/ns_table_full")
	nvmet_ns_enable "$NQN" 2 || return 1
	NS2=$(ns_dev 2) || return 1
	p0=$(ns_punts 2)
	quiet fio_verify "$NS2" --size=4M --iodepth=8 || return 1
	p1=$(ns_punts 2)
	msg "ns_table_full $full0 -> $(cat "$SIM/ns_table_full"), nsid 2 punts ${p0:-?} -> ${p1:-?}"
	[ "$(cat "$SIM/ns_table_full")" -gt "$full0" ] && ! tbl_has 2 &&
		[ $((p1 - p0)) -ge 2048 ]
}
check "nsid 2 enabled while the table is full: left out, its I/O punted and verified" table_full
# reported as 11, at the end
NL_FULL=fail
nl_entry_is 1 in-device && nl_entry_is 2 refused && NL_FULL=pass
nicctl ns-table show dev nicsim1 | sed 's/^/# /'

# 3
added() {
	local g0 own t0=$SECONDS
	g0=$(tbl_gen)
	echo 0 >"$SIM/ns_table_max"
	wait_for 15 tbl_has 2 || { msg "nsid 2 not in the table after 15 s"; return 1; }
	msg "nsid 2 in the table $((SECONDS - t0)) s after there was room"
	quiet fio_verify "$NS2" --size=4M --iodepth=8 || return 1
	own=$(tbl_field 2 own_cmds)
	msg "gen $g0 -> $(tbl_gen), nsid 2 own_cmds ${own:-?}"
	[ "$(tbl_gen)" -gt "$g0" ] && [ "${own:-0}" -ge 1024 ]
}
check "nsid 2 added to the table once it fits, the namespace unchanged: gen moved, the device executes its I/O" added
# reported as 12, at the end
NL_ADDED=fail
nl_entry_is 1 in-device && nl_entry_is 2 in-device && NL_ADDED=pass

# 4
grown() {
	local own0 own1
	truncate -s 128M "$IMG" && losetup -c "$LOOP" &&
		_nvo_write "$NVMET_CFS/subsystems/$NQN/namespaces/2/revalidate_size" 1 || return 1
	wait_for 10 tbl_bytes_is 2 $((128 << 20)) ||
		{ msg "table: nsid 2 has $(tbl_bytes 2) bytes, not $((128 << 20))"; return 1; }
	wait_for 20 host_bytes_is "$NS2" $((128 << 20)) ||
		nvme ns-rescan "/dev/$(host_ctrl "$NQN")" >/dev/null 2>&1
	wait_for 10 host_bytes_is "$NS2" $((128 << 20)) ||
		{ msg "host: $NS2 has $(blockdev --getsize64 "$NS2") bytes"; return 1; }
	own0=$(tbl_field 2 own_cmds)
	quiet fio_verify "$NS2" --offset=96M --size=16M --iodepth=8 || return 1
	own1=$(tbl_field 2 own_cmds)
	msg "nsid 2 own_cmds past the old end: ${own0:-?} -> ${own1:-?}"
	[ $((own1 - own0)) -ge 4096 ]
}
check "nsid 2 grown to 128 MiB while offloaded: the table has the new size, the device serves I/O past the old end" grown

# 5
# A read of one block at LBA $2 of $1 by passthrough: exit status 0 only
# when the target returned data.
nvme_read_lba() {
	nvme read "$1" --start-block="$2" --block-count=0 \
		--data-size=$((1 << $(tbl_field 2 lba_shift))) --data=/dev/null
}
shrunk() {
	local p0 p1 past rc=0
	truncate -s 32M "$IMG" && losetup -c "$LOOP" &&
		_nvo_write "$NVMET_CFS/subsystems/$NQN/namespaces/2/revalidate_size" 1 || return 1
	wait_for 10 tbl_bytes_is 2 $((32 << 20)) ||
		{ msg "table: nsid 2 has $(tbl_bytes 2) bytes, not $((32 << 20))"; return 1; }
	past=$(( (64 << 20) >> $(tbl_field 2 lba_shift) ))
	p0=$(ns_punts 2)
	if nvme_read_lba "$NS2" "$past" >/tmp/nstable.out 2>&1; then
		msg "a read at LBA $past, past the 32 MiB end, returned data"
		rc=1
	fi
	sed 's/^/# /' /tmp/nstable.out | tail -n 2
	p1=$(ns_punts 2)
	msg "nsid 2 punts ${p0:-?} -> ${p1:-?}"
	[ $((p1 - p0)) -ge 1 ] || rc=1
	# and within the new end the device still serves it
	nvme_read_lba "$NS2" 0 >/dev/null 2>&1 || { msg "a read at LBA 0 failed"; rc=1; }
	wait_for 20 host_bytes_is "$NS2" $((32 << 20)) ||
		nvme ns-rescan "/dev/$(host_ctrl "$NQN")" >/dev/null 2>&1
	return $rc
}
check "nsid 2 shrunk to 32 MiB while offloaded: the table has the new size, a read past the end is punted and fails" shrunk

# 6
lost() {
	local pid dpid r0 r1 r2 r3 rc=0
	r0=$(cat "$SIM/ns_table_resyncs")
	fio_verify "$NS1" --size=64M --iodepth=16 >/tmp/ns1.fio 2>&1 &
	pid=$!
	sleep 1
	echo 1 >"$SIM/ns_table_lose" || rc=1
	{ wait_for 5 tbl_has 1 && wait_for 5 tbl_has 2; } ||
		{ msg "a reported loss: the table not sent again within 5 s"; rc=1; }
	r1=$(cat "$SIM/ns_table_resyncs")
	echo 2 >"$SIM/ns_table_lose" || rc=1
	sleep 1
	if tbl_has 1; then
		msg "a silent loss: nsid 1 back with no update sent"
		rc=1
	fi
	truncate -s 48M "$IMG" && losetup -c "$LOOP" &&
		_nvo_write "$NVMET_CFS/subsystems/$NQN/namespaces/2/revalidate_size" 1 || rc=1
	{ wait_for 5 tbl_has 1 && wait_for 5 tbl_bytes_is 2 $((48 << 20)); } ||
		{ msg "a silent loss: the table not sent again after the resize"; rc=1; }
	r2=$(cat "$SIM/ns_table_resyncs")
	wait "$pid" || { rc=1; grep -iE 'verify|err' /tmp/ns1.fio | head -n 5 | sed 's/^/# /'; }
	echo 2 >"$SIM/ns_table_lose" || rc=1
	nvmet_ns_disable "$NQN" 2 &
	dpid=$!
	wait_for 20 gone_pid "$dpid" || { msg "a disable whose REMOVE met the gap is stuck"; rc=1; }
	wait_for 5 tbl_has 1 || { msg "nsid 1 not back after the REMOVE's gap"; rc=1; }
	r3=$(cat "$SIM/ns_table_resyncs")
	msg "resyncs $r0 -> $r1 (reported) -> $r2 (silent, a RESIZE) -> $r3 (silent, a REMOVE); nsid 1 $(tbl_bytes 1) bytes"
	[ "$r1" -gt "$r0" ] && [ "$r2" -gt "$r1" ] && [ "$r3" -gt "$r2" ] || rc=1
	nvmet_ns_enable "$NQN" 2 && wait_for 10 tbl_has 2 || { msg "nsid 2 not back"; return 1; }
	NS2=$(ns_dev 2) || return 1
	wait_for 20 host_bytes_is "$NS2" $((48 << 20)) ||
		nvme ns-rescan "/dev/$(host_ctrl "$NQN")" >/dev/null 2>&1
	return $rc
}
check "the device loses its tables under I/O: sent again when reported and at the next update's gap, verify clean" lost

# 13, reported at the end
backend_failed() {
	local pid p0 p1 r0 r1 own0 own1 rc=0
	p0=$(ns_punts 2)
	r0=$(cat "$SIM/ns_failed_reports")
	fio_verify "$NS2" --size=32M --iodepth=8 >/tmp/ns2.fio 2>&1 &
	pid=$!
	sleep 1
	echo 2 >"$SIM/ns_fail_nsid" || rc=1
	wait_for 5 tbl_lacks 2 || { msg "nsid 2 still in the device's table 5 s after its back end failed"; rc=1; }
	wait "$pid" || { rc=1; grep -iE 'verify|err' /tmp/ns2.fio | head -n 5 | sed 's/^/# /'; }
	p1=$(ns_punts 2)
	r1=$(cat "$SIM/ns_failed_reports")
	nl_entry_is 2 failed || rc=1
	oq_wait_all offloaded || { msg "queues: $(oq_states | tr '\n' ' ')"; rc=1; }
	msg "nsid 2: reports $r0 -> $r1, punts ${p0:-?} -> ${p1:-?}"
	[ "$r1" -gt "$r0" ] && [ $((p1 - p0)) -ge 1024 ] || rc=1
	# the shim's 5 s retry of refused ADDs is not for failed entries
	sleep 6
	if tbl_has 2; then
		msg "nsid 2 back in the table with its back end still failed"
		rc=1
	fi
	echo 0 >"$SIM/ns_fail_nsid"
	{ nvmet_ns_disable "$NQN" 2 && nvmet_ns_enable "$NQN" 2 && wait_for 10 tbl_has 2; } ||
		{ msg "nsid 2 not back after a disable and enable"; return 1; }
	NS2=$(ns_dev 2) || return 1
	wait_for 20 host_bytes_is "$NS2" $((48 << 20)) ||
		nvme ns-rescan "/dev/$(host_ctrl "$NQN")" >/dev/null 2>&1
	own0=$(tbl_field 2 own_cmds)
	quiet fio_verify "$NS2" --size=4M --iodepth=8 || rc=1
	own1=$(tbl_field 2 own_cmds)
	msg "nsid 2 enabled again: own_cmds ${own0:-?} -> ${own1:-?}"
	[ $((own1 - own0)) -ge 1024 ] || rc=1
	return $rc
}
NS_FAILED=fail
backend_failed && NS_FAILED=pass

# 7
disabled() {
	local pid1 pid2 t0 t1 rc=0
	fio_verify "$NS1" --size=64M --iodepth=16 >/tmp/ns1.fio 2>&1 &
	pid1=$!
	fio --name=ns2 --filename="$NS2" --ioengine=libaio --direct=1 --rw=randrw \
		--bs=4k --iodepth=16 --time_based --runtime=60 --allow_file_create=0 \
		>/dev/null 2>&1 &
	pid2=$!
	sleep 2
	echo 500 >"$SIM/ns_update_delay_ms"
	t0=$SECONDS
	# in the background: a disable stuck on a pin never returns
	nvmet_ns_disable "$NQN" 2 &
	DISABLE_PID=$!
	wait_for 20 gone_pid "$DISABLE_PID" || { rc=1; msg "the disable is stuck"; }
	t1=$SECONDS
	echo 0 >"$SIM/ns_update_delay_ms"
	wait_for 5 tbl_lacks 2 || rc=1
	kill "$pid2" 2>/dev/null
	wait "$pid2"
	wait "$pid1" || { rc=1; grep -iE 'verify|err' /tmp/ns1.fio | head -n 5 | sed 's/^/# /'; }
	msg "disable took $((t1 - t0)) s (rc $rc); table: $(grep -c '^  nsid' "$SIM/ns_tables") entries"
	return $rc
}
check "nsid 2 disabled under I/O with late updates: returns within 20 s, out of the table, nsid 1 verify clean" disabled

# 14, reported at the end
PERIOD=/sys/module/nvmet_offload/parameters/ns_period_ms
on_aen() {
	local t0 rc=0
	echo 30000 >"$PERIOD" || return 1
	sleep 1		# the period in force: the work queued at 100 ms ran
	t0=$SECONDS
	nvmet_ns_enable "$NQN" 2 || rc=1
	wait_for 5 tbl_has 2 || { msg "nsid 2 enabled: not in the table within 5 s"; rc=1; }
	msg "nsid 2 enabled: in the table after $((SECONDS - t0)) s"
	t0=$SECONDS
	truncate -s 64M "$IMG" && losetup -c "$LOOP" &&
		_nvo_write "$NVMET_CFS/subsystems/$NQN/namespaces/2/revalidate_size" 1 || rc=1
	wait_for 5 tbl_bytes_is 2 $((64 << 20)) ||
		{ msg "nsid 2 grown: the table has $(tbl_bytes 2) bytes 5 s later"; rc=1; }
	msg "nsid 2 grown to 64 MiB: in the table after $((SECONDS - t0)) s"
	echo 100 >"$PERIOD"
	return $rc
}
NS_AEN=fail
on_aen && NS_AEN=pass

# 8
detached() {
	host_disconnect "$NQN" >/dev/null
	wait_for 15 tbl_empty
}
check "host gone: the table is detached" detached

# 9
declined() {
	local dev c0 c1 rc=0
	echo 1 >"$SIM/ns_table_decline" || return 1
	host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null || return 1
	dev=$(host_ns_dev "$NQN" 1) || return 1
	oq_wait_all offloaded || { msg "queues: $(oq_states | tr '\n' ' ')"; rc=1; }
	c0=$(nic_cmds) || { msg "no nicsim1 counters"; rc=1; }
	quiet fio_verify "$dev" --size=4M --iodepth=8 || rc=1
	c1=$(nic_cmds)
	msg "ns_tables: $(wc -l <"$SIM/ns_tables") lines; nicsim1 commands ${c0:-?} -> ${c1:-?}"
	tbl_empty || rc=1
	[ $((c1 - c0)) -ge 2048 ] || rc=1
	host_disconnect "$NQN" >/dev/null
	echo 0 >"$SIM/ns_table_decline"
	return $rc
}
check "a device that declines tables: offloaded all the same, no table, its I/O resolved per command (v1)" declined

# 10
errs=$(dmesg_grep_since_mark "error, dev ${NS1##*/},|WARNING|BUG" | head -n 5)
if [ -z "$errs" ]; then
	ktap_test_pass "no I/O error on nsid 1 in the kernel log"
else
	ktap_test_fail "no I/O error on nsid 1 in the kernel log"
	printf '%s\n' "$errs" | sed 's/^/# /'
fi

# 11, 12
"ktap_test_$NL_FULL" "nicctl ns-table show with the table full (2): nsid 1 in-device with debugfs's size, nsid 2 refused"
"ktap_test_$NL_ADDED" "nicctl ns-table show after the retry (3): nsid 2 in-device with debugfs's size"
"ktap_test_$NS_FAILED" "the device's back end fails for nsid 2 under fio verify: reported, removed (nicctl: failed), punted and clean, queues offloaded, not retried; back after a disable and enable"
"ktap_test_$NS_AEN" "the reconcile at 30 s: nsid 2 enabled, then grown, reaches the table within 5 s (the namespace notice starts it)"

ktap_finished
