// SPDX-License-Identifier: GPL-2.0
/*
 * The family's snapshots: batches of objects copied out under their
 * lists' mutexes (netlink.h), and the attributes built from them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/nvmet_offload_counters.h>

#include "netlink.h"
#include "nport.h"
#include "observe.h"

/*
 * Snapshots
 */

int nvo_nl_batch_init(struct nvo_nl_batch *b, size_t size,
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

void nvo_nl_batch_free(struct nvo_nl_batch *b)
{
	kvfree(b->items);
}

void *nvo_nl_batch_item(const struct nvo_nl_batch *b, unsigned int i)
{
	return b->items + i * b->size;
}

u32 nvo_nl_batch_key(const struct nvo_nl_batch *b, unsigned int i)
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
void *nvo_nl_batch_find(const struct nvo_nl_batch *b, u32 key)
{
	return bsearch(&key, b->items, b->n, b->size, nvo_nl_key_cmp);
}

void nvo_nl_dev_snap(struct nvo_offload_dev *dev,
		     struct nvo_nl_dev_info *di)
{
	di->id = dev->id;
	di->nr_queues = atomic_read(&dev->nr_queues);
	di->nr_engines = dev->nr_engines;
	strscpy(di->name, dev->name, sizeof(di->name));
	di->api_version = dev->api_version;
	/* An unregistering device is off the list: never seen removing. */
	di->state = READ_ONCE(dev->failed) ? NVMET_OFFLOAD_DEV_STATE_FAILED :
					     NVMET_OFFLOAD_DEV_STATE_LIVE;
	di->caps = dev->caps;
}

/* What any transport's port is: its id, transport and address. */
static void nvo_nl_nport_snap(const struct nvmet_port *nport,
			      struct nvo_nl_port_info *pi)
{
	const struct nvmf_disc_rsp_page_entry *da = &nport->disc_addr;

	pi->id = nvo_nport_id(nport);
	pi->adrfam = da->adrfam;
	pi->transport = da->trtype;
	strscpy(pi->traddr, da->traddr, sizeof(pi->traddr));
	strscpy(pi->trsvcid, da->trsvcid, sizeof(pi->trsvcid));
}

/* Under nvo_offload_mutex (port->odev and port->bound are stable). */
void nvo_nl_port_snap(struct nvo_port *port,
		      struct nvo_nl_port_info *pi)
{
	struct nvo_offload_dev *dev = port->bound ?: port->odev;

	nvo_nl_nport_snap(port->nport, pi);
	pi->on = port->odev;
	pi->bound = dev;
	pi->dev_id = dev ? dev->id : 0;
	strscpy(pi->dev_name, dev ? dev->name : "", sizeof(pi->dev_name));
}

u32 nvo_nl_queue_state(enum nvo_offload_state ostate)
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

/* The queue's controller, the same for every transport. */
static void nvo_nl_queue_snap_ctrl(const struct nvmet_ctrl *ctrl,
				   struct nvo_nl_queue_info *qi)
{
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

/*
 * Everything but the offload state, which the caller reads: under
 * state_lock for a dump, as the event's caller knows it for an event.
 * The queue is on the queue list, or its io_work runs: its controller, if
 * any, stays.
 */
void nvo_nl_queue_snap(struct nvo_queue *queue,
		       struct nvo_nl_queue_info *qi)
{
	qi->id = nvo_queue_id(queue);
	qi->port_id = nvo_queue_port_id(queue);
	qi->qid = nvo_queue_qid(queue);
	qi->transport = NVMF_TRTYPE_TCP;
	qi->has_cpu = true;
	qi->cpu = nvo_queue_cpu(queue);
	qi->depth = nvo_queue_depth(queue);
	qi->inflight = nvo_queue_inflight(queue);
	qi->fallback_reason = nvo_queue_fallback_reason(queue);
	qi->has_move = nvo_queue_move_us(queue, &qi->move_us);
	nvo_nl_queue_snap_ctrl(nvo_queue_ctrl(queue), qi);
}

/*
 * A peer's queue: in software, or on the device that took it at connect;
 * never moved, no io_work of ours.
 */
static void nvo_nl_peer_queue_snap(const struct nvo_peer_queue *pq,
				   struct nvo_nl_queue_info *qi)
{
	bool on_dev = pq->dev_id != ~0U;

	qi->id = pq->id;
	qi->port_id = nvo_nport_id(pq->nport);
	qi->qid = pq->qid;
	qi->state = on_dev ? NVMET_OFFLOAD_QUEUE_STATE_OFFLOADED :
			     NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE;
	qi->transport = pq->nport->disc_addr.trtype;
	qi->has_cpu = false;
	qi->cpu = 0;
	qi->depth = pq->depth;
	qi->inflight = pq->inflight;
	qi->fallback_reason = NVO_FALLBACK_NONE;
	qi->has_move = false;
	qi->move_us = 0;
	qi->has_dev = on_dev;
	qi->dev_id = on_dev ? pq->dev_id : 0;
	qi->engine = on_dev ? pq->engine : -1;
	nvo_nl_queue_snap_ctrl(pq->ctrl, qi);
}

/* The offload state, consistently, from a visitor (may take state_lock). */
static void nvo_nl_queue_snap_offload(struct nvo_queue *queue,
				      struct nvo_nl_queue_info *qi)
{
	enum nvo_offload_state ostate;

	ostate = nvo_queue_where(queue, &qi->dev_id, &qi->engine);
	qi->has_dev = qi->dev_id != ~0U;
	if (!qi->has_dev)
		qi->dev_id = 0;
	qi->state = nvo_nl_queue_state(ostate);
}

/*
 * Collectors: visitors filling a batch
 */

void nvo_nl_collect_dev(struct nvo_offload_dev *dev, void *arg)
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

/* The item for port @id, if the selection and the batch take it. */
static struct nvo_nl_port_info *nvo_nl_port_slot(struct nvo_nl_collect *c,
						 u32 id)
{
	if ((c->sel->by & NVO_NL_BY_ID) && id != c->sel->id)
		return NULL;
	return nvo_nl_batch_slot(&c->b, id);
}

void nvo_nl_collect_port(struct nvo_port *port, void *arg)
{
	struct nvo_nl_port_info *pi = nvo_nl_port_slot(arg, nvo_port_id(port));

	if (pi)
		nvo_nl_port_snap(port, pi);
}

/* A peer's port: its address; its policy and device come after the visit. */
void nvo_nl_collect_peer_port(const struct nvmet_port *nport, void *arg)
{
	struct nvo_nl_port_info *pi = nvo_nl_port_slot(arg, nvo_nport_id(nport));

	if (!pi)
		return;
	nvo_nl_nport_snap(nport, pi);
	pi->on = false;
	pi->bound = false;
	pi->dev_id = 0;
	pi->dev_name[0] = '\0';
}

/* The peer ports of a batch of port infos, with their bindings. */
void nvo_nl_peer_ports_bound(struct nvo_nl_batch *b)
{
	struct nvo_peer_bind_info bi;
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		struct nvo_nl_port_info *pi = nvo_nl_batch_item(b, i);

		if (pi->transport == NVMF_TRTYPE_TCP)
			continue;
		nvo_peer_bind_get(pi->id, &bi);
		pi->on = bi.on;
		pi->bound = bi.bound;
		pi->dev_id = bi.dev_id;
		strscpy(pi->dev_name, bi.dev_name, sizeof(pi->dev_name));
	}
}

/* Device id of the queue's device while it is off software, else ~0. */
static u32 nvo_nl_queue_dev_id(struct nvo_queue *queue)
{
	u32 id;
	s32 engine;

	nvo_queue_where(queue, &id, &engine);
	return id;
}

/* The selectors every transport's queue has: all but the device. */
static bool nvo_nl_queue_ids_selected(const struct nvo_nl_sel *sel, u32 id,
				      u32 port_id, const struct nvmet_ctrl *ctrl,
				      u16 qid)
{
	if ((sel->by & NVO_NL_BY_ID) && id != sel->id)
		return false;
	if ((sel->by & NVO_NL_BY_PORT) && port_id != sel->port_id)
		return false;
	if ((sel->by & NVO_NL_BY_CTRL) &&
	    (!ctrl || ctrl->cntlid != sel->ctrl_id))
		return false;
	if ((sel->by & NVO_NL_BY_QID) && qid != sel->qid)
		return false;
	if ((sel->by & NVO_NL_BY_IOQ) && !qid)
		return false;
	return true;
}

bool nvo_nl_queue_selected(struct nvo_queue *queue,
			   const struct nvo_nl_sel *sel)
{
	if (!nvo_nl_queue_ids_selected(sel, nvo_queue_id(queue),
				       nvo_queue_port_id(queue),
				       nvo_queue_ctrl(queue),
				       nvo_queue_qid(queue)))
		return false;
	/* Last: it takes the queue's state_lock. */
	if ((sel->by & NVO_NL_BY_DEV) &&
	    nvo_nl_queue_dev_id(queue) != sel->dev_id)
		return false;
	return true;
}

/* A peer's queue on a device (taken at connect) or on none (~0U). */
bool nvo_nl_peer_queue_selected(const struct nvo_peer_queue *pq,
				const struct nvo_nl_sel *sel)
{
	return (!(sel->by & NVO_NL_BY_DEV) || pq->dev_id == sel->dev_id) &&
	       nvo_nl_queue_ids_selected(sel, pq->id,
					 nvo_nport_id(pq->nport),
					 pq->ctrl, pq->qid);
}

void nvo_nl_collect_queue(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_queue_info *qi;

	if (!nvo_nl_queue_selected(queue, c->sel))
		return;
	qi = nvo_nl_batch_slot(&c->b, nvo_queue_id(queue));
	if (!qi)
		return;
	nvo_nl_queue_snap(queue, qi);
	nvo_nl_queue_snap_offload(queue, qi);
}

void nvo_nl_collect_peer_queue(const struct nvo_peer_queue *pq, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_queue_info *qi;

	if (!nvo_nl_peer_queue_selected(pq, c->sel))
		return;
	qi = nvo_nl_batch_slot(&c->b, pq->id);
	if (qi)
		nvo_nl_peer_queue_snap(pq, qi);
}

void nvo_nl_collect_queue_stats(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;
	struct nvo_counters retired;

	if (!nvo_nl_queue_selected(queue, c->sel))
		return;
	si = nvo_nl_batch_slot(&c->b, nvo_queue_id(queue));
	if (!si)
		return;
	si->port_id = nvo_queue_port_id(queue);
	nvo_counters_queue_raw(queue, &si->c);
	nvo_counters_acct_read(&queue->acct, &retired, &si->base);
}

/*
 * A peer's queue (NVMe/RDMA): what its device counted while it has the
 * queue, none in software. No base: its counters cannot be reset (its
 * device's can).
 */
void nvo_nl_collect_peer_queue_stats(const struct nvo_peer_queue *pq,
				     void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;

	if (!nvo_nl_peer_queue_selected(pq, c->sel))
		return;
	si = nvo_nl_batch_slot(&c->b, pq->id);
	if (!si)
		return;
	si->port_id = nvo_nport_id(pq->nport);
	memset(&si->c, 0, sizeof(si->c));
	memset(&si->base, 0, sizeof(si->base));
	if (pq->stats)
		nvo_counters_add_stats(&si->c.st, pq->stats);
}

/* Keys, retired counts and bases of the devices or ports selected. */
void nvo_nl_collect_dev_key(struct nvo_offload_dev *dev, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;

	if ((c->sel->by & NVO_NL_BY_ID) && dev->id != c->sel->id)
		return;
	si = nvo_nl_batch_slot(&c->b, dev->id);
	if (si)
		nvo_counters_acct_read(dev->acct, &si->c, &si->base);
}

void nvo_nl_collect_port_key(struct nvo_port *port, void *arg)
{
	struct nvo_nl_collect *c = arg;
	u32 id = nvo_port_id(port);
	struct nvo_nl_stats_info *si;

	if ((c->sel->by & NVO_NL_BY_ID) && id != c->sel->id)
		return;
	si = nvo_nl_batch_slot(&c->b, id);
	if (si) {
		si->port_id = id;
		nvo_counters_acct_read(&port->acct, &si->c, &si->base);
	}
}

void nvo_nl_collect_ns_key(struct nvo_ns_acct *ns, void *arg)
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
void nvo_nl_sum_by_dev(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;
	u32 id = nvo_nl_queue_dev_id(queue);

	si = id == ~0U ? NULL : nvo_nl_batch_find(&c->b, id);
	if (si)
		nvo_counters_add_stats(&si->c.st, &queue->oq.stats);
}

/* Adds what a device counts on a peer's queue it has to its item. */
void nvo_nl_peer_sum_by_dev(const struct nvo_peer_queue *pq, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;

	if (!pq->stats)
		return;
	si = nvo_nl_batch_find(&c->b, pq->dev_id);
	if (si)
		nvo_counters_add_stats(&si->c.st, pq->stats);
}

/* Adds each queue's counters to its port's item (port scope). */
void nvo_nl_sum_by_port(struct nvo_queue *queue, void *arg)
{
	struct nvo_nl_collect *c = arg;
	struct nvo_nl_stats_info *si;
	struct nvo_counters q;

	si = nvo_nl_batch_find(&c->b,
			       nvo_queue_port_id(queue));
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
void nvo_nl_sum_by_ns(struct nvo_queue *queue, void *arg)
{
	nvo_visit_queue_ns(queue, nvo_nl_sum_ns_entry, arg);
}

/*
 * Message fill
 */

/* The device's NVMe/TCP limits, and what it executes on any transport. */
static int nvo_nl_put_caps(struct sk_buff *skb, const struct nvo_caps *caps)
{
	const struct nvo_tr_caps *tr = &caps->tr[NVO_TR_TCP];
	struct nlattr *nest;
	u64 opcodes = 0;
	unsigned int op;

	/* The attribute holds the first 64 opcodes: every I/O opcode today. */
	for_each_set_bit(op, caps->io_opcodes, 64)
		opcodes |= BIT_ULL(op);
	nest = nla_nest_start(skb, NVMET_OFFLOAD_A_DEV_CAPS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_QUEUES, tr->max_queues) ||
	    nla_put_u64_64bit(skb, NVMET_OFFLOAD_A_CAPS_IO_OPCODES, opcodes,
			      NVMET_OFFLOAD_A_CAPS_PAD) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_IO_SIZE,
			tr->max_io_size) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MIN_QUEUE_DEPTH,
			tr->min_queue_depth) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_QUEUE_DEPTH,
			tr->max_queue_depth) ||
	    (tr->tcp.hdgst && nla_put_flag(skb, NVMET_OFFLOAD_A_CAPS_HDGST)) ||
	    (tr->tcp.ddgst && nla_put_flag(skb, NVMET_OFFLOAD_A_CAPS_DDGST)) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_INLINE, tr->max_inline) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_BACKENDS, caps->backends) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_TAKE, tr->take) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_SGL, tr->sgl) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_H2C_DATA,
			tr->tcp.max_h2c_data) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_CAPS_MAX_HPDA, tr->tcp.max_hpda)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int nvo_nl_fill_dev(struct sk_buff *skb, const struct nvo_nl_dev_info *di)
{
	/* Engines only when the driver told us. */
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_ID, di->id) ||
	    nla_put_string(skb, NVMET_OFFLOAD_A_DEV_NAME, di->name) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_STATE, di->state) ||
	    nvo_nl_put_caps(skb, &di->caps) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_NR_QUEUES, di->nr_queues) ||
	    (di->nr_engines &&
	     nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_ENGINES, di->nr_engines)) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_DEV_API_VERSION, di->api_version))
		return -EMSGSIZE;
	return 0;
}

int nvo_nl_fill_port(struct sk_buff *skb,
		     const struct nvo_nl_port_info *pi)
{
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_PORT_ID, pi->id) ||
	    nla_put_string(skb, NVMET_OFFLOAD_A_PORT_TRADDR, pi->traddr) ||
	    nla_put_string(skb, NVMET_OFFLOAD_A_PORT_TRSVCID, pi->trsvcid) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_PORT_POLICY,
			pi->on ? NVMET_OFFLOAD_POLICY_ON :
				 NVMET_OFFLOAD_POLICY_OFF) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_PORT_TRANSPORT, pi->transport))
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

int nvo_nl_fill_queue(struct sk_buff *skb,
		      const struct nvo_nl_queue_info *qi)
{
	if (nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_ID, qi->id) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_PORT_ID, qi->port_id) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_QID, qi->qid) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_STATE, qi->state) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_DEPTH, qi->depth) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_INFLIGHT, qi->inflight) ||
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_TRANSPORT, qi->transport) ||
	    (qi->has_cpu &&
	     nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_CPU, qi->cpu)))
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
	if (qi->has_move &&
	    nla_put_u32(skb, NVMET_OFFLOAD_A_QUEUE_MOVE_US, qi->move_us))
		return -EMSGSIZE;
	return 0;
}

#define NVO_NL_DEV_COUNTER(field, attr) \
	{ NVMET_OFFLOAD_A_COUNTERS_##attr, offsetof(struct nvo_counters, st.field) },
#define NVO_NL_EVENT_COUNTER(field, attr) \
	{ NVMET_OFFLOAD_A_COUNTERS_##attr, offsetof(struct nvo_counters, ev.field) },

/*
 * The u64 counters of the counters set, where struct nvo_counters has them
 * (the lists are generated from the spec: linux/nvmet_offload_counters.h).
 */
static const struct {
	u16	type;
	u16	offset;
} nvo_nl_counter_attrs[] = {
	NVO_DEV_COUNTERS(NVO_NL_DEV_COUNTER)
	NVO_EVENT_COUNTERS(NVO_NL_EVENT_COUNTER)
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

int nvo_nl_fill_stats(struct sk_buff *skb, u32 scope,
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
