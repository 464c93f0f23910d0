// SPDX-License-Identifier: GPL-2.0
/*
 * Queues: one NVMe/TCP connection each, served in software.
 *
 * All protocol work of a queue (receive, execute, send) runs in its io_work,
 * on the CPU the queue was given at accept; nvmet completes commands from
 * any context through queue_response(), which only links the command on a
 * lock-free list and kicks io_work. So per-queue state needs no lock; only
 * the queue's life cycle (state_lock) and the global list (nvo_queue_mutex)
 * are shared.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "netlink.h"
#include "transport.h"

struct workqueue_struct *nvo_io_wq;
static struct workqueue_struct *nvo_release_wq;
static DEFINE_MUTEX(nvo_queue_mutex);
static LIST_HEAD(nvo_queue_list);
static DEFINE_IDA(nvo_queue_ida);
static atomic_t nvo_next_cpu = ATOMIC_INIT(-1);

static const struct nvo_ic_limits nvo_ic_limits = {
	.allow_hdgst	= true,
	.allow_ddgst	= true,
	.maxh2cdata	= NVO_MAXH2CDATA,
};

static bool nvo_offload_reconcile(struct nvo_queue *queue);
static bool nvo_queue_drained(struct nvo_queue *queue);
static void nvo_handover(struct nvo_queue *queue);

static void nvo_kick(struct nvo_queue *queue)
{
	queue_work_on(queue->cpu, nvo_io_wq, &queue->io_work);
}

static void nvo_queue_close(struct nvo_queue *queue)
{
	spin_lock_bh(&queue->state_lock);
	if (queue->state != NVO_Q_CLOSING) {
		queue->state = NVO_Q_CLOSING;
		queue_work(nvo_release_wq, &queue->release_work);
	}
	spin_unlock_bh(&queue->state_lock);
}

/*
 * A protocol error: tell the host why when the send side is between PDUs,
 * then fail the controller (nvmet tears down its other queues) and close.
 */
static int nvo_queue_fatal(struct nvo_queue *queue, enum nvo_fes fes, u32 fei)
{
	pr_warn_ratelimited("queue %d: protocol error (fes %#x, field offset %u), closing the connection\n",
			    queue->idx, fes, fei);
	if (fes != NVO_FES_NONE && !queue->tx_cmd && !queue->ctl_len) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		struct kvec iov;

		iov.iov_base = queue->ctl_pdu;
		iov.iov_len = nvo_pdu_build_c2h_term(queue->ctl_pdu, fes, fei,
						     queue->rx_pdu.buf,
						     queue->rx_off);
		kernel_sendmsg(queue->sock, &msg, &iov, 1, iov.iov_len);
	}
	if (queue->nvme_sq.ctrl)
		nvmet_ctrl_fatal_error(queue->nvme_sq.ctrl);
	nvo_queue_close(queue);
	return -EPROTO;
}

/* A socket call failed or the peer closed: the connection is over. */
static int nvo_queue_sock_error(struct nvo_queue *queue, int ret)
{
	if (ret == -EAGAIN)
		return ret;
	if (ret < 0 && ret != -ECONNRESET && ret != -EPIPE)
		pr_debug("queue %d: socket error %d\n", queue->idx, ret);
	nvo_queue_close(queue);
	return ret ? ret : -ECONNRESET;
}

/* ---- commands ---------------------------------------------------------- */

/*
 * Bytes of command slots all queues hold at once. A host chooses the queue
 * depth (up to 1024 a queue, as many queues as it likes): past this ceiling
 * a Connect fails with an error instead of pinning more of a NIC's memory.
 */
static unsigned long queue_mem_limit_kb = 256 * 1024;
module_param(queue_mem_limit_kb, ulong, 0644);
MODULE_PARM_DESC(queue_mem_limit_kb,
		 "ceiling on the command slots of all queues, in KiB (default 256 MiB)");
static atomic_long_t nvo_queue_mem = ATOMIC_LONG_INIT(0);

/* Slot memory now held, for debugfs. */
long nvo_queue_mem_bytes(void)
{
	return atomic_long_read(&nvo_queue_mem);
}

static bool nvo_queue_mem_charge(size_t bytes)
{
	long limit = (long)min_t(unsigned long, READ_ONCE(queue_mem_limit_kb),
				 LONG_MAX >> 10) << 10;

	if (atomic_long_add_return(bytes, &nvo_queue_mem) > limit) {
		atomic_long_sub(bytes, &nvo_queue_mem);
		return false;
	}
	return true;
}

static void nvo_cmd_init(struct nvo_queue *queue, struct nvo_cmd *cmd,
			 u16 ttag)
{
	cmd->queue = queue;
	cmd->ttag = ttag;
	cmd->req.cmd = &cmd->sqe;
	cmd->req.cqe = &cmd->cqe;
	INIT_LIST_HEAD(&cmd->entry);
}

static void nvo_cmd_put_data(struct nvo_cmd *cmd)
{
	if (cmd->flags & NVO_CMD_OWN_SGL)
		nvmet_req_free_sgls(&cmd->req);
	cmd->flags &= ~NVO_CMD_OWN_SGL;
	if (cmd->inline_sg) {
		sgl_free(cmd->inline_sg);
		cmd->inline_sg = NULL;
		cmd->inline_nents = 0;
	}
}

/* Room for @len bytes of in-capsule data; the command keeps it until put. */
static int nvo_cmd_alloc_inline(struct nvo_cmd *cmd, u32 len)
{
	if (cmd->inline_sg)
		return 0;	/* parked: the data is already there */
	cmd->inline_sg = sgl_alloc(len, GFP_KERNEL | __GFP_NOWARN,
				   &cmd->inline_nents);
	return cmd->inline_sg ? 0 : -ENOMEM;
}

static struct nvo_cmd *nvo_get_cmd(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd = NULL;
	unsigned long flags;

	spin_lock_irqsave(&queue->cmd_lock, flags);
	if (!queue->cmds) {
		/* Before Connect installs the queue only Connect can come. */
		if (!queue->connect_busy) {
			queue->connect_busy = true;
			cmd = queue->connect_cmd;
		}
	} else {
		cmd = list_first_entry_or_null(&queue->free_cmds,
					       struct nvo_cmd, entry);
		if (cmd)
			list_del_init(&cmd->entry);
	}
	if (cmd)
		queue->nr_active++;
	spin_unlock_irqrestore(&queue->cmd_lock, flags);
	if (!cmd)
		return NULL;

	cmd->flags = 0;
	cmd->data_status = 0;
	cmd->parked_len = 0;
	cmd->tx_state = NVO_TX_IDLE;
	nvo_xfer_init(&cmd->xfer, 0);
	cmd->req.port = queue->nport;
	return cmd;
}

static void nvo_put_cmd(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	unsigned long flags;

	nvo_cmd_put_data(cmd);
	cmd->flags = 0;
	spin_lock_irqsave(&queue->cmd_lock, flags);
	queue->nr_active--;
	if (cmd == queue->connect_cmd)
		queue->connect_busy = false;
	else
		list_add(&cmd->entry, &queue->free_cmds);
	spin_unlock_irqrestore(&queue->cmd_lock, flags);
}

static void nvo_free_cmds(struct nvo_queue *queue)
{
	u32 i;

	for (i = 0; i < queue->nr_cmds; i++)
		nvo_cmd_put_data(&queue->cmds[i]);
	kvfree(queue->cmds);
	queue->cmds = NULL;
	queue->nr_cmds = 0;
	atomic_long_sub(queue->slot_mem, &nvo_queue_mem);
	queue->slot_mem = 0;
	if (queue->connect_cmd) {
		nvo_cmd_put_data(queue->connect_cmd);
		kfree(queue->connect_cmd);
		queue->connect_cmd = NULL;
	}
}

u16 nvo_install_queue(struct nvmet_sq *sq)
{
	struct nvo_queue *queue = container_of(sq, struct nvo_queue, nvme_sq);
	u32 limit = queue->nport->inline_data_size;
	size_t bytes = array_size(sq->size, sizeof(struct nvo_cmd));
	struct nvo_cmd *cmds;
	LIST_HEAD(free);
	u32 i;

	if (queue->cmds)
		return NVME_SC_CMD_SEQ_ERROR | NVME_STATUS_DNR;
	if (!sq->qid)
		limit = max_t(u32, limit, NVO_ADMIN_INLINE);

	if (!nvo_queue_mem_charge(bytes)) {
		pr_warn_ratelimited("queue %d: %u slots would pass queue_mem_limit_kb (%lu KiB), refusing the Connect\n",
				    queue->idx, sq->size,
				    READ_ONCE(queue_mem_limit_kb));
		return NVME_SC_INTERNAL;
	}
	cmds = kvcalloc(sq->size, sizeof(*cmds), GFP_KERNEL);
	if (!cmds) {
		atomic_long_sub(bytes, &nvo_queue_mem);
		return NVME_SC_INTERNAL;
	}
	/* Nothing here can fail: the queue takes the slots whole or not. */
	for (i = 0; i < sq->size; i++) {
		nvo_cmd_init(queue, &cmds[i], i);
		list_add_tail(&cmds[i].entry, &free);
	}
	queue->inline_limit = limit;
	queue->slot_mem = bytes;
	spin_lock_irq(&queue->cmd_lock);
	list_splice_tail(&free, &queue->free_cmds);
	queue->nr_cmds = sq->size;
	queue->cmds = cmds;
	spin_unlock_irq(&queue->cmd_lock);

	/* A port with an offload policy offers every I/O queue. */
	if (sq->qid) {
		queue->oq.qid = sq->qid;
		queue->oq.depth = sq->size;
		queue->oq.cntlid = sq->ctrl ? sq->ctrl->cntlid : 0;
		nvo_offload_offer_queue(queue);
	}
	return 0;
}

/* ---- receive ----------------------------------------------------------- */

static void nvo_rx_next_pdu(struct nvo_queue *queue)
{
	queue->rx_state = NVO_RX_HDR;
	queue->rx_off = 0;
	queue->rx_need = sizeof(struct nvo_pdu_common);
	queue->rx_cmd = NULL;
}

static int nvo_recv_raw(struct nvo_queue *queue, void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int ret;

	ret = kernel_recvmsg(queue->sock, &msg, &iov, 1, len, msg.msg_flags);
	return ret > 0 ? ret : nvo_queue_sock_error(queue, ret);
}

static u32 nvo_rx_staged(const struct nvo_queue *queue)
{
	return queue->rx_stage_len - queue->rx_stage_off;
}

/*
 * Read ahead into rx_stage if nothing is staged and the queue is settled
 * in software: > 0 bytes staged, 0 when the caller must read exactly what
 * it needs, or the error.
 */
static int nvo_rx_stage_fill(struct nvo_queue *queue)
{
	int ret;

	if (nvo_rx_staged(queue))
		return nvo_rx_staged(queue);
	if (READ_ONCE(queue->ostate) != NVO_OQ_SOFTWARE ||
	    READ_ONCE(queue->want_offload))
		return 0;
	ret = nvo_recv_raw(queue, queue->rx_stage, sizeof(queue->rx_stage));
	if (ret < 0)
		return ret;
	queue->rx_stage_off = 0;
	queue->rx_stage_len = ret;
	return ret;
}

/* Up to @len bytes of the stream: staged ones first. */
static int nvo_recv_buf(struct nvo_queue *queue, void *buf, size_t len)
{
	u32 n;
	int ret;

	ret = nvo_rx_stage_fill(queue);
	if (ret <= 0)
		return ret ? ret : nvo_recv_raw(queue, buf, len);
	n = min_t(size_t, len, ret);
	memcpy(buf, queue->rx_stage + queue->rx_stage_off, n);
	queue->rx_stage_off += n;
	return n;
}

static void nvo_rx_discard(struct nvo_queue *queue, u32 len)
{
	queue->rx_cmd = NULL;
	queue->rx_left = len;
	queue->rx_state = NVO_RX_DISCARD;
	if (!len)
		nvo_rx_next_pdu(queue);
}

/* Everything after the header of the current PDU. */
static u32 nvo_rx_payload_len(struct nvo_queue *queue)
{
	const struct nvo_pdu_common *h = &queue->rx_pdu.common;

	return le32_to_cpu(h->plen) - nvo_pdu_hdr_len(h, &queue->params);
}

static void nvo_rx_start_data(struct nvo_queue *queue, struct nvo_cmd *cmd,
			      u32 len)
{
	u32 pad = nvo_pdu_pad_len(&queue->rx_pdu.common, &queue->params);

	queue->rx_cmd = cmd;
	queue->rx_data_len = len;
	queue->rx_crc = nvo_digest_init();
	if (pad) {
		queue->rx_state = NVO_RX_PAD;
		queue->rx_left = pad;
	} else {
		queue->rx_state = NVO_RX_DATA;
		queue->rx_left = len;
	}
}

static void nvo_cmd_use_inline(struct nvo_cmd *cmd)
{
	cmd->req.sg = cmd->inline_sg;
	cmd->req.sg_cnt = cmd->inline_nents;
}

/* Where the command's data lives: in the capsule, or solicited by R2T. */
static u16 nvo_map_data(struct nvo_queue *queue, struct nvo_cmd *cmd,
			u32 pdu_data_len)
{
	struct nvme_sgl_desc *sgl = &cmd->sqe.common.dptr.sgl;
	u32 len = le32_to_cpu(sgl->length);

	if (!len)
		return pdu_data_len ? NVME_SC_SGL_INVALID_DATA | NVME_STATUS_DNR : 0;
	if (len > NVO_MAX_XFER)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;

	if (sgl->type == ((NVME_SGL_FMT_DATA_DESC << 4) | NVME_SGL_FMT_OFFSET)) {
		if (!nvme_is_write(cmd->req.cmd))
			return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		if (len > queue->inline_limit || le64_to_cpu(sgl->addr))
			return NVME_SC_SGL_INVALID_OFFSET | NVME_STATUS_DNR;
		if (len != pdu_data_len)
			return NVME_SC_SGL_INVALID_DATA | NVME_STATUS_DNR;
		if (nvo_cmd_alloc_inline(cmd, len))
			return NVME_SC_INTERNAL;
		cmd->req.transfer_len = len;
		queue->stats.inline_writes++;
		nvo_cmd_use_inline(cmd);
		cmd->rx_sg = cmd->req.sg;
		cmd->rx_sg_off = 0;
		cmd->flags |= NVO_CMD_AWAIT_DATA;
		return 0;
	}

	if (sgl->type != ((NVME_TRANSPORT_SGL_DATA_DESC << 4) |
			  NVME_SGL_FMT_TRANSPORT_A))
		return NVME_SC_SGL_INVALID_TYPE | NVME_STATUS_DNR;
	if (pdu_data_len)
		return NVME_SC_SGL_INVALID_DATA | NVME_STATUS_DNR;

	cmd->req.transfer_len = len;
	if (nvmet_req_alloc_sgls(&cmd->req))
		return NVME_SC_INTERNAL;
	cmd->flags |= NVO_CMD_OWN_SGL;
	if (nvme_is_write(cmd->req.cmd)) {
		nvo_xfer_init(&cmd->xfer, len);
		cmd->rx_sg = cmd->req.sg;
		cmd->rx_sg_off = 0;
		cmd->flags |= NVO_CMD_AWAIT_DATA;
	}
	return 0;
}

static void nvo_queue_r2t(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	u32 off, len;

	if (!nvo_xfer_next_r2t(&cmd->xfer, queue->params.maxh2cdata, &off,
			       &len))
		return;
	cmd->tx_hdr_len = nvo_pdu_build_r2t(cmd->tx_hdr,
					    cmd->sqe.common.command_id,
					    cmd->ttag, off, len, &queue->params);
	cmd->tx_state = NVO_TX_R2T;
	cmd->tx_off = 0;
	queue->stats.r2ts++;
	list_add_tail(&cmd->entry, &queue->tx_list);
}

static void nvo_cmd_execute(struct nvo_cmd *cmd)
{
	cmd->flags &= ~NVO_CMD_AWAIT_DATA;
	if (unlikely(cmd->data_status))
		nvmet_req_complete(&cmd->req, cmd->data_status);
	else
		cmd->req.execute(&cmd->req);
}

/* ---- hand-over: parking --------------------------------------------- */

/* Start a command whose capsule (and in-capsule data) we already have. */
static void nvo_start_cmd(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	u16 status;

	cmd->flags &= ~NVO_CMD_PARKED;
	if (!nvmet_req_init(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			    &nvo_fabrics_ops))
		return;
	status = nvo_map_data(queue, cmd, cmd->parked_len);
	if (status) {
		cmd->flags &= ~NVO_CMD_AWAIT_DATA;
		nvmet_req_complete(&cmd->req, status);
		return;
	}
	if (cmd->parked_len)
		nvo_cmd_execute(cmd);	/* the data sits in its pages */
	else if (cmd->flags & NVO_CMD_AWAIT_DATA)
		nvo_queue_r2t(queue, cmd);
	else
		cmd->req.execute(&cmd->req);
}

static void nvo_park(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	/* A failed data digest or a cancelled drain: no reason to wait. */
	if (cmd->data_status || queue->ostate != NVO_OQ_OFFLOADING) {
		nvo_start_cmd(queue, cmd);
		return;
	}
	list_add_tail(&cmd->entry, &queue->parked);
	queue->nr_parked++;
}

static void nvo_unpark_all(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd, *tmp;

	list_for_each_entry_safe(cmd, tmp, &queue->parked, entry) {
		list_del_init(&cmd->entry);
		queue->nr_parked--;
		nvo_start_cmd(queue, cmd);
	}
}

/* Free the parked commands' slots: they went into a record, or nowhere. */
static void nvo_drop_parked(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd, *tmp;

	list_for_each_entry_safe(cmd, tmp, &queue->parked, entry) {
		list_del_init(&cmd->entry);
		queue->nr_parked--;
		nvo_put_cmd(queue, cmd);
	}
}

/* Start the commands a hand-over record brought back. */
static void nvo_start_record(struct nvo_queue *queue, struct nvo_handover *h)
{
	struct nvo_cmd *cmd;
	u32 i;

	for (i = 0; i < h->nr_parked; i++) {
		struct nvo_parked_cmd *p = &h->parked[i];

		cmd = nvo_get_cmd(queue);
		if (WARN_ON_ONCE(!cmd))
			return;
		cmd->sqe = p->sqe;
		if (p->inline_len > queue->inline_limit) {
			/* The device took more than we can: let nvmet say no. */
			cmd->parked_len = 0;
		} else if (p->inline_len) {
			cmd->parked_len = p->inline_len;
			if (nvo_cmd_alloc_inline(cmd, p->inline_len))
				/* No room for its data: it fails, retryable. */
				cmd->data_status = NVME_SC_INTERNAL;
			else
				sg_copy_from_buffer(cmd->inline_sg,
						    cmd->inline_nents,
						    p->inline_data,
						    p->inline_len);
		}
		nvo_start_cmd(queue, cmd);
	}
}

static int nvo_rx_icreq(struct nvo_queue *queue)
{
	enum nvo_fes fes;
	u32 fei;

	fes = nvo_icreq_accept(&queue->rx_pdu.icreq, &nvo_ic_limits,
			       &queue->params,
			       (struct nvo_pdu_icresp *)queue->ctl_pdu, &fei);
	if (fes)
		return nvo_queue_fatal(queue, fes, fei);

	spin_lock_bh(&queue->state_lock);
	if (queue->state == NVO_Q_WAIT_ICREQ)
		queue->state = NVO_Q_LIVE;
	spin_unlock_bh(&queue->state_lock);
	queue->ctl_len = NVO_IC_PDU_LEN;
	queue->ctl_off = 0;
	nvo_rx_next_pdu(queue);
	return 1;
}

/* Keep a capsule (and its in-capsule data) without starting it. */
static int nvo_rx_park(struct nvo_queue *queue, struct nvo_cmd *cmd,
		       u32 data_len)
{
	cmd->flags |= NVO_CMD_PARKED;
	cmd->parked_len = data_len;
	if (data_len) {
		cmd->rx_sg = cmd->inline_sg;
		cmd->rx_sg_off = 0;
		nvo_rx_start_data(queue, cmd, data_len);
		return 1;
	}
	nvo_rx_next_pdu(queue);
	nvo_park(queue, cmd);
	return 1;
}

static int nvo_rx_cmd(struct nvo_queue *queue)
{
	struct nvo_pdu_cmd *pdu = &queue->rx_pdu.cmd;
	u32 data_len = nvo_pdu_data_len(&pdu->hdr, &queue->params);
	struct nvo_cmd *cmd;
	u16 status;

	if (data_len > max_t(u32, queue->inline_limit, PAGE_SIZE))
		return nvo_queue_fatal(queue, NVO_FES_DATA_LIMIT_EXCEEDED,
				       offsetof(struct nvo_pdu_common, plen));

	cmd = nvo_get_cmd(queue);
	if (!cmd) {
		pr_warn_ratelimited("queue %d: host exceeded the queue depth\n",
				    queue->idx);
		return nvo_queue_fatal(queue, NVO_FES_PDU_SEQUENCE, 0);
	}
	memcpy(&cmd->sqe, pdu->sqe, sizeof(cmd->sqe));

	/*
	 * Draining for a hand-over: take it off the wire, start it later.
	 * Without room for its data it starts now, and nvmet fails it.
	 */
	if (READ_ONCE(queue->ostate) == NVO_OQ_OFFLOADING &&
	    data_len <= queue->inline_limit &&
	    (!data_len || !nvo_cmd_alloc_inline(cmd, data_len)))
		return nvo_rx_park(queue, cmd, data_len);

	if (!nvmet_req_init(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			    &nvo_fabrics_ops)) {
		/* nvmet completed it with an error; drop its payload. */
		nvo_rx_discard(queue, nvo_rx_payload_len(queue));
		return 1;
	}

	status = nvo_map_data(queue, cmd, data_len);
	if (status) {
		cmd->flags &= ~NVO_CMD_AWAIT_DATA;
		nvmet_req_complete(&cmd->req, status);
		nvo_rx_discard(queue, nvo_rx_payload_len(queue));
		return 1;
	}

	if (data_len) {
		nvo_rx_start_data(queue, cmd, data_len);
		return 1;
	}

	nvo_rx_next_pdu(queue);
	if (cmd->flags & NVO_CMD_AWAIT_DATA)
		nvo_queue_r2t(queue, cmd);
	else
		cmd->req.execute(&cmd->req);
	return 1;
}

static int nvo_rx_h2c_data(struct nvo_queue *queue)
{
	struct nvo_pdu_data *d = &queue->rx_pdu.data;
	u32 data_len = nvo_pdu_data_len(&d->hdr, &queue->params);
	u16 ttag = le16_to_cpu(d->ttag);
	struct nvo_cmd *cmd;
	enum nvo_fes fes;
	u32 fei;

	if (ttag >= queue->nr_cmds)
		return nvo_queue_fatal(queue, NVO_FES_INVALID_HDR_FIELD,
				       offsetof(struct nvo_pdu_data, ttag));
	cmd = &queue->cmds[ttag];
	if (!(cmd->flags & NVO_CMD_AWAIT_DATA) ||
	    d->cccid != cmd->sqe.common.command_id)
		return nvo_queue_fatal(queue, NVO_FES_INVALID_HDR_FIELD,
				       offsetof(struct nvo_pdu_data, cccid));
	if (data_len > queue->params.maxh2cdata)
		return nvo_queue_fatal(queue, NVO_FES_DATA_LIMIT_EXCEEDED,
				       offsetof(struct nvo_pdu_data, length));
	fes = nvo_xfer_check_h2c(&cmd->xfer, d, data_len, &fei);
	if (fes)
		return nvo_queue_fatal(queue, fes, fei);

	nvo_rx_start_data(queue, cmd, data_len);
	return 1;
}

static int nvo_rx_dispatch(struct nvo_queue *queue, int *ops)
{
	const struct nvo_pdu_common *h = &queue->rx_pdu.common;
	const struct nvo_pdu_term *term = (const void *)queue->rx_pdu.buf;

	(*ops)++;
	switch (h->type) {
	case NVO_PDU_ICREQ:
		return nvo_rx_icreq(queue);
	case NVO_PDU_CMD:
		return nvo_rx_cmd(queue);
	case NVO_PDU_H2C_DATA:
		return nvo_rx_h2c_data(queue);
	case NVO_PDU_H2C_TERM:
		pr_info_ratelimited("queue %d: host terminated the connection (fes %#x)\n",
				    queue->idx, le16_to_cpu(term->fes));
		return nvo_queue_sock_error(queue, -ECONNRESET);
	default:
		/* nvo_pdu_check_h2c() let no other type through */
		return nvo_queue_fatal(queue, NVO_FES_INVALID_HDR_FIELD, 0);
	}
}

static int nvo_rx_hdr(struct nvo_queue *queue, int *ops)
{
	const struct nvo_pdu_common *h = &queue->rx_pdu.common;
	enum nvo_fes fes;
	u32 fei;
	int ret;

	ret = nvo_recv_buf(queue, queue->rx_pdu.buf + queue->rx_off,
			   queue->rx_need - queue->rx_off);
	if (ret < 0)
		return ret;
	queue->rx_off += ret;
	if (queue->rx_off < queue->rx_need)
		return 1;

	if (queue->rx_need == sizeof(*h)) {
		fes = nvo_pdu_check_h2c(h, &queue->params,
					queue->state != NVO_Q_WAIT_ICREQ, &fei);
		if (fes)
			return nvo_queue_fatal(queue, fes, fei);
		queue->rx_need = nvo_pdu_hdr_len(h, &queue->params);
		if (queue->rx_need > sizeof(queue->rx_pdu.buf))
			return nvo_queue_fatal(queue, NVO_FES_INVALID_HDR_FIELD,
					       offsetof(struct nvo_pdu_common, hlen));
		if (queue->rx_off < queue->rx_need)
			return 1;
	}

	if (queue->rx_need > h->hlen && !nvo_pdu_hdgst_ok(h, h->hlen))
		return nvo_queue_fatal(queue, NVO_FES_HDR_DIGEST, 0);
	return nvo_rx_dispatch(queue, ops);
}

/* Drop padding, or the payload of a command that already failed. */
static int nvo_rx_skip(struct nvo_queue *queue)
{
	u8 scratch[64];
	int ret;

	while (queue->rx_left) {
		ret = nvo_recv_buf(queue, scratch,
				   min_t(u32, queue->rx_left, sizeof(scratch)));
		if (ret < 0)
			return ret;
		queue->rx_left -= ret;
	}
	if (queue->rx_state == NVO_RX_PAD) {
		queue->rx_state = NVO_RX_DATA;
		queue->rx_left = queue->rx_data_len;
	} else {
		nvo_rx_next_pdu(queue);
	}
	return 1;
}

static int nvo_rx_data_done(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd = queue->rx_cmd;
	bool in_capsule = queue->rx_pdu.common.type == NVO_PDU_CMD;
	bool window_done;

	nvo_rx_next_pdu(queue);
	if (cmd->flags & NVO_CMD_PARKED) {
		nvo_park(queue, cmd);
		return 1;
	}
	if (!in_capsule) {
		window_done = nvo_xfer_advance(&cmd->xfer, queue->rx_data_len);
		if (!nvo_xfer_complete(&cmd->xfer)) {
			if (window_done)
				nvo_queue_r2t(queue, cmd);
			return 1;
		}
	}
	nvo_cmd_execute(cmd);
	return 1;
}

static int nvo_rx_data(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd = queue->rx_cmd;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct bio_vec bv;
	int ret;

	while (queue->rx_left) {
		struct scatterlist *sg = cmd->rx_sg;
		u32 off, poff, len;
		struct page *page;

		if (WARN_ON_ONCE(!sg))
			return nvo_queue_fatal(queue, NVO_FES_DATA_OUT_OF_RANGE, 0);
		off = sg->offset + cmd->rx_sg_off;
		page = nth_page(sg_page(sg), off >> PAGE_SHIFT);
		poff = offset_in_page(off);
		len = min3(sg->length - cmd->rx_sg_off, (u32)PAGE_SIZE - poff,
			   queue->rx_left);

		if (nvo_rx_staged(queue)) {
			/* Read ahead with the header: copy it out. */
			ret = min(len, nvo_rx_staged(queue));
			memcpy_to_page(page, poff,
				       queue->rx_stage + queue->rx_stage_off,
				       ret);
			queue->rx_stage_off += ret;
		} else {
			/* Straight into the command's pages. */
			bv.bv_page = page;
			bv.bv_offset = poff;
			bv.bv_len = len;
			iov_iter_bvec(&msg.msg_iter, READ, &bv, 1, len);
			ret = sock_recvmsg(queue->sock, &msg, msg.msg_flags);
			if (ret <= 0)
				return nvo_queue_sock_error(queue, ret);
		}

		if (queue->params.ddgst) {
			u8 *va = kmap_local_page(page);

			queue->rx_crc = nvo_crc32c_update(queue->rx_crc,
							  va + poff, ret);
			kunmap_local(va);
		}
		queue->rx_left -= ret;
		cmd->rx_sg_off += ret;
		if (cmd->rx_sg_off == sg->length) {
			cmd->rx_sg = sg_next(sg);
			cmd->rx_sg_off = 0;
		}
	}

	if (queue->params.ddgst) {
		queue->rx_state = NVO_RX_DDGST;
		queue->rx_off = 0;
		return 1;
	}
	return nvo_rx_data_done(queue);
}

static int nvo_rx_ddgst(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd = queue->rx_cmd;
	int ret;

	ret = nvo_recv_buf(queue, queue->rx_ddgst + queue->rx_off,
			   NVO_DIGEST_LEN - queue->rx_off);
	if (ret < 0)
		return ret;
	queue->rx_off += ret;
	if (queue->rx_off < NVO_DIGEST_LEN)
		return 1;

	if (get_unaligned_le32(queue->rx_ddgst) !=
	    nvo_digest_final(queue->rx_crc)) {
		pr_warn_ratelimited("queue %d: data digest error on command %#x\n",
				    queue->idx,
				    cmd->sqe.common.command_id);
		/* Not fatal: the command fails and the host may retry it. */
		cmd->data_status = NVME_SC_TRANSIENT_TR_ERR;
		queue->stats.digest_errors++;
	}
	return nvo_rx_data_done(queue);
}

static int nvo_try_recv(struct nvo_queue *queue, int *ops)
{
	int progress = 0, ret;

	while (*ops < NVO_IO_BUDGET) {
		switch (queue->rx_state) {
		case NVO_RX_HDR:
			ret = nvo_rx_hdr(queue, ops);
			break;
		case NVO_RX_PAD:
		case NVO_RX_DISCARD:
			ret = nvo_rx_skip(queue);
			break;
		case NVO_RX_DATA:
			ret = nvo_rx_data(queue);
			break;
		case NVO_RX_DDGST:
			ret = nvo_rx_ddgst(queue);
			break;
		default:
			ret = -EINVAL;
		}
		if (ret == -EAGAIN)
			break;
		if (ret < 0)
			return ret;
		progress = 1;
	}
	return progress;
}

/* ---- send -------------------------------------------------------------- */

/* Send what is left of @buf; 0 when all of it went out. */
static int nvo_send_buf(struct nvo_queue *queue, const void *buf, u32 len,
			u32 *off, bool more)
{
	int ret;

	while (*off < len) {
		struct msghdr msg = {
			.msg_flags = MSG_DONTWAIT | (more ? MSG_MORE : 0),
		};
		struct kvec iov = {
			.iov_base = (void *)buf + *off,
			.iov_len = len - *off,
		};

		ret = kernel_sendmsg(queue->sock, &msg, &iov, 1, iov.iov_len);
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		*off += ret;
	}
	return 0;
}

static u32 nvo_sg_digest(struct scatterlist *sg, u32 len)
{
	u32 crc = nvo_digest_init();

	while (sg && len) {
		u32 done = 0;

		while (done < sg->length && len) {
			u32 off = sg->offset + done;
			u32 poff = offset_in_page(off);
			u32 n = min3(sg->length - done, (u32)PAGE_SIZE - poff,
				     len);
			u8 *va = kmap_local_page(nth_page(sg_page(sg),
							  off >> PAGE_SHIFT));

			crc = nvo_crc32c_update(crc, va + poff, n);
			kunmap_local(va);
			done += n;
			len -= n;
		}
		sg = sg_next(sg);
	}
	return nvo_digest_final(crc);
}

static void nvo_prep_rsp(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	cmd->tx_hdr_len = nvo_pdu_build_rsp(cmd->tx_hdr, &cmd->cqe,
					    &queue->params);
	cmd->tx_state = NVO_TX_RSP;
	cmd->tx_off = 0;
}

/* A completed command: read data and/or the response go out. */
static void nvo_prep_completion(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	struct nvmet_req *req = &cmd->req;
	bool success;

	nvo_stats_complete(queue, cmd);
	if (nvme_is_write(req->cmd) || !req->transfer_len || !req->sg ||
	    cmd->cqe.status) {
		nvo_prep_rsp(queue, cmd);
		return;
	}

	/* With SQ flow control off the response can ride on the data. */
	success = queue->nvme_sq.sqhd_disabled;
	cmd->tx_hdr_len = nvo_pdu_build_c2h_data(cmd->tx_hdr,
						 cmd->sqe.common.command_id,
						 0, req->transfer_len, true,
						 success, &queue->params);
	cmd->tx_state = NVO_TX_C2H_HDR;
	cmd->tx_off = 0;
	cmd->tx_sg = req->sg;
	cmd->tx_sg_off = 0;
	cmd->tx_data_left = req->transfer_len;
	if (queue->params.ddgst)
		cmd->tx_ddgst = cpu_to_le32(nvo_sg_digest(req->sg,
							  req->transfer_len));
}

/*
 * More PDUs are ready to follow the one being sent: it goes with MSG_MORE,
 * so responses leave in full segments rather than one push each. The last
 * one of a batch goes without and pushes them all.
 */
static bool nvo_tx_more(struct nvo_queue *queue)
{
	return !list_empty(&queue->tx_list) || !llist_empty(&queue->rsp_list);
}

static bool nvo_rsp_in_data(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	return cmd->tx_hdr[1] & NVO_F_DATA_SUCCESS;
}

static int nvo_send_data(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	bool tail = queue->params.ddgst || !nvo_rsp_in_data(queue, cmd) ||
		    nvo_tx_more(queue);
	int ret;

	while (cmd->tx_data_left) {
		struct scatterlist *sg = cmd->tx_sg;
		u32 off = sg->offset + cmd->tx_sg_off;
		u32 poff = offset_in_page(off);
		u32 len = min3(sg->length - cmd->tx_sg_off,
			       (u32)PAGE_SIZE - poff, cmd->tx_data_left);

		ret = nvo_send_page(queue->sock,
				    nth_page(sg_page(sg), off >> PAGE_SHIFT),
				    poff, len, tail || len < cmd->tx_data_left);
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		cmd->tx_data_left -= ret;
		cmd->tx_sg_off += ret;
		if (cmd->tx_sg_off == sg->length) {
			cmd->tx_sg = sg_next(sg);
			cmd->tx_sg_off = 0;
		}
	}
	return 0;
}

/* Advance @cmd's send; 1 when its PDUs are all out, -EAGAIN when blocked. */
static int nvo_send_cmd(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	int ret;

	for (;;) {
		switch (cmd->tx_state) {
		case NVO_TX_R2T:
			ret = nvo_send_buf(queue, cmd->tx_hdr, cmd->tx_hdr_len,
					   &cmd->tx_off, nvo_tx_more(queue));
			if (ret)
				return ret;
			cmd->tx_state = NVO_TX_IDLE;
			return 1;	/* the command now waits for data */
		case NVO_TX_C2H_HDR:
			ret = nvo_send_buf(queue, cmd->tx_hdr, cmd->tx_hdr_len,
					   &cmd->tx_off, true);
			if (ret)
				return ret;
			cmd->tx_state = NVO_TX_C2H_DATA;
			break;
		case NVO_TX_C2H_DATA:
			ret = nvo_send_data(queue, cmd);
			if (ret)
				return ret;
			cmd->tx_off = 0;
			if (queue->params.ddgst)
				cmd->tx_state = NVO_TX_C2H_DDGST;
			else if (nvo_rsp_in_data(queue, cmd))
				goto done;
			else
				nvo_prep_rsp(queue, cmd);
			break;
		case NVO_TX_C2H_DDGST:
			ret = nvo_send_buf(queue, &cmd->tx_ddgst, NVO_DIGEST_LEN,
					   &cmd->tx_off,
					   !nvo_rsp_in_data(queue, cmd) ||
					   nvo_tx_more(queue));
			if (ret)
				return ret;
			if (nvo_rsp_in_data(queue, cmd))
				goto done;
			nvo_prep_rsp(queue, cmd);
			break;
		case NVO_TX_RSP:
			ret = nvo_send_buf(queue, cmd->tx_hdr, cmd->tx_hdr_len,
					   &cmd->tx_off, nvo_tx_more(queue));
			if (ret)
				return ret;
			goto done;
		default:
			WARN_ON_ONCE(1);
			return -EINVAL;
		}
	}
done:
	cmd->tx_state = NVO_TX_IDLE;
	nvo_put_cmd(queue, cmd);
	return 1;
}

static struct nvo_cmd *nvo_next_tx(struct nvo_queue *queue)
{
	struct llist_node *node;
	struct nvo_cmd *cmd, *tmp;

	if (list_empty(&queue->tx_list)) {
		node = llist_reverse_order(llist_del_all(&queue->rsp_list));
		llist_for_each_entry_safe(cmd, tmp, node, rsp_node) {
			nvo_prep_completion(queue, cmd);
			list_add_tail(&cmd->entry, &queue->tx_list);
		}
	}
	cmd = list_first_entry_or_null(&queue->tx_list, struct nvo_cmd,
				       entry);
	if (cmd)
		list_del_init(&cmd->entry);
	return cmd;
}

static int nvo_try_send(struct nvo_queue *queue, int *ops)
{
	int progress = 0, ret;

	if (queue->ctl_len) {
		ret = nvo_send_buf(queue, queue->ctl_pdu, queue->ctl_len,
				   &queue->ctl_off, false);
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return nvo_queue_sock_error(queue, ret);
		queue->ctl_len = 0;
		progress = 1;
	}

	while (*ops < NVO_IO_BUDGET) {
		if (!queue->tx_cmd)
			queue->tx_cmd = nvo_next_tx(queue);
		if (!queue->tx_cmd)
			break;
		ret = nvo_send_cmd(queue, queue->tx_cmd);
		if (ret == -EAGAIN)
			break;
		if (ret < 0)
			return nvo_queue_sock_error(queue, ret);
		queue->tx_cmd = NULL;
		(*ops)++;
		progress = 1;
	}
	return progress;
}

static void nvo_io_work(struct work_struct *w)
{
	struct nvo_queue *queue = container_of(w, struct nvo_queue, io_work);
	bool pending;
	int ops = 0;
	int ret;

	/* Closing wins over everything, a hand-over first of all. */
	if (READ_ONCE(queue->state) == NVO_Q_CLOSING)
		return;
	if (!nvo_offload_reconcile(queue))
		return;	/* a device owns the socket */

	do {
		pending = false;
		if (READ_ONCE(queue->state) == NVO_Q_CLOSING)
			return;
		ret = nvo_try_recv(queue, &ops);
		if (ret < 0)
			return;
		pending |= ret > 0;
		ret = nvo_try_send(queue, &ops);
		if (ret < 0)
			return;
		pending |= ret > 0;
		if (queue->ostate == NVO_OQ_OFFLOADING &&
		    nvo_queue_drained(queue)) {
			nvo_handover(queue);
			return;
		}
	} while (pending && ops < NVO_IO_BUDGET);

	/* Out of budget with work left: yield, then carry on. */
	if (pending)
		nvo_kick(queue);
}

/*
 * A punt is over: the slot goes back first, so that a device that hands
 * the queue back as soon as it has sent the response finds every slot its
 * record may need free; then the device sends the response.
 */
static void nvo_punt_complete(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	struct nvo_offload_dev *dev = cmd->punt_dev;
	void *cookie = cmd->punt_cookie;
	struct nvme_completion cqe = cmd->cqe;

	cmd->req.sg = NULL;	/* the device's buffer */
	nvo_put_cmd(queue, cmd);
	dev->ops->punt_done(&queue->oq, cookie, &cqe);
	/*
	 * A hand-back that came before this waits for it (see the driver API):
	 * nvmet holds the queue (sq ref) until we return, so kicking is safe.
	 */
	if (atomic_dec_and_test(&queue->nr_punts)) {
		wake_up_var(&queue->nr_punts);
		if (READ_ONCE(queue->state) != NVO_Q_CLOSING)
			nvo_kick(queue);
	}
}

void nvo_queue_response(struct nvmet_req *req)
{
	struct nvo_cmd *cmd = container_of(req, struct nvo_cmd, req);
	struct nvo_queue *queue = cmd->queue;

	if (cmd->flags & NVO_CMD_PUNTED) {
		nvo_punt_complete(queue, cmd);
		return;
	}
	llist_add(&cmd->rsp_node, &queue->rsp_list);
	if (READ_ONCE(queue->state) != NVO_Q_CLOSING)
		nvo_kick(queue);
}

/* ---- socket callbacks and life cycle ------------------------------------ */

/*
 * The queue behind @sk while our callbacks are installed. A callback entered
 * just before a hand-over must not take a device's sk_user_data for ours:
 * callbacks and sk_user_data change together under sk_callback_lock.
 */
static void nvo_sk_data_ready(struct sock *sk);

static struct nvo_queue *nvo_sk_queue(struct sock *sk)
{
	if (sk->sk_data_ready != nvo_sk_data_ready)
		return NULL;
	return sk->sk_user_data;
}

static void nvo_sk_data_ready(struct sock *sk)
{
	struct nvo_queue *queue;

	read_lock_bh(&sk->sk_callback_lock);
	queue = nvo_sk_queue(sk);
	if (queue)
		nvo_kick(queue);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void nvo_sk_write_space(struct sock *sk)
{
	struct nvo_queue *queue;

	read_lock_bh(&sk->sk_callback_lock);
	queue = nvo_sk_queue(sk);
	if (queue && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		nvo_kick(queue);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void nvo_sk_state_change(struct sock *sk)
{
	struct nvo_queue *queue;

	read_lock_bh(&sk->sk_callback_lock);
	queue = nvo_sk_queue(sk);
	if (queue) {
		switch (sk->sk_state) {
		case TCP_FIN_WAIT2:
		case TCP_LAST_ACK:
			break;
		case TCP_FIN_WAIT1:
		case TCP_CLOSE_WAIT:
		case TCP_CLOSE:
			nvo_queue_close(queue);
			break;
		default:
			pr_debug("queue %d: unexpected socket state %d\n",
				 queue->idx, sk->sk_state);
		}
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static int nvo_install_callbacks(struct nvo_queue *queue)
{
	struct sock *sk = queue->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_state != TCP_ESTABLISHED) {
		write_unlock_bh(&sk->sk_callback_lock);
		return -ENOTCONN;
	}
	sk->sk_user_data = queue;
	queue->saved_data_ready = sk->sk_data_ready;
	queue->saved_write_space = sk->sk_write_space;
	queue->saved_state_change = sk->sk_state_change;
	sk->sk_data_ready = nvo_sk_data_ready;
	sk->sk_write_space = nvo_sk_write_space;
	sk->sk_state_change = nvo_sk_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}

static void nvo_restore_callbacks(struct nvo_queue *queue)
{
	struct sock *sk = queue->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == queue) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = queue->saved_data_ready;
		sk->sk_write_space = queue->saved_write_space;
		sk->sk_state_change = queue->saved_state_change;
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

/* ---- hand-over to and from offload devices --------------------------- */

static const char *const nvo_ostate_names[] = {
	[NVO_OQ_SOFTWARE]	= "software",
	[NVO_OQ_OFFLOADING]	= "offloading",
	[NVO_OQ_OFFLOADED]	= "offloaded",
	[NVO_OQ_RECLAIMING]	= "reclaiming",
	[NVO_OQ_FAILED]		= "failed",
	[NVO_OQ_RETURNED]	= "returning",
};

const char *nvo_offload_state_name(enum nvo_offload_state state)
{
	return state < ARRAY_SIZE(nvo_ostate_names) ? nvo_ostate_names[state] :
						      "?";
}

static const char *const nvo_reason_names[] = {
	[NVO_FALLBACK_NONE]		= "none",
	[NVO_FALLBACK_REFUSED]		= "refused",
	[NVO_FALLBACK_QUEUE_FAILED]	= "queue-failed",
	[NVO_FALLBACK_DEV_FAILED]	= "device-failed",
	[NVO_FALLBACK_DEV_REMOVED]	= "device-removed",
	[NVO_FALLBACK_STREAM_LOST]	= "stream-lost",
};

const char *nvo_fallback_reason_name(enum nvo_fallback_reason reason)
{
	return reason < ARRAY_SIZE(nvo_reason_names) ?
		nvo_reason_names[reason] : "?";
}

static struct nvo_queue *nvo_oq_queue(struct nvo_offload_queue *oq)
{
	return container_of(oq, struct nvo_queue, oq);
}

/* Ask for the queue to be offloaded to @dev; io_work carries it out. */
int nvo_queue_request_offload(struct nvo_queue *queue,
			      struct nvo_offload_dev *dev)
{
	int ret = 0;

	if (!queue->nvme_sq.qid || !queue->cmds)
		return -EINVAL;	/* the admin queue stays in software */
	spin_lock_bh(&queue->state_lock);
	if (queue->state == NVO_Q_CLOSING) {
		ret = -ESHUTDOWN;
	} else if (queue->oq.dev && queue->oq.dev != dev) {
		/*
		 * Another device has it or is about to: take it back first;
		 * back in software it is offered to its port's device again.
		 */
		queue->want_offload = false;
		queue->retarget = true;
	} else {
		queue->want_offload = true;
		if (!queue->oq.dev) {
			/* Counted until the queue is back in software. */
			queue->oq.dev = dev;
			atomic_inc(&dev->nr_queues);
		}
	}
	spin_unlock_bh(&queue->state_lock);
	if (!ret)
		nvo_kick(queue);
	return ret;
}

/* Ask for the queue back in software; @reason: why, if not asked for. */
int nvo_queue_request_reclaim(struct nvo_queue *queue,
			      enum nvo_fallback_reason reason)
{
	spin_lock_bh(&queue->state_lock);
	queue->want_offload = false;
	if (queue->oq.dev)
		queue->reclaim_reason = reason;
	spin_unlock_bh(&queue->state_lock);
	nvo_kick(queue);
	return 0;
}

static bool nvo_queue_drained(struct nvo_queue *queue)
{
	return queue->rx_state == NVO_RX_HDR && !queue->rx_off &&
	       !nvo_rx_staged(queue) &&
	       READ_ONCE(queue->nr_active) == queue->nr_parked &&
	       !queue->tx_cmd && list_empty(&queue->tx_list) &&
	       llist_empty(&queue->rsp_list) && !queue->ctl_len;
}

/* Back to software: from a refused offload, a reclaim or a failure. */
static void nvo_offload_back_to_software(struct nvo_queue *queue,
					 struct nvo_handover *h,
					 enum nvo_fallback_reason reason)
{
	struct nvo_offload_dev *dev, *from;
	bool was_offloaded, retarget;

	spin_lock_bh(&queue->state_lock);
	retarget = queue->retarget;
	queue->retarget = false;
	/* Draining in software is no offload: a cancel reports nothing. */
	was_offloaded = queue->ostate != NVO_OQ_OFFLOADING;
	from = queue->oq.dev;
	queue->ostate = NVO_OQ_SOFTWARE;
	if (reason == NVO_FALLBACK_NONE)
		reason = queue->reclaim_reason;
	queue->reclaim_reason = NVO_FALLBACK_NONE;
	if (reason != NVO_FALLBACK_NONE) {
		queue->want_offload = false;
		queue->fallback_reason = reason;
		queue->fallback_events++;
	}
	/* Asked for again while it came back: keep the device, go again. */
	dev = queue->want_offload ? NULL : queue->oq.dev;
	if (dev)
		queue->oq.dev = NULL;
	spin_unlock_bh(&queue->state_lock);
	if (from && reason != NVO_FALLBACK_NONE)
		nvo_counters_dev_event(from, NVO_EV_FALLBACK);
	if (from && reason != NVO_FALLBACK_NONE)
		nvo_nl_notify_queue(queue, NVMET_OFFLOAD_CMD_QUEUE_FALLBACK,
				    from, reason);
	else if (from && was_offloaded)
		nvo_nl_notify_queue(queue, NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED,
				    from, reason);
	if (dev)
		nvo_offload_queue_left_dev(queue, dev);
	if (retarget && reason == NVO_FALLBACK_NONE)
		nvo_offload_offer_queue(queue);

	if (reason != NVO_FALLBACK_NONE)
		pr_info_ratelimited("queue %d: back in software (%s)\n",
				    queue->idx, nvo_fallback_reason_name(reason));
	if (h) {
		nvo_start_record(queue, h);
		nvo_handover_free(h);
	}
}

static void nvo_handover(struct nvo_queue *queue)
{
	struct nvo_offload_dev *dev = queue->oq.dev;
	struct nvo_cmd *cmd;
	struct nvo_handover *h;
	u32 n = 0;
	int ret;

	h = nvo_handover_alloc(queue->nr_cmds, GFP_KERNEL);
	if (!h)
		goto refuse;
	h->sock = queue->sock;
	h->params = queue->params;
	h->qid = queue->nvme_sq.qid;
	h->sq_size = queue->nr_cmds;
	h->sqhd_disabled = queue->nvme_sq.sqhd_disabled;
	list_for_each_entry(cmd, &queue->parked, entry) {
		struct nvo_parked_cmd *p = &h->parked[n++];

		p->sqe = cmd->sqe;
		if (!cmd->parked_len)
			continue;
		p->inline_data = kmalloc(cmd->parked_len, GFP_KERNEL);
		if (!p->inline_data)
			goto refuse_free;
		p->inline_len = cmd->parked_len;
		sg_copy_to_buffer(cmd->inline_sg, cmd->inline_nents,
				  p->inline_data, p->inline_len);
	}
	h->nr_parked = n;

	/*
	 * The last point where closing can still stop the hand-over; past it
	 * the release work (which waits for io_work) finds the queue offloaded
	 * and takes it back.
	 */
	spin_lock_bh(&queue->state_lock);
	if (queue->state == NVO_Q_CLOSING) {
		spin_unlock_bh(&queue->state_lock);
		nvo_handover_free(h);
		return;	/* release puts the parked commands */
	}
	spin_unlock_bh(&queue->state_lock);

	/* The record carries the parked commands from here on. */
	nvo_drop_parked(queue);
	nvo_counters_handover(queue);

	nvo_restore_callbacks(queue);
	reinit_completion(&queue->offload_idle);
	ret = dev->ops->queue_offload(&queue->oq, h);
	if (ret) {
		pr_info_ratelimited("queue %d: %s refused the queue: %d\n",
				    queue->idx, dev->name, ret);
		if (nvo_install_callbacks(queue)) {
			nvo_handover_free(h);
			nvo_offload_back_to_software(queue, NULL,
						     NVO_FALLBACK_REFUSED);
			nvo_queue_close(queue);
			return;
		}
		nvo_offload_back_to_software(queue, h, NVO_FALLBACK_REFUSED);
		nvo_kick(queue);
		return;
	}

	spin_lock_bh(&queue->state_lock);
	/* The device may have handed it back already. */
	if (queue->ostate == NVO_OQ_OFFLOADING)
		queue->ostate = NVO_OQ_OFFLOADED;
	queue->offload_events++;
	spin_unlock_bh(&queue->state_lock);
	nvo_counters_dev_event(dev, NVO_EV_OFFLOAD);
	nvo_nl_notify_queue(queue, NVMET_OFFLOAD_CMD_QUEUE_OFFLOADED, dev,
			    NVO_FALLBACK_NONE);
	pr_debug("queue %d: offloaded to %s\n", queue->idx, dev->name);
	/* A reclaim asked for meanwhile, or a return, needs io_work. */
	nvo_kick(queue);
	return;

refuse_free:
	nvo_handover_free(h);
refuse:
	pr_warn_ratelimited("queue %d: no memory for a hand-over\n", queue->idx);
	nvo_offload_back_to_software(queue, NULL, NVO_FALLBACK_REFUSED);
	nvo_unpark_all(queue);
}

/*
 * Bring the queue's offload state in line with what was asked. Runs in
 * io_work; returns false while a device owns the socket.
 */
static bool nvo_offload_reconcile(struct nvo_queue *queue)
{
	struct nvo_offload_dev *dev;
	struct nvo_handover *h;
	enum nvo_fallback_reason reason;
	bool want;

	/*
	 * The software hot path: nothing asked for, nothing parked. A request
	 * made meanwhile kicks io_work again, so a stale read costs nothing.
	 */
	if (READ_ONCE(queue->ostate) == NVO_OQ_SOFTWARE &&
	    !READ_ONCE(queue->want_offload) && !READ_ONCE(queue->oq.dev) &&
	    list_empty(&queue->parked))
		return true;

	spin_lock_bh(&queue->state_lock);
	want = queue->want_offload;
	dev = queue->oq.dev;
	switch (queue->ostate) {
	case NVO_OQ_SOFTWARE:
		if (want && dev) {
			queue->ostate = NVO_OQ_OFFLOADING;
			spin_unlock_bh(&queue->state_lock);
			return true;
		}
		if (dev) {
			/* Asked for and taken back before it started. */
			bool retarget = queue->retarget;

			queue->oq.dev = NULL;
			queue->retarget = false;
			queue->reclaim_reason = NVO_FALLBACK_NONE;
			spin_unlock_bh(&queue->state_lock);
			nvo_offload_queue_left_dev(queue, dev);
			if (retarget)
				nvo_offload_offer_queue(queue);
		} else {
			spin_unlock_bh(&queue->state_lock);
		}
		if (!list_empty(&queue->parked))
			nvo_unpark_all(queue);
		return true;
	case NVO_OQ_OFFLOADING:
		spin_unlock_bh(&queue->state_lock);
		if (!want) {
			/* Cancelled while draining. */
			nvo_offload_back_to_software(queue, NULL,
						     NVO_FALLBACK_NONE);
			nvo_unpark_all(queue);
		} else if (nvo_queue_drained(queue)) {
			nvo_handover(queue);
			return false;
		}
		return true;
	case NVO_OQ_OFFLOADED:
		if (want) {
			spin_unlock_bh(&queue->state_lock);
			return false;
		}
		queue->ostate = NVO_OQ_RECLAIMING;
		spin_unlock_bh(&queue->state_lock);
		dev->ops->queue_reclaim(&queue->oq);
		return false;
	case NVO_OQ_RECLAIMING:
		spin_unlock_bh(&queue->state_lock);
		return false;
	case NVO_OQ_FAILED:
	case NVO_OQ_RETURNED:
		/*
		 * Handed back with punts outstanding (a driver bug: see
		 * nvo_offload_failed()): the last punt_done() kicks us.
		 */
		if (atomic_read(&queue->nr_punts)) {
			spin_unlock_bh(&queue->state_lock);
			return false;
		}
		h = queue->returned;
		queue->returned = NULL;
		reason = queue->ostate == NVO_OQ_FAILED ?
			 queue->fallback_reason : NVO_FALLBACK_NONE;
		spin_unlock_bh(&queue->state_lock);
		if (!h || nvo_install_callbacks(queue)) {
			/*
			 * The stream cannot go on. A host that closed the
			 * socket is leaving (it shuts I/O queues before the
			 * admin queue): as on a peer close in software, only
			 * this queue goes, and that is no fallback. Otherwise
			 * the controller fails and the host reconnects.
			 */
			bool peer_closed = queue->sock->sk->sk_state !=
					   TCP_ESTABLISHED;

			if (peer_closed)
				reason = NVO_FALLBACK_NONE;
			else if (!reason)
				reason = NVO_FALLBACK_STREAM_LOST;
			nvo_offload_back_to_software(queue, NULL, reason);
			if (h)
				nvo_handover_free(h);
			if (queue->nvme_sq.ctrl && !peer_closed)
				nvmet_ctrl_fatal_error(queue->nvme_sq.ctrl);
			nvo_queue_close(queue);
			return false;
		}
		/* A reclaim the device's removal forced counts as a fallback. */
		if (reason == NVO_FALLBACK_NONE &&
		    READ_ONCE(queue->reclaim_reason) == NVO_FALLBACK_NONE) {
			queue->reclaim_events++;
			nvo_counters_dev_event(queue->oq.dev, NVO_EV_RECLAIM);
		}
		nvo_offload_back_to_software(queue, h, reason);
		return true;
	}
	spin_unlock_bh(&queue->state_lock);
	return true;
}

/* The device let go of the queue: @h back, or NULL when it lost the stream. */
static void nvo_offload_returned(struct nvo_offload_queue *oq,
				 struct nvo_handover *h,
				 enum nvo_fallback_reason reason)
{
	struct nvo_queue *queue = nvo_oq_queue(oq);

	if (atomic_read(&queue->nr_punts))
		pr_warn_once("%s handed queue %d back with punts outstanding: waiting for them\n",
			     oq->dev ? oq->dev->name : "?", queue->idx);
	spin_lock_bh(&queue->state_lock);
	queue->returned = h;
	if (reason != NVO_FALLBACK_NONE) {
		queue->ostate = NVO_OQ_FAILED;
		queue->fallback_reason = reason;
	} else {
		queue->ostate = NVO_OQ_RETURNED;
	}
	spin_unlock_bh(&queue->state_lock);
	complete_all(&queue->offload_idle);
	if (READ_ONCE(queue->state) != NVO_Q_CLOSING)
		nvo_kick(queue);
}

void nvo_offload_reclaimed(struct nvo_offload_queue *oq,
			   struct nvo_handover *h)
{
	nvo_offload_returned(oq, h, NVO_FALLBACK_NONE);
}
EXPORT_SYMBOL_GPL(nvo_offload_reclaimed);

void nvo_offload_failed(struct nvo_offload_queue *oq,
			enum nvo_fallback_reason reason,
			struct nvo_handover *h)
{
	if (!h)
		reason = NVO_FALLBACK_STREAM_LOST;
	else if (reason == NVO_FALLBACK_NONE)
		reason = NVO_FALLBACK_QUEUE_FAILED;
	nvo_offload_returned(oq, h, reason);
}
EXPORT_SYMBOL_GPL(nvo_offload_failed);

int nvo_offload_punt(struct nvo_offload_queue *oq,
		     const struct nvme_command *sqe, struct scatterlist *sg,
		     unsigned int sg_cnt, u32 len, void *cookie)
{
	struct nvo_queue *queue = nvo_oq_queue(oq);
	struct nvo_offload_dev *dev = READ_ONCE(oq->dev);
	enum nvo_offload_state ostate = READ_ONCE(queue->ostate);
	struct nvo_cmd *cmd;

	/* Only the device that owns the queue punts, until it hands it back. */
	if (WARN_ON_ONCE(!dev || (ostate != NVO_OQ_OFFLOADED &&
				  ostate != NVO_OQ_RECLAIMING &&
				  ostate != NVO_OQ_OFFLOADING)))
		return -EINVAL;
	cmd = nvo_get_cmd(queue);
	if (!cmd)
		return -EBUSY;
	atomic_inc(&queue->nr_punts);
	cmd->flags |= NVO_CMD_PUNTED;
	cmd->punt_cookie = cookie;
	cmd->punt_dev = dev;
	cmd->sqe = *sqe;
	nvo_counters_punt(queue, sqe);
	if (!nvmet_req_init(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			    &nvo_fabrics_ops))
		return 0;	/* completed: punt_done() has run */
	cmd->req.sg = len ? sg : NULL;
	cmd->req.sg_cnt = len ? sg_cnt : 0;
	cmd->req.transfer_len = len;
	cmd->req.execute(&cmd->req);
	return 0;
}
EXPORT_SYMBOL_GPL(nvo_offload_punt);

u16 nvo_offload_next_sqhd(struct nvo_offload_queue *oq)
{
	struct nvmet_sq *sq = &nvo_oq_queue(oq)->nvme_sq;
	u32 old, new;

	/*
	 * The device answers commands nvmet never sees: count them as traffic
	 * so that nvmet's keep-alive timer (TBKAS) does not expire under a
	 * host that relies on it.
	 */
	if (sq->ctrl)
		WRITE_ONCE(sq->ctrl->reset_tbkas, true);
	if (sq->sqhd_disabled || !sq->size)
		return 0;
	/* The same head nvmet advances for the commands it completes. */
	do {
		old = READ_ONCE(sq->sqhd);
		new = (old + 1) % sq->size;
	} while (cmpxchg(&sq->sqhd, old, new) != old);
	return new;
}
EXPORT_SYMBOL_GPL(nvo_offload_next_sqhd);

int nvo_offload_ns_get(struct nvo_offload_queue *oq, u32 nsid,
		       struct nvo_ns_ref *ref)
{
	struct nvmet_ctrl *ctrl = nvo_oq_queue(oq)->nvme_sq.ctrl;
	struct nvmet_ns *ns;
	int ret = 0;

	if (!ctrl)
		return -ENOENT;
	rcu_read_lock();
	ns = xa_load(&ctrl->subsys->namespaces, nsid);
	/* A namespace being disabled is as good as gone. */
	if (!ns || !percpu_ref_tryget_live(&ns->ref))
		ret = -ENOENT;
	rcu_read_unlock();
	if (ret)
		return ret;
	if (!ns->bdev) {
		percpu_ref_put(&ns->ref);
		return -EOPNOTSUPP;
	}
	ref->ns = ns;
	ref->bdev = ns->bdev;
	ref->blksize_shift = ns->blksize_shift;
	ref->nr_blocks = ns->size >> ns->blksize_shift;
	/* Engine context: whatever it is, it must not sleep here. */
	ref->stats = nvo_counters_ns(nvo_oq_queue(oq), nsid, GFP_NOWAIT);
	return 0;
}
EXPORT_SYMBOL_GPL(nvo_offload_ns_get);

void nvo_offload_ns_put(struct nvo_ns_ref *ref)
{
	struct nvmet_ns *ns = ref->ns;

	percpu_ref_put(&ns->ref);
	ref->ns = NULL;
}
EXPORT_SYMBOL_GPL(nvo_offload_ns_put);

struct nvo_handover *nvo_handover_alloc(u16 sq_size, gfp_t gfp)
{
	struct nvo_handover *h;

	h = kzalloc(sizeof(*h), gfp);
	if (!h)
		return NULL;
	h->parked = kcalloc(sq_size, sizeof(*h->parked), gfp);
	if (!h->parked) {
		kfree(h);
		return NULL;
	}
	h->sq_size = sq_size;
	return h;
}
EXPORT_SYMBOL_GPL(nvo_handover_alloc);

void nvo_handover_free(struct nvo_handover *h)
{
	u32 i;

	if (!h)
		return;
	for (i = 0; i < h->sq_size; i++)
		kfree(h->parked[i].inline_data);
	kfree(h->parked);
	kfree(h);
}
EXPORT_SYMBOL_GPL(nvo_handover_free);

/*
 * Closing: make the device let go of the queue (its in-flight commands
 * finish first), and drop whatever it handed back.
 */
static void nvo_offload_release(struct nvo_queue *queue)
{
	struct nvo_offload_dev *dev;
	bool reclaim = false, wait = false;

	spin_lock_bh(&queue->state_lock);
	queue->want_offload = false;
	dev = queue->oq.dev;
	switch (queue->ostate) {
	case NVO_OQ_OFFLOADED:
		queue->ostate = NVO_OQ_RECLAIMING;
		reclaim = true;
		fallthrough;
	case NVO_OQ_RECLAIMING:
		wait = true;
		break;
	default:
		break;
	}
	spin_unlock_bh(&queue->state_lock);

	if (reclaim)
		dev->ops->queue_reclaim(&queue->oq);
	if (wait)
		wait_for_completion(&queue->offload_idle);
	/* punt_done() calls into the device: it must stay until they end. */
	wait_var_event(&queue->nr_punts, !atomic_read(&queue->nr_punts));

	spin_lock_bh(&queue->state_lock);
	nvo_handover_free(queue->returned);
	queue->returned = NULL;
	dev = queue->oq.dev;	/* a set oq.dev is counted against it */
	queue->ostate = NVO_OQ_SOFTWARE;
	queue->oq.dev = NULL;
	spin_unlock_bh(&queue->state_lock);
	if (dev)
		nvo_offload_queue_left_dev(queue, dev);

	/* Parked commands never reached nvmet: just free them. */
	nvo_drop_parked(queue);
}

/* Commands nvmet knows about but we never executed hold sq references. */
static void nvo_uninit_waiting_cmds(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd;
	u32 i;

	for (i = 0; i <= queue->nr_cmds; i++) {
		cmd = i < queue->nr_cmds ? &queue->cmds[i] : queue->connect_cmd;
		if (cmd && (cmd->flags & NVO_CMD_AWAIT_DATA)) {
			cmd->flags &= ~NVO_CMD_AWAIT_DATA;
			nvmet_req_uninit(&cmd->req);
		}
	}
}

static void nvo_release_work(struct work_struct *w)
{
	struct nvo_queue *queue = container_of(w, struct nvo_queue,
					       release_work);

	mutex_lock(&nvo_queue_mutex);
	list_del_init(&queue->entry);
	mutex_unlock(&nvo_queue_mutex);

	/*
	 * Unhook first, so that no callback queues io_work behind the cancel;
	 * io_work does nothing on a closing queue, so the one that may still
	 * run (a hand-over under way) is the last to touch the socket.
	 */
	nvo_restore_callbacks(queue);
	cancel_delayed_work_sync(&queue->icreq_timeout);
	cancel_work_sync(&queue->io_work);
	/* A device draining the queue must not wait for a host that left. */
	kernel_sock_shutdown(queue->sock, SHUT_RDWR);
	nvo_offload_release(queue);
	/* The last io_work may have put ours back (a refused hand-over). */
	nvo_restore_callbacks(queue);
	cancel_work_sync(&queue->io_work);

	nvo_uninit_waiting_cmds(queue);
	/* Waits until nvmet has completed every command it still owns. */
	nvmet_sq_destroy(&queue->nvme_sq);
	cancel_work_sync(&queue->io_work);

	nvo_free_cmds(queue);
	sock_release(queue->sock);
	nvo_counters_queue_release(queue);
	nvo_port_put(queue->port);
	ida_free(&nvo_queue_ida, queue->idx);
	kfree(queue);
}

static void nvo_icreq_timeout(struct work_struct *w)
{
	struct nvo_queue *queue = container_of(to_delayed_work(w),
					       struct nvo_queue, icreq_timeout);

	if (READ_ONCE(queue->state) == NVO_Q_WAIT_ICREQ) {
		pr_info_ratelimited("queue %d: no ICReq within %d s, closing\n",
				    queue->idx, NVO_ICREQ_TIMEOUT / HZ);
		nvo_queue_close(queue);
	}
}

static int nvo_pick_cpu(void)
{
	unsigned int n = atomic_inc_return(&nvo_next_cpu);

	return cpumask_local_spread(n % num_online_cpus(), NUMA_NO_NODE);
}

int nvo_queue_alloc(struct nvo_port *port, struct socket *sock)
{
	struct nvo_queue *queue;
	struct sock *sk = sock->sk;
	int ret;

	queue = kzalloc(sizeof(*queue), GFP_KERNEL);
	if (!queue)
		return -ENOMEM;

	queue->idx = ida_alloc(&nvo_queue_ida, GFP_KERNEL);
	if (queue->idx < 0) {
		ret = queue->idx;
		goto err_free;
	}
	queue->oq.id = queue->idx;
	queue->oq.engine = -1;
	queue->sock = sock;
	queue->port = port;
	queue->nport = port->nport;
	queue->cpu = nvo_pick_cpu();
	queue->state = NVO_Q_WAIT_ICREQ;
	queue->inline_limit = NVO_ADMIN_INLINE;
	spin_lock_init(&queue->state_lock);
	spin_lock_init(&queue->cmd_lock);
	INIT_LIST_HEAD(&queue->parked);
	nvo_counters_queue_init(queue);
	init_completion(&queue->offload_idle);

	INIT_WORK(&queue->io_work, nvo_io_work);
	INIT_WORK(&queue->release_work, nvo_release_work);
	INIT_DELAYED_WORK(&queue->icreq_timeout, nvo_icreq_timeout);
	INIT_LIST_HEAD(&queue->entry);
	INIT_LIST_HEAD(&queue->free_cmds);
	INIT_LIST_HEAD(&queue->tx_list);
	init_llist_head(&queue->rsp_list);
	nvo_rx_next_pdu(queue);

	queue->connect_cmd = kzalloc(sizeof(*queue->connect_cmd), GFP_KERNEL);
	if (!queue->connect_cmd) {
		ret = -ENOMEM;
		goto err_ida;
	}
	nvo_cmd_init(queue, queue->connect_cmd, U16_MAX);

	ret = nvmet_sq_init(&queue->nvme_sq);
	if (ret)
		goto err_connect;

	tcp_sock_set_nodelay(sk);
	nvo_sock_no_task_frag(sk);
	sk->sk_allocation = GFP_ATOMIC;

	kref_get(&port->ref);
	mutex_lock(&nvo_queue_mutex);
	list_add_tail(&queue->entry, &nvo_queue_list);
	mutex_unlock(&nvo_queue_mutex);

	ret = nvo_install_callbacks(queue);
	if (ret)
		goto err_list;

	queue_delayed_work(nvo_io_wq, &queue->icreq_timeout,
			   NVO_ICREQ_TIMEOUT);
	/* The ICReq may already be waiting. */
	nvo_kick(queue);
	return 0;

err_list:
	mutex_lock(&nvo_queue_mutex);
	list_del_init(&queue->entry);
	mutex_unlock(&nvo_queue_mutex);
	nvo_port_put(port);
	nvmet_sq_destroy(&queue->nvme_sq);
err_connect:
	kfree(queue->connect_cmd);
err_ida:
	ida_free(&nvo_queue_ida, queue->idx);
err_free:
	kfree(queue);
	return ret;
}

typedef bool (*nvo_queue_match_t)(struct nvo_queue *queue, const void *key);

static void nvo_close_queues_if(nvo_queue_match_t match, const void *key)
{
	struct nvo_queue *queue;

	mutex_lock(&nvo_queue_mutex);
	list_for_each_entry(queue, &nvo_queue_list, entry)
		if (match(queue, key))
			nvo_queue_close(queue);
	mutex_unlock(&nvo_queue_mutex);
}

static bool nvo_queue_of_ctrl(struct nvo_queue *queue, const void *ctrl)
{
	return queue->nvme_sq.ctrl == ctrl;
}

static bool nvo_queue_of_port(struct nvo_queue *queue, const void *port)
{
	return queue->port == port;
}

static bool nvo_queue_any(struct nvo_queue *queue, const void *unused)
{
	return true;
}

void nvo_visit_queues(nvo_queue_visit_t fn, void *arg)
{
	struct nvo_queue *queue;

	mutex_lock(&nvo_queue_mutex);
	list_for_each_entry(queue, &nvo_queue_list, entry)
		fn(queue, arg);
	mutex_unlock(&nvo_queue_mutex);
}

void nvo_delete_ctrl(struct nvmet_ctrl *ctrl)
{
	nvo_close_queues_if(nvo_queue_of_ctrl, ctrl);
}

void nvo_close_port_queues(struct nvo_port *port)
{
	nvo_close_queues_if(nvo_queue_of_port, port);
}

void nvo_close_all_queues(void)
{
	nvo_close_queues_if(nvo_queue_any, NULL);
	flush_workqueue(nvo_release_wq);
}

int nvo_queue_init(void)
{
	nvo_io_wq = alloc_workqueue("nvmet_offload_io",
				    WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!nvo_io_wq)
		return -ENOMEM;
	nvo_release_wq = alloc_workqueue("nvmet_offload_release",
					 WQ_MEM_RECLAIM, 0);
	if (!nvo_release_wq) {
		destroy_workqueue(nvo_io_wq);
		return -ENOMEM;
	}
	return 0;
}

void nvo_queue_exit(void)
{
	destroy_workqueue(nvo_release_wq);
	destroy_workqueue(nvo_io_wq);
	ida_destroy(&nvo_queue_ida);
}
