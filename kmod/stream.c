// SPDX-License-Identifier: GPL-2.0
/*
 * The PDU stream over a kernel socket (include/linux/nvmet_offload_stream.h):
 * socket callback ownership, PDU receive with digests, PDU send, the
 * C2HTermReq and SGL checks, shared by the software transport and offload
 * device drivers (the hand-over record built from a stream: record.c).
 * Nothing here knows about nvmet or queues: what a command is, is the
 * owner's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/nvmet_offload_stream.h>

#include "compat.h"

/* Pages one copied send carries. */
#define NVO_STREAM_TX_BVECS	16

/* ---- socket callbacks ---------------------------------------------------- */

static void nvo_stream_data_ready(struct sock *sk);

/*
 * The stream behind @sk while a stream's callbacks are installed. Callbacks
 * and sk_user_data change together under sk_callback_lock, so a callback
 * entered just before a hand-over reaches the socket's owner of the moment.
 */
static struct nvo_stream *nvo_sk_stream(struct sock *sk)
{
	if (sk->sk_data_ready != nvo_stream_data_ready)
		return NULL;
	return sk->sk_user_data;
}

static void nvo_stream_data_ready(struct sock *sk)
{
	struct nvo_stream *s;

	read_lock_bh(&sk->sk_callback_lock);
	s = nvo_sk_stream(sk);
	if (s)
		s->ops->wake(s);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void nvo_stream_write_space(struct sock *sk)
{
	struct nvo_stream *s;

	read_lock_bh(&sk->sk_callback_lock);
	s = nvo_sk_stream(sk);
	if (s && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		s->ops->wake(s);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void nvo_stream_state_change(struct sock *sk)
{
	struct nvo_stream *s;

	read_lock_bh(&sk->sk_callback_lock);
	s = nvo_sk_stream(sk);
	if (s) {
		switch (sk->sk_state) {
		case TCP_FIN_WAIT2:
		case TCP_LAST_ACK:
			break;
		case TCP_FIN_WAIT1:
		case TCP_CLOSE_WAIT:
		case TCP_CLOSE:
			s->ops->closed(s);
			break;
		default:
			pr_debug("%s: unexpected socket state %d\n", s->name,
				 sk->sk_state);
		}
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

void nvo_stream_init(struct nvo_stream *s, struct socket *sock,
		     const struct nvo_stream_ops *ops, void *owner)
{
	s->sock = sock;
	s->ops = ops;
	s->owner = owner;
	nvo_stream_rx_next(s);
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_init, NVO_NS);

/* Take the socket's callbacks: -ENOTCONN if the connection is going. */
int nvo_stream_attach(struct nvo_stream *s)
{
	struct sock *sk = s->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_state != TCP_ESTABLISHED) {
		write_unlock_bh(&sk->sk_callback_lock);
		return -ENOTCONN;
	}
	s->saved_data_ready = sk->sk_data_ready;
	s->saved_write_space = sk->sk_write_space;
	s->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = s;
	sk->sk_data_ready = nvo_stream_data_ready;
	sk->sk_write_space = nvo_stream_write_space;
	sk->sk_state_change = nvo_stream_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_attach, NVO_NS);

/*
 * Give the callbacks back, if @s has them, and no sk_user_data: an accepted
 * socket inherits its listener's, which is no one's to restore.
 */
void nvo_stream_detach(struct nvo_stream *s)
{
	struct sock *sk = s->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == s) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = s->saved_data_ready;
		sk->sk_write_space = s->saved_write_space;
		sk->sk_state_change = s->saved_state_change;
	}
	write_unlock_bh(&sk->sk_callback_lock);
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_detach, NVO_NS);

/* ---- receive ------------------------------------------------------------- */

static int nvo_stream_sock_error(struct nvo_stream *s, int err)
{
	if (err == -EAGAIN || !s->ops->sock_error)
		return err;
	return s->ops->sock_error(s, err);
}

void nvo_stream_rx_next(struct nvo_stream *s)
{
	s->rx_state = NVO_SRX_HDR;
	s->rx_off = 0;
	s->rx_need = sizeof(struct nvo_pdu_common);
	s->rx_cmd = NULL;
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_rx_next, NVO_NS);

/* > 0: bytes; -EAGAIN: nothing yet; other < 0: the stream is over. */
static int nvo_stream_recv_raw(struct nvo_stream *s, void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int ret;

	ret = kernel_recvmsg(s->sock, &msg, &iov, 1, len, msg.msg_flags);
	if (ret > 0)
		return ret;
	return nvo_stream_sock_error(s, ret ? ret : -ECONNRESET);
}

u32 nvo_stream_staged(const struct nvo_stream *s)
{
	return s->stage_len - s->stage_off;
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_staged, NVO_NS);

/* At a PDU boundary, nothing read ahead. */
bool nvo_stream_rx_idle(const struct nvo_stream *s)
{
	return s->rx_state == NVO_SRX_HDR && !s->rx_off &&
	       !nvo_stream_staged(s);
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_rx_idle, NVO_NS);

/*
 * Read ahead into the stage if nothing is staged and the owner lets us:
 * > 0 bytes staged, 0 when the caller must read exactly what it needs, or
 * the error.
 */
static int nvo_stream_stage_fill(struct nvo_stream *s)
{
	u32 len = NVO_STREAM_STAGE;
	int ret;

	if (nvo_stream_staged(s))
		return nvo_stream_staged(s);
	if (!s->stage || !s->ops->may_read_ahead(s))
		return 0;
	/*
	 * Behind a PDU with data more data is likely: a read ahead would
	 * copy it twice (socket, stage, pages), where nvo_stream_rx_data()
	 * receives it straight into the pages.
	 */
	if (s->stage_short)
		len = sizeof(struct nvo_pdu_cmd) +
		      (s->params.hdgst ? NVO_DIGEST_LEN : 0);
	ret = nvo_stream_recv_raw(s, s->stage, len);
	if (ret < 0)
		return ret;
	s->stage_off = 0;
	s->stage_len = ret;
	return ret;
}

/* Up to @len bytes of the stream: staged ones first. */
static int nvo_stream_recv(struct nvo_stream *s, void *buf, size_t len)
{
	u32 n;
	int ret;

	ret = nvo_stream_stage_fill(s);
	if (ret <= 0)
		return ret ? ret : nvo_stream_recv_raw(s, buf, len);
	n = min_t(size_t, len, ret);
	memcpy(buf, s->stage + s->stage_off, n);
	s->stage_off += n;
	return n;
}

/* Drop @len bytes of payload: the command they were for failed. */
void nvo_stream_rx_discard(struct nvo_stream *s, u32 len)
{
	s->rx_cmd = NULL;
	s->rx_left = len;
	s->rx_state = NVO_SRX_DISCARD;
	if (!len)
		nvo_stream_rx_next(s);
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_rx_discard, NVO_NS);

/* Everything after the header of the current PDU. */
u32 nvo_stream_rx_payload_len(const struct nvo_stream *s)
{
	const struct nvo_pdu_common *h = &s->rx_pdu.common;

	return le32_to_cpu(h->plen) - nvo_pdu_hdr_len(h, &s->params);
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_rx_payload_len, NVO_NS);

/* The current PDU's @len data bytes go to @rx, at its cursor. */
void nvo_stream_rx_start_data(struct nvo_stream *s, struct nvo_pdu_rx *rx,
			      u32 len)
{
	u32 pad = nvo_pdu_pad_len(&s->rx_pdu.common, &s->params);

	s->rx_cmd = rx;
	s->rx_data_len = len;
	s->rx_crc = nvo_digest_init();
	if (pad) {
		s->rx_state = NVO_SRX_PAD;
		s->rx_left = pad;
	} else {
		s->rx_state = NVO_SRX_DATA;
		s->rx_left = len;
	}
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_rx_start_data, NVO_NS);

/* A capsule came with no command slot free. */
int nvo_stream_no_slot(struct nvo_stream *s)
{
	pr_warn_ratelimited("%s: host exceeded the queue depth\n", s->name);
	return s->ops->fatal(s, NVO_FES_PDU_SEQUENCE, 0);
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_no_slot, NVO_NS);

static int nvo_stream_rx_cmd(struct nvo_stream *s)
{
	u32 data_len = nvo_pdu_data_len(&s->rx_pdu.common, &s->params);

	/* The host's limit, as a hand-over record carries it. */
	if (data_len > max_t(u32, s->inline_limit, NVO_INLINE_FLOOR))
		return s->ops->fatal(s, NVO_FES_DATA_LIMIT_EXCEEDED,
				     offsetof(struct nvo_pdu_common, plen));
	return s->ops->rx_cmd(s, data_len);
}

static int nvo_stream_rx_h2c(struct nvo_stream *s)
{
	struct nvo_pdu_data *d = &s->rx_pdu.data;
	u32 data_len = nvo_pdu_data_len(&d->hdr, &s->params);
	struct nvo_pdu_rx *rx;
	enum nvo_fes fes;
	u32 fei;

	rx = s->ops->h2c_cmd(s, le16_to_cpu(d->ttag));
	if (IS_ERR(rx))
		return s->ops->fatal(s, NVO_FES_INVALID_HDR_FIELD,
				     offsetof(struct nvo_pdu_data, ttag));
	if (!rx || d->cccid != rx->sqe->common.command_id)
		return s->ops->fatal(s, NVO_FES_INVALID_HDR_FIELD,
				     offsetof(struct nvo_pdu_data, cccid));
	if (data_len > s->params.maxh2cdata)
		return s->ops->fatal(s, NVO_FES_DATA_LIMIT_EXCEEDED,
				     offsetof(struct nvo_pdu_data, length));
	fes = nvo_xfer_check_h2c(&rx->xfer, d, data_len, &fei);
	if (fes)
		return s->ops->fatal(s, fes, fei);
	nvo_stream_rx_start_data(s, rx, data_len);
	return 1;
}

static int nvo_stream_rx_dispatch(struct nvo_stream *s)
{
	switch (s->rx_pdu.common.type) {
	case NVO_PDU_ICREQ:
		if (s->ops->rx_icreq)
			return s->ops->rx_icreq(s);
		break;
	case NVO_PDU_CMD:
		return nvo_stream_rx_cmd(s);
	case NVO_PDU_H2C_DATA:
		return nvo_stream_rx_h2c(s);
	case NVO_PDU_H2C_TERM:
		pr_info_ratelimited("%s: host terminated the connection (fes %#x)\n",
				    s->name, le16_to_cpu(s->rx_pdu.term.fes));
		return nvo_stream_sock_error(s, -ECONNRESET);
	}
	/* nvo_pdu_check_h2c() let no other type through */
	return s->ops->fatal(s, NVO_FES_INVALID_HDR_FIELD, 0);
}

static int nvo_stream_rx_hdr(struct nvo_stream *s, int *budget)
{
	const struct nvo_pdu_common *h = &s->rx_pdu.common;
	enum nvo_fes fes;
	u32 fei;
	int ret;

	ret = nvo_stream_recv(s, s->rx_pdu.buf + s->rx_off,
			      s->rx_need - s->rx_off);
	if (ret < 0)
		return ret;
	s->rx_off += ret;
	if (s->rx_off < s->rx_need)
		return 1;

	if (s->rx_need == sizeof(*h)) {
		fes = nvo_pdu_check_h2c(h, &s->params, s->ic_done, &fei);
		if (fes)
			return s->ops->fatal(s, fes, fei);
		s->rx_need = nvo_pdu_hdr_len(h, &s->params);
		if (s->rx_need > sizeof(s->rx_pdu.buf))
			return s->ops->fatal(s, NVO_FES_INVALID_HDR_FIELD,
					     offsetof(struct nvo_pdu_common,
						      hlen));
		if (s->rx_off < s->rx_need)
			return 1;
	}
	if (s->rx_need > h->hlen && !nvo_pdu_hdgst_ok(h, h->hlen))
		return s->ops->fatal(s, NVO_FES_HDR_DIGEST, 0);
	s->stage_short = le32_to_cpu(h->plen) > s->rx_need;
	(*budget)--;
	return nvo_stream_rx_dispatch(s);
}

/* Drop padding, or the payload of a command that already failed. */
static int nvo_stream_rx_skip(struct nvo_stream *s)
{
	u8 scratch[64];
	int ret;

	while (s->rx_left) {
		ret = nvo_stream_recv(s, scratch,
				      min_t(u32, s->rx_left, sizeof(scratch)));
		if (ret < 0)
			return ret;
		s->rx_left -= ret;
	}
	if (s->rx_state == NVO_SRX_PAD) {
		s->rx_state = NVO_SRX_DATA;
		s->rx_left = s->rx_data_len;
	} else {
		nvo_stream_rx_next(s);
	}
	return 1;
}

static int nvo_stream_rx_data_done(struct nvo_stream *s)
{
	bool in_capsule = s->rx_pdu.common.type == NVO_PDU_CMD;
	struct nvo_pdu_rx *rx = s->rx_cmd;
	bool window_done;

	nvo_stream_rx_next(s);
	if (in_capsule) {
		s->ops->capsule_ready(s, rx);
		return 1;
	}
	window_done = nvo_xfer_advance(&rx->xfer, s->rx_data_len);
	if (!nvo_xfer_complete(&rx->xfer)) {
		if (window_done)
			s->ops->r2t(s, rx);
		return 1;
	}
	s->ops->h2c_done(s, rx);
	return 1;
}

static int nvo_stream_rx_data(struct nvo_stream *s)
{
	struct nvo_sg_cursor *cur = &s->rx_cmd->cur;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct bio_vec bv;
	int ret;

	while (s->rx_left) {
		struct scatterlist *sg = cur->sg;
		u32 off, poff, len;
		struct page *page;

		if (WARN_ON_ONCE(!sg))
			return s->ops->fatal(s, NVO_FES_DATA_OUT_OF_RANGE, 0);
		off = sg->offset + cur->off;
		page = nth_page(sg_page(sg), off >> PAGE_SHIFT);
		poff = offset_in_page(off);
		len = min3(sg->length - cur->off, (u32)PAGE_SIZE - poff,
			   s->rx_left);

		if (nvo_stream_staged(s)) {
			/* Read ahead with the header: copy it out. */
			ret = min(len, nvo_stream_staged(s));
			memcpy_to_page(page, poff, s->stage + s->stage_off, ret);
			s->stage_off += ret;
		} else {
			/* Straight into the command's pages. */
			bv.bv_page = page;
			bv.bv_offset = poff;
			bv.bv_len = len;
			iov_iter_bvec(&msg.msg_iter, ITER_DEST, &bv, 1, len);
			ret = sock_recvmsg(s->sock, &msg, msg.msg_flags);
			if (ret <= 0)
				return nvo_stream_sock_error(s, ret ? ret :
							     -ECONNRESET);
		}

		if (s->params.ddgst) {
			u8 *va = kmap_local_page(page);

			s->rx_crc = nvo_crc32c_update(s->rx_crc, va + poff, ret);
			kunmap_local(va);
		}
		s->rx_left -= ret;
		cur->off += ret;
		if (cur->off == sg->length) {
			cur->sg = sg_next(sg);
			cur->off = 0;
		}
	}

	if (s->params.ddgst) {
		s->rx_state = NVO_SRX_DDGST;
		s->rx_off = 0;
		return 1;
	}
	return nvo_stream_rx_data_done(s);
}

static int nvo_stream_rx_ddgst(struct nvo_stream *s)
{
	int ret;

	ret = nvo_stream_recv(s, s->rx_ddgst + s->rx_off,
			      NVO_DIGEST_LEN - s->rx_off);
	if (ret < 0)
		return ret;
	s->rx_off += ret;
	if (s->rx_off < NVO_DIGEST_LEN)
		return 1;

	if (get_unaligned_le32(s->rx_ddgst) != nvo_digest_final(s->rx_crc)) {
		pr_warn_ratelimited("%s: data digest error on command %#x\n",
				    s->name, s->rx_cmd->sqe->common.command_id);
		/* Not fatal: the command fails and the host may retry it. */
		s->ops->ddgst_error(s, s->rx_cmd);
	}
	return nvo_stream_rx_data_done(s);
}

/*
 * Receive and dispatch PDUs until the socket is dry or @budget PDUs went
 * through: 1 on progress, 0 on none, or the error that ends the stream.
 */
int nvo_stream_try_recv(struct nvo_stream *s, int *budget)
{
	int progress = 0, ret;

	while (*budget > 0) {
		switch (s->rx_state) {
		case NVO_SRX_HDR:
			ret = nvo_stream_rx_hdr(s, budget);
			break;
		case NVO_SRX_WAIT:
			ret = s->ops->rx_wait(s);
			break;
		case NVO_SRX_PAD:
		case NVO_SRX_DISCARD:
			ret = nvo_stream_rx_skip(s);
			break;
		case NVO_SRX_DATA:
			ret = nvo_stream_rx_data(s);
			break;
		case NVO_SRX_DDGST:
			ret = nvo_stream_rx_ddgst(s);
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
EXPORT_SYMBOL_NS_GPL(nvo_stream_try_recv, NVO_NS);

/* ---- send ---------------------------------------------------------------- */

/* Send what is left of @buf; 0 when all of it went out. */
int nvo_stream_send_buf(struct nvo_stream *s, const void *buf, u32 len,
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

		ret = kernel_sendmsg(s->sock, &msg, &iov, 1, iov.iov_len);
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		*off += ret;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_send_buf, NVO_NS);

/*
 * Tell the host why the stream ends: a C2HTermReq echoing the header being
 * received. Only between two PDUs of ours; a best effort, never waiting.
 */
void nvo_stream_term(struct nvo_stream *s, enum nvo_fes fes, u32 fei)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov;

	iov.iov_base = s->term_pdu;
	iov.iov_len = nvo_pdu_build_c2h_term(s->term_pdu, fes, fei,
					     s->rx_pdu.buf, s->rx_off);
	kernel_sendmsg(s->sock, &msg, &iov, 1, iov.iov_len);
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_term, NVO_NS);

/* The data digest of the first @len bytes of @sg. */
u32 nvo_sg_digest(struct scatterlist *sg, u32 len)
{
	u32 crc = nvo_digest_init();

	for (; sg && len; sg = sg_next(sg)) {
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
	}
	return nvo_digest_final(crc);
}
EXPORT_SYMBOL_NS_GPL(nvo_sg_digest, NVO_NS);

/* An R2T for the next window of @xfer; false when nothing is left. */
bool nvo_stream_tx_r2t(struct nvo_stream *s, struct nvo_pdu_tx *tx,
		       u16 cccid, u16 ttag, struct nvo_xfer *xfer)
{
	u32 max = s->params.maxh2cdata ? s->params.maxh2cdata : xfer->total;
	u32 off, len;

	if (!nvo_xfer_next_r2t(xfer, max, &off, &len))
		return false;
	tx->hdr_len = nvo_pdu_build_r2t(tx->hdr, cccid, ttag, off, len,
					&s->params);
	tx->state = NVO_STX_R2T;
	tx->off = 0;
	return true;
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_tx_r2t, NVO_NS);

/* The response capsule, from tx->cqe. */
void nvo_stream_tx_rsp(struct nvo_stream *s, struct nvo_pdu_tx *tx)
{
	tx->hdr_len = nvo_pdu_build_rsp(tx->hdr, tx->cqe, &s->params);
	tx->state = NVO_STX_RSP;
	tx->off = 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_tx_rsp, NVO_NS);

/* Read data in C2HData; @success: the response rides on it. */
void nvo_stream_tx_c2h(struct nvo_stream *s, struct nvo_pdu_tx *tx,
		       u16 cccid, struct scatterlist *sg, u32 len,
		       bool success)
{
	tx->hdr_len = nvo_pdu_build_c2h_data(tx->hdr, cccid, 0, len, true,
					     success, &s->params);
	tx->state = NVO_STX_C2H_HDR;
	tx->off = 0;
	nvo_sg_cursor_init(&tx->cur, sg);
	tx->data_left = len;
	if (s->params.ddgst)
		tx->ddgst = cpu_to_le32(nvo_sg_digest(sg, len));
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_tx_c2h, NVO_NS);

static bool nvo_stream_tx_more(struct nvo_stream *s)
{
	return s->ops->tx_more && s->ops->tx_more(s);
}

static bool nvo_rsp_in_data(const struct nvo_pdu_tx *tx)
{
	return tx->hdr[1] & NVO_F_DATA_SUCCESS;
}

/* Spliced, a page at a time: the pages stay the command's until it ends. */
static int nvo_stream_send_pages(struct nvo_stream *s, struct nvo_pdu_tx *tx,
				 bool tail)
{
	int ret;

	while (tx->data_left) {
		struct scatterlist *sg = tx->cur.sg;
		u32 off = sg->offset + tx->cur.off;
		u32 poff = offset_in_page(off);
		u32 len = min3(sg->length - tx->cur.off,
			       (u32)PAGE_SIZE - poff, tx->data_left);

		ret = nvo_send_page(s->sock,
				    nth_page(sg_page(sg), off >> PAGE_SHIFT),
				    poff, len, tail || len < tx->data_left);
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		tx->data_left -= ret;
		tx->cur.off += ret;
		if (tx->cur.off == sg->length) {
			tx->cur.sg = sg_next(sg);
			tx->cur.off = 0;
		}
	}
	return 0;
}

/*
 * Copied (s->tx_copy), many pages a call: for an owner whose pages go to
 * other commands as soon as this one completes, which may be before TCP
 * (or, on loopback, the receiver) is done with an skb that refers to them.
 */
static int nvo_stream_send_copy(struct nvo_stream *s, struct nvo_pdu_tx *tx,
				bool tail)
{
	struct bio_vec bv[NVO_STREAM_TX_BVECS];
	int ret;

	while (tx->data_left) {
		struct scatterlist *sg = tx->cur.sg;
		u32 sg_off = tx->cur.off, left = tx->data_left, bytes = 0;
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		unsigned int n = 0;

		while (sg && left && n < NVO_STREAM_TX_BVECS) {
			u32 off = sg->offset + sg_off;
			u32 poff = offset_in_page(off);
			u32 len = min3(sg->length - sg_off,
				       (u32)PAGE_SIZE - poff, left);

			bv[n].bv_page = nth_page(sg_page(sg), off >> PAGE_SHIFT);
			bv[n].bv_offset = poff;
			bv[n].bv_len = len;
			n++;
			bytes += len;
			left -= len;
			sg_off += len;
			if (sg_off == sg->length) {
				sg = sg_next(sg);
				sg_off = 0;
			}
		}
		if (WARN_ON_ONCE(!n))
			return -EINVAL;
		if (tail || left)
			msg.msg_flags |= MSG_MORE;
		iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, bytes);
		ret = sock_sendmsg(s->sock, &msg);
		if (ret <= 0)
			return ret ? ret : -EAGAIN;

		/* Advance by what went out, which may be less than asked. */
		tx->data_left -= ret;
		while (ret) {
			u32 step = min_t(u32, ret,
					 tx->cur.sg->length - tx->cur.off);

			tx->cur.off += step;
			ret -= step;
			if (tx->cur.off == tx->cur.sg->length) {
				tx->cur.sg = sg_next(tx->cur.sg);
				tx->cur.off = 0;
			}
		}
	}
	return 0;
}

/*
 * Advance @tx's send: 1 when its PDUs are all out, 0 when its R2T is (the
 * command now waits for data), -EAGAIN when the socket is full.
 */
static int nvo_stream_send_pdus(struct nvo_stream *s, struct nvo_pdu_tx *tx)
{
	bool tail;
	int ret;

	for (;;) {
		switch (tx->state) {
		case NVO_STX_R2T:
			ret = nvo_stream_send_buf(s, tx->hdr, tx->hdr_len,
						  &tx->off,
						  nvo_stream_tx_more(s));
			if (ret)
				return ret;
			tx->state = NVO_STX_IDLE;
			return 0;
		case NVO_STX_C2H_HDR:
			ret = nvo_stream_send_buf(s, tx->hdr, tx->hdr_len,
						  &tx->off, true);
			if (ret)
				return ret;
			tx->state = NVO_STX_C2H_DATA;
			break;
		case NVO_STX_C2H_DATA:
			/* More follows: a data digest, the response, others. */
			tail = s->params.ddgst || !nvo_rsp_in_data(tx) ||
			       nvo_stream_tx_more(s);
			if (s->tx_copy)
				ret = nvo_stream_send_copy(s, tx, tail);
			else
				ret = nvo_stream_send_pages(s, tx, tail);
			if (ret)
				return ret;
			tx->off = 0;
			if (s->params.ddgst)
				tx->state = NVO_STX_C2H_DDGST;
			else if (nvo_rsp_in_data(tx))
				goto done;
			else
				nvo_stream_tx_rsp(s, tx);
			break;
		case NVO_STX_C2H_DDGST:
			ret = nvo_stream_send_buf(s, &tx->ddgst, NVO_DIGEST_LEN,
						  &tx->off,
						  !nvo_rsp_in_data(tx) ||
						  nvo_stream_tx_more(s));
			if (ret)
				return ret;
			if (nvo_rsp_in_data(tx))
				goto done;
			nvo_stream_tx_rsp(s, tx);
			break;
		case NVO_STX_RSP:
			ret = nvo_stream_send_buf(s, tx->hdr, tx->hdr_len,
						  &tx->off,
						  nvo_stream_tx_more(s));
			if (ret)
				return ret;
			goto done;
		default:
			WARN_ON_ONCE(1);
			return -EINVAL;
		}
	}
done:
	tx->state = NVO_STX_IDLE;
	return 1;
}

/*
 * Send the owner's PDUs until none is ready, the socket is full or @budget
 * commands went through: 1 on progress, 0 on none, or the error that ends
 * the stream.
 */
int nvo_stream_try_send(struct nvo_stream *s, int *budget)
{
	int progress = 0, ret;

	while (*budget > 0) {
		if (!s->tx)
			s->tx = s->ops->tx_next(s);
		if (!s->tx)
			break;
		ret = nvo_stream_send_pdus(s, s->tx);
		if (ret == -EAGAIN)
			break;	/* write_space brings us back */
		if (ret < 0)
			return nvo_stream_sock_error(s, ret);
		if (ret)
			s->ops->tx_done(s, s->tx);
		s->tx = NULL;
		(*budget)--;
		progress = 1;
	}
	return progress;
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_try_send, NVO_NS);

/* ---- capsules ------------------------------------------------------------ */

/*
 * Where a capsule's data is, by its SGL: in the capsule (@pdu_data_len
 * bytes came with it, at most @inline_limit) or solicited by R2T; @len
 * bytes in all, at most @max_xfer. What nvmet and the software transport
 * reject up front.
 */
u16 nvo_sgl_check(struct nvme_command *sqe, u32 pdu_data_len,
		  u32 inline_limit, u32 max_xfer, u32 *len, bool *in_capsule)
{
	const struct nvme_sgl_desc *sgl = &sqe->common.dptr.sgl;

	*len = le32_to_cpu(sgl->length);
	*in_capsule = false;
	if (!*len)
		return pdu_data_len ? NVME_SC_SGL_INVALID_DATA | NVME_STATUS_DNR : 0;
	if (*len > max_xfer)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;

	if (sgl->type == ((NVME_SGL_FMT_DATA_DESC << 4) | NVME_SGL_FMT_OFFSET)) {
		if (!nvme_is_write(sqe))
			return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		if (*len > inline_limit || le64_to_cpu(sgl->addr))
			return NVME_SC_SGL_INVALID_OFFSET | NVME_STATUS_DNR;
		if (*len != pdu_data_len)
			return NVME_SC_SGL_INVALID_DATA | NVME_STATUS_DNR;
		*in_capsule = true;
		return 0;
	}
	if (sgl->type != ((NVME_TRANSPORT_SGL_DATA_DESC << 4) |
			  NVME_SGL_FMT_TRANSPORT_A))
		return NVME_SC_SGL_INVALID_TYPE | NVME_STATUS_DNR;
	if (pdu_data_len)
		return NVME_SC_SGL_INVALID_DATA | NVME_STATUS_DNR;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_sgl_check, NVO_NS);
