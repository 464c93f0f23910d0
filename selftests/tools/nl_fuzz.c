// SPDX-License-Identifier: GPL-2.0
/*
 * nl_fuzz - a fuzzer for the nvmet_offload generic netlink family, raw
 * netlink (no libnl: the test VM has none).
 *
 * Every op of the family, do and dump, with valid, mutated and missing
 * attributes, wrong types and lengths, unknown attribute ids, huge and
 * deeply nested nests, oversized strings and strings without their NUL,
 * duplicates, truncated messages, bad nlmsg_len, several messages in one
 * datagram, random flags (NLM_F_DUMP on do-only ops, ACK, ECHO...), bad
 * genetlink headers, and the family's event-only and unknown commands; ids
 * are those of objects that exist (learnt from dumps) and of ones that do
 * not. Every answer is read and checked for well-formedness.
 *
 *   nl_fuzz [--iterations N] [--seconds S] [--seed X] [--unpriv] [-v]
 *
 * The ops a caller needs CAP_NET_ADMIN for are the ones the family flags
 * GENL_ADMIN_PERM (CTRL_CMD_GETFAMILY). With --unpriv (run it without that
 * capability) every such request whose netlink and genetlink headers are
 * sound must be answered EPERM, whatever its flags and attributes.
 *
 * Before and after the run: well-formed dumps of devices, ports, queues and
 * stats must succeed, and a do request for each port and device the dump
 * lists must return that object; with --unpriv, each of those the family
 * flags GENL_ADMIN_PERM must be refused with EPERM and nothing else.
 *
 * Exit: 0 fine, 1 a check failed (malformed answer, non-EPERM answer to a
 * privileged op in --unpriv, a well-formed request failing), 2 setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../../include/uapi/linux/nvmet_offload.h"
#include "errno_name.h"
#include "fuzz_run.h"
#include "genl_sock.h"
#include "monotime.h"
#include "nl_attr.h"
#include "splitmix.h"
#include "vlog.h"

#define EXIT_FAIL	1
#define EXIT_SETUP	2

static struct {
	struct fuzz_run run;
	bool unpriv;
} opt = { .run = { .iterations = 1000000, .seconds = 30 } };

/* ---- randomness ------------------------------------------------------------ */

static __u32 rnd_edge(void)
{
	static const __u32 e[] = {
		0, 1, 2, 3, 4, 5, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
		0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	return chance(70) ? e[rnd(sizeof(e) / sizeof(e[0]))] : (__u32)rnd64();
}

/* ---- the family, from the spec ------------------------------------------------ */

enum kind { A_U32, A_STR, A_U64 };

/* Where a valid value for an attribute comes from. */
enum src {
	V_NONE, V_PORT, V_DEV, V_DEVNAME, V_QUEUE, V_CTRL, V_QID, V_POLICY,
	V_SCOPE, V_NSID, V_NQN,
};

struct aspec {
	__u16 type;
	enum kind kind;
	__u16 maxlen;		/* strings: the policy's limit, NUL included */
	enum src src;
};

struct opspec {
	__u8 cmd;
	const char *name;
	bool dump;		/* has a dumpit */
	__u16 maxattr;		/* of its attribute set */
	const struct aspec *attrs;
	unsigned int n;
};

static const struct aspec dev_attrs[] = {
	{ NVMET_OFFLOAD_A_DEV_ID, A_U32, 0, V_DEV },
	{ NVMET_OFFLOAD_A_DEV_NAME, A_STR, NVMET_OFFLOAD_DEV_NAME_LEN, V_DEVNAME },
};

static const struct aspec port_get_attrs[] = {
	{ NVMET_OFFLOAD_A_PORT_ID, A_U32, 0, V_PORT },
};

static const struct aspec port_set_attrs[] = {
	{ NVMET_OFFLOAD_A_PORT_ID, A_U32, 0, V_PORT },
	{ NVMET_OFFLOAD_A_PORT_POLICY, A_U32, 0, V_POLICY },
	{ NVMET_OFFLOAD_A_PORT_DEV_ID, A_U32, 0, V_DEV },
	{ NVMET_OFFLOAD_A_PORT_DEV_NAME, A_STR, NVMET_OFFLOAD_DEV_NAME_LEN, V_DEVNAME },
};

static const struct aspec queue_get_attrs[] = {
	{ NVMET_OFFLOAD_A_QUEUE_ID, A_U32, 0, V_QUEUE },
	{ NVMET_OFFLOAD_A_QUEUE_PORT_ID, A_U32, 0, V_PORT },
	{ NVMET_OFFLOAD_A_QUEUE_CTRL_ID, A_U32, 0, V_CTRL },
	{ NVMET_OFFLOAD_A_QUEUE_DEV_ID, A_U32, 0, V_DEV },
};

static const struct aspec queue_set_attrs[] = {
	{ NVMET_OFFLOAD_A_QUEUE_ID, A_U32, 0, V_QUEUE },
	{ NVMET_OFFLOAD_A_QUEUE_CTRL_ID, A_U32, 0, V_CTRL },
	{ NVMET_OFFLOAD_A_QUEUE_QID, A_U32, 0, V_QID },
	{ NVMET_OFFLOAD_A_QUEUE_OFFLOAD, A_U32, 0, V_POLICY },
};

static const struct aspec stats_attrs[] = {
	{ NVMET_OFFLOAD_A_STATS_SCOPE, A_U32, 0, V_SCOPE },
	{ NVMET_OFFLOAD_A_STATS_DEV_ID, A_U32, 0, V_DEV },
	{ NVMET_OFFLOAD_A_STATS_PORT_ID, A_U32, 0, V_PORT },
	{ NVMET_OFFLOAD_A_STATS_NSID, A_U32, 0, V_NSID },
	{ NVMET_OFFLOAD_A_STATS_QUEUE_ID, A_U32, 0, V_QUEUE },
	{ NVMET_OFFLOAD_A_STATS_SUBSYSNQN, A_STR, NVMET_OFFLOAD_NQN_SIZE + 1, V_NQN },
};

#define OPS(a) a, sizeof(a) / sizeof(a[0])

static const struct opspec ops[] = {
	{ NVMET_OFFLOAD_CMD_DEV_GET, "dev-get", true, NVMET_OFFLOAD_A_DEV_MAX, OPS(dev_attrs) },
	{ NVMET_OFFLOAD_CMD_PORT_GET, "port-get", true, NVMET_OFFLOAD_A_PORT_MAX, OPS(port_get_attrs) },
	{ NVMET_OFFLOAD_CMD_PORT_SET, "port-set", false, NVMET_OFFLOAD_A_PORT_MAX, OPS(port_set_attrs) },
	{ NVMET_OFFLOAD_CMD_QUEUE_GET, "queue-get", true, NVMET_OFFLOAD_A_QUEUE_MAX, OPS(queue_get_attrs) },
	{ NVMET_OFFLOAD_CMD_QUEUE_SET, "queue-set", false, NVMET_OFFLOAD_A_QUEUE_MAX, OPS(queue_set_attrs) },
	{ NVMET_OFFLOAD_CMD_STATS_GET, "stats-get", true, NVMET_OFFLOAD_A_STATS_MAX, OPS(stats_attrs) },
	{ NVMET_OFFLOAD_CMD_STATS_RESET, "stats-reset", false, NVMET_OFFLOAD_A_STATS_MAX, OPS(stats_attrs) },
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* ---- objects that exist ------------------------------------------------------- */

#define MAXOBJ 512

static struct {
	__u32 port[MAXOBJ], dev[MAXOBJ], queue[MAXOBJ], ctrl[MAXOBJ], qid[MAXOBJ];
	char devname[16][NVMET_OFFLOAD_DEV_NAME_LEN];
	unsigned int nport, ndev, nqueue, nctrl, nqid, ndevname;
} obj;

static void obj_add(__u32 *arr, unsigned int *n, __u32 v)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (arr[i] == v)
			return;
	if (*n < MAXOBJ)
		arr[(*n)++] = v;
}

/* ---- statistics ---------------------------------------------------------------- */

#define MAXERR 256

static struct {
	__u64 sent, datagrams, batched, bytes;
	__u64 per_op[256];
	__u64 errs[MAXERR];	/* NLMSG_ERROR by -error; [0] is ACK */
	__u64 err_other;
	__u64 data, dumps_done, dump_msgs, no_reply, bad, ebusy_reopen;
	__u64 priv_checked, priv_eperm, priv_wrong;
	__u64 sendfail;
} st;

/* ---- the socket ------------------------------------------------------------------- */

static int fd = -1;
static __u16 family;
static __u32 seq;
static bool admin_op[256];	/* GENL_ADMIN_PERM, as the kernel says */
static bool op_exists[256];
static bool op_dump[256];

static int nl_open(void)
{
	const char *failed;

	if (fd >= 0)
		close(fd);
	fd = genl_sock_open(4 << 20, &failed);
	if (fd < 0) {
		fprintf(stderr, "netlink socket: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- answers ------------------------------------------------------------------------ */

static __u8 rxbuf[1 << 20];

/* Check the attributes of an answer: every length within its message. */
static bool attrs_ok(const __u8 *p, size_t len, int depth)
{
	const struct nlattr *a;
	size_t rem;

	for_each_nla(a, p, len, rem)
		if ((a->nla_type & NLA_F_NESTED) && depth < 8 &&
		    !attrs_ok(nla_payload(a), nla_payload_len(a), depth + 1))
			return false;
	return rem == 0;	/* nothing left that is not a whole attribute */
}

/* Learn object ids from a data message of our family. */
static void learn(const struct nlmsghdr *h)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);
	const struct nlattr *a;
	size_t rem;
	__u32 qid = 0xffffffff;

	for_each_nla(a, (const __u8 *)g + GENL_HDRLEN,
		     h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, rem) {
		__u16 t = a->nla_type & NLA_TYPE_MASK;

		switch (g->cmd) {
		case NVMET_OFFLOAD_CMD_PORT_GET:
			if (t == NVMET_OFFLOAD_A_PORT_ID)
				obj_add(obj.port, &obj.nport, nla_u32(a));
			break;
		case NVMET_OFFLOAD_CMD_DEV_GET:
			if (t == NVMET_OFFLOAD_A_DEV_ID)
				obj_add(obj.dev, &obj.ndev, nla_u32(a));
			if (t == NVMET_OFFLOAD_A_DEV_NAME && obj.ndevname < 16 &&
			    a->nla_len > NLA_HDRLEN) {
				snprintf(obj.devname[obj.ndevname], NVMET_OFFLOAD_DEV_NAME_LEN,
					 "%.*s", (int)nla_payload_len(a),
					 (const char *)nla_payload(a));
				obj.ndevname++;
			}
			break;
		case NVMET_OFFLOAD_CMD_QUEUE_GET:
			if (t == NVMET_OFFLOAD_A_QUEUE_ID)
				obj_add(obj.queue, &obj.nqueue, nla_u32(a));
			if (t == NVMET_OFFLOAD_A_QUEUE_CTRL_ID)
				obj_add(obj.ctrl, &obj.nctrl, nla_u32(a));
			if (t == NVMET_OFFLOAD_A_QUEUE_QID)
				qid = nla_u32(a);
			break;
		}
	}
	if (qid != 0xffffffff)
		obj_add(obj.qid, &obj.nqid, qid);
}

struct outcome {
	int err;		/* first error (negative errno), 0: ack seen */
	bool got_err;		/* an NLMSG_ERROR arrived */
	bool done;		/* NLMSG_DONE arrived */
	int ndata;
	__u8 reply_cmd;
};

static bool bad_answer(const char *what, const struct nlmsghdr *h)
{
	st.bad++;
	fprintf(stderr, "# malformed answer: %s (type %u len %u flags %#x seq %u)\n",
		what, h->nlmsg_type, h->nlmsg_len, h->nlmsg_flags, h->nlmsg_seq);
	return false;
}

/* One datagram of answers; returns false when a dump is still going on. */
static bool parse_answers(const __u8 *p, size_t n, struct outcome *o,
			  bool *more)
{
	*more = false;
	while (n >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h = (const void *)p;

		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > n)
			return bad_answer("nlmsg_len beyond the datagram", h);
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			int err;

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return bad_answer("short NLMSG_ERROR", h);
			err = -e->error;
			if (err < 0 || err >= MAXERR)
				st.err_other++;
			else
				st.errs[err]++;
			if (!o->got_err)
				o->err = e->error;
			o->got_err = true;
			if ((h->nlmsg_flags & NLM_F_ACK_TLVS) && (h->nlmsg_flags & NLM_F_CAPPED) &&
			    !attrs_ok(p + NLMSG_LENGTH(sizeof(*e)),
				      h->nlmsg_len - NLMSG_LENGTH(sizeof(*e)), 0))
				return bad_answer("extack attributes", h);
		} else if (h->nlmsg_type == NLMSG_DONE) {
			int err = 0;

			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				memcpy(&err, NLMSG_DATA(h), sizeof(err));
			if (err && !o->got_err) {
				o->err = err;
				o->got_err = true;
				if (-err > 0 && -err < MAXERR)
					st.errs[-err]++;
			}
			o->done = true;
			st.dumps_done++;
		} else if (h->nlmsg_type == family) {
			if (h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				return bad_answer("short genetlink message", h);
			if (!attrs_ok(p + NLMSG_LENGTH(GENL_HDRLEN),
				      h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), 0))
				return bad_answer("attribute lengths", h);
			o->ndata++;
			o->reply_cmd = ((const struct genlmsghdr *)NLMSG_DATA(h))->cmd;
			st.data++;
			learn(h);
			if (h->nlmsg_flags & NLM_F_MULTI) {
				st.dump_msgs++;
				*more = true;
			}
		} else if (h->nlmsg_type != GENL_ID_CTRL) {
			return bad_answer("unexpected message type", h);
		}
		if (NLMSG_ALIGN(h->nlmsg_len) >= n)
			break;
		p += NLMSG_ALIGN(h->nlmsg_len);
		n -= NLMSG_ALIGN(h->nlmsg_len);
	}
	if (o->done || o->got_err)
		*more = false;
	return true;
}

/*
 * Everything the kernel answers to what we just sent: netlink runs a
 * request in the sender's sendmsg(), so its answers are queued by now,
 * except a dump's next parts, which each read brings.
 */
static void collect(struct outcome *o)
{
	bool more = false;
	double deadline = now_s() + 5;

	memset(o, 0, sizeof(*o));
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, more ? 1000 : 0) <= 0) {
			if (more && now_s() < deadline)
				continue;
			if (more) {
				/* An unfinished dump: start over on a new socket. */
				st.ebusy_reopen++;
				nl_open();
			}
			break;
		}
		n = recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOBUFS) {	/* overrun: our own fault */
				st.err_other++;
				continue;
			}
			break;
		}
		if (!parse_answers(rxbuf, (size_t)n, o, &more))
			more = false;
	}
	if (!o->got_err && !o->ndata && !o->done)
		st.no_reply++;
}

/* ---- resolve the family ------------------------------------------------------------------ */

static int resolve(void)
{
	__u8 mb[512];
	struct nl_buf b = { mb, 0, sizeof(mb) };
	struct genl_family f;
	const struct nlmsghdr *h;
	unsigned int i;
	ssize_t n;

	genl_msg_start(&b, CTRL_CMD_GETFAMILY, 2);
	nl_put_attr(&b, CTRL_ATTR_FAMILY_NAME, NVMET_OFFLOAD_FAMILY_NAME,
		    sizeof(NVMET_OFFLOAD_FAMILY_NAME), 0);
	genl_msg_end(&b, 0, GENL_ID_CTRL, NLM_F_REQUEST, ++seq);
	if (genl_send(fd, mb, b.len) < 0)
		return -1;
	n = recv(fd, rxbuf, sizeof(rxbuf), 0);
	if (n < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN))
		return -1;
	h = (const void *)rxbuf;
	if (h->nlmsg_type != GENL_ID_CTRL) {
		fprintf(stderr, "family %s not found\n", NVMET_OFFLOAD_FAMILY_NAME);
		return -1;
	}
	memset(&f, 0, sizeof(f));
	genl_parse_family(h, &f);
	family = f.id;
	for (i = 0; i < f.nops; i++) {
		__u32 id = f.ops[i].id;

		if (id < 256) {
			op_exists[id] = true;
			admin_op[id] = f.ops[i].flags & GENL_ADMIN_PERM;
			op_dump[id] = f.ops[i].flags & GENL_CMD_CAP_DUMP;
		}
	}
	return family ? 0 : -1;
}

/* ---- well-formed requests ----------------------------------------------------------------- */

static int simple(__u8 cmd, bool dump, __u16 type, __u32 val, struct outcome *o)
{
	__u8 mb[256];
	struct nl_buf b = { mb, 0, sizeof(mb) };

	genl_msg_start(&b, cmd, NVMET_OFFLOAD_FAMILY_VERSION);
	if (type)
		nl_put_attr(&b, type, &val, 4, 0);
	genl_msg_end(&b, 0, family, NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0),
		     ++seq);
	if (genl_send(fd, mb, b.len) < 0)
		return -errno;
	collect(o);
	return o->err;
}

/* Dumps work and each listed port and device answers a do request. */
static int probe(const char *when)
{
	static const __u8 dumps[] = {
		NVMET_OFFLOAD_CMD_DEV_GET, NVMET_OFFLOAD_CMD_PORT_GET,
		NVMET_OFFLOAD_CMD_QUEUE_GET, NVMET_OFFLOAD_CMD_STATS_GET,
	};
	struct outcome o;
	unsigned int i, fails = 0;

	memset(&obj, 0, sizeof(obj));
	/* Unprivileged, each of them must be refused, and only refused. */
	for (i = 0; opt.unpriv && i < sizeof(dumps); i++) {
		if (!admin_op[dumps[i]])
			continue;
		if (simple(dumps[i], true, 0, 0, &o) != -EPERM || o.ndata) {
			fprintf(stderr, "# %s: unprivileged dump of cmd %u: err %d, %d replies\n",
				when, dumps[i], o.err, o.ndata);
			fails++;
		}
		if (simple(dumps[i], false, 0, 0, &o) != -EPERM || o.ndata) {
			fprintf(stderr, "# %s: unprivileged do of cmd %u: err %d, %d replies\n",
				when, dumps[i], o.err, o.ndata);
			fails++;
		}
	}
	if (opt.unpriv)
		goto out;
	for (i = 0; i < sizeof(dumps); i++) {
		if (simple(dumps[i], true, 0, 0, &o) || !o.done) {
			fprintf(stderr, "# %s: dump of cmd %u failed: err %d done %d\n",
				when, dumps[i], o.err, o.done);
			fails++;
		}
	}
	for (i = 0; i < obj.nport; i++) {
		if (simple(NVMET_OFFLOAD_CMD_PORT_GET, false, NVMET_OFFLOAD_A_PORT_ID,
			   obj.port[i], &o) || o.ndata != 1) {
			fprintf(stderr, "# %s: port-get id=%u: err %d, %d replies\n", when,
				obj.port[i], o.err, o.ndata);
			fails++;
		}
	}
	for (i = 0; i < obj.ndev; i++) {
		if (simple(NVMET_OFFLOAD_CMD_DEV_GET, false, NVMET_OFFLOAD_A_DEV_ID,
			   obj.dev[i], &o) || o.ndata != 1) {
			fprintf(stderr, "# %s: dev-get id=%u: err %d, %d replies\n", when,
				obj.dev[i], o.err, o.ndata);
			fails++;
		}
	}
	/* An object that does not exist is ENOENT, not a crash or silence. */
	if (simple(NVMET_OFFLOAD_CMD_PORT_GET, false, NVMET_OFFLOAD_A_PORT_ID,
		   0x7ffffff0, &o) != -ENOENT) {
		fprintf(stderr, "# %s: port-get of a missing port: err %d\n", when, o.err);
		fails++;
	}
out:
	printf("# %s: %u ports, %u devices, %u queues, %u controllers; well-formed requests %s\n",
	       when, obj.nport, obj.ndev, obj.nqueue, obj.nctrl,
	       fails ? "FAILED" : "answered");
	return fails ? -1 : 0;
}

/* ---- generation ------------------------------------------------------------------------------ */

static void rnd_str(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		s[i] = (char)(chance(90) ? 'a' + rnd(26) : rnd(256));
}

/* A valid-looking value for @a, or one of an object that does not exist. */
static __u32 pick_u32(const struct aspec *a)
{
	bool exist = chance(65);

#define PICK(arr, n) ((n) && exist ? (arr)[rnd(n)] : rnd_edge())
	switch (a->src) {
	case V_PORT: return PICK(obj.port, obj.nport);
	case V_DEV: return chance(10) ? 0 : PICK(obj.dev, obj.ndev);
	case V_QUEUE: return PICK(obj.queue, obj.nqueue);
	case V_CTRL: return PICK(obj.ctrl, obj.nctrl);
	case V_QID: return PICK(obj.qid, obj.nqid);
	case V_POLICY: return chance(85) ? rnd(2) : rnd_edge();
	case V_SCOPE: return chance(85) ? rnd(4) : rnd_edge();
	case V_NSID: return chance(70) ? 1 + rnd(2) : rnd_edge();
	default: return rnd_edge();
	}
#undef PICK
}

/* One attribute of the op's set, mostly right, sometimes wrong. */
static void gen_attr(struct nl_buf *b, const struct opspec *op)
{
	const struct aspec *a = &op->attrs[rnd(op->n)];
	static char s[70000];
	__u16 type = a->type;
	__u32 v;
	__u64 v64;

	if (chance(8))
		type |= (__u16)(chance(50) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER);
	if (a->kind == A_U32) {
		switch (rnd(12)) {
		case 0: {	/* u8 */
			__u8 x = (__u8)pick_u32(a);

			nl_put_attr(b, type, &x, 1, 0);
			return;
		}
		case 1: {	/* u16 */
			__u16 x = (__u16)pick_u32(a);

			nl_put_attr(b, type, &x, 2, 0);
			return;
		}
		case 2:		/* u64 */
			v64 = pick_u32(a);
			nl_put_attr(b, type, &v64, 8, 0);
			return;
		case 3:		/* empty */
			nl_put_attr(b, type, NULL, 0, 0);
			return;
		case 4:		/* a string */
			nl_put_attr(b, type, "1", 2, 0);
			return;
		default:
			v = pick_u32(a);
			nl_put_attr(b, type, &v, 4, 0);
			return;
		}
	}
	/* strings */
	switch (rnd(10)) {
	case 0: {	/* oversized */
		size_t n = chance(70) ? a->maxlen + rnd(64) : 1000 + rnd(60000);

		rnd_str(s, n);
		s[n] = 0;
		nl_put_attr(b, type, s, n + 1, 0);
		return;
	}
	case 1: {	/* no NUL */
		size_t n = 1 + rnd(a->maxlen);

		rnd_str(s, n);
		nl_put_attr(b, type, s, n, 0);
		return;
	}
	case 2:		/* empty string, or nothing at all */
		nl_put_attr(b, type, "", chance(50) ? 1 : 0, 0);
		return;
	case 3: {	/* NUL in the middle */
		size_t n = 2 + rnd(a->maxlen - 1);

		rnd_str(s, n);
		s[n / 2] = 0;
		s[n] = 0;
		nl_put_attr(b, type, s, n + 1, 0);
		return;
	}
	case 4:		/* a number */
		v = pick_u32(a);
		nl_put_attr(b, type, &v, 4, 0);
		return;
	default:
		if (a->src == V_DEVNAME && obj.ndevname && chance(70))
			snprintf(s, sizeof(s), "%s", obj.devname[rnd(obj.ndevname)]);
		else if (a->src == V_NQN && chance(50))
			snprintf(s, sizeof(s), "nqn.2014-08.io.nvmet-offload:netlink-fuzz");
		else
			snprintf(s, sizeof(s), "nicsim%u", rnd(4));
		nl_put_attr(b, type, s, strlen(s) + 1, 0);
		return;
	}
}

/* Attributes no policy knows, lengths that lie, nests. */
static void gen_bad_attr(struct nl_buf *b, const struct opspec *op, int depth)
{
	__u32 v = (__u32)rnd64();
	size_t start = b->len;

	switch (rnd(8)) {
	case 0:		/* unknown id */
		nl_put_attr(b, (__u16)(chance(50) ? op->maxattr + 1 + rnd(4) : rnd(0x4000)),
			 &v, 4, 0);
		break;
	case 1:		/* type 0 */
		nl_put_attr(b, 0, &v, 4, 0);
		break;
	case 2:		/* nla_len shorter than the header */
		nl_put_attr(b, op->attrs[0].type, &v, 4, rnd(4));
		break;
	case 3:		/* nla_len beyond the message */
		nl_put_attr(b, op->attrs[0].type, &v, 4, 8 + 4 + rnd(2000));
		break;
	case 4:		/* odd lengths: 5..7 byte payloads, unaligned */
		nl_put_attr(b, op->attrs[rnd(op->n)].type, &v, 0, 0);
		nl_put_attr(b, op->attrs[rnd(op->n)].type, &v, 4, 5 + rnd(3));
		break;
	case 5: {	/* a deep nest: a chain of nests, a scalar innermost */
		__u32 d = 1 + (chance(50) ? rnd(8) : rnd(600)), j;
		size_t at[600];

		for (j = 0; j < d && b->len + NLA_HDRLEN + 16 < b->cap; j++) {
			struct nlattr *a = nl_put(b, NULL, NLA_HDRLEN);

			at[j] = (size_t)((__u8 *)a - b->p);
			a->nla_type = (__u16)((j == 0 && chance(70) ?
					       op->attrs[rnd(op->n)].type : rnd(32)) |
					      (chance(90) ? NLA_F_NESTED : 0));
		}
		nl_put_attr(b, (__u16)rnd(8), &v, 4, 0);
		while (j--) {
			struct nlattr *a = (struct nlattr *)(b->p + at[j]);

			a->nla_len = (__u16)(b->len - at[j]);
		}
		(void)depth;
		break;
	}
	case 6: {	/* a huge flat nest */
		struct nlattr *a;
		int i, n = 10 + (int)rnd(2000);

		a = nl_put(b, NULL, NLA_HDRLEN);
		if (!a)
			break;
		a->nla_type = (__u16)(op->attrs[rnd(op->n)].type | NLA_F_NESTED);
		for (i = 0; i < n && b->len + 16 < b->cap && b->len - start < 60000; i++)
			nl_put_attr(b, (__u16)rnd(16), &v, 4, 0);
		a = (struct nlattr *)(b->p + start);
		a->nla_len = (__u16)(b->len - start);
		break;
	}
	default: {	/* the same attribute many times */
		int i, n = 2 + (int)rnd(200);

		for (i = 0; i < n; i++)
			gen_attr(b, op);
		break;
	}
	}
}

enum msgclass { M_OK, M_BADHDR };

/*
 * One request into @b. Returns the op, or NULL for an unknown/event
 * command; *sound says the netlink and genetlink headers are correct (the
 * kernel reaches the op's permission check).
 */
static const struct opspec *gen_msg(struct nl_buf *b, bool *sound, __u8 *cmd_out)
{
	const struct opspec *op = &ops[rnd(NOPS)];
	size_t start = b->len;
	struct nlmsghdr *h;
	struct genlmsghdr *g;
	__u16 flags = NLM_F_REQUEST;
	int i, n;

	*sound = true;
	g = genl_msg_start(b, op->cmd, NVMET_OFFLOAD_FAMILY_VERSION);
	if (!g) {
		*sound = false;
		return NULL;
	}
	if (chance(5)) {	/* event-only, unknown commands */
		static const __u8 other[] = {
			0, NVMET_OFFLOAD_CMD_DEV_ADD, NVMET_OFFLOAD_CMD_DEV_DEL,
			NVMET_OFFLOAD_CMD_QUEUE_OFFLOADED, NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED,
			NVMET_OFFLOAD_CMD_QUEUE_FALLBACK, NVMET_OFFLOAD_CMD_PORT_POLICY_CHANGED,
			NVMET_OFFLOAD_CMD_MAX + 1, 0x7f, 0xff,
		};

		g->cmd = other[rnd(sizeof(other))];
		op = NULL;
	}
	if (chance(5))
		g->version = (__u8)rnd(256);
	if (chance(4)) {
		g->reserved = (__u16)(1 + rnd(0xffff));
		*sound = false;
	}
	/* flags: DUMP on do-only ops too, ACK or not, anything else */
	if (chance(op && op->dump ? 45 : 15))
		flags |= NLM_F_DUMP;
	if (chance(60))
		flags |= NLM_F_ACK;
	if (chance(5))
		flags |= NLM_F_ECHO;
	if (chance(10)) {
		__u16 f;

		flags |= (__u16)(rnd(0x10000) & ~NLM_F_DUMP);
		/*
		 * The core refuses bits beyond REQUEST, ACK, ECHO and the
		 * whole DUMP pair (genl_header_check()) before it looks at
		 * the op's permissions.
		 */
		f = flags;
		if ((f & NLM_F_DUMP) == NLM_F_DUMP)
			f &= (__u16)~NLM_F_DUMP;
		if (f & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO))
			*sound = false;
	}
	if (chance(2)) {
		flags &= (__u16)~NLM_F_REQUEST;
		*sound = false;
	}
	/* attributes: the valid ones, some wrong, some missing */
	n = (int)rnd(op ? op->n + 2 : 3);
	for (i = 0; i < n; i++) {
		const struct opspec *aop = op ? op : &ops[rnd(NOPS)];

		if (chance(75))
			gen_attr(b, aop);
		else
			gen_bad_attr(b, aop, 0);
	}
	genl_msg_end(b, start, family, flags, ++seq);
	h = (struct nlmsghdr *)(b->p + start);
	if (chance(3)) {
		/*
		 * Control types, or the genetlink controller: never another
		 * family, whose ops could change the system under test.
		 */
		h->nlmsg_type = (__u16)(chance(70) ? rnd(NLMSG_MIN_TYPE) : GENL_ID_CTRL);
		*sound = false;
	}
	*cmd_out = g->cmd;
	return op;
}

/* Mangle the datagram as a whole: truncation, nlmsg_len lies. */
static size_t mangle(struct nl_buf *b, bool *sound)
{
	struct nlmsghdr *h = (void *)b->p;
	size_t len = b->len;

	switch (rnd(16)) {
	case 0:		/* truncated, nlmsg_len following */
		len = NLMSG_HDRLEN + rnd((__u32)(len - NLMSG_HDRLEN + 1));
		h->nlmsg_len = (__u32)len;
		if (len < NLMSG_LENGTH(GENL_HDRLEN))
			*sound = false;
		break;
	case 1:		/* truncated, nlmsg_len not following */
		len = 1 + rnd((__u32)len);
		*sound = false;
		break;
	case 2:		/* nlmsg_len larger than sent */
		h->nlmsg_len += 1 + rnd(4096);
		*sound = false;
		break;
	case 3:		/* nlmsg_len smaller than the headers */
		h->nlmsg_len = rnd(NLMSG_HDRLEN + GENL_HDRLEN);
		*sound = false;
		break;
	case 4:		/* trailing garbage */
		if (b->len + 64 <= b->cap) {
			__u32 k = 1 + rnd(64), i;

			for (i = 0; i < k; i++)
				b->p[b->len + i] = (__u8)rnd(256);
			len += k;
		}
		break;
	default:
		break;
	}
	return len;
}

/* ---- the run ----------------------------------------------------------------------------------- */

static __u8 txbuf[200 << 10];

static int iteration(void)
{
	struct nl_buf b = { txbuf, 0, chance(95) ? 32768 : sizeof(txbuf) };
	const struct opspec *op;
	struct outcome o;
	bool sound, s2;
	__u8 cmd, cmd2;
	size_t len;
	int k, nmsg = chance(8) ? 2 + (int)rnd(4) : 1;

	op = gen_msg(&b, &sound, &cmd);
	len = b.len;
	if (nmsg == 1) {
		len = mangle(&b, &sound);
	} else {
		/* several requests in one datagram */
		st.batched++;
		for (k = 1; k < nmsg; k++)
			gen_msg(&b, &s2, &cmd2);
		len = b.len;
	}
	st.sent += (__u64)nmsg;
	st.datagrams++;
	st.bytes += len;
	st.per_op[cmd]++;
	if (genl_send(fd, txbuf, len) < 0) {
		st.sendfail++;
		vlog("sendto %zu bytes: %s", len, strerror(errno));
		return 0;
	}
	collect(&o);
	if (op && o.ndata && op->cmd != o.reply_cmd && nmsg == 1 &&
	    !(((struct nlmsghdr *)txbuf)->nlmsg_flags & NLM_F_ECHO))
		vlog("op %s answered with cmd %u", op->name, o.reply_cmd);
	/*
	 * Unprivileged: a request for an admin op with sound headers must be
	 * refused, and nothing else must come back first.
	 */
	if (opt.unpriv && nmsg == 1 && sound && admin_op[cmd] &&
	    ((struct nlmsghdr *)txbuf)->nlmsg_type == family &&
	    ((struct nlmsghdr *)txbuf)->nlmsg_len == len) {
		bool dump = ((struct nlmsghdr *)txbuf)->nlmsg_flags & NLM_F_DUMP;

		st.priv_checked++;
		/*
		 * Since 6.2 genetlink looks the mode up before the permission:
		 * a dump of a command that has none is EOPNOTSUPP, still refused.
		 */
		if (o.got_err && !o.ndata &&
		    (o.err == -EPERM ||
		     (o.err == -EOPNOTSUPP && dump && !op_dump[cmd]))) {
			st.priv_eperm++;
		} else {
			st.priv_wrong++;
			fprintf(stderr, "# unprivileged cmd %u (flags %#x, %zu bytes) got err %d, %d data replies\n",
				cmd, ((struct nlmsghdr *)txbuf)->nlmsg_flags, len, o.err,
				o.ndata);
		}
	}
	return 0;
}

static void summary(double el)
{
	unsigned int i;

	if (el <= 0)
		el = 1e-6;
	printf("# summary: seed %#llx, %llu messages in %llu datagrams (%llu batched) in %.1f s: %.0f messages/s, %.1f KiB/s\n",
	       (unsigned long long)opt.run.seed, (unsigned long long)st.sent,
	       (unsigned long long)st.datagrams, (unsigned long long)st.batched, el,
	       st.sent / el, st.bytes / 1024.0 / el);
	printf("# per command:");
	for (i = 0; i < 256; i++)
		if (st.per_op[i])
			printf(" %u=%llu", i, (unsigned long long)st.per_op[i]);
	printf("\n# answers by errno:");
	for (i = 0; i < MAXERR; i++) {
		const char *n = i ? errno_name((int)i) : "ack";

		if (!st.errs[i])
			continue;
		if (n)
			printf(" %s=%llu", n, (unsigned long long)st.errs[i]);
		else
			printf(" E%u=%llu", i, (unsigned long long)st.errs[i]);
	}
	if (st.err_other)
		printf(" other=%llu", (unsigned long long)st.err_other);
	printf("\n# data messages %llu (%llu in dumps), dumps completed %llu, no answer %llu, sockets reopened %llu, send failures %llu, malformed answers %llu\n",
	       (unsigned long long)st.data, (unsigned long long)st.dump_msgs,
	       (unsigned long long)st.dumps_done, (unsigned long long)st.no_reply,
	       (unsigned long long)st.ebusy_reopen, (unsigned long long)st.sendfail,
	       (unsigned long long)st.bad);
	if (opt.unpriv)
		printf("# unprivileged: %llu requests for admin ops with sound headers, %llu EPERM, %llu otherwise\n",
		       (unsigned long long)st.priv_checked, (unsigned long long)st.priv_eperm,
		       (unsigned long long)st.priv_wrong);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		FUZZ_RUN_LONGOPTS,
		{ "unpriv", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	double t0;
	__u64 i;
	int ch, rc = 0;
	unsigned int k;

	while ((ch = getopt_long(argc, argv, "i:s:S:uvh", lo, NULL)) != -1) {
		if (fuzz_run_opt(&opt.run, ch, optarg))
			continue;
		switch (ch) {
		case 'u': opt.unpriv = true; break;
		case 'v': vlog_on = true; break;
		case 'h':
			printf("usage: nl_fuzz [--iterations N] [--seconds S] [--seed X] [--unpriv] [-v]\n");
			return 0;
		default:
			return EXIT_SETUP;
		}
	}
	fuzz_run_seed(&opt.run);
	if (nl_open() || resolve()) {
		fprintf(stderr, "cannot resolve the %s family\n", NVMET_OFFLOAD_FAMILY_NAME);
		return EXIT_SETUP;
	}
	printf("# nl_fuzz: seed %#llx (--seed reproduces), family %s id %u, %s; admin ops:",
	       (unsigned long long)opt.run.seed, NVMET_OFFLOAD_FAMILY_NAME, family,
	       opt.unpriv ? "unprivileged" : "privileged");
	for (k = 0; k < 256; k++)
		if (admin_op[k])
			printf(" %u", k);
	printf("\n");
	for (k = 0; k < NOPS; k++) {
		if (!op_exists[ops[k].cmd] || op_dump[ops[k].cmd] != ops[k].dump) {
			fprintf(stderr, "the family's op %u (%s) is not as the spec says\n",
				ops[k].cmd, ops[k].name);
			rc = EXIT_FAIL;
		}
	}
	if (probe("before"))
		rc = EXIT_FAIL;
	fflush(stdout);
	t0 = now_s();
	for (i = 0; i < opt.run.iterations; i++) {
		if ((i & 63) == 0 && fuzz_run_expired(&opt.run, t0))
			break;
		fuzz_run_iteration(&opt.run, i);
		iteration();
		if ((i + 1) % 2000 == 0) {
			/* refresh what exists: queues come and go */
			struct outcome o;

			simple(NVMET_OFFLOAD_CMD_QUEUE_GET, true, 0, 0, &o);
			simple(NVMET_OFFLOAD_CMD_DEV_GET, true, 0, 0, &o);
		}
	}
	summary(now_s() - t0);
	if (probe("after"))
		rc = EXIT_FAIL;
	if (st.bad || st.priv_wrong)
		rc = EXIT_FAIL;
	if (opt.unpriv && !st.priv_checked)
		rc = EXIT_FAIL;
	close(fd);
	return rc;
}
