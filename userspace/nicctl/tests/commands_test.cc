// SPDX-License-Identifier: GPL-2.0
// Every command against the fake kernel: requests sent, output in both
// modes, exit statuses and messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <sstream>

#include "fake_api.h"
#include "output.h"

namespace nicctl {
namespace {

using test::RunNicctl;
using test::Sample;

Json ParseJson(const std::string& s) { return Json::parse(s); }

// One JSON document a line (monitor -j).
std::vector<Json> ParseJsonLines(const std::string& s) {
  std::istringstream lines(s);
  std::string line;
  std::vector<Json> docs;
  while (std::getline(lines, line)) {
    docs.push_back(ParseJson(line));
  }
  return docs;
}

size_t CounterCount() {
  size_t n = 0;
#define NVO_COUNTER(field, attr) n++;
  NVO_FOR_EACH_COUNTER(NVO_COUNTER)
#undef NVO_COUNTER
  return n;
}

TEST(Commands, DevShowTextAndJson) {
  auto st = Sample();
  auto r = RunNicctl({"dev", "show"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("nic0  live"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
  r = RunNicctl({"-j", "dev"}, st);
  EXPECT_EQ(r.rc, 0);
  const Json j = ParseJson(r.out);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.size(), 2U);
  EXPECT_EQ(j[1]["state"], "failed");
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line without -p";
  r = RunNicctl({"-p", "dev"}, st);
  EXPECT_GT(std::count(r.out.begin(), r.out.end(), '\n'), 10);
  EXPECT_EQ(ParseJson(r.out), j) << "-p changes layout, not content";
}

TEST(Commands, DevShowOneByNameOrId) {
  auto st = Sample();
  auto r = RunNicctl({"-j", "dev", "show", "nic1"}, st);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(ParseJson(r.out)[0]["id"], 2);
  EXPECT_EQ(st->calls.back(), "GetDevice nic1");
  r = RunNicctl({"-j", "dev", "show", "1"}, st);
  EXPECT_EQ(ParseJson(r.out)[0]["name"], "nic0");
  EXPECT_EQ(st->calls.back(), "GetDevice 1");
}

TEST(Commands, KernelRefusalExit2WithExtack) {
  auto st = Sample();
  auto r = RunNicctl({"dev", "show", "nic9"}, st);
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "nicctl: error: kernel refused: no such device (ENODEV)\n");
}

TEST(Commands, PermissionHint) {
  auto st = Sample();
  st->refuse = nvo::NetlinkError(EPERM, "", std::nullopt);
  const auto r = RunNicctl({"port", "set", "2", "offload", "off"}, st);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("(EPERM)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CAP_NET_ADMIN"), std::string::npos) << r.err;
}

TEST(Commands, ModuleNotLoadedExit3) {
  auto st = Sample();
  st->no_module = true;
  const auto r = RunNicctl({"port", "show"}, st);
  EXPECT_EQ(r.rc, 3);
  EXPECT_NE(r.err.find("modprobe nvmet_offload"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("insmod"), std::string::npos) << r.err;
}

TEST(Commands, UsageErrorsNeverTouchTheKernel) {
  auto st = Sample();
  st->no_module = true;  // would be exit 3 if it connected
  EXPECT_EQ(RunNicctl({"port", "set", "1"}, st).rc, 1);
  EXPECT_EQ(RunNicctl({"--help"}, st).rc, 0);
  EXPECT_TRUE(st->calls.empty());
}

TEST(Commands, PortShow) {
  auto st = Sample();
  auto r = RunNicctl({"port", "show"}, st);
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("[fd00::1]:4421"), std::string::npos);
  r = RunNicctl({"-j", "port", "show", "1"}, st);
  const Json j = ParseJson(r.out);
  EXPECT_EQ(j.size(), 1U);
  EXPECT_EQ(j[0]["policy"], "on");
  EXPECT_EQ(st->calls.back(), "GetPort 1");
}

// A kernel that lists NVMe/RDMA ports beside NVMe/TCP ones.
TEST(Commands, PortShowTransport) {
  auto st = test::SampleWithRdma();
  auto r = RunNicctl({"port", "show"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("DEVICE    TRANSPORT\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n   3  10.0.0.1:4420   ipv4    off      -         "
                       "rdma\n"),
            std::string::npos)
      << r.out;
  r = RunNicctl({"-j", "port", "show"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  const Json j = ParseJson(r.out);
  ASSERT_EQ(j.size(), 3U);
  EXPECT_EQ(j[0]["transport"], "tcp");
  EXPECT_EQ(j[2]["transport"], "rdma");
  r = RunNicctl({"-j", "port", "show", "1"}, Sample());
  EXPECT_TRUE(ParseJson(r.out)[0]["transport"].is_null())
      << "a kernel from before the attribute";
}

// port set on an NVMe/RDMA port: the kernel's -EOPNOTSUPP and its message.
TEST(Commands, PortSetOnRdmaPortRefused) {
  auto st = test::SampleWithRdma();
  const auto r =
      RunNicctl({"port", "set", "3", "offload", "on", "dev", "nic0"}, st);
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, std::string("nicctl: error: kernel refused: ") +
                       test::kPortNotTcp + " (EOPNOTSUPP)\n");
}

TEST(Commands, PortSetSendsWhatWasGiven) {
  auto st = Sample();
  auto r = RunNicctl({"port", "set", "2", "offload", "on", "dev", "nic1"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(st->port_sets.size(), 1U);
  const nvo::PortSet& req = st->port_sets[0];
  EXPECT_EQ(req.id, 2U);
  EXPECT_EQ(req.policy, nvo::Policy::kOn);
  EXPECT_EQ(req.dev_name, "nic1");
  EXPECT_FALSE(req.dev_id.has_value());
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "nicctl: port 2: offload on dev nic1\n");

  r = RunNicctl({"-q", "port", "set", "2", "offload", "off", "dev", "none"},
                st);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "") << "-q: errors only";
  EXPECT_EQ(st->port_sets[1].dev_id, 0U) << "dev none unbinds";

  r = RunNicctl({"port", "set", "2", "dev", "1"}, st);
  EXPECT_EQ(st->port_sets[2].dev_id, 1U) << "a number is a device id";
  EXPECT_FALSE(st->port_sets[2].policy.has_value());
}

TEST(Commands, PortSetRefusedByKernel) {
  auto st = Sample();
  // Port 1 is on with nic0: a new device while staying on is refused.
  const auto r = RunNicctl({"port", "set", "1", "dev", "nic1"}, st);
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err,
            "nicctl: error: kernel refused: port offload is on "
            "(EBUSY)\n");
}

TEST(Commands, VerboseLogsRequests) {
  auto st = Sample();
  const auto r = RunNicctl({"-v", "port", "set", "2", "offload", "off"}, st);
  EXPECT_NE(r.err.find("opening generic netlink family nvmet_offload"),
            std::string::npos)
      << r.err;
}

TEST(Commands, QueueShowFiltersAndNames) {
  auto st = Sample();
  auto r =
      RunNicctl({"-j", "queue", "show", "--port", "1", "--dev", "nic0"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(st->queue_filters.size(), 1U);
  EXPECT_EQ(st->queue_filters[0].port_id, 1U);
  EXPECT_EQ(st->queue_filters[0].dev_id, 1U) << "name resolved to an id";
  const Json j = ParseJson(r.out);
  EXPECT_EQ(j.size(), 2U);
  EXPECT_EQ(j[0]["dev_name"], "nic0");
  r = RunNicctl({"queue", "show", "--ctrl", "3"}, st);
  EXPECT_NE(r.out.find("0 (admin)"), std::string::npos);
  EXPECT_EQ(st->queue_filters.back().ctrl_id, 3U);
}

TEST(Commands, NsTableShowTextAndJson) {
  auto st = Sample();
  auto r = RunNicctl({"ns-table", "show"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->ns_table_filters.back(), std::nullopt);
  EXPECT_NE(r.out.find("in-device"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("refused"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nic1 (2)"), std::string::npos) << r.out;
  r = RunNicctl({"-j", "ns-table", "show", "dev", "nic0"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->ns_table_filters.back(), 1U) << "name resolved to an id";
  const Json j = ParseJson(r.out);
  ASSERT_EQ(j.size(), 1U);
  EXPECT_EQ(j[0]["dev_name"], "nic0");
  EXPECT_EQ(j[0]["subsys_id"], 3);
  ASSERT_EQ(j[0]["entries"].size(), 2U);
  EXPECT_EQ(j[0]["entries"][0]["nsid"], 1);
  EXPECT_EQ(j[0]["entries"][0]["nr_blocks"], 2097152);
  EXPECT_EQ(j[0]["entries"][0]["state"], "in-device");
  EXPECT_EQ(j[0]["entries"][0]["flags"], Json({"vwc", "wz"}));
  EXPECT_EQ(j[0]["entries"][1]["state"], "refused");
  r = RunNicctl({"-j", "ns-table", "show", "2"}, st);
  EXPECT_EQ(st->ns_table_filters.back(), 2U) << "an id is sent as is";
  EXPECT_EQ(ParseJson(r.out)[0]["state"], "dead");
}

TEST(Commands, NsTableShowUnknownDevice) {
  auto st = Sample();
  auto r = RunNicctl({"ns-table", "show", "dev", "nosuch"}, st);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("no such device"), std::string::npos) << r.err;
  r = RunNicctl({"ns-table", "show", "dev", "42"}, st);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("no such device"), std::string::npos) << r.err;
}

TEST(Commands, QueueSet) {
  auto st = Sample();
  // ctrl CTRL qid QID, and CTRL/QID, its older alias
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"queue", "set", "ctrl", "3", "qid", "2", "offload", "off"},
           {"queue", "set", "3/2", "offload", "off"}}) {
    st->queue_sets.clear();
    const auto r = RunNicctl(args, st);
    EXPECT_EQ(r.rc, 0) << r.err;
    ASSERT_EQ(st->queue_sets.size(), 1U);
    EXPECT_EQ(st->queue_sets[0].ctrl_id, 3U);
    EXPECT_EQ(st->queue_sets[0].qid, 2U);
    EXPECT_EQ(st->queue_sets[0].offload, nvo::Policy::kOff);
    EXPECT_FALSE(st->queue_sets[0].id.has_value());
    EXPECT_NE(r.err.find("ctrl 3 qid 2: offload off requested"),
              std::string::npos)
        << r.err;
  }
  // A queue by its id, as queue show and stats show queue use it.
  auto r = RunNicctl({"queue", "set", "3", "offload", "on"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->queue_sets.back().id, 3U);
  EXPECT_FALSE(st->queue_sets.back().ctrl_id.has_value());
  EXPECT_NE(r.err.find("queue 3: offload on requested"), std::string::npos)
      << r.err;
  r = RunNicctl({"queue", "set", "ctrl", "3", "offload", "on"}, st);
  EXPECT_EQ(st->queue_sets.back().ctrl_id, 3U);
  EXPECT_FALSE(st->queue_sets.back().qid.has_value());
  EXPECT_FALSE(st->queue_sets.back().id.has_value());
  EXPECT_NE(r.err.find("every I/O queue of ctrl 3"), std::string::npos);
  st->refuse = nvo::NetlinkError(EINVAL, "no device bound", std::nullopt);
  r = RunNicctl({"queue", "set", "3", "offload", "on"}, st);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("no device bound (EINVAL)"), std::string::npos);
}

// queue set on an NVMe/RDMA queue (by id, ctrl and qid, or its
// controller): exit 2, the kernel's extack message and the errno's name.
TEST(Commands, QueueSetOnRdmaQueueRefused) {
  auto st = test::SampleWithRdma();
  const std::string want = std::string("nicctl: error: kernel refused: ") +
                           test::kQueueNotTcp + " (EOPNOTSUPP)\n";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"queue", "set", "5", "offload", "on"},
           {"queue", "set", "ctrl", "4", "qid", "1", "offload", "on"},
           {"queue", "set", "ctrl", "4", "offload", "off"}}) {
    const auto r = RunNicctl(args, st);
    EXPECT_EQ(r.rc, 2) << args[2];
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, want);
  }
  // An NVMe/TCP queue of the same kernel still moves.
  const auto r = RunNicctl({"queue", "set", "3", "offload", "off"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
}

// queue show with NVMe/RDMA queues: text and JSON.
TEST(Commands, QueueShowRdma) {
  auto st = test::SampleWithRdma();
  auto r = RunNicctl({"queue", "show", "port", "3"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->queue_filters.back().port_id, 3U);
  // Port 3's two queues (Text.QueuesWithRdma checks the whole table), each
  // with no cpu ("-") and transport rdma (inflight 0 and 3).
  std::ostringstream want;
  PrintQueues(want, {st->queues[3], st->queues[4]}, {});
  EXPECT_EQ(r.out, want.str());
  EXPECT_NE(r.out.find("0    -  rdma       nqn."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3    -  rdma       nqn."), std::string::npos) << r.out;
  r = RunNicctl({"-j", "queue", "show"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  const Json j = ParseJson(r.out);
  ASSERT_EQ(j.size(), 5U);
  EXPECT_EQ(j[1]["transport"], "tcp");
  EXPECT_EQ(j[1]["cpu"], 1);
  EXPECT_EQ(j[4]["id"], 5);
  EXPECT_EQ(j[4]["transport"], "rdma");
  EXPECT_TRUE(j[4]["cpu"].is_null());
  EXPECT_TRUE(j[4]["dev_id"].is_null());
  r = RunNicctl({"-j", "queue", "show", "5"}, st);
  EXPECT_EQ(ParseJson(r.out)[0]["transport"], "rdma");
  r = RunNicctl({"-j", "queue", "show"}, Sample());
  EXPECT_TRUE(ParseJson(r.out)[0]["transport"].is_null())
      << "a kernel from before the attribute";
}

TEST(Commands, QueueShowKeywordsAndOneQueue) {
  auto st = Sample();
  auto r = RunNicctl({"-j", "queue", "show", "port", "1", "dev", "nic0"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->queue_filters.back().port_id, 1U);
  EXPECT_EQ(st->queue_filters.back().dev_id, 1U);
  r = RunNicctl({"queue", "sh", "ctrl", "3"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->queue_filters.back().ctrl_id, 3U);
  r = RunNicctl({"-j", "queue", "show", "2"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(std::find(st->calls.begin(), st->calls.end(), "GetQueue 2"),
            st->calls.end());
  EXPECT_EQ(ParseJson(r.out)[0]["id"], 2);
}

TEST(Commands, StatsShowDefaultIsEveryDevice) {
  auto st = Sample();
  auto r = RunNicctl({"stats"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(st->stats_dumps.size(), 1U);
  EXPECT_EQ(st->stats_dumps[0].scope, nvo::Scope::kDevice);
  EXPECT_NE(r.out.find("device nic0 (1)   1.2M"), std::string::npos) << r.out;
  r = RunNicctl({"-j", "stats", "show"}, st);
  const Json j = ParseJson(r.out);
  EXPECT_EQ(j.size(), 2U);
  EXPECT_EQ(j[0]["dev_name"], "nic0");
  EXPECT_TRUE(j[0]["interval_s"].is_null());
}

TEST(Commands, StatsShowOneObject) {
  auto st = Sample();
  const auto r = RunNicctl({"stats", "show", "dev", "nic0"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(st->stats_gets.size(), 1U);
  EXPECT_EQ(st->stats_gets[0].scope, nvo::Scope::kDevice);
  EXPECT_EQ(st->stats_gets[0].dev_id, 1U);
  EXPECT_NE(r.out.find("punted by opcode"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("LATENCY"), std::string::npos) << r.out;
}

TEST(Commands, StatsShowScopesAndIds) {
  auto st = Sample();
  nvo::Stats ns;
  ns.key.scope = nvo::Scope::kNamespace;
  ns.key.port_id = 1;
  ns.key.nsid = 5;
  nvo::Stats q;
  q.key.scope = nvo::Scope::kQueue;
  q.key.queue_id = 2;
  st->stats.push_back(ns);
  st->stats.push_back(q);
  auto r = RunNicctl({"-j", "stats", "show", "ns", "1/5"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(ParseJson(r.out)[0]["nsid"], 5);
  r = RunNicctl({"-j", "stats", "show", "queue", "2"}, st);
  EXPECT_EQ(ParseJson(r.out)[0]["queue_id"], 2);
  r = RunNicctl({"-j", "stats", "show", "queue"}, st);
  EXPECT_EQ(st->stats_dumps.back().scope, nvo::Scope::kQueue);
  EXPECT_EQ(ParseJson(r.out).size(), 1U);
  r = RunNicctl({"stats", "show", "port", "9"}, st);
  EXPECT_EQ(r.rc, 2);
}

std::vector<nvo::Stats> DevSample(uint64_t reads) {
  nvo::Stats s;
  s.key.scope = nvo::Scope::kDevice;
  s.key.dev_id = 1;
  s.counters.read_cmds = reads;
  s.counters.lat_hist.assign(nvo::kLatBuckets, 0);
  s.counters.lat_hist[3] = reads;
  return {s};
}

TEST(Commands, StatsWatchDelta) {
  auto st = Sample();
  st->samples = {DevSample(100), DevSample(250), DevSample(1250)};
  const auto r = RunNicctl({"-j", "stats", "show", "dev", "1", "--watch", "2",
                            "--delta", "--count", "2"},
                           st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->sleeps, (std::vector<double>{2.0, 2.0}));
  std::istringstream lines(r.out);
  std::string l1;
  std::string l2;
  std::getline(lines, l1);
  std::getline(lines, l2);
  const Json a = ParseJson(l1);
  const Json b = ParseJson(l2);
  EXPECT_EQ(a[0]["counters"]["read_cmds"], 150);
  EXPECT_EQ(b[0]["counters"]["read_cmds"], 1000);
  EXPECT_EQ(a[0]["interval_s"], 2.0);
  EXPECT_EQ(a[0]["latency"]["buckets"][3]["count"], 150);
}

TEST(Commands, StatsWatchTotalsText) {
  auto st = Sample();
  st->samples = {DevSample(100), DevSample(250)};
  const auto r =
      RunNicctl({"stats", "show", "--watch", "1", "--count", "2"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->sleeps.size(), 1U);
  EXPECT_NE(r.out.find("--- 12:00:00\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("device nic0 (1)    100"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("device nic0 (1)    250"), std::string::npos) << r.out;
}

TEST(Commands, StatsDeltaWithoutWatchSamplesOneSecond) {
  auto st = Sample();
  st->samples = {DevSample(10), DevSample(15)};
  const auto r = RunNicctl({"stats", "show", "--delta"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->sleeps, (std::vector<double>{1.0}));
  EXPECT_NE(r.out.find("counts over 1s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("device nic0 (1)      5"), std::string::npos) << r.out;
}

TEST(Commands, StatsReset) {
  auto st = Sample();
  auto r = RunNicctl({"stats", "reset"}, st);
  EXPECT_EQ(r.rc, 0);
  ASSERT_EQ(st->resets.size(), 1U);
  EXPECT_FALSE(st->resets[0].has_value()) << "no scope: everything";
  EXPECT_EQ(r.err, "nicctl: counters of everything reset\n");
  r = RunNicctl({"stats", "reset", "dev", "nic1"}, st);
  ASSERT_TRUE(st->resets[1].has_value());
  EXPECT_EQ(st->resets[1]->dev_id, 2U);
  r = RunNicctl({"stats", "reset", "ns", "2/3"}, st);
  EXPECT_EQ(st->resets[2]->scope, nvo::Scope::kNamespace);
  EXPECT_EQ(st->resets[2]->port_id, 2U);
  EXPECT_EQ(st->resets[2]->nsid, 3U);
}

TEST(Commands, MonitorTextJsonAndCount) {
  auto st = Sample();
  nvo::Event add;
  add.type = nvo::EventType::kDevAdd;
  add.dev = st->devices[0];
  st->events = {add,
                test::QueueEvent(nvo::EventType::kQueueFallback, st->queues[1],
                                 nvo::FallbackReason::kDevFailed),
                test::PolicyEvent(st->ports[0])};
  auto r = RunNicctl({"monitor"}, st);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "12:00:00 dev-add nic0 (1) live, 4 engines\n"
            "12:00:00 queue-fallback queue 2 (ctrl 3 qid 1, port 1) from "
            "device nic0 (1): dev-failed\n"
            "12:00:00 port-policy-changed port 1 offload on device nic0 "
            "(1)\n");
  r = RunNicctl({"-j", "monitor", "--count", "2"}, st);
  const std::vector<Json> evs = ParseJsonLines(r.out);
  ASSERT_EQ(evs.size(), 2U);
  EXPECT_EQ(evs[0]["event"], "dev-add");
  EXPECT_EQ(evs[1]["reason"], "dev-failed");
  EXPECT_EQ(evs[1]["queue"]["qid"], 1);
  EXPECT_EQ(evs[1]["queue"]["dev_name"], "nic0");
}

// monitor: port and queue events end with their transport (text), which
// JSON has in the port or queue.
TEST(Commands, MonitorShowsTransport) {
  auto st = test::SampleWithRdma();
  st->events = {test::QueueEvent(nvo::EventType::kQueueFallback, st->queues[4],
                                 nvo::FallbackReason::kRefused),
                test::PolicyEvent(st->ports[0])};
  auto r = RunNicctl({"monitor"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "12:00:00 queue-fallback queue 5 (ctrl 4 qid 1, port 3) from "
            "device -: refused, transport rdma\n"
            "12:00:00 port-policy-changed port 1 offload on device nic0 (1), "
            "transport tcp\n");
  r = RunNicctl({"-j", "monitor"}, st);
  const std::vector<Json> evs = ParseJsonLines(r.out);
  ASSERT_EQ(evs.size(), 2U);
  EXPECT_EQ(evs[0]["queue"]["transport"], "rdma");
  EXPECT_TRUE(evs[0]["queue"]["cpu"].is_null());
  EXPECT_TRUE(evs[0]["port"].is_null());
  EXPECT_EQ(evs[1]["port"]["transport"], "tcp");
}

TEST(Commands, VerboseShowsRequestsRepliesAndAttributes) {
  auto st = Sample();
  auto r = RunNicctl({"-v", "port", "show"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("nicctl: request port-get dump\n"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nicctl: reply port-get: 2 objects\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("\"traddr\""), std::string::npos) << "-v: no attributes";
  r = RunNicctl({"-vv", "port", "set", "2", "offload", "off"}, st);
  EXPECT_NE(r.err.find("nicctl: request port-set\n"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(R"(attributes {"id":2,"policy":"off"})"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nicctl: reply port-set: ack\n"), std::string::npos);
  r = RunNicctl({"-vv", "dev", "show", "nic0"}, st);
  EXPECT_NE(r.err.find(R"("name":"nic0","state":"live")"), std::string::npos)
      << r.err;
  r = RunNicctl({"port", "show"}, st);
  EXPECT_EQ(r.err, "") << "quiet without -v";
}

TEST(Commands, StatsFilteredInTheKernel) {
  auto st = Sample();
  nvo::Stats q;
  q.key.scope = nvo::Scope::kQueue;
  q.key.queue_id = 2;
  q.key.dev_id = 1;
  q.key.port_id = 1;
  nvo::Stats q2 = q;
  q2.key.queue_id = 3;
  q2.key.dev_id = 2;
  q2.key.port_id = 2;
  st->stats.push_back(q);
  st->stats.push_back(q2);
  auto r = RunNicctl({"-j", "stats", "show", "queue", "dev", "nic0"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(st->stats_dumps.size(), 1U);
  EXPECT_EQ(st->stats_dumps[0].scope, nvo::Scope::kQueue);
  EXPECT_EQ(st->stats_dumps[0].dev_id, 1U) << "the name, resolved, asked";
  EXPECT_FALSE(st->stats_dumps[0].port_id.has_value());
  EXPECT_EQ(ParseJson(r.out).size(), 1U);
  EXPECT_EQ(ParseJson(r.out)[0]["queue_id"], 2);
  r = RunNicctl({"-j", "stats", "show", "queue", "port", "2"}, st);
  EXPECT_EQ(st->stats_dumps.back().port_id, 2U);
  EXPECT_FALSE(st->stats_dumps.back().dev_id.has_value());
  EXPECT_EQ(ParseJson(r.out)[0]["queue_id"], 3);
}

TEST(Commands, StatsRatesUseTheMeasuredInterval) {
  auto st = Sample();
  st->samples = {DevSample(100), DevSample(1100), DevSample(2100)};
  st->overrun = 0.25;  // each 1 s sleep (and the requests) took 1.25 s
  auto r = RunNicctl(
      {"-j", "stats", "show", "dev", "1", "watch", "1", "rate", "count", "1"},
      st);
  EXPECT_EQ(r.rc, 0) << r.err;
  Json j = ParseJson(r.out);
  EXPECT_EQ(j[0]["interval_s"], 1.25);
  EXPECT_EQ(j[0]["per_second"], true);
  EXPECT_EQ(j[0]["counters"]["read_cmds"], 800);  // 1000 / 1.25
  st->samples = {DevSample(100), DevSample(1100)};
  r = RunNicctl(
      {"stats", "show", "dev", "1", "watch", "1", "rate", "count", "1"}, st);
  EXPECT_NE(r.out.find(", per second over 1.25s\n"), std::string::npos)
      << r.out;
  // delta: counts, over the measured interval too
  st->samples = {DevSample(100), DevSample(1100)};
  r = RunNicctl({"-j", "stats", "show", "dev", "1", "delta"}, st);
  j = ParseJson(r.out);
  EXPECT_EQ(j[0]["counters"]["read_cmds"], 1000);
  EXPECT_EQ(j[0]["interval_s"], 1.25);
  EXPECT_EQ(j[0]["per_second"], false);
}

TEST(Commands, WatchResolvesNamesAgain) {
  auto st = Sample();
  st->samples = {DevSample(1), DevSample(2)};
  auto r = RunNicctl({"stats", "show", "watch", "1", "count", "2"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  // Devices dumped for each sample, not once.
  EXPECT_EQ(std::count(st->calls.begin(), st->calls.end(), "Devices"), 2);
}

TEST(Commands, MonitorFiltersAndTimestamps) {
  setenv("TZ", "UTC", 1);
  tzset();
  auto st = Sample();
  nvo::Event add;
  add.type = nvo::EventType::kDevAdd;
  add.dev = st->devices[1];
  nvo::Event lost;
  lost.type = nvo::EventType::kLost;
  st->events = {add,
                // queue 2, ctrl 3, port 1, nic0
                test::QueueEvent(nvo::EventType::kQueueFallback, st->queues[1],
                                 nvo::FallbackReason::kDevFailed),
                test::PolicyEvent(st->ports[1]),  // port 2
                lost};
  const auto events = [&](const std::vector<std::string>& args) {
    std::vector<std::string> a = {"-j", "monitor"};
    a.insert(a.end(), args.begin(), args.end());
    const auto r = RunNicctl(a, st);
    EXPECT_EQ(r.rc, 0) << r.err;
    std::vector<std::string> names;
    for (const Json& ev : ParseJsonLines(r.out)) {
      names.push_back(ev["event"]);
    }
    return names;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(events({}),
            (V{"dev-add", "queue-fallback", "port-policy-changed", "lost"}));
  EXPECT_EQ(events({"event", "queue"}), (V{"queue-fallback", "lost"}));
  EXPECT_EQ(events({"event", "dev,port"}),
            (V{"dev-add", "port-policy-changed", "lost"}));
  EXPECT_EQ(events({"dev", "nic0"}), (V{"queue-fallback", "lost"}));
  EXPECT_EQ(events({"dev", "nic1"}), (V{"dev-add", "lost"}));
  EXPECT_EQ(events({"dev", "2"}), (V{"dev-add", "lost"}));
  EXPECT_EQ(events({"port", "2"}), (V{"port-policy-changed", "lost"}));
  EXPECT_EQ(events({"ctrl", "3"}), (V{"queue-fallback", "lost"}));
  EXPECT_EQ(events({"queue", "9"}), (V{"lost"}));
  EXPECT_EQ(events({"event", "queue", "count", "1"}), (V{"queue-fallback"}));
  // -ts: date and milliseconds; JSON: ISO 8601 always.
  auto r = RunNicctl({"-ts", "monitor", "event", "dev-add"}, st);
  EXPECT_EQ(r.out.substr(0, r.out.find(" dev-add")), "2026-12-06 08:01:02.123")
      << r.out;
  r = RunNicctl({"-j", "monitor", "count", "1"}, st);
  EXPECT_EQ(ParseJson(r.out)["time"], "2026-12-06T08:01:02.123+00:00");
}

TEST(Commands, Prometheus) {
  auto st = Sample();
  nvo::Stats port;
  port.key.scope = nvo::Scope::kPort;
  port.key.port_id = 1;
  port.counters.write_cmds = 5;
  st->stats.push_back(port);
  const auto r = RunNicctl({"-o", "prometheus", "stats", "show"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  const std::string& o = r.out;
  EXPECT_NE(o.find("# TYPE nvmet_offload_read_cmds_total counter\n"
                   "nvmet_offload_read_cmds_total{scope=\"device\",dev_id="
                   "\"1\",dev=\"nic0\"} 1234567\n"),
            std::string::npos)
      << o;
  EXPECT_NE(o.find("nvmet_offload_write_cmds_total{scope=\"port\",port=\"1\"} "
                   "5\n"),
            std::string::npos)
      << o;
  EXPECT_NE(o.find("# TYPE nvmet_offload_latency_seconds histogram\n"),
            std::string::npos);
  // Cumulative buckets, le in seconds: 900 in [8, 16) us, 90 in [64, 128).
  const std::string lbl = R"(scope="device",dev_id="1",dev="nic0")";
  EXPECT_NE(o.find("nvmet_offload_latency_seconds_bucket{" + lbl +
                   ",le=\"0.000008\"} 0\n"),
            std::string::npos)
      << o;
  EXPECT_NE(o.find("nvmet_offload_latency_seconds_bucket{" + lbl +
                   ",le=\"0.000016\"} 900\n"),
            std::string::npos)
      << o;
  EXPECT_NE(o.find("nvmet_offload_latency_seconds_bucket{" + lbl +
                   ",le=\"0.000128\"} 990\n"),
            std::string::npos);
  EXPECT_NE(o.find("nvmet_offload_latency_seconds_bucket{" + lbl +
                   ",le=\"+Inf\"} 1000\n"),
            std::string::npos);
  EXPECT_NE(o.find("nvmet_offload_latency_seconds_count{" + lbl + "} 1000\n"),
            std::string::npos);
  EXPECT_NE(o.find(R"(nvmet_offload_punted_by_opcode_total{scope="device",)"
                   R"(dev_id="1",dev="nic0",opcode="dsm"} 10)"),
            std::string::npos)
      << o;
  // Each metric's samples together, one TYPE line each.
  EXPECT_EQ(std::count(o.begin(), o.end(), '#'),
            2 * (static_cast<long>(CounterCount()) + 2));
  // ASCII only.
  for (const char c : o) {
    EXPECT_LT(static_cast<unsigned char>(c), 0x80U);
  }
}

TEST(Commands, Batch) {
  auto st = Sample();
  st->files["cmds"] =
      "# set up\n"
      "port set 2 offload on dev nic0\n"
      "\n"
      "port sh 2\n";
  auto r = RunNicctl({"-j", "-b", "cmds"}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->port_sets.size(), 1U);
  EXPECT_EQ(ParseJson(r.out)[0]["policy"], "on") << "-j applies to each line";
  EXPECT_EQ(std::count(st->calls.begin(), st->calls.end(), "SetPort 2"), 1);
  // Stops at the first failure, naming the line.
  st->files["bad"] = "port show\nport frob\nport show\n";
  st->calls.clear();
  r = RunNicctl({"-b", "bad"}, st);
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            "nicctl: error: bad:2: unknown command \"frob\" of port; try "
            "\"nicctl port help\"\n");
  EXPECT_EQ(std::count(st->calls.begin(), st->calls.end(), "Ports"), 1);
  // -force: every line, the status of the failure.
  st->files["kern"] = "dev show nic9\nport show\n";
  st->calls.clear();
  r = RunNicctl({"-force", "-b", "kern"}, st);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("kern:1: command failed"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(st->calls.begin(), st->calls.end(), "Ports"), 1);
  // Standard input.
  r = RunNicctl({"-b", "-"}, st, "dev show\n");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("nic0"), std::string::npos);
  r = RunNicctl({"-b", "missing"}, st);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("nicctl: error: cannot read missing"),
            std::string::npos);
}

}  // namespace
}  // namespace nicctl
