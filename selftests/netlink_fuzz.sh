#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 600
#
# netlink_fuzz.sh - the nvmet_offload generic netlink family under nl_fuzz
# (selftests/tools/nl_fuzz.c): every op, do and dump, with valid, mutated
# and missing attributes, wrong types and lengths, unknown ids, deep and
# huge nests, oversized strings, truncated messages, lying nlmsg_len and
# random flags, against objects that exist (two ports, nicsim devices, a
# connected host's queues, offloaded) and ones that do not. As root for
# NVO_NL_FUZZ_SECONDS (default 60), then unprivileged for a quarter of that,
# where every request for a mutating op must get EPERM. Afterwards: no
# kernel warning, the family answers well-formed requests correctly (ports,
# devices, queues agree with debugfs; a policy toggle still offloads), the
# host's I/O verifies, and everything unloads.

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"

NQN=nqn.2014-08.io.nvmet-offload:netlink-fuzz
DBG=/sys/kernel/debug/nvmet_offload
SIMBUS=/sys/bus/nicsim
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
FUZZ_SECONDS=${NVO_NL_FUZZ_SECONDS:-60}
FUZZ_SEED=${NVO_NL_FUZZ_SEED:-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}
FUZZ_SEED=0x${FUZZ_SEED#0x}
TMP=$(mktemp -d)

cleanup() {
	host_disconnect_all >/dev/null 2>&1
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

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

setup() {
	local dev
	# shellcheck disable=SC2119 # no module parameters
	nvmet_transport_load || return 1
	[ -f "$NVO_MODULES/nicsim.ko" ] || { msg "nicsim.ko is not built"; return 1; }
	insmod "$NVO_MODULES/nicsim.ko" || return 1
	echo "1 2" >"$SIMBUS/new_device" && echo "2 1" >"$SIMBUS/new_device" || return 1
	dev=$(nullb_create 1) || return 1
	nvmet_subsys_create "$NQN" && nvmet_ns_create "$NQN" 1 "$dev" &&
		nvmet_port_create 1 127.0.0.1 4420 && nvmet_port_create 2 127.0.0.1 4421 &&
		nvmet_port_link 1 "$NQN" && nvmet_port_link 2 "$NQN" || return 1
	timeout 60 host_connect "$NQN" 127.0.0.1 4420 --nr-io-queues=2 >/dev/null || return 1
	timeout 60 host_connect "$NQN" 127.0.0.1 4421 --nr-io-queues=1 >/dev/null || return 1
	host_ns_dev "$NQN" 1 >/dev/null || return 1
	# port 1 offloaded to nicsim1, port 2 bound to nicsim2 but off
	nl_raw port-set id=1 policy=on dev-name=nicsim1 >/dev/null &&
		nl_raw port-set id=2 dev-name=nicsim2 >/dev/null
}

# fuzz_run NAME [nl_fuzz ARGS...]: output as diagnostics, exit status kept.
fuzz_run() {
	local name=$1 rc
	shift
	"$@" >"$TMP/$name.out" 2>&1
	rc=$?
	sed '/^#/!s/^/# /' "$TMP/$name.out"
	return $rc
}

t_fuzz_root() {
	msg "seed $FUZZ_SEED (NVO_NL_FUZZ_SEED=$FUZZ_SEED reproduces)"
	fuzz_run root timeout $((FUZZ_SECONDS + 120)) nl_fuzz --seconds "$FUZZ_SECONDS" \
		--seed "$FUZZ_SEED" || return 1
	# it must have talked to the family, not only been refused
	grep -q 'answers by errno:.* ack=[1-9]' "$TMP/root.out"
}

t_fuzz_unpriv() {
	local secs=$(((FUZZ_SECONDS + 3) / 4))
	fuzz_run unpriv timeout $((secs + 120)) "${NOBODY[@]}" nl_fuzz --unpriv \
		--seconds "$secs" --seed "$FUZZ_SEED" || return 1
	# nl_fuzz fails itself on any non-EPERM; here: it did check some
	grep -Eq '^# unprivileged: [1-9][0-9]* requests .* [1-9][0-9]* EPERM, 0 otherwise' \
		"$TMP/unpriv.out"
}

t_no_splat() {
	dmesg_clean_since_mark -E 'WARNING:|BUG:|Call Trace|general protection|Oops|refcount_t|KASAN|list_(add|del) corruption'
}

# wait_queue_states PORT STATE: every I/O queue of PORT is in STATE (20 s).
wait_queue_states() {
	for _ in $(seq 200); do
		if ! nl_raw -d queue-get port-id="$1" |
			awk -v s="$2" '$0 !~ / qid=0 / && $0 !~ (" state=" s "( |$)") { bad = 1 }
				END { exit !bad }'; then
			return 0
		fi
		sleep 0.1
	done
	nl_raw -d queue-get port-id="$1" | sed 's/^/# /'
	return 1
}

# After the fuzzing: a known state set with well-formed requests, and the
# family reports it; its dumps agree with debugfs.
t_wellformed() {
	local line n dbg ok=0
	nl_raw port-set id=1 policy=off dev-id=0 >/dev/null || { msg "port-set id=1 off"; ok=1; }
	nl_raw port-set id=2 policy=off dev-id=0 >/dev/null || { msg "port-set id=2 off"; ok=1; }
	wait_queue_states 1 software || ok=1
	for p in 1 2; do
		line=$(nl_raw port-get id=$p) || { msg "port-get id=$p"; ok=1; continue; }
		if [ "$(field "$line" policy)" != off ] || [ -n "$(field "$line" dev-name)" ]; then
			msg "port $p: $line"
			ok=1
		fi
	done
	line=$(nl_raw dev-get name=nicsim1) || { msg "dev-get name=nicsim1"; ok=1; }
	[ "$(nl_raw dev-get id="$(field "$line" id)")" = "$line" ] || { msg "dev-get by id differs"; ok=1; }
	n=$(nl_raw -d queue-get | wc -l)
	dbg=$(($(wc -l <"$DBG/queues") - 1))
	if [ "$n" -ne "$dbg" ] || [ "$n" -ne 5 ]; then
		msg "queues: netlink $n, debugfs $dbg, want 5"
		ok=1
	fi
	nl_raw stats-get scope=port port-id=1 >/dev/null || { msg "stats-get port 1"; ok=1; }
	nl_raw stats-reset >/dev/null || { msg "stats-reset"; ok=1; }
	# and a real change still works: port 1 on nicsim1, its I/O queues offloaded
	nl_raw port-set id=1 policy=on dev-name=nicsim1 >/dev/null || { msg "port-set on"; ok=1; }
	wait_queue_states 1 offloaded || ok=1
	return $ok
}

t_host_io() {
	local dev
	dev=$(host_ns_dev "$NQN" 1) || return 1
	quiet fio_verify "$dev" --size=4M --bs=4k
}

t_unload() {
	local ok=0
	host_disconnect_all || ok=1
	nvmet_cleanup
	echo 1 >"$SIMBUS/del_device" && echo 2 >"$SIMBUS/del_device" || ok=1
	rmmod nicsim || ok=1
	nvmet_transport_unload || ok=1
	! grep -qE '^(nvmet_offload|nicsim) ' /proc/modules || ok=1
	return $ok
}

ktap_print_header
command -v nl_fuzz >/dev/null || ktap_exit_fail_msg "nl_fuzz is not built (selftests/tools)"
ktap_set_plan 7
thp_off
dmesg_mark
if setup; then
	ktap_test_pass "setup: 2 ports, 2 nicsim devices, 2 hosts, port 1 offloaded"
	ktap_test_result "root: ${FUZZ_SECONDS}s of fuzzing, answers well-formed, probes before and after" t_fuzz_root
	ktap_test_result "unprivileged: every request refused with EPERM" t_fuzz_unpriv
	ktap_test_result "no kernel warning" t_no_splat
	ktap_test_result "well-formed requests answered correctly afterwards; offload still works" t_wellformed
	ktap_test_result "host I/O verifies after the fuzzing" t_host_io
	ktap_test_result "host, target, nicsim and transport unload" t_unload
else
	ktap_test_fail "setup: 2 ports, 2 nicsim devices, 2 hosts, port 1 offloaded"
	for t in "root fuzzing" "unprivileged fuzzing" "no kernel warning" \
		"well-formed requests afterwards" "host I/O" "unload"; do
		ktap_test_skip "$t" "setup failed"
	done
fi
ktap_finished
