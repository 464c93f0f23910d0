// SPDX-License-Identifier: GPL-2.0
/*
 * Keep-alive for offloaded queues. nvmet's traffic-based keep-alive
 * (TBKAS, which it advertises) expires a controller whose queues saw no
 * command for KATO; the commands a device answers never reach nvmet, and
 * a device calls nothing per completion. So while a device owns a queue,
 * the shim looks at the completions it counted (the sum of oq->stats'
 * latency histogram) every KATO/2 and marks the controller busy when
 * they moved: within each KATO nvmet looks at, one look at least.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/workqueue.h>

#include "queue.h"

/* KATO/2; 0: the controller has no keep-alive to feed. */
static unsigned long nvo_traffic_period(struct nvo_queue *queue)
{
	struct nvmet_ctrl *ctrl = queue->nvme_sq.ctrl;

	if (!ctrl || !ctrl->kato)
		return 0;
	return max_t(unsigned long, ctrl->kato * HZ / 2, 1);
}

/* Schedule the next look while a device owns the queue. */
static void nvo_traffic_arm(struct nvo_queue *queue)
{
	unsigned long period = nvo_traffic_period(queue);
	enum nvo_offload_state ostate = READ_ONCE(queue->ostate);

	if (period && (ostate == NVO_OQ_OFFLOADED ||
		       ostate == NVO_OQ_RECLAIMING))
		queue_delayed_work(nvo_io_wq, &queue->traffic_dwork, period);
}

static void nvo_traffic_work(struct work_struct *w)
{
	struct nvo_queue *queue = container_of(to_delayed_work(w),
					       struct nvo_queue, traffic_dwork);
	struct nvmet_ctrl *ctrl = queue->nvme_sq.ctrl;
	u64 seen = nvo_offload_completions(&queue->oq.stats);

	if (ctrl && seen != queue->traffic_seen)
		WRITE_ONCE(ctrl->reset_tbkas, true);
	queue->traffic_seen = seen;
	nvo_traffic_arm(queue);
}

void nvo_traffic_init(struct nvo_queue *queue)
{
	INIT_DELAYED_WORK(&queue->traffic_dwork, nvo_traffic_work);
}

/* The device took the queue (handover.c): watch what it completes. */
void nvo_traffic_start(struct nvo_queue *queue)
{
	queue->traffic_seen = nvo_offload_completions(&queue->oq.stats);
	nvo_traffic_arm(queue);
}

/* The queue goes (queue.c): no look after this returns. */
void nvo_traffic_stop(struct nvo_queue *queue)
{
	cancel_delayed_work_sync(&queue->traffic_dwork);
}
