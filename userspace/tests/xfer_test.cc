// SPDX-License-Identifier: GPL-2.0
// Per-command host-to-controller data transfer: R2T windows, in-order H2CData
// within the open window, LAST_PDU, advance and completion.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "pdu_test_util.h"

namespace {

using namespace nvo_test;

nvo_pdu_data H2cData(uint32_t off, uint32_t len, bool last = false) {
  nvo_pdu_data d{};
  d.hdr =
      Common(NVO_PDU_H2C_DATA, last ? NVO_F_DATA_LAST : 0, 24, 24, 24 + len);
  d.cccid = 0x77;
  d.ttag = cpu_to_le16(3);
  d.offset = cpu_to_le32(off);
  d.length = cpu_to_le32(len);
  return d;
}

struct Verdict {
  nvo_fes fes;
  uint32_t fei;
};

Verdict Check(const nvo_xfer& x, const nvo_pdu_data& d) {
  uint32_t fei = 0xFFFFFFFFu;
  const nvo_fes fes = nvo_xfer_check_h2c(&x, &d, le32_to_cpu(d.length), &fei);
  return {fes, fei};
}

Verdict CheckLen(const nvo_xfer& x, const nvo_pdu_data& d,
                 uint32_t pdu_data_len) {
  uint32_t fei = 0xFFFFFFFFu;
  const nvo_fes fes = nvo_xfer_check_h2c(&x, &d, pdu_data_len, &fei);
  return {fes, fei};
}

nvo_xfer Started(uint32_t total, uint32_t window) {
  nvo_xfer x;
  nvo_xfer_init(&x, total);
  uint32_t off, len;
  EXPECT_TRUE(nvo_xfer_next_r2t(&x, window, &off, &len));
  return x;
}

// ---- init and R2T windows
// ----------------------------------------------------

TEST(Xfer, InitResetsEverything) {
  nvo_xfer x;
  std::memset(&x, 0xFF, sizeof(x));
  nvo_xfer_init(&x, 12345);
  EXPECT_EQ(x.total, 12345u);
  EXPECT_EQ(x.done, 0u);
  EXPECT_EQ(x.r2t_off, 0u);
  EXPECT_EQ(x.r2t_len, 0u);
  EXPECT_FALSE(nvo_xfer_complete(&x));
}

TEST(Xfer, WindowsCoverTheTransferInOrder) {
  nvo_xfer x;
  nvo_xfer_init(&x, 10000);
  uint32_t off = 0xdead, len = 0xbeef;

  ASSERT_TRUE(nvo_xfer_next_r2t(&x, 4096, &off, &len));
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(len, 4096u);
  EXPECT_EQ(x.r2t_off, 0u);
  EXPECT_EQ(x.r2t_len, 4096u);
  // One window at a time.
  EXPECT_FALSE(nvo_xfer_next_r2t(&x, 4096, &off, &len));
  EXPECT_FALSE(nvo_xfer_advance(&x, 4000));
  EXPECT_FALSE(nvo_xfer_next_r2t(&x, 4096, &off, &len));
  EXPECT_TRUE(nvo_xfer_advance(&x, 96));
  EXPECT_EQ(x.r2t_len, 0u);

  ASSERT_TRUE(nvo_xfer_next_r2t(&x, 4096, &off, &len));
  EXPECT_EQ(off, 4096u);
  EXPECT_EQ(len, 4096u);
  EXPECT_TRUE(nvo_xfer_advance(&x, 4096));

  // The last window is what is left.
  ASSERT_TRUE(nvo_xfer_next_r2t(&x, 4096, &off, &len));
  EXPECT_EQ(off, 8192u);
  EXPECT_EQ(len, 1808u);
  EXPECT_FALSE(nvo_xfer_complete(&x));
  EXPECT_TRUE(nvo_xfer_advance(&x, 1808));
  EXPECT_TRUE(nvo_xfer_complete(&x));
  EXPECT_FALSE(nvo_xfer_next_r2t(&x, 4096, &off, &len));
}

TEST(Xfer, SingleWindowWhenMaxExceedsTotal) {
  nvo_xfer x;
  nvo_xfer_init(&x, 512);
  uint32_t off, len;
  ASSERT_TRUE(nvo_xfer_next_r2t(&x, 0xFFFFFFFFu, &off, &len));
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(len, 512u);
}

TEST(Xfer, ZeroMaxLenOpensNothing) {
  nvo_xfer x;
  nvo_xfer_init(&x, 512);
  uint32_t off = 1, len = 1;
  EXPECT_FALSE(nvo_xfer_next_r2t(&x, 0, &off, &len));
  EXPECT_EQ(x.r2t_len, 0u);
}

TEST(Xfer, ZeroLengthTransferIsCompleteAtOnce) {
  nvo_xfer x;
  nvo_xfer_init(&x, 0);
  EXPECT_TRUE(nvo_xfer_complete(&x));
  uint32_t off, len;
  EXPECT_FALSE(nvo_xfer_next_r2t(&x, 4096, &off, &len));
}

// In-capsule data: no window, all the data at once.
TEST(Xfer, AdvanceWithoutWindow) {
  nvo_xfer x;
  nvo_xfer_init(&x, 4096);
  EXPECT_FALSE(nvo_xfer_advance(&x, 4096));
  EXPECT_TRUE(nvo_xfer_complete(&x));
}

// ---- H2CData against the open window --------------------------------------

TEST(XferCheck, WholeWindowInOnePdu) {
  const auto x = Started(8192, 4096);
  EXPECT_EQ(Check(x, H2cData(0, 4096, true)).fes, NVO_FES_NONE);
  EXPECT_EQ(Check(x, H2cData(0, 4096, false)).fes, NVO_FES_NONE);
}

TEST(XferCheck, WindowSplitAcrossPdus) {
  auto x = Started(4096, 4096);
  for (uint32_t off = 0; off < 4096; off += 1024) {
    const bool last = off + 1024 == 4096;
    const auto d = H2cData(off, 1024, last);
    ASSERT_EQ(Check(x, d).fes, NVO_FES_NONE) << "off " << off;
    EXPECT_EQ(nvo_xfer_advance(&x, 1024), last) << "off " << off;
  }
  EXPECT_TRUE(nvo_xfer_complete(&x));
}

TEST(XferCheck, NoWindowOpen) {
  nvo_xfer x;
  nvo_xfer_init(&x, 4096);
  const auto v = Check(x, H2cData(0, 1024));
  EXPECT_EQ(v.fes, NVO_FES_DATA_OUT_OF_RANGE);
  EXPECT_EQ(v.fei, kFeiDatao);
}

TEST(XferCheck, WindowAlreadyFilled) {
  auto x = Started(8192, 4096);
  ASSERT_TRUE(nvo_xfer_advance(&x, 4096));
  // The host runs ahead of the R2Ts: no window is open for offset 4096.
  const auto v = Check(x, H2cData(4096, 1024));
  EXPECT_EQ(v.fes, NVO_FES_DATA_OUT_OF_RANGE);
  EXPECT_EQ(v.fei, kFeiDatao);
}

TEST(XferCheck, OutOfOrderOffsets) {
  auto x = Started(8192, 4096);
  ASSERT_FALSE(nvo_xfer_advance(&x, 1024));
  // A gap, a resend of what arrived, and a jump past the window.
  for (uint32_t off :
       {2048u, 0u, 512u, 1023u, 1025u, 4096u, 8000u, 0xFFFFFC00u}) {
    const auto v = Check(x, H2cData(off, 512));
    EXPECT_EQ(v.fes, NVO_FES_DATA_OUT_OF_RANGE) << "off " << off;
    EXPECT_EQ(v.fei, kFeiDatao) << "off " << off;
  }
  EXPECT_EQ(Check(x, H2cData(1024, 512)).fes, NVO_FES_NONE);
}

TEST(XferCheck, DataBeyondWindowEnd) {
  const auto x = Started(8192, 4096);
  for (uint32_t len : {4097u, 8192u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    const auto v = Check(x, H2cData(0, len));
    EXPECT_EQ(v.fes, NVO_FES_DATA_OUT_OF_RANGE) << "len " << len;
    EXPECT_EQ(v.fei, kFeiDatal) << "len " << len;
  }
  // Also from the middle of a window.
  auto y = Started(8192, 4096);
  nvo_xfer_advance(&y, 4000);
  const auto v = Check(y, H2cData(4000, 97));
  EXPECT_EQ(v.fes, NVO_FES_DATA_OUT_OF_RANGE);
  EXPECT_EQ(v.fei, kFeiDatal);
  EXPECT_EQ(Check(y, H2cData(4000, 96, true)).fes, NVO_FES_NONE);
}

TEST(XferCheck, LastPduBeforeWindowEnd) {
  const auto x = Started(8192, 4096);
  const auto v = Check(x, H2cData(0, 1024, true));
  EXPECT_EQ(v.fes, NVO_FES_INVALID_HDR_FIELD);
  EXPECT_EQ(v.fei, kFeiFlags);
}

// DATAL must say what PLEN/PDO carry.
TEST(XferCheck, LengthFieldMismatch) {
  const auto x = Started(8192, 4096);
  for (uint32_t pdu_len : {0u, 1023u, 1025u, 4096u}) {
    const auto v = CheckLen(x, H2cData(0, 1024), pdu_len);
    EXPECT_EQ(v.fes, NVO_FES_INVALID_HDR_FIELD) << "pdu_len " << pdu_len;
    EXPECT_EQ(v.fei, kFeiDatal);
  }
}

TEST(XferCheck, ZeroLength) {
  const auto x = Started(8192, 4096);
  const auto v = Check(x, H2cData(0, 0));
  EXPECT_EQ(v.fes, NVO_FES_INVALID_HDR_FIELD);
  EXPECT_EQ(v.fei, kFeiDatal);
}

// A whole write: R2T windows of at most max bytes, each filled by H2CData
// PDUs of uneven sizes, LAST_PDU on each window's final PDU.
TEST(XferFlow, UnevenPdusAcrossManyWindows) {
  const uint32_t total = 100000, max = 8192;
  nvo_xfer x;
  nvo_xfer_init(&x, total);
  uint32_t off, len, windows = 0, pdus = 0, seed = 1;
  while (nvo_xfer_next_r2t(&x, max, &off, &len)) {
    windows++;
    ASSERT_EQ(off, x.done);
    ASSERT_LE(len, max);
    uint32_t pos = off;
    const uint32_t end = off + len;
    bool window_done = false;
    while (!window_done) {
      seed = seed * 1103515245u + 12345u;
      const uint32_t chunk = std::min(end - pos, 1 + (seed >> 16) % 3000);
      const auto d = H2cData(pos, chunk, pos + chunk == end);
      const auto v = Check(x, d);
      ASSERT_EQ(v.fes, NVO_FES_NONE) << "pos " << pos << " fei " << v.fei;
      window_done = nvo_xfer_advance(&x, chunk);
      ASSERT_EQ(window_done, pos + chunk == end);
      pos += chunk;
      pdus++;
      ASSERT_LE(x.done, x.total);
    }
  }
  EXPECT_TRUE(nvo_xfer_complete(&x));
  EXPECT_EQ(windows, (total + max - 1) / max);
  EXPECT_GT(pdus, windows);
}

}  // namespace
