// SPDX-License-Identifier: GPL-2.0
// Acknowledgements, errors with extended ACK, and the reply collector.
#include <gtest/gtest.h>

#include <cerrno>

#include "nl_bytes.h"
#include "nvo/codec.h"
#include "nvo/error.h"
#include "uapi/linux/nvmet_offload.h"

namespace nvo {
namespace {

using test::NlWriter;

constexpr uint16_t kFamily = 0x1d;

// The request the errors below answer.
std::vector<uint8_t> Request(uint32_t seq) {
  return NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_PORT_SET, seq,
                        NLM_F_REQUEST | NLM_F_ACK)
      .U32(NVMET_OFFLOAD_A_PORT_ID, 1)
      .U32(NVMET_OFFLOAD_A_PORT_POLICY, 1)
      .Bytes();
}

// NLMSG_ERROR as netlink_ack() builds it.
std::vector<uint8_t> ErrorMsg(uint32_t seq, int error, bool capped,
                              const std::string& extack = "",
                              std::optional<uint32_t> offs = std::nullopt) {
  const auto req = Request(seq);
  uint16_t flags = capped ? NLM_F_CAPPED : 0;
  if (!extack.empty() || offs) {
    flags |= NLM_F_ACK_TLVS;
  }
  NlWriter w = NlWriter::Plain(NLMSG_ERROR, seq, flags);
  w.Raw(&error, sizeof(error));
  if (capped) {
    w.Raw(req.data(), NLMSG_HDRLEN);
  } else {
    w.Raw(req.data(), req.size());
  }
  if (!extack.empty()) {
    w.Str(NLMSGERR_ATTR_MSG, extack);
  }
  if (offs) {
    w.U32(NLMSGERR_ATTR_OFFS, *offs);
  }
  return w.Bytes();
}

std::vector<uint8_t> DoneMsg(uint32_t seq, int error = 0,
                             const std::string& extack = "") {
  NlWriter w =
      NlWriter::Plain(NLMSG_DONE, seq,
                      static_cast<uint16_t>(
                          NLM_F_MULTI | (extack.empty() ? 0 : NLM_F_ACK_TLVS)));
  w.Raw(&error, sizeof(error));
  if (!extack.empty()) {
    w.Str(NLMSGERR_ATTR_MSG, extack);
  }
  return w.Bytes();
}

TEST(Ack, PlainAck) {
  const Ack a = ParseAck(Message(ErrorMsg(3, 0, true)));
  EXPECT_EQ(a.error, 0);
  EXPECT_EQ(a.extack, "");
  EXPECT_FALSE(a.extack_offset.has_value());
}

TEST(Ack, CappedErrorWithExtack) {
  const Ack a =
      ParseAck(Message(ErrorMsg(3, -EBUSY, true, "port offload is on", 36)));
  EXPECT_EQ(a.error, -EBUSY);
  EXPECT_EQ(a.extack, "port offload is on");
  EXPECT_EQ(a.extack_offset, 36U);
}

TEST(Ack, UncappedErrorEchoesRequestThenExtack) {
  const Ack a =
      ParseAck(Message(ErrorMsg(3, -EINVAL, false, "no device bound")));
  EXPECT_EQ(a.error, -EINVAL);
  EXPECT_EQ(a.extack, "no device bound");
}

TEST(Ack, ErrorWithoutExtack) {
  const Ack a = ParseAck(Message(ErrorMsg(3, -ENODEV, false)));
  EXPECT_EQ(a.error, -ENODEV);
  EXPECT_EQ(a.extack, "");
}

TEST(Ack, MalformedExtackKeepsTheError) {
  auto b = ErrorMsg(3, -EINVAL, true, "abc");
  // Drop the NUL of the message: the TLV no longer parses.
  const size_t tlv = NLMSG_HDRLEN + sizeof(nlmsgerr);
  b[tlv + NLA_HDRLEN + 3] = 'd';
  const Ack a = ParseAck(Message(b));
  EXPECT_EQ(a.error, -EINVAL);
  EXPECT_EQ(a.extack, "");
}

TEST(Ack, TruncatedError) {
  auto b = ErrorMsg(3, -EINVAL, true);
  b.resize(NLMSG_HDRLEN + 8);
  test::Put32(b, 0, static_cast<uint32_t>(b.size()));
  EXPECT_THROW(ParseAck(Message(b)), ParseError);
}

TEST(Ack, PositiveErrorIsMalformed) {
  EXPECT_THROW(ParseAck(Message(ErrorMsg(3, 5, true))), ParseError);
}

TEST(Ack, DoneWithErrorAndExtack) {
  const Ack a = ParseAck(Message(DoneMsg(4, -ENOENT, "no such port")));
  EXPECT_EQ(a.error, -ENOENT);
  EXPECT_EQ(a.extack, "no such port");
  // An old kernel's DONE without payload.
  EXPECT_EQ(ParseAck(Message(NlWriter::Plain(NLMSG_DONE, 4).Bytes())).error, 0);
}

TEST(Ack, NotAnAck) {
  EXPECT_THROW(ParseAck(Message(NlWriter::Genl(kFamily, 1).Bytes())),
               ParseError);
}

std::vector<uint8_t> DevReply(uint32_t seq, uint32_t id) {
  return NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_DEV_GET, seq, NLM_F_MULTI)
      .U32(NVMET_OFFLOAD_A_DEV_ID, id)
      .Bytes();
}

TEST(Collector, DoReplyThenAck) {
  ReplyCollector rc(kFamily, 9, false);
  EXPECT_TRUE(rc.Feed(Message(DevReply(9, 1))));
  EXPECT_FALSE(rc.done());
  EXPECT_TRUE(rc.Feed(Message(ErrorMsg(9, 0, true))));
  EXPECT_TRUE(rc.done());
  ASSERT_EQ(rc.replies().size(), 1U);
  EXPECT_EQ(ParseDevice(rc.replies()[0]).id, 1U);
}

TEST(Collector, DumpUntilDone) {
  ReplyCollector rc(kFamily, 9, true);
  for (uint32_t id = 1; id <= 3; id++) {
    rc.Feed(Message(DevReply(9, id)));
  }
  EXPECT_FALSE(rc.done());
  rc.Feed(Message(DoneMsg(9)));
  EXPECT_TRUE(rc.done());
  EXPECT_EQ(rc.replies().size(), 3U);
  EXPECT_FALSE(rc.interrupted());
}

TEST(Collector, OtherSequenceIgnored) {
  ReplyCollector rc(kFamily, 9, true);
  EXPECT_FALSE(rc.Feed(Message(DevReply(8, 1))));
  EXPECT_FALSE(rc.Feed(Message(DoneMsg(10))));
  EXPECT_TRUE(rc.replies().empty());
  EXPECT_FALSE(rc.done());
}

TEST(Collector, ErrorCarriesErrnoAndExtack) {
  ReplyCollector rc(kFamily, 9, false);
  try {
    rc.Feed(Message(ErrorMsg(9, -EPERM, true, "need CAP_NET_ADMIN", 20)));
    FAIL() << "no exception";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.err(), EPERM);
    EXPECT_EQ(e.extack(), "need CAP_NET_ADMIN");
    EXPECT_EQ(e.offset(), 20U);
    EXPECT_STREQ(e.what(), "need CAP_NET_ADMIN (EPERM)");
  }
}

// queue-set on an NVMe/RDMA queue: -EOPNOTSUPP with the kernel's message,
// the request echoed whole (not capped).
TEST(Collector, EopnotsuppCarriesExtack) {
  ReplyCollector rc(kFamily, 9, false);
  try {
    rc.Feed(Message(ErrorMsg(9, -EOPNOTSUPP, false,
                             "not an NVMe/TCP queue: only NVMe/TCP queues "
                             "move to a device")));
    FAIL() << "no exception";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.err(), EOPNOTSUPP);
    EXPECT_STREQ(e.what(),
                 "not an NVMe/TCP queue: only NVMe/TCP queues move to a "
                 "device (EOPNOTSUPP)");
  }
}

TEST(Collector, DumpErrorInDone) {
  ReplyCollector rc(kFamily, 9, true);
  rc.Feed(Message(DevReply(9, 1)));
  EXPECT_THROW(rc.Feed(Message(DoneMsg(9, -EIO, "engine died"))), NetlinkError);
}

TEST(Collector, ErrorWithoutExtackUsesStrerror) {
  ReplyCollector rc(kFamily, 9, false);
  try {
    rc.Feed(Message(ErrorMsg(9, -ENODEV, false)));
    FAIL() << "no exception";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.err(), ENODEV);
    EXPECT_EQ(e.extack(), "");
    EXPECT_NE(std::string(e.what()).find("(ENODEV)"), std::string::npos);
  }
}

TEST(Collector, Unexpected) {
  ReplyCollector rc(kFamily, 9, false);
  EXPECT_THROW(rc.Feed(Message(NlWriter::Genl(0x30, 1, 9).Bytes())),
               ParseError);
  ReplyCollector two(kFamily, 9, false);
  two.Feed(Message(DevReply(9, 1)));
  EXPECT_THROW(two.Feed(Message(DevReply(9, 2))), ParseError);
  ReplyCollector after(kFamily, 9, true);
  after.Feed(Message(DoneMsg(9)));
  EXPECT_THROW(after.Feed(Message(DevReply(9, 2))), ParseError);
  ReplyCollector overrun(kFamily, 9, true);
  EXPECT_THROW(overrun.Feed(Message(NlWriter::Plain(NLMSG_OVERRUN, 9).Bytes())),
               ParseError);
}

TEST(Collector, NoopIgnoredAndInterruptedDumpFlagged) {
  ReplyCollector rc(kFamily, 9, true);
  EXPECT_TRUE(rc.Feed(Message(NlWriter::Plain(NLMSG_NOOP, 9).Bytes())));
  rc.Feed(Message(NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_DEV_GET, 9,
                                 NLM_F_MULTI | NLM_F_DUMP_INTR)
                      .U32(NVMET_OFFLOAD_A_DEV_ID, 1)
                      .Bytes()));
  rc.Feed(Message(DoneMsg(9)));
  EXPECT_TRUE(rc.done());
  EXPECT_TRUE(rc.interrupted());
}

}  // namespace
}  // namespace nvo
