// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace tables (driver API v2, Documentation/driver-api-v2.rst section
 * 3): one per (device, subsystem) while the device has queues of the
 * subsystem, for a device with ops->ns_update. The table is attached
 * before the subsystem's first queue goes to the device and detached after
 * its last came back. nvmet tells a transport nothing of its namespaces,
 * so a delayed work compares every table with subsys->namespaces each
 * ns_period_ms (100) and sends the device what changed: ADD, REMOVE,
 * RESIZE, each with the table's generation plus one. The Asynchronous
 * Event nvmet sends a host for a namespace it enabled or resized passes
 * through us (nvo_ns_tables_aen()): that starts the work at once, so an
 * enable or a resize reaches the device without waiting for the period. A
 * disable's event comes only after the disable waited for the pins, so a
 * disable is seen by the period.
 *
 * An ADD the device refuses (a full table) leaves the namespace out, its
 * commands punted, until there may be room: the device completed a REMOVE,
 * or NVO_NS_RETRY_MS passed (another table of the device may have shrunk).
 *
 * A device that lost updates answers the next with -ESTALE (a gap in gen):
 * the shim sends it the whole table again with subsys_attach on the same
 * id, retried each period until the device takes it.
 *
 * A device whose back end failed for a namespace says so with
 * nvo_ns_failed() (any context: the nsid waits in the table's small
 * report list for the next sync, which starts at once): the entry is
 * removed and a marker left in its slot keeps the namespace out, its
 * commands punted, until the namespace leaves the subsystem or is disabled.
 * The marker holds a pin too, so that a disable waits for the sync that
 * sees it: a disable and enable between two syncs cannot go unnoticed.
 *
 * Each entry the device has holds one reference on its nvmet namespace (a
 * pin), dropped only once the device completed the entry's REMOVE: nvmet's
 * disable takes the namespace out of the subsystem first and then waits for
 * its references, so it waits for the device's commands as for software's.
 *
 * Locking: nvo_ns_mutex guards the list of tables and every table's slots
 * and is held across device ops (process context, may sleep), with
 * subsys->lock taken under it, never held across them; nvo_ns_done_lock
 * guards the REMOVEs waiting for their nvo_ns_update_done() (any context)
 * and, with the mutex, the list of tables. A table's slots are an xarray
 * by nsid: a sync looks each namespace up once, not in a list.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "transport.h"

static unsigned int nvo_ns_period_ms = 100;
module_param_named(ns_period_ms, nvo_ns_period_ms, uint, 0644);
MODULE_PARM_DESC(ns_period_ms,
		 "ms between two reconciles of the namespace tables with nvmet (default 100)");
#define NVO_NS_RETRY_MS		5000
/* Back-end failures reported between two syncs; more are dropped. */
#define NVO_NS_FAILED_REPORTS	8

/* A namespace of a table, as the shim keeps it. */
struct nvo_ns_slot {
	struct list_head	entry;		/* a sync's lists or ->removing */
	struct nvmet_ns		*ns;		/* pinned while in the device's */
	struct nvo_ns_entry	e;		/* what the device was told */
	bool			refused;	/* left out: nothing pinned */
	/* Left out, pinned: the device's back end failed for it. */
	bool			failed;
	u64			remove_gen;	/* on ->removing: its REMOVE */
	/* Its REMOVE met a gap: the resync's table, without it, replaces it. */
	bool			remove_stale;
};

struct nvo_ns_table {
	struct list_head	entry;		/* nvo_ns_tables */
	struct nvo_offload_dev	*dev;
	u32			dev_id;		/* observers: dev may be gone */
	struct nvmet_subsys	*subsys;	/* alive while users > 0 */
	u32			id;		/* subsys_id, for the device */
	u32			users;		/* queues of it on the device */
	bool			attached;	/* subsys_attach said yes */
	/* The device failed: never called again, dev never looked at. */
	bool			dead;
	/* The device said -ESTALE: it gets the whole table again. */
	bool			stale;
	/* nvo_ns_table_lost(): the same, under nvo_ns_done_lock. */
	bool			lost;
	/* A REMOVE completed: refused ADDs may fit now. */
	bool			room;
	unsigned long		retry_at;	/* jiffies: refused ADDs again */
	/* nvo_ns_failed() reports, under nvo_ns_done_lock */
	u32			failed_nsids[NVO_NS_FAILED_REPORTS];
	u32			nr_failed;
	u64			gen;
	struct xarray		slots;		/* nsid -> struct nvo_ns_slot */
	struct list_head	removing;	/* under nvo_ns_done_lock */
};

static DEFINE_MUTEX(nvo_ns_mutex);
static LIST_HEAD(nvo_ns_tables);
static DEFINE_SPINLOCK(nvo_ns_done_lock);
static DEFINE_IDA(nvo_ns_ida);
static void nvo_ns_work_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(nvo_ns_work, nvo_ns_work_fn);

static unsigned long nvo_ns_period(void)
{
	return msecs_to_jiffies(clamp(READ_ONCE(nvo_ns_period_ms), 10U, 60000U));
}

/* A device's table by its id, under nvo_ns_done_lock; NULL if detached. */
static struct nvo_ns_table *nvo_ns_table_by_id(struct nvo_offload_dev *dev,
					       u32 subsys_id)
{
	struct nvo_ns_table *t;

	lockdep_assert_held(&nvo_ns_done_lock);
	list_for_each_entry(t, &nvo_ns_tables, entry)
		if (t->dev == dev && t->id == subsys_id)
			return t;
	return NULL;
}

static void nvo_ns_slot_free(struct nvo_ns_slot *s)
{
	if (s->ns && !s->refused)
		percpu_ref_put(&s->ns->ref);
	kfree(s);
}

/* Is the namespace the slot pinned still in its subsystem, as it was? */
static bool nvo_ns_slot_gone(struct nvo_ns_table *t, struct nvo_ns_slot *s)
{
	struct nvmet_ns *ns = xa_load(&t->subsys->namespaces, s->e.nsid);

	return ns != s->ns || !READ_ONCE(ns->enabled) || ns->bdev != s->e.bdev;
}

static u64 nvo_ns_blocks(struct nvmet_ns *ns)
{
	return (u64)READ_ONCE(ns->size) >> ns->blksize_shift;
}

static int nvo_ns_send(struct nvo_ns_table *t, enum nvo_ns_op op,
		       const struct nvo_ns_entry *e)
{
	struct nvo_ns_update u = {
		.subsys_id = t->id, .gen = ++t->gen, .op = op, .e = *e,
	};
	int ret;

	ret = t->dev->ops->ns_update(t->dev, &u);
	if (ret == -ESTALE)
		t->stale = true;
	return ret;
}

/*
 * The whole table again (after -ESTALE or nvo_ns_table_lost()), with the
 * next gen: it replaces what the device has. The REMOVEs the device
 * refused with the gap are done with it (the table sent lacks them): at
 * once (0), or when the device reports the resync's gen done
 * (-EINPROGRESS: it still had commands on what it dropped).
 */
static void nvo_ns_resync(struct nvo_ns_table *t)
{
	struct nvo_ns_slot *s, *tmp;
	struct nvo_ns_entry *tbl;
	unsigned long idx;
	LIST_HEAD(given_up);
	u32 nr = 0, n = 0;
	u64 gen;
	int ret;

	xa_for_each(&t->slots, idx, s)
		n++;
	tbl = kvcalloc(max(n, 1U), sizeof(*tbl), GFP_KERNEL);
	if (!tbl)
		return;		/* the next period tries again */
	xa_for_each(&t->slots, idx, s)
		if (!s->refused && !s->failed && nr < n)
			tbl[nr++] = s->e;
	gen = ++t->gen;
	spin_lock_irq(&nvo_ns_done_lock);
	list_for_each_entry(s, &t->removing, entry)
		if (s->remove_stale)
			s->remove_gen = gen;
	spin_unlock_irq(&nvo_ns_done_lock);
	/* From here those may be freed by the device's nvo_ns_update_done(). */
	ret = t->dev->ops->subsys_attach(t->dev, t->id, t->subsys->subsysnqn,
					 tbl, nr, gen);
	kvfree(tbl);
	if (ret && ret != -EINPROGRESS) {
		pr_warn_ratelimited("%s: subsystem %u: table resync refused: %d\n",
				    t->dev->name, t->id, ret);
		return;
	}
	pr_info("%s: subsystem %u: table sent again (%u entries, gen %llu)\n",
		t->dev->name, t->id, nr, gen);
	t->stale = false;
	if (ret)
		return;
	spin_lock_irq(&nvo_ns_done_lock);
	list_for_each_entry_safe(s, tmp, &t->removing, entry)
		if (s->remove_stale)
			list_move_tail(&s->entry, &given_up);
	spin_unlock_irq(&nvo_ns_done_lock);
	list_for_each_entry_safe(s, tmp, &given_up, entry) {
		list_del(&s->entry);
		nvo_ns_slot_free(s);
	}
}

/*
 * The device takes the entry out; the pin goes once it said it is done,
 * which it may say before ns_update returns: the slot waits on ->removing
 * from before the call.
 */
static void nvo_ns_remove(struct nvo_ns_table *t, struct nvo_ns_slot *s)
{
	u32 nsid = s->e.nsid;
	u64 gen;
	int ret;

	if (s->refused || s->failed) {
		nvo_ns_slot_free(s);	/* not in the device */
		return;
	}
	gen = t->gen + 1;
	s->remove_gen = gen;
	spin_lock_irq(&nvo_ns_done_lock);
	list_add_tail(&s->entry, &t->removing);
	spin_unlock_irq(&nvo_ns_done_lock);
	/* From here @s may be freed by the device's nvo_ns_update_done(). */
	ret = nvo_ns_send(t, NVO_NS_REMOVE, &s->e);
	if (!ret) {
		nvo_ns_update_done(t->dev, t->id, gen, 0);
	} else if (ret == -ESTALE) {
		/* Never taken: no done comes for it; the resync settles it. */
		spin_lock_irq(&nvo_ns_done_lock);
		s->remove_stale = true;
		spin_unlock_irq(&nvo_ns_done_lock);
	} else if (ret != -EINPROGRESS) {
		/* The device may still use it: pinned until the detach. */
		pr_warn("%s: subsystem %u: nsid %u REMOVE refused: %d\n",
			t->dev->name, t->id, nsid, ret);
	}
}

/*
 * A namespace enabled with a block device and not in the table: pinned
 * and its entry made, under subsys->lock. NULL when it cannot be pinned
 * (being disabled) or has no block device.
 */
static struct nvo_ns_slot *nvo_ns_slot_new(struct nvmet_ns *ns)
{
	struct block_device *bdev = ns->bdev;
	struct nvo_ns_slot *s;

	if (!ns->enabled || !bdev)
		return NULL;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	if (!percpu_ref_tryget_live(&ns->ref)) {
		kfree(s);
		return NULL;
	}
	s->ns = ns;
	s->e.nsid = ns->nsid;
	s->e.kind = NVO_BACKEND_BDEV;
	s->e.bdev = bdev;
	s->e.lba_shift = ns->blksize_shift;
	s->e.nr_blocks = nvo_ns_blocks(ns);
	if (ns->readonly)
		s->e.flags |= NVO_NS_RO;
	if (bdev_write_cache(bdev))
		s->e.flags |= NVO_NS_VWC;
	if (bdev_write_zeroes_sectors(bdev))
		s->e.flags |= NVO_NS_WZ;
	if (bdev_max_discard_sectors(bdev))
		s->e.flags |= NVO_NS_DISCARD;
	return s;
}

/*
 * The device's back end failed for @nsid: a marker (pinned, never offered
 * to the device) takes the entry's slot, so the next syncs leave the
 * namespace out until it is gone from the subsystem as it was, and the
 * entry is removed from the device as any other. Without a pin to take
 * (the namespace is being disabled) no marker is needed: it is leaving.
 */
static void nvo_ns_fail(struct nvo_ns_table *t, u32 nsid)
{
	struct nvo_ns_slot *s = xa_load(&t->slots, nsid), *m = NULL;

	if (!s || s->refused || s->failed)
		return;		/* gone, left out, or reported already */
	if (percpu_ref_tryget_live(&s->ns->ref)) {
		m = kzalloc(sizeof(*m), GFP_KERNEL);
		if (!m) {
			percpu_ref_put(&s->ns->ref);
			return;		/* the device reports it again */
		}
		m->ns = s->ns;
		m->e = s->e;
		m->failed = true;
		/* Replaces an entry that is there: no allocation, no error. */
		xa_store(&t->slots, nsid, m, GFP_KERNEL);
	} else {
		xa_erase(&t->slots, nsid);
	}
	pr_warn("%s: subsystem %u: nsid %u: the device's back end failed; served in software until the namespace is enabled again\n",
		t->dev->name, t->id, nsid);
	nvo_ns_remove(t, s);
}

/*
 * Bring the device's table in line with the subsystem: what left or
 * changed is looked at under subsys->lock, the device is told after.
 */
static void nvo_ns_sync(struct nvo_ns_table *t)
{
	LIST_HEAD(gone);
	LIST_HEAD(added);
	struct nvo_ns_slot *s, *tmp;
	u32 failed[NVO_NS_FAILED_REPORTS];
	u32 i, nr_failed;
	struct nvmet_ns *ns;
	unsigned long idx;
	bool retry;
	u64 blocks;
	int ret;

	lockdep_assert_held(&nvo_ns_mutex);
	spin_lock_irq(&nvo_ns_done_lock);
	retry = t->room || time_after_eq(jiffies, t->retry_at);
	t->room = false;
	t->stale |= t->lost;
	t->lost = false;
	nr_failed = t->nr_failed;
	memcpy(failed, t->failed_nsids, nr_failed * sizeof(failed[0]));
	t->nr_failed = 0;
	spin_unlock_irq(&nvo_ns_done_lock);
	mutex_lock(&t->subsys->lock);
	xa_for_each(&t->slots, idx, s) {
		/* Refused: tried again as new, with a new pin. */
		if (nvo_ns_slot_gone(t, s) || (s->refused && retry)) {
			xa_erase(&t->slots, idx);
			list_add_tail(&s->entry, &gone);
		}
	}
	xa_for_each(&t->subsys->namespaces, idx, ns) {
		s = xa_load(&t->slots, idx) ? NULL : nvo_ns_slot_new(ns);
		if (s)
			list_add_tail(&s->entry, &added);
	}
	mutex_unlock(&t->subsys->lock);

	list_for_each_entry_safe(s, tmp, &gone, entry) {
		list_del(&s->entry);
		nvo_ns_remove(t, s);
	}
	for (i = 0; i < nr_failed; i++)
		nvo_ns_fail(t, failed[i]);
	/* Resizes: the pin keeps ns alive, its size is read once. */
	xa_for_each(&t->slots, idx, s) {
		if (s->refused || s->failed)
			continue;	/* not in the device */
		blocks = nvo_ns_blocks(s->ns);
		if (blocks == s->e.nr_blocks)
			continue;
		s->e.nr_blocks = blocks;
		ret = nvo_ns_send(t, NVO_NS_RESIZE, &s->e);
		if (ret && ret != -EINPROGRESS && ret != -ESTALE)
			pr_warn_ratelimited("%s: subsystem %u: nsid %u RESIZE refused: %d\n",
					    t->dev->name, t->id, s->e.nsid, ret);
	}
	list_for_each_entry_safe(s, tmp, &added, entry) {
		list_del(&s->entry);
		/* Not kept (no memory): the next sync makes it again. */
		if (xa_err(xa_store(&t->slots, s->e.nsid, s, GFP_KERNEL))) {
			nvo_ns_slot_free(s);
			continue;
		}
		ret = nvo_ns_send(t, NVO_NS_ADD, &s->e);
		/* -ESTALE: in the device's table once the resync is sent. */
		if (!ret || ret == -EINPROGRESS || ret == -ESTALE)
			continue;
		/* Left out (a full table): its commands punt. */
		if (ret != -ENOSPC)
			pr_warn_ratelimited("%s: subsystem %u: nsid %u ADD refused: %d\n",
					    t->dev->name, t->id, s->e.nsid, ret);
		percpu_ref_put(&s->ns->ref);
		s->refused = true;
		t->retry_at = jiffies + msecs_to_jiffies(NVO_NS_RETRY_MS);
	}
	if (t->stale)
		nvo_ns_resync(t);
}

static void nvo_ns_work_fn(struct work_struct *w)
{
	struct nvo_ns_table *t;

	mutex_lock(&nvo_ns_mutex);
	list_for_each_entry(t, &nvo_ns_tables, entry)
		if (t->attached && !t->dead)
			nvo_ns_sync(t);
	if (!list_empty(&nvo_ns_tables))
		schedule_delayed_work(&nvo_ns_work,
				      nvo_ns_period());
	mutex_unlock(&nvo_ns_mutex);
}

static struct nvo_ns_table *nvo_ns_find(struct nvo_offload_dev *dev,
					struct nvmet_subsys *subsys)
{
	struct nvo_ns_table *t;

	list_for_each_entry(t, &nvo_ns_tables, entry)
		if (t->dev == dev && t->subsys == subsys)
			return t;
	return NULL;
}

static struct nvo_ns_table *nvo_ns_attach(struct nvo_offload_dev *dev,
					  struct nvmet_subsys *subsys)
{
	struct nvo_ns_table *t;
	int id, ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	id = ida_alloc_min(&nvo_ns_ida, 1, GFP_KERNEL);
	if (id < 0) {
		kfree(t);
		return NULL;
	}
	t->id = id;
	t->dev = dev;
	t->dev_id = dev->id;
	t->subsys = subsys;
	xa_init(&t->slots);
	INIT_LIST_HEAD(&t->removing);
	t->retry_at = jiffies;
	/* Empty at attach: the first sync adds what the subsystem has. */
	ret = dev->ops->subsys_attach(dev, t->id, subsys->subsysnqn, NULL, 0,
				      t->gen);
	if (ret)
		pr_info_ratelimited("%s: no namespace table for %s: %d\n",
				    dev->name, subsys->subsysnqn, ret);
	t->attached = !ret;
	spin_lock_irq(&nvo_ns_done_lock);
	list_add_tail(&t->entry, &nvo_ns_tables);
	spin_unlock_irq(&nvo_ns_done_lock);
	if (t->attached)
		nvo_ns_sync(t);
	schedule_delayed_work(&nvo_ns_work, nvo_ns_period());
	return t;
}

/*
 * @queue goes to @dev: its subsystem's table there, attached with the
 * first such queue, named in the record @h. Process context.
 */
void nvo_ns_table_get(struct nvo_queue *queue, struct nvo_offload_dev *dev,
		      struct nvo_handover *h)
{
	struct nvmet_ctrl *ctrl = queue->nvme_sq.ctrl;
	struct nvo_ns_table *t = queue->ns_table;

	h->cntlid = ctrl ? ctrl->cntlid : 0;
	if (!t && ctrl && dev->ops->ns_update) {
		mutex_lock(&nvo_ns_mutex);
		t = nvo_ns_find(dev, ctrl->subsys);
		if (!t)
			t = nvo_ns_attach(dev, ctrl->subsys);
		if (t)
			t->users++;
		mutex_unlock(&nvo_ns_mutex);
		queue->ns_table = t;
	}
	h->subsys_id = t && t->attached ? t->id : 0;
}

/* Every pin of a detached table goes, REMOVEs not answered included. */
static void nvo_ns_free(struct nvo_ns_table *t)
{
	struct nvo_ns_slot *s, *tmp;
	unsigned long idx;
	LIST_HEAD(pins);

	spin_lock_irq(&nvo_ns_done_lock);
	list_splice_init(&t->removing, &pins);
	spin_unlock_irq(&nvo_ns_done_lock);
	list_for_each_entry_safe(s, tmp, &pins, entry) {
		list_del(&s->entry);
		nvo_ns_slot_free(s);
	}
	xa_for_each(&t->slots, idx, s)
		nvo_ns_slot_free(s);
	xa_destroy(&t->slots);
	ida_free(&nvo_ns_ida, t->id);
	kfree(t);
}

/*
 * @queue left its device (handed back, failed, or released after its
 * driver answered for it): the last queue of the subsystem there detaches
 * the table. Process context.
 */
void nvo_ns_table_put(struct nvo_queue *queue)
{
	struct nvo_ns_table *t = queue->ns_table;

	if (!t)
		return;
	queue->ns_table = NULL;
	mutex_lock(&nvo_ns_mutex);
	if (--t->users) {
		mutex_unlock(&nvo_ns_mutex);
		return;
	}
	spin_lock_irq(&nvo_ns_done_lock);
	list_del(&t->entry);
	spin_unlock_irq(&nvo_ns_done_lock);
	/*
	 * A failed device is called no more (it may be gone by now); the
	 * queue's driver answered for it, so its pins may go.
	 */
	if (t->attached && !t->dead)
		t->dev->ops->subsys_detach(t->dev, t->id);
	mutex_unlock(&nvo_ns_mutex);
	nvo_ns_free(t);
}

void nvo_ns_update_done(struct nvo_offload_dev *dev, u32 subsys_id, u64 gen,
			int err)
{
	struct nvo_ns_slot *s, *tmp;
	struct nvo_ns_table *t;
	unsigned long flags;
	LIST_HEAD(done);

	/* The list of tables changes under the mutex and this lock both. */
	spin_lock_irqsave(&nvo_ns_done_lock, flags);
	t = nvo_ns_table_by_id(dev, subsys_id);
	/* One REMOVE, or those a resync settled: all of that gen. */
	if (t && !err) {
		list_for_each_entry_safe(s, tmp, &t->removing, entry) {
			if (s->remove_gen == gen) {
				list_move_tail(&s->entry, &done);
				t->room = true;
			}
		}
	}
	spin_unlock_irqrestore(&nvo_ns_done_lock, flags);
	if (err)
		pr_warn_ratelimited("%s: subsystem %u: update %llu failed: %d\n",
				    dev->name, subsys_id, gen, err);
	list_for_each_entry_safe(s, tmp, &done, entry) {
		list_del(&s->entry);
		nvo_ns_slot_free(s);
	}
}
EXPORT_SYMBOL_NS_GPL(nvo_ns_update_done, NVO_NS);

void nvo_ns_table_lost(struct nvo_offload_dev *dev, u32 subsys_id)
{
	struct nvo_ns_table *t;
	unsigned long flags;

	spin_lock_irqsave(&nvo_ns_done_lock, flags);
	t = nvo_ns_table_by_id(dev, subsys_id);
	if (t)
		t->lost = true;
	spin_unlock_irqrestore(&nvo_ns_done_lock, flags);
}
EXPORT_SYMBOL_NS_GPL(nvo_ns_table_lost, NVO_NS);

void nvo_ns_failed(struct nvo_offload_dev *dev, u32 subsys_id, u32 nsid)
{
	bool queued = false, dropped = false;
	struct nvo_ns_table *t;
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&nvo_ns_done_lock, flags);
	t = nvo_ns_table_by_id(dev, subsys_id);
	if (t) {
		for (i = 0; i < t->nr_failed; i++)
			if (t->failed_nsids[i] == nsid)
				break;
		if (i == t->nr_failed && i < NVO_NS_FAILED_REPORTS)
			t->failed_nsids[t->nr_failed++] = nsid;
		queued = i < NVO_NS_FAILED_REPORTS;
		dropped = !queued;
	}
	spin_unlock_irqrestore(&nvo_ns_done_lock, flags);
	if (dropped)
		pr_warn_ratelimited("%s: subsystem %u: nsid %u: back-end failure report dropped (too many at once)\n",
				    dev->name, subsys_id, nsid);
	/* Now, not at the next period: the device punts until then. */
	if (queued)
		mod_delayed_work(system_wq, &nvo_ns_work, 0);
}
EXPORT_SYMBOL_NS_GPL(nvo_ns_failed, NVO_NS);

/*
 * nvmet completed an Asynchronous Event Request on one of our admin queues
 * (@req): a namespace attribute notice means a namespace was enabled,
 * disabled or resized, so the tables are reconciled now. Any context.
 */
void nvo_ns_tables_aen(const struct nvmet_req *req)
{
	u32 result = le32_to_cpu(req->cqe->result.u32);

	if ((result & 0x7) != NVME_AER_NOTICE ||
	    ((result >> 8) & 0xff) != NVME_AER_NOTICE_NS_CHANGED)
		return;
	if (!list_empty_careful(&nvo_ns_tables))
		mod_delayed_work(system_wq, &nvo_ns_work, 0);
}

/*
 * @dev failed (offload.c): its tables stay until their queues are released,
 * without another call to the device, which may be gone before them.
 */
void nvo_ns_tables_dev_failed(struct nvo_offload_dev *dev)
{
	struct nvo_ns_table *t;

	mutex_lock(&nvo_ns_mutex);
	list_for_each_entry(t, &nvo_ns_tables, entry)
		if (t->dev == dev)
			t->dead = true;
	mutex_unlock(&nvo_ns_mutex);
}

/*
 * Observers (netlink): a copy of one table, so that no lock is held while
 * a reply is built.
 */

/*
 * Keeps the NVO_NS_SNAP_ENTRIES smallest keys offered, in key order; says
 * in ->more that a key was left out.
 */
static void nvo_ns_snap_add(struct nvo_ns_snap *snap, u64 key,
			    const struct nvo_ns_entry *e, u8 state)
{
	struct nvo_ns_snap_entry *se;
	unsigned int pos = snap->nr;

	while (pos && key < snap->e[pos - 1].key)
		pos--;
	if (pos == NVO_NS_SNAP_ENTRIES) {
		snap->more = true;
		return;
	}
	if (snap->nr == NVO_NS_SNAP_ENTRIES) {
		snap->nr--;	/* the largest key drops out */
		snap->more = true;
	}
	memmove(&snap->e[pos + 1], &snap->e[pos],
		(snap->nr - pos) * sizeof(snap->e[0]));
	snap->nr++;
	se = &snap->e[pos];
	se->key = key;
	se->nsid = e->nsid;
	se->nr_blocks = e->nr_blocks;
	se->flags = e->flags;
	se->lba_shift = e->lba_shift;
	se->state = state;
}

/* The entry keys of @t from @from_key on, at most NVO_NS_SNAP_ENTRIES. */
static void nvo_ns_snap_entries(struct nvo_ns_table *t, u64 from_key,
				struct nvo_ns_snap *snap)
{
	struct nvo_ns_slot *s;
	unsigned long idx;
	u64 key;

	lockdep_assert_held(&nvo_ns_mutex);
	xa_for_each_start(&t->slots, idx, s, from_key >> 1) {
		key = (u64)s->e.nsid << 1;
		if (key < from_key)
			continue;
		if (snap->nr == NVO_NS_SNAP_ENTRIES &&
		    key > snap->e[snap->nr - 1].key) {
			snap->more = true;	/* the rest come later still */
			break;
		}
		nvo_ns_snap_add(snap, key, &s->e,
				s->failed ? NVO_NS_SNAP_FAILED :
				s->refused ? NVO_NS_SNAP_REFUSED :
				NVO_NS_SNAP_IN_DEVICE);
	}
	spin_lock_irq(&nvo_ns_done_lock);
	list_for_each_entry(s, &t->removing, entry) {
		key = ((u64)s->e.nsid << 1) | 1;
		if (key >= from_key)
			nvo_ns_snap_add(snap, key, &s->e, NVO_NS_SNAP_REMOVING);
	}
	spin_unlock_irq(&nvo_ns_done_lock);
}

/*
 * Copies into @snap the table with the smallest id >= @from_id (of device
 * @dev_id, or any when 0) and its entries with keys >= @from_key when its
 * id is @from_id (a dump resuming inside it), else from the first.
 * -ENOENT when there is no such table.
 */
int nvo_ns_table_snap(u32 dev_id, u32 from_id, u64 from_key,
		      struct nvo_ns_snap *snap)
{
	struct nvo_ns_table *t, *found = NULL;

	mutex_lock(&nvo_ns_mutex);
	list_for_each_entry(t, &nvo_ns_tables, entry) {
		if ((dev_id && t->dev_id != dev_id) || t->id < from_id)
			continue;
		if (!found || t->id < found->id)
			found = t;
	}
	if (!found) {
		mutex_unlock(&nvo_ns_mutex);
		return -ENOENT;
	}
	t = found;
	snap->subsys_id = t->id;
	snap->dev_id = t->dev_id;
	snap->gen = t->gen;
	snap->state = t->dead ? NVO_NS_SNAP_DEAD :
		      t->attached ? NVO_NS_SNAP_ATTACHED : NVO_NS_SNAP_DECLINED;
	/* On the list, the table has users: its subsystem is alive. */
	strscpy(snap->subsysnqn, t->subsys->subsysnqn, sizeof(snap->subsysnqn));
	snap->nr = 0;
	snap->more = false;
	nvo_ns_snap_entries(t, t->id == from_id ? from_key : 0, snap);
	mutex_unlock(&nvo_ns_mutex);
	return 0;
}

/* Module exit: every queue is gone, and with it every table. */
void nvo_ns_tables_exit(void)
{
	cancel_delayed_work_sync(&nvo_ns_work);
	WARN_ON_ONCE(!list_empty(&nvo_ns_tables));
}
