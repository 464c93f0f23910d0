#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_malformed.sh - protocol violations against a live NVMe/TCP target.
# nvme_tcp_badpdu (selftests/tools) sends one malformed PDU sequence per
# case and expects the target to end that connection (EOF or RST, optionally
# after a C2HTermReq); a data digest error may instead fail the command.
# After every batch the target must still serve a raw good connection, the
# raw I/O path (R2T, in-capsule, C2HData, digests) and a real nvme connect
# with verified I/O; at the end no target-side connection may be left over.
# The runner scans the kernel log for oopses and WARNs; we check it too.
#
# Usage: tcp_malformed.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:tcp-malformed
ADDR=127.0.0.1
PORT=4420

# Batches of cases, each followed by a health check. Grouped by protocol
# stage: connection setup, PDU header, digests, data transfer.
BATCH1="short-header bad-pfv bad-hpda icreq-bad-plen icreq-bad-hlen capsule-before-icreq second-icreq"
BATCH2="hlen-mismatch unknown-type wrong-direction oversized-plen short-plen h2c-term"
BATCH3="bad-hdr-digest bad-data-digest"
BATCH4="unknown-tag-data idle-tag-data h2cdata-outside-r2t h2cdata-overrun good-small-r2t"

# Known differences of stock nvmet-tcp (6.1) from the NVMe/TCP spec. They
# still run and are reported as XFAIL rather than FAIL for NVO_TRANSPORT=stock
# only: our transport must get them right.
stock_quirk() {
	case $1 in
	oversized-plen | short-plen) echo "stock nvmet-tcp ignores CapsuleCmd PLEN" ;;
	good-small-r2t) echo "stock nvmet-tcp waits for in-capsule data when a write that fits in-capsule asks for R2T" ;;
	*) return 1 ;;
	esac
}

badpdu() {
	timeout 60 nvme_tcp_badpdu --addr "$ADDR" --port "$PORT" --subnqn "$NQN" \
		--timeout 5 --case "$@"
}

# One case: its verdict line becomes a diagnostic; stock quirks are skips.
run_case() {
	local c=$1 out rc why
	out=$(badpdu "$c" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ]; then
		ktap_test_pass "case $c"
	elif [ $rc -eq 1 ] && [ "$(nvo_transport)" = stock ] && why=$(stock_quirk "$c"); then
		ktap_test_xfail "case $c" "$why"
	else
		ktap_test_fail "case $c"
	fi
}

# The target still works: raw controls, then the kernel host with I/O.
healthy() {
	local dev rc=0
	quiet badpdu good || rc=1
	quiet badpdu good-io || rc=1
	[ $rc -eq 0 ] || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" || return 1
	dev=$(host_ns_dev "$NQN" 1) || rc=1
	[ $rc -eq 0 ] && { quiet fio_verify "$dev" --size=1M --bs=4k || rc=1; }
	quiet host_disconnect "$NQN" || rc=1
	return $rc
}

# Every connection the target accepted must be gone once the peers are: an
# ESTAB or CLOSE-WAIT socket on our port would be a leaked queue.
no_leaked_sockets() {
	wait_for 10 tcp_port_idle "$PORT" && return 0
	ss -tn "( sport = :$PORT )" | sed 's/^/# /'
	return 1
}

no_oops() {
	dmesg_clean_since_mark -E 'BUG:|WARNING:|Oops|general protection|Call Trace|refcount_t|use-after-free|KASAN'
}

ncases=0
for c in $BATCH1 $BATCH2 $BATCH3 $BATCH4; do ncases=$((ncases + 1)); done

ktap_print_header
ktap_set_plan $((1 + 1 + ncases + 4 + 2))
trap nvmet_cleanup EXIT
msg "transport: $(nvo_transport)"
dmesg_mark

if tcp_target_setup "$NQN" "$ADDR" "$PORT"; then
	ktap_test_pass "setup: $(nvo_transport) transport, $NQN on $ADDR:$PORT"
	ktap_test_result "baseline: target healthy before any malformed PDU" healthy
	n=0
	for batch in "$BATCH1" "$BATCH2" "$BATCH3" "$BATCH4"; do
		n=$((n + 1))
		for c in $batch; do
			run_case "$c"
		done
		ktap_test_result "target healthy after batch $n ($(echo "$batch" | wc -w) cases)" healthy
	done
	ktap_test_result "no target connection left open (ESTAB/CLOSE-WAIT on :$PORT)" no_leaked_sockets
else
	ktap_test_fail "setup: $(nvo_transport) transport, $NQN on $ADDR:$PORT"
	ktap_test_skip "baseline: target healthy before any malformed PDU" "setup failed"
	for c in $BATCH1 $BATCH2 $BATCH3 $BATCH4; do
		ktap_test_skip "case $c" "setup failed"
	done
	for n in 1 2 3 4; do
		ktap_test_skip "target healthy after batch $n" "setup failed"
	done
	ktap_test_skip "no target connection left open" "setup failed"
fi
ktap_test_result "no oops, BUG or WARN in the kernel log" no_oops
ktap_finished
