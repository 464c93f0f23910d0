// SPDX-License-Identifier: GPL-2.0
// Every command against the fake kernel: requests sent, output in both
// modes, exit statuses and messages.
#include <gtest/gtest.h>

#include <cerrno>

#include "fake_api.h"
#include "output.h"

namespace nicctl {
namespace {

using test::RunNicctl;
using test::Sample;

Json ParseJson(const std::string& s) { return Json::parse(s); }

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
  nvo::Event fb;
  fb.type = nvo::EventType::kQueueFallback;
  fb.queue = st->queues[1];
  fb.reason = nvo::FallbackReason::kDevFailed;
  nvo::Event pol;
  pol.type = nvo::EventType::kPortPolicyChanged;
  pol.port = st->ports[0];
  st->events = {add, fb, pol};
  auto r = RunNicctl({"monitor"}, st);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "12:00:00 dev-add nic0 (1) live, 4 engines\n"
            "12:00:00 queue-fallback queue 2 (ctrl 3 qid 1, port 1) from "
            "device nic0 (1): dev-failed\n"
            "12:00:00 port-policy-changed port 1 offload on device nic0 "
            "(1)\n");
  r = RunNicctl({"-j", "monitor", "--count", "2"}, st);
  std::istringstream lines(r.out);
  std::string line;
  std::vector<Json> evs;
  while (std::getline(lines, line)) {
    evs.push_back(ParseJson(line));
  }
  ASSERT_EQ(evs.size(), 2U);
  EXPECT_EQ(evs[0]["event"], "dev-add");
  EXPECT_EQ(evs[1]["reason"], "dev-failed");
  EXPECT_EQ(evs[1]["queue"]["qid"], 1);
  EXPECT_EQ(evs[1]["queue"]["dev_name"], "nic0");
}

}  // namespace
}  // namespace nicctl
