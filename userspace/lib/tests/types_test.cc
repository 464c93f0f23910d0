// SPDX-License-Identifier: GPL-2.0
// Names of enum values (and their agreement with the UAPI header), opcode
// and backend names, counter deltas, errno names.
#include "nvo/types.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "nvo/error.h"
#include "uapi/linux/nvmet_offload.h"

namespace nvo {
namespace {

TEST(Types, ValuesMatchUapi) {
  EXPECT_STREQ(kFamilyName, NVMET_OFFLOAD_FAMILY_NAME);
  EXPECT_STREQ(kMonitorGroup, NVMET_OFFLOAD_MCGRP_MONITOR);
  EXPECT_EQ(kFamilyVersion, NVMET_OFFLOAD_FAMILY_VERSION);
  EXPECT_EQ(kLatBuckets, unsigned{NVMET_OFFLOAD_LAT_BUCKETS});
  EXPECT_EQ(static_cast<uint32_t>(DevState::kRemoving),
            uint32_t{NVMET_OFFLOAD_DEV_STATE_REMOVING});
  EXPECT_EQ(static_cast<uint32_t>(Policy::kOn),
            uint32_t{NVMET_OFFLOAD_POLICY_ON});
  EXPECT_EQ(static_cast<uint32_t>(AdrFam::kFc),
            uint32_t{NVMET_OFFLOAD_ADRFAM_FC});
  EXPECT_EQ(static_cast<uint32_t>(QueueState::kFailed),
            uint32_t{NVMET_OFFLOAD_QUEUE_STATE_FAILED});
  EXPECT_EQ(static_cast<uint32_t>(Scope::kQueue),
            uint32_t{NVMET_OFFLOAD_STATS_SCOPE_QUEUE});
  EXPECT_EQ(static_cast<uint32_t>(FallbackReason::kStreamLost),
            uint32_t{NVMET_OFFLOAD_FALLBACK_REASON_STREAM_LOST});
  EXPECT_EQ(kBackendBdev, uint32_t{NVMET_OFFLOAD_BACKEND_BDEV});
  EXPECT_EQ(static_cast<uint32_t>(NsTableState::kDead),
            uint32_t{NVMET_OFFLOAD_NS_TABLE_STATE_DEAD});
  EXPECT_EQ(static_cast<uint32_t>(NsEntryState::kRemoving),
            uint32_t{NVMET_OFFLOAD_NS_ENTRY_STATE_REMOVING});
  EXPECT_EQ(static_cast<uint32_t>(NsEntryState::kFailed),
            uint32_t{NVMET_OFFLOAD_NS_ENTRY_STATE_FAILED});
  EXPECT_EQ(kNsRo, uint32_t{NVMET_OFFLOAD_NS_FLAGS_RO});
  EXPECT_EQ(kNsVwc, uint32_t{NVMET_OFFLOAD_NS_FLAGS_VWC});
  EXPECT_EQ(kNsWz, uint32_t{NVMET_OFFLOAD_NS_FLAGS_WZ});
  EXPECT_EQ(kNsDiscard, uint32_t{NVMET_OFFLOAD_NS_FLAGS_DISCARD});
}

TEST(Types, Names) {
  EXPECT_EQ(ToString(DevState::kFailed), "failed");
  EXPECT_EQ(ToString(Policy::kOff), "off");
  EXPECT_EQ(ToString(AdrFam::kIpv6), "ipv6");
  EXPECT_EQ(ToString(static_cast<AdrFam>(0)), "unknown(0)");
  EXPECT_EQ(ToString(static_cast<Transport>(0)), "unknown(0)");
  EXPECT_EQ(ToString(static_cast<Transport>(4)), "unknown(4)");
  EXPECT_EQ(ToString(QueueState::kReclaiming), "reclaiming");
  EXPECT_EQ(ToString(Scope::kNamespace), "namespace");
  EXPECT_EQ(ToString(FallbackReason::kDevRemoved), "dev-removed");
  EXPECT_EQ(ToString(static_cast<FallbackReason>(99)), "unknown(99)");
  EXPECT_EQ(ToString(EventType::kPortPolicyChanged), "port-policy-changed");
  EXPECT_EQ(ToString(EventType::kDevFailed), "dev-failed");
  EXPECT_EQ(PolicyFromString("on"), Policy::kOn);
  EXPECT_EQ(PolicyFromString("yes"), std::nullopt);
  EXPECT_EQ(ScopeFromString("queue"), Scope::kQueue);
  EXPECT_EQ(ScopeFromString(""), std::nullopt);
  EXPECT_EQ(ToString(NsTableState::kDeclined), "declined");
  EXPECT_EQ(ToString(NsEntryState::kInDevice), "in-device");
  EXPECT_EQ(ToString(NsEntryState::kRefused), "refused");
  EXPECT_EQ(ToString(NsEntryState::kFailed), "failed");
  EXPECT_EQ(ToString(static_cast<NsEntryState>(9)), "unknown(9)");
  EXPECT_EQ(NsFlagNames(kNsRo | kNsWz | (1U << 9)),
            (std::vector<std::string>{"ro", "wz", "bit9"}));
  EXPECT_TRUE(NsFlagNames(0).empty());
}

// Each transport: its value in the UAPI header (the NVMe trtype numbering)
// and its name (Names has those of values this library does not know).
TEST(Types, Transports) {
  struct Case {
    Transport transport;
    uint32_t uapi;
    const char* name;
  };
  for (const Case& c :
       {Case{Transport::kRdma, NVMET_OFFLOAD_TRANSPORT_RDMA, "rdma"},
        Case{Transport::kFc, NVMET_OFFLOAD_TRANSPORT_FC, "fc"},
        Case{Transport::kTcp, NVMET_OFFLOAD_TRANSPORT_TCP, "tcp"}}) {
    EXPECT_EQ(static_cast<uint32_t>(c.transport), c.uapi) << c.name;
    EXPECT_EQ(ToString(c.transport), c.name);
  }
}

TEST(Types, Opcodes) {
  EXPECT_EQ(OpcodeName(0x02), "read");
  EXPECT_EQ(OpcodeName(0x08), "write-zeroes");
  EXPECT_EQ(OpcodeName(0x99), "0x99");
  EXPECT_EQ(OpcodeName(NVMET_OFFLOAD_OPCODE_OTHER), "0x1f+");
  EXPECT_EQ(OpcodeNames(0x107), (std::vector<std::string>{
                                    "flush", "write", "read", "write-zeroes"}));
  EXPECT_EQ(OpcodeNames(uint64_t{1} << 63), (std::vector<std::string>{"0x3f"}));
  EXPECT_TRUE(OpcodeNames(0).empty());
  EXPECT_EQ(BackendNames(kBackendBdev | 4U),
            (std::vector<std::string>{"bdev", "bit2"}));
}

TEST(Types, Delta) {
  // Every one of the 14 counters, each with its own multi-digit values (a
  // field copied from its neighbour, or not subtracted, shows).
  Counters before;
  before.read_cmds = 100;
  before.read_blocks = 2000;
  before.write_cmds = 300;
  before.write_blocks = 4000;
  before.inline_write_cmds = 50;
  before.flush_cmds = 60;
  before.write_zeroes_cmds = 70;
  before.errors = 5;
  before.backend_errors = 80;
  before.punted_cmds = 90;
  before.unknown_ns_cmds = 11;
  before.offload_events = 12;
  before.reclaim_events = 13;
  before.fallback_events = 14;
  before.lat_hist = {1, 2};
  before.punted_by_opcode = {{9, 4}};
  Counters now = before;
  now.read_cmds = 150;         // +50
  now.read_blocks = 2401;      // +401
  now.write_cmds = 333;        // +33
  now.write_blocks = 4444;     // +444
  now.inline_write_cmds = 55;  // +5
  now.flush_cmds = 66;         // +6
  now.write_zeroes_cmds = 77;  // +7
  now.errors = 2;              // reset in between: counts from 0
  now.backend_errors = 88;     // +8
  now.punted_cmds = 99;        // +9
  now.unknown_ns_cmds = 21;    // +10
  now.offload_events = 24;     // +12
  now.reclaim_events = 26;     // +13
  now.fallback_events = 3;     // reset in between
  now.lat_hist = {3, 2, 7};
  now.punted_by_opcode = {{9, 6}, {5, 1}};
  const Counters d = Delta(now, before);
  EXPECT_EQ(d.read_cmds, 50U);
  EXPECT_EQ(d.read_blocks, 401U);
  EXPECT_EQ(d.write_cmds, 33U);
  EXPECT_EQ(d.write_blocks, 444U);
  EXPECT_EQ(d.inline_write_cmds, 5U);
  EXPECT_EQ(d.flush_cmds, 6U);
  EXPECT_EQ(d.write_zeroes_cmds, 7U);
  EXPECT_EQ(d.errors, 2U);
  EXPECT_EQ(d.backend_errors, 8U);
  EXPECT_EQ(d.punted_cmds, 9U);
  EXPECT_EQ(d.unknown_ns_cmds, 10U);
  EXPECT_EQ(d.offload_events, 12U);
  EXPECT_EQ(d.reclaim_events, 13U);
  EXPECT_EQ(d.fallback_events, 3U);
  EXPECT_EQ(d.lat_hist, (std::vector<uint64_t>{2, 0, 7}));
  EXPECT_EQ(d.punted_by_opcode, (std::map<uint32_t, uint64_t>{{5, 1}, {9, 2}}));
  // No change: every counter 0 (Counters compares all of them).
  Counters zero;
  zero.lat_hist = {0, 0, 0};
  EXPECT_EQ(Delta(now, now), zero);
}

// The transport takes part in the comparison of ports and queues (absent
// is not tcp).
TEST(Types, TransportCompared) {
  const auto check = [](const auto& none, const char* what) {
    SCOPED_TRACE(what);
    auto tcp = none;
    tcp.transport = Transport::kTcp;
    auto rdma = none;
    rdma.transport = Transport::kRdma;
    EXPECT_FALSE(none == tcp);
    EXPECT_FALSE(tcp == rdma);
    EXPECT_TRUE(rdma == rdma);
  };
  check(Port{}, "port");
  check(Queue{}, "queue");
}

// Each change of a default T makes it compare unequal to a default T.
template <typename T>
void ExpectEachChangeCompared(const std::vector<void (*)(T&)>& changes) {
  for (size_t i = 0; i < changes.size(); i++) {
    T changed;
    changes[i](changed);
    EXPECT_FALSE(changed == T{}) << "change " << i;
  }
}

// Every field of a port and of a queue takes part in their comparison (the
// parse tests compare whole ports and queues); a cpu of 0 is not none.
TEST(Types, EveryFieldCompared) {
  ExpectEachChangeCompared<Port>({
      [](Port& p) { p.id = 1; },
      [](Port& p) { p.traddr = "10.0.0.1"; },
      [](Port& p) { p.trsvcid = "4420"; },
      [](Port& p) { p.adrfam = AdrFam::kIpv4; },
      [](Port& p) { p.policy = Policy::kOn; },
      [](Port& p) { p.dev_id = 1; },
      [](Port& p) { p.dev_name = "nic0"; },
      [](Port& p) { p.transport = Transport::kTcp; },
  });
  ExpectEachChangeCompared<Queue>({
      [](Queue& q) { q.id = 1; },
      [](Queue& q) { q.port_id = 1; },
      [](Queue& q) { q.ctrl_id = 1; },
      [](Queue& q) { q.qid = 1; },
      [](Queue& q) { q.hostnqn = "nqn.host"; },
      [](Queue& q) { q.subsysnqn = "nqn.subsys"; },
      [](Queue& q) { q.state = QueueState::kOffloaded; },
      [](Queue& q) { q.dev_id = 1; },
      [](Queue& q) { q.engine = 0; },
      [](Queue& q) { q.depth = 1; },
      [](Queue& q) { q.inflight = 1; },
      [](Queue& q) { q.cpu = 0; },
      [](Queue& q) { q.move_us = 1; },
      [](Queue& q) { q.transport = Transport::kTcp; },
  });
}

TEST(Types, Errors) {
  EXPECT_EQ(ErrnoName(EINVAL), "EINVAL");
  EXPECT_EQ(ErrnoName(EOPNOTSUPP), "EOPNOTSUPP");
  EXPECT_EQ(ErrnoName(4000), "E4000");
  const FamilyNotFound f("nvmet_offload");
  EXPECT_EQ(f.err(), ENOENT);
  const ParseError p("x");
  EXPECT_EQ(p.err(), EPROTO);
  EXPECT_STREQ(p.what(), "malformed reply: x");
  const NetlinkError n(EBUSY, "", std::nullopt);
  EXPECT_NE(std::string(n.what()).find("EBUSY"), std::string::npos);
}

}  // namespace
}  // namespace nvo
