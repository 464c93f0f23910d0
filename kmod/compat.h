/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernel versions we build for (6.1 first,
 * then 6.12) lives here and nowhere else.
 */
#ifndef NVO_COMPAT_H
#define NVO_COMPAT_H

#include <linux/version.h>
#include <linux/net.h>
#include <linux/bvec.h>
#include <linux/uio.h>
#include <linux/socket.h>
#include <net/sock.h>
#include <net/genetlink.h>

/*
 * The symbol namespace of everything nvmet_offload.ko exports (the driver
 * API, records, the PDU stream and codec): a driver imports it with
 * MODULE_IMPORT_NS(NVO_NS). 6.1 and 6.12 take it as an identifier (they
 * stringify it); from 6.13 it is a string literal.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define NVO_NS	"NVMET_OFFLOAD"
#else
#define NVO_NS	NVMET_OFFLOAD
#endif

/* The unaligned-access helpers moved to linux/ in 6.12. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * Zero-copy send of one page range. kernel_sendpage() went away in 6.5;
 * later kernels splice pages through sendmsg(MSG_SPLICE_PAGES).
 */
static inline int nvo_send_page(struct socket *sock, struct page *page,
				int offset, size_t size, bool more)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	int flags = MSG_DONTWAIT | (more ? MSG_MORE | MSG_SENDPAGE_NOTLAST : 0);

	if (!sendpage_ok(page))
		return sock_no_sendpage(sock, page, offset, size, flags);
	return kernel_sendpage(sock, page, offset, size, flags);
#else
	struct bio_vec bvec;
	struct msghdr msg = {
		.msg_flags = MSG_DONTWAIT | MSG_SPLICE_PAGES |
			     (more ? MSG_MORE : 0),
	};

	if (!sendpage_ok(page))
		msg.msg_flags &= ~MSG_SPLICE_PAGES;
	bvec_set_page(&bvec, page, size, offset);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bvec, 1, size);
	return sock_sendmsg(sock, &msg);
#endif
}

/* Socket allocations must not recurse into the page-frag of a task. */
static inline void nvo_sock_no_task_frag(struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	sk->sk_use_task_frag = false;
#endif
}

/*
 * The attributes of a dump request, as the genetlink core parsed them:
 * they moved into the dump's struct genl_info in 6.6.
 */
static inline struct nlattr **nvo_genl_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * The split do/dump operations ynl-gen-c.py generates (kmod/netlink-gen.c)
 * arrived in 6.2: on 6.1 the same struct, which netlink.c turns into the
 * struct genl_ops the family registers on every kernel.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
struct genl_split_ops {
	int (*doit)(struct sk_buff *skb, struct genl_info *info);
	int (*dumpit)(struct sk_buff *skb, struct netlink_callback *cb);
	const struct nla_policy *policy;
	unsigned int maxattr;
	u8 cmd;
	u8 internal_flags;
	u8 flags;
	u8 validate;
};
#endif

/*
 * nvmet's largest queue size (MQES + 1 when a transport does not say):
 * renamed in 6.12, where a port attribute may lower it further. Used where
 * nvmet.h is included.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define NVO_NVMET_QUEUE_SIZE	NVMET_MAX_QUEUE_SIZE
#else
#define NVO_NVMET_QUEUE_SIZE	NVMET_QUEUE_SIZE
#endif

#endif /* NVO_COMPAT_H */
