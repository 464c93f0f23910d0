#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Reading and switching nvmet_offload's I/O queues through debugfs
# (/sys/kernel/debug/nvmet_offload/queues; columns: 1 queue, 4 qid,
# 16 offload state, 18 offloads, 19 reclaims, 20 fallbacks, 21 last
# fallback reason). Shared by lib/offload_test.sh and lib/storm.sh; only
# defines functions, so sourcing it twice is harmless.
#
#   oq_col COL                    "queue value" of column COL, I/O queues
#   oq_sum COL                    column COL summed over the I/O queues
#   oq_states                     "queue offload-state", I/O queues
#   oq_wait_all STATE [SECS]      every I/O queue in STATE (default 10 s)
#   oq_toggle_all on|off          ask for every I/O queue on or off; 1 if
#                                 any request was refused (written errors
#                                 go to stderr as "# ..." lines); a queue
#                                 closed by its host meanwhile is no refusal

OQ_DBG=/sys/kernel/debug/nvmet_offload

oq_col() { awk -v c="$1" 'NR > 1 && $4 > 0 { print $1, $c }' "$OQ_DBG/queues"; }
oq_sum() { awk -v c="$1" 'NR > 1 && $4 > 0 { s += $c } END { print s + 0 }' "$OQ_DBG/queues"; }
oq_states() { oq_col 16; }

oq_wait_all() {
	local _
	for _ in $(seq $((${2:-10} * 10))); do
		if [ -n "$(oq_states)" ] &&
		   ! oq_states | awk -v s="$1" '$2 != s { b = 1 } END { exit !b }'; then
			return 0
		fi
		sleep 0.1
	done
	ktap_print_msg "queues: $(oq_states | tr '\n' ';')"
	return 1
}

oq_toggle_all() {
	local q rc=0 err
	for q in $(oq_states | awk '{ print $1 }'); do
		if ! err=$( { echo "$q $1" >"$OQ_DBG/queue_offload"; } 2>&1); then
			# a queue whose host disconnected between the listing
			# and the write is gone, not refused
			if ! oq_states | awk -v q="$q" '$1 == q { f = 1 } END { exit !f }'; then
				echo "# queue_offload '$q $1': queue closed before its toggle" >&2
				continue
			fi
			echo "# queue_offload '$q $1': ${err##*: }" >&2
			rc=1
		fi
	done
	return $rc
}
