#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel modules out of tree against Debian's kernel headers.
# Usage: build-modules.sh BUILD_DIR [make args, e.g. C=1 or clean]
# The sources stay clean: kbuild runs in BUILD_DIR/kbuild, a tree of links
# to ours, and the .ko files are copied to BUILD_DIR/modules.
# NVO_KERNEL=debug (scripts/kernel-env.sh): against the debug kernel's tree
# instead, in BUILD_DIR/kbuild-debug, copied to BUILD_DIR/modules-debug;
# likewise NVO_KERNEL=6.12 (-6.12) and NVO_ARCH=arm64 (-arm64, cross-built).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "${1:?usage: build-modules.sh BUILD_DIR [make args]}" && cd "$1" && pwd)
shift
# shellcheck source=kernel-env.sh
. "$src/scripts/kernel-env.sh"

if [ ! -d "$KDIR" ]; then
	echo "build-modules: no kernel build tree at $KDIR (install linux-headers-$KABI)" >&2
	exit 1
fi
# Each kernel its own kbuild tree and output: objects never mix.
suffix=${KFLAVOR:+-$KFLAVOR}
if [ -z "$KPACKAGED" ]; then
	# A kernel we built (NVO_KERNEL=debug): a full source tree, nvmet.h is in it.
	private="$KDIR/drivers/nvme/target"
	[ -f "$private/nvmet.h" ] || { echo "build-modules: no $private/nvmet.h" >&2; exit 1; }
else
	"$src/scripts/kernel-private.sh" "$build/kernel-private$suffix"
	private="$build/kernel-private$suffix/linux-source-$KSERIES/drivers/nvme/target"
fi
# Debian's kernels: warnings are errors (kmod/Kbuild; NVO_WERROR=0 turns
# that off). arm64: cross-compiled (CROSS_COMPILE, default aarch64-linux-gnu-).
kargs=()
if [ -n "$KPACKAGED" ] && [ "${NVO_WERROR:-1}" != 0 ]; then
	kargs+=(NVO_WERROR=y)
fi
if [ "${KARCH:-x86_64}" = arm64 ]; then
	kargs+=(ARCH=arm64 CROSS_COMPILE="${CROSS_COMPILE:-aarch64-linux-gnu-}")
fi

# Mirror the kbuild tree as links, dropping links to files that went away.
tree="$build/kbuild$suffix"
mkdir -p "$tree"
find "$tree" -type l ! -exec test -e {} \; -delete
cp -rsf "$src/Kbuild" "$src/kmod" "$tree/"

make -s -C "$KDIR" M="$tree" NVO_SRCTREE="$src" NVMET_PRIVATE_INC="$private" \
	"${kargs[@]+"${kargs[@]}"}" -j"$(nproc)" "$@"

if [ $# -eq 0 ]; then
	mkdir -p "$build/modules$suffix"
	find "$tree" -name '*.ko' -exec cp -f {} "$build/modules$suffix/" \;
fi
