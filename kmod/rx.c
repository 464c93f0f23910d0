// SPDX-License-Identifier: GPL-2.0
/*
 * What a queue in software does with the PDUs its stream (stream.c)
 * receives: the ICReq, capsules, H2CData; where a command's data goes (in
 * the capsule, or solicited by R2T); capsules parked while the queue drains
 * for a hand-over, and started later. Runs in the queue's io_work only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/moduleparam.h>

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

/* Read ahead only while the queue is settled in software. */
bool nvo_rx_may_read_ahead(struct nvo_stream *s)
{
	struct nvo_queue *queue = nvo_stream_queue(s);

	return READ_ONCE(queue->ostate) == NVO_OQ_SOFTWARE &&
	       !READ_ONCE(queue->want_offload);
}

/* Where the command's data lives: in the capsule, or solicited by R2T. */
u16 nvo_map_data(struct nvo_queue *queue, struct nvo_cmd *cmd, u32 pdu_data_len)
{
	bool in_capsule;
	u16 status;
	u32 len;

	status = nvo_sgl_check(&cmd->sqe, pdu_data_len,
			       queue->stream.inline_limit, NVO_MAX_XFER, &len,
			       &in_capsule);
	if (status || !len)
		return status;

	if (in_capsule) {
		if (nvo_cmd_alloc_inline(cmd, len))
			return NVME_SC_INTERNAL;
		cmd->req.transfer_len = len;
		queue->stats.inline_writes++;
		nvo_cmd_use_own(cmd);
		nvo_sg_cursor_init(&cmd->rx.cur, cmd->req.sg);
		cmd->flags |= NVO_CMD_AWAIT_DATA;
		return 0;
	}

	cmd->req.transfer_len = len;
	if (!nvme_is_write(cmd->req.cmd) && !nvo_cmd_alloc_read(cmd, len)) {
		nvo_cmd_use_own(cmd);
		return 0;
	}
	if (nvmet_req_alloc_sgls(&cmd->req))
		return NVME_SC_INTERNAL;
	cmd->flags |= NVO_CMD_OWN_SGL;
	if (nvme_is_write(cmd->req.cmd)) {
		nvo_xfer_init(&cmd->rx.xfer, len);
		nvo_sg_cursor_init(&cmd->rx.cur, cmd->req.sg);
		cmd->flags |= NVO_CMD_AWAIT_DATA;
	}
	return 0;
}

void nvo_queue_r2t(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	if (!nvo_stream_tx_r2t(&queue->stream, &cmd->tx,
			       cmd->sqe.common.command_id, cmd->ttag,
			       &cmd->rx.xfer))
		return;
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

/* Start a command whose capsule (and in-capsule data) we already have. */
void nvo_start_cmd(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	u16 status;

	cmd->flags &= ~NVO_CMD_PARKED;
	if (!nvmet_req_init(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			    nvo_nvmet_ops))
		return;
	status = nvo_map_data(queue, cmd, cmd->parked_len);
	if (status) {
		cmd->flags &= ~NVO_CMD_AWAIT_DATA;
		nvmet_req_complete(&cmd->req, status);
		return;
	}
	if (cmd->parked_len)
		nvo_cmd_execute(cmd);	/* the data is in its buffer */
	else if (cmd->flags & NVO_CMD_AWAIT_DATA)
		nvo_queue_r2t(queue, cmd);
	else
		cmd->req.execute(&cmd->req);
}

/* Draining for a hand-over: keep the command for the record. */
void nvo_park(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	/* A failed data digest or a cancelled drain: no reason to wait. */
	if (cmd->data_status || queue->ostate != NVO_OQ_OFFLOADING) {
		nvo_start_cmd(queue, cmd);
		return;
	}
	list_add_tail(&cmd->entry, &queue->parked);
	queue->nr_parked++;
}

int nvo_rx_icreq(struct nvo_stream *s)
{
	struct nvo_queue *queue = nvo_stream_queue(s);
	/*
	 * Digests the host asks for cannot be declined: without a device that
	 * supports them the queue stays in software (admission, offload.c).
	 */
	struct nvo_ic_limits lim = {
		.allow_hdgst	= true,
		.allow_ddgst	= true,
		.maxh2cdata	= READ_ONCE(max_h2c_data),
	};
	/* A device bound to the port may take less (0: no limit of its own). */
	u32 dev_h2c = READ_ONCE(queue->port->lim.max_h2c_data);
	enum nvo_fes fes;
	u32 fei;

	if (dev_h2c >= SZ_4K)
		lim.maxh2cdata = min(lim.maxh2cdata, ALIGN_DOWN(dev_h2c, 4));

	fes = nvo_icreq_accept(&s->rx_pdu.icreq, &lim, &s->params,
			       (struct nvo_pdu_icresp *)queue->ctl_pdu, &fei);
	if (fes)
		return nvo_queue_fatal(s, fes, fei);

	spin_lock_bh(&queue->state_lock);
	if (queue->state == NVO_Q_WAIT_ICREQ)
		queue->state = NVO_Q_LIVE;
	spin_unlock_bh(&queue->state_lock);
	s->ic_done = true;
	queue->ctl_len = NVO_IC_PDU_LEN;
	queue->ctl_off = 0;
	nvo_stream_rx_next(s);
	return 1;
}

/* Keep a capsule (and its in-capsule data) without starting it. */
static int nvo_rx_park(struct nvo_queue *queue, struct nvo_cmd *cmd,
		       u32 data_len)
{
	cmd->flags |= NVO_CMD_PARKED;
	cmd->parked_len = data_len;
	if (data_len) {
		nvo_sg_cursor_init(&cmd->rx.cur, cmd->own_sg);
		nvo_stream_rx_start_data(&queue->stream, &cmd->rx, data_len);
		return 1;
	}
	nvo_stream_rx_next(&queue->stream);
	nvo_park(queue, cmd);
	return 1;
}

int nvo_rx_cmd(struct nvo_stream *s, u32 data_len)
{
	struct nvo_queue *queue = nvo_stream_queue(s);
	struct nvo_cmd *cmd;
	u16 status;

	cmd = nvo_get_cmd(queue);
	if (!cmd)
		return nvo_stream_no_slot(s);
	memcpy(&cmd->sqe, s->rx_pdu.cmd.sqe, sizeof(cmd->sqe));

	/*
	 * Draining for a hand-over: take it off the wire, start it later.
	 * Without room for its data it starts now, and nvmet fails it.
	 */
	if (READ_ONCE(queue->ostate) == NVO_OQ_OFFLOADING &&
	    data_len <= s->inline_limit &&
	    (!data_len || !nvo_cmd_alloc_inline(cmd, data_len)))
		return nvo_rx_park(queue, cmd, data_len);

	if (!nvmet_req_init(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			    nvo_nvmet_ops)) {
		/* nvmet completed it with an error; drop its payload. */
		nvo_stream_rx_discard(s, nvo_stream_rx_payload_len(s));
		return 1;
	}

	status = nvo_map_data(queue, cmd, data_len);
	if (status) {
		cmd->flags &= ~NVO_CMD_AWAIT_DATA;
		nvmet_req_complete(&cmd->req, status);
		nvo_stream_rx_discard(s, nvo_stream_rx_payload_len(s));
		return 1;
	}

	if (data_len) {
		nvo_stream_rx_start_data(s, &cmd->rx, data_len);
		return 1;
	}

	nvo_stream_rx_next(s);
	if (cmd->flags & NVO_CMD_AWAIT_DATA)
		nvo_queue_r2t(queue, cmd);
	else
		cmd->req.execute(&cmd->req);
	return 1;
}

struct nvo_pdu_rx *nvo_rx_h2c_cmd(struct nvo_stream *s, u16 ttag)
{
	struct nvo_queue *queue = nvo_stream_queue(s);

	if (ttag >= queue->nr_cmds)
		return ERR_PTR(-ERANGE);
	if (!(queue->cmds[ttag].flags & NVO_CMD_AWAIT_DATA))
		return NULL;
	return &queue->cmds[ttag].rx;
}

static struct nvo_cmd *nvo_rx_of(struct nvo_pdu_rx *rx)
{
	return container_of(rx, struct nvo_cmd, rx);
}

void nvo_rx_ddgst_error(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nvo_rx_of(rx)->data_status = NVME_SC_TRANSIENT_TR_ERR;
	nvo_stream_queue(s)->stats.digest_errors++;
}

void nvo_rx_capsule_ready(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	struct nvo_cmd *cmd = nvo_rx_of(rx);

	if (cmd->flags & NVO_CMD_PARKED)
		nvo_park(nvo_stream_queue(s), cmd);
	else
		nvo_cmd_execute(cmd);
}

void nvo_rx_r2t(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nvo_queue_r2t(nvo_stream_queue(s), nvo_rx_of(rx));
}

void nvo_rx_h2c_done(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nvo_cmd_execute(nvo_rx_of(rx));
}
