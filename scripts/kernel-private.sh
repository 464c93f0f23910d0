#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Extract, from Debian's linux-source tarball, the kernel-private files the
# build needs and the headers package lacks: drivers/nvme/target/nvmet.h (the
# nvmet transport API) and scripts/checkpatch.pl with its data files.
# Usage: kernel-private.sh OUTDIR
# The source package must be the same Debian version as the headers we build
# against, or nvmet.h may not describe the running nvmet.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=kernel-env.sh
. "$here/kernel-env.sh"

out=${1:?usage: kernel-private.sh OUTDIR}
mkdir -p "$out"

# KHDR_VER: the headers' Debian version when they are unpacked, not
# installed (NVO_ARCH=arm64: scripts/arm64-env.sh)
hdr_ver=${KHDR_VER:-$(dpkg-query -W -f='${Version}' "linux-headers-$KABI" 2>/dev/null || true)}
src_pkg="linux-source-$KSERIES"
src_ver=$(dpkg-query -W -f='${Version}' "$src_pkg" 2>/dev/null || true)
if [ -z "$hdr_ver" ]; then
	echo "kernel-private: linux-headers-$KABI is not installed" >&2
	exit 1
fi
if [ -z "$src_ver" ] || [ ! -f "$KSRC_TAR" ]; then
	echo "kernel-private: $src_pkg is not installed ($KSRC_TAR missing)" >&2
	exit 1
fi
if [ "$hdr_ver" != "$src_ver" ]; then
	echo "kernel-private: version mismatch: linux-headers-$KABI is $hdr_ver but $src_pkg is $src_ver;" >&2
	echo "kernel-private: install matching packages (apt-get install $src_pkg=$hdr_ver) or set KABI" >&2
	exit 1
fi

stamp="$out/.version"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$KABI $src_ver" ]; then
	exit 0
fi

top="linux-source-$KSERIES"
files=(
	"$top/drivers/nvme/target/nvmet.h"
	"$top/scripts/checkpatch.pl"
	"$top/scripts/spelling.txt"
	"$top/scripts/const_structs.checkpatch"
)
rm -rf "${out:?}/$top"
tar -C "$out" -xJf "$KSRC_TAR" "${files[@]}"
echo "$KABI $src_ver" >"$stamp"
