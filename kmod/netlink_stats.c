// SPDX-License-Identifier: GPL-2.0
/*
 * stats-get and stats-reset: counters of a device, port, namespace or
 * queue (policies: netlink-gen.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "netlink.h"
#include "observe.h"

/*
 * stats-get, stats-reset
 */

/*
 * A namespace is named by its port and id, and by its subsystem's NQN
 * when several subsystems of the port have that id.
 */
static int nvo_nl_stats_sel_ns(struct genl_info *info, struct nvo_nl_sel *sel,
			       struct nlattr **key)
{
	struct nlattr **tb = info->attrs;
	static const u16 need[] = {
		NVMET_OFFLOAD_A_STATS_PORT_ID, NVMET_OFFLOAD_A_STATS_NSID,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (!tb[need[i]]) {
			NL_SET_ERR_ATTR_MISS(info->extack, NULL, need[i]);
			NL_SET_ERR_MSG(info->extack,
				       "the namespace scope needs a port id and a namespace id");
			return -EINVAL;
		}
	}
	*key = tb[NVMET_OFFLOAD_A_STATS_NSID];
	sel->by = NVO_NL_BY_PORT | NVO_NL_BY_NSID;
	sel->port_id = nla_get_u32(tb[NVMET_OFFLOAD_A_STATS_PORT_ID]);
	sel->nsid = nla_get_u32(tb[NVMET_OFFLOAD_A_STATS_NSID]);
	if (tb[NVMET_OFFLOAD_A_STATS_SUBSYSNQN]) {
		sel->by |= NVO_NL_BY_NQN;
		sel->nqn = nla_data(tb[NVMET_OFFLOAD_A_STATS_SUBSYSNQN]);
	}
	return 0;
}

/*
 * The selection of one object of @scope from a do request: its id in
 * sel->id; the attribute naming it in *@key.
 */
static int nvo_nl_stats_sel_one(struct genl_info *info, u32 scope,
				struct nvo_nl_sel *sel, struct nlattr **key)
{
	struct nlattr **tb = info->attrs;
	static const u16 key_attr[] = {
		[NVMET_OFFLOAD_STATS_SCOPE_DEVICE] = NVMET_OFFLOAD_A_STATS_DEV_ID,
		[NVMET_OFFLOAD_STATS_SCOPE_PORT] = NVMET_OFFLOAD_A_STATS_PORT_ID,
		[NVMET_OFFLOAD_STATS_SCOPE_QUEUE] = NVMET_OFFLOAD_A_STATS_QUEUE_ID,
	};

	if (scope == NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE)
		return nvo_nl_stats_sel_ns(info, sel, key);
	*key = tb[key_attr[scope]];
	if (!*key) {
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, key_attr[scope]);
		NL_SET_ERR_MSG(info->extack, "the scope needs the id of its object");
		return -EINVAL;
	}
	sel->by = NVO_NL_BY_ID;
	sel->id = nla_get_u32(*key);
	return 0;
}

/* A stats request named an object of @scope that does not exist. */
static int nvo_nl_stats_notfound(struct netlink_ext_ack *extack,
				 const struct nlattr *key, u32 scope)
{
	switch (scope) {
	case NVMET_OFFLOAD_STATS_SCOPE_DEVICE:
		NL_SET_ERR_MSG_ATTR(extack, key, "no such offload device");
		return -ENODEV;
	case NVMET_OFFLOAD_STATS_SCOPE_PORT:
		/* The offload counters are NVMe/TCP's only. */
		NL_SET_ERR_MSG_ATTR(extack, key, "no such NVMe/TCP port");
		return -ENOENT;
	case NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE:
		NL_SET_ERR_MSG_ATTR(extack, key,
				    "no offload counters for this namespace: no offloaded queue of the port reached it");
		return -ENOENT;
	default:
		NL_SET_ERR_MSG_ATTR(extack, key, "no such queue");
		return -ENOENT;
	}
}

/*
 * Counters of the objects of @scope the selection picks, from @from on:
 * a batch of struct nvo_nl_stats_info in id order, as reported (since the
 * last reset) or, with @raw, as counted (for a reset to record).
 */
static int nvo_nl_stats_collect_mode(u32 scope, const struct nvo_nl_sel *sel,
				     unsigned int max, u32 from, bool raw,
				     struct nvo_nl_batch *b)
{
	struct nvo_nl_stats_info *si;
	unsigned int i;
	struct nvo_nl_collect c = { .sel = sel };
	int ret;

	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_stats_info), max,
				from);
	if (ret)
		return ret;
	switch (scope) {
	case NVMET_OFFLOAD_STATS_SCOPE_DEVICE:
		nvo_visit_devices(nvo_nl_collect_dev_key, &c);
		if (c.b.n) {
			nvo_visit_queues(nvo_nl_sum_by_dev, &c);
			nvo_visit_peer_queues(nvo_nl_peer_sum_by_dev, &c);
		}
		break;
	case NVMET_OFFLOAD_STATS_SCOPE_PORT:
		nvo_visit_ports(nvo_nl_collect_port_key, &c);
		if (c.b.n)
			nvo_visit_queues(nvo_nl_sum_by_port, &c);
		break;
	case NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE:
		nvo_visit_ns_accts(nvo_nl_collect_ns_key, &c);
		if (c.b.n)
			nvo_visit_queues(nvo_nl_sum_by_ns, &c);
		break;
	case NVMET_OFFLOAD_STATS_SCOPE_QUEUE:
		nvo_visit_queues(nvo_nl_collect_queue_stats, &c);
		/* A reset finds none of a peer's: they have no base. */
		if (!raw)
			nvo_visit_peer_queues(nvo_nl_collect_peer_queue_stats,
					      &c);
		break;
	}
	for (i = 0; !raw && i < c.b.n; i++) {
		si = nvo_nl_batch_item(&c.b, i);
		nvo_counters_sub_base(&si->c, &si->base);
	}
	*b = c.b;
	return 0;
}

static int nvo_nl_stats_collect(u32 scope, const struct nvo_nl_sel *sel,
				unsigned int max, u32 from,
				struct nvo_nl_batch *b)
{
	return nvo_nl_stats_collect_mode(scope, sel, max, from, false, b);
}

struct nvo_nl_stats_reply {
	u32					scope;
	const struct nvo_nl_stats_info		*si;
};

static int nvo_nl_fill_stats_item(struct sk_buff *skb, const void *item)
{
	const struct nvo_nl_stats_reply *r = item;

	return nvo_nl_fill_stats(skb, r->scope, r->si);
}

int nvmet_offload_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nvo_nl_sel sel = {};
	struct nvo_nl_stats_reply r;
	struct nvo_nl_batch b;
	struct nlattr *key;
	int ret;

	if (nvo_nl_missing(info, NVMET_OFFLOAD_A_STATS_SCOPE))
		return -EINVAL;
	r.scope = nla_get_u32(info->attrs[NVMET_OFFLOAD_A_STATS_SCOPE]);
	ret = nvo_nl_stats_sel_one(info, r.scope, &sel, &key);
	if (ret)
		return ret;
	/* Two: a namespace id several subsystems of the port have. */
	ret = nvo_nl_stats_collect(r.scope, &sel, 2, 0, &b);
	if (ret)
		return ret;
	if (!b.n) {
		ret = nvo_nl_stats_notfound(info->extack, key, r.scope);
	} else if (b.n > 1) {
		NL_SET_ERR_MSG_ATTR(info->extack, key,
				    "several subsystems of the port have this namespace id: name one (subsysnqn)");
		ret = -EINVAL;
	} else {
		r.si = b.items;
		ret = nvo_nl_reply(info, NVMET_OFFLOAD_CMD_STATS_GET,
				   nvo_nl_fill_stats_item, &r);
	}
	nvo_nl_batch_free(&b);
	return ret;
}

static const unsigned int nvo_nl_stats_not_dump[] = {
	NVMET_OFFLOAD_A_STATS_NSID, NVMET_OFFLOAD_A_STATS_QUEUE_ID,
	NVMET_OFFLOAD_A_STATS_SUBSYSNQN,
};

static int nvo_nl_stats_get_dump_sel(struct netlink_callback *cb)
{
	struct nvo_nl_dump_ctx *ctx = nvo_nl_dump_ctx(cb);
	struct nlattr **tb = nvo_genl_dump_attrs(cb);
	struct nvo_nl_sel *sel = &ctx->sel;
	struct nlattr *bad;

	bad = nvo_nl_unexpected(tb, nvo_nl_stats_not_dump,
				ARRAY_SIZE(nvo_nl_stats_not_dump));
	if (bad) {
		NL_SET_ERR_MSG_ATTR(cb->extack, bad,
				    "not a dump filter: get one object with a do request");
		return -EINVAL;
	}
	ctx->scope = tb[NVMET_OFFLOAD_A_STATS_SCOPE] ?
		     nla_get_u32(tb[NVMET_OFFLOAD_A_STATS_SCOPE]) :
		     NVMET_OFFLOAD_STATS_SCOPE_DEVICE;

	/* The filters apply to the queue scope (spec); the others have ids. */
	if (tb[NVMET_OFFLOAD_A_STATS_DEV_ID]) {
		if (ctx->scope == NVMET_OFFLOAD_STATS_SCOPE_DEVICE) {
			sel->by |= NVO_NL_BY_ID;
			sel->id = nla_get_u32(tb[NVMET_OFFLOAD_A_STATS_DEV_ID]);
		} else if (ctx->scope == NVMET_OFFLOAD_STATS_SCOPE_QUEUE) {
			sel->by |= NVO_NL_BY_DEV;
			sel->dev_id = nla_get_u32(tb[NVMET_OFFLOAD_A_STATS_DEV_ID]);
		} else {
			NL_SET_ERR_MSG_ATTR(cb->extack,
					    tb[NVMET_OFFLOAD_A_STATS_DEV_ID],
					    "ports are not filtered by device");
			return -EINVAL;
		}
	}
	if (tb[NVMET_OFFLOAD_A_STATS_PORT_ID]) {
		if (ctx->scope == NVMET_OFFLOAD_STATS_SCOPE_PORT) {
			sel->by |= NVO_NL_BY_ID;
			sel->id = nla_get_u32(tb[NVMET_OFFLOAD_A_STATS_PORT_ID]);
		} else if (ctx->scope == NVMET_OFFLOAD_STATS_SCOPE_QUEUE ||
			   ctx->scope == NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE) {
			sel->by |= NVO_NL_BY_PORT;
			sel->port_id = nla_get_u32(tb[NVMET_OFFLOAD_A_STATS_PORT_ID]);
		} else {
			NL_SET_ERR_MSG_ATTR(cb->extack,
					    tb[NVMET_OFFLOAD_A_STATS_PORT_ID],
					    "devices are not filtered by port");
			return -EINVAL;
		}
	}
	return 0;
}

static int nvo_nl_dump_stats_item(struct sk_buff *skb, const void *item,
				  const struct nvo_nl_dump_ctx *ctx)
{
	return nvo_nl_fill_stats(skb, ctx->scope, item);
}

int nvmet_offload_nl_stats_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	struct nvo_nl_dump_ctx *ctx = nvo_nl_dump_ctx(cb);
	struct nvo_nl_batch b;
	int ret;

	ret = nvo_nl_dump_begin(cb, nvo_nl_stats_get_dump_sel);
	if (ret)
		return ret;
	ret = nvo_nl_stats_collect(ctx->scope, &ctx->sel, NVO_NL_BATCH,
				   ctx->cursor, &b);
	if (ret)
		return ret;
	ret = nvo_nl_dump_batch(skb, cb, NVMET_OFFLOAD_CMD_STATS_GET, &b,
				nvo_nl_dump_stats_item);
	nvo_nl_batch_free(&b);
	return ret;
}

/*
 * stats-reset records each selected object's raw counters as its base: a
 * reset of one object leaves every other object's counters alone.
 */
struct nvo_nl_reset {
	u32			scope;
	struct nvo_nl_batch	b;	/* raw counters, by key */
};

static void nvo_nl_reset_one(struct nvo_nl_reset *r, u32 key,
			     struct nvo_counters_acct *acct)
{
	struct nvo_nl_stats_info *si = nvo_nl_batch_find(&r->b, key);

	if (si)
		nvo_counters_acct_set_base(acct, &si->c);
}

static void nvo_nl_reset_queue(struct nvo_queue *queue, void *arg)
{
	nvo_nl_reset_one(arg, nvo_queue_id(queue), &queue->acct);
}

static void nvo_nl_reset_dev(struct nvo_offload_dev *dev, void *arg)
{
	nvo_nl_reset_one(arg, dev->id, dev->acct);
}

static void nvo_nl_reset_port(struct nvo_port *port, void *arg)
{
	nvo_nl_reset_one(arg, nvo_port_id(port),
			 &port->acct);
}

static void nvo_nl_reset_ns(struct nvo_ns_acct *ns, void *arg)
{
	nvo_nl_reset_one(arg, ns->id, &ns->acct);
}

/* Resets what @sel picks in @scope, a batch at a time; how many it found. */
static int nvo_nl_reset_scope(u32 scope, const struct nvo_nl_sel *sel,
			      unsigned int *found)
{
	struct nvo_nl_reset r = { .scope = scope };
	u32 from = 0;
	int ret;

	*found = 0;
	do {
		ret = nvo_nl_stats_collect_mode(scope, sel, NVO_NL_BATCH, from,
						true, &r.b);
		if (ret)
			return ret;
		switch (scope) {
		case NVMET_OFFLOAD_STATS_SCOPE_DEVICE:
			nvo_visit_devices(nvo_nl_reset_dev, &r);
			break;
		case NVMET_OFFLOAD_STATS_SCOPE_PORT:
			nvo_visit_ports(nvo_nl_reset_port, &r);
			break;
		case NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE:
			nvo_visit_ns_accts(nvo_nl_reset_ns, &r);
			break;
		case NVMET_OFFLOAD_STATS_SCOPE_QUEUE:
			nvo_visit_queues(nvo_nl_reset_queue, &r);
			break;
		}
		*found += r.b.n;
		if (r.b.n)
			from = nvo_nl_batch_key(&r.b, r.b.n - 1) + 1;
		nvo_nl_batch_free(&r.b);
	} while (*found && !(*found % NVO_NL_BATCH) && from);
	return 0;
}

/* Whether the queue @sel names is a peer's (its counters have no base). */
static bool nvo_nl_is_peer_queue(const struct nvo_nl_sel *sel)
{
	struct nvo_nl_batch b;
	bool peer;

	if (nvo_nl_stats_collect(NVMET_OFFLOAD_STATS_SCOPE_QUEUE, sel, 1, 0,
				 &b))
		return false;
	peer = b.n > 0;
	nvo_nl_batch_free(&b);
	return peer;
}

int nvmet_offload_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	static const u32 scopes[] = {
		NVMET_OFFLOAD_STATS_SCOPE_DEVICE, NVMET_OFFLOAD_STATS_SCOPE_PORT,
		NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE,
		NVMET_OFFLOAD_STATS_SCOPE_QUEUE,
	};
	struct nvo_nl_sel sel = {};
	struct nlattr *key = NULL;
	unsigned int found, i;
	u32 scope;
	int ret;

	if (!info->attrs[NVMET_OFFLOAD_A_STATS_SCOPE]) {
		/* No scope: everything. */
		for (i = 0; i < ARRAY_SIZE(scopes); i++) {
			ret = nvo_nl_reset_scope(scopes[i], &sel, &found);
			if (ret)
				return ret;
		}
		return 0;
	}
	scope = nla_get_u32(info->attrs[NVMET_OFFLOAD_A_STATS_SCOPE]);
	ret = nvo_nl_stats_sel_one(info, scope, &sel, &key);
	if (ret)
		return ret;
	ret = nvo_nl_reset_scope(scope, &sel, &found);
	if (ret || found)
		return ret;
	if (scope == NVMET_OFFLOAD_STATS_SCOPE_QUEUE &&
	    nvo_nl_is_peer_queue(&sel)) {
		NL_SET_ERR_MSG_ATTR(info->extack, key,
				    "an NVMe/RDMA queue's counters are its device's: reset the device's");
		return -EOPNOTSUPP;
	}
	return nvo_nl_stats_notfound(info->extack, key, scope);
}

/*
 * The family
 */

/*
 * Kernel 6.1 has no split ops: one genl_ops per command with one policy
 * covering its do and dump requests; what a mode does not take is
 * refused by the handlers. Validation is strict throughout.
 *
 * Every command and the monitor group need CAP_NET_ADMIN, as handshake's
 * and drop_monitor's do: replies and events name the hosts (NQN, address)
 * and their traffic, and a dump holds the queue and device list locks.
 */
