#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# In the test VM (scripts/blktests.sh boots it): blktests' nvme tests over
# NVMe/RDMA on Soft-RoCE against stock nvmet-rdma and against
# nvmet_offload_rdma.ko, in this one boot: each test first with stock, then
# with ours (alternating, so that a run cut short by its budget still
# compares the same tests, and both columns see the same machine state).
#
# usage: guest.sh [TEST...]   (default: every test of blktests' nvme group)
#
# blktests is at /opt/blktests (built on the host). Each test runs as its own
# "./check nvme/NNN" so that after it this script can see which RDMA target
# module is loaded. Ours is not called nvmet_rdma, so blktests' own unload
# ("modprobe -r" only when /sys/module/nvmet_rdma exists) never removes it:
# this script removes it after each test, as blktests does for stock.
#
# Output, one line per test and pass (scripts/blktests.sh tallies them):
#   BT <pass> <test> <pass|fail|not run> <seconds> [reason]
#   BT-WHY <pass> <test> <blktests' skip reason or failure detail>
#   BT-BAD <pass> <test> <what>   the pass did not measure what it claims
#   BT-TIME <pass> <seconds>       what the pass's tests took together
#   BT-SELFCHECK ok|FAILED         the check above caught stock posing as ours
# Exit: 0 when both passes measured what they claim, 1 otherwise (a test's
# own failure is a result, not an exit status).
set -u

bt=/opt/blktests
ours=/opt/nvmet-offload/modules/nvmet_offload_rdma.ko
core=/opt/nvmet-offload/modules/nvmet_offload.ko # what ours lists its queues through
conf=/etc/modprobe.d/nvo-blktests-ours.conf
out=/tmp/bt
per_test=${NVO_BLKTESTS_TEST_TIMEOUT:-900}
bad=0

loaded() { grep -q "^$1 " /proc/modules; }

note_bad() {
	echo "BT-BAD $*"
	bad=1
}

# The guest has no NIC: blktests' start_soft_rdma binds rxe to every
# Ethernet-like link with a carrier, so give it one (rdma_cm does not route
# over 127/8; the address is the one selftests/lib/rdma_test.sh uses).
setup_net() {
	# losetup -f needs /dev/loop-control, there once loop is loaded
	modprobe loop
	modprobe dummy numdummies=0
	ip link add dummy0 type dummy
	ip addr add 169.254.0.2/16 dev dummy0
	ip link set dummy0 up
}

# blktests' configuration: the config file is sourced by ./check.
write_config() {
	cat >"$bt/config" <<-EOF
		NVMET_TRTYPES=rdma
		NVMET_BLKDEV_TYPES=${NVO_BLKTESTS_BLKDEV:-device}
		USE_RXE=1
		NVME_IMG_SIZE=${NVO_BLKTESTS_IMG_SIZE:-350m}
	EOF
}

# Ours instead of stock for every modprobe of nvmet_rdma (blktests'
# _have_driver and _load_module, and nvmet's request_module of the
# transport's alias, which resolves to that name too).
use_ours() {
	mkdir -p /etc/modprobe.d
	printf '%s\n' \
		"install nvmet_rdma /usr/sbin/modprobe rdma_cm && /usr/sbin/modprobe nvmet && /usr/sbin/modprobe libcrc32c && { grep -q '^nvmet_offload ' /proc/modules || /usr/sbin/insmod $core; } && { grep -q '^nvmet_offload_rdma ' /proc/modules || /usr/sbin/insmod $ours; }" \
		"remove nvmet_rdma /usr/sbin/rmmod nvmet_offload_rdma && /usr/sbin/rmmod nvmet_offload" >"$conf"
}

# Why a test did not run, or how it failed, from check's output.
why() {
	sed -n 's/^    //p' "$1" | grep -v '^\(runtime\|exit_status\|date\|description\)' | head -n 8
}

# One test, one pass. $1 pass, $2 test.
run_one() {
	local pass=$1 t=$2 log t0 secs res st n=0 other mine seen
	log=$out/$pass.${t//\//-}.log
	: >"$out/modwatch"
	t0=$(date +%s)
	(cd "$bt" && timeout -k 10 "$per_test" ./check -o "$out/$pass" "$t") >"$log" 2>&1
	st=$?
	secs=$(($(date +%s) - t0))
	# which target module ran it: never the other one; ours, when a test
	# ran in the ours pass (it stays loaded until we unload it)
	if [ "$pass" = ours ]; then
		other=nvmet_rdma mine=nvmet_offload_rdma
	else
		other=nvmet_offload_rdma mine=nvmet_rdma
	fi
	loaded "$other" && note_bad "$pass $t $other is loaded"
	grep -q "^$other " "$out/modwatch" 2>/dev/null &&
		note_bad "$pass $t $other was seen loaded during the test"
	seen=
	if loaded "$mine" || grep -q "^$mine " "$out/modwatch" 2>/dev/null; then
		seen=1
	fi
	# blktests unloads stock itself; ours only we can
	if [ "$pass" = ours ] && loaded nvmet_offload_rdma; then
		rmmod nvmet_offload_rdma || note_bad "ours $t nvmet_offload_rdma does not unload"
	fi
	if [ "$pass" = ours ] && loaded nvmet_offload; then
		rmmod nvmet_offload || note_bad "ours $t nvmet_offload does not unload"
	fi
	total[$pass]=$((total[$pass] + secs))
	while IFS= read -r res; do
		n=$((n + 1))
		local status reason
		status=$(sed -n 's/^status\t//p' "$res")
		reason=$(sed -n 's/^reason\t//p' "$res")
		echo "BT $pass $t ${status:-unknown} $secs $reason"
		case $status in pass | fail)
			[ -n "$seen" ] || [ "$pass" = stock ] ||
				note_bad "ours $t ran but nvmet_offload_rdma was never loaded"
			;;
		esac
	done < <(find "$out/$pass" -type f -path "*/$t" 2>/dev/null)
	if [ "$n" -eq 0 ] && [ "$st" -eq 0 ] && [ -z "${TEST_DEVS:-}" ] &&
		grep -q '^test_device()' "$bt/tests/$t"; then
		# ./check passes over a test_device() test without a word when
		# there is no TEST_DEVS (a real device: the host's PCI driver
		# under test, not a target transport)
		echo "BT $pass $t not run $secs no-TEST_DEVS(test_device)"
		echo "BT-WHY $pass $t test_device() with no TEST_DEVS (a PCIe NVMe device under the host's driver): ./check passes over it"
	elif [ "$n" -eq 0 ]; then
		echo "BT $pass $t fail $secs no-result(check-exit-$st)"
		tail -n 20 "$log" | sed "s|^|BT-WHY $pass $t |"
	fi
	why "$log" | sed "s|^|BT-WHY $pass $t |"
	if grep -q '\[failed\]' "$log"; then
		sed -n '/\[failed\]/,$p' "$log" | head -n 40 | sed "s|^|BT-LOG $pass $t |"
	fi
}

# Which RDMA target module is loaded, sampled while the tests run.
watch_modules() {
	while :; do
		grep -oE '^nvmet_(offload_)?rdma ' /proc/modules >>"$out/modwatch"
		sleep 0.5
	done
}

[ -x "$bt/check" ] || { echo "guest: no blktests at $bt"; exit 1; }
[ -f "$ours" ] || { echo "guest: no $ours"; exit 1; }
mkdir -p "$out"
setup_net
write_config
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for f in "$bt"/tests/nvme/[0-9]*; do
		case $f in *.out) continue ;; esac
		tests+=("nvme/${f##*/}")
	done
fi
echo "BT-KERNEL $(uname -r)"
echo "BT-TESTS ${tests[*]}"

declare -A total=([stock]=0 [ours]=0)
watch_modules &
wpid=$!

# The assertion's own test, first: a test run in the ours column with no
# redirect (stock underneath) must be caught. NVO_BLKTESTS_SELFCHECK=0
# skips it (~1 minute).
if [ "${NVO_BLKTESTS_SELFCHECK:-1}" != 0 ]; then
	rm -f "$conf"
	run_one ours nvme/006 >"$out/selfcheck.txt" 2>&1
	sed 's/^/BT-SELFCHECK-LOG /' "$out/selfcheck.txt"
	if grep -q '^BT-BAD ours nvme/006' "$out/selfcheck.txt"; then
		echo "BT-SELFCHECK ok: stock under the ours column is caught"
		bad=0
	else
		echo "BT-SELFCHECK FAILED: stock under the ours column went unnoticed"
		bad=1
	fi
	total[ours]=0
	rm -rf "$out/ours"
fi
for t in "${tests[@]}"; do
	rm -f "$conf"
	run_one stock "$t"
	# blktests unloaded stock; if not, ours could not register
	modprobe -r nvmet_rdma 2>/dev/null
	use_ours
	run_one ours "$t"
done
rm -f "$conf"
kill "$wpid"
wait "$wpid" 2>/dev/null
echo "BT-TIME stock ${total[stock]}"
echo "BT-TIME ours ${total[ours]}"
exit $bad
