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
};

typedef void (*nvo_peer_port_fn)(const struct nvmet_port *nport, void *arg);
typedef void (*nvo_peer_queue_fn)(const struct nvo_peer_queue *pq, void *arg);

/*
 * What a peer registers. Each visit calls @fn once for every enabled port
 * or every queue from accept to release, under the peer's own lock, which
 * ranks below the core's peer mutex; @fn copies and does not sleep.
 */
struct nvo_peer_ops {
	void	(*visit_ports)(nvo_peer_port_fn fn, void *arg);
	void	(*visit_queues)(nvo_peer_queue_fn fn, void *arg);
};

/* For the peer module (exported, NVO_NS). One peer at a time: -EBUSY. */
int nvo_peer_register(const struct nvo_peer_ops *ops);
void nvo_peer_unregister(const struct nvo_peer_ops *ops);
int nvo_peer_queue_id_get(void);
void nvo_peer_queue_id_put(int id);

/* For the core's observers: no-ops while no peer is registered. */
void nvo_visit_peer_ports(nvo_peer_port_fn fn, void *arg);
void nvo_visit_peer_queues(nvo_peer_queue_fn fn, void *arg);

#endif /* NVO_PEER_H */
