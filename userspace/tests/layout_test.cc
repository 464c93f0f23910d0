// SPDX-License-Identifier: GPL-2.0
// Wire layout of the PDU structures (NVMe/TCP TP 8000) and the userspace
// shim's byte-order helpers.
#include <gtest/gtest.h>

#include "pdu_test_util.h"

namespace {

using namespace nvo_test;

// Common header: PDU-Type 0, FLAGS 1, HLEN 2, PDO 3, PLEN 7:4.
static_assert(sizeof(nvo_pdu_common) == 8);
static_assert(offsetof(nvo_pdu_common, type) == kFeiType);
static_assert(offsetof(nvo_pdu_common, flags) == kFeiFlags);
static_assert(offsetof(nvo_pdu_common, hlen) == kFeiHlen);
static_assert(offsetof(nvo_pdu_common, pdo) == kFeiPdo);
static_assert(offsetof(nvo_pdu_common, plen) == kFeiPlen);

// ICReq: PFV 09:08, HPDA 10, DGST 11, MAXR2T 15:12; 128 bytes.
static_assert(sizeof(nvo_pdu_icreq) == NVO_IC_PDU_LEN);
static_assert(offsetof(nvo_pdu_icreq, pfv) == 8);
static_assert(offsetof(nvo_pdu_icreq, hpda) == 10);
static_assert(offsetof(nvo_pdu_icreq, digest) == 11);
static_assert(offsetof(nvo_pdu_icreq, maxr2t) == 12);
// ICResp: PFV 09:08, CPDA 10, DGST 11, MAXH2CDATA 15:12; 128 bytes.
static_assert(sizeof(nvo_pdu_icresp) == NVO_IC_PDU_LEN);
static_assert(offsetof(nvo_pdu_icresp, pfv) == 8);
static_assert(offsetof(nvo_pdu_icresp, cpda) == 10);
static_assert(offsetof(nvo_pdu_icresp, digest) == 11);
static_assert(offsetof(nvo_pdu_icresp, maxdata) == 12);
// TermReq: FES 09:08, FEI 13:10; 24 bytes.
static_assert(sizeof(nvo_pdu_term) == NVO_TERM_HLEN);
static_assert(offsetof(nvo_pdu_term, fes) == 8);
static_assert(offsetof(nvo_pdu_term, fei) == 10);
// CapsuleCmd: 8 + 64-byte SQE; CapsuleResp: 8 + 16-byte CQE.
static_assert(sizeof(nvo_pdu_cmd) == NVO_CMD_HLEN);
static_assert(sizeof(nvo_pdu_rsp) == NVO_RSP_HLEN);
// H2CData / C2HData / R2T: CCCID 09:08, TTAG 11:10, offset 15:12,
// length 19:16; 24 bytes.
static_assert(sizeof(nvo_pdu_data) == NVO_DATA_HLEN);
static_assert(offsetof(nvo_pdu_data, cccid) == kFeiCccid);
static_assert(offsetof(nvo_pdu_data, ttag) == kFeiTtag);
static_assert(offsetof(nvo_pdu_data, offset) == kFeiDatao);
static_assert(offsetof(nvo_pdu_data, length) == kFeiDatal);

TEST(Layout, PduTypeValues) {
  EXPECT_EQ(NVO_PDU_ICREQ, 0x00);
  EXPECT_EQ(NVO_PDU_ICRESP, 0x01);
  EXPECT_EQ(NVO_PDU_H2C_TERM, 0x02);
  EXPECT_EQ(NVO_PDU_C2H_TERM, 0x03);
  EXPECT_EQ(NVO_PDU_CMD, 0x04);
  EXPECT_EQ(NVO_PDU_RSP, 0x05);
  EXPECT_EQ(NVO_PDU_H2C_DATA, 0x06);
  EXPECT_EQ(NVO_PDU_C2H_DATA, 0x07);
  EXPECT_EQ(NVO_PDU_R2T, 0x09);
}

TEST(Layout, FlagAndFesValues) {
  EXPECT_EQ(NVO_F_HDGST, 0x01);
  EXPECT_EQ(NVO_F_DDGST, 0x02);
  EXPECT_EQ(NVO_F_DATA_LAST, 0x04);
  EXPECT_EQ(NVO_F_DATA_SUCCESS, 0x08);
  EXPECT_EQ(NVO_FES_INVALID_HDR_FIELD, 0x01);
  EXPECT_EQ(NVO_FES_PDU_SEQUENCE, 0x02);
  EXPECT_EQ(NVO_FES_HDR_DIGEST, 0x03);
  EXPECT_EQ(NVO_FES_DATA_OUT_OF_RANGE, 0x04);
  EXPECT_EQ(NVO_FES_DATA_LIMIT_EXCEEDED, 0x05);
  EXPECT_EQ(NVO_FES_UNSUPPORTED_PARAM, 0x06);
}

TEST(Layout, SizeLimits) {
  // A TermReq is at most 152 bytes: 24 + up to 128 echoed bytes.
  EXPECT_EQ(NVO_TERM_MAX_LEN, 152);
  // Every header the receiver accepts, digest included, fits the rx buffer.
  EXPECT_GE(NVO_RX_HDR_MAX, NVO_IC_PDU_LEN);
  EXPECT_GE(NVO_RX_HDR_MAX, NVO_CMD_HLEN + NVO_DIGEST_LEN);
  // The largest C2HData PDO: HPDA 31 means 128-byte alignment.
  EXPECT_GE(NVO_TX_HDR_MAX, 128);
  EXPECT_EQ(NVO_HPDA_MAX, 31);
}

TEST(Shim, LittleEndianWireBytes) {
  const __le32 v32 = cpu_to_le32(0x11223344u);
  uint8_t b[8];
  std::memcpy(b, &v32, 4);
  EXPECT_EQ(b[0], 0x44);
  EXPECT_EQ(b[1], 0x33);
  EXPECT_EQ(b[2], 0x22);
  EXPECT_EQ(b[3], 0x11);
  EXPECT_EQ(le32_to_cpu(v32), 0x11223344u);

  const __le16 v16 = cpu_to_le16(0xA1B2);
  std::memcpy(b, &v16, 2);
  EXPECT_EQ(b[0], 0xB2);
  EXPECT_EQ(b[1], 0xA1);
  EXPECT_EQ(le16_to_cpu(v16), 0xA1B2);

  const __le64 v64 = cpu_to_le64(0x0102030405060708ull);
  std::memcpy(b, &v64, 8);
  for (int i = 0; i < 8; i++) EXPECT_EQ(b[i], 8 - i) << i;
  EXPECT_EQ(le64_to_cpu(v64), 0x0102030405060708ull);
}

TEST(Shim, UnalignedAccessAtEveryOffset) {
  for (size_t off = 0; off < 8; off++) {
    uint8_t buf[16];
    std::memset(buf, 0xEE, sizeof(buf));
    put_unaligned_le32(0xDEADBEEFu, buf + off);
    EXPECT_EQ(buf[off + 0], 0xEF);
    EXPECT_EQ(buf[off + 1], 0xBE);
    EXPECT_EQ(buf[off + 2], 0xAD);
    EXPECT_EQ(buf[off + 3], 0xDE);
    if (off) {
      EXPECT_EQ(buf[off - 1], 0xEE);
    }
    EXPECT_EQ(buf[off + 4], 0xEE);
    EXPECT_EQ(get_unaligned_le32(buf + off), 0xDEADBEEFu);
    put_unaligned_le16(0x1234, buf + off);
    EXPECT_EQ(get_unaligned_le16(buf + off), 0x1234);
    put_unaligned_le64(0x8877665544332211ull, buf + off);
    EXPECT_EQ(get_unaligned_le64(buf + off), 0x8877665544332211ull);
    EXPECT_EQ(buf[off], 0x11);
  }
}

}  // namespace
