#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's arm64 kernel (image, modules, headers) without installing
# it: apt-get download + dpkg -x into NVO_ARM64_ROOT (default
# ~/.cache/nvmet-offload/arm64), then write its kernel.env for
# scripts/kernel-env.sh (NVO_ARCH=arm64). The ABI is the one of
# linux-image-arm64:arm64, which must have the version of the host's
# linux-source-SERIES (nvmet.h comes from it). Kbuild's host tools are the
# host's own linux-kbuild-SERIES (Multi-Arch: foreign).
# Also installs, when missing, qemu-system-aarch64 (the arm64 VM lane), the
# cross toolchain and the arm64 -dev packages nicctl needs (multiarch: dpkg
# --add-architecture arm64).
# Usage: arm64-env.sh
set -euo pipefail
root=${NVO_ARM64_ROOT:-${HOME:-/root}/.cache/nvmet-offload/arm64}
export DEBIAN_FRONTEND=noninteractive

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
need=(qemu-system-arm gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libnl-3-dev:arm64 libnl-genl-3-dev:arm64
	libspdlog-dev:arm64 libfmt-dev:arm64 libcli11-dev nlohmann-json3-dev libgtest-dev:arm64)
missing=()
for p in "${need[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ] || ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ "$(id -u)" -eq 0 ] || { echo "arm64-env: missing ${missing[*]}; run as root" >&2; exit 1; }
	dpkg --add-architecture arm64
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The guest's userland (mkinitramfs.sh base, KARCH=arm64): the arm64
# packages of the programs the tests run and everything they depend on
# (arch-all packages dropped: perl modules, debconf...), downloaded once.
fetch_userland() {
	local dir=$1 bad names
	[ -f "$dir/.done" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances busybox-static:arm64 bash:arm64 kmod:arm64 nvme-cli:arm64 \
		fio:arm64 e2fsprogs:arm64 util-linux:arm64 iproute2:arm64 coreutils:arm64 procps:arm64 \
		mount:arm64 libc-bin:arm64 libnl-genl-3-200:arm64 libspdlog1.10:arm64 libstdc++6:arm64 \
		2>/dev/null | grep -v '^[ <]' | sed 's/:arm64$//' |
		sort -u >"$dir/want.txt"
	for _ in 1 2 3 4; do
		mapfile -t names < <(sed 's/$/:arm64/' "$dir/want.txt")
		bad=$(cd "$dir/debs" && apt-get download -qq "${names[@]}" 2>&1 |
			sed -n 's/.*package \([^ ]*\):arm64.*/\1/p') || true
		[ -z "$bad" ] && break
		grep -vxF "$bad" "$dir/want.txt" >"$dir/want.tmp" || true
		mv "$dir/want.tmp" "$dir/want.txt"
	done
	touch "$dir/.done"
}
mkdir -p "$root"
fetch_userland "$root/userland"

abi=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	sed -n 's/^ *Depends: linux-image-\([0-9][^:]*\)\(:arm64\)\{0,1\}$/\1/p' | head -n1)
[ -n "$abi" ] || { echo "arm64-env: no linux-image-arm64:arm64 in apt's lists (apt-get update?)" >&2; exit 1; }
series=$(echo "$abi" | cut -d. -f1-2)
ver=$(apt-cache policy "linux-image-$abi:arm64" | sed -n 's/^ *Candidate: //p')
common=${abi%-arm64}-common
stamp="$abi $ver"
if [ -f "$root/kernel.env" ] && [ "$(cat "$root/.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$root"
	exit 0
fi
find "$root" -mindepth 1 -maxdepth 1 ! -name userland -exec rm -rf {} +
mkdir -p "$root/debs"
(cd "$root/debs" && apt-get download -qq "linux-image-$abi:arm64=$ver" \
	"linux-headers-$abi:arm64=$ver" "linux-headers-$common=$ver")
for d in "$root"/debs/*.deb; do dpkg-deb -x "$d" "$root"; done
# what the package's postinst would do: modules.dep for modprobe -d
depmod -b "$root" "$abi"
# linux-headers-ABI's scripts -> ../../lib/linux-kbuild-SERIES: the host's
if [ ! -d "/usr/lib/linux-kbuild-$series" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "arm64-env: install linux-kbuild-$series" >&2; exit 1; }
	apt-get install -y -qq --no-install-recommends "linux-kbuild-$series" >/dev/null
fi
ln -sfn "/usr/lib/linux-kbuild-$series" "$root/usr/lib/linux-kbuild-$series"
cat >"$root/kernel.env" <<EOT
# written by scripts/arm64-env.sh
KABI=$abi
KDIR=$root/usr/src/linux-headers-$abi
KVMLINUZ=$root/boot/vmlinuz-$abi
KMODDIR=$root/lib/modules/$abi
KPKGVER=$ver
KHDR_VER=$ver
EOT
echo "$stamp" >"$root/.stamp"
echo "$root"
