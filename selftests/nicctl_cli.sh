#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nicctl_cli.sh - the admin tool nicctl against the real modules (our
# transport, nicsim devices nicsim1 with 2 engines and nicsim2 with 1, a
# null_blk namespace on port 1 (127.0.0.1:4420) and port 2 ([::1]:4421),
# one host controller with 2 I/O queues on port 1). Every command, in the
# iproute2 grammar (keywords, prefixes, help, -b batch; the older --options
# as aliases): dev show, port show, port set, queue show (filters), queue
# set (a queue by id, ctrl CTRL qid QID, a controller), stats show (scopes,
# objects, kernel-side dev/port filters, watch/count/delta/rate,
# -o prometheus), stats reset, monitor (in the background: a reclaim then an
# offload; -ts, event and object filters), -v/-vv, config save/restore
# (reproduces the state; twice sends nothing; atomic; wait SECS);
# the -j output of each parses as JSON (tools/json_check.c); the counters
# after a fio job of N 4k writes on the offloaded queues move by exactly N
# blocks; an unprivileged caller can neither show nor change anything
# (exit 2, state unchanged); bad input exits 1 (usage) or 2 (the kernel's
# refusal, with its message) and changes nothing; with the module unloaded
# every command exits 3 with a hint.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/ktap.sh
. "$DIR/lib/ktap.sh"
# shellcheck source=lib/nvmet.sh
. "$DIR/lib/nvmet.sh"
# shellcheck source=lib/nl_monitor.sh
. "$DIR/lib/nl_monitor.sh"

NQN=nqn.2014-08.io.nvmet-offload:nicctl-cli
DBG=/sys/kernel/debug/nvmet_offload
SIMBUS=/sys/bus/nicsim
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
FIO_BLOCKS=512		# 4k writes of the counted fio job (2 MiB)
HINT='modprobe nvmet_offload'
TMP=$(mktemp -d)
chmod 755 "$TMP"	# nobody reads the saved configurations
MON_PIDS=()
CTRL=
NS=

msg() { ktap_print_msg "$*"; }

cleanup() {
	local p
	for p in "${MON_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
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

# ---- helpers ----------------------------------------------------------------

# run CMD...: stdout in $TMP/out, stderr in $TMP/err, exit status in $RC.
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

show_out() {
	sed 's/^/#   out: /' "$TMP/out" | head -n "${1:-20}"
	sed 's/^/#   err: /' "$TMP/err" | head -n "${1:-20}"
}

# ok CMD...: CMD exits 0 (else its output goes to the log).
ok() {
	run "$@"
	[ "$RC" -eq 0 ] && return 0
	msg "'$*' exited $RC"
	show_out
	return 1
}

# expect_rc STATUS REGEX CMD...: CMD exits STATUS and its stderr matches
# REGEX (extended; "" for anything).
expect_rc() {
	local want=$1 re=$2
	shift 2
	run "$@"
	msg "$* -> $RC: $(head -n 1 "$TMP/err")"
	if [ "$RC" -ne "$want" ]; then
		msg "exit status $RC, want $want"
		show_out
		return 1
	fi
	if [ -n "$re" ] && ! grep -Eq -- "$re" "$TMP/err"; then
		msg "stderr does not match /$re/"
		show_out
		return 1
	fi
}

# jrows: the objects of a compact JSON array (stdin) of devices, ports,
# queues (first key "id") or counters ("scope"), one a line.
jrows() { sed -E 's/^\[//; s/\]$//; s/\},\{"(id|scope)":/}\n{"\1":/g'; }

# jfields KEY...: per line of stdin (a compact JSON object), the values of
# KEYs (the first occurrence of each), space-separated, strings unquoted.
jfields() {
	awk -v keys="$*" 'BEGIN { n = split(keys, k, " ") }
	{
		out = ""
		for (i = 1; i <= n; i++) {
			v = "-"
			if (match($0, "\"" k[i] "\":(\"[^\"]*\"|[^],}]*)")) {
				v = substr($0, RSTART + length(k[i]) + 3,
					    RLENGTH - length(k[i]) - 3)
				gsub(/"/, "", v)
			}
			out = out (i > 1 ? " " : "") v
		}
		print out
	}'
}

# dev_id NAME: the device's id, from nicctl.
dev_id() { nicctl -j dev show "$1" | jrows | jfields id; }

# ioqs PORT: "id qid state dev_name" of each I/O queue of PORT, by id.
ioqs() {
	nicctl -j queue show port "$1" | jrows | jfields id qid state dev_name |
		awk '$2 != 0' | sort -n
}

# wait_ioqs PORT STATE [DEV]: every I/O queue of PORT is in STATE (on DEV;
# "null" for none) within 20 s.
wait_ioqs() {
	for _ in $(seq 100); do
		if ioqs "$1" | awk -v s="$2" -v d="${3:-}" '
			{ n++ } $3 != s || (d != "" && $4 != d) { bad = 1 }
			END { exit bad || !n }'; then
			return 0
		fi
		sleep 0.2
	done
	msg "port $1 I/O queues, want $2 ${3:-}:"
	ioqs "$1" | sed 's/^/#   /'
	return 1
}

# qstate QUEUE: "state dev_name" of one queue.
qstate() {
	nicctl -j queue show | jrows | jfields id state dev_name |
		awk -v q="$1" '$1 == q { print $2, $3 }'
}

# port_state: every port as "id policy dev_name", the state a change could
# touch.
port_state() { nicctl -j port show | jrows | jfields id policy dev_name; }

# state: ports, and where every queue runs (in-flight counts move).
state() {
	port_state
	nicctl -j queue show | jrows | jfields id port_id ctrl_id qid state dev_name
}

# counter SCOPE-ARGS... KEY: one counter from "nicctl -j stats show ARGS".
counter() {
	local key=${*: -1}
	nicctl -j stats show "${@:1:$#-1}" | jrows | jfields "$key"
}

# mon_start FILE ARGS...: "nicctl ARGS monitor" in the background (60 s at
# most) into FILE; returns once its socket joined the monitor group (a
# generic netlink socket with a group in /proc/net/netlink).
mon_start() {
	local file=$1 before
	shift
	before=$(nl_listeners)
	timeout 60 nicctl "$@" >"$file" 2>"$file.err" &
	MON_PIDS+=($!)
	nl_wait_listener "$before" 100 && return 0
	msg "nicctl $* did not join the monitor group"
	return 1
}

# mon_wait: the monitors started last exit (their --count reached).
mon_wait() {
	local p rc=0
	for p in "${MON_PIDS[@]}"; do
		wait "$p" || { msg "monitor $p exited $?"; rc=1; }
	done
	MON_PIDS=()
	return $rc
}

# ---- devices and ports --------------------------------------------------------

t_dev_show() {
	local id d
	ok nicctl dev show || return 1
	sed 's/^/# /' "$TMP/out"
	[ "$(wc -l <"$TMP/out")" -eq 3 ] || { msg "want a header and 2 devices"; return 1; }
	# debugfs: id name queues max_queues io_opcodes max_io_size
	while read -r -a d; do
		grep -Eq "^ *${d[0]} +${d[1]} +live +${d[2]}/${d[3]} " "$TMP/out" ||
			{ msg "no row for debugfs device ${d[*]}"; return 1; }
		nicctl -j dev show "${d[1]}" | jrows |
			jfields id name state nr_queues max_queues io_opcodes_mask max_io_size >"$TMP/j"
		[ "$(cat "$TMP/j")" = "${d[0]} ${d[1]} live ${d[2]} ${d[3]} $((d[4])) ${d[5]}" ] ||
			{ msg "-j dev show ${d[1]}: $(cat "$TMP/j"), debugfs: ${d[*]}"; return 1; }
		# by id, the same row as by name
		[ "$(nicctl dev show "${d[0]}")" = "$(nicctl dev show "${d[1]}")" ] ||
			{ msg "dev show ${d[0]} differs from dev show ${d[1]}"; return 1; }
	done < <(awk 'NR > 1' "$DBG/devices")
	id=$(dev_id nicsim1)
	[ -n "$id" ] && grep -Eq "flush,write,read,write-zeroes$" "$TMP/out"
}

t_port_show() {
	local id want
	ok nicctl port show || return 1
	sed 's/^/# /' "$TMP/out"
	[ "$(wc -l <"$TMP/out")" -eq 3 ] || return 1
	grep -Eq '^ +1 +127\.0\.0\.1:4420 +ipv4 +off +- +tcp$' "$TMP/out" &&
		grep -Eq '^ +2 +\[::1\]:4421 +ipv6 +off +- +tcp$' "$TMP/out" || return 1
	for id in 1 2; do
		want="$id $(cat "$NVMET_CFS/ports/$id/addr_traddr") $(cat "$NVMET_CFS/ports/$id/addr_trsvcid") $(cat "$NVMET_CFS/ports/$id/addr_adrfam") off null null"
		[ "$(nicctl -j port show "$id" | jrows | jfields id traddr trsvcid adrfam policy dev_id dev_name)" = "$want" ] ||
			{ msg "port $id: want $want"; return 1; }
		# one port alone: the same row (column widths aside)
		[ "$(nicctl port show "$id" | tail -n 1 | tr -s ' ')" = \
		  "$(grep -E "^ +$id " "$TMP/out" | tr -s ' ')" ] || return 1
	done
}

t_port_on() {
	local n
	mon_start "$TMP/mon.port" monitor || return 1
	ok nicctl port set 1 offload on dev nicsim1 || return 1
	grep -q 'port 1: offload on dev nicsim1' "$TMP/err" || { show_out; return 1; }
	# binding and turning on is one change: one event
	sleep 1
	kill "${MON_PIDS[@]}" 2>/dev/null
	wait "${MON_PIDS[@]}" 2>/dev/null
	MON_PIDS=()
	n=$(grep -c ' port-policy-changed port 1 offload on device nicsim1 ' "$TMP/mon.port")
	[ "$(grep -c ' port-policy-changed ' "$TMP/mon.port")" -eq 1 ] && [ "$n" -eq 1 ] ||
		{ msg "port events:"; sed 's/^/# /' "$TMP/mon.port"; return 1; }
	nicctl port show 1 | grep -Eq "^ +1 +127\.0\.0\.1:4420 +ipv4 +on +nicsim1 \($(dev_id nicsim1)\) +tcp$" ||
		{ nicctl port show | sed 's/^/# /'; return 1; }
	[ "$(port_state | awk '$1 == 2')" = "2 off null" ] || return 1
	wait_ioqs 1 offloaded nicsim1 &&
		[ "$(nicctl -j dev show nicsim1 | jrows | jfields nr_queues)" -eq 2 ] &&
		nicctl dev show nicsim1 | grep -Eq '^ *[0-9]+ +nicsim1 +live +2/64 '
}

# Off: the queues come back, the device stays bound; on again needs no dev.
t_port_off() {
	ok nicctl port set 1 offload off || return 1
	grep -q 'port 1: offload off' "$TMP/err" || { show_out; return 1; }
	wait_ioqs 1 software null || return 1
	nicctl port show 1 | grep -Eq "^ +1 +127\.0\.0\.1:4420 +ipv4 +off +nicsim1 \($(dev_id nicsim1)\) +tcp$" ||
		{ nicctl port show | sed 's/^/# /'; return 1; }
	[ "$(nicctl -j dev show nicsim1 | jrows | jfields nr_queues)" -eq 0 ] || return 1
	ok nicctl port set 1 offload on &&
		[ "$(port_state | awk '$1 == 1')" = "1 on nicsim1" ] &&
		wait_ioqs 1 offloaded nicsim1
}

# The spec's engines: a device's count (nicsim1 has 2, nicsim2 1), and the
# engine serving each offloaded queue (present with dev-id).
t_engines() {
	local got
	got=$(nicctl -j dev show | jrows | jfields name engines | sort | tr '\n' ' ')
	msg "dev show engines: $got"
	[ "$got" = "nicsim1 2 nicsim2 1 " ] || return 1
	nicctl dev show nicsim1 | grep -Eq '^ *[0-9]+ +nicsim1 +live +[0-9]+/[0-9]+ +2 ' || return 1
	got=$(ioqs 1 | awk '{ print $1 }' | while read -r q; do
		nicctl -j queue show | jrows | jfields id engine | awk -v q="$q" '$1 == q { print $2 }'
	done | tr '\n' ' ')
	msg "engines of port 1's offloaded queues: $got"
	[ -n "$got" ] && ! grep -Eq 'null|-|[2-9]' <<<"$got"
}

# ---- queues -----------------------------------------------------------------

# Text rows as "id port ctrl qid state dev", the device's "(id)" dropped.
text_queues() {
	sed '1d; s/ (admin)//; s/ ([0-9]*)//' | awk '{ print $1, $2, $3, $4, $5, $6 }'
}

# debugfs keeps the device of a reclaimed queue: "-" in software.
dbg_queues() {
	awk 'NR > 1 { print $1, $2, $3, $4, ($16 == "returning" ? "reclaiming" : $16),
		($16 == "software" ? "-" : $17) }' \
		"$DBG/queues" | sort -n
}

t_queue_show() {
	local n
	ok nicctl queue show || return 1
	sed 's/^/# /' "$TMP/out"
	text_queues <"$TMP/out" | sort -n >"$TMP/q.text"
	dbg_queues >"$TMP/q.dbg"
	if ! cmp -s "$TMP/q.text" "$TMP/q.dbg"; then
		msg "queue show and debugfs differ:"
		diff "$TMP/q.text" "$TMP/q.dbg" | sed 's/^/# /'
		return 1
	fi
	n=$(wc -l <"$TMP/q.text")
	[ "$n" -eq 3 ] || { msg "$n queues, want 3 (admin + 2 I/O)"; return 1; }
	# the admin queue in software, with its host and subsystem
	grep -Eq '^ +[0-9]+ +1 +[0-9]+ +0 \(admin\) +software +- ' "$TMP/out" &&
		[ "$(grep -c " $NQN\$" "$TMP/out")" -eq 3 ] &&
		[ "$(grep -c " /etc/nvme/hostnqn\$" "$TMP/out")" -eq 0 ] &&
		grep -q "$(cat /etc/nvme/hostnqn)" "$TMP/out"
}

t_queue_filters() {
	local all
	all=$(nicctl queue show | wc -l)
	[ "$(nicctl queue show port 1 | wc -l)" -eq "$all" ] || return 1
	# a header alone: nothing on port 2, no controller 4242, nothing on nicsim2
	[ "$(nicctl queue show port 2 | wc -l)" -eq 1 ] || return 1
	[ "$(nicctl queue show ctrl $((CTRL + 4242)) | wc -l)" -eq 1 ] || return 1
	[ "$(nicctl queue show dev nicsim2 | wc -l)" -eq 1 ] || return 1
	[ "$(nicctl queue show ctrl "$CTRL" | wc -l)" -eq "$all" ] || return 1
	# the offloaded I/O queues, by device name and id
	[ "$(nicctl queue show dev nicsim1 | text_queues | awk '$4 != 0 && $5 == "offloaded"' | wc -l)" -eq 2 ] ||
		return 1
	[ "$(nicctl queue show dev "$(dev_id nicsim1)")" = "$(nicctl queue show dev nicsim1)" ] ||
		return 1
	# ANDed
	# the older options are aliases; prefixes of the keywords
	[ "$(nicctl queue show --port 1 --ctrl "$CTRL" --dev nicsim1)" = \
	  "$(nicctl q sh p 1 c "$CTRL" d nicsim1)" ] || return 1
	[ "$(nicctl queue show port 1 ctrl "$CTRL" dev nicsim1 | wc -l)" -eq 3 ] &&
		[ "$(nicctl queue show port 2 ctrl "$CTRL" | wc -l)" -eq 1 ]
}

# The queue id of CTRL/QID.
queue_of() {
	nicctl -j queue show ctrl "$CTRL" | jrows | jfields id qid | awk -v q="$1" '$2 == q { print $1 }'
}

t_queue_set_one() {
	local q1 q2
	q1=$(queue_of 1)
	q2=$(queue_of 2)
	ok nicctl queue set ctrl "$CTRL" qid 1 offload off || return 1
	grep -q "ctrl $CTRL qid 1: offload off requested" "$TMP/err" || { show_out; return 1; }
	for _ in $(seq 100); do
		[ "$(qstate "$q1")" = "software null" ] && break
		sleep 0.2
	done
	[ "$(qstate "$q1")" = "software null" ] || { msg "queue $q1: $(qstate "$q1")"; return 1; }
	[ "$(qstate "$q2")" = "offloaded nicsim1" ] || { msg "queue $q2 moved: $(qstate "$q2")"; return 1; }
	ok nicctl queue set ctrl "$CTRL" qid 1 offload on &&
		wait_ioqs 1 offloaded nicsim1
}

# The same queue by the id queue show prints, then by CTRL/QID (the alias).
t_queue_set_id() {
	local q2
	q2=$(queue_of 2)
	ok nicctl queue set "$q2" offload off || return 1
	grep -q "^nicctl: queue $q2: offload off requested" "$TMP/err" || { show_out; return 1; }
	for _ in $(seq 100); do
		[ "$(qstate "$q2")" = "software null" ] && break
		sleep 0.2
	done
	[ "$(qstate "$q2")" = "software null" ] || { msg "queue $q2: $(qstate "$q2")"; return 1; }
	[ "$(qstate "$(queue_of 1)")" = "offloaded nicsim1" ] || return 1
	ok nicctl queue set "$CTRL/2" offload on &&
		wait_ioqs 1 offloaded nicsim1
}

t_queue_set_ctrl() {
	ok nicctl queue set ctrl "$CTRL" offload off || return 1
	grep -q "every I/O queue of ctrl $CTRL: offload off requested" "$TMP/err" ||
		{ show_out; return 1; }
	wait_ioqs 1 software null || return 1
	# the admin queue was never touched, the port's policy neither
	[ "$(port_state | awk '$1 == 1')" = "1 on nicsim1" ] || return 1
	ok nicctl queue set ctrl "$CTRL" offload on &&
		wait_ioqs 1 offloaded nicsim1
}

# monitor, text and JSON at once: one queue reclaimed, then offloaded.
t_monitor() {
	local q ok=0
	q=$(queue_of 1)
	mon_start "$TMP/mon.txt" monitor --count 2 &&
		mon_start "$TMP/mon.json" -j monitor --count 2 || return 1
	nicctl -q queue set "$CTRL/1" offload off || ok=1
	for _ in $(seq 100); do
		[ "$(qstate "$q")" = "software null" ] && break
		sleep 0.2
	done
	nicctl -q queue set "$CTRL/1" offload on || ok=1
	mon_wait || ok=1
	wait_ioqs 1 offloaded nicsim1 || ok=1
	sed 's/^/# /' "$TMP/mon.txt" "$TMP/mon.json" "$TMP/mon.txt.err" "$TMP/mon.json.err"
	if [ "$(wc -l <"$TMP/mon.txt")" -ne 2 ] || [ "$(wc -l <"$TMP/mon.json")" -ne 2 ]; then
		msg "want 2 events from each monitor"
		return 1
	fi
	# hh:mm:ss queue-reclaimed queue Q (ctrl C qid 1, port 1), in N us
	sed -n 1p "$TMP/mon.txt" |
		grep -Eq "^[0-9]{2}:[0-9]{2}:[0-9]{2} queue-reclaimed queue $q \(ctrl $CTRL qid 1, port 1\), in [1-9][0-9]* us, transport tcp$" || ok=1
	sed -n 2p "$TMP/mon.txt" |
		grep -Eq "^[0-9]{2}:[0-9]{2}:[0-9]{2} queue-offloaded queue $q \(ctrl $CTRL qid 1, port 1\) to device nicsim1 \($(dev_id nicsim1)\)( |$)" || ok=1
	json_check -l -t object "$TMP/mon.json" || ok=1
	# queue events name their device: the monitor keeps the names
	[ "$(sed -n 2p "$TMP/mon.json" | jfields dev_name)" = nicsim1 ] ||
		{ msg "queue-offloaded event without dev_name"; ok=1; }
	[ "$(jfields event id ctrl_id qid state <"$TMP/mon.json" | tr '\n' ' ')" = \
	  "queue-reclaimed $q $CTRL 1 software queue-offloaded $q $CTRL 1 offloaded " ] ||
		{ msg "JSON events: $(jfields event id ctrl_id qid state <"$TMP/mon.json" | tr '\n' ' ')"; ok=1; }
	return $ok
}

# monitor filters and -ts: queue 2's events only, of one type each, while
# queue 1 moves too; -ts: date and milliseconds; JSON: ISO 8601.
t_monitor_filters() {
	local q1 q2 ok=0
	q1=$(queue_of 1)
	q2=$(queue_of 2)
	mon_start "$TMP/monf.txt" -ts monitor event queue-reclaimed queue "$q2" count 1 &&
		mon_start "$TMP/monf.json" -j monitor ev queue-offloaded ctrl "$CTRL" count 1 &&
		mon_start "$TMP/monf.port" monitor event port port 1 count 1 || return 1
	nicctl -q queue set "$q1" offload off || ok=1
	nicctl -q queue set "$q2" offload off || ok=1
	for _ in $(seq 100); do
		[ "$(qstate "$q2")" = "software null" ] && break
		sleep 0.2
	done
	nicctl -q queue set ctrl "$CTRL" offload on || ok=1
	wait_ioqs 1 offloaded nicsim1 || ok=1
	# a port-policy-changed event of port 1
	nicctl -q port set 1 offload off && nicctl -q port set 1 offload on || ok=1
	wait_ioqs 1 offloaded nicsim1 || ok=1
	mon_wait || ok=1
	sed 's/^/# /' "$TMP/monf.txt" "$TMP/monf.json" "$TMP/monf.port"
	grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} queue-reclaimed queue $q2 \(" \
		"$TMP/monf.txt" || { msg "-ts line"; ok=1; }
	[ "$(wc -l <"$TMP/monf.txt")" -eq 1 ] || ok=1
	[ "$(jfields event ctrl_id <"$TMP/monf.json")" = "queue-offloaded $CTRL" ] ||
		{ msg "filtered JSON event"; ok=1; }
	grep -Eq '"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2}"' \
		"$TMP/monf.json" || { msg "JSON time not ISO 8601"; ok=1; }
	grep -q ' port-policy-changed port 1 offload off ' "$TMP/monf.port" || ok=1
	return $ok
}

# ---- counters ---------------------------------------------------------------

# fio writes FIO_BLOCKS 4k blocks through the offloaded queues: the device,
# the port and the I/O queues together count exactly that many blocks.
t_fio_counters() {
	local d0 p0 q0 d1 p1 q1 w0 w1
	wait_ioqs 1 offloaded nicsim1 || return 1
	d0=$(counter dev nicsim1 write_blocks)
	p0=$(counter port 1 write_blocks)
	q0=$(counter queue write_blocks | awk '{ s += $1 } END { print s + 0 }')
	w0=$(counter dev nicsim1 write_cmds)
	fio --name=nicctl-count --filename="$NS" --ioengine=libaio --direct=1 \
		--rw=write --bs=4k --iodepth=4 --size=$((FIO_BLOCKS * 4))k \
		--numjobs=1 >"$TMP/fio" 2>&1 ||
		{ sed 's/^/# /' "$TMP/fio"; return 1; }
	d1=$(counter dev nicsim1 write_blocks)
	p1=$(counter port 1 write_blocks)
	q1=$(counter queue write_blocks | awk '{ s += $1 } END { print s + 0 }')
	w1=$(counter dev nicsim1 write_cmds)
	msg "write blocks: device $d0 -> $d1, port $p0 -> $p1, queues $q0 -> $q1; device write cmds $w0 -> $w1; fio $FIO_BLOCKS"
	[ $((d1 - d0)) -eq "$FIO_BLOCKS" ] && [ $((p1 - p0)) -eq "$FIO_BLOCKS" ] &&
		[ $((q1 - q0)) -eq "$FIO_BLOCKS" ] && [ $((w1 - w0)) -ge 1 ] &&
		[ $((w1 - w0)) -le "$FIO_BLOCKS" ]
}

t_stats_tables() {
	local q
	ok nicctl stats show || return 1
	sed 's/^/# /' "$TMP/out"
	# default: one row per device
	[ "$(wc -l <"$TMP/out")" -eq 3 ] &&
		grep -Eq "^device nicsim1 \($(dev_id nicsim1)\) " "$TMP/out" &&
		grep -Eq "^device nicsim2 \($(dev_id nicsim2)\) " "$TMP/out" || return 1
	head -n 1 "$TMP/out" | grep -Eq '^OBJECT +READS +WRITES +FLUSH +WZEROES +ERRORS +PUNTED +OFFLOADS +RECLAIMS +FALLBACKS +P50 +P99$' ||
		return 1
	[ "$(nicctl stats show dev)" = "$(cat "$TMP/out")" ] || return 1
	# scopes: a row per port, per queue
	[ "$(nicctl stats show port | grep -Ec '^port [12] ')" -eq 2 ] || return 1
	nicctl stats show queue >"$TMP/sq"
	for q in $(nicctl -j queue show | jrows | jfields id); do
		grep -Eq "^queue $q " "$TMP/sq" || { msg "no row for queue $q"; return 1; }
	done
	[ "$(wc -l <"$TMP/sq")" -eq "$(($(nicctl queue show | wc -l)))" ]
}

# One object: every counter, the latency histogram after fio.
t_stats_detail() {
	local what q
	q=$(queue_of 1)
	for what in "dev nicsim1" "dev $(dev_id nicsim1)" "port 1" "ns 1/1" "queue $q"; do
		# shellcheck disable=SC2086 # two words
		ok nicctl stats show $what || return 1
		for c in read-cmds read-blocks write-cmds write-blocks inline-write-cmds \
			flush-cmds write-zeroes-cmds errors backend-errors punted-cmds \
			unknown-ns-cmds offload-events reclaim-events fallback-events; do
			grep -Eq "^$c +[0-9.]+[KMG]?$" "$TMP/out" ||
				{ msg "stats show $what: no $c"; show_out 40; return 1; }
		done
	done
	ok nicctl stats show dev nicsim1 || return 1
	sed 's/^/# /' "$TMP/out"
	head -n 1 "$TMP/out" | grep -Eq "^device nicsim1 \($(dev_id nicsim1)\)$" &&
		grep -Eq '^latency: p50 [<≥]' "$TMP/out" &&
		grep -Eq '^LATENCY +COMMANDS +SHARE$' "$TMP/out"
}

t_stats_watch() {
	local n
	ok timeout 30 nicctl stats show --watch 0.3 --count 3 || return 1
	n=$(grep -c '^--- [0-9][0-9]:[0-9][0-9]:[0-9][0-9]$' "$TMP/out")
	[ "$n" -eq 3 ] || { msg "$n samples, want 3"; show_out; return 1; }
	[ "$(grep -c '^OBJECT ' "$TMP/out")" -eq 3 ] || return 1
	ok timeout 30 nicctl stats show dev nicsim1 --watch 0.3 --count 2 --delta || return 1
	# the measured interval, to the millisecond
	# (a slow guest makes it longer than asked)
	n=$(grep -Ec '^--- .*, counts over [0-9]+(\.[0-9]+)?s$' "$TMP/out")
	[ "$n" -eq 2 ] || { msg "$n delta samples, want 2"; show_out; return 1; }
	# nothing moves now: every delta is 0
	if ! grep -Eq '^write-blocks +0$' "$TMP/out" ||
		grep -Eq '^(read|write)-(cmds|blocks) +[1-9]' "$TMP/out"; then
		show_out 40
		return 1
	fi
	# --delta alone: one sample over one second
	ok timeout 30 nicctl stats show port 1 --delta || return 1
	[ "$(grep -Ec '^--- .*, counts over 1(\.[0-9]+)?s$' "$TMP/out")" -eq 1 ] || return 1
	# rate: per second; the keywords
	ok timeout 30 nicctl stats show dev nicsim1 watch 0.3 count 1 rate &&
		[ "$(grep -Ec '^--- .*, per second over [0-9]+(\.[0-9]+)?s$' "$TMP/out")" -eq 1 ]
}

# stats show SCOPE dev D / port P: the kernel filters the dump (-vv shows
# the request's attributes); the rows are those of the device or port.
t_stats_filters() {
	local id all got bad ns
	id=$(dev_id nicsim1)
	ok nicctl -vv stats show queue dev nicsim1 || return 1
	grep -q "request stats-get dump" "$TMP/err" && grep -q "\"dev_id\":$id" "$TMP/err" ||
		{ show_out; return 1; }
	# rows of the device only: a subset of every queue's, none of port 2
	all=$(nicctl -j stats show queue | jrows | jfields queue_id | sort -n | tr '\n' ' ')
	got=$(nicctl -j stats show queue dev nicsim1 | jrows | jfields queue_id | sort -n | tr '\n' ' ')
	msg "queues: all [$all], on nicsim1 [$got]"
	[ -n "$got" ] || return 1
	for q in $got; do
		[[ " $all " == *" $q "* ]] || bad=1
	done
	[ -z "${bad:-}" ] || return 1
	# port 2 has no queue: the dump is empty
	[ "$(nicctl -j stats show queue port 2)" = "[]" ] ||
		{ msg "stats show queue port 2: $(nicctl -j stats show queue port 2 | head -c 200)"; return 1; }
	ns=$(nicctl -j stats show ns port 1 | jrows | jfields port_id | sort -u | tr '\n' ' ')
	msg "namespaces of port 1: port ids [$ns]"
	[ -z "$ns" ] || [ "$ns" = "1 " ]
}

# -o prometheus: the node_exporter textfile format; cumulative latency
# buckets ending in +Inf = _count; ASCII.
t_prometheus() {
	ok nicctl -o prometheus stats show || return 1
	# every line a comment or "name{labels} value"
	if grep -Ev '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\} [0-9]+)$' "$TMP/out" |
		grep -q .; then
		msg "not the textfile format:"
		grep -Ev '^(# |[a-z_]+\{)' "$TMP/out" | head -n 5 | sed 's/^/# /'
		return 1
	fi
	grep -q '^# TYPE nvmet_offload_latency_seconds histogram$' "$TMP/out" || return 1
	grep -q "^nvmet_offload_write_blocks_total{scope=\"device\",dev_id=\"$(dev_id nicsim1)\",dev=\"nicsim1\"} " \
		"$TMP/out" || return 1
	awk -v d="dev_id=\"$(dev_id nicsim1)\"" '
		index($0, "nvmet_offload_latency_seconds_bucket{scope=\"device\"") == 1 && index($0, d) {
			if ($2 < last) bad = 1; last = $2; if ($0 ~ /le="\+Inf"/) inf = $2 }
		index($0, "nvmet_offload_latency_seconds_count{scope=\"device\"") == 1 && index($0, d) { count = $2 }
		END { exit !(!bad && inf != "" && inf == count && count > 0) }' "$TMP/out" ||
		{ msg "latency buckets not cumulative, or +Inf != _count"; return 1; }
	! LC_ALL=C grep -q '[^[:print:]]' "$TMP/out"
}

# The grammar: help, prefixes, the default verb, ASCII text, -v summaries.
t_grammar() {
	ok nicctl help && grep -q 'OBJECT := ' "$TMP/out" || return 1
	ok nicctl stats help && grep -q 'nicctl stats reset' "$TMP/out" || return 1
	[ "$(nicctl d sh)" = "$(nicctl dev show)" ] || return 1
	[ "$(nicctl queue port 1)" = "$(nicctl queue show port 1)" ] || return 1
	[ "$(nicctl -j port list)" = "$(nicctl -j port show)" ] || return 1
	if LC_ALL=C nicctl stats show dev nicsim1 | LC_ALL=C grep -q '[^[:print:][:space:]]'; then
		msg "non-ASCII text under the C locale"
		return 1
	fi
	ok nicctl -v port show && grep -q '^nicctl: request port-get dump$' "$TMP/err" &&
		grep -q '^nicctl: reply port-get: 2 objects$' "$TMP/err" || { show_out; return 1; }
	ok nicctl -vv dev show nicsim1 && grep -q '"name":"nicsim1"' "$TMP/err"
}

# -b FILE: one command a line; stops at the first failure (FILE:LINE), or
# with -force goes on.
t_batch() {
	printf '%s\n' '# comment' 'dev show nicsim1' '' 'port show 2' >"$TMP/batch"
	ok nicctl -j -b "$TMP/batch" && [ "$(wc -l <"$TMP/out")" -eq 2 ] &&
		json_check -l -t array "$TMP/out" || { show_out; return 1; }
	printf '%s\n' 'port show 1' 'port frob' 'port show 2' >"$TMP/batch.bad"
	run nicctl -b "$TMP/batch.bad"
	[ "$RC" -eq 1 ] && grep -q "batch.bad:2: unknown command \"frob\" of port" "$TMP/err" &&
		[ "$(grep -c '^ *[12] ' "$TMP/out")" -eq 1 ] || { show_out; return 1; }
	run nicctl -force -b "$TMP/batch.bad"
	[ "$RC" -eq 1 ] && [ "$(grep -c '^ *[12] ' "$TMP/out")" -eq 2 ] || { show_out; return 1; }
	printf 'port show 1\n' | nicctl -b - | grep -q '127\.0\.0\.1:4420'
}


t_stats_reset() {
	local q
	q=$(queue_of 1)
	[ "$(counter dev nicsim1 write_blocks)" -gt 0 ] || { msg "no counts to reset"; return 1; }
	ok nicctl stats reset queue "$q" &&
		[ "$(nicctl -j stats show queue "$q" | jrows | jfields write_blocks offload_events)" = "0 0" ] ||
		return 1
	ok nicctl stats reset dev nicsim1 &&
		[ "$(counter dev nicsim1 write_blocks)" -eq 0 ] &&
		[ "$(counter dev nicsim1 offload_events)" -eq 0 ] || return 1
	# port 1's queues are nicsim1's: the port is zero too, now
	ok nicctl stats reset port 1 &&
		[ "$(counter port 1 write_cmds)" -eq 0 ] || return 1
	ok nicctl stats reset &&
		! nicctl -j stats show queue | jrows |
			jfields write_blocks read_blocks offload_events reclaim_events | grep -vq '^0 0 0 0$'
}

# ---- JSON -------------------------------------------------------------------

# jcheck TYPE CMD...: CMD exits 0 and its stdout is one JSON value of TYPE.
jcheck() {
	local type=$1
	shift
	ok "$@" || return 1
	json_check -t "$type" "$TMP/out" || { show_out 5; return 1; }
	msg "$*: $(wc -c <"$TMP/out") bytes of JSON $type"
}

# jlines N CMD...: CMD exits 0 and prints N lines, each a JSON array.
jlines() {
	local n=$1
	shift
	ok "$@" || return 1
	json_check -l -t array "$TMP/out" || { show_out 5; return 1; }
	[ "$(wc -l <"$TMP/out")" -eq "$n" ] || { msg "$(wc -l <"$TMP/out") lines, want $n"; return 1; }
}

t_json_queue() {
	jcheck array nicctl -j queue show &&
		jcheck array nicctl -j queue show --ctrl "$CTRL" --dev nicsim1 &&
		jcheck array nicctl -p queue show --port 2
}

t_json_stats() {
	jcheck array nicctl -j stats show &&
		jcheck array nicctl -j stats show port &&
		jcheck array nicctl -j stats show queue &&
		jcheck array nicctl -j stats show dev nicsim1 &&
		jcheck array nicctl -p stats show port 1
}

t_json_watch() {
	jlines 2 timeout 30 nicctl -j stats show --watch 0.3 --count 2 &&
		jlines 2 timeout 30 nicctl -j stats show queue --watch 0.3 --count 2 --delta
}

# Every -j output: its shape (absent values are null, never missing keys).
t_json_shapes() {
	local row
	row=$(nicctl -j queue show --ctrl "$CTRL" | jrows | head -n 1)
	for k in id port_id ctrl_id qid state dev_id dev_name engine depth inflight cpu hostnqn subsysnqn; do
		grep -q "\"$k\":" <<<"$row" || { msg "queue JSON without $k: $row"; return 1; }
	done
	row=$(nicctl -j port show 2 | jrows)
	[ "$(jfields dev_id dev_name <<<"$row")" = "null null" ] || { msg "$row"; return 1; }
	row=$(nicctl -j stats show dev nicsim1)
	for k in scope dev_id dev_name port_id nsid queue_id subsysnqn interval_s counters \
		write_blocks punted_by_opcode latency quantile_buckets buckets; do
		grep -q "\"$k\":" <<<"$row" || { msg "stats JSON without $k"; return 1; }
	done
}

# ---- config -----------------------------------------------------------------

t_config_roundtrip() {
	local before after
	# port 1 on nicsim1, port 2 bound to nicsim2 with its policy off
	ok nicctl port set 2 dev nicsim2 || return 1
	before=$(nicctl -j port show)
	ok nicctl config save "$TMP/saved.json" || return 1
	grep -q "saved 2 ports to $TMP/saved.json" "$TMP/err" || { show_out; return 1; }
	sed 's/^/# /' "$TMP/saved.json"
	json_check -t object "$TMP/saved.json" || return 1
	[ "$(tr -d ' \n' <"$TMP/saved.json")" = "$(nicctl config save - 2>/dev/null | tr -d ' \n')" ] ||
		{ msg "config save - differs from the file"; return 1; }
	# clear: offload off and unbound everywhere
	ok nicctl port set 1 offload off dev none && ok nicctl port set 2 dev none || return 1
	[ "$(port_state | tr '\n' ' ')" = "1 off null 2 off null " ] || return 1
	wait_ioqs 1 software null || return 1
	# restore
	ok nicctl config restore "$TMP/saved.json" || return 1
	sed 's/^/# /' "$TMP/out"
	grep -q '^set port 1: offload on, dev nicsim1$' "$TMP/out" &&
		grep -q '^set port 2: dev nicsim2$' "$TMP/out" || return 1
	after=$(nicctl -j port show)
	[ "$after" = "$before" ] || { msg "before: $before"; msg "after:  $after"; return 1; }
	wait_ioqs 1 offloaded nicsim1
}

# Restoring the same state again sends nothing: no change, no event.
t_config_twice() {
	local before ok=0
	before=$(state)
	mon_start "$TMP/mon.idle" monitor || return 1
	run nicctl config restore "$TMP/saved.json"
	if [ "$RC" -ne 0 ] || [ "$(cat "$TMP/out")" != "nothing to change" ]; then
		show_out
		ok=1
	fi
	run nicctl -j config restore "$TMP/saved.json"
	if [ "$RC" -ne 0 ] || [ "$(cat "$TMP/out")" != '{"dry_run":false,"changes":[]}' ]; then
		show_out
		ok=1
	fi
	sleep 1
	kill "${MON_PIDS[@]}" 2>/dev/null
	wait "${MON_PIDS[@]}" 2>/dev/null
	MON_PIDS=()
	if [ -s "$TMP/mon.idle" ]; then
		msg "events during a restore with nothing to change:"
		sed 's/^/# /' "$TMP/mon.idle"
		ok=1
	fi
	[ "$(state)" = "$before" ] || ok=1
	return $ok
}

# A port that is on with another device: off, rebound, on; --dry-run first.
t_config_move() {
	local before
	ok nicctl port set 1 offload off dev nicsim2 && ok nicctl port set 1 offload on ||
		return 1
	wait_ioqs 1 offloaded nicsim2 || return 1
	before=$(state)
	ok nicctl config restore "$TMP/saved.json" --dry-run || return 1
	sed 's/^/# /' "$TMP/out"
	[ "$(cat "$TMP/out")" = "would set port 1: offload off, dev nicsim1
would set port 1: offload on" ] || return 1
	jcheck object nicctl -j config restore "$TMP/saved.json" --dry-run || return 1
	[ "$(cat "$TMP/out")" = '{"dry_run":true,"changes":[{"port":1,"offload":"off","dev":"nicsim1"},{"port":1,"offload":"on","dev":null}]}' ] ||
		{ show_out; return 1; }
	[ "$(state)" = "$before" ] || { msg "--dry-run changed something"; return 1; }
	ok nicctl config restore "$TMP/saved.json" &&
		[ "$(port_state | tr '\n' ' ')" = "1 on nicsim1 2 off nicsim2 " ] &&
		wait_ioqs 1 offloaded nicsim1
}

# ---- unprivileged -----------------------------------------------------------

# Counters to keep: a few writes after a reset.
t_nobody_reset() {
	nicctl -q stats reset &&
		dd if=/dev/zero of="$NS" bs=4k count=8 oflag=direct 2>/dev/null &&
		t_nobody_cannot stats reset
}

# Every request of the family needs CAP_NET_ADMIN (it names the hosts):
# as nobody each show exits 2 with EPERM and the hint, root's still works.
t_nobody_shows() {
	local c
	for c in "dev show" "port show" "queue show" "queue show --ctrl $CTRL" \
		"stats show" "stats show port" "stats show dev nicsim1" "config save -"; do
		# shellcheck disable=SC2086 # words
		expect_rc 2 'EPERM' "${NOBODY[@]}" nicctl $c || return 1
		grep -q 'CAP_NET_ADMIN' "$TMP/err" || { msg "$c: no hint"; return 1; }
		# shellcheck disable=SC2086
		expect_rc 2 'EPERM' "${NOBODY[@]}" nicctl -j $c || return 1
		# shellcheck disable=SC2086
		ok nicctl $c || return 1
	done
	expect_rc 2 'EPERM|not permitted' timeout 10 "${NOBODY[@]}" nicctl monitor
}

# nobody CMD...: nicctl CMD as nobody exits 2 with EPERM and changes
# nothing (ports, queues, counters).
t_nobody_cannot() {
	local before after
	before="$(state)
$(nicctl -j stats show queue | jrows | jfields queue_id write_blocks offload_events reclaim_events)"
	expect_rc 2 'EPERM' "${NOBODY[@]}" nicctl "$@" || return 1
	grep -q 'CAP_NET_ADMIN' "$TMP/err" || { msg "no hint"; return 1; }
	sleep 0.5
	after="$(state)
$(nicctl -j stats show queue | jrows | jfields queue_id write_blocks offload_events reclaim_events)"
	[ "$after" = "$before" ] || { msg "state changed:"; diff <(echo "$before") <(echo "$after") | sed 's/^/# /'; return 1; }
}

# ---- bad input --------------------------------------------------------------

# "description|status|stderr regex|arguments"; %C: the controller, %Q: a
# queue id that does not exist.
BAD_TESTS=(
	"unknown port (show)|2|no such port of our transports \(ENOENT\)|port show 4242"
	"unknown port (set)|2|no such port of our transports \(ENOENT\)|port set 4242 offload off"
	"unknown port (stats)|2|\(ENOENT\)|stats show port 4242"
	"port id not a number|1|port: not a decimal number|port set one offload on"
	"port id not decimal|1|port: not a decimal number: 0x1|port show 0x1"
	"ambiguous prefix|1|\"s\" is ambiguous: show, set|port s 1"
	"unknown command of an object|1|unknown command \"frob\" of queue|queue frob"
	"prometheus is for stats|1|prometheus is for stats show|-o prometheus dev show"
	"bad queue id (queue id)|2|no such queue \(ENOENT\)|queue set 4242 offload on"
	"bad queue id (qid)|2|no such queue \(ENOENT\)|queue set %C/99 offload on"
	"bad queue id (controller)|2|no such controller \(ENOENT\)|queue set ctrl 4242 offload on"
	"bad queue id (admin queue)|1|admin queue|queue set %C/0 offload on"
	"bad queue id (not a number)|1|qid: not a decimal number|queue set ctrl %C qid x offload on"
	"bad queue id (stats)|2|no such queue \(ENOENT\)|stats show queue %Q"
	"bad queue id (stats reset)|2|no such queue \(ENOENT\)|stats reset queue %Q"
	"unknown device (show)|2|no such offload device \(ENODEV\)|dev show nosuchdev"
	"unknown device id (show)|2|no such offload device \(ENODEV\)|dev show 4242"
	"unknown device (port set)|2|no such offload device \(ENODEV\)|port set 2 dev nosuchdev"
	"unknown device (port set on)|2|no such offload device \(ENODEV\)|port set 2 offload on dev nosuchdev"
	"unknown device (queue filter)|2|no such offload device \(ENODEV\)|queue show dev nosuchdev"
	"unknown device (stats filter)|2|no such offload device \(ENODEV\)|stats show queue dev nosuchdev"
	"unknown device (stats)|2|no such offload device \(ENODEV\)|stats show dev nosuchdev"
	"unknown device (stats reset)|2|no such offload device \(ENODEV\)|stats reset dev nosuchdev"
	"refused: policy on without a device|2|policy on needs a device bound to the port \(EINVAL\)|port set 2 offload on dev none"
	"refused: device change while on|2|turn it off to change the device \(EBUSY\)|port set 1 dev nicsim2"
	"namespace nothing offloaded reached|2|no offload counters for this namespace.*\(ENOENT\)|stats show ns 1/77"
	"wrong flag|1|--bogus|--bogus dev show"
	"wrong flag after the command|1|--bogus|queue show --bogus"
	"unknown command|1|^nicctl: error: unknown command \"frobnicate\"|frobnicate"
	"offload neither on nor off|1|expected on or off|port set 1 offload maybe"
	"port set with nothing to set|1|nothing to set|port set 1"
	"queue set without offload|1|offload on.off is required|queue set %C/1"
	"stats scope unknown|1|stats show: unexpected \"socket\"|stats show socket 1"
	"stats reset needs an object|1|which one|stats reset dev"
	"--count 0|1||stats show --watch 1 --count 0"
	"--watch negative|1||stats show --watch -1"
	"--quiet with --verbose|1|-q and -v together|-q -v dev show"
	"config restore: no file|1|cannot read|config restore /nonexistent/ports.json"
	"config restore: not JSON|1|not JSON|config restore %T/garbage.json"
	"config restore: not a configuration|1|no nicctl_config|config restore %T/other.json"
	"config restore: unknown port|1|port 4242 does not exist|config restore %T/badport.json"
	"config restore: unknown device|1|no device nosuchdev|config restore %T/baddev.json"
)

t_bad_nothing() {
	state >"$TMP/after-bad"
	cmp -s "$TMP/before-bad" "$TMP/after-bad" ||
		{ diff "$TMP/before-bad" "$TMP/after-bad" | sed 's/^/# /'; return 1; }
}

t_bad() {
	local status=$1 re=$2 args=$3
	args=${args//%C/$CTRL}
	args=${args//%Q/4242}
	args=${args//%T/$TMP}
	# shellcheck disable=SC2086 # the arguments are words
	expect_rc "$status" "$re" nicctl $args
}

bad_files() {
	echo 'nicctl_config = 1' >"$TMP/garbage.json"
	echo '{"ports": []}' >"$TMP/other.json"
	# a valid change to port 1 first: nothing at all may be sent
	cat >"$TMP/badport.json" <<-EOF
	{ "nicctl_config": 1, "ports": [
	  { "port": 1, "offload": "off", "dev": null },
	  { "port": 4242, "offload": "off", "dev": null } ] }
	EOF
	cat >"$TMP/baddev.json" <<-EOF
	{ "nicctl_config": 1, "ports": [
	  { "port": 1, "offload": "off", "dev": null },
	  { "port": 2, "offload": "on", "dev": "nosuchdev" } ] }
	EOF
}

# config save replaces the file atomically (no temporary left, mode 0644
# under umask 022); restore wait SECS waits for a missing port, then says
# how long; the default file.
t_config_atomic_wait() {
	local start el
	ok nicctl config save "$TMP/atomic.json" && ok nicctl config save "$TMP/atomic.json" || return 1
	[ "$(find "$TMP" -name 'atomic.json.*' | wc -l)" -eq 0 ] || { msg "temporary left"; return 1; }
	[ "$(umask 022; nicctl -q config save "$TMP/mode.json"; stat -c %a "$TMP/mode.json")" = 644 ] || return 1
	printf '{ "nicctl_config": 1, "ports": [ { "port": 4243, "offload": "off", "dev": null } ] }\n' \
		>"$TMP/late.json"
	start=$(date +%s)
	run nicctl config restore "$TMP/late.json" wait 2
	el=$(($(date +%s) - start))
	[ "$RC" -eq 1 ] && grep -Eq 'port 4243 does not exist.*\(waited 2(\.[0-9]+)?s\)' "$TMP/err" &&
		[ "$el" -ge 2 ] && [ "$el" -le 5 ] || { msg "exit $RC after ${el}s"; show_out; return 1; }
	# the default file: /etc/nvmet-offload.json (kept as it was)
	[ -w /etc ] || { msg "/etc is read-only here: default file not tried"; return 0; }
	local saved=""
	[ -e /etc/nvmet-offload.json ] && saved=$(cat /etc/nvmet-offload.json)
	ok nicctl config save && [ -s /etc/nvmet-offload.json ] &&
		ok nicctl config restore && grep -q 'nothing to change' "$TMP/out" || return 1
	if [ -n "$saved" ]; then
		printf '%s\n' "$saved" >/etc/nvmet-offload.json
	else
		rm -f /etc/nvmet-offload.json
	fi
}

# ---- the module unloaded ----------------------------------------------------

NOMOD_CMDS=(
	"dev show" "-j dev show" "port show" "port set 1 offload off" "queue show"
	"queue set 1 offload on" "stats show" "stats reset" "monitor --count 1"
	"-o prometheus stats show" "-b %T/batch"
	"config save -" "config restore %T/saved.json"
)

t_nomodule() {
	local c rc=0
	for c in "${NOMOD_CMDS[@]}"; do
		# shellcheck disable=SC2086
		expect_rc 3 "$HINT" timeout 20 nicctl ${c//%T/$TMP} || rc=1
		[ -s "$TMP/out" ] && { msg "nicctl $c wrote to stdout"; rc=1; }
	done
	return $rc
}

t_no_splat() {
	! dmesg_since_mark |
		grep -E 'WARNING:|BUG:|Call Trace|general protection|nvme nvme[0-9]+: .*(timeout|reset|I/O error)' |
		sed 's/^/# /' | grep -q .
}

# ---- main -------------------------------------------------------------------

ktap_print_header
if [ "$(nvo_transport)" != ours ]; then
	ktap_skip_all "nicctl drives our transport (NVO_TRANSPORT=$(nvo_transport))"
	exit "$KSFT_SKIP"
fi
ktap_set_plan $((43 + ${#BAD_TESTS[@]}))

command -v nicctl >/dev/null || ktap_exit_fail_msg "nicctl is not built"
command -v json_check >/dev/null || ktap_exit_fail_msg "json_check is not built (selftests/tools)"
[ -f "$NVO_MODULES/nicsim.ko" ] || ktap_exit_fail_msg "nicsim.ko is not built"
dmesg_mark

ktap_test_result "before the module is loaded: exit 3 with a hint" \
	expect_rc 3 "$HINT" nicctl dev show

nvmet_transport_load || ktap_exit_fail_msg "cannot load our transport"
insmod "$NVO_MODULES/nicsim.ko" || ktap_exit_fail_msg "cannot load nicsim"
{ echo "1 2" >"$SIMBUS/new_device" && echo "2 1" >"$SIMBUS/new_device"; } ||
	ktap_exit_fail_msg "cannot create nicsim1 and nicsim2"
dev=$(nullb_create 1) || ktap_exit_fail_msg "no null_blk"
{ nvmet_subsys_create "$NQN" && nvmet_ns_create "$NQN" 1 "$dev" &&
	nvmet_port_create 1 127.0.0.1 4420 && nvmet_port_create 2 ::1 4421 &&
	nvmet_port_link 1 "$NQN" && nvmet_port_link 2 "$NQN"; } ||
	ktap_exit_fail_msg "target setup failed"
timeout 60 host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null ||
	ktap_exit_fail_msg "cannot connect"
NS=$(host_ns_dev "$NQN" 1) || ktap_exit_fail_msg "no namespace on the host"
CTRL=$(nicctl -j queue show port 1 | jrows | jfields ctrl_id | head -n 1)
[ -n "$CTRL" ] || ktap_exit_fail_msg "no controller in nicctl queue show"
msg "controller $CTRL, namespace $NS"

ktap_test_result "dev show: both devices, agrees with debugfs, by name and id" t_dev_show
ktap_test_result "port show: both ports, agrees with configfs" t_port_show
ktap_test_result "port set 1 offload on dev nicsim1: I/O queues offloaded" t_port_on
ktap_test_result "port set 1 offload off: queues back, device kept; on again" t_port_off
ktap_test_result "engines: dev show counts them, offloaded queues name theirs" t_engines
ktap_test_result "queue show: every queue, agrees with debugfs" t_queue_show
ktap_test_result "queue show port/ctrl/dev filter (ANDed; --options, prefixes)" t_queue_filters
ktap_test_result "queue set ctrl CTRL qid QID offload off|on: that queue only" t_queue_set_one
ktap_test_result "queue set QUEUE (the id of queue show), CTRL/QID alias" t_queue_set_id
ktap_test_result "queue set ctrl CTRL offload off|on: every I/O queue" t_queue_set_ctrl
ktap_test_result "monitor (text and -j, --count 2): queue-reclaimed then queue-offloaded" t_monitor
ktap_test_result "monitor event/queue/ctrl filters, -ts date.ms, JSON ISO 8601" t_monitor_filters
ktap_test_result "help, prefixes, default verb, ASCII text, -v/-vv" t_grammar
ktap_test_result "fio writes $FIO_BLOCKS blocks: device, port, queues count $FIO_BLOCKS" t_fio_counters
ktap_test_result "stats show: devices; dev, port, queue scopes" t_stats_tables
ktap_test_result "stats show dev/port/queue OBJECT: every counter, latency" t_stats_detail
ktap_test_result "stats show --watch --count, --delta, rate (measured interval)" t_stats_watch
ktap_test_result "stats show SCOPE dev D / port P: filtered in the kernel" t_stats_filters
ktap_test_result "-o prometheus: textfile format, cumulative histogram" t_prometheus

ktap_test_result "-j dev show parses" jcheck array nicctl -j dev show
ktap_test_result "-j port show parses" jcheck array nicctl -j port show
ktap_test_result "-j queue show (and filtered) parses" t_json_queue
ktap_test_result "-j stats show (each scope, one object) parses" t_json_stats
ktap_test_result "-j stats show --watch --count 2 [--delta]: 2 JSON lines" t_json_watch
ktap_test_result "-j config save - parses" jcheck object nicctl -j config save -
ktap_test_result "-j output: every key present, null when absent" t_json_shapes

ktap_test_result "stats reset queue/dev/port/everything zeroes" t_stats_reset

ktap_test_result "config save, clear, restore reproduces the ports and queues" t_config_roundtrip
ktap_test_result "config restore twice: nothing to change, no event" t_config_twice
ktap_test_result "config restore --dry-run, then moves a port on another device" t_config_move
ktap_test_result "config save atomic, default file; restore wait SECS" t_config_atomic_wait
ktap_test_result "-b FILE batch: stops at a failure (FILE:LINE), -force goes on" t_batch

ktap_test_result "unprivileged: every show and monitor -> 2 (EPERM, hint), root's work" t_nobody_shows
ktap_test_result "unprivileged: port set offload off -> 2, unchanged" t_nobody_cannot port set 1 offload off
ktap_test_result "unprivileged: port set dev -> 2, unchanged" t_nobody_cannot port set 2 dev none
ktap_test_result "unprivileged: queue set CTRL/QID -> 2, unchanged" t_nobody_cannot queue set "$CTRL/1" offload off
ktap_test_result "unprivileged: queue set ctrl CTRL -> 2, unchanged" t_nobody_cannot queue set ctrl "$CTRL" offload off
ktap_test_result "unprivileged: stats reset -> 2, unchanged" t_nobody_reset
# the saved state with port 1 off and unbound
sed 's/"on"/"off"/; s/"nicsim1"/null/' "$TMP/saved.json" >"$TMP/clear.json" 2>/dev/null
ktap_test_result "unprivileged: config restore -> 2, unchanged" t_nobody_cannot config restore "$TMP/clear.json"

bad_files
state >"$TMP/before-bad"
for t in "${BAD_TESTS[@]}"; do
	IFS='|' read -r name status re args <<<"$t"
	ktap_test_result "bad input: $name -> exit $status" t_bad "$status" "$re" "$args"
done
ktap_test_result "bad input changed nothing" t_bad_nothing

ktap_test_result "no kernel warning, no host I/O error" t_no_splat

# Unload everything: every command exits 3 with the hint.
nvme disconnect-all >/dev/null 2>&1
nvmet_cleanup >/dev/null 2>&1
echo 1 >"$SIMBUS/del_device"
echo 2 >"$SIMBUS/del_device"
rmmod nicsim
nvmet_transport_unload || msg "cannot unload the transport"
ktap_test_result "module unloaded: every command exits 3 with a hint" t_nomodule
ktap_finished
