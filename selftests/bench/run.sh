#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench.sh: both parts in one boot, perf.sh (the
# configurations, CSV lines "perf,...") then scale.sh ("scale,...").
# NVO_BENCH_PARTS: "perf scale" (default), or one of them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for part in ${NVO_BENCH_PARTS:-perf scale}; do
	t0=$SECONDS
	bash "$here/$part.sh" || { echo "run: $part failed" >&2; rc=1; }
	echo "# $part took $((SECONDS - t0)) s"
done
exit $rc
