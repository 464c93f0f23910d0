// SPDX-License-Identifier: GPL-2.0
// Initialize-connection exchange: ICReq checks, what the connection settles
// on, and the ICResp bytes (nvo_icreq_accept).
#include <gtest/gtest.h>

#include <tuple>

#include "pdu_test_util.h"

namespace {

using namespace nvo_test;

nvo_pdu_icreq IcReq(uint8_t digest = 0, uint8_t hpda = 0, uint32_t maxr2t = 0) {
  nvo_pdu_icreq r{};
  r.hdr = Common(NVO_PDU_ICREQ, 0, NVO_IC_PDU_LEN, 0, NVO_IC_PDU_LEN);
  r.pfv = cpu_to_le16(0);
  r.hpda = hpda;
  r.digest = digest;
  r.maxr2t = cpu_to_le32(maxr2t);
  return r;
}

nvo_ic_limits Limits(bool hdgst = true, bool ddgst = true,
                     uint32_t maxh2cdata = 0x20000) {
  nvo_ic_limits l{};
  l.allow_hdgst = hdgst;
  l.allow_ddgst = ddgst;
  l.maxh2cdata = maxh2cdata;
  return l;
}

struct Outcome {
  nvo_fes fes;
  uint32_t fei;
  nvo_conn_params params;
  nvo_pdu_icresp resp;
};

Outcome Accept(const nvo_pdu_icreq& req, const nvo_ic_limits& lim) {
  Outcome o{};
  // Garbage in the outputs: accept must set every byte it owns.
  std::memset(&o.params, 0xA5, sizeof(o.params));
  std::memset(&o.resp, 0xA5, sizeof(o.resp));
  o.params.hdgst = true;
  o.params.ddgst = true;
  o.fei = 0xFFFFFFFFu;
  o.fes = nvo_icreq_accept(&req, &lim, &o.params, &o.resp, &o.fei);
  return o;
}

TEST(IcReq, PlainRequestAccepted) {
  const auto o = Accept(IcReq(), Limits());
  ASSERT_EQ(o.fes, NVO_FES_NONE);
  EXPECT_FALSE(o.params.hdgst);
  EXPECT_FALSE(o.params.ddgst);
  EXPECT_EQ(o.params.hpda, 0);
  EXPECT_EQ(o.params.maxr2t, 0u);
  EXPECT_EQ(o.params.maxh2cdata, 0x20000u);
}

TEST(IcReq, NonZeroPfvRejected) {
  // PFV is little endian at bytes 09:08; any non-zero version is unknown.
  for (uint16_t pfv : {0x0001, 0x0100, 0xFFFF}) {
    auto r = IcReq();
    r.pfv = cpu_to_le16(pfv);
    const auto o = Accept(r, Limits());
    EXPECT_EQ(o.fes, NVO_FES_INVALID_HDR_FIELD) << "pfv " << pfv;
    EXPECT_EQ(o.fei, 8u);
  }
}

TEST(IcReq, HpdaUpTo31Accepted) {
  for (uint8_t hpda = 0; hpda <= NVO_HPDA_MAX; hpda++) {
    const auto o = Accept(IcReq(0, hpda), Limits());
    ASSERT_EQ(o.fes, NVO_FES_NONE) << "hpda " << int(hpda);
    EXPECT_EQ(o.params.hpda, hpda);
  }
}

TEST(IcReq, HpdaAbove31Rejected) {
  for (uint8_t hpda : {32, 33, 64, 128, 255}) {
    const auto o = Accept(IcReq(0, hpda), Limits());
    EXPECT_EQ(o.fes, NVO_FES_INVALID_HDR_FIELD) << "hpda " << int(hpda);
    EXPECT_EQ(o.fei, 10u);
  }
}

TEST(IcReq, UnknownDigestBitsRejected) {
  // DGST: bit 0 HDGST_ENABLE, bit 1 DDGST_ENABLE; bits 7:2 reserved.
  for (int bit = 2; bit < 8; bit++) {
    const auto o = Accept(IcReq(uint8_t(1u << bit) | 0x3), Limits());
    EXPECT_EQ(o.fes, NVO_FES_INVALID_HDR_FIELD) << "bit " << bit;
    EXPECT_EQ(o.fei, 11u);
  }
}

// The first bad field wins: PFV, then HPDA, then DGST.
TEST(IcReq, CheckOrder) {
  auto r = IcReq(0xFF, 0xFF);
  r.pfv = cpu_to_le16(1);
  EXPECT_EQ(Accept(r, Limits()).fei, 8u);
  r.pfv = 0;
  EXPECT_EQ(Accept(r, Limits()).fei, 10u);
  r.hpda = 0;
  EXPECT_EQ(Accept(r, Limits()).fei, 11u);
}

// (requested DGST bits, allow_hdgst, allow_ddgst)
class DigestGrant
    : public ::testing::TestWithParam<std::tuple<uint8_t, bool, bool>> {};

TEST_P(DigestGrant, GrantedIffRequestedAndAllowed) {
  const auto [req, allow_h, allow_d] = GetParam();
  const auto o = Accept(IcReq(req), Limits(allow_h, allow_d));
  ASSERT_EQ(o.fes, NVO_FES_NONE);
  const bool want_h = (req & NVO_F_HDGST) && allow_h;
  const bool want_d = (req & NVO_F_DDGST) && allow_d;
  EXPECT_EQ(o.params.hdgst, want_h);
  EXPECT_EQ(o.params.ddgst, want_d);
  // The ICResp tells the host what both directions now use.
  EXPECT_EQ(o.resp.digest,
            (want_h ? NVO_F_HDGST : 0) | (want_d ? NVO_F_DDGST : 0));
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, DigestGrant,
                         ::testing::Combine(::testing::Values(0, 1, 2, 3),
                                            ::testing::Bool(),
                                            ::testing::Bool()));

TEST(IcReq, MaxR2tIsLittleEndianAndZerosBased) {
  auto r = IcReq(0, 0, 0x12345678u);
  const auto* b = reinterpret_cast<const uint8_t*>(&r);
  EXPECT_EQ(b[12], 0x78);
  EXPECT_EQ(b[15], 0x12);
  const auto o = Accept(r, Limits());
  ASSERT_EQ(o.fes, NVO_FES_NONE);
  // Stored as sent: 0's based, the transport adds one where it counts.
  EXPECT_EQ(o.params.maxr2t, 0x12345678u);
}

TEST(IcReq, MaxH2CDataComesFromLimits) {
  for (uint32_t maxdata : {4096u, 8192u, 0x20000u, 0x00FF00FFu}) {
    const auto o = Accept(IcReq(), Limits(true, true, maxdata));
    ASSERT_EQ(o.fes, NVO_FES_NONE);
    EXPECT_EQ(o.params.maxh2cdata, maxdata);
    EXPECT_EQ(le32_to_cpu(o.resp.maxdata), maxdata);
  }
}

TEST(IcResp, ExactBytes) {
  const auto o = Accept(IcReq(0x3, 7, 3), Limits(true, false, 0x00012340u));
  ASSERT_EQ(o.fes, NVO_FES_NONE);
  uint8_t want[NVO_IC_PDU_LEN] = {};
  want[0] = 0x01;  // PDU-Type ICResp
  want[1] = 0x00;  // FLAGS
  want[2] = 128;   // HLEN
  want[3] = 0;     // PDO
  want[4] = 128;   // PLEN 7:4
  // PFV 09:08 = 0, CPDA 10 = 0 (no alignment demanded of H2C data).
  want[11] = NVO_F_HDGST;  // DGST: header digest granted, data digest not
  want[12] = 0x40;         // MAXH2CDATA 15:12, little endian
  want[13] = 0x23;
  want[14] = 0x01;
  want[15] = 0x00;
  // 127:16 reserved, zero.
  EXPECT_EQ(0, std::memcmp(&o.resp, want, sizeof(want)));
  const auto* got = reinterpret_cast<const uint8_t*>(&o.resp);
  for (size_t i = 0; i < sizeof(want); i++)
    EXPECT_EQ(got[i], want[i]) << "byte " << i;
}

// The ICResp is well formed in the eyes of the common-header
// helpers: a fixed 128-byte header, no digest, no data.
TEST(IcResp, HeaderHelpersAgree) {
  const auto o = Accept(IcReq(0x3), Limits());
  ASSERT_EQ(o.fes, NVO_FES_NONE);
  EXPECT_EQ(nvo_pdu_hdr_len(&o.resp.hdr, &o.params), 128u);
  EXPECT_EQ(nvo_pdu_data_len(&o.resp.hdr, &o.params), 0u);
  EXPECT_EQ(nvo_pdu_pad_len(&o.resp.hdr, &o.params), 0u);
}

}  // namespace
