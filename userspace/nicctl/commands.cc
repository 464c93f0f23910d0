// SPDX-License-Identifier: GPL-2.0
#include "commands.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "config.h"
#include "nvo/error.h"
#include "output.h"
#include "verbose_api.h"

namespace nicctl {
namespace {

std::optional<uint32_t> AsNumber(const std::string& s) {
  return ParseDecimal(s);
}

std::string KeyOf(const nvo::StatsSelector& k) {
  const auto v = [](const std::optional<uint32_t>& x) {
    return x ? std::to_string(*x) : std::string("-");
  };
  return nvo::ToString(k.scope) + "/" + v(k.dev_id) + "/" + v(k.port_id) + "/" +
         v(k.nsid) + "/" + v(k.queue_id) + "/" + k.subsysnqn.value_or("");
}

std::string Seconds(double s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

// Counts per second over seconds, rounded to the nearest whole count.
nvo::Counters PerSecond(const nvo::Counters& c, double seconds) {
  const auto per = [seconds](uint64_t v) {
    return static_cast<uint64_t>(
        std::llround(static_cast<double>(v) / seconds));
  };
  nvo::Counters r;
#define NVO_COUNTER(field, attr) r.field = per(c.field);
  NVO_FOR_EACH_COUNTER(NVO_COUNTER)
#undef NVO_COUNTER
  for (const uint64_t n : c.lat_hist) {
    r.lat_hist.push_back(per(n));
  }
  for (const auto& [op, n] : c.punted_by_opcode) {
    r.punted_by_opcode[op] = per(n);
  }
  return r;
}

class Runner {
 public:
  Runner(const Options& o, Context& ctx, spdlog::logger& log,
         std::unique_ptr<nvo::Api>& api)
      : o_(o), ctx_(ctx), out_(*ctx.out), log_(log), api_(api) {}

  void Run() {
    switch (o_.cmd) {
      case Command::kDevShow:
        DevShow();
        break;
      case Command::kPortShow:
        PortShow();
        break;
      case Command::kPortSet:
        PortSet();
        break;
      case Command::kQueueShow:
        QueueShow();
        break;
      case Command::kQueueSet:
        QueueSet();
        break;
      case Command::kNsTableShow:
        NsTableShow();
        break;
      case Command::kStatsShow:
        StatsShow();
        break;
      case Command::kStatsReset:
        StatsReset();
        break;
      case Command::kMonitor:
        Monitor();
        break;
      case Command::kConfigSave:
        ConfigSave();
        break;
      case Command::kConfigRestore:
        ConfigRestore();
        break;
    }
  }

 private:
  nvo::Api& api() {
    if (!api_) {
      log_.debug("opening generic netlink family {}", nvo::kFamilyName);
      api_ = ctx_.connect();
      if (o_.verbosity > 0) {
        api_ = MakeVerboseApi(std::move(api_), log_);
      }
    }
    return *api_;
  }

  void Emit(const Json& j) {
    out_ << (o_.pretty ? j.dump(2) : j.dump()) << "\n";
    out_.flush();
  }

  nvo::Device ResolveDev(const std::string& ref) {
    if (const auto id = AsNumber(ref)) {
      return api().GetDevice(id, "");
    }
    return api().GetDevice(std::nullopt, ref);
  }

  uint32_t ResolveDevId(const std::string& ref) {
    if (const auto id = AsNumber(ref)) {
      return *id;
    }
    return api().GetDevice(std::nullopt, ref).id;
  }

  DevNames Names() {
    DevNames names;
    for (const auto& d : api().Devices()) {
      names[d.id] = d.name;
    }
    return names;
  }

  void DevShow() {
    std::vector<nvo::Device> devs;
    if (o_.dev) {
      devs.push_back(ResolveDev(*o_.dev));
    } else {
      devs = api().Devices();
    }
    if (o_.json) {
      Json j = Json::array();
      for (const auto& d : devs) {
        j.push_back(ToJson(d));
      }
      Emit(j);
      return;
    }
    PrintDevices(out_, devs);
  }

  void PortShow() {
    std::vector<nvo::Port> ports;
    if (o_.port) {
      ports.push_back(api().GetPort(*o_.port));
    } else {
      ports = api().Ports();
    }
    if (o_.json) {
      Json j = Json::array();
      for (const auto& p : ports) {
        j.push_back(ToJson(p));
      }
      Emit(j);
      return;
    }
    PrintPorts(out_, ports);
  }

  void PortSet() {
    nvo::PortSet req;
    req.id = *o_.port;
    req.policy = o_.offload;
    std::string what = "port " + std::to_string(req.id) + ":";
    if (o_.offload) {
      what += " offload " + nvo::ToString(*o_.offload);
    }
    if (o_.unbind) {
      req.dev_id = 0;
      what += " dev none";
    } else if (o_.dev) {
      if (const auto id = AsNumber(*o_.dev)) {
        req.dev_id = *id;
      } else {
        req.dev_name = *o_.dev;
      }
      what += " dev " + *o_.dev;
    }
    log_.debug("port-set {}", what);
    api().SetPort(req);
    log_.info("{}", what);
  }

  void QueueShow() {
    std::vector<nvo::Queue> queues;
    if (o_.queue) {
      queues.push_back(api().GetQueue(*o_.queue));
    } else {
      nvo::QueueFilter f;
      f.port_id = o_.port;
      f.ctrl_id = o_.ctrl;
      if (o_.dev) {
        f.dev_id = ResolveDevId(*o_.dev);
      }
      queues = api().Queues(f);
    }
    DevNames names;
    for (const auto& q : queues) {
      if (q.dev_id) {
        names = Names();
        break;
      }
    }
    if (o_.json) {
      Json j = Json::array();
      for (const auto& q : queues) {
        j.push_back(ToJson(q, names));
      }
      Emit(j);
      return;
    }
    PrintQueues(out_, queues, names);
  }

  void NsTableShow() {
    std::optional<uint32_t> dev_id;
    if (o_.dev) {
      dev_id = ResolveDevId(*o_.dev);
    }
    const std::vector<nvo::NsTable> tables = api().NsTables(dev_id);
    // A failed device may be gone while its tables wait for their queues.
    const DevNames names = tables.empty() ? DevNames{} : Names();
    if (o_.json) {
      Json j = Json::array();
      for (const auto& t : tables) {
        j.push_back(ToJson(t, names));
      }
      Emit(j);
      return;
    }
    PrintNsTables(out_, tables, names);
  }

  void QueueSet() {
    nvo::QueueSet req;
    req.id = o_.queue;
    req.ctrl_id = o_.ctrl;
    req.qid = o_.qid;
    req.offload = *o_.offload;
    api().SetQueue(req);
    std::string what;
    if (o_.queue) {
      what = "queue " + std::to_string(*o_.queue);
    } else if (o_.qid) {
      what = "ctrl " + std::to_string(*o_.ctrl) + " qid " +
             std::to_string(*o_.qid);
    } else {
      what = "every I/O queue of ctrl " + std::to_string(*o_.ctrl);
    }
    log_.info("{}: offload {} requested (nicctl monitor shows the outcome)",
              what, nvo::ToString(req.offload));
  }

  // Device names are resolved again for every sample: devices come and go
  // while stats watch runs.
  nvo::StatsSelector Selector(const StatsTarget& t) {
    nvo::StatsSelector s;
    s.scope = t.scope;
    s.port_id = t.port;
    s.nsid = t.nsid;
    s.queue_id = t.queue;
    if (t.scope == nvo::Scope::kDevice) {
      s.dev_id = ResolveDevId(t.dev);
    }
    return s;
  }

  std::vector<nvo::Stats> Sample() {
    const auto& t = o_.target;
    if (t && !t->all) {
      return {api().GetStats(Selector(*t))};
    }
    if (!t && o_.format == Format::kPrometheus) {
      // An exporter wants everything but the queues (they come and go).
      std::vector<nvo::Stats> all;
      for (const auto sc :
           {nvo::Scope::kDevice, nvo::Scope::kPort, nvo::Scope::kNamespace}) {
        nvo::StatsFilter f;
        f.scope = sc;
        auto part = api().DumpStats(f);
        all.insert(all.end(), part.begin(), part.end());
      }
      return all;
    }
    // Narrowed in the kernel (the dump's dev-id and port-id filters).
    nvo::StatsFilter f;
    f.scope = t ? t->scope : nvo::Scope::kDevice;
    if (t && t->filter_dev) {
      f.dev_id = ResolveDevId(*t->filter_dev);
    }
    if (t) {
      f.port_id = t->filter_port;
    }
    return api().DumpStats(f);
  }

  void PrintSample(const std::vector<nvo::Stats>& all,
                   std::optional<double> interval, const DevNames& names) {
    if (o_.json) {
      Json j = Json::array();
      for (const auto& s : all) {
        j.push_back(ToJson(s, names, interval, o_.rate));
      }
      Emit(j);
      return;
    }
    if (o_.watch || interval) {
      out_ << "--- " << ctx_.now();
      if (interval) {
        out_ << (o_.rate ? ", per second over " : ", counts over ")
             << Seconds(*interval) << "s";
      }
      out_ << "\n";
    }
    const bool detail = o_.target && !o_.target->all;
    if (detail) {
      for (const auto& s : all) {
        PrintStatsDetail(out_, s, names);
      }
    } else {
      PrintStatsTable(out_, all, names);
    }
    out_.flush();
  }

  bool NeedNames() const {
    return !o_.target || o_.target->scope == nvo::Scope::kDevice ||
           o_.format == Format::kPrometheus;
  }

  void StatsShow() {
    const double interval = o_.watch.value_or(1.0);
    const bool diff = o_.delta || o_.rate;
    const uint32_t outputs = o_.count.value_or(o_.watch ? UINT32_MAX : 1);
    auto prev = Sample();
    double prev_t = ctx_.monotonic();
    DevNames names;
    if (NeedNames()) {
      names = Names();
    }
    if (o_.format == Format::kPrometheus) {
      PrintPrometheus(out_, prev, names);
      out_.flush();
      return;
    }
    uint32_t printed = 0;
    if (!diff) {
      PrintSample(prev, std::nullopt, names);
      printed++;
    }
    while (printed < outputs) {
      ctx_.sleep(interval);
      auto cur = Sample();
      const double now_t = ctx_.monotonic();
      if (NeedNames()) {
        names = Names();
      }
      if (diff) {
        // The measured interval, not the requested one: sleeps overrun and
        // requests take time.
        // (to the millisecond: what a clock and a sleep can promise)
        const double measured = now_t > prev_t
                                    ? std::round((now_t - prev_t) * 1000) / 1000
                                    : interval;
        std::map<std::string, const nvo::Stats*> before;
        for (const auto& s : prev) {
          before[KeyOf(s.key)] = &s;
        }
        std::vector<nvo::Stats> d;
        for (const auto& s : cur) {
          nvo::Stats x = s;
          const auto it = before.find(KeyOf(s.key));
          x.counters =
              nvo::Delta(s.counters, it == before.end() ? nvo::Counters{}
                                                        : it->second->counters);
          if (o_.rate) {
            x.counters = PerSecond(x.counters, measured);
          }
          d.push_back(std::move(x));
        }
        PrintSample(d, measured, names);
      } else {
        PrintSample(cur, std::nullopt, names);
      }
      printed++;
      prev = std::move(cur);
      prev_t = now_t;
    }
  }

  void StatsReset() {
    std::optional<nvo::StatsSelector> sel;
    if (o_.target) {
      sel = Selector(*o_.target);
    }
    api().ResetStats(sel);
    log_.info("counters of {} reset",
              sel ? StatsLabel(*sel, {}) : std::string("everything"));
  }

  bool Wanted(const nvo::Event& e, const DevNames& names) const {
    const EventFilter& f = o_.events;
    if (e.type == nvo::EventType::kLost) {
      return true;  // always said: the filter cannot know what was lost
    }
    if (!f.types.empty() &&
        std::find(f.types.begin(), f.types.end(), e.type) == f.types.end()) {
      return false;
    }
    std::optional<uint32_t> dev_id;
    std::optional<uint32_t> port_id;
    if (e.dev) {
      dev_id = e.dev->id;
    }
    if (e.queue) {
      dev_id = e.queue->dev_id;
      port_id = e.queue->port_id;
    }
    if (e.port) {
      dev_id = e.port->dev_id;
      port_id = e.port->id;
    }
    if (f.dev) {
      if (!dev_id) {
        return false;
      }
      const auto n = AsNumber(*f.dev);
      const auto it = names.find(*dev_id);
      const bool by_name = (it != names.end() && it->second == *f.dev) ||
                           (e.dev && e.dev->name == *f.dev);
      if (!(n ? *n == *dev_id : by_name)) {
        return false;
      }
    }
    if (f.port && port_id != f.port) {
      return false;
    }
    if (f.queue && (!e.queue || e.queue->id != *f.queue)) {
      return false;
    }
    if (f.ctrl && (!e.queue || e.queue->ctrl_id != *f.ctrl)) {
      return false;
    }
    return true;
  }

  void Monitor() {
    uint32_t n = 0;
    // Queue events name their device by id: keep the names, from a dump
    // now and from the device events that follow.
    DevNames names = Names();
    api().Monitor([&](const nvo::Event& e) {
      if (e.type == nvo::EventType::kDevAdd && e.dev) {
        names[e.dev->id] = e.dev->name;
      }
      const bool wanted = Wanted(e, names);
      if (wanted && o_.json) {
        Emit(ToJson(e, FormatTime(ctx_.epoch_ms(), true), names));
      } else if (wanted) {
        const std::string t =
            o_.timestamp ? FormatTime(ctx_.epoch_ms(), false) : ctx_.now();
        out_ << EventLine(e, t, names) << "\n";
        out_.flush();
      }
      if (e.type == nvo::EventType::kDevDel && e.dev) {
        names.erase(e.dev->id);
      }
      if (wanted) {
        n++;
      }
      return !(o_.count && n >= *o_.count);
    });
  }

  void ConfigSave() {
    const auto ports = api().Ports();
    const std::string text = SaveConfig(ports).dump(2) + "\n";
    if (o_.file == "-") {
      out_ << text;
      out_.flush();
    } else {
      WriteFileAtomic(o_.file, text);
    }
    log_.info("saved {} port{} to {}", ports.size(),
              ports.size() == 1 ? "" : "s",
              o_.file == "-" ? std::string("standard output") : o_.file);
  }

  void ConfigRestore() {
    std::string text;
    if (o_.file == "-") {
      std::ostringstream ss;
      ss << ctx_.in->rdbuf();
      text = ss.str();
    } else {
      std::ifstream f(o_.file);
      if (!f) {
        throw ConfigError("cannot read " + o_.file + ": " +
                          std::strerror(errno));
      }
      std::ostringstream ss;
      ss << f.rdbuf();
      text = ss.str();
    }
    Json doc;
    try {
      doc = Json::parse(text);
    } catch (const Json::parse_error& e) {
      throw ConfigError(o_.file + ": not JSON: " + e.what());
    }
    std::vector<PortConfig> want;
    try {
      want = LoadConfig(doc);
    } catch (const ConfigError& e) {
      throw ConfigError(o_.file + ": " + e.what());
    }
    const auto steps = Plan(want);
    Json changes = Json::array();
    size_t applied = 0;
    for (const auto& s : steps) {
      if (!o_.dry_run) {
        try {
          api().SetPort(s.req);
        } catch (const std::exception&) {
          ReportPartial(steps, applied);
          throw;
        }
        applied++;
        log_.info("{}", s.what);
      }
      Json c;
      c["port"] = s.req.id;
      c["offload"] =
          s.req.policy ? Json(nvo::ToString(*s.req.policy)) : Json(nullptr);
      c["dev"] = s.req.dev_name ? Json(*s.req.dev_name)
                                : (s.req.dev_id ? Json("none") : Json(nullptr));
      changes.push_back(c);
    }
    if (o_.json) {
      Emit({{"dry_run", o_.dry_run}, {"changes", changes}});
      return;
    }
    if (steps.empty()) {
      out_ << "nothing to change\n";
    }
    for (const auto& s : steps) {
      out_ << (o_.dry_run ? "would set " : "set ") << s.what << "\n";
    }
  }

  // The steps from now to the file's state. With wait SECS, a port or
  // device the file names and the kernel does not have yet (registering
  // late at boot) is waited for, re-reading the state every second.
  std::vector<Step> Plan(const std::vector<PortConfig>& want) {
    const double start = ctx_.monotonic();
    for (;;) {
      try {
        return PlanRestore(want, api().Ports(), api().Devices());
      } catch (const ConfigError& e) {
        const double waited = ctx_.monotonic() - start;
        if (!o_.wait || waited >= *o_.wait) {
          if (o_.wait) {
            throw ConfigError(std::string(e.what()) + " (waited " +
                              Seconds(waited) + "s)");
          }
          throw;
        }
        log_.debug("{}: waiting", e.what());
        ctx_.sleep(std::min(1.0, *o_.wait - waited));
      }
    }
  }

  // A restore that failed part way: what the kernel has now.
  void ReportPartial(const std::vector<Step>& steps, size_t applied) {
    log_.error("error: restore of {} failed after {} of {} change{}", o_.file,
               applied, steps.size(), steps.size() == 1 ? "" : "s");
    for (size_t i = 0; i < steps.size(); i++) {
      log_.error("  {} {}",
                 i < applied    ? "applied:    "
                 : i == applied ? "failed:     "
                                : "not applied:",
                 steps[i].what);
    }
  }

  const Options& o_;
  Context& ctx_;
  std::ostream& out_;
  spdlog::logger& log_;
  std::unique_ptr<nvo::Api>& api_;
};

std::string NowHms() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::array<char, 16> buf{};
  std::strftime(buf.data(), buf.size(), "%H:%M:%S", &tm);
  return buf.data();
}

// One command: runs it, prints its errors; returns the exit status.
int RunOne(const Options& o, Context& ctx, spdlog::logger& log,
           std::unique_ptr<nvo::Api>& api) {
  try {
    Runner(o, ctx, log, api).Run();
    return kExitOk;
  } catch (const nvo::FamilyNotFound& e) {
    log.error(
        "error: the nvmet_offload module is not loaded ({}); load it with "
        "'modprobe nvmet_offload' (or 'insmod nvmet_offload.ko')",
        e.what());
    return kExitNoModule;
  } catch (const nvo::NetlinkError& e) {
    log.error("error: kernel refused: {}", e.what());
    if (e.err() == EPERM) {
      log.error(
          "hint: every nvmet_offload request, and monitor, needs "
          "CAP_NET_ADMIN (run as root)");
    }
    return kExitKernel;
  } catch (const nvo::Error& e) {
    log.error("error: {}", e.what());
    return kExitKernel;
  } catch (const ConfigError& e) {
    log.error("error: {}", e.what());
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    log.error("error: {}", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    log.error("error: {}", e.what());
    return kExitKernel;
  }
}

// -b FILE: one command a line, the global options of the command line for
// each. Stops at the first failing line (its status), or with -force runs
// them all (the status of the last failure).
int RunBatch(const Options& globals, Context& ctx, spdlog::logger& log) {
  const std::string& name = *globals.batch;
  std::unique_ptr<std::istream> owned;
  std::istream* in = ctx.in;
  if (name != "-") {
    owned = ctx.open ? ctx.open(name) : nullptr;
    if (!owned || !*owned) {
      log.error("error: cannot read {}: {}", name, std::strerror(errno));
      return kExitUsage;
    }
    in = owned.get();
  }
  std::unique_ptr<nvo::Api> api;
  int status = kExitOk;
  std::string line;
  for (unsigned lineno = 1; std::getline(*in, line); lineno++) {
    const std::string where = name + ":" + std::to_string(lineno);
    std::vector<std::string> words;
    try {
      words = SplitLine(line);
    } catch (const std::invalid_argument& e) {
      log.error("error: {}: {}", where, e.what());
      status = kExitUsage;
      if (!globals.force) {
        return status;
      }
      continue;
    }
    if (words.empty()) {
      continue;
    }
    Options o = globals;
    o.batch.reset();
    std::ostringstream perr;
    int rc = kExitOk;
    if (const auto prc = ParseCommand(words, o, *ctx.out, perr)) {
      rc = *prc;
      std::string msg = perr.str();
      const std::string prefix = "nicctl: error: ";
      if (msg.rfind(prefix, 0) == 0) {
        msg.insert(prefix.size(), where + ": ");
      }
      *ctx.err << msg;
    } else {
      rc = RunOne(o, ctx, log, api);
      if (rc != kExitOk) {
        log.error("error: {}: command failed", where);
      }
    }
    if (rc != kExitOk) {
      status = rc;
      if (!globals.force) {
        return status;
      }
    }
  }
  return status;
}

}  // namespace

Context SystemContext() {
  Context ctx;
  ctx.connect = [] { return std::make_unique<nvo::Client>(); };
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.in = &std::cin;
  ctx.now = NowHms;
  ctx.sleep = [](double s) {
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
  };
  ctx.epoch_ms = [] {
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
  };
  ctx.monotonic = [] {
    return std::chrono::duration<double>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  ctx.open = [](const std::string& path) -> std::unique_ptr<std::istream> {
    return std::make_unique<std::ifstream>(path);
  };
  return ctx;
}

int Main(int argc, const char* const* argv, Context& ctx) {
  Options o;
  if (const auto rc = ParseArgs(argc, argv, o, *ctx.out, *ctx.err)) {
    return *rc;
  }
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*ctx.err);
  spdlog::logger log("nicctl", sink);
  log.set_pattern("nicctl: %v");
  log.set_level(o.verbosity < 0    ? spdlog::level::err
                : o.verbosity == 0 ? spdlog::level::info
                : o.verbosity == 1 ? spdlog::level::debug
                                   : spdlog::level::trace);
  log.flush_on(spdlog::level::trace);
  if (o.batch) {
    return RunBatch(o, ctx, log);
  }
  std::unique_ptr<nvo::Api> api;
  return RunOne(o, ctx, log, api);
}

}  // namespace nicctl
