#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The debug-kernel lane: Debian 12's 6.1 kernel, built from Debian's
# linux-source package (the version of linux-image-amd64) with KASAN,
# lockdep, kmemleak, UBSAN and friends (scripts/debug-kernel.config), for
# the test VM. Then, optionally, our modules built against it and the
# selftests run on it.
#
# usage: debug-kernel.sh [-j N] [--force] [--run [TEST...]]
#        debug-kernel.sh --dir
#   (no option)   build unless cached; print the kernel's directory
#   --run [TEST...] then build our modules against it (build/modules-debug)
#                 and the userspace (nicctl, the test clients),
#                 and run the selftests (default: $NVO_TESTS, else all of
#                 TEST_PROGS but baseline_stock_tcp.sh) in VMs booting it;
#                 exit 1 if any failed
#   --dir         print the directory the current inputs map to, exit 1
#                 if it is not built (kernel-env.sh uses it: NVO_KERNEL=debug)
#   --force       rebuild the cached kernel
#   -j N          make jobs (default: nproc)
#
# Cache: $NVO_DEBUG_KERNEL_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/
# nvmet-offload/debug-kernel/<version>-<hash>/, where the hash covers the
# Debian source version, the fragment, the build recipe and the compiler. Outside
# build/ on purpose: the build takes tens of minutes and must survive
# "rm -rf build", be shared by the clones and worktrees of one user, and be
# cacheable as one directory in CI. Inside: src/ (the configured, built
# tree, also the KDIR of our modules; src/arch/x86/boot/bzImage is what the
# VM boots, src/vmlinux has the symbols), staging/lib/modules/<release>/
# (make modules_install), kernel.env (what kernel-env.sh reads), build.log.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
fragment=$here/debug-kernel.config

jobs=$(nproc)
force=
run=
print_dir=
while [ $# -gt 0 ]; do
	case $1 in
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	--force) force=1; shift ;;
	--dir) print_dir=1; shift ;;
	--run) run=1; shift; break ;;
	-h | --help) sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	*) echo "debug-kernel: unknown argument $1" >&2; exit 2 ;;
	esac
done

# The Debian kernel this lane mirrors: never the debug one itself.
unset NVO_KERNEL
# shellcheck source=kernel-env.sh
. "$here/kernel-env.sh"
set -u

cache_root=${NVO_DEBUG_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvmet-offload/debug-kernel}
src_ver=$(dpkg-query -W -f='${Version}' "linux-source-$KSERIES" 2>/dev/null || true)
[ -n "$src_ver" ] || { echo "debug-kernel: linux-source-$KSERIES is not installed (scripts/deps.sh)" >&2; exit 1; }
build_kernel() {
	local t0=$SECONDS src=$dir/src release have name line bad=0
	# kernel-private.sh is the one place that checks the source package
	# against the installed kernel (same Debian version, else nvmet.h and
	# the code would not be the image's): run it for that check.
	"$here/kernel-private.sh" "${NVO_BUILDDIR:-$repo/build}/kernel-private"
	mkdir -p "$dir"
	exec 9>"$dir/.lock"
	# Concurrent runs: the second waits and then finds the kernel built.
	flock 9
	if [ -f "$dir/.done" ] && [ -z "$force" ]; then
		exec 9>&-
		return 0
	fi
	rm -f "$dir/.done"
	echo "debug-kernel: building $src_ver with $(basename "$fragment") in $dir (log: build.log)" >&2
	# A partial tree of an interrupted run is reused: make picks up where it
	# stopped. The tree is built where it stays, kbuild records its paths.
	if [ ! -f "$src/.extracted" ]; then
		rm -rf "$src" "$dir/.x"
		mkdir -p "$dir/.x"
		tar -C "$dir/.x" -xJf "$KSRC_TAR"
		mv "$dir/.x/linux-source-$KSERIES" "$src"
		rmdir "$dir/.x"
		touch "$src/.extracted"
	fi
	{
		echo "== $(date -Is) config"
		# Trimmed start: tinyconfig, then our fragment on top.
		make -C "$src" -s tinyconfig
		(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$fragment")
		make -C "$src" -s olddefconfig
	} >"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; exit 1; }
	# Kconfig drops what it cannot satisfy without a word: check each line.
	while IFS= read -r line; do
		case $line in
		"# CONFIG_"*" is not set")
			name=${line#\# }
			name=${name%% *}
			if grep -q "^$name=" "$src/.config"; then
				echo "debug-kernel: $name should be unset: $(grep "^$name=" "$src/.config")" >&2
				bad=1
			fi
			;;
		CONFIG_*=*)
			if ! grep -qxF "$line" "$src/.config"; then
				have=$(grep -E "^(# )?${line%%=*}[= ]" "$src/.config" || echo "absent")
				echo "debug-kernel: wanted $line, Kconfig gave: $have" >&2
				bad=1
			fi
			;;
		esac
	done <"$fragment"
	[ "$bad" -eq 0 ] || exit 1
	# The VM boots the bzImage, not vmlinux through its PVH entry as in the
	# normal lane: in 6.1 the PVH entry's C code (xen_prepare_pvh) calls
	# KASAN-instrumented code (memcmp) before the shadow exists, and the
	# guest triple-faults. LZ4 (the fragment) decompresses fastest under TCG.
	echo "== $(date -Is) make -j$jobs bzImage modules" >>"$dir/build.log"
	if ! make -C "$src" -j"$jobs" bzImage modules >>"$dir/build.log" 2>&1; then
		grep -E 'error|Error' "$dir/build.log" | tail -n 20 >&2
		echo "debug-kernel: build failed, see $dir/build.log" >&2
		exit 1
	fi
	release=$(make -C "$src" -s kernelrelease)
	rm -rf "$dir/staging"
	make -C "$src" -s modules_install INSTALL_MOD_PATH="$dir/staging" >>"$dir/build.log" 2>&1
	cat >"$dir/kernel.env" <<-EOF
		# written by scripts/debug-kernel.sh; read by scripts/kernel-env.sh
		KABI=$release
		KDIR=$src
		KMODDIR=$dir/staging/lib/modules/$release
		KVMLINUZ=$src/arch/x86/boot/bzImage
		KVMLINUX=$src/vmlinux
		KFLAVOR=debug
		KSRC_VER=$src_ver
	EOF
	echo "== $(date -Is) done in $((SECONDS - t0)) s" >>"$dir/build.log"
	touch "$dir/.done"
	exec 9>&-
	echo "debug-kernel: $release built in $((SECONDS - t0)) s" >&2
}

# The key: what the kernel is built from and how. The recipe is the text of
# build_kernel (bash prints it normalized), not of the whole script, so that
# editing the --run part does not throw away a build of tens of minutes.
key=$({
	echo "$KABI $src_ver"
	sha256sum <"$fragment"
	declare -f build_kernel
	gcc --version | head -n1
} | sha256sum | cut -c1-12)
dir=$cache_root/$src_ver-$key

if [ -n "$print_dir" ]; then
	echo "$dir"
	[ -f "$dir/.done" ]
	exit
fi

if [ -n "$force" ] || [ ! -f "$dir/.done" ]; then
	build_kernel
fi
[ -z "$run" ] && { echo "$dir"; exit 0; }

# --run: our modules against this tree, then the suite on this kernel.
export NVO_KERNEL=debug
builddir=${NVO_BUILDDIR:-$repo/build}
"$here/build-modules.sh" "$builddir"
# The test clients and nicctl the VM packs (a fresh clone has none: the
# tests that need them would bail out).
cmake -S "$repo" -B "$builddir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
	cmake --build "$builddir" -j"$(nproc)" >/dev/null ||
	{ echo "debug-kernel: userspace build failed (cmake --build $builddir)" >&2; exit 1; }
# Default: every test but the one that exists to run the stock nvmet-tcp,
# whose known lockdep report (testbed.rst) would fail it here and tell
# nothing about ours. module_load.sh skips its stock host connection itself.
# (Named tests and $NVO_TESTS the runner takes as they are.)
tests=("$@")
if [ ${#tests[@]} -eq 0 ] && [ -z "${NVO_TESTS:-}" ]; then
	mapfile -t tests < <(make -s --no-print-directory -C "$repo/selftests" list_tests |
		grep -vx baseline_stock_tcp.sh)
fi
results=$builddir/selftests-debug/results.txt
rm -f "$results"
rc=0
"$repo/selftests/vm/run-selftests.sh" "${tests[@]}" || rc=$?
[ -f "$results" ] || { echo "debug-kernel: the runner left no $results" >&2; exit 1; }
# shellcheck disable=SC1090 # written by run-selftests.sh
. "$results"
echo "debug-kernel: ${KSFT_PASS:-0} passed, ${KSFT_FAIL:-0} failed, ${KSFT_SKIP:-0} skipped (kernel $dir)"
exit "$rc"
