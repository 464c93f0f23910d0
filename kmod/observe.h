/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What observers (the netlink family) read of a queue or a port: accessors,
 * so that they do not depend on how struct nvo_queue and struct nvo_port
 * keep it. The caller holds the queue (on the queue list, or from its
 * io_work) or the port (under nvo_offload_mutex).
 */
#ifndef NVO_OBSERVE_H
#define NVO_OBSERVE_H

#include "transport.h"

static inline u32 nvo_queue_id(const struct nvo_queue *queue)
{
	return queue->idx;
}

/* From the queue's nvo_port, which it holds: nvmet may have freed nport. */
static inline u32 nvo_queue_port_id(const struct nvo_queue *queue)
{
	return queue->port->id;
}

static inline u16 nvo_queue_qid(const struct nvo_queue *queue)
{
	return queue->nvme_sq.qid;
}

/* The queue's controller, or NULL before connect; it stays while held. */
static inline struct nvmet_ctrl *nvo_queue_ctrl(const struct nvo_queue *queue)
{
	return READ_ONCE(queue->nvme_sq.ctrl);
}

static inline u32 nvo_queue_cpu(const struct nvo_queue *queue)
{
	return queue->cpu;
}

static inline u32 nvo_queue_depth(const struct nvo_queue *queue)
{
	return READ_ONCE(queue->nr_cmds);
}

static inline u32 nvo_queue_inflight(const struct nvo_queue *queue)
{
	return READ_ONCE(queue->nr_active);
}

static inline u32 nvo_queue_fallback_reason(const struct nvo_queue *queue)
{
	return READ_ONCE(queue->fallback_reason);
}

/* The last completed move's time in microseconds; false: none yet. */
static inline bool nvo_queue_move_us(const struct nvo_queue *queue, u32 *us)
{
	/* Pairs with the release in nvo_move_reached(). */
	if (!smp_load_acquire(&queue->move_done))
		return false;
	*us = READ_ONCE(queue->move_us);
	return true;
}

/*
 * Where the queue runs, consistently: its offload state and, off software,
 * the id and engine of its device (*dev_id ~0 and *engine -1 in software).
 * Takes the queue's state_lock: under it, oq.dev cannot leave the device.
 */
static inline enum nvo_offload_state
nvo_queue_where(struct nvo_queue *queue, u32 *dev_id, s32 *engine)
{
	enum nvo_offload_state ostate;
	struct nvo_offload_dev *dev;

	spin_lock_bh(&queue->state_lock);
	ostate = queue->ostate;
	dev = queue->oq.dev;
	if (dev && ostate != NVO_OQ_SOFTWARE) {
		*dev_id = dev->id;
		*engine = READ_ONCE(queue->oq.engine);
	} else {
		*dev_id = ~0U;
		*engine = -1;
	}
	spin_unlock_bh(&queue->state_lock);
	return ostate;
}

static inline u32 nvo_port_id(const struct nvo_port *port)
{
	return port->id;
}

#endif /* NVO_OBSERVE_H */
