// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_tcp_nsid_sweep - a raw NVMe/TCP host that reads from namespace ids
 * the subsystem may not have, the way no kernel host can (its passthrough
 * refuses an nsid other than the namespace's own).
 *
 * It creates a controller with one I/O queue (no digests), waits --wait-ms
 * (a port with an offload policy hands the queue to its device meanwhile),
 * then sends --count one-block reads to nsids --first, --first + --stride,
 * ..., --depth at a time, and counts the answers by status. --punt-every K
 * sends every Kth read to an nsid the subsystem lacks instead (a device
 * punts those to nvmet).
 *
 * --sqhd (with --depth 1) checks the SQ head of every response: each one
 * completes one more command of the queue's 32 entries, so it must be the
 * previous response's plus one, modulo 32, wherever the queue runs (in
 * software, on a device, punted) and across hand-overs between them.
 *
 *   nvme_tcp_nsid_sweep --addr A [--port P] --subnqn NQN [--count N]
 *       [--first NSID] [--stride S] [--depth D] [--wait-ms MS]
 *       [--punt-every K] [--sqhd] [--lba-size B] [-v]
 *
 * Each read is 4 KiB at LBA 0, of --lba-size (512) byte blocks.
 *
 * Output, one line for scripts:
 *   sweep: sent=N invalid_ns=N success=N other=N last_other=0xSTATUS
 *   [sqhd_checked=N sqhd_breaks=N]
 * Exit status: 0 every read answered, 1 a read was not answered, 2 usage or
 * setup error.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monotime.h"
#include "tcp_wire.h"
#include "vlog.h"

#define SC_INVALID_NS	0x0b
#define READ_LEN	4096u
#define MAX_DEPTH	16u	/* the I/O queue's size: Connect asks for 32 */
#define SQ_ENTRIES	32u
#define UNKNOWN_NSID	0xfffffff0u

static struct {
	const char *addr, *port, *subnqn;
	unsigned int count, stride, depth, wait_ms, punt_every, lba_size;
	uint32_t first;
	bool sqhd;
} opt = {
	.port = "4420", .count = 400, .stride = 7919, .depth = 8,
	.first = 1000, .lba_size = 512,
};

struct link {
	int fd;
	struct tw_link l;
	uint16_t cntlid;
};

static struct tw_host host;
static uint8_t rxbuf[1 << 20];

static int fail(const char *what)
{
	fprintf(stderr, "nsid_sweep: %s\n", what);
	return 2;
}

/* One whole PDU (no digests were asked for). */
static int recv_pdu(struct link *k, double deadline)
{
	struct nvo_pdu_common *ch = (struct nvo_pdu_common *)rxbuf;
	uint32_t plen;
	int err;

	if (tw_recv_exact(k->fd, rxbuf, sizeof(*ch), deadline, &err) != TW_RX_OK)
		return -1;
	plen = le32toh(ch->plen);
	if (plen < sizeof(*ch) || plen > sizeof(rxbuf))
		return -1;
	if (tw_recv_exact(k->fd, rxbuf + sizeof(*ch), plen - sizeof(*ch),
			  deadline, &err) != TW_RX_OK)
		return -1;
	return ch->type;
}

static int send_cmd(struct link *k, struct tw_cmd_pdu *p, const void *data,
		    uint32_t dlen)
{
	static uint8_t out[4096];
	size_t n;
	int err;

	memset(&p->hdr, 0, sizeof(p->hdr));
	p->hdr.type = NVO_PDU_CMD;
	n = tw_build_pdu(&k->l, p, sizeof(*p), data, dlen, out);
	return tw_send_all(k->fd, out, n, 5000, &err) == n ? 0 : -1;
}

/*
 * The next response on the link: its cid and status (>> 1). A C2HData PDU
 * that ends a read with SUCCESS counts as a good response.
 */
static int next_rsp(struct link *k, uint16_t *cid, uint16_t *status,
		    uint64_t *result, int *sq_head)
{
	double deadline = now_s() + 10;
	int type;

	for (;;) {
		type = recv_pdu(k, deadline);
		if (type < 0)
			return -1;
		if (type == NVO_PDU_RSP) {
			struct tw_rsp_pdu *rp = (struct tw_rsp_pdu *)rxbuf;

			*cid = rp->cqe.cid;
			*status = le16toh(rp->cqe.status) >> 1;
			if (sq_head)
				*sq_head = le16toh(rp->cqe.sq_head);
			if (result)
				*result = le64toh(rp->cqe.result);
			return 0;
		}
		if (type == NVO_PDU_C2H_DATA) {
			struct nvo_pdu_data *dp = (struct nvo_pdu_data *)rxbuf;

			if ((dp->hdr.flags & NVO_F_DATA_LAST) &&
			    (dp->hdr.flags & NVO_F_DATA_SUCCESS)) {
				*cid = dp->cccid;
				*status = 0;
				if (sq_head)
					*sq_head = -1;	/* none sent */
				return 0;
			}
			continue;
		}
		fprintf(stderr, "nsid_sweep: unexpected PDU type %#x\n", type);
		return -1;
	}
}

/* Send one command and wait for its response. */
static int run(struct link *k, struct tw_cmd_pdu *p, const void *data,
	       uint32_t dlen, uint16_t *status, uint64_t *result)
{
	uint16_t cid;

	if (send_cmd(k, p, data, dlen) ||
	    next_rsp(k, &cid, status, result, NULL))
		return -1;
	return cid == p->sqe.cid ? 0 : -1;
}

static int link_open(struct link *k, uint16_t qid, uint16_t cntlid)
{
	struct nvo_pdu_icreq ic;
	struct tw_cmd_pdu p;
	struct connect_data d;
	uint16_t status;
	uint64_t result;
	int err;

	k->fd = tw_tcp_connect(opt.addr, opt.port);
	if (k->fd < 0)
		return -1;
	tw_fill_icreq(&ic, 0, 0);
	if (tw_send_all(k->fd, &ic, sizeof(ic), 5000, &err) != sizeof(ic) ||
	    recv_pdu(k, now_s() + 10) != NVO_PDU_ICRESP)
		return -1;
	tw_link_from_icresp(&k->l, (struct nvo_pdu_icresp *)rxbuf);
	tw_fill_connect(&p.sqe, &d, 1, &host, opt.subnqn, qid, cntlid, 31);
	if (run(k, &p, &d, sizeof(d), &status, &result) || status)
		return -1;
	k->cntlid = qid ? cntlid : (uint16_t)result;
	return 0;
}

/* CC.EN, then wait for CSTS.RDY: nvmet takes I/O queues only then. */
static int enable(struct link *a)
{
	struct tw_cmd_pdu p;
	uint16_t status;
	uint64_t csts = 0;
	int i;

	tw_fill_prop(&p.sqe, 2, true, REG_CC, false, CC_ENABLE);
	if (run(a, &p, NULL, 0, &status, NULL) || status)
		return -1;
	for (i = 0; i < 50 && !(csts & 1); i++) {
		tw_fill_prop(&p.sqe, 3, false, REG_CSTS, false, 0);
		if (run(a, &p, NULL, 0, &status, &csts) || status)
			return -1;
		if (!(csts & 1))
			usleep(100 * 1000);
	}
	return csts & 1 ? 0 : -1;
}

static int sweep(struct link *io)
{
	unsigned int sent = 0, answered = 0, inflight = 0;
	unsigned int invalid = 0, success = 0, other = 0;
	unsigned int checked = 0, breaks = 0;
	uint16_t last_other = 0, cid, status;
	int head, prev = -1;
	struct tw_cmd_pdu p;

	while (answered < opt.count) {
		while (sent < opt.count && inflight < opt.depth) {
			uint32_t nsid = opt.first + sent * opt.stride;

			if (opt.punt_every && sent % opt.punt_every ==
					      opt.punt_every - 1)
				nsid = UNKNOWN_NSID;

			tw_fill_rw(&p.sqe, (uint16_t)sent, OPC_READ,
				   nsid, 0, READ_LEN, opt.lba_size,
				   SGL_TRANSPORT);
			if (send_cmd(io, &p, NULL, 0))
				return fail("send failed");
			sent++;
			inflight++;
		}
		if (next_rsp(io, &cid, &status, NULL, &head)) {
			printf("sweep: sent=%u answered=%u: no answer\n", sent,
			       answered);
			return 1;
		}
		answered++;
		inflight--;
		if (opt.sqhd && prev >= 0) {
			checked++;
			if (head != (int)((prev + 1) % SQ_ENTRIES)) {
				if (!breaks)
					fprintf(stderr,
						"nsid_sweep: response %u: sq_head %d after %d\n",
						answered, head, prev);
				breaks++;
			}
		}
		prev = head;
		if (status == 0)
			success++;
		else if ((status & 0x7ff) == SC_INVALID_NS)
			invalid++;
		else {
			other++;
			last_other = status;
		}
	}
	printf("sweep: sent=%u invalid_ns=%u success=%u other=%u last_other=%#x",
	       sent, invalid, success, other, last_other);
	if (opt.sqhd)
		printf(" sqhd_checked=%u sqhd_breaks=%u", checked, breaks);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "subnqn", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "first", required_argument, NULL, 'f' },
		{ "stride", required_argument, NULL, 's' },
		{ "depth", required_argument, NULL, 'd' },
		{ "wait-ms", required_argument, NULL, 'w' },
		{ "punt-every", required_argument, NULL, 'k' },
		{ "sqhd", no_argument, NULL, 'q' },
		{ "lba-size", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct link a = { .fd = -1 }, io = { .fd = -1 };
	int c, rc;

	while ((c = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (c) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = optarg; break;
		case 'n': opt.subnqn = optarg; break;
		case 'c': opt.count = strtoul(optarg, NULL, 10); break;
		case 'f': opt.first = strtoul(optarg, NULL, 10); break;
		case 's': opt.stride = strtoul(optarg, NULL, 10); break;
		case 'd': opt.depth = strtoul(optarg, NULL, 10); break;
		case 'w': opt.wait_ms = strtoul(optarg, NULL, 10); break;
		case 'k': opt.punt_every = strtoul(optarg, NULL, 10); break;
		case 'q': opt.sqhd = true; break;
		case 'b': opt.lba_size = strtoul(optarg, NULL, 10); break;
		case 'v': vlog_on = true; break;
		default: return fail("usage: see the header of nvme_tcp_nsid_sweep.c");
		}
	}
	if (!opt.addr || !opt.subnqn || !opt.depth || opt.depth > MAX_DEPTH)
		return fail("--addr and --subnqn are needed, --depth 1..16");
	/* Deeper, responses may leave in another order than the head moved. */
	if (!opt.lba_size || opt.lba_size > READ_LEN || READ_LEN % opt.lba_size)
		return fail("--lba-size divides 4096");
	if (opt.sqhd && opt.depth != 1)
		return fail("--sqhd needs --depth 1");

	tw_uuid_v4(host.hostid);
	snprintf(host.hostnqn, sizeof(host.hostnqn),
		 "nqn.2014-08.org.nvmexpress:uuid:nsid-sweep-%d", getpid());
	if (link_open(&a, 0, 0xffff) || enable(&a))
		return fail("cannot create a controller");
	if (link_open(&io, 1, a.cntlid))
		return fail("cannot connect I/O queue 1");
	usleep(opt.wait_ms * 1000);
	rc = sweep(&io);
	close(io.fd);
	close(a.fd);
	return rc;
}
