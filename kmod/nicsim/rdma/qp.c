// SPDX-License-Identifier: GPL-2.0
/*
 * The verbs resources of a nicsim_rdma queue: its own completion queue,
 * its RC queue pair on the shim's CM id, the receive buffers the host's
 * capsules land in, the responses and the command slots (with what a slot
 * holds while busy: staging, an RDMA context, a namespace reference).
 *
 * What a host can make the device hold is fixed here by the queue size it
 * connected with: sq_size receives of one SQE plus inline_size bytes, and
 * 2 * sq_size slots of a few hundred bytes (a slot stays busy until its
 * response SEND completes, by which time the host may have sent the next
 * command). Data pages are staging, taken per command from the device's
 * budget (nicsim's staging_limit_kb), each at most NSR_MAX_XFER.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>

#include "nsr.h"

/*
 * The CQ's interrupt: only wake the queue's thread, which polls. The CQ
 * is re-armed by the thread once it has found it empty.
 */
static void nsr_cq_comp(struct ib_cq *cq, void *ctx)
{
	nsr_request(ctx, NSR_REQ_CQ);
}

static void nsr_cq_event(struct ib_event *ev, void *ctx)
{
	struct nsr_queue *q = ctx;

	pr_warn_ratelimited("%s: qid %u: CQ event %s (%d)\n",
			    q->ndev->odev.name, q->qid, ib_event_msg(ev->event),
			    ev->event);
	nsr_request(q, NSR_REQ_FATAL);
}

static void nsr_qp_event(struct ib_event *ev, void *ctx)
{
	struct nsr_queue *q = ctx;

	switch (ev->event) {
	case IB_EVENT_COMM_EST:
		/*
		 * A capsule came before the CM's RTU. The CM id is the shim's
		 * (we may not call rdma_notify()); its ESTABLISHED follows
		 * with the RTU, or the CM's retransmission of it.
		 */
	case IB_EVENT_QP_LAST_WQE_REACHED:
	case IB_EVENT_SQ_DRAINED:
		break;
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
		pr_warn_ratelimited("%s: qid %u: QP event %s (%d)\n",
				    q->ndev->odev.name, q->qid,
				    ib_event_msg(ev->event), ev->event);
		nsr_request(q, NSR_REQ_FATAL);
		break;
	default:
		pr_debug("%s: qid %u: QP event %s (%d)\n", q->ndev->odev.name,
			 q->qid, ib_event_msg(ev->event), ev->event);
		break;
	}
}

static int nsr_alloc_rxs(struct nsr_queue *q)
{
	u32 lkey = q->pd->local_dma_lkey;
	u32 i;

	q->sqes = kcalloc(q->sq_size, sizeof(*q->sqes), GFP_KERNEL);
	if (!q->sqes)
		return -ENOMEM;
	q->sqes_dma = ib_dma_map_single(q->ibdev, q->sqes,
					q->sq_size * sizeof(*q->sqes),
					DMA_FROM_DEVICE);
	if (ib_dma_mapping_error(q->ibdev, q->sqes_dma)) {
		q->sqes_dma = 0;
		return -ENOMEM;
	}
	q->rxs = kcalloc(q->sq_size, sizeof(*q->rxs), GFP_KERNEL);
	if (!q->rxs)
		return -ENOMEM;
	for (i = 0; i < q->sq_size; i++) {
		struct nsr_rx *rx = &q->rxs[i];

		rx->q = q;
		rx->sqe = &q->sqes[i];
		rx->sqe_dma = q->sqes_dma + i * sizeof(*q->sqes);
		rx->sge[0].addr = rx->sqe_dma;
		rx->sge[0].length = sizeof(*q->sqes);
		rx->sge[0].lkey = lkey;
		rx->wr.num_sge = 1;
		rx->wr.sg_list = rx->sge;
		rx->wr.wr_cqe = &rx->cqe;
		if (!q->inline_size)
			continue;
		/* Contiguous: a bio or a punt takes the bytes as one range. */
		rx->inline_page = alloc_pages(GFP_KERNEL,
					      get_order(q->inline_size));
		if (!rx->inline_page)
			return -ENOMEM;
		rx->inline_dma = ib_dma_map_page(q->ibdev, rx->inline_page, 0,
						 q->inline_size,
						 DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(q->ibdev, rx->inline_dma)) {
			rx->inline_dma = 0;
			return -ENOMEM;
		}
		rx->sge[1].addr = rx->inline_dma;
		rx->sge[1].length = q->inline_size;
		rx->sge[1].lkey = lkey;
		rx->wr.num_sge = 2;
	}
	return 0;
}

static void nsr_free_rxs(struct nsr_queue *q)
{
	u32 i;

	for (i = 0; q->rxs && i < q->sq_size; i++) {
		struct nsr_rx *rx = &q->rxs[i];

		if (!rx->inline_page)
			continue;
		if (rx->inline_dma)
			ib_dma_unmap_page(q->ibdev, rx->inline_dma,
					  q->inline_size, DMA_FROM_DEVICE);
		__free_pages(rx->inline_page, get_order(q->inline_size));
	}
	kfree(q->rxs);
	q->rxs = NULL;
	if (q->sqes_dma)
		ib_dma_unmap_single(q->ibdev, q->sqes_dma,
				    q->sq_size * sizeof(*q->sqes),
				    DMA_FROM_DEVICE);
	kfree(q->sqes);
	q->sqes = NULL;
}

/* The slots and their responses, on any queue (lent.c too). */
int nsr_alloc_cmds(struct nsr_queue *q)
{
	size_t rsps_len = q->nr_cmds * sizeof(*q->rsps);
	u32 i;

	q->rsps = kcalloc(q->nr_cmds, sizeof(*q->rsps), GFP_KERNEL);
	if (!q->rsps)
		return -ENOMEM;
	/* Mapped for the queue's life: a response is sent from its slot. */
	q->rsps_dma = ib_dma_map_single(q->ibdev, q->rsps, rsps_len,
					DMA_TO_DEVICE);
	if (ib_dma_mapping_error(q->ibdev, q->rsps_dma)) {
		q->rsps_dma = 0;
		return -ENOMEM;
	}
	q->cmds = kvcalloc(q->nr_cmds, sizeof(*q->cmds), GFP_KERNEL);
	if (!q->cmds)
		return -ENOMEM;
	for (i = 0; i < q->nr_cmds; i++) {
		struct nsr_cmd *c = &q->cmds[i];

		c->q = q;
		c->rsp = &q->rsps[i];
		c->rsp_dma = q->rsps_dma + i * sizeof(*q->rsps);
		c->send_sge.addr = c->rsp_dma;
		c->send_sge.length = sizeof(*q->rsps);
		c->send_sge.lkey = q->pd->local_dma_lkey;
		c->send_wr.sg_list = &c->send_sge;
		c->send_wr.num_sge = 1;
		c->send_wr.opcode = IB_WR_SEND;
		c->send_wr.send_flags = IB_SEND_SIGNALED;
		c->send_wr.wr_cqe = &c->send_cqe;
		INIT_LIST_HEAD(&c->done_entry);
		list_add_tail(&c->entry, &q->free_cmds);
	}
	return 0;
}

void nsr_free_cmds(struct nsr_queue *q)
{
	kvfree(q->cmds);
	q->cmds = NULL;
	if (q->rsps_dma)
		ib_dma_unmap_single(q->ibdev, q->rsps_dma,
				    q->nr_cmds * sizeof(*q->rsps),
				    DMA_TO_DEVICE);
	kfree(q->rsps);
	q->rsps = NULL;
}

/*
 * The CQ takes a completion for every WR either queue can hold, flushed
 * unsignaled ones included (a QP in error completes each WR it had), so
 * it cannot overflow while the queue drains. The send queue's size is
 * known only once rdma_create_qp() added the RDMA contexts' WRs (up to
 * three per context, registration and invalidation included): we keep
 * our own use of it below what the CQ can take.
 */
static int nsr_create_cq_qp(struct nsr_queue *q)
{
	struct ib_qp_init_attr attr = {};
	struct ib_cq_init_attr cq_attr = {};
	u32 sge = clamp_t(u32, q->ibdev->attrs.max_send_sge, 1,
			  NSR_MAX_SEND_SGE);
	/*
	 * A context per slot (a slot keeps its context until its SEND
	 * completes), and room for the WRs of one largest transfer on top
	 * of a SEND per slot, so that any command can go once others did.
	 */
	u32 ctxs = q->nr_cmds;
	u32 send_wrs = q->nr_cmds +
		       DIV_ROUND_UP(NSR_MAX_XFER >> PAGE_SHIFT,
				    min_t(u32, sge,
					  max(q->ibdev->attrs.max_sge_rd, 1)));
	int ret;

	q->cq_size = q->sq_size + send_wrs + 3 * ctxs;
	if (q->cq_size > q->ibdev->attrs.max_cqe)
		return -EINVAL;
	cq_attr.cqe = q->cq_size;
	cq_attr.comp_vector = q->qid % q->ibdev->num_comp_vectors;
	q->cq = ib_create_cq(q->ibdev, nsr_cq_comp, nsr_cq_event, q, &cq_attr);
	if (IS_ERR(q->cq)) {
		ret = PTR_ERR(q->cq);
		q->cq = NULL;
		return ret;
	}

	attr.qp_context = q;
	attr.event_handler = nsr_qp_event;
	attr.send_cq = q->cq;
	attr.recv_cq = q->cq;
	attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	attr.qp_type = IB_QPT_RC;
	attr.port_num = q->port_num;
	attr.cap.max_send_wr = send_wrs;
	attr.cap.max_rdma_ctxs = ctxs;
	attr.cap.max_send_sge = sge;
	attr.cap.max_recv_wr = q->sq_size;
	attr.cap.max_recv_sge = q->inline_size ? 2 : 1;
	ret = rdma_create_qp(q->cm_id, q->pd, &attr);
	if (ret)
		return ret;
	q->qp = q->cm_id->qp;
	q->wr_total = min_t(int, attr.cap.max_send_wr,
			    q->cq_size - q->sq_size);
	q->wr_avail = q->wr_total;
	return 0;
}

/*
 * Everything but the thread; receives posted. On error the caller undoes
 * what was made with nsr_qp_destroy().
 */
int nsr_qp_create(struct nsr_queue *q)
{
	u32 i;
	int ret;

	ret = nsr_alloc_rxs(q);
	if (ret)
		return ret;
	ret = nsr_alloc_cmds(q);
	if (ret)
		return ret;
	ret = nsr_create_cq_qp(q);
	if (ret)
		return ret;
	/* Posted before the shim accepts: the host may send at once. */
	for (i = 0; i < q->sq_size; i++) {
		ret = nsr_post_recv(q, &q->rxs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Undo nsr_qp_create(), whatever part of it was done. Every slot must be
 * released (no RDMA context left: it needs the QP to go).
 */
void nsr_qp_destroy(struct nsr_queue *q)
{
	if (q->qp)
		rdma_destroy_qp(q->cm_id);
	q->qp = NULL;
	/* No completion handler runs once the CQ is gone. */
	if (q->cq)
		ib_destroy_cq(q->cq);
	q->cq = NULL;
	nsr_free_cmds(q);
	nsr_free_rxs(q);
}

int nsr_post_recv(struct nsr_queue *q, struct nsr_rx *rx)
{
	int ret;

	ib_dma_sync_single_for_device(q->ibdev, rx->sqe_dma, sizeof(*rx->sqe),
				      DMA_FROM_DEVICE);
	if (rx->inline_page)
		ib_dma_sync_single_for_device(q->ibdev, rx->inline_dma,
					      q->inline_size, DMA_FROM_DEVICE);
	/* A lent buffer only ever through its own WR: its wr_cqe is the shim's. */
	ret = ib_post_recv(q->qp, rx->ring ? &rx->ring->wr : &rx->wr, NULL);
	if (ret) {
		pr_warn_ratelimited("%s: qid %u: cannot post a receive: %d\n",
				    q->ndev->odev.name, q->qid, ret);
		return ret;
	}
	q->nr_recvs++;
	return 0;
}

/*
 * Nothing more goes out on the QP, and it completes (flushes) every WR it
 * has: so a stopping queue hears the last of each, and one whose
 * connection went learns no more capsules. Idempotent.
 */
void nsr_qp_error(struct nsr_queue *q)
{
	struct ib_qp_attr attr = { .qp_state = IB_QPS_ERR };
	int ret;

	if (q->dead)
		return;
	q->dead = true;
	ret = ib_modify_qp(q->qp, &attr, IB_QP_STATE);
	if (ret)
		pr_warn_ratelimited("%s: qid %u: cannot move the QP to error: %d\n",
				    q->ndev->odev.name, q->qid, ret);
}

/*
 * Stop the queue: it ends (engine.c) once its bios and punts are over and,
 * unless killed, every WR posted has completed (a lent queue's, even
 * killed: the shim polls its CQ next). A kill's reason beats a failure's,
 * which beats a reclaim's (NONE).
 *
 * A lent queue's reclaim is a live give-back: its QP stays usable, its
 * commands end with their responses and the capsules polled meanwhile are
 * parked in a record. Without memory for that record it fails instead.
 */
void nsr_stop(struct nsr_queue *q, enum nvo_fallback_reason reason,
	      bool kill)
{
	u64 delay;

	if (!q->stopping) {
		q->stopping = true;
		q->stop_reason = reason;
		/* slow_reclaim_ms: a reclaim's hand-back, no sooner. */
		delay = reason == NVO_FALLBACK_NONE && !kill ?
			nicsim_fault_reclaim_delay_ns(q->ndev) : 0;
		q->finish_at = delay ? ktime_get_ns() + delay : 0;
	} else if (kill || (reason != NVO_FALLBACK_NONE &&
			    q->stop_reason == NVO_FALLBACK_NONE)) {
		q->stop_reason = reason;
	}
	q->killed |= kill;
	if (q->lent && q->stop_reason == NVO_FALLBACK_NONE && !q->dead) {
		if (!q->parked_out)
			q->parked_out = nvo_handover_alloc(q->sq_size,
							   GFP_KERNEL);
		if (q->parked_out)
			return;
		pr_warn_ratelimited("%s: qid %u: no memory for the hand-over record\n",
				    q->ndev->odev.name, q->qid);
		q->stop_reason = NVO_FALLBACK_QUEUE_FAILED;
	}
	/* A fault or a kill during a reclaim ends it without delay. */
	if (q->stop_reason != NVO_FALLBACK_NONE)
		q->finish_at = 0;
	nsr_qp_error(q);
}

struct nsr_cmd *nsr_get_cmd(struct nsr_queue *q)
{
	struct nsr_cmd *c;

	c = list_first_entry_or_null(&q->free_cmds, struct nsr_cmd, entry);
	if (!c)
		return NULL;
	list_del_init(&c->entry);
	c->own = false;
	c->write = false;
	c->in_capsule = false;
	c->ns_held = false;
	c->rw_used = false;
	c->connect = false;
	c->bio_status = BLK_STS_OK;
	c->len = 0;
	c->rx = NULL;
	c->data_sg = NULL;
	c->data_nents = 0;
	c->rw_wrs = 0;
	memset(&c->cqe, 0, sizeof(c->cqe));
	return c;
}

/*
 * What a busy slot holds: its RDMA context, staging, namespace, a parked
 * capsule's data.
 */
void nsr_release_cmd(struct nsr_queue *q, struct nsr_cmd *c)
{
	if (c->rw_used)
		rdma_rw_ctx_destroy(&c->rw, q->qp, q->port_num, c->data_sg,
				    c->data_nents, c->rw_dir);
	c->rw_used = false;
	if (c->ns_held)
		nvo_offload_ns_put(&c->ns);
	c->ns_held = false;
	if (c->stage) {
		sgl_free(c->stage);
		nicsim_stage_put(q->ndev, c->stage_pages);
	}
	c->stage = NULL;
	c->stage_nents = 0;
	c->stage_pages = 0;
	kfree(c->parked_data);
	c->parked_data = NULL;
	c->parked_len = 0;
	c->data_sg = NULL;
	c->data_nents = 0;
	c->rx = NULL;
}

/* @c must be on no list. */
void nsr_put_cmd(struct nsr_queue *q, struct nsr_cmd *c)
{
	nsr_release_cmd(q, c);
	c->state = NSR_C_FREE;
	list_add(&c->entry, &q->free_cmds);
}
