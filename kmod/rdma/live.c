// SPDX-License-Identifier: GPL-2.0
/*
 * A running NVMe/RDMA I/O queue moving to the offload device bound to its
 * port and back, live (driver API: ops->rdma_take, the record of
 * <linux/nvmet_offload_rdma.h>). The QP, its CQ and the receive buffers
 * stay ours; what moves is the right to post on the QP and to poll the CQ.
 *
 * Taking: capsules polled from now on are parked (copied into the record,
 * their buffers posted again) instead of started; once every command we
 * started has ended (responses sent and their completions polled), the
 * CQ's handler wakes the device instead of our poll work, which is flushed,
 * and the device is handed the record. Giving back (queue-set off, the
 * device going): queue_reclaim(); the device parks, drains and answers with
 * a record; our poll work starts its parked commands, then polls again.
 * nvmet's queue, its controller and the host's connection never notice.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/wait.h>

#include "../compat.h"
#include "../nport.h"
#include "rdma.h"

/* No command of ours outstanding, or no point waiting for that. */
static bool nvo_rdma_idle(struct nvo_rdma_queue *queue)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&queue->lock, flags);
	idle = !queue->nr_busy || queue->state != NVO_RDMA_Q_LIVE;
	spin_unlock_irqrestore(&queue->lock, flags);
	return idle;
}

/*
 * Our poll work stops (@hold) or polls again. Held, it starts nothing: a
 * hand-over's record can be completed or swapped under it.
 */
static void nvo_rdma_poll_hold(struct nvo_rdma_queue *queue, bool hold)
{
	WRITE_ONCE(queue->poll_held, hold);
	if (hold)
		flush_work(&queue->poll_work);
	else
		nvo_rdma_poll_kick(queue);
}

/*
 * The CQ's polling is ours again, held (nvo_rdma_poll_hold(queue, false)
 * lets it go): no rdma_cq_wake() runs any more, and the buffers, whose
 * handler was the device's, have ours before anything polls them.
 */
static void nvo_rdma_poll_back(struct nvo_rdma_queue *queue)
{
	nvo_rdma_poll_hold(queue, true);
	WRITE_ONCE(queue->dev_polls, false);
	synchronize_rcu();
	nvo_rdma_recv_done_set(queue);
}

/*
 * The move did not happen: the capsules parked meanwhile are started
 * first by our poll work, then it polls again.
 */
static void nvo_rdma_unpark(struct nvo_rdma_queue *queue)
{
	struct nvo_handover *h;
	unsigned long flags;

	nvo_rdma_poll_hold(queue, true);
	spin_lock_irqsave(&queue->lock, flags);
	h = queue->park;
	queue->park = NULL;
	queue->resume = h;
	spin_unlock_irqrestore(&queue->lock, flags);
	nvo_rdma_poll_hold(queue, false);
}

static void nvo_rdma_fill_record(struct nvo_rdma_queue *queue,
				 struct nvo_handover *h)
{
	struct nvmet_ctrl *ctrl = READ_ONCE(queue->nvme_sq.ctrl);

	h->rdma = &queue->rq;
	h->qid = queue->host_qid;
	h->sqhd = READ_ONCE(queue->nvme_sq.sqhd);
	h->sqhd_disabled = queue->nvme_sq.sqhd_disabled;
	h->inline_limit = queue->inline_size;
	h->cntlid = ctrl ? ctrl->cntlid : 0;
	h->subsys_id = 0;	/* namespaces through nvo_offload_ns_get() */
}

/* Under move_lock: hand the queue to the device bound to its port. */
static int nvo_rdma_live_take(struct nvo_rdma_queue *queue)
{
	struct nvo_offload_queue *oq = &queue->oq;
	u16 portid = nvo_nport_id(queue->nport);
	struct nvo_offload_dev *dev;
	struct nvo_handover *h;
	u32 reclaim_ms, kill_ms;
	unsigned long flags;
	int ret;

	if (queue->offloaded)
		return queue->live ? 0 : -EOPNOTSUPP;
	if (!queue->host_qid)
		return -EINVAL;
	if (!queue->qp || READ_ONCE(queue->resume))
		return -EBUSY;	/* its last record's commands not started */
	h = nvo_handover_alloc(queue->recv_size, GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	dev = nvo_peer_live_dev(portid, NVO_TR_RDMA, queue->recv_size,
				queue->inline_size, &ret);
	if (!dev) {
		nvo_handover_free(h);
		return ret;
	}

	spin_lock_irqsave(&queue->lock, flags);
	if (queue->state != NVO_RDMA_Q_LIVE) {
		spin_unlock_irqrestore(&queue->lock, flags);
		nvo_handover_free(h);
		nvo_peer_dev_put(dev);
		return -ESHUTDOWN;
	}
	queue->park = h;
	spin_unlock_irqrestore(&queue->lock, flags);

	/* Our commands end within the reclaim timeout, as a device's must. */
	nvo_peer_timeouts(&reclaim_ms, &kill_ms);
	if (!wait_event_timeout(queue->idle_wq, nvo_rdma_idle(queue),
				msecs_to_jiffies(reclaim_ms))) {
		ret = -ETIMEDOUT;
		goto unpark;
	}
	if (READ_ONCE(queue->state) != NVO_RDMA_Q_LIVE || queue->park_full) {
		ret = -ESHUTDOWN;
		goto unpark;
	}

	oq->dev = dev;
	oq->dev_priv = NULL;
	oq->engine = -1;
	oq->id = queue->id;
	oq->trtype = NVO_TR_RDMA;
	oq->qid = queue->host_qid;
	oq->depth = queue->recv_size;
	oq->cntlid = 0;
	memset(&oq->stats, 0, sizeof(oq->stats));
	/* From here the CQ's handler wakes the device; our work stops. */
	smp_store_release(&queue->dev_polls, true);
	flush_work(&queue->poll_work);
	spin_lock_irqsave(&queue->lock, flags);
	queue->park = NULL;	/* complete: nothing polls into it now */
	queue->offloaded = true;
	queue->live = true;
	queue->returned = false;
	queue->answered = false;
	queue->why = NVO_FALLBACK_NONE;
	spin_unlock_irqrestore(&queue->lock, flags);
	nvo_rdma_fill_record(queue, h);
	oq->cntlid = h->cntlid;
	queue->traffic_seen = 0;
	queue_delayed_work(system_wq, &queue->traffic_dwork, HZ);

	/* The device may hand the queue back before rdma_take() returns. */
	nvo_peer_dev_hold(dev);
	ret = dev->ops->rdma_take(oq, h);
	if (ret) {
		pr_info_ratelimited("queue %u: %s refused it live (%d): stays in software\n",
				    queue->host_qid, dev->name, ret);
		cancel_delayed_work_sync(&queue->traffic_dwork);
		nvo_rdma_poll_back(queue);
		spin_lock_irqsave(&queue->lock, flags);
		queue->offloaded = false;
		queue->resume = h;	/* the device left the record to us */
		spin_unlock_irqrestore(&queue->lock, flags);
		nvo_peer_offload_end(dev, false, NVO_FALLBACK_REFUSED, NULL);
		nvo_peer_dev_put(dev);
		nvo_rdma_poll_hold(queue, false);
		return ret;
	}
	nvo_peer_offloaded(dev);
	pr_debug("queue %u: taken live by %s\n", queue->host_qid, dev->name);
	/* Unbound meanwhile: dev_gone may have missed the queue. */
	if (!nvo_peer_dev_bound(portid, dev))
		queue_work(nvmet_wq, &queue->give_back_work);
	nvo_peer_dev_put(dev);
	return 0;

unpark:
	nvo_rdma_unpark(queue);
	nvo_peer_dev_put(dev);
	return ret;
}

/*
 * Under move_lock: ask the device for the queue back, live. One that
 * answers neither the reclaim nor the kill in time loses the connection:
 * the release then parks the queue and fails the device as at connect.
 */
static int nvo_rdma_live_give_back(struct nvo_rdma_queue *queue)
{
	if (!queue->offloaded || nvo_rdma_is_answered(queue))
		return 0;
	if (!queue->live)
		return -EOPNOTSUPP;	/* taken at connect: the QP is its */
	if (nvo_rdma_reclaim_wait(queue))
		return 0;
	pr_warn("queue %u: %s does not give it back: ending the connection\n",
		queue->host_qid, queue->oq.dev->name);
	nvo_rdma_queue_kill(queue);
	return -ETIMEDOUT;
}

/*
 * The device let go of a queue it took live (@h: its record, or NULL: the
 * connection is lost). Process context: we wait for the device's CQ wakes
 * and our punts' calls into it to be over before it may forget the queue.
 */
static void nvo_rdma_live_returned(struct nvo_rdma_queue *queue,
				   enum nvo_fallback_reason reason,
				   struct nvo_handover *h)
{
	struct nvo_offload_queue *oq = &queue->oq;
	struct nvo_offload_dev *dev = oq->dev;
	unsigned long flags;
	bool first, parked;

	might_sleep();
	nvo_rdma_poll_back(queue);
	wait_var_event(&queue->nr_punts, !atomic_read(&queue->nr_punts));
	cancel_delayed_work_sync(&queue->traffic_dwork);

	spin_lock_irqsave(&queue->lock, flags);
	first = !queue->returned;
	queue->returned = true;
	queue->why = reason;
	queue->offloaded = false;
	parked = queue->parked;
	if (first && h && !parked && !queue->resume) {
		/* The device's SQ head is the host's: nvmet goes on from it. */
		if (!queue->nvme_sq.sqhd_disabled && queue->nvme_sq.size)
			WRITE_ONCE(queue->nvme_sq.sqhd,
				   h->sqhd % queue->nvme_sq.size);
		swap(queue->resume, h);
	}
	spin_unlock_irqrestore(&queue->lock, flags);
	WARN_ON_ONCE(!first);
	if (first)
		nvo_peer_offload_end(dev, true, h ? NVO_FALLBACK_STREAM_LOST :
					       reason, &oq->stats);
	if (h || !READ_ONCE(queue->resume)) {
		/* No record we can go on from: the connection cannot. */
		nvo_handover_free(h);
		if (!parked)
			pr_warn_ratelimited("queue %u: %s gave it back without a record (%s): ending the connection\n",
					    queue->host_qid, dev->name,
					    nvo_fallback_reason_name(reason));
		nvo_rdma_queue_kill(queue);
	} else if (reason != NVO_FALLBACK_NONE) {
		pr_warn_ratelimited("queue %u: %s gave it back (%s): served in software\n",
				    queue->host_qid, dev->name,
				    nvo_fallback_reason_name(reason));
	}
	nvo_rdma_poll_hold(queue, false);
	/* Last: a waiter may free the queue from here. */
	nvo_rdma_answered(queue);
}

/* The device goes, or failed: the queue comes back live if it can. */
void nvo_rdma_give_back_work(struct work_struct *w)
{
	struct nvo_rdma_queue *queue =
		container_of(w, struct nvo_rdma_queue, give_back_work);

	mutex_lock(&queue->move_lock);
	nvo_rdma_live_give_back(queue);
	mutex_unlock(&queue->move_lock);
}

/* queue-set on a queue of ours (peer op, peer.h says the errors). */
int nvo_rdma_queue_set(u32 id, bool on)
{
	struct nvo_rdma_queue *queue;
	bool found = false;
	int ret;

	mutex_lock(&nvo_rdma_queues_lock);
	list_for_each_entry(queue, &nvo_rdma_queues, entry) {
		if (queue->id == id) {
			found = true;
			break;
		}
	}
	if (!found) {
		mutex_unlock(&nvo_rdma_queues_lock);
		return -ENOENT;
	}
	/* Held, the queue is not freed (its release takes it). */
	if (!mutex_trylock(&queue->move_lock)) {
		mutex_unlock(&nvo_rdma_queues_lock);
		return -EBUSY;
	}
	mutex_unlock(&nvo_rdma_queues_lock);
	ret = on ? nvo_rdma_live_take(queue) : nvo_rdma_live_give_back(queue);
	mutex_unlock(&queue->move_lock);
	return ret;
}

/*
 * @dev goes or failed: a queue it took live comes back live; one it took at
 * connect ends (its connection: the QP is the device's).
 */
void nvo_rdma_dev_gone(struct nvo_offload_dev *dev)
{
	struct nvo_rdma_queue *queue;

	mutex_lock(&nvo_rdma_queues_lock);
	list_for_each_entry(queue, &nvo_rdma_queues, entry) {
		if (!queue->offloaded || queue->oq.dev != dev)
			continue;
		if (queue->live)
			queue_work(nvmet_wq, &queue->give_back_work);
		else
			nvo_rdma_queue_kill(queue);
	}
	mutex_unlock(&nvo_rdma_queues_lock);
}

/*
 * The device gave the queue back (the driver API's reclaimed or failed, a
 * peer op): one taken live goes on in software if it can, one taken at
 * connect ends (offload.c).
 */
void nvo_rdma_returned(struct nvo_offload_queue *oq,
		       enum nvo_fallback_reason reason, struct nvo_handover *h)
{
	struct nvo_rdma_queue *queue = nvo_rdma_oq_queue(oq);

	if (queue->live) {
		nvo_rdma_live_returned(queue, reason, h);
		return;
	}
	/* Taken at connect: the connection ends, there is nothing to resume. */
	WARN_ON_ONCE(h);
	nvo_handover_free(h);
	nvo_rdma_connect_returned(queue, reason);
}
