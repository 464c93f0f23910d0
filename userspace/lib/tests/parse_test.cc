// SPDX-License-Identifier: GPL-2.0
// Replies: recorded (hand-made) messages of every kind, valid, truncated,
// malformed, with unknown attributes.
#include <gtest/gtest.h>

#include <array>
#include <exception>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <type_traits>

#include "nl_bytes.h"
#include "nvo/codec.h"
#include "nvo/error.h"
#include "uapi/linux/nvmet_offload.h"

namespace nvo {

// How GoogleTest shows a port or a queue that is not the one expected:
// every field, "-" for an absent one (in nvo, where GoogleTest looks for
// PrintTo).
template <typename T>
static std::string Show(const std::optional<T>& v) {
  if (!v) {
    return "-";
  }
  if constexpr (std::is_same_v<T, uint32_t>) {
    return std::to_string(*v);
  } else {
    return ToString(*v);
  }
}

static void PrintTo(const Port& p, std::ostream* os) {
  *os << "{id " << p.id << ", " << p.traddr << ":" << p.trsvcid << " "
      << Show(p.adrfam) << ", offload " << ToString(p.policy) << ", dev "
      << Show(p.dev_id) << " '" << p.dev_name << "', transport "
      << Show(p.transport) << "}";
}

static void PrintTo(const Queue& q, std::ostream* os) {
  *os << "{id " << q.id << ", port " << q.port_id << ", ctrl " << q.ctrl_id
      << ", qid " << q.qid << ", " << q.hostnqn << " to " << q.subsysnqn << ", "
      << ToString(q.state) << ", dev " << Show(q.dev_id) << ", engine "
      << Show(q.engine) << ", depth " << q.depth << ", inflight " << q.inflight
      << ", cpu " << Show(q.cpu) << ", move " << Show(q.move_us)
      << " us, transport " << Show(q.transport) << "}";
}

namespace {

using test::NlWriter;

constexpr uint16_t kFamily = 0x1d;

// A dev-get reply as the kernel would send it: device 1 "nic0", live,
// caps { max-queues 64, io-opcodes flush|write|read|write-zeroes,
// max-io-size 128 KiB, depth 16..1024, hdgst, max-inline 8 KiB, bdev,
// take at connect|live, sgl in-capsule|transport, max-h2c-data 64 KiB,
// max-hpda 3 }, 3 queues, 4 engines, driver API 0x20000.
// clang-format off
const std::vector<uint8_t> kRecordedDevice = {  // NOLINT(cert-err58-cpp)
    // nlmsghdr: len 180, type 0x1d, flags NLM_F_MULTI, seq 7, pid 0
    0xb4, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x02, 0x00,
    0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // genlmsghdr: cmd DEV_GET, version 1
    0x01, 0x01, 0x00, 0x00,
    // id 1
    0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
    // name "nic0"
    0x09, 0x00, 0x02, 0x00, 'n', 'i', 'c', '0', 0x00, 0x00, 0x00, 0x00,
    // state live
    0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
    // caps (nested), 100 bytes
    0x64, 0x00, 0x04, 0x80,
    /**/ 0x08, 0x00, 0x01, 0x00, 0x40, 0x00, 0x00, 0x00,  // max-queues 64
    /**/ 0x0c, 0x00, 0x02, 0x00, 0x07, 0x01, 0x00, 0x00,  // io-opcodes
    /**/ 0x00, 0x00, 0x00, 0x00,                          //   0x107
    /**/ 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x00,  // max-io 128K
    /**/ 0x08, 0x00, 0x04, 0x00, 0x10, 0x00, 0x00, 0x00,  // min depth 16
    /**/ 0x08, 0x00, 0x05, 0x00, 0x00, 0x04, 0x00, 0x00,  // max depth 1024
    /**/ 0x04, 0x00, 0x06, 0x00,                          // hdgst
    /**/ 0x08, 0x00, 0x08, 0x00, 0x00, 0x20, 0x00, 0x00,  // max-inline 8K
    /**/ 0x08, 0x00, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00,  // backends bdev
    /**/ 0x08, 0x00, 0x0b, 0x00, 0x03, 0x00, 0x00, 0x00,  // take 3
    /**/ 0x08, 0x00, 0x0c, 0x00, 0x03, 0x00, 0x00, 0x00,  // sgl 3
    /**/ 0x08, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x01, 0x00,  // max-h2c 64K
    /**/ 0x08, 0x00, 0x0e, 0x00, 0x03, 0x00, 0x00, 0x00,  // max-hpda 3
    // nr-queues 3
    0x08, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00,
    // engines 4
    0x08, 0x00, 0x06, 0x00, 0x04, 0x00, 0x00, 0x00,
    // api-version 0x20000
    0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00,
    // an attribute this library does not know (a newer kernel): type 77
    0x08, 0x00, 0x4d, 0x00, 0xde, 0xad, 0xbe, 0xef,
};
// clang-format on

TEST(Parse, RecordedDevice) {
  const auto msgs =
      SplitMessages(kRecordedDevice.data(), kRecordedDevice.size());
  ASSERT_EQ(msgs.size(), 1U);
  EXPECT_EQ(msgs[0].type(), kFamily);
  EXPECT_EQ(msgs[0].seq(), 7U);
  EXPECT_EQ(ParseGenlHeader(msgs[0]).cmd, NVMET_OFFLOAD_CMD_DEV_GET);
  const Device d = ParseDevice(msgs[0]);
  EXPECT_EQ(d.id, 1U);
  EXPECT_EQ(d.name, "nic0");
  EXPECT_EQ(d.state, DevState::kLive);
  EXPECT_EQ(d.nr_queues, 3U);
  EXPECT_EQ(d.engines, 4U);
  ASSERT_TRUE(d.caps.has_value());
  EXPECT_EQ(d.caps->max_queues, 64U);
  EXPECT_EQ(d.caps->io_opcodes, 0x107U);
  EXPECT_EQ(d.caps->max_io_size, 128U * 1024);
  EXPECT_EQ(d.caps->min_queue_depth, 16U);
  EXPECT_EQ(d.caps->max_queue_depth, 1024U);
  EXPECT_TRUE(d.caps->hdgst);
  EXPECT_FALSE(d.caps->ddgst);
  EXPECT_EQ(d.caps->max_inline, 8192U);
  EXPECT_EQ(d.caps->backends, kBackendBdev);
  EXPECT_EQ(d.caps->take, 3U);
  EXPECT_EQ(d.caps->sgl, 3U);
  EXPECT_EQ(d.caps->max_h2c_data, 64U * 1024);
  EXPECT_EQ(d.caps->max_hpda, 3U);
  EXPECT_EQ(d.api_version, 0x20000U);
}

TEST(Parse, RecordedDeviceEveryTruncationFailsCleanly) {
  // Cut the datagram anywhere: either the split fails, or the message is
  // shorter than it claims: ParseError, never a crash.
  for (size_t n = 1; n < kRecordedDevice.size(); n++) {
    EXPECT_THROW(SplitMessages(kRecordedDevice.data(), n), ParseError)
        << "cut at " << n;
  }
}

TEST(Parse, TruncatedAttributesAreDropped) {
  // A message whose nlmsg_len was fixed up after the cut: the last
  // attribute is partial. nla_parse drops a partial attribute (header or
  // payload, nested or not); everything before it is kept. The outcome of
  // each cut is exact: where the attributes of kRecordedDevice end (id at
  // 28, name 37, caps 148, nr-queues 156, engines 164, api-version 172),
  // and a device without its id is a ParseError.
  for (size_t n = 20; n < kRecordedDevice.size(); n++) {
    std::vector<uint8_t> b(kRecordedDevice.begin(),
                           kRecordedDevice.begin() + static_cast<long>(n));
    test::Put32(b, 0, static_cast<uint32_t>(n));
    if (n < 28) {
      EXPECT_THROW(ParseDevice(Message(b)), ParseError) << "cut at " << n;
      continue;
    }
    Device d;
    ASSERT_NO_THROW(d = ParseDevice(Message(b))) << "cut at " << n;
    EXPECT_EQ(d.id, 1U) << "cut at " << n;
    EXPECT_EQ(d.name, n >= 37 ? "nic0" : "") << "cut at " << n;
    EXPECT_EQ(d.caps.has_value(), n >= 148) << "cut at " << n;
    EXPECT_EQ(d.nr_queues, n >= 156 ? 3U : 0U) << "cut at " << n;
    EXPECT_EQ(d.engines, n >= 164 ? 4U : 0U) << "cut at " << n;
    EXPECT_EQ(d.api_version, n >= 172 ? 0x20000U : 0U) << "cut at " << n;
  }
}

// The port of the other tests: port 2 on 192.168.10.1:4420 (IPv4),
// offload on, bound to nic0 (1); no transport (a kernel from before the
// attribute).
Port SamplePort() {
  Port p;
  p.id = 2;
  p.traddr = "192.168.10.1";
  p.trsvcid = "4420";
  p.adrfam = AdrFam::kIpv4;
  p.policy = Policy::kOn;
  p.dev_id = 1;
  p.dev_name = "nic0";
  return p;
}

// A port-get reply (or a port notification, cmd) for p as the kernel writes
// it: the optional attributes only when p has them.
std::vector<uint8_t> PortMsg(const Port& p = SamplePort(),
                             uint8_t cmd = NVMET_OFFLOAD_CMD_PORT_GET) {
  NlWriter w = NlWriter::Genl(kFamily, cmd);
  w.U32(NVMET_OFFLOAD_A_PORT_ID, p.id)
      .Str(NVMET_OFFLOAD_A_PORT_TRADDR, p.traddr)
      .Str(NVMET_OFFLOAD_A_PORT_TRSVCID, p.trsvcid);
  if (p.adrfam) {
    w.U32(NVMET_OFFLOAD_A_PORT_ADRFAM, static_cast<uint32_t>(*p.adrfam));
  }
  w.U32(NVMET_OFFLOAD_A_PORT_POLICY, static_cast<uint32_t>(p.policy));
  if (p.dev_id) {
    w.U32(NVMET_OFFLOAD_A_PORT_DEV_ID, *p.dev_id)
        .Str(NVMET_OFFLOAD_A_PORT_DEV_NAME, p.dev_name);
  }
  if (p.transport) {
    w.U32(NVMET_OFFLOAD_A_PORT_TRANSPORT, static_cast<uint32_t>(*p.transport));
  }
  return w.Bytes();
}

TEST(Parse, Port) { EXPECT_EQ(ParsePort(Message(PortMsg())), SamplePort()); }

TEST(Parse, PortUnbound) {
  const auto b = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_PORT_GET)
                     .U32(NVMET_OFFLOAD_A_PORT_ID, 1)
                     .U32(NVMET_OFFLOAD_A_PORT_DEV_ID, 0)
                     .Bytes();
  const Port p = ParsePort(Message(b));
  EXPECT_EQ(p.policy, Policy::kOff);
  EXPECT_FALSE(p.dev_id.has_value()) << "device id 0 is no device";
  EXPECT_FALSE(p.adrfam.has_value());
  EXPECT_EQ(p.dev_name, "");
}

// The queue of the other tests: queue 17 (qid 2 of controller 3 on port
// 1), offloaded to device 1, engine 0, on cpu 1; no transport (a kernel
// from before the attribute).
Queue SampleQueue() {
  Queue q;
  q.id = 17;
  q.port_id = 1;
  q.ctrl_id = 3;
  q.qid = 2;
  q.hostnqn = "nqn.2014-08.org.nvmexpress:host1";
  q.subsysnqn = "nqn.2024-01.io.example:ssd";
  q.state = QueueState::kOffloaded;
  q.dev_id = 1;
  q.engine = 0;
  q.depth = 128;
  q.inflight = 5;
  q.cpu = 1;
  return q;
}

// The queue as nvmet_offload_rdma sends it: in software, without device,
// engine or cpu (its completions run on the RDMA core's workqueue),
// transport rdma.
Queue RdmaQueue() {
  Queue q = SampleQueue();
  q.state = QueueState::kSoftware;
  q.dev_id.reset();
  q.engine.reset();
  q.cpu.reset();
  q.transport = Transport::kRdma;
  return q;
}

// The attributes of a queue-get reply (or a queue notification, cmd) for q
// as the kernel writes them, the optional ones only when q has them; the
// caller may append more (queue-fallback's reason).
NlWriter QueueWriter(const Queue& q, uint8_t cmd) {
  NlWriter w = NlWriter::Genl(kFamily, cmd);
  const auto opt = [&w](uint16_t type, const std::optional<uint32_t>& v) {
    if (v) {
      w.U32(type, *v);
    }
  };
  w.U32(NVMET_OFFLOAD_A_QUEUE_ID, q.id)
      .U32(NVMET_OFFLOAD_A_QUEUE_PORT_ID, q.port_id)
      .U32(NVMET_OFFLOAD_A_QUEUE_CTRL_ID, q.ctrl_id)
      .U32(NVMET_OFFLOAD_A_QUEUE_QID, q.qid)
      .Str(NVMET_OFFLOAD_A_QUEUE_HOSTNQN, q.hostnqn)
      .Str(NVMET_OFFLOAD_A_QUEUE_SUBSYSNQN, q.subsysnqn)
      .U32(NVMET_OFFLOAD_A_QUEUE_STATE, static_cast<uint32_t>(q.state));
  opt(NVMET_OFFLOAD_A_QUEUE_DEV_ID, q.dev_id);
  opt(NVMET_OFFLOAD_A_QUEUE_ENGINE, q.engine);
  w.U32(NVMET_OFFLOAD_A_QUEUE_DEPTH, q.depth)
      .U32(NVMET_OFFLOAD_A_QUEUE_INFLIGHT, q.inflight);
  opt(NVMET_OFFLOAD_A_QUEUE_CPU, q.cpu);
  opt(NVMET_OFFLOAD_A_QUEUE_MOVE_US, q.move_us);
  if (q.transport) {
    w.U32(NVMET_OFFLOAD_A_QUEUE_TRANSPORT, static_cast<uint32_t>(*q.transport));
  }
  return w;
}

std::vector<uint8_t> QueueMsg(const Queue& q = SampleQueue(),
                              uint8_t cmd = NVMET_OFFLOAD_CMD_QUEUE_GET) {
  return QueueWriter(q, cmd).Bytes();
}

TEST(Parse, Queue) {
  EXPECT_EQ(ParseQueue(Message(QueueMsg())), SampleQueue());
}

// Ids of more than one digit and one byte, every byte different: a byte
// order, width or radix slip in the parser shows (the other tests' ids are
// small).
TEST(Parse, MultiByteIds) {
  const auto qb =
      NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_QUEUE_GET)
          .U32(NVMET_OFFLOAD_A_QUEUE_ID, 0x0a0b0c0dU)
          .U32(NVMET_OFFLOAD_A_QUEUE_PORT_ID, 4660)
          .U32(NVMET_OFFLOAD_A_QUEUE_CTRL_ID, 65534)
          .U32(NVMET_OFFLOAD_A_QUEUE_QID, 129)
          .U32(NVMET_OFFLOAD_A_QUEUE_STATE, NVMET_OFFLOAD_QUEUE_STATE_OFFLOADED)
          .U32(NVMET_OFFLOAD_A_QUEUE_DEV_ID, 70001)
          .U32(NVMET_OFFLOAD_A_QUEUE_ENGINE, 10)
          .U32(NVMET_OFFLOAD_A_QUEUE_DEPTH, 1024)
          .U32(NVMET_OFFLOAD_A_QUEUE_CPU, 257)
          .Bytes();
  const Queue q = ParseQueue(Message(qb));
  EXPECT_EQ(q.id, 0x0a0b0c0dU);
  EXPECT_EQ(q.port_id, 4660U);
  EXPECT_EQ(q.ctrl_id, 65534U);
  EXPECT_EQ(q.qid, 129U);
  EXPECT_EQ(q.dev_id, 70001U);
  EXPECT_EQ(q.engine, 10U);
  EXPECT_EQ(q.depth, 1024U);
  EXPECT_EQ(q.cpu, 257U);
  const auto pb = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_PORT_GET)
                      .U32(NVMET_OFFLOAD_A_PORT_ID, 0x01020304U)
                      .U32(NVMET_OFFLOAD_A_PORT_DEV_ID, 0x00ff0010U)
                      .Bytes();
  const Port p = ParsePort(Message(pb));
  EXPECT_EQ(p.id, 0x01020304U);
  EXPECT_EQ(p.dev_id, 0x00ff0010U);
}

TEST(Parse, SoftwareQueueHasNoDevice) {
  const auto b =
      NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_QUEUE_GET)
          .U32(NVMET_OFFLOAD_A_QUEUE_ID, 1)
          .U32(NVMET_OFFLOAD_A_QUEUE_STATE, NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE)
          .Bytes();
  const Queue q = ParseQueue(Message(b));
  EXPECT_EQ(q.state, QueueState::kSoftware);
  EXPECT_FALSE(q.dev_id.has_value());
  EXPECT_FALSE(q.engine.has_value());
  EXPECT_FALSE(q.cpu.has_value());
}

// The transports a port or queue is parsed with: each one, none (a kernel
// from before the attribute), and a value this library does not know (kept
// as is).
constexpr std::array<std::optional<Transport>, 5> kTransports = {
    Transport::kRdma, Transport::kFc, Transport::kTcp, std::nullopt,
    static_cast<Transport>(9)};

TEST(Parse, PortTransport) {
  for (const auto& transport : kTransports) {
    Port want = SamplePort();
    want.transport = transport;
    EXPECT_EQ(ParsePort(Message(PortMsg(want))), want);
  }
}

TEST(Parse, QueueTransport) {
  for (const auto& transport : kTransports) {
    Queue want = SampleQueue();
    want.transport = transport;
    EXPECT_EQ(ParseQueue(Message(QueueMsg(want))), want);
  }
}

TEST(Parse, RdmaQueueWithoutCpu) {
  const Queue q = ParseQueue(Message(QueueMsg(RdmaQueue())));
  EXPECT_EQ(q, RdmaQueue());
  EXPECT_FALSE(q.cpu.has_value()) << "no cpu attribute: none, not 0";
}

// The notifications carry the transport too: queue-offloaded,
// queue-reclaimed and port-policy-changed as their get replies (Events has
// queue-fallback's, among its own attributes).
TEST(Parse, EventsWithTransport) {
  auto ev = ParseEvent(
      Message(QueueMsg(RdmaQueue(), NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED)));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kQueueReclaimed);
  EXPECT_EQ(ev->queue, RdmaQueue());

  Port port = SamplePort();
  port.transport = Transport::kTcp;
  ev =
      ParseEvent(Message(PortMsg(port, NVMET_OFFLOAD_CMD_PORT_POLICY_CHANGED)));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kPortPolicyChanged);
  EXPECT_EQ(ev->port, port);
}

std::vector<uint8_t> StatsMsg() {
  NlWriter w = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_STATS_GET);
  w.U32(NVMET_OFFLOAD_A_STATS_SCOPE, NVMET_OFFLOAD_STATS_SCOPE_DEVICE)
      .U32(NVMET_OFFLOAD_A_STATS_DEV_ID, 1)
      .Begin(NVMET_OFFLOAD_A_STATS_COUNTERS)
      .U64(NVMET_OFFLOAD_A_COUNTERS_READ_CMDS, 1000001)
      .U64(NVMET_OFFLOAD_A_COUNTERS_READ_BLOCKS, 8000008)
      .U64(NVMET_OFFLOAD_A_COUNTERS_WRITE_CMDS, 2002)
      .U64(NVMET_OFFLOAD_A_COUNTERS_WRITE_BLOCKS, 16016)
      .U64(NVMET_OFFLOAD_A_COUNTERS_INLINE_WRITE_CMDS, 33)
      .U64(NVMET_OFFLOAD_A_COUNTERS_FLUSH_CMDS, 4)
      .U64(NVMET_OFFLOAD_A_COUNTERS_WRITE_ZEROES_CMDS, 5)
      .U64(NVMET_OFFLOAD_A_COUNTERS_ERRORS, 6)
      .U64(NVMET_OFFLOAD_A_COUNTERS_BACKEND_ERRORS, 7)
      .U64(NVMET_OFFLOAD_A_COUNTERS_PUNTED_CMDS, 8)
      .U64(NVMET_OFFLOAD_A_COUNTERS_UNKNOWN_NS_CMDS, 9)
      .Begin(NVMET_OFFLOAD_A_COUNTERS_LAT_HIST);
  for (uint64_t i = 0; i < NVMET_OFFLOAD_LAT_BUCKETS; i++) {
    w.U64(NVMET_OFFLOAD_A_LAT_HIST_BUCKET, i * 10);
  }
  w.End()
      .Begin(NVMET_OFFLOAD_A_COUNTERS_PUNTED_BY_OPCODE)
      .U32(NVMET_OFFLOAD_A_OPCODE_COUNT_OPCODE, 0x09)
      .U64(NVMET_OFFLOAD_A_OPCODE_COUNT_COUNT, 5)
      .End()
      .Begin(NVMET_OFFLOAD_A_COUNTERS_PUNTED_BY_OPCODE)
      .U32(NVMET_OFFLOAD_A_OPCODE_COUNT_OPCODE, 0x05)
      .U64(NVMET_OFFLOAD_A_OPCODE_COUNT_COUNT, 3)
      .End()
      .U64(NVMET_OFFLOAD_A_COUNTERS_OFFLOAD_EVENTS, 10)
      .U64(NVMET_OFFLOAD_A_COUNTERS_RECLAIM_EVENTS, 11)
      .U64(NVMET_OFFLOAD_A_COUNTERS_FALLBACK_EVENTS, 12)
      .End();
  return w.Bytes();
}

TEST(Parse, StatsEveryCounter) {
  const Stats s = ParseStats(Message(StatsMsg()));
  EXPECT_EQ(s.key.scope, Scope::kDevice);
  EXPECT_EQ(s.key.dev_id, 1U);
  EXPECT_FALSE(s.key.port_id.has_value());
  const Counters& c = s.counters;
  EXPECT_EQ(c.read_cmds, 1000001U);
  EXPECT_EQ(c.read_blocks, 8000008U);
  EXPECT_EQ(c.write_cmds, 2002U);
  EXPECT_EQ(c.write_blocks, 16016U);
  EXPECT_EQ(c.inline_write_cmds, 33U);
  EXPECT_EQ(c.flush_cmds, 4U);
  EXPECT_EQ(c.write_zeroes_cmds, 5U);
  EXPECT_EQ(c.errors, 6U);
  EXPECT_EQ(c.backend_errors, 7U);
  EXPECT_EQ(c.punted_cmds, 8U);
  EXPECT_EQ(c.unknown_ns_cmds, 9U);
  ASSERT_EQ(c.lat_hist.size(), size_t{NVMET_OFFLOAD_LAT_BUCKETS});
  for (size_t i = 0; i < c.lat_hist.size(); i++) {
    EXPECT_EQ(c.lat_hist[i], i * 10);
  }
  const std::map<uint32_t, uint64_t> punted = {{0x05, 3}, {0x09, 5}};
  EXPECT_EQ(c.punted_by_opcode, punted);
  EXPECT_EQ(c.offload_events, 10U);
  EXPECT_EQ(c.reclaim_events, 11U);
  EXPECT_EQ(c.fallback_events, 12U);
}

// One message of an ns-table-get dump: table 7 of device 2 at gen
// 0x1_0000_0005, attached, with the entries given as (nsid, nr-blocks, flags,
// state).
struct EntryBytes {
  uint32_t nsid;
  uint64_t nr_blocks;
  uint32_t flags;
  uint32_t state;
};
std::vector<uint8_t> NsTableMsg(const std::vector<EntryBytes>& entries,
                                uint32_t subsys_id = 7) {
  auto w =
      NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_NS_TABLE_GET, 1, NLM_F_MULTI);
  w.U32(NVMET_OFFLOAD_A_NS_TABLE_DEV_ID, 2)
      .Str(NVMET_OFFLOAD_A_NS_TABLE_SUBSYSNQN, "nqn.2024-01.io.example:ssd")
      .U32(NVMET_OFFLOAD_A_NS_TABLE_SUBSYS_ID, subsys_id)
      .U64(NVMET_OFFLOAD_A_NS_TABLE_GEN, 0x100000005ULL)
      .U32(NVMET_OFFLOAD_A_NS_TABLE_STATE,
           NVMET_OFFLOAD_NS_TABLE_STATE_ATTACHED);
  for (const auto& e : entries) {
    w.Begin(NVMET_OFFLOAD_A_NS_TABLE_ENTRY)
        .U32(NVMET_OFFLOAD_A_NS_ENTRY_NSID, e.nsid)
        .U64(NVMET_OFFLOAD_A_NS_ENTRY_NR_BLOCKS, e.nr_blocks)
        .U32(NVMET_OFFLOAD_A_NS_ENTRY_LBA_SHIFT, 12)
        .U32(NVMET_OFFLOAD_A_NS_ENTRY_FLAGS, e.flags)
        .U32(NVMET_OFFLOAD_A_NS_ENTRY_STATE, e.state)
        .End();
  }
  return w.Bytes();
}

TEST(Parse, NsTable) {
  const NsTable t = ParseNsTable(Message(
      NsTableMsg({{1, 0x300000001ULL,
                   NVMET_OFFLOAD_NS_FLAGS_VWC | NVMET_OFFLOAD_NS_FLAGS_DISCARD,
                   NVMET_OFFLOAD_NS_ENTRY_STATE_IN_DEVICE},
                  {2, 2048, NVMET_OFFLOAD_NS_FLAGS_RO,
                   NVMET_OFFLOAD_NS_ENTRY_STATE_REFUSED},
                  {2, 4096, 0, NVMET_OFFLOAD_NS_ENTRY_STATE_REMOVING}})));
  EXPECT_EQ(t.dev_id, 2U);
  EXPECT_EQ(t.subsysnqn, "nqn.2024-01.io.example:ssd");
  EXPECT_EQ(t.subsys_id, 7U);
  EXPECT_EQ(t.gen, 0x100000005ULL);
  EXPECT_EQ(t.state, NsTableState::kAttached);
  ASSERT_EQ(t.entries.size(), 3U);
  EXPECT_EQ(t.entries[0].nsid, 1U);
  EXPECT_EQ(t.entries[0].nr_blocks, 0x300000001ULL);
  EXPECT_EQ(t.entries[0].lba_shift, 12U);
  EXPECT_EQ(t.entries[0].flags, kNsVwc | kNsDiscard);
  EXPECT_EQ(t.entries[0].state, NsEntryState::kInDevice);
  EXPECT_EQ(t.entries[1].state, NsEntryState::kRefused);
  EXPECT_EQ(t.entries[1].flags, kNsRo);
  EXPECT_EQ(t.entries[2].nsid, 2U);
  EXPECT_EQ(t.entries[2].nr_blocks, 4096U);
  EXPECT_EQ(t.entries[2].state, NsEntryState::kRemoving);
}

TEST(Parse, NsTableWithoutEntries) {
  const NsTable t = ParseNsTable(Message(NsTableMsg({})));
  EXPECT_EQ(t.subsys_id, 7U);
  EXPECT_TRUE(t.entries.empty());
}

TEST(Parse, NsTableMalformed) {
  // No subsystem id: not a table.
  auto w = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_NS_TABLE_GET);
  w.U32(NVMET_OFFLOAD_A_NS_TABLE_DEV_ID, 2);
  EXPECT_THROW(ParseNsTable(Message(w.Bytes())), ParseError);
  // An entry without its nsid.
  auto e = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_NS_TABLE_GET);
  e.U32(NVMET_OFFLOAD_A_NS_TABLE_DEV_ID, 2)
      .U32(NVMET_OFFLOAD_A_NS_TABLE_SUBSYS_ID, 1)
      .Begin(NVMET_OFFLOAD_A_NS_TABLE_ENTRY)
      .U32(NVMET_OFFLOAD_A_NS_ENTRY_STATE, 0)
      .End();
  EXPECT_THROW(ParseNsTable(Message(e.Bytes())), ParseError);
  // nr-blocks too short for a u64.
  auto s = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_NS_TABLE_GET);
  s.U32(NVMET_OFFLOAD_A_NS_TABLE_DEV_ID, 2)
      .U32(NVMET_OFFLOAD_A_NS_TABLE_SUBSYS_ID, 1)
      .Begin(NVMET_OFFLOAD_A_NS_TABLE_ENTRY)
      .U32(NVMET_OFFLOAD_A_NS_ENTRY_NSID, 1)
      .U32(NVMET_OFFLOAD_A_NS_ENTRY_NR_BLOCKS, 1)
      .End();
  EXPECT_THROW(ParseNsTable(Message(s.Bytes())), ParseError);
}

// A table too long for one message comes in consecutive messages: joined,
// and the next table starts a new one.
TEST(Parse, NsTablesJoinedAcrossMessages) {
  const uint32_t in = NVMET_OFFLOAD_NS_ENTRY_STATE_IN_DEVICE;
  const std::vector<Message> msgs = {
      Message(NsTableMsg({{1, 10, 0, in}, {2, 20, 0, in}})),
      Message(NsTableMsg({{3, 30, 0, in}})),
      Message(NsTableMsg({{1, 40, 0, in}}, 8)),
  };
  const auto tables = JoinNsTables(msgs);
  ASSERT_EQ(tables.size(), 2U);
  ASSERT_EQ(tables[0].entries.size(), 3U);
  EXPECT_EQ(tables[0].entries[2].nsid, 3U);
  EXPECT_EQ(tables[0].entries[2].nr_blocks, 30U);
  EXPECT_EQ(tables[1].subsys_id, 8U);
  ASSERT_EQ(tables[1].entries.size(), 1U);
  EXPECT_EQ(tables[1].entries[0].nr_blocks, 40U);
}

TEST(Parse, StatsWithoutCountersIsZero) {
  const auto b =
      NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_STATS_GET)
          .U32(NVMET_OFFLOAD_A_STATS_SCOPE, NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE)
          .U32(NVMET_OFFLOAD_A_STATS_PORT_ID, 1)
          .U32(NVMET_OFFLOAD_A_STATS_NSID, 2)
          .Str(NVMET_OFFLOAD_A_STATS_SUBSYSNQN, "nqn.x")
          .Bytes();
  const Stats s = ParseStats(Message(b));
  EXPECT_EQ(s.key.scope, Scope::kNamespace);
  EXPECT_EQ(s.key.nsid, 2U);
  EXPECT_EQ(s.key.subsysnqn, "nqn.x");
  EXPECT_EQ(s.counters, Counters{});
}

TEST(Parse, StatsUnknownNestedAttributesIgnored) {
  const auto b =
      NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_STATS_GET)
          .U32(NVMET_OFFLOAD_A_STATS_SCOPE, NVMET_OFFLOAD_STATS_SCOPE_QUEUE)
          .U32(NVMET_OFFLOAD_A_STATS_QUEUE_ID, 4)
          .Begin(NVMET_OFFLOAD_A_STATS_COUNTERS)
          .U64(NVMET_OFFLOAD_A_COUNTERS_READ_CMDS, 1)
          .U64(200, 77)  // a counter of a newer kernel
          .Begin(NVMET_OFFLOAD_A_COUNTERS_LAT_HIST)
          .U64(NVMET_OFFLOAD_A_LAT_HIST_BUCKET, 1)
          .U32(99, 5)  // unknown inside the histogram
          .U64(NVMET_OFFLOAD_A_LAT_HIST_BUCKET, 2)
          .End()
          .End()
          .Bytes();
  const Stats s = ParseStats(Message(b));
  EXPECT_EQ(s.counters.read_cmds, 1U);
  EXPECT_EQ(s.counters.lat_hist, (std::vector<uint64_t>{1, 2}));
}

TEST(Parse, MalformedAttributes) {
  // u32 with 2 bytes of payload.
  const uint16_t two = 0;
  auto b = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_DEV_GET)
               .U32(NVMET_OFFLOAD_A_DEV_ID, 1)
               .Attr(NVMET_OFFLOAD_A_DEV_ENGINES, &two, 2)
               .Bytes();
  EXPECT_THROW(ParseDevice(Message(b)), ParseError);

  // A string without its NUL.
  b = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_DEV_GET)
          .U32(NVMET_OFFLOAD_A_DEV_ID, 1)
          .Attr(NVMET_OFFLOAD_A_DEV_NAME, "nic0", 4)
          .Bytes();
  EXPECT_THROW(ParseDevice(Message(b)), ParseError);

  // An empty string attribute (not even the NUL).
  b = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_DEV_GET)
          .U32(NVMET_OFFLOAD_A_DEV_ID, 1)
          .Attr(NVMET_OFFLOAD_A_DEV_NAME, nullptr, 0)
          .Bytes();
  EXPECT_THROW(ParseDevice(Message(b)), ParseError);

  // A u64 counter with 4 bytes, nested.
  b = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_STATS_GET)
          .U32(NVMET_OFFLOAD_A_STATS_SCOPE, 0)
          .Begin(NVMET_OFFLOAD_A_STATS_COUNTERS)
          .U32(NVMET_OFFLOAD_A_COUNTERS_ERRORS, 1)
          .End()
          .Bytes();
  EXPECT_THROW(ParseStats(Message(b)), ParseError);

  // A short histogram bucket (multi-attr: every one is checked).
  b = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_STATS_GET)
          .U32(NVMET_OFFLOAD_A_STATS_SCOPE, 0)
          .Begin(NVMET_OFFLOAD_A_STATS_COUNTERS)
          .Begin(NVMET_OFFLOAD_A_COUNTERS_LAT_HIST)
          .U64(NVMET_OFFLOAD_A_LAT_HIST_BUCKET, 1)
          .U32(NVMET_OFFLOAD_A_LAT_HIST_BUCKET, 1)
          .End()
          .End()
          .Bytes();
  EXPECT_THROW(ParseStats(Message(b)), ParseError);

  // punted-by-opcode without its count.
  b = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_STATS_GET)
          .U32(NVMET_OFFLOAD_A_STATS_SCOPE, 0)
          .Begin(NVMET_OFFLOAD_A_STATS_COUNTERS)
          .Begin(NVMET_OFFLOAD_A_COUNTERS_PUNTED_BY_OPCODE)
          .U32(NVMET_OFFLOAD_A_OPCODE_COUNT_OPCODE, 2)
          .End()
          .End()
          .Bytes();
  EXPECT_THROW(ParseStats(Message(b)), ParseError);
}

TEST(Parse, MissingRequiredIds) {
  const auto empty = NlWriter::Genl(kFamily, 1).Bytes();
  EXPECT_THROW(ParseDevice(Message(empty)), ParseError);
  EXPECT_THROW(ParsePort(Message(empty)), ParseError);
  EXPECT_THROW(ParseQueue(Message(empty)), ParseError);
  EXPECT_THROW(ParseStats(Message(empty)), ParseError);
  // Not even a genetlink header.
  const auto bare = NlWriter::Plain(kFamily).Bytes();
  EXPECT_THROW(ParseDevice(Message(bare)), ParseError);
  EXPECT_THROW(ParseGenlHeader(Message(bare)), ParseError);
  EXPECT_THROW(ParseEvent(Message(bare)), ParseError);
}

TEST(Parse, MessageRejectsBadLengths) {
  EXPECT_THROW(Message(std::vector<uint8_t>(8)), ParseError);
  auto b = NlWriter::Genl(kFamily, 1).U32(1, 1).Bytes();
  test::Put32(b, 0, static_cast<uint32_t>(b.size() + 4));
  EXPECT_THROW(Message{b}, ParseError);
  test::Put32(b, 0, 3);
  EXPECT_THROW(Message{b}, ParseError);
}

TEST(Parse, SplitSeveralMessages) {
  auto a = PortMsg();
  const auto q = QueueMsg();
  std::vector<uint8_t> dgram = a;
  dgram.insert(dgram.end(), q.begin(), q.end());
  const auto msgs = SplitMessages(dgram.data(), dgram.size());
  ASSERT_EQ(msgs.size(), 2U);
  EXPECT_EQ(ParsePort(msgs[0]).id, 2U);
  EXPECT_EQ(ParseQueue(msgs[1]).id, 17U);
  EXPECT_TRUE(SplitMessages(dgram.data(), 0).empty());
}

TEST(Parse, Events) {
  auto ev =
      ParseEvent(Message(NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_DEV_ADD, 0)
                             .U32(NVMET_OFFLOAD_A_DEV_ID, 2)
                             .Str(NVMET_OFFLOAD_A_DEV_NAME, "nic1")
                             .Bytes()));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kDevAdd);
  ASSERT_TRUE(ev->dev.has_value());
  EXPECT_EQ(ev->dev->name, "nic1");

  ev = ParseEvent(Message(NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_DEV_DEL, 0)
                              .U32(NVMET_OFFLOAD_A_DEV_ID, 2)
                              .Bytes()));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kDevDel);

  ev = ParseEvent(Message(
      NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_DEV_FAILED, 0)
          .U32(NVMET_OFFLOAD_A_DEV_ID, 2)
          .Str(NVMET_OFFLOAD_A_DEV_NAME, "nic1")
          .U32(NVMET_OFFLOAD_A_DEV_STATE, NVMET_OFFLOAD_DEV_STATE_FAILED)
          .Bytes()));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kDevFailed);
  ASSERT_TRUE(ev->dev.has_value());
  EXPECT_EQ(ev->dev->state, DevState::kFailed);

  ev = ParseEvent(
      Message(QueueMsg(SampleQueue(), NVMET_OFFLOAD_CMD_QUEUE_OFFLOADED)));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kQueueOffloaded);
  EXPECT_EQ(ev->queue->id, 17U);

  ev = ParseEvent(
      Message(QueueMsg(SampleQueue(), NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED)));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kQueueReclaimed);
  EXPECT_FALSE(ev->queue->move_us.has_value());

  // The move's time, when the kernel timed it.
  ev = ParseEvent(Message(
      NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED, 0)
          .U32(NVMET_OFFLOAD_A_QUEUE_ID, 5)
          .U32(NVMET_OFFLOAD_A_QUEUE_STATE, NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE)
          .U32(NVMET_OFFLOAD_A_QUEUE_MOVE_US, 70001)
          .Bytes()));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->queue->move_us, 70001U);

  ev = ParseEvent(Message(
      NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_QUEUE_FALLBACK, 0)
          .U32(NVMET_OFFLOAD_A_QUEUE_ID, 5)
          .U32(NVMET_OFFLOAD_A_QUEUE_DEV_ID, 1)
          .U32(NVMET_OFFLOAD_A_QUEUE_STATE, NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE)
          .U32(NVMET_OFFLOAD_A_QUEUE_FALLBACK_REASON,
               NVMET_OFFLOAD_FALLBACK_REASON_STREAM_LOST)
          .U32(NVMET_OFFLOAD_A_QUEUE_TRANSPORT, NVMET_OFFLOAD_TRANSPORT_TCP)
          .Bytes()));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kQueueFallback);
  EXPECT_EQ(ev->reason, FallbackReason::kStreamLost);
  EXPECT_EQ(ev->queue->dev_id, 1U);
  EXPECT_EQ(ev->queue->transport, Transport::kTcp);

  ev = ParseEvent(
      Message(PortMsg(SamplePort(), NVMET_OFFLOAD_CMD_PORT_POLICY_CHANGED)));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->type, EventType::kPortPolicyChanged);
  EXPECT_EQ(ev->port->policy, Policy::kOn);

  // A notification of a newer kernel.
  ev = ParseEvent(Message(NlWriter::Genl(kFamily, 200, 0).Bytes()));
  EXPECT_FALSE(ev.has_value());
}

TEST(Parse, UnknownEnumValuesKept) {
  const auto b = NlWriter::Genl(kFamily, NVMET_OFFLOAD_CMD_QUEUE_GET)
                     .U32(NVMET_OFFLOAD_A_QUEUE_ID, 1)
                     .U32(NVMET_OFFLOAD_A_QUEUE_STATE, 42)
                     .Bytes();
  const Queue q = ParseQueue(Message(b));
  EXPECT_EQ(static_cast<uint32_t>(q.state), 42U);
  EXPECT_EQ(ToString(q.state), "unknown(42)");
}

// Random corruption of valid replies: every parser either returns or throws
// ParseError; nothing else escapes. The test command runs it under ASan and
// UBSan (scripts/test.sh), which makes it a memory-safety test. Both
// outcomes must occur, and the uncorrupted seeds must still parse: a
// parser that rejects everything, or accepts everything, fails.
TEST(Parse, RandomCorruptionNeverCrashes) {
  const std::vector<std::vector<uint8_t>> seeds = {
      kRecordedDevice, PortMsg(), QueueMsg(), QueueMsg(RdmaQueue()),
      StatsMsg()};
  std::mt19937 rng(12345);
  int parsed = 0;
  int rejected = 0;
  for (int round = 0; round < 20000; round++) {
    auto b = seeds[static_cast<size_t>(round) % seeds.size()];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; i++) {
      b[rng() % b.size()] = static_cast<uint8_t>(rng());
    }
    if (rng() % 4 == 0) {
      b.resize(rng() % b.size());
    }
    try {
      for (const Message& m : SplitMessages(b.data(), b.size())) {
        (void)ParseEvent(m);
        (void)ParseDevice(m);
        (void)ParsePort(m);
        (void)ParseQueue(m);
        (void)ParseStats(m);
      }
      parsed++;
    } catch (const ParseError&) {
      rejected++;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "round " << round << ": " << e.what();
    }
  }
  EXPECT_GT(parsed, 1000) << "rejected " << rejected;
  EXPECT_GT(rejected, 1000) << "parsed " << parsed;
  // The seeds themselves are valid (the loop above ran on copies).
  EXPECT_EQ(ParseDevice(Message(kRecordedDevice)).id, 1U);
  EXPECT_EQ(ParseQueue(Message(QueueMsg())).id, 17U);
  EXPECT_EQ(ParseStats(Message(StatsMsg())).counters.read_cmds, 1000001U);
}

}  // namespace
}  // namespace nvo
