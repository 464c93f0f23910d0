#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317 # "return || exit": sourced or run, both work
# Source me: describes the target kernel (Debian 12's linux-image-amd64).
#   KABI      kernel ABI name, e.g. 6.1.0-56-amd64 (override: KABI=...)
#   KDIR      kbuild directory of its headers
#   KVMLINUZ  the kernel image the VM boots
#   KMODDIR   its modules
#   KPKGVER   the Debian version of the image package
#   KSRC_TAR  Debian's linux-source tarball for the same version
#   KFLAVOR   empty for Debian's kernel; else the name of another kernel
#             (e.g. debug), which keeps its build outputs apart
#             (build/modules-$KFLAVOR, build/selftests-$KFLAVOR, ...)
#   KVMLINUX  with KFLAVOR only: its ELF vmlinux (symbols for reports)
# NVO_KERNEL=debug selects the debug-kernel lane instead (scripts/debug-kernel.sh:
# its release, build tree, staged modules and vmlinux); NVO_KERNEL=DIR any
# kernel directory holding a kernel.env of the same form.
set -eo pipefail

if [ -n "${NVO_KERNEL:-}" ] && [ "$NVO_KERNEL" != debian ]; then
	if [ "$NVO_KERNEL" = debug ]; then
		_nvo_kdir=$("$(dirname "${BASH_SOURCE[0]}")/debug-kernel.sh" --dir) || {
			echo "kernel-env: NVO_KERNEL=debug but the debug kernel is not built (bash scripts/debug-kernel.sh)" >&2
			return 1 2>/dev/null || exit 1
		}
	else
		_nvo_kdir=$NVO_KERNEL
	fi
	if [ ! -f "$_nvo_kdir/kernel.env" ]; then
		echo "kernel-env: NVO_KERNEL=$NVO_KERNEL: no $_nvo_kdir/kernel.env" >&2
		return 1 2>/dev/null || exit 1
	fi
	unset KVMLINUZ KVMLINUX
	# shellcheck disable=SC1091 # written by scripts/debug-kernel.sh
	. "$_nvo_kdir/kernel.env"
	KVMLINUZ=${KVMLINUZ:-$KVMLINUX}
	KPKGVER=
	KSERIES=$(echo "$KABI" | cut -d. -f1-2)
	KSRC_TAR=
	unset _nvo_kdir
	export KABI KDIR KVMLINUZ KVMLINUX KMODDIR KPKGVER KSERIES KSRC_TAR KFLAVOR
	return 0 2>/dev/null || exit 0
fi
# Inherited from a parent in another lane (exported below): start afresh.
if [ -n "${KFLAVOR:-}" ]; then
	unset KABI KDIR KVMLINUZ KVMLINUX KMODDIR KSRC_TAR
fi
KFLAVOR=

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
export KABI KDIR KVMLINUZ KMODDIR KPKGVER KSERIES KSRC_TAR KFLAVOR
