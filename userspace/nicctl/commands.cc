// SPDX-License-Identifier: GPL-2.0
#include "commands.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <chrono>
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

namespace nicctl {
namespace {

std::optional<uint32_t> AsNumber(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos ||
      s.size() > 10) {
    return std::nullopt;
  }
  const unsigned long long v = std::stoull(s);
  if (v > UINT32_MAX) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(v);
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

class Runner {
 public:
  Runner(const Options& o, Context& ctx, spdlog::logger& log)
      : o_(o), ctx_(ctx), out_(*ctx.out), log_(log) {}

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
    nvo::QueueFilter f;
    f.port_id = o_.port;
    f.ctrl_id = o_.ctrl;
    if (o_.dev) {
      f.dev_id = ResolveDevId(*o_.dev);
    }
    const auto queues = api().Queues(f);
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

  void QueueSet() {
    nvo::QueueSet req;
    req.ctrl_id = o_.ctrl;
    req.qid = o_.qid;
    req.offload = *o_.offload;
    api().SetQueue(req);
    const std::string what =
        o_.qid ? "controller " + std::to_string(*o_.ctrl) + " queue " +
                     std::to_string(*o_.qid)
               : "every I/O queue of controller " + std::to_string(*o_.ctrl);
    log_.info("{}: offload {} requested (nicctl monitor shows the outcome)",
              what, nvo::ToString(req.offload));
  }

  nvo::StatsSelector Selector(const StatsTarget& t) {
    nvo::StatsSelector s;
    s.scope = t.scope;
    s.port_id = t.port;
    s.nsid = t.nsid;
    s.queue_id = t.queue;
    if (t.scope == nvo::Scope::kDevice) {
      if (!dev_id_) {
        dev_id_ = ResolveDevId(t.dev);
      }
      s.dev_id = dev_id_;
    }
    return s;
  }

  std::vector<nvo::Stats> Sample() {
    const auto& t = o_.target;
    if (t && !t->all) {
      return {api().GetStats(Selector(*t))};
    }
    nvo::StatsFilter f;
    f.scope = t ? t->scope : nvo::Scope::kDevice;
    return api().DumpStats(f);
  }

  void PrintSample(const std::vector<nvo::Stats>& all,
                   std::optional<double> interval, const DevNames& names) {
    if (o_.json) {
      Json j = Json::array();
      for (const auto& s : all) {
        j.push_back(ToJson(s, names, interval));
      }
      Emit(j);
      return;
    }
    if (o_.watch || interval) {
      out_ << "--- " << ctx_.now();
      if (interval) {
        out_ << ", counts over " << Seconds(*interval) << "s";
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

  void StatsShow() {
    const double interval = o_.watch.value_or(1.0);
    const uint32_t outputs = o_.count.value_or(o_.watch ? UINT32_MAX : 1);
    auto prev = Sample();
    DevNames names;
    const bool need_names =
        !o_.target || o_.target->scope == nvo::Scope::kDevice;
    if (need_names) {
      names = Names();
    }
    uint32_t printed = 0;
    if (!o_.delta) {
      PrintSample(prev, std::nullopt, names);
      printed++;
    }
    while (printed < outputs) {
      ctx_.sleep(interval);
      auto cur = Sample();
      if (o_.delta) {
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
          d.push_back(std::move(x));
        }
        PrintSample(d, interval, names);
      } else {
        PrintSample(cur, std::nullopt, names);
      }
      printed++;
      prev = std::move(cur);
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

  void Monitor() {
    uint32_t n = 0;
    // Queue events name their device by id: keep the names, from a dump
    // now and from the device events that follow.
    DevNames names = Names();
    api().Monitor([&](const nvo::Event& e) {
      const std::string t = ctx_.now();
      if (e.type == nvo::EventType::kDevAdd && e.dev) {
        names[e.dev->id] = e.dev->name;
      }
      if (o_.json) {
        Emit(ToJson(e, t, names));
      } else {
        out_ << EventLine(e, t, names) << "\n";
        out_.flush();
      }
      if (e.type == nvo::EventType::kDevDel && e.dev) {
        names.erase(e.dev->id);
      }
      n++;
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
      std::ofstream f(o_.file);
      f << text;
      f.close();
      if (!f) {
        throw ConfigError("cannot write " + o_.file + ": " +
                          std::strerror(errno));
      }
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
    const auto steps = PlanRestore(want, api().Ports(), api().Devices());
    Json changes = Json::array();
    for (const auto& s : steps) {
      if (!o_.dry_run) {
        api().SetPort(s.req);
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

  const Options& o_;
  Context& ctx_;
  std::ostream& out_;
  spdlog::logger& log_;
  std::unique_ptr<nvo::Api> api_;
  std::optional<uint32_t> dev_id_;
};

std::string NowHms() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::array<char, 16> buf{};
  std::strftime(buf.data(), buf.size(), "%H:%M:%S", &tm);
  return buf.data();
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
  try {
    Runner(o, ctx, log).Run();
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

}  // namespace nicctl
