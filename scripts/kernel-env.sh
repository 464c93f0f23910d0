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
#   KPACKAGED 1 for a kernel Debian packages (its headers lack nvmet.h:
#             scripts/kernel-private.sh), empty for a kernel we built
#   KARCH     the kernel's architecture: x86_64 (default) or arm64
# NVO_KERNEL=debug selects the debug-kernel lane instead (scripts/debug-kernel.sh:
# its release, build tree, staged modules and vmlinux); NVO_KERNEL=DIR any
# kernel directory holding a kernel.env of the same form.
# NVO_KERNEL=SERIES (e.g. 6.12): Debian's other kernel series, the newest
# linux-image-SERIES-amd64 installed (scripts/kernel-series.sh installs it);
# its outputs are kept apart with KFLAVOR=SERIES.
# NVO_ARCH=arm64: Debian's arm64 kernel (linux-image-<ABI>-arm64 and its
# headers unpacked, not installed, by scripts/arm64-env.sh into
# NVO_ARM64_ROOT, default ~/.cache/nvmet-offload/arm64); KFLAVOR=arm64.
set -eo pipefail

if [ "${NVO_ARCH:-x86_64}" = arm64 ]; then
	_nvo_root=${NVO_ARM64_ROOT:-${HOME:-/root}/.cache/nvmet-offload/arm64}
	if [ ! -f "$_nvo_root/kernel.env" ]; then
		echo "kernel-env: NVO_ARCH=arm64 but $_nvo_root/kernel.env is missing (bash scripts/arm64-env.sh)" >&2
		return 1 2>/dev/null || exit 1
	fi
	unset KVMLINUX
	# shellcheck disable=SC1091 # written by scripts/arm64-env.sh
	. "$_nvo_root/kernel.env"
	KSERIES=$(echo "$KABI" | cut -d. -f1-2)
	KSRC_TAR=${KSRC_TAR:-/usr/src/linux-source-$KSERIES.tar.xz}
	KFLAVOR=arm64 KPACKAGED=1 KARCH=arm64
	unset _nvo_root
	export KABI KDIR KVMLINUZ KMODDIR KPKGVER KHDR_VER KSERIES KSRC_TAR KFLAVOR KPACKAGED KARCH
	return 0 2>/dev/null || exit 0
fi
KARCH=x86_64
if [[ ${NVO_KERNEL:-} =~ ^[0-9]+\.[0-9]+$ ]]; then
	# Inherited from a parent in another lane: start afresh.
	if [ -n "${KFLAVOR+set}" ] && [ "$KFLAVOR" != "$NVO_KERNEL" ]; then
		unset KABI KDIR KVMLINUZ KVMLINUX KMODDIR KSRC_TAR
	fi
	if [ -z "${KABI:-}" ]; then
		KABI=$(dpkg-query -W -f='${Depends}' "linux-image-$NVO_KERNEL-amd64" 2>/dev/null | tr ',' '\n' |
			sed -n 's/^ *linux-image-\([0-9][^ ]*\).*/\1/p' | head -n1)
	fi
	if [ -z "$KABI" ]; then
		echo "kernel-env: NVO_KERNEL=$NVO_KERNEL: linux-image-$NVO_KERNEL-amd64 is not installed (bash scripts/kernel-series.sh $NVO_KERNEL)" >&2
		return 1 2>/dev/null || exit 1
	fi
	KDIR=${KDIR:-/lib/modules/$KABI/build}
	KVMLINUZ=${KVMLINUZ:-/boot/vmlinuz-$KABI}
	KMODDIR=${KMODDIR:-/lib/modules/$KABI}
	KPKGVER=$(dpkg-query -W -f='${Version}' "linux-image-$KABI" 2>/dev/null || true)
	KSERIES=$NVO_KERNEL
	KSRC_TAR=${KSRC_TAR:-/usr/src/linux-source-$KSERIES.tar.xz}
	KFLAVOR=$NVO_KERNEL KPACKAGED=1
	# Debian's kernel, not a debug one: the runner's budgets as they are.
	NVO_TIMEOUT_SCALE=${NVO_TIMEOUT_SCALE:-1}
	export KABI KDIR KVMLINUZ KMODDIR KPKGVER KSERIES KSRC_TAR KFLAVOR KPACKAGED KARCH NVO_TIMEOUT_SCALE
	return 0 2>/dev/null || exit 0
fi

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
	KPACKAGED=
	export KABI KDIR KVMLINUZ KVMLINUX KMODDIR KPKGVER KSERIES KSRC_TAR KFLAVOR KPACKAGED KARCH
	return 0 2>/dev/null || exit 0
fi
# Inherited from a parent in another lane (exported below): start afresh.
if [ -n "${KFLAVOR:-}" ]; then
	unset KABI KDIR KVMLINUZ KVMLINUX KMODDIR KSRC_TAR
fi
KFLAVOR=
KPACKAGED=1

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
export KABI KDIR KVMLINUZ KMODDIR KPKGVER KSERIES KSRC_TAR KFLAVOR KPACKAGED KARCH
