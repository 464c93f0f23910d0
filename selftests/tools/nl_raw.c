// SPDX-License-Identifier: GPL-2.0
/*
 * nl_raw: a small generic netlink client for the nvmet_offload family, for
 * the selftests. It speaks the family without libnl or ynl (neither is in
 * the test VM) and can also send what a real client never would: raw
 * attributes of any type and length, and truncated messages, to check the
 * kernel's validation.
 *
 *   nl_raw family                          resolve the family, list ops
 *   nl_raw [-d] CMD [NAME=VALUE | @TYPE:KIND=VALUE]...
 *   nl_raw monitor [--events N] [--timeout S] [--ready FILE]
 *
 * Replies are printed one message a line: "CMD name=value ...", nested
 * attributes as "nest.name=value", enums by name, repeated scalars joined
 * by commas. An error prints "error=ENAME errno=N msg=\"...\"" (plus
 * offs=, miss-type=) on stdout and exits 2; no answer within the timeout
 * exits 3; a usage or local error exits 1.
 *
 * Options: -d/--dump (NLM_F_DUMP), -a/--ack (NLM_F_ACK; always on for
 * requests without -d), --trunc N (cut N bytes off the end of the request,
 * nlmsg_len following), --count (dumps: print only "objects=N
 * datagrams=M"), --timeout S (default 10), --events N, --ready FILE.
 * Raw attributes: KIND is u8, u16, u32, u64, str (NUL added), strn (no
 * NUL), flag or hex (bytes as hex digits); TYPE is the attribute number.
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
#include "genl_sock.h"
#include "nl_attr.h"

#define EXIT_KERNEL	2
#define EXIT_TIMEOUT	3

enum kind { K_NONE, K_U32, K_U64, K_STR, K_FLAG, K_NEST, K_PAD };

struct enum_desc {
	const char *const *names;
	unsigned int first;	/* value of names[0] */
	unsigned int n;
	bool flags;		/* a bit mask: names[i] is bit i */
};

struct set_desc;

struct attr_desc {
	const char *name;
	enum kind kind;
	bool multi;
	const struct set_desc *nest;
	const struct enum_desc *en;
};

struct set_desc {
	const char *name;
	unsigned int max;
	const struct attr_desc *attrs;	/* indexed by type, 0 unused */
};

#define ENUM(var, first_, flags_, ...)					\
	static const char *const var##_names[] = { __VA_ARGS__ };	\
	static const struct enum_desc var = {				\
		var##_names, first_,					\
		sizeof(var##_names) / sizeof(var##_names[0]), flags_ }

ENUM(en_dev_state, 0, false, "live", "failed", "removing");
ENUM(en_policy, 0, false, "off", "on");
ENUM(en_adrfam, 1, false, "ipv4", "ipv6", "ib", "fc");
ENUM(en_transport, 1, false, "rdma", "fc", "tcp");
ENUM(en_queue_state, 0, false, "software", "offloading", "offloaded",
     "reclaiming", "failed");
ENUM(en_scope, 0, false, "device", "port", "namespace", "queue");
ENUM(en_reason, 0, false, "none", "refused", "queue-failed", "dev-failed",
     "dev-removed", "stream-lost", "reclaim-timeout", "kill-timeout");
ENUM(en_backend, 0, true, "bdev");
ENUM(en_ns_table_state, 0, false, "attached", "declined", "dead");
ENUM(en_ns_flags, 0, true, "ro", "vwc", "wz", "discard");
ENUM(en_ns_entry_state, 0, false, "in-device", "refused", "removing");

#define A(type, name_, ...) [type] = { .name = name_, __VA_ARGS__ }

/* An attribute set: its A() rows, indexed by type (0 unused). */
#define SET(var, name_, max_, ...)					\
	static const struct attr_desc var##_attrs[(max_) + 1] = {	\
		__VA_ARGS__ };						\
	static const struct set_desc var = { name_, max_, var##_attrs }

SET(set_caps, "caps", NVMET_OFFLOAD_A_CAPS_MAX,
	A(NVMET_OFFLOAD_A_CAPS_MAX_QUEUES, "max-queues", K_U32),
	A(NVMET_OFFLOAD_A_CAPS_IO_OPCODES, "io-opcodes", K_U64),
	A(NVMET_OFFLOAD_A_CAPS_MAX_IO_SIZE, "max-io-size", K_U32),
	A(NVMET_OFFLOAD_A_CAPS_MIN_QUEUE_DEPTH, "min-queue-depth", K_U32),
	A(NVMET_OFFLOAD_A_CAPS_MAX_QUEUE_DEPTH, "max-queue-depth", K_U32),
	A(NVMET_OFFLOAD_A_CAPS_HDGST, "hdgst", K_FLAG),
	A(NVMET_OFFLOAD_A_CAPS_DDGST, "ddgst", K_FLAG),
	A(NVMET_OFFLOAD_A_CAPS_MAX_INLINE, "max-inline", K_U32),
	A(NVMET_OFFLOAD_A_CAPS_BACKENDS, "backends", K_U32, .en = &en_backend),
	A(NVMET_OFFLOAD_A_CAPS_PAD, "pad", K_PAD),
	A(NVMET_OFFLOAD_A_CAPS_TAKE, "take", K_U32),
	A(NVMET_OFFLOAD_A_CAPS_SGL, "sgl", K_U32),
	A(NVMET_OFFLOAD_A_CAPS_MAX_H2C_DATA, "max-h2c-data", K_U32),
	A(NVMET_OFFLOAD_A_CAPS_MAX_HPDA, "max-hpda", K_U32));

SET(set_dev, "dev", NVMET_OFFLOAD_A_DEV_MAX,
	A(NVMET_OFFLOAD_A_DEV_ID, "id", K_U32),
	A(NVMET_OFFLOAD_A_DEV_NAME, "name", K_STR),
	A(NVMET_OFFLOAD_A_DEV_STATE, "state", K_U32, .en = &en_dev_state),
	A(NVMET_OFFLOAD_A_DEV_CAPS, "caps", K_NEST, .nest = &set_caps),
	A(NVMET_OFFLOAD_A_DEV_NR_QUEUES, "nr-queues", K_U32),
	A(NVMET_OFFLOAD_A_DEV_ENGINES, "engines", K_U32),
	A(NVMET_OFFLOAD_A_DEV_API_VERSION, "api-version", K_U32));

SET(set_port, "port", NVMET_OFFLOAD_A_PORT_MAX,
	A(NVMET_OFFLOAD_A_PORT_ID, "id", K_U32),
	A(NVMET_OFFLOAD_A_PORT_TRADDR, "traddr", K_STR),
	A(NVMET_OFFLOAD_A_PORT_TRSVCID, "trsvcid", K_STR),
	A(NVMET_OFFLOAD_A_PORT_ADRFAM, "adrfam", K_U32, .en = &en_adrfam),
	A(NVMET_OFFLOAD_A_PORT_POLICY, "policy", K_U32, .en = &en_policy),
	A(NVMET_OFFLOAD_A_PORT_DEV_ID, "dev-id", K_U32),
	A(NVMET_OFFLOAD_A_PORT_DEV_NAME, "dev-name", K_STR),
	A(NVMET_OFFLOAD_A_PORT_TRANSPORT, "transport", K_U32,
	  .en = &en_transport));

SET(set_queue, "queue", NVMET_OFFLOAD_A_QUEUE_MAX,
	A(NVMET_OFFLOAD_A_QUEUE_ID, "id", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_PORT_ID, "port-id", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_CTRL_ID, "ctrl-id", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_QID, "qid", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_HOSTNQN, "hostnqn", K_STR),
	A(NVMET_OFFLOAD_A_QUEUE_SUBSYSNQN, "subsysnqn", K_STR),
	A(NVMET_OFFLOAD_A_QUEUE_STATE, "state", K_U32, .en = &en_queue_state),
	A(NVMET_OFFLOAD_A_QUEUE_DEV_ID, "dev-id", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_ENGINE, "engine", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_DEPTH, "depth", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_INFLIGHT, "inflight", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_CPU, "cpu", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_OFFLOAD, "offload", K_U32, .en = &en_policy),
	A(NVMET_OFFLOAD_A_QUEUE_FALLBACK_REASON, "fallback-reason", K_U32,
	  .en = &en_reason),
	A(NVMET_OFFLOAD_A_QUEUE_MOVE_US, "move-us", K_U32),
	A(NVMET_OFFLOAD_A_QUEUE_TRANSPORT, "transport", K_U32,
	  .en = &en_transport));

SET(set_lat, "lat-hist", NVMET_OFFLOAD_A_LAT_HIST_MAX,
	A(NVMET_OFFLOAD_A_LAT_HIST_BUCKET, "bucket", K_U64, .multi = true),
	A(NVMET_OFFLOAD_A_LAT_HIST_PAD, "pad", K_PAD));

SET(set_opc, "opcode-count", NVMET_OFFLOAD_A_OPCODE_COUNT_MAX,
	A(NVMET_OFFLOAD_A_OPCODE_COUNT_OPCODE, "opcode", K_U32),
	A(NVMET_OFFLOAD_A_OPCODE_COUNT_COUNT, "count", K_U64),
	A(NVMET_OFFLOAD_A_OPCODE_COUNT_PAD, "pad", K_PAD));

SET(set_counters, "counters", NVMET_OFFLOAD_A_COUNTERS_MAX,
	A(NVMET_OFFLOAD_A_COUNTERS_READ_CMDS, "read-cmds", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_READ_BLOCKS, "read-blocks", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_WRITE_CMDS, "write-cmds", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_WRITE_BLOCKS, "write-blocks", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_INLINE_WRITE_CMDS, "inline-write-cmds",
	  K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_FLUSH_CMDS, "flush-cmds", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_WRITE_ZEROES_CMDS, "write-zeroes-cmds",
	  K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_ERRORS, "errors", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_BACKEND_ERRORS, "backend-errors", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_PUNTED_CMDS, "punted-cmds", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_UNKNOWN_NS_CMDS, "unknown-ns-cmds", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_LAT_HIST, "lat-hist", K_NEST,
	  .nest = &set_lat),
	A(NVMET_OFFLOAD_A_COUNTERS_PUNTED_BY_OPCODE, "punted-by-opcode",
	  K_NEST, .multi = true, .nest = &set_opc),
	A(NVMET_OFFLOAD_A_COUNTERS_OFFLOAD_EVENTS, "offload-events", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_RECLAIM_EVENTS, "reclaim-events", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_FALLBACK_EVENTS, "fallback-events", K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_PAD, "pad", K_PAD),
	A(NVMET_OFFLOAD_A_COUNTERS_ADMIT_DEPTH_EVENTS, "admit-depth-events",
	  K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_ADMIT_DIGEST_EVENTS, "admit-digest-events",
	  K_U64),
	A(NVMET_OFFLOAD_A_COUNTERS_ADMIT_LIMIT_EVENTS, "admit-limit-events",
	  K_U64));

SET(set_stats, "stats", NVMET_OFFLOAD_A_STATS_MAX,
	A(NVMET_OFFLOAD_A_STATS_SCOPE, "scope", K_U32, .en = &en_scope),
	A(NVMET_OFFLOAD_A_STATS_DEV_ID, "dev-id", K_U32),
	A(NVMET_OFFLOAD_A_STATS_PORT_ID, "port-id", K_U32),
	A(NVMET_OFFLOAD_A_STATS_NSID, "nsid", K_U32),
	A(NVMET_OFFLOAD_A_STATS_QUEUE_ID, "queue-id", K_U32),
	A(NVMET_OFFLOAD_A_STATS_SUBSYSNQN, "subsysnqn", K_STR),
	A(NVMET_OFFLOAD_A_STATS_COUNTERS, "counters", K_NEST,
	  .nest = &set_counters));

SET(set_ns_entry, "ns-entry", NVMET_OFFLOAD_A_NS_ENTRY_MAX,
	A(NVMET_OFFLOAD_A_NS_ENTRY_NSID, "nsid", K_U32),
	A(NVMET_OFFLOAD_A_NS_ENTRY_NR_BLOCKS, "nr-blocks", K_U64),
	A(NVMET_OFFLOAD_A_NS_ENTRY_LBA_SHIFT, "lba-shift", K_U32),
	A(NVMET_OFFLOAD_A_NS_ENTRY_FLAGS, "flags", K_U32, .en = &en_ns_flags),
	A(NVMET_OFFLOAD_A_NS_ENTRY_STATE, "state", K_U32,
	  .en = &en_ns_entry_state),
	A(NVMET_OFFLOAD_A_NS_ENTRY_PAD, "pad", K_PAD));

SET(set_ns_table, "ns-table", NVMET_OFFLOAD_A_NS_TABLE_MAX,
	A(NVMET_OFFLOAD_A_NS_TABLE_DEV_ID, "dev-id", K_U32),
	A(NVMET_OFFLOAD_A_NS_TABLE_SUBSYSNQN, "subsysnqn", K_STR),
	A(NVMET_OFFLOAD_A_NS_TABLE_SUBSYS_ID, "subsys-id", K_U32),
	A(NVMET_OFFLOAD_A_NS_TABLE_GEN, "gen", K_U64),
	A(NVMET_OFFLOAD_A_NS_TABLE_STATE, "state", K_U32,
	  .en = &en_ns_table_state),
	A(NVMET_OFFLOAD_A_NS_TABLE_ENTRY, "entry", K_NEST, .multi = true,
	  .nest = &set_ns_entry),
	A(NVMET_OFFLOAD_A_NS_TABLE_PAD, "pad", K_PAD));

struct cmd_desc {
	const char *name;
	unsigned int cmd;
	const struct set_desc *set;
};

static const struct cmd_desc cmds[] = {
	{ "dev-get", NVMET_OFFLOAD_CMD_DEV_GET, &set_dev },
	{ "port-get", NVMET_OFFLOAD_CMD_PORT_GET, &set_port },
	{ "port-set", NVMET_OFFLOAD_CMD_PORT_SET, &set_port },
	{ "queue-get", NVMET_OFFLOAD_CMD_QUEUE_GET, &set_queue },
	{ "queue-set", NVMET_OFFLOAD_CMD_QUEUE_SET, &set_queue },
	{ "stats-get", NVMET_OFFLOAD_CMD_STATS_GET, &set_stats },
	{ "stats-reset", NVMET_OFFLOAD_CMD_STATS_RESET, &set_stats },
	{ "dev-add", NVMET_OFFLOAD_CMD_DEV_ADD, &set_dev },
	{ "dev-del", NVMET_OFFLOAD_CMD_DEV_DEL, &set_dev },
	{ "queue-offloaded", NVMET_OFFLOAD_CMD_QUEUE_OFFLOADED, &set_queue },
	{ "queue-reclaimed", NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED, &set_queue },
	{ "queue-fallback", NVMET_OFFLOAD_CMD_QUEUE_FALLBACK, &set_queue },
	{ "port-policy-changed", NVMET_OFFLOAD_CMD_PORT_POLICY_CHANGED,
	  &set_port },
	{ "dev-failed", NVMET_OFFLOAD_CMD_DEV_FAILED, &set_dev },
	{ "ns-table-get", NVMET_OFFLOAD_CMD_NS_TABLE_GET, &set_ns_table },
};
#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd_desc *cmd_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static const struct cmd_desc *cmd_by_num(unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < NR_CMDS; i++)
		if (cmds[i].cmd == cmd)
			return &cmds[i];
	return NULL;
}

/* Options */
static bool opt_dump, opt_ack, opt_count;
static int opt_trunc, opt_timeout = 10, opt_events = 1;
static const char *opt_ready;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("nl_raw: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Message building */

static void put_attr(struct nl_buf *m, unsigned int type, const void *data,
		     size_t len)
{
	if (!nl_put_attr(m, type, data, len, 0))
		die("request too big");
}

static int enum_value(const struct enum_desc *en, const char *s,
		      unsigned long long *v)
{
	unsigned int i;

	for (i = 0; i < en->n; i++) {
		if (!strcmp(en->names[i], s)) {
			*v = en->flags ? 1ULL << i : en->first + i;
			return 0;
		}
	}
	return -1;
}

static unsigned long long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("%s: not a number: \"%s\"", what, s);
	return v;
}

/* "@TYPE:KIND=VALUE" */
static void put_raw(struct nl_buf *m, const char *arg)
{
	char kind[16];
	const char *colon = strchr(arg, ':'), *eq = strchr(arg, '=');
	unsigned int type;
	char *end;

	if (!colon)
		die("raw attribute \"%s\": expected @TYPE:KIND[=VALUE]", arg);
	type = strtoul(arg + 1, &end, 0);
	if (end != colon)
		die("raw attribute \"%s\": bad type", arg);
	snprintf(kind, sizeof(kind), "%.*s",
		 (int)((eq ? eq : colon + strlen(colon)) - colon - 1), colon + 1);
	if (!strcmp(kind, "flag")) {
		put_attr(m, type, NULL, 0);
		return;
	}
	if (!eq)
		die("raw attribute \"%s\": KIND %s needs =VALUE", arg, kind);
	eq++;
	if (!strcmp(kind, "u8")) {
		uint8_t v = parse_num(eq, arg);

		put_attr(m, type, &v, sizeof(v));
	} else if (!strcmp(kind, "u16")) {
		uint16_t v = parse_num(eq, arg);

		put_attr(m, type, &v, sizeof(v));
	} else if (!strcmp(kind, "u32")) {
		uint32_t v = parse_num(eq, arg);

		put_attr(m, type, &v, sizeof(v));
	} else if (!strcmp(kind, "u64")) {
		uint64_t v = parse_num(eq, arg);

		put_attr(m, type, &v, sizeof(v));
	} else if (!strcmp(kind, "str")) {
		put_attr(m, type, eq, strlen(eq) + 1);
	} else if (!strcmp(kind, "strn")) {
		put_attr(m, type, eq, strlen(eq));
	} else if (!strcmp(kind, "hex")) {
		unsigned char bytes[4096];
		size_t n = strlen(eq) / 2, i;

		if (strlen(eq) % 2 || n > sizeof(bytes))
			die("raw attribute \"%s\": bad hex", arg);
		for (i = 0; i < n; i++)
			if (sscanf(eq + 2 * i, "%2hhx", &bytes[i]) != 1)
				die("raw attribute \"%s\": bad hex", arg);
		put_attr(m, type, bytes, n);
	} else {
		die("raw attribute \"%s\": unknown KIND %s", arg, kind);
	}
}

/* "NAME=VALUE" in the command's attribute set */
static void put_named(struct nl_buf *m, const struct set_desc *set,
		      const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct attr_desc *a = NULL;
	unsigned int type;
	unsigned long long v;

	for (type = 1; type <= set->max; type++) {
		a = &set->attrs[type];
		if (a->name && strlen(a->name) == nlen &&
		    !strncmp(a->name, arg, nlen))
			break;
	}
	if (type > set->max)
		die("\"%.*s\" is no attribute of set %s", (int)nlen, arg,
		    set->name);
	if (a->kind == K_FLAG) {
		put_attr(m, type, NULL, 0);
		return;
	}
	if (!eq)
		die("attribute %s needs a value", a->name);
	eq++;
	switch (a->kind) {
	case K_U32: {
		uint32_t u;

		if (!a->en || enum_value(a->en, eq, &v))
			v = parse_num(eq, a->name);
		u = v;
		put_attr(m, type, &u, sizeof(u));
		break;
	}
	case K_U64: {
		uint64_t u = parse_num(eq, a->name);

		put_attr(m, type, &u, sizeof(u));
		break;
	}
	case K_STR:
		put_attr(m, type, eq, strlen(eq) + 1);
		break;
	default:
		die("attribute %s cannot be given on the command line",
		    a->name);
	}
}

/* Printing */

static void print_enum(const struct enum_desc *en, uint64_t v)
{
	unsigned int i;
	bool first = true;

	if (en->flags) {
		if (!v) {
			fputs("0", stdout);
			return;
		}
		for (i = 0; i < 64; i++) {
			if (!(v & (1ULL << i)))
				continue;
			printf("%s%s", first ? "" : "|",
			       i < en->n ? en->names[i] : "?");
			first = false;
		}
		return;
	}
	if (v >= en->first && v - en->first < en->n)
		fputs(en->names[v - en->first], stdout);
	else
		printf("%llu", (unsigned long long)v);
}

static void print_attrs(const struct set_desc *set, const char *prefix,
			const void *data, size_t len);

static void print_attr(const struct set_desc *set, const char *prefix,
		       const struct nlattr *nla, bool cont)
{
	unsigned int type = nla->nla_type & NLA_TYPE_MASK;
	const struct attr_desc *a = type <= set->max ? &set->attrs[type] : NULL;
	const unsigned char *p = (const unsigned char *)nla + NLA_HDRLEN;
	size_t len = nla->nla_len - NLA_HDRLEN;
	char sub[256];
	size_t i;

	if (a && a->kind == K_PAD)
		return;
	if (!a || !a->name) {
		printf(" %sattr%u=", prefix, type);
		for (i = 0; i < len; i++)
			printf("%02x", p[i]);
		return;
	}
	if (a->kind == K_NEST) {
		snprintf(sub, sizeof(sub), "%s%s.", prefix, a->name);
		print_attrs(a->nest, sub, p, len);
		return;
	}
	if (cont)
		putchar(',');
	else
		printf(" %s%s=", prefix, a->name);
	switch (a->kind) {
	case K_U32:
	case K_U64: {
		uint64_t v;

		if (len == 4) {
			uint32_t u;

			memcpy(&u, p, 4);
			v = u;
		} else if (len == 8) {
			memcpy(&v, p, 8);
		} else {
			printf("<len %zu>", len);
			break;
		}
		if (a->en)
			print_enum(a->en, v);
		else
			printf("%llu", (unsigned long long)v);
		break;
	}
	case K_STR:
		printf("%.*s", (int)strnlen((const char *)p, len), p);
		break;
	case K_FLAG:
		fputs("1", stdout);
		break;
	default:
		break;
	}
}

static void print_attrs(const struct set_desc *set, const char *prefix,
			const void *data, size_t len)
{
	const struct nlattr *nla;
	unsigned int last = 0;
	size_t rem;

	for_each_nla(nla, data, len, rem) {
		unsigned int type = nla->nla_type & NLA_TYPE_MASK;
		bool multi = type <= set->max && set->attrs[type].multi &&
			     set->attrs[type].kind != K_NEST;

		print_attr(set, prefix, nla, multi && type == last);
		last = type;
	}
}

/* The socket */

static int nl_fd = -1;
static uint32_t nl_seq;

static void nl_open(void)
{
	const char *failed;

	nl_fd = genl_sock_open(0, &failed);
	if (nl_fd < 0)
		die("%s: %s", failed, strerror(errno));
	nl_seq = time(NULL);
}

/* A request for cmd in m: the headers, attributes to follow. */
static void msg_init(struct nl_buf *m, uint8_t cmd)
{
	static uint8_t buf[65536];

	m->p = buf;
	m->len = 0;
	m->cap = sizeof(buf);
	genl_msg_start(m, cmd, 1);
}

/* Finish the request in m, cut trunc bytes off, send it. Returns its seq. */
static uint32_t nl_send(struct nl_buf *m, uint16_t type, uint16_t flags,
			int trunc)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->p;
	size_t len;

	genl_msg_end(m, 0, type, NLM_F_REQUEST | flags, ++nl_seq);
	len = nlh->nlmsg_len;
	if (trunc) {
		if ((size_t)trunc >= len)
			die("--trunc %d: the request is only %zu bytes", trunc,
			    len);
		len -= trunc;
		nlh->nlmsg_len = len;
	}
	if (genl_send(nl_fd, m->p, len) < 0)
		die("sendto: %s", strerror(errno));
	return nlh->nlmsg_seq;
}

/* Prints the error of an NLMSG_ERROR or NLMSG_DONE; returns its errno. */
static int print_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const struct nlattr *nla;
	const char *name;
	size_t off, len;
	int err;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
		off = NLMSG_HDRLEN + sizeof(int);
	} else {
		err = e->error;
		off = NLMSG_HDRLEN + sizeof(*e);
		/* Without NETLINK_CAP_ACK the request follows whole. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
	}
	if (!err)
		return 0;
	name = errno_name(-err);
	printf("error=%s errno=%d", name ? name : "E?", -err);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off > nlh->nlmsg_len) {
		putchar('\n');
		return -err;
	}
	for_each_nla(nla, (const char *)nlh + off, nlh->nlmsg_len - off, len) {
		const char *p = nla_payload(nla);
		uint32_t u;

		switch (nla->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			printf(" msg=\"%.*s\"", (int)strnlen(p, nla->nla_len -
							      NLA_HDRLEN), p);
			break;
		case NLMSGERR_ATTR_OFFS:
			memcpy(&u, p, 4);
			printf(" offs=%u", u);
			break;
#ifdef NLMSGERR_ATTR_MISS_TYPE
		case NLMSGERR_ATTR_MISS_TYPE:
			memcpy(&u, p, 4);
			printf(" miss-type=%u", u);
			break;
#endif
		}
	}
	putchar('\n');
	return -err;
}

/* One datagram, or -1 after the timeout. */
static ssize_t nl_recv(void *buf, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = nl_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	n = recv(nl_fd, buf, size, 0);
	if (n < 0)
		die("recv: %s", strerror(errno));
	return n;
}

typedef void (*msg_fn)(const struct nlmsghdr *nlh, void *arg);

/*
 * Reads the answers to request @seq until its ack or NLMSG_DONE; calls
 * @fn for each other message. Returns 0, an errno, or -1 on timeout.
 */
static int nl_answers(uint32_t seq, msg_fn fn, void *arg,
		      unsigned int *datagrams)
{
	static unsigned char buf[1 << 20];

	for (;;) {
		ssize_t n = nl_recv(buf, sizeof(buf), opt_timeout * 1000);
		struct nlmsghdr *nlh;
		size_t len;
		bool counted = false;

		if (n < 0)
			return -1;
		len = n;
		for (nlh = (void *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE)
				return print_error(nlh);
			if (datagrams && !counted) {
				(*datagrams)++;
				counted = true;
			}
			fn(nlh, arg);
			if (!(nlh->nlmsg_flags & NLM_F_MULTI) && !opt_ack)
				return 0;
		}
	}
}

/* The family */

struct family {
	struct genl_family g;
	uint32_t monitor_grp;
	char ops[1024];		/* "NAME:do+dump+admin,..." */
	char grps[256];		/* "NAME:ID,..." */
};

static void parse_family(const struct nlmsghdr *nlh, void *arg)
{
	struct family *f = arg;

	genl_parse_family(nlh, &f->g);
}

/* The ops and multicast groups as "nl_raw family" lists them. */
static void describe_family(struct family *f)
{
	unsigned int i;
	size_t l;

	for (i = 0; i < f->g.nops; i++) {
		const struct cmd_desc *c = cmd_by_num(f->g.ops[i].id);
		uint32_t flags = f->g.ops[i].flags;

		l = strlen(f->ops);
		snprintf(f->ops + l, sizeof(f->ops) - l, "%s%s:%s%s%s",
			 l ? "," : "", c ? c->name : "?",
			 flags & GENL_CMD_CAP_DO ? "do" : "",
			 flags & GENL_CMD_CAP_DUMP ? "+dump" : "",
			 flags & GENL_ADMIN_PERM ? "+admin" : "");
	}
	for (i = 0; i < f->g.ngrps; i++) {
		const char *name = f->g.grps[i].name;

		l = strlen(f->grps);
		snprintf(f->grps + l, sizeof(f->grps) - l, "%s%s:%u",
			 l ? "," : "", name, f->g.grps[i].id);
		if (!strcmp(name, NVMET_OFFLOAD_MCGRP_MONITOR))
			f->monitor_grp = f->g.grps[i].id;
	}
}

static int resolve(struct family *f)
{
	struct nl_buf m;
	uint32_t seq;
	int ret;

	memset(f, 0, sizeof(*f));
	msg_init(&m, CTRL_CMD_GETFAMILY);
	put_attr(&m, CTRL_ATTR_FAMILY_NAME, NVMET_OFFLOAD_FAMILY_NAME,
		 sizeof(NVMET_OFFLOAD_FAMILY_NAME));
	seq = nl_send(&m, GENL_ID_CTRL, NLM_F_ACK, 0);
	opt_ack = true;
	ret = nl_answers(seq, parse_family, f, NULL);
	if (ret == -1) {
		fprintf(stderr, "nl_raw: no answer from nlctrl\n");
		exit(EXIT_TIMEOUT);
	}
	if (ret)
		exit(EXIT_KERNEL);	/* ENOENT: not registered */
	describe_family(f);
	return 0;
}

/* Requests */

struct print_ctx {
	unsigned int objects;
};

static void print_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	const struct cmd_desc *c = cmd_by_num(g->cmd);
	struct print_ctx *pc = arg;

	pc->objects++;
	if (opt_count)
		return;
	if (!c) {
		printf("cmd%u", g->cmd);
		putchar('\n');
		return;
	}
	fputs(c->name, stdout);
	print_attrs(c->set, "", (const char *)g + GENL_HDRLEN,
		    nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	putchar('\n');
	fflush(stdout);
}

static int do_request(const struct family *f, const struct cmd_desc *c,
		      int argc, char **argv)
{
	struct nl_buf m;
	struct print_ctx pc = { 0 };
	unsigned int datagrams = 0;
	uint32_t seq;
	int i, ret;

	if (!opt_dump)
		opt_ack = true;
	msg_init(&m, c->cmd);
	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '@')
			put_raw(&m, argv[i]);
		else
			put_named(&m, c->set, argv[i]);
	}
	seq = nl_send(&m, f->g.id, (opt_dump ? NLM_F_DUMP : 0) |
		      (opt_ack ? NLM_F_ACK : 0), opt_trunc);
	ret = nl_answers(seq, print_msg, &pc, &datagrams);
	if (opt_count)
		printf("objects=%u datagrams=%u\n", pc.objects, datagrams);
	if (ret == -1) {
		fprintf(stderr, "nl_raw: no answer within %d s\n", opt_timeout);
		return EXIT_TIMEOUT;
	}
	return ret ? EXIT_KERNEL : 0;
}

static int do_monitor(const struct family *f)
{
	static unsigned char buf[1 << 16];
	struct print_ctx pc = { 0 };
	time_t end = time(NULL) + opt_timeout;

	if (!f->monitor_grp)
		die("the family has no monitor group");
	if (setsockopt(nl_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &f->monitor_grp, sizeof(f->monitor_grp)) < 0)
		die("joining the monitor group: %s", strerror(errno));
	if (opt_ready) {
		FILE *r = fopen(opt_ready, "w");

		if (r)
			fclose(r);
	}
	while (pc.objects < (unsigned int)opt_events) {
		time_t now = time(NULL);
		struct nlmsghdr *nlh;
		ssize_t n;
		size_t len;

		if (now >= end)
			return EXIT_TIMEOUT;
		n = nl_recv(buf, sizeof(buf), (end - now) * 1000);
		if (n < 0)
			return EXIT_TIMEOUT;
		len = n;
		for (nlh = (void *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len))
			if (nlh->nlmsg_type == f->g.id)
				print_msg(nlh, &pc);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nl_raw family\n"
		"       nl_raw [-d] [-a] [--trunc N] [--count] [--timeout S] CMD [NAME=VALUE | @TYPE:KIND=VALUE]...\n"
		"       nl_raw monitor [--events N] [--timeout S] [--ready FILE]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dump", no_argument, NULL, 'd' },
		{ "ack", no_argument, NULL, 'a' },
		{ "trunc", required_argument, NULL, 't' },
		{ "count", no_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "events", required_argument, NULL, 'e' },
		{ "ready", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd_desc *c;
	struct family f;
	bool user_ack;
	int o;

	while ((o = getopt_long(argc, argv, "da", longopts, NULL)) != -1) {
		switch (o) {
		case 'd':
			opt_dump = true;
			break;
		case 'a':
			opt_ack = true;
			break;
		case 't':
			opt_trunc = parse_num(optarg, "--trunc");
			break;
		case 'c':
			opt_count = true;
			break;
		case 'T':
			opt_timeout = parse_num(optarg, "--timeout");
			break;
		case 'e':
			opt_events = parse_num(optarg, "--events");
			break;
		case 'r':
			opt_ready = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();

	user_ack = opt_ack;
	nl_open();
	resolve(&f);
	opt_ack = user_ack;
	if (!strcmp(argv[optind], "family")) {
		printf("name=%s id=%u version=%u ops=%s mcast=%s\n",
		       NVMET_OFFLOAD_FAMILY_NAME, f.g.id, f.g.version, f.ops,
		       f.grps);
		return 0;
	}
	if (!strcmp(argv[optind], "monitor"))
		return do_monitor(&f);
	c = cmd_by_name(argv[optind]);
	if (!c)
		die("unknown command \"%s\"", argv[optind]);
	return do_request(&f, c, argc - optind - 1, argv + optind + 1);
}
