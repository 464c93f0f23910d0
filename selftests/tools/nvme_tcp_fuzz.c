// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_tcp_fuzz - a structure-aware NVMe/TCP PDU fuzzer for a live target.
 *
 * Connects to the target (over loopback in the test VM) and plays mutated
 * PDU sequences, one scenario per connection: ICReq parameters, Connect
 * capsules, admin and I/O commands with odd SGL descriptors and in-capsule
 * data, H2CData against the target's live R2Ts, PDUs before Connect or on
 * queues whose Connect failed, raw headers with inconsistent HLEN/PDO/PLEN,
 * digests right and wrong, H2CTermReq, unknown PDU types; every byte stream
 * is cut at random points over many send() calls, and connections end by
 * FIN, RST, half-close or in the middle of a PDU. After every connection a
 * fresh well-formed one (ICReq, admin Connect, Property Get, CC.EN) must
 * succeed: if it does not, the target is unhealthy and we exit 1.
 *
 *   nvme_tcp_fuzz --addr A [--port P] [--nqn NQN] [--nsid N]
 *                 [--iterations N] [--seconds S] [--seed X] [--start I]
 *                 [--record FILE] [--timeout S] [--linger MS] [--offloaded] [-v]
 *   (--offloaded: wait for each I/O queue to be offloaded, count them)
 *   nvme_tcp_fuzz --addr A [--nqn NQN] --replay FILE...
 *   nvme_tcp_fuzz --write-corpus DIR
 *
 * Choices come from a splitmix64 generator reseeded per iteration from
 * (seed, iteration): --seed X --start I --iterations 1 replays iteration I
 * as far as the target answers the same way. --record writes what was sent
 * in the replay format below, so a crash found by fuzzing becomes a file.
 *
 * Replay format (selftests/fuzz/pdu-corpus/): one directive a line, '#'
 * starts a comment.
 *   conn                 open a new TCP connection (ends the previous one)
 *   send HEX...          one send() call with these bytes (spaces allowed)
 *   recv [TYPE] [MS]     read PDUs until one of TYPE (hex, or "any")
 *                        arrives, the peer closes, or MS (default 2000)
 *   sleep MS
 *   close | reset | shutdown
 *                        FIN; RST (SO_LINGER 0); SHUT_WR and keep reading
 *   expect closed|rejected|any
 *                        at the end of this connection the target must have
 *                        closed it (closed), or closed it, sent a
 *                        C2HTermReq or failed a command (rejected)
 * After every connection of a replay the health check runs, as in fuzzing.
 *
 * The NVMe/TCP framing and the commands come from tcp_wire.h, the run's
 * bounds and the generator from fuzz_run.h and splitmix.h.
 *
 * Exit: 0 done and the target stayed healthy, 1 the target became
 * unhealthy (or a replay expectation failed), 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fuzz_run.h"
#include "monotime.h"
#include "offload_state.h"
#include "splitmix.h"
#include "tcp_wire.h"
#include "vlog.h"

#define EXIT_OK		0
#define EXIT_UNHEALTHY	1
#define EXIT_SETUP	2

/* ---- options, statistics ------------------------------------------------ */

static struct {
	const char *addr;
	const char *port;
	const char *nqn;	/* NVM subsystem; NULL: discovery only */
	__u32 nsid;
	struct fuzz_run run;
	__u64 start;
	int timeout_ms;		/* for answers a well-behaved target owes us */
	int linger_ms;		/* how long to watch a fuzzed connection */
	const char *record;
	bool offloaded;		/* wait for each I/O queue to be offloaded */
} opt = {
	.port = "4420",
	.nsid = 1,
	.run = { .iterations = 1000, .seconds = 60 },
	.timeout_ms = 10000,
	.linger_ms = 100,
};

static struct tw_host host;
static FILE *rec;

enum pdu_kind {
	K_ICREQ, K_CONNECT, K_FABRICS, K_ADMIN, K_IO, K_H2C, K_TERM,
	K_C2H_TYPE, K_UNKNOWN_TYPE, K_TRUNCATED, K_GARBAGE, K_MAX
};

static const char *const kind_names[K_MAX] = {
	"icreq", "connect", "fabrics", "admin-cmd", "io-cmd", "h2cdata",
	"h2cterm", "c2h-type", "unknown-type", "truncated", "garbage",
};

enum scen {
	S_ICREQ, S_CONNECT, S_ADMIN, S_IO, S_H2C, S_PRECONNECT, S_RAW, S_MIX,
	S_MAX
};

static const char *const scen_names[S_MAX] = {
	"icreq", "connect", "admin-cmds", "io-cmds", "h2c-r2t", "pre-connect",
	"raw", "interleaved",
};

/* How a fuzzed connection ended. */
enum end {
	E_TARGET_EOF, E_TARGET_RST, E_TERMREQ, E_WE_CLOSED, E_WE_RESET,
	E_WE_HALF, E_MAX
};

static const char *const end_names[E_MAX] = {
	"target-eof", "target-reset", "target-termreq+close", "we-closed",
	"we-reset", "half-closed-still-open",
};

static struct {
	__u64 iters, conns, health, pdus, sends, bytes, mutated;
	__u64 kind[K_MAX], scen[S_MAX], end[E_MAX];
	__u64 r2ts, cqe_ok, cqe_err, c2hdata, termreqs, odd_rx;
	__u64 io_queues, io_offloaded;	/* --offloaded */
} st;

/* Boundary values first, then anything. */
static __u32 rnd_u32_edge(void)
{
	static const __u32 edge[] = {
		0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x3ff, 0x400,
		0xfff, 0x1000, 0x1001, 0x2000, 0x7fff, 0x8000, 0xffff, 0x10000,
		0x100000, 0x100001, 0x7fffffff, 0x80000000, 0xfffffffe,
		0xffffffff,
	};

	if (chance(60))
		return edge[rnd(sizeof(edge) / sizeof(edge[0]))];
	return (__u32)rnd64();
}

/* ---- connections --------------------------------------------------------- */

#define RX_CAP		(2u << 20)
#define MAX_R2T		32
#define MAX_PEND	(4u << 20)

struct r2t {
	__u16 cccid;	/* as on the wire */
	__u16 ttag;
	__u32 off, len;
	__u32 sent;	/* bytes we sent of this window so far */
};

struct conn {
	int fd;
	bool closed;
	enum end end;
	struct tw_link l;
	__u16 next_cid;
	__u16 cntlid;
	bool termreq;
	__u16 fes;
	int ncqe, ncqe_err;
	__u16 last_cid;
	__u16 last_status;
	__u64 last_result;
	bool got_last;
	struct r2t r2t[MAX_R2T];
	int nr2t;
	__u8 *pend;
	size_t npend;
};

static __u8 rxbuf[RX_CAP];

static void rec_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rec_line(const char *fmt, ...)
{
	va_list ap;

	if (!rec)
		return;
	va_start(ap, fmt);
	vfprintf(rec, fmt, ap);
	va_end(ap);
	fputc('\n', rec);
}

/* "send" and the bytes in hex, as the replay format has them. */
static void hexline(FILE *f, const void *buf, size_t n)
{
	const __u8 *b = buf;
	size_t i;

	fputs("send", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%02x", i % 32 ? "" : " ", b[i]);
	fputc('\n', f);
}

static void rec_send(const __u8 *b, size_t n)
{
	if (rec)
		hexline(rec, b, n);
}

static int conn_open(struct conn *c)
{
	__u8 *pend = c->pend;

	memset(c, 0, sizeof(*c));
	c->pend = pend ? pend : malloc(MAX_PEND);
	if (!c->pend)
		return -1;
	c->next_cid = 1;
	c->l.maxh2cdata = 4096;
	/* Each send() its own segment: the target sees our split points. */
	c->fd = tw_tcp_connect(opt.addr, opt.port);
	if (c->fd < 0)
		return -1;
	st.conns++;
	rec_line("conn");
	return 0;
}

static void note_peer_close(struct conn *c, int err)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->termreq)
		c->end = E_TERMREQ;
	else
		c->end = err == 0 ? E_TARGET_EOF : E_TARGET_RST;
}

/* Our side ends the connection: RST when @rst, else FIN. */
static void conn_close(struct conn *c, bool rst)
{
	if (c->fd < 0)
		return;
	if (!c->closed) {
		c->closed = true;
		c->end = rst ? E_WE_RESET : E_WE_CLOSED;
	}
	if (rst) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->fd);
	c->fd = -1;
	rec_line(rst ? "reset" : "close");
}

static void conn_free(struct conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->pend);
	c->pend = NULL;
}

/* One send() call, all of it. */
static void send_chunk(struct conn *c, const __u8 *p, size_t len)
{
	size_t n;
	int err;

	rec_send(p, len);
	st.sends++;
	if (c->closed)
		return;
	n = tw_send_all(c->fd, p, len, opt.timeout_ms, &err);
	st.bytes += n;
	if (n < len) {
		if (err == ETIMEDOUT)
			vlog("send stalled %d ms", opt.timeout_ms);
		note_peer_close(c, err);
	}
}

/*
 * Send what is pending, cut at random points: mostly in one call, often in
 * a few, sometimes byte by byte for a while.
 */
static void tx_flush(struct conn *c)
{
	size_t off = 0, n = c->npend;

	c->npend = 0;
	if (!n || c->closed)
		return;
	switch (rnd(20)) {
	case 0:		/* byte by byte, then the rest */
	case 1: {
		size_t k = 1 + rnd(n < 80 ? (__u32)n : 80);

		while (off < k && !c->closed)
			send_chunk(c, c->pend + off++, 1);
		break;
	}
	case 2:		/* tiny pieces */
	case 3:
	case 4:
		while (off < n && !c->closed && off < 512) {
			size_t k = 1 + rnd(8);

			if (k > n - off)
				k = n - off;
			send_chunk(c, c->pend + off, k);
			off += k;
		}
		break;
	case 5:		/* a few random cuts */
	case 6:
	case 7:
	case 8:
	case 9: {
		int cuts = 1 + (int)rnd(7);

		while (cuts-- && off < n && !c->closed) {
			size_t k = 1 + rnd((__u32)(n - off));

			send_chunk(c, c->pend + off, k);
			off += k;
		}
		break;
	}
	default:
		break;
	}
	if (off < n && !c->closed)
		send_chunk(c, c->pend + off, n - off);
}

/* Queue one PDU's bytes; they go out now or with the next PDUs. */
static void tx_pdu(struct conn *c, enum pdu_kind kind, const void *buf,
		   size_t len)
{
	if (c->closed)
		return;
	st.pdus++;
	st.kind[kind]++;
	if (c->npend + len > MAX_PEND)
		tx_flush(c);
	if (len > MAX_PEND)
		len = MAX_PEND;
	memcpy(c->pend + c->npend, buf, len);
	c->npend += len;
	if (chance(70))
		tx_flush(c);
}

/* ---- receive ------------------------------------------------------------- */

static enum tw_rx recv_exact(struct conn *c, void *buf, size_t len, double deadline)
{
	enum tw_rx r;
	int err;

	if (!len)
		return TW_RX_OK;
	if (c->closed || c->fd < 0)
		return TW_RX_CLOSED;
	r = tw_recv_exact(c->fd, buf, len, deadline, &err);
	if (r == TW_RX_CLOSED)
		note_peer_close(c, err);
	return r;
}

/* Account one PDU from the target. */
static void rx_handle(struct conn *c, const __u8 *buf, __u32 plen)
{
	const struct nvo_pdu_common *h = (const void *)buf;

	switch (h->type) {
	case NVO_PDU_RSP: {
		const struct nvo_pdu_rsp *r = (const void *)buf;
		struct cqe q;

		memcpy(&q, r->cqe, sizeof(q));
		c->ncqe++;
		c->last_cid = q.cid;
		c->last_status = le16_to_cpu(q.status) >> 1;
		c->last_result = le64_to_cpu(q.result);
		c->got_last = true;
		if (c->last_status) {
			c->ncqe_err++;
			st.cqe_err++;
		} else {
			st.cqe_ok++;
		}
		vlog("rx CQE cid %#x status %#x", q.cid, c->last_status);
		break;
	}
	case NVO_PDU_R2T: {
		const struct nvo_pdu_data *d = (const void *)buf;
		struct r2t *w;

		st.r2ts++;
		if (c->nr2t == MAX_R2T)
			memmove(c->r2t, c->r2t + 1, sizeof(c->r2t[0]) * (MAX_R2T - 1));
		else
			c->nr2t++;
		w = &c->r2t[c->nr2t - 1];
		w->cccid = d->cccid;
		w->ttag = le16_to_cpu(d->ttag);
		w->off = le32_to_cpu(d->offset);
		w->len = le32_to_cpu(d->length);
		w->sent = 0;
		vlog("rx R2T cccid %#x ttag %u off %u len %u", w->cccid, w->ttag,
		     w->off, w->len);
		break;
	}
	case NVO_PDU_C2H_DATA:
		st.c2hdata++;
		if ((h->flags & NVO_F_DATA_LAST) && (h->flags & NVO_F_DATA_SUCCESS)) {
			const struct nvo_pdu_data *d = (const void *)buf;

			/* SUCCESS: no CapsuleResp follows */
			c->ncqe++;
			c->last_cid = d->cccid;
			c->last_status = 0;
			c->got_last = true;
			st.cqe_ok++;
		}
		break;
	case NVO_PDU_C2H_TERM: {
		const struct nvo_pdu_term *t = (const void *)buf;

		c->termreq = true;
		c->fes = le16_to_cpu(t->fes);
		st.termreqs++;
		vlog("rx C2HTermReq fes %#x", c->fes);
		break;
	}
	case NVO_PDU_ICRESP:
		break;
	default:
		st.odd_rx++;
		fprintf(stderr, "# target sent PDU type %#x (plen %u)\n", h->type, plen);
	}
}

/*
 * Read one PDU (its payload beyond RX_CAP is skipped). A header no target
 * should send ends the connection from our side and counts as odd.
 */
static enum tw_rx recv_pdu(struct conn *c, double deadline)
{
	struct nvo_pdu_common *h = (void *)rxbuf;
	__u32 plen, got;
	enum tw_rx r;

	r = recv_exact(c, rxbuf, sizeof(*h), deadline);
	if (r != TW_RX_OK)
		return r;
	plen = le32_to_cpu(h->plen);
	if (plen < sizeof(*h) || h->hlen < sizeof(*h) || h->hlen > plen) {
		st.odd_rx++;
		fprintf(stderr, "# target sent a bad header: type %#x hlen %u plen %u\n",
			h->type, h->hlen, plen);
		conn_close(c, true);
		return TW_RX_CLOSED;
	}
	got = plen < RX_CAP ? plen : RX_CAP;
	r = recv_exact(c, rxbuf + sizeof(*h), got - sizeof(*h), deadline);
	while (r == TW_RX_OK && got < plen) {
		static __u8 skip[65536];
		__u32 k = plen - got < sizeof(skip) ? plen - got : sizeof(skip);

		r = recv_exact(c, skip, k, deadline);
		got += k;
	}
	if (r != TW_RX_OK)
		return r;
	if (c->l.hdgst && h->type != NVO_PDU_ICRESP && h->type != NVO_PDU_C2H_TERM &&
	    (h->flags & NVO_F_HDGST) && plen >= (__u32)h->hlen + NVO_DIGEST_LEN &&
	    !nvo_pdu_hdgst_ok(rxbuf, h->hlen)) {
		st.odd_rx++;
		fprintf(stderr, "# target sent a wrong header digest (type %#x)\n",
			h->type);
	}
	rx_handle(c, rxbuf, plen);
	return TW_RX_OK;
}

/* Read whatever arrives within @ms (and stop early on close). */
static void drain(struct conn *c, int ms)
{
	double deadline = now_s() + ms / 1000.0;

	tx_flush(c);
	while (!c->closed && recv_pdu(c, deadline) == TW_RX_OK)
		;
}

/* Wait for the CQE (or SUCCESS C2HData) of @cid; false on close/timeout. */
static bool wait_cqe(struct conn *c, __u16 cid, int ms)
{
	double deadline = now_s() + ms / 1000.0;

	tx_flush(c);
	rec_line("recv 05 %d", ms);
	c->got_last = false;
	while (!c->closed) {
		if (recv_pdu(c, deadline) != TW_RX_OK)
			return false;
		if (c->got_last && c->last_cid == cid)
			return true;
		c->got_last = false;
	}
	return false;
}

/* Wait for a fresh R2T of @cccid; its index, or -1 (closed, failed, none). */
static int wait_r2t(struct conn *c, __u16 cccid, int ms)
{
	double deadline = now_s() + ms / 1000.0;
	int i;

	tx_flush(c);
	rec_line("recv 09 %d", ms);
	for (;;) {
		for (i = c->nr2t - 1; i >= 0; i--)
			if (c->r2t[i].cccid == cccid && !c->r2t[i].sent)
				return i;
		c->got_last = false;
		if (c->closed || recv_pdu(c, deadline) != TW_RX_OK)
			return -1;
		if (c->got_last && c->last_cid == cccid)
			return -1;	/* completed (failed) without data */
	}
}

/* ---- PDU construction ----------------------------------------------------- */

/*
 * Mutate a built PDU's common header or digests (@pct: how likely at all).
 * Usually the header digest is recomputed so the mutation reaches the
 * field checks. Returns the new length (data may be cut or extended).
 */
static size_t mutate_pdu(const struct conn *c, __u8 *pdu, size_t len,
			 size_t cap, unsigned int pct)
{
	struct nvo_pdu_common *h = (void *)pdu;
	__u8 hlen0 = h->hlen;
	bool fix = chance(75);
	int n = 1 + (int)rnd(2);

	if (!chance(pct))
		return len;
	st.mutated++;
	while (n--) {
		switch (rnd(11)) {
		case 0:
			h->type = (__u8)(chance(50) ? rnd(12) : rnd(256));
			break;
		case 1:
			h->flags ^= (__u8)(1u << rnd(8));
			break;
		case 2:
			h->hlen = (__u8)(chance(50) ? hlen0 + rnd(9) - 4 : rnd(256));
			break;
		case 3:
			h->pdo = (__u8)(chance(50) ? h->pdo + rnd(9) - 4 : rnd(256));
			break;
		case 4:
			h->plen = cpu_to_le32(chance(50) ?
					      (__u32)(len + rnd(17)) - 8 : rnd_u32_edge());
			break;
		case 5:		/* header digest wrong */
			if (c->l.hdgst && len >= (size_t)hlen0 + NVO_DIGEST_LEN) {
				pdu[hlen0 + rnd(NVO_DIGEST_LEN)] ^= (__u8)(1 + rnd(255));
				fix = false;
			}
			break;
		case 6:		/* data digest wrong (or a data byte) */
			if (len > (size_t)hlen0 + 8)
				pdu[len - 1 - rnd(4)] ^= (__u8)(1 + rnd(255));
			break;
		case 7:		/* cut the data short (PLEN left as is) */
			if (len > hlen0)
				len = hlen0 + rnd((__u32)(len - hlen0));
			break;
		case 8:		/* trailing bytes PLEN does not cover */
			if (len + 64 <= cap) {
				__u32 k = 1 + rnd(64);

				rnd_fill(pdu + len, k);
				len += k;
			}
			break;
		case 9:		/* a random header byte */
			pdu[rnd(hlen0 < len ? hlen0 : (__u32)len)] = (__u8)rnd(256);
			break;
		default:	/* PLEN consistent with a changed PDO */
			h->pdo = (__u8)(rnd(33) * 4);
			break;
		}
	}
	if (fix && c->l.hdgst && h->hlen == hlen0 && len >= (size_t)hlen0 + 4)
		tw_refresh_hdgst(&c->l, pdu);
	return len;
}

/* A good ICReq, and the ICResp: 0, or -1 when the target did not accept. */
static int ic_handshake(struct conn *c, __u8 digest, __u8 hpda, __u32 maxr2t)
{
	struct nvo_pdu_icreq ic;
	const struct nvo_pdu_icresp *ir = (const void *)rxbuf;
	double deadline = now_s() + opt.timeout_ms / 1000.0;

	tw_fill_icreq(&ic, digest, hpda);
	ic.maxr2t = cpu_to_le32(maxr2t);
	tx_pdu(c, K_ICREQ, &ic, sizeof(ic));
	tx_flush(c);
	rec_line("recv 01 %d", opt.timeout_ms);
	if (recv_pdu(c, deadline) != TW_RX_OK)
		return -1;
	if (!tw_icresp_ok(ir))
		return -1;
	tw_link_from_icresp(&c->l, ir);
	if (c->l.maxh2cdata < 4096 || c->l.maxh2cdata > (16u << 20))
		c->l.maxh2cdata = 4096;
	return 0;
}

static void sqe_init(struct conn *c, struct sqe *s, __u8 opc)
{
	tw_sqe_init(s, opc, c->next_cid++);
}

/* A CapsuleCmd header carrying s. */
static void cmd_hdr(struct nvo_pdu_cmd *p, const struct sqe *s)
{
	memset(p, 0, sizeof(*p));
	p->hdr.type = NVO_PDU_CMD;
	memcpy(p->sqe, s, sizeof(*s));
}

/* An H2CData header. */
static void h2c_hdr(struct nvo_pdu_data *d, __u16 cccid, __u16 ttag, __u32 off,
		    __u32 len, __u8 flags)
{
	memset(d, 0, sizeof(*d));
	d->hdr.type = NVO_PDU_H2C_DATA;
	d->hdr.flags = flags;
	d->cccid = cccid;
	d->ttag = cpu_to_le16(ttag);
	d->offset = cpu_to_le32(off);
	d->length = cpu_to_le32(len);
}

/* Send a capsule: SQE and in-capsule data. Returns the cid. */
static __u16 send_cmd(struct conn *c, enum pdu_kind kind, const struct sqe *s,
		      const void *data, __u32 dlen, unsigned int mut_pct)
{
	static __u8 out[NVO_CMD_HLEN + 8 + 128 + (64u << 10) + 64];
	struct nvo_pdu_cmd p;
	size_t n;

	if (dlen > (64u << 10))
		dlen = 64u << 10;
	cmd_hdr(&p, s);
	n = tw_build_pdu(&c->l, &p, NVO_CMD_HLEN, data, dlen, out);
	n = mutate_pdu(c, out, n, sizeof(out), mut_pct);
	tx_pdu(c, kind, out, n);
	return s->cid;
}

static void fill_connect(struct conn *c, struct sqe *s, struct connect_data *d,
			 const char *subnqn, __u16 qid, __u16 cntlid, __u16 sqsize)
{
	tw_fill_connect(s, d, c->next_cid++, &host, subnqn, qid, cntlid, sqsize);
}

/* A good Connect; 0 and c->cntlid set, or -1. */
static int do_connect(struct conn *c, const char *nqn, __u16 qid, __u16 cntlid,
		      __u16 sqsize)
{
	struct sqe s;
	struct connect_data d;
	__u16 cid;

	fill_connect(c, &s, &d, nqn, qid, cntlid, sqsize);
	cid = send_cmd(c, K_CONNECT, &s, &d, sizeof(d), 0);
	if (!wait_cqe(c, cid, opt.timeout_ms) || c->last_status)
		return -1;
	c->cntlid = qid ? cntlid : (__u16)c->last_result;
	return 0;
}

static int prop(struct conn *c, bool set, __u32 reg, bool wide, __u64 val,
		__u64 *out)
{
	struct sqe s;
	__u16 cid;

	tw_fill_prop(&s, c->next_cid++, set, reg, wide, val);
	cid = send_cmd(c, K_FABRICS, &s, NULL, 0, 0);
	if (!wait_cqe(c, cid, opt.timeout_ms) || c->last_status)
		return -1;
	if (out)
		*out = c->last_result;
	return 0;
}

/* ---- the health check (and the anchor controller) ---------------------- */

/*
 * An admin queue of a live controller of opt.nqn (CC.EN set, CSTS.RDY),
 * or of the discovery subsystem when there is no --nqn. I/O queue
 * scenarios connect to this controller; every iteration starts with a
 * fresh one, which is the health check of the previous iteration.
 */
static struct conn anchor = { .fd = -1 };
static __u32 lbasize = 512;
static __u64 ns_blocks = 1;
static __u32 inline_max;	/* in-capsule limit of I/O queues (IOCCSZ) */
static bool learned;

static int identify(struct conn *c, __u32 nsid, __u32 cns)
{
	struct sqe s;
	__u16 cid;

	tw_fill_identify(&s, c->next_cid++, nsid, cns);
	cid = send_cmd(c, K_ADMIN, &s, NULL, 0, 0);
	/* C2HData lands in rxbuf; the first 4 KiB of its data is what we read. */
	tx_flush(c);
	{
		double deadline = now_s() + opt.timeout_ms / 1000.0;
		static __u8 id[4096];
		bool have = false;

		c->got_last = false;
		while (!c->closed && recv_pdu(c, deadline) == TW_RX_OK) {
			const struct nvo_pdu_common *h = (const void *)rxbuf;

			if (h->type == NVO_PDU_C2H_DATA) {
				const struct nvo_pdu_data *d = (const void *)rxbuf;
				__u32 off = le32_to_cpu(d->offset), len = le32_to_cpu(d->length);

				if (off < 4096 && len <= 4096 - off && h->pdo + len <= RX_CAP) {
					memcpy(id + off, rxbuf + h->pdo, len);
					have = true;
				}
			}
			if (c->got_last && c->last_cid == cid) {
				if (c->last_status || !have)
					return -1;
				if (cns == 1) {
					inline_max = tw_id_inline_max(id);
				} else {
					__u8 lbads = tw_id_lbads(id);

					ns_blocks = get_unaligned_le64(id);
					if (lbads >= 9 && lbads <= 12)
						lbasize = 1u << lbads;
					if (!ns_blocks)
						ns_blocks = 1;
				}
				return 0;
			}
			c->got_last = false;
		}
	}
	return -1;
}

static int health_check(const char *why)
{
	__u64 v = 0;
	int i;

	st.health++;
	conn_close(&anchor, false);
	rec_line("# health check");
	if (conn_open(&anchor))
		goto fail;
	if (ic_handshake(&anchor, 0, 0, 0))
		goto fail;
	if (do_connect(&anchor, opt.nqn ? opt.nqn : DISC_NQN, 0, 0xffff, 31))
		goto fail;
	if (prop(&anchor, false, REG_CAP, true, 0, &v))
		goto fail;
	if (prop(&anchor, true, REG_CC, false, CC_ENABLE, NULL))
		goto fail;
	for (i = 0; i < 50; i++) {
		if (prop(&anchor, false, REG_CSTS, false, 0, &v))
			goto fail;
		if (v & 1)
			break;
		usleep(100 * 1000);
	}
	if (!(v & 1))
		goto fail;
	if (opt.nqn && !learned) {
		if (identify(&anchor, 0, 1) || identify(&anchor, opt.nsid, 0))
			goto fail;
		learned = true;
		printf("# target: cntlid %u, in-capsule limit %u, LBA %u bytes, %llu blocks, MAXH2CDATA %u\n",
		       anchor.cntlid, inline_max, lbasize,
		       (unsigned long long)ns_blocks, anchor.l.maxh2cdata);
	}
	return 0;
fail:
	fprintf(stderr, "health check failed after %s: %s\n", why,
		anchor.closed ? "connection closed" : "no (good) answer");
	return -1;
}

/* ---- mutation helpers ------------------------------------------------------ */

static const char *rnd_nqn(char *buf, size_t cap)
{
	switch (rnd(8)) {
	case 0:
		return DISC_NQN;
	case 1:
		return "";
	case 2:		/* no NUL at all: 256 bytes of text */
		memset(buf, 'n', cap);
		return NULL;
	case 3:
		snprintf(buf, cap, "nqn.2014-08.io.nvmet-offload:no-such-%u", rnd(1000));
		return buf;
	case 4:
		rnd_fill(buf, cap);
		buf[rnd((__u32)cap)] = 0;
		return NULL;
	default:
		return opt.nqn ? opt.nqn : DISC_NQN;
	}
}

static void put_nqn(char *dst, const char *src, const char *raw)
{
	if (src)
		snprintf(dst, 256, "%s", src);
	else
		memcpy(dst, raw, 256);
}

static __u8 rnd_sgl_type(void)
{
	static const __u8 t[] = {
		SGL_INCAPSULE, SGL_TRANSPORT, 0x00, 0x10, 0x20, 0x21, 0x30,
		0x31, 0x40, 0x44, 0x5a, 0x50, 0x51, 0x0a, 0x6a, 0xf0,
	};

	return chance(80) ? t[rnd(sizeof(t))] : (__u8)rnd(256);
}

static __u32 rnd_len(void)
{
	static const __u32 l[] = {
		0, 1, 511, 512, 4095, 4096, 4097, 8192, 16384, 16385, 65536,
		131072, 1u << 20, (1u << 20) + 1, 0x7fffffff, 0xffffffff,
	};

	if (chance(25))
		return inline_max + (__u32)rnd(3) - 1;
	return chance(70) ? l[rnd(sizeof(l) / sizeof(l[0]))] : rnd_u32_edge();
}

/* Mutate a command's fields beyond opcode (which the caller chose). */
static void mutate_sqe(struct sqe *s)
{
	int n = 1 + (int)rnd(3);

	while (n--) {
		switch (rnd(9)) {
		case 0:
			s->flags = chance(50) ? (__u8)(rnd(4) << 6) | (__u8)rnd(4) : (__u8)rnd(256);
			break;
		case 1:
			s->nsid = cpu_to_le32(chance(50) ? rnd(4) : rnd_u32_edge());
			break;
		case 2:
			s->sgl_type = rnd_sgl_type();
			break;
		case 3:
			s->sgl_len = cpu_to_le32(rnd_len());
			break;
		case 4:
			s->sgl_addr = cpu_to_le64(chance(50) ? rnd(8192) : rnd64());
			break;
		case 5:
			memset(s->sgl_rsvd, 0xff, sizeof(s->sgl_rsvd));
			break;
		case 6:
			s->cid = (__u16)rnd(4);
			break;
		case 7:
			rnd_fill(&s->cdw10, 24);
			break;
		default:
			rnd_fill(s->rsvd8, sizeof(s->rsvd8));
			break;
		}
	}
}

/* In-capsule data length for a command: the SGL's, or something else. */
static __u32 incapsule_len(const struct sqe *s)
{
	__u32 l = le32_to_cpu(s->sgl_len);

	if (s->sgl_type == SGL_INCAPSULE && l <= 16384 && chance(70))
		return l;
	if (chance(50))
		return 0;
	return chance(50) ? rnd(16385) : (__u32)(4096 * (1 + rnd(4)));
}

static __u8 datab[(1u << 20) + 4096];

static void send_cmd_data(struct conn *c, enum pdu_kind kind, struct sqe *s,
			  unsigned int mut_pct)
{
	__u32 dl = incapsule_len(s);

	if (dl)
		rnd_fill(datab, dl < 256 ? dl : 256);
	send_cmd(c, kind, s, datab, dl, mut_pct);
}

/* ---- random commands ------------------------------------------------------- */

static void rnd_fabrics(struct conn *c, struct sqe *s)
{
	static const __u8 fct[] = { 0x00, 0x01, 0x04, 0x05, 0x06, 0x08, 0x0c, 0xff };

	sqe_init(c, s, OPC_FABRICS);
	s->nsid = cpu_to_le32(fct[rnd(sizeof(fct))]);
	tw_sqe_sgl(s, SGL_TRANSPORT, 0);
	s->cdw10 = cpu_to_le32(rnd(4));			/* attrib */
	s->cdw11 = cpu_to_le32(chance(50) ? rnd(0x40) & ~3u : rnd_u32_edge());
	s->cdw12 = cpu_to_le32(chance(30) ? CC_ENABLE : (__u32)rnd64());
	if (chance(20)) {
		s->sgl_type = SGL_INCAPSULE;
		s->sgl_len = cpu_to_le32(rnd_len() & 0x3fff);
	}
}

static void rnd_admin(struct conn *c, struct sqe *s)
{
	static const __u8 opc[] = {
		0x02, 0x06, 0x06, 0x06, 0x09, 0x0a, 0x0c, 0x18, 0x18, 0x7f,
		0x00, 0x01, 0x04, 0x05, 0x08, 0x10, 0x11, 0x80, 0x81, 0x82,
		0x84, 0xc0, 0xff,
	};
	__u8 o = chance(90) ? opc[rnd(sizeof(opc))] : (__u8)rnd(256);

	if (o == OPC_FABRICS) {
		rnd_fabrics(c, s);
		return;
	}
	sqe_init(c, s, o);
	s->nsid = cpu_to_le32(chance(50) ? 0 : opt.nsid);
	tw_sqe_sgl(s, SGL_TRANSPORT, 4096);
	switch (o) {
	case 0x06:	/* identify: CNS */
		s->cdw10 = cpu_to_le32(chance(80) ? rnd(0x20) : rnd_u32_edge());
		break;
	case 0x02:	/* get log page: LID, NUMDL */
		s->cdw10 = cpu_to_le32(rnd(0x100) | ((__u32)rnd(1024) << 16));
		s->sgl_len = cpu_to_le32(4096 * (1 + rnd(2)));
		break;
	case 0x09:	/* set features */
	case 0x0a:
		s->cdw10 = cpu_to_le32(rnd(0x20) | (chance(10) ? 0x80000000u : 0));
		s->cdw11 = cpu_to_le32((__u32)rnd64());
		tw_sqe_sgl(s, chance(50) ? SGL_TRANSPORT : SGL_INCAPSULE,
			chance(50) ? 0 : 4096);
		break;
	default:
		s->cdw10 = cpu_to_le32((__u32)rnd64());
		tw_sqe_sgl(s, chance(50) ? SGL_TRANSPORT : SGL_INCAPSULE,
			chance(50) ? 0 : rnd(8192));
		break;
	}
}

static void rnd_io(struct conn *c, struct sqe *s)
{
	static const __u8 opc[] = {
		0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x00, 0x08, 0x09, 0x04,
		0x05, 0x0d, 0x0e, 0x11, 0x15, 0x7f, 0x80, 0x19,
	};
	__u8 o = chance(90) ? opc[rnd(sizeof(opc))] : (__u8)rnd(256);
	__u32 len = lbasize * (1 + rnd(chance(80) ? 16 : 256));
	__u64 lba;

	if (o == OPC_FABRICS) {
		rnd_fabrics(c, s);
		return;
	}
	sqe_init(c, s, o);
	s->nsid = cpu_to_le32(opt.nsid);
	lba = chance(90) ? rnd64() % ns_blocks : ns_blocks - rnd(4);
	if (o == 0x01 && len <= inline_max && chance(50))
		tw_sqe_sgl(s, SGL_INCAPSULE, len);
	else
		tw_sqe_sgl(s, SGL_TRANSPORT, o == 0x00 || o == 0x08 ? 0 : len);
	s->cdw10 = cpu_to_le32((__u32)lba);
	s->cdw11 = cpu_to_le32((__u32)(lba >> 32));
	s->cdw12 = cpu_to_le32(len / lbasize - 1);
	if (chance(10))
		s->cdw12 = cpu_to_le32((__u32)rnd64());	/* NLB, PRINFO, FUA... */
	if (o == 0x09)	/* DSM: NR and attributes, one range in-capsule */
		tw_sqe_sgl(s, SGL_INCAPSULE, 16);
}

/*
 * A random command for an I/O queue (io) or an admin queue, its fields
 * mutated sqe_pct percent of the time, its PDU header pdu_pct percent.
 */
static void send_rnd_cmd(struct conn *c, bool io, unsigned int sqe_pct,
			 unsigned int pdu_pct)
{
	struct sqe s;

	if (io)
		rnd_io(c, &s);
	else
		rnd_admin(c, &s);
	if (chance(sqe_pct))
		mutate_sqe(&s);
	send_cmd_data(c, io ? K_IO : K_ADMIN, &s, pdu_pct);
}

/* Answer one R2T window correctly (chunks of random size up to MAXH2CDATA). */
static void h2c_window(struct conn *c, struct r2t *w, __u32 from, __u32 upto,
		       unsigned int mut_pct)
{
	static __u8 out[(1u << 20) + 512];
	__u32 off = from;

	while (off < upto && !c->closed) {
		struct nvo_pdu_data d;
		__u32 k = upto - off;
		size_t n;

		if (k > c->l.maxh2cdata)
			k = c->l.maxh2cdata;
		if (chance(30))
			k = 1 + rnd(k);
		if (k > (1u << 20))
			k = 1u << 20;
		h2c_hdr(&d, w->cccid, w->ttag, off, k,
			off + k == w->off + w->len ? NVO_F_DATA_LAST : 0);
		rnd_fill(datab, 64);
		n = tw_build_pdu(&c->l, &d, NVO_DATA_HLEN, datab, k, out);
		n = mutate_pdu(c, out, n, sizeof(out), mut_pct);
		tx_pdu(c, K_H2C, out, n);
		off += k;
	}
	if (upto - w->off > w->sent)
		w->sent = upto - w->off;
}

/* One H2CData PDU with chosen fields (the mutations of the R2T game). */
static void h2c_one(struct conn *c, __u16 cccid, __u16 ttag, __u32 off,
		    __u32 len, __u32 dlen, __u8 flags)
{
	static __u8 out[(1u << 20) + 512];
	struct nvo_pdu_data d;
	size_t n;

	if (dlen > (1u << 20))
		dlen = 1u << 20;
	h2c_hdr(&d, cccid, ttag, off, len, flags);
	n = tw_build_pdu(&c->l, &d, NVO_DATA_HLEN, datab, dlen, out);
	n = mutate_pdu(c, out, n, sizeof(out), 10);
	tx_pdu(c, K_H2C, out, n);
}

/* A mutated H2CData against window @w. */
static void h2c_mutated(struct conn *c, struct r2t *w)
{
	__u32 rem = w->len > w->sent ? w->len - w->sent : 0;
	__u32 off = w->off + w->sent, k = rem ? 1 + rnd(rem) : 4096;
	__u8 last = NVO_F_DATA_LAST;

	switch (rnd(14)) {
	case 0:		/* wrong ttag */
		h2c_one(c, w->cccid, chance(50) ? (__u16)(w->ttag + 1) : (__u16)rnd64(),
			off, k, k, last);
		break;
	case 1:		/* wrong cccid */
		h2c_one(c, (__u16)(w->cccid ^ (1 + rnd(0xffff))), w->ttag, off, k, k, last);
		break;
	case 2:		/* offset skewed */
		h2c_one(c, w->cccid, w->ttag, off + (chance(50) ? rnd(16) - 8 : rnd_u32_edge()),
			k, k, last);
		break;
	case 3:		/* beyond the window */
		h2c_one(c, w->cccid, w->ttag, off, rem + 4096, rem + 4096, last);
		break;
	case 4:		/* DATAL disagrees with the PDU's data */
		h2c_one(c, w->cccid, w->ttag, off, chance(50) ? rnd_u32_edge() : k + 1, k, last);
		break;
	case 5:		/* overlapping: a piece, then from an earlier offset */
		if (rem > 8) {
			h2c_one(c, w->cccid, w->ttag, off, rem / 2, rem / 2, 0);
			h2c_one(c, w->cccid, w->ttag, off + rem / 4, rem - rem / 4,
				rem - rem / 4, last);
		}
		break;
	case 6:		/* duplicate */
		h2c_one(c, w->cccid, w->ttag, off, k, k, k == rem ? last : 0);
		h2c_one(c, w->cccid, w->ttag, off, k, k, k == rem ? last : 0);
		break;
	case 7:		/* out of order: the second half first */
		if (rem > 8) {
			h2c_one(c, w->cccid, w->ttag, off + rem / 2, rem - rem / 2,
				rem - rem / 2, last);
			h2c_one(c, w->cccid, w->ttag, off, rem / 2, rem / 2, 0);
		}
		break;
	case 8:		/* LAST too early, or never */
		h2c_one(c, w->cccid, w->ttag, off, k, k, k == rem ? 0 : last);
		break;
	case 9:		/* SUCCESS is C2H only */
		h2c_one(c, w->cccid, w->ttag, off, rem, rem, last | NVO_F_DATA_SUCCESS);
		break;
	case 10:	/* no data at all */
		h2c_one(c, w->cccid, w->ttag, off, 0, 0, last);
		break;
	case 11:	/* more than MAXH2CDATA in one PDU */
		h2c_one(c, w->cccid, w->ttag, off, c->l.maxh2cdata + 4,
			c->l.maxh2cdata + 4, last);
		break;
	case 12:	/* after the window was complete */
		h2c_window(c, w, off, w->off + w->len, 0);
		h2c_one(c, w->cccid, w->ttag, w->off, 512, 512, last);
		break;
	default:	/* correct, with header mutations */
		h2c_window(c, w, off, w->off + w->len, 40);
		break;
	}
}

/* ---- scenarios ----------------------------------------------------------------- */

static __u8 rnd_digest(void)
{
	return (__u8)rnd(4);
}

/* Ways a fuzzed connection can end. */
static void finish(struct conn *c)
{
	static __u8 buf[2048];

	tx_flush(c);
	switch (rnd(10)) {
	case 0:		/* in the middle of a PDU */
	case 1: {
		struct nvo_pdu_cmd p;
		size_t n;

		memset(&p, 0, sizeof(p));
		p.hdr.type = chance(50) ? NVO_PDU_CMD : (__u8)rnd(8);
		rnd_fill(p.sqe, sizeof(p.sqe));
		rnd_fill(datab, 1024);
		n = tw_build_pdu(&c->l, &p, NVO_CMD_HLEN, datab, 1 + rnd(1024), buf);
		st.kind[K_TRUNCATED]++;
		st.pdus++;
		send_chunk(c, buf, 1 + rnd((__u32)n - 1));
		conn_close(c, chance(30));
		return;
	}
	case 2:
		conn_close(c, true);
		return;
	case 3:
		if (c->fd >= 0 && !c->closed) {
			shutdown(c->fd, SHUT_WR);
			rec_line("shutdown");
			drain(c, opt.linger_ms * 3);
			if (!c->closed) {
				c->closed = true;
				c->end = E_WE_HALF;
			}
		}
		conn_close(c, false);
		return;
	case 4:
		conn_close(c, false);
		return;
	default:
		drain(c, opt.linger_ms);
		conn_close(c, false);
		return;
	}
}

static void scen_icreq(struct conn *c)
{
	struct nvo_pdu_icreq ic;
	size_t n = sizeof(ic);

	tw_fill_icreq(&ic, rnd_digest(), chance(80) ? (__u8)rnd(32) : (__u8)rnd(256));
	if (chance(30))
		ic.pfv = cpu_to_le16(chance(50) ? 1 : (__u16)rnd64());
	if (chance(30))
		ic.digest = (__u8)rnd(256);
	if (chance(40))
		ic.maxr2t = cpu_to_le32(rnd_u32_edge());
	if (chance(15))
		rnd_fill(ic.rsvd, sizeof(ic.rsvd));
	n = mutate_pdu(c, (__u8 *)&ic, n, sizeof(ic), 40);
	tx_pdu(c, K_ICREQ, &ic, n);
	drain(c, opt.linger_ms);
	if (c->closed)
		return;
	switch (rnd(4)) {
	case 0:		/* a second ICReq */
		tw_fill_icreq(&ic, rnd_digest(), 0);
		tx_pdu(c, K_ICREQ, &ic, sizeof(ic));
		break;
	case 1: {	/* then a Connect */
		struct sqe s;
		struct connect_data d;

		fill_connect(c, &s, &d, DISC_NQN, 0, 0xffff, 31);
		send_cmd(c, K_CONNECT, &s, &d, sizeof(d), 20);
		break;
	}
	default:
		break;
	}
}

/* A Connect with one or more fields mutated; then, if it worked, commands. */
static void scen_connect(struct conn *c)
{
	static char raw[2][256];
	struct sqe s;
	struct connect_data d;
	bool io = chance(50) && opt.nqn && !anchor.closed;
	__u16 qid = io ? (__u16)(1 + rnd(4)) : 0;
	__u16 cntlid = io ? anchor.cntlid : 0xffff;
	__u16 sqsize = 31;
	__u32 dlen = sizeof(d);
	int i, n;

	if (ic_handshake(c, rnd_digest(), (__u8)rnd(32), chance(80) ? 0 : rnd(4)))
		return;
	if (chance(20))
		qid = (__u16)rnd_u32_edge();
	if (chance(30)) {
		static const __u16 sq[] = { 0, 1, 2, 30, 32, 127, 1023, 1024, 0xfffe, 0xffff };

		sqsize = sq[rnd(sizeof(sq) / sizeof(sq[0]))];
	}
	if (chance(20))
		cntlid = (__u16)(chance(50) ? rnd_u32_edge() : anchor.cntlid + rnd(3) - 1);
	fill_connect(c, &s, &d, opt.nqn ? opt.nqn : DISC_NQN, qid, cntlid, sqsize);
	if (chance(25))
		put_nqn(d.subsysnqn, rnd_nqn(raw[0], 256), raw[0]);
	if (chance(20))
		put_nqn(d.hostnqn, rnd_nqn(raw[1], 256), raw[1]);
	if (chance(10))
		s.cdw10 = cpu_to_le32(le32_to_cpu(s.cdw10) | (1 + rnd(0xffff)));	/* recfmt */
	if (chance(10))
		s.cdw11 = cpu_to_le32(sqsize | (rnd(256) << 16));	/* cattr */
	if (chance(10))
		s.cdw12 = cpu_to_le32(chance(50) ? 1 + rnd(2000) : rnd_u32_edge());	/* kato */
	if (chance(10))
		rnd_fill(d.hostid, sizeof(d.hostid));
	if (chance(25)) {
		s.sgl_type = rnd_sgl_type();
		s.sgl_len = cpu_to_le32(chance(50) ? rnd_len() : 1024 + rnd(9) - 4);
	}
	if (chance(15))
		dlen = chance(50) ? rnd(2048) : 0;
	if (chance(10))
		mutate_sqe(&s);
	if (dlen > sizeof(d)) {
		memcpy(datab, &d, sizeof(d));
		rnd_fill(datab + sizeof(d), dlen - sizeof(d));
		send_cmd(c, K_CONNECT, &s, datab, dlen, 10);
	} else {
		send_cmd(c, K_CONNECT, &s, &d, dlen, 10);
	}
	drain(c, opt.linger_ms);
	if (c->closed)
		return;
	if (chance(20)) {	/* a second Connect on the same queue */
		fill_connect(c, &s, &d, opt.nqn ? opt.nqn : DISC_NQN, qid, cntlid, 31);
		send_cmd(c, K_CONNECT, &s, &d, sizeof(d), 0);
	}
	n = (int)rnd(6);
	for (i = 0; i < n && !c->closed; i++)
		send_rnd_cmd(c, qid, 30, 10);
}

/* Commands on a queue that did connect. */
static void scen_cmds(struct conn *c, bool io)
{
	int i, n = 1 + (int)rnd(24);

	if (io && (!opt.nqn || anchor.closed))
		io = false;
	if (ic_handshake(c, rnd_digest(), (__u8)rnd(32), chance(70) ? 0 : rnd(8)))
		return;
	if (io) {
		if (do_connect(c, opt.nqn, (__u16)(1 + rnd(2)), anchor.cntlid,
			       (__u16)(chance(80) ? 31 : 1 + rnd(127))))
			return;
	} else if (do_connect(c, opt.nqn && chance(80) ? opt.nqn : DISC_NQN, 0,
			      0xffff, 31)) {
		return;
	} else if (chance(85)) {
		/* an enabled controller: its admin commands get past CC.EN */
		__u64 csts = 0;

		if (prop(c, true, REG_CC, false, CC_ENABLE, NULL) ||
		    prop(c, false, REG_CSTS, false, 0, &csts))
			return;
	}
	for (i = 0; i < n && !c->closed; i++) {
		send_rnd_cmd(c, io, 40, 15);
		if (chance(40))
			drain(c, 20);
		/* Keep the data path moving: answer some R2Ts correctly. */
		if (c->nr2t && chance(50)) {
			struct r2t *w = &c->r2t[rnd((__u32)c->nr2t)];

			if (w->sent < w->len)
				h2c_window(c, w, w->off + w->sent, w->off + w->len, 5);
		}
	}
}

/*
 * --offloaded: after an I/O queue's Connect, wait (up to 1 s) until
 * nvmet_offload's debugfs lists that queue (cntlid, qid: columns 3 and 4
 * of its "queues" file) as offloaded (column 16), so that what follows
 * goes to the device's engine. A queue the device refused (e.g. for its
 * ICReq parameters) stays in software: counted, not waited for further.
 */
static bool queue_offloaded(__u16 cntlid, __u16 qid)
{
	double deadline = now_s() + 1.0;
	char state[32];

	do {
		int rc = nvo_queue_ostate(cntlid, qid, state, sizeof(state));

		if (rc < 0 && rc != -ENOENT)
			return false;
		if (!rc && !strcmp(state, "offloaded"))
			return true;
		usleep(10000);
	} while (now_s() < deadline);
	return false;
}

static void io_queue_opened(__u16 qid)
{
	if (!opt.offloaded)
		return;
	st.io_queues++;
	if (queue_offloaded(anchor.cntlid, qid))
		st.io_offloaded++;
}

/*
 * ICReq (random digests and HPDA), then Connect: I/O queue qid of the
 * anchor's controller (io), or an admin queue of the discovery subsystem.
 * 0, or -1 when the target did not take it.
 */
static int open_queue(struct conn *c, bool io, __u16 qid)
{
	int rc;

	if (ic_handshake(c, rnd_digest(), (__u8)rnd(32), rnd(4)))
		return -1;
	rc = io ? do_connect(c, opt.nqn, qid, anchor.cntlid, 31) :
		  do_connect(c, DISC_NQN, 0, 0xffff, 31);
	if (!rc && io)
		io_queue_opened(qid);
	return rc;
}

/* Writes that need R2Ts, and H2CData games against the live windows. */
static void scen_h2c(struct conn *c)
{
	struct sqe s;
	int i, k, steps, nw = 1 + (int)rnd(4);
	bool io = opt.nqn && !anchor.closed;

	if (open_queue(c, io, 1))
		return;
	for (i = 0; i < nw && !c->closed; i++) {
		__u32 len = (io ? lbasize : 4096) * (1 + rnd(chance(80) ? 16 : 64));
		__u64 lba = io ? rnd64() % (ns_blocks > 256 ? ns_blocks - 256 : 1) : 0;
		__u16 cid;

		if (io) {
			tw_fill_rw(&s, c->next_cid++, OPC_WRITE, opt.nsid, lba, len,
				   lbasize, SGL_TRANSPORT);
		} else {
			/* discovery: Set Features with data would need R2T */
			sqe_init(c, &s, 0x09);
			s.cdw10 = cpu_to_le32(0x0b);
			tw_sqe_sgl(&s, SGL_TRANSPORT, len);
		}
		cid = send_cmd(c, K_IO, &s, NULL, 0, 0);
		wait_r2t(c, cid, opt.linger_ms * 5);
	}
	steps = 1 + (int)rnd(24);
	for (k = 0; k < steps && !c->closed; k++) {
		struct r2t *w;

		if (!c->nr2t) {
			/* no window: stray data for a made-up tag */
			h2c_one(c, (__u16)rnd(8), (__u16)rnd(8), 0, 4096, 4096,
				NVO_F_DATA_LAST);
			drain(c, 20);
			continue;
		}
		w = &c->r2t[rnd((__u32)c->nr2t)];
		if (chance(45))
			h2c_window(c, w, w->off + w->sent, w->off + w->len, 3);
		else
			h2c_mutated(c, w);
		if (chance(50))
			drain(c, 20);
	}
}

/* PDUs before (or without) a Connect: the CVE-2023-6356/6535/6536 classes. */
static void scen_preconnect(struct conn *c)
{
	static __u8 out[16384];
	struct sqe s;
	struct connect_data d;
	int i, n = 1 + (int)rnd(5);
	bool ic = chance(85);

	if (ic && ic_handshake(c, rnd_digest(), 0, 0))
		return;
	switch (rnd(4)) {
	case 0:		/* an I/O Connect that must fail: no such controller */
		fill_connect(c, &s, &d, opt.nqn ? opt.nqn : DISC_NQN,
			     (__u16)(1 + rnd(4)), (__u16)(0xfff0 + rnd(15)), 31);
		send_cmd(c, K_CONNECT, &s, &d, sizeof(d), 0);
		break;
	case 1:		/* an admin Connect to no subsystem */
		fill_connect(c, &s, &d, "nqn.2014-08.io.nvmet-offload:none", 0,
			     0xffff, 31);
		send_cmd(c, K_CONNECT, &s, &d, sizeof(d), 0);
		break;
	default:	/* no Connect at all */
		break;
	}
	if (chance(50))
		drain(c, 20);
	for (i = 0; i < n && !c->closed; i++) {
		switch (rnd(5)) {
		case 0:
		case 1:	/* H2CData out of nowhere */
			h2c_one(c, (__u16)rnd(4), (__u16)(chance(70) ? rnd(4) : rnd64()),
				chance(70) ? 0 : rnd_u32_edge(),
				chance(70) ? 4096 : rnd_u32_edge(), 4096,
				chance(50) ? NVO_F_DATA_LAST : 0);
			break;
		case 2:	/* a write with in-capsule data */
			rnd_io(c, &s);
			s.opcode = 0x01;
			tw_sqe_sgl(&s, SGL_INCAPSULE, 4096);
			send_cmd(c, K_IO, &s, datab, 4096, 5);
			break;
		case 3:	/* a write asking for R2T */
			rnd_io(c, &s);
			s.opcode = 0x01;
			tw_sqe_sgl(&s, SGL_TRANSPORT, 8192);
			send_cmd(c, K_IO, &s, NULL, 0, 5);
			break;
		default: {	/* an admin command with data */
			size_t k;

			rnd_admin(c, &s);
			if (chance(50))
				mutate_sqe(&s);
			tw_sqe_sgl(&s, SGL_INCAPSULE, 1024);
			{
				struct nvo_pdu_cmd p;

				cmd_hdr(&p, &s);
				k = tw_build_pdu(&c->l, &p, NVO_CMD_HLEN, datab, 1024, out);
				tx_pdu(c, K_ADMIN, out, k);
			}
			break;
		}
		}
		if (chance(40))
			drain(c, 20);
	}
}

/* PDUs of any type with headers that disagree with themselves. */
static void scen_raw(struct conn *c)
{
	static __u8 out[4096];
	int i, n = 1 + (int)rnd(12);

	if (chance(85) && ic_handshake(c, rnd_digest(), 0, 0))
		return;
	if (chance(40) && do_connect(c, DISC_NQN, 0, 0xffff, 31))
		return;
	for (i = 0; i < n && !c->closed; i++) {
		struct nvo_pdu_common *h = (void *)out;
		enum pdu_kind kind;
		size_t len;

		int what = (int)rnd(6);

		switch (what) {
		case 0: {	/* H2CTermReq */
			struct nvo_pdu_term t;

			memset(&t, 0, sizeof(t));
			t.hdr.type = NVO_PDU_H2C_TERM;
			t.fes = cpu_to_le16(rnd(8));
			rnd_fill(t.fei, sizeof(t.fei));
			len = NVO_TERM_HLEN + (chance(50) ? 0 : rnd(160));
			memcpy(out, &t, sizeof(t));
			rnd_fill(out + sizeof(t), len - sizeof(t));
			h->hlen = NVO_TERM_HLEN;
			h->plen = cpu_to_le32((__u32)len);
			len = mutate_pdu(c, out, len, sizeof(out), 30);
			kind = K_TERM;
			break;
		}
		case 1:		/* a controller-to-host type */
		case 2: {	/* an unknown type */
			static const __u8 c2h[] = { 0x01, 0x03, 0x05, 0x07, 0x09 };

			h->type = what == 1 ? c2h[rnd(5)] : (__u8)(0x0a + rnd(0xf6));
			h->flags = (__u8)rnd(16);
			h->hlen = chance(50) ? 24 : (__u8)rnd(256);
			h->pdo = 0;
			len = h->hlen > 8 ? h->hlen : 8;
			rnd_fill(out + 8, len - 8);
			h->plen = cpu_to_le32((__u32)len);
			kind = (h->type & 1) && h->type < 0x0a ? K_C2H_TYPE : K_UNKNOWN_TYPE;
			len = mutate_pdu(c, out, len, sizeof(out), 30);
			break;
		}
		case 3: {	/* a capsule with HLEN/PDO/PLEN disagreeing */
			struct nvo_pdu_cmd p;

			memset(&p, 0, sizeof(p));
			p.hdr.type = NVO_PDU_CMD;
			rnd_fill(p.sqe, sizeof(p.sqe));
			len = tw_build_pdu(&c->l, &p, NVO_CMD_HLEN, datab, rnd(2048), out);
			len = mutate_pdu(c, out, len, sizeof(out), 100);
			kind = K_ADMIN;
			break;
		}
		case 4:		/* garbage */
			len = 1 + rnd(256);
			rnd_fill(out, len);
			kind = K_GARBAGE;
			break;
		default: {	/* an H2CData with bad geometry */
			struct nvo_pdu_data d;

			h2c_hdr(&d, 0, 0, 0, 512, 0);
			len = tw_build_pdu(&c->l, &d, NVO_DATA_HLEN, datab, 512, out);
			len = mutate_pdu(c, out, len, sizeof(out), 100);
			kind = K_H2C;
			break;
		}
		}
		tx_pdu(c, kind, out, len);
		if (chance(30))
			drain(c, 10);
	}
}

/*
 * Random interleavings on one or two I/O queues of the anchor's
 * controller: commands, writes that open R2T windows, their data (right
 * or wrong), raw bad PDUs, in any order.
 */
static void scen_mix(struct conn *c)
{
	struct conn c2 = { .fd = -1 };
	struct conn *q[2] = { c, &c2 };
	int i, nq = 1, steps = 4 + (int)rnd(28);
	bool io = opt.nqn && !anchor.closed;

	if (open_queue(c, io, 1))
		return;
	if (io && chance(40) && !conn_open(&c2) &&
	    !ic_handshake(&c2, rnd_digest(), 0, 0) &&
	    !do_connect(&c2, opt.nqn, 2, anchor.cntlid, 31)) {
		io_queue_opened(2);
		nq = 2;
	}
	for (i = 0; i < steps; i++) {
		struct conn *k = q[rnd((__u32)nq)];
		struct sqe s;

		if (k->closed)
			break;
		switch (rnd(8)) {
		case 0:
		case 1:		/* any command */
			send_rnd_cmd(k, io, 30, 10);
			break;
		case 2:		/* a write that opens a window */
			rnd_io(k, &s);
			s.opcode = 0x01;
			tw_sqe_sgl(&s, SGL_TRANSPORT, lbasize * (1 + rnd(32)));
			s.cdw12 = cpu_to_le32(le32_to_cpu(s.sgl_len) / lbasize - 1);
			send_cmd(k, K_IO, &s, NULL, 0, 5);
			break;
		case 3:		/* data for an open window, right */
		case 4:
			if (k->nr2t) {
				struct r2t *w = &k->r2t[rnd((__u32)k->nr2t)];

				if (w->sent < w->len)
					h2c_window(k, w, w->off + w->sent,
						   w->off + w->sent +
						   1 + rnd(w->len - w->sent), 5);
			}
			break;
		case 5:		/* data for a window, wrong */
			if (k->nr2t)
				h2c_mutated(k, &k->r2t[rnd((__u32)k->nr2t)]);
			break;
		case 6: {	/* a PDU with a broken header */
			static __u8 out[2048];
			struct nvo_pdu_cmd p;
			size_t n;

			memset(&p, 0, sizeof(p));
			p.hdr.type = chance(50) ? NVO_PDU_CMD : NVO_PDU_H2C_DATA;
			rnd_fill(p.sqe, sizeof(p.sqe));
			n = tw_build_pdu(&k->l, &p, p.hdr.type == NVO_PDU_CMD ? NVO_CMD_HLEN :
				      NVO_DATA_HLEN, datab, rnd(1024), out);
			n = mutate_pdu(k, out, n, sizeof(out), 100);
			tx_pdu(k, K_GARBAGE, out, n);
			break;
		}
		default:
			drain(k, 10);
			break;
		}
	}
	if (nq == 2) {
		finish(&c2);
		st.end[c2.end]++;
	}
	conn_free(&c2);
}

static int run_iteration(__u64 iter)
{
	struct conn c = { .fd = -1 };
	enum scen sc;
	__u32 r;

	fuzz_run_iteration(&opt.run, iter);
	r = rnd(100);
	sc = r < 8 ? S_ICREQ : r < 20 ? S_CONNECT : r < 30 ? S_ADMIN :
	     r < 42 ? S_IO : r < 62 ? S_H2C : r < 74 ? S_PRECONNECT :
	     r < 84 ? S_RAW : S_MIX;
	st.scen[sc]++;
	st.iters++;
	vlog("iteration %llu: %s", (unsigned long long)iter, scen_names[sc]);
	rec_line("# iteration %llu seed %#llx scenario %s", (unsigned long long)iter,
		 (unsigned long long)opt.run.seed, scen_names[sc]);
	if (conn_open(&c)) {
		conn_free(&c);
		return -1;
	}
	switch (sc) {
	case S_ICREQ:
		scen_icreq(&c);
		break;
	case S_CONNECT:
		scen_connect(&c);
		break;
	case S_ADMIN:
		scen_cmds(&c, false);
		break;
	case S_IO:
		scen_cmds(&c, true);
		break;
	case S_H2C:
		scen_h2c(&c);
		break;
	case S_PRECONNECT:
		scen_preconnect(&c);
		break;
	case S_RAW:
		scen_raw(&c);
		break;
	default:
		scen_mix(&c);
		break;
	}
	finish(&c);
	st.end[c.end]++;
	conn_free(&c);
	return 0;
}

/* ---- replay ------------------------------------------------------------------- */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

enum expect { X_ANY, X_CLOSED, X_REJECTED };

/* End a replayed connection: watch it, judge the expectation. */
static bool replay_end(struct conn *c, enum expect x, const char *file, int nconn)
{
	bool ok;

	if (c->fd < 0 && !c->closed)
		return true;
	if (x != X_ANY)
		drain(c, opt.timeout_ms);
	else
		drain(c, opt.linger_ms);
	if (c->fd >= 0 && !c->closed)
		conn_close(c, false);
	ok = x == X_ANY ||
	     (x == X_CLOSED && c->end <= E_TERMREQ) ||
	     (x == X_REJECTED && (c->end <= E_TERMREQ || c->ncqe_err));
	printf("# replay %s conn %d: ended %s, %d CQEs (%d failed)%s%s -> %s\n",
	       file, nconn, end_names[c->end], c->ncqe, c->ncqe_err,
	       c->termreq ? ", C2HTermReq" : "",
	       x == X_CLOSED ? ", expected: closed" :
	       x == X_REJECTED ? ", expected: rejected" : "",
	       ok ? "ok" : "NOT MET");
	st.end[c->end]++;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return ok;
}

static int replay_file(const char *file)
{
	FILE *f = fopen(file, "r");
	static char line[1 << 22];
	static __u8 bytes[1 << 21];
	struct conn c = { .fd = -1 };
	enum expect x = X_ANY;
	int nconn = 0, lineno = 0, rc = EXIT_OK;
	bool open = false;

	if (!f) {
		fprintf(stderr, "%s: %s\n", file, strerror(errno));
		return EXIT_SETUP;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *cmd;

		lineno++;
		p[strcspn(p, "#\n")] = 0;
		cmd = strtok(p, " \t");
		if (!cmd)
			continue;
		if (!strcmp(cmd, "conn")) {
			if (open) {
				if (!replay_end(&c, x, file, nconn))
					rc = EXIT_UNHEALTHY;
				if (health_check(file))
					rc = EXIT_UNHEALTHY;
			}
			if (conn_open(&c)) {
				rc = EXIT_SETUP;
				break;
			}
			open = true;
			nconn++;
			x = X_ANY;
		} else if (!open) {
			fprintf(stderr, "%s:%d: '%s' before 'conn'\n", file, lineno, cmd);
			rc = EXIT_SETUP;
			break;
		} else if (!strcmp(cmd, "send")) {
			size_t n = 0;
			char *a = strtok(NULL, "");
			int hi = -1;

			for (; a && *a; a++) {
				int v = hexval((unsigned char)*a);

				if (v < 0) {
					if (*a == ' ' || *a == '\t')
						continue;
					fprintf(stderr, "%s:%d: bad hex\n", file, lineno);
					rc = EXIT_SETUP;
					goto out;
				}
				if (hi < 0) {
					hi = v;
				} else {
					if (n < sizeof(bytes))
						bytes[n++] = (__u8)(hi << 4 | v);
					hi = -1;
				}
			}
			if (hi >= 0) {
				fprintf(stderr, "%s:%d: odd number of hex digits\n", file, lineno);
				rc = EXIT_SETUP;
				goto out;
			}
			st.pdus++;
			send_chunk(&c, bytes, n);
		} else if (!strcmp(cmd, "recv")) {
			char *t = strtok(NULL, " \t"), *ms = strtok(NULL, " \t");
			int type = t && strcmp(t, "any") ? (int)strtol(t, NULL, 16) : -1;
			double deadline = now_s() + (ms ? atoi(ms) : 2000) / 1000.0;

			while (!c.closed && recv_pdu(&c, deadline) == TW_RX_OK)
				if (type < 0 || ((struct nvo_pdu_common *)rxbuf)->type == type)
					break;
		} else if (!strcmp(cmd, "sleep")) {
			char *ms = strtok(NULL, " \t");

			usleep((useconds_t)(ms ? atoi(ms) : 100) * 1000);
		} else if (!strcmp(cmd, "close") || !strcmp(cmd, "reset")) {
			conn_close(&c, cmd[0] == 'r');
		} else if (!strcmp(cmd, "shutdown")) {
			if (c.fd >= 0)
				shutdown(c.fd, SHUT_WR);
		} else if (!strcmp(cmd, "expect")) {
			char *w = strtok(NULL, " \t");

			x = w && !strcmp(w, "closed") ? X_CLOSED :
			    w && !strcmp(w, "rejected") ? X_REJECTED : X_ANY;
		} else {
			fprintf(stderr, "%s:%d: unknown directive '%s'\n", file, lineno, cmd);
			rc = EXIT_SETUP;
			break;
		}
	}
	if (open && rc != EXIT_SETUP) {
		if (!replay_end(&c, x, file, nconn))
			rc = EXIT_UNHEALTHY;
		if (health_check(file))
			rc = EXIT_UNHEALTHY;
	}
out:
	fclose(f);
	conn_free(&c);
	return rc;
}

/* ---- the CVE regression corpus ------------------------------------------------ */

/*
 * Write the corpus files from this tool's own builders, so that the hex in
 * them is correct by construction. Each names the public fix it guards.
 */
struct corpus_case {
	const char *name;
	const char *about;
	void (*build)(struct conn *c, FILE *f);
};

static void cc_icreq(struct conn *c, FILE *f, __u8 digest)
{
	struct nvo_pdu_icreq ic;

	tw_fill_icreq(&ic, digest, 0);
	fputs("# ICReq, digests ", f);
	fprintf(f, "%#x\n", digest);
	hexline(f, &ic, sizeof(ic));
	c->l.hdgst = digest & NVO_F_HDGST;
	c->l.ddgst = digest & NVO_F_DDGST;
}

/* A new connection: its ICReq, then wait for the ICResp. */
static void cc_conn(struct conn *c, FILE *f, __u8 digest)
{
	fputs("conn\n", f);
	cc_icreq(c, f, digest);
	fputs("recv 01 5000\n", f);
}

static void cc_pdu(struct conn *c, FILE *f, const char *what, void *hdr,
		   __u8 hlen, const void *data, __u32 dlen)
{
	static __u8 out[16384];
	size_t n = tw_build_pdu(&c->l, hdr, hlen, data, dlen, out);

	fprintf(f, "# %s\n", what);
	hexline(f, out, n);
}

/* An H2CData PDU with LAST set and dlen bytes of 0xa5 into out. */
static size_t cc_h2c_build(struct conn *c, __u16 cccid, __u16 ttag, __u32 off,
			   __u32 len, __u32 dlen, __u8 *out)
{
	struct nvo_pdu_data d;

	h2c_hdr(&d, cccid, ttag, off, len, NVO_F_DATA_LAST);
	memset(datab, 0xa5, dlen);
	return tw_build_pdu(&c->l, &d, NVO_DATA_HLEN, datab, dlen, out);
}

static void cc_h2c(struct conn *c, FILE *f, const char *what, __u16 cccid,
		   __u16 ttag, __u32 off, __u32 len, __u32 dlen)
{
	static __u8 out[16384];
	size_t n = cc_h2c_build(c, cccid, ttag, off, len, dlen, out);

	fprintf(f, "# %s\n", what);
	hexline(f, out, n);
}

/* A capsule with dlen bytes of 0x5a in-capsule. */
static void cc_cmd(struct conn *c, FILE *f, const char *what, struct sqe *s,
		   __u32 dlen)
{
	struct nvo_pdu_cmd p;

	cmd_hdr(&p, s);
	memset(datab, 0x5a, dlen);
	cc_pdu(c, f, what, &p, NVO_CMD_HLEN, datab, dlen);
}

/* Command opc on nsid, its SGL of sgl_type for sgl_len; returns its cid. */
static __u16 cc_sqe(struct conn *c, FILE *f, const char *what, __u8 opc,
		    __u32 nsid, __u8 sgl_type, __u32 sgl_len, __u32 dlen)
{
	struct sqe s;

	sqe_init(c, &s, opc);
	s.nsid = cpu_to_le32(nsid);
	tw_sqe_sgl(&s, sgl_type, sgl_len);
	cc_cmd(c, f, what, &s, dlen);
	return s.cid;
}

/* A Connect, then wait for its CapsuleResp. */
static void cc_connect(struct conn *c, FILE *f, const char *what,
		       const char *nqn, __u16 qid, __u16 cntlid)
{
	struct sqe s;
	struct connect_data d;
	struct nvo_pdu_cmd p;

	fill_connect(c, &s, &d, nqn, qid, cntlid, 31);
	cmd_hdr(&p, &s);
	cc_pdu(c, f, what, &p, NVO_CMD_HLEN, &d, sizeof(d));
	fputs("recv 05 5000\n", f);
}

/* CVE-2023-6356: H2CData processed for a command that has no data buffer. */
static void cve_6356_before_connect(struct conn *c, FILE *f)
{
	static __u8 out[8192];
	size_t n;

	cc_conn(c, f, 0);
	cc_h2c(c, f, "H2CData TTAG 0 CCCID 0, 4 KiB, before any Connect", 0, 0, 0,
	       4096, 4096);
	fputs("expect closed\n", f);
	/* The same, split in the middle of the header and of the data. */
	cc_conn(c, f, 0);
	n = cc_h2c_build(c, 0, 1, 0, 4096, 4096, out);
	fputs("# H2CData TTAG 1 before Connect, sent in three pieces\n", f);
	hexline(f, out, 13);
	hexline(f, out + 13, 1000);
	hexline(f, out + 1013, n - 1013);
	fputs("expect closed\n", f);
}

static void cve_6356_bad_length(struct conn *c, FILE *f)
{
	cc_conn(c, f, 0);
	cc_connect(c, f, "admin Connect to the discovery subsystem", DISC_NQN, 0, 0xffff);
	cc_h2c(c, f, "H2CData, no R2T, DATAL 0xffffffff with 512 bytes of data",
	       1, 0, 0, 0xffffffffu, 512);
	fputs("expect closed\n", f);
	cc_conn(c, f, 0);
	cc_connect(c, f, "admin Connect to the discovery subsystem", DISC_NQN, 0, 0xffff);
	cc_h2c(c, f, "H2CData, no R2T, DATAO 0xfffff000", 1, 0, 0xfffff000u, 4096, 4096);
	fputs("expect closed\n", f);
}

/* CVE-2023-6535: a command whose init failed, executed once its data came. */
static void cve_6535_incapsule_before_connect(struct conn *c, FILE *f)
{
	cc_conn(c, f, 0);
	cc_sqe(c, f, "Identify with 4 KiB in-capsule data, before Connect",
	       OPC_IDENTIFY, 0, SGL_INCAPSULE, 4096, 4096);
	fputs("recv 05 5000\n", f);
	cc_sqe(c, f, "Write with 4 KiB in-capsule data, before Connect",
	       OPC_WRITE, 1, SGL_INCAPSULE, 4096, 4096);
	fputs("recv 05 5000\n", f);
	cc_sqe(c, f, "Set Features with 8 KiB in-capsule data, before Connect",
	       0x09, 0, SGL_INCAPSULE, 8192, 8192);
	fputs("expect rejected\n", f);
}

/* CVE-2023-6536: completion of commands on a queue without a controller. */
static void cve_6536_failed_io_connect(struct conn *c, FILE *f)
{
	__u16 cid;

	cc_conn(c, f, 0);
	cc_connect(c, f, "I/O Connect qid 1 to controller 0xfffe, which does not exist",
		   DISC_NQN, 1, 0xfffe);
	cc_sqe(c, f, "Write, 4 KiB in-capsule, on that queue", OPC_WRITE, 1,
	       SGL_INCAPSULE, 4096, 4096);
	cc_sqe(c, f, "Read, 4 KiB by C2HData, on that queue", OPC_READ, 1,
	       SGL_TRANSPORT, 4096, 0);
	cid = cc_sqe(c, f, "Write, 8 KiB by R2T, on that queue", OPC_WRITE, 1,
		     SGL_TRANSPORT, 8192, 0);
	fputs("recv any 1000\n", f);
	cc_h2c(c, f, "H2CData for TTAG 0 on that queue", cid, 0, 0, 8192, 8192);
	fputs("expect rejected\n", f);
}

static void cve_6536_no_connect_r2t(struct conn *c, FILE *f)
{
	struct sqe s;
	__u16 cid;

	cc_conn(c, f, 0);
	cid = cc_sqe(c, f, "Write, 8 KiB by R2T, on a queue that never sent Connect",
		     OPC_WRITE, 1, SGL_TRANSPORT, 8192, 0);
	fputs("recv any 1000\n", f);
	cc_h2c(c, f, "H2CData for it, TTAG 0", cid, 0, 0, 8192, 8192);
	fputs("expect rejected\n", f);
	cc_conn(c, f, 0);
	cc_connect(c, f, "admin Connect to a subsystem that does not exist",
		   "nqn.2014-08.io.nvmet-offload:cve-2023-6536-none", 0, 0xffff);
	tw_fill_identify(&s, c->next_cid++, 0, 1);
	cc_cmd(c, f, "Identify controller on the queue whose Connect failed", &s, 0);
	cc_sqe(c, f, "Asynchronous Event Request on it", 0x0c, 0, 0, 0, 0);
	fputs("expect rejected\n", f);
}

/* CVE-2023-5178: ICReq handling freeing the digest state twice on failure. */
static void cve_5178_icreq_reset(struct conn *c, FILE *f)
{
	int i;

	for (i = 0; i < 4; i++) {
		fputs("conn\n", f);
		cc_icreq(c, f, NVO_F_HDGST | NVO_F_DDGST);
		/* The ICResp send fails: the peer is gone by the time it goes out. */
		fputs(i % 2 ? "reset\n" : "shutdown\nreset\n", f);
	}
}

/* An ICReq with digests, a comment and its hex. */
static void cc_raw_icreq(FILE *f, const char *what, __u8 hpda, __u16 pfv,
			 __u32 plen)
{
	struct nvo_pdu_icreq ic;

	tw_fill_icreq(&ic, NVO_F_HDGST | NVO_F_DDGST, hpda);
	ic.pfv = cpu_to_le16(pfv);
	ic.hdr.plen = cpu_to_le32(plen);
	if (what)
		fprintf(f, "# %s\n", what);
	hexline(f, &ic, sizeof(ic));
}

static void cve_5178_bad_icreq(struct conn *c, FILE *f)
{
	cc_conn(c, f, NVO_F_HDGST | NVO_F_DDGST);
	cc_raw_icreq(f, "a second ICReq, PFV 1, after the first succeeded", 0, 1,
		     NVO_IC_PDU_LEN);
	fputs("expect closed\n", f);
	fputs("conn\n", f);
	cc_raw_icreq(f, "ICReq with digests and HPDA 32 (invalid), then a good one",
		     32, 0, NVO_IC_PDU_LEN);
	cc_raw_icreq(f, NULL, 0, 0, NVO_IC_PDU_LEN);
	fputs("expect closed\n", f);
	fputs("conn\n", f);
	cc_raw_icreq(f, "ICReq with digests and PLEN 132, then RST", 0, 0,
		     NVO_IC_PDU_LEN + 4);
	fputs("reset\n", f);
}

static const struct corpus_case corpus[] = {
	{ "cve-2023-6356-h2cdata-before-connect",
	  "H2CData on a queue that never sent Connect (NULL command buffers; nvmet_tcp_build_pdu_iovec)",
	  cve_6356_before_connect },
	{ "cve-2023-6356-h2cdata-bad-length",
	  "H2CData without an R2T, with an impossible DATAL or DATAO (\"invalid H2C PDU length\")",
	  cve_6356_bad_length },
	{ "cve-2023-6535-incapsule-before-connect",
	  "capsules with in-capsule data before Connect: their init fails, then their data arrives (nvmet_tcp_execute_request)",
	  cve_6535_incapsule_before_connect },
	{ "cve-2023-6536-failed-io-connect",
	  "commands and H2CData on a queue whose I/O Connect failed: no controller, no sq (__nvmet_req_complete)",
	  cve_6536_failed_io_connect },
	{ "cve-2023-6536-no-connect-r2t",
	  "a write asking for R2T, and commands, on queues with no controller",
	  cve_6536_no_connect_r2t },
	{ "cve-2023-5178-icreq-digest-reset",
	  "ICReq with digests, the peer gone before the ICResp goes out (double free of the digest state)",
	  cve_5178_icreq_reset },
	{ "cve-2023-5178-bad-icreq",
	  "a bad ICReq with digests after a good one, before one, and with PLEN wrong",
	  cve_5178_bad_icreq },
};

#define NCORPUS (sizeof(corpus) / sizeof(corpus[0]))

static int write_corpus(const char *dir)
{
	size_t i;

	mkdir(dir, 0755);
	for (i = 0; i < NCORPUS; i++) {
		char path[4096];
		struct conn c = { .fd = -1 };
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.pdus", dir, corpus[i].name);
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return EXIT_SETUP;
		}
		c.next_cid = 1;
		fprintf(f, "# %s: %s\n", corpus[i].name, corpus[i].about);
		fputs("# Generated by nvme_tcp_fuzz --write-corpus; replay with\n"
		      "# nvme_tcp_fuzz --addr ADDR --nqn NQN --replay FILE\n", f);
		corpus[i].build(&c, f);
		fclose(f);
		printf("%s\n", path);
	}
	return EXIT_OK;
}

/* ---- main ------------------------------------------------------------------------- */

static void summary(double elapsed)
{
	int i;

	if (elapsed <= 0)
		elapsed = 1e-6;
	printf("# summary: seed %#llx iterations %llu connections %llu (%llu health checks) in %.1f s\n",
	       (unsigned long long)opt.run.seed, (unsigned long long)st.iters,
	       (unsigned long long)st.conns, (unsigned long long)st.health, elapsed);
	printf("# rate: %.1f connections/s, %.1f PDUs/s, %.1f send() calls/s, %.1f KiB/s\n",
	       st.conns / elapsed, st.pdus / elapsed, st.sends / elapsed,
	       st.bytes / 1024.0 / elapsed);
	if (opt.offloaded)
		printf("# offload: io_queues=%llu offloaded=%llu\n",
		       (unsigned long long)st.io_queues,
		       (unsigned long long)st.io_offloaded);
	printf("# sent: %llu PDUs (%llu mutated), %llu send() calls, %llu bytes\n",
	       (unsigned long long)st.pdus, (unsigned long long)st.mutated,
	       (unsigned long long)st.sends, (unsigned long long)st.bytes);
	printf("# PDU kinds:");
	for (i = 0; i < K_MAX; i++)
		printf(" %s=%llu", kind_names[i], (unsigned long long)st.kind[i]);
	printf("\n# scenarios:");
	for (i = 0; i < S_MAX; i++)
		printf(" %s=%llu", scen_names[i], (unsigned long long)st.scen[i]);
	printf("\n# fuzzed connections ended:");
	for (i = 0; i < E_MAX; i++)
		printf(" %s=%llu", end_names[i], (unsigned long long)st.end[i]);
	printf("\n# target sent: %llu R2T, %llu C2HData, %llu good CQEs, %llu failed CQEs, %llu C2HTermReq, %llu odd PDUs\n",
	       (unsigned long long)st.r2ts, (unsigned long long)st.c2hdata,
	       (unsigned long long)st.cqe_ok, (unsigned long long)st.cqe_err,
	       (unsigned long long)st.termreqs, (unsigned long long)st.odd_rx);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvme_tcp_fuzz --addr ADDR [--port PORT] [--nqn NQN] [--nsid N]\n"
		"         [--iterations N] [--seconds S] [--seed X] [--start I]\n"
		"         [--record FILE] [--timeout S] [--linger MS] [--offloaded] [-v]\n"
		"       nvme_tcp_fuzz --addr ADDR [--nqn NQN] --replay FILE...\n"
		"       nvme_tcp_fuzz --write-corpus DIR\n"
		"Exit: 0 target healthy throughout, 1 target unhealthy or a replay\n"
		"expectation not met, 2 usage or setup error.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "nqn", required_argument, NULL, 'n' },
		{ "nsid", required_argument, NULL, 'N' },
		FUZZ_RUN_LONGOPTS,
		{ "start", required_argument, NULL, 'I' },
		{ "record", required_argument, NULL, 'r' },
		{ "replay", no_argument, NULL, 'R' },
		{ "write-corpus", required_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 't' },
		{ "linger", required_argument, NULL, 'l' },
		{ "offloaded", no_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool replay = false;
	double t0, elapsed;
	int ch, rc = EXIT_OK;
	__u64 i;

	while ((ch = getopt_long(argc, argv, "a:p:n:N:i:s:S:I:r:RW:t:l:Ovh", lo, NULL)) != -1) {
		if (fuzz_run_opt(&opt.run, ch, optarg))
			continue;
		switch (ch) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = optarg; break;
		case 'n': opt.nqn = optarg; break;
		case 'N': opt.nsid = (__u32)strtoul(optarg, NULL, 0); break;
		case 'I': opt.start = strtoull(optarg, NULL, 0); break;
		case 'r': opt.record = optarg; break;
		case 'R': replay = true; break;
		case 'W':
			/* A fixed host identity: the files do not change by run. */
			memset(host.hostid, 0x11, sizeof(host.hostid));
			snprintf(host.hostnqn, sizeof(host.hostnqn), "nqn.2014-08.io.nvmet-offload:fuzz-corpus");
			return write_corpus(optarg);
		case 't': opt.timeout_ms = (int)(atof(optarg) * 1000); break;
		case 'l': opt.linger_ms = atoi(optarg); break;
		case 'O': opt.offloaded = true; break;
		case 'v': vlog_on = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_SETUP;
		}
	}
	if (!opt.addr || opt.timeout_ms <= 0 || opt.linger_ms < 0 ||
	    (replay && optind == argc) || (!replay && optind != argc)) {
		usage(stderr);
		return EXIT_SETUP;
	}
	signal(SIGPIPE, SIG_IGN);
	fuzz_run_seed(&opt.run);
	/* The host identity follows from the seed too. */
	rnd_seed(opt.run.seed);
	rnd_fill(host.hostid, sizeof(host.hostid));
	tw_uuid_v4(host.hostid);
	snprintf(host.hostnqn, sizeof(host.hostnqn), "nqn.2014-08.io.nvmet-offload:fuzz-%016llx",
		 (unsigned long long)opt.run.seed);
	if (opt.record) {
		rec = fopen(opt.record, "w");
		if (!rec) {
			fprintf(stderr, "%s: %s\n", opt.record, strerror(errno));
			return EXIT_SETUP;
		}
		fprintf(rec, "# nvme_tcp_fuzz --seed %#llx --start %llu\n",
			(unsigned long long)opt.run.seed, (unsigned long long)opt.start);
	}
	printf("# nvme_tcp_fuzz: seed %#llx (--seed %#llx --start %llu reproduces), target %s:%s %s\n",
	       (unsigned long long)opt.run.seed, (unsigned long long)opt.run.seed,
	       (unsigned long long)opt.start, opt.addr, opt.port,
	       opt.nqn ? opt.nqn : "(discovery only)");
	fflush(stdout);

	t0 = now_s();
	if (health_check("start")) {
		fprintf(stderr, "the target is not healthy before fuzzing\n");
		rc = EXIT_SETUP;
		goto out;
	}
	if (replay) {
		for (; optind < argc; optind++) {
			int r = replay_file(argv[optind]);

			if (r > rc)
				rc = r;
		}
		goto out;
	}
	for (i = opt.start; i < opt.start + opt.run.iterations; i++) {
		if (fuzz_run_expired(&opt.run, t0))
			break;
		if (run_iteration(i)) {
			rc = EXIT_SETUP;
			break;
		}
		if (health_check("a fuzzed connection")) {
			fprintf(stderr, "iteration %llu (%s) left the target unhealthy; reproduce: --seed %#llx --start %llu --iterations 1\n",
				(unsigned long long)i, "see --record",
				(unsigned long long)opt.run.seed, (unsigned long long)i);
			printf("# FAIL: target unhealthy after iteration %llu (seed %#llx)\n",
			       (unsigned long long)i, (unsigned long long)opt.run.seed);
			rc = EXIT_UNHEALTHY;
			break;
		}
		if (vlog_on || (i - opt.start + 1) % 200 == 0) {
			printf("# %llu iterations, %.0f s\n",
			       (unsigned long long)(i - opt.start + 1), now_s() - t0);
			fflush(stdout);
		}
	}
out:
	elapsed = now_s() - t0;
	conn_close(&anchor, false);
	conn_free(&anchor);
	summary(elapsed);
	if (rec)
		fclose(rec);
	return rc;
}
