// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim engine: the simulated NIC's NVMe/TCP data path.
 *
 * A device runs NR_ENGINES kthreads, its "NIC cores". A queue offloaded to
 * the device is served by one engine, chosen round-robin at offload, and
 * only that engine touches the queue's protocol state (receive, send,
 * command slots), so that state needs no lock. Everything else queues work
 * for the engine and kicks it:
 *
 *  - the socket callbacks (softirq) on data, write space and close;
 *  - bio completions and punt completions (any context), through the
 *    queue's done list, under done_lock;
 *  - queue_reclaim() and the crash knob, through request bits, under the
 *    device lock;
 *  - an hrtimer, for delayed completions, punt retries and slow reclaims.
 *
 * The engine frees a queue only once none of them can reach it: callbacks
 * restored, timer cancelled, no bio or punt outstanding, off the device
 * list and off the engine's run queue.
 *
 * A command: capsule (in-capsule data lands in staging taken for it) ->
 * start: executed by the device ("own") or punted to nvmet -> staging for
 * its data, or a wait for the device's staging budget -> for writes, data
 * solicited by R2T -> a bio on the namespace's block device, or
 * nvo_offload_punt() -> completion (done list) -> C2HData and/or response
 * -> staging and slot free. The PDU work is the shim's: its stream
 * (kmod/stream.c) over its codec (kmod/pdu.c).
 *
 * Files: engine.c the engine threads and a queue's turn on one; pdus.c
 * what a queue does with its stream; cmd.c command slots and how a command
 * starts; stage.c staging; exec.c bios, punts and completions; queue.c the
 * queue life cycle (the driver ops, draining, hand-back); queue.h the
 * types they share.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>

#include "queue.h"

void nq_kick(struct nicsim_queue *q)
{
	struct nicsim_engine *eng = q->eng;
	unsigned long flags;
	bool wake = false;

	spin_lock_irqsave(&eng->lock, flags);
	if (list_empty(&q->run_entry)) {
		list_add_tail(&q->run_entry, &eng->runq);
		wake = true;
	}
	spin_unlock_irqrestore(&eng->lock, flags);
	/* Engines outlive their queues: eng is safe here. */
	if (wake)
		wake_up(&eng->wq);
}

enum hrtimer_restart nq_timer_fn(struct hrtimer *timer)
{
	nq_kick(container_of(timer, struct nicsim_queue, timer));
	return HRTIMER_NORESTART;
}

/* A bio or a punt completed (any context): hand it to the engine. */
void nq_done(struct nq_cmd *c)
{
	struct nicsim_queue *q = c->q;
	unsigned long flags;

	/*
	 * Kick under done_lock: the engine frees the queue only after it
	 * took this completion off the list, so after we let go of the lock.
	 */
	spin_lock_irqsave(&q->done_lock, flags);
	list_add_tail(&c->done_entry, &q->done_list);
	nq_kick(q);
	spin_unlock_irqrestore(&q->done_lock, flags);
}

static void nq_lose_stream(struct nicsim_queue *q, int err)
{
	if (q->broken)
		return;
	q->broken = true;
	if (err != -ECONNRESET && err != -EPIPE && err != -ETIMEDOUT)
		pr_info_ratelimited("%s: qid %u: stream lost (%d)\n",
				    q->ndev->odev.name, q->qid, err);
}

static void nq_take_requests(struct nicsim_queue *q)
{
	/*
	 * A kill stops the queue where it is: the stream goes (no record),
	 * the I/O in flight ends first. A thaw ends a queue that ignored its
	 * kill, when the device goes (its "reset").
	 */
	if (test_and_clear_bit(NQ_REQ_THAW, &q->requests)) {
		WRITE_ONCE(q->frozen, false);
		if (!q->broken)
			q->lost_reason = NVO_FALLBACK_KILL_TIMEOUT;
		nq_lose_stream(q, -ETIMEDOUT);
	}
	if (test_and_clear_bit(NQ_REQ_KILL, &q->requests)) {
		if (!q->broken)
			q->lost_reason = NVO_FALLBACK_RECLAIM_TIMEOUT;
		nq_lose_stream(q, -ETIMEDOUT);
	}
	if (test_and_clear_bit(NQ_REQ_CLOSED, &q->requests))
		nq_lose_stream(q, -ECONNRESET);
	if (test_and_clear_bit(NQ_REQ_CRASH, &q->requests))
		nq_begin_drain(q, NVO_FALLBACK_DEV_FAILED);
	if (test_and_clear_bit(NQ_REQ_RECLAIM, &q->requests))
		nq_begin_drain(q, NVO_FALLBACK_NONE);
}

/* Nothing started, nothing being sent, rx at a PDU boundary. */
static bool nq_drained(struct nicsim_queue *q)
{
	return q->nr_used == q->nr_parked && !q->stream.tx &&
	       list_empty(&q->tx_list) && nvo_stream_rx_idle(&q->stream);
}

static void nq_arm_timer(struct nicsim_queue *q, u64 now)
{
	u64 next = U64_MAX;
	struct nq_cmd *c;

	list_for_each_entry(c, &q->delayed, entry)
		next = min(next, c->ready_ns);
	if (!list_empty(&q->retry_list))
		next = min(next, now + NQ_PUNT_RETRY_NS);
	if (q->rx_stalled || !list_empty(&q->stage_wait))
		next = min(next, now + NQ_STAGE_RETRY_NS);
	if (q->draining && q->finish_at > now)
		next = min(next, q->finish_at);
	if (next != U64_MAX)
		hrtimer_start(&q->timer, ns_to_ktime(next), HRTIMER_MODE_ABS);
}

/* One turn of the engine on @q. May free @q. */
static void nq_run(struct nicsim_queue *q)
{
	int budget = NQ_BUDGET;
	bool more;
	u64 now;
	int ret;

	/* kill_hang: nothing moves until the device goes (NQ_REQ_THAW). */
	if (READ_ONCE(q->frozen) && !test_bit(NQ_REQ_THAW, &q->requests))
		return;
	nq_take_requests(q);
	if (q->broken)
		goto broken;
	if (!list_empty(&q->start_list))
		nq_start_record(q);

	do {
		more = nq_reap(q);
		more |= nq_run_delayed(q, ktime_get_ns());
		more |= nq_retry_punts(q);
		more |= nq_retry_staging(q);
		ret = nvo_stream_try_recv(&q->stream, &budget);
		if (ret < 0)
			goto lost;
		more |= ret;
		ret = nvo_stream_try_send(&q->stream, &budget);
		if (ret < 0)
			goto lost;
		more |= ret;
	} while (more && budget > 0);

	now = ktime_get_ns();
	if (budget <= 0) {
		nq_kick(q);	/* more to do: after the other queues */
	} else if (q->draining && nq_drained(q) && now >= q->finish_at) {
		nq_finish(q);
		return;
	}
	nq_arm_timer(q, now);
	return;

lost:
	nq_lose_stream(q, ret);
broken:
	/* Only the I/O in flight matters now; it must end before we go. */
	nq_reap(q);
	if (!q->nr_backend)
		nq_finish(q);
}

static int nicsim_engine_fn(void *data)
{
	struct nicsim_engine *eng = data;
	struct nicsim_queue *q;

	while (!kthread_should_stop()) {
		spin_lock_irq(&eng->lock);
		q = list_first_entry_or_null(&eng->runq, struct nicsim_queue,
					     run_entry);
		if (q)
			list_del_init(&q->run_entry);
		spin_unlock_irq(&eng->lock);

		if (!q) {
			wait_event_interruptible(eng->wq,
						 !list_empty_careful(&eng->runq) ||
						 kthread_should_stop());
			continue;
		}
		nq_run(q);
		cond_resched();
	}
	return 0;
}

void nicsim_engine_crash(struct nicsim_dev *ndev)
{
	struct nicsim_queue *q;

	mutex_lock(&ndev->lock);
	list_for_each_entry(q, &ndev->queues, dev_entry) {
		set_bit(NQ_REQ_CRASH, &q->requests);
		nq_kick(q);
	}
	mutex_unlock(&ndev->lock);
}

int nicsim_engines_start(struct nicsim_dev *ndev)
{
	struct nicsim_engine *eng;
	unsigned int i;
	int ret;

	ndev->engines = kcalloc(ndev->nr_engines, sizeof(*ndev->engines),
				GFP_KERNEL);
	if (!ndev->engines)
		return -ENOMEM;
	for (i = 0; i < ndev->nr_engines; i++) {
		eng = &ndev->engines[i];
		eng->ndev = ndev;
		eng->idx = i;
		spin_lock_init(&eng->lock);
		INIT_LIST_HEAD(&eng->runq);
		init_waitqueue_head(&eng->wq);
		eng->task = kthread_create(nicsim_engine_fn, eng, "nicsim%u/e%u",
					   ndev->id, i);
		if (IS_ERR(eng->task)) {
			ret = PTR_ERR(eng->task);
			eng->task = NULL;
			nicsim_engines_stop(ndev);
			return ret;
		}
		/* The engine's "NIC cores"; kthread_bind_mask() is not exported. */
		ret = set_cpus_allowed_ptr(eng->task, ndev->cpus);
		if (ret)
			dev_warn(&ndev->dev, "engine %u: cannot pin to CPUs %*pbl: %d\n",
				 i, cpumask_pr_args(ndev->cpus), ret);
		wake_up_process(eng->task);
	}
	return 0;
}

/*
 * The device goes after the shim gave up on some of its queues (kill_hang):
 * end them as a reset would, and answer the shim for each (it keeps them
 * until then). Process context, after nvo_offload_unregister().
 */
void nicsim_engines_thaw(struct nicsim_dev *ndev)
{
	struct nicsim_queue *q;
	bool empty;

	mutex_lock(&ndev->lock);
	list_for_each_entry(q, &ndev->queues, dev_entry) {
		set_bit(NQ_REQ_THAW, &q->requests);
		nq_kick(q);
	}
	mutex_unlock(&ndev->lock);
	for (;;) {
		mutex_lock(&ndev->lock);
		empty = list_empty(&ndev->queues);
		mutex_unlock(&ndev->lock);
		if (empty)
			return;
		msleep(20);
	}
}

void nicsim_engines_stop(struct nicsim_dev *ndev)
{
	unsigned int i;

	if (!ndev->engines)
		return;
	/* The shim reclaimed every queue before we get here. */
	WARN_ON_ONCE(!list_empty(&ndev->queues));
	for (i = 0; i < ndev->nr_engines; i++)
		if (ndev->engines[i].task)
			kthread_stop(ndev->engines[i].task);
	kfree(ndev->engines);
	ndev->engines = NULL;
}
