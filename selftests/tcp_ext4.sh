#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tcp_ext4.sh - a filesystem over the NVMe/TCP target transport: mkfs.ext4
# on the namespace, files of known checksums (small, medium, large, and a
# tree of many small ones), sync, drop caches, umount; then a fresh host
# connection (so nothing can come from the host's caches), remount, compare
# every checksum, umount and fsck.ext4 -fn must find nothing.
#
# Usage: tcp_ext4.sh [--transport ours|stock]   (default: $NVO_TRANSPORT)

DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/tcp_test.sh
. "$DIR/lib/tcp_test.sh"
tcp_test_args "$@"

NQN=nqn.2014-08.io.nvmet-offload:tcp-ext4
ADDR=127.0.0.1
PORT=4420
MNT=/mnt/nvo-ext4
SUMS=/tmp/nvo-ext4.md5

DEV=

cleanup() {
	umount "$MNT" 2>/dev/null
	nvmet_cleanup
}

setup() {
	# Its null_blk must be memory backed: the data has to survive a reconnect.
	tcp_target_setup "$NQN" "$ADDR" "$PORT" || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" || return 1
	DEV=$(host_ns_dev "$NQN" 1)
}

test_mkfs_mount() {
	quiet timeout 120 mkfs.ext4 -F -q "$DEV" || return 1
	mkdir -p "$MNT"
	quiet mount -t ext4 "$DEV" "$MNT"
}

# Random content, sizes chosen to hit partial pages, single blocks, and
# multi-megabyte extents; plus a directory tree of many small files.
test_write() {
	local i sz
	for sz in 1 4095 4096 65537 1048576 8388608 33554432; do
		head -c "$sz" /dev/urandom >"$MNT/file-$sz" || return 1
	done
	mkdir -p "$MNT/tree" || return 1
	for i in $(seq 1 200); do
		mkdir -p "$MNT/tree/d$((i % 10))" &&
			head -c $((i * 97)) /dev/urandom >"$MNT/tree/d$((i % 10))/f$i" || return 1
	done
	(cd "$MNT" && find . -type f ! -path './lost+found/*' | sort | xargs md5sum) >"$SUMS" ||
		return 1
	msg "$(wc -l <"$SUMS") files written"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	quiet umount "$MNT"
}

# Reconnect: a new controller and block device, no host cache left.
test_reconnect_remount() {
	quiet host_disconnect "$NQN" || return 1
	quiet host_connect "$NQN" "$ADDR" "$PORT" || return 1
	DEV=$(host_ns_dev "$NQN" 1) || return 1
	quiet mount -t ext4 "$DEV" "$MNT"
}

test_compare() {
	local bad
	bad=$(cd "$MNT" && md5sum -c "$SUMS" 2>&1 | grep -v ': OK$')
	[ -z "$bad" ] && [ -s "$SUMS" ] && return 0
	echo "$bad" | head -n 20 | sed 's/^/# /'
	return 1
}

test_fsck() {
	quiet umount "$MNT" || return 1
	quiet timeout 120 fsck.ext4 -fn "$DEV"
}

ktap_print_header
ktap_set_plan 6
trap cleanup EXIT
msg "transport: $(nvo_transport)"

step "setup: null_blk namespace exported and connected" setup
step "mkfs.ext4 and mount over NVMe/TCP" test_mkfs_mount
step "write files with known md5sums, sync, drop caches, umount" test_write
step "disconnect, reconnect, remount" test_reconnect_remount
step "every file reads back with its md5sum" test_compare
step "umount, fsck.ext4 -fn clean" test_fsck
ktap_finished
