// SPDX-License-Identifier: GPL-2.0
/*
 * The driver ops of a nicsim device's NVMe/RDMA queues, as nicsim.ko
 * forwards them (rdma_hook.c): taking a queue at its connection request,
 * and the calls the shim makes on it until it is handed back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "nsr.h"

/* Within the device's capabilities for RDMA queues (read at each accept). */
static int nsr_check(struct nicsim_dev *ndev, const struct nvo_rdma_conn *c)
{
	const struct nvo_tr_caps *caps = &ndev->odev.caps.tr[NVO_TR_RDMA];

	if (!(READ_ONCE(caps->take) & NVO_TAKE_AT_CONNECT))
		return -EOPNOTSUPP;
	if (!c->cm_id || !c->pd || !c->qid)
		return -EINVAL;
	if (!c->sq_size || c->sq_size < READ_ONCE(caps->min_queue_depth) ||
	    c->sq_size > READ_ONCE(caps->max_queue_depth))
		return -EOPNOTSUPP;
	if (c->inline_size > READ_ONCE(caps->max_inline))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * Build the queue's CQ, QP and receives on the shim's CM id and start its
 * thread. On error nothing of ours is left on the id.
 */
static int nsr_accept(struct nicsim_dev *ndev, struct nvo_offload_queue *oq,
		      const struct nvo_rdma_conn *c)
{
	u32 max_queues = READ_ONCE(ndev->odev.caps.tr[NVO_TR_RDMA].max_queues);
	struct nsr_queue *q;
	int ret;

	ret = nsr_check(ndev, c);
	if (ret)
		return ret;
	if (atomic_inc_return(&ndev->rdma.queues) > max_queues) {
		ret = -EBUSY;
		goto err_count;
	}
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q) {
		ret = -ENOMEM;
		goto err_count;
	}
	q->ndev = ndev;
	q->oq = oq;
	q->cm_id = c->cm_id;
	q->pd = c->pd;
	q->ibdev = c->cm_id->device;
	q->port_num = c->cm_id->port_num;
	q->qid = c->qid;
	q->sq_size = c->sq_size;
	q->inline_size = c->inline_size;
	/* A slot stays busy until its response SEND completes. */
	q->nr_cmds = 2 * c->sq_size;
	INIT_LIST_HEAD(&q->free_cmds);
	INIT_LIST_HEAD(&q->stage_wait);
	INIT_LIST_HEAD(&q->wr_wait);
	INIT_LIST_HEAD(&q->retry_list);
	INIT_LIST_HEAD(&q->done_list);
	spin_lock_init(&q->done_lock);
	init_waitqueue_head(&q->wq);

	ret = nsr_qp_create(q);
	if (ret) {
		pr_warn_ratelimited("%s: qid %u: cannot set up the QP (depth %u): %d\n",
				    ndev->odev.name, q->qid, q->sq_size, ret);
		goto err_qp;
	}
	nsr_cmds_setup(q);
	ret = nsr_engine_create(q);
	if (ret)
		goto err_qp;

	mutex_lock(&ndev->lock);
	oq->dev_priv = q;
	oq->engine = -1;	/* a thread of its own, not a nicsim engine */
	list_add_tail(&q->dev_entry, &ndev->rdma_queues);
	mutex_unlock(&ndev->lock);
	pr_debug("%s: qid %u: RDMA queue taken (depth %u, inline %u)\n",
		 ndev->odev.name, q->qid, q->sq_size, q->inline_size);
	nsr_engine_start(q);
	return 0;

err_qp:
	nsr_qp_destroy(q);
	kfree(q);
err_count:
	atomic_dec(&ndev->rdma.queues);
	return ret;
}

/* Wake the queue's thread for @bit, if the device still has the queue. */
static void nsr_queue_request(struct nvo_offload_queue *oq, int bit)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	struct nsr_queue *q;

	/* dev_priv goes NULL, under the lock, before the queue is freed. */
	mutex_lock(&ndev->lock);
	q = oq->dev_priv;
	if (q)
		nsr_request(q, bit);
	mutex_unlock(&ndev->lock);
}

/* The shim's deadline is its own: the queue stops as fast as it can. */
static void nsr_reclaim(struct nvo_offload_queue *oq)
{
	nsr_queue_request(oq, NSR_REQ_RECLAIM);
}

static void nsr_kill(struct nvo_offload_queue *oq)
{
	nsr_queue_request(oq, NSR_REQ_KILL);
}

static void nsr_punt_done(struct nvo_offload_queue *oq, void *cookie,
			  const struct nvme_completion *cqe)
{
	struct nsr_cmd *c = cookie;

	/* Nothing after nsr_cmd_done(): the queue may be gone then. */
	c->cqe = *cqe;
	nsr_cmd_done(c);
}

/* kill_hang: the queue's thread stops until the device goes. */
static void nsr_freeze(struct nvo_offload_queue *oq)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	struct nsr_queue *q;

	mutex_lock(&ndev->lock);
	q = oq->dev_priv;
	if (q)
		WRITE_ONCE(q->frozen, true);
	mutex_unlock(&ndev->lock);
}

/* The device goes: each frozen queue is killed and wakes to stop. */
static void nsr_thaw(struct nicsim_dev *ndev)
{
	struct nsr_queue *q;

	mutex_lock(&ndev->lock);
	list_for_each_entry(q, &ndev->rdma_queues, dev_entry) {
		if (!READ_ONCE(q->frozen))
			continue;
		set_bit(NSR_REQ_KILL, &q->requests);
		WRITE_ONCE(q->frozen, false);
		wake_up(&q->wq);
	}
	mutex_unlock(&ndev->lock);
}

/* Every queue the device holds fails, as when its engine dies. */
static void nsr_crash(struct nicsim_dev *ndev)
{
	struct nsr_queue *q;

	mutex_lock(&ndev->lock);
	list_for_each_entry(q, &ndev->rdma_queues, dev_entry)
		nsr_request(q, NSR_REQ_CRASH);
	mutex_unlock(&ndev->lock);
}

const struct nicsim_rdma_ops nsr_ops = {
	.owner		= THIS_MODULE,
	.accept		= nsr_accept,
	.reclaim	= nsr_reclaim,
	.kill		= nsr_kill,
	.punt_done	= nsr_punt_done,
	.crash		= nsr_crash,
	.freeze		= nsr_freeze,
	.thaw		= nsr_thaw,
};
