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

run_fuzzer() {
	local rc
	msg "fuzzing for ${FUZZ_SECONDS}s, seed $FUZZ_SEED (NVO_FUZZ_SEED=$FUZZ_SEED reproduces)"
	# Bounded by time; the iteration cap is only a backstop.
	timeout $((FUZZ_SECONDS + 240)) nvme_tcp_fuzz --addr "$ADDR" --port "$PORT" \
		--nqn "$NQN" --timeout 15 --seed "$FUZZ_SEED" --seconds "$FUZZ_SECONDS" \
		--iterations 100000000 --record "$LOG/fuzz.rec" >"$LOG/fuzz.out" 2>&1
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
ktap_set_plan $((1 + ${#CASES[@]} + 1 + 1 + 5))
trap 'nvmet_cleanup; rm -rf "$LOG"' EXIT
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
fi
ktap_finished
