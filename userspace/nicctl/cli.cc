// SPDX-License-Identifier: GPL-2.0
// nicctl's command line, in the iproute2 style: global options anywhere,
// then OBJECT [VERB] [KEYWORD VALUE]..., every object, verb and keyword
// abbreviable to an unambiguous prefix. A hand-written parser rather than
// CLI11: CLI11 has no prefix matching of positional keywords, no "help"
// verb, no batch mode and no single-dash long options (-ts, -force).
#include "cli.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nicctl {
namespace {

class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

[[noreturn]] void Usage(const std::string& msg) { throw UsageError(msg); }

constexpr const char* kMainUsage =
    R"(Usage: nicctl [OPTIONS] OBJECT { COMMAND | help }
       nicctl [OPTIONS] -b FILE
       nicctl help [ OBJECT ]
where  OBJECT := { dev | port | queue | ns-table | stats | monitor | config }
       OPTIONS := { -j[son] | -p[retty] | -o { text | json | prometheus } |
                    -v[erbose] (-vv: attributes) | -q[uiet] | -ts[imestamp] |
                    -b[atch] FILE | -force | -V[ersion] | -h[elp] }
Objects, commands and keywords may be abbreviated ("nicctl dev sh").

Examples:
  nicctl dev show                      offload devices and capabilities
  nicctl port show                     ports, their offload policy, device
  nicctl port set 1 offload on dev nic0
  nicctl queue show port 1             queues of port 1 and where they run
  nicctl queue set 7 offload off       reclaim queue 7 (an id of queue show)
  nicctl queue set ctrl 3 offload on   offload every I/O queue of ctrl 3
  nicctl ns-table show dev nic0        namespaces the shim pushed to nic0
  nicctl stats show queue dev nic0     every queue on nic0 (filtered in the kernel)
  nicctl stats show dev nic0 watch 1 rate
  nicctl -o prometheus stats show      node_exporter textfile format
  nicctl -ts monitor event queue port 1
  nicctl config save && nicctl config restore wait 30

Exit status: 0 ok, 1 usage error, 2 the kernel refused (its message is
printed), 3 the nvmet_offload module is not loaded.
See nicctl(8).
)";

constexpr const char* kDevUsage = R"(Usage: nicctl dev [ show [ [ dev ] DEV ] ]
where  DEV := a device id (decimal) or name
)";

constexpr const char* kPortUsage = R"(Usage: nicctl port [ show [ PORT ] ]
       nicctl port set PORT [ offload { on | off } ] [ dev { DEV | none } ]
where  PORT := an nvmet port id (decimal); DEV := a device id or name
)";

constexpr const char* kQueueUsage =
    R"(Usage: nicctl queue [ show [ QUEUE ] [ port PORT ] [ ctrl CTRL ] [ dev DEV ] ]
       nicctl queue set { QUEUE | ctrl CTRL [ qid QID ] } offload { on | off }
where  QUEUE := a queue id, as queue show prints it; CTRL := a controller id;
       QID := the queue's number within its controller (1 and up)
       --port, --ctrl, --dev: the same as the keywords
)";

constexpr const char* kNsTableUsage =
    R"(Usage: nicctl ns-table [ show [ [ dev ] DEV ] ]
where  DEV := a device id (decimal) or name
       One row per namespace of each table the shim pushed to a device
       (per device and subsystem): its size, flags and whether the device
       has it (in-device), refused it (table full; its commands are
       punted), is removing it, or failed it (its back end for the
       namespace failed: punted until the namespace is enabled again).
)";

constexpr const char* kStatsUsage =
    R"(Usage: nicctl stats [ show [ TARGET ] [ watch SECS ] [ delta | rate ] [ count N ] ]
       nicctl stats reset [ TARGET ]
where  TARGET := { dev DEV | port PORT | ns PORT/NSID | queue QUEUE |
                   SCOPE [ dev DEV ] [ port PORT ] }
       SCOPE := { dev | port | ns | queue }: every object of the scope,
                narrowed in the kernel to a device or a port
       delta: counts over each interval; rate: per second over the
              measured interval; --watch, --delta, --count: the same
       -o prometheus: node_exporter textfile format
)";

constexpr const char* kMonitorUsage =
    R"(Usage: nicctl monitor [ event TYPE[,TYPE...] ] [ dev DEV ] [ port PORT ]
                      [ queue QUEUE ] [ ctrl CTRL ] [ count N ]
where  TYPE := { all | dev | queue | port | dev-add | dev-del | dev-failed |
                 queue-offloaded | queue-reclaimed | queue-fallback |
                 port-policy-changed }
       -ts: date and milliseconds on each event; --count: the same as count
)";

constexpr const char* kConfigUsage =
    R"(Usage: nicctl config save [ FILE ]
       nicctl config restore [ FILE ] [ dry-run ] [ wait SECS ]
where  FILE := a JSON file, - for standard output or input
       (default /etc/nvmet-offload.json)
       wait SECS: retry for up to SECS seconds while a port or device of
       the file is missing; --dry-run, --wait: the same as the keywords
)";

struct Object {
  const char* name;
  const char* usage;
};
constexpr std::array<Object, 7> kObjects = {{
    {"dev", kDevUsage},
    {"port", kPortUsage},
    {"queue", kQueueUsage},
    {"ns-table", kNsTableUsage},
    {"stats", kStatsUsage},
    {"monitor", kMonitorUsage},
    {"config", kConfigUsage},
}};

std::string JoinNames(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    s += (s.empty() ? "" : ", ") + x;
  }
  return s;
}

// The candidate a word names: itself, or the only candidate it is a prefix
// of. nullopt when none; UsageError when several.
std::optional<std::string> Match(const std::string& w,
                                 const std::vector<std::string>& cands) {
  if (w.empty()) {
    return std::nullopt;
  }
  std::vector<std::string> hits;
  for (const auto& c : cands) {
    if (c == w) {
      return c;
    }
    if (c.compare(0, w.size(), w) == 0) {
      hits.push_back(c);
    }
  }
  if (hits.size() > 1) {
    Usage("\"" + w + "\" is ambiguous: " + JoinNames(hits));
  }
  if (hits.empty()) {
    return std::nullopt;
  }
  return hits[0];
}

uint32_t ParseU32(const std::string& s, const std::string& what) {
  const auto v = ParseDecimal(s);
  if (!v) {
    Usage(what + ": not a decimal number: " + s);
  }
  return *v;
}

double ParseSeconds(const std::string& s, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || *end != '\0' || errno != 0 ||
      !std::isfinite(v) || v <= 0 || v > 86400) {
    Usage(what + ": expected seconds, more than 0 and at most 86400 (e.g. " +
          "0.5), got " + s);
  }
  return v;
}

uint32_t ParseCount(const std::string& s) {
  const auto v = ParseDecimal(s);
  if (!v || *v == 0) {
    Usage("count: expected a whole number from 1 to 4294967295, got " + s);
  }
  return *v;
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

// The words of one command after its verb, keyword by keyword. "--x" and
// "--x=V" are the keyword x (aliases of the older options).
class Words {
 public:
  Words(std::vector<std::string> w, std::string cmd) : cmd_(std::move(cmd)) {
    for (auto& s : w) {
      const auto eq = s.find('=');
      if (s.rfind("--", 0) == 0 && s.size() > 2 && eq != std::string::npos) {
        w_.push_back(s.substr(0, eq));
        w_.push_back(s.substr(eq + 1));
      } else {
        w_.push_back(std::move(s));
      }
    }
  }
  bool done() const { return i_ >= w_.size(); }
  const std::string& peek() const { return w_[i_]; }
  std::string next() { return w_[i_++]; }
  // The value after keyword kw.
  std::string value(const std::string& kw) {
    if (done()) {
      Usage(cmd_ + ": " + kw + " needs a value");
    }
    return next();
  }
  // The keyword the next word names (prefixes allowed, "--name" only
  // exactly), or nullopt when it names none (and is not an option).
  std::optional<std::string> keyword(const std::vector<std::string>& kws) {
    const std::string& w = peek();
    if (w.rfind("--", 0) == 0) {
      const std::string k = w.substr(2);
      for (const auto& c : kws) {
        if (c == k) {
          i_++;
          return c;
        }
      }
      Usage(cmd_ + ": unknown option " + w);
    }
    auto m = Match(w, kws);
    if (m) {
      i_++;
    }
    return m;
  }
  [[noreturn]] void Unexpected() const {
    Usage(cmd_ + ": unexpected \"" + peek() + "\"");
  }
  [[noreturn]] void Duplicate(const std::string& kw) const {
    Usage(cmd_ + ": " + kw + " given twice");
  }
  const std::string& cmd() const { return cmd_; }

 private:
  std::vector<std::string> w_;
  size_t i_ = 0;
  std::string cmd_;
};

// The long options ParseArgs knows itself.
bool IsGlobal(const std::string& a) {
  for (const char* g :
       {"--", "--json", "--pretty", "--quiet", "--verbose", "--timestamp",
        "--force", "--batch", "--output", "--version", "--help"}) {
    if (a == g) {
      return true;
    }
  }
  return a.rfind("--output=", 0) == 0;
}

bool IsHelp(const std::string& w) {
  return w == "help" || w == "-h" || w == "--help" || w == "-help";
}

void ParseDevShow(Words& w, Options& o) {
  while (!w.done()) {
    if (w.peek() == "dev" && !o.dev) {
      w.next();
      o.dev = w.value("dev");
    } else if (!o.dev && w.peek().rfind("--", 0) != 0) {
      o.dev = w.next();
    } else {
      w.Unexpected();
    }
  }
}

void ParsePortShow(Words& w, Options& o) {
  if (!w.done()) {
    o.port = ParseU32(w.next(), "port");
  }
  if (!w.done()) {
    w.Unexpected();
  }
}

// PORT [offload on|off] [dev DEV|none]
void ParsePortSet(Words& w, Options& o) {
  if (w.done()) {
    Usage("port set: which port?");
  }
  o.port = ParseU32(w.next(), "port");
  while (!w.done()) {
    const auto kw = w.keyword({"offload", "dev"});
    if (!kw) {
      w.Unexpected();
    }
    if (*kw == "offload") {
      if (o.offload) {
        w.Duplicate(*kw);
      }
      o.offload = ParseOnOff(w.value(*kw));
    } else {
      if (o.dev || o.unbind) {
        w.Duplicate(*kw);
      }
      const std::string v = w.value(*kw);
      if (v == "none") {
        o.unbind = true;
      } else {
        o.dev = v;
      }
    }
  }
  if (!o.offload && !o.dev && !o.unbind) {
    Usage("port set: nothing to set (offload on|off, dev DEV|none)");
  }
}

// [QUEUE] [port P] [ctrl C] [dev D]
void ParseQueueShow(Words& w, Options& o) {
  while (!w.done()) {
    if (!o.queue && ParseDecimal(w.peek())) {
      o.queue = *ParseDecimal(w.next());
      continue;
    }
    const auto kw = w.keyword({"port", "ctrl", "dev"});
    if (!kw) {
      w.Unexpected();
    }
    if (*kw == "port") {
      if (o.port) {
        w.Duplicate(*kw);
      }
      o.port = ParseU32(w.value(*kw), "port");
    } else if (*kw == "ctrl") {
      if (o.ctrl) {
        w.Duplicate(*kw);
      }
      o.ctrl = ParseU32(w.value(*kw), "ctrl");
    } else {
      if (o.dev) {
        w.Duplicate(*kw);
      }
      o.dev = w.value(*kw);
    }
  }
  if (o.queue && (o.port || o.ctrl || o.dev)) {
    Usage("queue show: a queue id, or filters, not both");
  }
}

// { QUEUE | ctrl CTRL [qid QID] | CTRL/QID } offload on|off
void ParseQueueSet(Words& w, Options& o) {
  if (w.done()) {
    Usage("queue set: which queue? (QUEUE, or ctrl CTRL [qid QID])");
  }
  const std::string first = w.peek();
  const auto slash = first.find('/');
  if (slash != std::string::npos) {
    // CTRL/QID: the older form, kept as an alias of ctrl CTRL qid QID.
    w.next();
    o.ctrl = ParseU32(first.substr(0, slash), "ctrl");
    o.qid = ParseU32(first.substr(slash + 1), "qid");
  } else if (ParseDecimal(first)) {
    w.next();
    o.queue = ParseDecimal(first);
  }
  while (!w.done()) {
    const auto kw = w.keyword({"ctrl", "qid", "offload"});
    if (!kw) {
      w.Unexpected();
    }
    if (*kw == "offload") {
      if (o.offload) {
        w.Duplicate(*kw);
      }
      o.offload = ParseOnOff(w.value(*kw));
    } else if (*kw == "ctrl") {
      if (o.ctrl || o.queue) {
        w.Duplicate("the queue");
      }
      o.ctrl = ParseU32(w.value(*kw), "ctrl");
    } else {
      if (o.qid || o.queue) {
        w.Duplicate("the queue");
      }
      o.qid = ParseU32(w.value(*kw), "qid");
    }
  }
  if (o.qid && !o.ctrl) {
    Usage("queue set: qid needs ctrl CTRL (or use the queue id)");
  }
  if (o.qid && *o.qid == 0) {
    Usage("queue set: qid 0 is the admin queue; it stays in software");
  }
  if (!o.queue && !o.ctrl) {
    Usage("queue set: which queue? (QUEUE, or ctrl CTRL [qid QID])");
  }
  if (!o.offload) {
    Usage("queue set: offload on|off is required");
  }
}

constexpr std::array<const char*, 4> kScopes = {"dev", "port", "ns", "queue"};

// [SCOPE [ID] [dev D] [port P]] then, for show, [watch S] [delta|rate]
// [count N].
void ParseStats(Words& w, Options& o, bool show) {
  std::vector<std::string> kws(kScopes.begin(), kScopes.end());
  std::vector<std::string> opts;
  if (show) {
    opts = {"watch", "delta", "rate", "count"};
    kws.insert(kws.end(), opts.begin(), opts.end());
  }
  double watch = 0;
  while (!w.done()) {
    const auto kw = w.keyword(o.target ? opts : kws);
    if (!kw && o.target && o.target->all) {
      // after SCOPE alone: the kernel-side filters
      const auto f = w.keyword({"dev", "port"});
      if (!f) {
        w.Unexpected();
      }
      if (*f == "dev") {
        if (o.target->filter_dev) {
          w.Duplicate(*f);
        }
        o.target->filter_dev = w.value(*f);
      } else {
        if (o.target->filter_port) {
          w.Duplicate(*f);
        }
        o.target->filter_port = ParseU32(w.value(*f), "port");
      }
      continue;
    }
    if (!kw) {
      w.Unexpected();
    }
    if (*kw == "watch") {
      if (watch > 0) {
        w.Duplicate(*kw);
      }
      watch = ParseSeconds(w.value(*kw), "watch");
      o.watch = watch;
    } else if (*kw == "delta") {
      o.delta = true;
    } else if (*kw == "rate") {
      o.rate = true;
    } else if (*kw == "count") {
      o.count = ParseCount(w.value(*kw));
    } else {
      StatsTarget t;
      t.scope = *kw == "dev"    ? nvo::Scope::kDevice
                : *kw == "port" ? nvo::Scope::kPort
                : *kw == "ns"   ? nvo::Scope::kNamespace
                                : nvo::Scope::kQueue;
      // The id, unless the next word is (a prefix of) a keyword.
      bool has_id = !w.done() && w.peek().rfind("--", 0) != 0;
      if (has_id && !ParseDecimal(w.peek())) {
        std::vector<std::string> after = {"dev", "port"};
        after.insert(after.end(), opts.begin(), opts.end());
        for (const auto& k : after) {
          if (k.compare(0, w.peek().size(), w.peek()) == 0) {
            has_id = false;
          }
        }
      }
      if (!has_id) {
        if (!show) {
          Usage(w.cmd() + ": " + *kw + ": which one?");
        }
        t.all = true;
      } else {
        const std::string id = w.next();
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
      }
      o.target = t;
    }
  }
  if (o.delta && o.rate) {
    Usage("stats show: delta or rate, not both");
  }
}

std::vector<nvo::EventType> ParseEventTypes(const std::string& list) {
  using T = nvo::EventType;
  std::vector<T> out;
  size_t start = 0;
  for (;;) {
    const auto comma = list.find(',', start);
    const std::string name = list.substr(start, comma - start);
    const auto m =
        Match(name, {"all", "dev", "queue", "port", "dev-add", "dev-del",
                     "dev-failed", "queue-offloaded", "queue-reclaimed",
                     "queue-fallback", "port-policy-changed"});
    if (!m) {
      Usage("monitor: unknown event type " + name);
    }
    if (*m == "all") {
      out.insert(out.end(), {T::kDevAdd, T::kDevDel, T::kDevFailed,
                             T::kQueueOffloaded, T::kQueueReclaimed,
                             T::kQueueFallback, T::kPortPolicyChanged});
    } else if (*m == "dev") {
      out.insert(out.end(), {T::kDevAdd, T::kDevDel, T::kDevFailed});
    } else if (*m == "queue") {
      out.insert(out.end(),
                 {T::kQueueOffloaded, T::kQueueReclaimed, T::kQueueFallback});
    } else if (*m == "port") {
      out.push_back(T::kPortPolicyChanged);
    } else {
      for (const T t :
           {T::kDevAdd, T::kDevDel, T::kDevFailed, T::kQueueOffloaded,
            T::kQueueReclaimed, T::kQueueFallback, T::kPortPolicyChanged}) {
        if (nvo::ToString(t) == *m) {
          out.push_back(t);
        }
      }
    }
    if (comma == std::string::npos) {
      return out;
    }
    start = comma + 1;
  }
}

void ParseMonitor(Words& w, Options& o) {
  auto& f = o.events;
  while (!w.done()) {
    const auto kw =
        w.keyword({"event", "dev", "port", "queue", "ctrl", "count"});
    if (!kw) {
      w.Unexpected();
    }
    const std::string v = w.value(*kw);
    if (*kw == "event") {
      const auto t = ParseEventTypes(v);
      f.types.insert(f.types.end(), t.begin(), t.end());
    } else if (*kw == "dev") {
      f.dev = v;
    } else if (*kw == "port") {
      f.port = ParseU32(v, "port");
    } else if (*kw == "queue") {
      f.queue = ParseU32(v, "queue");
    } else if (*kw == "ctrl") {
      f.ctrl = ParseU32(v, "ctrl");
    } else {
      o.count = ParseCount(v);
    }
  }
}

void ParseConfig(Words& w, Options& o, bool restore) {
  bool have_file = false;
  while (!w.done()) {
    const std::string& p = w.peek();
    std::optional<std::string> kw;
    if (restore && (p.rfind("--", 0) == 0 || !have_file || p == "dry-run" ||
                    p == "wait")) {
      if (p.rfind("--", 0) == 0 || p == "dry-run" || p == "wait") {
        kw = w.keyword({"dry-run", "wait"});
      }
    } else if (p.rfind("--", 0) == 0) {
      Usage(w.cmd() + ": unknown option " + p);
    }
    if (kw && *kw == "dry-run") {
      o.dry_run = true;
    } else if (kw) {
      o.wait = ParseSeconds(w.value(*kw), "wait");
    } else if (!have_file) {
      o.file = w.next();
      have_file = true;
    } else {
      w.Unexpected();
    }
  }
  if (!have_file) {
    o.file = kDefaultConfig;
  }
}

std::vector<std::string> ObjectNames() {
  std::vector<std::string> names;
  names.reserve(kObjects.size() + 1);
  for (const auto& ob : kObjects) {
    names.emplace_back(ob.name);
  }
  return names;
}

// Whether a word may start the arguments of OBJECT show, the verb left out
// ("nicctl queue port 1", "nicctl stats dev nic0").
bool ShowKeyword(const std::string& obj, const std::string& w) {
  if (obj == "queue") {
    return ParseDecimal(w).has_value() ||
           Match(w, {"port", "ctrl", "dev"}).has_value();
  }
  if (obj == "ns-table") {
    return Match(w, {"dev"}).has_value();
  }
  if (obj == "stats") {
    return Match(w, {"dev", "port", "ns", "queue", "watch", "delta", "rate",
                     "count"})
        .has_value();
  }
  return false;
}

// The usage of the object a word names, the main usage otherwise.
const char* UsageOf(const std::string& w) {
  try {
    if (const auto m = Match(w, ObjectNames())) {
      for (const auto& ob : kObjects) {
        if (*m == ob.name) {
          return ob.usage;
        }
      }
    }
  } catch (const UsageError&) {
  }
  return kMainUsage;
}

std::optional<int> Fail(std::ostream& err, const std::string& msg) {
  err << "nicctl: error: " << msg << "\n";
  return 1;
}

std::optional<int> ParseCommandOrThrow(const std::vector<std::string>& words,
                                       Options& o, std::ostream& out) {
  if (words.empty()) {
    Usage("no command given; try \"nicctl help\"");
  }
  if (IsHelp(words[0])) {
    out << UsageOf(words.size() > 1 ? words[1] : "");
    return 0;
  }
  std::vector<std::string> names = ObjectNames();
  names.emplace_back("help");
  if (words[0].rfind('-', 0) == 0 && words[0] != "-") {
    Usage("unknown option " + words[0] + "; try \"nicctl help\"");
  }
  const auto obj = Match(words[0], names);
  if (!obj) {
    Usage("unknown command \"" + words[0] + R"("; try "nicctl help")");
  }
  const char* usage = UsageOf(*obj);
  for (const auto& w : words) {
    if (w == "-h" || w == "--help" || w == "-help") {
      out << usage;
      return 0;
    }
  }
  std::vector<std::string> verbs;
  if (*obj == "dev" || *obj == "ns-table") {
    verbs = {"show", "list"};
  } else if (*obj == "port" || *obj == "queue") {
    verbs = {"show", "list", "set"};
  } else if (*obj == "stats") {
    verbs = {"show", "list", "reset"};
  } else if (*obj == "config") {
    verbs = {"save", "restore"};
  }
  verbs.emplace_back("help");
  std::string verb;
  size_t rest = 1;
  if (*obj != "monitor" && words.size() > 1) {
    if (const auto v = Match(words[1], verbs)) {
      verb = *v == "list" ? "show" : *v;
      rest = 2;
    } else if (*obj != "config" && words[1].rfind("--", 0) != 0 &&
               !ShowKeyword(*obj, words[1])) {
      Usage("unknown command \"" + words[1] + "\" of " + *obj +
            "; try \"nicctl " + *obj + " help\"");
    }
  } else if (*obj == "monitor" && words.size() > 1 && words[1] == "help") {
    verb = "help";
  }
  if (verb == "help") {
    out << usage;
    return 0;
  }
  if (*obj == "config" && verb.empty()) {
    Usage(words.size() > 1 ? "unknown command \"" + words[1] +
                                 R"(" of config; try "nicctl config help")"
                           : "config: save or restore?");
  }
  if (verb.empty() && *obj != "monitor") {
    verb = "show";  // "nicctl queue port 1" as "nicctl queue show port 1"
  }
  Words w({words.begin() + static_cast<std::ptrdiff_t>(rest), words.end()},
          *obj + (verb.empty() ? "" : " " + verb));
  if (*obj == "dev") {
    o.cmd = Command::kDevShow;
    ParseDevShow(w, o);
  } else if (*obj == "ns-table") {
    o.cmd = Command::kNsTableShow;
    ParseDevShow(w, o);
  } else if (*obj == "port") {
    if (verb == "set") {
      o.cmd = Command::kPortSet;
      ParsePortSet(w, o);
    } else {
      o.cmd = Command::kPortShow;
      ParsePortShow(w, o);
    }
  } else if (*obj == "queue") {
    if (verb == "set") {
      o.cmd = Command::kQueueSet;
      ParseQueueSet(w, o);
    } else {
      o.cmd = Command::kQueueShow;
      ParseQueueShow(w, o);
    }
  } else if (*obj == "stats") {
    o.cmd = verb == "reset" ? Command::kStatsReset : Command::kStatsShow;
    ParseStats(w, o, verb != "reset");
  } else if (*obj == "monitor") {
    o.cmd = Command::kMonitor;
    ParseMonitor(w, o);
  } else {
    o.cmd = verb == "save" ? Command::kConfigSave : Command::kConfigRestore;
    ParseConfig(w, o, verb == "restore");
  }
  if (o.format == Format::kPrometheus && o.cmd != Command::kStatsShow) {
    Usage("-o prometheus is for stats show only");
  }
  if (o.format == Format::kPrometheus && (o.watch || o.delta || o.rate)) {
    Usage("-o prometheus prints totals: no watch, delta or rate");
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint32_t> ParseDecimal(const std::string& s) {
  if (s.empty() || s.size() > 10 ||
      s.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  if (v > UINT32_MAX) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

std::vector<std::string> SplitLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (const char c : line) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        cur += c;
      }
      continue;
    }
    if (c == '#' && !in_word) {
      break;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) {
        out.push_back(cur);
        cur.clear();
        in_word = false;
      }
      continue;
    }
    in_word = true;
    if (c == '"' || c == '\'') {
      quote = c;
    } else {
      cur += c;
    }
  }
  if (quote != 0) {
    throw std::invalid_argument("unterminated quote");
  }
  if (in_word) {
    out.push_back(cur);
  }
  return out;
}

std::optional<int> ParseCommand(const std::vector<std::string>& words,
                                Options& opts, std::ostream& out,
                                std::ostream& err) {
  Options o = opts;
  try {
    if (auto rc = ParseCommandOrThrow(words, o, out)) {
      return rc;
    }
  } catch (const UsageError& e) {
    return Fail(err, e.what());
  }
  opts = o;
  return std::nullopt;
}

std::optional<int> ParseArgs(int argc, const char* const* argv, Options& opts,
                             std::ostream& out, std::ostream& err) {
  Options o;
  std::vector<std::string> words;
  bool quiet = false;
  bool help = false;
  bool rest_words = false;
  try {
    for (int i = 1; i < argc; i++) {
      const std::string a = argv[i];
      const auto value = [&](const std::string& opt) {
        if (i + 1 >= argc) {
          Usage("option " + opt + " needs a value");
        }
        return std::string(argv[++i]);
      };
      // Words: the command's, a negative number (for its message), and the
      // options of a command (--watch), known or not, after its object.
      if (rest_words || a.size() < 2 || a[0] != '-' ||
          std::isdigit(static_cast<unsigned char>(a[1])) != 0 ||
          (a.rfind("--", 0) == 0 && a.size() > 2 && !words.empty() &&
           !IsGlobal(a))) {
        words.push_back(a);
      } else if (a == "--") {
        rest_words = true;
      } else if (a == "-j" || a == "-json" || a == "--json") {
        o.json = true;
      } else if (a == "-p" || a == "-pretty" || a == "--pretty") {
        o.pretty = true;
      } else if (a == "-q" || a == "-quiet" || a == "--quiet") {
        quiet = true;
      } else if (a == "-verbose" || a == "--verbose") {
        o.verbosity++;
      } else if (a.size() >= 2 && a[1] != '-' &&
                 a.find_first_not_of("jpvq", 1) == std::string::npos) {
        // bundled short flags: -vv, -jp
        for (size_t k = 1; k < a.size(); k++) {
          switch (a[k]) {
            case 'j':
              o.json = true;
              break;
            case 'p':
              o.pretty = true;
              break;
            case 'q':
              quiet = true;
              break;
            default:
              o.verbosity++;
              break;
          }
        }
      } else if (a == "-ts" || a == "-timestamp" || a == "--timestamp") {
        o.timestamp = true;
      } else if (a == "-force" || a == "--force") {
        o.force = true;
      } else if (a == "-b" || a == "-batch" || a == "--batch") {
        o.batch = value(a);
      } else if (a == "-o" || a == "--output" || a.rfind("--output=", 0) == 0) {
        const std::string f = a[1] == 'o' ? value(a) : a.substr(9);
        const auto m = Match(f, {"text", "json", "prometheus"});
        if (!m) {
          Usage("-o: expected text, json or prometheus, got " + f);
        }
        o.format = *m == "text"   ? Format::kText
                   : *m == "json" ? Format::kJson
                                  : Format::kPrometheus;
      } else if (a == "-V" || a == "-Version" || a == "--version") {
        out << "nicctl " << kVersion << "\n";
        return 0;
      } else if (a == "-h" || a == "-help" || a == "--help") {
        help = true;
      } else {
        Usage("unknown option " + a + "; try \"nicctl help\"");
      }
    }
    if (quiet && o.verbosity > 0) {
      Usage("-q and -v together");
    }
    if (quiet) {
      o.verbosity = -1;
    }
    if (o.pretty || o.format == Format::kJson) {
      o.json = true;
    }
    if (o.json && o.format == Format::kText) {
      o.format = Format::kJson;
    }
    if (help) {
      out << (words.empty() ? kMainUsage : UsageOf(words[0]));
      return 0;
    }
    if (o.batch) {
      if (!words.empty()) {
        Usage(
            "-b FILE: the commands are in the file, not on the command "
            "line (\"" +
            words[0] + "\")");
      }
      opts = o;
      return std::nullopt;
    }
  } catch (const UsageError& e) {
    return Fail(err, e.what());
  }
  if (auto rc = ParseCommand(words, o, out, err)) {
    return rc;
  }
  opts = o;
  return std::nullopt;
}

}  // namespace nicctl
