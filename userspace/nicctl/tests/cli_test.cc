// SPDX-License-Identifier: GPL-2.0
// Argument parsing: every command, global flags anywhere, bad input -> 1.
#include "cli.h"

#include <gtest/gtest.h>

#include <sstream>

namespace nicctl {
namespace {

struct Parsed {
  std::optional<int> rc;
  Options o;
  std::string out;
  std::string err;
};

Parsed Parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"nicctl"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  Parsed p;
  std::ostringstream out;
  std::ostringstream err;
  p.rc = ParseArgs(static_cast<int>(argv.size()), argv.data(), p.o, out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

Options Ok(const std::vector<std::string>& args) {
  const Parsed p = Parse(args);
  EXPECT_FALSE(p.rc.has_value()) << p.err;
  return p.o;
}

void Bad(const std::vector<std::string>& args) {
  std::string joined;
  for (const auto& a : args) {
    joined += a + " ";
  }
  const Parsed p = Parse(args);
  EXPECT_EQ(p.rc, 1) << "nicctl " << joined;
  EXPECT_FALSE(p.err.empty()) << "nicctl " << joined;
}

TEST(Cli, HelpAndVersion) {
  Parsed p = Parse({"--help"});
  EXPECT_EQ(p.rc, 0);
  EXPECT_NE(p.out.find("Examples:"), std::string::npos);
  EXPECT_NE(p.out.find("nicctl port set 1 offload on dev nic0"),
            std::string::npos);
  p = Parse({"--version"});
  EXPECT_EQ(p.rc, 0);
  EXPECT_NE(p.out.find(kVersion), std::string::npos);
  p = Parse({"stats", "show", "--help"});
  EXPECT_EQ(p.rc, 0);
  EXPECT_NE(p.out.find("--watch"), std::string::npos);
}

TEST(Cli, NoCommandIsUsageError) { Bad({}); }

TEST(Cli, DevShow) {
  Options o = Ok({"dev", "show"});
  EXPECT_EQ(o.cmd, Command::kDevShow);
  EXPECT_FALSE(o.dev.has_value());
  o = Ok({"dev"});
  EXPECT_EQ(o.cmd, Command::kDevShow);
  o = Ok({"dev", "show", "nic0"});
  EXPECT_EQ(o.dev, "nic0");
  Bad({"dev", "show", "a", "b"});
  Bad({"dev", "frob"});
}

TEST(Cli, NsTableShow) {
  Options o = Ok({"ns-table", "show"});
  EXPECT_EQ(o.cmd, Command::kNsTableShow);
  EXPECT_FALSE(o.dev.has_value());
  o = Ok({"ns-table"});
  EXPECT_EQ(o.cmd, Command::kNsTableShow);
  o = Ok({"ns", "sh", "dev", "nic0"});
  EXPECT_EQ(o.cmd, Command::kNsTableShow);
  EXPECT_EQ(o.dev, "nic0");
  o = Ok({"ns-table", "show", "2"});
  EXPECT_EQ(o.dev, "2");
  o = Ok({"ns-table", "dev", "nic1"});
  EXPECT_EQ(o.dev, "nic1");
  o = Ok({"ns-table", "list"});
  EXPECT_EQ(o.cmd, Command::kNsTableShow);
  Bad({"ns-table", "show", "a", "b"});
  Bad({"ns-table", "set"});
  Bad({"ns-table", "show", "dev"});
  Bad({"-o", "prometheus", "ns-table", "show"});
}

TEST(Cli, GlobalFlagsAnywhere) {
  Options o = Ok({"-j", "dev", "show"});
  EXPECT_TRUE(o.json);
  o = Ok({"dev", "show", "-j"});
  EXPECT_TRUE(o.json);
  o = Ok({"port", "show", "--pretty"});
  EXPECT_TRUE(o.json) << "-p implies -j";
  EXPECT_TRUE(o.pretty);
  o = Ok({"-vv", "dev"});
  EXPECT_EQ(o.verbosity, 2);
  o = Ok({"queue", "show", "-q"});
  EXPECT_EQ(o.verbosity, -1);
  Bad({"-q", "-v", "dev"});
  Bad({"--frobnicate", "dev"});
  Bad({"dev", "show", "--frobnicate"});
}

TEST(Cli, PortShow) {
  Options o = Ok({"port"});
  EXPECT_EQ(o.cmd, Command::kPortShow);
  EXPECT_FALSE(o.port.has_value());
  o = Ok({"port", "show", "3"});
  EXPECT_EQ(o.port, 3U);
  Bad({"port", "show", "x"});
  Bad({"port", "show", "-1"});
}

TEST(Cli, PortSet) {
  Options o = Ok({"port", "set", "1", "offload", "on", "dev", "nic0"});
  EXPECT_EQ(o.cmd, Command::kPortSet);
  EXPECT_EQ(o.port, 1U);
  EXPECT_EQ(o.offload, nvo::Policy::kOn);
  EXPECT_EQ(o.dev, "nic0");
  EXPECT_FALSE(o.unbind);

  o = Ok({"port", "set", "2", "offload", "off"});
  EXPECT_EQ(o.offload, nvo::Policy::kOff);
  EXPECT_FALSE(o.dev.has_value());

  o = Ok({"port", "set", "2", "dev", "none"});
  EXPECT_TRUE(o.unbind);
  EXPECT_FALSE(o.offload.has_value());

  o = Ok({"port", "set", "2", "dev", "7", "offload", "on", "-j"});
  EXPECT_EQ(o.dev, "7");
  EXPECT_TRUE(o.json);

  Bad({"port", "set"});
  Bad({"port", "set", "1"});
  Bad({"port", "set", "x", "offload", "on"});
  Bad({"port", "set", "1", "offload"});
  Bad({"port", "set", "1", "offload", "maybe"});
  Bad({"port", "set", "1", "offload", "on", "offload", "off"});
  Bad({"port", "set", "1", "speed", "fast"});
  Bad({"port", "set", "1", "dev", "a", "dev", "b"});
}

TEST(Cli, QueueShow) {
  Options o = Ok({"queue", "show"});
  EXPECT_EQ(o.cmd, Command::kQueueShow);
  EXPECT_FALSE(o.port || o.ctrl || o.dev);
  o = Ok({"queue"});
  EXPECT_EQ(o.cmd, Command::kQueueShow);
  o = Ok({"queue", "show", "--port", "1", "--ctrl", "3", "--dev", "nic0"});
  EXPECT_EQ(o.port, 1U);
  EXPECT_EQ(o.ctrl, 3U);
  EXPECT_EQ(o.dev, "nic0");
  // The keywords, iproute2 style, and "--port=1".
  o = Ok({"queue", "show", "port", "1", "ctrl", "3", "dev", "nic0"});
  EXPECT_EQ(o.port, 1U);
  EXPECT_EQ(o.ctrl, 3U);
  EXPECT_EQ(o.dev, "nic0");
  o = Ok({"queue", "show", "--port=1"});
  EXPECT_EQ(o.port, 1U);
  o = Ok({"queue", "port", "2"});  // show is the default verb
  EXPECT_EQ(o.cmd, Command::kQueueShow);
  EXPECT_EQ(o.port, 2U);
  o = Ok({"queue", "show", "5"});
  EXPECT_EQ(o.queue, 5U);
  Bad({"queue", "show", "5", "port", "1"});
  Bad({"queue", "show", "port", "1", "port", "2"});
  Bad({"queue", "show", "--port"});
  Bad({"queue", "show", "--port", "one"});
  Bad({"queue", "show", "extra"});
}

TEST(Cli, QueueSet) {
  // A queue by its id, as queue show prints it.
  Options o = Ok({"queue", "set", "7", "offload", "off"});
  EXPECT_EQ(o.cmd, Command::kQueueSet);
  EXPECT_EQ(o.queue, 7U);
  EXPECT_FALSE(o.ctrl || o.qid);
  EXPECT_EQ(o.offload, nvo::Policy::kOff);
  // Every I/O queue of a controller, or one of them.
  o = Ok({"queue", "set", "ctrl", "3", "offload", "on"});
  EXPECT_EQ(o.ctrl, 3U);
  EXPECT_FALSE(o.qid || o.queue);
  EXPECT_EQ(o.offload, nvo::Policy::kOn);
  o = Ok({"queue", "set", "ctrl", "3", "qid", "2", "offload", "off"});
  EXPECT_EQ(o.ctrl, 3U);
  EXPECT_EQ(o.qid, 2U);
  // CTRL/QID: the older form, an alias.
  o = Ok({"queue", "set", "3/2", "offload", "off"});
  EXPECT_EQ(o.ctrl, 3U);
  EXPECT_EQ(o.qid, 2U);
  EXPECT_FALSE(o.queue.has_value());
  // Prefixes of keywords.
  o = Ok({"q", "se", "c", "3", "q", "2", "o", "on"});
  EXPECT_EQ(o.ctrl, 3U);
  EXPECT_EQ(o.qid, 2U);
  Bad({"queue", "set", "3/0", "offload", "on"});  // admin queue
  Bad({"queue", "set", "ctrl", "3", "qid", "0", "offload", "on"});
  Bad({"queue", "set", "qid", "2", "offload", "on"});  // qid needs ctrl
  Bad({"queue", "set", "7", "ctrl", "3", "offload", "on"});
  Bad({"queue", "set", "3/x", "offload", "on"});
  Bad({"queue", "set", "/2", "offload", "on"});
  Bad({"queue", "set", "3", "offload"});
  Bad({"queue", "set", "3", "on"});
  Bad({"queue", "set", "3"});
  Bad({"queue", "set", "3", "offload", "on", "now"});
}

TEST(Cli, StatsShow) {
  Options o = Ok({"stats"});
  EXPECT_EQ(o.cmd, Command::kStatsShow);
  EXPECT_FALSE(o.target.has_value());
  o = Ok({"stats", "show", "dev", "nic0"});
  ASSERT_TRUE(o.target.has_value());
  EXPECT_EQ(o.target->scope, nvo::Scope::kDevice);
  EXPECT_EQ(o.target->dev, "nic0");
  EXPECT_FALSE(o.target->all);
  o = Ok({"stats", "show", "port", "2"});
  EXPECT_EQ(o.target->scope, nvo::Scope::kPort);
  EXPECT_EQ(o.target->port, 2U);
  o = Ok({"stats", "show", "ns", "1/5"});
  EXPECT_EQ(o.target->scope, nvo::Scope::kNamespace);
  EXPECT_EQ(o.target->port, 1U);
  EXPECT_EQ(o.target->nsid, 5U);
  o = Ok({"stats", "show", "queue", "9", "--watch", "0.5", "--delta", "--count",
          "3"});
  EXPECT_EQ(o.target->scope, nvo::Scope::kQueue);
  EXPECT_EQ(o.target->queue, 9U);
  EXPECT_EQ(o.watch, 0.5);
  EXPECT_TRUE(o.delta);
  EXPECT_EQ(o.count, 3U);
  o = Ok({"stats", "show", "queue"});
  EXPECT_TRUE(o.target->all);
  o = Ok({"stats", "show", "--delta", "dev", "1"});
  EXPECT_TRUE(o.delta);
  EXPECT_FALSE(o.watch.has_value());

  Bad({"stats", "show", "disk", "1"});
  Bad({"stats", "show", "ns", "1"});
  Bad({"stats", "show", "ns", "1/0"});
  Bad({"stats", "show", "port", "x"});
  Bad({"stats", "show", "dev", "a", "b"});
  Bad({"stats", "show", "--watch", "0"});
  Bad({"stats", "show", "--watch", "-1"});
  Bad({"stats", "show", "--watch", "soon"});
  Bad({"stats", "show", "--count", "0"});
  Bad({"stats", "show", "--count", "-3"});
  Bad({"stats", "show", "--watch", "1e9"});
  // The message says what is expected, not CLI11's range of a double.
  const Parsed p = Parse({"stats", "show", "--watch", "-1"});
  EXPECT_NE(p.err.find("expected seconds"), std::string::npos) << p.err;
  EXPECT_LT(p.err.size(), 200U) << p.err;
}

TEST(Cli, StatsReset) {
  Options o = Ok({"stats", "reset"});
  EXPECT_EQ(o.cmd, Command::kStatsReset);
  EXPECT_FALSE(o.target.has_value());
  o = Ok({"stats", "reset", "port", "1"});
  EXPECT_EQ(o.target->scope, nvo::Scope::kPort);
  Bad({"stats", "reset", "port"});
  Bad({"stats", "reset", "--watch", "1"});
}

TEST(Cli, Monitor) {
  Options o = Ok({"monitor"});
  EXPECT_EQ(o.cmd, Command::kMonitor);
  EXPECT_FALSE(o.count.has_value());
  o = Ok({"-j", "monitor", "--count", "2"});
  EXPECT_EQ(o.count, 2U);
  Bad({"monitor", "now"});
  Bad({"monitor", "--count", "x"});
}

TEST(Cli, Config) {
  Options o = Ok({"config", "save", "f.json"});
  EXPECT_EQ(o.cmd, Command::kConfigSave);
  EXPECT_EQ(o.file, "f.json");
  o = Ok({"config", "restore", "-", "--dry-run"});
  EXPECT_EQ(o.cmd, Command::kConfigRestore);
  EXPECT_EQ(o.file, "-");
  EXPECT_TRUE(o.dry_run);
  // The default file, the one nicctl.service restores.
  o = Ok({"config", "save"});
  EXPECT_EQ(o.file, kDefaultConfig);
  o = Ok({"config", "restore", "wait", "30"});
  EXPECT_EQ(o.file, kDefaultConfig);
  EXPECT_EQ(o.wait, 30.0);
  o = Ok({"config", "restore", "f.json", "--wait", "2.5", "dry-run"});
  EXPECT_EQ(o.file, "f.json");
  EXPECT_EQ(o.wait, 2.5);
  EXPECT_TRUE(o.dry_run);
  Bad({"config", "restore", "wait", "0"});
  Bad({"config", "restore", "wait"});
  Bad({"config"});
  Bad({"config", "load", "f"});
  Bad({"config", "save", "--dry-run", "f"});
}

}  // namespace
}  // namespace nicctl

namespace nicctl {
namespace {

TEST(Grammar, HelpVerbEverywhere) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"help"}, {"-h"}, {"--help"}, {"-help"}}) {
    const Parsed p = Parse(args);
    EXPECT_EQ(p.rc, 0);
    EXPECT_NE(p.out.find("OBJECT := { dev | port | queue"), std::string::npos)
        << p.out;
    EXPECT_EQ(p.err, "");
  }
  // Per object: "help OBJECT", "OBJECT help", "OBJECT VERB --help".
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"help", "queue"},
                                             {"queue", "help"},
                                             {"q", "help"},
                                             {"queue", "set", "--help"}}) {
    const Parsed p = Parse(args);
    EXPECT_EQ(p.rc, 0);
    EXPECT_NE(p.out.find("nicctl queue set { QUEUE | ctrl CTRL"),
              std::string::npos)
        << p.out;
  }
  EXPECT_NE(Parse({"monitor", "help"}).out.find("event TYPE"),
            std::string::npos);
}

TEST(Grammar, VersionFlags) {
  for (const char* v : {"-V", "-Version", "--version"}) {
    const Parsed p = Parse({v});
    EXPECT_EQ(p.rc, 0);
    EXPECT_EQ(p.out, std::string("nicctl ") + kVersion + "\n");
  }
}

TEST(Grammar, ErrorsNameTheWordInOneFormat) {
  auto p = Parse({"foo"});
  EXPECT_EQ(p.rc, 1);
  EXPECT_EQ(p.err,
            "nicctl: error: unknown command \"foo\"; try \"nicctl help\"\n");
  p = Parse({"dev", "frob"});
  EXPECT_EQ(p.rc, 1);
  EXPECT_EQ(p.err.rfind("nicctl: error: ", 0), 0U) << p.err;
  for (const char* obj : {"queue", "stats", "dev"}) {
    p = Parse({obj, "frob"});
    EXPECT_EQ(p.err,
              std::string("nicctl: error: unknown command \"frob\" of ") + obj +
                  "; try \"nicctl " + obj + " help\"\n");
  }
  EXPECT_EQ(Ok({"stats", "dev", "nic0"}).cmd, Command::kStatsShow);
  EXPECT_EQ(Ok({"queue", "7"}).queue, 7U);
  p = Parse({"port", "frob"});
  EXPECT_NE(p.err.find("unknown command \"frob\" of port"), std::string::npos)
      << p.err;
  p = Parse({});
  EXPECT_EQ(p.rc, 1);
  EXPECT_EQ(p.err, "nicctl: error: no command given; try \"nicctl help\"\n");
  p = Parse({"--frobnicate", "dev"});
  EXPECT_EQ(
      p.err,
      "nicctl: error: unknown option --frobnicate; try \"nicctl help\"\n");
  p = Parse({"port", "set", "1", "offload"});
  EXPECT_EQ(p.err, "nicctl: error: port set: offload needs a value\n");
  p = Parse({"stats", "show", "--frob"});
  EXPECT_EQ(p.err, "nicctl: error: stats show: unknown option --frob\n");
}

TEST(Grammar, UnambiguousPrefixes) {
  Options o = Ok({"d", "sh"});
  EXPECT_EQ(o.cmd, Command::kDevShow);
  o = Ok({"dev", "s", "nic0"});
  EXPECT_EQ(o.dev, "nic0");
  o = Ok({"po", "se", "1", "of", "on", "d", "nic0"});
  EXPECT_EQ(o.cmd, Command::kPortSet);
  EXPECT_EQ(o.offload, nvo::Policy::kOn);
  EXPECT_EQ(o.dev, "nic0");
  o = Ok({"st", "res", "q", "4"});
  EXPECT_EQ(o.cmd, Command::kStatsReset);
  EXPECT_EQ(o.target->queue, 4U);
  o = Ok({"m", "ev", "queue-fallback"});
  EXPECT_EQ(o.cmd, Command::kMonitor);
  o = Ok({"c", "sa", "f.json"});
  EXPECT_EQ(o.cmd, Command::kConfigSave);
  o = Ok({"port", "list"});  // ip's synonym of show
  EXPECT_EQ(o.cmd, Command::kPortShow);
  // Ambiguous: the message lists the candidates.
  const Parsed p = Parse({"port", "s", "1"});
  EXPECT_EQ(p.rc, 1);
  EXPECT_EQ(p.err, "nicctl: error: \"s\" is ambiguous: show, set\n");
  Bad({"stats", "show", "d"});  // dev or delta
}

TEST(Grammar, IdsAreDecimal) {
  EXPECT_EQ(Ok({"port", "set", "010", "offload", "on"}).port, 10U);
  EXPECT_EQ(Ok({"port", "show", "010"}).port, 10U);
  EXPECT_EQ(Ok({"queue", "set", "010", "offload", "on"}).queue, 10U);
  EXPECT_EQ(Ok({"stats", "show", "queue", "010"}).target->queue, 10U);
  Bad({"port", "set", "0x10", "offload", "on"});
  Bad({"port", "show", "0x10"});
  Bad({"queue", "show", "port", "0x1"});
  Bad({"stats", "show", "port", "+1"});
  Bad({"port", "show", "4294967296"});
  EXPECT_EQ(ParseDecimal("4294967295"), 4294967295U);
  EXPECT_FALSE(ParseDecimal("").has_value());
  EXPECT_FALSE(ParseDecimal("1e3").has_value());
}

TEST(Grammar, OutputFormatAndTimestamps) {
  Options o = Ok({"-o", "prometheus", "stats", "show"});
  EXPECT_EQ(o.format, Format::kPrometheus);
  EXPECT_FALSE(o.json);
  o = Ok({"stats", "show", "--output=prom"});
  EXPECT_EQ(o.format, Format::kPrometheus);
  o = Ok({"-o", "json", "dev"});
  EXPECT_TRUE(o.json);
  o = Ok({"-j", "port"});
  EXPECT_EQ(o.format, Format::kJson);
  Bad({"-o", "prometheus", "dev", "show"});
  Bad({"-o", "prometheus", "stats", "show", "watch", "1"});
  Bad({"-o", "yaml", "dev"});
  Bad({"-o"});
  o = Ok({"-ts", "monitor"});
  EXPECT_TRUE(o.timestamp);
  o = Ok({"monitor", "-timestamp"});
  EXPECT_TRUE(o.timestamp);
}

TEST(Grammar, StatsFiltersAndRates) {
  Options o = Ok({"stats", "show", "queue", "dev", "nic0"});
  ASSERT_TRUE(o.target.has_value());
  EXPECT_TRUE(o.target->all);
  EXPECT_EQ(o.target->scope, nvo::Scope::kQueue);
  EXPECT_EQ(o.target->filter_dev, "nic0");
  o = Ok({"stats", "show", "ns", "port", "2"});
  EXPECT_TRUE(o.target->all);
  EXPECT_EQ(o.target->filter_port, 2U);
  o = Ok({"stats", "show", "queue", "port", "1", "dev", "2", "watch", "1",
          "rate"});
  EXPECT_EQ(o.target->filter_port, 1U);
  EXPECT_EQ(o.target->filter_dev, "2");
  EXPECT_TRUE(o.rate);
  EXPECT_EQ(o.watch, 1.0);
  o = Ok(
      {"stats", "show", "dev", "nic0", "watch", "0.5", "delta", "count", "3"});
  EXPECT_EQ(o.target->dev, "nic0");
  EXPECT_FALSE(o.target->all);
  EXPECT_TRUE(o.delta);
  EXPECT_EQ(o.count, 3U);
  Bad({"stats", "show", "dev", "watch", "1", "delta", "rate"});
  Bad({"stats", "show", "port", "1", "dev", "nic0"});  // one object: no filter
  Bad({"stats", "show", "queue", "port", "1", "port", "2"});
}

TEST(Grammar, MonitorFilters) {
  Options o = Ok({"monitor", "event", "queue,dev-add", "port", "1", "ctrl", "3",
                  "count", "5"});
  using T = nvo::EventType;
  EXPECT_EQ(o.events.types,
            (std::vector<T>{T::kQueueOffloaded, T::kQueueReclaimed,
                            T::kQueueFallback, T::kDevAdd}));
  EXPECT_EQ(o.events.port, 1U);
  EXPECT_EQ(o.events.ctrl, 3U);
  EXPECT_EQ(o.count, 5U);
  o = Ok({"monitor", "dev", "nic0", "queue", "7"});
  EXPECT_EQ(o.events.dev, "nic0");
  EXPECT_EQ(o.events.queue, 7U);
  EXPECT_TRUE(o.events.types.empty());
  o = Ok({"monitor", "event", "dev"});
  EXPECT_EQ(o.events.types,
            (std::vector<T>{T::kDevAdd, T::kDevDel, T::kDevFailed}));
  EXPECT_EQ(Ok({"monitor", "event", "dev-failed"}).events.types,
            (std::vector<T>{T::kDevFailed}));
  Bad({"monitor", "event", "link"});
  Bad({"monitor", "event"});
  Bad({"monitor", "queue", "x"});
}

TEST(Grammar, Batch) {
  Options o = Ok({"-b", "cmds.txt"});
  EXPECT_EQ(o.batch, "cmds.txt");
  o = Ok({"-j", "-force", "-batch", "-"});
  EXPECT_EQ(o.batch, "-");
  EXPECT_TRUE(o.force);
  Bad({"-b", "f", "dev", "show"});
  Bad({"-b"});
  EXPECT_EQ(SplitLine("  port set 1 offload on  # comment"),
            (std::vector<std::string>{"port", "set", "1", "offload", "on"}));
  EXPECT_EQ(SplitLine("config save \"/tmp/a b.json\""),
            (std::vector<std::string>{"config", "save", "/tmp/a b.json"}));
  EXPECT_TRUE(SplitLine("# only a comment").empty());
  EXPECT_THROW(SplitLine("config save \"open"), std::invalid_argument);
}

}  // namespace
}  // namespace nicctl
