// SPDX-License-Identifier: GPL-2.0
// Requests: the bytes of every message the library builds.
#include <gtest/gtest.h>

#include <stdexcept>

#include "nl_bytes.h"
#include "nvo/codec.h"
#include "uapi/linux/nvmet_offload.h"

namespace nvo {
namespace {

using test::Get16;
using test::Get32;
using test::kGenlAttrOff;
using test::WalkAttrs;
using test::WireAttr;

constexpr int kFamily = 0x1d;  // any resolved id

struct Header {
  uint32_t len;
  uint16_t type;
  uint16_t flags;
  uint8_t cmd;
  uint8_t version;
};

Header HeaderOf(const std::vector<uint8_t>& b) {
  EXPECT_GE(b.size(), kGenlAttrOff);
  return {Get32(b, 0), Get16(b, 4), Get16(b, 6), b[16], b[17]};
}

void ExpectDo(const std::vector<uint8_t>& b, uint8_t cmd) {
  const Header h = HeaderOf(b);
  EXPECT_EQ(h.len, b.size());
  EXPECT_EQ(h.type, kFamily);
  EXPECT_EQ(h.flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(h.cmd, cmd);
  EXPECT_EQ(h.version, NVMET_OFFLOAD_FAMILY_VERSION);
  EXPECT_EQ(Get32(b, 8), 0U) << "sequence number is the socket's";
}

void ExpectDump(const std::vector<uint8_t>& b, uint8_t cmd) {
  const Header h = HeaderOf(b);
  EXPECT_EQ(h.len, b.size());
  EXPECT_EQ(h.type, kFamily);
  EXPECT_EQ(h.flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(h.cmd, cmd);
  EXPECT_EQ(h.version, NVMET_OFFLOAD_FAMILY_VERSION);
}

void ExpectU32(const WireAttr& a, uint16_t type, uint32_t v) {
  EXPECT_EQ(a.type, type);
  ASSERT_EQ(a.payload.size(), 4U);
  EXPECT_EQ(a.u32(), v);
}

void ExpectStr(const WireAttr& a, uint16_t type, const std::string& s) {
  EXPECT_EQ(a.type, type);
  EXPECT_EQ(a.str(), s + std::string(1, '\0'));
}

TEST(Build, DevDumpIsHeaderOnly) {
  const auto b = MsgBytes(BuildDevDump(kFamily));
  ExpectDump(b, NVMET_OFFLOAD_CMD_DEV_GET);
  EXPECT_EQ(b.size(), kGenlAttrOff);
}

TEST(Build, DevGetExactBytes) {
  const auto b = MsgBytes(BuildDevGet(kFamily, 7, ""));
  // clang-format off
  const std::vector<uint8_t> want = {
      28, 0, 0, 0,               // nlmsg_len
      0x1d, 0,                   // nlmsg_type: the family
      0x05, 0,                   // NLM_F_REQUEST | NLM_F_ACK
      0, 0, 0, 0, 0, 0, 0, 0,    // seq, pid: filled in by the socket
      NVMET_OFFLOAD_CMD_DEV_GET, NVMET_OFFLOAD_FAMILY_VERSION, 0, 0,
      8, 0, NVMET_OFFLOAD_A_DEV_ID, 0, 7, 0, 0, 0,
  };
  // clang-format on
  EXPECT_EQ(b, want);
}

TEST(Build, DevGetByName) {
  const auto b = MsgBytes(BuildDevGet(kFamily, std::nullopt, "nic0"));
  ExpectDo(b, NVMET_OFFLOAD_CMD_DEV_GET);
  const auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 1U);
  ExpectStr(attrs[0], NVMET_OFFLOAD_A_DEV_NAME, "nic0");
  EXPECT_EQ(Get16(b, kGenlAttrOff), 4 + 5) << "nla_len counts the NUL";
  EXPECT_EQ(b.size() % 4, 0U);
}

TEST(Build, DevGetNeedsIdOrName) {
  EXPECT_THROW(BuildDevGet(kFamily, std::nullopt, ""), std::invalid_argument);
}

TEST(Build, PortGetAndDump) {
  auto b = MsgBytes(BuildPortGet(kFamily, 3));
  ExpectDo(b, NVMET_OFFLOAD_CMD_PORT_GET);
  auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 1U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_PORT_ID, 3);

  b = MsgBytes(BuildPortDump(kFamily));
  ExpectDump(b, NVMET_OFFLOAD_CMD_PORT_GET);
  EXPECT_TRUE(WalkAttrs(b, kGenlAttrOff).empty());
}

TEST(Build, PortSetAllFields) {
  PortSet req;
  req.id = 2;
  req.policy = Policy::kOn;
  req.dev_id = 5;
  req.dev_name = "nic1";
  const auto b = MsgBytes(BuildPortSet(kFamily, req));
  ExpectDo(b, NVMET_OFFLOAD_CMD_PORT_SET);
  const auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 4U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_PORT_ID, 2);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_PORT_POLICY, NVMET_OFFLOAD_POLICY_ON);
  ExpectU32(attrs[2], NVMET_OFFLOAD_A_PORT_DEV_ID, 5);
  ExpectStr(attrs[3], NVMET_OFFLOAD_A_PORT_DEV_NAME, "nic1");
}

TEST(Build, PortSetOnlyWhatIsGiven) {
  PortSet req;
  req.id = 1;
  req.policy = Policy::kOff;
  auto attrs = WalkAttrs(MsgBytes(BuildPortSet(kFamily, req)), kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 2U);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_PORT_POLICY, NVMET_OFFLOAD_POLICY_OFF);

  PortSet unbind;
  unbind.id = 1;
  unbind.dev_id = 0;
  attrs = WalkAttrs(MsgBytes(BuildPortSet(kFamily, unbind)), kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 2U);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_PORT_DEV_ID, 0);
}

TEST(Build, PortSetNothingIsAnError) {
  PortSet req;
  req.id = 1;
  EXPECT_THROW(BuildPortSet(kFamily, req), std::invalid_argument);
}

TEST(Build, PortSetRejectsEmbeddedNul) {
  PortSet req;
  req.id = 1;
  req.dev_name = std::string("ni\0c", 4);
  EXPECT_THROW(BuildPortSet(kFamily, req), std::invalid_argument);
}

TEST(Build, QueueDumpFilters) {
  QueueFilter f;
  auto b = MsgBytes(BuildQueueDump(kFamily, f));
  ExpectDump(b, NVMET_OFFLOAD_CMD_QUEUE_GET);
  EXPECT_TRUE(WalkAttrs(b, kGenlAttrOff).empty());

  f.port_id = 1;
  f.ctrl_id = 2;
  f.dev_id = 3;
  b = MsgBytes(BuildQueueDump(kFamily, f));
  const auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 3U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_QUEUE_PORT_ID, 1);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_QUEUE_CTRL_ID, 2);
  ExpectU32(attrs[2], NVMET_OFFLOAD_A_QUEUE_DEV_ID, 3);
}

TEST(Build, NsTableDumpFilter) {
  auto b = MsgBytes(BuildNsTableDump(kFamily, std::nullopt));
  ExpectDump(b, NVMET_OFFLOAD_CMD_NS_TABLE_GET);
  EXPECT_TRUE(WalkAttrs(b, kGenlAttrOff).empty());

  b = MsgBytes(BuildNsTableDump(kFamily, 0x01020304));
  const auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 1U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_NS_TABLE_DEV_ID, 0x01020304);
  // The spec's min 1: refused here rather than by the kernel.
  EXPECT_THROW(BuildNsTableDump(kFamily, 0), std::invalid_argument);
}

TEST(Build, QueueGet) {
  const auto b = MsgBytes(BuildQueueGet(kFamily, 9));
  ExpectDo(b, NVMET_OFFLOAD_CMD_QUEUE_GET);
  const auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 1U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_QUEUE_ID, 9);
}

TEST(Build, QueueSetOneQueueByCtrlAndQid) {
  QueueSet req;
  req.ctrl_id = 4;
  req.qid = 2;
  req.offload = Policy::kOff;
  const auto b = MsgBytes(BuildQueueSet(kFamily, req));
  ExpectDo(b, NVMET_OFFLOAD_CMD_QUEUE_SET);
  const auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 3U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_QUEUE_CTRL_ID, 4);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_QUEUE_QID, 2);
  ExpectU32(attrs[2], NVMET_OFFLOAD_A_QUEUE_OFFLOAD, NVMET_OFFLOAD_POLICY_OFF);
}

TEST(Build, QueueSetWholeControllerAndById) {
  QueueSet ctrl;
  ctrl.ctrl_id = 4;
  auto attrs = WalkAttrs(MsgBytes(BuildQueueSet(kFamily, ctrl)), kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 2U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_QUEUE_CTRL_ID, 4);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_QUEUE_OFFLOAD, NVMET_OFFLOAD_POLICY_ON);

  QueueSet byid;
  byid.id = 11;
  attrs = WalkAttrs(MsgBytes(BuildQueueSet(kFamily, byid)), kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 2U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_QUEUE_ID, 11);
}

TEST(Build, QueueSetInvalid) {
  QueueSet none;
  EXPECT_THROW(BuildQueueSet(kFamily, none), std::invalid_argument);
  QueueSet qid_only;
  qid_only.qid = 1;
  EXPECT_THROW(BuildQueueSet(kFamily, qid_only), std::invalid_argument);
  QueueSet admin;
  admin.ctrl_id = 1;
  admin.qid = 0;
  EXPECT_THROW(BuildQueueSet(kFamily, admin), std::invalid_argument);
}

TEST(Build, StatsGetEveryScope) {
  StatsSelector dev;
  dev.scope = Scope::kDevice;
  dev.dev_id = 1;
  auto b = MsgBytes(BuildStatsGet(kFamily, dev));
  ExpectDo(b, NVMET_OFFLOAD_CMD_STATS_GET);
  auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 2U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_STATS_SCOPE,
            NVMET_OFFLOAD_STATS_SCOPE_DEVICE);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_STATS_DEV_ID, 1);

  StatsSelector ns;
  ns.scope = Scope::kNamespace;
  ns.port_id = 2;
  ns.nsid = 3;
  ns.subsysnqn = "nqn.2014-08.org.example:s1";
  attrs = WalkAttrs(MsgBytes(BuildStatsGet(kFamily, ns)), kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 4U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_STATS_SCOPE,
            NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_STATS_PORT_ID, 2);
  ExpectU32(attrs[2], NVMET_OFFLOAD_A_STATS_NSID, 3);
  ExpectStr(attrs[3], NVMET_OFFLOAD_A_STATS_SUBSYSNQN,
            "nqn.2014-08.org.example:s1");

  StatsSelector q;
  q.scope = Scope::kQueue;
  q.queue_id = 12;
  attrs = WalkAttrs(MsgBytes(BuildStatsGet(kFamily, q)), kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 2U);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_STATS_QUEUE_ID, 12);

  StatsSelector port;
  port.scope = Scope::kPort;
  port.port_id = 1;
  attrs = WalkAttrs(MsgBytes(BuildStatsGet(kFamily, port)), kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 2U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_STATS_SCOPE,
            NVMET_OFFLOAD_STATS_SCOPE_PORT);
}

TEST(Build, StatsGetMissingIds) {
  StatsSelector s;
  s.scope = Scope::kDevice;
  EXPECT_THROW(BuildStatsGet(kFamily, s), std::invalid_argument);
  s.scope = Scope::kPort;
  EXPECT_THROW(BuildStatsGet(kFamily, s), std::invalid_argument);
  s.scope = Scope::kNamespace;
  s.port_id = 1;
  EXPECT_THROW(BuildStatsGet(kFamily, s), std::invalid_argument);
  s.nsid = 0;
  EXPECT_THROW(BuildStatsGet(kFamily, s), std::invalid_argument);
  s.scope = Scope::kQueue;
  EXPECT_THROW(BuildStatsGet(kFamily, s), std::invalid_argument);
  s.scope = static_cast<Scope>(9);
  EXPECT_THROW(BuildStatsGet(kFamily, s), std::invalid_argument);
}

TEST(Build, StatsDump) {
  StatsFilter f;
  auto b = MsgBytes(BuildStatsDump(kFamily, f));
  ExpectDump(b, NVMET_OFFLOAD_CMD_STATS_GET);
  EXPECT_TRUE(WalkAttrs(b, kGenlAttrOff).empty());
  f.scope = Scope::kQueue;
  f.dev_id = 2;
  f.port_id = 1;
  const auto attrs =
      WalkAttrs(MsgBytes(BuildStatsDump(kFamily, f)), kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 3U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_STATS_SCOPE,
            NVMET_OFFLOAD_STATS_SCOPE_QUEUE);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_STATS_DEV_ID, 2);
  ExpectU32(attrs[2], NVMET_OFFLOAD_A_STATS_PORT_ID, 1);
}

TEST(Build, StatsReset) {
  auto b = MsgBytes(BuildStatsReset(kFamily, std::nullopt));
  ExpectDo(b, NVMET_OFFLOAD_CMD_STATS_RESET);
  EXPECT_TRUE(WalkAttrs(b, kGenlAttrOff).empty()) << "no scope: everything";

  StatsSelector s;
  s.scope = Scope::kPort;
  s.port_id = 4;
  b = MsgBytes(BuildStatsReset(kFamily, s));
  const auto attrs = WalkAttrs(b, kGenlAttrOff);
  ASSERT_EQ(attrs.size(), 2U);
  ExpectU32(attrs[0], NVMET_OFFLOAD_A_STATS_SCOPE,
            NVMET_OFFLOAD_STATS_SCOPE_PORT);
  ExpectU32(attrs[1], NVMET_OFFLOAD_A_STATS_PORT_ID, 4);

  s.port_id.reset();
  EXPECT_THROW(BuildStatsReset(kFamily, s), std::invalid_argument);
}

}  // namespace
}  // namespace nvo
