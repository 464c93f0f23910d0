// SPDX-License-Identifier: GPL-2.0
/*
 * What a nicsim queue does with its PDU stream (the shim's stream.c):
 * socket events, capsules and their data, what goes out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>

#include "queue.h"

static void nq_wake(struct nvo_stream *s)
{
	nq_kick(nq_of(s));
}

static void nq_closed(struct nvo_stream *s)
{
	struct nicsim_queue *q = nq_of(s);

	set_bit(NQ_REQ_CLOSED, &q->requests);
	nq_kick(q);
}

/* The host broke the protocol: say why if we can, and give up the stream. */
static int nq_proto_error(struct nvo_stream *s, enum nvo_fes fes, u32 fei)
{
	pr_warn_ratelimited("%s: protocol error (fes %#x, field offset %u)\n",
			    s->name, fes, fei);
	if (!s->tx)
		nvo_stream_term(s, fes, fei);
	return -EPROTO;
}

/*
 * Staging for the in-capsule data of the capsule whose header is in.
 * Without budget the receive side waits here, the data staying in the
 * socket, except where waiting could keep the budget from ever coming
 * back: a draining queue must reach a PDU boundary to finish, and the
 * staging of a queue's solicited writes is freed only by data behind this
 * capsule. Those take it beyond the budget (counted as forced): one
 * capsule at a time, each at most the in-capsule limit.
 */
static int nq_rx_wait(struct nvo_stream *s)
{
	struct nicsim_queue *q = nq_of(s);
	struct nq_cmd *c = container_of(s->rx_cmd, struct nq_cmd, rx);
	bool force = q->draining || q->nr_r2t;

	if (nq_stage_alloc(q, c, c->inline_len, force)) {
		if (!q->rx_stalled)
			nq_stage_count_wait(q->ndev);
		q->rx_stalled = true;
		return -EAGAIN;
	}
	q->rx_stalled = false;
	nvo_sg_cursor_init(&c->rx.cur, c->data_sg);
	nvo_stream_rx_start_data(s, &c->rx, c->inline_len);
	return 1;
}

static int nq_rx_cmd(struct nvo_stream *s, u32 data_len)
{
	struct nicsim_queue *q = nq_of(s);
	struct nq_cmd *c;

	c = nq_get_cmd(q);
	if (!c)
		return nvo_stream_no_slot(s);
	memcpy(&c->sqe, s->rx_pdu.cmd.sqe, sizeof(c->sqe));
	c->inline_len = data_len;
	if (data_len) {
		s->rx_cmd = &c->rx;
		s->rx_state = NVO_SRX_WAIT;
		return nq_rx_wait(s);
	}
	nvo_stream_rx_next(s);
	nq_capsule_ready(q, c);
	return 1;
}

static struct nvo_pdu_rx *nq_h2c_cmd(struct nvo_stream *s, u16 ttag)
{
	struct nicsim_queue *q = nq_of(s);
	struct nq_cmd *c = ttag < q->nr_cmds ? &q->cmds[ttag] : NULL;

	if (!c)
		return ERR_PTR(-ERANGE);
	/* Data only for a command whose R2T went out in full. */
	if (c->state != NQ_CMD_DATA || c->tx.state != NVO_STX_IDLE)
		return NULL;
	return &c->rx;
}

static struct nq_cmd *nq_rx_of(struct nvo_pdu_rx *rx)
{
	return container_of(rx, struct nq_cmd, rx);
}

static void nq_ddgst_error(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nq_rx_of(rx)->data_status = NVME_SC_TRANSIENT_TR_ERR;
}

static void nq_rx_capsule_ready(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nq_capsule_ready(nq_of(s), nq_rx_of(rx));
}

static void nq_rx_r2t(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nq_queue_r2t(nq_of(s), nq_rx_of(rx));
}

static void nq_h2c_done(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	struct nicsim_queue *q = nq_of(s);

	q->nr_r2t--;
	nq_cmd_execute(q, nq_rx_of(rx));
}

static struct nvo_pdu_tx *nq_tx_next(struct nvo_stream *s)
{
	struct nicsim_queue *q = nq_of(s);
	struct nq_cmd *c;

	c = list_first_entry_or_null(&q->tx_list, struct nq_cmd, entry);
	if (!c)
		return NULL;
	list_del_init(&c->entry);
	return &c->tx;
}

static void nq_tx_done(struct nvo_stream *s, struct nvo_pdu_tx *tx)
{
	nq_put_cmd(nq_of(s), container_of(tx, struct nq_cmd, tx));
}

const struct nvo_stream_ops nq_stream_ops = {
	.wake		= nq_wake,
	.closed		= nq_closed,
	.fatal		= nq_proto_error,
	.rx_cmd		= nq_rx_cmd,
	.rx_wait	= nq_rx_wait,
	.h2c_cmd	= nq_h2c_cmd,
	.ddgst_error	= nq_ddgst_error,
	.capsule_ready	= nq_rx_capsule_ready,
	.r2t		= nq_rx_r2t,
	.h2c_done	= nq_h2c_done,
	.tx_next	= nq_tx_next,
	.tx_done	= nq_tx_done,
};
