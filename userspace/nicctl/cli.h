// SPDX-License-Identifier: GPL-2.0
// nicctl's command line: parsed into Options, nothing executed. One grammar,
// iproute2's: nicctl [OPTIONS] OBJECT [VERB] [KEYWORD VALUE]..., keywords
// and verbs abbreviable to any unambiguous prefix ("dev sh"), the older
// --options kept as aliases of the keywords.
#ifndef NICCTL_CLI_H_
#define NICCTL_CLI_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nvo/types.h"

namespace nicctl {

inline constexpr const char* kVersion = "0.1.0";
// config save|restore without FILE (the file nicctl.service restores).
inline constexpr const char* kDefaultConfig = "/etc/nvmet-offload.json";

enum class Command {
  kDevShow,
  kPortShow,
  kPortSet,
  kQueueShow,
  kQueueSet,
  kNsTableShow,
  kStatsShow,
  kStatsReset,
  kMonitor,
  kConfigSave,
  kConfigRestore,
};

enum class Format { kText, kJson, kPrometheus };

// What "stats show|reset" is about: one object (its ids), or every object
// of a scope (all == true, stats show only), narrowed in the kernel by
// device and port (filter_dev, filter_port).
struct StatsTarget {
  nvo::Scope scope = nvo::Scope::kDevice;
  bool all = false;
  std::string dev;  // device id or name (device scope)
  std::optional<uint32_t> port;
  std::optional<uint32_t> nsid;
  std::optional<uint32_t> queue;
  std::optional<std::string> filter_dev;
  std::optional<uint32_t> filter_port;
};

// monitor's filters: event types (empty: all) and the object they concern.
struct EventFilter {
  std::vector<nvo::EventType> types;
  std::optional<std::string> dev;  // id or name
  std::optional<uint32_t> port;
  std::optional<uint32_t> queue;
  std::optional<uint32_t> ctrl;
};

struct Options {
  // global
  bool json = false;
  bool pretty = false;
  Format format = Format::kText;
  int verbosity = 0;       // -1 quiet, 0 normal, 1 requests, 2 attributes
  bool timestamp = false;  // -ts
  std::optional<std::string> batch;  // -b FILE ("-" stdin)
  bool force = false;                // -force: batch goes on after errors

  Command cmd = Command::kDevShow;
  std::optional<std::string> dev;  // dev show DEV, queue show dev, port set dev
  bool unbind = false;             // port set ... dev none
  std::optional<uint32_t> port;    // port show/set PORT, queue show port
  std::optional<uint32_t> ctrl;    // queue show/set ctrl CTRL
  std::optional<uint32_t> qid;     // queue set ctrl CTRL qid QID
  std::optional<uint32_t> queue;   // queue show/set QUEUE (queue id)
  std::optional<nvo::Policy> offload;
  std::optional<StatsTarget> target;  // stats; nullopt: devices / everything
  std::optional<double> watch;        // seconds
  bool delta = false;
  bool rate = false;              // per second over the measured interval
  std::optional<uint32_t> count;  // outputs (stats watch, monitor)
  EventFilter events;             // monitor
  std::string file;               // config save|restore; "-" stdio
  bool dry_run = false;
  std::optional<double> wait;  // config restore wait SECONDS
};

// Parses argv. Returns nullopt when the command (or the batch, opts.batch)
// is to be run, or the exit code: 0 after help/version (printed on out), 1
// for a usage error ("nicctl: error: ..." on err).
std::optional<int> ParseArgs(int argc, const char* const* argv, Options& opts,
                             std::ostream& out, std::ostream& err);

// One command's words (OBJECT [VERB] [ARGS]), the global options already in
// opts: a batch line. Same return as ParseArgs.
std::optional<int> ParseCommand(const std::vector<std::string>& words,
                                Options& opts, std::ostream& out,
                                std::ostream& err);

// A batch line split into words: blanks separate, "..." and '...' quote,
// # starts a comment. Throws std::invalid_argument for an open quote.
std::vector<std::string> SplitLine(const std::string& line);

// Whole decimal numbers only ("010" is 10, "0x10" an error); nullopt
// otherwise.
std::optional<uint32_t> ParseDecimal(const std::string& s);

}  // namespace nicctl

#endif  // NICCTL_CLI_H_
