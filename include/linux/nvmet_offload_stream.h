/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe/TCP PDU stream over a kernel socket, controller side: what the shim's
 * software transport and an offload device's engine (nicsim) both do with
 * the socket of a queue they own. Ownership of the socket's callbacks, the
 * receive state machine (headers and their digests, padding, data into a
 * scatterlist with its digest), the send of one command's PDUs (R2T,
 * C2HData with its data and digest, response), the C2HTermReq, the SGL
 * checks of a capsule and the hand-over record.
 *
 * The owner runs a stream from one context at a time (io_work, an engine
 * thread): a stream needs no lock. Its callbacks (struct nvo_stream_ops)
 * tell the owner what the protocol leaves to it: commands and their slots.
 * Kernel only; the codec under it is <linux/nvmet_offload_pdu.h>.
 */
#ifndef _LINUX_NVMET_OFFLOAD_STREAM_H
#define _LINUX_NVMET_OFFLOAD_STREAM_H

#include <linux/net.h>
#include <linux/nvme.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <linux/nvmet_offload.h>
#include <linux/nvmet_offload_pdu.h>

struct nvo_stream;

/* Where in a scatterlist the next byte goes (or comes from). */
struct nvo_sg_cursor {
	struct scatterlist	*sg;
	u32			off;
};

static inline void nvo_sg_cursor_init(struct nvo_sg_cursor *cur,
				      struct scatterlist *sg)
{
	cur->sg = sg;
	cur->off = 0;
}

/* What the stream keeps of a command that receives data. */
struct nvo_pdu_rx {
	struct nvo_xfer		xfer;		/* solicited by R2T */
	struct nvo_sg_cursor	cur;		/* where the next byte goes */
	const struct nvme_command *sqe;		/* the command's */
};

enum nvo_stream_rx_state {
	NVO_SRX_HDR,		/* a PDU header (+ digest) */
	NVO_SRX_WAIT,		/* capsule in: the owner makes room for data */
	NVO_SRX_PAD,		/* bytes between header and data */
	NVO_SRX_DATA,		/* command data */
	NVO_SRX_DDGST,		/* the data digest */
	NVO_SRX_DISCARD,	/* the payload of a command that failed */
};

enum nvo_stream_tx_state {
	NVO_STX_IDLE,
	NVO_STX_R2T,		/* an R2T header */
	NVO_STX_C2H_HDR,	/* a C2HData header */
	NVO_STX_C2H_DATA,	/* read data */
	NVO_STX_C2H_DDGST,	/* its data digest */
	NVO_STX_RSP,		/* the response capsule */
};

/* The PDUs one command sends, and how far they got. */
struct nvo_pdu_tx {
	enum nvo_stream_tx_state state;
	u8			hdr[NVO_TX_HDR_MAX];
	u32			hdr_len;
	u32			off;		/* bytes of the current piece sent */
	struct nvo_sg_cursor	cur;
	u32			data_left;
	__le32			ddgst;
	const struct nvme_completion *cqe;	/* the command's, for RSP */
};

/*
 * What a stream asks of its owner. Callbacks that return int return what
 * the receive or send loop does: > 0 progress, -EAGAIN to stop for now,
 * another error to give up the stream.
 */
struct nvo_stream_ops {
	/* Socket callbacks (softirq, under sk_callback_lock). */
	void (*wake)(struct nvo_stream *s);	/* data in, or room to send */
	void (*closed)(struct nvo_stream *s);	/* the connection closes */

	/* The host broke the protocol (after nvo_stream_term(), if wanted). */
	int (*fatal)(struct nvo_stream *s, enum nvo_fes fes, u32 fei);
	/* A socket call failed or the peer closed; NULL: @err as is. */
	int (*sock_error)(struct nvo_stream *s, int err);
	/* May the receive side read ahead of the parser? NULL: never. */
	bool (*may_read_ahead)(struct nvo_stream *s);

	/* An ICReq is in (only before s->ic_done). NULL: a protocol error. */
	int (*rx_icreq)(struct nvo_stream *s);
	/* A capsule with @data_len in-capsule bytes is in (s->rx_pdu.cmd). */
	int (*rx_cmd)(struct nvo_stream *s, u32 data_len);
	/* NVO_SRX_WAIT: make room for the capsule's data. */
	int (*rx_wait)(struct nvo_stream *s);
	/*
	 * The command @ttag names, if it waits for H2CData; NULL if not,
	 * ERR_PTR if there is no such slot.
	 */
	struct nvo_pdu_rx *(*h2c_cmd)(struct nvo_stream *s, u16 ttag);
	/* @rx's data failed its digest: it fails, the stream goes on. */
	void (*ddgst_error)(struct nvo_stream *s, struct nvo_pdu_rx *rx);
	/* @rx's in-capsule data is in. */
	void (*capsule_ready)(struct nvo_stream *s, struct nvo_pdu_rx *rx);
	/* @rx's R2T window is done: solicit the next one. */
	void (*r2t)(struct nvo_stream *s, struct nvo_pdu_rx *rx);
	/* @rx's data has all come in H2CData. */
	void (*h2c_done)(struct nvo_stream *s, struct nvo_pdu_rx *rx);

	/* The next command with PDUs to send, or NULL. */
	struct nvo_pdu_tx *(*tx_next)(struct nvo_stream *s);
	/* More PDUs are ready behind the one going out. NULL: never. */
	bool (*tx_more)(struct nvo_stream *s);
	/* Its PDUs are out: the command is over. */
	void (*tx_done)(struct nvo_stream *s, struct nvo_pdu_tx *tx);
};

/* Bytes of read ahead of an owner that wants it (may_read_ahead). */
#define NVO_STREAM_STAGE	2048

/*
 * In-capsule data a capsule may carry past inline_limit and only fail its
 * command (SGL Offset Invalid); more ends the connection (FES Data
 * Transfer Limit Exceeded). Bytes, not PAGE_SIZE: a 16K- or 64K-page
 * kernel holds hosts to the same limit as a 4K one.
 */
#define NVO_INLINE_FLOOR	SZ_4K

struct nvo_stream {
	struct socket		*sock;
	const struct nvo_stream_ops *ops;
	void			*owner;
	char			name[32];	/* prefix of messages */
	struct nvo_conn_params	params;
	u32			inline_limit;	/* in-capsule bytes accepted */
	bool			ic_done;	/* ICReq/ICResp exchanged */
	bool			tx_copy;	/* data sent copied, not spliced */

	/* Receive. */
	enum nvo_stream_rx_state rx_state;
	union {
		struct nvo_pdu_common	common;
		struct nvo_pdu_icreq	icreq;
		struct nvo_pdu_cmd	cmd;
		struct nvo_pdu_data	data;
		struct nvo_pdu_term	term;
		u8			buf[NVO_RX_HDR_MAX];
	} rx_pdu;
	u32			rx_off;		/* header bytes received */
	u32			rx_need;	/* header bytes expected */
	u32			rx_left;	/* pad/data/discard bytes to go */
	u32			rx_data_len;	/* data bytes in this PDU */
	struct nvo_pdu_rx	*rx_cmd;	/* the command receiving */
	u32			rx_crc;
	u8			rx_ddgst[NVO_DIGEST_LEN];
	/* Read ahead (may_read_ahead), parsed from stage_off to stage_len. */
	u32			stage_off;
	u32			stage_len;
	u8			*stage;
	/* The last PDU carried data: read ahead no further than a capsule. */
	bool			stage_short;

	/* Send: the command whose PDUs are going out. */
	struct nvo_pdu_tx	*tx;

	/* The socket's callbacks while the stream has them. */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);

	u8			term_pdu[NVO_TERM_MAX_LEN];
};

void nvo_stream_init(struct nvo_stream *s, struct socket *sock,
		     const struct nvo_stream_ops *ops, void *owner);
int nvo_stream_attach(struct nvo_stream *s);
void nvo_stream_detach(struct nvo_stream *s);

/* Receive. */
void nvo_stream_rx_next(struct nvo_stream *s);
u32 nvo_stream_staged(const struct nvo_stream *s);
bool nvo_stream_rx_idle(const struct nvo_stream *s);
void nvo_stream_rx_start_data(struct nvo_stream *s, struct nvo_pdu_rx *rx,
			      u32 len);
void nvo_stream_rx_discard(struct nvo_stream *s, u32 len);
u32 nvo_stream_rx_payload_len(const struct nvo_stream *s);
int nvo_stream_no_slot(struct nvo_stream *s);
int nvo_stream_try_recv(struct nvo_stream *s, int *budget);

/* Send. */
int nvo_stream_send_buf(struct nvo_stream *s, const void *buf, u32 len,
			u32 *off, bool more);
void nvo_stream_term(struct nvo_stream *s, enum nvo_fes fes, u32 fei);
u32 nvo_sg_digest(struct scatterlist *sg, u32 len);
bool nvo_stream_tx_r2t(struct nvo_stream *s, struct nvo_pdu_tx *tx,
		       u16 cccid, u16 ttag, struct nvo_xfer *xfer);
void nvo_stream_tx_rsp(struct nvo_stream *s, struct nvo_pdu_tx *tx);
void nvo_stream_tx_c2h(struct nvo_stream *s, struct nvo_pdu_tx *tx,
		       u16 cccid, struct scatterlist *sg, u32 len,
		       bool success);
int nvo_stream_try_send(struct nvo_stream *s, int *budget);

/* What a capsule's SGL says of its data: an NVMe status, 0 if it is fine. */
u16 nvo_sgl_check(struct nvme_command *sqe, u32 pdu_data_len,
		  u32 inline_limit, u32 max_xfer, u32 *len, bool *in_capsule);

/* The hand-over record of a stream; parked commands are added to it. */
void nvo_stream_record(struct nvo_stream *s, struct nvo_handover *h, u16 qid,
		       bool sqhd_disabled);
int nvo_record_park(struct nvo_handover *h, const struct nvme_command *sqe,
		    struct scatterlist *sg, unsigned int nents, u32 len,
		    void *buf);

#endif /* _LINUX_NVMET_OFFLOAD_STREAM_H */
