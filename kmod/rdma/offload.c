// SPDX-License-Identifier: GPL-2.0
/*
 * An NVMe/RDMA I/O queue an offload device takes at its connect (driver
 * API: struct nvo_rdma_conn, ops->rdma_accept). The device builds its QP
 * on our CM id and receives every capsule; we keep the id and its events,
 * the nvmet queue (the commands it punts run through our command slots),
 * and the controller's keep-alive. The queue stays on the device until its
 * connection ends: then the device is asked for it back, and only once it
 * has destroyed its QP and answered every punt is the queue released.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/wait.h>

#include "../compat.h"
#include "../nport.h"
#include "rdma.h"

/*
 * Keep-alive: nvmet expires a controller whose queues show no command for
 * KATO (TBKAS), and it sees none of the device's; so every KATO/2 the
 * completions the device counted (oq->stats.lat_hist) are looked at, and
 * the controller marked busy when they moved. Before the Connect there is
 * no controller: looked at again a second later.
 */
void nvo_rdma_traffic_work(struct work_struct *w)
{
	struct nvo_rdma_queue *queue =
		container_of(to_delayed_work(w), struct nvo_rdma_queue,
			     traffic_dwork);
	struct nvmet_ctrl *ctrl = READ_ONCE(queue->nvme_sq.ctrl);
	u64 seen = nvo_offload_completions(&queue->oq.stats);
	unsigned long period = HZ;

	if (ctrl && seen != queue->traffic_seen)
		WRITE_ONCE(ctrl->reset_tbkas, true);
	queue->traffic_seen = seen;
	if (ctrl && ctrl->kato)
		period = max_t(unsigned long, ctrl->kato * HZ / 2, 1);
	queue_delayed_work(system_wq, &queue->traffic_dwork, period);
}

/*
 * At the connection request of I/O queue @queue: true when the device
 * bound to its port took it (its QP is on the id), false when the queue is
 * to be served in software (no device, not admitted, or refused).
 */
bool nvo_rdma_offload_connect(struct nvo_rdma_queue *queue,
			      const struct rdma_conn_param *host)
{
	struct nvo_offload_queue *oq = &queue->oq;
	struct nvo_rdma_conn conn = {
		.cm_id			= queue->cm_id,
		.pd			= queue->dev->pd,
		.qid			= queue->host_qid,
		.sq_size		= queue->recv_size,
		.inline_size		= queue->inline_size,
		.initiator_depth	=
			min_t(u8, host->initiator_depth,
			      queue->cm_id->device->attrs.max_qp_init_rd_atom),
		.responder_resources	= host->responder_resources,
	};
	struct nvo_offload_dev *dev;
	int ret;

	dev = nvo_peer_admit(nvo_nport_id(queue->nport), NVO_TR_RDMA,
			     queue->recv_size, queue->inline_size);
	if (!dev)
		return false;
	oq->dev = dev;
	oq->id = queue->id;
	oq->trtype = NVO_TR_RDMA;
	oq->qid = queue->host_qid;
	oq->depth = queue->recv_size;
	ret = dev->ops->rdma_accept(oq, &conn);
	if (ret || WARN_ON_ONCE(!queue->cm_id->qp)) {
		pr_info_ratelimited("queue %u: %s refused it (%d): served in software\n",
				    queue->host_qid, dev->name, ret);
		oq->dev = NULL;
		oq->dev_priv = NULL;
		nvo_peer_offload_end(dev, false, NVO_FALLBACK_REFUSED, NULL);
		return false;
	}
	queue->offloaded = true;
	nvo_peer_offloaded(dev);
	queue_delayed_work(system_wq, &queue->traffic_dwork, HZ);
	return true;
}

/* The device's answer is complete (nvo_rdma_answered()). */
bool nvo_rdma_is_answered(struct nvo_rdma_queue *queue)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&queue->lock, flags);
	ret = queue->answered;
	spin_unlock_irqrestore(&queue->lock, flags);
	return ret;
}

/*
 * The device's answer is complete: what waits for it (a release, a live
 * give-back) goes on, and may free the queue at once, so this is the
 * answer's last touch of the queue. The wake is under the queue's lock,
 * which the waiters' check takes: none sees the answer before it is done.
 * A queue parked meanwhile has no waiter: its release runs again.
 */
void nvo_rdma_answered(struct nvo_rdma_queue *queue)
{
	unsigned long flags;
	bool parked;

	spin_lock_irqsave(&queue->lock, flags);
	queue->answered = true;
	parked = queue->parked;
	if (!parked)
		wake_up(&queue->returned_wq);
	spin_unlock_irqrestore(&queue->lock, flags);
	if (parked) {
		/* Only that release frees the queue. */
		pr_info("queue %u: %s gave the parked queue back: released\n",
			queue->host_qid, queue->oq.dev->name);
		queue_work(nvmet_wq, &queue->release_work);
	}
}

static bool nvo_rdma_wait_returned(struct nvo_rdma_queue *queue, u32 ms)
{
	return wait_event_timeout(queue->returned_wq,
				  nvo_rdma_is_answered(queue),
				  msecs_to_jiffies(ms));
}

/*
 * A device that answered neither the reclaim nor the kill: the queue is
 * parked (true) unless the answer came meanwhile (false). Its QP is on our
 * CM id, so the id, the nvmet queue and our punts' buffers stay until the
 * device answers (at the latest before its unregister returns); the answer
 * runs the release again (nvo_rdma_returned). The module stays meanwhile.
 */
static bool nvo_rdma_park(struct nvo_rdma_queue *queue)
{
	unsigned long flags;
	bool park;

	spin_lock_irqsave(&queue->lock, flags);
	park = !queue->answered;
	queue->parked = park;
	spin_unlock_irqrestore(&queue->lock, flags);
	if (park) {
		__module_get(THIS_MODULE);
		pr_warn("queue %u: %s answered no kill: parked until it gives the queue back\n",
			queue->host_qid, queue->oq.dev->name);
	}
	return park;
}

/*
 * Ask the device for the queue back by the core's reclaim deadline, then
 * tell it to stop at once (queue_kill) and give it the kill's: true when
 * it answered (nvo_rdma_returned) within them. For a release and for a
 * live give-back (live.c).
 */
bool nvo_rdma_reclaim_wait(struct nvo_rdma_queue *queue)
{
	struct nvo_offload_queue *oq = &queue->oq;
	struct nvo_offload_dev *dev = oq->dev;
	u32 reclaim_ms, kill_ms;

	nvo_peer_timeouts(&reclaim_ms, &kill_ms);
	dev->ops->queue_reclaim(oq, ktime_add_ms(ktime_get(), reclaim_ms));
	if (nvo_rdma_wait_returned(queue, reclaim_ms))
		return true;
	if (dev->ops->queue_kill) {
		pr_warn("queue %u: %s missed the reclaim deadline (%u ms): killing it\n",
			queue->host_qid, dev->name, reclaim_ms);
		dev->ops->queue_kill(oq);
	}
	return nvo_rdma_wait_returned(queue, kill_ms);
}

/*
 * The queue's release (nvmet_wq, the connection gone or going: our
 * rdma_disconnect() moved the device's QP to the error state, so the host
 * is not reached through it any more). The device gives the queue back by
 * the core's reclaim deadline, or is told to stop at once (queue_kill) and
 * given the kill's; one that answers neither is failed, as a TCP queue's
 * device would be, and the queue parked, so that no worker of nvmet_wq
 * waits on a device. True when the device gave the queue back: the rest of
 * the queue may go.
 */
bool nvo_rdma_offload_release(struct nvo_rdma_queue *queue)
{
	cancel_delayed_work_sync(&queue->traffic_dwork);
	if (!nvo_rdma_is_answered(queue) && !nvo_rdma_reclaim_wait(queue) &&
	    nvo_rdma_park(queue)) {
		nvo_peer_dev_fail(queue->oq.dev);
		return false;
	}
	/* The device destroyed its QP: no other may be left on our id. */
	if (!queue->live && WARN_ON_ONCE(queue->cm_id && queue->cm_id->qp))
		rdma_destroy_qp(queue->cm_id);
	return true;
}

/*
 * The device gave back a queue it took at connect (after our
 * queue_reclaim, or on its own when its QP failed; live.c's
 * nvo_rdma_returned): recorded once, and the connection ended if it was
 * not ending already.
 */
void nvo_rdma_connect_returned(struct nvo_rdma_queue *queue,
			       enum nvo_fallback_reason reason)
{
	struct nvo_offload_queue *oq = &queue->oq;
	unsigned long flags;
	bool first, parked;

	spin_lock_irqsave(&queue->lock, flags);
	first = !queue->returned;
	if (first) {
		queue->returned = true;
		queue->why = reason;
	}
	parked = queue->parked;
	spin_unlock_irqrestore(&queue->lock, flags);
	if (WARN_ON_ONCE(!first))
		return;
	if (reason != NVO_FALLBACK_NONE && !parked)
		pr_warn_ratelimited("queue %u: %s gave it up (%s): ending the connection\n",
				    queue->host_qid, oq->dev->name,
				    reason == NVO_FALLBACK_RECLAIM_TIMEOUT ?
				    "killed" : "failed");
	/* Ending already, unless the device failed the queue on its own. */
	nvo_rdma_queue_kill(queue);
	nvo_rdma_answered(queue);
}

struct nvmet_ctrl *nvo_rdma_oq_ctrl(struct nvo_offload_queue *oq)
{
	return READ_ONCE(nvo_rdma_oq_queue(oq)->nvme_sq.ctrl);
}
