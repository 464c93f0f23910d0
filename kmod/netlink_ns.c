// SPDX-License-Identifier: GPL-2.0
/*
 * ns-table-get: the namespace tables the shim pushed to offload devices
 * (ns_table.c), as a dump. Each message is built from a bounded copy of
 * one table (nvo_ns_table_snap(), taken and released under the tables'
 * locks), so no lock is held while a message is built. A dump resumes at
 * a table id and, inside a table too long for one message, at an entry:
 * such a table comes in several messages, each with the table's
 * attributes and the next entries.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "netlink.h"

/* Dump state in cb->ctx. */
struct nvo_nl_ns_dump {
	u32	dev_id;		/* 0: the tables of every device */
	u32	table;		/* the table id the next message starts at */
	u64	key;		/* and its first entry key in that table */
	bool	started;	/* the request was read */
};

static struct nvo_nl_ns_dump *nvo_nl_ns_dump(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct nvo_nl_ns_dump) > sizeof(cb->ctx));
	return (struct nvo_nl_ns_dump *)cb->ctx;
}

static const u32 nvo_nl_ns_table_states[] = {
	[NVO_NS_SNAP_ATTACHED]	= NVMET_OFFLOAD_NS_TABLE_STATE_ATTACHED,
	[NVO_NS_SNAP_DECLINED]	= NVMET_OFFLOAD_NS_TABLE_STATE_DECLINED,
	[NVO_NS_SNAP_DEAD]	= NVMET_OFFLOAD_NS_TABLE_STATE_DEAD,
};

static const u32 nvo_nl_ns_entry_states[] = {
	[NVO_NS_SNAP_IN_DEVICE]	= NVMET_OFFLOAD_NS_ENTRY_STATE_IN_DEVICE,
	[NVO_NS_SNAP_REFUSED]	= NVMET_OFFLOAD_NS_ENTRY_STATE_REFUSED,
	[NVO_NS_SNAP_REMOVING]	= NVMET_OFFLOAD_NS_ENTRY_STATE_REMOVING,
	[NVO_NS_SNAP_FAILED]	= NVMET_OFFLOAD_NS_ENTRY_STATE_FAILED,
};

struct nvo_nl_dev_seen {
	u32	id;
	bool	found;
};

static void nvo_nl_ns_dev_seen(struct nvo_offload_dev *dev, void *arg)
{
	struct nvo_nl_dev_seen *seen = arg;

	if (dev->id == seen->id)
		seen->found = true;
}

/*
 * The filter: a registered device, or one that failed and went while a
 * table of it is still held (its last queues not yet released).
 */
static int nvo_nl_ns_dump_sel(struct netlink_callback *cb,
			      struct nvo_ns_snap *snap)
{
	struct nlattr *attr = nvo_genl_dump_attrs(cb)[NVMET_OFFLOAD_A_NS_TABLE_DEV_ID];
	struct nvo_nl_ns_dump *d = nvo_nl_ns_dump(cb);
	struct nvo_nl_dev_seen seen = {};

	if (!attr)
		return 0;
	seen.id = nla_get_u32(attr);
	nvo_visit_devices(nvo_nl_ns_dev_seen, &seen);
	if (!seen.found && nvo_ns_table_snap(seen.id, 0, 0, snap)) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attr, "no such offload device");
		return -ENODEV;
	}
	d->dev_id = seen.id;
	return 0;
}

static int nvo_nl_ns_put_entry(struct sk_buff *skb,
			       const struct nvo_ns_snap_entry *e)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, NVMET_OFFLOAD_A_NS_TABLE_ENTRY);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_NS_ENTRY_NSID, e->nsid) ||
	    nla_put_u64_64bit(skb, NVMET_OFFLOAD_A_NS_ENTRY_NR_BLOCKS,
			      e->nr_blocks, NVMET_OFFLOAD_A_NS_ENTRY_PAD) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_NS_ENTRY_LBA_SHIFT, e->lba_shift) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_NS_ENTRY_FLAGS, e->flags) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_NS_ENTRY_STATE,
			nvo_nl_ns_entry_states[e->state])) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * One message with the table of @snap and as many of its entries as fit;
 * the cursor moves past what went out. -EMSGSIZE when not even the table
 * with one entry fits: the next skb starts with it.
 */
static int nvo_nl_ns_put(struct sk_buff *skb, struct netlink_callback *cb,
			 const struct nvo_ns_snap *snap)
{
	struct nvo_nl_ns_dump *d = nvo_nl_ns_dump(cb);
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &nvo_nl_family, NLM_F_MULTI,
			  NVMET_OFFLOAD_CMD_NS_TABLE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_NS_TABLE_DEV_ID, snap->dev_id) ||
	    nla_put_string(skb, NVMET_OFFLOAD_A_NS_TABLE_SUBSYSNQN,
			   snap->subsysnqn) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_NS_TABLE_SUBSYS_ID,
			snap->subsys_id) ||
	    nla_put_u64_64bit(skb, NVMET_OFFLOAD_A_NS_TABLE_GEN, snap->gen,
			      NVMET_OFFLOAD_A_NS_TABLE_PAD) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_NS_TABLE_STATE,
			nvo_nl_ns_table_states[snap->state]))
		goto full;
	for (i = 0; i < snap->nr; i++)
		if (nvo_nl_ns_put_entry(skb, &snap->e[i]))
			break;
	if (snap->nr && !i)
		goto full;
	genlmsg_end(skb, hdr);
	if (i < snap->nr || snap->more) {
		d->table = snap->subsys_id;
		d->key = snap->e[i - 1].key + 1;
	} else {
		d->table = snap->subsys_id + 1;
		d->key = 0;
	}
	return 0;

full:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

int nvmet_offload_nl_ns_table_get_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb)
{
	struct nvo_nl_ns_dump *d = nvo_nl_ns_dump(cb);
	struct nvo_ns_snap *snap;
	int ret = 0;

	/* Too big for the stack: 32 entries and an NQN. */
	snap = kmalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	if (!d->started) {
		ret = nvo_nl_ns_dump_sel(cb, snap);
		if (ret)
			goto out;
		d->started = true;
	}
	/* A table at the cursor, or the next one: until the skb is full. */
	while (!nvo_ns_table_snap(d->dev_id, d->table, d->key, snap)) {
		if (snap->subsys_id == d->table && d->key && !snap->nr) {
			/* Its last entries went meanwhile: nothing to add. */
			d->table++;
			d->key = 0;
			continue;
		}
		ret = nvo_nl_ns_put(skb, cb, snap);
		if (ret)
			break;
	}
	/* Not even one table fits an empty message: it never will. */
	ret = skb->len || !ret ? skb->len : ret;
out:
	kfree(snap);
	return ret;
}
