// SPDX-License-Identifier: GPL-2.0
// nicctl's command line: parsed into Options, nothing executed.
#ifndef NICCTL_CLI_H_
#define NICCTL_CLI_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "nvo/types.h"

namespace nicctl {

inline constexpr const char* kVersion = "0.1.0";

enum class Command {
  kDevShow,
  kPortShow,
  kPortSet,
  kQueueShow,
  kQueueSet,
  kStatsShow,
  kStatsReset,
  kMonitor,
  kConfigSave,
  kConfigRestore,
};

// What "stats show|reset" is about: one object (its ids), or every object
// of a scope (all == true, stats show only).
struct StatsTarget {
  nvo::Scope scope = nvo::Scope::kDevice;
  bool all = false;
  std::string dev;  // device id or name (device scope)
  std::optional<uint32_t> port;
  std::optional<uint32_t> nsid;
  std::optional<uint32_t> queue;
};

struct Options {
  // global
  bool json = false;
  bool pretty = false;
  int verbosity = 0;  // -1 quiet, 0 normal, 1+ verbose

  Command cmd = Command::kDevShow;
  std::optional<std::string> dev;  // dev show DEV, queue --dev, port set dev
  bool unbind = false;             // port set ... dev none
  std::optional<uint32_t> port;    // port show/set PORT, queue --port
  std::optional<uint32_t> ctrl;    // queue --ctrl, queue set CTRL[/QID]
  std::optional<uint32_t> qid;     // queue set CTRL/QID
  std::optional<nvo::Policy> offload;
  std::optional<StatsTarget> target;  // stats; nullopt: devices / everything
  std::optional<double> watch;        // seconds
  bool delta = false;
  std::optional<uint32_t> count;  // outputs (stats --watch, monitor)
  std::string file;               // config save|restore; "-" stdio
  bool dry_run = false;
};

// Parses argv. Returns nullopt when the command is to be run, or the exit
// code: 0 after --help/--version (printed on out), 1 for a usage error
// (message on err).
std::optional<int> ParseArgs(int argc, const char* const* argv, Options& opts,
                             std::ostream& out, std::ostream& err);

}  // namespace nicctl

#endif  // NICCTL_CLI_H_
