#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Static checks of the kernel code: checkpatch.pl --strict (from Debian's
# linux-source of the same version) and sparse through kbuild (C=2: every
# file, built or not). Fails on any finding.
# Usage: kcheck.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "${1:?usage: kcheck.sh BUILD_DIR}" && cd "$1" && pwd)
# shellcheck source=kernel-env.sh
. "$src/scripts/kernel-env.sh"
"$src/scripts/kernel-private.sh" "$build/kernel-private"
checkpatch="$build/kernel-private/linux-source-$KSERIES/scripts/checkpatch.pl"

status=0
mapfile -t files < <(cd "$src" && git ls-files -co --exclude-standard \
	'kmod/*.c' 'kmod/*.h' 'kmod/**/*.c' 'kmod/**/*.h' 'include/*.h' 'include/**/*.h' | sort -u)
# Generated from the netlink spec (scripts/ynl-gen.sh): checked for
# currency below instead of for style, as the kernel does with its own.
mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -v -e '^kmod/netlink-gen\.[ch]$' \
	-e '^include/linux/nvmet_offload_counters\.h$')
echo "kcheck: checkpatch --strict on ${#files[@]} files"
if ! (cd "$src" && perl "$checkpatch" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES,CONST_STRUCT \
	--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
	-f "${files[@]}"); then
	status=1
fi

# Version checks belong in the compat header only.
if grep -n 'LINUX_VERSION_CODE' "${files[@]/#/$src/}" | grep -v '/kmod/compat.h:'; then
	echo "kcheck: LINUX_VERSION_CODE outside kmod/compat.h" >&2
	status=1
fi

# The files generated from the netlink spec are what it generates now.
"$src/scripts/ynl-gen.sh" --check "$build" || status=1

echo "kcheck: sparse"
log=$(mktemp)
"$src/scripts/build-modules.sh" "$build" C=2 2>&1 | tee "$log" >/dev/null || status=1
# nvmet.h is the kernel's, not ours: only our files count.
if grep -E '(warning|error):' "$log" | grep -v 'drivers/nvme/target/nvmet.h' | grep -v 'Skipping BTF'; then
	status=1
fi
rm -f "$log"

# Layering: no include cycle among kmod/'s headers and no call cycle among
# its files (Documentation/design.rst, "Layers"): each file calls only files
# below it.
KMOD_CALL_CYCLE_FILES=0
echo "kcheck: call and include cycles in kmod/"
if out=$(python3 "$src/scripts/kmod-cycles.py" "$build/kbuild${KFLAVOR:+-$KFLAVOR}/kmod" \
	--max-files "$KMOD_CALL_CYCLE_FILES" 2>&1); then
	echo "$out" | tail -n 1
else
	echo "$out"
	status=1
fi
# nvmet_offload_rdma.ko is layered from the start (kmod/rdma/rdma.h): none.
if out=$(python3 "$src/scripts/kmod-cycles.py" "$build/kbuild${KFLAVOR:+-$KFLAVOR}/kmod/rdma" \
	--max-files 0 2>&1); then
	echo "$out" | tail -n 1
else
	echo "$out"
	status=1
fi
# A mutation that no longer applies tests nothing (scripts/mutate.sh).
echo "kcheck: the mutations of selftests/mutations/ apply to this tree"
for m in "$src"/selftests/mutations/*.patch; do
	if ! (cd "$src" && git apply --check "$m" 2>/dev/null); then
		echo "kcheck: ${m#"$src"/} no longer applies: refresh it" >&2
		status=1
	fi
done
[ $status -eq 0 ] && echo "kcheck: clean"
exit $status
