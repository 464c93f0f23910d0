// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe/TCP PDU codec: validation and construction of PDU headers, digests
 * and per-command data-transfer windows. Free of sockets and nvmet so that
 * offload devices and userspace tests share it.
 */
#ifdef __KERNEL__
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/crc32c.h>
#include <linux/string.h>

#include "compat.h"
#endif

#include <linux/nvmet_offload_pdu.h>

/* Header length each PDU type must carry (without digest); 0: unknown. */
static __u8 nvo_pdu_fixed_hlen(__u8 type)
{
	switch (type) {
	case NVO_PDU_ICREQ:
	case NVO_PDU_ICRESP:
		return NVO_IC_PDU_LEN;
	case NVO_PDU_H2C_TERM:
	case NVO_PDU_C2H_TERM:
		return NVO_TERM_HLEN;
	case NVO_PDU_CMD:
		return NVO_CMD_HLEN;
	case NVO_PDU_RSP:
		return NVO_RSP_HLEN;
	case NVO_PDU_H2C_DATA:
	case NVO_PDU_C2H_DATA:
	case NVO_PDU_R2T:
		return NVO_DATA_HLEN;
	default:
		return 0;
	}
}

/* Types that carry a header digest once one was negotiated. */
static bool nvo_pdu_has_hdgst(__u8 type)
{
	return type != NVO_PDU_ICREQ && type != NVO_PDU_ICRESP &&
	       type != NVO_PDU_H2C_TERM && type != NVO_PDU_C2H_TERM;
}

__u32 nvo_pdu_hdr_len(const struct nvo_pdu_common *hdr,
		      const struct nvo_conn_params *p)
{
	__u32 len = hdr->hlen;

	if (p->hdgst && nvo_pdu_has_hdgst(hdr->type))
		len += NVO_DIGEST_LEN;
	return len;
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_hdr_len, NVO_NS);

__u32 nvo_pdu_data_len(const struct nvo_pdu_common *hdr,
		       const struct nvo_conn_params *p)
{
	__u32 plen = le32_to_cpu(hdr->plen);
	__u32 end = plen;

	/* Only capsules and data PDUs carry data; PDO means nothing elsewhere. */
	if (!nvo_pdu_has_hdgst(hdr->type) || !hdr->pdo || hdr->pdo >= plen)
		return 0;
	if (hdr->flags & NVO_F_DDGST)
		end -= NVO_DIGEST_LEN;
	return end > hdr->pdo ? end - hdr->pdo : 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_data_len, NVO_NS);

__u32 nvo_pdu_pad_len(const struct nvo_pdu_common *hdr,
		      const struct nvo_conn_params *p)
{
	__u32 hl = nvo_pdu_hdr_len(hdr, p);

	if (!nvo_pdu_has_hdgst(hdr->type))
		return 0;
	return hdr->pdo > hl ? hdr->pdo - hl : 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_pad_len, NVO_NS);

#define NVO_FIELD(f) ((__u32)offsetof(struct nvo_pdu_common, f))

enum nvo_fes nvo_pdu_check_h2c(const struct nvo_pdu_common *hdr,
			       const struct nvo_conn_params *p, bool ic_done,
			       __u32 *fei)
{
	__u32 plen = le32_to_cpu(hdr->plen);
	__u8 want_hlen = nvo_pdu_fixed_hlen(hdr->type);
	bool hdgst, ddgst;
	__u32 hl;

	*fei = NVO_FIELD(type);
	switch (hdr->type) {
	case NVO_PDU_ICREQ:
		if (ic_done)
			return NVO_FES_PDU_SEQUENCE;
		break;
	case NVO_PDU_CMD:
	case NVO_PDU_H2C_DATA:
	case NVO_PDU_H2C_TERM:
		if (!ic_done)
			return NVO_FES_PDU_SEQUENCE;
		break;
	default:
		/* controller-to-host types and unknown ones */
		return NVO_FES_INVALID_HDR_FIELD;
	}

	*fei = NVO_FIELD(hlen);
	if (hdr->hlen != want_hlen)
		return NVO_FES_INVALID_HDR_FIELD;

	if (hdr->type == NVO_PDU_ICREQ) {
		*fei = NVO_FIELD(plen);
		if (plen != NVO_IC_PDU_LEN)
			return NVO_FES_INVALID_HDR_FIELD;
		*fei = NVO_FIELD(pdo);
		return hdr->pdo ? NVO_FES_INVALID_HDR_FIELD : NVO_FES_NONE;
	}

	if (hdr->type == NVO_PDU_H2C_TERM) {
		/* The echoed header may follow; nothing else may. */
		*fei = NVO_FIELD(pdo);
		if (hdr->pdo)
			return NVO_FES_INVALID_HDR_FIELD;
		*fei = NVO_FIELD(plen);
		if (plen < NVO_TERM_HLEN || plen > NVO_TERM_MAX_LEN)
			return NVO_FES_INVALID_HDR_FIELD;
		return NVO_FES_NONE;
	}

	hdgst = hdr->flags & NVO_F_HDGST;
	ddgst = hdr->flags & NVO_F_DDGST;
	*fei = NVO_FIELD(flags);
	if (hdgst != p->hdgst)
		return NVO_FES_INVALID_HDR_FIELD;
	if (ddgst && !p->ddgst)
		return NVO_FES_INVALID_HDR_FIELD;
	if (hdr->type == NVO_PDU_CMD &&
	    (hdr->flags & (NVO_F_DATA_LAST | NVO_F_DATA_SUCCESS)))
		return NVO_FES_INVALID_HDR_FIELD;
	if (hdr->type == NVO_PDU_H2C_DATA && (hdr->flags & NVO_F_DATA_SUCCESS))
		return NVO_FES_INVALID_HDR_FIELD;

	hl = nvo_pdu_hdr_len(hdr, p);
	*fei = NVO_FIELD(plen);
	if (plen < hl)
		return NVO_FES_INVALID_HDR_FIELD;

	*fei = NVO_FIELD(pdo);
	if (plen == hl) {
		/* No data: PDO must be 0 and no data digest may be claimed. */
		if (hdr->pdo)
			return NVO_FES_INVALID_HDR_FIELD;
		if (ddgst) {
			*fei = NVO_FIELD(flags);
			return NVO_FES_INVALID_HDR_FIELD;
		}
		if (hdr->type == NVO_PDU_H2C_DATA) {
			*fei = NVO_FIELD(plen);
			return NVO_FES_INVALID_HDR_FIELD;
		}
		return NVO_FES_NONE;
	}

	/* Data follows: it starts at PDO, at or after the header. */
	if (hdr->pdo < hl)
		return NVO_FES_INVALID_HDR_FIELD;
	if (p->ddgst != ddgst) {
		*fei = NVO_FIELD(flags);
		return NVO_FES_INVALID_HDR_FIELD;
	}
	*fei = NVO_FIELD(plen);
	if (plen <= (__u32)hdr->pdo + (ddgst ? NVO_DIGEST_LEN : 0))
		return NVO_FES_INVALID_HDR_FIELD;
	return NVO_FES_NONE;
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_check_h2c, NVO_NS);

enum nvo_fes nvo_icreq_accept(const struct nvo_pdu_icreq *req,
			      const struct nvo_ic_limits *lim,
			      struct nvo_conn_params *params,
			      struct nvo_pdu_icresp *resp, __u32 *fei)
{
	if (le16_to_cpu(req->pfv) != 0) {
		*fei = offsetof(struct nvo_pdu_icreq, pfv);
		return NVO_FES_INVALID_HDR_FIELD;
	}
	if (req->hpda > NVO_HPDA_MAX) {
		*fei = offsetof(struct nvo_pdu_icreq, hpda);
		return NVO_FES_INVALID_HDR_FIELD;
	}
	if (req->digest & ~(NVO_F_HDGST | NVO_F_DDGST)) {
		*fei = offsetof(struct nvo_pdu_icreq, digest);
		return NVO_FES_INVALID_HDR_FIELD;
	}

	/* We grant each digest the host asks for, if allowed. */
	params->hdgst = (req->digest & NVO_F_HDGST) && lim->allow_hdgst;
	params->ddgst = (req->digest & NVO_F_DDGST) && lim->allow_ddgst;
	params->hpda = req->hpda;
	params->maxr2t = le32_to_cpu(req->maxr2t);
	params->maxh2cdata = lim->maxh2cdata;

	memset(resp, 0, sizeof(*resp));
	resp->hdr.type = NVO_PDU_ICRESP;
	resp->hdr.hlen = NVO_IC_PDU_LEN;
	resp->hdr.plen = cpu_to_le32(NVO_IC_PDU_LEN);
	resp->pfv = cpu_to_le16(0);
	resp->cpda = 0;		/* any placement of H2C data will do */
	resp->digest = (params->hdgst ? NVO_F_HDGST : 0) |
		       (params->ddgst ? NVO_F_DDGST : 0);
	resp->maxdata = cpu_to_le32(lim->maxh2cdata);
	return NVO_FES_NONE;
}
EXPORT_SYMBOL_NS_GPL(nvo_icreq_accept, NVO_NS);

#ifdef __KERNEL__
__u32 nvo_crc32c_update(__u32 crc, const void *buf, size_t len)
{
	return crc32c(crc, buf, len);
}
#else
__u32 nvo_crc32c_update(__u32 crc, const void *buf, size_t len)
{
	const __u8 *b = buf;
	int k;

	/* Bitwise on purpose: the host build only tests and fuzzes. */
	while (len--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78U & (0U - (crc & 1)));
	}
	return crc;
}
#endif
EXPORT_SYMBOL_NS_GPL(nvo_crc32c_update, NVO_NS);

static __u32 nvo_digest(const void *buf, size_t len)
{
	return nvo_digest_final(nvo_crc32c_update(nvo_digest_init(), buf, len));
}

void nvo_pdu_set_hdgst(void *hdr, __u8 hlen)
{
	put_unaligned_le32(nvo_digest(hdr, hlen), (__u8 *)hdr + hlen);
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_set_hdgst, NVO_NS);

bool nvo_pdu_hdgst_ok(const void *hdr, __u8 hlen)
{
	return get_unaligned_le32((const __u8 *)hdr + hlen) ==
	       nvo_digest(hdr, hlen);
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_hdgst_ok, NVO_NS);

static void nvo_pdu_init_common(struct nvo_pdu_common *c, __u8 type,
				__u8 hlen, __u8 flags,
				const struct nvo_conn_params *p)
{
	c->type = type;
	c->flags = flags | (p->hdgst ? NVO_F_HDGST : 0);
	c->hlen = hlen;
	c->pdo = 0;
	c->plen = cpu_to_le32(hlen + (p->hdgst ? NVO_DIGEST_LEN : 0));
}

static __u32 nvo_pdu_finish(void *buf, __u8 hlen,
			    const struct nvo_conn_params *p)
{
	if (!p->hdgst)
		return hlen;
	nvo_pdu_set_hdgst(buf, hlen);
	return hlen + NVO_DIGEST_LEN;
}

__u32 nvo_pdu_build_rsp(void *buf, const void *cqe,
			const struct nvo_conn_params *p)
{
	struct nvo_pdu_rsp *rsp = buf;

	nvo_pdu_init_common(&rsp->hdr, NVO_PDU_RSP, NVO_RSP_HLEN, 0, p);
	memcpy(rsp->cqe, cqe, sizeof(rsp->cqe));
	return nvo_pdu_finish(buf, NVO_RSP_HLEN, p);
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_build_rsp, NVO_NS);

__u32 nvo_pdu_build_r2t(void *buf, __u16 cccid, __u16 ttag, __u32 offset,
			__u32 length, const struct nvo_conn_params *p)
{
	struct nvo_pdu_data *r2t = buf;

	nvo_pdu_init_common(&r2t->hdr, NVO_PDU_R2T, NVO_DATA_HLEN, 0, p);
	r2t->cccid = cccid;
	r2t->ttag = cpu_to_le16(ttag);
	r2t->offset = cpu_to_le32(offset);
	r2t->length = cpu_to_le32(length);
	memset(r2t->rsvd, 0, sizeof(r2t->rsvd));
	return nvo_pdu_finish(buf, NVO_DATA_HLEN, p);
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_build_r2t, NVO_NS);

__u32 nvo_pdu_build_c2h_data(void *buf, __u16 cccid, __u32 offset,
			     __u32 length, bool last, bool success,
			     const struct nvo_conn_params *p)
{
	struct nvo_pdu_data *d = buf;
	__u32 align = ((__u32)p->hpda + 1) * 4;
	__u32 hl = NVO_DATA_HLEN + (p->hdgst ? NVO_DIGEST_LEN : 0);
	/* The host asked for its data aligned: pad after the header. */
	__u32 pdo = (hl + align - 1) / align * align;
	__u8 flags = 0;

	if (last)
		flags |= NVO_F_DATA_LAST;
	if (last && success)
		flags |= NVO_F_DATA_SUCCESS;
	if (p->ddgst)
		flags |= NVO_F_DDGST;
	nvo_pdu_init_common(&d->hdr, NVO_PDU_C2H_DATA, NVO_DATA_HLEN, flags, p);
	d->hdr.pdo = pdo;
	d->hdr.plen = cpu_to_le32(pdo + length +
				  (p->ddgst ? NVO_DIGEST_LEN : 0));
	d->cccid = cccid;
	d->ttag = 0;
	d->offset = cpu_to_le32(offset);
	d->length = cpu_to_le32(length);
	memset(d->rsvd, 0, sizeof(d->rsvd));
	nvo_pdu_finish(buf, NVO_DATA_HLEN, p);
	memset((__u8 *)buf + hl, 0, pdo - hl);
	return pdo;
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_build_c2h_data, NVO_NS);

__u32 nvo_pdu_build_c2h_term(void *buf, enum nvo_fes fes, __u32 fei,
			     const void *bad_hdr, __u32 bad_len)
{
	struct nvo_pdu_term *t = buf;

	if (bad_len > NVO_TERM_MAX_ECHO)
		bad_len = NVO_TERM_MAX_ECHO;
	memset(t, 0, sizeof(*t));
	t->hdr.type = NVO_PDU_C2H_TERM;
	t->hdr.hlen = NVO_TERM_HLEN;
	t->hdr.plen = cpu_to_le32(NVO_TERM_HLEN + bad_len);
	t->fes = cpu_to_le16(fes);
	put_unaligned_le32(fei, t->fei);
	if (bad_len)
		memcpy((__u8 *)buf + NVO_TERM_HLEN, bad_hdr, bad_len);
	return NVO_TERM_HLEN + bad_len;
}
EXPORT_SYMBOL_NS_GPL(nvo_pdu_build_c2h_term, NVO_NS);

void nvo_xfer_init(struct nvo_xfer *x, __u32 total)
{
	x->total = total;
	x->done = 0;
	x->r2t_off = 0;
	x->r2t_len = 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_xfer_init, NVO_NS);

bool nvo_xfer_next_r2t(struct nvo_xfer *x, __u32 max_len, __u32 *off,
		       __u32 *len)
{
	__u32 left = x->total - x->done;

	if (!left || x->r2t_len || !max_len)
		return false;
	x->r2t_off = x->done;
	x->r2t_len = left < max_len ? left : max_len;
	*off = x->r2t_off;
	*len = x->r2t_len;
	return true;
}
EXPORT_SYMBOL_NS_GPL(nvo_xfer_next_r2t, NVO_NS);

enum nvo_fes nvo_xfer_check_h2c(const struct nvo_xfer *x,
				const struct nvo_pdu_data *d,
				__u32 pdu_data_len, __u32 *fei)
{
	__u32 off = le32_to_cpu(d->offset);
	__u32 len = le32_to_cpu(d->length);
	__u32 win_end = x->r2t_off + x->r2t_len;
	bool last = d->hdr.flags & NVO_F_DATA_LAST;

	*fei = offsetof(struct nvo_pdu_data, length);
	if (len != pdu_data_len || !len)
		return NVO_FES_INVALID_HDR_FIELD;
	*fei = offsetof(struct nvo_pdu_data, offset);
	/* Data must land in order, inside the R2T window we opened. */
	if (!x->r2t_len || off != x->done || off < x->r2t_off ||
	    off >= win_end)
		return NVO_FES_DATA_OUT_OF_RANGE;
	*fei = offsetof(struct nvo_pdu_data, length);
	if (len > win_end - off)
		return NVO_FES_DATA_OUT_OF_RANGE;
	/* LAST_PDU may only mark the PDU that completes the window. */
	*fei = offsetof(struct nvo_pdu_common, flags);
	if (last && off + len != win_end)
		return NVO_FES_INVALID_HDR_FIELD;
	return NVO_FES_NONE;
}
EXPORT_SYMBOL_NS_GPL(nvo_xfer_check_h2c, NVO_NS);

bool nvo_xfer_advance(struct nvo_xfer *x, __u32 len)
{
	x->done += len;
	if (x->r2t_len && x->done >= x->r2t_off + x->r2t_len) {
		x->r2t_len = 0;
		return true;
	}
	return false;
}
EXPORT_SYMBOL_NS_GPL(nvo_xfer_advance, NVO_NS);
