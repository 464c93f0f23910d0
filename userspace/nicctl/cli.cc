// SPDX-License-Identifier: GPL-2.0
// nicctl's command line (CLI11). Keyword arguments in the iproute2 style
// ("offload on", "dev nic0") are positional words checked here.
#include "cli.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace nicctl {
namespace {

// CLI11's own range checks print the whole range of a double: say what is
// expected instead.
std::string CheckSeconds(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || errno != 0 || !std::isfinite(v) ||
      v <= 0 || v > 86400) {
    return "expected seconds, more than 0 and at most 86400 (e.g. 0.5), got " +
           s;
  }
  return "";
}

std::string CheckCount(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || s[0] == '-' || *end != '\0' || errno != 0 || v == 0 ||
      v > UINT32_MAX) {
    return "expected a whole number from 1 to 4294967295, got " + s;
  }
  return "";
}

constexpr const char* kFooter = R"(Examples:
  nicctl dev show                      offload devices and capabilities
  nicctl port show                     ports, their offload policy, device
  nicctl port set 1 offload on dev nic0
  nicctl queue show --port 1           queues of port 1 and where they run
  nicctl queue set 3/2 offload off     reclaim queue 2 of controller 3
  nicctl queue set 3 offload on        offload every I/O queue of ctrl 3
  nicctl stats show dev nic0 --watch 1 --delta
  nicctl stats reset port 1
  nicctl -j monitor                    events as JSON lines
  nicctl config save ports.json && nicctl config restore ports.json

Exit status: 0 ok, 1 usage error, 2 the kernel refused (its message is
printed), 3 the nvmet_offload module is not loaded.
See nicctl(8).
)";

[[noreturn]] void Usage(const std::string& msg) {
  throw CLI::ValidationError(msg);
}

uint32_t ParseU32(const std::string& s, const std::string& what) {
  if (s.empty() || s[0] == '-' || s[0] == '+') {
    Usage(what + ": not a number: " + s);
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v > UINT32_MAX) {
    Usage(what + ": not a number: " + s);
  }
  return static_cast<uint32_t>(v);
}

nvo::Policy ParseOnOff(const std::string& s) {
  const auto p = nvo::PolicyFromString(s);
  if (!p) {
    Usage("offload: expected on or off, got " + s);
  }
  return *p;
}

// "P/NSID"
void ParseNs(const std::string& s, StatsTarget& t) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) {
    Usage("ns: expected PORT/NSID, got " + s);
  }
  t.port = ParseU32(s.substr(0, slash), "ns port");
  t.nsid = ParseU32(s.substr(slash + 1), "ns nsid");
  if (*t.nsid == 0) {
    Usage("ns: namespace ids start at 1");
  }
}

// [dev D|port P|ns P/NSID|queue Q]; allow_all: the keyword alone (every
// object of the scope).
std::optional<StatsTarget> ParseTarget(const std::vector<std::string>& w,
                                       bool allow_all) {
  if (w.empty()) {
    return std::nullopt;
  }
  if (w.size() > 2) {
    Usage("too many arguments: " + w[2]);
  }
  StatsTarget t;
  const std::string& kw = w[0];
  if (kw == "dev") {
    t.scope = nvo::Scope::kDevice;
  } else if (kw == "port") {
    t.scope = nvo::Scope::kPort;
  } else if (kw == "ns") {
    t.scope = nvo::Scope::kNamespace;
  } else if (kw == "queue") {
    t.scope = nvo::Scope::kQueue;
  } else {
    Usage("expected dev, port, ns or queue, got " + kw);
  }
  if (w.size() == 1) {
    if (!allow_all) {
      Usage(kw + ": which one?");
    }
    t.all = true;
    return t;
  }
  const std::string& id = w[1];
  switch (t.scope) {
    case nvo::Scope::kDevice:
      t.dev = id;
      break;
    case nvo::Scope::kPort:
      t.port = ParseU32(id, "port");
      break;
    case nvo::Scope::kNamespace:
      ParseNs(id, t);
      break;
    case nvo::Scope::kQueue:
      t.queue = ParseU32(id, "queue");
      break;
  }
  return t;
}

// PORT [offload on|off] [dev DEV|none]
void ParsePortSet(const std::vector<std::string>& w, Options& o) {
  if (w.empty()) {
    Usage("port set: which port?");
  }
  o.port = ParseU32(w[0], "port");
  for (size_t i = 1; i < w.size(); i += 2) {
    if (i + 1 >= w.size()) {
      Usage("port set: " + w[i] + " needs a value");
    }
    if (w[i] == "offload" && !o.offload) {
      o.offload = ParseOnOff(w[i + 1]);
    } else if (w[i] == "dev" && !o.dev && !o.unbind) {
      if (w[i + 1] == "none") {
        o.unbind = true;
      } else {
        o.dev = w[i + 1];
      }
    } else {
      Usage("port set: unexpected " + w[i]);
    }
  }
  if (!o.offload && !o.dev && !o.unbind) {
    Usage("port set: nothing to set (offload on|off, dev DEV|none)");
  }
}

// CTRL[/QID] offload on|off
void ParseQueueSet(const std::vector<std::string>& w, Options& o) {
  if (w.size() != 3 || w[1] != "offload") {
    Usage("queue set: expected CTRL[/QID] offload on|off");
  }
  const auto slash = w[0].find('/');
  o.ctrl = ParseU32(w[0].substr(0, slash), "controller");
  if (slash != std::string::npos) {
    o.qid = ParseU32(w[0].substr(slash + 1), "qid");
    if (*o.qid == 0) {
      Usage("queue set: qid 0 is the admin queue; it stays in software");
    }
  }
  o.offload = ParseOnOff(w[2]);
}

}  // namespace

std::optional<int> ParseArgs(int argc, const char* const* argv, Options& opts,
                             std::ostream& out, std::ostream& err) {
  Options o;
  CLI::App app{
      "nicctl: NVMe/TCP target offload to SmartNICs (nvmet_offload.ko)",
      "nicctl"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("nicctl ") + kVersion);
  // Global flags are accepted after the subcommand too.
  app.fallthrough();
  // One subcommand per level: so that "dev", "port" and "queue" are
  // keywords, not commands, once a command is chosen.
  app.require_subcommand(1);
  bool quiet = false;
  int verbose = 0;
  app.add_flag("-j,--json", o.json,
               "JSON output (one document, or one "
               "line per sample or event)");
  app.add_flag("-p,--pretty", o.pretty, "indented JSON (implies --json)");
  app.add_flag("-v,--verbose", verbose, "more messages on stderr");
  app.add_flag("-q,--quiet", quiet, "errors only on stderr");

  std::string dev_arg;
  std::vector<std::string> words;

  auto* dev = app.add_subcommand("dev", "offload devices");
  dev->require_subcommand(0, 1);
  auto* dev_show = dev->add_subcommand("show", "list devices, or show one");
  dev_show->add_option("DEV", dev_arg, "device id or name");

  auto* port = app.add_subcommand("port", "nvmet ports served by the module");
  port->require_subcommand(0, 1);
  auto* port_show = port->add_subcommand("show", "list ports, or show one");
  std::optional<uint32_t> port_id;
  port_show->add_option("PORT", port_id, "nvmet port id");
  auto* port_set = port->add_subcommand(
      "set",
      "PORT [offload on|off] [dev DEV|none]: offload policy and "
      "bound device");
  port_set->add_option("ARGS", words, "PORT offload on|off [dev DEV|none]")
      ->required();

  auto* queue = app.add_subcommand("queue", "queues and where they run");
  queue->require_subcommand(0, 1);
  auto* queue_show = queue->add_subcommand("show", "list queues");
  std::optional<uint32_t> q_port;
  std::optional<uint32_t> q_ctrl;
  std::string q_dev;
  queue_show->add_option("--port", q_port, "only the queues of this port");
  queue_show->add_option("--ctrl", q_ctrl, "only this controller's queues");
  queue_show->add_option("--dev", q_dev,
                         "only the queues on this device (id or name)");
  auto* queue_set = queue->add_subcommand(
      "set",
      "CTRL[/QID] offload on|off: offload or reclaim one I/O queue, "
      "or every I/O queue of a controller");
  queue_set->add_option("ARGS", words, "CTRL[/QID] offload on|off")->required();

  auto* stats = app.add_subcommand("stats", "offload counters");
  stats->require_subcommand(0, 1);
  auto* stats_show = stats->add_subcommand(
      "show",
      "[dev D|port P|ns P/NSID|queue Q]: counters of one object, "
      "or of every object of a scope (keyword alone; default "
      "every device)");
  stats_show->add_option("TARGET", words, "dev D|port P|ns P/NSID|queue Q");
  double watch = 0;
  uint32_t count = 0;
  stats_show->add_option("--watch", watch, "repeat every SECS seconds")
      ->check(CLI::Validator(CheckSeconds, "SECS"));
  stats_show->add_flag("--delta", o.delta,
                       "counts over each interval (1 s without --watch)");
  stats_show->add_option("--count", count, "stop after N samples")
      ->check(CLI::Validator(CheckCount, "N"));
  auto* stats_reset = stats->add_subcommand(
      "reset",
      "[dev D|port P|ns P/NSID|queue Q]: zero the counters of "
      "one object, or every counter");
  stats_reset->add_option("TARGET", words, "dev D|port P|ns P/NSID|queue Q");

  auto* monitor = app.add_subcommand(
      "monitor", "print events (devices, hand-overs, fallbacks, policy)");
  monitor->add_option("--count", count, "stop after N events")
      ->check(CLI::Validator(CheckCount, "N"));

  auto* config = app.add_subcommand("config",
                                    "save and restore port "
                                    "policies and bindings");
  config->require_subcommand(1);
  auto* config_save = config->add_subcommand("save", "write FILE (- stdout)");
  config_save->add_option("FILE", o.file, "JSON file")->required();
  auto* config_restore = config->add_subcommand(
      "restore", "apply FILE (- stdin): sends only what differs");
  config_restore->add_option("FILE", o.file, "JSON file")->required();
  config_restore->add_flag("--dry-run", o.dry_run,
                           "print the changes, send nothing");

  try {
    app.parse(argc, argv);
    if (quiet && verbose > 0) {
      Usage("--quiet and --verbose together");
    }
    o.verbosity = quiet ? -1 : verbose;
    o.json = o.json || o.pretty;
    if (*dev) {
      o.cmd = Command::kDevShow;
      if (!dev_arg.empty()) {
        o.dev = dev_arg;
      }
    } else if (*port) {
      if (*port_set) {
        o.cmd = Command::kPortSet;
        ParsePortSet(words, o);
      } else {
        o.cmd = Command::kPortShow;
        o.port = port_id;
      }
    } else if (*queue) {
      if (*queue_set) {
        o.cmd = Command::kQueueSet;
        ParseQueueSet(words, o);
      } else {
        o.cmd = Command::kQueueShow;
        o.port = q_port;
        o.ctrl = q_ctrl;
        if (!q_dev.empty()) {
          o.dev = q_dev;
        }
      }
    } else if (*stats) {
      if (*stats_reset) {
        o.cmd = Command::kStatsReset;
        o.target = ParseTarget(words, false);
      } else {
        o.cmd = Command::kStatsShow;
        o.target = ParseTarget(words, true);
        if (watch > 0) {
          o.watch = watch;
        }
        if (count > 0) {
          o.count = count;
        }
      }
    } else if (*monitor) {
      o.cmd = Command::kMonitor;
      if (count > 0) {
        o.count = count;
      }
    } else if (*config) {
      o.cmd = *config_save ? Command::kConfigSave : Command::kConfigRestore;
    }
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e, out, err);
    // --help and --version are successes; everything else a usage error.
    return rc == 0 ? 0 : 1;
  }
  opts = o;
  return std::nullopt;
}

}  // namespace nicctl
