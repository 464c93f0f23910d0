// SPDX-License-Identifier: GPL-2.0
/*
 * The receive state machine of a queue in software: PDU headers (with
 * their digests), capsules, in-capsule and H2CData data, data digests; where
 * a command's data goes (in the capsule, or solicited by R2T). Runs in the
 * queue's io_work only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/moduleparam.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "compat.h"
#include "queue.h"

/*
 * MAXH2CDATA offered in ICResp: the largest H2CData PDU a host may send, and
 * so the largest window one R2T opens. Below a command's transfer size, the
 * command's data comes through several R2Ts, one after the other. The
 * NVMe/TCP spec wants at least 4 KiB, in units of 4 bytes; more than the
 * largest transfer buys nothing. Read at each ICReq: existing queues keep
 * what they were told.
 */
static int nvo_set_max_h2c_data(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v < SZ_4K || v > NVO_MAXH2CDATA || !IS_ALIGNED(v, 4))
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops nvo_max_h2c_data_ops = {
	.set	= nvo_set_max_h2c_data,
	.get	= param_get_uint,
};

static unsigned int max_h2c_data = NVO_MAXH2CDATA;
module_param_cb(max_h2c_data, &nvo_max_h2c_data_ops, &max_h2c_data, 0644);
MODULE_PARM_DESC(max_h2c_data,
		 "MAXH2CDATA offered to new queues, bytes: 4096 to the largest transfer (default), a multiple of 4");

void nvo_rx_next_pdu(struct nvo_queue *queue)
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

u32 nvo_rx_staged(const struct nvo_queue *queue)
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

/* Where the command's data lives: in the capsule, or solicited by R2T. */
u16 nvo_map_data(struct nvo_queue *queue, struct nvo_cmd *cmd, u32 pdu_data_len)
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

void nvo_queue_r2t(struct nvo_queue *queue, struct nvo_cmd *cmd)
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

void nvo_cmd_execute(struct nvo_cmd *cmd)
{
	cmd->flags &= ~NVO_CMD_AWAIT_DATA;
	if (unlikely(cmd->data_status))
		nvmet_req_complete(&cmd->req, cmd->data_status);
	else
		cmd->req.execute(&cmd->req);
}

static int nvo_rx_icreq(struct nvo_queue *queue)
{
	const struct nvo_ic_limits lim = {
		.allow_hdgst	= true,
		.allow_ddgst	= true,
		.maxh2cdata	= READ_ONCE(max_h2c_data),
	};
	enum nvo_fes fes;
	u32 fei;

	fes = nvo_icreq_accept(&queue->rx_pdu.icreq, &lim,
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

int nvo_try_recv(struct nvo_queue *queue, int *ops)
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
