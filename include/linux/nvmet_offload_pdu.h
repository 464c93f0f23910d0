/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe/TCP PDU codec (NVMe/TCP transport binding, TP 8000 / NVMe-oF 1.1).
 *
 * Pure functions over PDU bytes and per-connection / per-command state: no
 * sockets, no nvmet, no allocation. The software transport and offload
 * device drivers (nicsim) share it, and it also builds in userspace so that
 * it can be unit-tested and fuzzed on the host.
 */
#ifndef _LINUX_NVMET_OFFLOAD_PDU_H
#define _LINUX_NVMET_OFFLOAD_PDU_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include "nvo_user_shim.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum nvo_pdu_type {
	NVO_PDU_ICREQ		= 0x00,
	NVO_PDU_ICRESP		= 0x01,
	NVO_PDU_H2C_TERM	= 0x02,
	NVO_PDU_C2H_TERM	= 0x03,
	NVO_PDU_CMD		= 0x04,
	NVO_PDU_RSP		= 0x05,
	NVO_PDU_H2C_DATA	= 0x06,
	NVO_PDU_C2H_DATA	= 0x07,
	NVO_PDU_R2T		= 0x09,
};

enum nvo_pdu_flags {
	NVO_F_HDGST		= 1 << 0,
	NVO_F_DDGST		= 1 << 1,
	NVO_F_DATA_LAST		= 1 << 2,
	NVO_F_DATA_SUCCESS	= 1 << 3,
};

/* Fatal error status carried by a C2HTermReq. */
enum nvo_fes {
	NVO_FES_NONE			= 0x00,
	NVO_FES_INVALID_HDR_FIELD	= 0x01,
	NVO_FES_PDU_SEQUENCE		= 0x02,
	NVO_FES_HDR_DIGEST		= 0x03,
	NVO_FES_DATA_OUT_OF_RANGE	= 0x04,
	NVO_FES_DATA_LIMIT_EXCEEDED	= 0x05,
	NVO_FES_UNSUPPORTED_PARAM	= 0x06,
};

#define NVO_DIGEST_LEN		4
#define NVO_IC_PDU_LEN		128
#define NVO_CMD_HLEN		72	/* common header + 64-byte SQE */
#define NVO_RSP_HLEN		24	/* common header + 16-byte CQE */
#define NVO_DATA_HLEN		24	/* H2CData, C2HData, R2T */
#define NVO_TERM_HLEN		24
/* A TermReq echoes at most this many bytes of the offending PDU header. */
#define NVO_TERM_MAX_ECHO	128
#define NVO_TERM_MAX_LEN	(NVO_TERM_HLEN + NVO_TERM_MAX_ECHO)
/* Largest header we ever receive, with its digest. */
#define NVO_RX_HDR_MAX		NVO_IC_PDU_LEN
/* Largest header we send before data: C2HData + digest + HPDA padding. */
#define NVO_TX_HDR_MAX		(NVO_DATA_HLEN + NVO_DIGEST_LEN + 128)
#define NVO_HPDA_MAX		31

struct nvo_pdu_common {
	__u8	type;
	__u8	flags;
	__u8	hlen;
	__u8	pdo;
	__le32	plen;
};

struct nvo_pdu_icreq {
	struct nvo_pdu_common	hdr;
	__le16			pfv;
	__u8			hpda;
	__u8			digest;
	__le32			maxr2t;
	__u8			rsvd[112];
};

struct nvo_pdu_icresp {
	struct nvo_pdu_common	hdr;
	__le16			pfv;
	__u8			cpda;
	__u8			digest;
	__le32			maxdata;
	__u8			rsvd[112];
};

/* H2CTermReq and C2HTermReq; FEI sits unaligned at byte 10. */
struct nvo_pdu_term {
	struct nvo_pdu_common	hdr;
	__le16			fes;
	__u8			fei[4];
	__u8			rsvd[10];
};

struct nvo_pdu_cmd {
	struct nvo_pdu_common	hdr;
	__u8			sqe[64];
};

struct nvo_pdu_rsp {
	struct nvo_pdu_common	hdr;
	__u8			cqe[16];
};

/* H2CData and C2HData share a layout; R2T has the same fields too. */
struct nvo_pdu_data {
	struct nvo_pdu_common	hdr;
	__u16			cccid;	/* the SQE's command_id, as is */
	__le16			ttag;
	__le32			offset;
	__le32			length;
	__u8			rsvd[4];
};

/* What the initialize-connection exchange settled for one connection. */
struct nvo_conn_params {
	bool	hdgst;		/* header digests in both directions */
	bool	ddgst;		/* data digests in both directions */
	__u8	hpda;		/* host PDU data alignment: (hpda + 1) dwords */
	__u32	maxr2t;		/* host's outstanding R2Ts per command, 0's based */
	__u32	maxh2cdata;	/* largest H2CData payload we accept */
};

/* Limits the controller side offers in its ICResp. */
struct nvo_ic_limits {
	bool	allow_hdgst;
	bool	allow_ddgst;
	__u32	maxh2cdata;
};

/*
 * Per-command host-to-controller data transfer: the data arrives in order,
 * in windows that R2Ts open (or all at once, in the capsule).
 */
struct nvo_xfer {
	__u32	total;		/* the command's data length */
	__u32	done;		/* bytes received so far */
	__u32	r2t_off;	/* open R2T window */
	__u32	r2t_len;	/* 0: no window open */
};

/* Bytes of header the common header announces, digest included. */
__u32 nvo_pdu_hdr_len(const struct nvo_pdu_common *hdr,
		      const struct nvo_conn_params *p);

/*
 * Validate a host-to-controller common header. @ic_done says whether the
 * ICReq/ICResp exchange is over. Returns NVO_FES_NONE, or the fatal error
 * status with @fei set to the offset of the offending field.
 */
enum nvo_fes nvo_pdu_check_h2c(const struct nvo_pdu_common *hdr,
			       const struct nvo_conn_params *p, bool ic_done,
			       __u32 *fei);

/* Payload bytes in a checked PDU (what lies between PDO and the digest). */
__u32 nvo_pdu_data_len(const struct nvo_pdu_common *hdr,
		       const struct nvo_conn_params *p);
/* Bytes between the header (and its digest) and the data: padding. */
__u32 nvo_pdu_pad_len(const struct nvo_pdu_common *hdr,
		      const struct nvo_conn_params *p);

/* Check an ICReq, settle @params and build the ICResp. */
enum nvo_fes nvo_icreq_accept(const struct nvo_pdu_icreq *req,
			      const struct nvo_ic_limits *lim,
			      struct nvo_conn_params *params,
			      struct nvo_pdu_icresp *resp, __u32 *fei);

/* CRC32C as NVMe/TCP digests use it (seed ~0, final inversion, LE). */
__u32 nvo_crc32c_update(__u32 crc, const void *buf, size_t len);
static inline __u32 nvo_digest_init(void)
{
	return ~0U;
}

static inline __u32 nvo_digest_final(__u32 crc)
{
	return ~crc;
}

void nvo_pdu_set_hdgst(void *hdr, __u8 hlen);
bool nvo_pdu_hdgst_ok(const void *hdr, __u8 hlen);

/*
 * Builders return the number of header bytes to send (digest, pad incl.).
 * @cccid is the SQE's command identifier, copied as is.
 */
__u32 nvo_pdu_build_rsp(void *buf, const void *cqe,
			const struct nvo_conn_params *p);
__u32 nvo_pdu_build_r2t(void *buf, __u16 cccid, __u16 ttag, __u32 offset,
			__u32 length, const struct nvo_conn_params *p);
__u32 nvo_pdu_build_c2h_data(void *buf, __u16 cccid, __u32 offset,
			     __u32 length, bool last, bool success,
			     const struct nvo_conn_params *p);
__u32 nvo_pdu_build_c2h_term(void *buf, enum nvo_fes fes, __u32 fei,
			     const void *bad_hdr, __u32 bad_len);

/* Start a transfer of @total bytes that R2Ts will solicit. */
void nvo_xfer_init(struct nvo_xfer *x, __u32 total);
/* Open the next R2T window; false when no data is left to solicit. */
bool nvo_xfer_next_r2t(struct nvo_xfer *x, __u32 max_len, __u32 *off,
		       __u32 *len);
/* Check an H2CData header against the open window. */
enum nvo_fes nvo_xfer_check_h2c(const struct nvo_xfer *x,
				const struct nvo_pdu_data *d,
				__u32 pdu_data_len, __u32 *fei);
/* Account received data; true when the open window is complete. */
bool nvo_xfer_advance(struct nvo_xfer *x, __u32 len);
static inline bool nvo_xfer_complete(const struct nvo_xfer *x)
{
	return x->done == x->total;
}

#ifdef __cplusplus
}
#endif

#endif /* _LINUX_NVMET_OFFLOAD_PDU_H */
