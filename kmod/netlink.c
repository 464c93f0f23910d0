// SPDX-License-Identifier: GPL-2.0
/*
 * The nvmet_offload generic netlink family: offload devices, the offload
 * policy of ports, the queues and where they run, offload counters, and
 * events on the "monitor" group. Documentation/netlink/specs/
 * nvmet_offload.yaml is the contract; include/uapi/linux/nvmet_offload.h
 * its numbers.
 *
 * Objects live on lists guarded by mutexes of offload.c and queue.c, which
 * are walked through nvo_visit_*(): the visitors copy what a reply needs
 * into a batch of snapshots, and replies are built after the mutex is
 * dropped. A batch holds the objects with the smallest ids at or after a
 * cursor, in id order, so a dump resumes at the id after the last one sent
 * and lists every object that lived through it exactly once, however many
 * came and went meanwhile.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "compat.h"
#include "transport.h"
#include "events.h"
#include "netlink.h"

/* Multicast groups, in the order of nvo_nl_mcgrps[]. */
enum nvo_nl_mcgrp {
	NVO_NL_MCGRP_MONITOR,
};

/* Objects copied out per pass over a list: bounds the memory of a dump. */
#define NVO_NL_BATCH		64

static struct genl_family nvo_nl_family;
/* Events are sent only while the family is registered. */
static bool nvo_nl_registered;

/*
 * Snapshots
 */

/* The smallest @max keys >= @from seen by a visitor, in ascending order. */
struct nvo_nl_batch {
	void		*items;		/* each item starts with its u32 key */
	size_t		size;
	unsigned int	max;
	unsigned int	n;
	u32		from;
};

static int nvo_nl_batch_init(struct nvo_nl_batch *b, size_t size,
			     unsigned int max, u32 from)
{
	b->items = kvmalloc_array(max, size, GFP_KERNEL);
	if (!b->items)
		return -ENOMEM;
	b->size = size;
	b->max = max;
	b->n = 0;
	b->from = from;
	return 0;
}

static void nvo_nl_batch_free(struct nvo_nl_batch *b)
{
	kvfree(b->items);
}

static void *nvo_nl_batch_item(const struct nvo_nl_batch *b, unsigned int i)
{
	return b->items + i * b->size;
}

static u32 nvo_nl_batch_key(const struct nvo_nl_batch *b, unsigned int i)
{
	return *(u32 *)nvo_nl_batch_item(b, i);
}

/*
 * The item to fill for an object with @key, or NULL when the object is not
 * among the @max smallest keys >= @from seen so far. Runs under a list
 * mutex: it only moves memory around.
 */
static void *nvo_nl_batch_slot(struct nvo_nl_batch *b, u32 key)
{
	unsigned int pos = b->n;
	void *item;

	if (key < b->from)
		return NULL;
	while (pos && key < nvo_nl_batch_key(b, pos - 1))
		pos--;
	if (pos == b->max)
		return NULL;
	if (b->n == b->max)
		b->n--;		/* the largest key drops out */
	memmove(nvo_nl_batch_item(b, pos + 1), nvo_nl_batch_item(b, pos),
		(b->n - pos) * b->size);
	b->n++;
	item = nvo_nl_batch_item(b, pos);
	*(u32 *)item = key;
	return item;
}

static int nvo_nl_key_cmp(const void *key, const void *item)
{
	u32 k = *(const u32 *)key, i = *(const u32 *)item;

	return k < i ? -1 : k > i;
}

/* The item with @key, if the batch has one. */
static void *nvo_nl_batch_find(const struct nvo_nl_batch *b, u32 key)
{
	return bsearch(&key, b->items, b->n, b->size, nvo_nl_key_cmp);
}

struct nvo_nl_dev_info {
	u32			id;
	u32			nr_queues;
	u32			nr_engines;	/* 0: the driver did not say */
	char			name[NVO_DEV_NAME_LEN];
	struct nvo_offload_caps	caps;
};

struct nvo_nl_port_info {
	u32	id;
	u32	adrfam;		/* NVMF_ADDR_FAMILY_* */
	bool	on;		/* the policy */
	bool	bound;		/* a device is bound (dev_id, dev_name) */
	u32	dev_id;
	char	dev_name[NVO_DEV_NAME_LEN];
	char	traddr[NVMF_TRADDR_SIZE];
	char	trsvcid[NVMF_TRSVCID_SIZE];
};

struct nvo_nl_queue_info {
	u32	id;
	u32	port_id;
	u32	qid;
	u32	state;		/* NVMET_OFFLOAD_QUEUE_STATE_* */
	u32	cpu;
	u32	depth;
	u32	inflight;
	u32	fallback_reason;
	bool	has_ctrl;
	u32	ctrl_id;
	bool	has_dev;
	u32	dev_id;
	s32	engine;		/* with has_dev; -1: not told */
	char	hostnqn[NVMF_NQN_FIELD_LEN];
	char	subsysnqn[NVMF_NQN_FIELD_LEN];
};

/*
 * One object's counters: @c raw (retired + live queues), @base what a
 * stats-reset recorded; nvo_nl_stats_collect() reports c - base.
 */
struct nvo_nl_stats_info {
	u32			key;	/* dev, port, namespace record or queue id */
	u32			port_id;
	u32			nsid;
	struct nvo_counters	c;
	struct nvo_counters	base;
	char			subsysnqn[NVMF_NQN_FIELD_LEN];
};

static void nvo_nl_dev_snap(struct nvo_offload_dev *dev,
			    struct nvo_nl_dev_info *di)
{
	di->id = dev->id;
	di->nr_queues = atomic_read(&dev->nr_queues);
	di->nr_engines = dev->nr_engines;
	strscpy(di->name, dev->name, sizeof(di->name));
	di->caps = dev->caps;
}

/* Under nvo_offload_mutex (port->odev and port->bound are stable). */
static void nvo_nl_port_snap(struct nvo_port *port,
			     struct nvo_nl_port_info *pi)
{
	const struct nvmf_disc_rsp_page_entry *da = &port->nport->disc_addr;
	struct nvo_offload_dev *dev = port->bound ?: port->odev;

	pi->id = le16_to_cpu(da->portid);
	pi->adrfam = da->adrfam;
	pi->on = port->odev;
	pi->bound = dev;
	pi->dev_id = dev ? dev->id : 0;
	strscpy(pi->dev_name, dev ? dev->name : "", sizeof(pi->dev_name));
	strscpy(pi->traddr, da->traddr, sizeof(pi->traddr));
	strscpy(pi->trsvcid, da->trsvcid, sizeof(pi->trsvcid));
}

static u32 nvo_nl_queue_state(enum nvo_offload_state ostate)
{
	switch (ostate) {
	case NVO_OQ_SOFTWARE:
		return NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE;
	case NVO_OQ_OFFLOADING:
		return NVMET_OFFLOAD_QUEUE_STATE_OFFLOADING;
	case NVO_OQ_OFFLOADED:
		return NVMET_OFFLOAD_QUEUE_STATE_OFFLOADED;
	case NVO_OQ_FAILED:
		return NVMET_OFFLOAD_QUEUE_STATE_FAILED;
	case NVO_OQ_RECLAIMING:
	case NVO_OQ_RETURNED:
		/* Handed back, waiting for io_work: still on its way back. */
		return NVMET_OFFLOAD_QUEUE_STATE_RECLAIMING;
	}
	return NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE;
}

/*
 * Everything but the offload state, which the caller reads: under
 * state_lock for a dump, as the event's caller knows it for an event.
 * The queue is on the queue list, or its io_work runs: its controller, if
 * any, stays.
 */
static void nvo_nl_queue_snap(struct nvo_queue *queue,
			      struct nvo_nl_queue_info *qi)
{
	struct nvmet_ctrl *ctrl = READ_ONCE(queue->nvme_sq.ctrl);

	qi->id = queue->idx;
	qi->port_id = le16_to_cpu(queue->nport->disc_addr.portid);
	qi->qid = queue->nvme_sq.qid;
	qi->cpu = queue->cpu;
	qi->depth = READ_ONCE(queue->nr_cmds);
	qi->inflight = READ_ONCE(queue->nr_active);
	qi->fallback_reason = READ_ONCE(queue->fallback_reason);
	qi->has_ctrl = ctrl;
	if (ctrl) {
		qi->ctrl_id = ctrl->cntlid;
		strscpy(qi->hostnqn, ctrl->hostnqn, sizeof(qi->hostnqn));
		strscpy(qi->subsysnqn, ctrl->subsysnqn, sizeof(qi->subsysnqn));
	} else {
		qi->ctrl_id = 0;
		qi->hostnqn[0] = '\0';
		qi->subsysnqn[0] = '\0';
	}
}

/* The offload state, consistently, from a visitor (may take state_lock). */
static void nvo_nl_queue_snap_offload(struct nvo_queue *queue,
				      struct nvo_nl_queue_info *qi)
{
	enum nvo_offload_state ostate;
	struct nvo_offload_dev *dev;

	/* Under state_lock, oq.dev cannot leave the device (and free it). */
	spin_lock_bh(&queue->state_lock);
	ostate = queue->ostate;
	dev = queue->oq.dev;
	qi->has_dev = dev && ostate != NVO_OQ_SOFTWARE;
	qi->dev_id = qi->has_dev ? dev->id : 0;
	qi->engine = qi->has_dev ? READ_ONCE(queue->oq.engine) : -1;
	spin_unlock_bh(&queue->state_lock);
	qi->state = nvo_nl_queue_state(ostate);
}

/*
 * Collectors: visitors filling a batch
 */

/* Which objects a request selects; a zero "by" mask selects all. */
struct nvo_nl_sel {
	u32		by;
	u32		id;		/* of the object itself */
	u32		port_id;
	u32		ctrl_id;
	/* Unions: a selection is of queues or of namespaces, never both. */
	union {
		u32	qid;
		u32	nsid;
	};
	u32		dev_id;
	union {
		const char *name;	/* device name */
		const char *nqn;	/* subsystem NQN */
	};
};

#define NVO_NL_BY_ID		BIT(0)
#define NVO_NL_BY_PORT		BIT(1)
#define NVO_NL_BY_CTRL		BIT(2)
#define NVO_NL_BY_DEV		BIT(3)
#define NVO_NL_BY_NAME		BIT(4)
#define NVO_NL_BY_QID		BIT(5)
#define NVO_NL_BY_IOQ		BIT(6)	/* I/O queues only */
#define NVO_NL_BY_NSID		BIT(7)
#define NVO_NL_BY_NQN		BIT(8)

struct nvo_nl_collect {
	struct nvo_nl_batch		b;
	const struct nvo_nl_sel		*sel;
};

static void nvo_nl_collect_dev(struct nvo_offload_dev *dev, void *arg)
{
	struct nvo_nl_collect *c = arg;
	const struct nvo_nl_sel *sel = c->sel;
	struct nvo_nl_dev_info *di;

	if ((sel->by & NVO_NL_BY_ID) && dev->id != sel->id)
		return;
	if ((sel->by & NVO_NL_BY_NAME) && strcmp(dev->name, sel->name))
		return;
	di = nvo_nl_batch_slot(&c->b, dev->id);
	if (di)
		nvo_nl_dev_snap(dev, di);
}

static void nvo_nl_collect_port(struct nvo_port *port, void *arg)
{
	struct nvo_nl_collect *c = arg;
	u32 id = le16_to_cpu(port->nport->disc_addr.portid);
	struct nvo_nl_port_info *pi;

	if ((c->sel->by & NVO_NL_BY_ID) && id != c->sel->id)
		return;
	pi = nvo_nl_batch_slot(&c->b, id);
	if (pi)
		nvo_nl_port_snap(port, pi);
}

/* Device id of the queue's device while it is off software, else ~0. */
static u32 nvo_nl_queue_dev_id(struct nvo_queue *queue)
{
	struct nvo_offload_dev *dev;
	u32 id = ~0U;

	spin_lock_bh(&queue->state_lock);
	dev = queue->oq.dev;
	if (dev && queue->ostate != NVO_OQ_SOFTWARE)
		id = dev->id;
	spin_unlock_bh(&queue->state_lock);
	return id;
}

static bool nvo_nl_queue_selected(struct nvo_queue *queue,
				  const struct nvo_nl_sel *sel)
{
	struct nvmet_ctrl *ctrl = READ_ONCE(queue->nvme_sq.ctrl);

	if ((sel->by & NVO_NL_BY_ID) && queue->idx != sel->id)
		return false;
	if ((sel->by & NVO_NL_BY_PORT) &&
	    le16_to_cpu(queue->nport->disc_addr.portid) != sel->port_id)
		return false;
	if ((sel->by & NVO_NL_BY_CTRL) &&
	    (!ctrl || ctrl->cntlid != sel->ctrl_id))
		return false;
	if ((sel->by & NVO_NL_BY_QID) && queue->nvme_sq.qid != sel->qid)
		return false;
	if ((sel->by & NVO_NL_BY_IOQ) && !queue->nvme_sq.qid)
		return false;
	if ((sel->by & NVO_NL_BY_DEV) &&
	    nvo_nl_queue_dev_id(queue) != sel->dev_id)
		return false;
	return true;
}

static void nvo_nl_collect_queue(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_queue_info *qi;

	if (!nvo_nl_queue_selected(queue, c->sel))
		return;
	qi = nvo_nl_batch_slot(&c->b, queue->idx);
	if (!qi)
		return;
	nvo_nl_queue_snap(queue, qi);
	nvo_nl_queue_snap_offload(queue, qi);
}

static void nvo_nl_collect_queue_stats(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;
	struct nvo_counters retired;

	if (!nvo_nl_queue_selected(queue, c->sel))
		return;
	si = nvo_nl_batch_slot(&c->b, queue->idx);
	if (!si)
		return;
	si->port_id = le16_to_cpu(queue->nport->disc_addr.portid);
	nvo_counters_queue_raw(queue, &si->c);
	nvo_counters_acct_read(&queue->acct, &retired, &si->base);
}

/* Keys, retired counts and bases of the devices or ports selected. */
static void nvo_nl_collect_dev_key(struct nvo_offload_dev *dev, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;

	if ((c->sel->by & NVO_NL_BY_ID) && dev->id != c->sel->id)
		return;
	si = nvo_nl_batch_slot(&c->b, dev->id);
	if (si)
		nvo_counters_acct_read(dev->acct, &si->c, &si->base);
}

static void nvo_nl_collect_port_key(struct nvo_port *port, void *arg)
{
	struct nvo_nl_collect *c = arg;
	u32 id = le16_to_cpu(port->nport->disc_addr.portid);
	struct nvo_nl_stats_info *si;

	if ((c->sel->by & NVO_NL_BY_ID) && id != c->sel->id)
		return;
	si = nvo_nl_batch_slot(&c->b, id);
	if (si) {
		si->port_id = id;
		nvo_counters_acct_read(&port->acct, &si->c, &si->base);
	}
}

static void nvo_nl_collect_ns_key(struct nvo_ns_acct *ns, void *arg)
{
	struct nvo_nl_collect *c = arg;
	const struct nvo_nl_sel *sel = c->sel;
	struct nvo_nl_stats_info *si;

	if ((sel->by & NVO_NL_BY_PORT) && ns->portid != sel->port_id)
		return;
	if ((sel->by & NVO_NL_BY_NSID) && ns->nsid != sel->nsid)
		return;
	if ((sel->by & NVO_NL_BY_NQN) && strcmp(ns->subsysnqn, sel->nqn))
		return;
	si = nvo_nl_batch_slot(&c->b, ns->id);
	if (!si)
		return;
	si->port_id = ns->portid;
	si->nsid = ns->nsid;
	strscpy(si->subsysnqn, ns->subsysnqn, sizeof(si->subsysnqn));
	nvo_counters_acct_read(&ns->acct, &si->c, &si->base);
}

/* Adds the current stint of each queue to its device's item. */
static void nvo_nl_sum_by_dev(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;
	u32 id = nvo_nl_queue_dev_id(queue);

	si = id == ~0U ? NULL : nvo_nl_batch_find(&c->b, id);
	if (si)
		nvo_counters_add_stats(&si->c.st, &queue->oq.stats);
}

/* Adds each queue's counters to its port's item (port scope). */
static void nvo_nl_sum_by_port(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;
	struct nvo_counters q;

	si = nvo_nl_batch_find(&c->b,
			       le16_to_cpu(queue->nport->disc_addr.portid));
	if (!si)
		return;
	nvo_counters_queue_raw(queue, &q);
	nvo_counters_add(&si->c, &q);
}

static void nvo_nl_sum_ns_entry(struct nvo_queue_ns *qns, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si = nvo_nl_batch_find(&c->b, qns->ns->id);

	if (si)
		nvo_counters_add_stats(&si->c.st, &qns->st);
}

/* Adds each queue's per-namespace counters to the namespaces' items. */
static void nvo_nl_sum_by_ns(struct nvo_queue *queue, void *arg)
{
	nvo_visit_queue_ns(queue, nvo_nl_sum_ns_entry, arg);
}

/*
 * Message fill
 */

static int nvo_nl_put_caps(struct sk_buff *skb,
			   const struct nvo_offload_caps *caps)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, NVMET_OFFLOAD_A_DEV_CAPS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_QUEUES, caps->max_queues) ||
	    nla_put_u64_64bit(skb, NVMET_OFFLOAD_A_CAPS_IO_OPCODES,
			      caps->io_opcodes, NVMET_OFFLOAD_A_CAPS_PAD) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_IO_SIZE,
			caps->max_io_size) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MIN_QUEUE_DEPTH,
			caps->min_queue_depth) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_QUEUE_DEPTH,
			caps->max_queue_depth) ||
	    (caps->hdgst && nla_put_flag(skb, NVMET_OFFLOAD_A_CAPS_HDGST)) ||
	    (caps->ddgst && nla_put_flag(skb, NVMET_OFFLOAD_A_CAPS_DDGST)) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_INLINE, caps->max_inline) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_BACKENDS, caps->backends)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int nvo_nl_fill_dev(struct sk_buff *skb, const struct nvo_nl_dev_info *di)
{
	/*
	 * Only live devices are on the list: one that fails or goes away is
	 * taken off it first. Engines only when the driver told us.
	 */
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_ID, di->id) ||
	    nla_put_string(skb, NVMET_OFFLOAD_A_DEV_NAME, di->name) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_STATE,
			NVMET_OFFLOAD_DEV_STATE_LIVE) ||
	    nvo_nl_put_caps(skb, &di->caps) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_NR_QUEUES, di->nr_queues) ||
	    (di->nr_engines &&
	     nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_ENGINES, di->nr_engines)))
		return -EMSGSIZE;
	return 0;
}

static int nvo_nl_fill_port(struct sk_buff *skb,
			    const struct nvo_nl_port_info *pi)
{
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_PORT_ID, pi->id) ||
	    nla_put_string(skb, NVMET_OFFLOAD_A_PORT_TRADDR, pi->traddr) ||
	    nla_put_string(skb, NVMET_OFFLOAD_A_PORT_TRSVCID, pi->trsvcid) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_PORT_POLICY,
			pi->on ? NVMET_OFFLOAD_POLICY_ON :
				 NVMET_OFFLOAD_POLICY_OFF))
		return -EMSGSIZE;
	/* The spec's enum has the NVMe values; others (loop) have no name. */
	if (pi->adrfam >= NVMF_ADDR_FAMILY_IP4 &&
	    pi->adrfam <= NVMF_ADDR_FAMILY_FC &&
	    nla_put_u32(skb, NVMET_OFFLOAD_A_PORT_ADRFAM, pi->adrfam))
		return -EMSGSIZE;
	if (pi->bound &&
	    (nla_put_u32(skb, NVMET_OFFLOAD_A_PORT_DEV_ID, pi->dev_id) ||
	     nla_put_string(skb, NVMET_OFFLOAD_A_PORT_DEV_NAME, pi->dev_name)))
		return -EMSGSIZE;
	return 0;
}

static int nvo_nl_fill_queue(struct sk_buff *skb,
			     const struct nvo_nl_queue_info *qi)
{
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_ID, qi->id) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_PORT_ID, qi->port_id) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_QID, qi->qid) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_STATE, qi->state) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_DEPTH, qi->depth) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_INFLIGHT, qi->inflight) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_CPU, qi->cpu))
		return -EMSGSIZE;
	/* Before Connect a queue has no controller yet. */
	if (qi->has_ctrl &&
	    (nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_CTRL_ID, qi->ctrl_id) ||
	     nla_put_string(skb, NVMET_OFFLOAD_A_QUEUE_HOSTNQN, qi->hostnqn) ||
	     nla_put_string(skb, NVMET_OFFLOAD_A_QUEUE_SUBSYSNQN,
			    qi->subsysnqn)))
		return -EMSGSIZE;
	if (qi->has_dev &&
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_DEV_ID, qi->dev_id))
		return -EMSGSIZE;
	if (qi->has_dev && qi->engine >= 0 &&
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_ENGINE, qi->engine))
		return -EMSGSIZE;
	return 0;
}

#define NVO_NL_COUNTER(attr, field) \
	{ NVMET_OFFLOAD_A_COUNTERS_##attr, offsetof(struct nvo_counters, field) }

/* The u64 counters of the counters set, where struct nvo_counters has them. */
static const struct {
	u16	type;
	u16	offset;
} nvo_nl_counter_attrs[] = {
	NVO_NL_COUNTER(READ_CMDS, st.read_cmds),
	NVO_NL_COUNTER(READ_BLOCKS, st.read_blocks),
	NVO_NL_COUNTER(WRITE_CMDS, st.write_cmds),
	NVO_NL_COUNTER(WRITE_BLOCKS, st.write_blocks),
	NVO_NL_COUNTER(INLINE_WRITE_CMDS, st.inline_write_cmds),
	NVO_NL_COUNTER(FLUSH_CMDS, st.flush_cmds),
	NVO_NL_COUNTER(WRITE_ZEROES_CMDS, st.write_zeroes_cmds),
	NVO_NL_COUNTER(ERRORS, st.errors),
	NVO_NL_COUNTER(BACKEND_ERRORS, st.backend_errors),
	NVO_NL_COUNTER(PUNTED_CMDS, st.punted_cmds),
	NVO_NL_COUNTER(UNKNOWN_NS_CMDS, st.unknown_ns_cmds),
	NVO_NL_COUNTER(OFFLOAD_EVENTS, offload_events),
	NVO_NL_COUNTER(RECLAIM_EVENTS, reclaim_events),
	NVO_NL_COUNTER(FALLBACK_EVENTS, fallback_events),
};

/* Opcode of punt slot @slot; the last slot counts every opcode from it on. */
static u32 nvo_nl_punt_slot_opcode(unsigned int slot)
{
	return slot == NVO_PUNT_OPC_SLOTS - 1 ? NVMET_OFFLOAD_OPCODE_OTHER : slot;
}

static int nvo_nl_put_punts(struct sk_buff *skb, const struct nvo_counters *c)
{
	struct nlattr *nest;
	unsigned int i;

	for (i = 0; i < NVO_PUNT_OPC_SLOTS; i++) {
		if (!c->st.punted_by_opcode[i])
			continue;
		nest = nla_nest_start(skb, NVMET_OFFLOAD_A_COUNTERS_PUNTED_BY_OPCODE);
		if (!nest ||
		    nla_put_u32(skb, NVMET_OFFLOAD_A_OPCODE_COUNT_OPCODE,
				nvo_nl_punt_slot_opcode(i)) ||
		    nla_put_u64_64bit(skb, NVMET_OFFLOAD_A_OPCODE_COUNT_COUNT,
				      c->st.punted_by_opcode[i],
				      NVMET_OFFLOAD_A_OPCODE_COUNT_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/*
 * Every counter, zeros included: a reader diffing two replies needs the
 * same attributes in both. punted-by-opcode lists the non-zero ones.
 */
static int nvo_nl_put_counters(struct sk_buff *skb,
			       const struct nvo_counters *c)
{
	struct nlattr *nest, *hist;
	unsigned int i;

	nest = nla_nest_start(skb, NVMET_OFFLOAD_A_STATS_COUNTERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(nvo_nl_counter_attrs); i++) {
		const u64 *v = (const void *)c + nvo_nl_counter_attrs[i].offset;

		if (nla_put_u64_64bit(skb, nvo_nl_counter_attrs[i].type, *v,
				      NVMET_OFFLOAD_A_COUNTERS_PAD))
			goto cancel;
	}
	hist = nla_nest_start(skb, NVMET_OFFLOAD_A_COUNTERS_LAT_HIST);
	if (!hist)
		goto cancel;
	for (i = 0; i < NVO_LAT_BUCKETS; i++)
		if (nla_put_u64_64bit(skb, NVMET_OFFLOAD_A_LAT_HIST_BUCKET,
				      c->st.lat_hist[i],
				      NVMET_OFFLOAD_A_LAT_HIST_PAD))
			goto cancel;
	nla_nest_end(skb, hist);
	if (nvo_nl_put_punts(skb, c))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int nvo_nl_fill_stats(struct sk_buff *skb, u32 scope,
			     const struct nvo_nl_stats_info *si)
{
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_STATS_SCOPE, scope))
		return -EMSGSIZE;
	switch (scope) {
	case NVMET_OFFLOAD_STATS_SCOPE_DEVICE:
		if (nla_put_u32(skb, NVMET_OFFLOAD_A_STATS_DEV_ID, si->key))
			return -EMSGSIZE;
		break;
	case NVMET_OFFLOAD_STATS_SCOPE_PORT:
		if (nla_put_u32(skb, NVMET_OFFLOAD_A_STATS_PORT_ID, si->key))
			return -EMSGSIZE;
		break;
	case NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE:
		if (nla_put_u32(skb, NVMET_OFFLOAD_A_STATS_PORT_ID, si->port_id) ||
		    nla_put_u32(skb, NVMET_OFFLOAD_A_STATS_NSID, si->nsid) ||
		    nla_put_string(skb, NVMET_OFFLOAD_A_STATS_SUBSYSNQN,
				   si->subsysnqn))
			return -EMSGSIZE;
		break;
	case NVMET_OFFLOAD_STATS_SCOPE_QUEUE:
		if (nla_put_u32(skb, NVMET_OFFLOAD_A_STATS_QUEUE_ID, si->key) ||
		    nla_put_u32(skb, NVMET_OFFLOAD_A_STATS_PORT_ID, si->port_id))
			return -EMSGSIZE;
		break;
	}
	return nvo_nl_put_counters(skb, &si->c);
}

/*
 * Requests: common parts
 */

/* One reply message for a do request, from @fill(@item). */
typedef int (*nvo_nl_fill_t)(struct sk_buff *skb, const void *item);

static int nvo_nl_reply(struct genl_info *info, u8 cmd,
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
static bool nvo_nl_missing(struct genl_info *info, u32 type)
{
	if (!GENL_REQ_ATTR_CHECK(info, type))
		return false;
	NL_SET_ERR_MSG(info->extack, "a required attribute is missing");
	return true;
}

/*
 * Dump state in cb->ctx: the selection parsed from the request (at start)
 * and the cursor, the id the next message starts at.
 */
struct nvo_nl_dump_ctx {
	struct nvo_nl_sel	sel;
	u32			cursor;
	u32			scope;		/* stats */
	bool			started;	/* the request was read */
};

static struct nvo_nl_dump_ctx *nvo_nl_dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct nvo_nl_dump_ctx) > sizeof(cb->ctx));
	return (struct nvo_nl_dump_ctx *)cb->ctx;
}

/*
 * The first call of a dump reads its request through @sel. Not in a start
 * callback: in 6.1 a start callback has no extack to say why it refused.
 */
static int nvo_nl_dump_begin(struct netlink_callback *cb,
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
static int nvo_nl_dump_batch(struct sk_buff *skb, struct netlink_callback *cb,
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
static struct nlattr *nvo_nl_unexpected(struct nlattr **tb,
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
 * dev-get
 */

static const struct nla_policy nvo_nl_dev_get_policy[] = {
	[NVMET_OFFLOAD_A_DEV_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[NVMET_OFFLOAD_A_DEV_NAME]	= { .type = NLA_NUL_STRING,
					    .len = NVO_DEV_NAME_LEN - 1 },
};

static int nvo_nl_fill_dev_item(struct sk_buff *skb, const void *item)
{
	return nvo_nl_fill_dev(skb, item);
}

static int nvo_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
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

static int nvo_nl_dev_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct nvo_nl_dump_ctx *ctx = nvo_nl_dump_ctx(cb);
	struct nvo_nl_collect c = { .sel = &ctx->sel };
	int ret;

	ret = nvo_nl_dump_begin(cb, nvo_nl_dev_get_dump_sel);
	if (ret)
		return ret;
	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_dev_info),
				NVO_NL_BATCH, ctx->cursor);
	if (ret)
		return ret;
	nvo_visit_devices(nvo_nl_collect_dev, &c);
	ret = nvo_nl_dump_batch(skb, cb, NVMET_OFFLOAD_CMD_DEV_GET, &c.b,
				nvo_nl_dump_dev_item);
	nvo_nl_batch_free(&c.b);
	return ret;
}

/*
 * port-get, port-set
 */

static const struct nla_policy nvo_nl_port_get_policy[] = {
	[NVMET_OFFLOAD_A_PORT_ID]	= { .type = NLA_U32 },
};

static const struct nla_policy nvo_nl_port_set_policy[] = {
	[NVMET_OFFLOAD_A_PORT_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_PORT_POLICY]	=
		NLA_POLICY_MAX(NLA_U32, NVMET_OFFLOAD_POLICY_ON),
	[NVMET_OFFLOAD_A_PORT_DEV_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_PORT_DEV_NAME]	= { .type = NLA_NUL_STRING,
					    .len = NVO_DEV_NAME_LEN - 1 },
};

static int nvo_nl_fill_port_item(struct sk_buff *skb, const void *item)
{
	return nvo_nl_fill_port(skb, item);
}

/* The port's state now, or -ENOENT (with extack) when it is not ours. */
static int nvo_nl_port_lookup(struct genl_info *info, u32 id,
			      struct nvo_nl_batch *b)
{
	struct nvo_nl_sel sel = { .by = NVO_NL_BY_ID, .id = id };
	struct nvo_nl_collect c = { .sel = &sel };
	int ret;

	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_port_info), 1, 0);
	if (ret)
		return ret;
	nvo_visit_ports(nvo_nl_collect_port, &c);
	if (!c.b.n) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NVMET_OFFLOAD_A_PORT_ID],
				    "no such port of this transport");
		nvo_nl_batch_free(&c.b);
		return -ENOENT;
	}
	*b = c.b;
	return 0;
}

static int nvo_nl_port_get_doit(struct sk_buff *skb, struct genl_info *info)
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

static int nvo_nl_port_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct nvo_nl_dump_ctx *ctx = nvo_nl_dump_ctx(cb);
	struct nvo_nl_collect c = { .sel = &ctx->sel };
	int ret;

	ret = nvo_nl_dump_begin(cb, nvo_nl_port_get_dump_sel);
	if (ret)
		return ret;
	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_port_info),
				NVO_NL_BATCH, ctx->cursor);
	if (ret)
		return ret;
	nvo_visit_ports(nvo_nl_collect_port, &c);
	ret = nvo_nl_dump_batch(skb, cb, NVMET_OFFLOAD_CMD_PORT_GET, &c.b,
				nvo_nl_dump_port_item);
	nvo_nl_batch_free(&c.b);
	return ret;
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
				    "no such port of this transport");
		break;
	case -EBUSY:
		NL_SET_ERR_MSG_ATTR(extack, dev_attr,
				    "the policy is on: turn it off to change the device");
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
static int nvo_nl_port_set_doit(struct sk_buff *skb, struct genl_info *info)
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

static const struct nla_policy nvo_nl_queue_get_policy[] = {
	[NVMET_OFFLOAD_A_QUEUE_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_QUEUE_PORT_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_QUEUE_CTRL_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_QUEUE_DEV_ID]	= { .type = NLA_U32 },
};

static const struct nla_policy nvo_nl_queue_set_policy[] = {
	[NVMET_OFFLOAD_A_QUEUE_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_QUEUE_CTRL_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_QUEUE_QID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_QUEUE_OFFLOAD]	=
		NLA_POLICY_MAX(NLA_U32, NVMET_OFFLOAD_POLICY_ON),
};

static int nvo_nl_fill_queue_item(struct sk_buff *skb, const void *item)
{
	return nvo_nl_fill_queue(skb, item);
}

static const unsigned int nvo_nl_queue_get_not_do[] = {
	NVMET_OFFLOAD_A_QUEUE_PORT_ID, NVMET_OFFLOAD_A_QUEUE_CTRL_ID,
	NVMET_OFFLOAD_A_QUEUE_DEV_ID,
};

static int nvo_nl_queue_get_doit(struct sk_buff *skb, struct genl_info *info)
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
	nvo_visit_queues(nvo_nl_collect_queue, &c);
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

static int nvo_nl_queue_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct nvo_nl_dump_ctx *ctx = nvo_nl_dump_ctx(cb);
	struct nvo_nl_collect c = { .sel = &ctx->sel };
	int ret;

	ret = nvo_nl_dump_begin(cb, nvo_nl_queue_get_dump_sel);
	if (ret)
		return ret;
	ret = nvo_nl_batch_init(&c.b, sizeof(struct nvo_nl_queue_info),
				NVO_NL_BATCH, ctx->cursor);
	if (ret)
		return ret;
	nvo_visit_queues(nvo_nl_collect_queue, &c);
	ret = nvo_nl_dump_batch(skb, cb, NVMET_OFFLOAD_CMD_QUEUE_GET, &c.b,
				nvo_nl_dump_queue_item);
	nvo_nl_batch_free(&c.b);
	return ret;
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
	struct nvmet_ctrl *ctrl = READ_ONCE(queue->nvme_sq.ctrl);

	if (ctrl && ctrl->cntlid == nq->sel->ctrl_id)
		nq->ctrl_seen = true;
	if (queue->idx <= nq->after || !nvo_nl_queue_selected(queue, nq->sel))
		return;
	if (nq->found < 0 || queue->idx < nq->found) {
		nq->found = queue->idx;
		nq->qid = queue->nvme_sq.qid;
	}
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
static int nvo_nl_queue_set_doit(struct sk_buff *skb, struct genl_info *info)
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
	if (one) {
		NL_SET_ERR_MSG_ATTR(extack, which, "no such queue");
		return -ENOENT;
	}
	if (!nq.ctrl_seen) {
		NL_SET_ERR_MSG_ATTR(extack, which, "no such controller");
		return -ENOENT;
	}
	return 0;
}

/*
 * stats-get, stats-reset
 */

static const struct nla_policy nvo_nl_stats_policy[] = {
	[NVMET_OFFLOAD_A_STATS_SCOPE]	=
		NLA_POLICY_MAX(NLA_U32, NVMET_OFFLOAD_STATS_SCOPE_QUEUE),
	[NVMET_OFFLOAD_A_STATS_DEV_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_STATS_PORT_ID]	= { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_STATS_NSID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[NVMET_OFFLOAD_A_STATS_QUEUE_ID] = { .type = NLA_U32 },
	[NVMET_OFFLOAD_A_STATS_SUBSYSNQN] = { .type = NLA_NUL_STRING,
					      .len = NVMF_NQN_SIZE },
};

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
		NL_SET_ERR_MSG_ATTR(extack, key, "no such port of this transport");
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
		if (c.b.n)
			nvo_visit_queues(nvo_nl_sum_by_dev, &c);
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

static int nvo_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
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

static int nvo_nl_stats_get_dumpit(struct sk_buff *skb,
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
	nvo_nl_reset_one(arg, queue->idx, &queue->acct);
}

static void nvo_nl_reset_dev(struct nvo_offload_dev *dev, void *arg)
{
	nvo_nl_reset_one(arg, dev->id, dev->acct);
}

static void nvo_nl_reset_port(struct nvo_port *port, void *arg)
{
	nvo_nl_reset_one(arg, le16_to_cpu(port->nport->disc_addr.portid),
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

static int nvo_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info)
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
	if (ret)
		return ret;
	return found ? 0 : nvo_nl_stats_notfound(info->extack, key, scope);
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
static const struct genl_ops nvo_nl_ops[] = {
	{
		.cmd		= NVMET_OFFLOAD_CMD_DEV_GET,
		.flags		= GENL_ADMIN_PERM,
		.doit		= nvo_nl_dev_get_doit,
		.dumpit		= nvo_nl_dev_get_dumpit,
		.policy		= nvo_nl_dev_get_policy,
		.maxattr	= ARRAY_SIZE(nvo_nl_dev_get_policy) - 1,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_PORT_GET,
		.flags		= GENL_ADMIN_PERM,
		.doit		= nvo_nl_port_get_doit,
		.dumpit		= nvo_nl_port_get_dumpit,
		.policy		= nvo_nl_port_get_policy,
		.maxattr	= ARRAY_SIZE(nvo_nl_port_get_policy) - 1,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_PORT_SET,
		.flags		= GENL_ADMIN_PERM,
		.doit		= nvo_nl_port_set_doit,
		.policy		= nvo_nl_port_set_policy,
		.maxattr	= ARRAY_SIZE(nvo_nl_port_set_policy) - 1,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_QUEUE_GET,
		.flags		= GENL_ADMIN_PERM,
		.doit		= nvo_nl_queue_get_doit,
		.dumpit		= nvo_nl_queue_get_dumpit,
		.policy		= nvo_nl_queue_get_policy,
		.maxattr	= ARRAY_SIZE(nvo_nl_queue_get_policy) - 1,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_QUEUE_SET,
		.flags		= GENL_ADMIN_PERM,
		.doit		= nvo_nl_queue_set_doit,
		.policy		= nvo_nl_queue_set_policy,
		.maxattr	= ARRAY_SIZE(nvo_nl_queue_set_policy) - 1,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_STATS_GET,
		.flags		= GENL_ADMIN_PERM,
		.doit		= nvo_nl_stats_get_doit,
		.dumpit		= nvo_nl_stats_get_dumpit,
		.policy		= nvo_nl_stats_policy,
		.maxattr	= ARRAY_SIZE(nvo_nl_stats_policy) - 1,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_STATS_RESET,
		.flags		= GENL_ADMIN_PERM,
		.doit		= nvo_nl_stats_reset_doit,
		.policy		= nvo_nl_stats_policy,
		.maxattr	= ARRAY_SIZE(nvo_nl_stats_policy) - 1,
	},
};

static const struct genl_multicast_group nvo_nl_mcgrps[] = {
	[NVO_NL_MCGRP_MONITOR] = {
		.name	= NVMET_OFFLOAD_MCGRP_MONITOR,
		.flags	= GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family nvo_nl_family __ro_after_init = {
	.name		= NVMET_OFFLOAD_FAMILY_NAME,
	.version	= NVMET_OFFLOAD_FAMILY_VERSION,
	/* Our locks, not genl_mutex, serialise what needs it. */
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= nvo_nl_ops,
	.n_ops		= ARRAY_SIZE(nvo_nl_ops),
	/* Every command checks the reserved header fields and flags. */
	.resv_start_op	= 0,
	.mcgrps		= nvo_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(nvo_nl_mcgrps),
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

static void nvo_nl_notify_dev(struct nvo_offload_dev *dev, bool added)
{
	struct nvo_nl_dev_info di;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = nvo_nl_event_new(added ? NVMET_OFFLOAD_CMD_DEV_ADD :
				       NVMET_OFFLOAD_CMD_DEV_DEL, &hdr);
	if (!msg)
		return;
	if (added) {
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
			qi->fallback_reason))
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

	ret = genl_register_family(&nvo_nl_family);
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
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
}
