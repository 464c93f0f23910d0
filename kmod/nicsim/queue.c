// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim queue life cycle: taking a queue from the shim (the driver ops),
 * draining it, handing it back with its record, and the debugfs view.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "queue.h"

static void nq_free(struct nicsim_queue *q)
{
	u32 i;

	if (q->cmds)
		for (i = 0; i < q->nr_cmds; i++)
			nq_cmd_release(q, &q->cmds[i]);
	kvfree(q->cmds);
	kfree(q);
}

/* The record that gives the queue back: socket, parameters, parked. */
static struct nvo_handover *nq_build_record(struct nicsim_queue *q)
{
	struct nvo_handover *h;
	struct nq_cmd *c;

	h = nvo_handover_alloc(q->sq_size, GFP_KERNEL);
	if (!h)
		return NULL;
	nvo_stream_record(&q->stream, h, q->qid, q->sqhd_disabled);
	h->sqhd = q->sqhd;
	list_for_each_entry(c, &q->parked, entry) {
		/* A park_buf is in the record's form already: it moves. */
		if (nvo_record_park(h, &c->sqe, c->data_sg, c->data_nents,
				    c->inline_len, c->park_buf)) {
			nvo_handover_free(h);
			return NULL;
		}
		c->park_buf = NULL;
	}
	return h;
}

/*
 * Give the queue back to the shim and free it. Engine context.
 *
 * Only with no bio or punt outstanding (nr_backend): a punt counts until
 * the engine has reaped what its punt_done() put on the done list, which
 * it can only do once punt_done() let go of done_lock, its last access to
 * the queue. So the shim never sees nvo_offload_reclaimed() or
 * nvo_offload_failed() while a punt_done() of ours is still at work, and
 * the queue is not freed under one.
 */
void nq_finish(struct nicsim_queue *q)
{
	struct nvo_offload_queue *oq = q->oq;
	struct nicsim_dev *ndev = q->ndev;
	enum nvo_fallback_reason reason;
	struct nvo_handover *h = NULL;

	WARN_ON_ONCE(q->nr_backend);
	reason = q->broken ? (q->lost_reason ?: NVO_FALLBACK_STREAM_LOST) :
			     q->drain_reason;
	nvo_stream_detach(&q->stream);
	hrtimer_cancel(&q->timer);

	mutex_lock(&ndev->lock);
	list_del_init(&q->dev_entry);
	ndev->nr_queues--;
	oq->dev_priv = NULL;
	mutex_unlock(&ndev->lock);

	/* Nothing can kick it any more: drop a kick that came meanwhile. */
	spin_lock_irq(&q->eng->lock);
	list_del_init(&q->run_entry);
	spin_unlock_irq(&q->eng->lock);

	if (!q->broken) {
		h = nq_build_record(q);
		if (!h) {
			pr_err("%s: qid %u: no memory for the hand-over record, dropping the connection\n",
			       ndev->odev.name, q->qid);
			reason = NVO_FALLBACK_STREAM_LOST;
		}
	}
	pr_debug("%s: qid %u: handed back (%d, %u parked)\n", ndev->odev.name,
		 q->qid, reason, h ? h->nr_parked : 0);
	nq_free(q);

	if (reason == NVO_FALLBACK_NONE)
		nvo_offload_reclaimed(oq, h);
	else
		nvo_offload_failed(oq, reason, h);
}

void nq_begin_drain(struct nicsim_queue *q,
		    enum nvo_fallback_reason reason)
{
	u64 delay;

	if (q->draining) {
		/* A fault during a reclaim fails the queue, without delay. */
		if (reason != NVO_FALLBACK_NONE &&
		    q->drain_reason == NVO_FALLBACK_NONE) {
			q->drain_reason = reason;
			q->finish_at = 0;
		}
		return;
	}
	q->draining = true;
	q->drain_reason = reason;
	/* The record's commands not started yet go back first, in order. */
	list_splice_init(&q->start_list, &q->parked);
	delay = reason == NVO_FALLBACK_NONE ?
		nicsim_fault_reclaim_delay_ns(q->ndev) : 0;
	q->finish_at = delay ? ktime_get_ns() + delay : 0;
	pr_debug("%s: qid %u: draining (%d)\n", q->ndev->odev.name, q->qid,
		 reason);
}

/*
 * The in-capsule data a queue accepts: the advertised limit, or up to what
 * the device executes itself if that is more (a port of the shim may
 * allow more in-capsule data than we advertise).
 */
static u32 nq_inline_max(const struct nvo_tr_caps *caps)
{
	u32 size = min(READ_ONCE(caps->max_io_size), NICSIM_MAX_XFER);

	size = max3(size, min(caps->max_inline, NICSIM_MAX_XFER),
		    (u32)PAGE_SIZE);
	return round_up(size, PAGE_SIZE);
}

static struct nicsim_queue *nq_alloc(struct nicsim_dev *ndev,
				     struct nvo_offload_queue *oq,
				     struct nvo_handover *h, u32 inline_max)
{
	struct nicsim_queue *q;
	unsigned int e;
	u32 i;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return NULL;
	q->ndev = ndev;
	q->oq = oq;
	nvo_stream_init(&q->stream, h->sock, &nq_stream_ops, q);
	snprintf(q->stream.name, sizeof(q->stream.name), "%s: qid %u",
		 ndev->odev.name, h->qid);
	q->stream.params = h->params;
	q->stream.inline_limit = h->inline_limit;
	q->stream.ic_done = true;
	/*
	 * Read data goes out copied, not spliced: the staging pages go back
	 * to the budget, and to other commands, as soon as a command
	 * completes, which may be before TCP is done with them.
	 */
	q->stream.tx_copy = true;
	q->qid = h->qid;
	q->sq_size = h->sq_size;
	q->sqhd_disabled = h->sqhd_disabled;
	q->sqhd = h->sqhd;
	q->inline_max = inline_max;
	q->ns_tbl = nicsim_ns_table_of(ndev, h->subsys_id);
	e = (unsigned int)atomic_inc_return(&ndev->next_engine) %
	    ndev->nr_engines;
	q->eng = &ndev->engines[e];
	INIT_LIST_HEAD(&q->free_cmds);
	INIT_LIST_HEAD(&q->start_list);
	INIT_LIST_HEAD(&q->parked);
	INIT_LIST_HEAD(&q->stage_wait);
	INIT_LIST_HEAD(&q->tx_list);
	INIT_LIST_HEAD(&q->retry_list);
	INIT_LIST_HEAD(&q->delayed);
	INIT_LIST_HEAD(&q->done_list);
	INIT_LIST_HEAD(&q->dev_entry);
	INIT_LIST_HEAD(&q->run_entry);
	spin_lock_init(&q->done_lock);
	hrtimer_init(&q->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	q->timer.function = nq_timer_fn;

	/*
	 * Only the slots: staging is taken per command, from the device's
	 * budget, so the depth a host asks for costs it no data pages.
	 */
	q->nr_cmds = h->sq_size;
	q->cmds = kvcalloc(q->nr_cmds, sizeof(*q->cmds), GFP_KERNEL);
	if (!q->cmds) {
		kfree(q);
		return NULL;
	}
	for (i = 0; i < q->nr_cmds; i++) {
		struct nq_cmd *c = &q->cmds[i];

		c->q = q;
		c->ttag = i;
		c->rx.sqe = &c->sqe;
		c->tx.cqe = &c->cqe;
		INIT_LIST_HEAD(&c->done_entry);
		list_add_tail(&c->entry, &q->free_cmds);
	}
	return q;
}

/*
 * The record's parked commands: the engine starts them before anything.
 * Their in-capsule data moves out of the record as it is; it goes into
 * staging when the command starts.
 */
static void nq_load_record(struct nicsim_queue *q, struct nvo_handover *h)
{
	u32 i;

	for (i = 0; i < h->nr_parked; i++) {
		struct nvo_parked_cmd *p = &h->parked[i];
		struct nq_cmd *c = nq_get_cmd(q);

		c->sqe = p->sqe;
		c->inline_len = p->inline_len;
		c->park_buf = p->inline_data;
		p->inline_data = NULL;
		c->state = NQ_CMD_PARKED;
		list_add_tail(&c->entry, &q->start_list);
		q->nr_parked++;
	}
}

/* The offload failed: the shim keeps the record, give its data back. */
static void nq_unload_record(struct nicsim_queue *q, struct nvo_handover *h)
{
	struct nq_cmd *c;
	u32 i = 0;

	list_for_each_entry(c, &q->start_list, entry) {
		h->parked[i++].inline_data = c->park_buf;
		c->park_buf = NULL;
	}
}

static int nicsim_queue_offload(struct nvo_offload_queue *oq,
				struct nvo_handover *h)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	const struct nvo_tr_caps *caps = &ndev->odev.caps.tr[NVO_TR_TCP];
	u32 inline_max = nq_inline_max(caps);
	struct nicsim_queue *q;
	u32 i;
	int ret;

	if (nicsim_fault_refuse_offload(ndev)) {
		pr_info("%s: qid %u: offload refused (refuse_next_offload)\n",
			ndev->odev.name, h->qid);
		return -EBUSY;
	}
	/*
	 * The shim admits only queues within the capabilities it read at
	 * bind; these catch a knob changed since (applies at the next bind).
	 */
	if ((h->params.hdgst && !caps->tcp.hdgst) ||
	    (h->params.ddgst && !caps->tcp.ddgst) ||
	    (caps->tcp.max_h2c_data &&
	     h->params.maxh2cdata > caps->tcp.max_h2c_data))
		return -EOPNOTSUPP;
	if (!h->sq_size || h->sq_size < caps->min_queue_depth ||
	    h->sq_size > caps->max_queue_depth)
		return -EOPNOTSUPP;
	if (h->nr_parked > h->sq_size || !h->sock)
		return -EINVAL;
	/* What the host may put in a capsule must fit our staging. */
	if (max_t(u32, h->inline_limit, NVO_INLINE_FLOOR) > inline_max)
		return -EOPNOTSUPP;
	for (i = 0; i < h->nr_parked; i++)
		if (h->parked[i].inline_len > inline_max)
			return -EOPNOTSUPP;

	q = nq_alloc(ndev, oq, h, inline_max);
	if (!q)
		return -ENOMEM;
	nq_load_record(q, h);
	nicsim_fault_offload_delay(ndev);

	/*
	 * Under the device lock until the queue is complete: neither a
	 * reclaim nor a crash may find it before it owns the socket, and a
	 * socket callback that runs it early waits here to hand it back.
	 */
	mutex_lock(&ndev->lock);
	if (ndev->nr_queues >= READ_ONCE(caps->max_queues)) {
		ret = -EBUSY;
		goto err_unlock;
	}
	ret = nvo_stream_attach(&q->stream);
	if (ret)
		goto err_unlock;
	ndev->nr_queues++;
	list_add_tail(&q->dev_entry, &ndev->queues);
	oq->dev_priv = q;
	oq->engine = q->eng->idx;
	pr_debug("%s: qid %u: offloaded to engine %u (depth %u, %u parked)\n",
		 ndev->odev.name, q->qid, q->eng->idx, q->sq_size, q->nr_parked);
	/*
	 * Starts the parked commands and reads what is already queued. Kick
	 * before unlocking: from nvo_stream_attach() on, a socket callback can
	 * run the engine, which may finish (a FIN) and free the queue, but
	 * only after nq_finish() took this lock.
	 */
	nq_kick(q);
	mutex_unlock(&ndev->lock);

	/* The parked commands are copied: the record is done with. */
	nvo_handover_free(h);
	return 0;

err_unlock:
	mutex_unlock(&ndev->lock);
	nq_unload_record(q, h);
	nq_free(q);
	return ret;
}

/* Send the engine request @bit to the device's queue of @oq, if it has it. */
static void nq_request(struct nvo_offload_queue *oq, int bit)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	struct nicsim_queue *q;

	/* dev_priv goes NULL, under the lock, once the queue is handed back. */
	mutex_lock(&ndev->lock);
	q = oq->dev_priv;
	if (q) {
		set_bit(bit, &q->requests);
		nq_kick(q);
	}
	mutex_unlock(&ndev->lock);
}

/* The deadline is the shim's to watch: nicsim drains as fast as it can. */
static void nicsim_queue_reclaim(struct nvo_offload_queue *oq,
				 ktime_t deadline)
{
	/*
	 * An RDMA queue freezes at the reclaim already: the shim has ended
	 * its connection, and its QP's flush would end it before any kill.
	 * One taken live freezes there too, so that kill_hang means the same
	 * for both (its give-back never comes; the deletion kills it).
	 */
	if (oq->trtype == NVO_TR_RDMA && nicsim_fault_kill_hang(oq->dev->priv)) {
		nicsim_rdma_freeze_hook(oq);
		return;
	}
	if (nicsim_fault_reclaim_hang(oq->dev->priv))
		return;
	if (oq->trtype == NVO_TR_RDMA) {
		nicsim_rdma_reclaim_hook(oq);
		return;
	}
	nq_request(oq, NQ_REQ_RECLAIM);
}

static void nicsim_queue_kill(struct nvo_offload_queue *oq)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	struct nicsim_queue *q;

	if (oq->trtype == NVO_TR_RDMA) {
		if (nicsim_fault_kill_hang(ndev))
			nicsim_rdma_freeze_hook(oq);
		else
			nicsim_rdma_kill_hook(oq);
		return;
	}
	if (!nicsim_fault_kill_hang(ndev)) {
		nq_request(oq, NQ_REQ_KILL);
		return;
	}
	mutex_lock(&ndev->lock);
	q = oq->dev_priv;
	if (q)
		WRITE_ONCE(q->frozen, true);
	mutex_unlock(&ndev->lock);
}

static void nicsim_punt_done(struct nvo_offload_queue *oq, void *cookie,
			     const struct nvme_completion *cqe)
{
	struct nq_cmd *c = cookie;

	if (oq->trtype == NVO_TR_RDMA) {
		nicsim_rdma_punt_done_hook(oq, cookie, cqe);
		return;
	}
	/*
	 * Nothing after nq_done(): once it drops done_lock the engine may
	 * reap this punt, hand the queue back and free it (see nq_finish()).
	 */
	c->cqe = *cqe;
	nq_done(c);
}

const struct nvo_offload_ops nicsim_offload_ops = {
	.queue_offload	= nicsim_queue_offload,
	.queue_reclaim	= nicsim_queue_reclaim,
	.queue_kill	= nicsim_queue_kill,
	.punt_done	= nicsim_punt_done,
	.subsys_attach	= nicsim_subsys_attach,
	.subsys_detach	= nicsim_subsys_detach,
	.ns_update	= nicsim_ns_update,
	.rdma_accept	= nicsim_rdma_accept_hook,
	.rdma_take	= nicsim_rdma_take_hook,
	.rdma_cq_wake	= nicsim_rdma_cq_wake_hook,
};

static const char *nq_state_name(struct nicsim_queue *q)
{
	if (READ_ONCE(q->frozen))
		return "hung";
	if (READ_ONCE(q->broken))
		return "lost";
	if (!READ_ONCE(q->draining))
		return "running";
	return q->drain_reason == NVO_FALLBACK_NONE ? "reclaiming" : "failing";
}

int nicsim_queues_show(struct seq_file *m, void *unused)
{
	struct nicsim_dev *ndev = m->private;
	struct nicsim_queue *q;

	seq_puts(m, "queue qid cntlid depth engine state      active parked read_cmds write_cmds inline_writes flush_cmds wzeroes_cmds punted errors backend_errors unknown_ns\n");
	/* The engines update these without a lock: a snapshot, maybe stale. */
	mutex_lock(&ndev->lock);
	list_for_each_entry(q, &ndev->queues, dev_entry) {
		const struct nvo_offload_stats *st = &q->oq->stats;
		u32 used = READ_ONCE(q->nr_used), parked = READ_ONCE(q->nr_parked);

		seq_printf(m, "%5u %3u %6u %5u %6u %-10s %6u %6u %9llu %10llu %13llu %10llu %12llu %6llu %6llu %14llu %10llu\n",
			   q->oq->id, q->qid, q->oq->cntlid, q->sq_size,
			   q->eng->idx, nq_state_name(q),
			   used > parked ? used - parked : 0, parked,
			   st->read_cmds, st->write_cmds, st->inline_write_cmds,
			   st->flush_cmds, st->write_zeroes_cmds,
			   st->punted_cmds, st->errors, st->backend_errors,
			   st->unknown_ns_cmds);
	}
	mutex_unlock(&ndev->lock);
	return 0;
}
