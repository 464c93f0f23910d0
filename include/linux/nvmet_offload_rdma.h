/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmet_offload driver API, NVMe/RDMA queues that move live: what the
 * hand-over record (struct nvo_handover, h->sock NULL) carries for such a
 * queue, and the rules both sides keep while one of them owns it.
 *
 * The shim creates the queue's completion queue and queue pair on its own
 * CM id when the host connects; they stay the shim's for the queue's life.
 * What moves is the right to use them: to post on the QP, to poll the CQ
 * (its completion handler wakes the current owner: the shim's work, or
 * the device's ops->rdma_cq_wake()) and to repost the receive buffers,
 * which the shim also allocated and lends with the record (struct
 * nvo_rdma_recv). A hand-over happens at a command boundary in both
 * directions: the side letting go has no work request of its own
 * outstanding (every RDMA READ, RDMA WRITE and response SEND it posted has
 * completed and been polled), every receive buffer is posted, and the
 * capsules it polled but did not start travel as parked commands (struct
 * nvo_parked_cmd, their in-capsule data copied out: their buffers were
 * posted again). The SQ head travels in h->sqhd as for NVMe/TCP.
 *
 * Kernel only; RDMA users include it (nvmet_offload.h does not, so that a
 * driver without RDMA needs no ib_core).
 */
#ifndef _LINUX_NVMET_OFFLOAD_RDMA_H
#define _LINUX_NVMET_OFFLOAD_RDMA_H

#include <linux/nvme.h>
#include <linux/types.h>
#include <rdma/ib_verbs.h>
#include <linux/nvmet_offload.h>

/*
 * One receive buffer of the queue: a capsule's SQE and its in-capsule
 * data. Always posted as is (ib_post_recv(qp, &r->wr, NULL)), so that its
 * completion's wc->wr_cqe is &r->cqe whoever posted it: the owner finds the
 * entry with container_of(). The owner sets cqe.done and owner_priv when it
 * takes the queue; nothing else in the entry changes.
 */
struct nvo_rdma_recv {
	struct ib_cqe		cqe;
	struct ib_recv_wr	wr;		/* wr_cqe = &cqe */
	struct ib_sge		sge[2];
	struct nvme_command	*sqe;		/* sge[0]: DMA address, lkey */
	struct page		*inline_page;	/* sge[1], or NULL: none */
	u32			inline_size;	/* bytes at sge[1] */
	void			*owner_priv;	/* the current owner's */
};

/*
 * The queue's verbs resources, the shim's for the queue's life. A device
 * keeps its own use of the send queue within max_send_wr, and its work
 * requests plus nr_recvs within cq_size (a QP in error completes every WR
 * it holds, unsignaled ones included).
 */
struct nvo_rdma_qp {
	struct rdma_cm_id	*cm_id;		/* the shim's; QP on it */
	struct ib_pd		*pd;
	struct ib_qp		*qp;
	struct ib_cq		*cq;		/* send and receive */
	u32			port_num;
	u32			cq_size;
	u32			max_send_wr;	/* the send queue's size */
	u32			max_rdma_ctxs;	/* rdma_rw contexts at once */
	u8			initiator_depth; /* RDMA READs in flight */
	u32			inline_size;	/* in-capsule bytes per recv */
	u32			nr_recvs;	/* h->sq_size */
	struct nvo_rdma_recv	*recvs;		/* every one posted */
};

#endif /* _LINUX_NVMET_OFFLOAD_RDMA_H */
