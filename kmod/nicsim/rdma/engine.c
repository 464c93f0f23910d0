// SPDX-License-Identifier: GPL-2.0
/*
 * A nicsim_rdma queue's thread: the "NIC core" that serves it.
 *
 * One kthread per queue, on the device's engine CPUs (nicsim's CPULIST).
 * nicsim's own engine threads run NVMe/TCP queues through a run queue of
 * TCP queue structures; serving RDMA queues from them would change their
 * core loop, so nicsim_rdma keeps its own threads, which nicsim.ko need not
 * know about (it must load without ib_core). A queue's thread alone
 * touches its command state, so that state has no lock; other contexts
 * hand it work and wake it:
 *
 *  - the CQ's completion handler (NSR_REQ_CQ). The thread polls the CQ and
 *    re-arms it (IB_CQ_REPORT_MISSED_EVENTS: polls again if completions
 *    came meanwhile). It never busy-polls: it sleeps until woken, or for
 *    NSR_RETRY_NS while a command waits for staging or for the shim, or
 *    until a held command (extra_latency_us) or a slow reclaim is due;
 *  - bio and punt completions, through the done list (done_lock);
 *  - queue_reclaim() and queue_kill(), QP and CQ errors: request bits.
 *
 * Stopping (reclaim, failure, kill): the QP is moved to error, so that it
 * completes every WR it holds; capsules still arriving are dropped, and so
 * are responses no longer deliverable. The queue ends once its bios and
 * punts are over and, unless killed, its CQ has given back every receive,
 * READ and SEND posted (our own drain: ib_drain_qp() wants a CQ from
 * ib_alloc_cq()). Then the QP, the CQ and the buffers go, and the shim
 * hears nvo_offload_reclaimed() or nvo_offload_failed(), with no record:
 * the connection is over either way.
 *
 * A queue taken live (lent.c) is polled through the shim's CQ handler
 * (ops->rdma_cq_wake) and stops differently. Its reclaim gives it back
 * live: the QP stays as it is, capsules are parked (cmd.c), and once its
 * commands have ended with their responses sent and polled, the shim hears
 * nvo_offload_reclaimed() with the record. Failed or killed, its QP goes
 * to error and it waits, killed too, for the flush of every READ and SEND
 * it posted (not for the ring's receives: the shim polls those), then
 * nvo_offload_failed() without a record. The QP and the CQ stay either
 * way, and the queue is freed only once the shim's answer returned, since
 * rdma_cq_wake() may reach it until then.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>

#include "nsr.h"

/* Poll the CQ, at most NSR_POLL_BUDGET completions; re-arm it if empty. */
static bool nsr_poll(struct nsr_queue *q)
{
	struct ib_wc *wcs = q->wcs;	/* off the stack: 16 are 1 KiB and more */
	int budget = NSR_POLL_BUDGET;
	bool progress = false;
	int n, i;

	if (!test_and_clear_bit(NSR_REQ_CQ, &q->requests))
		return false;
	do {
		n = ib_poll_cq(q->cq, NSR_POLL_BATCH, wcs);
		for (i = 0; i < n; i++) {
			struct ib_wc *wc = &wcs[i];

			if (wc->wr_cqe) {
				wc->wr_cqe->done(q->cq, wc);
				continue;
			}
			/*
			 * An unsignaled WR of an RDMA context: it completes
			 * only to say it failed or was flushed. A failure
			 * (a bad key on a read's data) fails the queue.
			 */
			if (wc->status != IB_WC_WR_FLUSH_ERR) {
				pr_warn_ratelimited("%s: qid %u: RDMA WRITE failed: %s (%d)\n",
						    q->ndev->odev.name, q->qid,
						    ib_wc_status_msg(wc->status),
						    wc->status);
				nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
			}
		}
		progress |= n > 0;
		budget -= n;
	} while (n == NSR_POLL_BATCH && budget > 0);

	if (n < 0) {
		/* A stopping queue polls again in NSR_DRAIN_POLL_NS. */
		pr_warn_ratelimited("%s: qid %u: ib_poll_cq: %d\n",
				    q->ndev->odev.name, q->qid, n);
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
		return progress;
	}
	if (budget <= 0 ||
	    ib_req_notify_cq(q->cq, IB_CQ_NEXT_COMP |
				    IB_CQ_REPORT_MISSED_EVENTS) > 0)
		set_bit(NSR_REQ_CQ, &q->requests);	/* more: come back */
	return progress;
}

static void nsr_take_requests(struct nsr_queue *q)
{
	if (test_and_clear_bit(NSR_REQ_KILL, &q->requests))
		nsr_stop(q, NVO_FALLBACK_RECLAIM_TIMEOUT, true);
	if (test_and_clear_bit(NSR_REQ_FATAL, &q->requests))
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
	if (test_and_clear_bit(NSR_REQ_CRASH, &q->requests))
		nsr_stop(q, NVO_FALLBACK_DEV_FAILED, false);
	if (test_and_clear_bit(NSR_REQ_RECLAIM, &q->requests))
		nsr_stop(q, NVO_FALLBACK_NONE, false);
}

/* A stopping queue may end: no I/O of its own, no WR the QP still has. */
static bool nsr_quiet(struct nsr_queue *q)
{
	if (q->nr_backend)
		return false;
	/* The shim's QP and CQ outlive us: nothing of ours stays on them. */
	if (q->lent)
		return !q->nr_sends && !q->nr_reads &&
		       list_empty(&q->stage_wait) && list_empty(&q->wr_wait) &&
		       list_empty(&q->retry_list) && list_empty(&q->delayed);
	return q->killed || (!q->nr_recvs && !q->nr_sends && !q->nr_reads);
}

static bool nsr_has_work(struct nsr_queue *q)
{
	return READ_ONCE(q->requests) || !list_empty_careful(&q->done_list);
}

/*
 * Sleep until woken; a waiting command or a drain looks again later, and
 * so do a held command (extra_latency_us) and a slow reclaim when due.
 */
static void nsr_wait(struct nsr_queue *q)
{
	u64 now = ktime_get_ns();
	u64 timeout = 0;
	u64 due;

	if (q->stopping)
		timeout = NSR_DRAIN_POLL_NS;
	else if (!list_empty(&q->stage_wait) || !list_empty(&q->retry_list))
		timeout = NSR_RETRY_NS;
	due = nsr_next_ready(q);
	/* Once past, finish_at waits for nothing: the drain poll goes on. */
	if (q->stopping && q->finish_at > now &&
	    (!due || q->finish_at < due))
		due = q->finish_at;
	if (due) {
		if (due <= now)
			return;
		if (!timeout || due - now < timeout)
			timeout = due - now;
	}
	if (timeout)
		wait_event_interruptible_hrtimeout(q->wq, nsr_has_work(q),
						   ns_to_ktime(timeout));
	else
		wait_event_interruptible(q->wq, nsr_has_work(q));
}

/*
 * The device no longer has the queue: the shim's calls find nothing
 * (dev_priv is cleared under the lock they look under), and it is counted
 * off, failed if it failed.
 */
static void nsr_forget(struct nsr_queue *q, enum nvo_fallback_reason reason)
{
	struct nicsim_dev *ndev = q->ndev;

	mutex_lock(&ndev->lock);
	WRITE_ONCE(q->oq->dev_priv, NULL);
	list_del(&q->dev_entry);
	mutex_unlock(&ndev->lock);
	atomic_dec(&ndev->rdma.queues);
	if (reason == NVO_FALLBACK_QUEUE_FAILED ||
	    reason == NVO_FALLBACK_DEV_FAILED)
		atomic64_inc(&ndev->rdma.failed);
}

/*
 * Hand a lent queue back: live with a record, or failed without one. Our
 * slots and responses go first (the DMA mappings are on the shim's device,
 * whose connection may end at the answer); the queue itself only after the
 * answer returned, which waits for any rdma_cq_wake() still at it.
 */
static void nsr_finish_lent(struct nsr_queue *q)
{
	enum nvo_fallback_reason reason = q->stop_reason;
	struct nvo_offload_queue *oq = q->oq;
	struct nicsim_dev *ndev = q->ndev;
	struct nvo_handover *h = NULL;

	if (reason == NVO_FALLBACK_NONE && q->parked_out && !q->dead) {
		h = q->parked_out;
		q->parked_out = NULL;
		h->rdma = q->ring;
		h->qid = q->qid;
		h->sqhd = q->sqhd;
		h->sqhd_disabled = q->sqhd_disabled;
		h->inline_limit = q->inline_limit;
		h->cntlid = READ_ONCE(oq->cntlid);
	} else if (reason == NVO_FALLBACK_NONE) {
		reason = NVO_FALLBACK_QUEUE_FAILED;	/* cannot happen */
	}
	/*
	 * A QP moved to error completes a send WR as flushed while rxe's
	 * requester (a tasklet) may still be copying from it (KASAN saw our
	 * responses read after this freed them). The QP is the shim's and
	 * stays, so nothing waits for that tasklet as rdma_destroy_qp()
	 * would: a grace period does (softirqs are read-side sections).
	 */
	if (q->dead)
		synchronize_rcu();
	nsr_lent_destroy(q);
	nsr_forget(q, reason);
	pr_debug("%s: qid %u: lent queue handed back (%d, %u parked)\n",
		 ndev->odev.name, q->qid, reason, h ? h->nr_parked : 0);

	if (h)
		nvo_offload_reclaimed(oq, h);
	else
		nvo_offload_failed(oq, reason, NULL);
	kfree(q);
}

/*
 * Hand the queue back and free it. Nothing can reach it any more: no bio
 * or punt outstanding (so no punt_done() of ours at work: the shim may
 * then let our module go), the CQ is gone, and dev_priv is cleared under
 * the device lock that queue_reclaim() and queue_kill() look under.
 */
static void nsr_finish(struct nsr_queue *q)
{
	enum nvo_fallback_reason reason = q->stop_reason;
	struct nvo_offload_queue *oq = q->oq;
	struct nicsim_dev *ndev = q->ndev;
	u32 i;

	if (q->lent) {
		nsr_finish_lent(q);
		return;
	}

	/* A kill leaves WRs on the QP: their contexts go before it does. */
	for (i = 0; i < q->nr_cmds; i++)
		if (q->cmds[i].state != NSR_C_FREE)
			nsr_release_cmd(q, &q->cmds[i]);
	nsr_qp_destroy(q);
	nsr_forget(q, reason);
	pr_debug("%s: qid %u: handed back (%d)\n", ndev->odev.name, q->qid,
		 reason);
	kfree(q);

	if (reason == NVO_FALLBACK_NONE)
		nvo_offload_reclaimed(oq, NULL);
	else
		nvo_offload_failed(oq, reason, NULL);
}

static int nsr_thread(void *data)
{
	struct nsr_queue *q = data;
	bool more;
	int turns;

	/* Taken live: the parked capsules go before what the CQ holds. */
	nsr_start_parked(q);
	for (;;) {
		nsr_wait(q);
		/* kill_hang: nothing is polled or answered until the thaw. */
		if (READ_ONCE(q->frozen))
			wait_event_interruptible(q->wq, !READ_ONCE(q->frozen));
		nsr_take_requests(q);
		/* Draining: look at the CQ even without its event. */
		if (q->stopping)
			set_bit(NSR_REQ_CQ, &q->requests);
		turns = 4;
		do {
			more = nsr_poll(q);
			more |= nsr_reap(q);
			if (!q->dead)
				more |= nsr_retry(q);
		} while (more && --turns);
		if (q->dead)
			nsr_drop_waiting(q);
		/* slow_reclaim_ms: a lent queue keeps parking meanwhile. */
		if (q->stopping && nsr_quiet(q) &&
		    ktime_get_ns() >= q->finish_at)
			break;
		if (more)
			set_bit(NSR_REQ_CQ, &q->requests);	/* after a yield */
		cond_resched();
	}
	nsr_finish(q);
	/* Our module stays until this thread is gone. */
	module_put_and_kthread_exit(0);
}

/* The thread, not started yet: nothing may fail after this. */
int nsr_engine_create(struct nsr_queue *q)
{
	struct task_struct *task;
	int ret;

	task = kthread_create(nsr_thread, q, "nicsim%u/r%u", q->ndev->id,
			      q->oq->id);
	if (IS_ERR(task))
		return PTR_ERR(task);
	/* The device's "NIC cores"; kthread_bind_mask() is not exported. */
	ret = set_cpus_allowed_ptr(task, q->ndev->cpus);
	if (ret)
		pr_warn("%s: qid %u: cannot pin to CPUs %*pbl: %d\n",
			q->ndev->odev.name, q->qid,
			cpumask_pr_args(q->ndev->cpus), ret);
	q->task = task;
	return 0;
}

void nsr_engine_start(struct nsr_queue *q)
{
	/* Held by the thread until it exits: it runs our code to the end. */
	__module_get(THIS_MODULE);
	/* A first look at the CQ arms it. */
	set_bit(NSR_REQ_CQ, &q->requests);
	wake_up_process(q->task);
}
