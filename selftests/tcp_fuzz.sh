#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvo-timeout: 900
#
# tcp_fuzz.sh - the NVMe/TCP target under a structure-aware PDU fuzzer.
# nvme_tcp_fuzz (selftests/tools) first replays the regression corpus in
# selftests/fuzz/pdu-corpus/ (one case per public nvmet-tcp CVE class: PDUs
# before or without a Connect, commands on queues without a controller, ICReq
# failures with digests), one subtest per case, each connection followed by
# a health check (ICReq, admin Connect, Property Get, CC.EN). Then it fuzzes
# for NVO_FUZZ_SECONDS (default 120) with seed NVO_FUZZ_SEED (default: new
# each run, printed), a health check after every connection. Afterwards the
# target must still pass the raw I/O control, serve the kernel's nvme-tcp
# host with verified fio I/O, have no connection left open, have logged no
# oops or WARN, and unload.
# On our transport the fuzzer then runs NVO_FUZZ_OFFLOAD_SECONDS (default
# 40) more with port 1 bound to a nicsim device: nicsim's engine has its
# own parser, digest check and termination path. The fuzzer waits for each
# I/O queue it opens to be offloaded (debugfs) and counts them: most must
# have been, and nicsim1's counters must show the offloads.
#
# Usage: tcp_fuzz.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:tcp-fuzz
ADDR=127.0.0.1
PORT=4420
CORPUS=$DIR/fuzz/pdu-corpus
FUZZ_SECONDS=${NVO_FUZZ_SECONDS:-120}
OFFL_SECONDS=${NVO_FUZZ_OFFLOAD_SECONDS:-40}
# The seed is printed either way; set NVO_FUZZ_SEED to replay a run.
FUZZ_SEED=${NVO_FUZZ_SEED:-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}
FUZZ_SEED=0x${FUZZ_SEED#0x}
LOG=$(mktemp -d)

# One corpus file: every connection's expectation met and the target
# healthy after each.
replay_case() {
	local f=$1 out rc
	out=$(timeout 300 nvme_tcp_fuzz --addr "$ADDR" --port "$PORT" --nqn "$NQN" \
		--timeout 15 --replay "$f" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^# \(nvme_tcp_fuzz\|summary\|rate\|sent\|PDU kinds\|scenarios\|target:\)' |
		sed '/^#/!s/^/# /'
	return "$rc"
}

# run_fuzzer [SECONDS [ARGS...]]
run_fuzzer() {
	local rc secs=${1:-$FUZZ_SECONDS}
	shift
	msg "fuzzing for ${secs}s, seed $FUZZ_SEED (NVO_FUZZ_SEED=$FUZZ_SEED reproduces) $*"
	# Bounded by time; the iteration cap is only a backstop.
	timeout $((secs + 240)) nvme_tcp_fuzz --addr "$ADDR" --port "$PORT" \
		--nqn "$NQN" --timeout 15 --seed "$FUZZ_SEED" --seconds "$secs" \
		--iterations 100000000 --record "$LOG/fuzz.rec" "$@" >"$LOG/fuzz.out" 2>&1
	rc=$?
	sed '/^#/!s/^/# /' "$LOG/fuzz.out" | grep -v '^# [0-9]* iterations, '
	if [ $rc -ne 0 ]; then
		# What the failing iteration sent, for the write-up.
		msg "fuzzer exit $rc; the last 40 recorded lines:"
		tail -n 40 "$LOG/fuzz.rec" | cut -c1-200 | sed 's/^/# /'
		cp "$LOG/fuzz.rec" /tmp/nvo-tcp-fuzz.rec 2>/dev/null
	fi
	return $rc
}

raw_io_ok() {
	quiet timeout 120 nvme_tcp_badpdu --addr "$ADDR" --port "$PORT" --subnqn "$NQN" \
		--timeout 15 --case good-io
}

host_io_ok() {
	local dev rc=0
	quiet timeout 120 host_connect "$NQN" "$ADDR" "$PORT" || return 1
	dev=$(host_ns_dev "$NQN" 1) || rc=1
	[ $rc -eq 0 ] && { quiet fio_verify "$dev" --size=4M --bs=4k || rc=1; }
	quiet host_disconnect "$NQN" || rc=1
	return $rc
}

nic() {
	local v
	v=$(nicctl -j stats show dev nicsim1 2>/dev/null | grep -o "\"$1\":[0-9]*" | head -n1)
	echo "${v#*:}"
}

# The fuzzer against nicsim's engine: port 1 bound to nicsim1; of the I/O
# queues the fuzzer opened, at least half and 20 must have been offloaded
# when it went on (queues whose random ICReq the device refuses stay in
# software), and nicsim1 counted at least as many offloads.
OFFL_OK=
offload_fuzz() {
	local q o n0 n1
	quiet insmod "$NVO_MODULES/nicsim.ko" || return 1
	echo "1 2" >/sys/bus/nicsim/new_device || return 1
	echo "1 on nicsim1" >/sys/kernel/debug/nvmet_offload/port_offload || return 1
	n0=$(nic offload_events)
	run_fuzzer "$OFFL_SECONDS" --offloaded || return 1
	n1=$(nic offload_events)
	read -r q o < <(sed -n 's/^# offload: io_queues=\([0-9]*\) offloaded=\([0-9]*\).*/\1 \2/p' "$LOG/fuzz.out")
	msg "I/O queues opened ${q:-?}, seen offloaded ${o:-?}; nicsim1 offload_events ${n0:-?} -> ${n1:-?}"
	[ -n "$q" ] && [ -n "$o" ] && [ "$o" -ge 20 ] && [ $((2 * o)) -ge "$q" ] &&
		[ $((n1 - n0)) -ge "$o" ] && OFFL_OK=1
}
offload_fuzz_counted() { [ -n "$OFFL_OK" ]; }

no_leaked_sockets() {
	wait_for 30 tcp_port_idle "$PORT" && return 0
	ss -tn "( sport = :$PORT )" | sed 's/^/# /'
	return 1
}

no_oops() {
	dmesg_clean_since_mark -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount_t|use-after-free|KASAN|double free'
}

unloads() {
	nvmet_cleanup
	if [ -d /sys/bus/nicsim ]; then
		echo 1 >/sys/bus/nicsim/del_device 2>/dev/null
		rmmod nicsim || return 1
	fi
	nvmet_transport_unload || return 1
	case $(nvo_transport) in
	ours) ! grep -q '^nvmet_offload ' /proc/modules ;;
	stock) ! grep -q '^nvmet_tcp ' /proc/modules ;;
	esac
}

mapfile -t CASES < <(ls "$CORPUS"/*.pdus 2>/dev/null)

ktap_print_header
[ ${#CASES[@]} -gt 0 ] || ktap_exit_fail_msg "no corpus in $CORPUS"
command -v nvme_tcp_fuzz >/dev/null || ktap_exit_fail_msg "nvme_tcp_fuzz is not built (selftests/tools)"
noffl=0
[ "$(nvo_transport)" = ours ] && noffl=3
ktap_set_plan $((1 + ${#CASES[@]} + 1 + 1 + 5 + noffl))
trap 'nvmet_cleanup; rm -rf "$LOG"; [ -d /sys/bus/nicsim ] && echo 1 >/sys/bus/nicsim/del_device; rmmod nicsim 2>/dev/null' EXIT
msg "transport: $(nvo_transport)"
# fio's buffers out of THPs (see lib/tcp_test.sh)
thp_off
dmesg_mark

if tcp_target_setup "$NQN" "$ADDR" "$PORT"; then
	ktap_test_pass "setup: $(nvo_transport) transport, null_blk as $NQN on $ADDR:$PORT"
	for f in "${CASES[@]}"; do
		ktap_test_result "corpus $(basename "$f" .pdus)" replay_case "$f"
	done
	ktap_test_result "raw I/O control (R2T, in-capsule, C2HData, digests) after the corpus" raw_io_ok
	ktap_test_result "fuzzer: ${FUZZ_SECONDS}s, exit 0, a health check after every connection" run_fuzzer
	ktap_test_result "raw I/O control after fuzzing" raw_io_ok
	if [ "$(nvo_transport)" = ours ]; then
		ktap_test_result "fuzzer on offloaded I/O queues (nicsim1): ${OFFL_SECONDS}s, exit 0, healthy" offload_fuzz
		ktap_test_result "the fuzzed I/O queues were offloaded (debugfs, nicsim1's counters)" offload_fuzz_counted
		ktap_test_result "raw I/O control on the offloaded port after fuzzing" raw_io_ok
	fi
	ktap_test_result "nvme-tcp host: connect, fio verify, disconnect after fuzzing" host_io_ok
	ktap_test_result "no target connection left open (ESTAB/CLOSE-WAIT on :$PORT)" no_leaked_sockets
	ktap_test_result "no oops, BUG or WARN in the kernel log" no_oops
	ktap_test_result "the transport unloads cleanly" unloads
else
	ktap_test_fail "setup: $(nvo_transport) transport, null_blk as $NQN on $ADDR:$PORT"
	for f in "${CASES[@]}"; do
		ktap_test_skip "corpus $(basename "$f" .pdus)" "setup failed"
	done
	for t in "raw I/O control after the corpus" "fuzzer" "raw I/O control after fuzzing" \
		"nvme-tcp host after fuzzing" "no target connection left open" \
		"no oops, BUG or WARN in the kernel log" "the transport unloads cleanly"; do
		ktap_test_skip "$t" "setup failed"
	done
	for ((i = 0; i < noffl; i++)); do ktap_test_skip "offloaded fuzzing" "setup failed"; done
fi
ktap_finished
