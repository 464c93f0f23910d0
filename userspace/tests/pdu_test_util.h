// SPDX-License-Identifier: GPL-2.0
// Shared helpers for the NVMe/TCP PDU codec unit tests.
#ifndef NVO_TESTS_PDU_TEST_UTIL_H_
#define NVO_TESTS_PDU_TEST_UTIL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

// The codec is C; its header carries no extern "C" of its own.
extern "C" {
#include <linux/nvmet_offload_pdu.h>
}

namespace nvo_test {

// Byte offsets of the common-header fields, as FEI reports them.
constexpr uint32_t kFeiType = 0;
constexpr uint32_t kFeiFlags = 1;
constexpr uint32_t kFeiHlen = 2;
constexpr uint32_t kFeiPdo = 3;
constexpr uint32_t kFeiPlen = 4;
// H2CData fields (NVMe/TCP TP 8000: CCCID 09:08, TTAG 11:10, DATAO 15:12,
// DATAL 19:16).
constexpr uint32_t kFeiCccid = 8;
constexpr uint32_t kFeiTtag = 10;
constexpr uint32_t kFeiDatao = 12;
constexpr uint32_t kFeiDatal = 16;

inline nvo_conn_params Params(bool hdgst = false, bool ddgst = false,
                              uint8_t hpda = 0, uint32_t maxh2cdata = 0x20000,
                              uint32_t maxr2t = 0) {
  nvo_conn_params p{};
  p.hdgst = hdgst;
  p.ddgst = ddgst;
  p.hpda = hpda;
  p.maxr2t = maxr2t;
  p.maxh2cdata = maxh2cdata;
  return p;
}

inline nvo_pdu_common Common(uint8_t type, uint8_t flags, uint8_t hlen,
                             uint8_t pdo, uint32_t plen) {
  nvo_pdu_common c{};
  c.type = type;
  c.flags = flags;
  c.hlen = hlen;
  c.pdo = pdo;
  c.plen = cpu_to_le32(plen);
  return c;
}

inline uint8_t FixedHlen(uint8_t type) {
  switch (type) {
    case NVO_PDU_ICREQ:
    case NVO_PDU_ICRESP:
      return NVO_IC_PDU_LEN;
    case NVO_PDU_CMD:
      return NVO_CMD_HLEN;
    default:
      return NVO_DATA_HLEN;  // RSP, H2C/C2H data, R2T, TermReqs: 24
  }
}

// A well-formed CapsuleCmd or H2CData common header, as a conforming host
// sends it: @data_len bytes of data after @pad bytes of padding.
inline nvo_pdu_common H2cHeader(uint8_t type, const nvo_conn_params& p,
                                uint32_t data_len, uint32_t pad = 0,
                                uint8_t extra_flags = 0) {
  const uint32_t hl = FixedHlen(type) + (p.hdgst ? NVO_DIGEST_LEN : 0);
  uint8_t flags = extra_flags;
  if (p.hdgst) flags |= NVO_F_HDGST;
  if (data_len && p.ddgst) flags |= NVO_F_DDGST;
  const uint32_t pdo = data_len ? hl + pad : 0;
  const uint32_t plen =
      hl + (data_len ? pad + data_len + (p.ddgst ? NVO_DIGEST_LEN : 0) : 0);
  return Common(type, flags, FixedHlen(type), static_cast<uint8_t>(pdo), plen);
}

inline uint32_t Plen(const nvo_pdu_common& c) { return le32_to_cpu(c.plen); }

// Independent CRC32C (Castagnoli, reflected 0x82F63B78), table driven, to
// cross-check the codec's bitwise one.
class RefCrc32c {
 public:
  RefCrc32c() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      table_[i] = c;
    }
  }
  uint32_t operator()(const void* buf, size_t len) const {
    const auto* b = static_cast<const uint8_t*>(buf);
    uint32_t crc = 0xFFFFFFFFu;
    while (len--) crc = table_[(crc ^ *b++) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
  }

 private:
  std::array<uint32_t, 256> table_{};
};

// Deterministic filler so that failures reproduce.
inline std::vector<uint8_t> Pattern(size_t len, uint32_t seed = 1) {
  std::vector<uint8_t> v(len);
  uint32_t x = seed * 2654435761u + 0x9E3779B9u;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<uint8_t>(x);
  }
  return v;
}

inline uint32_t Le32At(const void* buf, size_t off) {
  return get_unaligned_le32(static_cast<const uint8_t*>(buf) + off);
}
inline uint16_t Le16At(const void* buf, size_t off) {
  return get_unaligned_le16(static_cast<const uint8_t*>(buf) + off);
}

}  // namespace nvo_test

#endif  // NVO_TESTS_PDU_TEST_UTIL_H_
