#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The nicctl binary itself: exit statuses and messages without a kernel
# module (this machine's kernel never has nvmet_offload loaded).
set -u
nicctl=$1
fail=0
check() { # DESCRIPTION EXPECTED-RC COMMAND...
	local what=$1 want=$2
	shift 2
	"$@" >/tmp/nicctl_test_out.$$ 2>&1
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $what: exit $rc, expected $want"
		cat /tmp/nicctl_test_out.$$
		fail=1
	else
		echo "ok: $what (exit $rc)"
	fi
}
check "--version" 0 "$nicctl" --version
check "--help" 0 "$nicctl" --help
check "no command" 1 "$nicctl"
check "unknown command" 1 "$nicctl" frobnicate
check "unknown flag" 1 "$nicctl" --frobnicate dev
check "port set without value" 1 "$nicctl" port set 1 offload
check "help verb" 0 "$nicctl" help
check "help of an object" 0 "$nicctl" queue help
check "-V" 0 "$nicctl" -V
check "ambiguous prefix" 1 "$nicctl" port s 1
check "hexadecimal id" 1 "$nicctl" port show 0x10
check "batch file missing" 1 "$nicctl" -b /nonexistent/nicctl.batch
# One error format, naming the command.
"$nicctl" foo 2>&1 | grep -qx 'nicctl: error: unknown command "foo"; try "nicctl help"' ||
	{ echo "FAIL: unknown command message"; fail=1; }
# Text is ASCII under the C locale (help included).
if LC_ALL=C "$nicctl" --help | LC_ALL=C grep -q '[^[:print:][:space:]]'; then
	echo "FAIL: non-ASCII help text"
	fail=1
fi
"$nicctl" --help | grep -q "Exit status" || { echo "FAIL: help has no exit status"; fail=1; }

"$nicctl" d sh >/tmp/nicctl_test_out.$$ 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	echo "note: nvmet_offload is loaded here: not checking exit 3"
elif [ $rc -ne 3 ] || ! grep -q "modprobe nvmet_offload" /tmp/nicctl_test_out.$$; then
	echo "FAIL: no module: exit $rc, expected 3 with a modprobe hint"
	cat /tmp/nicctl_test_out.$$
	fail=1
else
	echo "ok: no module (exit 3, hint printed)"
fi
rm -f /tmp/nicctl_test_out.$$
exit $fail
