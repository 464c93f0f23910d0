// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim's namespace tables (driver API v2 section 3): one per subsystem
 * the shim attached, kept as the device's own copy. The engines look a
 * command's nsid up under RCU and take a reference on the entry while the
 * command runs; nothing on that path calls the shim. A REMOVE takes the
 * entry out at once and reports its completion (nvo_ns_update_done()) when
 * the last command holding the entry lets go. Knobs (debugfs):
 * ns_table_max (entries a table takes, 0: no limit; a full table refuses
 * the ADD, so that namespace's commands punt), ns_update_delay_ms (each
 * update applies that late: a stale window), ns_table_decline (no table
 * is taken: the engines resolve each command through the shim, v1's
 * nvo_offload_ns_get(), as a device without the table ops would) and
 * ns_table_lose (every table loses its entries and its gen, as after a
 * reset of the engine that keeps them; write 1: reported to the shim with
 * nvo_ns_table_lost(), 2: not, so the shim's next update finds the gap,
 * -ESTALE; either way it sends the whole table again). ns_fail_nsid: the
 * back end behind that nsid's entries is lost: each command that meets it
 * punts and is reported (nvo_ns_failed()) until the shim removed the entry.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "nicsim.h"

/*
 * Entries dropped together, by a resync or a lost table: when the last
 * command on the last of them ends, the group reports gen done (a resync
 * the shim waits for) or completes drained (a lost table, waited for
 * here).
 */
struct nicsim_ns_group {
	refcount_t		ref;		/* each entry's, the dropper's */
	struct nicsim_dev	*ndev;
	u32			subsys_id;
	u64			gen;
	struct completion	*drained;
};

/* A namespace of a table. */
struct nicsim_ns {
	struct nvo_ns_entry	e;		/* e.nr_blocks: READ_ONCE */
	refcount_t		ref;		/* the table's, each command's */
	struct nicsim_dev	*ndev;
	u32			subsys_id;
	u64			remove_gen;	/* its REMOVE: done at last put */
	struct nicsim_ns_group	*group;		/* dropped with others */
	struct list_head	gone;		/* on a dropper's list */
	atomic64_t		own_cmds;	/* commands executed on it */
	struct rcu_head		rcu;
};

struct nicsim_ns_table {
	struct list_head	entry;		/* ndev->ns_tables */
	u32			subsys_id;
	const char		*nqn;
	u64			gen;
	u32			nr;
	struct xarray		ns;		/* nsid -> struct nicsim_ns */
};

static void nicsim_ns_group_put(struct nicsim_ns_group *g);

void nicsim_ns_put(struct nicsim_ns *ns)
{
	if (!refcount_dec_and_test(&ns->ref))
		return;
	if (ns->remove_gen)
		nvo_ns_update_done(&ns->ndev->odev, ns->subsys_id,
				   ns->remove_gen, 0);
	if (ns->group)
		nicsim_ns_group_put(ns->group);
	kfree_rcu(ns, rcu);
}

static struct nicsim_ns_group *nicsim_ns_group_new(struct nicsim_dev *ndev,
						   u32 subsys_id)
{
	struct nicsim_ns_group *g = kzalloc(sizeof(*g), GFP_KERNEL);

	if (!g)
		return NULL;
	refcount_set(&g->ref, 1);
	g->ndev = ndev;
	g->subsys_id = subsys_id;
	return g;
}

static void nicsim_ns_group_put(struct nicsim_ns_group *g)
{
	if (!refcount_dec_and_test(&g->ref))
		return;
	if (g->gen)
		nvo_ns_update_done(&g->ndev->odev, g->subsys_id, g->gen, 0);
	if (g->drained)
		complete(g->drained);
	kfree(g);
}

/*
 * Out of @t with the others of @g (under ns_lock): no command starts on
 * it now; the table's reference moves to @list, put after the lock.
 */
static void nicsim_ns_drop(struct nicsim_ns_table *t, struct nicsim_ns *ns,
			   struct nicsim_ns_group *g, struct list_head *list)
{
	xa_erase(&t->ns, ns->e.nsid);
	t->nr--;
	refcount_inc(&g->ref);
	ns->group = g;
	list_add_tail(&ns->gone, list);
}

static void nicsim_ns_put_list(struct list_head *list)
{
	struct nicsim_ns *ns, *tmp;

	list_for_each_entry_safe(ns, tmp, list, gone) {
		list_del(&ns->gone);
		nicsim_ns_put(ns);
	}
}

/* The entry of @nsid, referenced, or NULL: the command punts. Any context. */
struct nicsim_ns *nicsim_ns_get(struct nicsim_ns_table *t, u32 nsid,
				struct nvo_ns_entry *e)
{
	struct nicsim_ns *ns;

	rcu_read_lock();
	ns = xa_load(&t->ns, nsid);
	if (ns && !refcount_inc_not_zero(&ns->ref))
		ns = NULL;
	rcu_read_unlock();
	if (ns) {
		*e = ns->e;
		e->nr_blocks = READ_ONCE(ns->e.nr_blocks);
	}
	return ns;
}

void nicsim_ns_count(struct nicsim_ns *ns)
{
	atomic64_inc(&ns->own_cmds);
}

/* debugfs ns_fail_nsid: the back end behind this entry is lost. */
bool nicsim_ns_backend_failed(struct nicsim_ns *ns)
{
	u32 nsid = READ_ONCE(ns->ndev->ns_fail_nsid);

	return nsid && nsid == ns->e.nsid;
}

/*
 * Told for each command that met the failure while the entry is still in
 * the table: the shim takes it out (a report it dropped comes again).
 */
void nicsim_ns_report_failed(struct nicsim_ns *ns)
{
	ns->ndev->ns_failed_reports++;
	nvo_ns_failed(&ns->ndev->odev, ns->subsys_id, ns->e.nsid);
}

/* Under ndev->ns_lock. */
static struct nicsim_ns_table *nicsim_ns_find(struct nicsim_dev *ndev,
					      u32 subsys_id)
{
	struct nicsim_ns_table *t;

	list_for_each_entry(t, &ndev->ns_tables, entry)
		if (t->subsys_id == subsys_id)
			return t;
	return NULL;
}

/* A queue's table (the record's subsys_id), or NULL: v1's lookups. */
struct nicsim_ns_table *nicsim_ns_table_of(struct nicsim_dev *ndev,
					   u32 subsys_id)
{
	struct nicsim_ns_table *t;

	if (!subsys_id)
		return NULL;
	mutex_lock(&ndev->ns_lock);
	t = nicsim_ns_find(ndev, subsys_id);
	mutex_unlock(&ndev->ns_lock);
	return t;
}

static int nicsim_ns_add(struct nicsim_dev *ndev, struct nicsim_ns_table *t,
			 const struct nvo_ns_entry *e)
{
	u32 max = READ_ONCE(ndev->ns_table_max);
	struct nicsim_ns *ns;
	int ret;

	if (e->kind != NVO_BACKEND_BDEV || !e->bdev)
		return -EOPNOTSUPP;
	if (max && t->nr >= max) {
		ndev->ns_table_full++;
		return -ENOSPC;
	}
	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	ns->e = *e;
	refcount_set(&ns->ref, 1);
	ns->ndev = ndev;
	ns->subsys_id = t->subsys_id;
	ret = xa_insert(&t->ns, e->nsid, ns, GFP_KERNEL);
	if (ret) {
		kfree(ns);
		return ret;
	}
	t->nr++;
	return 0;
}

int nicsim_ns_update(struct nvo_offload_dev *odev,
		     const struct nvo_ns_update *u)
{
	struct nicsim_dev *ndev = odev->priv;
	u32 delay = READ_ONCE(ndev->ns_update_delay_ms);
	struct nicsim_ns_table *t;
	struct nicsim_ns *ns;
	int ret = 0;

	if (delay)
		msleep(delay);
	mutex_lock(&ndev->ns_lock);
	t = nicsim_ns_find(ndev, u->subsys_id);
	if (!t) {
		ret = -ENOENT;
		goto out;
	}
	if (u->gen != t->gen + 1) {
		ret = -ESTALE;
		goto out;
	}
	t->gen = u->gen;
	switch (u->op) {
	case NVO_NS_ADD:
		ret = nicsim_ns_add(ndev, t, &u->e);
		break;
	case NVO_NS_RESIZE:
		ns = xa_load(&t->ns, u->e.nsid);
		if (ns)
			WRITE_ONCE(ns->e.nr_blocks, u->e.nr_blocks);
		else
			ret = -ENOENT;
		break;
	case NVO_NS_REMOVE:
		ns = xa_erase(&t->ns, u->e.nsid);
		if (!ns)
			break;	/* never had it: nothing to wait for */
		t->nr--;
		/* No command starts on it now; done when the last ends. */
		ns->remove_gen = u->gen;
		ret = -EINPROGRESS;
		nicsim_ns_put(ns);
		break;
	default:
		ret = -EINVAL;
	}
out:
	mutex_unlock(&ndev->ns_lock);
	return ret;
}

static const struct nvo_ns_entry *nicsim_ns_in(const struct nvo_ns_entry *tbl,
					       u32 nr, u32 nsid)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (tbl[i].nsid == nsid)
			return &tbl[i];
	return NULL;
}

/*
 * The shim sends a table it attached again (after -ESTALE): ours becomes
 * that one. An entry it lacks, or has otherwise than @tbl, goes; when
 * the commands on all of those ended, gen is reported done (-EINPROGRESS).
 */
static int nicsim_ns_resync(struct nicsim_dev *ndev, struct nicsim_ns_table *t,
			    const struct nvo_ns_entry *tbl, u32 nr, u64 gen)
{
	const struct nvo_ns_entry *e;
	struct nicsim_ns_group *g;
	struct nicsim_ns *ns;
	unsigned long nsid;
	LIST_HEAD(gone);
	bool dropped;
	u32 i;

	g = nicsim_ns_group_new(ndev, t->subsys_id);
	if (!g)
		return -ENOMEM;
	mutex_lock(&ndev->ns_lock);
	xa_for_each(&t->ns, nsid, ns) {
		e = nicsim_ns_in(tbl, nr, nsid);
		if (e && e->bdev == ns->e.bdev && e->flags == ns->e.flags &&
		    e->lba_shift == ns->e.lba_shift)
			WRITE_ONCE(ns->e.nr_blocks, e->nr_blocks);
		else
			nicsim_ns_drop(t, ns, g, &gone);
	}
	/* What does not fit stays out: its commands punt. */
	for (i = 0; i < nr; i++)
		if (!xa_load(&t->ns, tbl[i].nsid))
			nicsim_ns_add(ndev, t, &tbl[i]);
	t->gen = gen;
	ndev->ns_table_resyncs++;
	dropped = !list_empty(&gone);
	if (dropped)
		g->gen = gen;
	mutex_unlock(&ndev->ns_lock);
	nicsim_ns_put_list(&gone);
	/* @g may report done here or later, from the last command's end. */
	nicsim_ns_group_put(g);
	return dropped ? -EINPROGRESS : 0;
}

int nicsim_subsys_attach(struct nvo_offload_dev *odev, u32 subsys_id,
			 const char *subnqn, const struct nvo_ns_entry *tbl,
			 u32 nr, u64 gen)
{
	struct nicsim_dev *ndev = odev->priv;
	struct nicsim_ns_table *t;
	u32 i;

	if (READ_ONCE(ndev->ns_table_decline))
		return -EOPNOTSUPP;
	mutex_lock(&ndev->ns_lock);
	t = nicsim_ns_find(ndev, subsys_id);
	mutex_unlock(&ndev->ns_lock);
	/* Only the shim attaches or detaches, one call at a time. */
	if (t)
		return nicsim_ns_resync(ndev, t, tbl, nr, gen);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->nqn = kstrdup(subnqn, GFP_KERNEL);
	if (!t->nqn) {
		kfree(t);
		return -ENOMEM;
	}
	t->subsys_id = subsys_id;
	t->gen = gen;
	xa_init(&t->ns);
	/* What does not fit stays out: its commands punt. */
	for (i = 0; i < nr; i++)
		nicsim_ns_add(ndev, t, &tbl[i]);
	mutex_lock(&ndev->ns_lock);
	list_add_tail(&t->entry, &ndev->ns_tables);
	mutex_unlock(&ndev->ns_lock);
	return 0;
}

static void nicsim_ns_table_free(struct nicsim_ns_table *t)
{
	struct nicsim_ns *ns;
	unsigned long nsid;

	/* No queue uses it: no reader, and no REMOVE left to report. */
	xa_for_each(&t->ns, nsid, ns) {
		xa_erase(&t->ns, nsid);
		nicsim_ns_put(ns);
	}
	xa_destroy(&t->ns);
	kfree(t->nqn);
	kfree(t);
}

void nicsim_subsys_detach(struct nvo_offload_dev *odev, u32 subsys_id)
{
	struct nicsim_dev *ndev = odev->priv;
	struct nicsim_ns_table *t;

	mutex_lock(&ndev->ns_lock);
	t = nicsim_ns_find(ndev, subsys_id);
	if (t)
		list_del(&t->entry);
	mutex_unlock(&ndev->ns_lock);
	if (t)
		nicsim_ns_table_free(t);
}

/* The device goes: tables the shim did not detach (a failed device). */
void nicsim_ns_tables_free(struct nicsim_dev *ndev)
{
	struct nicsim_ns_table *t, *tmp;

	list_for_each_entry_safe(t, tmp, &ndev->ns_tables, entry) {
		list_del(&t->entry);
		nicsim_ns_table_free(t);
	}
}

/*
 * debugfs ns_table_lose: every table empty at gen 0; returns when the
 * commands on what it had ended. Process context.
 */
static int nicsim_ns_lose_set(void *data, u64 val)
{
	struct nicsim_dev *ndev = data;
	DECLARE_COMPLETION_ONSTACK(drained);
	struct nicsim_ns_table *t;
	struct nicsim_ns_group *g;
	struct nicsim_ns *ns;
	unsigned long nsid;
	LIST_HEAD(gone);

	if (val != 1 && val != 2)
		return -EINVAL;
	g = nicsim_ns_group_new(ndev, 0);
	if (!g)
		return -ENOMEM;
	g->drained = &drained;
	mutex_lock(&ndev->ns_lock);
	list_for_each_entry(t, &ndev->ns_tables, entry) {
		xa_for_each(&t->ns, nsid, ns)
			nicsim_ns_drop(t, ns, g, &gone);
		t->gen = 0;
		if (val == 1)
			nvo_ns_table_lost(&ndev->odev, t->subsys_id);
	}
	mutex_unlock(&ndev->ns_lock);
	nicsim_ns_put_list(&gone);
	nicsim_ns_group_put(g);
	wait_for_completion(&drained);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(nicsim_ns_lose_fops, NULL, nicsim_ns_lose_set,
			 "%llu\n");

static int nicsim_ns_tables_show(struct seq_file *m, void *unused)
{
	struct nicsim_dev *ndev = m->private;
	struct nicsim_ns_table *t;
	struct nicsim_ns *ns;
	unsigned long nsid;

	mutex_lock(&ndev->ns_lock);
	list_for_each_entry(t, &ndev->ns_tables, entry) {
		seq_printf(m, "subsys %u gen %llu entries %u nqn %s\n",
			   t->subsys_id, t->gen, t->nr, t->nqn);
		xa_for_each(&t->ns, nsid, ns)
			seq_printf(m, "  nsid %u blocks %llu lba_shift %u flags 0x%x own_cmds %lld\n",
				   ns->e.nsid, READ_ONCE(ns->e.nr_blocks),
				   ns->e.lba_shift, ns->e.flags,
				   (long long)atomic64_read(&ns->own_cmds));
	}
	mutex_unlock(&ndev->ns_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nicsim_ns_tables);

void nicsim_ns_init(struct nicsim_dev *ndev)
{
	mutex_init(&ndev->ns_lock);
	INIT_LIST_HEAD(&ndev->ns_tables);
}

void nicsim_ns_debugfs(struct nicsim_dev *ndev)
{
	debugfs_create_file("ns_tables", 0400, ndev->ddir, ndev,
			    &nicsim_ns_tables_fops);
	debugfs_create_u32("ns_table_max", 0600, ndev->ddir,
			   &ndev->ns_table_max);
	debugfs_create_u32("ns_update_delay_ms", 0600, ndev->ddir,
			   &ndev->ns_update_delay_ms);
	debugfs_create_bool("ns_table_decline", 0600, ndev->ddir,
			    &ndev->ns_table_decline);
	debugfs_create_file_unsafe("ns_table_lose", 0200, ndev->ddir, ndev,
				   &nicsim_ns_lose_fops);
	debugfs_create_ulong("ns_table_resyncs", 0400, ndev->ddir,
			     &ndev->ns_table_resyncs);
	debugfs_create_ulong("ns_table_full", 0400, ndev->ddir,
			     &ndev->ns_table_full);
	debugfs_create_u32("ns_fail_nsid", 0600, ndev->ddir,
			   &ndev->ns_fail_nsid);
	debugfs_create_ulong("ns_failed_reports", 0400, ndev->ddir,
			     &ndev->ns_failed_reports);
}
