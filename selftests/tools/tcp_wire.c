// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "monotime.h"
#include "tcp_wire.h"

int tw_tcp_connect(const char *addr, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, one = 1, rc;

	rc = getaddrinfo(addr, port, &hints, &res);
	if (rc) {
		fprintf(stderr, "getaddrinfo %s:%s: %s\n", addr, port,
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
		fprintf(stderr, "connect %s:%s: %s\n", addr, port, strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

enum tw_rx tw_recv_exact(int fd, void *buf, size_t len, double deadline,
			 int *err)
{
	__u8 *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = (int)((deadline - now_s()) * 1000);
		ssize_t n;

		if (ms < 0)
			ms = 0;
		if (poll(&pfd, 1, ms) == 0)
			return TW_RX_TIMEOUT;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			*err = n == 0 ? 0 : errno;
			return TW_RX_CLOSED;
		}
		p += n;
		len -= (size_t)n;
	}
	return TW_RX_OK;
}

size_t tw_send_all(int fd, const void *buf, size_t len, int stall_ms,
		   int *err)
{
	const __u8 *p = buf;
	size_t done = 0;

	*err = 0;
	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL);

		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, stall_ms) > 0)
				continue;
			*err = ETIMEDOUT;
		} else {
			*err = errno;
		}
		break;
	}
	return done;
}

void tw_fill_icreq(struct nvo_pdu_icreq *ic, __u8 digest, __u8 hpda)
{
	memset(ic, 0, sizeof(*ic));
	ic->hdr.type = NVO_PDU_ICREQ;
	ic->hdr.hlen = NVO_IC_PDU_LEN;
	ic->hdr.plen = cpu_to_le32(NVO_IC_PDU_LEN);
	ic->pfv = cpu_to_le16(0);
	ic->hpda = hpda;
	ic->digest = digest;
	ic->maxr2t = cpu_to_le32(0);	/* 0's based: one outstanding R2T */
}

bool tw_icresp_ok(const struct nvo_pdu_icresp *ir)
{
	return ir->hdr.type == NVO_PDU_ICRESP && ir->hdr.hlen == NVO_IC_PDU_LEN &&
	       le32_to_cpu(ir->hdr.plen) == NVO_IC_PDU_LEN;
}

void tw_link_from_icresp(struct tw_link *l, const struct nvo_pdu_icresp *ir)
{
	l->hdgst = ir->digest & NVO_F_HDGST;
	l->ddgst = ir->digest & NVO_F_DDGST;
	l->cpda = ir->cpda;
	l->maxh2cdata = le32_to_cpu(ir->maxdata);
}

__u32 tw_digest(const void *buf, size_t len)
{
	return nvo_digest_final(nvo_crc32c_update(nvo_digest_init(), buf, len));
}

size_t tw_build_pdu(const struct tw_link *l, void *hdr, __u8 hlen,
		    const void *data, __u32 dlen, __u8 *out)
{
	struct nvo_pdu_common *h = hdr;
	/* ICReq and H2CTermReq never carry a header digest. */
	bool hd = l->hdgst && h->type != NVO_PDU_H2C_TERM && h->type != NVO_PDU_ICREQ;
	size_t off, pdo = 0, hl = hlen + (hd ? NVO_DIGEST_LEN : 0);

	h->hlen = hlen;
	if (hd)
		h->flags |= NVO_F_HDGST;
	if (dlen) {
		size_t align = ((size_t)l->cpda + 1) * 4;

		pdo = (hl + align - 1) / align * align;
		if (l->ddgst)
			h->flags |= NVO_F_DDGST;
	}
	h->pdo = (__u8)pdo;
	h->plen = cpu_to_le32((__u32)(dlen ? pdo + dlen + (l->ddgst ? NVO_DIGEST_LEN : 0) : hl));
	memcpy(out, hdr, hlen);
	off = hlen;
	if (hd) {
		nvo_pdu_set_hdgst(out, hlen);
		off += NVO_DIGEST_LEN;
	}
	if (dlen) {
		memset(out + off, 0, pdo - off);
		memcpy(out + pdo, data, dlen);
		off = pdo + dlen;
		if (l->ddgst) {
			put_unaligned_le32(tw_digest(data, dlen), out + off);
			off += NVO_DIGEST_LEN;
		}
	}
	return off;
}

void tw_refresh_hdgst(const struct tw_link *l, __u8 *pdu)
{
	const struct nvo_pdu_common *h = (const void *)pdu;

	if (l->hdgst && (h->flags & NVO_F_HDGST))
		nvo_pdu_set_hdgst(pdu, h->hlen);
}

void tw_sqe_init(struct sqe *s, __u8 opcode, __u16 cid)
{
	memset(s, 0, sizeof(*s));
	s->opcode = opcode;
	s->cid = cid;
	s->flags = PSDT_SGL;
}

void tw_sqe_sgl(struct sqe *s, __u8 type, __u32 len)
{
	s->sgl_addr = 0;
	s->sgl_len = cpu_to_le32(len);
	s->sgl_type = type;
}

void tw_fill_connect(struct sqe *s, struct connect_data *d, __u16 cid,
		     const struct tw_host *host, const char *subnqn, __u16 qid,
		     __u16 cntlid, __u16 sqsize)
{
	tw_sqe_init(s, OPC_FABRICS, cid);
	s->nsid = cpu_to_le32(FCT_CONNECT);
	tw_sqe_sgl(s, SGL_INCAPSULE, sizeof(*d));
	s->cdw10 = cpu_to_le32((__u32)qid << 16);	/* recfmt 0, qid */
	s->cdw11 = cpu_to_le32(sqsize);		/* 0's based, cattr 0 */
	s->cdw12 = cpu_to_le32(0);		/* kato 0: no keep-alive */
	memset(d, 0, sizeof(*d));
	memcpy(d->hostid, host->hostid, sizeof(d->hostid));
	d->cntlid = cpu_to_le16(cntlid);
	snprintf(d->subsysnqn, sizeof(d->subsysnqn), "%s", subnqn);
	snprintf(d->hostnqn, sizeof(d->hostnqn), "%s", host->hostnqn);
}

void tw_fill_prop(struct sqe *s, __u16 cid, bool set, __u32 reg, bool wide,
		  __u64 val)
{
	tw_sqe_init(s, OPC_FABRICS, cid);
	s->nsid = cpu_to_le32(set ? FCT_PROP_SET : FCT_PROP_GET);
	tw_sqe_sgl(s, SGL_TRANSPORT, 0);	/* null SGL, as hosts send */
	s->cdw10 = cpu_to_le32(wide ? 1 : 0);	/* attrib: property size */
	s->cdw11 = cpu_to_le32(reg);		/* offset */
	s->cdw12 = cpu_to_le32((__u32)val);	/* value (set only) */
	s->cdw13 = cpu_to_le32((__u32)(val >> 32));
}

void tw_fill_identify(struct sqe *s, __u16 cid, __u32 nsid, __u32 cns)
{
	tw_sqe_init(s, OPC_IDENTIFY, cid);
	s->nsid = cpu_to_le32(nsid);
	tw_sqe_sgl(s, SGL_TRANSPORT, 4096);
	s->cdw10 = cpu_to_le32(cns);
}

void tw_fill_rw(struct sqe *s, __u16 cid, __u8 opcode, __u32 nsid, __u64 lba,
		__u32 len, __u32 lbasize, __u8 sgl_type)
{
	tw_sqe_init(s, opcode, cid);
	s->nsid = cpu_to_le32(nsid);
	tw_sqe_sgl(s, sgl_type, len);
	s->cdw10 = cpu_to_le32((__u32)lba);
	s->cdw11 = cpu_to_le32((__u32)(lba >> 32));
	s->cdw12 = cpu_to_le32(len / lbasize - 1);	/* NLB, 0's based */
}

__u32 tw_id_inline_max(const __u8 *id_ctrl)
{
	__u32 ioccsz = get_unaligned_le32(id_ctrl + 1792) * 16;

	return ioccsz > 64 ? ioccsz - 64 : 0;	/* less the SQE */
}

__u8 tw_id_lbads(const __u8 *id_ns)
{
	/* FLBAS (byte 26) picks an LBA format; LBADS is byte 2 of it (at 128). */
	return id_ns[128 + 4 * (id_ns[26] & 0xf) + 2];
}

void tw_uuid_v4(__u8 *u)
{
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
}
