// SPDX-License-Identifier: GPL-2.0
// Controller-to-host PDU builders: CapsuleResp, R2T, C2HData (digests, HPDA
// padding, LAST_PDU/SUCCESS) and C2HTermReq.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "pdu_test_util.h"

namespace {

using namespace nvo_test;

constexpr uint8_t kGarbage = 0xCC;
// Room for any header a builder writes, plus a tail that must stay intact.
constexpr size_t kBuf = NVO_TX_HDR_MAX + 64;

struct TxBuf {
  TxBuf() { std::memset(b, kGarbage, sizeof(b)); }
  bool UntouchedFrom(size_t off) const {
    for (size_t i = off; i < sizeof(b); i++)
      if (b[i] != kGarbage) return false;
    return true;
  }
  const nvo_pdu_common& hdr() const {
    return *reinterpret_cast<const nvo_pdu_common*>(b);
  }
  alignas(8) uint8_t b[kBuf];
};

// ---- CapsuleResp -----------------------------------------------------------

TEST(BuildRsp, NoDigest) {
  TxBuf t;
  const auto cqe = Pattern(16, 5);
  const auto p = Params(false, true);  // data digest alone changes nothing
  EXPECT_EQ(nvo_pdu_build_rsp(t.b, cqe.data(), &p), 24u);
  EXPECT_EQ(t.b[0], NVO_PDU_RSP);
  EXPECT_EQ(t.b[1], 0);  // FLAGS: no digests on a PDU without data
  EXPECT_EQ(t.b[2], 24);
  EXPECT_EQ(t.b[3], 0);
  EXPECT_EQ(Le32At(t.b, 4), 24u);
  EXPECT_EQ(0, std::memcmp(t.b + 8, cqe.data(), 16));
  EXPECT_TRUE(t.UntouchedFrom(24));
}

TEST(BuildRsp, HeaderDigest) {
  TxBuf t;
  const auto cqe = Pattern(16, 6);
  const auto p = Params(true, true);
  EXPECT_EQ(nvo_pdu_build_rsp(t.b, cqe.data(), &p), 28u);
  EXPECT_EQ(t.b[1], NVO_F_HDGST);
  EXPECT_EQ(t.b[2], 24);  // HLEN excludes the digest
  EXPECT_EQ(Le32At(t.b, 4), 28u);
  EXPECT_EQ(0, std::memcmp(t.b + 8, cqe.data(), 16));
  EXPECT_TRUE(nvo_pdu_hdgst_ok(t.b, 24));
  EXPECT_EQ(Le32At(t.b, 24), RefCrc32c()(t.b, 24));
  EXPECT_TRUE(t.UntouchedFrom(28));
}

// ---- R2T -------------------------------------------------------------------

TEST(BuildR2t, FieldsAndLayout) {
  for (bool hdgst : {false, true}) {
    TxBuf t;
    const auto p = Params(hdgst, true);
    const uint16_t cccid = 0xBEEF;
    const uint32_t n =
        nvo_pdu_build_r2t(t.b, cccid, 0x0102, 0x11223344u, 0x00010000u, &p);
    const uint32_t want = hdgst ? 28 : 24;
    EXPECT_EQ(n, want);
    EXPECT_EQ(t.b[0], NVO_PDU_R2T);
    EXPECT_EQ(t.b[1], hdgst ? NVO_F_HDGST : 0);  // never DDGSTF: no data
    EXPECT_EQ(t.b[2], 24);
    EXPECT_EQ(t.b[3], 0);
    EXPECT_EQ(Le32At(t.b, 4), want);
    // CCCID is the SQE's command identifier, copied as it came.
    uint16_t got_cccid;
    std::memcpy(&got_cccid, t.b + kFeiCccid, 2);
    EXPECT_EQ(got_cccid, cccid);
    EXPECT_EQ(Le16At(t.b, kFeiTtag), 0x0102);
    EXPECT_EQ(Le32At(t.b, 12), 0x11223344u);  // R2TO
    EXPECT_EQ(Le32At(t.b, 16), 0x00010000u);  // R2TL
    EXPECT_EQ(Le32At(t.b, 20), 0u);           // reserved
    if (hdgst) {
      EXPECT_TRUE(nvo_pdu_hdgst_ok(t.b, 24));
    }
    EXPECT_TRUE(t.UntouchedFrom(want));
  }
}

// ---- C2HData ---------------------------------------------------------------

// (hpda, hdgst, ddgst)
class BuildC2hData
    : public ::testing::TestWithParam<std::tuple<int, bool, bool>> {};

TEST_P(BuildC2hData, PaddingDigestsAndLengths) {
  const auto [hpda, hdgst, ddgst] = GetParam();
  const auto p = Params(hdgst, ddgst, uint8_t(hpda));
  const uint32_t align = (uint32_t(hpda) + 1) * 4;
  const uint32_t hl = 24 + (hdgst ? 4 : 0);
  const uint32_t want_pdo = (hl + align - 1) / align * align;

  for (uint32_t length : {1u, 512u, 4096u, 0x20000u}) {
    TxBuf t;
    const uint32_t n =
        nvo_pdu_build_c2h_data(t.b, 0x1234, 8192, length, false, false, &p);
    ASSERT_EQ(n, want_pdo);
    ASSERT_LE(n, uint32_t{NVO_TX_HDR_MAX});
    const auto& h = t.hdr();
    EXPECT_EQ(h.type, NVO_PDU_C2H_DATA);
    EXPECT_EQ(h.hlen, 24);
    EXPECT_EQ(h.pdo, want_pdo);
    EXPECT_EQ(h.pdo % align, 0u);
    EXPECT_GE(h.pdo, hl);
    EXPECT_LT(h.pdo, hl + align);
    EXPECT_EQ(!!(h.flags & NVO_F_HDGST), hdgst);
    EXPECT_EQ(!!(h.flags & NVO_F_DDGST), ddgst);
    EXPECT_EQ(Plen(h), want_pdo + length + (ddgst ? 4 : 0));
    EXPECT_EQ(Le32At(t.b, 12), 8192u);   // DATAO
    EXPECT_EQ(Le32At(t.b, 16), length);  // DATAL
    EXPECT_EQ(Le16At(t.b, kFeiTtag), 0);
    EXPECT_EQ(Le32At(t.b, 20), 0u);
    if (hdgst) {
      EXPECT_TRUE(nvo_pdu_hdgst_ok(t.b, 24));
    }
    for (uint32_t i = hl; i < want_pdo; i++)
      ASSERT_EQ(t.b[i], 0) << "pad byte " << i;
    EXPECT_TRUE(t.UntouchedFrom(want_pdo));
    // The host reads it back with the same arithmetic.
    EXPECT_EQ(nvo_pdu_hdr_len(&h, &p), hl);
    EXPECT_EQ(nvo_pdu_pad_len(&h, &p), want_pdo - hl);
    EXPECT_EQ(nvo_pdu_data_len(&h, &p), length);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllHpda, BuildC2hData,
    ::testing::Combine(::testing::Range(0, NVO_HPDA_MAX + 1), ::testing::Bool(),
                       ::testing::Bool()),
    [](const auto& info) {
      return "hpda" + std::to_string(std::get<0>(info.param)) +
             (std::get<1>(info.param) ? "_H" : "_h") +
             (std::get<2>(info.param) ? "D" : "d");
    });

TEST(BuildC2hDataPdo, KnownValues) {
  struct {
    uint8_t hpda;
    bool hdgst;
    uint32_t pdo;
  } cases[] = {
      {0, false, 24}, {0, true, 28},   {1, false, 24},   {1, true, 32},
      {3, false, 32}, {3, true, 32},   {7, false, 32},   {7, true, 32},
      {15, true, 64}, {30, true, 124}, {31, false, 128}, {31, true, 128},
  };
  for (const auto& tc : cases) {
    TxBuf t;
    const auto p = Params(tc.hdgst, false, tc.hpda);
    EXPECT_EQ(nvo_pdu_build_c2h_data(t.b, 1, 0, 64, true, true, &p), tc.pdo)
        << "hpda " << int(tc.hpda) << " hdgst " << tc.hdgst;
  }
}

TEST(BuildC2hData, LastAndSuccessFlags) {
  const auto p = Params();
  struct {
    bool last, success;
    uint8_t flags;
  } cases[] = {
      {false, false, 0},
      // SUCCESS without LAST_PDU is not allowed: it is dropped.
      {false, true, 0},
      {true, false, NVO_F_DATA_LAST},
      {true, true, NVO_F_DATA_LAST | NVO_F_DATA_SUCCESS},
  };
  for (const auto& tc : cases) {
    TxBuf t;
    nvo_pdu_build_c2h_data(t.b, 7, 0, 100, tc.last, tc.success, &p);
    EXPECT_EQ(t.hdr().flags, tc.flags)
        << "last " << tc.last << " success " << tc.success;
  }
}

TEST(BuildC2hData, CccidCopiedAsIs) {
  TxBuf t;
  const auto p = Params();
  nvo_pdu_build_c2h_data(t.b, 0xA1B2, 0, 8, true, true, &p);
  uint16_t got;
  std::memcpy(&got, t.b + kFeiCccid, 2);
  EXPECT_EQ(got, 0xA1B2);
}

// ---- C2HTermReq ------------------------------------------------------------

TEST(BuildC2hTerm, FieldsWithoutEcho) {
  TxBuf t;
  EXPECT_EQ(
      nvo_pdu_build_c2h_term(t.b, NVO_FES_INVALID_HDR_FIELD, 3, nullptr, 0),
      24u);
  EXPECT_EQ(t.b[0], NVO_PDU_C2H_TERM);
  EXPECT_EQ(t.b[1], 0);
  EXPECT_EQ(t.b[2], 24);
  EXPECT_EQ(t.b[3], 0);
  EXPECT_EQ(Le32At(t.b, 4), 24u);
  EXPECT_EQ(Le16At(t.b, 8), NVO_FES_INVALID_HDR_FIELD);  // FES 09:08
  EXPECT_EQ(Le32At(t.b, 10), 3u);                        // FEI 13:10
  for (int i = 14; i < 24; i++) EXPECT_EQ(t.b[i], 0) << "reserved " << i;
  EXPECT_TRUE(t.UntouchedFrom(24));
}

TEST(BuildC2hTerm, FeiIsUnalignedLittleEndian) {
  TxBuf t;
  nvo_pdu_build_c2h_term(t.b, NVO_FES_DATA_OUT_OF_RANGE, 0xA1B2C3D4u, nullptr,
                         0);
  EXPECT_EQ(t.b[8], 0x04);
  EXPECT_EQ(t.b[9], 0x00);
  EXPECT_EQ(t.b[10], 0xD4);
  EXPECT_EQ(t.b[11], 0xC3);
  EXPECT_EQ(t.b[12], 0xB2);
  EXPECT_EQ(t.b[13], 0xA1);
}

TEST(BuildC2hTerm, EchoesOffendingHeader) {
  for (uint32_t bad_len : {1u, 8u, 72u, 76u, 127u, 128u}) {
    TxBuf t;
    const auto bad = Pattern(bad_len, bad_len);
    const uint32_t n =
        nvo_pdu_build_c2h_term(t.b, NVO_FES_HDR_DIGEST, 0, bad.data(), bad_len);
    EXPECT_EQ(n, 24 + bad_len);
    EXPECT_EQ(Le32At(t.b, 4), 24 + bad_len);
    EXPECT_EQ(t.b[2], 24);
    EXPECT_EQ(0, std::memcmp(t.b + 24, bad.data(), bad_len));
    EXPECT_TRUE(t.UntouchedFrom(24 + bad_len));
  }
}

TEST(BuildC2hTerm, EchoTruncatedAt128Bytes) {
  for (uint32_t bad_len : {129u, 152u, 200u, 0xFFFFFFFFu}) {
    TxBuf t;
    const auto bad = Pattern(200, 9);
    const uint32_t n = nvo_pdu_build_c2h_term(t.b, NVO_FES_PDU_SEQUENCE, 0,
                                              bad.data(), bad_len);
    EXPECT_EQ(n, uint32_t{NVO_TERM_MAX_LEN});
    EXPECT_EQ(Le32At(t.b, 4), 152u);
    EXPECT_EQ(0, std::memcmp(t.b + 24, bad.data(), 128));
    EXPECT_TRUE(t.UntouchedFrom(NVO_TERM_MAX_LEN));
  }
}

TEST(BuildC2hTerm, EveryFes) {
  for (int fes = NVO_FES_INVALID_HDR_FIELD; fes <= NVO_FES_UNSUPPORTED_PARAM;
       fes++) {
    TxBuf t;
    nvo_pdu_build_c2h_term(t.b, nvo_fes(fes), 1, nullptr, 0);
    EXPECT_EQ(Le16At(t.b, 8), fes);
  }
}

}  // namespace
