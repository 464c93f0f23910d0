/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Peer transports: another nvmet transport of ours (nvmet_offload_rdma,
 * NVMe/RDMA) whose ports and queues the core's observers (the netlink
 * family, nicctl) list beside the NVMe/TCP ones. A peer keeps its objects on
 * its own lists and lends them to a visit; its queue ids come from the
 * core's allocator, so that one id space names every queue and a dump that
 * resumes at an id sees each queue once, whatever its transport.
 */
#ifndef NVO_PEER_H
#define NVO_PEER_H

#include <linux/nvmet_offload.h>
#include <linux/types.h>

#include "nvmet.h"

/* A peer's queue as observers see it, valid during the visit's call. */
struct nvo_peer_queue {
	u32			id;		/* from nvo_peer_queue_id_get() */
	/*
	 * Valid during the visit: a peer takes its queues off its list on
	 * nvmet_wq, which nvmet flushes before it frees a port.
	 */
	const struct nvmet_port	*nport;
	struct nvmet_ctrl	*ctrl;		/* NULL before Connect */
	u16			qid;
	u32			depth;		/* SQ size */
	u32			inflight;	/* commands received, not ended */
	/* The device that took the queue at its connect, or none (~0U). */
	u32			dev_id;
	s32			engine;
	/* The device's counts of the queue while it has it, else NULL. */
	const struct nvo_offload_stats *stats;
};

typedef void (*nvo_peer_port_fn)(const struct nvmet_port *nport, void *arg);
typedef void (*nvo_peer_queue_fn)(const struct nvo_peer_queue *pq, void *arg);

/*
 * What a peer registers. Each visit calls @fn once for every enabled port
 * or every queue from accept to release, under the peer's own lock, which
 * ranks below the core's peer mutex; @fn copies and does not sleep.
 */
struct nvo_peer_ops {
	struct module *owner;	/* held across a queue_set */
	void	(*visit_ports)(nvo_peer_port_fn fn, void *arg);
	void	(*visit_queues)(nvo_peer_queue_fn fn, void *arg);
	/*
	 * A queue a device took (oq->trtype is the peer's), at its connect
	 * or live: the driver API's calls on it land here (offload_api.c).
	 * punt as nvo_offload_punt(); ctrl: the queue's controller, NULL
	 * before its Connect (any context); returned: the device handed the
	 * queue back (nvo_offload_reclaimed() or _failed(), with the record
	 * @h or NULL; any context at connect, process context live).
	 */
	int	(*punt)(struct nvo_offload_queue *oq,
			const struct nvme_command *sqe, struct scatterlist *sg,
			unsigned int sg_cnt, u32 len, void *cookie);
	struct nvmet_ctrl *(*ctrl)(struct nvo_offload_queue *oq);
	void	(*returned)(struct nvo_offload_queue *oq,
			    enum nvo_fallback_reason reason,
			    struct nvo_handover *h);
	/*
	 * queue-set on queue @id of the peer's: move it live to the device
	 * bound to its port (@on) or back to software. 0, -ENOENT (no such
	 * queue), -EINVAL (the admin queue), -ENODEV (no device bound),
	 * -EOPNOTSUPP (the device takes none live, or the queue was taken at
	 * connect), -EBUSY (a move is under way), -ESHUTDOWN (closing),
	 * -ETIMEDOUT. Process context, no core lock held (the peer's module
	 * is held). Optional.
	 */
	int	(*queue_set)(u32 id, bool on);
	/*
	 * @dev goes or failed: end every queue it has (their connections);
	 * each release ends with nvo_peer_offload_end(). Process context.
	 */
	void	(*dev_gone)(struct nvo_offload_dev *dev);
	/*
	 * Port @portid is bound to a device with these capabilities for the
	 * peer's transport (NULL: no device): what it advertises (MDTS,
	 * in-capsule size, queue size) follows them, from the next
	 * controller on, so that a host asks for no queue the device cannot
	 * take. Process context, under the core's binding lock.
	 */
	void	(*port_limits)(u16 portid, const struct nvo_tr_caps *caps);
};

/* For the peer module (exported, NVO_NS). One peer at a time: -EBUSY. */
int nvo_peer_register(const struct nvo_peer_ops *ops);
void nvo_peer_unregister(const struct nvo_peer_ops *ops);
int nvo_peer_queue_id_get(void);
void nvo_peer_queue_id_put(int id);

/*
 * Offload at connect (peer_offload.c): the device bound to port @portid
 * with the policy on, if it takes a queue of @tr of @depth entries and
 * @inline_size in-capsule bytes at connect, else NULL (the reason counted
 * on the device). A device returned is held (it cannot unregister) until
 * nvo_peer_offload_end(); @taken says whether it took the queue (counted
 * as an offload, or a refusal), @st is what the device counted on it, kept
 * in the device's counters (NULL: nothing). Process context.
 */
struct nvo_offload_dev *nvo_peer_admit(u16 portid, enum nvo_trtype tr,
				       u16 depth, u32 inline_size);
void nvo_peer_offload_end(struct nvo_offload_dev *dev, bool taken,
			  enum nvo_fallback_reason reason,
			  const struct nvo_offload_stats *st);
void nvo_peer_offloaded(struct nvo_offload_dev *dev);
/*
 * A live move (queue-set): the device bound to port @portid, whatever its
 * policy, held as nvo_peer_admit() holds it, if it takes queues of @tr of
 * @depth entries and @inline_size in-capsule bytes live; else NULL and
 * *@err says why (-ENODEV, -EOPNOTSUPP). nvo_peer_dev_put() drops a hold
 * that took no queue; nvo_peer_dev_bound() says whether @dev is still
 * bound to @portid.
 */
struct nvo_offload_dev *nvo_peer_live_dev(u16 portid, enum nvo_trtype tr,
					  u16 depth, u32 inline_size,
					  int *err);
void nvo_peer_dev_hold(struct nvo_offload_dev *dev);
void nvo_peer_dev_put(struct nvo_offload_dev *dev);
bool nvo_peer_dev_bound(u16 portid, struct nvo_offload_dev *dev);
/* The core's reclaim and kill deadlines (module parameters), in ms. */
void nvo_peer_timeouts(u32 *reclaim_ms, u32 *kill_ms);
/*
 * A peer queue's kill went unanswered past its deadline: @dev is failed as
 * a TCP queue's device would be (unbound from every port, its other queues
 * ended, one dev-failed event). Process context, no peer lock held.
 */
void nvo_peer_dev_fail(struct nvo_offload_dev *dev);
/* A fallback reason's name in logs and netlink ("queue-failed", ...). */
const char *nvo_fallback_reason_name(enum nvo_fallback_reason reason);
/* A peer's port goes: its binding goes with it. */
void nvo_peer_port_removed(u16 portid);

/*
 * Run a device's punt through nvmet, in the transport's own slot @req of
 * the queue's @cq/@sq: the data the device holds (@len bytes in @sg) is
 * the command's. NVMe/TCP's and a peer's punts both start here; nvmet's
 * completion (the transport's queue_response) hands it back to the device.
 */
static inline void nvo_punt_execute(struct nvmet_req *req,
				    struct nvmet_cq *cq, struct nvmet_sq *sq,
				    const struct nvmet_fabrics_ops *ops,
				    struct scatterlist *sg,
				    unsigned int sg_cnt, u32 len)
{
	if (!nvmet_req_init(req, cq, sq, ops))
		return;	/* completed: punt_done() has run */
	req->sg = len ? sg : NULL;
	req->sg_cnt = len ? sg_cnt : 0;
	req->transfer_len = len;
	req->execute(req);
}

/* For the core's observers: no-ops while no peer is registered. */
void nvo_visit_peer_ports(nvo_peer_port_fn fn, void *arg);
void nvo_visit_peer_queues(nvo_peer_queue_fn fn, void *arg);

/* For the core: the registered peer, read without its mutex (below). */
const struct nvo_peer_ops *nvo_peer_get(void);
void nvo_peer_dev_gone(struct nvo_offload_dev *dev);
void nvo_peer_port_limits(u16 portid, const struct nvo_tr_caps *caps);
int nvo_peer_queue_set(u32 id, bool on);

#endif /* NVO_PEER_H */
