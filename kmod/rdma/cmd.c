// SPDX-License-Identifier: GPL-2.0
/*
 * One command on an NVMe/RDMA queue: the capsule a receive brought, the
 * SGL that says where its data is (in the capsule, or in host memory behind
 * a key: RDMA READ before a write executes, RDMA WRITE chained in front of
 * the response of a read), and the response SEND. A transport error on a
 * queue ends the queue (nvo_rdma_queue_kill).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/scatterlist.h>

#include <linux/nvmet_offload_stream.h>

#include "../compat.h"
#include "rdma.h"

/* main.c's transport ops, handed down at init: nvmet_req_init needs them. */
static const struct nvmet_fabrics_ops *nvo_rdma_cmd_ops;

void nvo_rdma_cmd_set_ops(const struct nvmet_fabrics_ops *ops)
{
	nvo_rdma_cmd_ops = ops;
}

/*
 * The first caller moves the queue to DISCONNECTING, drops the commands that
 * waited for ESTABLISHED and schedules the release (queue.c). Any context.
 */
void nvo_rdma_queue_kill(struct nvo_rdma_queue *queue)
{
	struct nvo_rdma_cmd *cmd, *tmp;
	unsigned long flags;
	bool kill = false;
	LIST_HEAD(dropped);

	spin_lock_irqsave(&queue->lock, flags);
	if (queue->state != NVO_RDMA_Q_DISCONNECTING) {
		queue->state = NVO_RDMA_Q_DISCONNECTING;
		list_splice_init(&queue->wait_cmds, &dropped);
		kill = true;
	}
	spin_unlock_irqrestore(&queue->lock, flags);
	if (!kill)
		return;
	list_for_each_entry_safe(cmd, tmp, &dropped, entry)
		nvo_rdma_release_cmd(cmd);
	rdma_disconnect(queue->cm_id);
	queue_work(nvmet_wq, &queue->release_work);
}

/*
 * A failed work request: the queue pair is in the error state, the queue
 * is over. A flushed one says the same without naming the cause (an RDMA
 * WRITE chained before a response is unsignaled: its error surfaces as the
 * response's flush), so it ends the queue too, quietly.
 */
static void nvo_rdma_error(struct nvo_rdma_queue *queue, struct ib_wc *wc,
			   const char *what)
{
	if (wc->status == IB_WC_WR_FLUSH_ERR) {
		nvo_rdma_queue_kill(queue);
		return;
	}
	pr_warn_ratelimited("queue %u: %s failed: %s (%d)\n", queue->host_qid,
			    what, ib_wc_status_msg(wc->status), wc->status);
	nvo_rdma_queue_kill(queue);
}

int nvo_rdma_post_recv(struct nvo_rdma_queue *queue, struct nvo_rdma_recv *rx)
{
	struct ib_device *ibdev = queue->dev->ibdev;
	int ret;

	ib_dma_sync_single_for_device(ibdev, rx->sge[0].addr, sizeof(*rx->sqe),
				      DMA_FROM_DEVICE);
	if (queue->inline_size)
		ib_dma_sync_single_for_device(ibdev, rx->sge[1].addr,
					      queue->inline_size,
					      DMA_FROM_DEVICE);
	ret = ib_post_recv(queue->qp, &rx->wr, NULL);
	if (ret)
		pr_warn_ratelimited("queue %u: cannot post a receive: %d\n",
				    queue->host_qid, ret);
	return ret;
}

/* A free slot, or NULL; under queue->lock. */
static struct nvo_rdma_cmd *nvo_rdma_take_cmd(struct nvo_rdma_queue *queue)
{
	struct nvo_rdma_cmd *cmd;

	lockdep_assert_held(&queue->lock);
	cmd = list_first_entry_or_null(&queue->free_cmds, struct nvo_rdma_cmd,
				       entry);
	if (cmd) {
		list_del_init(&cmd->entry);
		queue->nr_busy++;
	}
	return cmd;
}

static struct nvo_rdma_cmd *nvo_rdma_get_cmd(struct nvo_rdma_queue *queue)
{
	struct nvo_rdma_cmd *cmd;
	unsigned long flags;

	spin_lock_irqsave(&queue->lock, flags);
	cmd = nvo_rdma_take_cmd(queue);
	spin_unlock_irqrestore(&queue->lock, flags);
	return cmd;
}

/* Frees what the command's data transfer held and returns the slot. */
void nvo_rdma_release_cmd(struct nvo_rdma_cmd *cmd)
{
	struct nvo_rdma_queue *queue = cmd->queue;
	unsigned long flags;

	if (cmd->rw_used)
		rdma_rw_ctx_destroy(&cmd->rw, queue->qp, queue->cm_id->port_num,
				    cmd->req.sg, cmd->req.sg_cnt, cmd->dir);
	if (cmd->nvmet_sgls)
		nvmet_req_free_sgls(&cmd->req);
	kfree(cmd->parked_data);
	cmd->parked_data = NULL;
	cmd->rw_used = false;
	cmd->nvmet_sgls = false;
	cmd->rx = NULL;
	spin_lock_irqsave(&queue->lock, flags);
	list_add_tail(&cmd->entry, &queue->free_cmds);
	/* A live move waits for the last one (live.c). */
	if (!--queue->nr_busy && queue->park)
		wake_up(&queue->idle_wq);
	spin_unlock_irqrestore(&queue->lock, flags);
}

static bool nvo_rdma_data_in(struct nvo_rdma_cmd *cmd)
{
	return cmd->rw_used && nvme_is_write(cmd->req.cmd);
}

static bool nvo_rdma_data_out(struct nvo_rdma_cmd *cmd)
{
	return cmd->rw_used && !nvme_is_write(cmd->req.cmd) &&
	       cmd->req.cqe->status == 0;
}

static void nvo_rdma_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct nvo_rdma_cmd *cmd =
		container_of(wc->wr_cqe, struct nvo_rdma_cmd, send_cqe);
	struct nvo_rdma_queue *queue = cmd->queue;

	nvo_rdma_release_cmd(cmd);
	if (unlikely(wc->status != IB_WC_SUCCESS))
		nvo_rdma_error(queue, wc, "response SEND");
}

/*
 * nvmet completed a punted command: the slot goes back first, then the
 * device sends the response (and the read data nvmet placed in its
 * buffer). The controller is known from the Connect's completion on.
 */
static void nvo_rdma_punt_response(struct nvo_rdma_cmd *cmd)
{
	struct nvo_rdma_queue *queue = cmd->queue;
	struct nvo_offload_queue *oq = &queue->oq;
	struct nvmet_ctrl *ctrl = READ_ONCE(queue->nvme_sq.ctrl);
	struct nvme_completion cqe = *cmd->req.cqe;
	void *cookie = cmd->punt_cookie;

	if (ctrl && !READ_ONCE(oq->cntlid))
		WRITE_ONCE(oq->cntlid, ctrl->cntlid);
	cmd->punted = false;
	cmd->req.sg = NULL;	/* the device's */
	cmd->req.sg_cnt = 0;
	nvo_rdma_release_cmd(cmd);
	oq->dev->ops->punt_done(oq, cookie, &cqe);
	/* A live give-back waits for this before it lets the device go. */
	if (atomic_dec_and_test(&queue->nr_punts))
		wake_up_var(&queue->nr_punts);
}

void nvo_rdma_queue_response(struct nvmet_req *req)
{
	struct nvo_rdma_cmd *cmd = container_of(req, struct nvo_rdma_cmd, req);
	struct nvo_rdma_queue *queue = cmd->queue;
	struct ib_send_wr *first = &cmd->send_wr;
	int ret;

	if (cmd->punted) {
		nvo_rdma_punt_response(cmd);
		return;
	}
	if (cmd->invalidate) {
		cmd->send_wr.opcode = IB_WR_SEND_WITH_INV;
		cmd->send_wr.ex.invalidate_rkey = cmd->invalidate_rkey;
	} else {
		cmd->send_wr.opcode = IB_WR_SEND;
	}
	if (nvo_rdma_data_out(cmd))
		first = rdma_rw_ctx_wrs(&cmd->rw, queue->qp,
					queue->cm_id->port_num, NULL,
					&cmd->send_wr);

	/* The capsule is consumed: its buffer takes the next command. */
	if (cmd->rx && nvo_rdma_post_recv(queue, cmd->rx)) {
		nvo_rdma_release_cmd(cmd);
		nvo_rdma_queue_kill(queue);
		return;
	}
	ib_dma_sync_single_for_device(queue->dev->ibdev, cmd->cqe_dma,
				      sizeof(*cmd->req.cqe), DMA_TO_DEVICE);
	ret = ib_post_send(queue->qp, first, NULL);
	if (unlikely(ret)) {
		pr_warn_ratelimited("queue %u: cannot post a response: %d\n",
				    queue->host_qid, ret);
		nvo_rdma_release_cmd(cmd);
		nvo_rdma_queue_kill(queue);
	}
}

static void nvo_rdma_read_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct nvo_rdma_cmd *cmd =
		container_of(wc->wr_cqe, struct nvo_rdma_cmd, read_cqe);
	struct nvo_rdma_queue *queue = cmd->queue;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		/* The QP is in error: no response can reach the host. */
		nvmet_req_uninit(&cmd->req);
		nvo_rdma_release_cmd(cmd);
		nvo_rdma_error(queue, wc, "RDMA READ");
		return;
	}
	cmd->req.execute(&cmd->req);
}

/* Data in the capsule, behind the command (host to controller only). */
static u16 nvo_rdma_map_inline(struct nvo_rdma_cmd *cmd)
{
	struct nvme_sgl_desc *sgl = &cmd->req.cmd->common.dptr.sgl;
	struct nvo_rdma_queue *queue = cmd->queue;
	u64 off = le64_to_cpu(sgl->addr);
	u32 len = le32_to_cpu(sgl->length);

	if (!nvme_is_write(cmd->req.cmd)) {
		cmd->req.error_loc = offsetof(struct nvme_common_command, opcode);
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	}
	if (off > queue->inline_size || len > queue->inline_size - off) {
		cmd->req.error_loc = offsetof(struct nvme_common_command, dptr);
		return NVME_SC_SGL_INVALID_OFFSET | NVME_STATUS_DNR;
	}
	if (!len)
		return 0;
	sg_init_table(&cmd->inline_sg, 1);
	if (cmd->rx)
		sg_set_buf(&cmd->inline_sg,
			   page_address(cmd->rx->inline_page) + off, len);
	else if (cmd->parked_data)	/* a parked capsule: its copy */
		sg_set_buf(&cmd->inline_sg, cmd->parked_data + off, len);
	else
		return NVME_SC_SGL_INVALID_OFFSET | NVME_STATUS_DNR;
	cmd->req.sg = &cmd->inline_sg;
	cmd->req.sg_cnt = 1;
	cmd->req.transfer_len = len;
	return 0;
}

/* Data in host memory behind a remote key. */
static u16 nvo_rdma_map_keyed(struct nvo_rdma_cmd *cmd)
{
	struct nvme_keyed_sgl_desc *sgl = &cmd->req.cmd->common.dptr.ksgl;
	struct nvo_rdma_queue *queue = cmd->queue;
	u64 addr = le64_to_cpu(sgl->addr);
	u32 len = get_unaligned_le24(sgl->length);
	u32 key = get_unaligned_le32(sgl->key);
	int ret;

	if (!len)
		return 0;
	if (len > NVO_RDMA_MAX_XFER) {
		cmd->req.error_loc = offsetof(struct nvme_common_command, dptr);
		return NVME_SC_SGL_INVALID_DATA | NVME_STATUS_DNR;
	}
	cmd->req.transfer_len = len;
	if (nvmet_req_alloc_sgls(&cmd->req)) {
		cmd->req.transfer_len = 0;
		return NVME_SC_INTERNAL;
	}
	cmd->nvmet_sgls = true;
	/* Kept: the capsule buffer is reused before the response completes. */
	cmd->dir = nvmet_data_dir(&cmd->req);
	ret = rdma_rw_ctx_init(&cmd->rw, queue->qp, queue->cm_id->port_num,
			       cmd->req.sg, cmd->req.sg_cnt, 0, addr, key,
			       cmd->dir);
	if (ret < 0) {
		pr_warn_ratelimited("queue %u: rdma_rw_ctx_init: %d\n",
				    queue->host_qid, ret);
		return NVME_SC_INTERNAL;
	}
	cmd->rw_used = true;
	if ((sgl->type & 0xf) == NVME_SGL_FMT_INVALIDATE) {
		cmd->invalidate = true;
		cmd->invalidate_rkey = key;
	}
	return 0;
}

static u16 nvo_rdma_map_sgl(struct nvo_rdma_cmd *cmd)
{
	struct nvme_sgl_desc *sgl = &cmd->req.cmd->common.dptr.sgl;

	switch (sgl->type >> 4) {
	case NVME_SGL_FMT_DATA_DESC:
		if ((sgl->type & 0xf) == NVME_SGL_FMT_OFFSET)
			return nvo_rdma_map_inline(cmd);
		break;
	case NVME_KEY_SGL_FMT_DATA_DESC:
		switch (sgl->type & 0xf) {
		case NVME_SGL_FMT_ADDRESS:
		case NVME_SGL_FMT_INVALIDATE:
			return nvo_rdma_map_keyed(cmd);
		default:
			break;
		}
		break;
	default:
		break;
	}
	cmd->req.error_loc = offsetof(struct nvme_common_command, dptr);
	return NVME_SC_SGL_INVALID_TYPE | NVME_STATUS_DNR;
}

/* A received command on a live queue: map its data, then execute it. */
void nvo_rdma_handle_cmd(struct nvo_rdma_cmd *cmd)
{
	struct nvo_rdma_queue *queue = cmd->queue;
	struct ib_device *ibdev = queue->dev->ibdev;
	u16 status;
	int ret;

	if (cmd->rx) {
		ib_dma_sync_single_for_cpu(ibdev, cmd->rx->sge[0].addr,
					   sizeof(*cmd->rx->sqe),
					   DMA_FROM_DEVICE);
		if (queue->inline_size)
			ib_dma_sync_single_for_cpu(ibdev, cmd->rx->sge[1].addr,
						   queue->inline_size,
						   DMA_FROM_DEVICE);
	}
	ib_dma_sync_single_for_cpu(ibdev, cmd->cqe_dma, sizeof(*cmd->req.cqe),
				   DMA_TO_DEVICE);

	if (!nvmet_req_init(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			    nvo_rdma_cmd_ops))
		return;	/* nvmet completed it with an error */

	status = nvo_rdma_map_sgl(cmd);
	if (status) {
		nvmet_req_complete(&cmd->req, status);
		return;
	}
	if (!nvo_rdma_data_in(cmd)) {
		cmd->req.execute(&cmd->req);
		return;
	}
	ret = rdma_rw_ctx_post(&cmd->rw, queue->qp, queue->cm_id->port_num,
			       &cmd->read_cqe, NULL);
	if (ret) {
		pr_warn_ratelimited("queue %u: cannot post an RDMA READ: %d\n",
				    queue->host_qid, ret);
		nvmet_req_complete(&cmd->req, NVME_SC_DATA_XFER_ERROR);
	}
}

/*
 * A live move is parking capsules (live.c): this one is copied into the
 * record, its buffer posted again. True when it was parked (or the queue
 * ended because the host sent more than its queue size).
 */
static bool nvo_rdma_park_capsule(struct nvo_rdma_queue *queue,
				  struct nvo_rdma_recv *rx, u32 byte_len)
{
	struct nvo_handover *h = READ_ONCE(queue->park);
	u32 len = byte_len - sizeof(struct nvme_command);
	struct ib_device *ibdev = queue->dev->ibdev;
	struct scatterlist sg;

	if (!h)
		return false;
	if (h->nr_parked == h->sq_size || len > queue->inline_size) {
		pr_warn_ratelimited("queue %u: more capsules than the queue holds while it moves\n",
				    queue->host_qid);
		WRITE_ONCE(queue->park_full, true);
		nvo_rdma_queue_kill(queue);
		return true;
	}
	ib_dma_sync_single_for_cpu(ibdev, rx->sge[0].addr, sizeof(*rx->sqe),
				   DMA_FROM_DEVICE);
	if (len) {
		ib_dma_sync_single_for_cpu(ibdev, rx->sge[1].addr,
					   queue->inline_size, DMA_FROM_DEVICE);
		sg_init_one(&sg, page_address(rx->inline_page), len);
	}
	if (nvo_record_park(h, rx->sqe, len ? &sg : NULL, len ? 1 : 0, len,
			    NULL)) {
		nvo_rdma_queue_kill(queue);
		return true;
	}
	if (nvo_rdma_post_recv(queue, rx))
		nvo_rdma_queue_kill(queue);
	return true;
}

void nvo_rdma_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct nvo_rdma_recv *rx = container_of(wc->wr_cqe,
						struct nvo_rdma_recv, cqe);
	struct nvo_rdma_queue *queue = cq->cq_context;
	struct nvo_rdma_cmd *cmd;
	unsigned long flags;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		nvo_rdma_error(queue, wc, "RECV");
		return;
	}
	if (unlikely(wc->byte_len < sizeof(struct nvme_command))) {
		pr_warn_ratelimited("queue %u: capsule of %u bytes is too short\n",
				    queue->host_qid, wc->byte_len);
		nvo_rdma_queue_kill(queue);
		return;
	}
	if (unlikely(READ_ONCE(queue->park)) &&
	    nvo_rdma_park_capsule(queue, rx, wc->byte_len))
		return;
	cmd = nvo_rdma_get_cmd(queue);
	if (unlikely(!cmd)) {
		/* More commands than the queue size the host connected with. */
		pr_warn_ratelimited("queue %u: no free command slot\n",
				    queue->host_qid);
		nvo_rdma_queue_kill(queue);
		return;
	}
	cmd->rx = rx;
	cmd->req.cmd = rx->sqe;
	cmd->req.port = queue->nport;
	cmd->invalidate = false;

	spin_lock_irqsave(&queue->lock, flags);
	switch (queue->state) {
	case NVO_RDMA_Q_LIVE:
		spin_unlock_irqrestore(&queue->lock, flags);
		nvo_rdma_handle_cmd(cmd);
		return;
	case NVO_RDMA_Q_CONNECTING:
		list_add_tail(&cmd->entry, &queue->wait_cmds);
		spin_unlock_irqrestore(&queue->lock, flags);
		return;
	case NVO_RDMA_Q_DISCONNECTING:
		break;
	}
	spin_unlock_irqrestore(&queue->lock, flags);
	nvo_rdma_release_cmd(cmd);
}

/*
 * The commands a hand-over parked (@h: a device's record, or ours when a
 * move did not happen), in order, before anything polled after them; the
 * record is freed. On the poll work.
 */
void nvo_rdma_start_parked(struct nvo_rdma_queue *queue,
			   struct nvo_handover *h)
{
	struct nvo_rdma_cmd *cmd;
	u32 i;

	for (i = 0; i < h->nr_parked; i++) {
		struct nvo_parked_cmd *p = &h->parked[i];

		if (READ_ONCE(queue->state) != NVO_RDMA_Q_LIVE)
			break;
		if (p->inline_len > queue->inline_size) {
			nvo_rdma_queue_kill(queue);
			break;
		}
		cmd = nvo_rdma_get_cmd(queue);
		if (!cmd) {
			pr_warn_ratelimited("queue %u: no free command slot for a parked command\n",
					    queue->host_qid);
			nvo_rdma_queue_kill(queue);
			break;
		}
		cmd->own_sqe = p->sqe;
		cmd->parked_data = p->inline_data;	/* the slot's now */
		p->inline_data = NULL;
		cmd->rx = NULL;
		cmd->req.cmd = &cmd->own_sqe;
		cmd->req.port = queue->nport;
		cmd->invalidate = false;
		nvo_rdma_handle_cmd(cmd);
	}
	nvo_handover_free(h);
}

/*
 * A command the device does not execute: nvmet runs it in one of our slots
 * on the queue's nvmet SQ, with the data in the device's buffer.
 */
int nvo_rdma_punt(struct nvo_offload_queue *oq, const struct nvme_command *sqe,
		  struct scatterlist *sg, unsigned int sg_cnt, u32 len,
		  void *cookie)
{
	struct nvo_rdma_queue *queue = nvo_rdma_oq_queue(oq);
	struct nvo_rdma_cmd *cmd = NULL;
	unsigned long flags;

	spin_lock_irqsave(&queue->lock, flags);
	/* Only the device that has the queue punts, until it gives it back. */
	if (WARN_ON_ONCE(!queue->offloaded || queue->returned)) {
		spin_unlock_irqrestore(&queue->lock, flags);
		return -EINVAL;
	}
	cmd = nvo_rdma_take_cmd(queue);
	spin_unlock_irqrestore(&queue->lock, flags);
	if (!cmd)
		return -EBUSY;

	atomic_inc(&queue->nr_punts);
	/* Counted as NVMe/TCP's punts are (the device's thread punts). */
	oq->stats.punted_cmds++;
	oq->stats.punted_by_opcode[min_t(unsigned int, sqe->common.opcode,
					 NVO_PUNT_OPC_SLOTS - 1)]++;
	cmd->punted = true;
	cmd->punt_cookie = cookie;
	cmd->own_sqe = *sqe;
	cmd->rx = NULL;
	cmd->req.cmd = &cmd->own_sqe;
	cmd->req.port = queue->nport;
	cmd->invalidate = false;
	nvo_punt_execute(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			 nvo_rdma_cmd_ops, sg, sg_cnt, len);
	return 0;
}

/* A new slot: its completion handlers and response WR (queue.c). */
void nvo_rdma_cmd_init(struct nvo_rdma_cmd *cmd)
{
	cmd->send_cqe.done = nvo_rdma_send_done;
	cmd->read_cqe.done = nvo_rdma_read_done;
	cmd->send_wr.wr_cqe = &cmd->send_cqe;
	cmd->send_wr.sg_list = &cmd->send_sge;
	cmd->send_wr.num_sge = 1;
	cmd->send_wr.send_flags = IB_SEND_SIGNALED;
	INIT_LIST_HEAD(&cmd->entry);
}
