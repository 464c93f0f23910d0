#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the modules against another Debian kernel series (default 6.12, the
# next target) to keep kmod/compat.h honest. Installs the newest
# linux-source-SERIES and the linux-headers of exactly that version.
# Usage: compat-build.sh [SERIES] [BUILD_DIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
series=${1:-6.12}
build=${2:-$src/build/compat-$series}
export DEBIAN_FRONTEND=noninteractive INITRD=No

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

if ! installed "linux-source-$series"; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "linux-source-$series" >/dev/null
fi
ver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
# Debian names the ABI after the upstream version: 6.12.117-1~deb12u1 ->
# 6.12.117+deb12-amd64.
abi="${ver%%-*}+deb12-amd64"
if ! installed "linux-headers-$abi"; then
	apt-get install -y -qq --no-install-recommends "linux-headers-$abi=$ver" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "linux-headers-$abi=$ver" >/dev/null; }
fi
echo "compat-build: building against $abi"
KABI=$abi "$src/scripts/build-modules.sh" "$build"
ls "$build/modules"
