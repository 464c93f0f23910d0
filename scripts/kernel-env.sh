#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Source me: describes the target kernel (Debian 12's linux-image-amd64).
#   KABI      kernel ABI name, e.g. 6.1.0-56-amd64 (override: KABI=...)
#   KDIR      kbuild directory of its headers
#   KVMLINUZ  the kernel image the VM boots
#   KMODDIR   its modules
#   KPKGVER   the Debian version of the image package
#   KSRC_TAR  Debian's linux-source tarball for the same version
set -eo pipefail

if [ -z "${KABI:-}" ]; then
	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | tr ',' '\n' |
		sed -n 's/^ *linux-image-\([0-9][^ ]*\).*/\1/p' | head -n1)
	if [ -z "$dep" ]; then
		echo "kernel-env: linux-image-amd64 is not installed (run scripts/deps.sh)" >&2
		return 1 2>/dev/null || exit 1
	fi
	KABI=$dep
fi
KDIR=${KDIR:-/lib/modules/$KABI/build}
KVMLINUZ=${KVMLINUZ:-/boot/vmlinuz-$KABI}
KMODDIR=${KMODDIR:-/lib/modules/$KABI}
KPKGVER=$(dpkg-query -W -f='${Version}' "linux-image-$KABI" 2>/dev/null || true)
KSERIES=$(echo "$KABI" | cut -d. -f1-2)
KSRC_TAR=${KSRC_TAR:-/usr/src/linux-source-$KSERIES.tar.xz}
export KABI KDIR KVMLINUZ KMODDIR KPKGVER KSERIES KSRC_TAR
