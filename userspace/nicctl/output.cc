// SPDX-License-Identifier: GPL-2.0
#include "output.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <numeric>
#include <utility>

namespace nicctl {
namespace {

template <typename... Args>
std::string Fmt(const char* fmt, Args... args) {
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), fmt, args...);
  return buf.data();
}

// Columns count characters, not bytes (a name may be UTF-8).
size_t DisplayWidth(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0U) != 0x80U;
  }));
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) {
      out += sep;
    }
    out += s;
  }
  return out;
}

Json OptJson(const std::optional<uint32_t>& v) {
  return v ? Json(*v) : Json(nullptr);
}

std::string DevCell(const std::optional<uint32_t>& id, const DevNames& names,
                    const std::string& name = "") {
  if (!id) {
    return "-";
  }
  std::string n = name;
  if (n.empty()) {
    const auto it = names.find(*id);
    if (it != names.end()) {
      n = it->second;
    }
  }
  return n.empty() ? std::to_string(*id) : n + " (" + std::to_string(*id) + ")";
}

// The transport's name; "-" (text) or null (JSON) when the kernel did not
// send it (one from before the attribute).
std::string TransportCell(const std::optional<nvo::Transport>& t) {
  return t ? nvo::ToString(*t) : "-";
}

Json TransportJson(const std::optional<nvo::Transport>& t) {
  return t ? Json(nvo::ToString(*t)) : Json(nullptr);
}

Json DevNameJson(const std::optional<uint32_t>& id, const DevNames& names) {
  if (!id) {
    return nullptr;
  }
  const auto it = names.find(*id);
  return it == names.end() ? Json(nullptr) : Json(it->second);
}

constexpr std::array<std::pair<const char*, double>, 3> kQuantiles = {{
    {"p50", 0.50},
    {"p90", 0.90},
    {"p99", 0.99},
}};

// Every u64 counter, in spec order.
std::vector<std::pair<const char*, uint64_t>> CounterList(
    const nvo::Counters& c) {
  return {
#define NVO_COUNTER(field, attr) {#field, c.field},
      NVO_FOR_EACH_COUNTER(NVO_COUNTER)
#undef NVO_COUNTER
  };
}

std::string Dashed(const char* snake) {
  std::string s = snake;
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

std::string QueueWhere(const nvo::Queue& q) {
  return "queue " + std::to_string(q.id) + " (ctrl " +
         std::to_string(q.ctrl_id) + " qid " + std::to_string(q.qid) +
         ", port " + std::to_string(q.port_id) + ")";
}

}  // namespace

// ---- numbers -----------------------------------------------------------
std::string FormatCount(uint64_t v) {
  if (v < 1000) {
    return std::to_string(v);
  }
  static constexpr std::array<char, 6> kUnits = {'K', 'M', 'G', 'T', 'P', 'E'};
  auto x = static_cast<double>(v);
  size_t u = 0;
  x /= 1000;
  while (x >= 1000 && u + 1 < kUnits.size()) {
    x /= 1000;
    u++;
  }
  if (x < 99.95) {
    return Fmt("%.1f%c", x, kUnits[u]);
  }
  if (x < 999.5 || u + 1 == kUnits.size()) {
    return Fmt("%.0f%c", x, kUnits[u]);
  }
  return Fmt("%.1f%c", x / 1000, kUnits[u + 1]);
}

std::string FormatBytes(uint64_t v) {
  static constexpr std::array<const char*, 6> kUnits = {"KiB", "MiB", "GiB",
                                                        "TiB", "PiB", "EiB"};
  if (v < 1024) {
    return std::to_string(v);
  }
  size_t u = 0;
  uint64_t whole = v / 1024;
  bool exact = v % 1024 == 0;
  while (whole >= 1024 && u + 1 < kUnits.size()) {
    exact = exact && whole % 1024 == 0;
    whole /= 1024;
    u++;
  }
  if (exact) {
    return std::to_string(whole) + kUnits[u];
  }
  const double x =
      static_cast<double>(v) / std::pow(1024.0, static_cast<double>(u + 1));
  return Fmt("%.1f%s", x, kUnits[u]);
}

std::string FormatUs(uint64_t us) {
  if (us < 1000) {
    return std::to_string(us) + "us";
  }
  const auto x = static_cast<double>(us);
  if (us < 10000) {
    return Fmt("%.1fms", x / 1e3);
  }
  if (us < 1000000) {
    return Fmt("%.0fms", x / 1e3);
  }
  if (us < 10000000) {
    return Fmt("%.1fs", x / 1e6);
  }
  return Fmt("%.0fs", x / 1e6);
}

uint64_t BucketLoUs(size_t b) {
  return b == 0 ? 0 : uint64_t{1} << std::min<size_t>(b - 1, 63);
}

std::optional<uint64_t> BucketHiUs(size_t b, size_t nbuckets) {
  if (b + 1 >= nbuckets) {
    return std::nullopt;
  }
  return uint64_t{1} << std::min<size_t>(b, 63);
}

std::string BucketLabel(size_t b, size_t nbuckets) {
  const auto hi = BucketHiUs(b, nbuckets);
  if (!hi) {
    return ">=" + FormatUs(BucketLoUs(b));
  }
  if (b == 0) {
    return "<" + FormatUs(*hi);
  }
  return FormatUs(BucketLoUs(b)) + "-" + FormatUs(*hi);
}

std::optional<size_t> QuantileBucket(const std::vector<uint64_t>& hist,
                                     double p) {
  // Long double: sums of u64 counters do not fit a double exactly.
  long double total = 0;
  for (const uint64_t n : hist) {
    total += static_cast<long double>(n);
  }
  if (total == 0) {
    return std::nullopt;
  }
  // The rank of the quantile; the epsilon keeps 0.9 * 1000 at 900.
  const long double want =
      std::ceil(total * static_cast<long double>(p) - 1e-6L);
  long double cum = 0;
  for (size_t b = 0; b < hist.size(); b++) {
    cum += static_cast<long double>(hist[b]);
    if (cum >= want && hist[b] != 0) {
      return b;
    }
  }
  return hist.size() - 1;
}

std::string QuantileLabel(const std::vector<uint64_t>& hist, double p) {
  const auto b = QuantileBucket(hist, p);
  if (!b) {
    return "-";
  }
  const auto hi = BucketHiUs(*b, hist.size());
  return hi ? "<" + FormatUs(*hi) : ">=" + FormatUs(BucketLoUs(*b));
}

// ---- tables ------------------------------------------------------------
Table::Table(std::vector<std::string> header)
    : header_(std::move(header)), right_(header_.size(), false) {}

void Table::RightAlign(size_t col) {
  if (col < right_.size()) {
    right_[col] = true;
  }
}

void Table::Add(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

void Table::Render(std::ostream& out) const {
  std::vector<size_t> w(header_.size());
  for (size_t c = 0; c < header_.size(); c++) {
    w[c] = DisplayWidth(header_[c]);
    for (const auto& r : rows_) {
      w[c] = std::max(w[c], DisplayWidth(r[c]));
    }
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < cells.size(); c++) {
      const std::string pad(w[c] - DisplayWidth(cells[c]), ' ');
      const bool last = c + 1 == cells.size();
      if (right_[c]) {
        s += pad + cells[c];
      } else {
        s += cells[c] + (last ? "" : pad);
      }
      if (!last) {
        s += "  ";
      }
    }
    out << s << "\n";
  };
  line(header_);
  for (const auto& r : rows_) {
    line(r);
  }
}

// ---- JSON --------------------------------------------------------------
Json ToJson(const nvo::Device& d) {
  Json j;
  j["id"] = d.id;
  j["name"] = d.name;
  j["state"] = nvo::ToString(d.state);
  j["nr_queues"] = d.nr_queues;
  j["engines"] = d.engines;
  // null when the kernel did not send it (a shim before driver API v2)
  j["api_version"] = d.api_version != 0 ? Json(d.api_version) : Json(nullptr);
  if (d.caps) {
    const nvo::Caps& c = *d.caps;
    j["caps"] = {
        {"max_queues", c.max_queues},
        {"io_opcodes", nvo::OpcodeNames(c.io_opcodes)},
        {"io_opcodes_mask", c.io_opcodes},
        {"max_io_size", c.max_io_size},
        {"min_queue_depth", c.min_queue_depth},
        {"max_queue_depth", c.max_queue_depth},
        {"hdgst", c.hdgst},
        {"ddgst", c.ddgst},
        {"max_inline", c.max_inline},
        {"backends", nvo::BackendNames(c.backends)},
        {"take", c.take},
        {"sgl", c.sgl},
        {"max_h2c_data", c.max_h2c_data},
        {"max_hpda", c.max_hpda},
    };
  } else {
    j["caps"] = nullptr;
  }
  return j;
}

Json ToJson(const nvo::Port& p) {
  Json j;
  j["id"] = p.id;
  j["traddr"] = p.traddr;
  j["trsvcid"] = p.trsvcid;
  j["adrfam"] = p.adrfam ? Json(nvo::ToString(*p.adrfam)) : Json(nullptr);
  j["policy"] = nvo::ToString(p.policy);
  j["dev_id"] = OptJson(p.dev_id);
  j["dev_name"] =
      p.dev_id && !p.dev_name.empty() ? Json(p.dev_name) : Json(nullptr);
  j["transport"] = TransportJson(p.transport);
  return j;
}

Json ToJson(const nvo::Queue& q, const DevNames& names) {
  Json j;
  j["id"] = q.id;
  j["port_id"] = q.port_id;
  j["ctrl_id"] = q.ctrl_id;
  j["qid"] = q.qid;
  j["state"] = nvo::ToString(q.state);
  j["dev_id"] = OptJson(q.dev_id);
  j["dev_name"] = DevNameJson(q.dev_id, names);
  j["engine"] = OptJson(q.engine);
  j["depth"] = q.depth;
  j["inflight"] = q.inflight;
  j["cpu"] = OptJson(q.cpu);
  j["move_us"] = OptJson(q.move_us);
  j["transport"] = TransportJson(q.transport);
  j["hostnqn"] = q.hostnqn;
  j["subsysnqn"] = q.subsysnqn;
  return j;
}

Json ToJson(const nvo::NsTable& t, const DevNames& names) {
  Json j;
  j["dev_id"] = t.dev_id;
  j["dev_name"] = DevNameJson(t.dev_id, names);
  j["subsysnqn"] = t.subsysnqn;
  j["subsys_id"] = t.subsys_id;
  j["gen"] = t.gen;
  j["state"] = nvo::ToString(t.state);
  Json entries = Json::array();
  for (const auto& e : t.entries) {
    Json je;
    je["nsid"] = e.nsid;
    je["nr_blocks"] = e.nr_blocks;
    je["lba_shift"] = e.lba_shift;
    je["flags"] = nvo::NsFlagNames(e.flags);
    je["state"] = nvo::ToString(e.state);
    entries.push_back(std::move(je));
  }
  j["entries"] = std::move(entries);
  return j;
}

Json ToJson(const nvo::Stats& s, const DevNames& names,
            std::optional<double> interval_s, bool per_second) {
  const nvo::StatsSelector& k = s.key;
  const nvo::Counters& c = s.counters;
  Json j;
  j["scope"] = nvo::ToString(k.scope);
  j["dev_id"] = OptJson(k.dev_id);
  j["dev_name"] = DevNameJson(k.dev_id, names);
  j["port_id"] = OptJson(k.port_id);
  j["nsid"] = OptJson(k.nsid);
  j["queue_id"] = OptJson(k.queue_id);
  j["subsysnqn"] = k.subsysnqn ? Json(*k.subsysnqn) : Json(nullptr);
  j["interval_s"] = interval_s ? Json(*interval_s) : Json(nullptr);
  j["per_second"] = per_second;
  Json counters = Json::object();
  for (const auto& [name, v] : CounterList(c)) {
    counters[name] = v;
  }
  Json punted = Json::array();
  for (const auto& [op, n] : c.punted_by_opcode) {
    punted.push_back(
        {{"opcode", op}, {"name", nvo::OpcodeName(op)}, {"count", n}});
  }
  counters["punted_by_opcode"] = punted;
  j["counters"] = counters;
  Json lat;
  Json buckets = Json::array();
  for (size_t b = 0; b < c.lat_hist.size(); b++) {
    const auto hi = BucketHiUs(b, c.lat_hist.size());
    buckets.push_back({{"from_us", BucketLoUs(b)},
                       {"below_us", hi ? Json(*hi) : Json(nullptr)},
                       {"count", c.lat_hist[b]}});
  }
  Json q = Json::object();
  for (const auto& [name, p] : kQuantiles) {
    const auto b = QuantileBucket(c.lat_hist, p);
    q[name] = b ? Json(*b) : Json(nullptr);
  }
  lat["quantile_buckets"] = q;
  lat["buckets"] = buckets;
  j["latency"] = lat;
  return j;
}

Json ToJson(const nvo::Event& e, const std::string& time,
            const DevNames& names) {
  Json j;
  j["time"] = time;
  j["event"] = nvo::ToString(e.type);
  j["dev"] = e.dev ? ToJson(*e.dev) : Json(nullptr);
  j["queue"] = e.queue ? ToJson(*e.queue, names) : Json(nullptr);
  j["port"] = e.port ? ToJson(*e.port) : Json(nullptr);
  j["reason"] = e.reason ? Json(nvo::ToString(*e.reason)) : Json(nullptr);
  return j;
}

// ---- text --------------------------------------------------------------
void PrintDevices(std::ostream& out, const std::vector<nvo::Device>& devs) {
  Table t({"ID", "NAME", "STATE", "QUEUES", "ENGINES", "MAX-IO", "DEPTH",
           "INLINE", "DIGESTS", "BACKENDS", "OPCODES"});
  t.RightAlign(0);
  t.RightAlign(3);
  t.RightAlign(4);
  t.RightAlign(5);
  t.RightAlign(7);
  for (const auto& d : devs) {
    std::vector<std::string> row = {std::to_string(d.id), d.name,
                                    nvo::ToString(d.state)};
    if (d.caps) {
      const nvo::Caps& c = *d.caps;
      std::vector<std::string> dg;
      if (c.hdgst) {
        dg.emplace_back("hd");
      }
      if (c.ddgst) {
        dg.emplace_back("dd");
      }
      const auto backends = nvo::BackendNames(c.backends);
      const auto ops = nvo::OpcodeNames(c.io_opcodes);
      row.insert(
          row.end(),
          {std::to_string(d.nr_queues) + "/" + std::to_string(c.max_queues),
           std::to_string(d.engines), FormatBytes(c.max_io_size),
           std::to_string(c.min_queue_depth) + "-" +
               std::to_string(c.max_queue_depth),
           FormatBytes(c.max_inline), dg.empty() ? "-" : Join(dg, ","),
           backends.empty() ? "-" : Join(backends, ","),
           ops.empty() ? "-" : Join(ops, ",")});
    } else {
      row.insert(row.end(),
                 {std::to_string(d.nr_queues), std::to_string(d.engines), "-",
                  "-", "-", "-", "-", "-"});
    }
    t.Add(std::move(row));
  }
  t.Render(out);
}

void PrintPorts(std::ostream& out, const std::vector<nvo::Port>& ports) {
  // TRANSPORT last: scripts match the columns before it by position.
  Table t({"PORT", "ADDRESS", "FAMILY", "OFFLOAD", "DEVICE", "TRANSPORT"});
  t.RightAlign(0);
  for (const auto& p : ports) {
    const bool v6 = p.adrfam && *p.adrfam == nvo::AdrFam::kIpv6;
    std::string addr = v6 ? "[" + p.traddr + "]" : p.traddr;
    if (!p.trsvcid.empty()) {
      addr += ":" + p.trsvcid;
    }
    t.Add({std::to_string(p.id), addr.empty() ? "-" : addr,
           p.adrfam ? nvo::ToString(*p.adrfam) : "-", nvo::ToString(p.policy),
           DevCell(p.dev_id, {}, p.dev_name), TransportCell(p.transport)});
  }
  t.Render(out);
}

void PrintQueues(std::ostream& out, const std::vector<nvo::Queue>& queues,
                 const DevNames& names) {
  // TRANSPORT after the numbers, before the names: scripts match the
  // columns before it by position and the subsystem at the end of a row.
  Table t({"QUEUE", "PORT", "CTRL", "QID", "STATE", "DEVICE", "ENGINE", "DEPTH",
           "INFLIGHT", "CPU", "TRANSPORT", "HOST", "SUBSYSTEM"});
  for (size_t c : {0U, 1U, 2U, 3U, 6U, 7U, 8U, 9U}) {
    t.RightAlign(c);
  }
  const auto opt = [](const std::optional<uint32_t>& v) {
    return v ? std::to_string(*v) : std::string("-");
  };
  for (const auto& q : queues) {
    t.Add({std::to_string(q.id), std::to_string(q.port_id),
           std::to_string(q.ctrl_id),
           q.qid == 0 ? std::string("0 (admin)") : std::to_string(q.qid),
           nvo::ToString(q.state), DevCell(q.dev_id, names), opt(q.engine),
           std::to_string(q.depth), std::to_string(q.inflight), opt(q.cpu),
           TransportCell(q.transport), q.hostnqn.empty() ? "-" : q.hostnqn,
           q.subsysnqn.empty() ? "-" : q.subsysnqn});
  }
  t.Render(out);
}

std::string NsFlagsCell(uint32_t flags) {
  std::string s;
  for (const auto& n : nvo::NsFlagNames(flags)) {
    s += (s.empty() ? "" : ",") + n;
  }
  return s.empty() ? "-" : s;
}

void PrintNsTables(std::ostream& out, const std::vector<nvo::NsTable>& tables,
                   const DevNames& names) {
  Table t({"DEVICE", "SUBSYSTEM", "SUBSYS-ID", "GEN", "TABLE", "NSID", "BLOCKS",
           "LBA", "FLAGS", "STATE"});
  for (size_t c : {2U, 3U, 5U, 6U, 7U}) {
    t.RightAlign(c);
  }
  for (const auto& tb : tables) {
    std::vector<std::string> head = {
        DevCell(tb.dev_id, names), tb.subsysnqn.empty() ? "-" : tb.subsysnqn,
        std::to_string(tb.subsys_id), std::to_string(tb.gen),
        nvo::ToString(tb.state)};
    if (tb.entries.empty()) {
      auto row = head;
      row.insert(row.end(), {"-", "-", "-", "-", "-"});
      t.Add(std::move(row));
    }
    for (const auto& e : tb.entries) {
      auto row = head;
      row.insert(row.end(),
                 {std::to_string(e.nsid), std::to_string(e.nr_blocks),
                  e.lba_shift < 64 ? FormatBytes(uint64_t{1} << e.lba_shift)
                                   : "2^" + std::to_string(e.lba_shift),
                  NsFlagsCell(e.flags), nvo::ToString(e.state)});
      t.Add(std::move(row));
    }
  }
  t.Render(out);
}

std::string StatsLabel(const nvo::StatsSelector& k, const DevNames& names) {
  const auto id = [](const std::optional<uint32_t>& v) {
    return v ? std::to_string(*v) : std::string("?");
  };
  switch (k.scope) {
    case nvo::Scope::kDevice:
      return "device " + DevCell(k.dev_id, names);
    case nvo::Scope::kPort:
      return "port " + id(k.port_id);
    case nvo::Scope::kNamespace: {
      std::string s = "ns " + id(k.port_id) + "/" + id(k.nsid);
      if (k.subsysnqn && !k.subsysnqn->empty()) {
        s += " " + *k.subsysnqn;
      }
      return s;
    }
    case nvo::Scope::kQueue:
      return "queue " + id(k.queue_id);
  }
  return nvo::ToString(k.scope);
}

void PrintStatsDetail(std::ostream& out, const nvo::Stats& s,
                      const DevNames& names) {
  const nvo::Counters& c = s.counters;
  out << StatsLabel(s.key, names) << "\n";
  Table t({"COUNTER", "VALUE"});
  t.RightAlign(1);
  for (const auto& [name, v] : CounterList(c)) {
    t.Add({Dashed(name), FormatCount(v)});
  }
  t.Render(out);
  if (!c.punted_by_opcode.empty()) {
    std::vector<std::string> parts;
    for (const auto& [op, n] : c.punted_by_opcode) {
      parts.push_back(nvo::OpcodeName(op) + " " + FormatCount(n));
    }
    out << "punted by opcode: " << Join(parts, ", ") << "\n";
  }
  uint64_t total = 0;
  for (const uint64_t n : c.lat_hist) {
    total += n;
  }
  if (total == 0) {
    out << "latency: no commands\n";
    return;
  }
  std::vector<std::string> q;
  q.reserve(kQuantiles.size());
  for (const auto& [name, p] : kQuantiles) {
    q.push_back(std::string(name) + " " + QuantileLabel(c.lat_hist, p));
  }
  out << "latency: " << Join(q, "  ") << "\n";
  Table h({"LATENCY", "COMMANDS", "SHARE"});
  h.RightAlign(1);
  h.RightAlign(2);
  for (size_t b = 0; b < c.lat_hist.size(); b++) {
    if (c.lat_hist[b] == 0) {
      continue;
    }
    const double share =
        100.0 * static_cast<double>(c.lat_hist[b]) / static_cast<double>(total);
    h.Add({BucketLabel(b, c.lat_hist.size()), FormatCount(c.lat_hist[b]),
           Fmt("%.1f%%", share)});
  }
  h.Render(out);
}

void PrintStatsTable(std::ostream& out, const std::vector<nvo::Stats>& all,
                     const DevNames& names) {
  Table t({"OBJECT", "READS", "WRITES", "FLUSH", "WZEROES", "ERRORS", "PUNTED",
           "OFFLOADS", "RECLAIMS", "FALLBACKS", "P50", "P99"});
  for (size_t col = 1; col < 12; col++) {
    t.RightAlign(col);
  }
  for (const auto& s : all) {
    const nvo::Counters& c = s.counters;
    t.Add({StatsLabel(s.key, names), FormatCount(c.read_cmds),
           FormatCount(c.write_cmds), FormatCount(c.flush_cmds),
           FormatCount(c.write_zeroes_cmds), FormatCount(c.errors),
           FormatCount(c.punted_cmds), FormatCount(c.offload_events),
           FormatCount(c.reclaim_events), FormatCount(c.fallback_events),
           QuantileLabel(c.lat_hist, 0.5), QuantileLabel(c.lat_hist, 0.99)});
  }
  t.Render(out);
}

namespace {

// ", in N us" when the kernel timed the move the event reports.
std::string MoveTime(const nvo::Queue& q) {
  return q.move_us ? ", in " + std::to_string(*q.move_us) + " us" : "";
}

// ", transport tcp" at the end of a port or queue event, when the kernel
// sent it.
std::string TransportSuffix(const std::optional<nvo::Transport>& t) {
  return t ? ", transport " + nvo::ToString(*t) : "";
}

}  // namespace

std::string EventLine(const nvo::Event& e, const std::string& time,
                      const DevNames& names) {
  std::string s = time + " " + nvo::ToString(e.type);
  switch (e.type) {
    case nvo::EventType::kDevAdd:
    case nvo::EventType::kDevDel:
    case nvo::EventType::kDevFailed:
      if (e.dev) {
        s += " " + DevCell(e.dev->id, names, e.dev->name);
        if (e.type != nvo::EventType::kDevDel) {
          s += " " + nvo::ToString(e.dev->state) + ", " +
               std::to_string(e.dev->engines) + " engines";
        }
      }
      break;
    case nvo::EventType::kQueueOffloaded:
      if (e.queue) {
        s += " " + QueueWhere(*e.queue) + " to device " +
             DevCell(e.queue->dev_id, names);
        if (e.queue->engine) {
          s += " engine " + std::to_string(*e.queue->engine);
        }
        s += MoveTime(*e.queue) + TransportSuffix(e.queue->transport);
      }
      break;
    case nvo::EventType::kQueueReclaimed:
      if (e.queue) {
        s += " " + QueueWhere(*e.queue) + MoveTime(*e.queue) +
             TransportSuffix(e.queue->transport);
      }
      break;
    case nvo::EventType::kQueueFallback:
      if (e.queue) {
        s += " " + QueueWhere(*e.queue) + " from device " +
             DevCell(e.queue->dev_id, names);
      }
      s += ": " + (e.reason ? nvo::ToString(*e.reason) : std::string("?"));
      if (e.queue) {
        s += TransportSuffix(e.queue->transport);
      }
      break;
    case nvo::EventType::kPortPolicyChanged:
      if (e.port) {
        s += " port " + std::to_string(e.port->id) + " offload " +
             nvo::ToString(e.port->policy) + " device " +
             DevCell(e.port->dev_id, names, e.port->dev_name) +
             TransportSuffix(e.port->transport);
      }
      break;
    case nvo::EventType::kLost:
      s += ": events were lost (socket receive buffer overrun)";
      break;
  }
  return s;
}

std::string FormatTime(int64_t epoch_ms, bool iso) {
  const auto secs = static_cast<std::time_t>(epoch_ms / 1000);
  const auto ms = static_cast<int>(epoch_ms % 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  std::array<char, 32> date{};
  std::strftime(date.data(), date.size(),
                iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
  std::string s = Fmt("%s.%03d", date.data(), ms);
  if (iso) {
    std::array<char, 8> z{};
    std::strftime(z.data(), z.size(), "%z", &tm);  // +0100
    const std::string zone = z.data();
    s += zone.size() == 5 ? zone.substr(0, 3) + ":" + zone.substr(3) : zone;
  }
  return s;
}

// ---- Prometheus ------------------------------------------------------------
namespace {

std::string PromEscape(const std::string& v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string PromLabels(const nvo::StatsSelector& k, const DevNames& names,
                       const std::string& extra = "") {
  std::vector<std::string> l = {"scope=\"" + nvo::ToString(k.scope) + "\""};
  const auto add = [&](const char* n, const std::optional<uint32_t>& v) {
    if (v) {
      l.push_back(std::string(n) + "=\"" + std::to_string(*v) + "\"");
    }
  };
  add("dev_id", k.dev_id);
  if (k.dev_id) {
    const auto it = names.find(*k.dev_id);
    if (it != names.end()) {
      l.push_back("dev=\"" + PromEscape(it->second) + "\"");
    }
  }
  add("port", k.port_id);
  add("nsid", k.nsid);
  add("queue", k.queue_id);
  if (k.subsysnqn && !k.subsysnqn->empty()) {
    l.push_back("subsysnqn=\"" + PromEscape(*k.subsysnqn) + "\"");
  }
  if (!extra.empty()) {
    l.push_back(extra);
  }
  return "{" + Join(l, ",") + "}";
}

// le of bucket b in seconds ("0.000001"), "+Inf" for the last.
std::string PromLe(size_t b, size_t n) {
  const auto hi = BucketHiUs(b, n);
  if (!hi) {
    return "+Inf";
  }
  return Fmt("%.6f", static_cast<double>(*hi) / 1e6);
}

}  // namespace

void PrintPrometheus(std::ostream& out, const std::vector<nvo::Stats>& all,
                     const DevNames& names) {
  const std::string p = "nvmet_offload_";
  // One family at a time: every sample of a metric together, as the
  // exposition format requires.
  const auto counters = [](const nvo::Counters& c) { return CounterList(c); };
  const nvo::Counters none;
  for (size_t i = 0; i < counters(none).size(); i++) {
    const std::string name = p + counters(none)[i].first + "_total";
    out << "# HELP " << name << " nvmet_offload counter "
        << counters(none)[i].first << "\n";
    out << "# TYPE " << name << " counter\n";
    for (const auto& s : all) {
      out << name << PromLabels(s.key, names) << " "
          << counters(s.counters)[i].second << "\n";
    }
  }
  const std::string punted = p + "punted_by_opcode_total";
  out << "# HELP " << punted << " commands punted to software, by opcode\n";
  out << "# TYPE " << punted << " counter\n";
  for (const auto& s : all) {
    for (const auto& [op, n] : s.counters.punted_by_opcode) {
      out << punted
          << PromLabels(s.key, names, "opcode=\"" + nvo::OpcodeName(op) + "\"")
          << " " << n << "\n";
    }
  }
  // The log2 histogram as a Prometheus histogram: cumulative buckets, le in
  // seconds. The kernel keeps no latency sum, so there is no _sum sample.
  const std::string lat = p + "latency_seconds";
  out << "# HELP " << lat << " offloaded command latency (log2 buckets)\n";
  out << "# TYPE " << lat << " histogram\n";
  for (const auto& s : all) {
    const auto& h = s.counters.lat_hist;
    uint64_t cum = 0;
    for (size_t b = 0; b < h.size(); b++) {
      cum += h[b];
      out << lat << "_bucket"
          << PromLabels(s.key, names, "le=\"" + PromLe(b, h.size()) + "\"")
          << " " << cum << "\n";
    }
    if (h.empty() || BucketHiUs(h.size() - 1, h.size())) {
      out << lat << "_bucket" << PromLabels(s.key, names, "le=\"+Inf\"") << " "
          << cum << "\n";
    }
    out << lat << "_count" << PromLabels(s.key, names) << " " << cum << "\n";
  }
}

}  // namespace nicctl
