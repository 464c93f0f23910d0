#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nicctl.bash-completion: syntax, and the words it offers at a few points of
# a command line (bash-completion's helpers stubbed, no module needed).
set -u
comp=$(dirname "$0")/../nicctl.bash-completion
bash -n "$comp" || exit 1

_init_completion() {
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
}
_filedir() { COMPREPLY=(FILE); }
nicctl() { echo '[{"id":1,"name":"nic0"},{"id":2,"name":"nic1"}]'; }
# shellcheck source=../nicctl.bash-completion
. "$comp"

fail=0
expect() { # "WORDS..." "EXPECTED COMPREPLY"
	read -r -a COMP_WORDS <<<"$1"
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_nicctl
	local got="${COMPREPLY[*]}"
	if [[ $got != "$2" ]]; then
		echo "FAIL: '$1' -> '$got', expected '$2'"
		fail=1
	else
		echo "ok: '$1' -> '$got'"
	fi
}
expect "nicctl q" "queue"
expect "nicctl -j m" "monitor"
expect "nicctl h" "help"
expect "nicctl stats " "show reset help"
expect "nicctl stats show " "dev port ns queue watch delta rate count"
expect "nicctl stats reset " "dev port ns queue"
expect "nicctl port set 1 " "offload dev"
expect "nicctl port set 1 offload " "on off"
expect "nicctl port set 1 dev " "nic0 nic1 none"
expect "nicctl dev show n" "nic0 nic1"
expect "nicctl queue show " "port ctrl dev"
expect "nicctl queue set " "ctrl"
expect "nicctl queue set 3/2 " "qid offload"
expect "nicctl queue set ctrl 3 " "qid offload"
expect "nicctl n" "ns-table"
expect "nicctl ns-table " "show help"
expect "nicctl ns-table show " "dev nic0 nic1"
expect "nicctl ns-table show dev " "nic0 nic1"
expect "nicctl ns-table show nic0 " ""
expect "nicctl monitor " "event dev port queue ctrl count"
expect "nicctl monitor event q" "queue queue-offloaded queue-reclaimed queue-fallback"
expect "nicctl -o p" "prometheus"
expect "nicctl -o prometheus s" "stats"
expect "nicctl config restore " "FILE"
expect "nicctl config restore f.json " "dry-run wait"
exit $fail
