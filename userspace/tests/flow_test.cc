// SPDX-License-Identifier: GPL-2.0
// The codec used end to end, the way the transport's receive and send paths
// use it: byte streams with real digests, parsed and answered.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "pdu_test_util.h"

namespace {

using namespace nvo_test;

using Bytes = std::vector<uint8_t>;

void Append(Bytes& out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}

void AppendLe32(Bytes& out, uint32_t v) {
  uint8_t b[4];
  put_unaligned_le32(v, b);
  Append(out, b, 4);
}

// What a host puts on the wire: header [HDGST] [pad] [data [DDGST]].
Bytes HostPdu(nvo_pdu_common common, const void* rest, size_t rest_len,
              const nvo_conn_params& p, const Bytes& data, uint32_t pad = 0) {
  const RefCrc32c crc;
  Bytes hdr;
  const uint32_t hl = sizeof(common) + rest_len + (p.hdgst ? 4 : 0);
  common.flags |= p.hdgst ? NVO_F_HDGST : 0;
  common.flags |= (p.ddgst && !data.empty()) ? NVO_F_DDGST : 0;
  common.pdo = data.empty() ? 0 : uint8_t(hl + pad);
  common.plen = cpu_to_le32(
      hl + (data.empty() ? 0 : pad + data.size() + (p.ddgst ? 4 : 0)));
  Append(hdr, &common, sizeof(common));
  Append(hdr, rest, rest_len);
  Bytes out = hdr;
  if (p.hdgst) AppendLe32(out, crc(hdr.data(), hdr.size()));
  if (!data.empty()) {
    out.insert(out.end(), pad, 0);
    Append(out, data.data(), data.size());
    if (p.ddgst) AppendLe32(out, crc(data.data(), data.size()));
  }
  return out;
}

// A receiver's view of one PDU at the front of @in.
struct Received {
  nvo_fes fes = NVO_FES_NONE;
  uint32_t fei = 0;
  bool hdgst_ok = true;
  bool ddgst_ok = true;
  Bytes header;  // without digest
  Bytes data;
  size_t consumed = 0;
};

Received Receive(const Bytes& in, const nvo_conn_params& p, bool ic_done) {
  Received r;
  nvo_pdu_common c;
  std::memcpy(&c, in.data(), sizeof(c));
  r.fes = nvo_pdu_check_h2c(&c, &p, ic_done, &r.fei);
  if (r.fes != NVO_FES_NONE) return r;
  const uint32_t hl = nvo_pdu_hdr_len(&c, &p);
  if (hl > c.hlen) r.hdgst_ok = nvo_pdu_hdgst_ok(in.data(), c.hlen);
  r.header.assign(in.begin(), in.begin() + c.hlen);
  const uint32_t pad = nvo_pdu_pad_len(&c, &p);
  const uint32_t len = nvo_pdu_data_len(&c, &p);
  const uint8_t* data = in.data() + hl + pad;
  r.data.assign(data, data + len);
  r.consumed = hl + pad + len;
  if (len && (c.flags & NVO_F_DDGST)) {
    // Data digests are computed as the data trickles in.
    uint32_t crc = nvo_digest_init();
    crc = nvo_crc32c_update(crc, data, len / 3);
    crc = nvo_crc32c_update(crc, data + len / 3, len - len / 3);
    r.ddgst_ok = nvo_digest_final(crc) == Le32At(data, len);
    r.consumed += 4;
  }
  EXPECT_EQ(r.consumed, le32_to_cpu(c.plen));
  return r;
}

nvo_conn_params Connect(uint8_t digest, uint8_t hpda, uint32_t maxh2cdata) {
  nvo_pdu_icreq req{};
  req.hdr = Common(NVO_PDU_ICREQ, 0, 128, 0, 128);
  req.hpda = hpda;
  req.digest = digest;
  const Bytes wire(reinterpret_cast<uint8_t*>(&req),
                   reinterpret_cast<uint8_t*>(&req) + sizeof(req));
  const auto r = Receive(wire, Params(), false);
  EXPECT_EQ(r.fes, NVO_FES_NONE);
  EXPECT_EQ(r.consumed, 128u);

  nvo_ic_limits lim{};
  lim.allow_hdgst = lim.allow_ddgst = true;
  lim.maxh2cdata = maxh2cdata;
  nvo_conn_params p{};
  nvo_pdu_icresp resp;
  uint32_t fei;
  EXPECT_EQ(nvo_icreq_accept(&req, &lim, &p, &resp, &fei), NVO_FES_NONE);
  return p;
}

TEST(Flow, InCapsuleWriteWithDigestsAndPadding) {
  const auto p = Connect(NVO_F_HDGST | NVO_F_DDGST, 0, 8192);
  ASSERT_TRUE(p.hdgst && p.ddgst);
  uint8_t sqe[64] = {0x01, 0, 0x34, 0x12};
  const Bytes data = Pattern(1000, 3);
  const Bytes wire =
      HostPdu(Common(NVO_PDU_CMD, 0, 72, 0, 0), sqe, sizeof(sqe), p, data, 52);

  const auto r = Receive(wire, p, true);
  ASSERT_EQ(r.fes, NVO_FES_NONE) << "fei " << r.fei;
  EXPECT_TRUE(r.hdgst_ok);
  EXPECT_TRUE(r.ddgst_ok);
  EXPECT_EQ(r.data, data);
  EXPECT_EQ(0, std::memcmp(r.header.data() + 8, sqe, sizeof(sqe)));

  // One flipped data bit: the header still checks, the data digest does not.
  Bytes bad = wire;
  bad[76 + 52 + 500] ^= 0x10;
  const auto rb = Receive(bad, p, true);
  EXPECT_EQ(rb.fes, NVO_FES_NONE);
  EXPECT_TRUE(rb.hdgst_ok);
  EXPECT_FALSE(rb.ddgst_ok);
  // One flipped SQE bit: the header digest catches it.
  bad = wire;
  bad[40] ^= 0x01;
  EXPECT_FALSE(Receive(bad, p, true).hdgst_ok);
}

// A write solicited by R2Ts: the controller builds R2Ts from the transfer
// state, the host answers each with H2CData PDUs no larger than MAXH2CDATA,
// and the last one completes the command.
TEST(Flow, R2tSolicitedWrite) {
  const uint32_t maxh2cdata = 4096, total = 10000;
  const auto p = Connect(NVO_F_HDGST, 0, maxh2cdata);
  const Bytes payload = Pattern(total, 11);
  Bytes written;
  nvo_xfer x;
  nvo_xfer_init(&x, total);
  uint32_t off, len;
  int r2ts = 0;
  while (nvo_xfer_next_r2t(&x, p.maxh2cdata, &off, &len)) {
    r2ts++;
    uint8_t r2t_buf[NVO_TX_HDR_MAX];
    const uint32_t n = nvo_pdu_build_r2t(r2t_buf, 0x1234, 5, off, len, &p);
    ASSERT_EQ(n, 28u);
    ASSERT_TRUE(nvo_pdu_hdgst_ok(r2t_buf, 24));
    // The host reads R2TO/R2TL and sends that range in two H2CData PDUs.
    const uint32_t r2to = Le32At(r2t_buf, 12), r2tl = Le32At(r2t_buf, 16);
    ASSERT_EQ(r2to, off);
    ASSERT_EQ(r2tl, len);
    for (uint32_t sent = 0; sent < r2tl;) {
      const uint32_t chunk = std::min(r2tl - sent, r2tl / 2 + 1);
      const bool last = sent + chunk == r2tl;
      nvo_pdu_data d{};
      d.cccid = 0x1234;
      d.ttag = cpu_to_le16(5);
      d.offset = cpu_to_le32(r2to + sent);
      d.length = cpu_to_le32(chunk);
      const Bytes data(payload.begin() + r2to + sent,
                       payload.begin() + r2to + sent + chunk);
      const Bytes wire = HostPdu(
          Common(NVO_PDU_H2C_DATA, last ? NVO_F_DATA_LAST : 0, 24, 0, 0),
          reinterpret_cast<uint8_t*>(&d) + 8, 16, p, data);
      const auto r = Receive(wire, p, true);
      ASSERT_EQ(r.fes, NVO_FES_NONE);
      ASSERT_TRUE(r.hdgst_ok);
      nvo_pdu_data got;
      std::memcpy(&got, r.header.data(), sizeof(got));
      uint32_t fei;
      ASSERT_EQ(nvo_xfer_check_h2c(&x, &got, uint32_t(r.data.size()), &fei),
                NVO_FES_NONE)
          << "fei " << fei;
      written.insert(written.end(), r.data.begin(), r.data.end());
      EXPECT_EQ(nvo_xfer_advance(&x, chunk), last);
      sent += chunk;
    }
  }
  EXPECT_EQ(r2ts, 3);
  EXPECT_TRUE(nvo_xfer_complete(&x));
  EXPECT_EQ(written, payload);
}

// A read: C2HData PDUs with HPDA padding and digests, read back as a host
// would, deliver the data in order; the last one carries SUCCESS.
TEST(Flow, ReadWithHpdaPaddingParsesBack) {
  const auto p = Connect(NVO_F_HDGST | NVO_F_DDGST, 15, 4096);
  ASSERT_EQ(p.hpda, 15);
  const Bytes payload = Pattern(9000, 12);
  Bytes got;
  for (uint32_t off = 0; off < payload.size();) {
    const uint32_t len = std::min<uint32_t>(4096, payload.size() - off);
    const bool last = off + len == payload.size();
    uint8_t hdr[NVO_TX_HDR_MAX];
    const uint32_t n =
        nvo_pdu_build_c2h_data(hdr, 0x42, off, len, last, true, &p);
    ASSERT_EQ(n, 64u);  // 28 bytes of header+digest padded to 64
    Bytes wire(hdr, hdr + n);
    Append(wire, payload.data() + off, len);
    AppendLe32(wire, RefCrc32c()(payload.data() + off, len));
    // Host side: header digest, PDO, data, data digest.
    nvo_pdu_common c;
    std::memcpy(&c, wire.data(), sizeof(c));
    ASSERT_EQ(le32_to_cpu(c.plen), wire.size());
    ASSERT_TRUE(nvo_pdu_hdgst_ok(wire.data(), c.hlen));
    ASSERT_EQ(c.pdo % 64, 0);
    EXPECT_EQ(!!(c.flags & NVO_F_DATA_SUCCESS), last);
    const uint32_t dlen = nvo_pdu_data_len(&c, &p);
    ASSERT_EQ(dlen, len);
    got.insert(got.end(), wire.begin() + c.pdo, wire.begin() + c.pdo + dlen);
    off += len;
  }
  EXPECT_EQ(got, payload);
}

// A protocol error answered with a C2HTermReq that echoes what was read.
TEST(Flow, BadHeaderAnsweredWithTermReq) {
  const auto p = Connect(0, 0, 4096);
  const auto bad = Common(NVO_PDU_CMD, 0, 72, 8, 200);  // PDO inside header
  uint32_t fei;
  const nvo_fes fes = nvo_pdu_check_h2c(&bad, &p, true, &fei);
  ASSERT_EQ(fes, NVO_FES_INVALID_HDR_FIELD);
  ASSERT_EQ(fei, kFeiPdo);
  uint8_t out[NVO_TERM_MAX_LEN];
  const uint32_t n = nvo_pdu_build_c2h_term(out, fes, fei, &bad, sizeof(bad));
  ASSERT_EQ(n, 32u);
  EXPECT_EQ(out[0], NVO_PDU_C2H_TERM);
  EXPECT_EQ(Le16At(out, 8), NVO_FES_INVALID_HDR_FIELD);
  EXPECT_EQ(Le32At(out, 10), kFeiPdo);
  EXPECT_EQ(0, std::memcmp(out + 24, &bad, sizeof(bad)));
}

}  // namespace
