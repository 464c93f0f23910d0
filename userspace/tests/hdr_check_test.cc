// SPDX-License-Identifier: GPL-2.0
// Host-to-controller common-header validation (nvo_pdu_check_h2c) and the
// length helpers a receiver derives from a checked header.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "pdu_test_util.h"

namespace {

using namespace nvo_test;

struct Verdict {
  nvo_fes fes;
  uint32_t fei;
};

Verdict Check(const nvo_pdu_common& c, const nvo_conn_params& p,
              bool ic_done = true) {
  uint32_t fei = 0xFFFFFFFFu;
  const nvo_fes fes = nvo_pdu_check_h2c(&c, &p, ic_done, &fei);
  return {fes, fei};
}

::testing::AssertionResult IsAccepted(const Verdict& v) {
  if (v.fes == NVO_FES_NONE) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "rejected: fes " << v.fes << " fei " << v.fei;
}

::testing::AssertionResult IsRejected(const Verdict& v, nvo_fes fes,
                                      uint32_t fei) {
  if (v.fes == fes && v.fei == fei) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got fes " << v.fes << " fei " << v.fei << ", want fes " << fes
         << " fei " << fei;
}

#define EXPECT_ACCEPTED(v) EXPECT_TRUE(IsAccepted(v))
#define ASSERT_ACCEPTED_(v) ASSERT_TRUE(IsAccepted(v))
#define EXPECT_REJECTED(v, fes, fei) EXPECT_TRUE(IsRejected((v), (fes), (fei)))

// ---- connection sequencing -------------------------------------------------

TEST(CheckH2c, IcReqAcceptedBeforeIcDone) {
  const auto c = Common(NVO_PDU_ICREQ, 0, NVO_IC_PDU_LEN, 0, NVO_IC_PDU_LEN);
  EXPECT_ACCEPTED(Check(c, Params(), false));
}

TEST(CheckH2c, IcReqAfterIcDoneIsSequenceError) {
  const auto c = Common(NVO_PDU_ICREQ, 0, NVO_IC_PDU_LEN, 0, NVO_IC_PDU_LEN);
  EXPECT_REJECTED(Check(c, Params(), true), NVO_FES_PDU_SEQUENCE, kFeiType);
  EXPECT_REJECTED(Check(c, Params(true, true), true), NVO_FES_PDU_SEQUENCE,
                  kFeiType);
}

TEST(CheckH2c, CapsuleCmdBeforeIcReqIsSequenceError) {
  const auto c = H2cHeader(NVO_PDU_CMD, Params(), 0);
  EXPECT_REJECTED(Check(c, Params(), false), NVO_FES_PDU_SEQUENCE, kFeiType);
}

TEST(CheckH2c, H2CDataBeforeIcReqIsSequenceError) {
  const auto c = H2cHeader(NVO_PDU_H2C_DATA, Params(), 512);
  EXPECT_REJECTED(Check(c, Params(), false), NVO_FES_PDU_SEQUENCE, kFeiType);
}

TEST(CheckH2c, H2CTermBeforeIcReqIsSequenceError) {
  const auto c = Common(NVO_PDU_H2C_TERM, 0, NVO_TERM_HLEN, 0, NVO_TERM_HLEN);
  EXPECT_REJECTED(Check(c, Params(), false), NVO_FES_PDU_SEQUENCE, kFeiType);
}

// Controller-to-host PDU types, and types TP 8000 does not define, are an
// invalid PDU-Type field from a host, before and after the IC exchange.
class ForbiddenType : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(ForbiddenType, RejectedAtTypeField) {
  const auto [type_, ic_done] = GetParam();
  const uint8_t type = uint8_t(type_);
  // Otherwise plausible: right-sized header, no data.
  const auto c = Common(type, 0, FixedHlen(type), 0, FixedHlen(type));
  EXPECT_REJECTED(Check(c, Params(), ic_done), NVO_FES_INVALID_HDR_FIELD,
                  kFeiType);
}

INSTANTIATE_TEST_SUITE_P(
    C2HAndUnknown, ForbiddenType,
    ::testing::Combine(::testing::Values(int{NVO_PDU_ICRESP},
                                         int{NVO_PDU_C2H_TERM},
                                         int{NVO_PDU_RSP},
                                         int{NVO_PDU_C2H_DATA},
                                         int{NVO_PDU_R2T}, 0x08, 0x0A, 0x0B,
                                         0x10, 0x7F, 0x80, 0xFF),
                       ::testing::Bool()),
    [](const auto& info) {
      char name[32];
      snprintf(name, sizeof(name), "type%02x_%s", std::get<0>(info.param),
               std::get<1>(info.param) ? "live" : "preic");
      return std::string(name);
    });

// ---- ICReq -----------------------------------------------------------------

TEST(CheckH2c, IcReqWrongHlen) {
  for (uint8_t hlen : {0, 8, 24, 72, 127, 129, 132, 255}) {
    const auto c = Common(NVO_PDU_ICREQ, 0, hlen, 0, NVO_IC_PDU_LEN);
    EXPECT_REJECTED(Check(c, Params(), false), NVO_FES_INVALID_HDR_FIELD,
                    kFeiHlen)
        << "hlen " << int(hlen);
  }
}

TEST(CheckH2c, IcReqWrongPlen) {
  for (uint32_t plen : {0u, 8u, 127u, 129u, 132u, 0x10000080u, 0xFFFFFFFFu}) {
    const auto c = Common(NVO_PDU_ICREQ, 0, NVO_IC_PDU_LEN, 0, plen);
    EXPECT_REJECTED(Check(c, Params(), false), NVO_FES_INVALID_HDR_FIELD,
                    kFeiPlen)
        << "plen " << plen;
  }
}

TEST(CheckH2c, IcReqNonZeroPdo) {
  for (uint8_t pdo : {1, 8, 128, 255}) {
    const auto c = Common(NVO_PDU_ICREQ, 0, NVO_IC_PDU_LEN, pdo, 128);
    EXPECT_REJECTED(Check(c, Params(), false), NVO_FES_INVALID_HDR_FIELD,
                    kFeiPdo)
        << "pdo " << int(pdo);
  }
}

// ---- CapsuleCmd and H2CData: the valid shapes -------------------------------

// (type, hdgst, ddgst, data_len, pad)
using ValidShape = std::tuple<int, bool, bool, uint32_t, uint32_t>;

class ValidH2c : public ::testing::TestWithParam<ValidShape> {};

TEST_P(ValidH2c, AcceptedWithConsistentLengths) {
  const auto [type_, hdgst, ddgst, data_len, pad] = GetParam();
  const uint8_t type = uint8_t(type_);
  const auto p = Params(hdgst, ddgst);
  const auto c = H2cHeader(type, p, data_len, pad);
  const uint32_t hl = FixedHlen(type) + (hdgst ? 4 : 0);

  ASSERT_ACCEPTED_(Check(c, p));
  EXPECT_EQ(nvo_pdu_hdr_len(&c, &p), hl);
  EXPECT_EQ(nvo_pdu_data_len(&c, &p), data_len);
  EXPECT_EQ(nvo_pdu_pad_len(&c, &p), data_len ? pad : 0);
  // What a receiver consumes adds up to PLEN exactly.
  const uint32_t ddgst_len = (data_len && ddgst) ? NVO_DIGEST_LEN : 0;
  EXPECT_EQ(nvo_pdu_hdr_len(&c, &p) + nvo_pdu_pad_len(&c, &p) +
                nvo_pdu_data_len(&c, &p) + ddgst_len,
            Plen(c));
  EXPECT_LE(nvo_pdu_hdr_len(&c, &p), uint32_t{NVO_RX_HDR_MAX});
}

std::string ShapeName(const ::testing::TestParamInfo<ValidShape>& info) {
  const auto [type, hdgst, ddgst, data_len, pad] = info.param;
  char name[64];
  snprintf(name, sizeof(name), "%s_%s%s_data%u_pad%u",
           type == NVO_PDU_CMD ? "cmd" : "h2cdata", hdgst ? "H" : "h",
           ddgst ? "D" : "d", data_len, pad);
  return name;
}

INSTANTIATE_TEST_SUITE_P(CapsuleCmdNoData, ValidH2c,
                         ::testing::Combine(::testing::Values(int{NVO_PDU_CMD}),
                                            ::testing::Bool(),
                                            ::testing::Bool(),
                                            ::testing::Values(0u),
                                            ::testing::Values(0u)),
                         ShapeName);
INSTANTIATE_TEST_SUITE_P(
    CapsuleCmdInCapsuleData, ValidH2c,
    ::testing::Combine(::testing::Values(int{NVO_PDU_CMD}), ::testing::Bool(),
                       ::testing::Bool(),
                       ::testing::Values(1u, 4u, 512u, 8192u, 0x100000u),
                       ::testing::Values(0u, 4u, 52u)),
    ShapeName);
INSTANTIATE_TEST_SUITE_P(
    H2CData, ValidH2c,
    ::testing::Combine(::testing::Values(int{NVO_PDU_H2C_DATA}),
                       ::testing::Bool(), ::testing::Bool(),
                       ::testing::Values(1u, 4096u, 0x20000u),
                       ::testing::Values(0u, 8u, 100u)),
    ShapeName);

TEST(CheckH2c, H2CDataLastPduFlagAllowed) {
  const auto p = Params(true, true);
  const auto c = H2cHeader(NVO_PDU_H2C_DATA, p, 64, 0, NVO_F_DATA_LAST);
  EXPECT_ACCEPTED(Check(c, p));
}

// A PDO beyond the minimum is the host's padding; CPDA 0 lets the host put
// data anywhere at or after the header (and its digest).
TEST(CheckH2c, PdoMayLeaveRoomForPadding) {
  const auto p = Params(true, false);
  auto c = H2cHeader(NVO_PDU_CMD, p, 16);
  c.pdo = 255;
  c.plen = cpu_to_le32(255 + 16);
  EXPECT_ACCEPTED(Check(c, p));
  EXPECT_EQ(nvo_pdu_pad_len(&c, &p), 255u - 76u);
  EXPECT_EQ(nvo_pdu_data_len(&c, &p), 16u);
}

// ---- CapsuleCmd and H2CData: HLEN -----------------------------------------

TEST(CheckH2c, CapsuleCmdWrongHlen) {
  for (bool hdgst : {false, true}) {
    const auto p = Params(hdgst, false);
    // 76: the header digest counted into HLEN, which it must not be.
    for (uint8_t hlen : {0, 8, 24, 64, 71, 73, 76, 128}) {
      auto c = H2cHeader(NVO_PDU_CMD, p, 0);
      c.hlen = hlen;
      EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiHlen)
          << "hlen " << int(hlen) << " hdgst " << hdgst;
    }
  }
}

TEST(CheckH2c, H2CDataWrongHlen) {
  for (uint8_t hlen : {0, 8, 23, 25, 28, 72}) {
    auto c = H2cHeader(NVO_PDU_H2C_DATA, Params(), 32);
    c.hlen = hlen;
    EXPECT_REJECTED(Check(c, Params()), NVO_FES_INVALID_HDR_FIELD, kFeiHlen)
        << "hlen " << int(hlen);
  }
}

// ---- CapsuleCmd and H2CData: FLAGS ----------------------------------------

TEST(CheckH2c, HdgstFlagWithoutNegotiation) {
  const auto p = Params(false, false);
  for (uint8_t type : {NVO_PDU_CMD, NVO_PDU_H2C_DATA}) {
    // Laid out as if a digest were there, so only the flag is wrong.
    auto c = H2cHeader(type, Params(true, false), 16);
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags)
        << "type " << int(type);
  }
}

TEST(CheckH2c, HdgstFlagMissingWhenNegotiated) {
  const auto p = Params(true, false);
  for (uint8_t type : {NVO_PDU_CMD, NVO_PDU_H2C_DATA}) {
    auto c = H2cHeader(type, p, 16);
    c.flags &= ~NVO_F_HDGST;
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags)
        << "type " << int(type);
  }
}

TEST(CheckH2c, DdgstFlagWithoutNegotiation) {
  const auto p = Params(false, false);
  for (uint8_t type : {NVO_PDU_CMD, NVO_PDU_H2C_DATA}) {
    auto c = H2cHeader(type, Params(false, true), 16);
    ASSERT_TRUE(c.flags & NVO_F_DDGST);
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags)
        << "type " << int(type);
  }
  // And on a command without data.
  auto c = H2cHeader(NVO_PDU_CMD, p, 0);
  c.flags |= NVO_F_DDGST;
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags);
}

TEST(CheckH2c, DdgstFlagMissingOnDataWhenNegotiated) {
  const auto p = Params(false, true);
  for (uint8_t type : {NVO_PDU_CMD, NVO_PDU_H2C_DATA}) {
    auto c = H2cHeader(type, p, 16);
    c.flags &= ~NVO_F_DDGST;
    c.plen = cpu_to_le32(Plen(c) - NVO_DIGEST_LEN);
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags)
        << "type " << int(type);
  }
}

// A capsule without data carries no data digest even when one was
// negotiated; claiming one is wrong.
TEST(CheckH2c, DdgstFlagOnCapsuleWithoutData) {
  const auto p = Params(true, true);
  auto c = H2cHeader(NVO_PDU_CMD, p, 0);
  EXPECT_FALSE(c.flags & NVO_F_DDGST);
  EXPECT_ACCEPTED(Check(c, p));
  c.flags |= NVO_F_DDGST;
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags);
}

TEST(CheckH2c, CapsuleCmdWithDataTransferFlags) {
  const auto p = Params();
  for (int f : {int{NVO_F_DATA_LAST}, int{NVO_F_DATA_SUCCESS},
                NVO_F_DATA_LAST | NVO_F_DATA_SUCCESS}) {
    const auto c = H2cHeader(NVO_PDU_CMD, p, 0, 0, uint8_t(f));
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags)
        << "flags " << int(f);
  }
}

// SUCCESS belongs to C2HData only.
TEST(CheckH2c, H2CDataWithSuccessFlag) {
  const auto p = Params();
  for (int f :
       {int{NVO_F_DATA_SUCCESS}, NVO_F_DATA_LAST | NVO_F_DATA_SUCCESS}) {
    const auto c = H2cHeader(NVO_PDU_H2C_DATA, p, 64, 0, uint8_t(f));
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags)
        << "flags " << int(f);
  }
}

// ---- CapsuleCmd and H2CData: PLEN and PDO ----------------------------------

TEST(CheckH2c, PlenSmallerThanHeader) {
  for (bool hdgst : {false, true}) {
    const auto p = Params(hdgst, false);
    const uint32_t hl = NVO_CMD_HLEN + (hdgst ? 4 : 0);
    for (uint32_t plen : {0u, 8u, 71u, hl - 1}) {
      auto c = H2cHeader(NVO_PDU_CMD, p, 0);
      c.plen = cpu_to_le32(plen);
      EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPlen)
          << "plen " << plen << " hdgst " << hdgst;
    }
  }
  // H2CData: PLEN 27 with a header digest cuts the digest short.
  const auto p = Params(true, false);
  auto c = H2cHeader(NVO_PDU_H2C_DATA, p, 16);
  c.pdo = 0;
  c.plen = cpu_to_le32(27);
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPlen);
}

TEST(CheckH2c, PdoWithoutData) {
  for (bool hdgst : {false, true}) {
    const auto p = Params(hdgst, false);
    auto c = H2cHeader(NVO_PDU_CMD, p, 0);
    c.pdo = static_cast<uint8_t>(Plen(c));  // points right past the header
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPdo);
  }
}

TEST(CheckH2c, PdoBelowHeaderEnd) {
  for (bool hdgst : {false, true}) {
    const auto p = Params(hdgst, false);
    const uint8_t hl = NVO_CMD_HLEN + (hdgst ? 4 : 0);
    // 0: data announced but no offset; 72 with hdgst: data over the digest.
    for (int pdo : {0, 8, 24, 71, hl - 1}) {
      auto c = H2cHeader(NVO_PDU_CMD, p, 512);
      c.pdo = uint8_t(pdo);
      EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPdo)
          << "pdo " << int(pdo) << " hdgst " << hdgst;
    }
  }
  const auto p = Params();
  auto c = H2cHeader(NVO_PDU_H2C_DATA, p, 512);
  c.pdo = 16;
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPdo);
}

// Data announced (PLEN > header) but PDO at or past the end of the PDU.
TEST(CheckH2c, PdoAtOrBeyondPlen) {
  const auto p = Params();
  auto c = Common(NVO_PDU_CMD, 0, NVO_CMD_HLEN, 80, 80);
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPlen);
  c = Common(NVO_PDU_CMD, 0, NVO_CMD_HLEN, 200, 100);
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPlen);
}

// With a data digest, PLEN must leave room for data and the digest both.
TEST(CheckH2c, NoRoomForDataBeforeDataDigest) {
  const auto p = Params(false, true);
  for (uint32_t extra : {1u, 2u, 3u, 4u}) {
    // PDO 72, PLEN 72 + extra: the "data digest" would be all there is.
    const auto c = Common(NVO_PDU_CMD, NVO_F_DDGST, NVO_CMD_HLEN, NVO_CMD_HLEN,
                          NVO_CMD_HLEN + extra);
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPlen)
        << "extra " << extra;
  }
  const auto c = Common(NVO_PDU_CMD, NVO_F_DDGST, NVO_CMD_HLEN, NVO_CMD_HLEN,
                        NVO_CMD_HLEN + 5);
  EXPECT_ACCEPTED(Check(c, p));
  EXPECT_EQ(nvo_pdu_data_len(&c, &p), 1u);
}

TEST(CheckH2c, DataPduWithoutData) {
  for (bool hdgst : {false, true}) {
    const auto p = Params(hdgst, true);
    const auto c = H2cHeader(NVO_PDU_H2C_DATA, p, 0);
    EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPlen)
        << "hdgst " << hdgst;
  }
}

// Fields are checked in wire order of importance: type, HLEN, FLAGS, PLEN,
// PDO; FEI names the first bad one.
TEST(CheckH2c, FirstOffendingFieldIsReported) {
  const auto p = Params();
  auto c = Common(NVO_PDU_CMD, NVO_F_HDGST, 99, 3, 1);
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiHlen);
  c.hlen = NVO_CMD_HLEN;
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiFlags);
  c.flags = 0;
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPlen);
  c.plen = cpu_to_le32(NVO_CMD_HLEN);
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPdo);
  c.pdo = 0;
  EXPECT_ACCEPTED(Check(c, p));
  c.type = NVO_PDU_RSP;
  EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiType);
}

// ---- H2CTermReq ------------------------------------------------------------

TEST(CheckH2c, H2CTermPlenBounds) {
  for (bool hdgst : {false, true}) {
    const auto p = Params(hdgst, hdgst);
    for (uint32_t plen : {24u, 25u, 32u, 96u, 151u, 152u}) {
      const auto c = Common(NVO_PDU_H2C_TERM, 0, NVO_TERM_HLEN, 0, plen);
      EXPECT_ACCEPTED(Check(c, p)) << "plen " << plen;
      // TermReqs never carry a header digest.
      EXPECT_EQ(nvo_pdu_hdr_len(&c, &p), uint32_t{NVO_TERM_HLEN});
    }
    for (uint32_t plen : {0u, 8u, 23u, 153u, 256u, 0xFFFFFFFFu}) {
      const auto c = Common(NVO_PDU_H2C_TERM, 0, NVO_TERM_HLEN, 0, plen);
      EXPECT_REJECTED(Check(c, p), NVO_FES_INVALID_HDR_FIELD, kFeiPlen)
          << "plen " << plen;
    }
  }
}

TEST(CheckH2c, H2CTermWrongHlen) {
  for (uint8_t hlen : {0, 8, 23, 25, 28, 128}) {
    const auto c = Common(NVO_PDU_H2C_TERM, 0, hlen, 0, 24);
    EXPECT_REJECTED(Check(c, Params()), NVO_FES_INVALID_HDR_FIELD, kFeiHlen)
        << "hlen " << int(hlen);
  }
}

// An accepted H2CTermReq must not let nvo_pdu_pad_len()/nvo_pdu_data_len()
// describe more bytes than PLEN (a non-zero PDO used to: found by pdu_fuzz,
// corpus input 16-h2c-term-pdo.bin).
TEST(CheckH2c, TermReqLengthsStayWithinPlen) {
  const auto p = Params();
  for (uint32_t plen : {24u, 49u, 152u}) {
    for (int pdo : {25, 100, 255}) {
      for (int flags : {0, int{NVO_F_DDGST}}) {
        const auto c = Common(NVO_PDU_H2C_TERM, uint8_t(flags), NVO_TERM_HLEN,
                              uint8_t(pdo), plen);
        if (Check(c, p).fes != NVO_FES_NONE) continue;  // rejecting is a fix
        EXPECT_LE(uint64_t{nvo_pdu_hdr_len(&c, &p)} + nvo_pdu_pad_len(&c, &p) +
                      nvo_pdu_data_len(&c, &p),
                  plen)
            << "pdo " << pdo << " plen " << plen << " flags " << flags;
      }
    }
  }
}

// ---- nvo_pdu_hdr_len / data_len / pad_len on their own
// -----------------------

TEST(HdrLen, DigestOnlyOnTypesThatCarryOne) {
  const auto plain = Params(false, false);
  const auto dig = Params(true, true);
  struct {
    uint8_t type;
    uint32_t with_digest;
  } cases[] = {
      {NVO_PDU_ICREQ, 128},   {NVO_PDU_ICRESP, 128},  {NVO_PDU_H2C_TERM, 24},
      {NVO_PDU_C2H_TERM, 24}, {NVO_PDU_CMD, 76},      {NVO_PDU_RSP, 28},
      {NVO_PDU_H2C_DATA, 28}, {NVO_PDU_C2H_DATA, 28}, {NVO_PDU_R2T, 28},
  };
  for (const auto& tc : cases) {
    const auto c = Common(tc.type, 0, FixedHlen(tc.type), 0, 0);
    EXPECT_EQ(nvo_pdu_hdr_len(&c, &plain), FixedHlen(tc.type))
        << "type " << int(tc.type);
    EXPECT_EQ(nvo_pdu_hdr_len(&c, &dig), tc.with_digest)
        << "type " << int(tc.type);
  }
}

TEST(DataLen, ZeroWithoutPdo) {
  const auto p = Params();
  const auto c = Common(NVO_PDU_CMD, 0, NVO_CMD_HLEN, 0, 4096);
  EXPECT_EQ(nvo_pdu_data_len(&c, &p), 0u);
  EXPECT_EQ(nvo_pdu_pad_len(&c, &p), 0u);
}

TEST(DataLen, ExcludesDataDigest) {
  const auto p = Params(false, true);
  const auto c = Common(NVO_PDU_H2C_DATA, NVO_F_DDGST, 24, 24, 24 + 100 + 4);
  EXPECT_EQ(nvo_pdu_data_len(&c, &p), 100u);
}

TEST(PadLen, BetweenHeaderDigestAndPdo) {
  const auto p = Params(true, false);
  // HPDA-style 128-byte alignment: 76 bytes of header+digest, 52 of pad.
  const auto c = Common(NVO_PDU_CMD, NVO_F_HDGST, 72, 128, 128 + 4096);
  EXPECT_EQ(nvo_pdu_pad_len(&c, &p), 52u);
  EXPECT_EQ(nvo_pdu_data_len(&c, &p), 4096u);
}

}  // namespace
