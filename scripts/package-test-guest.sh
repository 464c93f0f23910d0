#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the test VM (scripts/package-test.sh puts it there with the packages'
# files installed where dpkg puts them): the DKMS-built modules load through
# modprobe and the packaged modprobe.d file, and nicctl.service's command
# restores a saved configuration while the offload device registers late;
# nicctl runs on libnvo_nl.so.0 of libnvo-nl0 and a program built against
# libnvo-nl-dev talks to the module.
# KTAP output; exit 0 when every check passed.
set -u
# shellcheck source=../selftests/lib/nvmet.sh
. /opt/nvmet-offload/selftests/lib/nvmet.sh
NQN=nqn.2014-08.io.nvmet-offload:package-test
UNIT=/lib/systemd/system/nicctl.service
CONF=/etc/nvmet-offload.json
n=0
failed=0
echo "TAP version 13"
echo "1..10"
check() { # NAME CMD...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n $name"; else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
}

modules_from_dkms() {
	depmod -a &&
		modinfo -F filename nvmet_offload | grep -q '/updates/dkms/nvmet_offload.ko' &&
		modinfo -F filename nicsim | grep -q '/updates/dkms/nicsim.ko' &&
		[ "$(modinfo -F vermagic nvmet_offload | cut -d' ' -f1)" = "$(uname -r)" ]
}
check "DKMS modules installed for $(uname -r)" modules_from_dkms

# The RDMA transport and nicsim's engine: modprobe finds their dependencies
# (the core, rdma_cm, nicsim) from DKMS's tree and depmod.
rdma_modules_load() {
	modinfo -F filename nvmet_offload_rdma | grep -q '/updates/dkms/nvmet_offload_rdma.ko' &&
		modinfo -F filename nicsim_rdma | grep -q '/updates/dkms/nicsim_rdma.ko' &&
		modprobe nvmet_offload_rdma && modprobe nicsim_rdma &&
		grep -q '^nvmet_offload_rdma ' /proc/modules && grep -q '^nicsim ' /proc/modules &&
		modprobe -r nicsim_rdma nicsim nvmet_offload_rdma &&
		! grep -q '^nvmet_offload_rdma ' /proc/modules
}
check "modprobe nvmet_offload_rdma and nicsim_rdma resolve their dependencies" rdma_modules_load

stock_refused() {
	! modprobe nvmet-tcp 2>/dev/null && ! grep -q '^nvmet_tcp ' /proc/modules
}
check "modprobe nvmet-tcp refused by modprobe.d" stock_refused

# Enabling a TCP port makes nvmet request nvmet-transport-3: ours must come.
port_loads_ours() {
	local dev
	modprobe nvmet || return 1
	dev=$(nullb_create 1) || return 1
	nvmet_subsys_create "$NQN" && nvmet_ns_create "$NQN" 1 "$dev" &&
		nvmet_port_create 1 127.0.0.1 4420 ipv4 && nvmet_port_link 1 "$NQN" || return 1
	grep -q '^nvmet_offload ' /proc/modules && ! grep -q '^nvmet_tcp ' /proc/modules
}
check "TCP port enable loads nvmet_offload (alias nvmet-transport-3)" port_loads_ours

host_io() {
	local ns
	host_connect "$NQN" 127.0.0.1 4420 >/dev/null || return 1
	ns=$(host_ns_dev "$NQN") || return 1
	dd if=/dev/zero of="$ns" bs=64k count=16 oflag=direct 2>/dev/null &&
		dd if="$ns" of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
}
check "nvme-tcp host I/O through the packaged transport" host_io

save_then_reset() {
	modprobe nicsim && echo "1 2" >/sys/bus/nicsim/new_device &&
		nicctl -q port set 1 offload on dev nicsim1 &&
		nicctl -q config save "$CONF" &&
		nicctl -q port set 1 offload off &&
		nicctl -q port set 1 dev none &&
		echo 1 >/sys/bus/nicsim/del_device
}
check "nicctl config save, then the state reset and the device gone" save_then_reset

# The unit's ExecStart, with its EnvironmentFile, while nicsim1 comes back
# 3 s later (a device driver that registers after nvmet's restore).
unit_restores() {
	local cmd pid rc
	cmd=$(sed -n 's/^ExecStart=//p' "$UNIT")
	[ -n "$cmd" ] || return 1
	grep -q '^After=.*nvmet.service' "$UNIT" || return 1
	(
		set -a
		# shellcheck disable=SC1091
		[ -r /etc/default/nicctl ] && . /etc/default/nicctl
		NICCTL_WAIT=20 exec $cmd
	) &
	pid=$!
	sleep 3
	echo "1 2" >/sys/bus/nicsim/new_device || return 1
	wait "$pid"
	rc=$?
	echo "# restore exited $rc"
	[ "$rc" -eq 0 ] || return 1
	nicctl port show 1 | sed 's/^/# /'
	nicctl port show 1 | grep -Eq '^ +1 +127\.0\.0\.1:4420 +ipv4 +on +nicsim1 '
}
check "nicctl.service restores the saved configuration (device registers late)" unit_restores

# The dynamic loader's own account: nicctl's libnvo_nl is the packaged one.
nicctl_on_packaged_lib() {
	local seen
	seen=$(LD_DEBUG=libs nicctl dev show 2>&1 >/dev/null |
		grep -E 'calling init: .*libnvo_nl')
	echo "# ${seen#*calling init: }"
	# the system's library directory (the search reaches /lib before
	# /usr/lib when no ld.so.cache lists it), never a build tree's copy
	[[ $seen =~ calling\ init:\ /(usr/)?lib/[^/]+/libnvo_nl\.so\.0$ ]]
}
check "nicctl runs on the packaged libnvo_nl.so.0" nicctl_on_packaged_lib

# The consumer scripts/package-test.sh built with pkg-config nvo-nl.
consumer_talks() {
	local out
	out=$(/opt/nvmet-offload/extra/nvo-consumer) || return 1
	echo "# nvo-consumer: $out"
	[[ $out =~ ^family\ [0-9]+,\ 1\ devices$ ]]
}
check "a program built against libnvo-nl-dev lists the device" consumer_talks

restore_gives_up() {
	local t0 rc
	nicctl -q port set 1 offload off && nicctl -q port set 1 dev none &&
		echo 1 >/sys/bus/nicsim/del_device || return 1
	t0=$(date +%s)
	NICCTL_WAIT=3 /usr/libexec/nicctl/nicctl-restore
	rc=$?
	echo "# restore without the device exited $rc after $(($(date +%s) - t0)) s"
	[ "$rc" -ne 0 ] && [ $(($(date +%s) - t0)) -le 10 ]
}
check "the restore gives up, bounded, when the device never comes" restore_gives_up

host_disconnect_all >/dev/null 2>&1
nvmet_cleanup >/dev/null 2>&1
echo "# Totals: pass:$((n - failed)) fail:$failed"
[ "$failed" -eq 0 ]
