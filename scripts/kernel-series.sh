#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install Debian's other kernel series for the VM lanes (NVO_KERNEL=SERIES):
# the newest linux-source-SERIES and the linux-image and linux-headers of
# exactly its version (nvmet.h comes from that source, so the three must
# agree). Prints the ABI, e.g. 6.12.118+deb12-amd64.
# Usage: kernel-series.sh [SERIES]   (default 6.12)
set -euo pipefail
series=${1:-6.12}
export DEBIAN_FRONTEND=noninteractive INITRD=No

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
apt_install() {
	apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
}

installed "linux-source-$series" || apt_install "linux-source-$series"
ver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
# Debian names the ABI after the upstream version: 6.12.117-1~deb12u1 ->
# 6.12.117+deb12-amd64.
abi="${ver%%-*}+deb12-amd64"
want=()
for p in "linux-image-$abi" "linux-headers-$abi"; do
	if ! installed "$p" || [ "$(dpkg-query -W -f='${Version}' "$p")" != "$ver" ]; then
		want+=("$p=$ver")
	fi
done
# the meta-package is what kernel-env.sh reads the ABI from
installed "linux-image-$series-amd64" || want+=("linux-image-$series-amd64=$ver")
[ ${#want[@]} -eq 0 ] || apt_install "${want[@]}"
echo "$abi"
