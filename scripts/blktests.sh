#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# blktests' nvme group over NVMe/RDMA on Soft-RoCE (Documentation/rdma.rst,
# "Conformance: blktests"): one VM boot runs each test against stock
# nvmet-rdma, then against nvmet_offload_rdma.ko (selftests/blktests/
# guest.sh), and this prints both columns' pass/fail/"not run" side by side.
#
# usage: scripts/blktests.sh --blktests DIR [--tests "nvme/003 nvme/004"]
#                            [--timeout SECS] [--out DIR]
#   --blktests DIR  a blktests checkout (has ./check), or a bare git
#                   directory of one (its HEAD is exported); env NVO_BLKTESTS
#   --tests LIST    only these tests (default: the whole nvme group); to
#                   split the group over several boots, each boot still
#                   runs both columns
#   --timeout SECS  the guest's budget (default 14400)
#   --out DIR       results (default build/blktests): console.log,
#                   output.txt (the guest's lines), table.txt
# Env: NVO_BLKTESTS_BLKDEV (device | file, blktests' NVMET_BLKDEV_TYPES,
# default device), NVO_BLKTESTS_IMG_SIZE (NVME_IMG_SIZE, default 350m),
# NVO_BLKTESTS_TEST_TIMEOUT (per test, default 900 s), NVO_BUILDDIR,
# NVO_VM_LOCK (a lock file held, with flock, only while the VM runs: the
# preparation before it, make and staging, does not keep others waiting).
# Exit: 0 when ours is not below stock (no test stock passes that ours
# fails) and both columns measured what they claim; 1 otherwise; 2 usage.
# blktests is not ours and is never committed: fetch it yourself
# (https://github.com/linux-blktests/blktests).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
# shellcheck source=kernel-env.sh
. "$src/scripts/kernel-env.sh"
set -u

bt=${NVO_BLKTESTS:-}
tests=
timeout=14400
out=$build/blktests

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { echo "blktests: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--blktests) bt=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$(realpath -m "$2"); shift 2 ;;
	-h | --help) usage ;;
	*) echo "blktests: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$bt" ] || die "no blktests checkout: pass --blktests DIR (or set NVO_BLKTESTS); get one with git clone https://github.com/linux-blktests/blktests"
[ -d "$bt" ] || die "--blktests $bt: no such directory"

# Our copy of blktests, built, under $out/tree (never the caller's checkout).
tree=$out/tree
rm -rf "$tree"
mkdir -p "$tree"
if [ -x "$bt/check" ] && [ -d "$bt/tests/nvme" ]; then
	commit=$(git -C "$bt" rev-parse HEAD 2>/dev/null || echo "unknown (not a git checkout)")
	cp -a "$bt/." "$tree/"
	rm -rf "$tree/results" "$tree/.git"
elif git --git-dir="$bt" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	commit=$(git --git-dir="$bt" rev-parse HEAD)
	git --git-dir="$bt" archive HEAD | tar -x -C "$tree"
	if [ ! -x "$tree/check" ] || [ ! -d "$tree/tests/nvme" ]; then
		die "$bt: HEAD is not blktests (no check, tests/nvme)"
	fi
else
	die "$bt is not a blktests checkout (no ./check and tests/nvme) nor a git directory of one"
fi
echo "blktests: blktests $commit" >&2
nice -n 10 make -C "$tree" -j"$(nproc)" >"$out/make.log" 2>&1 ||
	die "make in $tree failed: $out/make.log"

# The tools blktests' nvme tests use beyond the base image's busybox:
# GNU coreutils (mktemp --tmpdir, stat -c ...), util-linux, xfsprogs...
# need_host_tool CMD PACKAGE WHAT: install PACKAGE when CMD is missing (as
# root), else say WHAT is lost
need_host_tool() {
	command -v "$1" >/dev/null && return 0
	if [ "$(id -u)" -eq 0 ]; then
		echo "blktests: installing $2 ($1)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null &&
			return 0
	fi
	echo "blktests: no $1 (apt-get install $2): $3" >&2
}
need_host_tool mkfs.xfs xfsprogs "the xfs tests (nvme/012, nvme/047) will not run"
# ./check itself wants GNU awk, getconf and zgrep for some tests' requires()
# (nvme/032 on: without them a test ends with no result in both columns).
need_host_tool gawk gawk "tests that need GNU awk end without a result"
mapfile -t progs < <(dpkg -L coreutils | sed -n 's|^/usr/bin/\(.\)|\1|p; s|^/bin/\(.\)|\1|p' | sort -u)
progs+=(udevadm sed grep find xargs diff cmp awk mawk dmesg findmnt losetup lsblk blkid blkdiscard wipefs
	mount umount column uuidgen script lsof jq dmsetup mkfs.xfs xfs_io ps pkill pgrep
	gawk getconf zgrep gzip)
root=$out/root
rm -rf "$root"
mkdir -p "$root/usr"
manifest=$build/vm/base.manifest
# A host file in $root: a program at its canonical path, a library under
# the name ldd gave (its soname) in its canonical directory; not what the
# base has.
stage() {
	local f
	f=$(readlink -f "$1")
	if [ "${2:-}" = lib ]; then
		f=$(readlink -f "$(dirname "$1")")/$(basename "$1")
		[ -f "$manifest" ] && grep -qxF "$f" "$manifest" && return 0
	fi
	[ -e "$root$f" ] && return 0
	mkdir -p "$root$(dirname "$f")"
	cp -L "$1" "$root$f"
}
for p in "${progs[@]}"; do
	f=$(type -P "$p") || { echo "blktests: no $p on this host: not in the VM" >&2; continue; }
	# under its asked-for name too (GNU tools replace busybox's applets)
	case $f in /usr/*) ;; *) f=/usr$f ;; esac
	stage "$f"
	if [ "$(readlink -f "$f")" != "$f" ]; then
		mkdir -p "$root$(dirname "$f")"
		ln -sf "$(readlink -f "$f")" "$root$f"
	fi
	while read -r lib; do
		stage "$lib" lib
	done < <(ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p')
done

# zgrep is a /bin/sh script, and the guest's sh is busybox ash, which runs
# its own gzip applet (no plain-text pass-through) whatever PATH says:
# bash runs it with GNU gzip (./check greps /boot/config-* with zgrep).
[ -f "$root/usr/bin/zgrep" ] && sed -i '1s|^#!.*|#!/bin/bash|' "$root/usr/bin/zgrep"
args=(--file "$tree:/opt/blktests" --file "$root/usr:/usr")
[ -f "/boot/config-$KABI" ] && args+=(--file "/boot/config-$KABI:/boot/config-$KABI")
ko=$build/modules/nvmet_offload_rdma.ko
[ -f "$ko" ] || bash "$src/scripts/build-modules.sh" build >/dev/null
[ -f "$ko" ] || die "no $ko (bash scripts/build-modules.sh build)"

# xfs for the xfs tests, scsi_debug for nvme/065: Debian modules the base
# initramfs does not carry otherwise.
export NVO_EXTRA_KMODS="${NVO_EXTRA_KMODS:-} xfs scsi_debug"
export NVO_HUNG_TASK_SECS=120
# shellcheck disable=SC2086 # a list of test names
set -- $tests
t0=$SECONDS
rc=0
lock=()
[ -n "${NVO_VM_LOCK:-}" ] && lock=(flock "$NVO_VM_LOCK")
"${lock[@]}" "$src/selftests/vm/run-vm.sh" --mem 4G --timeout "$timeout" "${args[@]}" \
	--env NVO_BLKTESTS_BLKDEV="${NVO_BLKTESTS_BLKDEV:-device}" \
	--env NVO_BLKTESTS_IMG_SIZE="${NVO_BLKTESTS_IMG_SIZE:-350m}" \
	--env NVO_BLKTESTS_TEST_TIMEOUT="${NVO_BLKTESTS_TEST_TIMEOUT:-900}" \
	--log "$out/console.log" --output "$out/output.txt" \
	/opt/nvmet-offload/selftests/blktests/guest.sh "$@" || rc=$?
echo "blktests: the VM took $((SECONDS - t0)) s (guest exit $rc)" >&2

python3 "$src/scripts/blktests-table.py" --commit "$commit" "$out/output.txt" >"$out/table.txt" || rc=1
cat "$out/table.txt"
[ $rc -eq 0 ] || echo "blktests: FAILED: $out/output.txt, $out/console.log" >&2
exit $rc
