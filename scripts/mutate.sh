#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Mutation testing: break the product on purpose and check that the suite
# notices. Not part of scripts/test.sh or CI; run by hand.
# Usage: scripts/mutate.sh PATCH [TEST...]
#   PATCH    a selftests/mutations/*.patch (a diff of kmod/ against HEAD)
#   TEST     the kselftests to run (default: the patch's "Tests:" line)
# Applies PATCH to the work tree, rebuilds the modules in build/, runs the
# tests in the VM (selftests/vm/run-selftests.sh), then reverts the patch and
# rebuilds. Prints "CAUGHT" with the subtests that failed, or "SURVIVED".
# Exit 0 when caught, 1 when the mutation survived, 2 on a setup error.
# Documentation/transport-tests.rst, "Mutations the suite catches".
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
patch=${1:?usage: mutate.sh PATCH [TEST...]}
shift
[ -f "$patch" ] || { echo "mutate: no $patch" >&2; exit 2; }
patch=$(readlink -f "$patch")
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	read -r -a tests <<<"$(sed -n 's/^Tests: *//p' "$patch" | head -n1)"
fi
[ ${#tests[@]} -gt 0 ] || { echo "mutate: no tests named (Tests: line)" >&2; exit 2; }
cd "$repo" || exit 2
git apply --check "$patch" || { echo "mutate: $patch does not apply" >&2; exit 2; }
revert() {
	git apply -R "$patch" && bash scripts/build-modules.sh build >/dev/null 2>&1 ||
		echo "mutate: could not revert $patch: check git status" >&2
}
git apply "$patch" || exit 2
trap revert EXIT
# Per checkout: worktrees mutating at once must not read each other's logs.
logs=${NVO_BUILDDIR:-$repo/build}
mkdir -p "$logs"
if ! bash scripts/build-modules.sh build >"$logs/mutate-build.log" 2>&1; then
	tail -n 20 "$logs/mutate-build.log"
	echo "mutate: the mutated modules do not build" >&2
	exit 2
fi
selftests/vm/run-selftests.sh "${tests[@]}" >"$logs/mutate-run.log" 2>&1
name=$(basename "$patch" .patch)
# the failed subtests, "test: not ok N desc"
failed=$(awk '/^# selftests: nvmet-offload: / { t = $4 }
	/^    not ok / { sub(/^    /, ""); print t ": " $0 }
	/^not ok [0-9]+ .*\.sh/ { print "(" $0 ")" }' "$logs/mutate-run.log")
if [ -n "$failed" ]; then
	echo "CAUGHT $name"
	printf '%s\n' "$failed" | sed 's/^/  /'
	exit 0
fi
echo "SURVIVED $name (${tests[*]} passed)"
exit 1
