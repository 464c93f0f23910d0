/* SPDX-License-Identifier: GPL-2.0 */
/*
 * genl_sock - raw generic netlink for the test clients (the test VM has no
 * libnl): the socket, request headers, and a family as the genetlink
 * controller describes it (CTRL_CMD_GETFAMILY).
 */
#ifndef SELFTESTS_TOOLS_GENL_SOCK_H
#define SELFTESTS_TOOLS_GENL_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl_attr.h"

/* Older uapi headers lack these. */
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

/*
 * A bound NETLINK_GENERIC socket whose acks carry the error message and
 * offending attribute (EXT_ACK) but not the request (CAP_ACK); rcvbuf > 0
 * sets SO_RCVBUF. -1 with errno set and *failed naming the call that failed.
 */
int genl_sock_open(int rcvbuf, const char **failed);

/* sendto() the kernel: 0, or -1 with errno set. */
int genl_send(int fd, const void *buf, size_t len);

/*
 * Start a request in b: a netlink and a genetlink header (at b->len before
 * the call: genl_msg_end() wants that offset). NULL when they do not fit.
 */
struct genlmsghdr *genl_msg_start(struct nl_buf *b, uint8_t cmd,
				  uint8_t version);
/* Fill in the netlink header of the request at start, its length so far. */
void genl_msg_end(struct nl_buf *b, size_t start, uint16_t type,
		  uint16_t flags, uint32_t seq);

#define GENL_FAMILY_MAX_OPS	256
#define GENL_FAMILY_MAX_GRPS	32

/* A family as CTRL_CMD_NEWFAMILY lists it, in its order. */
struct genl_family {
	uint16_t id;
	uint32_t version;
	unsigned int nops;
	struct {
		uint32_t id;
		uint32_t flags;		/* GENL_CMD_CAP_*, GENL_ADMIN_PERM */
	} ops[GENL_FAMILY_MAX_OPS];
	unsigned int ngrps;
	struct {
		uint32_t id;
		char name[GENL_NAMSIZ];
	} grps[GENL_FAMILY_MAX_GRPS];
};

/* Add what one controller message says to f (which the caller zeroed). */
void genl_parse_family(const struct nlmsghdr *nlh, struct genl_family *f);

#endif
