// SPDX-License-Identifier: GPL-2.0
/*
 * The send state machine of a queue in software: R2Ts, C2HData with read
 * data (and its digest), responses; completions from any context reach it
 * through the queue's lock-free response list. Runs in io_work only, except
 * nvo_queue_response().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "compat.h"
#include "queue.h"

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

int nvo_try_send(struct nvo_queue *queue, int *ops)
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
