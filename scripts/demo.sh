#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: install what is missing, build, boot the VM, set up a target on
# nvmet_offload, connect the kernel's nvme-tcp host to it and drive fio.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
cd "$src"
bash scripts/deps.sh
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cmake --build "$build" --target modules
mkdir -p "$build/demo"
selftests/vm/run-vm.sh --timeout 300 --log "$build/demo/console.log" \
	--output "$build/demo/output.txt" selftests/demo.sh || {
	rc=$?
	cat "$build/demo/output.txt" 2>/dev/null
	echo "demo: failed (exit $rc); console log: $build/demo/console.log" >&2
	exit "$rc"
}
grep -v '^@@NVO-RESULT' "$build/demo/output.txt"
echo
echo "demo: ok (console log: $build/demo/console.log)"
