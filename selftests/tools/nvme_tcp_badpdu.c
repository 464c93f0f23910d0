// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_tcp_badpdu - raw-socket NVMe/TCP host that sends malformed PDUs.
 *
 * Written from the NVMe/TCP transport binding (TP 8000, NVMe-oF 1.1 and
 * NVMe TCP Transport Specification 1.0). <linux/nvme-tcp.h> and
 * <linux/nvme.h> are not uapi: the wire structures and the host's side of
 * the connection come from tcp_wire.h (on the project's PDU codec).
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

#include "monotime.h"
#include "offload_state.h"
#include "tcp_wire.h"
#include "vlog.h"

#define EXIT_MET	0
#define EXIT_NOT_MET	1
#define EXIT_SETUP	2

/* ---- options ---------------------------------------------------------------- */

static struct {
	const char *addr;
	const char *port;
	const char *subnqn;
	uint32_t nsid;
	int timeout_ms;
	int settle_ms;	/* pause after the I/O queue's Connect (offload) */
	bool want_offloaded;	/* wait for the I/O queue to be offloaded */
} opt = {
	.port = "4420",
	.nsid = 1,
	.timeout_ms = 5000,
};

static struct tw_host host;

/* ---- connection ---------------------------------------------------------- */

struct conn {
	int fd;
	struct tw_link l;	/* negotiated digests, CPDA, MAXH2CDATA */
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

static void note_close(struct conn *c, int err)
{
	c->closed = true;
	c->close_how = err == 0 ? "eof" : err == ECONNRESET ? "reset" :
		       err == EPIPE ? "epipe" : "error";
}

/* Returns 0, or -1 when the peer has gone (c->closed set) or on error. */
static int send_all(struct conn *c, const void *buf, size_t len)
{
	int err;

	if (tw_send_all(c->fd, buf, len, opt.timeout_ms, &err) == len)
		return 0;
	note_close(c, err);
	vlog("send: %s", strerror(err));
	return -1;
}

/* Read exactly len bytes before deadline (absolute, now_s() clock). */
static enum tw_rx recv_exact(struct conn *c, void *buf, size_t len, double deadline)
{
	enum tw_rx r;
	int err;

	r = tw_recv_exact(c->fd, buf, len, deadline, &err);
	if (r == TW_RX_CLOSED)
		note_close(c, err);
	return r;
}

#define RXBUF_MAX (8u << 20)

/*
 * Receive one whole PDU into buf (capacity cap). Checks the header digest
 * when the target set HDGST, so a broken target is not mistaken for a
 * protocol-conformant one.
 */
static enum tw_rx recv_pdu(struct conn *c, uint8_t *buf, size_t cap, double deadline)
{
	struct nvo_pdu_common *ch = (struct nvo_pdu_common *)buf;
	uint32_t plen;
	enum tw_rx r;

	r = recv_exact(c, buf, sizeof(*ch), deadline);
	if (r != TW_RX_OK)
		return r;
	plen = le32toh(ch->plen);
	if (plen < sizeof(*ch) || plen > cap || ch->hlen < sizeof(*ch) ||
	    ch->hlen > plen) {
		fprintf(stderr, "target sent a bad PDU header: type %#x hlen %u plen %u\n",
			ch->type, ch->hlen, plen);
		return TW_RX_BAD;
	}
	r = recv_exact(c, buf + sizeof(*ch), plen - sizeof(*ch), deadline);
	if (r != TW_RX_OK)
		return r;
	if ((ch->flags & NVO_F_HDGST) && ch->type != NVO_PDU_ICRESP) {
		if (plen < (uint32_t)ch->hlen + NVO_DIGEST_LEN)
			return TW_RX_BAD;
		if (!nvo_pdu_hdgst_ok(buf, ch->hlen)) {
			fprintf(stderr, "target sent a bad header digest (type %#x)\n",
				ch->type);
			return TW_RX_BAD;
		}
	}
	vlog("rx type %#x flags %#x hlen %u pdo %u plen %u", ch->type,
	     ch->flags, ch->hlen, ch->pdo, plen);
	return TW_RX_OK;
}

/* ICReq/ICResp exchange. Returns 0 or an EXIT_* code. */
static int ic_handshake(struct conn *c, uint8_t digest)
{
	struct nvo_pdu_icreq ic;
	uint8_t buf[256];
	struct nvo_pdu_icresp *ir = (struct nvo_pdu_icresp *)buf;

	tw_fill_icreq(&ic, digest, 0);
	if (send_all(c, &ic, sizeof(ic)))
		return EXIT_SETUP;
	if (recv_pdu(c, buf, sizeof(buf), now_s() + opt.timeout_ms / 1000.0) != TW_RX_OK) {
		fprintf(stderr, "no ICResp from target%s\n",
			c->closed ? " (connection closed)" : "");
		return EXIT_SETUP;
	}
	if (!tw_icresp_ok(ir) || le16toh(ir->pfv) != 0) {
		fprintf(stderr, "bad ICResp: type %#x hlen %u plen %u pfv %u\n",
			ir->hdr.type, ir->hdr.hlen, le32toh(ir->hdr.plen),
			le16toh(ir->pfv));
		return EXIT_SETUP;
	}
	if ((ir->digest & digest) != digest) {
		fprintf(stderr, "target refused digests %#x (got %#x)\n", digest,
			ir->digest);
		return EXIT_SETUP;
	}
	tw_link_from_icresp(&c->l, ir);
	if (c->l.maxh2cdata < 4096) {
		fprintf(stderr, "ICResp MAXH2CDATA %u below the 4096 minimum\n",
			c->l.maxh2cdata);
		return EXIT_SETUP;
	}
	vlog("ICResp: digest %#x cpda %u maxh2cdata %u", ir->digest, c->l.cpda,
	     c->l.maxh2cdata);
	return 0;
}

static int conn_open(struct conn *c, uint8_t digest)
{
	memset(c, 0, sizeof(*c));
	c->next_cid = 1;
	/* Send malformed PDUs immediately, not coalesced with what follows. */
	c->fd = tw_tcp_connect(opt.addr, opt.port);
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
		struct nvo_pdu_common *ch = (struct nvo_pdu_common *)buf;
		enum tw_rx r = recv_pdu(c, buf, sizeof(buf), deadline);

		if (r != TW_RX_OK) {
			fprintf(stderr, "no response for cid %u (%s)\n", cid,
				r == TW_RX_TIMEOUT ? "timeout" :
				r == TW_RX_CLOSED ? "connection closed" : "bad PDU");
			return EXIT_SETUP;
		}
		if (ch->type == NVO_PDU_RSP) {
			struct tw_rsp_pdu *rp = (struct tw_rsp_pdu *)buf;

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
		if (ch->type == NVO_PDU_C2H_DATA) {
			struct nvo_pdu_data *dp = (struct nvo_pdu_data *)buf;
			uint32_t off = le32toh(dp->offset), len = le32toh(dp->length);

			if (le16toh(dp->cccid) != cid || !rbuf || off + len > rlen ||
			    ch->pdo + len > le32toh(ch->plen)) {
				fprintf(stderr, "unexpected C2HData cid %u off %u len %u\n",
					le16toh(dp->cccid), off, len);
				return EXIT_SETUP;
			}
			if (ch->flags & NVO_F_DDGST) {
				uint32_t d;

				memcpy(&d, buf + ch->pdo + len, sizeof(d));
				if (le32toh(d) != tw_digest(buf + ch->pdo, len)) {
					fprintf(stderr, "C2HData data digest mismatch\n");
					return EXIT_SETUP;
				}
			}
			memcpy(rbuf + off, buf + ch->pdo, len);
			if ((ch->flags & NVO_F_DATA_LAST) && (ch->flags & NVO_F_DATA_SUCCESS)) {
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

/*
 * Send the capsule p (its SQE filled in), dlen bytes of data in-capsule,
 * and wait for its response as wait_rsp() does.
 */
static int run_cmd(struct conn *c, struct tw_cmd_pdu *p, const void *data,
		   uint32_t dlen, uint16_t *status, uint64_t *result,
		   uint8_t *rbuf, size_t rlen)
{
	static uint8_t out[(128u << 10) + 256];
	size_t n;

	if (dlen > sizeof(out) - 256)
		return EXIT_SETUP;
	memset(&p->hdr, 0, sizeof(p->hdr));
	p->hdr.type = NVO_PDU_CMD;
	n = tw_build_pdu(&c->l, p, sizeof(*p), data, dlen, out);
	if (send_all(c, out, n))
		return EXIT_SETUP;
	return wait_rsp(c, le16toh(p->sqe.cid), status, result, rbuf, rlen);
}

/* Fabrics Connect. qid 0 creates a controller and sets c->cntlid. */
static int do_connect(struct conn *c, const char *subnqn, uint16_t qid,
		      uint16_t cntlid)
{
	struct tw_cmd_pdu p;
	struct connect_data d;
	uint16_t status;
	uint64_t result;
	int rc;

	tw_fill_connect(&p.sqe, &d, c->next_cid++, &host, subnqn, qid, cntlid, 31);
	rc = run_cmd(c, &p, &d, sizeof(d), &status, &result, NULL, 0);
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
	struct tw_cmd_pdu p;
	uint16_t status;
	uint64_t result;
	int rc;

	tw_fill_prop(&p.sqe, c->next_cid++, set, reg, false, val);
	rc = run_cmd(c, &p, NULL, 0, &status, &result, NULL, 0);
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

	rc = prop(c, true, REG_CC, CC_ENABLE, NULL);
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
	struct tw_cmd_pdu p;
	uint16_t status;
	int rc;

	tw_fill_identify(&p.sqe, c->next_cid++, nsid, cns);
	rc = run_cmd(c, &p, NULL, 0, &status, NULL, id, 4096);
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
	int rc;

	rc = identify(&x->a, 0, 1, id);		/* CNS 1: controller */
	if (rc)
		return rc;
	x->inline_max = tw_id_inline_max(id);
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
	x->lbasize = 1u << tw_id_lbads(id);
	if (x->lbasize < 512 || x->lbasize > 4096) {
		fprintf(stderr, "Identify NS: LBA size %u not supported here\n",
			x->lbasize);
		return EXIT_SETUP;
	}
	vlog("inline limit %u, R2T write %u, LBA %u", x->inline_max, x->r2t_len,
	     x->lbasize);
	return 0;
}

/*
 * --offloaded: wait until nvmet_offload's debugfs lists queue (cntlid, qid)
 * as offloaded (columns 3, 4 and 16 of its "queues" file), so that the case
 * runs against the device's engine, not the software path.
 */
static int wait_offloaded(uint16_t cntlid, uint16_t qid)
{
	double deadline = now_s() + opt.timeout_ms / 1000.0;
	char state[32] = "?";

	for (;;) {
		int rc = nvo_queue_ostate(cntlid, qid, state, sizeof(state));

		if (rc < 0 && rc != -ENOENT) {
			fprintf(stderr, "%s: %s\n", NVO_QUEUES_DEBUGFS, strerror(-rc));
			return EXIT_SETUP;
		}
		if (!strcmp(state, "offloaded")) {
			vlog("queue cntlid %u qid %u offloaded", cntlid, qid);
			return 0;
		}
		if (now_s() > deadline) {
			fprintf(stderr, "I/O queue (cntlid %u qid %u) not offloaded: %s\n",
				cntlid, qid, state);
			return EXIT_SETUP;
		}
		usleep(20000);
	}
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
	if (!rc && opt.want_offloaded)
		rc = wait_offloaded(x->a.cntlid, 1);
	/* Let a port's offload policy hand the new I/O queue over first. */
	if (!rc && opt.settle_ms > 0) {
		struct timespec ts = { opt.settle_ms / 1000,
				       (opt.settle_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	return rc;
}

static void io_teardown(struct ioctx *x)
{
	conn_close(&x->io);
	conn_close(&x->a);
}

/* Send a write needing an R2T and return that R2T. */
static int write_until_r2t(struct conn *c, uint64_t lba, uint32_t len,
			   uint32_t lbasize, struct nvo_pdu_data *r2t)
{
	uint8_t out[128], buf[256];
	struct tw_cmd_pdu p = { .hdr.type = NVO_PDU_CMD };
	size_t n;

	tw_fill_rw(&p.sqe, c->next_cid++, OPC_WRITE, opt.nsid, lba, len, lbasize,
		   SGL_TRANSPORT);
	n = tw_build_pdu(&c->l, &p, sizeof(p), NULL, 0, out);
	if (send_all(c, out, n))
		return EXIT_SETUP;
	if (recv_pdu(c, buf, sizeof(buf), now_s() + opt.timeout_ms / 1000.0) != TW_RX_OK ||
	    ((struct nvo_pdu_common *)buf)->type != NVO_PDU_R2T) {
		fprintf(stderr, "expected an R2T for the write\n");
		return EXIT_SETUP;
	}
	memcpy(r2t, buf, sizeof(*r2t));
	if (r2t->cccid != p.sqe.cid || le32toh(r2t->offset) != 0 ||
	    le32toh(r2t->length) == 0 || le32toh(r2t->length) > len) {
		fprintf(stderr, "odd R2T: cid %u off %u len %u\n", le16toh(r2t->cccid),
			le32toh(r2t->offset), le32toh(r2t->length));
		return EXIT_SETUP;
	}
	vlog("R2T cid %u ttag %u off %u len %u", le16toh(r2t->cccid),
	     le16toh(r2t->ttag), le32toh(r2t->offset), le32toh(r2t->length));
	return 0;
}

static int send_h2c(struct conn *c, uint16_t cid, uint16_t ttag, uint32_t off,
		    const uint8_t *data, uint32_t len, bool last)
{
	static uint8_t out[RXBUF_MAX + 256];
	struct nvo_pdu_data h = { .hdr.type = NVO_PDU_H2C_DATA };
	size_t n;

	if (len > RXBUF_MAX)
		return -1;
	h.hdr.flags = last ? NVO_F_DATA_LAST : 0;
	h.cccid = cid;
	h.ttag = ttag;
	h.offset = cpu_to_le32(off);
	h.length = cpu_to_le32(len);
	n = tw_build_pdu(&c->l, &h, sizeof(h), data, len, out);
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
		struct nvo_pdu_common *ch = (struct nvo_pdu_common *)buf;
		enum tw_rx r = recv_pdu(c, buf, sizeof(buf), deadline);

		if (r == TW_RX_TIMEOUT)
			break;
		if (r == TW_RX_BAD) {
			/* Garbage after an error is still "not a clean close". */
			break;
		}
		if (r == TW_RX_CLOSED)
			break;
		if (ch->type == NVO_PDU_C2H_TERM) {
			struct nvo_pdu_term *t = (struct nvo_pdu_term *)buf;

			o->termreq = true;
			o->fes = le16toh(t->fes);
			o->fei = get_unaligned_le32(t->fei);
			vlog("C2HTermReq fes %#x fei %#x", o->fes, o->fei);
		} else if (ch->type == NVO_PDU_RSP) {
			struct tw_rsp_pdu *rp = (struct tw_rsp_pdu *)buf;

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
static int write_r2t_data(struct conn *c, const struct nvo_pdu_data *first,
			  const uint8_t *data, uint32_t len, uint16_t *status)
{
	struct nvo_pdu_data r2t = *first;
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

			if (chunk > c->l.maxh2cdata)
				chunk = c->l.maxh2cdata;
			if (send_h2c(c, r2t.cccid, r2t.ttag, off + sent, data + off + sent,
				     chunk, sent + chunk == rlen))
				return EXIT_SETUP;
			sent += chunk;
		}
		done += rlen;
		if (done == len)
			break;
		/* The target may split the transfer over several R2Ts. */
		if (recv_pdu(c, buf, sizeof(buf), now_s() + opt.timeout_ms / 1000.0) != TW_RX_OK ||
		    ((struct nvo_pdu_common *)buf)->type != NVO_PDU_R2T) {
			fprintf(stderr, "expected another R2T\n");
			return EXIT_SETUP;
		}
		memcpy(&r2t, buf, sizeof(r2t));
	}
	return wait_rsp(c, le16toh(first->cccid), status, NULL, NULL, 0);
}

/*
 * Positive control for the data path on a fresh I/O queue: a write through
 * R2T/H2CData, a 4 KiB in-capsule write after it, then one read of both
 * through C2HData, compared. small_r2t: an 8 KiB R2T write even if it
 * would fit in-capsule (hosts may always choose R2T).
 */
static int good_io(uint8_t digest, bool small_r2t)
{
	struct ioctx x = { .a.fd = -1, .io.fd = -1 };
	struct nvo_pdu_data r2t;
	struct tw_cmd_pdu p;
	uint8_t *wbuf = NULL, *rbuf = NULL;
	uint32_t bs, len, total;
	uint16_t status = 0;
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
		tw_fill_rw(&p.sqe, x.io.next_cid++, OPC_WRITE, opt.nsid, len / bs, 4096,
			   bs, SGL_INCAPSULE);
		rc = run_cmd(&x.io, &p, wbuf + len, 4096, &status, NULL, NULL, 0);
		if (!rc && status) {
			fprintf(stderr, "in-capsule write failed: status %#x\n", status);
			rc = EXIT_NOT_MET;
		}
	}
	if (!rc) {
		tw_fill_rw(&p.sqe, x.io.next_cid++, OPC_READ, opt.nsid, 0, total, bs,
			   SGL_TRANSPORT);
		rc = run_cmd(&x.io, &p, NULL, 0, &status, NULL, rbuf, total);
	}
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

static int case_good_io(void) { return good_io(NVO_F_HDGST | NVO_F_DDGST, false); }
static int case_good_small_r2t(void) { return good_io(0, true); }

/* Send a violation built beforehand; the target must close the connection. */
static int send_expect_close(struct conn *c, const void *buf, size_t len)
{
	double t0 = now_s();

	send_all(c, buf, len);
	return expect_close(c, t0);
}

static int case_short_header(void)
{
	struct conn c;
	struct nvo_pdu_icreq ic;
	double t0;

	if (conn_open(&c, 0xff))
		return setup_error("connect");
	tw_fill_icreq(&ic, 0, 0);
	t0 = now_s();
	/* Half a common header, then FIN: the PDU can never complete. */
	if (!send_all(&c, &ic, 4))
		shutdown(c.fd, SHUT_WR);
	return expect_close(&c, t0);
}

/*
 * An ICReq, one field broken by mangle: as the first PDU (digest 0xff), or
 * as a second ICReq after a good exchange (then mangle may be NULL).
 */
static int send_icreq(uint8_t digest, void (*mangle)(struct nvo_pdu_icreq *))
{
	struct conn c;
	struct nvo_pdu_icreq ic;

	if (conn_open(&c, digest))
		return setup_error(digest == 0xff ? "connect" : "icreq");
	tw_fill_icreq(&ic, 0, 0);
	if (mangle)
		mangle(&ic);
	return send_expect_close(&c, &ic, sizeof(ic));
}

static void m_pfv(struct nvo_pdu_icreq *ic) { ic->pfv = cpu_to_le16(1); }
static void m_hpda(struct nvo_pdu_icreq *ic) { ic->hpda = 32; }	/* valid: 0..31 */
static void m_icplen(struct nvo_pdu_icreq *ic) { ic->hdr.plen = cpu_to_le32(132); }
static void m_ichlen(struct nvo_pdu_icreq *ic) { ic->hdr.hlen = 64; }
static int case_bad_pfv(void) { return send_icreq(0xff, m_pfv); }
static int case_bad_hpda(void) { return send_icreq(0xff, m_hpda); }
static int case_icreq_bad_plen(void) { return send_icreq(0xff, m_icplen); }
static int case_icreq_bad_hlen(void) { return send_icreq(0xff, m_ichlen); }
static int case_second_icreq(void) { return send_icreq(0, NULL); }

/* Build an admin-queue Connect capsule (with its 1 KiB in-capsule data). */
static size_t connect_pdu(struct conn *c, uint8_t *out)
{
	struct tw_cmd_pdu p = { .hdr.type = NVO_PDU_CMD };
	struct connect_data d;

	tw_fill_connect(&p.sqe, &d, c->next_cid++, &host, DISC_NQN, 0, 0xffff, 31);
	return tw_build_pdu(&c->l, &p, sizeof(p), &d, sizeof(d), out);
}

/*
 * A Connect capsule whose header mangle then edits (if given): as the
 * first PDU (digest 0xff), or after a good ICReq with these digests.
 */
static int send_capsule(uint8_t digest,
			void (*mangle)(struct conn *, uint8_t *, size_t))
{
	static uint8_t out[2048];
	struct conn c;
	size_t n;

	if (conn_open(&c, digest))
		return setup_error(digest == 0xff ? "connect" : "icreq");
	n = connect_pdu(&c, out);
	if (mangle)
		mangle(&c, out, n);
	return send_expect_close(&c, out, n);
}

static void m_hlen(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)c; (void)n;
	((struct nvo_pdu_common *)pdu)->hlen = 64;		/* CapsuleCmd must be 72 */
}

static void m_type(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)n;
	((struct nvo_pdu_common *)pdu)->type = 0x0c;	/* reserved PDU type */
	tw_refresh_hdgst(&c->l, pdu);	/* keep this the only error */
}

static void m_c2h_type(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)n;
	((struct nvo_pdu_common *)pdu)->type = NVO_PDU_RSP;	/* controller-to-host only */
	tw_refresh_hdgst(&c->l, pdu);	/* keep this the only error */
}

static void m_plen_huge(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)n;
	((struct nvo_pdu_common *)pdu)->plen = cpu_to_le32(0xffffffffu);
	tw_refresh_hdgst(&c->l, pdu);	/* keep this the only error */
}

static void m_plen_short(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)n;
	((struct nvo_pdu_common *)pdu)->plen = cpu_to_le32(sizeof(struct nvo_pdu_common));	/* < hlen */
	tw_refresh_hdgst(&c->l, pdu);	/* keep this the only error */
}

static void m_hdgst(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)c; (void)n;
	pdu[((struct nvo_pdu_common *)pdu)->hlen] ^= 0x5a;	/* first byte of HDGST */
}

static void m_ddgst(struct conn *c, uint8_t *pdu, size_t n)
{
	(void)c;
	pdu[n - 1] ^= 0x5a;			/* last byte of DDGST */
}

static int case_capsule_before_icreq(void) { return send_capsule(0xff, NULL); }
static int case_hlen_mismatch(void) { return send_capsule(0, m_hlen); }
static int case_unknown_type(void) { return send_capsule(0, m_type); }
static int case_wrong_direction(void) { return send_capsule(0, m_c2h_type); }
static int case_oversized_plen(void) { return send_capsule(0, m_plen_huge); }
static int case_short_plen(void) { return send_capsule(0, m_plen_short); }
static int case_bad_hdr_digest(void) { return send_capsule(NVO_F_HDGST, m_hdgst); }

/* A data digest error may be reported per command or end the connection. */
static int case_bad_data_digest(void)
{
	static uint8_t out[2048];
	struct conn c;
	struct observed o;
	char outcome[64];
	size_t n;
	double t0;

	if (conn_open(&c, NVO_F_DDGST))
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
	struct nvo_pdu_term t = { .hdr.type = NVO_PDU_H2C_TERM };
	struct conn c;
	size_t n;

	if (conn_open(&c, 0))
		return setup_error("icreq");
	t.fes = cpu_to_le16(NVO_FES_INVALID_HDR_FIELD);
	n = tw_build_pdu(&c.l, &t, sizeof(t), NULL, 0, out);
	return send_expect_close(&c, out, n);
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
	send_h2c(&c, cpu_to_le16(0xabcd), cpu_to_le16(ttag), 0, data, sizeof(data), true);
	return expect_close(&c, t0);
}

static int case_unknown_tag_data(void) { return stray_h2c(0xfffe); }
static int case_idle_tag_data(void) { return stray_h2c(0); }

/* Write on an I/O queue; answer its R2T with data outside the window. */
static int h2c_vs_r2t(bool overrun)
{
	struct ioctx x = { .a.fd = -1, .io.fd = -1 };
	struct nvo_pdu_data r2t;
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
	send_h2c(&x.io, r2t.cccid, r2t.ttag, off, data, len, true);
	rc = expect_close(&x.io, t0);
	free(data);
	io_teardown(&x);
	return rc;
}

static int case_h2cdata_outside_r2t(void) { return h2c_vs_r2t(false); }
static int case_h2cdata_overrun(void) { return h2c_vs_r2t(true); }

/*
 * Violations on a live I/O queue (on a port with an offload policy, the
 * queue a device took: --settle gives the hand-over time). kind:
 *   IOV_HDGST        4 KiB in-capsule write, wrong HDGST: fatal
 *   IOV_CAPSULE_DDGST 4 KiB in-capsule write, wrong DDGST: the command fails
 *   IOV_H2C_DDGST    R2T write, its H2CData with a wrong DDGST: the command
 *                    fails
 *   IOV_TYPE         PDU type 0x0c: fatal
 * Data digest errors are not fatal in NVMe/TCP: the verdict takes a failed
 * command or a close; the caller checks which, and the status.
 */
enum iov_kind { IOV_HDGST, IOV_CAPSULE_DDGST, IOV_H2C_DDGST, IOV_TYPE };

static int io_violation(enum iov_kind kind)
{
	static uint8_t out[(256u << 10) + 256], data[256u << 10];
	struct ioctx x = { .a.fd = -1, .io.fd = -1 };
	uint8_t digest = kind == IOV_HDGST ? NVO_F_HDGST :
			 kind == IOV_TYPE ? 0 : NVO_F_DDGST;
	struct tw_cmd_pdu p = { .hdr.type = NVO_PDU_CMD };
	struct nvo_pdu_data r2t;
	struct observed o;
	char outcome[64];
	size_t n;
	double t0;
	int rc;

	rc = io_setup(&x, digest);
	if (!rc && kind != IOV_H2C_DDGST && x.inline_max < 4096) {
		fprintf(stderr, "in-capsule limit %u < 4096\n", x.inline_max);
		rc = EXIT_SETUP;
	}
	if (rc) {
		io_teardown(&x);
		return setup_error("io queue");
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	if (kind == IOV_H2C_DDGST) {
		struct nvo_pdu_data h = { .hdr.type = NVO_PDU_H2C_DATA };
		uint32_t len;

		if (write_until_r2t(&x.io, 0, x.r2t_len, x.lbasize, &r2t)) {
			io_teardown(&x);
			return setup_error("io queue write");
		}
		len = le32toh(r2t.length);
		if (len > x.io.l.maxh2cdata)
			len = x.io.l.maxh2cdata;
		if (len > sizeof(data))
			len = sizeof(data);
		h.hdr.flags = len == le32toh(r2t.length) ? NVO_F_DATA_LAST : 0;
		h.cccid = r2t.cccid;
		h.ttag = r2t.ttag;
		h.offset = r2t.offset;
		h.length = cpu_to_le32(len);
		n = tw_build_pdu(&x.io.l, &h, sizeof(h), data, len, out);
		out[n - 1] ^= 0x5a;		/* last byte of DDGST */
	} else {
		tw_fill_rw(&p.sqe, x.io.next_cid++, OPC_WRITE, opt.nsid, 0, 4096,
			   x.lbasize, SGL_INCAPSULE);
		n = tw_build_pdu(&x.io.l, &p, sizeof(p), data, 4096, out);
		if (kind == IOV_HDGST)
			out[((struct nvo_pdu_common *)out)->hlen] ^= 0x5a;
		else if (kind == IOV_CAPSULE_DDGST)
			out[n - 1] ^= 0x5a;
		else {
			((struct nvo_pdu_common *)out)->type = 0x0c;
			tw_refresh_hdgst(&x.io.l, out);
		}
	}
	t0 = now_s();
	send_all(&x.io, out, n);
	wait_close(&x.io, &o, t0, kind == IOV_CAPSULE_DDGST || kind == IOV_H2C_DDGST);
	io_teardown(&x);
	if (o.closed) {
		snprintf(outcome, sizeof(outcome), "closed(%s)", o.close_how);
		return verdict(true, outcome, &o);
	}
	if (o.ncqe && o.cqe_status)
		return verdict(true, "command-failed", &o);
	return verdict(false, o.ncqe ? "command-succeeded" : "still-open", &o);
}

/*
 * In-capsule data at the I/O queue's limit (IOCCSZ): a write of exactly
 * that much goes in-capsule and reads back; one byte more in a capsule is
 * fatal (Data Transfer Limit Exceeded).
 */
static int inline_limit(bool past)
{
	static uint8_t out[(128u << 10) + 256], wbuf[128u << 10], rbuf[128u << 10];
	struct ioctx x = { .a.fd = -1, .io.fd = -1 };
	struct tw_cmd_pdu p = { .hdr.type = NVO_PDU_CMD };
	uint32_t len;
	uint16_t status = 0;
	size_t n;
	int rc;

	rc = io_setup(&x, NVO_F_HDGST | NVO_F_DDGST);
	if (!rc && (x.inline_max < x.lbasize || x.inline_max % x.lbasize ||
		    x.inline_max + 1 > sizeof(wbuf))) {
		fprintf(stderr, "in-capsule limit %u: not a whole number of %u-byte blocks up to %zu\n",
			x.inline_max, x.lbasize, sizeof(wbuf));
		rc = EXIT_SETUP;
	}
	if (rc) {
		io_teardown(&x);
		return setup_error("io queue");
	}
	len = x.inline_max;
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (uint8_t)(rand() >> 3);
	vlog("in-capsule limit %u: writing %u bytes in-capsule", len, len + past);
	if (past) {
		double t0;

		/* the SQE says the limit; the capsule carries one byte more */
		tw_fill_rw(&p.sqe, x.io.next_cid++, OPC_WRITE, opt.nsid, 0, len,
			   x.lbasize, SGL_INCAPSULE);
		n = tw_build_pdu(&x.io.l, &p, sizeof(p), wbuf, len + 1, out);
		t0 = now_s();
		send_all(&x.io, out, n);
		rc = expect_close(&x.io, t0);
		io_teardown(&x);
		return rc;
	}
	tw_fill_rw(&p.sqe, x.io.next_cid++, OPC_WRITE, opt.nsid, 0, len, x.lbasize,
		   SGL_INCAPSULE);
	rc = run_cmd(&x.io, &p, wbuf, len, &status, NULL, NULL, 0);
	if (!rc && status) {
		fprintf(stderr, "in-capsule write of %u bytes failed: status %#x\n", len, status);
		rc = EXIT_NOT_MET;
	}
	if (!rc) {
		tw_fill_rw(&p.sqe, x.io.next_cid++, OPC_READ, opt.nsid, 0, len, x.lbasize,
			   SGL_TRANSPORT);
		rc = run_cmd(&x.io, &p, NULL, 0, &status, NULL, rbuf, len);
		if (!rc && (status || memcmp(wbuf, rbuf, len))) {
			fprintf(stderr, "read back: status %#x, %s\n", status,
				memcmp(wbuf, rbuf, len) ? "data differs" : "data ok");
			rc = EXIT_NOT_MET;
		}
	}
	io_teardown(&x);
	if (rc)
		return verdict(false, "io-failed", NULL);
	return verdict(true, "io-verified", NULL);
}

static int case_inline_at_limit(void) { return inline_limit(false); }
static int case_inline_past_limit(void) { return inline_limit(true); }

static int case_io_bad_hdr_digest(void) { return io_violation(IOV_HDGST); }
static int case_io_bad_data_digest(void) { return io_violation(IOV_CAPSULE_DDGST); }
static int case_h2c_bad_data_digest(void) { return io_violation(IOV_H2C_DDGST); }
static int case_io_unknown_type(void) { return io_violation(IOV_TYPE); }

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
	{ "io-bad-hdr-digest", case_io_bad_hdr_digest, "I/O queue, HDGST: in-capsule write with wrong HDGST (needs --subnqn)" },
	{ "io-bad-data-digest", case_io_bad_data_digest, "I/O queue, DDGST: in-capsule write with wrong DDGST (needs --subnqn)" },
	{ "h2c-bad-data-digest", case_h2c_bad_data_digest, "I/O queue, DDGST: R2T write, H2CData with wrong DDGST (needs --subnqn)" },
	{ "io-unknown-type", case_io_unknown_type, "I/O queue: PDU type 0x0c (needs --subnqn)" },
	{ "inline-at-limit", case_inline_at_limit, "I/O queue, digests: in-capsule write of exactly IOCCSZ's limit, read back (needs --subnqn)" },
	{ "inline-past-limit", case_inline_past_limit, "I/O queue, digests: a capsule with one byte more than the limit (needs --subnqn)" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvme_tcp_badpdu --addr ADDR [--port PORT] --case NAME\n"
		"         [--subnqn NQN] [--nsid N] [--hostnqn NQN] [--timeout SEC]\n"
		"         [--settle SEC] [--offloaded] [-v]\n"
		"--offloaded: I/O queue cases wait for their queue to be offloaded\n"
		"(nvmet_offload debugfs) before the violation.\n"
		"       nvme_tcp_badpdu --list\n"
		"Exit: 0 expectation met, 1 not met, 2 usage or setup error.\n");
}

static void make_host_identity(void)
{
	int fd = open("/dev/urandom", O_RDONLY);
	uint8_t *u = host.hostid;

	if (fd < 0 || read(fd, u, 16) != 16) {
		for (int i = 0; i < 16; i++)
			u[i] = (uint8_t)rand();
	}
	if (fd >= 0)
		close(fd);
	tw_uuid_v4(u);
	if (host.hostnqn[0])
		return;
	snprintf(host.hostnqn, sizeof(host.hostnqn),
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
		{ "settle", required_argument, NULL, 'S' },
		{ "offloaded", no_argument, NULL, 'O' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *name = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "a:p:c:s:H:n:t:S:Olvh", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = optarg; break;
		case 'c': name = optarg; break;
		case 's': opt.subnqn = optarg; break;
		case 'H': snprintf(host.hostnqn, sizeof(host.hostnqn), "%s", optarg); break;
		case 'n': opt.nsid = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': opt.timeout_ms = (int)(atof(optarg) * 1000); break;
		case 'S': opt.settle_ms = (int)(atof(optarg) * 1000); break;
		case 'O': opt.want_offloaded = true; break;
		case 'v': vlog_on = true; break;
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
