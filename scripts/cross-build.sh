#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Cross-build everything for Debian arm64 in one command:
#   BUILD/modules-arm64/*.ko  against Debian's arm64 headers (vermagic and
#                             symbol CRCs of linux-image-<ABI>-arm64)
#   BUILD/bin/*               nicctl and the test clients, aarch64
# Usage: cross-build.sh [--vm] [BUILD_DIR]   (default: NVO_BUILDDIR, else
#   <repo>/build/arm64); --vm: only what the VM's tests run (the vm_tools
#   target: nicctl, the test clients), not the unit tests.
# Fetches the arm64 kernel and installs the toolchain and the arm64 -dev
# packages when missing (scripts/arm64-env.sh).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
vm_only=
if [ "${1:-}" = --vm ]; then vm_only=1; shift; fi
build=${1:-${NVO_BUILDDIR:-$src/build/arm64}}
mkdir -p "$build"
t0=$SECONDS
bash "$src/scripts/arm64-env.sh" >/dev/null
NVO_ARCH=arm64 bash "$src/scripts/build-modules.sh" "$build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_TOOLCHAIN_FILE="$src/scripts/aarch64-linux-gnu.cmake" >/dev/null
if [ -n "$vm_only" ]; then
	cmake --build "$build" -j"$(nproc)" --target vm_tools
else
	cmake --build "$build" -j"$(nproc)" --target nicctl
	# The test clients (selftests/tools) too, if the arm64 gtest is there for
	# the rest of the tree; nicctl alone otherwise.
	cmake --build "$build" -j"$(nproc)" || echo "cross-build: only nicctl was built (see above)" >&2
fi
file "$build"/modules-arm64/*.ko "$build/bin/nicctl"
file "$build/bin/nicctl" | grep -q 'ARM aarch64' || { echo "cross-build: nicctl is not aarch64" >&2; exit 1; }
echo "cross-build: done in $((SECONDS - t0)) s"
