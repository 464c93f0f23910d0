// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim's NVMe/RDMA hook: the device's driver ops forward what concerns
 * its RDMA queues to nicsim_rdma.ko, which registers here when loaded. So
 * nicsim.ko needs neither ib_core nor rdma_cm (many test VMs have no RDMA),
 * and a device takes RDMA queues only while nicsim_rdma is there.
 *
 * The registration is RCU-protected. Each forwarded call holds a reference
 * on nicsim_rdma's module for its duration; nicsim_rdma holds one more per
 * queue it serves, so it cannot go while it has queues, and a call for a
 * queue it has handed back finds nothing to do (or no module: a no-op).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>

#include "nicsim.h"

static const struct nicsim_rdma_ops __rcu *nicsim_rdma;
/* Serialises register and unregister. */
static DEFINE_MUTEX(nicsim_rdma_lock);

int nicsim_rdma_register(const struct nicsim_rdma_ops *ops)
{
	int ret = 0;

	mutex_lock(&nicsim_rdma_lock);
	if (rcu_access_pointer(nicsim_rdma))
		ret = -EBUSY;
	else
		rcu_assign_pointer(nicsim_rdma, ops);
	mutex_unlock(&nicsim_rdma_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(nicsim_rdma_register);

/* Returns once no forwarded call can still be entering @ops. */
void nicsim_rdma_unregister(const struct nicsim_rdma_ops *ops)
{
	mutex_lock(&nicsim_rdma_lock);
	if (rcu_access_pointer(nicsim_rdma) == ops)
		RCU_INIT_POINTER(nicsim_rdma, NULL);
	mutex_unlock(&nicsim_rdma_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(nicsim_rdma_unregister);

/* The registered ops with a module reference, or NULL. Any context. */
static const struct nicsim_rdma_ops *nicsim_rdma_get(void)
{
	const struct nicsim_rdma_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(nicsim_rdma);
	if (ops && !try_module_get(ops->owner))
		ops = NULL;
	rcu_read_unlock();
	return ops;
}

static void nicsim_rdma_put(const struct nicsim_rdma_ops *ops)
{
	module_put(ops->owner);
}

int nicsim_rdma_accept_hook(struct nvo_offload_queue *oq,
			    const struct nvo_rdma_conn *c)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	const struct nicsim_rdma_ops *ops;
	int ret;

	ops = nicsim_rdma_get();
	if (!ops)
		return -EOPNOTSUPP;
	/* After the module check: a refusal is counted down only when real. */
	if (nicsim_fault_refuse_offload(ndev)) {
		pr_info("%s: qid %u: RDMA offload refused (refuse_next_offload)\n",
			ndev->odev.name, c->qid);
		ret = -EBUSY;
	} else {
		ret = ops->accept(ndev, oq, c);
	}
	nicsim_rdma_put(ops);
	return ret;
}

/* As an accept: refuse_next_offload applies to a live take too. */
int nicsim_rdma_take_hook(struct nvo_offload_queue *oq,
			  struct nvo_handover *h)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	const struct nicsim_rdma_ops *ops;
	int ret;

	ops = nicsim_rdma_get();
	if (!ops)
		return -EOPNOTSUPP;
	if (nicsim_fault_refuse_offload(ndev)) {
		pr_info("%s: qid %u: RDMA take refused (refuse_next_offload)\n",
			ndev->odev.name, h->qid);
		ret = -EBUSY;
	} else {
		ret = ops->take(ndev, oq, h);
	}
	nicsim_rdma_put(ops);
	return ret;
}

/*
 * From the lent CQ's completion handler: any context, hard interrupt
 * included, under the shim's rcu_read_lock(). nicsim_rdma_get() neither
 * sleeps nor locks; with nicsim_rdma gone there is no queue to wake.
 */
void nicsim_rdma_cq_wake_hook(struct nvo_offload_queue *oq)
{
	const struct nicsim_rdma_ops *ops = nicsim_rdma_get();

	if (!ops)
		return;
	ops->cq_wake(oq);
	nicsim_rdma_put(ops);
}

void nicsim_rdma_reclaim_hook(struct nvo_offload_queue *oq)
{
	const struct nicsim_rdma_ops *ops = nicsim_rdma_get();

	if (!ops)
		return;
	ops->reclaim(oq);
	nicsim_rdma_put(ops);
}

void nicsim_rdma_kill_hook(struct nvo_offload_queue *oq)
{
	const struct nicsim_rdma_ops *ops = nicsim_rdma_get();

	if (!ops)
		return;
	ops->kill(oq);
	nicsim_rdma_put(ops);
}

void nicsim_rdma_punt_done_hook(struct nvo_offload_queue *oq, void *cookie,
				const struct nvme_completion *cqe)
{
	const struct nicsim_rdma_ops *ops = nicsim_rdma_get();

	/* A punt is only outstanding on a queue nicsim_rdma holds. */
	if (WARN_ON_ONCE(!ops))
		return;
	ops->punt_done(oq, cookie, cqe);
	nicsim_rdma_put(ops);
}

void nicsim_rdma_crash_hook(struct nicsim_dev *ndev)
{
	const struct nicsim_rdma_ops *ops = nicsim_rdma_get();

	if (!ops)
		return;
	ops->crash(ndev);
	nicsim_rdma_put(ops);
}

void nicsim_rdma_freeze_hook(struct nvo_offload_queue *oq)
{
	const struct nicsim_rdma_ops *ops = nicsim_rdma_get();

	if (!ops)
		return;
	ops->freeze(oq);
	nicsim_rdma_put(ops);
}

void nicsim_rdma_thaw_hook(struct nicsim_dev *ndev)
{
	const struct nicsim_rdma_ops *ops = nicsim_rdma_get();

	if (!ops)
		return;
	ops->thaw(ndev);
	nicsim_rdma_put(ops);
}

static int nicsim_atomic64_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(nicsim_atomic64_fops, nicsim_atomic64_get, NULL,
			 "%llu\n");

/* The RDMA engine's counts, read-only, under nicsim/nicsimID/. */
void nicsim_rdma_debugfs(struct nicsim_dev *ndev)
{
	struct nicsim_rdma_counts *r = &ndev->rdma;

	debugfs_create_atomic_t("rdma_queues", 0400, ndev->ddir, &r->queues);
	debugfs_create_file_unsafe("rdma_own", 0400, ndev->ddir, &r->own,
				   &nicsim_atomic64_fops);
	debugfs_create_file_unsafe("rdma_punts", 0400, ndev->ddir, &r->punts,
				   &nicsim_atomic64_fops);
	debugfs_create_file_unsafe("rdma_failed", 0400, ndev->ddir, &r->failed,
				   &nicsim_atomic64_fops);
	debugfs_create_file_unsafe("rdma_backend_errors", 0400, ndev->ddir,
				   &r->backend_errors, &nicsim_atomic64_fops);
}
