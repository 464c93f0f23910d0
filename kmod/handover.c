// SPDX-License-Identifier: GPL-2.0
/*
 * Hand-over of a queue between software and an offload device: requests,
 * draining, filling the record that carries the queue (and the capsules
 * parked meanwhile, rx.c) over, its return, and taking a queue back when
 * it closes. io_work carries every transition out, so the transitions of
 * one queue never race each other.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "compat.h"
#include "events.h"
#include "queue.h"

/*
 * How long a device has to give a queue back once asked (its deadline),
 * and then to stop once killed (queue_kill); offload.c acts on both.
 * Read at each reclaim. Far below the Linux host's 30 s I/O timeout.
 */
unsigned int nvo_reclaim_timeout_ms = 2000;
module_param_named(reclaim_timeout_ms, nvo_reclaim_timeout_ms, uint, 0644);
MODULE_PARM_DESC(reclaim_timeout_ms,
		 "ms an offload device has to give a queue back before it is killed (default 2000)");
unsigned int nvo_kill_timeout_ms = 1000;
module_param_named(kill_timeout_ms, nvo_kill_timeout_ms, uint, 0644);
MODULE_PARM_DESC(kill_timeout_ms,
		 "ms a killed queue's device has to answer before it is failed (default 1000)");

static void nvo_unpark_all(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd, *tmp;

	list_for_each_entry_safe(cmd, tmp, &queue->parked, entry) {
		list_del_init(&cmd->entry);
		queue->nr_parked--;
		nvo_start_cmd(queue, cmd);
	}
}

/* Free the parked commands' slots: they went into a record, or nowhere. */
static void nvo_drop_parked(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd, *tmp;

	list_for_each_entry_safe(cmd, tmp, &queue->parked, entry) {
		list_del_init(&cmd->entry);
		queue->nr_parked--;
		nvo_put_cmd(queue, cmd);
	}
}

/*
 * The queue no longer counts against @dev: its counters leave the device,
 * and an unregister waiting for the device's last queue may go on.
 */
static void nvo_queue_left_dev(struct nvo_queue *queue,
			       struct nvo_offload_dev *dev)
{
	nvo_counters_left_dev(queue, dev);
	if (atomic_dec_and_test(&dev->nr_queues))
		wake_up_var(&dev->nr_queues);
}

/* Start the commands a hand-over record brought back. */
static void nvo_start_record(struct nvo_queue *queue, struct nvo_handover *h)
{
	struct nvo_cmd *cmd;
	u32 i;

	for (i = 0; i < h->nr_parked; i++) {
		struct nvo_parked_cmd *p = &h->parked[i];

		cmd = nvo_get_cmd(queue);
		if (WARN_ON_ONCE(!cmd))
			return;
		cmd->sqe = p->sqe;
		if (p->inline_len > queue->stream.inline_limit) {
			/* The device took more than we can: let nvmet say no. */
			cmd->parked_len = 0;
		} else if (p->inline_len) {
			cmd->parked_len = p->inline_len;
			if (nvo_cmd_alloc_inline(cmd, p->inline_len))
				/* No room for its data: it fails, retryable. */
				cmd->data_status = NVME_SC_INTERNAL;
			else
				sg_copy_from_buffer(cmd->own_sg,
						    cmd->own_nents,
						    p->inline_data,
						    p->inline_len);
		}
		nvo_start_cmd(queue, cmd);
	}
}

static const char *const nvo_ostate_names[] = {
	[NVO_OQ_SOFTWARE]	= "software",
	[NVO_OQ_OFFLOADING]	= "offloading",
	[NVO_OQ_OFFLOADED]	= "offloaded",
	[NVO_OQ_RECLAIMING]	= "reclaiming",
	[NVO_OQ_FAILED]		= "failed",
	[NVO_OQ_RETURNED]	= "returning",
};

const char *nvo_offload_state_name(enum nvo_offload_state state)
{
	return state < ARRAY_SIZE(nvo_ostate_names) ? nvo_ostate_names[state] :
						      "?";
}

static const char *const nvo_reason_names[] = {
	[NVO_FALLBACK_NONE]		= "none",
	[NVO_FALLBACK_REFUSED]		= "refused",
	[NVO_FALLBACK_QUEUE_FAILED]	= "queue-failed",
	[NVO_FALLBACK_DEV_FAILED]	= "device-failed",
	[NVO_FALLBACK_DEV_REMOVED]	= "device-removed",
	[NVO_FALLBACK_STREAM_LOST]	= "stream-lost",
	[NVO_FALLBACK_RECLAIM_TIMEOUT]	= "reclaim-timeout",
	[NVO_FALLBACK_KILL_TIMEOUT]	= "kill-timeout",
};

const char *nvo_fallback_reason_name(enum nvo_fallback_reason reason)
{
	return reason < ARRAY_SIZE(nvo_reason_names) ?
		nvo_reason_names[reason] : "?";
}
EXPORT_SYMBOL_NS_GPL(nvo_fallback_reason_name, NVO_NS);

/* A move asked for: timed from the first request still pending. */
static void nvo_move_asked(struct nvo_queue *queue)
{
	atomic64_cmpxchg(&queue->move_asked_ns, 0, ktime_get_ns());
}

/*
 * The queue moved: that move's time for its event, or none when nothing
 * asked for it (@asked_for false: a fallback), so that no event carries an
 * earlier move's.
 */
static void nvo_move_reached(struct nvo_queue *queue, bool asked_for)
{
	u64 asked = atomic64_xchg(&queue->move_asked_ns, 0);

	if (!asked || !asked_for) {
		WRITE_ONCE(queue->move_done, false);
		return;
	}
	WRITE_ONCE(queue->move_us,
		   min_t(u64, div_u64(ktime_get_ns() - asked, NSEC_PER_USEC),
			 U32_MAX));
	/* Pairs with nvo_queue_move_us(): move_us is written before. */
	smp_store_release(&queue->move_done, true);
}

/* Ask for the queue to be offloaded to @dev; io_work carries it out. */
int nvo_queue_request_offload(struct nvo_queue *queue,
			      struct nvo_offload_dev *dev)
{
	int ret = 0;

	if (!queue->nvme_sq.qid || !queue->cmds)
		return -EINVAL;	/* the admin queue stays in software */
	spin_lock_bh(&queue->state_lock);
	if (queue->state == NVO_Q_CLOSING) {
		ret = -ESHUTDOWN;
	} else if (queue->killed || dev->failed) {
		ret = -EIO;	/* a failed device's: no more hand-overs */
	} else if (queue->oq.dev && queue->oq.dev != dev) {
		/*
		 * Another device has it or is about to: take it back first;
		 * back in software it is offered to its port's device again.
		 */
		queue->want_offload = false;
		queue->retarget = true;
		nvo_move_asked(queue);
	} else {
		queue->want_offload = true;
		if (queue->ostate != NVO_OQ_OFFLOADED)
			nvo_move_asked(queue);
		if (!queue->oq.dev) {
			/* Counted until the queue is back in software. */
			queue->oq.dev = dev;
			atomic_inc(&dev->nr_queues);
		}
	}
	spin_unlock_bh(&queue->state_lock);
	if (!ret)
		nvo_kick(queue);
	return ret;
}

/* Ask for the queue back in software; @reason: why, if not asked for. */
int nvo_queue_request_reclaim(struct nvo_queue *queue,
			      enum nvo_fallback_reason reason)
{
	spin_lock_bh(&queue->state_lock);
	queue->want_offload = false;
	if (queue->oq.dev) {
		queue->reclaim_reason = reason;
		nvo_move_asked(queue);
	}
	spin_unlock_bh(&queue->state_lock);
	nvo_kick(queue);
	return 0;
}

/*
 * Ask @dev for the queue back by a deadline; reclaim_dwork (offload.c)
 * kills it there. Process context, state_lock not held; the caller moved
 * the queue to NVO_OQ_RECLAIMING.
 */
static void nvo_reclaim_start(struct nvo_queue *queue,
			      struct nvo_offload_dev *dev)
{
	unsigned int ms = READ_ONCE(nvo_reclaim_timeout_ms);

	mod_delayed_work(nvo_io_wq, &queue->reclaim_dwork,
			 msecs_to_jiffies(ms));
	dev->ops->queue_reclaim(&queue->oq, ktime_add_ms(ktime_get(), ms));
}

/*
 * The device answered neither the reclaim nor the kill (offload.c failed
 * it): cut the connection, so that the host reconnects, and count the
 * queue out of the device now, so that an unregister does not wait for it.
 * The queue itself stays, still owned by the driver, until the driver
 * answers for it (nvo_offload_failed()): until then nothing it was lent is
 * freed, and its calls for the queue are refused.
 */
void nvo_queue_killed(struct nvo_queue *queue)
{
	struct nvo_offload_dev *dev;

	spin_lock_bh(&queue->state_lock);
	dev = queue->oq.dev;
	if (!dev || queue->killed || (queue->ostate != NVO_OQ_OFFLOADED &&
				      queue->ostate != NVO_OQ_RECLAIMING)) {
		spin_unlock_bh(&queue->state_lock);
		return;
	}
	WRITE_ONCE(queue->killed, true);
	queue->want_offload = false;
	smp_wmb();	/* nvo_offload_punt() reads oq.dev, then killed */
	WRITE_ONCE(queue->oq.dev, NULL);
	queue->fallback_reason = NVO_FALLBACK_KILL_TIMEOUT;
	queue->events.fallback_events++;
	spin_unlock_bh(&queue->state_lock);

	nvo_counters_dev_event(dev, NVO_EV_FALLBACK_EVENTS);
	nvo_event_queue(queue, NVO_QEV_FALLBACK, dev,
			NVO_FALLBACK_KILL_TIMEOUT);
	pr_warn("queue %d: %s answered no kill: connection cut (kill-timeout)\n",
		queue->idx, dev->name);
	kernel_sock_shutdown(queue->sock, SHUT_RDWR);
	nvo_queue_left_dev(queue, dev);
}

bool nvo_queue_drained(struct nvo_queue *queue)
{
	return nvo_stream_rx_idle(&queue->stream) &&
	       READ_ONCE(queue->nr_active) == queue->nr_parked &&
	       !queue->stream.tx && list_empty(&queue->tx_list) &&
	       llist_empty(&queue->rsp_list) && !queue->ctl_len;
}

/* Back to software: from a refused offload, a reclaim or a failure. */
static void nvo_offload_back_to_software(struct nvo_queue *queue,
					 struct nvo_handover *h,
					 enum nvo_fallback_reason reason)
{
	struct nvo_offload_dev *dev, *from;
	bool was_offloaded, retarget;

	spin_lock_bh(&queue->state_lock);
	retarget = queue->retarget;
	queue->retarget = false;
	/* Draining in software is no offload: a cancel reports nothing. */
	was_offloaded = queue->ostate != NVO_OQ_OFFLOADING;
	from = queue->oq.dev;
	queue->ostate = NVO_OQ_SOFTWARE;
	if (reason == NVO_FALLBACK_NONE)
		reason = queue->reclaim_reason;
	queue->reclaim_reason = NVO_FALLBACK_NONE;
	if (reason != NVO_FALLBACK_NONE) {
		queue->want_offload = false;
		queue->fallback_reason = reason;
		if (!queue->killed)	/* counted when it was killed */
			queue->events.fallback_events++;
	}
	/* Asked for again while it came back: keep the device, go again. */
	dev = queue->want_offload ? NULL : queue->oq.dev;
	if (dev)
		queue->oq.dev = NULL;
	spin_unlock_bh(&queue->state_lock);
	if (from && reason != NVO_FALLBACK_NONE)
		nvo_counters_dev_event(from, NVO_EV_FALLBACK_EVENTS);
	if (from && reason != NVO_FALLBACK_NONE) {
		/* A move that ended otherwise than asked: not timed. */
		nvo_move_reached(queue, false);
		nvo_event_queue(queue, NVO_QEV_FALLBACK, from, reason);
	} else if (from && was_offloaded) {
		nvo_move_reached(queue, true);
		nvo_event_queue(queue, NVO_QEV_RECLAIMED, from, reason);
	}
	if (dev) {
		nvo_ns_table_put(queue);
		nvo_queue_left_dev(queue, dev);
	}
	/* io_work offers it to its port's device (nvo_offload_offer_queue()). */
	if (retarget && reason == NVO_FALLBACK_NONE)
		queue->offer_again = true;

	if (reason != NVO_FALLBACK_NONE)
		pr_info_ratelimited("queue %d: back in software (%s)\n",
				    queue->idx, nvo_fallback_reason_name(reason));
	if (h) {
		/*
		 * The device's SQ head, which nvmet continues from. Nothing
		 * completes through nvmet now: the device's punts are over.
		 */
		if (!queue->nvme_sq.sqhd_disabled && queue->nvme_sq.size)
			WRITE_ONCE(queue->nvme_sq.sqhd,
				   h->sqhd % queue->nvme_sq.size);
		nvo_start_record(queue, h);
		nvo_handover_free(h);
	}
}

void nvo_handover(struct nvo_queue *queue)
{
	struct nvo_offload_dev *dev = queue->oq.dev;
	struct nvo_cmd *cmd;
	struct nvo_handover *h;
	int ret;

	h = nvo_handover_alloc(queue->nr_cmds, GFP_KERNEL);
	if (!h)
		goto refuse;
	nvo_stream_record(&queue->stream, h, queue->nvme_sq.qid,
			  queue->nvme_sq.sqhd_disabled);
	/* The device goes on from here; nvmet's head is ours again after. */
	h->sqhd = READ_ONCE(queue->nvme_sq.sqhd);
	list_for_each_entry(cmd, &queue->parked, entry)
		if (nvo_record_park(h, &cmd->sqe, cmd->own_sg,
				    cmd->own_nents, cmd->parked_len, NULL))
			goto refuse_free;

	/*
	 * The last point where closing can still stop the hand-over; past it
	 * the release work (which waits for io_work) finds the queue offloaded
	 * and takes it back.
	 */
	spin_lock_bh(&queue->state_lock);
	if (queue->state == NVO_Q_CLOSING) {
		spin_unlock_bh(&queue->state_lock);
		nvo_handover_free(h);
		return;	/* release puts the parked commands */
	}
	spin_unlock_bh(&queue->state_lock);

	/* The record carries the parked commands from here on. */
	nvo_drop_parked(queue);
	nvo_counters_handover(queue);
	nvo_ns_table_get(queue, dev, h);

	nvo_stream_detach(&queue->stream);
	reinit_completion(&queue->offload_idle);
	ret = dev->ops->queue_offload(&queue->oq, h);
	if (ret) {
		pr_info_ratelimited("queue %d: %s refused the queue: %d\n",
				    queue->idx, dev->name, ret);
		if (nvo_stream_attach(&queue->stream)) {
			nvo_handover_free(h);
			nvo_offload_back_to_software(queue, NULL,
						     NVO_FALLBACK_REFUSED);
			nvo_queue_close(queue);
			return;
		}
		nvo_offload_back_to_software(queue, h, NVO_FALLBACK_REFUSED);
		nvo_kick(queue);
		return;
	}

	spin_lock_bh(&queue->state_lock);
	/* The device may have handed it back already. */
	if (queue->ostate == NVO_OQ_OFFLOADING)
		queue->ostate = NVO_OQ_OFFLOADED;
	queue->events.offload_events++;
	spin_unlock_bh(&queue->state_lock);
	nvo_traffic_start(queue);
	nvo_counters_dev_event(dev, NVO_EV_OFFLOAD_EVENTS);
	nvo_move_reached(queue, true);
	nvo_event_queue(queue, NVO_QEV_OFFLOADED, dev, NVO_FALLBACK_NONE);
	pr_debug("queue %d: offloaded to %s\n", queue->idx, dev->name);
	/* A reclaim asked for meanwhile, or a return, needs io_work. */
	nvo_kick(queue);
	return;

refuse_free:
	nvo_handover_free(h);
refuse:
	pr_warn_ratelimited("queue %d: no memory for a hand-over\n", queue->idx);
	nvo_offload_back_to_software(queue, NULL, NVO_FALLBACK_REFUSED);
	nvo_unpark_all(queue);
}

/*
 * Bring the queue's offload state in line with what was asked. Runs in
 * io_work; returns false while a device owns the socket.
 */
bool nvo_offload_reconcile(struct nvo_queue *queue)
{
	struct nvo_offload_dev *dev;
	struct nvo_handover *h;
	enum nvo_fallback_reason reason;
	bool want;

	/*
	 * The software hot path: nothing asked for, nothing parked. A request
	 * made meanwhile kicks io_work again, so a stale read costs nothing.
	 */
	if (READ_ONCE(queue->ostate) == NVO_OQ_SOFTWARE &&
	    !READ_ONCE(queue->want_offload) && !READ_ONCE(queue->oq.dev) &&
	    list_empty(&queue->parked))
		return true;

	spin_lock_bh(&queue->state_lock);
	want = queue->want_offload;
	dev = queue->oq.dev;
	switch (queue->ostate) {
	case NVO_OQ_SOFTWARE:
		if (want && dev) {
			queue->ostate = NVO_OQ_OFFLOADING;
			spin_unlock_bh(&queue->state_lock);
			return true;
		}
		if (dev) {
			/* Asked for and taken back before it started. */
			bool retarget = queue->retarget;

			queue->oq.dev = NULL;
			queue->retarget = false;
			queue->reclaim_reason = NVO_FALLBACK_NONE;
			spin_unlock_bh(&queue->state_lock);
			nvo_ns_table_put(queue);
			nvo_queue_left_dev(queue, dev);
			if (retarget)
				queue->offer_again = true;
		} else {
			spin_unlock_bh(&queue->state_lock);
		}
		if (!list_empty(&queue->parked))
			nvo_unpark_all(queue);
		return true;
	case NVO_OQ_OFFLOADING:
		spin_unlock_bh(&queue->state_lock);
		if (!want) {
			/* Cancelled while draining. */
			nvo_offload_back_to_software(queue, NULL,
						     NVO_FALLBACK_NONE);
			nvo_unpark_all(queue);
		} else if (nvo_queue_drained(queue)) {
			nvo_handover(queue);
			return false;
		}
		return true;
	case NVO_OQ_OFFLOADED:
		/* A killed queue waits for its driver's answer, nothing else. */
		if (want || queue->killed) {
			spin_unlock_bh(&queue->state_lock);
			return false;
		}
		queue->ostate = NVO_OQ_RECLAIMING;
		queue->reclaim_stage = NVO_RECLAIM_ASKED;
		spin_unlock_bh(&queue->state_lock);
		nvo_reclaim_start(queue, dev);
		return false;
	case NVO_OQ_RECLAIMING:
		spin_unlock_bh(&queue->state_lock);
		return false;
	case NVO_OQ_FAILED:
	case NVO_OQ_RETURNED:
		/*
		 * Handed back while a punt's completion is still in the shim
		 * (after punt_done(), or a driver bug): it kicks us when done.
		 */
		if (atomic_read(&queue->nr_punts)) {
			spin_unlock_bh(&queue->state_lock);
			return false;
		}
		h = queue->returned;
		queue->returned = NULL;
		reason = queue->ostate == NVO_OQ_FAILED ?
			 queue->fallback_reason : NVO_FALLBACK_NONE;
		spin_unlock_bh(&queue->state_lock);
		if (!h || nvo_stream_attach(&queue->stream)) {
			/*
			 * The stream cannot go on. A host that closed the
			 * socket is leaving (it shuts I/O queues before the
			 * admin queue): as on a peer close in software, only
			 * this queue goes, and that is no fallback. Otherwise
			 * the controller fails and the host reconnects.
			 */
			bool peer_closed = queue->sock->sk->sk_state !=
					   TCP_ESTABLISHED;

			if (peer_closed)
				reason = NVO_FALLBACK_NONE;
			else if (!reason)
				reason = NVO_FALLBACK_STREAM_LOST;
			nvo_offload_back_to_software(queue, NULL, reason);
			if (h)
				nvo_handover_free(h);
			if (queue->nvme_sq.ctrl && !peer_closed)
				nvmet_ctrl_fatal_error(queue->nvme_sq.ctrl);
			nvo_queue_close(queue);
			return false;
		}
		/* A reclaim the device's removal forced counts as a fallback. */
		if (reason == NVO_FALLBACK_NONE &&
		    READ_ONCE(queue->reclaim_reason) == NVO_FALLBACK_NONE) {
			queue->events.reclaim_events++;
			nvo_counters_dev_event(queue->oq.dev, NVO_EV_RECLAIM_EVENTS);
		}
		nvo_offload_back_to_software(queue, h, reason);
		return true;
	}
	spin_unlock_bh(&queue->state_lock);
	return true;
}

/* The device let go of the queue: @h back, or NULL when it lost the stream. */
void nvo_offload_returned(struct nvo_offload_queue *oq, struct nvo_handover *h,
			  enum nvo_fallback_reason reason)
{
	struct nvo_queue *queue = nvo_oq_queue(oq);
	struct nvo_handover *drop = NULL;

	/* Answered: no deadline left to watch (the work re-checks anyway). */
	cancel_delayed_work(&queue->reclaim_dwork);
	spin_lock_bh(&queue->state_lock);
	queue->returned = h;
	queue->reclaim_stage = NVO_RECLAIM_IDLE;
	if (queue->killed) {
		/* Cut already: only the stream's end is left to see to. */
		queue->ostate = NVO_OQ_FAILED;
		queue->returned = NULL;
		drop = h;
	} else if (reason != NVO_FALLBACK_NONE) {
		queue->ostate = NVO_OQ_FAILED;
		queue->fallback_reason = reason;
	} else {
		queue->ostate = NVO_OQ_RETURNED;
	}
	spin_unlock_bh(&queue->state_lock);
	nvo_handover_free(drop);
	complete_all(&queue->offload_idle);
	if (READ_ONCE(queue->state) != NVO_Q_CLOSING)
		nvo_kick(queue);
}

/*
 * Closing: make the device let go of the queue (its in-flight commands
 * finish first), and drop whatever it handed back.
 */
void nvo_offload_release(struct nvo_queue *queue)
{
	struct nvo_offload_dev *dev;
	bool reclaim = false, wait = false;

	spin_lock_bh(&queue->state_lock);
	queue->want_offload = false;
	dev = queue->oq.dev;
	switch (queue->ostate) {
	case NVO_OQ_OFFLOADED:
		if (!queue->killed) {
			queue->ostate = NVO_OQ_RECLAIMING;
			queue->reclaim_stage = NVO_RECLAIM_ASKED;
			reclaim = true;
		}
		fallthrough;
	case NVO_OQ_RECLAIMING:
		/* A killed queue: until its driver answers (nvo_queue_killed) */
		wait = true;
		break;
	default:
		break;
	}
	spin_unlock_bh(&queue->state_lock);

	if (reclaim)
		nvo_reclaim_start(queue, dev);
	if (wait)
		wait_for_completion(&queue->offload_idle);
	/* punt_done() calls into the device: it must stay until they end. */
	wait_var_event(&queue->nr_punts, !atomic_read(&queue->nr_punts));

	spin_lock_bh(&queue->state_lock);
	nvo_handover_free(queue->returned);
	queue->returned = NULL;
	dev = queue->oq.dev;	/* a set oq.dev is counted against it */
	queue->ostate = NVO_OQ_SOFTWARE;
	queue->oq.dev = NULL;
	spin_unlock_bh(&queue->state_lock);
	/* A killed queue's too: its driver answered for it by now. */
	nvo_ns_table_put(queue);
	if (dev)
		nvo_queue_left_dev(queue, dev);

	/* Parked commands never reached nvmet: just free them. */
	nvo_drop_parked(queue);
}
