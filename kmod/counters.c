// SPDX-License-Identifier: GPL-2.0
/*
 * Offload counters per device, port, namespace and queue.
 *
 * A device's engine writes one queue's counters (oq.stats) and, for each
 * namespace the queue reaches, that namespace's counters on the queue
 * (struct nvo_queue_ns): plain u64s with one writer each, no lock and no
 * shared cache line on the data path. Everything else is done on the slow
 * paths:
 *  - a queue leaving a device folds oq.stats into the queue's own past
 *    (queue->acct.retired) and into the device's (dev->acct->retired), so
 *    oq.stats always belongs to the current device stint;
 *  - a queue going away folds its counters into its port and each of its
 *    namespace counters into the namespace's record;
 *  - a reader sums an object's retired counts and its live queues';
 *  - stats-reset stores that raw sum as the object's base, and readers
 *    report the difference, so resetting one scope leaves the others alone.
 * Sums taken while a queue changes hands may miss or double one queue's
 * counts for that moment: counters are statistics, and no lock on the data
 * path is worth more.
 *
 * Namespace records live from the first offload that reaches the namespace
 * until its port is freed (after its last queue): counts of closed queues
 * are kept, and a namespace recreated with the same id continues them.
 * Only namespaces the subsystem has get one: a command to any other id is
 * nvmet's to refuse, and must not let a host size our memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/slab.h>

#include "transport.h"

/* The counters as arrays of u64: every field of both structs is one. */
#define NVO_STATS_WORDS	(sizeof(struct nvo_offload_stats) / sizeof(u64))
#define NVO_COUNTERS_WORDS	(sizeof(struct nvo_counters) / sizeof(u64))

/* Every record, in id order (netlink dumps), and hashed for lookups. */
static LIST_HEAD(nvo_ns_list);
static DEFINE_HASHTABLE(nvo_ns_hash, 8);
/* Guards both; taken from engine context (ns lookups): a spinlock. */
static DEFINE_SPINLOCK(nvo_ns_lock);
static u32 nvo_ns_next_id = 1;

static void nvo_words_add(u64 *sum, const u64 *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum[i] += READ_ONCE(v[i]);
}

static void nvo_words_zero(u64 *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		WRITE_ONCE(v[i], 0);
}

void nvo_counters_add_stats(struct nvo_offload_stats *sum,
			    const struct nvo_offload_stats *st)
{
	BUILD_BUG_ON(sizeof(struct nvo_offload_stats) % sizeof(u64));
	nvo_words_add((u64 *)sum, (const u64 *)st, NVO_STATS_WORDS);
}

void nvo_counters_add(struct nvo_counters *sum, const struct nvo_counters *c)
{
	BUILD_BUG_ON(sizeof(struct nvo_counters) % sizeof(u64));
	nvo_words_add((u64 *)sum, (const u64 *)c, NVO_COUNTERS_WORDS);
}

/* @c -= @base, field by field; a sum caught mid-fold reads 0, not 2^64. */
void nvo_counters_sub_base(struct nvo_counters *c,
			   const struct nvo_counters *base)
{
	u64 *v = (u64 *)c;
	const u64 *b = (const u64 *)base;
	size_t i;

	for (i = 0; i < NVO_COUNTERS_WORDS; i++)
		v[i] = v[i] > b[i] ? v[i] - b[i] : 0;
}

void nvo_counters_acct_init(struct nvo_counters_acct *acct)
{
	spin_lock_init(&acct->lock);
	memset(&acct->retired, 0, sizeof(acct->retired));
	memset(&acct->base, 0, sizeof(acct->base));
}

void nvo_counters_acct_read(struct nvo_counters_acct *acct,
			    struct nvo_counters *retired,
			    struct nvo_counters *base)
{
	unsigned long flags;

	spin_lock_irqsave(&acct->lock, flags);
	*retired = acct->retired;
	*base = acct->base;
	spin_unlock_irqrestore(&acct->lock, flags);
}

void nvo_counters_acct_set_base(struct nvo_counters_acct *acct,
				const struct nvo_counters *raw)
{
	unsigned long flags;

	spin_lock_irqsave(&acct->lock, flags);
	acct->base = *raw;
	spin_unlock_irqrestore(&acct->lock, flags);
}

static void nvo_acct_fold(struct nvo_counters_acct *acct,
			  const struct nvo_counters *c)
{
	unsigned long flags;

	spin_lock_irqsave(&acct->lock, flags);
	nvo_counters_add(&acct->retired, c);
	spin_unlock_irqrestore(&acct->lock, flags);
}

/* Since the queue appeared, over every device it has been on. */
void nvo_counters_queue_raw(struct nvo_queue *queue, struct nvo_counters *c)
{
	unsigned long flags;

	spin_lock_irqsave(&queue->acct.lock, flags);
	*c = queue->acct.retired;
	spin_unlock_irqrestore(&queue->acct.lock, flags);
	nvo_counters_add_stats(&c->st, &queue->oq.stats);
	nvo_words_add((u64 *)&c->ev, (const u64 *)&queue->events, NVO_EV_NR);
}

void nvo_counters_queue_init(struct nvo_queue *queue)
{
	nvo_counters_acct_init(&queue->acct);
	xa_init(&queue->ns_stats);
}

/*
 * The device has let go of the queue (or never had it): its stint's
 * counters move to the queue's past and to the device's.
 */
void nvo_counters_left_dev(struct nvo_queue *queue, struct nvo_offload_dev *dev)
{
	struct nvo_counters stint = {};
	unsigned long flags;

	nvo_counters_add_stats(&stint.st, &queue->oq.stats);
	spin_lock_irqsave(&queue->acct.lock, flags);
	nvo_counters_add_stats(&queue->acct.retired.st, &stint.st);
	nvo_words_zero((u64 *)&queue->oq.stats, NVO_STATS_WORDS);
	spin_unlock_irqrestore(&queue->acct.lock, flags);
	nvo_acct_fold(dev->acct, &stint);
}

/*
 * A peer's queue the device had (taken at connect) ended: the device's
 * counts of it stay in the device's. Until then a stats read sums them
 * live; between the queue leaving the peer's list and this call (its
 * release, the device's drain) they are missing from the device's sum.
 */
void nvo_counters_dev_fold(struct nvo_offload_dev *dev,
			   const struct nvo_offload_stats *st)
{
	struct nvo_counters stint = {};

	nvo_counters_add_stats(&stint.st, st);
	nvo_acct_fold(dev->acct, &stint);
}

void nvo_counters_dev_event(struct nvo_offload_dev *dev, enum nvo_event ev)
{
	struct nvo_counters_acct *acct = dev->acct;
	unsigned long flags;

	/* One u64 per event, in enum order: no padding, no other field. */
	BUILD_BUG_ON(sizeof(struct nvo_event_counts) != NVO_EV_NR * sizeof(u64));
	if (WARN_ON_ONCE(ev >= NVO_EV_NR))
		return;
	spin_lock_irqsave(&acct->lock, flags);
	((u64 *)&acct->retired.ev)[ev]++;
	spin_unlock_irqrestore(&acct->lock, flags);
}

static u32 nvo_ns_key(const struct nvo_port *port, const char *nqn,
		      u32 nsid)
{
	return jhash(nqn, strnlen(nqn, NVMF_NQN_FIELD_LEN),
		     nsid ^ hash_ptr(port, 32));
}

/* The record of (port, subsystem, @nsid), made on first sight. */
static struct nvo_ns_acct *nvo_ns_acct_get(struct nvo_port *port,
					   const char *nqn, u32 nsid, gfp_t gfp)
{
	u32 key = nvo_ns_key(port, nqn, nsid);
	struct nvo_ns_acct *ns, *fresh;
	unsigned long flags;

	fresh = kzalloc(sizeof(*fresh), gfp | __GFP_NOWARN);
	spin_lock_irqsave(&nvo_ns_lock, flags);
	hash_for_each_possible(nvo_ns_hash, ns, hnode, key) {
		if (ns->port == port && ns->nsid == nsid &&
		    !strcmp(ns->subsysnqn, nqn))
			goto out;
	}
	ns = fresh;
	fresh = NULL;
	if (ns) {
		ns->id = nvo_ns_next_id++;
		ns->port = port;
		ns->portid = port->id;	/* nport may be gone: see struct nvo_port */
		ns->nsid = nsid;
		strscpy(ns->subsysnqn, nqn, sizeof(ns->subsysnqn));
		nvo_counters_acct_init(&ns->acct);
		list_add_tail(&ns->entry, &nvo_ns_list);
		hash_add(nvo_ns_hash, &ns->hnode, key);
	}
out:
	spin_unlock_irqrestore(&nvo_ns_lock, flags);
	kfree(fresh);
	return ns;
}

/*
 * The counters of namespace @nsid on @queue, made on first use; never
 * NULL (counts that cannot be placed go to a sink nobody reports).
 */
struct nvo_offload_stats *nvo_counters_ns(struct nvo_queue *queue, u32 nsid,
					  gfp_t gfp)
{
	struct nvmet_ctrl *ctrl = READ_ONCE(queue->nvme_sq.ctrl);
	struct nvo_queue_ns *qns;
	bool known;
	void *old;

	qns = xa_load(&queue->ns_stats, nsid);
	if (qns)
		return &qns->st;
	if (!ctrl || !nsid || nsid == NVME_NSID_ALL)
		return &queue->ns_unaccounted;
	/* Records for the subsystem's namespaces only: nothing a host sizes. */
	rcu_read_lock();
	known = !!xa_load(&ctrl->subsys->namespaces, nsid);
	rcu_read_unlock();
	if (!known)
		return &queue->ns_unaccounted;

	qns = kzalloc(sizeof(*qns), gfp | __GFP_NOWARN);
	if (!qns)
		return &queue->ns_unaccounted;
	qns->ns = nvo_ns_acct_get(queue->port, ctrl->subsys->subsysnqn, nsid,
				  gfp);
	if (!qns->ns)
		goto fail;
	/* The device's engine is the only writer: no race with another. */
	old = xa_store(&queue->ns_stats, nsid, qns, gfp | __GFP_NOWARN);
	if (xa_is_err(old))
		goto fail;
	return &qns->st;

fail:
	kfree(qns);
	return &queue->ns_unaccounted;
}

/*
 * The queue goes to a device: give every namespace of its subsystem its
 * counters now, so that the namespace scope lists them before the first
 * command (and the engine's lookups find them made).
 */
void nvo_counters_handover(struct nvo_queue *queue)
{
	struct nvmet_ctrl *ctrl = queue->nvme_sq.ctrl;
	unsigned long nsid;
	struct nvmet_ns *ns;
	u32 ids[16];
	unsigned int n, i;

	if (!ctrl)
		return;
	/* Made outside the RCU section: allocations may sleep. */
	nsid = 0;
	do {
		n = 0;
		rcu_read_lock();
		xa_for_each_start(&ctrl->subsys->namespaces, nsid, ns, nsid) {
			ids[n++] = nsid;
			if (n == ARRAY_SIZE(ids))
				break;
		}
		rcu_read_unlock();
		for (i = 0; i < n; i++)
			nvo_counters_ns(queue, ids[i], GFP_KERNEL);
		if (n)
			nsid = ids[n - 1] + 1;
	} while (n == ARRAY_SIZE(ids));
}

/* A punt the shim accepted: counted per queue, namespace and opcode. */
void nvo_counters_punt(struct nvo_queue *queue, const struct nvme_command *sqe)
{
	u8 op = sqe->common.opcode;
	unsigned int slot = min_t(unsigned int, op, NVO_PUNT_OPC_SLOTS - 1);
	struct nvo_offload_stats *ns;

	queue->oq.stats.punted_cmds++;
	queue->oq.stats.punted_by_opcode[slot]++;
	ns = nvo_counters_ns(queue, le32_to_cpu(sqe->common.nsid), GFP_NOWAIT);
	ns->punted_cmds++;
	ns->punted_by_opcode[slot]++;
}

void nvo_visit_ns_accts(nvo_ns_visit_t fn, void *arg)
{
	struct nvo_ns_acct *ns;
	unsigned long flags;

	spin_lock_irqsave(&nvo_ns_lock, flags);
	list_for_each_entry(ns, &nvo_ns_list, entry)
		fn(ns, arg);
	spin_unlock_irqrestore(&nvo_ns_lock, flags);
}

/* Under nvo_visit_queues(): the queue's entries live until it is freed. */
void nvo_visit_queue_ns(struct nvo_queue *queue, nvo_queue_ns_visit_t fn,
			void *arg)
{
	struct nvo_queue_ns *qns;
	unsigned long nsid;

	xa_for_each(&queue->ns_stats, nsid, qns)
		fn(qns, arg);
}

/*
 * The queue is going (the device and nvmet are done with it): its counts
 * stay in its port's and its namespaces' sums.
 */
void nvo_counters_queue_release(struct nvo_queue *queue)
{
	struct nvo_counters c = {};
	struct nvo_queue_ns *qns;
	unsigned long nsid;

	nvo_counters_queue_raw(queue, &c);
	nvo_acct_fold(&queue->port->acct, &c);

	xa_for_each(&queue->ns_stats, nsid, qns) {
		memset(&c, 0, sizeof(c));
		nvo_counters_add_stats(&c.st, &qns->st);
		/* Records outlive queues: see nvo_counters_port_release(). */
		nvo_acct_fold(&qns->ns->acct, &c);
		kfree(qns);
	}
	xa_destroy(&queue->ns_stats);
}

/*
 * The port's last reference is going, so are its queues: its namespace
 * records go with it.
 */
void nvo_counters_port_release(struct nvo_port *port)
{
	struct nvo_ns_acct *ns, *tmp;
	unsigned long flags;
	LIST_HEAD(gone);

	spin_lock_irqsave(&nvo_ns_lock, flags);
	list_for_each_entry_safe(ns, tmp, &nvo_ns_list, entry)
		if (ns->port == port) {
			hash_del(&ns->hnode);
			list_move(&ns->entry, &gone);
		}
	spin_unlock_irqrestore(&nvo_ns_lock, flags);
	list_for_each_entry_safe(ns, tmp, &gone, entry)
		kfree(ns);
}

void nvo_counters_exit(void)
{
	struct nvo_ns_acct *ns, *tmp;

	list_for_each_entry_safe(ns, tmp, &nvo_ns_list, entry) {
		hash_del(&ns->hnode);
		kfree(ns);
	}
	INIT_LIST_HEAD(&nvo_ns_list);
}

/* A command completed in software: the queue's own counters. */
void nvo_stats_complete(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	struct nvo_queue_stats *st = &queue->stats;
	u32 len = cmd->req.transfer_len;

	st->cmds++;
	if (cmd->cqe.status) {
		st->errors++;
		return;
	}
	/* Only the data path counts as reads and writes. */
	if (!queue->nvme_sq.qid)
		return;
	switch (cmd->sqe.common.opcode) {
	case nvme_cmd_read:
		st->read_cmds++;
		st->read_bytes += len;
		break;
	case nvme_cmd_write:
		st->write_cmds++;
		st->write_bytes += len;
		break;
	}
}
