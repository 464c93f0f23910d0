// SPDX-License-Identifier: GPL-2.0
/*
 * A nicsim_rdma queue taken live (ops->rdma_take): built over the shim's
 * QP, CQ and receive ring (<linux/nvmet_offload_rdma.h>), which it uses
 * but neither creates nor destroys. Its receive buffers are the shim's
 * entries (struct nvo_rdma_recv), reposted only through their own WR so
 * that a completion names the entry whoever posted it; the command slots
 * and their responses are nicsim's, as on a queue taken at connect.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "nsr.h"

/*
 * Is the lent ring what nicsim can serve? One SQE and the same in-capsule
 * size in every buffer (the SGL checks go by the queue's size), each WR
 * naming its entry, and room on the CQ for our own send queue work.
 */
int nsr_lent_check(const struct nvo_handover *h)
{
	const struct nvo_rdma_qp *ring = h->rdma;
	u32 i;

	/* h->parked: nvo_handover_free() walks it (nvo_handover_alloc()). */
	if (h->sock || !ring || !ring->cm_id || !ring->cm_id->device ||
	    !ring->pd || !ring->qp || !ring->cq || !ring->recvs || !h->parked)
		return -EINVAL;
	if (ring->nr_recvs != h->sq_size || h->nr_parked > h->sq_size)
		return -EINVAL;
	if (!ring->max_send_wr || ring->cq_size <= ring->nr_recvs)
		return -EINVAL;
	for (i = 0; i < ring->nr_recvs; i++) {
		const struct nvo_rdma_recv *r = &ring->recvs[i];

		if (!r->sqe || r->wr.wr_cqe != &r->cqe ||
		    r->inline_size != ring->inline_size ||
		    !r->inline_page != !ring->inline_size)
			return -EINVAL;
	}
	return 0;
}

/*
 * The queue's receive buffers over the lent ring, its own slots and
 * responses (mapped on the ring's device). Touches nothing of the shim's:
 * the thread is not there yet and the ring's entries are set up only once
 * nothing can fail (nsr_cmds_setup()). On error the caller undoes what was
 * made with nsr_lent_destroy().
 */
int nsr_lent_create(struct nsr_queue *q, struct nvo_rdma_qp *ring)
{
	u32 i;

	q->lent = true;
	q->ring = ring;
	q->cm_id = ring->cm_id;
	q->pd = ring->pd;
	q->ibdev = ring->cm_id->device;
	q->port_num = ring->port_num;
	q->qp = ring->qp;
	q->cq = ring->cq;
	q->cq_size = ring->cq_size;
	q->inline_size = ring->inline_size;
	/* Our WRs and the ring's receives within what the CQ can take. */
	q->wr_total = min_t(u32, min_t(u32, ring->max_send_wr,
				       ring->cq_size - ring->nr_recvs),
			    INT_MAX);
	q->wr_avail = q->wr_total;
	/* Every buffer came posted (nvmet_offload_rdma.h). */
	q->nr_recvs = ring->nr_recvs;

	q->rxs = kcalloc(q->sq_size, sizeof(*q->rxs), GFP_KERNEL);
	if (!q->rxs)
		return -ENOMEM;
	for (i = 0; i < q->sq_size; i++) {
		struct nvo_rdma_recv *r = &ring->recvs[i];
		struct nsr_rx *rx = &q->rxs[i];

		rx->q = q;
		rx->ring = r;
		rx->sqe = r->sqe;
		rx->sqe_dma = r->sge[0].addr;
		if (!q->inline_size)
			continue;
		rx->inline_page = r->inline_page;
		rx->inline_dma = r->sge[1].addr;
	}
	return nsr_alloc_cmds(q);
}

/*
 * Undo nsr_lent_create(), whatever part of it was done, and release what
 * slots still hold (their RDMA contexts need the QP, still there). The
 * QP, CQ and ring stay the shim's as they are.
 */
void nsr_lent_destroy(struct nsr_queue *q)
{
	u32 i;

	for (i = 0; q->cmds && i < q->nr_cmds; i++)
		if (q->cmds[i].state != NSR_C_FREE)
			nsr_release_cmd(q, &q->cmds[i]);
	nsr_free_cmds(q);
	kfree(q->rxs);
	q->rxs = NULL;
	nvo_handover_free(q->parked_out);
	q->parked_out = NULL;
	q->qp = NULL;
	q->cq = NULL;
}
