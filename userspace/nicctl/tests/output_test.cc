// SPDX-License-Identifier: GPL-2.0
// Formatting: units, latency buckets and quantiles, tables, JSON shapes.
#include "output.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "fake_api.h"

namespace nicctl {
namespace {

TEST(Format, Count) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1000), "1.0K");
  EXPECT_EQ(FormatCount(1234), "1.2K");
  EXPECT_EQ(FormatCount(12345), "12.3K");
  EXPECT_EQ(FormatCount(99949), "99.9K");
  EXPECT_EQ(FormatCount(123456), "123K");
  EXPECT_EQ(FormatCount(999499), "999K");
  EXPECT_EQ(FormatCount(999999), "1.0M");
  EXPECT_EQ(FormatCount(1234567), "1.2M");
  EXPECT_EQ(FormatCount(5000000000ULL), "5.0G");
  EXPECT_EQ(FormatCount(UINT64_MAX), "18.4E");
}

TEST(Format, Bytes) {
  EXPECT_EQ(FormatBytes(512), "512");
  EXPECT_EQ(FormatBytes(8192), "8KiB");
  EXPECT_EQ(FormatBytes(1536), "1.5KiB");
  EXPECT_EQ(FormatBytes(128ULL * 1024), "128KiB");
  EXPECT_EQ(FormatBytes(1024ULL * 1024), "1MiB");
  EXPECT_EQ(FormatBytes(3 * 1024 * 1024 / 2), "1.5MiB");
  EXPECT_EQ(FormatBytes(1ULL << 30), "1GiB");
}

TEST(Format, Microseconds) {
  EXPECT_EQ(FormatUs(0), "0us");
  EXPECT_EQ(FormatUs(512), "512us");
  EXPECT_EQ(FormatUs(1024), "1.0ms");
  EXPECT_EQ(FormatUs(16384), "16ms");
  EXPECT_EQ(FormatUs(524288), "524ms");
  EXPECT_EQ(FormatUs(1048576), "1.0s");
  EXPECT_EQ(FormatUs(4194304), "4.2s");
  EXPECT_EQ(FormatUs(20000000), "20s");
}

TEST(Format, LatencyBuckets) {
  EXPECT_EQ(BucketLoUs(0), 0U);
  EXPECT_EQ(BucketHiUs(0, 24), 1U);
  EXPECT_EQ(BucketLoUs(1), 1U);
  EXPECT_EQ(BucketHiUs(1, 24), 2U);
  EXPECT_EQ(BucketLoUs(4), 8U);
  EXPECT_EQ(BucketHiUs(4, 24), 16U);
  EXPECT_EQ(BucketHiUs(23, 24), std::nullopt);
  EXPECT_EQ(BucketLabel(0, 24), "<1us");
  EXPECT_EQ(BucketLabel(1, 24), "1us-2us");
  EXPECT_EQ(BucketLabel(11, 24), "1.0ms-2.0ms");
  EXPECT_EQ(BucketLabel(23, 24), ">=4.2s");
}

TEST(Format, Quantiles) {
  std::vector<uint64_t> h(24, 0);
  EXPECT_EQ(QuantileBucket(h, 0.5), std::nullopt);
  EXPECT_EQ(QuantileLabel(h, 0.5), "-");
  h[4] = 900;
  h[7] = 90;
  h[11] = 10;
  EXPECT_EQ(QuantileBucket(h, 0.5), 4U);
  EXPECT_EQ(QuantileBucket(h, 0.9), 4U);
  EXPECT_EQ(QuantileBucket(h, 0.95), 7U);
  EXPECT_EQ(QuantileBucket(h, 0.99), 7U);
  EXPECT_EQ(QuantileBucket(h, 0.995), 11U);
  EXPECT_EQ(QuantileBucket(h, 1.0), 11U);
  EXPECT_EQ(QuantileLabel(h, 0.5), "<16us");
  EXPECT_EQ(QuantileLabel(h, 0.99), "<128us");
  h.assign(24, 0);
  h[23] = 1;
  EXPECT_EQ(QuantileLabel(h, 0.5), ">=4.2s");
}

TEST(Format, TableAlignsByCharacters) {
  Table t({"NAME", "N", "LAT"});
  t.RightAlign(1);
  t.Add({"a", "1", "<1us"});
  t.Add({"long-name", "1000", "-"});
  std::ostringstream os;
  t.Render(os);
  EXPECT_EQ(os.str(),
            "NAME          N  LAT\n"
            "a             1  <1us\n"
            "long-name  1000  -\n");
  EXPECT_EQ(t.rows(), 2U);
}

TEST(Text, Devices) {
  const auto st = test::Sample();
  std::ostringstream os;
  PrintDevices(os, st->devices);
  EXPECT_EQ(os.str(),
            "ID  NAME  STATE   QUEUES  ENGINES  MAX-IO  DEPTH    INLINE  "
            "DIGESTS  BACKENDS  OPCODES\n"
            " 1  nic0  live      2/64        4  128KiB  16-1024    8KiB  "
            "hd,dd    bdev      flush,write,read,write-zeroes\n"
            " 2  nic1  failed    0/64        4  128KiB  16-1024    8KiB  "
            "hd,dd    bdev      flush,write,read,write-zeroes\n");
}

std::string PortsText(const std::vector<nvo::Port>& ports) {
  std::ostringstream os;
  PrintPorts(os, ports);
  return os.str();
}

TEST(Text, Ports) {
  // No transport from the kernel (one from before the attribute): "-".
  EXPECT_EQ(PortsText(test::Sample()->ports),
            "PORT  ADDRESS         FAMILY  OFFLOAD  DEVICE    TRANSPORT\n"
            "   1  10.0.0.1:4420   ipv4    on       nic0 (1)  -\n"
            "   2  [fd00::1]:4421  ipv6    off      -         -\n");
}

// The transport is the last column: the ones before keep their places.
TEST(Text, PortsWithTransport) {
  EXPECT_EQ(PortsText(test::SampleWithRdma()->ports),
            "PORT  ADDRESS         FAMILY  OFFLOAD  DEVICE    TRANSPORT\n"
            "   1  10.0.0.1:4420   ipv4    on       nic0 (1)  tcp\n"
            "   2  [fd00::1]:4421  ipv6    off      -         tcp\n"
            "   3  10.0.0.1:4420   ipv4    off      -         rdma\n");
}

TEST(Text, Queues) {
  const auto st = test::Sample();
  std::ostringstream os;
  PrintQueues(os, st->queues, {{1, "nic0"}});
  const std::string s = os.str();
  EXPECT_NE(s.find("QUEUE  PORT  CTRL        QID  STATE      DEVICE    "
                   "ENGINE  DEPTH  INFLIGHT  CPU  TRANSPORT  HOST"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("0 (admin)  software   -"), std::string::npos) << s;
  EXPECT_NE(s.find("offloaded  nic0 (1)"), std::string::npos) << s;
  // No transport from the kernel: "-".
  EXPECT_NE(s.find("    0    0  -          nqn.2014-08.org.nvmexpress:host1"),
            std::string::npos)
      << s;
}

// NVMe/RDMA queues beside NVMe/TCP ones: no cpu ("-"), the transport
// between the numbers and the names (the subsystem stays last).
TEST(Text, QueuesWithRdma) {
  const auto st = test::SampleWithRdma();
  std::ostringstream os;
  PrintQueues(os, st->queues, {{1, "nic0"}});
  EXPECT_EQ(
      os.str(),
      "QUEUE  PORT  CTRL        QID  STATE      DEVICE    ENGINE  DEPTH  "
      "INFLIGHT  CPU  TRANSPORT  HOST                              SUBSYSTEM\n"
      "    1     1     3  0 (admin)  software   -              -     32  "
      "       0    0  tcp        nqn.2014-08.org.nvmexpress:host1  "
      "nqn.2024-01.io.example:ssd\n"
      "    2     1     3          1  offloaded  nic0 (1)       0    128  "
      "       7    1  tcp        nqn.2014-08.org.nvmexpress:host1  "
      "nqn.2024-01.io.example:ssd\n"
      "    3     1     3          2  offloaded  nic0 (1)       1    128  "
      "       0    1  tcp        nqn.2014-08.org.nvmexpress:host1  "
      "nqn.2024-01.io.example:ssd\n"
      "    4     3     4  0 (admin)  software   -              -     32  "
      "       0    -  rdma       nqn.2014-08.org.nvmexpress:host2  "
      "nqn.2024-01.io.example:ssd\n"
      "    5     3     4          1  software   -              -    128  "
      "       3    -  rdma       nqn.2014-08.org.nvmexpress:host2  "
      "nqn.2024-01.io.example:ssd\n");
}

TEST(Text, NsTables) {
  const auto st = test::Sample();
  std::ostringstream os;
  PrintNsTables(os, st->ns_tables, {{1, "nic0"}});
  const std::string s = os.str();
  EXPECT_NE(s.find("DEVICE    SUBSYSTEM                   SUBSYS-ID  GEN  "
                   "TABLE     NSID   BLOCKS   LBA  FLAGS   STATE\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("nic0 (1)  nqn.2024-01.io.example:ssd          3    5  "
                   "attached     1  2097152   512  vwc,wz  in-device\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("attached     2    16384  4KiB  -       refused\n"),
            std::string::npos)
      << s;
  // A table with no entry still has its row; a gone device shows its id.
  EXPECT_NE(s.find("\n2         nqn.2024-01.io.example:hdd          4    0  "
                   "dead         -        -     -  -       -\n"),
            std::string::npos)
      << s;
  EXPECT_EQ(NsFlagsCell(0), "-");
  EXPECT_EQ(NsFlagsCell(nvo::kNsRo | nvo::kNsDiscard), "ro,discard");
}

TEST(Text, StatsDetail) {
  const auto st = test::Sample();
  std::ostringstream os;
  PrintStatsDetail(os, st->stats[0], {{1, "nic0"}});
  const std::string s = os.str();
  EXPECT_EQ(s.rfind("device nic0 (1)\n", 0), 0U) << s;
  // The value column is as wide as the longest counter name (the spec's).
  EXPECT_TRUE(std::regex_search(s, std::regex("\nread-cmds +1\\.2M\n"))) << s;
  EXPECT_NE(s.find("punted by opcode: compare 2, dsm 10\n"), std::string::npos)
      << s;
  EXPECT_NE(s.find("latency: p50 <16us  p90 <16us  p99 <128us\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("8us-16us          900  90.0%\n"), std::string::npos) << s;
  std::ostringstream empty;
  PrintStatsDetail(empty, st->stats[1], {});
  EXPECT_NE(empty.str().find("latency: no commands"), std::string::npos);
}

TEST(Text, StatsTable) {
  const auto st = test::Sample();
  std::ostringstream os;
  PrintStatsTable(os, st->stats, {{1, "nic0"}, {2, "nic1"}});
  EXPECT_EQ(os.str(),
            "OBJECT           READS  WRITES  FLUSH  WZEROES  ERRORS  PUNTED  "
            "OFFLOADS  RECLAIMS  FALLBACKS    P50     P99\n"
            "device nic0 (1)   1.2M    2.5K      3        0       1      12  "
            "       4         0          0  <16us  <128us\n"
            "device nic1 (2)      0       0      0        0       0       0  "
            "       0         0          0      -       -\n");
}

TEST(Text, StatsLabels) {
  nvo::StatsSelector k;
  k.scope = nvo::Scope::kNamespace;
  k.port_id = 1;
  k.nsid = 2;
  EXPECT_EQ(StatsLabel(k, {}), "ns 1/2");
  k.subsysnqn = "nqn.x";
  EXPECT_EQ(StatsLabel(k, {}), "ns 1/2 nqn.x");
  k = {};
  k.scope = nvo::Scope::kQueue;
  k.queue_id = 7;
  EXPECT_EQ(StatsLabel(k, {}), "queue 7");
  k = {};
  k.scope = nvo::Scope::kDevice;
  k.dev_id = 3;
  EXPECT_EQ(StatsLabel(k, {}), "device 3");
}

TEST(Text, Events) {
  nvo::Queue q = test::MakeQueue(7, /*port_id=*/2, /*ctrl_id=*/1, /*qid=*/3);
  q.dev_id = 1;
  nvo::Event e = test::QueueEvent(nvo::EventType::kQueueFallback, q,
                                  nvo::FallbackReason::kStreamLost);
  EXPECT_EQ(EventLine(e, "t"),
            "t queue-fallback queue 7 (ctrl 1 qid 3, port 2) from device 1: "
            "stream-lost");
  e.type = nvo::EventType::kQueueOffloaded;
  q.engine = 2;
  e.queue = q;
  EXPECT_EQ(EventLine(e, "t"),
            "t queue-offloaded queue 7 (ctrl 1 qid 3, port 2) to device 1 "
            "engine 2");
  // With the names the monitor keeps, queue events name their device.
  const DevNames names = {{1, "nic0"}};
  EXPECT_EQ(EventLine(e, "t", names),
            "t queue-offloaded queue 7 (ctrl 1 qid 3, port 2) to device "
            "nic0 (1) engine 2");
  EXPECT_EQ(ToJson(e, "t", names)["queue"]["dev_name"], "nic0");
  EXPECT_TRUE(ToJson(e, "t")["queue"]["dev_name"].is_null());
  EXPECT_TRUE(ToJson(e, "t")["queue"]["move_us"].is_null());
  // A move the kernel timed says how long it took.
  q.move_us = 1234;
  e.queue = q;
  EXPECT_EQ(EventLine(e, "t"),
            "t queue-offloaded queue 7 (ctrl 1 qid 3, port 2) to device 1 "
            "engine 2, in 1234 us");
  EXPECT_EQ(ToJson(e, "t")["queue"]["move_us"], 1234);
  e.type = nvo::EventType::kQueueReclaimed;
  EXPECT_EQ(EventLine(e, "t"),
            "t queue-reclaimed queue 7 (ctrl 1 qid 3, port 2), in 1234 us");
  nvo::Event lost;
  EXPECT_EQ(EventLine(lost, "t"),
            "t lost: events were lost (socket receive buffer overrun)");
  nvo::Event add;
  add.type = nvo::EventType::kDevAdd;
  add.dev = test::Sample()->devices[0];
  EXPECT_EQ(EventLine(add, "t"), "t dev-add nic0 (1) live, 4 engines");
  nvo::Event failed = add;
  failed.type = nvo::EventType::kDevFailed;
  failed.dev->state = nvo::DevState::kFailed;
  EXPECT_EQ(EventLine(failed, "t"), "t dev-failed nic0 (1) failed, 4 engines");
  EXPECT_EQ(ToJson(failed, "t")["dev"]["state"], "failed");
  EXPECT_EQ(EventLine(test::PolicyEvent(test::Sample()->ports[0]), "t"),
            "t port-policy-changed port 1 offload on device nic0 (1)");
}

// The transport ends a port or queue event's line when the kernel sent it.
TEST(Text, EventsWithTransport) {
  const auto st = test::SampleWithRdma();
  const DevNames names = {{1, "nic0"}};
  nvo::Event e =
      test::QueueEvent(nvo::EventType::kQueueOffloaded, st->queues[1]);
  e.queue->move_us = 250;
  EXPECT_EQ(EventLine(e, "t", names),
            "t queue-offloaded queue 2 (ctrl 3 qid 1, port 1) to device "
            "nic0 (1) engine 0, in 250 us, transport tcp");
  e.type = nvo::EventType::kQueueReclaimed;
  e.queue = st->queues[4];
  EXPECT_EQ(EventLine(e, "t", names),
            "t queue-reclaimed queue 5 (ctrl 4 qid 1, port 3), transport rdma");
  e.type = nvo::EventType::kQueueFallback;
  e.queue->dev_id = 1;
  e.reason = nvo::FallbackReason::kRefused;
  EXPECT_EQ(EventLine(e, "t", names),
            "t queue-fallback queue 5 (ctrl 4 qid 1, port 3) from device "
            "nic0 (1): refused, transport rdma");
  nvo::Event pol = test::PolicyEvent(st->ports[0]);
  EXPECT_EQ(EventLine(pol, "t"),
            "t port-policy-changed port 1 offload on device nic0 (1), "
            "transport tcp");
  pol.port = st->ports[2];
  EXPECT_EQ(EventLine(pol, "t"),
            "t port-policy-changed port 3 offload off device -, transport "
            "rdma");
  // JSON: the port's and the queue's own field.
  EXPECT_EQ(ToJson(pol, "t")["port"]["transport"], "rdma");
  EXPECT_EQ(ToJson(e, "t")["queue"]["transport"], "rdma");
  EXPECT_TRUE(ToJson(e, "t")["queue"]["cpu"].is_null());
}

std::vector<std::string> Keys(const Json& j) {
  std::vector<std::string> k;
  for (const auto& [key, v] : j.items()) {
    k.push_back(key);
  }
  return k;
}

TEST(Json, DeviceShape) {
  const auto st = test::Sample();
  const Json j = ToJson(st->devices[0]);
  EXPECT_EQ(Keys(j),
            (std::vector<std::string>{"id", "name", "state", "nr_queues",
                                      "engines", "api_version", "caps"}));
  EXPECT_EQ(j["caps"]["io_opcodes"],
            Json({"flush", "write", "read", "write-zeroes"}));
  EXPECT_EQ(j["caps"]["io_opcodes_mask"], 0x107);
  EXPECT_EQ(j["caps"]["max_io_size"], 131072);
  EXPECT_EQ(j["caps"]["backends"], Json({"bdev"}));
  for (const char* k : {"take", "sgl", "max_h2c_data", "max_hpda"}) {
    EXPECT_TRUE(j["caps"].contains(k)) << k;
  }
  nvo::Device bare;
  bare.id = 9;
  const Json b = ToJson(bare);
  EXPECT_EQ(Keys(b), Keys(j)) << "same keys with or without caps";
  EXPECT_TRUE(b["caps"].is_null());
  EXPECT_TRUE(b["api_version"].is_null()) << "0: not sent by the kernel";
}

TEST(Json, PortAndQueueShapesDoNotDependOnData) {
  const auto st = test::Sample();
  const Json on = ToJson(st->ports[0]);
  const Json off = ToJson(st->ports[1]);
  EXPECT_EQ(Keys(on), Keys(off));
  EXPECT_EQ(on["dev_name"], "nic0");
  EXPECT_TRUE(off["dev_id"].is_null());
  const Json admin = ToJson(st->queues[0], {{1, "nic0"}});
  const Json io = ToJson(st->queues[1], {{1, "nic0"}});
  EXPECT_EQ(Keys(admin), Keys(io));
  EXPECT_TRUE(admin["dev_id"].is_null());
  EXPECT_EQ(io["dev_name"], "nic0");
  EXPECT_EQ(io["state"], "offloaded");
}

// transport: the spec's name, null when the kernel did not send it; the
// keys are the same either way, in the spec's order of the attributes.
TEST(Json, PortAndQueueTransport) {
  const auto old = test::Sample();
  const auto st = test::SampleWithRdma();
  const Json tcp = ToJson(st->ports[0]);
  const Json rdma = ToJson(st->ports[2]);
  const Json none = ToJson(old->ports[0]);
  EXPECT_EQ(Keys(tcp), (std::vector<std::string>{"id", "traddr", "trsvcid",
                                                 "adrfam", "policy", "dev_id",
                                                 "dev_name", "transport"}));
  EXPECT_EQ(Keys(rdma), Keys(tcp));
  EXPECT_EQ(Keys(none), Keys(tcp));
  EXPECT_EQ(tcp["transport"], "tcp");
  EXPECT_EQ(rdma["transport"], "rdma");
  EXPECT_TRUE(none["transport"].is_null());
  const Json qtcp = ToJson(st->queues[1], {{1, "nic0"}});
  const Json qrdma = ToJson(st->queues[4], {{1, "nic0"}});
  const Json qnone = ToJson(old->queues[1], {{1, "nic0"}});
  EXPECT_EQ(Keys(qtcp),
            (std::vector<std::string>{"id", "port_id", "ctrl_id", "qid",
                                      "state", "dev_id", "dev_name", "engine",
                                      "depth", "inflight", "cpu", "move_us",
                                      "transport", "hostnqn", "subsysnqn"}));
  EXPECT_EQ(Keys(qrdma), Keys(qtcp));
  EXPECT_EQ(Keys(qnone), Keys(qtcp));
  EXPECT_EQ(qtcp["transport"], "tcp");
  EXPECT_EQ(qtcp["cpu"], 1);
  EXPECT_EQ(qrdma["transport"], "rdma");
  EXPECT_TRUE(qrdma["cpu"].is_null()) << "an NVMe/RDMA queue has no cpu";
  EXPECT_EQ(qrdma["inflight"], 3);
  EXPECT_TRUE(qnone["transport"].is_null());
  nvo::Port odd;
  odd.transport = static_cast<nvo::Transport>(9);
  EXPECT_EQ(ToJson(odd)["transport"], "unknown(9)");
}

TEST(Json, NsTableShapeDoesNotDependOnData) {
  const auto st = test::Sample();
  const Json full = ToJson(st->ns_tables[0], {{1, "nic0"}});
  const Json empty = ToJson(st->ns_tables[1], {{1, "nic0"}});
  EXPECT_EQ(Keys(full), Keys(empty));
  EXPECT_TRUE(empty["dev_name"].is_null());
  EXPECT_TRUE(empty["entries"].is_array());
  EXPECT_EQ(full["gen"], 5);
  EXPECT_EQ(full["entries"][1]["flags"], Json::array());
  EXPECT_EQ(full["entries"][1]["lba_shift"], 12);
}

TEST(Json, Stats) {
  const auto st = test::Sample();
  const Json j = ToJson(st->stats[0], {{1, "nic0"}}, std::nullopt);
  EXPECT_EQ(Keys(j), (std::vector<std::string>{
                         "scope", "dev_id", "dev_name", "port_id", "nsid",
                         "queue_id", "subsysnqn", "interval_s", "per_second",
                         "counters", "latency"}));
  EXPECT_EQ(j["counters"]["read_cmds"], 1234567);
  EXPECT_EQ(j["counters"]["punted_by_opcode"][0],
            Json({{"opcode", 5}, {"name", "compare"}, {"count", 2}}));
  EXPECT_EQ(j["latency"]["quantile_buckets"]["p50"], 4);
  EXPECT_EQ(j["latency"]["quantile_buckets"]["p99"], 7);
  ASSERT_EQ(j["latency"]["buckets"].size(), 24U);
  EXPECT_EQ(j["latency"]["buckets"][4],
            Json({{"from_us", 8}, {"below_us", 16}, {"count", 900}}));
  EXPECT_TRUE(j["latency"]["buckets"][23]["below_us"].is_null());
  // Every counter of struct nvo_offload_stats and the events.
  for (const char* k :
       {"read_cmds", "read_blocks", "write_cmds", "write_blocks",
        "inline_write_cmds", "flush_cmds", "write_zeroes_cmds", "errors",
        "backend_errors", "punted_cmds", "unknown_ns_cmds", "offload_events",
        "reclaim_events", "fallback_events", "punted_by_opcode"}) {
    EXPECT_TRUE(j["counters"].contains(k)) << k;
  }
  const Json d = ToJson(st->stats[1], {}, 2.0);
  EXPECT_EQ(Keys(d), Keys(j));
  EXPECT_EQ(d["interval_s"], 2.0);
  EXPECT_TRUE(d["latency"]["quantile_buckets"]["p50"].is_null());
}

TEST(Json, EventShapeIsFixed) {
  nvo::Event a;
  a.type = nvo::EventType::kDevDel;
  nvo::Device d;
  d.id = 1;
  d.name = "nic0";
  a.dev = d;
  nvo::Event b;
  b.type = nvo::EventType::kQueueFallback;
  b.queue = nvo::Queue{};
  b.reason = nvo::FallbackReason::kRefused;
  const Json ja = ToJson(a, "12:00:00");
  const Json jb = ToJson(b, "12:00:00");
  EXPECT_EQ(Keys(ja), Keys(jb));
  EXPECT_EQ(ja["event"], "dev-del");
  EXPECT_EQ(jb["reason"], "refused");
  EXPECT_TRUE(ja["queue"].is_null());
}

}  // namespace
}  // namespace nicctl
