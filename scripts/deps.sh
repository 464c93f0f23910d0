#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install, from Debian's archive, every package the build, the VM test bed,
# the tests and the demo use. Idempotent and quiet: it only runs apt-get when
# something is missing.
set -euo pipefail

PACKAGES=(
	# the target kernel, its headers and source (for nvmet.h and checkpatch)
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	# kernel build (modules; the whole kernel in the debug lane,
	# scripts/debug-kernel.sh: objtool needs libelf, tar -J xz, and
	# modules_install depmod from kmod) and static checks
	build-essential bc bison flex libelf-dev libssl-dev sparse xz-utils
	# the VM and what goes into its initramfs
	qemu-system-x86 busybox-static kmod cpio gzip nvme-cli fio iproute2
	e2fsprogs util-linux
	# the raw NVMe/RDMA client (rdma_malformed.sh) and, in the VM, the
	# Soft-RoCE userspace provider it needs (librxe)
	libibverbs-dev librdmacm-dev ibverbs-providers
	# userspace build and tests
	cmake g++ pkg-config libnl-3-dev libnl-genl-3-dev libcli11-dev
	libspdlog-dev nlohmann-json3-dev googletest libgtest-dev
	clang libclang-rt-14-dev clang-format clang-tidy
	# checkpatch.pl needs perl; the scripts use python3 for JSON checks
	perl python3
	# scripts/check-netlink-spec.py reads the YAML netlink spec;
	# scripts/ynl-gen.sh runs the kernel's ynl-gen-c.py from 6.12's source
	# (it validates the spec with jsonschema)
	python3-yaml python3-jsonschema linux-source-6.12
	# the nicctl man page test (groff -man -ww); the unit tests' sanitizers
	# (ASan/UBSan runtimes come with gcc's libasan8/libubsan1)
	groff-base libasan8 libubsan1
)

# Installed for this machine's architecture (or arch-independent): the arm64
# lane adds the arm64 builds of some -dev packages beside the native ones.
native=$(dpkg --print-architecture)
missing=()
for pkg in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Architecture} ${db:Status-Status}\n' "$pkg" 2>/dev/null |
		grep -qE "^($native|all) installed$" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The host never boots the Debian kernel we install: skip building its initrd.
export INITRD=No
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
