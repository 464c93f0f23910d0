// SPDX-License-Identifier: GPL-2.0
// CRC32C and NVMe/TCP header digests: seed ~0, final inversion, the 32-bit
// result little endian on the wire.
#include <gtest/gtest.h>

#include <string>

#include "pdu_test_util.h"

namespace {

using namespace nvo_test;

uint32_t Digest(const void* buf, size_t len) {
  return nvo_digest_final(nvo_crc32c_update(nvo_digest_init(), buf, len));
}

TEST(Crc32c, InitAndFinal) {
  EXPECT_EQ(nvo_digest_init(), 0xFFFFFFFFu);
  EXPECT_EQ(nvo_digest_final(0xFFFFFFFFu), 0u);
  EXPECT_EQ(nvo_digest_final(0x12345678u), 0xEDCBA987u);
}

TEST(Crc32c, CheckValue) {
  // The catalogue check value of CRC-32C (Castagnoli).
  const char* s = "123456789";
  EXPECT_EQ(Digest(s, 9), 0xE3069283u);
}

TEST(Crc32c, EmptyInput) {
  EXPECT_EQ(Digest("", 0), 0u);
  EXPECT_EQ(nvo_crc32c_update(0xFFFFFFFFu, nullptr, 0), 0xFFFFFFFFu);
}

// RFC 3720 (iSCSI) appendix B.4 test vectors.
TEST(Crc32c, Rfc3720Vectors) {
  uint8_t buf[32];
  std::memset(buf, 0x00, sizeof(buf));
  EXPECT_EQ(Digest(buf, 32), 0x8A9136AAu);
  std::memset(buf, 0xFF, sizeof(buf));
  EXPECT_EQ(Digest(buf, 32), 0x62A8AB43u);
  for (int i = 0; i < 32; i++) buf[i] = uint8_t(i);
  EXPECT_EQ(Digest(buf, 32), 0x46DD794Eu);
  for (int i = 0; i < 32; i++) buf[i] = uint8_t(31 - i);
  EXPECT_EQ(Digest(buf, 32), 0x113FDB5Cu);
  // An iSCSI SCSI Read (10) command PDU.
  const uint8_t read_pdu[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(Digest(read_pdu, sizeof(read_pdu)), 0xD9963A56u);
}

TEST(Crc32c, MatchesTableDrivenReference) {
  const RefCrc32c ref;
  for (size_t len = 0; len <= 300; len++) {
    const auto buf = Pattern(len, uint32_t(len) + 7);
    ASSERT_EQ(Digest(buf.data(), len), ref(buf.data(), len)) << "len " << len;
  }
}

// Receivers digest data as it trickles in: chaining must not matter.
TEST(Crc32c, IncrementalEqualsOneShot) {
  const auto buf = Pattern(4096 + 13, 42);
  const uint32_t whole = Digest(buf.data(), buf.size());
  for (size_t cut : {size_t{0}, size_t{1}, size_t{3}, size_t{64}, size_t{4095},
                     buf.size()}) {
    uint32_t crc = nvo_digest_init();
    crc = nvo_crc32c_update(crc, buf.data(), cut);
    crc = nvo_crc32c_update(crc, buf.data() + cut, buf.size() - cut);
    EXPECT_EQ(nvo_digest_final(crc), whole) << "cut " << cut;
  }
  uint32_t crc = nvo_digest_init();
  for (uint8_t b : buf) crc = nvo_crc32c_update(crc, &b, 1);
  EXPECT_EQ(nvo_digest_final(crc), whole);
}

// ---- header digests --------------------------------------------------------

TEST(HeaderDigest, StoredLittleEndianAfterHeader) {
  uint8_t buf[9 + 4 + 1];
  std::memcpy(buf, "123456789", 9);
  buf[13] = 0x5A;  // canary
  nvo_pdu_set_hdgst(buf, 9);
  EXPECT_EQ(buf[9], 0x83);
  EXPECT_EQ(buf[10], 0x92);
  EXPECT_EQ(buf[11], 0x06);
  EXPECT_EQ(buf[12], 0xE3);
  EXPECT_EQ(buf[13], 0x5A);
  EXPECT_EQ(0, std::memcmp(buf, "123456789", 9)) << "header modified";
  EXPECT_TRUE(nvo_pdu_hdgst_ok(buf, 9));
}

class HeaderDigestLen : public ::testing::TestWithParam<uint8_t> {};

TEST_P(HeaderDigestLen, RoundTripAndEverySingleBitFlipDetected) {
  const uint8_t hlen = GetParam();
  auto buf = Pattern(hlen + NVO_DIGEST_LEN, hlen);
  nvo_pdu_set_hdgst(buf.data(), hlen);
  ASSERT_TRUE(nvo_pdu_hdgst_ok(buf.data(), hlen));
  EXPECT_EQ(Le32At(buf.data(), hlen), RefCrc32c()(buf.data(), hlen));
  for (size_t bit = 0; bit < buf.size() * 8; bit++) {
    buf[bit / 8] ^= uint8_t(1u << (bit % 8));
    EXPECT_FALSE(nvo_pdu_hdgst_ok(buf.data(), hlen)) << "bit " << bit;
    buf[bit / 8] ^= uint8_t(1u << (bit % 8));
  }
  EXPECT_TRUE(nvo_pdu_hdgst_ok(buf.data(), hlen));
}

// The header sizes that carry digests: Rsp/R2T/H2CData/C2HData, CapsuleCmd.
INSTANTIATE_TEST_SUITE_P(PduHeaders, HeaderDigestLen,
                         ::testing::Values(uint8_t{NVO_DATA_HLEN},
                                           uint8_t{NVO_CMD_HLEN}),
                         [](const auto& info) {
                           return "hlen" + std::to_string(info.param);
                         });

TEST(HeaderDigest, WorksAtAnyAlignment) {
  uint8_t raw[NVO_CMD_HLEN + NVO_DIGEST_LEN + 8];
  for (size_t off = 0; off < 8; off++) {
    uint8_t* hdr = raw + off;
    const auto pat = Pattern(NVO_CMD_HLEN, uint32_t(off));
    std::memcpy(hdr, pat.data(), pat.size());
    nvo_pdu_set_hdgst(hdr, NVO_CMD_HLEN);
    EXPECT_TRUE(nvo_pdu_hdgst_ok(hdr, NVO_CMD_HLEN)) << "off " << off;
    EXPECT_EQ(Le32At(hdr, NVO_CMD_HLEN), RefCrc32c()(pat.data(), pat.size()));
  }
}

TEST(HeaderDigest, ZeroDigestRejected) {
  uint8_t buf[NVO_DATA_HLEN + NVO_DIGEST_LEN] = {};
  buf[0] = NVO_PDU_H2C_DATA;
  EXPECT_FALSE(nvo_pdu_hdgst_ok(buf, NVO_DATA_HLEN));
}

}  // namespace
