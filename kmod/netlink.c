// SPDX-License-Identifier: GPL-2.0
/*
 * The nvmet_offload generic netlink family: its registration, its
 * operations (from the split ops ynl-gen-c.py generated from the spec,
 * netlink-gen.c), and events on the "monitor" group. netlink.h maps the
 * other files of the family.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "events.h"
#include "netlink.h"

/* Multicast groups, in the order of nvo_nl_mcgrps[]. */
enum nvo_nl_mcgrp {
	NVO_NL_MCGRP_MONITOR = NVMET_OFFLOAD_NLGRP_MONITOR,
};

/* Events are sent only while the family is registered. */
static bool nvo_nl_registered;

/*
 * Operations: one struct genl_ops per command, built from the generated
 * split ops. 6.1 has no split ops; on every kernel a command keeps one
 * policy for its do and its dump (the union of the spec's two requests),
 * so a request naming an attribute of the other mode is refused by the
 * handler with the same message everywhere.
 */
#define NVO_NL_NR_SPLIT		ARRAY_SIZE(nvmet_offload_nl_ops)

static struct genl_ops nvo_nl_ops[NVO_NL_NR_SPLIT];
/* Policies merged from a do and a dump policy, freed at exit. */
static struct nla_policy *nvo_nl_merged[NVO_NL_NR_SPLIT];

static int nvo_nl_policy_merge(struct genl_ops *op,
			       const struct genl_split_ops *s, unsigned int i)
{
	unsigned int max = max(op->maxattr, s->maxattr);
	struct nla_policy *p;
	unsigned int a;

	p = kcalloc(max + 1, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	memcpy(p, op->policy, (op->maxattr + 1) * sizeof(*p));
	for (a = 0; a <= s->maxattr; a++)
		if (p[a].type == NLA_UNSPEC)
			memcpy(&p[a], &s->policy[a], sizeof(*p));
	nvo_nl_merged[i] = p;
	op->policy = p;
	op->maxattr = max;
	return 0;
}

static void nvo_nl_ops_free(void)
{
	unsigned int i;

	for (i = 0; i < NVO_NL_NR_SPLIT; i++) {
		kfree(nvo_nl_merged[i]);
		nvo_nl_merged[i] = NULL;
	}
}

static int nvo_nl_ops_build(void)
{
	struct genl_ops *op = NULL;
	unsigned int i, n = 0;
	int ret;

	for (i = 0; i < NVO_NL_NR_SPLIT; i++) {
		const struct genl_split_ops *s = &nvmet_offload_nl_ops[i];

		if (!op || op->cmd != s->cmd) {
			op = &nvo_nl_ops[n++];
			op->cmd = s->cmd;
			op->flags = s->flags &
				    (GENL_ADMIN_PERM | GENL_UNS_ADMIN_PERM);
		}
		if (s->flags & GENL_CMD_CAP_DO)
			op->doit = s->doit;
		if (s->flags & GENL_CMD_CAP_DUMP)
			op->dumpit = s->dumpit;
		if (!s->policy)
			continue;
		if (!op->policy) {
			op->policy = s->policy;
			op->maxattr = s->maxattr;
			continue;
		}
		ret = nvo_nl_policy_merge(op, s, i);
		if (ret) {
			nvo_nl_ops_free();
			return ret;
		}
	}
	return n;
}

static const struct genl_multicast_group nvo_nl_mcgrps[] = {
	[NVO_NL_MCGRP_MONITOR] = {
		.name	= NVMET_OFFLOAD_MCGRP_MONITOR,
		.flags	= GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * Events
 */

static struct sk_buff *nvo_nl_event_new(u8 cmd, void **hdr)
{
	struct sk_buff *msg;

	if (!READ_ONCE(nvo_nl_registered) ||
	    !genl_has_listeners(&nvo_nl_family, &init_net,
				NVO_NL_MCGRP_MONITOR))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &nvo_nl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void nvo_nl_event_send(struct sk_buff *msg, void *hdr, int err)
{
	if (err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&nvo_nl_family, msg, 0, NVO_NL_MCGRP_MONITOR,
			  GFP_ATOMIC);
}

static const u8 nvo_nl_dev_cmds[] = {
	[NVO_DEV_ADDED]		= NVMET_OFFLOAD_CMD_DEV_ADD,
	[NVO_DEV_REMOVED]	= NVMET_OFFLOAD_CMD_DEV_DEL,
	[NVO_DEV_FAILED]	= NVMET_OFFLOAD_CMD_DEV_FAILED,
};

static void nvo_nl_notify_dev(struct nvo_offload_dev *dev,
			      enum nvo_dev_event ev)
{
	struct nvo_nl_dev_info di;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = nvo_nl_event_new(nvo_nl_dev_cmds[ev], &hdr);
	if (!msg)
		return;
	if (ev != NVO_DEV_REMOVED) {
		nvo_nl_dev_snap(dev, &di);
		err = nvo_nl_fill_dev(msg, &di);
	} else {
		err = nla_put_u32(msg, NVMET_OFFLOAD_A_DEV_ID, dev->id) ||
		      nla_put_string(msg, NVMET_OFFLOAD_A_DEV_NAME, dev->name);
	}
	nvo_nl_event_send(msg, hdr, err);
}

static void nvo_nl_notify_port(struct nvo_port *port)
{
	struct nvo_nl_port_info *pi;
	struct sk_buff *msg;
	void *hdr;

	msg = nvo_nl_event_new(NVMET_OFFLOAD_CMD_PORT_POLICY_CHANGED, &hdr);
	if (!msg)
		return;
	/* The addresses make it too big for the stack of any context. */
	pi = kmalloc(sizeof(*pi), GFP_ATOMIC);
	if (!pi) {
		nlmsg_free(msg);
		return;
	}
	nvo_nl_port_snap(port, pi);
	nvo_nl_event_send(msg, hdr, nvo_nl_fill_port(msg, pi));
	kfree(pi);
}

static int nvo_nl_fill_fallback(struct sk_buff *skb,
				const struct nvo_nl_queue_info *qi)
{
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_ID, qi->id) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_PORT_ID, qi->port_id) ||
	    (qi->has_ctrl &&
	     nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_CTRL_ID, qi->ctrl_id)) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_QID, qi->qid) ||
	    (qi->has_dev &&
	     nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_DEV_ID, qi->dev_id)) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_STATE, qi->state) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_FALLBACK_REASON,
			qi->fallback_reason) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_TRANSPORT, qi->transport))
		return -EMSGSIZE;
	return 0;
}

/* enum nvo_fallback_reason and the spec's fallback-reason agree. */
#define NVO_NL_SAME_REASON(uapi, nvo) \
	static_assert((int)NVMET_OFFLOAD_FALLBACK_REASON_##uapi == (int)NVO_FALLBACK_##nvo)
NVO_NL_SAME_REASON(NONE, NONE);
NVO_NL_SAME_REASON(REFUSED, REFUSED);
NVO_NL_SAME_REASON(QUEUE_FAILED, QUEUE_FAILED);
NVO_NL_SAME_REASON(DEV_FAILED, DEV_FAILED);
NVO_NL_SAME_REASON(DEV_REMOVED, DEV_REMOVED);
NVO_NL_SAME_REASON(STREAM_LOST, STREAM_LOST);
NVO_NL_SAME_REASON(RECLAIM_TIMEOUT, RECLAIM_TIMEOUT);
NVO_NL_SAME_REASON(KILL_TIMEOUT, KILL_TIMEOUT);

static void nvo_nl_notify_queue(struct nvo_queue *queue,
				enum nvo_queue_event ev,
				struct nvo_offload_dev *dev,
				enum nvo_fallback_reason reason)
{
	static const u8 cmds[] = {
		[NVO_QEV_OFFLOADED]	= NVMET_OFFLOAD_CMD_QUEUE_OFFLOADED,
		[NVO_QEV_RECLAIMED]	= NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED,
		[NVO_QEV_FALLBACK]	= NVMET_OFFLOAD_CMD_QUEUE_FALLBACK,
	};
	struct nvo_nl_queue_info *qi;
	struct sk_buff *msg;
	void *hdr;
	u8 cmd;
	int err;

	if (WARN_ON_ONCE(ev >= ARRAY_SIZE(cmds)))
		return;
	cmd = cmds[ev];

	msg = nvo_nl_event_new(cmd, &hdr);
	if (!msg)
		return;
	/* Two NQNs: too big for the stack of any context. */
	qi = kmalloc(sizeof(*qi), GFP_ATOMIC);
	if (!qi) {
		nlmsg_free(msg);
		return;
	}
	nvo_nl_queue_snap(queue, qi);
	/* The caller's view: state_lock may be held, and oq.dev cleared. */
	qi->state = nvo_nl_queue_state(READ_ONCE(queue->ostate));
	qi->has_dev = dev && cmd != NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED;
	qi->dev_id = qi->has_dev ? dev->id : 0;
	qi->engine = qi->has_dev ? READ_ONCE(queue->oq.engine) : -1;
	switch (cmd) {
	case NVMET_OFFLOAD_CMD_QUEUE_FALLBACK:
		qi->fallback_reason = reason;
		err = nvo_nl_fill_fallback(msg, qi);
		break;
	case NVMET_OFFLOAD_CMD_QUEUE_OFFLOADED:
		qi->state = NVMET_OFFLOAD_QUEUE_STATE_OFFLOADED;
		err = nvo_nl_fill_queue(msg, qi);
		break;
	case NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED:
		qi->state = NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE;
		err = nvo_nl_fill_queue(msg, qi);
		break;
	default:
		WARN_ON_ONCE(1);
		err = -EINVAL;
	}
	nvo_nl_event_send(msg, hdr, err);
	kfree(qi);
}

static const struct nvo_observer nvo_nl_observer = {
	.dev_changed	= nvo_nl_notify_dev,
	.port_changed	= nvo_nl_notify_port,
	.queue_moved	= nvo_nl_notify_queue,
};

int nvo_netlink_init(void)
{
	int ret;

	ret = nvo_nl_ops_build();
	if (ret < 0)
		return ret;
	nvo_nl_family.ops = nvo_nl_ops;
	nvo_nl_family.n_ops = ret;
	nvo_nl_family.mcgrps = nvo_nl_mcgrps;
	nvo_nl_family.n_mcgrps = ARRAY_SIZE(nvo_nl_mcgrps);
	ret = genl_register_family(&nvo_nl_family);
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
		nvo_nl_ops_free();
		return ret;
	}
	WRITE_ONCE(nvo_nl_registered, true);
	nvo_observer_set(&nvo_nl_observer);
	return 0;
}

void nvo_netlink_exit(void)
{
	nvo_observer_set(NULL);
	WRITE_ONCE(nvo_nl_registered, false);
	genl_unregister_family(&nvo_nl_family);
	nvo_nl_ops_free();
}
