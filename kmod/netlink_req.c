// SPDX-License-Identifier: GPL-2.0
/*
 * Requests of the family: the parts every request shares, and dev-get,
 * port-get, port-set, queue-get, queue-set (policies: netlink-gen.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "netlink.h"
#include "observe.h"

/*
 * The family. Its operations and groups are netlink.c's, filled in when it
 * registers the family: the handlers here and in netlink_stats.c, which
 * build replies with it, sit below the code that registers them.
 */
struct genl_family nvo_nl_family __ro_after_init = {
	.name		= NVMET_OFFLOAD_FAMILY_NAME,
	.version	= NVMET_OFFLOAD_FAMILY_VERSION,
	/* Our locks, not genl_mutex, serialise what needs it. */
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	/* Every command checks the reserved header fields and flags. */
	.resv_start_op	= 0,
};

/*
 * Requests: common parts
 */

int nvo_nl_reply(struct genl_info *info, u8 cmd,
		 nvo_nl_fill_t fill, const void *item)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &nvo_nl_family, 0, cmd);
	if (!hdr)
		goto too_big;
	if (fill(msg, item))
		goto too_big;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

too_big:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * A required attribute is absent: its type goes in the ack's missing-type
 * TLV (the core's GENL_REQ_ATTR_CHECK), and a message with it.
 */
bool nvo_nl_missing(struct genl_info *info, u32 type)
{
	if (!GENL_REQ_ATTR_CHECK(info, type))
		return false;
	NL_SET_ERR_MSG(info->extack, "a required attribute is missing");
	return true;
}

struct nvo_nl_dump_ctx *nvo_nl_dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct nvo_nl_dump_ctx) > sizeof(cb->ctx));
	return (struct nvo_nl_dump_ctx *)cb->ctx;
}

/*
 * The first call of a dump reads its request through @sel. Not in a start
 * callback: in 6.1 a start callback has no extack to say why it refused.
 */
int nvo_nl_dump_begin(struct netlink_callback *cb,
		      int (*sel)(struct netlink_callback *cb))
{
	struct nvo_nl_dump_ctx *ctx = nvo_nl_dump_ctx(cb);
	int ret;

	if (ctx->started)
		return 0;
	ret = sel(cb);
	if (!ret)
		ctx->started = true;
	return ret;
}

/*
 * Puts the batch's items as messages of a dump; returns what dumpit
 * returns. The cursor moves past each item sent, so the next call starts
 * with the first one that did not fit.
 */
int nvo_nl_dump_batch(struct sk_buff *skb, struct netlink_callback *cb,
		      u8 cmd, const struct nvo_nl_batch *b,
		      int (*fill)(struct sk_buff *skb, const void *item,
				  const struct nvo_nl_dump_ctx *ctx))
{
	struct nvo_nl_dump_ctx *ctx = nvo_nl_dump_ctx(cb);
	unsigned int i;
	void *hdr;

	for (i = 0; i < b->n; i++) {
		const void *item = nvo_nl_batch_item(b, i);

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &nvo_nl_family,
				  NLM_F_MULTI, cmd);
		if (!hdr)
			goto full;
		if (fill(skb, item, ctx)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
		ctx->cursor = nvo_nl_batch_key(b, i) + 1;
	}
	/* A short batch was the last one; a full one may have more after. */
	return skb->len;

full:
	/* Not even one object fits an empty message: it never will. */
	return skb->len ? skb->len : -EMSGSIZE;
}

/* The first of @types present in @tb: an attribute this mode does not take. */
struct nlattr *nvo_nl_unexpected(struct nlattr **tb,
				 const unsigned int *types,
				 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (tb[types[i]])
			return tb[types[i]];
	return NULL;
}

/*
 * A dump of one kind of object: the selection read at the start (@sel),
 * then one batch of @kind's objects from the cursor on, each put as a
 * message by @fill.
 */
struct nvo_nl_dump_kind {
	u8	cmd;
	size_t	item_size;
	int	(*sel)(struct netlink_callback *cb);
	void	(*collect)(struct nvo_nl_collect *c);
	int	(*fill)(struct sk_buff *skb, const void *item,
			const struct nvo_nl_dump_ctx *ctx);
};

static int nvo_nl_dump_kind(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct nvo_nl_dump_kind *kind)
{
	struct nvo_nl_dump_ctx *ctx = nvo_nl_dump_ctx(cb);
	struct nvo_nl_collect c = { .sel = &ctx->sel };
	int ret;

	ret = nvo_nl_dump_begin(cb, kind->sel);
	if (ret)
		return ret;
	ret = nvo_nl_batch_init(&c.b, kind->item_size, NVO_NL_BATCH,
				ctx->cursor);
	if (ret)
		return ret;
	kind->collect(&c);
	ret = nvo_nl_dump_batch(skb, cb, kind->cmd, &c.b, kind->fill);
	nvo_nl_batch_free(&c.b);
	return ret;
}

/*
 * dev-get
 */

static int nvo_nl_fill_dev_item(struct sk_buff *skb, const void *item)
{
	return nvo_nl_fill_dev(skb, item);
}

int nvmet_offload_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nvo_nl_sel sel = {};
	struct nvo_nl_collect c = { .sel = &sel };
	struct nlattr **tb = info->attrs;
	int ret;

	if (tb[NVMET_OFFLOAD_A_DEV_ID]) {
		sel.by = NVO_NL_BY_ID;
		sel.id = nla_get_u32(tb[NVMET_OFFLOAD_A_DEV_ID]);
	} else if (tb[NVMET_OFFLOAD_A_DEV_NAME]) {
		sel.by = NVO_NL_BY_NAME;
		sel.name = nla_data(tb[NVMET_OFFLOAD_A_DEV_NAME]);
	} else {
		NL_SET_ERR_MSG(info->extack, "device id or name required");
		return -EINVAL;
	}

	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_dev_info), 1, 0);
	if (ret)
		return ret;
	nvo_visit_devices(nvo_nl_collect_dev, &c);
	if (!c.b.n) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[NVMET_OFFLOAD_A_DEV_ID] ?:
				    tb[NVMET_OFFLOAD_A_DEV_NAME],
				    "no such offload device");
		ret = -ENODEV;
	} else {
		ret = nvo_nl_reply(info, NVMET_OFFLOAD_CMD_DEV_GET,
				   nvo_nl_fill_dev_item, c.b.items);
	}
	nvo_nl_batch_free(&c.b);
	return ret;
}

static const unsigned int nvo_nl_dev_get_not_dump[] = {
	NVMET_OFFLOAD_A_DEV_ID, NVMET_OFFLOAD_A_DEV_NAME,
};

static int nvo_nl_dev_get_dump_sel(struct netlink_callback *cb)
{
	struct nlattr *bad;

	bad = nvo_nl_unexpected(nvo_genl_dump_attrs(cb), nvo_nl_dev_get_not_dump,
				ARRAY_SIZE(nvo_nl_dev_get_not_dump));
	if (bad) {
		NL_SET_ERR_MSG_ATTR(cb->extack, bad,
				    "a device dump takes no selector");
		return -EINVAL;
	}
	return 0;
}

static int nvo_nl_dump_dev_item(struct sk_buff *skb, const void *item,
				const struct nvo_nl_dump_ctx *ctx)
{
	return nvo_nl_fill_dev(skb, item);
}

static void nvo_nl_collect_devs(struct nvo_nl_collect *c)
{
	nvo_visit_devices(nvo_nl_collect_dev, c);
}

static const struct nvo_nl_dump_kind nvo_nl_dev_dump = {
	.cmd		= NVMET_OFFLOAD_CMD_DEV_GET,
	.item_size	= sizeof(struct nvo_nl_dev_info),
	.sel		= nvo_nl_dev_get_dump_sel,
	.collect	= nvo_nl_collect_devs,
	.fill		= nvo_nl_dump_dev_item,
};

int nvmet_offload_nl_dev_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	return nvo_nl_dump_kind(skb, cb, &nvo_nl_dev_dump);
}

/*
 * port-get, port-set
 */

static int nvo_nl_fill_port_item(struct sk_buff *skb, const void *item)
{
	return nvo_nl_fill_port(skb, item);
}

/* Every port of ours, NVMe/TCP and a peer's. */
static void nvo_nl_collect_ports(struct nvo_nl_collect *c)
{
	nvo_visit_ports(nvo_nl_collect_port, c);
	nvo_visit_peer_ports(nvo_nl_collect_peer_port, c);
	/* Their bindings after the visit: not under the peer's lock. */
	nvo_nl_peer_ports_bound(&c->b);
}

/*
 * The port's state now, or -ENOENT (with extack) when it is not ours
 * (neither an NVMe/TCP port nor a peer transport's).
 */
static int nvo_nl_port_lookup(struct genl_info *info, u32 id,
			      struct nvo_nl_batch *b)
{
	struct nvo_nl_sel sel = { .by = NVO_NL_BY_ID, .id = id };
	struct nvo_nl_collect c = { .sel = &sel };
	int ret;

	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_port_info), 1, 0);
	if (ret)
		return ret;
	nvo_nl_collect_ports(&c);
	if (!c.b.n) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NVMET_OFFLOAD_A_PORT_ID],
				    "no such port of our transports");
		nvo_nl_batch_free(&c.b);
		return -ENOENT;
	}
	*b = c.b;
	return 0;
}

int nvmet_offload_nl_port_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nvo_nl_batch b;
	int ret;

	if (nvo_nl_missing(info, NVMET_OFFLOAD_A_PORT_ID))
		return -EINVAL;
	ret = nvo_nl_port_lookup(info,
				 nla_get_u32(info->attrs[NVMET_OFFLOAD_A_PORT_ID]),
				 &b);
	if (ret)
		return ret;
	ret = nvo_nl_reply(info, NVMET_OFFLOAD_CMD_PORT_GET,
			   nvo_nl_fill_port_item, b.items);
	nvo_nl_batch_free(&b);
	return ret;
}

static const unsigned int nvo_nl_port_get_not_dump[] = {
	NVMET_OFFLOAD_A_PORT_ID,
};

static int nvo_nl_port_get_dump_sel(struct netlink_callback *cb)
{
	struct nlattr *bad;

	bad = nvo_nl_unexpected(nvo_genl_dump_attrs(cb), nvo_nl_port_get_not_dump,
				ARRAY_SIZE(nvo_nl_port_get_not_dump));
	if (bad) {
		NL_SET_ERR_MSG_ATTR(cb->extack, bad,
				    "a port dump takes no selector");
		return -EINVAL;
	}
	return 0;
}

static int nvo_nl_dump_port_item(struct sk_buff *skb, const void *item,
				 const struct nvo_nl_dump_ctx *ctx)
{
	return nvo_nl_fill_port(skb, item);
}

static const struct nvo_nl_dump_kind nvo_nl_port_dump = {
	.cmd		= NVMET_OFFLOAD_CMD_PORT_GET,
	.item_size	= sizeof(struct nvo_nl_port_info),
	.sel		= nvo_nl_port_get_dump_sel,
	.collect	= nvo_nl_collect_ports,
	.fill		= nvo_nl_dump_port_item,
};

int nvmet_offload_nl_port_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	return nvo_nl_dump_kind(skb, cb, &nvo_nl_port_dump);
}

/*
 * The device a port-set names (dev-id wins over dev-name, spec), by its
 * name for nvo_port_set(); "" for dev-id 0 (unbind).
 */
static int nvo_nl_port_set_dev(struct genl_info *info, char *name,
			       struct nlattr **attr)
{
	struct nlattr **tb = info->attrs;
	struct nvo_nl_sel sel = {};
	struct nvo_nl_collect c = { .sel = &sel };
	int ret;

	*attr = tb[NVMET_OFFLOAD_A_PORT_DEV_ID] ?: tb[NVMET_OFFLOAD_A_PORT_DEV_NAME];
	if (tb[NVMET_OFFLOAD_A_PORT_DEV_ID]) {
		sel.by = NVO_NL_BY_ID;
		sel.id = nla_get_u32(*attr);
		if (!sel.id) {
			name[0] = '\0';
			return 0;
		}
	} else {
		sel.by = NVO_NL_BY_NAME;
		sel.name = nla_data(*attr);
	}
	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_dev_info), 1, 0);
	if (ret)
		return ret;
	nvo_visit_devices(nvo_nl_collect_dev, &c);
	if (c.b.n) {
		strscpy(name, ((struct nvo_nl_dev_info *)c.b.items)->name,
			NVO_DEV_NAME_LEN);
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, *attr, "no such offload device");
		ret = -ENODEV;
	}
	nvo_nl_batch_free(&c.b);
	return ret;
}

/* What a port-set failed on, for its extack. */
static void nvo_nl_port_set_err(struct genl_info *info, struct nlattr *dev_attr,
				int ret)
{
	struct netlink_ext_ack *extack = info->extack;

	switch (ret) {
	case -ENODEV:
		/* Registered at the look-up, gone since. */
		NL_SET_ERR_MSG_ATTR(extack, dev_attr, "no such offload device");
		break;
	case -ENOENT:
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[NVMET_OFFLOAD_A_PORT_ID],
				    "no such port of our transports");
		break;
	case -EBUSY:
		NL_SET_ERR_MSG_ATTR(extack, dev_attr,
				    "the policy is on: turn it off to change the device");
		break;
	case -EOPNOTSUPP:
		NL_SET_ERR_MSG_ATTR(extack, dev_attr,
				    "the device takes no queue of this port's transport");
		break;
	default:
		NL_SET_ERR_MSG(extack, "changing the port's policy failed");
		break;
	}
}

/*
 * The device and the policy after the request are worked out first and
 * applied in one step: every refusal comes before any change, and one
 * port-policy-changed event reports the result.
 */
int nvmet_offload_nl_port_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **tb = info->attrs;
	struct nlattr *dev_attr = NULL;
	char name[NVO_DEV_NAME_LEN];	/* the device after the request */
	const struct nvo_nl_port_info *pi;
	struct nvo_nl_batch b;
	bool want_dev, on;
	u32 portid;
	int policy = -1;
	int ret;

	if (nvo_nl_missing(info, NVMET_OFFLOAD_A_PORT_ID))
		return -EINVAL;
	portid = nla_get_u32(tb[NVMET_OFFLOAD_A_PORT_ID]);
	if (tb[NVMET_OFFLOAD_A_PORT_POLICY])
		policy = nla_get_u32(tb[NVMET_OFFLOAD_A_PORT_POLICY]);
	want_dev = tb[NVMET_OFFLOAD_A_PORT_DEV_ID] ||
		   tb[NVMET_OFFLOAD_A_PORT_DEV_NAME];
	if (policy < 0 && !want_dev) {
		NL_SET_ERR_MSG(extack, "nothing to set: give policy, dev-id or dev-name");
		return -EINVAL;
	}

	ret = nvo_nl_port_lookup(info, portid, &b);
	if (ret)
		return ret;
	pi = b.items;
	if (pi->transport != NVMF_TRTYPE_TCP &&
	    pi->transport != NVMF_TRTYPE_RDMA) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NVMET_OFFLOAD_A_PORT_ID],
				    "only NVMe/TCP and NVMe/RDMA ports offload: this port serves in software");
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (want_dev) {
		ret = nvo_nl_port_set_dev(info, name, &dev_attr);
		if (ret)
			goto out;
	} else {
		strscpy(name, pi->bound ? pi->dev_name : "", sizeof(name));
	}
	on = policy < 0 ? pi->on : policy == NVMET_OFFLOAD_POLICY_ON;

	if (pi->on && on && strcmp(pi->dev_name, name)) {
		ret = -EBUSY;
		nvo_nl_port_set_err(info, dev_attr, ret);
		goto out;
	}
	if (on && !name[0]) {
		NL_SET_ERR_MSG_ATTR(extack,
				    dev_attr ?: tb[NVMET_OFFLOAD_A_PORT_POLICY],
				    "policy on needs a device bound to the port");
		ret = -EINVAL;
		goto out;
	}

	/* One step, one port-policy-changed event. */
	ret = nvo_port_set(portid, name[0] ? name : NULL, on);
	if (ret)
		nvo_nl_port_set_err(info, dev_attr, ret);
out:
	nvo_nl_batch_free(&b);
	return ret;
}

/*
 * queue-get, queue-set
 */

static int nvo_nl_fill_queue_item(struct sk_buff *skb, const void *item)
{
	return nvo_nl_fill_queue(skb, item);
}

/* Every queue of ours, NVMe/TCP and a peer's, from one id space. */
static void nvo_nl_collect_queues(struct nvo_nl_collect *c)
{
	nvo_visit_queues(nvo_nl_collect_queue, c);
	nvo_visit_peer_queues(nvo_nl_collect_peer_queue, c);
}

static const unsigned int nvo_nl_queue_get_not_do[] = {
	NVMET_OFFLOAD_A_QUEUE_PORT_ID, NVMET_OFFLOAD_A_QUEUE_CTRL_ID,
	NVMET_OFFLOAD_A_QUEUE_DEV_ID,
};

int nvmet_offload_nl_queue_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nvo_nl_sel sel = { .by = NVO_NL_BY_ID };
	struct nvo_nl_collect c = { .sel = &sel };
	struct nlattr *bad;
	int ret;

	if (nvo_nl_missing(info, NVMET_OFFLOAD_A_QUEUE_ID))
		return -EINVAL;
	bad = nvo_nl_unexpected(info->attrs, nvo_nl_queue_get_not_do,
				ARRAY_SIZE(nvo_nl_queue_get_not_do));
	if (bad) {
		NL_SET_ERR_MSG_ATTR(info->extack, bad,
				    "a dump filter: a queue-get request names one queue by id");
		return -EINVAL;
	}
	sel.id = nla_get_u32(info->attrs[NVMET_OFFLOAD_A_QUEUE_ID]);

	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_queue_info), 1, 0);
	if (ret)
		return ret;
	nvo_nl_collect_queues(&c);
	if (!c.b.n) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NVMET_OFFLOAD_A_QUEUE_ID],
				    "no such queue");
		ret = -ENOENT;
	} else {
		ret = nvo_nl_reply(info, NVMET_OFFLOAD_CMD_QUEUE_GET,
				   nvo_nl_fill_queue_item, c.b.items);
	}
	nvo_nl_batch_free(&c.b);
	return ret;
}

static int nvo_nl_queue_get_dump_sel(struct netlink_callback *cb)
{
	struct nvo_nl_sel *sel = &nvo_nl_dump_ctx(cb)->sel;
	struct nlattr **tb = nvo_genl_dump_attrs(cb);

	if (tb[NVMET_OFFLOAD_A_QUEUE_ID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, tb[NVMET_OFFLOAD_A_QUEUE_ID],
				    "not a dump filter: get one queue with a do request");
		return -EINVAL;
	}
	if (tb[NVMET_OFFLOAD_A_QUEUE_PORT_ID]) {
		sel->by |= NVO_NL_BY_PORT;
		sel->port_id = nla_get_u32(tb[NVMET_OFFLOAD_A_QUEUE_PORT_ID]);
	}
	if (tb[NVMET_OFFLOAD_A_QUEUE_CTRL_ID]) {
		sel->by |= NVO_NL_BY_CTRL;
		sel->ctrl_id = nla_get_u32(tb[NVMET_OFFLOAD_A_QUEUE_CTRL_ID]);
	}
	if (tb[NVMET_OFFLOAD_A_QUEUE_DEV_ID]) {
		sel->by |= NVO_NL_BY_DEV;
		sel->dev_id = nla_get_u32(tb[NVMET_OFFLOAD_A_QUEUE_DEV_ID]);
	}
	return 0;
}

static int nvo_nl_dump_queue_item(struct sk_buff *skb, const void *item,
				  const struct nvo_nl_dump_ctx *ctx)
{
	return nvo_nl_fill_queue(skb, item);
}

static const struct nvo_nl_dump_kind nvo_nl_queue_dump = {
	.cmd		= NVMET_OFFLOAD_CMD_QUEUE_GET,
	.item_size	= sizeof(struct nvo_nl_queue_info),
	.sel		= nvo_nl_queue_get_dump_sel,
	.collect	= nvo_nl_collect_queues,
	.fill		= nvo_nl_dump_queue_item,
};

int nvmet_offload_nl_queue_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	return nvo_nl_dump_kind(skb, cb, &nvo_nl_queue_dump);
}

/* The first queue after @after that a queue-set selects, in id order. */
struct nvo_nl_next_queue {
	const struct nvo_nl_sel	*sel;
	s64			after;
	s64			found;		/* -1: none */
	u32			qid;
	bool			ctrl_seen;	/* a queue of sel->ctrl_id exists */
};

static void nvo_nl_next_queue(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_next_queue *nq = arg;
	struct nvmet_ctrl *ctrl = nvo_queue_ctrl(queue);

	if (ctrl && ctrl->cntlid == nq->sel->ctrl_id)
		nq->ctrl_seen = true;
	if (nvo_queue_id(queue) <= nq->after || !nvo_nl_queue_selected(queue, nq->sel))
		return;
	if (nq->found < 0 || nvo_queue_id(queue) < nq->found) {
		nq->found = nvo_queue_id(queue);
		nq->qid = nvo_queue_qid(queue);
	}
}

/* The first peer queue after @after that a queue-set selects, in id order. */
struct nvo_nl_next_peer {
	const struct nvo_nl_sel	*sel;
	s64			after;
	s64			found;		/* -1: none */
	u16			qid;
};

static void nvo_nl_next_peer_queue(const struct nvo_peer_queue *pq, void *arg)
{
	struct nvo_nl_next_peer *np = arg;

	if (pq->id <= np->after || !nvo_nl_peer_queue_selected(pq, np->sel))
		return;
	if (np->found < 0 || pq->id < np->found) {
		np->found = pq->id;
		np->qid = pq->qid;
	}
}

static int nvo_nl_queue_set_err(struct netlink_ext_ack *extack,
				const struct nlattr *which, int ret);

/*
 * A queue-set that named no NVMe/TCP queue: a peer transport's queues move
 * through the peer (one at a time, in id order, as NVMe/TCP's), else
 * -ENOENT; with extack.
 */
static int nvo_nl_queue_set_none(struct netlink_ext_ack *extack,
				 const struct nlattr *which,
				 const struct nvo_nl_sel *sel, bool one,
				 bool on)
{
	struct nvo_nl_next_peer np = { .sel = sel, .after = -1 };
	bool seen = false;
	int ret;

	for (;;) {
		np.found = -1;
		nvo_visit_peer_queues(nvo_nl_next_peer_queue, &np);
		if (np.found < 0)
			break;
		np.after = np.found;
		seen = true;
		if (!np.qid)
			return nvo_nl_queue_set_err(extack, which, -EINVAL);
		ret = nvo_peer_queue_set(np.found, on);
		if (ret == -EOPNOTSUPP) {
			NL_SET_ERR_MSG_ATTR(extack, which,
					    "the queue's device takes no queue of its transport live, or took it at connect");
			return ret;
		}
		if (ret && ret != -ENOENT)
			return nvo_nl_queue_set_err(extack, which, ret);
		if (one)
			return ret == -ENOENT ?
			       nvo_nl_queue_set_err(extack, which, ret) : 0;
	}
	if (seen)
		return 0;
	if (one)
		NL_SET_ERR_MSG_ATTR(extack, which, "no such queue");
	else
		NL_SET_ERR_MSG_ATTR(extack, which, "no such controller");
	return -ENOENT;
}

static int nvo_nl_queue_set_err(struct netlink_ext_ack *extack,
				const struct nlattr *which, int ret)
{
	switch (ret) {
	case -ENODEV:
		/* The port has no device (offload.c): the spec says -EINVAL. */
		NL_SET_ERR_MSG_ATTR(extack, which,
				    "no offload device bound to the queue's port");
		return -EINVAL;
	case -EINVAL:
		NL_SET_ERR_MSG_ATTR(extack, which,
				    "the admin queue stays in software");
		break;
	case -EBUSY:
		NL_SET_ERR_MSG_ATTR(extack, which,
				    "the queue is being handed to another device");
		break;
	case -ESHUTDOWN:
		NL_SET_ERR_MSG_ATTR(extack, which, "the queue is closing");
		break;
	case -ETIMEDOUT:
		NL_SET_ERR_MSG_ATTR(extack, which,
				    "the queue reached no command boundary in time");
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, which, "the offload request failed");
		break;
	}
	return ret;
}

/*
 * queue-set: one queue by id, one by ctrl-id and qid, or every I/O queue
 * of a controller. The queues are looked up one at a time, in id order:
 * nvo_queue_offload_set() takes the offload mutex, which ranks above the
 * queue list's, so it cannot run inside a visit.
 */
int nvmet_offload_nl_queue_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **tb = info->attrs;
	struct nvo_nl_sel sel = {};
	struct nvo_nl_next_queue nq = { .sel = &sel, .after = -1 };
	struct nlattr *which;
	bool on, one = true;
	int ret;

	if (nvo_nl_missing(info, NVMET_OFFLOAD_A_QUEUE_OFFLOAD))
		return -EINVAL;
	on = nla_get_u32(tb[NVMET_OFFLOAD_A_QUEUE_OFFLOAD]) ==
	     NVMET_OFFLOAD_POLICY_ON;

	if (tb[NVMET_OFFLOAD_A_QUEUE_ID]) {
		which = tb[NVMET_OFFLOAD_A_QUEUE_ID];
		if (tb[NVMET_OFFLOAD_A_QUEUE_CTRL_ID] ||
		    tb[NVMET_OFFLOAD_A_QUEUE_QID]) {
			NL_SET_ERR_MSG_ATTR(extack, which,
					    "name the queue by id or by ctrl-id and qid, not both");
			return -EINVAL;
		}
		sel.by = NVO_NL_BY_ID;
		sel.id = nla_get_u32(which);
	} else if (tb[NVMET_OFFLOAD_A_QUEUE_CTRL_ID]) {
		which = tb[NVMET_OFFLOAD_A_QUEUE_CTRL_ID];
		sel.by = NVO_NL_BY_CTRL;
		sel.ctrl_id = nla_get_u32(which);
		if (tb[NVMET_OFFLOAD_A_QUEUE_QID]) {
			which = tb[NVMET_OFFLOAD_A_QUEUE_QID];
			sel.by |= NVO_NL_BY_QID;
			sel.qid = nla_get_u32(which);
		} else {
			sel.by |= NVO_NL_BY_IOQ;
			one = false;
		}
	} else {
		if (tb[NVMET_OFFLOAD_A_QUEUE_QID])
			NL_SET_ERR_MSG_ATTR(extack, tb[NVMET_OFFLOAD_A_QUEUE_QID],
					    "qid needs ctrl-id");
		else
			NL_SET_ERR_MSG(extack, "name the queue: id, or ctrl-id [and qid]");
		return -EINVAL;
	}

	for (;;) {
		nq.found = -1;
		nvo_visit_queues(nvo_nl_next_queue, &nq);
		if (nq.found < 0)
			break;
		nq.after = nq.found;
		if (!nq.qid) {
			/* offload.c would let a reclaim pass: refuse both. */
			NL_SET_ERR_MSG_ATTR(extack, which,
					    "the admin queue stays in software");
			return -EINVAL;
		}
		ret = nvo_queue_offload_set(nq.found, on);
		/* -ENOENT: gone since the look-up, as if never seen. */
		if (ret && ret != -ENOENT)
			return nvo_nl_queue_set_err(extack, which, ret);
		if (one)
			return ret == -ENOENT ?
			       nvo_nl_queue_set_err(extack, which, ret) : 0;
	}
	if (one || !nq.ctrl_seen)
		return nvo_nl_queue_set_none(extack, which, &sel, one, on);
	return 0;
}
