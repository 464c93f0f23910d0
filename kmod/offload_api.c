// SPDX-License-Identifier: GPL-2.0
/*
 * The calls an offload device makes into the shim for a queue it owns
 * (include/linux/nvmet_offload.h): hand it back, punt a command to nvmet,
 * advance the SQ head, pin a namespace (records: record.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "compat.h"
#include "peer.h"
#include "queue.h"

/*
 * A punt is over: the slot goes back first, so that a device that hands
 * the queue back as soon as it has sent the response finds every slot its
 * record may need free; then the device sends the response.
 */
void nvo_punt_complete(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	struct nvo_offload_dev *dev = cmd->punt_dev;
	void *cookie = cmd->punt_cookie;
	struct nvme_completion cqe = cmd->cqe;

	cmd->req.sg = NULL;	/* the device's buffer */
	nvo_put_cmd(queue, cmd);
	dev->ops->punt_done(&queue->oq, cookie, &cqe);
	/*
	 * A hand-back that came before this waits for it (see the driver API):
	 * nvmet holds the queue (sq ref) until we return, so kicking is safe.
	 */
	if (atomic_dec_and_test(&queue->nr_punts)) {
		wake_up_var(&queue->nr_punts);
		if (READ_ONCE(queue->state) != NVO_Q_CLOSING)
			nvo_kick(queue);
	}
}

/*
 * A queue of a peer transport (NVMe/RDMA) that a device took, at connect or
 * live: the driver API's calls on it go to the peer (peer.h).
 */
static bool nvo_oq_is_peer(const struct nvo_offload_queue *oq)
{
	return oq->trtype != NVO_TR_TCP;
}

void nvo_offload_reclaimed(struct nvo_offload_queue *oq, struct nvo_handover *h)
{
	if (nvo_oq_is_peer(oq)) {
		nvo_peer_get()->returned(oq, NVO_FALLBACK_NONE, h);
		return;
	}
	nvo_offload_returned(oq, h, NVO_FALLBACK_NONE);
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_reclaimed, NVO_NS);

void nvo_offload_failed(struct nvo_offload_queue *oq,
			enum nvo_fallback_reason reason, struct nvo_handover *h)
{
	/* Without a record the stream is lost, whatever the timeouts say. */
	if (nvo_oq_is_peer(oq)) {
		nvo_peer_get()->returned(oq, reason ?: NVO_FALLBACK_QUEUE_FAILED,
					 h);
		return;
	}
	if (!h && reason != NVO_FALLBACK_RECLAIM_TIMEOUT &&
	    reason != NVO_FALLBACK_KILL_TIMEOUT)
		reason = NVO_FALLBACK_STREAM_LOST;
	else if (reason == NVO_FALLBACK_NONE)
		reason = NVO_FALLBACK_QUEUE_FAILED;
	nvo_offload_returned(oq, h, reason);
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_failed, NVO_NS);

int nvo_offload_punt(struct nvo_offload_queue *oq,
		     const struct nvme_command *sqe, struct scatterlist *sg,
		     unsigned int sg_cnt, u32 len, void *cookie)
{
	struct nvo_offload_dev *dev = READ_ONCE(oq->dev);
	enum nvo_offload_state ostate;
	struct nvo_queue *queue;
	struct nvo_cmd *cmd;

	if (nvo_oq_is_peer(oq))
		return nvo_peer_get()->punt(oq, sqe, sg, sg_cnt, len, cookie);
	queue = nvo_oq_queue(oq);
	ostate = READ_ONCE(queue->ostate);

	/* A queue whose device failed: refused, not a driver bug. */
	smp_rmb();	/* pairs with nvo_queue_killed(): killed, then oq.dev */
	if (READ_ONCE(queue->killed))
		return -EINVAL;
	/* Only the device that owns the queue punts, until it hands it back. */
	if (WARN_ON_ONCE(!dev || (ostate != NVO_OQ_OFFLOADED &&
				  ostate != NVO_OQ_RECLAIMING &&
				  ostate != NVO_OQ_OFFLOADING)))
		return -EINVAL;
	cmd = nvo_get_cmd(queue);
	if (!cmd)
		return -EBUSY;
	atomic_inc(&queue->nr_punts);
	cmd->flags |= NVO_CMD_PUNTED;
	cmd->punt_cookie = cookie;
	cmd->punt_dev = dev;
	cmd->sqe = *sqe;
	nvo_counters_punt(queue, sqe);
	nvo_punt_execute(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			 nvo_nvmet_ops, sg, sg_cnt, len);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_punt, NVO_NS);

u16 nvo_offload_next_sqhd(struct nvo_offload_queue *oq)
{
	struct nvmet_sq *sq;
	u32 old, new;

	/* A device taking queues at connect keeps the SQ head itself. */
	if (WARN_ON_ONCE(nvo_oq_is_peer(oq)))
		return 0;
	sq = &nvo_oq_queue(oq)->nvme_sq;

	/*
	 * The device answers commands nvmet never sees: count them as traffic
	 * so that nvmet's keep-alive timer (TBKAS) does not expire under a
	 * host that relies on it.
	 */
	if (sq->ctrl)
		WRITE_ONCE(sq->ctrl->reset_tbkas, true);
	if (sq->sqhd_disabled || !sq->size)
		return 0;
	/* The same head nvmet advances for the commands it completes. */
	do {
		old = READ_ONCE(sq->sqhd);
		new = (old + 1) % sq->size;
	} while (cmpxchg(&sq->sqhd, old, new) != old);
	return new;
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_next_sqhd, NVO_NS);

/* Where a peer queue's per-namespace counts go: nobody reads them. */
static struct nvo_offload_stats nvo_peer_oq_ns_sink;

int nvo_offload_ns_get(struct nvo_offload_queue *oq, u32 nsid,
		       struct nvo_ns_ref *ref)
{
	struct nvmet_ctrl *ctrl;
	struct nvmet_ns *ns;
	int ret = 0;

	if (nvo_oq_is_peer(oq))
		ctrl = nvo_peer_get()->ctrl(oq);
	else
		ctrl = READ_ONCE(nvo_oq_queue(oq)->nvme_sq.ctrl);

	if (!ctrl)
		return -ENOENT;
	rcu_read_lock();
	ns = xa_load(&ctrl->subsys->namespaces, nsid);
	/* A namespace being disabled is as good as gone. */
	if (!ns || !percpu_ref_tryget_live(&ns->ref))
		ret = -ENOENT;
	rcu_read_unlock();
	if (ret)
		return ret;
	if (!ns->bdev) {
		percpu_ref_put(&ns->ref);
		return -EOPNOTSUPP;
	}
	ref->ns = ns;
	ref->bdev = ns->bdev;
	ref->blksize_shift = ns->blksize_shift;
	ref->nr_blocks = ns->size >> ns->blksize_shift;
	ref->stats = nvo_offload_ns_stats(oq, nsid);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_ns_get, NVO_NS);

void nvo_offload_ns_put(struct nvo_ns_ref *ref)
{
	struct nvmet_ns *ns = ref->ns;

	percpu_ref_put(&ns->ref);
	ref->ns = NULL;
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_ns_put, NVO_NS);

struct nvo_offload_stats *nvo_offload_ns_stats(struct nvo_offload_queue *oq,
					       u32 nsid)
{
	/*
	 * A peer's queue keeps no per-namespace counters yet: the queue's own
	 * take the device's second count (namespace counters are NVMe/TCP's).
	 */
	if (nvo_oq_is_peer(oq))
		return &nvo_peer_oq_ns_sink;
	/* Engine context: whatever it is, it must not sleep here. */
	return nvo_counters_ns(nvo_oq_queue(oq), nsid, GFP_NOWAIT);
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_ns_stats, NVO_NS);
