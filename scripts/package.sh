#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the Debian packages from the tree, in one command:
#   nvmet-offload-dkms_VER_all.deb  module sources for DKMS + modprobe.d file
#   nicctl_VER_ARCH.deb             nicctl, man page, completion, restore unit,
#                                   the YNL spec (/usr/share/ynl/specs)
#   libnvo-nl0_VER_ARCH.deb         libnvo_nl.so.0, which nicctl links
#   libnvo-nl-dev_VER_ARCH.deb      its headers, .so link, nvo-nl.pc, CMake package
# into BUILD/packages/ (BUILD: NVO_BUILDDIR, default <repo>/build), then runs
# lintian on them (default level; any error or warning fails).
# Usage: package.sh [--no-lintian]
# Installs what is missing from Debian's archive (debhelper, dh-dkms, lintian
# and the build dependencies of debian/control) when run as root.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
out=$build/packages
lintian=1
[ "${1:-}" = --no-lintian ] && lintian=

need=(dpkg-dev debhelper dh-dkms lintian fakeroot cmake g++ pkg-config libnl-3-dev
	libnl-genl-3-dev libcli11-dev libspdlog-dev nlohmann-json3-dev libgtest-dev)
missing=()
for p in "${need[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "package.sh: missing ${missing[*]}; run as root" >&2; exit 1; }
	echo "package.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=$out/src
rm -rf "$work" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$work/nvmet-offload-$ver"
# The tree as git sees it (tracked and new files, nothing ignored): never
# build/ or kbuild leftovers.
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' |
	cpio --quiet -0 -pdm "$work/nvmet-offload-$ver")
t0=$SECONDS
(cd "$work/nvmet-offload-$ver" &&
	dpkg-buildpackage -us -uc -b -j"$(nproc)" >"$work/build.log" 2>&1) || {
	tail -n 40 "$work/build.log" >&2
	echo "package.sh: dpkg-buildpackage failed (log: $work/build.log)" >&2
	exit 1
}
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out/"
echo "package.sh: built in $((SECONDS - t0)) s:"
ls -1 "$out"/*.deb
if [ -n "$lintian" ]; then
	# --fail-on error,warning: the default level is clean or this fails
	lintian --fail-on error,warning "$out"/*.changes
	echo "package.sh: lintian clean"
fi
