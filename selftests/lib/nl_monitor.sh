#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Waiting for a process to join a generic-netlink multicast group, so that a
# test changes nothing before its listener can hear it.

# Generic-netlink sockets (protocol 16) that joined any group.
nl_listeners() { awk '$2 == 16 && $4 != "00000000"' /proc/net/netlink | wc -l; }

# nl_wait_listener BEFORE TRIES: until there are more listeners than BEFORE,
# TRIES times 0.1 s; 1 if none joined.
nl_wait_listener() {
	local before=$1 tries=$2
	for _ in $(seq "$tries"); do
		[ "$(nl_listeners)" -gt "$before" ] && return 0
		sleep 0.1
	done
	return 1
}
