// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_rdma_badsgl - a raw NVMe/RDMA host (librdmacm, libibverbs) that
 * sends what nvme-rdma never does, for rdma_malformed.sh:
 *
 *   nvme_rdma_badsgl ADDR PORT SUBNQN reject
 *       an I/O queue connect request with hsqsize 1023: the target must
 *       refuse it with the NVMe/RDMA reject status INVALID_HSQSIZE (4)
 *   nvme_rdma_badsgl ADDR PORT SUBNQN sgl
 *       admin queue, Fabrics Connect, then Identify with an unsupported SGL
 *       type (expects 0x11 DNR), a keyed SGL of 2 MiB, past MDTS (0x0f
 *       DNR), an in-capsule SGL on a read (0x02 DNR), then a good Identify
 *       (success, the data arrives): the queue survives malformed commands
 *   nvme_rdma_badsgl ADDR PORT SUBNQN badkey-write | badkey-read
 *       Connect (badkey-write: its data behind a wrong key, the target's
 *       RDMA READ fails) or Identify after a good Connect (badkey-read: the
 *       RDMA WRITE fails): no success may come back, and the target must
 *       end the connection
 *   nvme_rdma_badsgl ADDR PORT SUBNQN short
 *       after a good Connect, a capsule of 32 bytes (half a command): no
 *       response may come back, and the target must end the connection
 *   nvme_rdma_badsgl ADDR PORT SUBNQN ioq-badkey-read|ioq-badkey-write LBA_SIZE
 *       after the admin queue's Connect and CC.EN, I/O queue 1 (a second
 *       connection, which an offload device bound to the port takes at its
 *       connect), its Connect, a good Read of one block; then a Read (the
 *       device's RDMA WRITE fails) or a Write (its RDMA READ fails) of
 *       namespace 1's block 0 with its data behind a wrong key: no success
 *       may come back, and the I/O queue's connection must end
 *   nvme_rdma_badsgl ADDR PORT SUBNQN kato
 *       Connect with a keep-alive timeout of KATO_MS, then Keep Alive
 *       commands for 3 x KATO_MS (the connection must hold), then silence:
 *       the target's keep-alive timer must end the connection within
 *       KATO_MS plus some slack, not before KATO_MS
 * Prints one "ok"/"FAIL" line per check; exit 0 when all passed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#define QDEPTH		32
#define KATO_MS		2000
#define DATA_SIZE	(2u << 20)
#define HOSTNQN		"nqn.2014-08.org.nvmexpress:uuid:4e564f2d-7465-7374-6265-640000000099"

/* The wire formats, little endian (NVMe base and fabrics specifications). */
struct sqe {
	uint8_t opcode, flags;
	uint16_t cid;
	uint32_t nsid;		/* fabrics: fctype in the first byte */
	uint64_t rsvd8, mptr;
	uint64_t sgl_addr;
	uint8_t sgl_len[3], sgl_key[4], sgl_type;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
} __attribute__((packed));

struct cqe {
	uint64_t result;
	uint16_t sq_head, sq_id, cid, status;
} __attribute__((packed));

struct cm_req {
	uint16_t recfmt, qid, hrqsize, hsqsize;
	uint8_t rsvd[24];
} __attribute__((packed));

struct cm_rej {
	uint16_t recfmt, sts;
} __attribute__((packed));

static struct rdma_event_channel *ch;
static struct rdma_cm_id *id;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_mr *mr_cmd, *mr_rsp, *mr_data;
static struct sqe cmdbuf;
static struct cqe rspbuf[QDEPTH];
static uint8_t *data;
static uint64_t last_result;	/* of the last response command_len() saw */
static uint16_t cntlid;		/* the admin queue's Connect gave it */
static int failures;

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	fprintf(stderr, "nvme_rdma_badsgl: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* The next rdma_cm event, or NULL after timeout_ms. */
static struct rdma_cm_event *cm_event(int timeout_ms)
{
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;

	if (poll(&p, 1, timeout_ms) <= 0)
		return NULL;
	if (rdma_get_cm_event(ch, &ev))
		die("rdma_get_cm_event");
	return ev;
}

static void expect_event(enum rdma_cm_event_type type)
{
	struct rdma_cm_event *ev = cm_event(10000);

	if (!ev || ev->event != type) {
		fprintf(stderr, "nvme_rdma_badsgl: wanted %s, got %s (status %d)\n",
			rdma_event_str(type), ev ? rdma_event_str(ev->event) : "nothing",
			ev ? ev->status : 0);
		exit(2);
	}
	rdma_ack_cm_event(ev);
}

static void post_recv(int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)&rspbuf[i], .length = sizeof(rspbuf[i]),
		.lkey = mr_rsp->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 }, *bad;

	if (ibv_post_recv(id->qp, &wr, &bad))
		die("ibv_post_recv");
}

/* Resolve, create the QP, connect with this private data. */
static struct rdma_cm_event *cm_connect(const char *addr, const char *port,
					uint16_t qid, uint16_t hsqsize)
{
	struct rdma_addrinfo hints = { .ai_port_space = RDMA_PS_TCP }, *res;
	struct ibv_qp_init_attr qa = {};
	struct cm_req req = { .qid = htole16(qid), .hrqsize = htole16(hsqsize + 1),
			      .hsqsize = htole16(hsqsize) };
	struct rdma_conn_param cp = {
		.private_data = &req, .private_data_len = sizeof(req),
		.responder_resources = 1, .initiator_depth = 1,
		.retry_count = 7, .rnr_retry_count = 7,
	};
	int i;

	ch = rdma_create_event_channel();
	if (!ch)
		die("rdma_create_event_channel");
	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP))
		die("rdma_create_id");
	if (rdma_getaddrinfo(addr, port, &hints, &res))
		die("rdma_getaddrinfo");
	if (rdma_resolve_addr(id, NULL, res->ai_dst_addr, 5000))
		die("rdma_resolve_addr");
	expect_event(RDMA_CM_EVENT_ADDR_RESOLVED);
	if (rdma_resolve_route(id, 5000))
		die("rdma_resolve_route");
	expect_event(RDMA_CM_EVENT_ROUTE_RESOLVED);

	pd = ibv_alloc_pd(id->verbs);
	cq = pd ? ibv_create_cq(id->verbs, 4 * QDEPTH, NULL, NULL, 0) : NULL;
	if (!cq)
		die("PD/CQ");
	qa.send_cq = cq;
	qa.recv_cq = cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = QDEPTH;
	qa.cap.max_recv_wr = QDEPTH;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(id, pd, &qa))
		die("rdma_create_qp");
	data = aligned_alloc(4096, DATA_SIZE);
	if (!data)
		die("aligned_alloc");
	memset(data, 0, DATA_SIZE);
	mr_cmd = ibv_reg_mr(pd, &cmdbuf, sizeof(cmdbuf), IBV_ACCESS_LOCAL_WRITE);
	mr_rsp = ibv_reg_mr(pd, rspbuf, sizeof(rspbuf), IBV_ACCESS_LOCAL_WRITE);
	mr_data = ibv_reg_mr(pd, data, DATA_SIZE, IBV_ACCESS_LOCAL_WRITE |
			     IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	if (!mr_cmd || !mr_rsp || !mr_data)
		die("ibv_reg_mr");
	for (i = 0; i < QDEPTH; i++)
		post_recv(i);
	if (rdma_connect(id, &cp))
		die("rdma_connect");
	return cm_event(10000);
}

static void put24(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
}

static void keyed(struct sqe *c, uint32_t len, uint32_t key)
{
	c->flags = 0x40;		/* SGL for data */
	c->sgl_addr = htole64((uintptr_t)data);
	put24(c->sgl_len, len);
	key = htole32(key);
	memcpy(c->sgl_key, &key, 4);
	c->sgl_type = 0x40;		/* keyed data block, address */
}

/*
 * Send the first len bytes of *c, wait for its response: its status (phase
 * bit off), -1 when none came within timeout_ms, -2 when the queue failed
 * (a flushed work request).
 */
static int command_len(struct sqe *c, uint32_t len, int timeout_ms)
{
	static uint16_t cid;
	struct ibv_sge sge = { .addr = (uintptr_t)&cmdbuf, .length = len,
			       .lkey = mr_cmd->lkey };
	struct ibv_send_wr wr = { .wr_id = 1000, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED }, *bad;
	struct timespec t0, t;
	struct ibv_wc wc;

	c->cid = htole16(++cid);
	cmdbuf = *c;
	if (ibv_post_send(id->qp, &wr, &bad))
		return -2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int n = ibv_poll_cq(cq, 1, &wc);

		if (n < 0)
			return -2;
		if (n == 1) {
			if (wc.status != IBV_WC_SUCCESS)
				return -2;
			if (wc.opcode == IBV_WC_RECV) {
				struct cqe r = rspbuf[wc.wr_id];

				post_recv(wc.wr_id);
				if (le16toh(r.cid) == cid) {
					last_result = le64toh(r.result);
					return le16toh(r.status) >> 1;
				}
			}
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >
		    timeout_ms)
			return -1;
		usleep(1000);
	}
}

static int command(struct sqe *c, int timeout_ms)
{
	return command_len(c, sizeof(*c), timeout_ms);
}

/* Connect queue @qid (an I/O queue names its controller, @cntlid). */
static int fabrics_connect_queue(const char *subnqn, uint32_t key,
				 uint32_t kato_ms, uint16_t qid, uint16_t cntlid)
{
	struct sqe c = { .opcode = 0x7f };

	c.nsid = 0x01;			/* fctype Connect */
	c.cdw10 = htole32((uint32_t)qid << 16);	/* recfmt 0, qid */
	c.cdw11 = htole32(QDEPTH - 1);	/* sqsize (0's based), cattr 0 */
	c.cdw12 = htole32(kato_ms);	/* keep-alive timeout, 0: none */
	memset(data, 0, 1024);
	memcpy(data, "nvo-badsgl-host!", 16);			/* hostid */
	data[16] = cntlid;					/* cntlid */
	data[17] = cntlid >> 8;
	strncpy((char *)data + 256, subnqn, 255);
	strncpy((char *)data + 512, HOSTNQN, 255);
	keyed(&c, 1024, key);
	return command(&c, 10000);
}

static int fabrics_connect(const char *subnqn, uint32_t key, uint32_t kato_ms)
{
	return fabrics_connect_queue(subnqn, key, kato_ms, 0, 0xffff);
}

/* Property Set CC: enabled, 64-byte SQEs, 16-byte CQEs (nvmet checks). */
static int enable_ctrl(void)
{
	struct sqe c = { .opcode = 0x7f };
	uint64_t cc = 1 | (6u << 16) | (4u << 20);

	c.nsid = 0x00;			/* fctype Property Set */
	c.cdw10 = 0;			/* attrib: 4 bytes */
	c.cdw11 = htole32(0x14);	/* offset: CC */
	c.cdw12 = htole32((uint32_t)cc);
	c.cdw13 = htole32((uint32_t)(cc >> 32));
	keyed(&c, 0, 0);		/* no data, but SGLs all the same */
	return command(&c, 10000);
}

static struct sqe identify(void)
{
	struct sqe c = { .opcode = 0x06, .cdw10 = htole32(1) };

	keyed(&c, 4096, mr_data->rkey);
	return c;
}

static void expect_status(struct sqe *c, int want, const char *what)
{
	int st = command(c, 10000);
	char line[256];

	snprintf(line, sizeof(line), "%s: status 0x%x (sc 0x%x, dnr %d), want sc 0x%x dnr 1",
		 what, st, st & 0xff, (st >> 14) & 1, want);
	check(st >= 0 && (st & 0xff) == want && (st & 0x4000), line);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A DISCONNECTED event within timeout_ms: 1, none: 0. */
static int disconnected(int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	struct rdma_cm_event *ev;
	int left;

	while ((left = end - now_ms()) > 0) {
		ev = cm_event(left);
		if (!ev)
			break;
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED) {
			rdma_ack_cm_event(ev);
			return 1;
		}
		rdma_ack_cm_event(ev);
	}
	return 0;
}

/*
 * Keep Alive every KATO_MS / 4 for 3 x KATO_MS: each answered, the
 * connection kept; then nothing: the target must end it, after KATO_MS.
 */
static void keep_alive_then_silence(void)
{
	struct sqe ka = { .opcode = 0x18 };
	int i, st, ok = 1;
	long t0, waited;

	keyed(&ka, 0, 0);
	for (i = 0; i < 12 && ok; i++) {
		st = command(&ka, KATO_MS);
		if (st) {
			printf("# Keep Alive %d: status %d\n", i, st);
			ok = 0;
		}
		if (disconnected(KATO_MS / 4)) {
			printf("# disconnected after Keep Alive %d\n", i);
			ok = 0;
		}
	}
	check(ok, "Keep Alive every KATO/4 for 3 x KATO: answered, connection kept");
	if (!ok)
		return;
	t0 = now_ms();
	ok = disconnected(KATO_MS + 20000);
	waited = now_ms() - t0;
	printf("# silent for %ld ms until the target ended the connection (KATO %d ms)\n",
	       waited, KATO_MS);
	check(ok && waited >= KATO_MS - 100,
	      "silent host: the target ended the connection after KATO (within 20 s more)");
}

/* The target must end a connection whose data transfer failed. */
static void expect_disconnect(void)
{
	struct rdma_cm_event *ev;
	int i;

	for (i = 0; i < 20; i++) {
		ev = cm_event(1000);
		if (!ev)
			continue;
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED) {
			rdma_ack_cm_event(ev);
			check(1, "the target ended the connection");
			return;
		}
		rdma_ack_cm_event(ev);
	}
	check(0, "the target ended the connection (no DISCONNECTED in 20 s)");
}

/* Read (0x02) or Write (0x01) of namespace 1's block 0 through @key. */
static struct sqe io_block(uint8_t opcode, uint32_t lba_size, uint32_t key)
{
	struct sqe c = { .opcode = opcode, .nsid = htole32(1) };

	keyed(&c, lba_size, key);	/* cdw10-12 0: LBA 0, one block */
	return c;
}

/*
 * I/O queue 1 on a second connection (the admin queue's stays up, unpolled:
 * no keep-alive was asked for), its Connect and a good Read; then one
 * command whose data is behind a wrong key. The admin queue's connection
 * state is left behind in the globals the I/O queue's replace.
 */
static int io_queue_badkey(const char *addr, const char *port,
			   const char *subnqn, int write, uint32_t lba_size)
{
	struct rdma_cm_event *ev;
	struct sqe c;
	int st;

	if (!lba_size || lba_size > DATA_SIZE) {
		fprintf(stderr, "nvme_rdma_badsgl: bad LBA size %u\n", lba_size);
		return 2;
	}
	ev = cm_connect(addr, port, 1, QDEPTH - 1);
	check(ev && ev->event == RDMA_CM_EVENT_ESTABLISHED, "I/O queue 1 established");
	if (!ev || ev->event != RDMA_CM_EVENT_ESTABLISHED)
		return 1;
	rdma_ack_cm_event(ev);
	st = fabrics_connect_queue(subnqn, mr_data->rkey, 0, 1, cntlid);
	if (st)
		printf("# I/O queue Connect (cntlid %u): status 0x%x\n", cntlid, st);
	check(st == 0, "I/O queue 1: Fabrics Connect");
	if (st)
		return 1;
	c = io_block(0x02, lba_size, mr_data->rkey);
	st = command(&c, 10000);
	check(st == 0, "a good Read of one block on I/O queue 1");
	c = io_block(write ? 0x01 : 0x02, lba_size, mr_data->rkey ^ 0x5a5a00);
	st = command(&c, 5000);
	printf("# %s with a bad key: %d\n", write ? "Write" : "Read", st);
	check(st != 0, write ? "a Write whose data is behind a bad key does not succeed" :
			       "a Read into memory behind a bad key does not succeed");
	expect_disconnect();
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct rdma_cm_event *ev;
	const char *mode;
	struct sqe c;
	int st;

	mode = argc > 4 ? argv[4] : "";
	if (argc != (strncmp(mode, "ioq-", 4) ? 5 : 6)) {
		fprintf(stderr, "usage: nvme_rdma_badsgl ADDR PORT SUBNQN reject|sgl|badkey-write|badkey-read|short|kato\n"
				"       nvme_rdma_badsgl ADDR PORT SUBNQN ioq-badkey-read|ioq-badkey-write LBA_SIZE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(mode, "reject")) {
		ev = cm_connect(argv[1], argv[2], 1, 1023);
		if (ev && ev->event == RDMA_CM_EVENT_REJECTED &&
		    ev->param.conn.private_data_len >= sizeof(struct cm_rej)) {
			const struct cm_rej *rej = ev->param.conn.private_data;

			printf("# rejected, NVMe/RDMA status %u\n", le16toh(rej->sts));
			check(le16toh(rej->sts) == 4, "hsqsize 1023 rejected with INVALID_HSQSIZE");
		} else {
			printf("# event %s\n", ev ? rdma_event_str(ev->event) : "none");
			check(0, "hsqsize 1023 rejected with INVALID_HSQSIZE");
		}
		return failures ? 1 : 0;
	}

	ev = cm_connect(argv[1], argv[2], 0, QDEPTH - 1);
	if (!ev || ev->event != RDMA_CM_EVENT_ESTABLISHED) {
		printf("# event %s\n", ev ? rdma_event_str(ev->event) : "none");
		check(0, "admin queue established");
		return 1;
	}
	rdma_ack_cm_event(ev);

	if (!strcmp(mode, "badkey-write")) {
		st = fabrics_connect(argv[3], mr_data->rkey ^ 0x5a5a00, 0);
		printf("# Connect with a bad key: %d\n", st);
		check(st != 0, "Connect whose data is behind a bad key does not succeed");
		expect_disconnect();
		return failures ? 1 : 0;
	}

	st = fabrics_connect(argv[3], mr_data->rkey, strcmp(mode, "kato") ? 0 : KATO_MS);
	check(st == 0, "Fabrics Connect (keyed SGL, RDMA READ)");
	if (st)
		return 1;
	cntlid = last_result & 0xffff;
	st = enable_ctrl();
	if (st)
		printf("# Property Set: status 0x%x\n", st);
	check(st == 0, "Property Set CC.EN");
	if (st)
		return 1;

	if (!strcmp(mode, "short")) {
		c = identify();
		st = command_len(&c, 32, 2000);
		printf("# Identify in a 32-byte capsule: %d\n", st);
		check(st != 0, "a 32-byte capsule gets no success");
		expect_disconnect();
		return failures ? 1 : 0;
	}

	if (!strcmp(mode, "kato")) {
		keep_alive_then_silence();
		return failures ? 1 : 0;
	}

	if (!strncmp(mode, "ioq-badkey-", 11))
		return io_queue_badkey(argv[1], argv[2], argv[3],
				       !strcmp(mode, "ioq-badkey-write"),
				       strtoul(argv[5], NULL, 0));

	if (!strcmp(mode, "badkey-read")) {
		c = identify();
		keyed(&c, 4096, mr_data->rkey ^ 0x5a5a00);
		st = command(&c, 5000);
		printf("# Identify with a bad key: %d\n", st);
		check(st != 0, "Identify into memory behind a bad key does not succeed");
		expect_disconnect();
		return failures ? 1 : 0;
	}

	c = identify();
	c.sgl_type = 0x20;		/* a Segment descriptor: not supported */
	expect_status(&c, 0x11, "Identify, SGL type Segment");
	c = identify();
	c.sgl_type = 0x4e;		/* keyed, a reserved subtype */
	expect_status(&c, 0x11, "Identify, keyed SGL with a reserved subtype");
	c = identify();
	keyed(&c, 2u << 20, mr_data->rkey);
	expect_status(&c, 0x0f, "Identify, keyed SGL of 2 MiB (past MDTS)");
	c = identify();
	c.sgl_type = 0x01;		/* in-capsule data (offset) on a read */
	c.sgl_addr = 0;
	put24(c.sgl_len, 4096);
	expect_status(&c, 0x02, "Identify, in-capsule SGL on a read");
	memset(data, 0, 4096);
	c = identify();
	st = command(&c, 10000);
	if (st)
		printf("# Identify: status 0x%x\n", st);
	/* Identify Controller's SUBNQN field, at byte 768 */
	check(st == 0 && !strcmp((char *)data + 768, argv[3]),
	      "a good Identify afterwards: success, its data arrives (SUBNQN)");
	return failures ? 1 : 0;
}
