#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 600
# (~60 s on Debian's kernel; its 86 nvme connects take ~7 s each on the
# debug kernel of scripts/debug-kernel.sh, whose budget is 3x this one)
#
# netlink_family.sh - the nvmet_offload generic netlink family, through the
# raw client nl_raw (selftests/tools/nl_raw.c). The family resolves with
# its ops, flags and monitor group; port, queue, device and stats replies
# agree with debugfs; bad requests (unknown port or queue, unknown or
# misplaced attributes, wrong types, oversized strings, truncated messages,
# missing attributes, an unknown device for ns-table-get) each get an errno with an extack message and leave
# no kernel warning; an unprivileged caller gets EPERM for every request
# and cannot join the monitor group; with nicsim: devices, port policy, queue hand-overs, counters
# and their events; and a dump of many queues (NVO_NL_QUEUES, default
# 256) lists each exactly once over several messages, also while
# controllers come and go.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/ktap.sh
. "$DIR/lib/ktap.sh"
# shellcheck source=lib/nvmet.sh
. "$DIR/lib/nvmet.sh"

NQN=nqn.2014-08.io.nvmet-offload:netlink
DBG=/sys/kernel/debug/nvmet_offload
SIMBUS=/sys/bus/nicsim
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
NL_QUEUES=${NVO_NL_QUEUES:-256}
TMP=$(mktemp -d)
MON_PID=

msg() { ktap_print_msg "$*"; }

cleanup() {
	[ -n "$MON_PID" ] && kill "$MON_PID" 2>/dev/null
	nvme disconnect-all >/dev/null 2>&1
	nvmet_cleanup >/dev/null 2>&1
	if [ -d "$SIMBUS" ]; then
		echo 1 >"$SIMBUS/del_device" 2>/dev/null
		echo 2 >"$SIMBUS/del_device" 2>/dev/null
	fi
	rmmod nicsim 2>/dev/null
	nvmet_transport_unload >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# field LINE NAME: the value of NAME=... in a reply line, or nothing.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# Queues as "id port ctrl qid cpu state dev-id transport": from a dump (stdin) and
# from debugfs, the device translated to its id, "returning" as the spec's
# "reclaiming", "-" for what is absent.
nl_queues_norm() {
	awk '{
		delete f
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print f["id"], f["port-id"], ("ctrl-id" in f) ? f["ctrl-id"] : -1,
		      f["qid"], f["cpu"], f["state"], ("dev-id" in f) ? f["dev-id"] : "-",
		      f["transport"]
	}' | sort -n
}

dbg_queues_norm() {
	local devmap
	devmap=$(awk 'NR > 1 { print $2, $1 }' "$DBG/devices" 2>/dev/null)
	awk -v devmap="$devmap" 'BEGIN {
		n = split(devmap, d, /[ \n]/)
		for (i = 1; i < n; i += 2) id[d[i]] = d[i + 1]
	}
	NR > 1 {
		st = $16 == "returning" ? "reclaiming" : $16
		print $1, $2, $3, $4, $6, st, ($17 in id) ? id[$17] : "-", "tcp"
	}' "$DBG/queues" | sort -n
}

# The queue dump equals debugfs (retried: queues move while we look).
queues_match() {
	local i
	for i in 1 2 3 4 5; do
		nl_raw -d queue-get | nl_queues_norm >"$TMP/nlq" || return 1
		dbg_queues_norm >"$TMP/dbgq"
		if cmp -s "$TMP/nlq" "$TMP/dbgq"; then
			return 0
		fi
		sleep 0.5
	done
	msg "queue dump and debugfs differ:"
	diff "$TMP/nlq" "$TMP/dbgq" | head -20 | sed 's/^/# /'
	return 1
}

# expect_err ERRNO nl_raw-ARGS...: the request fails with ERRNO and an
# extack message (the reply line goes to the log).
expect_err() {
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	msg "$* -> $out"
	[ $rc -eq 2 ] || { msg "exit status $rc, not 2"; return 1; }
	grep -q "^error=$want " <<<"$out" || return 1
	grep -q ' msg="[^"]' <<<"$out" || { msg "no extack message"; return 1; }
}

# expect_errno ERRNO CMD...: as expect_err, for errors the core makes
# without a message (GENL_ADMIN_PERM's EPERM).
expect_errno() {
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	msg "$* -> $out"
	[ $rc -eq 2 ] && grep -q "^error=$want " <<<"$out"
}

# mon_start: the monitor group, joined, recorded in $TMP/mon until mon_stop.
mon_start() {
	local i
	rm -f "$TMP/mon" "$TMP/mon.ready"
	nl_raw --events 100000 --timeout 300 --ready "$TMP/mon.ready" monitor \
		>"$TMP/mon" 2>&1 &
	MON_PID=$!
	for i in $(seq 100); do
		[ -e "$TMP/mon.ready" ] && return 0
		sleep 0.05
	done
	msg "the monitor did not join its group"
	return 1
}

# mon_wait_for REGEX [SECS]: an event line matching REGEX arrived.
mon_wait_for() {
	local i
	for i in $(seq $((${2:-10} * 10))); do
		grep -Eq "$1" "$TMP/mon" && return 0
		sleep 0.1
	done
	msg "no event matching /$1/; got:"
	sed 's/^/# /' "$TMP/mon"
	return 1
}

mon_stop() {
	[ -n "$MON_PID" ] && kill "$MON_PID" 2>/dev/null
	wait "$MON_PID" 2>/dev/null
	MON_PID=
}

# wait_queue_states STATE: every I/O queue of port 1 is in STATE (10 s).
wait_queue_states() {
	local i
	for i in $(seq 100); do
		if ! nl_raw -d queue-get port-id=1 |
			awk -v s="$1" '$0 !~ / qid=0 / && $0 !~ (" state=" s "( |$)") { bad = 1 }
				END { exit !bad }'; then
			return 0
		fi
		sleep 0.1
	done
	nl_raw -d queue-get port-id=1 | sed 's/^/# /'
	return 1
}

# ---- the family -------------------------------------------------------------

t_family() {
	local out ops
	out=$(nl_raw family) || return 1
	msg "$out"
	ops=$(field "$out" ops)
	for op in dev-get:do+dump+admin port-get:do+dump+admin port-set:do+admin \
		queue-get:do+dump+admin queue-set:do+admin stats-get:do+dump+admin \
		stats-reset:do+admin ns-table-get:+dump+admin; do
		grep -q "\(^\|,\)$op\(,\|$\)" <<<"$ops" || { msg "missing op $op"; return 1; }
	done
	grep -q ' mcast=monitor:[0-9]' <<<"$out"
}

# ---- ports ------------------------------------------------------------------

t_ports() {
	local id line want got
	nl_raw -d port-get >"$TMP/ports" || return 1
	sed 's/^/# /' "$TMP/ports"
	[ "$(wc -l <"$TMP/ports")" -eq 2 ] || return 1
	for id in 1 2; do
		line=$(grep " id=$id " "$TMP/ports")
		want="$(cat "$NVMET_CFS/ports/$id/addr_traddr") $(cat "$NVMET_CFS/ports/$id/addr_trsvcid") $(cat "$NVMET_CFS/ports/$id/addr_adrfam") off $(cat "$NVMET_CFS/ports/$id/addr_trtype")"
		got="$(field "$line" traddr) $(field "$line" trsvcid) $(field "$line" adrfam) $(field "$line" policy) $(field "$line" transport)"
		[ "$want" = "$got" ] || { msg "port $id: want '$want', got '$got'"; return 1; }
		[ "$(nl_raw port-get id=$id)" = "$line" ] || { msg "port-get id=$id differs from the dump"; return 1; }
	done
}

# ---- queues -----------------------------------------------------------------

t_queues() {
	local ctrl
	queues_match || return 1
	sed 's/^/# /' "$TMP/nlq"
	ctrl=$(awk '$3 != -1 { print $3; exit }' "$TMP/nlq")
	[ -n "$ctrl" ] || return 1
	# one controller, admin + 2 I/O queues, with its NQNs
	[ "$(nl_raw -d queue-get ctrl-id="$ctrl" | grep -c " subsysnqn=$NQN\( \|$\)")" -eq 3 ]
}

# In-flight counts move between two looks.
no_inflight() { sed 's/ inflight=[0-9]*//'; }

t_queue_do() {
	local id line
	nl_raw -d queue-get >"$TMP/qdump" || return 1
	while read -r line; do
		id=$(field "$line" id)
		[ "$(nl_raw queue-get id="$id" | no_inflight)" = \
		  "$(no_inflight <<<"$line")" ] ||
			{ msg "queue-get id=$id differs from the dump"; return 1; }
	done <"$TMP/qdump"
}

t_queue_filters() {
	local all p1 p2 none
	all=$(nl_raw -d queue-get | wc -l)
	p1=$(nl_raw -d queue-get port-id=1 | wc -l)
	p2=$(nl_raw -d queue-get port-id=2 | wc -l)
	none=$(nl_raw -d queue-get dev-id=4242 | wc -l)
	msg "all=$all port1=$p1 port2=$p2 dev4242=$none"
	[ "$all" -gt 0 ] && [ $((p1 + p2)) -eq "$all" ] && [ "$none" -eq 0 ] &&
		! nl_raw -d queue-get port-id=1 | grep -v -q ' port-id=1 '
}

t_stats() {
	local n out
	n=$(nl_raw -d queue-get | wc -l)
	[ "$(nl_raw -d stats-get scope=queue | grep -c ' counters.write-cmds=')" -eq "$n" ] ||
		return 1
	[ "$(nl_raw -d stats-get scope=port | grep -c '^stats-get scope=port port-id=[12] ')" -eq 2 ] ||
		return 1
	out=$(nl_raw stats-get scope=queue queue-id=1) || return 1
	[ "$(field "$out" counters.lat-hist.bucket | tr ',' '\n' | wc -l)" -eq 24 ] &&
		nl_raw stats-reset scope=port port-id=1 &&
		nl_raw stats-reset
}

# ---- bad input --------------------------------------------------------------

BAD_TESTS=(
	"unknown port|ENOENT|port-get id=4242"
	"bad queue id (get)|ENOENT|queue-get id=999999"
	"bad queue id (set)|ENOENT|queue-set id=999999 offload=on"
	"unknown controller (set)|ENOENT|queue-set ctrl-id=4242 offload=on"
	"unknown attribute type (strict)|EINVAL|port-get id=1 @99:u32=1"
	"attribute outside the op's policy|EINVAL|-d queue-get @5:str=x"
	"wrong attribute type (u8 for u32)|EINVAL|port-get @1:u8=1"
	"wrong attribute type (u64 for u32)|EINVAL|queue-set @1:u64=1 offload=on"
	"oversized string|EINVAL|dev-get name=nicsim-with-a-name-longer-than-31-bytes"
	"string without its NUL|EINVAL|dev-get @2:strn=nicsim1"
	"enum value out of range|ERANGE|port-set id=1 policy=7"
	"truncated message (attribute cut)|EINVAL|--trunc 2 port-get id=1"
	"missing required attribute|EINVAL|port-get"
	"missing offload direction|EINVAL|queue-set id=1"
	"dump filter in a do request|EINVAL|queue-get id=1 port-id=1"
	"selector in a dump request|EINVAL|-d port-get id=1"
	"admin queue is not offloadable|EINVAL|queue-set id=%A offload=on"
	"offload with no device bound|EINVAL|queue-set id=%I offload=on"
	"policy on with no device|EINVAL|port-set id=1 policy=on"
	"unknown device (port-set)|ENODEV|port-set id=1 policy=on dev-name=nosuchdev"
	"unknown device (dev-get)|ENODEV|dev-get id=4242"
	"device id 0 is never a device|ERANGE|dev-get id=0"
	"namespace scope without its namespace id|EINVAL|stats-get scope=namespace port-id=1"
	"namespace no offloaded queue reached|ENOENT|stats-get scope=namespace port-id=1 nsid=77"
	"namespace filter in a stats dump|EINVAL|-d stats-get scope=namespace nsid=1"
	"stats scope without its id|EINVAL|stats-get scope=queue"
	"unknown device (ns-table-get)|ENODEV|-d ns-table-get dev-id=4242"
	"device id 0 (ns-table-get)|ERANGE|-d ns-table-get dev-id=0"
	"attribute outside the op's policy (ns-table-get)|EINVAL|-d ns-table-get @2:str=x"
	"wrong attribute type (ns-table-get, u8 for u32)|EINVAL|-d ns-table-get @1:u8=1"
)

# %A: an admin queue, %I: an I/O queue
t_bad() {
	local name=$1 errno=$2 args=$3
	args=${args//%A/$ADMINQ}
	args=${args//%I/$IOQ}
	# shellcheck disable=SC2086 # the arguments are words
	expect_err "$errno" nl_raw $args
}

t_no_splat() {
	! dmesg_since_mark | grep -E 'WARNING:|BUG:|Call Trace|general protection' |
		sed 's/^/# /' | grep -q .
}

# ---- privileges -------------------------------------------------------------

# Replies and events name the hosts: without CAP_NET_ADMIN nothing is told,
# neither by a request (do or dump) nor through the monitor group.
t_unprivileged() {
	local ok=0 d out
	expect_errno EPERM "${NOBODY[@]}" nl_raw port-set id=1 policy=off || ok=1
	expect_errno EPERM "${NOBODY[@]}" nl_raw queue-set id=1 offload=off || ok=1
	expect_errno EPERM "${NOBODY[@]}" nl_raw stats-reset || ok=1
	expect_errno EPERM "${NOBODY[@]}" nl_raw port-get id=1 || ok=1
	expect_errno EPERM "${NOBODY[@]}" nl_raw queue-get id=0 || ok=1
	for d in dev-get port-get queue-get stats-get ns-table-get; do
		expect_errno EPERM "${NOBODY[@]}" nl_raw -d $d || ok=1
	done
	# root still can: the refusal is the caller's, not the family's
	[ "$(nl_raw -d queue-get | wc -l)" -gt 0 ] || { msg "root's queue dump is empty"; ok=1; }
	out=$("${NOBODY[@]}" nl_raw monitor --events 1 --timeout 2 2>&1) &&
		{ msg "unprivileged monitor joined: $out"; ok=1; }
	grep -q 'joining the monitor group: Operation not permitted' <<<"$out" ||
		{ msg "unprivileged monitor: $out"; ok=1; }
	return $ok
}

# ---- with an offload device -------------------------------------------------

t_dev_add() {
	local line want got d
	mon_start || return 1
	echo "1 2" >"$SIMBUS/new_device" || return 1
	mon_wait_for '^dev-add id=[0-9]+ name=nicsim1 ' || return 1
	line=$(nl_raw -d dev-get | grep ' name=nicsim1 ') || return 1
	msg "$line"
	# debugfs: id name queues max_queues io_opcodes max_io_size
	read -r -a d < <(awk '$2 == "nicsim1"' "$DBG/devices")
	want="${d[0]} ${d[1]} ${d[2]} ${d[3]} $((d[4])) ${d[5]}"
	got="$(field "$line" id) $(field "$line" name) $(field "$line" nr-queues) $(field "$line" caps.max-queues) $(field "$line" caps.io-opcodes) $(field "$line" caps.max-io-size)"
	[ "$want" = "$got" ] || { msg "debugfs '$want', netlink '$got'"; return 1; }
	[ "$(nl_raw dev-get name=nicsim1)" = "$line" ] &&
		[ "$(nl_raw dev-get id="$(field "$line" id)")" = "$line" ]
}

t_port_on() {
	local dev
	dev=$(field "$(nl_raw dev-get name=nicsim1)" id)
	nl_raw port-set id=1 policy=on dev-name=nicsim1 || return 1
	mon_wait_for "^port-policy-changed id=1 .* policy=on .*dev-id=$dev dev-name=nicsim1" || return 1
	mon_wait_for "^queue-offloaded id=[0-9]+ .* state=offloaded .*dev-id=$dev" || return 1
	wait_queue_states offloaded || return 1
	[ "$(field "$(nl_raw port-get id=1)" dev-name)" = nicsim1 ] && queues_match
}

# The namespace table nicsim1 holds, as the shim's dump and the device's
# debugfs show it: one table, the subsystem's nsid 1, in the device with
# the device's size; a dump of every device's tables holds it too.
t_ns_table() {
	local dev line dbg
	dev=$(field "$(nl_raw dev-get name=nicsim1)" id)
	line=$(nl_raw -d ns-table-get dev-id="$dev") || return 1
	msg "$line"
	dbg=$(awk '$1 == "nsid" && $2 == 1 { print $4 }' /sys/kernel/debug/nicsim/nicsim1/ns_tables)
	[ "$(wc -l <<<"$line")" -eq 1 ] &&
		[ "$(field "$line" subsysnqn) $(field "$line" state)" = "$NQN attached" ] &&
		[ "$(field "$line" entry.nsid) $(field "$line" entry.state)" = "1 in-device" ] &&
		[ -n "$dbg" ] && [ "$(field "$line" entry.nr-blocks)" = "$dbg" ] ||
		{ msg "debugfs: nsid 1 blocks ${dbg:-none}"; return 1; }
	nl_raw -d ns-table-get | grep -qxF "$line"
}

# ns_entries DEV: "MESSAGES ENTRIES DISTINCT" of DEV's ns-table-get dump.
ns_entries() {
	local out
	out=$(nl_raw -d ns-table-get dev-id="$1") || return 1
	echo "$(grep -c . <<<"$out") $(grep -o ' entry\.nsid=[0-9]*' <<<"$out" | wc -l) $(grep -o ' entry\.nsid=[0-9]*' <<<"$out" | sort -u | wc -l)"
}

# A table longer than one snapshot (NVO_NS_SNAP_ENTRIES, 32): 40 more
# namespaces on the same null_blk make 41 entries, which come in two
# messages, each nsid once; nicctl joins them into one table. The extra
# namespaces go again afterwards.
t_ns_table_long() {
	local dev n got ok=0 j
	dev=$(field "$(nl_raw dev-get name=nicsim1)" id)
	for ((n = 2; n <= 41; n++)); do
		nvmet_ns_create "$NQN" "$n" "$NULLB" || return 1
	done
	for ((n = 0; n < 50; n++)); do
		got=$(ns_entries "$dev") || return 1
		[ "${got#* }" = "41 41" ] && break
		sleep 0.2
	done
	msg "dump of 41 namespaces: messages, entries, distinct nsids: $got"
	[ "$got" = "2 41 41" ] || ok=1
	j=$(nicctl -j ns-table show dev nicsim1) || ok=1
	[ "$(grep -o '"subsys_id"' <<<"$j" | wc -l) $(grep -o '"nsid":' <<<"$j" | wc -l)" = "1 41" ] ||
		{ msg "nicctl: $(grep -o '"subsys_id"' <<<"$j" | wc -l) tables, $(grep -o '"nsid":' <<<"$j" | wc -l) entries"; ok=1; }
	for ((n = 2; n <= 41; n++)); do
		nvmet_ns_disable "$NQN" "$n" && rmdir "$NVMET_CFS/subsystems/$NQN/namespaces/$n" || ok=1
	done
	for ((n = 0; n < 50; n++)); do
		[ "$(ns_entries "$dev")" = "1 1 1" ] && break
		sleep 0.2
	done
	[ "$(ns_entries "$dev")" = "1 1 1" ] || { msg "after the removal: $(ns_entries "$dev")"; ok=1; }
	return $ok
}

# sum_dbg: "read-cmds write-cmds" over the I/O queues in debugfs (since
# each queue appeared, over every device it was on).
sum_dbg() { awk 'NR > 1 { w += $4; r += $2 } END { print r + 0, w + 0 }' "$DBG/offload_stats"; }

t_offload_counters() {
	local ns dev nl ns1 d0 d1 want
	dev=$(field "$(nl_raw dev-get name=nicsim1)" id)
	ns=$(host_ns_dev "$NQN" 1) || return 1
	nl_raw stats-reset scope=device dev-id="$dev" &&
		nl_raw stats-reset scope=namespace port-id=1 nsid=1 || return 1
	d0=$(sum_dbg)
	dd if=/dev/zero of="$ns" bs=4k count=64 oflag=direct 2>/dev/null || return 1
	dd if="$ns" of=/dev/null bs=4k count=32 iflag=direct 2>/dev/null || return 1
	d1=$(sum_dbg)
	want="$(( ${d1% *} - ${d0% *} )) $(( ${d1#* } - ${d0#* } ))"
	nl=$(nl_raw stats-get scope=device dev-id="$dev") || return 1
	ns1=$(nl_raw stats-get scope=namespace port-id=1 nsid=1) || return 1
	msg "since the resets: device read/write cmds $(field "$nl" counters.read-cmds) $(field "$nl" counters.write-cmds), namespace $(field "$ns1" counters.read-cmds) $(field "$ns1" counters.write-cmds), debugfs $want"
	# one namespace, every queue on nicsim1: all three agree
	[ "$(field "$nl" counters.read-cmds) $(field "$nl" counters.write-cmds)" = "$want" ] &&
		[ "$(field "$ns1" counters.read-cmds) $(field "$ns1" counters.write-cmds)" = "$want" ] &&
		[ "$(field "$ns1" subsysnqn)" = "$NQN" ] &&
		[ "$(field "$nl" counters.write-cmds)" -ge 64 ] || return 1
	# a reset of the device leaves the namespace's counters alone
	nl_raw stats-reset scope=device dev-id="$dev" &&
		[ "$(field "$(nl_raw stats-get scope=device dev-id="$dev")" counters.write-cmds)" -eq 0 ] &&
		[ "$(field "$(nl_raw stats-get scope=namespace port-id=1 nsid=1)" counters.write-cmds)" = "${want#* }" ] &&
		[ "$(nl_raw -d stats-get scope=namespace port-id=1 | grep -c ' nsid=1 ')" -eq 1 ]
}

t_queue_toggle() {
	local ctrl dev q
	dev=$(field "$(nl_raw dev-get name=nicsim1)" id)
	ctrl=$(field "$(nl_raw -d queue-get port-id=1 | head -n1)" ctrl-id)
	nl_raw queue-set ctrl-id="$ctrl" offload=off || return 1
	# the move timed in the kernel, from the request to the state reached
	mon_wait_for '^queue-reclaimed id=[0-9]+ .* state=software .*move-us=[1-9][0-9]*' || return 1
	wait_queue_states software || return 1
	[ -z "$(nl_raw -d queue-get dev-id="$dev")" ] || return 1
	q=$(field "$(nl_raw -d queue-get ctrl-id="$ctrl" | grep -v ' qid=0 ' | head -n1)" id)
	nl_raw queue-set id="$q" offload=on || return 1
	mon_wait_for "^queue-offloaded id=$q .*move-us=[1-9][0-9]*" || return 1
	nl_raw queue-set ctrl-id="$ctrl" qid=1 offload=on &&
		nl_raw queue-set ctrl-id="$ctrl" offload=on &&
		wait_queue_states offloaded
}

# port_is ID POLICY DEV: port-get says so (DEV "-": none bound).
port_is() {
	local line
	line=$(nl_raw port-get id="$1") || return 1
	[ "$(field "$line" policy) $(field "$line" dev-name)" = "$2 ${3#-}" ] ||
		{ msg "$line"; return 1; }
}

t_port_busy() {
	echo "2 1" >"$SIMBUS/new_device" || return 1
	expect_err EBUSY nl_raw port-set id=1 dev-name=nicsim2 || return 1
	expect_err EBUSY nl_raw port-set id=1 policy=on dev-name=nicsim2 || return 1
	expect_err EBUSY nl_raw port-set id=1 dev-id=0 || return 1
	# a device bound with the policy off, then on, then off and unbound
	nl_raw port-set id=2 dev-name=nicsim2 && port_is 2 off nicsim2 &&
		nl_raw port-set id=2 policy=on && port_is 2 on nicsim2 &&
		nl_raw port-set id=2 policy=off && port_is 2 off nicsim2 &&
		nl_raw port-set id=2 dev-id=0 && port_is 2 off - || return 1
	# nicctl's move of a port that stays on: off with the new device, on
	nl_raw port-set id=1 policy=off dev-name=nicsim2 && port_is 1 off nicsim2 &&
		wait_queue_states software &&
		nl_raw port-set id=1 policy=on && port_is 1 on nicsim2 &&
		wait_queue_states offloaded || return 1
	[ -n "$(nl_raw -d queue-get port-id=1 dev-id="$(field "$(nl_raw dev-get name=nicsim2)" id)")" ] ||
		return 1
	nl_raw port-set id=1 policy=off dev-name=nicsim1 &&
		nl_raw port-set id=1 policy=on && port_is 1 on nicsim1 &&
		wait_queue_states offloaded
}

t_dev_del() {
	echo 1 >"$SIMBUS/del_device" || return 1
	mon_wait_for '^dev-del id=[0-9]+ name=nicsim1' 20 || return 1
	mon_wait_for '^queue-fallback .* fallback-reason=dev-removed' || return 1
	mon_wait_for '^port-policy-changed id=1 .* policy=off' || return 1
	wait_queue_states software || return 1
	! nl_raw -d dev-get | grep -q ' name=nicsim1 ' && queues_match
}

# ---- many queues ------------------------------------------------------------

# host_connect_as N ARGS...: controller number N on port 2, which listens
# on 0.0.0.0: each goes to its own loopback address, since nvme-cli takes
# a second connection to one address for a duplicate whatever -D says.
host_connect_as() {
	local n=$1
	shift
	timeout 60 host_connect "$NQN" "127.0.$((n / 250)).$((n % 250 + 2))" 4421 \
		"$@" >/dev/null
}

# connect_many TOTAL: controllers on port 2 until the transport has TOTAL
# queues. Each brings 1 + min(8, CPUs) queues (the host makes no
# more I/O queues than CPUs; write or poll queues beyond them cannot
# connect); small queues keep memory low.
connect_many() {
	local total=$1 n h=0
	while :; do
		n=$(nl_raw -d --count queue-get | sed -n 's/objects=\([0-9]*\).*/\1/p')
		[ "$n" -ge "$total" ] && break
		h=$((h + 1))
		host_connect_as "$h" --nr-io-queues=8 --queue-size=16 || return 1
	done
	msg "$n queues, $(host_ctrls | wc -l) controllers"
}

t_many() {
	local out n dbg
	connect_many "$NL_QUEUES" || return 1
	out=$(nl_raw -d --count queue-get) || return 1
	msg "count dump: $out"
	nl_raw -d queue-get | nl_queues_norm >"$TMP/many" || return 1
	n=$(wc -l <"$TMP/many")
	dbg=$(($(wc -l <"$DBG/queues") - 1))
	msg "dump: $n queues, debugfs: $dbg"
	[ "$n" -ge "$NL_QUEUES" ] && [ "$n" -eq "$dbg" ] || return 1
	# each queue exactly once, and the same set as debugfs
	[ -z "$(awk '{ print $1 }' "$TMP/many" | uniq -d)" ] || { msg "duplicates"; return 1; }
	[ "$(awk '{ print $1 }' "$TMP/many")" = "$(dbg_queues_norm | awk '{ print $1 }')" ] || return 1
	# more than one message
	[ "$(sed -n 's/.*datagrams=\([0-9]*\).*/\1/p' <<<"$out")" -gt 1 ]
}

# The host's controllers, oldest first.
host_ctrls() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c" ] && echo "${c##*/nvme}"
	done | sort -n | sed 's/^/nvme/'
}

# "id:ctrl" of the queues in debugfs that have a controller.
dbg_keys() { awk 'NR > 1 && $3 != -1 { print $1 ":" $3 }' "$DBG/queues" | sort; }

# Dumps while controllers go away and others come: no queue twice, and
# every queue that lived through a dump (same id and controller in debugfs
# before and after it) in it.
t_churn() {
	local i ok=0 pid c
	(
		rc=0
		for c in $(host_ctrls | tail -n 12); do
			nvme disconnect -d "$c" >/dev/null || { echo "# disconnect $c failed"; rc=1; }
		done
		for c in 1001 1002 1003 1004; do
			host_connect_as "$c" --queue-size=16 || { echo "# connect as $c failed"; rc=1; }
		done
		exit $rc
	) &
	pid=$!
	for i in $(seq 60); do
		dbg_keys >"$TMP/before"
		nl_raw -d queue-get >"$TMP/churn" || ok=1
		dbg_keys >"$TMP/after"
		if [ -n "$(nl_queues_norm <"$TMP/churn" | awk '{ print $1 }' | uniq -d)" ]; then
			msg "dump $i listed a queue twice"
			ok=1
		fi
		nl_queues_norm <"$TMP/churn" | awk '$3 != -1 { print $1 ":" $3 }' >"$TMP/churn.keys"
		if [ -n "$(awk 'FILENAME == ARGV[1] { b[$0] = 1; next }
				FILENAME == ARGV[2] { if ($0 in b) both[$0] = 1; next }
				{ seen[$0] = 1 }
				END { for (k in both) if (!(k in seen)) print k }' \
				"$TMP/before" "$TMP/after" "$TMP/churn.keys")" ]; then
			msg "dump $i missed a queue alive before and after it"
			ok=1
		fi
		kill -0 "$pid" 2>/dev/null || break
	done
	wait "$pid" || { msg "the churn's connects or disconnects failed"; ok=1; }
	msg "$i dumps under churn; $(wc -l <"$TMP/churn") queues in the last"
	return $ok
}

# ---- main -------------------------------------------------------------------

ktap_print_header
ktap_set_plan $((18 + ${#BAD_TESTS[@]}))

nvmet_transport_load || ktap_exit_fail_msg "cannot load our transport"
command -v nl_raw >/dev/null || ktap_exit_fail_msg "nl_raw is not built (selftests/tools)"
dev=$(nullb_create 1) || ktap_exit_fail_msg "no null_blk"
NULLB=$dev
{ nvmet_subsys_create "$NQN" && nvmet_ns_create "$NQN" 1 "$dev" &&
	nvmet_port_create 1 127.0.0.1 4420 &&
	nvmet_port_create 2 0.0.0.0 4421 &&
	nvmet_port_link 1 "$NQN" && nvmet_port_link 2 "$NQN"; } ||
	ktap_exit_fail_msg "target setup failed"

ktap_test_result "family resolves with its ops, flags and monitor group" t_family
ktap_test_result "port dump and port-get agree with configfs" t_ports
timeout 60 host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null ||
	ktap_exit_fail_msg "cannot connect"
host_ns_dev "$NQN" 1 >/dev/null || ktap_exit_fail_msg "no namespace on the host"
ktap_test_result "queue dump agrees with debugfs" t_queues
ktap_test_result "queue-get of each queue equals its dump entry" t_queue_do
ktap_test_result "queue dump filters by port and device" t_queue_filters
ktap_test_result "stats per queue and port, stats-reset" t_stats

ADMINQ=$(field "$(nl_raw -d queue-get | grep -m1 ' qid=0 ')" id)
IOQ=$(field "$(nl_raw -d queue-get | grep -m1 -v ' qid=0 ')" id)
dmesg_mark
for t in "${BAD_TESTS[@]}"; do
	IFS='|' read -r name errno args <<<"$t"
	ktap_test_result "bad input: $name -> $errno with extack" t_bad "$name" "$errno" "$args"
done
ktap_test_result "bad input left no kernel warning" t_no_splat
ktap_test_result "unprivileged: every request EPERM, monitor join refused" t_unprivileged

NICSIM_TESTS=(
	"dev-add event; device dump agrees with debugfs|t_dev_add"
	"port-set policy on: event, queues offloaded with events|t_port_on"
	"ns-table-get: nicsim1's namespace table agrees with its debugfs|t_ns_table"
	"ns-table-get: a table of 41 namespaces in two messages, each once; nicctl joins them|t_ns_table_long"
	"device and namespace counters agree with debugfs; resets are per object|t_offload_counters"
	"queue-set: a controller reclaimed, queues offloaded by id, ctrl+qid, ctrl|t_queue_toggle"
	"port-set: device change while on is EBUSY; bind while off; moves|t_port_busy"
	"device removal: dev-del, fallback and port events, queues in software|t_dev_del"
)
if [ -f "$NVO_MODULES/nicsim.ko" ] && insmod "$NVO_MODULES/nicsim.ko"; then
	for t in "${NICSIM_TESTS[@]}"; do
		ktap_test_result "nicsim: ${t%%|*}" "${t##*|}"
	done
	mon_stop
else
	for t in "${NICSIM_TESTS[@]}"; do
		ktap_test_skip "nicsim: ${t%%|*}" "nicsim.ko is not built"
	done
fi

ktap_test_result "dump of >= $NL_QUEUES queues: complete, each once, several messages" t_many
ktap_test_result "dumps under controller churn: no queue twice or missed" t_churn
ktap_finished
