// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the NVMe/TCP PDU codec (kmod/pdu.c).
 *
 * The input is what a host sends on one connection: a stream of PDUs, read
 * the way the transport's receive path reads them (kmod/queue.c). Common
 * header, nvo_pdu_check_h2c(), the rest of the header and its digest, then
 * ICReq acceptance, or a CapsuleCmd against a small simulated command table,
 * or H2CData against the command's R2T window, with the builders producing
 * what the controller would send back (ICResp, R2T, C2HData, CapsuleResp,
 * C2HTermReq). Every step asserts invariants of the codec; a fatal protocol
 * error ends the connection (and the input) the way the transport does.
 *
 * Each input runs under a few controller configurations (digests allowed or
 * not, MAXH2CDATA small or large), one of which repairs header and data
 * digests before checking them so that the fuzzer can get past them.
 *
 * Invariants are checked with FUZZ_CHECK(), which aborts whatever NDEBUG
 * says, so the corpus replay (replay_main.c) is a regression test in any
 * build type. NVO_FUZZ_TRACE=1 in the environment prints what each input
 * does, PDU by PDU.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/nvmet_offload_pdu.h>

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__FILE__, __LINE__, #cond);                  \
	} while (0)

static void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: codec invariant violated: %s\n", file, line,
		what);
	abort();
}

static int fuzz_trace = -1;

__attribute__((format(printf, 1, 2))) static void trace(const char *fmt, ...)
{
	va_list ap;

	if (fuzz_trace < 0) {
		const char *e = getenv("NVO_FUZZ_TRACE");

		fuzz_trace = e && *e && *e != '0';
	}
	if (!fuzz_trace)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

#define SIM_NR_CMDS 4
/* Commands asking for more data than this complete with an error. */
#define SIM_MAX_XFER (1U << 20)
/* Reads return at most this much data (C2HData built, not sent). */
#define SIM_MAX_READ 2048U

/* Offsets in the 64-byte SQE. */
#define SQE_OPCODE  0
#define SQE_CID	    2
#define SQE_SGL_LEN (24 + 8)

/* Offsets of fields that FEI may name. */
#define FEI_TYPE  0U
#define FEI_FLAGS 1U
#define FEI_HLEN  2U
#define FEI_PDO	  3U
#define FEI_PLEN  4U

struct fuzz_config {
	struct nvo_ic_limits lim;
	bool fix_digests; /* rewrite digests before checking them */
};

static const struct fuzz_config fuzz_configs[] = {
	{.lim = {.allow_hdgst = true, .allow_ddgst = true, .maxh2cdata = 4096}},
	{.lim = {.allow_hdgst = true, .allow_ddgst = true, .maxh2cdata = 64},
	 .fix_digests = true},
	{.lim = {.allow_hdgst = false, .allow_ddgst = false, .maxh2cdata = 16}},
};

struct sim_cmd {
	bool busy;
	bool await_data; /* a write waiting for H2CData */
	__u16 cccid;
	struct nvo_xfer xfer;
};

struct sim_conn {
	const struct fuzz_config *cfg;
	const __u8 *in;
	size_t left;
	bool ic_done;
	struct nvo_conn_params params;
	struct sim_cmd cmds[SIM_NR_CMDS];
	union {
		__u8 buf[NVO_RX_HDR_MAX];
		struct nvo_pdu_common common;
		struct nvo_pdu_icreq icreq;
		struct nvo_pdu_cmd cmd;
		struct nvo_pdu_data data;
		struct nvo_pdu_term term;
	} rx;
	__u32 rx_len;	 /* header bytes received so far */
	const __u8 *pdu; /* where the current PDU starts in the input */
	__u32 pdu_len;	 /* and how much of it the input holds */
	_Alignas(8) __u8 tx[NVO_TX_HDR_MAX + 16];
};

/* ---- reference helpers, independent of the codec ------------------------ */

static __u32 ref_crc_table[256];

static void ref_crc_init(void)
{
	__u32 i, c;
	int k;

	if (ref_crc_table[1])
		return;
	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78U : c >> 1;
		ref_crc_table[i] = c;
	}
}

static __u32 ref_crc_update(__u32 crc, const __u8 *b, size_t len)
{
	while (len--)
		crc = ref_crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return crc;
}

static __u8 ref_fixed_hlen(__u8 type)
{
	switch (type) {
	case NVO_PDU_ICREQ:
		return NVO_IC_PDU_LEN;
	case NVO_PDU_CMD:
		return NVO_CMD_HLEN;
	case NVO_PDU_H2C_DATA:
	case NVO_PDU_H2C_TERM:
		return 24;
	default:
		return 0;
	}
}

/*
 * Whether TP 8000 (as the codec documents it) lets a host send this common
 * header now. Written apart from nvo_pdu_check_h2c() to cross-check it.
 */
static bool ref_h2c_ok(const struct nvo_pdu_common *h,
		       const struct nvo_conn_params *p, bool ic_done)
{
	__u64 plen = le32_to_cpu(h->plen);
	bool hd = h->flags & NVO_F_HDGST, dd = h->flags & NVO_F_DDGST;
	__u64 hl;

	switch (h->type) {
	case NVO_PDU_ICREQ:
		return !ic_done && h->hlen == 128 && plen == 128 && !h->pdo;
	case NVO_PDU_H2C_TERM:
		return ic_done && h->hlen == 24 && !h->pdo && plen >= 24 &&
		       plen <= 152;
	case NVO_PDU_CMD:
		if (h->flags & (NVO_F_DATA_LAST | NVO_F_DATA_SUCCESS))
			return false;
		break;
	case NVO_PDU_H2C_DATA:
		if (h->flags & NVO_F_DATA_SUCCESS)
			return false;
		break;
	default:
		return false;
	}
	if (!ic_done || h->hlen != ref_fixed_hlen(h->type) || hd != p->hdgst)
		return false;
	if (dd && !p->ddgst)
		return false;
	hl = h->hlen + (hd ? 4 : 0);
	if (plen < hl)
		return false;
	if (plen == hl) /* no data: only a command may do that */
		return !h->pdo && !dd && h->type == NVO_PDU_CMD;
	/* data: from PDO to the data digest, at least one byte */
	return h->pdo >= hl && dd == p->ddgst &&
	       plen >= (__u64)h->pdo + (dd ? 4 : 0) + 1;
}

/* ---- the receive stream ------------------------------------------------- */

static bool sim_take(struct sim_conn *c, void *dst, size_t n)
{
	if (c->left < n)
		return false;
	if (dst)
		memcpy(dst, c->in, n);
	c->in += n;
	c->left -= n;
	return true;
}

/*
 * Consume @len payload bytes and their data digest (if @ddgst), the way a
 * receiver digests data as it arrives: in two pieces. False when the stream
 * ends first or the digest is wrong.
 */
static bool sim_take_data(struct sim_conn *c, __u32 len, bool ddgst)
{
	const __u8 *data = c->in;
	__u32 cut, crc, ref;
	__u8 dgst[NVO_DIGEST_LEN];

	if (c->left < (__u64)len + (ddgst ? NVO_DIGEST_LEN : 0))
		return false;
	sim_take(c, NULL, len);
	if (!ddgst)
		return true;
	sim_take(c, dgst, sizeof(dgst));

	cut = len ? data[0] % len : 0;
	crc = nvo_crc32c_update(nvo_digest_init(), data, cut);
	crc = nvo_crc32c_update(crc, data + cut, len - cut);
	crc = nvo_digest_final(crc);
	ref = ~ref_crc_update(~0U, data, len);
	FUZZ_CHECK(crc == ref);
	if (c->cfg->fix_digests)
		put_unaligned_le32(crc, dgst);
	if (get_unaligned_le32(dgst) == crc)
		return true;
	/* the transport fails the connection */
	trace("   data digest %#x, want %#x\n", get_unaligned_le32(dgst), crc);
	return false;
}

/* ---- what the controller sends ------------------------------------------ */

static void check_tx_common(const struct sim_conn *c, __u32 n, __u8 type,
			    __u8 hlen)
{
	const struct nvo_pdu_common *h = (const void *)c->tx;
	const struct nvo_conn_params *p = &c->params;

	FUZZ_CHECK(n <= NVO_TX_HDR_MAX);
	FUZZ_CHECK(h->type == type);
	FUZZ_CHECK(h->hlen == hlen);
	FUZZ_CHECK(!!(h->flags & NVO_F_HDGST) == p->hdgst);
	FUZZ_CHECK(nvo_pdu_hdr_len(h, p) == hlen + (p->hdgst ? 4U : 0U));
	if (p->hdgst) {
		FUZZ_CHECK(nvo_pdu_hdgst_ok(c->tx, hlen));
		FUZZ_CHECK(get_unaligned_le32(c->tx + hlen) ==
			   ~ref_crc_update(~0U, c->tx, hlen));
	}
}

static void sim_send_rsp(struct sim_conn *c, struct sim_cmd *cmd, __u16 status)
{
	__u8 cqe[16] = {0};
	__u32 n;

	memcpy(cqe + 12, &cmd->cccid, 2);
	put_unaligned_le16((__u16)(status << 1), cqe + 14);
	trace("  -> CapsuleResp cid %#x status %#x\n", cmd->cccid, status);
	n = nvo_pdu_build_rsp(c->tx, cqe, &c->params);
	check_tx_common(c, n, NVO_PDU_RSP, NVO_RSP_HLEN);
	FUZZ_CHECK(n == le32_to_cpu(((struct nvo_pdu_common *)c->tx)->plen));
	FUZZ_CHECK(!memcmp(c->tx + 8, cqe, sizeof(cqe)));
	FUZZ_CHECK(!(c->tx[1] & NVO_F_DDGST));
	cmd->busy = false;
	cmd->await_data = false;
}

static void sim_send_r2t(struct sim_conn *c, struct sim_cmd *cmd)
{
	const struct nvo_pdu_data *r2t = (const void *)c->tx;
	struct nvo_xfer *x = &cmd->xfer;
	__u32 off = 0, len = 0, n, max = c->params.maxh2cdata;
	bool was_open = x->r2t_len != 0;

	if (!nvo_xfer_next_r2t(x, max, &off, &len)) {
		FUZZ_CHECK(was_open || x->done == x->total || !max);
		return;
	}
	FUZZ_CHECK(!was_open);
	FUZZ_CHECK(off == x->done && x->r2t_off == off && x->r2t_len == len);
	FUZZ_CHECK(len && len <= max && len <= x->total - x->done);

	trace("  -> R2T cid %#x off %u len %u\n", cmd->cccid, off, len);
	n = nvo_pdu_build_r2t(c->tx, cmd->cccid, (__u16)(cmd - c->cmds), off,
			      len, &c->params);
	check_tx_common(c, n, NVO_PDU_R2T, NVO_DATA_HLEN);
	FUZZ_CHECK(n == le32_to_cpu(r2t->hdr.plen));
	FUZZ_CHECK(!r2t->hdr.pdo && !(r2t->hdr.flags & NVO_F_DDGST));
	FUZZ_CHECK(r2t->cccid == cmd->cccid);
	FUZZ_CHECK(le16_to_cpu(r2t->ttag) == (__u16)(cmd - c->cmds));
	FUZZ_CHECK(le32_to_cpu(r2t->offset) == off);
	FUZZ_CHECK(le32_to_cpu(r2t->length) == len);
}

/* A read: the data goes back in C2HData PDUs of at most MAXH2CDATA. */
static void sim_send_read_data(struct sim_conn *c, struct sim_cmd *cmd,
			       __u32 total)
{
	const struct nvo_pdu_data *d = (const void *)c->tx;
	const struct nvo_conn_params *p = &c->params;
	__u32 align = ((__u32)p->hpda + 1) * 4;
	__u32 hl = NVO_DATA_HLEN + (p->hdgst ? NVO_DIGEST_LEN : 0);
	__u32 chunk = p->maxh2cdata ? p->maxh2cdata : total;
	__u32 off, len, n, i;
	bool last;

	for (off = 0; off < total; off += len) {
		len = total - off < chunk ? total - off : chunk;
		last = off + len == total;
		trace("  -> C2HData cid %#x off %u len %u%s\n", cmd->cccid, off,
		      len, last ? " last" : "");
		memset(c->tx, 0xa5, sizeof(c->tx));
		n = nvo_pdu_build_c2h_data(c->tx, cmd->cccid, off, len, last,
					   true, p);
		check_tx_common(c, n, NVO_PDU_C2H_DATA, NVO_DATA_HLEN);
		/* PDO: the first multiple of (HPDA + 1) dwords after the header */
		FUZZ_CHECK(n == d->hdr.pdo);
		FUZZ_CHECK(n % align == 0 && n >= hl && n < hl + align);
		for (i = hl; i < n; i++)
			FUZZ_CHECK(c->tx[i] == 0);
		FUZZ_CHECK(c->tx[n] == 0xa5);
		FUZZ_CHECK(le32_to_cpu(d->hdr.plen) ==
			   n + len + (p->ddgst ? NVO_DIGEST_LEN : 0));
		FUZZ_CHECK(!!(d->hdr.flags & NVO_F_DDGST) == p->ddgst);
		FUZZ_CHECK(!!(d->hdr.flags & NVO_F_DATA_LAST) == last);
		FUZZ_CHECK(!!(d->hdr.flags & NVO_F_DATA_SUCCESS) == last);
		FUZZ_CHECK(d->cccid == cmd->cccid && !d->ttag);
		FUZZ_CHECK(le32_to_cpu(d->offset) == off);
		FUZZ_CHECK(le32_to_cpu(d->length) == len);
		/* the host's view of it */
		FUZZ_CHECK(nvo_pdu_pad_len(&d->hdr, p) == n - hl);
		FUZZ_CHECK(nvo_pdu_data_len(&d->hdr, p) == len);
	}
}

/* A fatal error: the C2HTermReq echoes the header received so far. */
static void sim_fatal(struct sim_conn *c, enum nvo_fes fes, __u32 fei)
{
	union {
		struct nvo_pdu_term t;
		__u8 b[NVO_TERM_MAX_LEN + 8];
	} out;
	__u32 echo =
		c->rx_len < NVO_TERM_MAX_ECHO ? c->rx_len : NVO_TERM_MAX_ECHO;
	__u32 n, i;

	trace("  -> C2HTermReq fes %#x fei %u echo %u\n", fes, fei, echo);
	FUZZ_CHECK(fes >= NVO_FES_INVALID_HDR_FIELD &&
		   fes <= NVO_FES_UNSUPPORTED_PARAM);
	memset(&out, 0x5a, sizeof(out));
	n = nvo_pdu_build_c2h_term(&out, fes, fei, c->rx.buf, c->rx_len);
	FUZZ_CHECK(n == NVO_TERM_HLEN + echo && n <= NVO_TERM_MAX_LEN);
	FUZZ_CHECK(out.t.hdr.type == NVO_PDU_C2H_TERM && !out.t.hdr.flags);
	FUZZ_CHECK(out.t.hdr.hlen == NVO_TERM_HLEN && !out.t.hdr.pdo);
	FUZZ_CHECK(le32_to_cpu(out.t.hdr.plen) == n);
	FUZZ_CHECK(le16_to_cpu(out.t.fes) == fes);
	FUZZ_CHECK(get_unaligned_le32(out.t.fei) == fei);
	for (i = 14; i < NVO_TERM_HLEN; i++)
		FUZZ_CHECK(out.b[i] == 0);
	FUZZ_CHECK(!memcmp(out.b + NVO_TERM_HLEN, c->rx.buf, echo));
	FUZZ_CHECK(out.b[n] == 0x5a);

	/* Echo all that came of this PDU: the builder caps it at 128 bytes. */
	echo = c->pdu_len < NVO_TERM_MAX_ECHO ? c->pdu_len : NVO_TERM_MAX_ECHO;
	memset(&out, 0x5a, sizeof(out));
	n = nvo_pdu_build_c2h_term(&out, fes, fei, c->pdu, c->pdu_len);
	FUZZ_CHECK(n == NVO_TERM_HLEN + echo);
	FUZZ_CHECK(le32_to_cpu(out.t.hdr.plen) == n);
	FUZZ_CHECK(!memcmp(out.b + NVO_TERM_HLEN, c->pdu, echo));
	FUZZ_CHECK(out.b[n] == 0x5a);
}

/* ---- receive ------------------------------------------------------------ */

/* Returns false when the connection is over. */
static bool sim_rx_icreq(struct sim_conn *c)
{
	const struct nvo_pdu_icreq *req = &c->rx.icreq;
	const struct nvo_ic_limits *lim = &c->cfg->lim;
	struct nvo_pdu_icresp resp;
	struct nvo_conn_params params;
	enum nvo_fes fes;
	__u32 fei = ~0U;
	size_t i;

	memset(&resp, 0xa5, sizeof(resp));
	memset(&params, 0, sizeof(params));
	fes = nvo_icreq_accept(req, lim, &params, &resp, &fei);
	if (fes) {
		FUZZ_CHECK(fes == NVO_FES_INVALID_HDR_FIELD);
		FUZZ_CHECK((fei == 8 && req->pfv) ||
			   (fei == 10 && req->hpda > NVO_HPDA_MAX) ||
			   (fei == 11 && (req->digest & ~3)));
		sim_fatal(c, fes, fei);
		return false;
	}
	FUZZ_CHECK(!req->pfv && req->hpda <= NVO_HPDA_MAX &&
		   !(req->digest & ~3));
	FUZZ_CHECK(params.hdgst ==
		   ((req->digest & NVO_F_HDGST) && lim->allow_hdgst));
	FUZZ_CHECK(params.ddgst ==
		   ((req->digest & NVO_F_DDGST) && lim->allow_ddgst));
	FUZZ_CHECK(params.hpda == req->hpda);
	FUZZ_CHECK(params.maxr2t == le32_to_cpu(req->maxr2t));
	FUZZ_CHECK(params.maxh2cdata == lim->maxh2cdata);

	FUZZ_CHECK(resp.hdr.type == NVO_PDU_ICRESP && !resp.hdr.flags);
	FUZZ_CHECK(resp.hdr.hlen == 128 && !resp.hdr.pdo);
	FUZZ_CHECK(le32_to_cpu(resp.hdr.plen) == 128);
	FUZZ_CHECK(!resp.pfv && !resp.cpda);
	FUZZ_CHECK(resp.digest == ((params.hdgst ? NVO_F_HDGST : 0) |
				   (params.ddgst ? NVO_F_DDGST : 0)));
	FUZZ_CHECK(le32_to_cpu(resp.maxdata) == lim->maxh2cdata);
	for (i = 0; i < sizeof(resp.rsvd); i++)
		FUZZ_CHECK(!resp.rsvd[i]);

	trace("  -> ICResp hdgst %d ddgst %d hpda %u maxh2cdata %u\n",
	      params.hdgst, params.ddgst, params.hpda, params.maxh2cdata);
	c->params = params;
	c->ic_done = true;
	return true;
}

static bool sim_rx_cmd(struct sim_conn *c)
{
	const struct nvo_pdu_common *h = &c->rx.common;
	const __u8 *sqe = c->rx.cmd.sqe;
	__u32 data_len = nvo_pdu_data_len(h, &c->params);
	__u32 pad = nvo_pdu_pad_len(h, &c->params);
	__u32 len = get_unaligned_le32(sqe + SQE_SGL_LEN);
	bool write = sqe[SQE_OPCODE] & 1;
	struct sim_cmd *cmd = NULL;
	size_t i;

	for (i = 0; i < SIM_NR_CMDS; i++) {
		if (!c->cmds[i].busy) {
			cmd = &c->cmds[i];
			break;
		}
	}
	if (!cmd) {
		/* the host exceeded the queue depth */
		sim_fatal(c, NVO_FES_PDU_SEQUENCE, 0);
		return false;
	}
	memset(cmd, 0, sizeof(*cmd));
	cmd->busy = true;
	memcpy(&cmd->cccid, sqe + SQE_CID, 2);

	trace("   CapsuleCmd opc %#x cid %#x sgl len %u, %u bytes in capsule\n",
	      sqe[SQE_OPCODE], cmd->cccid, len, data_len);
	if (!sim_take(c, NULL, pad) ||
	    !sim_take_data(c, data_len, data_len && c->params.ddgst))
		return false;

	if (data_len) {
		/* in-capsule data: all of the command's data at once */
		if (!write || len != data_len) {
			sim_send_rsp(c, cmd, 0x0d); /* SGL data invalid */
			return true;
		}
		nvo_xfer_init(&cmd->xfer, len);
		FUZZ_CHECK(!nvo_xfer_advance(&cmd->xfer, data_len));
		FUZZ_CHECK(nvo_xfer_complete(&cmd->xfer));
		sim_send_rsp(c, cmd, 0);
		return true;
	}
	if (!len || len > SIM_MAX_XFER) {
		sim_send_rsp(c, cmd, len ? 0x02 : 0);
		return true;
	}
	if (write) {
		nvo_xfer_init(&cmd->xfer, len);
		FUZZ_CHECK(!nvo_xfer_complete(&cmd->xfer));
		cmd->await_data = true;
		sim_send_r2t(c, cmd);
		return true;
	}
	sim_send_read_data(c, cmd, len < SIM_MAX_READ ? len : SIM_MAX_READ);
	sim_send_rsp(c, cmd, 0);
	return true;
}

static bool sim_rx_h2c_data(struct sim_conn *c)
{
	const struct nvo_pdu_data *d = &c->rx.data;
	__u32 data_len = nvo_pdu_data_len(&d->hdr, &c->params);
	__u32 pad = nvo_pdu_pad_len(&d->hdr, &c->params);
	__u16 ttag = le16_to_cpu(d->ttag);
	__u32 off = le32_to_cpu(d->offset), len = le32_to_cpu(d->length);
	bool last = d->hdr.flags & NVO_F_DATA_LAST;
	struct sim_cmd *cmd;
	struct nvo_xfer before;
	enum nvo_fes fes;
	__u64 win_end;
	__u32 fei = ~0U;
	bool window_done, ref_ok;

	trace("   H2CData ttag %u off %u len %u (%u in PDU)%s\n", ttag, off,
	      len, data_len, last ? " last" : "");
	FUZZ_CHECK(data_len > 0);
	if (ttag >= SIM_NR_CMDS) {
		sim_fatal(c, NVO_FES_INVALID_HDR_FIELD,
			  offsetof(struct nvo_pdu_data, ttag));
		return false;
	}
	cmd = &c->cmds[ttag];
	if (!cmd->await_data || d->cccid != cmd->cccid) {
		sim_fatal(c, NVO_FES_INVALID_HDR_FIELD,
			  offsetof(struct nvo_pdu_data, cccid));
		return false;
	}
	if (data_len > c->params.maxh2cdata) {
		sim_fatal(c, NVO_FES_DATA_LIMIT_EXCEEDED,
			  offsetof(struct nvo_pdu_data, length));
		return false;
	}

	before = cmd->xfer;
	win_end = (__u64)before.r2t_off + before.r2t_len;
	FUZZ_CHECK(before.done <= before.total && win_end <= before.total);
	ref_ok = len == data_len && len && before.r2t_len &&
		 off == before.done && off >= before.r2t_off &&
		 (__u64)off + len <= win_end &&
		 (!last || (__u64)off + len == win_end);
	fes = nvo_xfer_check_h2c(&cmd->xfer, d, data_len, &fei);
	FUZZ_CHECK(!memcmp(&before, &cmd->xfer, sizeof(before)));
	FUZZ_CHECK((fes == NVO_FES_NONE) == ref_ok);
	if (fes) {
		FUZZ_CHECK(fes == NVO_FES_INVALID_HDR_FIELD ||
			   fes == NVO_FES_DATA_OUT_OF_RANGE);
		FUZZ_CHECK(fei == FEI_FLAGS ||
			   fei == offsetof(struct nvo_pdu_data, offset) ||
			   fei == offsetof(struct nvo_pdu_data, length));
		sim_fatal(c, fes, fei);
		return false;
	}

	if (!sim_take(c, NULL, pad) ||
	    !sim_take_data(c, data_len, c->params.ddgst))
		return false;

	window_done = nvo_xfer_advance(&cmd->xfer, data_len);
	FUZZ_CHECK(cmd->xfer.done == before.done + data_len);
	FUZZ_CHECK(cmd->xfer.done <= cmd->xfer.total);
	FUZZ_CHECK(window_done == (cmd->xfer.done == win_end));
	FUZZ_CHECK(window_done == !cmd->xfer.r2t_len);
	if (nvo_xfer_complete(&cmd->xfer)) {
		FUZZ_CHECK(window_done);
		sim_send_rsp(c, cmd, 0);
	} else if (window_done) {
		sim_send_r2t(c, cmd);
		FUZZ_CHECK(cmd->xfer.r2t_len);
	}
	return true;
}

/* Invariants of a verdict of nvo_pdu_check_h2c(). */
static void check_h2c_verdict(const struct sim_conn *c, enum nvo_fes fes,
			      __u32 fei)
{
	const struct nvo_pdu_common *h = &c->rx.common;
	const struct nvo_conn_params *p = &c->params;
	__u64 plen = le32_to_cpu(h->plen), hl, pad, data, ddgst;

	FUZZ_CHECK((fes == NVO_FES_NONE) == ref_h2c_ok(h, p, c->ic_done));
	if (fes) {
		FUZZ_CHECK(fes == NVO_FES_INVALID_HDR_FIELD ||
			   fes == NVO_FES_PDU_SEQUENCE);
		FUZZ_CHECK(fei <= FEI_PLEN);
		if (fes == NVO_FES_PDU_SEQUENCE)
			FUZZ_CHECK(fei == FEI_TYPE &&
				   (h->type == NVO_PDU_ICREQ) == c->ic_done);
		if (fei == FEI_HLEN)
			FUZZ_CHECK(h->hlen != ref_fixed_hlen(h->type));
		if (fei == FEI_TYPE && fes == NVO_FES_INVALID_HDR_FIELD)
			FUZZ_CHECK(!ref_fixed_hlen(h->type));
		return;
	}

	hl = nvo_pdu_hdr_len(h, p);
	pad = nvo_pdu_pad_len(h, p);
	data = nvo_pdu_data_len(h, p);
	FUZZ_CHECK(h->hlen <= NVO_RX_HDR_MAX && hl <= NVO_RX_HDR_MAX);
	FUZZ_CHECK(hl >= sizeof(*h) && hl <= plen);
	FUZZ_CHECK(hl == h->hlen || (hl == h->hlen + 4ULL && p->hdgst));

	switch (h->type) {
	case NVO_PDU_CMD:
	case NVO_PDU_H2C_DATA:
		/* What the receiver reads adds up to PLEN, exactly. */
		ddgst = data && p->ddgst ? NVO_DIGEST_LEN : 0;
		FUZZ_CHECK(hl + pad + data + ddgst == plen);
		FUZZ_CHECK(!data == !h->pdo);
		FUZZ_CHECK(!data || h->pdo == hl + pad);
		FUZZ_CHECK(h->type == NVO_PDU_CMD || data);
		break;
	case NVO_PDU_H2C_TERM:
		FUZZ_CHECK(hl == NVO_TERM_HLEN);
		FUZZ_CHECK(plen >= NVO_TERM_HLEN && plen <= NVO_TERM_MAX_LEN);
		FUZZ_CHECK(hl + pad + data <= plen);
		break;
	case NVO_PDU_ICREQ:
		FUZZ_CHECK(hl == NVO_IC_PDU_LEN && !pad && !data);
		break;
	default:
		FUZZ_CHECK(!"accepted a PDU type a host may not send");
	}
}

/* Returns false when the connection is over. */
static bool sim_rx_pdu(struct sim_conn *c)
{
	struct nvo_pdu_common *h = &c->rx.common;
	enum nvo_fes fes;
	__u32 fei = ~0U, hl;
	bool ok;

	c->rx_len = 0;
	c->pdu = c->in;
	c->pdu_len = c->left < ~0U ? (__u32)c->left : ~0U;
	if (!sim_take(c, c->rx.buf, sizeof(*h)))
		return false;
	c->rx_len = sizeof(*h);

	fes = nvo_pdu_check_h2c(h, &c->params, c->ic_done, &fei);
	trace("<- type %#x flags %#x hlen %u pdo %u plen %u: fes %#x\n",
	      h->type, h->flags, h->hlen, h->pdo, le32_to_cpu(h->plen), fes);
	check_h2c_verdict(c, fes, fei);
	if (fes) {
		sim_fatal(c, fes, fei);
		return false;
	}

	hl = nvo_pdu_hdr_len(h, &c->params);
	if (!sim_take(c, c->rx.buf + sizeof(*h), hl - sizeof(*h)))
		return false;
	c->rx_len = hl;

	if (hl > h->hlen) {
		if (c->cfg->fix_digests)
			nvo_pdu_set_hdgst(c->rx.buf, h->hlen);
		ok = nvo_pdu_hdgst_ok(c->rx.buf, h->hlen);
		FUZZ_CHECK(ok == (get_unaligned_le32(c->rx.buf + h->hlen) ==
				  ~ref_crc_update(~0U, c->rx.buf, h->hlen)));
		FUZZ_CHECK(ok || !c->cfg->fix_digests);
		if (!ok) {
			sim_fatal(c, NVO_FES_HDR_DIGEST, 0);
			return false;
		}
	}

	switch (h->type) {
	case NVO_PDU_ICREQ:
		return sim_rx_icreq(c);
	case NVO_PDU_CMD:
		return sim_rx_cmd(c);
	case NVO_PDU_H2C_DATA:
		return sim_rx_h2c_data(c);
	case NVO_PDU_H2C_TERM:
		/* the host is closing the connection */
		return false;
	default:
		FUZZ_CHECK(!"dispatch of an unchecked PDU type");
		return false;
	}
}

static void sim_run(const struct fuzz_config *cfg, const __u8 *data,
		    size_t size)
{
	static struct sim_conn c;
	size_t i;

	trace("config: hdgst %d ddgst %d maxh2cdata %u%s\n",
	      cfg->lim.allow_hdgst, cfg->lim.allow_ddgst, cfg->lim.maxh2cdata,
	      cfg->fix_digests ? " (digests repaired)" : "");
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.in = data;
	c.left = size;
	while (sim_rx_pdu(&c))
		;
	for (i = 0; i < SIM_NR_CMDS; i++) {
		const struct nvo_xfer *x = &c.cmds[i].xfer;

		FUZZ_CHECK(x->done <= x->total);
		FUZZ_CHECK((__u64)x->r2t_off + x->r2t_len <= x->total);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;

	ref_crc_init();
	for (i = 0; i < sizeof(fuzz_configs) / sizeof(fuzz_configs[0]); i++)
		sim_run(&fuzz_configs[i], data, size);
	return 0;
}
