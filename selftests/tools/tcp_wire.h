/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp_wire - the host side of the NVMe/TCP wire for the test clients: the
 * TCP connection, PDU framing as ICReq/ICResp settled it, and the NVMe
 * commands a host sends to get a controller going (Connect, Property
 * Get/Set, Identify, Read/Write).
 *
 * PDU layouts come from the project's codec header
 * (include/linux/nvmet_offload_pdu.h, linked as the nvo_codec library);
 * the NVMe SQE, CQE and Connect data, which the codec does not define, are
 * written here from the NVMe base and fabrics specifications.
 */
#ifndef SELFTESTS_TOOLS_TCP_WIRE_H
#define SELFTESTS_TOOLS_TCP_WIRE_H

#include <stddef.h>

#include <linux/nvmet_offload_pdu.h>

#define DISC_NQN	"nqn.2014-08.org.nvmexpress.discovery"

/* ---- NVMe structures the codec does not define ------------------------- */

struct sqe {
	__u8	opcode;
	__u8	flags;
	__u16	cid;		/* as is: CQEs and C2H PDUs echo it */
	__le32	nsid;		/* byte 4 is fctype for fabrics commands */
	__u8	rsvd8[16];
	__le64	sgl_addr;	/* DPTR: one SGL descriptor */
	__le32	sgl_len;
	__u8	sgl_rsvd[3];
	__u8	sgl_type;	/* descriptor type << 4 | subtype */
	__le32	cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
} __attribute__((packed));

struct cqe {
	__le64	result;
	__le16	sq_head;
	__le16	sq_id;
	__u16	cid;
	__le16	status;		/* bit 0: phase */
} __attribute__((packed));

struct connect_data {
	__u8	hostid[16];
	__le16	cntlid;
	__u8	rsvd[238];
	char	subsysnqn[256];
	char	hostnqn[256];
	__u8	rsvd2[256];
} __attribute__((packed));

/* CapsuleCmd and CapsuleResp with the SQE and CQE as structures. */
struct tw_cmd_pdu {
	struct nvo_pdu_common	hdr;
	struct sqe		sqe;
} __attribute__((packed));

struct tw_rsp_pdu {
	struct nvo_pdu_common	hdr;
	struct cqe		cqe;
} __attribute__((packed));

_Static_assert(sizeof(struct sqe) == 64, "sqe");
_Static_assert(sizeof(struct cqe) == 16, "cqe");
_Static_assert(sizeof(struct connect_data) == 1024, "connect data");
_Static_assert(sizeof(struct nvo_pdu_cmd) == NVO_CMD_HLEN, "cmd pdu");
_Static_assert(sizeof(struct tw_cmd_pdu) == NVO_CMD_HLEN, "typed cmd pdu");
_Static_assert(sizeof(struct tw_rsp_pdu) == NVO_RSP_HLEN, "typed rsp pdu");
_Static_assert(sizeof(struct nvo_pdu_data) == NVO_DATA_HLEN, "data pdu");
_Static_assert(sizeof(struct nvo_pdu_term) == NVO_TERM_HLEN, "term pdu");

#define OPC_WRITE	0x01
#define OPC_READ	0x02
#define OPC_IDENTIFY	0x06
#define OPC_FABRICS	0x7f
#define FCT_PROP_SET	0x00
#define FCT_CONNECT	0x01
#define FCT_PROP_GET	0x04
#define PSDT_SGL	0x40	/* flags: SGLs, metadata buffer (what hosts send) */
#define SGL_INCAPSULE	0x01	/* data block, offset address: in-capsule data */
#define SGL_TRANSPORT	0x5a	/* transport data block: R2T / C2HData */
#define REG_CAP		0x00
#define REG_CC		0x14
#define REG_CSTS	0x1c
#define CC_ENABLE	((4u << 20) | (6u << 16) | 1u)	/* IOCQES 4, IOSQES 6, EN */

/* ---- the connection -------------------------------------------------------- */

/* How this host frames its PDUs on a connection: what ICResp settled. */
struct tw_link {
	bool	hdgst;		/* negotiated digests */
	bool	ddgst;
	__u8	cpda;		/* controller PDU data alignment, 0's based dwords */
	__u32	maxh2cdata;
};

/* Who we are in Connect. */
struct tw_host {
	__u8	hostid[16];
	char	hostnqn[224];
};

/*
 * A TCP connection to addr:port with TCP_NODELAY: every send() leaves at
 * once, so the target sees our PDU boundaries and split points. -1 (said
 * on stderr) when it fails.
 */
int tw_tcp_connect(const char *addr, const char *port);

enum tw_rx {
	TW_RX_OK,
	TW_RX_CLOSED,	/* EOF, or an error such as a reset */
	TW_RX_TIMEOUT,
	TW_RX_BAD,	/* a PDU no target should send (the callers' verdict) */
};

/*
 * Read exactly len bytes before deadline (now_s() clock; at the deadline
 * it still takes what has already arrived). TW_RX_CLOSED sets *err to 0
 * for EOF, else to the errno.
 */
enum tw_rx tw_recv_exact(int fd, void *buf, size_t len, double deadline,
			 int *err);

/*
 * Send all of buf (MSG_NOSIGNAL). Returns the bytes sent; when that is
 * short, *err says why (ETIMEDOUT: the socket took nothing for stall_ms).
 */
size_t tw_send_all(int fd, const void *buf, size_t len, int stall_ms,
		   int *err);

/* ---- PDUs -------------------------------------------------------------------- */

void tw_fill_icreq(struct nvo_pdu_icreq *ic, __u8 digest, __u8 hpda);
/* An ICResp of the right type and size (its fields unchecked). */
bool tw_icresp_ok(const struct nvo_pdu_icresp *ir);
/* Take the digests, CPDA and MAXH2CDATA an ICResp settled. */
void tw_link_from_icresp(struct tw_link *l, const struct nvo_pdu_icresp *ir);

/* CRC32C of buf, as NVMe/TCP data digests carry it. */
__u32 tw_digest(const void *buf, size_t len);

/*
 * A PDU as a conforming host builds it on l: header (hlen bytes, type and
 * flags set by the caller), header digest, padding to the controller's
 * alignment, data, data digest. Returns its length in out.
 */
size_t tw_build_pdu(const struct tw_link *l, void *hdr, __u8 hlen,
		    const void *data, __u32 dlen, __u8 *out);
/* Recompute the header digest after a caller edited a built header. */
void tw_refresh_hdgst(const struct tw_link *l, __u8 *pdu);

/* ---- commands ---------------------------------------------------------------- */

void tw_sqe_init(struct sqe *s, __u8 opcode, __u16 cid);
void tw_sqe_sgl(struct sqe *s, __u8 type, __u32 len);

void tw_fill_connect(struct sqe *s, struct connect_data *d, __u16 cid,
		     const struct tw_host *host, const char *subnqn, __u16 qid,
		     __u16 cntlid, __u16 sqsize);
/* Property Get or Set; wide: an 8-byte property. */
void tw_fill_prop(struct sqe *s, __u16 cid, bool set, __u32 reg, bool wide,
		  __u64 val);
/* Identify CNS cns, 4 KiB by C2HData. */
void tw_fill_identify(struct sqe *s, __u16 cid, __u32 nsid, __u32 cns);
/* Read or Write of len bytes at lba, data described by sgl_type. */
void tw_fill_rw(struct sqe *s, __u16 cid, __u8 opcode, __u32 nsid, __u64 lba,
		__u32 len, __u32 lbasize, __u8 sgl_type);

/* In-capsule data an I/O queue takes (IOCCSZ of Identify Controller). */
__u32 tw_id_inline_max(const __u8 *id_ctrl);
/* LBADS of the namespace's formatted LBA format (Identify Namespace). */
__u8 tw_id_lbads(const __u8 *id_ns);

/* Make 16 random bytes a version 4 UUID. */
void tw_uuid_v4(__u8 *u);

#endif
