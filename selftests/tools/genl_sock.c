// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "genl_sock.h"

int genl_sock_open(int rcvbuf, const char **failed)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, one = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		*failed = "socket";
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		*failed = "bind";
		return -1;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

int genl_send(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -1 : 0;
}

struct genlmsghdr *genl_msg_start(struct nl_buf *b, uint8_t cmd,
				  uint8_t version)
{
	struct nlmsghdr *h = nl_put(b, NULL, NLMSG_HDRLEN);
	struct genlmsghdr *g = nl_put(b, NULL, GENL_HDRLEN);

	if (!h || !g)
		return NULL;
	g->cmd = cmd;
	g->version = version;
	return g;
}

void genl_msg_end(struct nl_buf *b, size_t start, uint16_t type,
		  uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(b->p + start);

	h->nlmsg_len = (uint32_t)(b->len - start);
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = 0;
}

/* One op or multicast group: a nest in CTRL_ATTR_OPS or _MCAST_GROUPS. */
static void parse_family_item(struct genl_family *f, unsigned int list,
			      const struct nlattr *item)
{
	const struct nlattr *a;
	uint32_t id = 0, flags = 0;
	char name[GENL_NAMSIZ] = "";
	size_t rem;

	for_each_nla(a, nla_payload(item), nla_payload_len(item), rem) {
		if (list == CTRL_ATTR_OPS && a->nla_type == CTRL_ATTR_OP_ID)
			id = nla_u32(a);
		else if (list == CTRL_ATTR_OPS && a->nla_type == CTRL_ATTR_OP_FLAGS)
			flags = nla_u32(a);
		else if (list != CTRL_ATTR_OPS && a->nla_type == CTRL_ATTR_MCAST_GRP_ID)
			id = nla_u32(a);
		else if (list != CTRL_ATTR_OPS && a->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
			snprintf(name, sizeof(name), "%.*s",
				 (int)nla_payload_len(a), (const char *)nla_payload(a));
	}
	if (list == CTRL_ATTR_OPS && f->nops < GENL_FAMILY_MAX_OPS) {
		f->ops[f->nops].id = id;
		f->ops[f->nops].flags = flags;
		f->nops++;
	} else if (list != CTRL_ATTR_OPS && f->ngrps < GENL_FAMILY_MAX_GRPS) {
		f->grps[f->ngrps].id = id;
		memcpy(f->grps[f->ngrps].name, name, sizeof(name));
		f->ngrps++;
	}
}

void genl_parse_family(const struct nlmsghdr *nlh, struct genl_family *f)
{
	const struct nlattr *nla, *item;
	size_t rem, irem;

	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return;
	for_each_nla(nla, (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		     nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem) {
		unsigned int type = nla->nla_type & NLA_TYPE_MASK;

		switch (type) {
		case CTRL_ATTR_FAMILY_ID:
			memcpy(&f->id, nla_payload(nla), 2);
			break;
		case CTRL_ATTR_VERSION:
			f->version = nla_u32(nla);
			break;
		case CTRL_ATTR_OPS:
		case CTRL_ATTR_MCAST_GROUPS:
			for_each_nla(item, nla_payload(nla), nla_payload_len(nla), irem)
				parse_family_item(f, type, item);
			break;
		}
	}
}
