#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvmet target/host helpers for the selftests (run inside the test VM).
# Source it after ktap.sh. Diagnostics go to stderr as "# ..." lines, so the
# test's KTAP stays valid; functions return non-zero on failure and never
# exit. Every helper is also a command (a symlink in /run/nvo/cmd, on PATH),
# so `timeout 60 host_connect ...` works; state-keeping dmesg_mark does not.
#
# Transport:  nvo_transport, nvmet_transport_load [PARAMS...],
#             nvmet_transport_unload, nvmet_offload_module_loaded
# Target:     nvmet_subsys_create NQN, nvmet_ns_create NQN NSID DEVPATH,
#             nvmet_ns_enable/nvmet_ns_disable NQN NSID,
#             nvmet_port_create PORTID TRADDR TRSVCID [ADRFAM] [ATTR=VAL...],
#             nvmet_port_link/nvmet_port_unlink PORTID NQN,
#             nvmet_port_remove PORTID, nvmet_cleanup
# Backing:    nullb_create [SIZE_GB] [PARAMS...], filedev_create PATH SIZE_MB
# Host:       host_connect NQN TRADDR TRSVCID [ARGS...], host_disconnect NQN,
#             host_disconnect_all, host_ns_dev NQN [NSID], host_ctrl NQN
# Logs, I/O:  dmesg_mark, dmesg_since_mark, dmesg_grep_since_mark PATTERN,
#             fio_verify DEV [FIO ARGS...]

NVO_ROOT=${NVO_ROOT:-/opt/nvmet-offload}
NVO_BIN=${NVO_BIN:-$NVO_ROOT/bin}
NVO_MODULES=${NVO_MODULES:-$NVO_ROOT/modules}
NVMET_CFS=${NVMET_CFS:-/sys/kernel/config/nvmet}
# seconds host_ns_dev waits for the namespace's block device
NVO_NS_WAIT=${NVO_NS_WAIT:-15}
# project modules nvmet_transport_load inserted as dependencies of ours
NVO_AUTOLOADED=${NVO_AUTOLOADED:-}

_nvo_err() { echo "# nvmet.sh: ${FUNCNAME[1]:-}: $*" >&2; }

# Run a command with its output turned into "# " diagnostics on stderr;
# returns the command's status.
_nvo_diag() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /' >&2
	return "$rc"
}

# _nvo_write FILE VALUE: a configfs/sysfs write with a readable error.
_nvo_write() {
	if ! { printf '%s' "$2" >"$1"; } 2>/dev/null; then
		echo "# nvmet.sh: ${FUNCNAME[1]:-}: cannot write '$2' to $1" >&2
		return 1
	fi
}

_nvo_mod_loaded() { grep -q "^$1 " /proc/modules; }

nvo_transport() {
	case ${NVO_TRANSPORT:-ours} in
	ours | stock) echo "${NVO_TRANSPORT:-ours}" ;;
	*)
		_nvo_err "NVO_TRANSPORT must be 'ours' or 'stock', not '$NVO_TRANSPORT'"
		echo "${NVO_TRANSPORT}"
		return 1
		;;
	esac
}

nvmet_offload_module_loaded() { _nvo_mod_loaded nvmet_offload; }

# nvmet_transport_load [MODULE_PARAMS...]: nvmet plus the selected TCP
# transport. Ours and nvmet-tcp both claim trtype tcp: refuse to load ours
# over nvmet-tcp (nvmet would reject the registration anyway).
nvmet_transport_load() {
	local tr ko dep
	tr=$(nvo_transport) || return 1
	_nvo_diag modprobe nvmet || { _nvo_err "modprobe nvmet failed"; return 1; }
	case $tr in
	ours)
		if _nvo_mod_loaded nvmet_tcp; then
			_nvo_err "nvmet_tcp is loaded and owns trtype tcp; not loading nvmet_offload"
			return 1
		fi
		if nvmet_offload_module_loaded; then
			[ $# -gt 0 ] && _nvo_err "nvmet_offload already loaded; parameters '$*' ignored"
			return 0
		fi
		ko=$NVO_MODULES/nvmet_offload.ko
		if [ ! -f "$ko" ]; then
			_nvo_err "$ko not found (cmake --build build --target modules)"
			return 1
		fi
		# Dependencies: project modules (e.g. nicsim) by path, others by modprobe.
		for dep in $(modinfo -F depends "$ko" 2>/dev/null | tr ',' ' '); do
			_nvo_mod_loaded "$dep" && continue
			if [ -f "$NVO_MODULES/$dep.ko" ]; then
				_nvo_diag insmod "$NVO_MODULES/$dep.ko" || return 1
				NVO_AUTOLOADED="$dep $NVO_AUTOLOADED"
			else
				_nvo_diag modprobe "$dep" || return 1
			fi
		done
		_nvo_diag insmod "$ko" "$@" || { _nvo_err "insmod $ko $* failed"; return 1; }
		;;
	stock)
		_nvo_diag modprobe nvmet-tcp "$@" || { _nvo_err "modprobe nvmet-tcp failed"; return 1; }
		;;
	esac
}

# _nvo_rmmod NAME: rmmod, retried for 2 s (references drop asynchronously).
_nvo_rmmod() {
	_nvo_mod_loaded "$1" || return 0
	for _ in $(seq 1 10); do
		rmmod "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	_nvo_diag rmmod "$1"
}

nvmet_transport_unload() {
	local tr dep
	tr=$(nvo_transport) || return 1
	case $tr in
	ours)
		_nvo_rmmod nvmet_offload || { _nvo_err "cannot unload nvmet_offload"; return 1; }
		for dep in $NVO_AUTOLOADED; do
			_nvo_rmmod "$dep" || return 1
		done
		NVO_AUTOLOADED=
		;;
	stock)
		_nvo_rmmod nvmet_tcp || { _nvo_err "cannot unload nvmet_tcp"; return 1; }
		;;
	esac
}

nvmet_subsys_create() {
	local s=$NVMET_CFS/subsystems/$1
	[ -d "$NVMET_CFS" ] || _nvo_diag modprobe nvmet || return 1
	mkdir -p "$s" 2>/dev/null || { _nvo_err "cannot create subsystem $1"; return 1; }
	_nvo_write "$s/attr_allow_any_host" 1
}

# nvmet_ns_create NQN NSID DEVPATH: a block device or a file. nvmet opens
# files O_DIRECT unless buffered_io is set, which tmpfs lacks in 6.1: files
# on tmpfs get buffered_io=1.
nvmet_ns_create() {
	local ns=$NVMET_CFS/subsystems/$1/namespaces/$2 dev=$3
	mkdir -p "$ns" 2>/dev/null || { _nvo_err "cannot create namespace $2 of $1"; return 1; }
	_nvo_write "$ns/device_path" "$dev" || return 1
	if [ -f "$dev" ] && [ "$(stat -f -c %T "$dev" 2>/dev/null)" = tmpfs ] &&
		[ -e "$ns/buffered_io" ]; then
		_nvo_write "$ns/buffered_io" 1 || return 1
	fi
	_nvo_write "$ns/enable" 1
}

nvmet_ns_enable() { _nvo_write "$NVMET_CFS/subsystems/$1/namespaces/$2/enable" 1; }
nvmet_ns_disable() { _nvo_write "$NVMET_CFS/subsystems/$1/namespaces/$2/enable" 0; }

# nvmet_port_create PORTID TRADDR TRSVCID [ADRFAM] [ATTR=VALUE...]
# ADRFAM defaults to ipv4 (ipv6 when TRADDR has a colon); each ATTR=VALUE is
# written to the port's configfs file ATTR (e.g. param_inline_data_size=16384).
nvmet_port_create() {
	local id=$1 addr=$2 svc=$3 fam=ipv4 p kv
	shift 3 || { _nvo_err "usage: nvmet_port_create PORTID TRADDR TRSVCID [ADRFAM] [ATTR=VALUE...]"; return 1; }
	case $addr in *:*) fam=ipv6 ;; esac
	if [ $# -gt 0 ] && [[ $1 != *=* ]]; then
		fam=$1
		shift
	fi
	[ -d "$NVMET_CFS" ] || _nvo_diag modprobe nvmet || return 1
	p=$NVMET_CFS/ports/$id
	mkdir "$p" 2>/dev/null || { _nvo_err "cannot create port $id"; return 1; }
	_nvo_write "$p/addr_trtype" tcp || return 1
	_nvo_write "$p/addr_adrfam" "$fam" || return 1
	_nvo_write "$p/addr_traddr" "$addr" || return 1
	_nvo_write "$p/addr_trsvcid" "$svc" || return 1
	for kv in "$@"; do
		if [ ! -e "$p/${kv%%=*}" ]; then
			_nvo_err "port $id has no attribute ${kv%%=*}"
			return 1
		fi
		_nvo_write "$p/${kv%%=*}" "${kv#*=}" || return 1
	done
}

# Linking the first subsystem enables the port: the transport's add_port.
nvmet_port_link() {
	if ! ln -s "$NVMET_CFS/subsystems/$2" "$NVMET_CFS/ports/$1/subsystems/$2" 2>/dev/null; then
		_nvo_err "cannot link subsystem $2 to port $1 (transport loaded? address in use?)"
		return 1
	fi
}

# Unlinking the last subsystem disables the port: the transport's remove_port.
nvmet_port_unlink() {
	rm -f "$NVMET_CFS/ports/$1/subsystems/$2" 2>/dev/null ||
		{ _nvo_err "cannot unlink subsystem $2 from port $1"; return 1; }
}

nvmet_port_remove() {
	local p=$NVMET_CFS/ports/$1 x
	[ -d "$p" ] || return 0
	for x in "$p"/subsystems/*; do [ -L "$x" ] && rm -f "$x"; done
	for x in "$p"/referrals/*; do [ -d "$x" ] && rmdir "$x"; done
	rmdir "$p" 2>/dev/null || { _nvo_err "cannot remove port $1"; return 1; }
}

# nullb_create [SIZE_GB] [PARAMS...]: memory-backed (data survives, so
# verification means something), blk-mq, no completion delay. Prints the
# device. Later PARAMS override the defaults.
nullb_create() {
	local gb=${1:-1}
	[ $# -gt 0 ] && shift
	if _nvo_mod_loaded null_blk; then
		_nvo_rmmod null_blk || { _nvo_err "null_blk is loaded and busy"; return 1; }
	fi
	_nvo_diag modprobe null_blk memory_backed=1 gb="$gb" bs=4096 queue_mode=2 \
		irqmode=0 nr_devices=1 "$@" || { _nvo_err "modprobe null_blk failed"; return 1; }
	for _ in $(seq 1 50); do
		[ -b /dev/nullb0 ] && { echo /dev/nullb0; return 0; }
		sleep 0.1
	done
	_nvo_err "/dev/nullb0 did not appear"
	return 1
}

# filedev_create PATH SIZE_MB: a sparse file (relative PATH: under /tmp).
filedev_create() {
	local path=$1 mb=${2:?filedev_create PATH SIZE_MB}
	case $path in /*) ;; *) path=/tmp/$path ;; esac
	if ! { mkdir -p "$(dirname "$path")" && rm -f "$path" &&
		dd if=/dev/zero of="$path" bs=1M count=0 seek="$mb" 2>/dev/null; }; then
		_nvo_err "cannot create $path"
		return 1
	fi
	echo "$path"
}

host_connect() {
	local nqn=$1 addr=$2 svc=$3
	shift 3 || { _nvo_err "usage: host_connect NQN TRADDR TRSVCID [ARGS...]"; return 1; }
	_nvo_diag modprobe nvme-tcp || return 1
	_nvo_diag nvme connect -t tcp -n "$nqn" -a "$addr" -s "$svc" "$@" ||
		{ _nvo_err "nvme connect to $nqn at $addr:$svc failed"; return 1; }
}

host_disconnect() {
	_nvo_diag nvme disconnect -n "$1" || { _nvo_err "nvme disconnect -n $1 failed"; return 1; }
}

host_disconnect_all() {
	# nothing to do (and nvme-cli would complain) without the fabrics module
	_nvo_mod_loaded nvme_fabrics || return 0
	_nvo_diag nvme disconnect-all
}

# host_ns_dev NQN [NSID]: the /dev/nvmeXnY of that subsystem's namespace
# (lowest NSID if none given). With NVME_MULTIPATH=y, /sys/block also lists
# hidden per-path nvmeXcYnZ disks without /dev nodes: skip those.
host_ns_dev() {
	local nqn=$1 want=${2:-} deadline=$((SECONDS + NVO_NS_WAIT)) d name nsid best bestid
	while :; do
		best=
		bestid=
		for d in /sys/block/nvme*; do
			name=${d##*/}
			[[ $name =~ ^nvme[0-9]+n[0-9]+$ ]] || continue
			[ "$(cat "$d/device/subsysnqn" 2>/dev/null)" = "$nqn" ] || continue
			[ -b "/dev/$name" ] || continue
			nsid=$(cat "$d/nsid" 2>/dev/null) || nsid=${name##*n}
			if [ -n "$want" ]; then
				[ "$nsid" = "$want" ] && { echo "/dev/$name"; return 0; }
			elif [ -z "$bestid" ] || [ "$nsid" -lt "$bestid" ]; then
				best=/dev/$name
				bestid=$nsid
			fi
		done
		[ -n "$best" ] && { echo "$best"; return 0; }
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.2
	done
	_nvo_err "no block device for $nqn${want:+ nsid $want} after ${NVO_NS_WAIT}s"
	return 1
}

# host_ctrl NQN: the nvmeX of a host controller connected to that
# subsystem; 1, silently (it is also a probe), when there is none.
host_ctrl() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$1" ] && { basename "$c"; return 0; }
	done
	return 1
}

# Undo whatever a test set up: hosts, ports, namespaces, subsystems,
# null_blk. Tolerates partial state; meant for `trap nvmet_cleanup EXIT`.
nvmet_cleanup() {
	local p x s
	host_disconnect_all >/dev/null 2>&1
	if [ -d "$NVMET_CFS" ]; then
		for p in "$NVMET_CFS"/ports/*; do
			[ -d "$p" ] || continue
			for x in "$p"/subsystems/*; do [ -L "$x" ] && rm -f "$x"; done
			for x in "$p"/referrals/*; do [ -d "$x" ] && rmdir "$x"; done
			rmdir "$p" 2>/dev/null || _nvo_err "cannot remove port ${p##*/}"
		done
		for s in "$NVMET_CFS"/subsystems/*; do
			[ -d "$s" ] || continue
			for x in "$s"/namespaces/*; do
				[ -d "$x" ] || continue
				printf 0 >"$x/enable" 2>/dev/null
				rmdir "$x" 2>/dev/null
			done
			for x in "$s"/allowed_hosts/*; do [ -L "$x" ] && rm -f "$x"; done
			rmdir "$s" 2>/dev/null || _nvo_err "cannot remove subsystem ${s##*/}"
		done
		for x in "$NVMET_CFS"/hosts/*; do [ -d "$x" ] && rmdir "$x" 2>/dev/null; done
	fi
	_nvo_rmmod null_blk >/dev/null 2>&1 || _nvo_err "cannot unload null_blk"
	return 0
}

# dmesg_mark: log a unique line; dmesg_since_mark prints what follows it
# (everything if the mark is gone from the ring buffer or was never set).
dmesg_mark() {
	NVO_DMESG_MARK="nvo-dmesg-mark-$$-$RANDOM-$(date +%s%N)"
	export NVO_DMESG_MARK
	echo "<6>$NVO_DMESG_MARK" >/dev/kmsg
}

dmesg_since_mark() {
	dmesg | awk -v m="${NVO_DMESG_MARK:-}" '
		{ line[NR] = $0 }
		m != "" && index($0, m) { start = NR }
		END { for (i = start + 1; i <= NR; i++) print line[i] }'
}

dmesg_grep_since_mark() {
	dmesg_since_mark | grep -E -- "$1"
}

# fio_verify DEV [FIO ARGS...]: write with crc32c checksums, read back and
# verify; any I/O error or mismatch fails. Later arguments override the
# defaults (fio takes the last value). fio's report goes to stdout.
fio_verify() {
	local dev=${1:?fio_verify DEV [ARGS]}
	shift
	# --allow_file_create=0: a device node that vanished (namespace or
	# controller gone) must fail the run, not become a regular file.
	fio --name=nvo-verify --filename="$dev" --ioengine=libaio --direct=1 \
		--allow_file_create=0 --rw=randwrite --bs=4k --iodepth=16 --size=16M --numjobs=1 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--group_reporting "$@"
}

_NVO_HELPERS=(nvo_transport nvmet_offload_module_loaded nvmet_transport_load
	nvmet_transport_unload nvmet_subsys_create nvmet_ns_create nvmet_ns_enable
	nvmet_ns_disable nvmet_port_create nvmet_port_link nvmet_port_unlink
	nvmet_port_remove nullb_create filedev_create host_connect host_disconnect
	host_disconnect_all host_ns_dev host_ctrl nvmet_cleanup dmesg_since_mark
	dmesg_grep_since_mark fio_verify)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# Run as a command: via a helper-named symlink, or `nvmet.sh HELPER ARGS`.
	_nvo_cmd=${0##*/}
	if [ "$_nvo_cmd" = nvmet.sh ]; then
		_nvo_cmd=${1:?usage: nvmet.sh HELPER [ARGS...]}
		shift
	fi
	case " ${_NVO_HELPERS[*]} " in
	*" $_nvo_cmd "*) "$_nvo_cmd" "$@"; exit $? ;;
	*) echo "nvmet.sh: unknown helper $_nvo_cmd" >&2; exit 2 ;;
	esac
elif [ -n "${NVO_IN_VM:-}" ] && [ -w /run ]; then
	_nvo_self=$(readlink -f "${BASH_SOURCE[0]}")
	if [ ! -d /run/nvo/cmd ] && [ -x "$_nvo_self" ]; then
		mkdir -p /run/nvo/cmd
		for _nvo_h in "${_NVO_HELPERS[@]}"; do ln -sf "$_nvo_self" "/run/nvo/cmd/$_nvo_h"; done
		unset _nvo_h
	fi
	case ":$PATH:" in *:/run/nvo/cmd:*) ;; *) PATH=$PATH:/run/nvo/cmd ;; esac
	unset _nvo_self
fi
