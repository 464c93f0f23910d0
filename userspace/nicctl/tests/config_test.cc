// SPDX-License-Identifier: GPL-2.0
// config save|restore: the file, the plan (only what differs, in an order
// port-set accepts), idempotence, errors before anything is sent.
#include "config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "fake_api.h"

namespace nicctl {
namespace {

using test::RunNicctl;
using test::Sample;

std::string TempFile(const std::string& content) {
  std::string path = ::testing::TempDir() + "nicctl_config_XXXXXX";
  std::vector<char> buf(path.begin(), path.end());
  buf.push_back('\0');
  const int fd = mkstemp(buf.data());
  EXPECT_GE(fd, 0);
  close(fd);
  path = buf.data();
  std::ofstream(path) << content;
  return path;
}

TEST(Config, SaveFormat) {
  const auto st = Sample();
  const Json doc = SaveConfig(st->ports);
  EXPECT_EQ(doc["nicctl_config"], 1);
  ASSERT_EQ(doc["ports"].size(), 2U);
  EXPECT_EQ(doc["ports"][0], Json({{"port", 1},
                                   {"offload", "on"},
                                   {"dev", "nic0"},
                                   {"traddr", "10.0.0.1"},
                                   {"trsvcid", "4420"}}));
  EXPECT_TRUE(doc["ports"][1]["dev"].is_null());
}

// An NVMe/RDMA port with no device has nothing to restore: save leaves it
// out; ports of a kernel that does not say their transport are kept.
TEST(Config, SaveLeavesOutOtherTransports) {
  const auto st = test::SampleWithRdma();
  const Json doc = SaveConfig(st->ports);
  ASSERT_EQ(doc["ports"].size(), 2U);
  for (const auto& p : doc["ports"]) {
    EXPECT_NE(p["port"], 3) << p;
  }
}

// An NVMe/RDMA port bound to a device (its queues taken at connect) is
// saved like an NVMe/TCP one; a transport that does not offload is not.
TEST(Config, SaveKeepsBoundRdmaPort) {
  auto st = test::SampleWithRdma();
  auto& rdma = st->ports.back();
  ASSERT_EQ(rdma.id, 3U);
  rdma.policy = nvo::Policy::kOn;
  rdma.dev_id = 1;
  rdma.dev_name = "nic0";
  Json doc = SaveConfig(st->ports);
  ASSERT_EQ(doc["ports"].size(), 3U);
  EXPECT_EQ(doc["ports"][2], Json({{"port", 3},
                                   {"offload", "on"},
                                   {"dev", "nic0"},
                                   {"traddr", "10.0.0.1"},
                                   {"trsvcid", "4420"}}));
  rdma.transport = nvo::Transport::kFc;
  doc = SaveConfig(st->ports);
  EXPECT_EQ(doc["ports"].size(), 2U);
}

TEST(Config, LoadRejectsBadDocuments) {
  const auto bad = [](const char* text) {
    EXPECT_THROW(LoadConfig(Json::parse(text)), ConfigError) << text;
  };
  bad("[]");
  bad(R"({"ports": []})");
  bad(R"({"nicctl_config": 2, "ports": []})");
  bad(R"({"nicctl_config": 1})");
  bad(R"({"nicctl_config": 1, "ports": [1]})");
  bad(R"({"nicctl_config": 1, "ports": [{"offload": "on"}]})");
  bad(R"({"nicctl_config": 1, "ports": [{"port": -1, "offload": "on"}]})");
  bad(R"({"nicctl_config": 1, "ports": [{"port": 1, "offload": "yes"}]})");
  bad(R"({"nicctl_config": 1, "ports": [{"port": 1, "offload": "on"}]})");
  bad(R"({"nicctl_config": 1, "ports": [{"port": 1, "offload": "off",
          "dev": 3}]})");
  bad(R"({"nicctl_config": 1, "ports": [
          {"port": 1, "offload": "off"}, {"port": 1, "offload": "off"}]})");
  const auto ok = LoadConfig(Json::parse(
      R"({"nicctl_config": 1, "ports": [{"port": 4, "offload": "off",
          "dev": null}, {"port": 5, "offload": "on", "dev": "nic0"}]})"));
  ASSERT_EQ(ok.size(), 2U);
  EXPECT_FALSE(ok[0].dev.has_value());
  EXPECT_EQ(ok[1].dev, "nic0");
}

std::vector<std::string> Whats(const std::vector<Step>& steps) {
  std::vector<std::string> w;
  w.reserve(steps.size());
  for (const auto& s : steps) {
    w.push_back(s.what);
  }
  return w;
}

TEST(Config, PlanOnlyWhatDiffers) {
  const auto st = Sample();  // port 1 on nic0, port 2 off unbound
  std::vector<PortConfig> want = {{1, nvo::Policy::kOn, "nic0"},
                                  {2, nvo::Policy::kOff, std::nullopt}};
  EXPECT_TRUE(PlanRestore(want, st->ports, st->devices).empty());

  want = {{1, nvo::Policy::kOff, "nic0"}};
  EXPECT_EQ(Whats(PlanRestore(want, st->ports, st->devices)),
            (std::vector<std::string>{"port 1: offload off"}));

  want = {{2, nvo::Policy::kOn, "nic1"}};
  EXPECT_EQ(Whats(PlanRestore(want, st->ports, st->devices)),
            (std::vector<std::string>{"port 2: offload on, dev nic1"}));

  want = {{2, nvo::Policy::kOff, "nic1"}};
  EXPECT_EQ(Whats(PlanRestore(want, st->ports, st->devices)),
            (std::vector<std::string>{"port 2: dev nic1"}));
}

TEST(Config, PlanMovesAnOnPortInTwoSteps) {
  const auto st = Sample();
  std::vector<PortConfig> want = {{1, nvo::Policy::kOn, "nic1"}};
  const auto steps = PlanRestore(want, st->ports, st->devices);
  EXPECT_EQ(Whats(steps),
            (std::vector<std::string>{"port 1: offload off, dev nic1",
                                      "port 1: offload on"}));
  want = {{1, nvo::Policy::kOff, std::nullopt}};
  const auto unbind = PlanRestore(want, st->ports, st->devices);
  ASSERT_EQ(unbind.size(), 1U);
  EXPECT_EQ(unbind[0].req.dev_id, 0U);
  EXPECT_EQ(unbind[0].what, "port 1: offload off, dev none");
}

TEST(Config, PlanRejectsUnknownPortsAndDevices) {
  const auto st = Sample();
  EXPECT_THROW(PlanRestore({{9, nvo::Policy::kOff, std::nullopt}}, st->ports,
                           st->devices),
               ConfigError);
  EXPECT_THROW(
      PlanRestore({{1, nvo::Policy::kOn, "nic7"}}, st->ports, st->devices),
      ConfigError);
}

TEST(Config, SaveThenRestoreIsANoop) {
  auto st = Sample();
  const std::string path = TempFile("");
  auto r = RunNicctl({"config", "save", path}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "nicctl: saved 2 ports to " + path + "\n");
  r = RunNicctl({"config", "restore", path}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "nothing to change\n");
  EXPECT_TRUE(st->port_sets.empty());
  std::remove(path.c_str());
}

TEST(Config, RestoreIsIdempotent) {
  auto st = Sample();
  const std::string path = TempFile(R"({"nicctl_config": 1, "ports": [
      {"port": 1, "offload": "on", "dev": "nic1"},
      {"port": 2, "offload": "on", "dev": "nic0"}]})");
  auto r = RunNicctl({"config", "restore", path}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "set port 1: offload off, dev nic1\n"
            "set port 1: offload on\n"
            "set port 2: offload on, dev nic0\n");
  EXPECT_EQ(st->port_sets.size(), 3U);
  EXPECT_EQ(st->ports[0].dev_name, "nic1");
  EXPECT_EQ(st->ports[0].policy, nvo::Policy::kOn);
  EXPECT_EQ(st->ports[1].dev_name, "nic0");
  // Again: the kernel already is as the file says.
  r = RunNicctl({"-j", "config", "restore", path}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out),
            Json({{"dry_run", false}, {"changes", Json::array()}}));
  EXPECT_EQ(st->port_sets.size(), 3U);
  std::remove(path.c_str());
}

TEST(Config, RestoreDryRunAndStdin) {
  auto st = Sample();
  const std::string doc = R"({"nicctl_config": 1, "ports": [
      {"port": 2, "offload": "on", "dev": "nic1"}]})";
  auto r = RunNicctl({"config", "restore", "-", "--dry-run"}, st, doc);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "would set port 2: offload on, dev nic1\n");
  EXPECT_TRUE(st->port_sets.empty());
  r = RunNicctl({"-j", "config", "restore", "-", "--dry-run"}, st, doc);
  EXPECT_EQ(Json::parse(r.out)["changes"][0],
            Json({{"port", 2}, {"offload", "on"}, {"dev", "nic1"}}));
}

TEST(Config, SaveToStdout) {
  auto st = Sample();
  const auto r = RunNicctl({"config", "save", "-"}, st);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(Json::parse(r.out), SaveConfig(st->ports));
}

TEST(Config, RestoreErrorsExit1BeforeSending) {
  auto st = Sample();
  auto r = RunNicctl({"config", "restore", "-"}, st, "not json");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("not JSON"), std::string::npos) << r.err;
  r = RunNicctl({"config", "restore", "-"}, st,
                R"({"nicctl_config": 1, "ports": [
                    {"port": 2, "offload": "on", "dev": "nic1"},
                    {"port": 7, "offload": "off"}]})");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("port 7 does not exist"), std::string::npos) << r.err;
  EXPECT_TRUE(st->port_sets.empty()) << "nothing sent";
  r = RunNicctl({"config", "restore", "/nonexistent/nicctl.json"}, st);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos);
  r = RunNicctl({"config", "save", "/nonexistent/dir/x.json"}, st);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("cannot write"), std::string::npos);
}

TEST(Config, RestoreStopsAtAKernelRefusal) {
  auto st = Sample();
  st->refuse = nvo::NetlinkError(ENODEV, "device is failing", std::nullopt);
  const auto r = RunNicctl({"config", "restore", "-"}, st,
                           R"({"nicctl_config": 1, "ports": [
                               {"port": 2, "offload": "on", "dev": "nic1"}]})");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("device is failing (ENODEV)"), std::string::npos);
}

TEST(Config, RestoreFailingPartWaySaysWhatWasApplied) {
  auto st = Sample();
  st->refuse = nvo::NetlinkError(ENODEV, "device is failing", std::nullopt);
  st->refuse_after = 1;
  const auto r = RunNicctl({"config", "restore", "-"}, st,
                           R"({"nicctl_config": 1, "ports": [
                               {"port": 1, "offload": "off"},
                               {"port": 2, "offload": "on", "dev": "nic1"}]})");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("nicctl: error: restore of - failed after 1 of 2 "
                       "changes\n"
                       "nicctl:   applied:     port 1: offload off, dev none\n"
                       "nicctl:   failed:      port 2: offload on, dev nic1\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("device is failing (ENODEV)"), std::string::npos);
}

TEST(Config, RestoreWaitsForLatePorts) {
  auto st = Sample();
  nvo::Port p3;
  p3.id = 3;
  st->late_ports = {p3};
  st->late_after = 2;  // there from the third dump on
  const std::string doc = R"({"nicctl_config": 1, "ports": [
      {"port": 3, "offload": "on", "dev": "nic0"}]})";
  auto r = RunNicctl({"config", "restore", "-", "wait", "10"}, st, doc);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(st->sleeps, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(st->port_sets.size(), 1U);
  // Without wait: at once; with a wait too short: the error, and how long.
  st = Sample();
  st->late_ports = {p3};
  st->late_after = 5;
  r = RunNicctl({"config", "restore", "-"}, st, doc);
  EXPECT_EQ(r.rc, 1);
  EXPECT_TRUE(st->sleeps.empty());
  r = RunNicctl({"config", "restore", "-", "--wait", "2.5"}, st, doc);
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(st->sleeps, (std::vector<double>{1.0, 1.0, 0.5}));
  EXPECT_NE(r.err.find("port 3 does not exist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(waited 2.5s)\n"), std::string::npos) << r.err;
}

TEST(Config, SaveIsAtomic) {
  auto st = Sample();
  const std::string dir =
      ::testing::TempDir() + "nicctl_atomic_" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  const std::string path = dir + "/ports.json";
  const std::string link = dir + "/old-link";
  std::ofstream(path) << "old";
  // A second name of the old file: written in place, it would change too;
  // replaced by rename, it keeps the old content.
  ASSERT_EQ(::link(path.c_str(), link.c_str()), 0);
  auto r = RunNicctl({"config", "save", path}, st);
  EXPECT_EQ(r.rc, 0) << r.err;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(Json::parse(text.str()), SaveConfig(st->ports));
  // No temporary left behind, and the mode of a configuration file.
  struct stat sb {};
  ASSERT_EQ(::stat(path.c_str(), &sb), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(sb.st_mode & 0777, 0666 & ~mask);
  std::ifstream old_in(link);
  std::stringstream old_text;
  old_text << old_in.rdbuf();
  EXPECT_EQ(old_text.str(), "old") << "written in place, not renamed over";
  std::remove(link.c_str());
  std::remove(path.c_str());
  EXPECT_EQ(::rmdir(dir.c_str()), 0) << "a temporary file is left in " << dir;
  // A directory it cannot write: the old file untouched.
  r = RunNicctl({"config", "save", "/proc/nicctl.json"}, st);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("cannot write /proc/nicctl.json"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace nicctl
