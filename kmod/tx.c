// SPDX-License-Identifier: GPL-2.0
/*
 * What a queue in software gives its stream (stream.c) to send: the
 * ICResp, then R2Ts and completed commands (C2HData and/or the response);
 * completions from any context reach it through the queue's lock-free
 * response list. Runs in io_work only, except nvo_tx_complete().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "queue.h"

/* A completed command: read data and/or the response go out. */
static void nvo_prep_completion(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	struct nvmet_req *req = &cmd->req;

	nvo_stats_complete(queue, cmd);
	if (nvme_is_write(req->cmd) || !req->transfer_len || !req->sg ||
	    cmd->cqe.status) {
		nvo_stream_tx_rsp(&queue->stream, &cmd->tx);
		return;
	}

	/* With SQ flow control off the response can ride on the data. */
	nvo_stream_tx_c2h(&queue->stream, &cmd->tx, cmd->sqe.common.command_id,
			  req->sg, req->transfer_len,
			  queue->nvme_sq.sqhd_disabled);
}

/*
 * More PDUs are ready to follow the one being sent: it goes with MSG_MORE,
 * so responses leave in full segments rather than one push each. The last
 * one of a batch goes without and pushes them all.
 */
bool nvo_tx_more(struct nvo_stream *s)
{
	struct nvo_queue *queue = nvo_stream_queue(s);

	return !list_empty(&queue->tx_list) || !llist_empty(&queue->rsp_list);
}

struct nvo_pdu_tx *nvo_tx_next(struct nvo_stream *s)
{
	struct nvo_queue *queue = nvo_stream_queue(s);
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
	if (!cmd)
		return NULL;
	list_del_init(&cmd->entry);
	return &cmd->tx;
}

void nvo_tx_done(struct nvo_stream *s, struct nvo_pdu_tx *tx)
{
	nvo_put_cmd(nvo_stream_queue(s), container_of(tx, struct nvo_cmd, tx));
}

/* The ICResp, then the commands' PDUs. */
int nvo_try_send(struct nvo_queue *queue, int *budget)
{
	int progress = 0, ret;

	if (queue->ctl_len) {
		ret = nvo_stream_send_buf(&queue->stream, queue->ctl_pdu,
					  queue->ctl_len, &queue->ctl_off,
					  false);
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return nvo_queue_sock_error(&queue->stream, ret);
		queue->ctl_len = 0;
		progress = 1;
	}
	ret = nvo_stream_try_send(&queue->stream, budget);
	return ret < 0 ? ret : ret | progress;
}

/* A command nvmet completed, from any context: io_work sends it. */
void nvo_tx_complete(struct nvo_cmd *cmd)
{
	struct nvo_queue *queue = cmd->queue;

	llist_add(&cmd->rsp_node, &queue->rsp_list);
	if (READ_ONCE(queue->state) != NVO_Q_CLOSING)
		nvo_kick_io(queue);
}
