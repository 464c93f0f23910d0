#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test VM (Debian's kernel, our initramfs) and run one command in it.
#
# usage: run-vm.sh [OPTIONS] [GUEST_CMD [ARGS...]]
#   --timeout SECS   the guest command's budget (default 600); the guest
#                    kills it then and still dumps dmesg; the host kills qemu
#                    60 s later. Either way: exit 124.
#   --log FILE       console log (escape codes stripped); without it the
#                    console goes to stdout
#   -v, --verbose    console to stdout as well as to --log
#   --output FILE    the command's own stdout+stderr (clean: no kernel lines)
#                    followed by "@@NVO-RESULT rc=N tainted=N"
#   --smp N, --mem M qemu -smp / -m (default 2, 2G)
#   --icount SHIFT   one vCPU, single-threaded TCG with -icount
#                    shift=SHIFT,sleep=off: guest time counts instructions
#                    (scripts/bench-icount.sh)
#   --env NAME=VALUE export in the guest (NVO_* variables of the caller are
#                    passed on by default, e.g. NVO_TRANSPORT)
#   --append ARGS    extra kernel command line
#   --file SRC[:DEST] also put host file SRC in the guest at DEST (default
#                    /opt/nvmet-offload/extra/NAME), e.g. a debug module
#   --part NAME      an optional initramfs part between the base and the
#                    overlay: "python" (mkinitramfs.sh python: python3 and
#                    the kernel's ynl CLI in /opt/ynl)
#   --shell          interactive shell on the console (also: no GUEST_CMD)
# GUEST_CMD: a guest path, a PATH name, or a file of the repo's selftests/ or
# build/bin/ (mapped to /opt/nvmet-offload/...).
# Exit status: the guest command's; 124 timeout; 125 no result from the
# guest (panic, crash, qemu error).
# Env: NVO_KVM=1 uses KVM if a probe boot works (default TCG).
# NVO_KERNEL=debug boots the debug-kernel lane's kernel (scripts/debug-kernel.sh)
# with its modules and build/modules-debug (see scripts/kernel-env.sh).
# NVO_KERNEL=6.12: Debian's 6.12 with build/modules-6.12.
# NVO_ARCH=arm64: qemu-system-aarch64 -M virt (TCG, -cpu max) boots Debian's
# arm64 kernel (scripts/arm64-env.sh) with build/modules-arm64 and an arm64
# userland. No isa-debug-exit there: the guest powers off and its exit
# status is the "@@NVO-RESULT rc=N" line of the second console, a
# virtconsole (hvc0) instead of ttyS1.
set -euo pipefail
# Parsed whole before it runs (the braces, closed at the end): editing this
# file while a run is under way must not change that run.
{

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
builddir=${NVO_BUILDDIR:-$repo/build}
vmdir=$builddir/vm
# shellcheck source=../../scripts/kernel-env.sh
. "$repo/scripts/kernel-env.sh"
set -u

timeout=600
log=
verbose=
output=
smp=2
mem=2G
shell=
accel=
icount=
extra_append=
envs=()
files=()
parts=()

usage() { sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--output) output=$2; shift 2 ;;
	-v | --verbose) verbose=1; shift ;;
	--smp) smp=$2; shift 2 ;;
	--icount) icount=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--append) extra_append+=" $2"; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--part)
		[ "$2" = python ] || { echo "run-vm: unknown --part $2" >&2; exit 2; }
		parts+=("$2"); shift 2 ;;
	--shell) shell=1; shift ;;
	--accel) accel=$2; shift 2 ;; # internal: the KVM probe
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "run-vm: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -eq 0 ] && shell=1
[[ $timeout =~ ^[0-9]+$ ]] || { echo "run-vm: bad --timeout $timeout" >&2; exit 2; }

# Map a host file of the repo to where the overlay puts it in the guest.
guest_path() {
	local a=$1 abs
	case $a in /*) ;; *)
		if [ -e "$repo/selftests/$a" ]; then
			echo "/opt/nvmet-offload/selftests/$a"; return
		fi ;;
	esac
	if [ -e "$a" ]; then
		abs=$(readlink -f "$a")
		case $abs in
		"$repo"/selftests/*) echo "/opt/nvmet-offload/selftests/${abs#"$repo"/selftests/}"; return ;;
		"$builddir"/bin/*) echo "/opt/nvmet-offload/bin/${abs#"$builddir"/bin/}"; return ;;
		esac
	fi
	echo "$a"
}

# POSIX single quoting for the guest's /etc/nvo/run (read by busybox ash).
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

kvm_usable() {
	[ -w /dev/kvm ] || return 1
	local probe=$vmdir/kvm.probe
	if [ -f "$probe" ] && [ "$(head -n1 "$probe")" = "$KABI" ]; then
		[ "$(sed -n 2p "$probe")" = ok ]
		return
	fi
	mkdir -p "$vmdir"
	# Known: some hosts expose /dev/kvm but Debian's kernel never boots on it.
	if NVO_KVM=0 NVO_HOST_MARGIN=10 "${BASH_SOURCE[0]}" --accel kvm --timeout 20 \
		--log "$vmdir/kvm-probe.log" /usr/bin/true >/dev/null 2>&1; then
		printf '%s\nok\n' "$KABI" >"$probe"
		return 0
	fi
	printf '%s\nfail\n' "$KABI" >"$probe"
	return 1
}

if [ -z "$accel" ]; then
	accel=tcg
	if [ "${NVO_KVM:-0}" = 1 ]; then
		if kvm_usable; then accel=kvm; else
			echo "run-vm: NVO_KVM=1 but KVM does not boot the guest here; using TCG" >&2
		fi
	fi
fi
# shellcheck disable=SC2054 # commas belong to qemu's option syntax
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
*) accel_args=(-accel tcg,thread=multi -cpu max) ;;
esac
# shellcheck disable=SC2054 # commas belong to qemu's option syntax
[ "${KARCH:-x86_64}" = arm64 ] && accel_args=(-accel tcg,thread=multi -cpu max)
# icount needs single-threaded TCG, so one vCPU
if [ -n "$icount" ]; then
	accel_args=(-accel tcg,thread=single -icount "shift=$icount,sleep=off" -cpu max)
	smp=1
fi

base=$("$here/mkinitramfs.sh" base)
kernel=$("$here/mkinitramfs.sh" kernel)
part_files=()
for p in "${parts[@]+"${parts[@]}"}"; do
	part_files+=("$("$here/mkinitramfs.sh" "$p")")
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvo-vm.XXXXXX")
# shellcheck disable=SC2317 # called by trap
cleanup() {
	if [ -s "$tmp/qemu.pid" ]; then
		kill "$(cat "$tmp/qemu.pid")" 2>/dev/null
		wait 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What the guest runs, its budget and environment.
{
	if [ -z "$shell" ]; then
		printf 'nvo_timeout=%s\n' "$timeout"
	fi
	while IFS='=' read -r name _; do
		case $name in
		NVO_KVM | NVO_TESTS | NVO_BUILDDIR | NVO_FORCE_BASE | NVO_EXTRA_KMODS | NVO_VM_ARGS | \
		NVO_BASE_COMPRESS | NVO_BOOT | NVO_TIMEOUT | NVO_HOST_MARGIN | NVO_KERNEL | \
		NVO_TIMEOUT_SCALE | NVO_DEBUG_KERNEL_CACHE) ;;
		NVO_*) printf 'export %s=%s\n' "$name" "$(q "${!name}")" ;;
		esac
	done < <(env | grep -E '^NVO_[A-Za-z0-9_]*=' || true)
	for e in "${envs[@]+"${envs[@]}"}"; do
		printf 'export %s=%s\n' "${e%%=*}" "$(q "${e#*=}")"
	done
	if [ $# -gt 0 ]; then
		printf 'set --'
		printf ' %s' "$(q "$(guest_path "$1")")"
		shift
		for a in "$@"; do printf ' %s' "$(q "$a")"; done
		printf '\n'
	fi
	[ -n "$shell" ] && echo 'nvo_shell=1'
} >"$tmp/run"

# extra files: staged in a tree the overlay builder copies as is
if [ ${#files[@]} -gt 0 ]; then
	mkdir -p "$tmp/extra"
	for f in "${files[@]}"; do
		src=${f%%:*}
		dest=/opt/nvmet-offload/extra/$(basename "$src")
		[[ $f == *:* ]] && dest=${f#*:}
		[ -e "$src" ] || { echo "run-vm: --file $src: not found" >&2; exit 2; }
		mkdir -p "$tmp/extra$(dirname "$dest")"
		cp -a "$src" "$tmp/extra$dest"
	done
fi
NVO_OVERLAY_EXTRA=$tmp/extra "$here/mkinitramfs.sh" overlay "$tmp/overlay.cpio.gz" "$tmp/run"
# raw parts first: the kernel ignores a raw part after a compressed one
cat "$base" "${part_files[@]+"${part_files[@]}"}" "$tmp/overlay.cpio.gz" >"$tmp/initrd"

# no_timer_check: on a busy host TCG may not deliver the timer interrupt
# within the boot-time IO-APIC check's window, and the kernel panics ("IO-APIC
# + timer doesn't work!"; seen on 6.12 with two cores shared by four VMs).
append="console=ttyS0 quiet loglevel=4 panic=-1 oops=panic printk.time=1 no_timer_check$extra_append"
# no5lvl on the debug kernel: -cpu max offers LA57, and 6.1's identify_cpu()
# clears the CPU's feature words (LA57 with them) while it re-reads them; an
# interrupt in that window makes KASAN take the 5-level direct map for wild
# memory ("wild-memory-access in do_raw_spin_lock", handle_edge_irq under
# cpu_detect: seen once with the host loaded). 4-level paging has no window.
[ "${KFLAVOR:-}" = debug ] && append+=" no5lvl"
# shellcheck disable=SC2054 # commas belong to qemu's option syntax
qemu=(qemu-system-x86_64 "${accel_args[@]}" -smp "$smp" -m "$mem"
	-nographic -no-reboot -nodefaults -no-user-config
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	-serial mon:stdio -serial "file:$tmp/ttyS1"
	-kernel "$kernel" -initrd "$tmp/initrd" -append "$append")
if [ "${KARCH:-x86_64}" = arm64 ]; then
	append="console=ttyAMA0 quiet loglevel=4 panic=-1 oops=panic printk.time=1$extra_append"
	# shellcheck disable=SC2054 # commas belong to qemu's option syntax
	qemu=(qemu-system-aarch64 -M virt "${accel_args[@]}" -smp "$smp" -m "$mem"
		-nographic -no-reboot -nodefaults -no-user-config
		-serial mon:stdio
		-device virtio-serial-device -chardev "file,id=nvo1,path=$tmp/ttyS1"
		-device virtconsole,chardev=nvo1
		-kernel "$kernel" -initrd "$tmp/initrd" -append "$append")
fi

if [ -n "$shell" ]; then
	"${qemu[@]}" || true
	exit 0
fi

# SeaBIOS and the guest's tty emit escape sequences and CRs: keep plain text.
strip_esc() { sed -u -e 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][0-9A-Za-z]//g; s/\x1b[=>c]//g; s/\r//g'; }

t0=$(date +%s.%N)
# after the guest's own watchdog: time to boot and to dump dmesg
host_to=$((timeout + ${NVO_HOST_MARGIN:-60}))
# console sink: stdout, the log, or both
sink() {
	if [ -z "$log" ]; then cat
	elif [ -n "$verbose" ]; then tee "$log"
	else cat >"$log"
	fi
}
# In the background, so that a signal runs our trap (which kills qemu by
# its pidfile) at once rather than after qemu ends.
set +e
{
	timeout -k 5 "$host_to" "${qemu[@]}" -pidfile "$tmp/qemu.pid" </dev/null 2>&1
	echo $? >"$tmp/status"
} | strip_esc | sink &
wait $!
st=$(cat "$tmp/status" 2>/dev/null || echo 1)
rm -f "$tmp/qemu.pid"
set -e
secs=$(echo "$(date +%s.%N) - $t0" | bc)

touch "$tmp/ttyS1"
tr -d '\r' <"$tmp/ttyS1" >"$tmp/out"
[ -n "$output" ] && cp "$tmp/out" "$output"
result=$(grep -a '^@@NVO-RESULT ' "$tmp/out" | tail -n1 || true)

if [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
	echo "run-vm: TIMEOUT: killed qemu after ${host_to}s" >&2
	exit 124
fi
if [ -n "$result" ]; then
	rc=$(sed -n 's/.* rc=\([0-9]*\).*/\1/p' <<<"$result")
	taint=$(sed -n 's/.* tainted=\([0-9]*\).*/\1/p' <<<"$result")
	printf 'run-vm: guest exit %s, tainted %s, %.1f s (%s)\n' "$rc" "$taint" "$secs" "$accel" >&2
	exit "$rc"
fi
if [ $((st & 1)) -eq 1 ] && [ "$st" -gt 1 ]; then
	rc=$(((st - 1) / 2))
	echo "run-vm: guest exit $rc (from isa-debug-exit only, no result line)" >&2
	exit "$rc"
fi
echo "run-vm: no result from the guest (qemu status $st: kernel panic, crash or qemu error; see the console log)" >&2
exit 125
}
