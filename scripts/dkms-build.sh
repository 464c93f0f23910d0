#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# DKMS's MAKE command (debian/nvmet-offload-dkms.dkms), run in DKMS's copy of
# the sources: builds nvmet_offload.ko, nicsim.ko, nvmet_offload_rdma.ko and
# nicsim_rdma.ko for one kernel.
# Usage: dkms-build.sh KERNELVER [KDIR] | --clean
# The headers lack drivers/nvme/target/nvmet.h: scripts/kernel-private.sh
# takes it from /usr/src/linux-source-<series>.tar.xz after checking that
# linux-source-<series> has exactly the version of linux-headers-KERNELVER.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

if [ "${1:-}" = --clean ]; then
	rm -rf kernel-private
	find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name modules.order -o -name Module.symvers \) -delete
	exit 0
fi
kver=${1:?usage: dkms-build.sh KERNELVER [KDIR] | --clean}
kdir=${2:-/lib/modules/$kver/build}
series=$(echo "$kver" | cut -d. -f1-2)

if ! KABI=$kver KDIR=$kdir bash scripts/kernel-private.sh "$here/kernel-private"; then
	echo "nvmet-offload: cannot build for $kver: nvmet.h must come from linux-source-$series" >&2
	echo "nvmet-offload: of the same version as linux-headers-$kver (see above);" >&2
	echo "nvmet-offload: then: dkms install nvmet-offload/<version> -k $kver" >&2
	exit 1
fi
make -C "$kdir" M="$here" NVO_SRCTREE="$here" \
	NVMET_PRIVATE_INC="$here/kernel-private/linux-source-$series/drivers/nvme/target" \
	-j"$(nproc)" modules
