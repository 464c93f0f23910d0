#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: install what is missing, build, boot the VM, set up a target on
# nvmet_offload, connect the kernel's nvme-tcp host to it and drive fio.
# The guest side (selftests/demo.sh) checks what it shows: queues offloaded,
# counters moved, the monitor saw the hand-over, a clean kernel log; any
# failed check fails the demo (scripts/test.sh runs it).
# usage: demo.sh [--no-deps]   (--no-deps: already installed and built)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NVO_BUILDDIR:-$src/build}
cd "$src"
if [ "${1:-}" != --no-deps ]; then
	bash scripts/deps.sh
	cmake -S . -B "$build" >/dev/null
	cmake --build "$build" -j"$(nproc)" >/dev/null
	cmake --build "$build" --target modules
fi
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
# a check that did not print, or the guest's kernel log (the console log
# ends with its dmesg)
if ! grep -q '^### demo checks: 0 failed' "$build/demo/output.txt"; then
	echo "demo: the checks did not all pass" >&2
	exit 1
fi
echo "demo: ok (console log: $build/demo/console.log)"
