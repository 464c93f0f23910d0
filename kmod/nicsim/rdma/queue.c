// SPDX-License-Identifier: GPL-2.0
/*
 * The driver ops of a nicsim device's NVMe/RDMA queues, as nicsim.ko
 * forwards them (rdma_hook.c): taking a queue at its connection request or
 * live, and the calls the shim makes on it until it is handed back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "nsr.h"

/*
 * Within the device's capabilities for RDMA queues (read at each accept or
 * take): @how is how the queue comes (enum nvo_take).
 */
static int nsr_check_caps(struct nicsim_dev *ndev, u32 how, u16 sq_size,
			  u32 inline_size)
{
	const struct nvo_tr_caps *caps = &ndev->odev.caps.tr[NVO_TR_RDMA];

	if (!(READ_ONCE(caps->take) & how))
		return -EOPNOTSUPP;
	if (!sq_size || sq_size < READ_ONCE(caps->min_queue_depth) ||
	    sq_size > READ_ONCE(caps->max_queue_depth))
		return -EOPNOTSUPP;
	if (inline_size > READ_ONCE(caps->max_inline))
		return -EOPNOTSUPP;
	return 0;
}

static int nsr_check(struct nicsim_dev *ndev, const struct nvo_rdma_conn *c)
{
	if (!c->cm_id || !c->pd || !c->qid)
		return -EINVAL;
	return nsr_check_caps(ndev, NVO_TAKE_AT_CONNECT, c->sq_size,
			      c->inline_size);
}

/* A queue's state before its verbs resources, which accept or take add. */
static struct nsr_queue *nsr_queue_alloc(struct nicsim_dev *ndev,
					 struct nvo_offload_queue *oq,
					 u16 qid, u16 sq_size)
{
	struct nsr_queue *q;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return NULL;
	q->ndev = ndev;
	q->oq = oq;
	q->qid = qid;
	q->sq_size = sq_size;
	/* A slot stays busy until its response SEND completes. */
	q->nr_cmds = 2 * sq_size;
	INIT_LIST_HEAD(&q->free_cmds);
	INIT_LIST_HEAD(&q->stage_wait);
	INIT_LIST_HEAD(&q->wr_wait);
	INIT_LIST_HEAD(&q->retry_list);
	INIT_LIST_HEAD(&q->delayed);
	INIT_LIST_HEAD(&q->done_list);
	spin_lock_init(&q->done_lock);
	init_waitqueue_head(&q->wq);
	return q;
}

/* The queue is the device's: the shim's calls find it from now on. */
static void nsr_queue_publish(struct nsr_queue *q)
{
	struct nicsim_dev *ndev = q->ndev;

	mutex_lock(&ndev->lock);
	WRITE_ONCE(q->oq->dev_priv, q);
	q->oq->engine = -1;	/* a thread of its own, not a nicsim engine */
	list_add_tail(&q->dev_entry, &ndev->rdma_queues);
	mutex_unlock(&ndev->lock);
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
	/* offload_delay_ms: the shim's queue waits in its offloading state. */
	nicsim_fault_offload_delay(ndev);
	if (atomic_inc_return(&ndev->rdma.queues) > max_queues) {
		ret = -EBUSY;
		goto err_count;
	}
	q = nsr_queue_alloc(ndev, oq, c->qid, c->sq_size);
	if (!q) {
		ret = -ENOMEM;
		goto err_count;
	}
	q->cm_id = c->cm_id;
	q->pd = c->pd;
	q->ibdev = c->cm_id->device;
	q->port_num = c->cm_id->port_num;
	q->inline_size = c->inline_size;

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

	nsr_queue_publish(q);
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

/*
 * Take a running queue on the shim's QP, CQ and receive ring (lent.c).
 * Nothing of the shim's changes unless it succeeds: the ring's entries are
 * pointed at us only once nothing can fail. The record's parked commands
 * are started by the thread, first, which then frees the record.
 */
static int nsr_take(struct nicsim_dev *ndev, struct nvo_offload_queue *oq,
		    struct nvo_handover *h)
{
	u32 max_queues = READ_ONCE(ndev->odev.caps.tr[NVO_TR_RDMA].max_queues);
	struct nsr_queue *q;
	int ret;

	if (!h->qid)
		return -EINVAL;
	ret = nsr_check_caps(ndev, NVO_TAKE_LIVE, h->sq_size,
			     h->rdma ? max(h->rdma->inline_size,
					   h->inline_limit) : 0);
	if (ret)
		return ret;
	ret = nsr_lent_check(h);
	if (ret)
		return ret;
	/*
	 * offload_delay_ms, before anything is touched: the shim's CQ handler
	 * already calls rdma_cq_wake(), which finds no queue yet.
	 */
	nicsim_fault_offload_delay(ndev);
	if (atomic_inc_return(&ndev->rdma.queues) > max_queues) {
		ret = -EBUSY;
		goto err_count;
	}
	q = nsr_queue_alloc(ndev, oq, h->qid, h->sq_size);
	if (!q) {
		ret = -ENOMEM;
		goto err_count;
	}
	/* No Connect comes on a taken queue: its SQ head goes on. */
	q->sqhd = h->sqhd;
	q->sqhd_disabled = h->sqhd_disabled;
	q->inline_limit = h->inline_limit;
	ret = nsr_lent_create(q, h->rdma);
	if (ret)
		goto err_lent;
	ret = nsr_engine_create(q);
	if (ret)
		goto err_lent;

	nsr_cmds_setup(q);
	q->parked_in = h;
	nsr_queue_publish(q);
	pr_debug("%s: qid %u: RDMA queue taken live (depth %u, inline %u, %u parked, sqhd %u)\n",
		 ndev->odev.name, q->qid, q->sq_size, q->inline_size,
		 h->nr_parked, h->sqhd);
	/* Its first turn polls the CQ: completions may be waiting. */
	nsr_engine_start(q);
	return 0;

err_lent:
	nsr_lent_destroy(q);
	kfree(q);
err_count:
	atomic_dec(&ndev->rdma.queues);
	return ret;
}

/*
 * The lent CQ's completion handler (any context, hard interrupt included,
 * under the shim's rcu_read_lock()): the queue stays until the shim's
 * answer to its hand-back returns, and dev_priv is NULL before that.
 */
static void nsr_cq_wake(struct nvo_offload_queue *oq)
{
	struct nsr_queue *q = READ_ONCE(oq->dev_priv);

	if (q)
		nsr_request(q, NSR_REQ_CQ);
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
	.take		= nsr_take,
	.cq_wake	= nsr_cq_wake,
	.reclaim	= nsr_reclaim,
	.kill		= nsr_kill,
	.punt_done	= nsr_punt_done,
	.crash		= nsr_crash,
	.freeze		= nsr_freeze,
	.thaw		= nsr_thaw,
};
