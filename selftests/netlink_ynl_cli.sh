#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 300
# nvo-initramfs: python
#
# netlink_ynl_cli.sh - the nvmet_offload family driven by the kernel's own
# YNL CLI (tools/net/ynl/cli.py of Debian's linux-source-6.12, in the
# guest at /opt/ynl with python3: the runner's python initramfs part) on
# our spec where it is installed (/usr/share/ynl/specs/nvmet_offload.yaml):
# the family and its operations resolve; the device, port and queue dumps
# and the counters (dumps of two scopes, one object by do) decode to what
# nicctl -j shows for the same objects, field by field
# (tools/ynl_match.py); a queue-set and two port-sets sent by ynl move the
# queues and the port as nicctl and debugfs then show, with the
# port-policy-changed notification another ynl hears on the monitor group; an
# unknown device is ynl's ENODEV with the kernel's extack message. Proves
# the spec and the kernel agree without our own codec in between.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/ktap.sh
. "$DIR/lib/ktap.sh"
# shellcheck source=lib/nvmet.sh
. "$DIR/lib/nvmet.sh"
# shellcheck source=lib/nl_monitor.sh
. "$DIR/lib/nl_monitor.sh"

NQN=nqn.2014-08.io.nvmet-offload:ynl-cli
SPEC=/usr/share/ynl/specs/nvmet_offload.yaml
YNL=/opt/ynl/cli.py
DBG=/sys/kernel/debug/nvmet_offload
SIMBUS=/sys/bus/nicsim
BLOCKS=64		# 4k direct writes, so that the counters are not all 0
TMP=$(mktemp -d)
LISTENER=

msg() { ktap_print_msg "$*"; }

cleanup() {
	[ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
	nvme disconnect-all >/dev/null 2>&1
	nvmet_cleanup >/dev/null 2>&1
	[ -d "$SIMBUS" ] && echo 1 >"$SIMBUS/del_device" 2>/dev/null
	rmmod nicsim 2>/dev/null
	nvmet_transport_unload >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# ynl ARGS...: the CLI on our spec (no schema check: the host's
# scripts/ynl-gen.sh validates the spec against the kernel's schema, and
# the guest has no jsonschema), JSON out, in $TMP/ynl.json; exit status in
# $RC, stderr in $TMP/ynl.err.
ynl() {
	local t0=${EPOCHREALTIME/./} dt
	python3 "$YNL" --spec "$SPEC" --no-schema --output-json "$@" \
		>"$TMP/ynl.json" 2>"$TMP/ynl.err"
	RC=$?
	dt=$(((${EPOCHREALTIME/./} - t0) / 100000))
	msg "ynl $1 $2: $((dt / 10)).$((dt % 10)) s"
	[ "$RC" -eq 0 ] && return 0
	msg "ynl $* exited $RC:"
	sed 's/^/#   /' "$TMP/ynl.json" "$TMP/ynl.err" | head -n 20
	return 1
}

# same KIND YNL-ARGS -- NICCTL-ARGS: ynl's reply and nicctl -j's output
# for the same objects agree field by field.
same() {
	local kind=$1 i
	shift
	for ((i = 1; i <= $#; i++)); do [ "${!i}" = -- ] && break; done
	ynl "${@:1:i-1}" || return 1
	nicctl -j "${@:i+1}" >"$TMP/nicctl.json" || { msg "nicctl -j ${*:i+1} failed"; return 1; }
	python3 "$DIR/tools/ynl_match.py" "$kind" "$TMP/ynl.json" "$TMP/nicctl.json" >"$TMP/match" 2>&1
	local rc=$?
	sed 's/^/# /' "$TMP/match" | head -n 30
	return $rc
}

# qstate ID: "state dev_name" of one queue, from nicctl; dbg_state ID: its
# state in debugfs.
qstate() {
	local j
	j=$(nicctl -j queue show "$1")
	echo "$(sed -nE 's/.*"state":"([^"]*)".*/\1/p' <<<"$j")" \
		"$(sed -nE 's/.*"dev_name":"?([^",}]*).*/\1/p' <<<"$j")"
}
dbg_state() { awk -v q="$1" 'NR > 1 && $1 == q { print $16 }' "$DBG/queues"; }

# wait_q ID STATE DEV: nicctl shows queue ID in STATE on DEV within 20 s.
wait_q() {
	for _ in $(seq 100); do
		[ "$(qstate "$1")" = "$2 $3" ] && return 0
		sleep 0.2
	done
	msg "queue $1: $(qstate "$1"), want $2 $3"
	return 1
}

# The I/O queues of port 1, by id.
ioqs() {
	nicctl -j queue show port 1 | python3 -c 'import json, sys
print(" ".join(str(q["id"]) for q in json.load(sys.stdin) if q["qid"]))'
}

t_list_ops() {
	local op
	ynl --list-ops || return 1
	sed 's/^/# /' "$TMP/ynl.json"
	for op in dev-get port-get port-set queue-get queue-set stats-get stats-reset; do
		grep -q "^$op " "$TMP/ynl.json" || { msg "no $op"; return 1; }
	done
}

# The counters moved: the do of the device's stats has write-blocks.
t_counters_do() {
	same stats --do stats-get --json "{\"scope\": \"device\", \"dev-id\": $DEV}" -- \
		stats show dev nicsim1 || return 1
	python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["counters"]
sys.exit(0 if c["write-blocks"] >= int(sys.argv[2]) else 1)' "$TMP/ynl.json" "$BLOCKS" ||
		{ msg "write-blocks below $BLOCKS"; return 1; }
}

# queue-set by ynl: that queue reclaimed, the other stays; then on again.
t_queue_set() {
	local q=$1 other=$2
	ynl --do queue-set --json "{\"id\": $q, \"offload\": \"off\"}" || return 1
	wait_q "$q" software null && [ "$(dbg_state "$q")" = software ] &&
		[ "$(qstate "$other")" = "offloaded nicsim1" ] || return 1
	ynl --do queue-set --json "{\"id\": $q, \"offload\": \"on\"}" &&
		wait_q "$q" offloaded nicsim1 && [ "$(dbg_state "$q")" = offloaded ]
}

# ynl_listen SECS: ynl subscribed to the monitor group for SECS, in the
# background, into $TMP/ntf.json; returns once its socket joined the group
# (a generic netlink socket with a group in /proc/net/netlink). A separate
# process: 6.12's cli.py fails a --do that hears its own notification
# before the ACK (_ops() reads the next message with op None).
ynl_listen() {
	local before
	before=$(nl_listeners)
	python3 "$YNL" --spec "$SPEC" --no-schema --output-json --subscribe monitor \
		--sleep "$1" >"$TMP/ntf.json" 2>&1 &
	LISTENER=$!
	nl_wait_listener "$before" 200 && return 0
	msg "ynl did not join the monitor group"
	return 1
}

# port-set by ynl while another ynl listens: the policy changes as nicctl
# shows, the queues follow, the listener heard port-policy-changed.
t_port_set() {
	local policy=$1 json=$2 state=$3 dev=$4 q
	ynl_listen 12 || return 1
	ynl --do port-set --json "$json" || return 1
	[ "$(nicctl -j port show 1 | python3 -c 'import json, sys
p = json.load(sys.stdin)[0]
print(p["policy"], p["dev_name"])')" = "$policy nicsim1" ] || return 1
	for q in $QS; do
		wait_q "$q" "$state" "$dev" || return 1
	done
	same port --do port-get --json '{"id": 1}' -- port show 1 || return 1
	wait "$LISTENER" || { msg "the listener exited $?"; sed 's/^/# /' "$TMP/ntf.json"; return 1; }
	sed 's/^/# /' "$TMP/ntf.json"
	python3 -c 'import json, sys
ntf = json.loads(open(sys.argv[1]).read().splitlines()[-1])
sys.exit(0 if any(n["name"] == "port-policy-changed" and n["msg"]["id"] == 1 and
                  n["msg"]["policy"] == sys.argv[2] for n in ntf) else 1)' \
		"$TMP/ntf.json" "$policy" || { msg "no port-policy-changed for port 1 $policy"; return 1; }
}

t_enodev() {
	ynl --do dev-get --json '{"id": 4242}' && { msg "dev 4242 found"; return 1; }
	grep -q 'No such device' "$TMP/ynl.json" &&
		grep -q "extack: {'msg': 'no such offload device'" "$TMP/ynl.json"
}

# ---- main -------------------------------------------------------------------

ktap_print_header
if [ "$(nvo_transport)" != ours ]; then
	ktap_skip_all "ynl drives our transport's family (NVO_TRANSPORT=$(nvo_transport))"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 13
command -v python3 >/dev/null && [ -f "$YNL" ] ||
	ktap_exit_fail_msg "no python3 or $YNL (run-vm.sh --part python)"
[ -f "$SPEC" ] || ktap_exit_fail_msg "no $SPEC in the guest"
command -v nicctl >/dev/null || ktap_exit_fail_msg "nicctl is not built"

nvmet_transport_load || ktap_exit_fail_msg "cannot load our transport"
insmod "$NVO_MODULES/nicsim.ko" || ktap_exit_fail_msg "cannot load nicsim"
echo "1 2" >"$SIMBUS/new_device" || ktap_exit_fail_msg "cannot create nicsim1"
dev=$(nullb_create 1) || ktap_exit_fail_msg "no null_blk"
{ nvmet_subsys_create "$NQN" && nvmet_ns_create "$NQN" 1 "$dev" &&
	nvmet_port_create 1 127.0.0.1 4420 && nvmet_port_link 1 "$NQN"; } ||
	ktap_exit_fail_msg "target setup failed"
timeout 60 host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null ||
	ktap_exit_fail_msg "cannot connect"
NS=$(host_ns_dev "$NQN" 1) || ktap_exit_fail_msg "no namespace on the host"
nicctl port set 1 offload on dev nicsim1 || ktap_exit_fail_msg "cannot offload port 1"
QS=$(ioqs)
read -r Q1 Q2 <<<"$QS"
[ -n "$Q2" ] || ktap_exit_fail_msg "want 2 I/O queues on port 1, have: $QS"
for q in $QS; do wait_q "$q" offloaded nicsim1 || ktap_exit_fail_msg "queue $q not offloaded"; done
dd if=/dev/zero of="$NS" bs=4k count="$BLOCKS" oflag=direct status=none ||
	ktap_exit_fail_msg "dd to $NS failed"
DEV=$(nicctl -j dev show nicsim1 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
msg "device $DEV, I/O queues $QS, namespace $NS"

ktap_test_result "ynl --list-ops: the family resolves, every operation" t_list_ops
ktap_test_result "dev-get dump = nicctl -j dev show" same dev --dump dev-get -- dev show
ktap_test_result "port-get dump = nicctl -j port show" same port --dump port-get -- port show
ktap_test_result "queue-get dump = nicctl -j queue show" same queue --dump queue-get -- queue show
ktap_test_result "stats-get dump (dev scope) = nicctl -j stats show dev" \
	same stats --dump stats-get --json '{"scope": "device"}' -- stats show dev
ktap_test_result "stats-get dump (queue scope) = nicctl -j stats show queue" \
	same stats --dump stats-get --json '{"scope": "queue"}' -- stats show queue
ktap_test_result "stats-get do (device $DEV) = nicctl -j stats show dev nicsim1, $BLOCKS blocks" \
	t_counters_do
ktap_test_result "queue-get do (queue $Q1) = nicctl -j queue show $Q1" \
	same queue --do queue-get --json "{\"id\": $Q1}" -- queue show "$Q1"
ktap_test_result "queue-set by ynl: queue $Q1 reclaimed, $Q2 stays; on again" t_queue_set "$Q1" "$Q2"
ktap_test_result "port-set by ynl: policy off, queues in software, the event" \
	t_port_set off '{"id": 1, "policy": "off"}' software null
ktap_test_result "port-set by ynl (dev-name): policy on, queues offloaded, the event" \
	t_port_set on '{"id": 1, "policy": "on", "dev-name": "nicsim1"}' offloaded nicsim1
ktap_test_result "dev-get of an unknown device: ENODEV with extack" t_enodev
ktap_test_result "queue-get dump after the changes = nicctl -j queue show" \
	same queue --dump queue-get -- queue show
ktap_finished
