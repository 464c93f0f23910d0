// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_tcp_badpdu - raw-socket NVMe/TCP host that sends malformed PDUs.
 *
 * Written from the NVMe/TCP transport binding (TP 8000, NVMe-oF 1.1 and
 * NVMe TCP Transport Specification 1.0): all wire structures are defined
 * here because <linux/nvme-tcp.h> and <linux/nvme.h> are not uapi.
 *
 * Each --case drives one protocol violation against a live target and then
 * waits for the target to end the connection (EOF or RST, optionally after a
 * C2HTermReq). Positive controls (good, good-io) expect success instead.
 *
 * Output: one verdict line, key=value, for scripts:
 *   badpdu: case=NAME verdict=PASS|FAIL|ERROR outcome=... termreq=... ...
 * Exit status: 0 expectation met, 1 not met, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define EXIT_MET	0
#define EXIT_NOT_MET	1
#define EXIT_SETUP	2

#define DISC_NQN	"nqn.2014-08.org.nvmexpress.discovery"

/* ---- wire format (all little endian, packed) ---------------------------- */

enum pdu_type {
	PDU_ICREQ	= 0x00,
	PDU_ICRESP	= 0x01,
	PDU_H2C_TERM	= 0x02,
	PDU_C2H_TERM	= 0x03,
	PDU_CMD		= 0x04,
	PDU_RSP		= 0x05,
	PDU_H2C_DATA	= 0x06,
	PDU_C2H_DATA	= 0x07,
	PDU_R2T		= 0x09,
};

enum pdu_flags {
	F_HDGST		= 1 << 0,
	F_DDGST		= 1 << 1,
	F_DATA_LAST	= 1 << 2,
	F_DATA_SUCCESS	= 1 << 3,
};

#define DGST_HDR	(1 << 0)	/* ICReq/ICResp digest field */
#define DGST_DATA	(1 << 1)
#define DIGEST_LEN	4

struct ch {			/* common header */
	uint8_t type;
	uint8_t flags;
	uint8_t hlen;
	uint8_t pdo;
	uint32_t plen;
} __attribute__((packed));

struct icreq {
	struct ch ch;
	uint16_t pfv;
	uint8_t hpda;
	uint8_t digest;
	uint32_t maxr2t;
	uint8_t rsvd[112];
} __attribute__((packed));

struct icresp {
	struct ch ch;
	uint16_t pfv;
	uint8_t cpda;
	uint8_t digest;
	uint32_t maxdata;
	uint8_t rsvd[112];
} __attribute__((packed));

struct termreq {
	struct ch ch;
	uint16_t fes;
	uint16_t feil;
	uint16_t feiu;
	uint8_t rsvd[10];
} __attribute__((packed));

struct sqe {			/* 64-byte NVMe submission queue entry */
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;		/* fctype in byte 0 for fabrics commands */
	uint8_t rsvd8[16];
	uint64_t sgl_addr;	/* one SGL descriptor: DPTR */
	uint32_t sgl_len;
	uint8_t sgl_rsvd[3];
	uint8_t sgl_type;
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
} __attribute__((packed));

struct cqe {
	uint64_t result;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;	/* bit 0 is the phase tag */
} __attribute__((packed));

struct cmd_pdu {
	struct ch ch;
	struct sqe sqe;
} __attribute__((packed));

struct rsp_pdu {
	struct ch ch;
	struct cqe cqe;
} __attribute__((packed));

struct data_pdu {		/* H2CData, C2HData and R2T share this layout */
	struct ch ch;
	uint16_t cid;
	uint16_t ttag;
	uint32_t offset;
	uint32_t length;
	uint8_t rsvd[4];
} __attribute__((packed));

struct connect_data {
	uint8_t hostid[16];
	uint16_t cntlid;
	uint8_t rsvd[238];
	char subsysnqn[256];
	char hostnqn[256];
	uint8_t rsvd2[256];
} __attribute__((packed));

_Static_assert(sizeof(struct ch) == 8, "common header");
_Static_assert(sizeof(struct icreq) == 128, "icreq");
_Static_assert(sizeof(struct icresp) == 128, "icresp");
_Static_assert(sizeof(struct termreq) == 24, "termreq");
_Static_assert(sizeof(struct sqe) == 64, "sqe");
_Static_assert(sizeof(struct cqe) == 16, "cqe");
_Static_assert(sizeof(struct cmd_pdu) == 72, "cmd pdu");
_Static_assert(sizeof(struct rsp_pdu) == 24, "rsp pdu");
_Static_assert(sizeof(struct data_pdu) == 24, "data pdu");
_Static_assert(sizeof(struct connect_data) == 1024, "connect data");
_Static_assert(offsetof(struct sqe, sgl_addr) == 24, "dptr offset");
_Static_assert(offsetof(struct sqe, cdw10) == 40, "cdw10 offset");

#define OPC_FABRICS	0x7f
#define OPC_IDENTIFY	0x06
#define OPC_WRITE	0x01
#define OPC_READ	0x02
#define FCTYPE_PROP_SET	0x00
#define FCTYPE_CONNECT	0x01
#define FCTYPE_PROP_GET	0x04
#define PSDT_SGL	0x40	/* flags: SGLs, metadata buffer (what hosts send) */
#define SGL_INCAPSULE	0x01	/* data block, offset address: in-capsule data */
#define SGL_TRANSPORT	0x5a	/* transport data block, transport-specific: R2T */
#define REG_CC		0x14
#define REG_CSTS	0x1c

/* Our byte order helpers: the target is little endian on the wire. */
static inline uint16_t le16(uint16_t v) { return htole16(v); }
static inline uint32_t le32(uint32_t v) { return htole32(v); }

/* ---- CRC32C (Castagnoli), as used for NVMe/TCP HDGST and DDGST ---------- */

static uint32_t crc_table[256];

static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;

	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* ---- options, logging ---------------------------------------------------- */

static struct {
	const char *addr;
	const char *port;
	const char *subnqn;
	char hostnqn[224];
	uint8_t hostid[16];
	uint32_t nsid;
	int timeout_ms;
	bool verbose;
} opt = {
	.port = "4420",
	.nsid = 1,
	.timeout_ms = 5000,
};

static void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	fputs("# ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- connection ---------------------------------------------------------- */

struct conn {
	int fd;
	bool hdgst;		/* negotiated digests */
	bool ddgst;
	uint8_t cpda;		/* controller PDU data alignment, 0's based dwords */
	uint32_t maxh2cdata;
	uint16_t next_cid;
	uint16_t qid;
	uint16_t cntlid;
	bool closed;		/* peer closed: EOF, RST or EPIPE seen */
	const char *close_how;
};

/* What the target did after the violation, collected by wait_close(). */
struct observed {
	bool closed;
	const char *close_how;	/* "eof", "reset", "epipe" */
	bool termreq;
	uint16_t fes;
	uint32_t fei;
	int ncqe;
	uint16_t cqe_status;	/* status field >> 1 of the last CQE */
	double elapsed;
};

static int tcp_open(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, one = 1, rc;

	rc = getaddrinfo(opt.addr, opt.port, &hints, &res);
	if (rc) {
		fprintf(stderr, "getaddrinfo %s:%s: %s\n", opt.addr, opt.port,
			gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "connect %s:%s: %s\n", opt.addr, opt.port,
			strerror(errno));
		return -1;
	}
	/* Send malformed PDUs immediately, not coalesced with what follows. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void note_close(struct conn *c, int err)
{
	c->closed = true;
	c->close_how = err == 0 ? "eof" : err == ECONNRESET ? "reset" :
		       err == EPIPE ? "epipe" : "error";
}

/* Returns 0, or -1 when the peer has gone (c->closed set) or on error. */
static int send_all(struct conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			note_close(c, errno);
			vlog("send: %s", strerror(errno));
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

enum rx { RX_OK, RX_CLOSED, RX_TIMEOUT, RX_BAD };

/* Read exactly len bytes before deadline (absolute, now_s() clock). */
static enum rx recv_exact(struct conn *c, void *buf, size_t len, double deadline)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int ms = (int)((deadline - now_s()) * 1000);
		ssize_t n;

		if (ms <= 0)
			return RX_TIMEOUT;
		if (poll(&pfd, 1, ms) == 0)
			return RX_TIMEOUT;
		n = recv(c->fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			note_close(c, n == 0 ? 0 : errno);
			return RX_CLOSED;
		}
		p += n;
		len -= (size_t)n;
	}
	return RX_OK;
}

#define RXBUF_MAX (8u << 20)

/*
 * Receive one whole PDU into buf (capacity cap). Checks the header digest
 * when the target set HDGST, so a broken target is not mistaken for a
 * protocol-conformant one.
 */
static enum rx recv_pdu(struct conn *c, uint8_t *buf, size_t cap, double deadline)
{
	struct ch *ch = (struct ch *)buf;
	uint32_t plen;
	enum rx r;

	r = recv_exact(c, buf, sizeof(*ch), deadline);
	if (r != RX_OK)
		return r;
	plen = le32toh(ch->plen);
	if (plen < sizeof(*ch) || plen > cap || ch->hlen < sizeof(*ch) ||
	    ch->hlen > plen) {
		fprintf(stderr, "target sent a bad PDU header: type %#x hlen %u plen %u\n",
			ch->type, ch->hlen, plen);
		return RX_BAD;
	}
	r = recv_exact(c, buf + sizeof(*ch), plen - sizeof(*ch), deadline);
	if (r != RX_OK)
		return r;
	if ((ch->flags & F_HDGST) && ch->type != PDU_ICRESP) {
		uint32_t d;

		if (plen < (uint32_t)ch->hlen + DIGEST_LEN)
			return RX_BAD;
		memcpy(&d, buf + ch->hlen, sizeof(d));
		if (le32toh(d) != crc32c(buf, ch->hlen)) {
			fprintf(stderr, "target sent a bad header digest (type %#x)\n",
				ch->type);
			return RX_BAD;
		}
	}
	vlog("rx type %#x flags %#x hlen %u pdo %u plen %u", ch->type,
	     ch->flags, ch->hlen, ch->pdo, plen);
	return RX_OK;
}

/*
 * Build a PDU: header (hlen bytes starting with a common header, whose type
 * and flags the caller set), then header digest, padding to PDO, data, data
 * digest, as negotiated on c. Returns the total length written to out.
 */
static size_t build_pdu(const struct conn *c, void *hdr, size_t hlen,
			const void *data, size_t dlen, uint8_t *out)
{
	struct ch *ch = hdr;
	size_t off, pdo = 0, hd = c->hdgst ? DIGEST_LEN : 0;
	uint32_t d;

	ch->hlen = (uint8_t)hlen;
	if (c->hdgst)
		ch->flags |= F_HDGST;
	if (dlen) {
		size_t align = ((size_t)c->cpda + 1) * 4;

		pdo = (hlen + hd + align - 1) / align * align;
		if (c->ddgst)
			ch->flags |= F_DDGST;
	}
	ch->pdo = (uint8_t)pdo;
	ch->plen = le32((uint32_t)(dlen ? pdo + dlen + (c->ddgst ? DIGEST_LEN : 0) :
				   hlen + hd));
	memcpy(out, hdr, hlen);
	off = hlen;
	if (c->hdgst) {
		d = le32(crc32c(out, hlen));
		memcpy(out + off, &d, sizeof(d));
		off += sizeof(d);
	}
	if (dlen) {
		memset(out + off, 0, pdo - off);
		memcpy(out + pdo, data, dlen);
		off = pdo + dlen;
		if (c->ddgst) {
			d = le32(crc32c(data, dlen));
			memcpy(out + off, &d, sizeof(d));
			off += sizeof(d);
		}
	}
	return off;
}

/* Recompute the header digest after a caller edited a built header. */
static void refresh_hdgst(const struct conn *c, uint8_t *pdu)
{
	struct ch *ch = (struct ch *)pdu;
	uint32_t d;

	if (!c->hdgst)
		return;
	d = le32(crc32c(pdu, ch->hlen));
	memcpy(pdu + ch->hlen, &d, sizeof(d));
}

static void fill_icreq(struct icreq *ic, uint8_t digest)
{
	memset(ic, 0, sizeof(*ic));
	ic->ch.type = PDU_ICREQ;
	ic->ch.hlen = sizeof(*ic);
	ic->ch.plen = le32(sizeof(*ic));
	ic->pfv = le16(0);
	ic->hpda = 0;
	ic->digest = digest;
	ic->maxr2t = le32(0);	/* 0's based: one outstanding R2T */
}

/* ICReq/ICResp exchange. Returns 0 or an EXIT_* code. */
static int ic_handshake(struct conn *c, uint8_t digest)
{
	struct icreq ic;
	uint8_t buf[256];
	struct icresp *ir = (struct icresp *)buf;

	fill_icreq(&ic, digest);
	if (send_all(c, &ic, sizeof(ic)))
		return EXIT_SETUP;
	if (recv_pdu(c, buf, sizeof(buf), now_s() + opt.timeout_ms / 1000.0) != RX_OK) {
		fprintf(stderr, "no ICResp from target%s\n",
			c->closed ? " (connection closed)" : "");
		return EXIT_SETUP;
	}
	if (ir->ch.type != PDU_ICRESP || ir->ch.hlen != sizeof(*ir) ||
	    le32toh(ir->ch.plen) != sizeof(*ir) || le16toh(ir->pfv) != 0) {
		fprintf(stderr, "bad ICResp: type %#x hlen %u plen %u pfv %u\n",
			ir->ch.type, ir->ch.hlen, le32toh(ir->ch.plen),
			le16toh(ir->pfv));
		return EXIT_SETUP;
	}
	if ((ir->digest & digest) != digest) {
		fprintf(stderr, "target refused digests %#x (got %#x)\n", digest,
			ir->digest);
		return EXIT_SETUP;
	}
	c->hdgst = ir->digest & DGST_HDR;
	c->ddgst = ir->digest & DGST_DATA;
	c->cpda = ir->cpda;
	c->maxh2cdata = le32toh(ir->maxdata);
	if (c->maxh2cdata < 4096) {
		fprintf(stderr, "ICResp MAXH2CDATA %u below the 4096 minimum\n",
			c->maxh2cdata);
		return EXIT_SETUP;
	}
	vlog("ICResp: digest %#x cpda %u maxh2cdata %u", ir->digest, c->cpda,
	     c->maxh2cdata);
	return 0;
}

static int conn_open(struct conn *c, uint8_t digest)
{
	memset(c, 0, sizeof(*c));
	c->next_cid = 1;
	c->fd = tcp_open();
	if (c->fd < 0)
		return EXIT_SETUP;
	if (digest == 0xff)	/* caller does its own (malformed) ICReq */
		return 0;
	return ic_handshake(c, digest);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* ---- commands ------------------------------------------------------------ */

static void sqe_sgl(struct sqe *s, uint8_t type, uint32_t len)
{
	s->flags = PSDT_SGL;
	s->sgl_addr = 0;
	s->sgl_len = le32(len);
	s->sgl_type = type;
}

static void fill_connect(struct conn *c, struct sqe *s, struct connect_data *d,
			 const char *subnqn, uint16_t qid, uint16_t cntlid)
{
	memset(s, 0, sizeof(*s));
	s->opcode = OPC_FABRICS;
	s->cid = le16(c->next_cid++);
	s->nsid = FCTYPE_CONNECT;	/* byte 4 is fctype */
	sqe_sgl(s, SGL_INCAPSULE, sizeof(*d));
	s->cdw10 = le32((uint32_t)qid << 16);	/* recfmt 0, qid */
	s->cdw11 = le32(31);		/* sqsize (0's based), cattr 0 */
	s->cdw12 = le32(0);		/* kato 0: no keep-alive needed */

	memset(d, 0, sizeof(*d));
	memcpy(d->hostid, opt.hostid, sizeof(d->hostid));
	d->cntlid = le16(cntlid);
	snprintf(d->subsysnqn, sizeof(d->subsysnqn), "%s", subnqn);
	snprintf(d->hostnqn, sizeof(d->hostnqn), "%s", opt.hostnqn);
}

/*
 * Wait for the CapsuleResp of cid. C2HData for it is copied into rbuf (rlen
 * bytes expected). Returns 0 and the status (>>1) in *status, or EXIT_SETUP.
 */
static int wait_rsp(struct conn *c, uint16_t cid, uint16_t *status,
		    uint64_t *result, uint8_t *rbuf, size_t rlen)
{
	static uint8_t buf[RXBUF_MAX];
	double deadline = now_s() + opt.timeout_ms / 1000.0;

	for (;;) {
		struct ch *ch = (struct ch *)buf;
		enum rx r = recv_pdu(c, buf, sizeof(buf), deadline);

		if (r != RX_OK) {
			fprintf(stderr, "no response for cid %u (%s)\n", cid,
				r == RX_TIMEOUT ? "timeout" :
				r == RX_CLOSED ? "connection closed" : "bad PDU");
			return EXIT_SETUP;
		}
		if (ch->type == PDU_RSP) {
			struct rsp_pdu *rp = (struct rsp_pdu *)buf;

			if (le16toh(rp->cqe.cid) != cid) {
				fprintf(stderr, "CQE for unexpected cid %u\n",
					le16toh(rp->cqe.cid));
				return EXIT_SETUP;
			}
			*status = le16toh(rp->cqe.status) >> 1;
			if (result)
				*result = le64toh(rp->cqe.result);
			return 0;
		}
		if (ch->type == PDU_C2H_DATA) {
			struct data_pdu *dp = (struct data_pdu *)buf;
			uint32_t off = le32toh(dp->offset), len = le32toh(dp->length);

			if (le16toh(dp->cid) != cid || !rbuf || off + len > rlen ||
			    ch->pdo + len > le32toh(ch->plen)) {
				fprintf(stderr, "unexpected C2HData cid %u off %u len %u\n",
					le16toh(dp->cid), off, len);
				return EXIT_SETUP;
			}
			if (ch->flags & F_DDGST) {
				uint32_t d;

				memcpy(&d, buf + ch->pdo + len, sizeof(d));
				if (le32toh(d) != crc32c(buf + ch->pdo, len)) {
					fprintf(stderr, "C2HData data digest mismatch\n");
					return EXIT_SETUP;
				}
			}
			memcpy(rbuf + off, buf + ch->pdo, len);
			if ((ch->flags & F_DATA_LAST) && (ch->flags & F_DATA_SUCCESS)) {
				*status = 0;	/* SUCCESS flag: no CapsuleResp follows */
				return 0;
			}
			continue;
		}
		fprintf(stderr, "unexpected PDU type %#x while waiting for cid %u\n",
			ch->type, cid);
		return EXIT_SETUP;
	}
}

/* Fabrics Connect. qid 0 creates a controller and sets c->cntlid. */
static int do_connect(struct conn *c, const char *subnqn, uint16_t qid,
		      uint16_t cntlid)
{
	static uint8_t out[2048];
	struct cmd_pdu p = { .ch.type = PDU_CMD };
	struct connect_data d;
	uint16_t status;
	uint64_t result;
	size_t n;
	int rc;

	fill_connect(c, &p.sqe, &d, subnqn, qid, cntlid);
	n = build_pdu(c, &p, sizeof(p), &d, sizeof(d), out);
	if (send_all(c, out, n))
		return EXIT_SETUP;
	rc = wait_rsp(c, le16toh(p.sqe.cid), &status, &result, NULL, 0);
	if (rc)
		return rc;
	if (status) {
		fprintf(stderr, "Connect qid %u to %s failed: status %#x\n", qid,
			subnqn, status);
		return EXIT_SETUP;
	}
	c->qid = qid;
	c->cntlid = qid ? cntlid : (uint16_t)(result & 0xffff);
	vlog("connected qid %u cntlid %u", qid, c->cntlid);
	return 0;
}

static int prop(struct conn *c, bool set, uint32_t reg, uint32_t val, uint32_t *out_val)
{
	uint8_t out[128];
	struct cmd_pdu p = { .ch.type = PDU_CMD };
	uint16_t status;
	uint64_t result;
	size_t n;
	int rc;

	p.sqe.opcode = OPC_FABRICS;
	p.sqe.cid = le16(c->next_cid++);
	p.sqe.nsid = set ? FCTYPE_PROP_SET : FCTYPE_PROP_GET;
	sqe_sgl(&p.sqe, SGL_TRANSPORT, 0);	/* null SGL, as hosts send */
	p.sqe.cdw10 = 0;		/* attrib 0: 4-byte property */
	p.sqe.cdw11 = le32(reg);	/* offset */
	p.sqe.cdw12 = le32(val);	/* value (set only) */
	n = build_pdu(c, &p, sizeof(p), NULL, 0, out);
	if (send_all(c, out, n))
		return EXIT_SETUP;
	rc = wait_rsp(c, le16toh(p.sqe.cid), &status, &result, NULL, 0);
	if (rc)
		return rc;
	if (status) {
		fprintf(stderr, "property %s %#x failed: status %#x\n",
			set ? "set" : "get", reg, status);
		return EXIT_SETUP;
	}
	if (out_val)
		*out_val = (uint32_t)result;
	return 0;
}

/* CC.EN=1 with the queue entry sizes nvmet insists on, then CSTS.RDY. */
static int enable_ctrl(struct conn *c)
{
	uint32_t csts = 0;
	int rc, i;

	rc = prop(c, true, REG_CC, (4u << 20) | (6u << 16) | 1u, NULL);
	for (i = 0; !rc && i < 50; i++) {
		rc = prop(c, false, REG_CSTS, 0, &csts);
		if (rc || (csts & 1))
			break;
		usleep(100 * 1000);
	}
	if (!rc && !(csts & 1)) {
		fprintf(stderr, "controller never became ready (CSTS %#x)\n", csts);
		rc = EXIT_SETUP;
	}
	return rc;
}

/* Identify (CNS cns) into a 4 KiB buffer, data via C2HData. */
static int identify(struct conn *c, uint32_t nsid, uint32_t cns, uint8_t *id)
{
	uint8_t out[128];
	struct cmd_pdu p = { .ch.type = PDU_CMD };
	uint16_t status;
	size_t n;
	int rc;

	p.sqe.opcode = OPC_IDENTIFY;
	p.sqe.cid = le16(c->next_cid++);
	p.sqe.nsid = le32(nsid);
	sqe_sgl(&p.sqe, SGL_TRANSPORT, 4096);
	p.sqe.cdw10 = le32(cns);
	n = build_pdu(c, &p, sizeof(p), NULL, 0, out);
	if (send_all(c, out, n))
		return EXIT_SETUP;
	rc = wait_rsp(c, le16toh(p.sqe.cid), &status, NULL, id, 4096);
	if (rc)
		return rc;
	if (status) {
		fprintf(stderr, "Identify CNS %u nsid %u failed: status %#x\n", cns,
			nsid, status);
		return EXIT_SETUP;
	}
	return 0;
}

/* A controller with one I/O queue: admin on a, I/O queue 1 on io. */
struct ioctx {
	struct conn a, io;
	uint32_t lbasize;
	uint32_t inline_max;	/* in-capsule data limit, from IOCCSZ */
	uint32_t r2t_len;	/* a write size that needs an R2T */
};

static int io_identify(struct ioctx *x)
{
	static uint8_t id[4096];
	uint32_t ioccsz;
	int rc;

	rc = identify(&x->a, 0, 1, id);		/* CNS 1: controller */
	if (rc)
		return rc;
	memcpy(&ioccsz, id + 1792, sizeof(ioccsz));
	ioccsz = le32toh(ioccsz) * 16;
	x->inline_max = ioccsz > 64 ? ioccsz - 64 : 0;
	/*
	 * Hosts send writes up to the in-capsule limit in-capsule; use one
	 * above it for R2T cases (stock nvmet-tcp waits forever for in-capsule
	 * data when a write that would fit arrives with a transport SGL).
	 */
	x->r2t_len = (x->inline_max / 4096 + 1) * 4096;
	if (x->r2t_len < 8192)
		x->r2t_len = 8192;
	rc = identify(&x->a, opt.nsid, 0, id);	/* CNS 0: namespace */
	if (rc)
		return rc;
	/* FLBAS (byte 26) picks an LBA format; LBADS is byte 2 of it (at 128). */
	x->lbasize = 1u << id[128 + 4 * (id[26] & 0xf) + 2];
	if (x->lbasize < 512 || x->lbasize > 4096) {
		fprintf(stderr, "Identify NS: LBA size %u not supported here\n",
			x->lbasize);
		return EXIT_SETUP;
	}
	vlog("inline limit %u, R2T write %u, LBA %u", x->inline_max, x->r2t_len,
	     x->lbasize);
	return 0;
}

static int io_setup(struct ioctx *x, uint8_t io_digest)
{
	int rc;

	if (!opt.subnqn) {
		fprintf(stderr, "this case needs --subnqn (an NVM subsystem with nsid %u)\n",
			opt.nsid);
		return EXIT_SETUP;
	}
	rc = conn_open(&x->a, 0);
	if (!rc)
		rc = do_connect(&x->a, opt.subnqn, 0, 0xffff);
	if (!rc)
		rc = enable_ctrl(&x->a);
	if (!rc)
		rc = io_identify(x);
	if (!rc)
		rc = conn_open(&x->io, io_digest);
	if (!rc)
		rc = do_connect(&x->io, opt.subnqn, 1, x->a.cntlid);
	return rc;
}

static void io_teardown(struct ioctx *x)
{
	conn_close(&x->io);
	conn_close(&x->a);
}

static void fill_rw(struct conn *c, struct sqe *s, uint8_t opc, uint64_t lba,
		    uint32_t len, uint32_t lbasize, uint8_t sgl_type)
{
	memset(s, 0, sizeof(*s));
	s->opcode = opc;
	s->cid = le16(c->next_cid++);
	s->nsid = le32(opt.nsid);
	sqe_sgl(s, sgl_type, len);
	s->cdw10 = le32((uint32_t)lba);
	s->cdw11 = le32((uint32_t)(lba >> 32));
	s->cdw12 = le32(len / lbasize - 1);	/* NLB, 0's based */
}

/* Send a write needing an R2T and return that R2T. */
static int write_until_r2t(struct conn *c, uint64_t lba, uint32_t len,
			   uint32_t lbasize, struct data_pdu *r2t)
{
	uint8_t out[128], buf[256];
	struct cmd_pdu p = { .ch.type = PDU_CMD };
	size_t n;

	fill_rw(c, &p.sqe, OPC_WRITE, lba, len, lbasize, SGL_TRANSPORT);
	n = build_pdu(c, &p, sizeof(p), NULL, 0, out);
	if (send_all(c, out, n))
		return EXIT_SETUP;
	if (recv_pdu(c, buf, sizeof(buf), now_s() + opt.timeout_ms / 1000.0) != RX_OK ||
	    ((struct ch *)buf)->type != PDU_R2T) {
		fprintf(stderr, "expected an R2T for the write\n");
		return EXIT_SETUP;
	}
	memcpy(r2t, buf, sizeof(*r2t));
	if (r2t->cid != p.sqe.cid || le32toh(r2t->offset) != 0 ||
	    le32toh(r2t->length) == 0 || le32toh(r2t->length) > len) {
		fprintf(stderr, "odd R2T: cid %u off %u len %u\n", le16toh(r2t->cid),
			le32toh(r2t->offset), le32toh(r2t->length));
		return EXIT_SETUP;
	}
	vlog("R2T cid %u ttag %u off %u len %u", le16toh(r2t->cid),
	     le16toh(r2t->ttag), le32toh(r2t->offset), le32toh(r2t->length));
	return 0;
}

static int send_h2c(struct conn *c, uint16_t cid, uint16_t ttag, uint32_t off,
		    const uint8_t *data, uint32_t len, bool last)
{
	static uint8_t out[RXBUF_MAX + 256];
	struct data_pdu h = { .ch.type = PDU_H2C_DATA };
	size_t n;

	if (len > RXBUF_MAX)
		return -1;
	h.ch.flags = last ? F_DATA_LAST : 0;
	h.cid = cid;
	h.ttag = ttag;
	h.offset = le32(off);
	h.length = le32(len);
	n = build_pdu(c, &h, sizeof(h), data, len, out);
	return send_all(c, out, n);
}

/* ---- waiting for the target's reaction ---------------------------------- */

/*
 * Drain whatever the target sends until it closes or the timeout expires.
 * stop_on_error_cqe: a failed command is an acceptable reaction (data digest
 * errors may be reported per command), stop waiting shortly after one.
 */
static void wait_close(struct conn *c, struct observed *o, double t0,
		       bool stop_on_error_cqe)
{
	static uint8_t buf[RXBUF_MAX];
	double deadline = t0 + opt.timeout_ms / 1000.0;

	memset(o, 0, sizeof(*o));
	while (!c->closed) {
		struct ch *ch = (struct ch *)buf;
		enum rx r = recv_pdu(c, buf, sizeof(buf), deadline);

		if (r == RX_TIMEOUT)
			break;
		if (r == RX_BAD) {
			/* Garbage after an error is still "not a clean close". */
			break;
		}
		if (r == RX_CLOSED)
			break;
		if (ch->type == PDU_C2H_TERM) {
			struct termreq *t = (struct termreq *)buf;

			o->termreq = true;
			o->fes = le16toh(t->fes);
			o->fei = le16toh(t->feil) | (uint32_t)le16toh(t->feiu) << 16;
			vlog("C2HTermReq fes %#x fei %#x", o->fes, o->fei);
		} else if (ch->type == PDU_RSP) {
			struct rsp_pdu *rp = (struct rsp_pdu *)buf;

			o->ncqe++;
			o->cqe_status = le16toh(rp->cqe.status) >> 1;
			vlog("CQE cid %u status %#x", le16toh(rp->cqe.cid),
			     o->cqe_status);
			if (stop_on_error_cqe && o->cqe_status) {
				/* Give a following close a moment to show up. */
				double grace = now_s() + 1.0;

				if (grace < deadline)
					deadline = grace;
			}
		}
	}
	o->closed = c->closed;
	o->close_how = c->close_how;
	o->elapsed = now_s() - t0;
}

static const char *case_name;

static int verdict(bool met, const char *outcome, const struct observed *o)
{
	char tr[64] = "none";

	if (o && o->termreq)
		snprintf(tr, sizeof(tr), "fes=%#x,fei=%#x", o->fes, o->fei);
	printf("badpdu: case=%s verdict=%s outcome=%s termreq=%s", case_name,
	       met ? "PASS" : "FAIL", outcome, tr);
	if (o && o->ncqe)
		printf(" cqe_status=%#x", o->cqe_status);
	if (o)
		printf(" elapsed=%.3fs", o->elapsed);
	printf("\n");
	return met ? EXIT_MET : EXIT_NOT_MET;
}

static int setup_error(const char *what)
{
	printf("badpdu: case=%s verdict=ERROR outcome=setup-failed (%s)\n",
	       case_name, what);
	return EXIT_SETUP;
}

/* The common verdict: the target must have closed the connection. */
static int expect_close(struct conn *c, double t0)
{
	struct observed o;
	char outcome[64];

	wait_close(c, &o, t0, false);
	if (o.closed) {
		snprintf(outcome, sizeof(outcome), "closed(%s)", o.close_how);
		return verdict(true, outcome, &o);
	}
	return verdict(false, o.ncqe ? "answered-and-stayed-open" : "still-open", &o);
}

/* ---- cases --------------------------------------------------------------- */

static int case_good(void)
{
	struct conn c;
	int rc;

	rc = conn_open(&c, 0);
	if (!rc)
		rc = do_connect(&c, DISC_NQN, 0, 0xffff);
	conn_close(&c);
	if (rc)
		return verdict(false, "connect-failed", NULL);
	return verdict(true, "connected", NULL);
}

/*
 * Answer the R2T(s) of a write with H2CData, respecting MAXH2CDATA, until
 * all len bytes are sent, then wait for its CapsuleResp.
 */
static int write_r2t_data(struct conn *c, const struct data_pdu *first,
			  const uint8_t *data, uint32_t len, uint16_t *status)
{
	struct data_pdu r2t = *first;
	uint8_t buf[256];
	uint32_t done = 0;

	for (;;) {
		uint32_t off = le32toh(r2t.offset), rlen = le32toh(r2t.length);
		uint32_t sent = 0;

		if (off != done || off + rlen > len) {
			fprintf(stderr, "R2T window %u+%u unexpected (done %u of %u)\n",
				off, rlen, done, len);
			return EXIT_SETUP;
		}
		while (sent < rlen) {
			uint32_t chunk = rlen - sent;

			if (chunk > c->maxh2cdata)
				chunk = c->maxh2cdata;
			if (send_h2c(c, r2t.cid, r2t.ttag, off + sent, data + off + sent,
				     chunk, sent + chunk == rlen))
				return EXIT_SETUP;
			sent += chunk;
		}
		done += rlen;
		if (done == len)
			break;
		/* The target may split the transfer over several R2Ts. */
		if (recv_pdu(c, buf, sizeof(buf), now_s() + opt.timeout_ms / 1000.0) != RX_OK ||
		    ((struct ch *)buf)->type != PDU_R2T) {
			fprintf(stderr, "expected another R2T\n");
			return EXIT_SETUP;
		}
		memcpy(&r2t, buf, sizeof(r2t));
	}
	return wait_rsp(c, le16toh(first->cid), status, NULL, NULL, 0);
}

/*
 * Positive control for the data path on a fresh I/O queue: a write through
 * R2T/H2CData, a 4 KiB in-capsule write after it, then one read of both
 * through C2HData, compared. small_r2t: an 8 KiB R2T write even if it
 * would fit in-capsule (hosts may always choose R2T).
 */
static int good_io(uint8_t digest, bool small_r2t)
{
	static uint8_t out[16384];
	struct ioctx x = { .a.fd = -1, .io.fd = -1 };
	struct data_pdu r2t;
	struct cmd_pdu p = { .ch.type = PDU_CMD };
	uint8_t *wbuf = NULL, *rbuf = NULL;
	uint32_t bs, len, total;
	uint16_t status = 0;
	size_t n;
	int rc;

	if (!opt.subnqn)
		return setup_error("needs --subnqn");
	rc = io_setup(&x, digest);
	if (rc)
		goto out;
	bs = x.lbasize;
	len = small_r2t ? 8192 : x.r2t_len;
	total = len + (x.inline_max >= 4096 ? 4096 : 0);
	wbuf = malloc(total);
	rbuf = calloc(1, total);
	if (!wbuf || !rbuf) {
		rc = EXIT_SETUP;
		goto out;
	}
	for (size_t i = 0; i < total; i++)
		wbuf[i] = (uint8_t)(rand() >> 4);

	rc = write_until_r2t(&x.io, 0, len, bs, &r2t);
	if (!rc)
		rc = write_r2t_data(&x.io, &r2t, wbuf, len, &status);
	if (!rc && status) {
		fprintf(stderr, "R2T write failed: status %#x\n", status);
		rc = EXIT_NOT_MET;
	}
	if (!rc && total > len) {
		fill_rw(&x.io, &p.sqe, OPC_WRITE, len / bs, 4096, bs, SGL_INCAPSULE);
		n = build_pdu(&x.io, &p, sizeof(p), wbuf + len, 4096, out);
		if (send_all(&x.io, out, n))
			rc = EXIT_SETUP;
		if (!rc)
			rc = wait_rsp(&x.io, le16toh(p.sqe.cid), &status, NULL, NULL, 0);
		if (!rc && status) {
			fprintf(stderr, "in-capsule write failed: status %#x\n", status);
			rc = EXIT_NOT_MET;
		}
	}
	if (!rc) {
		memset(&p, 0, sizeof(p));
		p.ch.type = PDU_CMD;
		fill_rw(&x.io, &p.sqe, OPC_READ, 0, total, bs, SGL_TRANSPORT);
		n = build_pdu(&x.io, &p, sizeof(p), NULL, 0, out);
		if (send_all(&x.io, out, n))
			rc = EXIT_SETUP;
	}
	if (!rc)
		rc = wait_rsp(&x.io, le16toh(p.sqe.cid), &status, NULL, rbuf, total);
	if (!rc && status) {
		fprintf(stderr, "read failed: status %#x\n", status);
		rc = EXIT_NOT_MET;
	}
	if (!rc && memcmp(wbuf, rbuf, total)) {
		fprintf(stderr, "read data differs from written data\n");
		rc = EXIT_NOT_MET;
	}
out:
	free(wbuf);
	free(rbuf);
	io_teardown(&x);
	/* Any failure of a positive control means the target is unhealthy. */
	if (rc)
		return verdict(false, "io-failed", NULL);
	return verdict(true, "io-verified", NULL);
}

static int case_good_io(void) { return good_io(DGST_HDR | DGST_DATA, false); }
static int case_good_small_r2t(void) { return good_io(0, true); }

static int case_short_header(void)
{
	struct conn c;
	struct icreq ic;
	double t0;

	if (conn_open(&c, 0xff))
		return setup_error("connect");
	fill_icreq(&ic, 0);
	t0 = now_s();
	/* Half a common header, then FIN: the PDU can never complete. */
	if (!send_all(&c, &ic, 4))
		shutdown(c.fd, SHUT_WR);
	return expect_close(&c, t0);
}

/* An ICReq with one field broken, sent as the first PDU. */
static int bad_icreq(void (*mangle)(struct icreq *))
{
	struct conn c;
	struct icreq ic;
	double t0;

	if (conn_open(&c, 0xff))
		return setup_error("connect");
	fill_icreq(&ic, 0);
	mangle(&ic);
	t0 = now_s();
	send_all(&c, &ic, sizeof(ic));
	return expect_close(&c, t0);
}

static void m_pfv(struct icreq *ic) { ic->pfv = le16(1); }
static void m_hpda(struct icreq *ic) { ic->hpda = 32; }	/* valid: 0..31 */
static void m_icplen(struct icreq *ic) { ic->ch.plen = le32(132); }
static void m_ichlen(struct icreq *ic) { ic->ch.hlen = 64; }
static int case_bad_pfv(void) { return bad_icreq(m_pfv); }
static int case_bad_hpda(void) { return bad_icreq(m_hpda); }
static int case_icreq_bad_plen(void) { return bad_icreq(m_icplen); }
static int case_icreq_bad_hlen(void) { return bad_icreq(m_ichlen); }

/* Build an admin-queue Connect capsule (with its 1 KiB in-capsule data). */
static size_t connect_pdu(struct conn *c, uint8_t *out)
{
	struct cmd_pdu p = { .ch.type = PDU_CMD };
	struct connect_data d;

	fill_connect(c, &p.sqe, &d, DISC_NQN, 0, 0xffff);
	return build_pdu(c, &p, sizeof(p), &d, sizeof(d), out);
}

static int case_capsule_before_icreq(void)
{
	static uint8_t out[2048];
	struct conn c;
	size_t n;
	double t0;

	if (conn_open(&c, 0xff))
		return setup_error("connect");
	n = connect_pdu(&c, out);
	t0 = now_s();
	send_all(&c, out, n);
	return expect_close(&c, t0);
}

static int case_second_icreq(void)
{
	struct conn c;
	struct icreq ic;
	double t0;

	if (conn_open(&c, 0))
		return setup_error("icreq");
	fill_icreq(&ic, 0);
	t0 = now_s();
	send_all(&c, &ic, sizeof(ic));
	return expect_close(&c, t0);
}

/* After a good ICReq: a Connect capsule whose header is then edited. */
static int bad_capsule(uint8_t digest, void (*mangle)(struct conn *, uint8_t *, size_t))
{
	static uint8_t out[2048];
	struct conn c;
	size_t n;
	double t0;

	if (conn_open(&c, digest))
		return setup_error("icreq");
	n = connect_pdu(&c, out);
	mangle(&c, out, n);
	t0 = now_s();
	send_all(&c, out, n);
	return expect_close(&c, t0);
}

static void m_hlen(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)c; (void)n;
	((struct ch *)pdu)->hlen = 64;		/* CapsuleCmd must be 72 */
}

static void m_type(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)n;
	((struct ch *)pdu)->type = 0x0c;	/* reserved PDU type */
	refresh_hdgst(c, pdu);	/* keep this the only error */
}

static void m_c2h_type(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)n;
	((struct ch *)pdu)->type = PDU_RSP;	/* controller-to-host only */
	refresh_hdgst(c, pdu);	/* keep this the only error */
}

static void m_plen_huge(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)n;
	((struct ch *)pdu)->plen = le32(0xffffffffu);
	refresh_hdgst(c, pdu);	/* keep this the only error */
}

static void m_plen_short(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)n;
	((struct ch *)pdu)->plen = le32(sizeof(struct ch));	/* < hlen */
	refresh_hdgst(c, pdu);	/* keep this the only error */
}

static void m_hdgst(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)c; (void)n;
	pdu[((struct ch *)pdu)->hlen] ^= 0x5a;	/* first byte of HDGST */
}

static void m_ddgst(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)c;
	pdu[n - 1] ^= 0x5a;			/* last byte of DDGST */
}

static int case_hlen_mismatch(void) { return bad_capsule(0, m_hlen); }
static int case_unknown_type(void) { return bad_capsule(0, m_type); }
static int case_wrong_direction(void) { return bad_capsule(0, m_c2h_type); }
static int case_oversized_plen(void) { return bad_capsule(0, m_plen_huge); }
static int case_short_plen(void) { return bad_capsule(0, m_plen_short); }
static int case_bad_hdr_digest(void) { return bad_capsule(DGST_HDR, m_hdgst); }

/* A data digest error may be reported per command or end the connection. */
static int case_bad_data_digest(void)
{
	static uint8_t out[2048];
	struct conn c;
	struct observed o;
	char outcome[64];
	size_t n;
	double t0;

	if (conn_open(&c, DGST_DATA))
		return setup_error("icreq");
	n = connect_pdu(&c, out);
	m_ddgst(&c, out, n);
	t0 = now_s();
	send_all(&c, out, n);
	wait_close(&c, &o, t0, true);
	if (o.closed) {
		snprintf(outcome, sizeof(outcome), "closed(%s)", o.close_how);
		return verdict(true, outcome, &o);
	}
	if (o.ncqe && o.cqe_status)
		return verdict(true, "command-failed", &o);
	return verdict(false, o.ncqe ? "command-succeeded" : "still-open", &o);
}

static int case_h2c_term(void)
{
	uint8_t out[64];
	struct termreq t = { .ch.type = PDU_H2C_TERM };
	struct conn c;
	size_t n;
	double t0;

	if (conn_open(&c, 0))
		return setup_error("icreq");
	t.fes = le16(0x01);		/* Invalid PDU Header Field */
	n = build_pdu(&c, &t, sizeof(t), NULL, 0, out);
	t0 = now_s();
	send_all(&c, out, n);
	return expect_close(&c, t0);
}

/* H2CData on a live admin queue for a transfer tag nobody asked for. */
static int stray_h2c(uint16_t ttag)
{
	static uint8_t data[512];
	struct conn c;
	double t0;
	int rc;

	rc = conn_open(&c, 0);
	if (!rc)
		rc = do_connect(&c, DISC_NQN, 0, 0xffff);
	if (rc)
		return setup_error("admin connect");
	t0 = now_s();
	send_h2c(&c, le16(0xabcd), le16(ttag), 0, data, sizeof(data), true);
	return expect_close(&c, t0);
}

static int case_unknown_tag_data(void) { return stray_h2c(0xfffe); }
static int case_idle_tag_data(void) { return stray_h2c(0); }

/* Write on an I/O queue; answer its R2T with data outside the window. */
static int h2c_vs_r2t(bool overrun)
{
	struct ioctx x = { .a.fd = -1, .io.fd = -1 };
	struct data_pdu r2t;
	uint8_t *data;
	uint32_t off, len;
	double t0;
	int rc;

	rc = io_setup(&x, 0);
	if (!rc)
		rc = write_until_r2t(&x.io, 0, x.r2t_len, x.lbasize, &r2t);
	if (rc) {
		io_teardown(&x);
		return setup_error("io queue write");
	}
	if (overrun) {
		off = le32toh(r2t.offset);	/* right start, too long */
		len = le32toh(r2t.length) + 4096;
	} else {
		off = le32toh(r2t.offset) + le32toh(r2t.length);	/* past the window */
		len = 4096;
	}
	data = calloc(1, len);
	if (!data) {
		io_teardown(&x);
		return setup_error("out of memory");
	}
	t0 = now_s();
	send_h2c(&x.io, r2t.cid, r2t.ttag, off, data, len, true);
	rc = expect_close(&x.io, t0);
	free(data);
	io_teardown(&x);
	return rc;
}

static int case_h2cdata_outside_r2t(void) { return h2c_vs_r2t(false); }
static int case_h2cdata_overrun(void) { return h2c_vs_r2t(true); }

static const struct tcase {
	const char *name;
	int (*fn)(void);
	const char *what;
} cases[] = {
	{ "good", case_good, "positive control: ICReq + admin Connect to the discovery subsystem" },
	{ "good-io", case_good_io, "positive control: I/O queue with digests, R2T write, in-capsule write, read back (needs --subnqn)" },
	{ "good-small-r2t", case_good_small_r2t, "8 KiB write by R2T although it would fit in-capsule (needs --subnqn)" },
	{ "short-header", case_short_header, "4 bytes of a header, then FIN" },
	{ "bad-pfv", case_bad_pfv, "ICReq PFV 1" },
	{ "bad-hpda", case_bad_hpda, "ICReq HPDA 32 (reserved, max is 31)" },
	{ "icreq-bad-plen", case_icreq_bad_plen, "ICReq PLEN 132" },
	{ "icreq-bad-hlen", case_icreq_bad_hlen, "ICReq HLEN 64" },
	{ "capsule-before-icreq", case_capsule_before_icreq, "CapsuleCmd as first PDU" },
	{ "second-icreq", case_second_icreq, "a second ICReq after ICResp" },
	{ "hlen-mismatch", case_hlen_mismatch, "CapsuleCmd HLEN 64" },
	{ "unknown-type", case_unknown_type, "PDU type 0x0c" },
	{ "wrong-direction", case_wrong_direction, "CapsuleResp sent host to controller" },
	{ "oversized-plen", case_oversized_plen, "CapsuleCmd PLEN 0xffffffff" },
	{ "short-plen", case_short_plen, "CapsuleCmd PLEN 8 (< HLEN)" },
	{ "bad-hdr-digest", case_bad_hdr_digest, "HDGST negotiated, CapsuleCmd with wrong HDGST" },
	{ "bad-data-digest", case_bad_data_digest, "DDGST negotiated, in-capsule data with wrong DDGST (close or failed command)" },
	{ "h2c-term", case_h2c_term, "host sends H2CTermReq" },
	{ "unknown-tag-data", case_unknown_tag_data, "H2CData for TTAG 0xfffe on a live admin queue" },
	{ "idle-tag-data", case_idle_tag_data, "H2CData for TTAG 0 that has no R2T" },
	{ "h2cdata-outside-r2t", case_h2cdata_outside_r2t, "H2CData offset past the R2T window (needs --subnqn)" },
	{ "h2cdata-overrun", case_h2cdata_overrun, "H2CData longer than the R2T window (needs --subnqn)" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvme_tcp_badpdu --addr ADDR [--port PORT] --case NAME\n"
		"         [--subnqn NQN] [--nsid N] [--hostnqn NQN] [--timeout SEC] [-v]\n"
		"       nvme_tcp_badpdu --list\n"
		"Exit: 0 expectation met, 1 not met, 2 usage or setup error.\n");
}

static void make_host_identity(void)
{
	int fd = open("/dev/urandom", O_RDONLY);
	uint8_t *u = opt.hostid;

	if (fd < 0 || read(fd, u, 16) != 16) {
		for (int i = 0; i < 16; i++)
			u[i] = (uint8_t)rand();
	}
	if (fd >= 0)
		close(fd);
	u[6] = (u[6] & 0x0f) | 0x40;	/* UUID v4 */
	u[8] = (u[8] & 0x3f) | 0x80;
	if (opt.hostnqn[0])
		return;
	snprintf(opt.hostnqn, sizeof(opt.hostnqn),
		 "nqn.2014-08.org.nvmexpress:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "case", required_argument, NULL, 'c' },
		{ "subnqn", required_argument, NULL, 's' },
		{ "hostnqn", required_argument, NULL, 'H' },
		{ "nsid", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *name = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "a:p:c:s:H:n:t:lvh", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = optarg; break;
		case 'c': name = optarg; break;
		case 's': opt.subnqn = optarg; break;
		case 'H': snprintf(opt.hostnqn, sizeof(opt.hostnqn), "%s", optarg); break;
		case 'n': opt.nsid = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': opt.timeout_ms = (int)(atof(optarg) * 1000); break;
		case 'v': opt.verbose = true; break;
		case 'l':
			for (size_t i = 0; i < NCASES; i++)
				printf("%-22s %s\n", cases[i].name, cases[i].what);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_SETUP;
		}
	}
	if (!opt.addr || !name || optind != argc || opt.timeout_ms <= 0) {
		usage(stderr);
		return EXIT_SETUP;
	}
	crc32c_init();
	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	make_host_identity();
	for (size_t i = 0; i < NCASES; i++) {
		if (strcmp(cases[i].name, name))
			continue;
		case_name = name;
		return cases[i].fn();
	}
	fprintf(stderr, "unknown case '%s' (see --list)\n", name);
	return EXIT_SETUP;
}
