// SPDX-License-Identifier: GPL-2.0
// An in-memory nvmet_offload for nicctl's tests: it keeps devices, ports,
// queues, counters and events, records every request, and applies port-set
// with the kernel's rules (Documentation/netlink.rst), -EOPNOTSUPP for
// port-set and queue-set on an NVMe/RDMA port or queue among them.
#ifndef NICCTL_TESTS_FAKE_API_H_
#define NICCTL_TESTS_FAKE_API_H_

#include <cerrno>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "nvo/client.h"
#include "nvo/error.h"

namespace nicctl::test {

// The extack messages of port-set and queue-set on an NVMe/RDMA port or
// queue (-EOPNOTSUPP).
inline constexpr const char* kPortNotTcp =
    "not an NVMe/TCP port: its queues are served in software";
inline constexpr const char* kQueueNotTcp =
    "not an NVMe/TCP queue: only NVMe/TCP queues move to a device";

struct FakeState {
  bool no_module = false;
  std::vector<nvo::Device> devices;
  std::vector<nvo::Port> ports;
  std::vector<nvo::Queue> queues;
  std::vector<nvo::Stats> stats;
  std::vector<nvo::NsTable> ns_tables;
  // When not empty, each stats request answers the next sample.
  std::deque<std::vector<nvo::Stats>> samples;
  std::vector<nvo::Event> events;
  // The next mutating request fails with this.
  std::optional<nvo::NetlinkError> refuse;
  // ... after this many mutating requests went through.
  int refuse_after = 0;
  // Ports and devices that appear after this many port dumps (they
  // register late, as at boot).
  std::vector<nvo::Port> late_ports;
  int late_after = 0;

  // What was asked.
  std::vector<std::string> calls;
  std::vector<nvo::PortSet> port_sets;
  std::vector<nvo::QueueSet> queue_sets;
  std::vector<nvo::QueueFilter> queue_filters;
  std::vector<nvo::StatsSelector> stats_gets;
  std::vector<nvo::StatsFilter> stats_dumps;
  std::vector<std::optional<nvo::StatsSelector>> resets;
  std::vector<std::optional<uint32_t>> ns_table_filters;
  std::vector<double> sleeps;
  // The monotonic clock: advanced by each sleep, plus overrun seconds.
  double clock = 100;
  double overrun = 0;
  // Files -b FILE can open.
  std::map<std::string, std::string> files;
};

class FakeApi final : public nvo::Api {
 public:
  explicit FakeApi(std::shared_ptr<FakeState> s) : s_(std::move(s)) {}

  std::vector<nvo::Device> Devices() override {
    s_->calls.emplace_back("Devices");
    return s_->devices;
  }
  nvo::Device GetDevice(std::optional<uint32_t> id,
                        const std::string& name) override {
    s_->calls.push_back("GetDevice " + (id ? std::to_string(*id) : name));
    for (const auto& d : s_->devices) {
      if ((id && d.id == *id) || (!id && d.name == name)) {
        return d;
      }
    }
    throw nvo::NetlinkError(ENODEV, "no such device", std::nullopt);
  }
  std::vector<nvo::Port> Ports() override {
    s_->calls.emplace_back("Ports");
    if (!s_->late_ports.empty() && s_->late_after-- <= 0) {
      s_->ports.insert(s_->ports.end(), s_->late_ports.begin(),
                       s_->late_ports.end());
      s_->late_ports.clear();
    }
    return s_->ports;
  }
  nvo::Port GetPort(uint32_t id) override {
    s_->calls.push_back("GetPort " + std::to_string(id));
    return FindPort(id);
  }
  void SetPort(const nvo::PortSet& req) override {
    s_->calls.push_back("SetPort " + std::to_string(req.id));
    s_->port_sets.push_back(req);
    Refuse();
    nvo::Port& p = FindPort(req.id);
    if (NotTcp(p.transport)) {
      throw nvo::NetlinkError(EOPNOTSUPP, kPortNotTcp, std::nullopt);
    }
    // The kernel's order: policy off, device, policy on.
    nvo::Port next = p;
    if (req.policy == nvo::Policy::kOff) {
      next.policy = nvo::Policy::kOff;
    }
    if (req.dev_id || req.dev_name) {
      if (p.policy == nvo::Policy::kOn && next.policy == nvo::Policy::kOn) {
        throw nvo::NetlinkError(EBUSY, "port offload is on", std::nullopt);
      }
      if (req.dev_id && *req.dev_id == 0) {
        next.dev_id.reset();
        next.dev_name.clear();
      } else {
        const nvo::Device& d =
            req.dev_id ? Dev(*req.dev_id, "") : Dev(0, *req.dev_name);
        next.dev_id = d.id;
        next.dev_name = d.name;
      }
    }
    if (req.policy == nvo::Policy::kOn) {
      if (!next.dev_id) {
        throw nvo::NetlinkError(EINVAL, "no device bound", std::nullopt);
      }
      next.policy = nvo::Policy::kOn;
    }
    p = next;
  }
  std::vector<nvo::Queue> Queues(const nvo::QueueFilter& f) override {
    s_->calls.emplace_back("Queues");
    s_->queue_filters.push_back(f);
    std::vector<nvo::Queue> out;
    for (const auto& q : s_->queues) {
      if ((!f.port_id || q.port_id == *f.port_id) &&
          (!f.ctrl_id || q.ctrl_id == *f.ctrl_id) &&
          (!f.dev_id || q.dev_id == f.dev_id)) {
        out.push_back(q);
      }
    }
    return out;
  }
  nvo::Queue GetQueue(uint32_t id) override {
    s_->calls.push_back("GetQueue " + std::to_string(id));
    for (const auto& q : s_->queues) {
      if (q.id == id) {
        return q;
      }
    }
    throw nvo::NetlinkError(ENOENT, "no such queue", std::nullopt);
  }
  void SetQueue(const nvo::QueueSet& req) override {
    s_->calls.emplace_back("SetQueue");
    s_->queue_sets.push_back(req);
    Refuse();
    // This fake's NVMe/RDMA queues were taken at connect: they do not move
    // (the kernel's answer for those; a controller's queues share a
    // transport).
    for (const auto& q : s_->queues) {
      const bool named =
          req.id ? q.id == *req.id
                 : q.ctrl_id == req.ctrl_id && (!req.qid || q.qid == *req.qid);
      if (named && NotTcp(q.transport)) {
        throw nvo::NetlinkError(EOPNOTSUPP, kQueueNotTcp, std::nullopt);
      }
    }
  }
  nvo::Stats GetStats(const nvo::StatsSelector& sel) override {
    s_->calls.emplace_back("GetStats");
    s_->stats_gets.push_back(sel);
    for (const auto& st : Current()) {
      if (st.key == sel) {
        return st;
      }
    }
    throw nvo::NetlinkError(ENOENT, "no such object", std::nullopt);
  }
  std::vector<nvo::Stats> DumpStats(const nvo::StatsFilter& f) override {
    s_->calls.emplace_back("DumpStats");
    s_->stats_dumps.push_back(f);
    std::vector<nvo::Stats> out;
    const nvo::Scope scope = f.scope.value_or(nvo::Scope::kDevice);
    for (const auto& st : Current()) {
      // The kernel's dump filters.
      if (st.key.scope == scope && (!f.dev_id || st.key.dev_id == f.dev_id) &&
          (!f.port_id || st.key.port_id == f.port_id)) {
        out.push_back(st);
      }
    }
    return out;
  }
  void ResetStats(const std::optional<nvo::StatsSelector>& sel) override {
    s_->calls.emplace_back("ResetStats");
    s_->resets.push_back(sel);
    Refuse();
  }
  std::vector<nvo::NsTable> NsTables(std::optional<uint32_t> dev_id) override {
    s_->calls.emplace_back("NsTables");
    s_->ns_table_filters.push_back(dev_id);
    // The kernel's: an unknown device is refused, not an empty dump.
    if (dev_id) {
      (void)Dev(*dev_id, "");
    }
    std::vector<nvo::NsTable> out;
    for (const auto& t : s_->ns_tables) {
      if (!dev_id || t.dev_id == *dev_id) {
        out.push_back(t);
      }
    }
    return out;
  }
  void Monitor(const std::function<bool(const nvo::Event&)>& cb) override {
    s_->calls.emplace_back("Monitor");
    for (const auto& e : s_->events) {
      if (!cb(e)) {
        return;
      }
    }
  }

 private:
  // A transport the kernel said is not NVMe/TCP (absent: an older kernel,
  // which has NVMe/TCP only).
  static bool NotTcp(const std::optional<nvo::Transport>& t) {
    return t && *t != nvo::Transport::kTcp;
  }
  void Refuse() {
    if (s_->refuse && s_->refuse_after > 0) {
      s_->refuse_after--;
      return;
    }
    if (s_->refuse) {
      const nvo::NetlinkError e = *s_->refuse;
      s_->refuse.reset();
      throw e;
    }
  }
  nvo::Port& FindPort(uint32_t id) {
    for (auto& p : s_->ports) {
      if (p.id == id) {
        return p;
      }
    }
    throw nvo::NetlinkError(ENOENT, "no such port", std::nullopt);
  }
  const nvo::Device& Dev(uint32_t id, const std::string& name) {
    for (const auto& d : s_->devices) {
      if ((id != 0 && d.id == id) || (id == 0 && d.name == name)) {
        return d;
      }
    }
    throw nvo::NetlinkError(ENODEV, "no such device", std::nullopt);
  }
  std::vector<nvo::Stats> Current() {
    if (s_->samples.empty()) {
      return s_->stats;
    }
    auto v = s_->samples.front();
    if (s_->samples.size() > 1) {
      s_->samples.pop_front();
    }
    return v;
  }

  std::shared_ptr<FakeState> s_;
};

struct Result {
  int rc = -1;
  std::string out;
  std::string err;
};

// Runs nicctl with args (no "nicctl" in front) against the fake.
inline Result RunNicctl(const std::vector<std::string>& args,
                        const std::shared_ptr<FakeState>& st,
                        const std::string& input = "") {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in(input);
  Context ctx;
  ctx.connect = [st]() -> std::unique_ptr<nvo::Api> {
    if (st->no_module) {
      throw nvo::FamilyNotFound("nvmet_offload");
    }
    return std::make_unique<FakeApi>(st);
  };
  ctx.out = &out;
  ctx.err = &err;
  ctx.in = &in;
  ctx.now = [] { return std::string("12:00:00"); };
  ctx.sleep = [st](double s) {
    st->sleeps.push_back(s);
    st->clock += s + st->overrun;
  };
  ctx.epoch_ms = [] { return int64_t{1796544062123}; };
  ctx.monotonic = [st] { return st->clock; };
  ctx.open = [st](const std::string& path) -> std::unique_ptr<std::istream> {
    const auto it = st->files.find(path);
    if (it == st->files.end()) {
      errno = ENOENT;
      return nullptr;
    }
    return std::make_unique<std::istringstream>(it->second);
  };
  std::vector<const char*> argv = {"nicctl"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  Result r;
  r.rc = Main(static_cast<int>(argv.size()), argv.data(), ctx);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A port on traddr:trsvcid, offload off, bound to no device.
inline nvo::Port MakePort(uint32_t id, const std::string& traddr,
                          const std::string& trsvcid, nvo::AdrFam adrfam) {
  nvo::Port p;
  p.id = id;
  p.traddr = traddr;
  p.trsvcid = trsvcid;
  p.adrfam = adrfam;
  return p;
}

// Queue qid (0: the admin queue) of controller ctrl_id of hostnqn on port
// port_id, to the subsystem nqn.2024-01.io.example:ssd, in software; depth
// 32 for an admin queue, 128 for an I/O queue.
inline nvo::Queue MakeQueue(
    uint32_t id, uint32_t port_id, uint32_t ctrl_id, uint32_t qid,
    const std::string& hostnqn = "nqn.2014-08.org.nvmexpress:host1") {
  nvo::Queue q;
  q.id = id;
  q.port_id = port_id;
  q.ctrl_id = ctrl_id;
  q.qid = qid;
  q.depth = qid == 0 ? 32 : 128;
  q.hostnqn = hostnqn;
  q.subsysnqn = "nqn.2024-01.io.example:ssd";
  return q;
}

// A queue event (queue-offloaded, queue-reclaimed; queue-fallback with its
// reason) and a port-policy-changed event.
inline nvo::Event QueueEvent(
    nvo::EventType type, const nvo::Queue& q,
    std::optional<nvo::FallbackReason> reason = std::nullopt) {
  nvo::Event e;
  e.type = type;
  e.queue = q;
  e.reason = reason;
  return e;
}
inline nvo::Event PolicyEvent(const nvo::Port& p) {
  nvo::Event e;
  e.type = nvo::EventType::kPortPolicyChanged;
  e.port = p;
  return e;
}

// A small target: two devices, two ports, an admin and two I/O queues.
inline std::shared_ptr<FakeState> Sample() {
  auto st = std::make_shared<FakeState>();
  nvo::Device d1;
  d1.id = 1;
  d1.name = "nic0";
  d1.nr_queues = 2;
  d1.engines = 4;
  nvo::Caps c;
  c.max_queues = 64;
  c.io_opcodes = 0x107;
  c.max_io_size = 128 * 1024;
  c.min_queue_depth = 16;
  c.max_queue_depth = 1024;
  c.hdgst = true;
  c.ddgst = true;
  c.max_inline = 8192;
  c.backends = nvo::kBackendBdev;
  d1.caps = c;
  nvo::Device d2 = d1;
  d2.id = 2;
  d2.name = "nic1";
  d2.nr_queues = 0;
  d2.state = nvo::DevState::kFailed;
  st->devices = {d1, d2};

  nvo::Port p1 = MakePort(1, "10.0.0.1", "4420", nvo::AdrFam::kIpv4);
  p1.policy = nvo::Policy::kOn;
  p1.dev_id = 1;
  p1.dev_name = "nic0";
  st->ports = {p1, MakePort(2, "fd00::1", "4421", nvo::AdrFam::kIpv6)};

  nvo::Queue admin = MakeQueue(1, /*port_id=*/1, /*ctrl_id=*/3, /*qid=*/0);
  admin.cpu = 0;
  nvo::Queue io1 = MakeQueue(2, /*port_id=*/1, /*ctrl_id=*/3, /*qid=*/1);
  io1.state = nvo::QueueState::kOffloaded;
  io1.dev_id = 1;
  io1.engine = 0;
  io1.inflight = 7;
  io1.cpu = 1;
  nvo::Queue io2 = io1;
  io2.id = 3;
  io2.qid = 2;
  io2.engine = 1;
  io2.inflight = 0;
  st->queues = {admin, io1, io2};

  nvo::Stats s1;
  s1.key.scope = nvo::Scope::kDevice;
  s1.key.dev_id = 1;
  s1.counters.read_cmds = 1234567;
  s1.counters.write_cmds = 2500;
  s1.counters.flush_cmds = 3;
  s1.counters.errors = 1;
  s1.counters.punted_cmds = 12;
  s1.counters.punted_by_opcode = {{0x09, 10}, {0x05, 2}};
  s1.counters.offload_events = 4;
  s1.counters.lat_hist.assign(nvo::kLatBuckets, 0);
  s1.counters.lat_hist[4] = 900;  // 8-16us
  s1.counters.lat_hist[7] = 90;   // 64-128us
  s1.counters.lat_hist[11] = 10;  // 1-2ms
  nvo::Stats s2;
  s2.key.scope = nvo::Scope::kDevice;
  s2.key.dev_id = 2;
  s2.counters.lat_hist.assign(nvo::kLatBuckets, 0);
  st->stats = {s1, s2};
  // nic0's table of one subsystem: nsid 1 in the device, nsid 2 refused (a
  // full table); nic1 (failed) still holds an empty one.
  nvo::NsTable t1;
  t1.dev_id = 1;
  t1.subsysnqn = "nqn.2024-01.io.example:ssd";
  t1.subsys_id = 3;
  t1.gen = 5;
  nvo::NsEntry e1;
  e1.nsid = 1;
  e1.nr_blocks = 2097152;
  e1.lba_shift = 9;
  e1.flags = nvo::kNsVwc | nvo::kNsWz;
  nvo::NsEntry e2;
  e2.nsid = 2;
  e2.nr_blocks = 16384;
  e2.lba_shift = 12;
  e2.state = nvo::NsEntryState::kRefused;
  t1.entries = {e1, e2};
  nvo::NsTable t2;
  t2.dev_id = 2;
  t2.subsysnqn = "nqn.2024-01.io.example:hdd";
  t2.subsys_id = 4;
  t2.state = nvo::NsTableState::kDead;
  st->ns_tables = {t1, t2};
  return st;
}

// Sample() as a kernel with the transport attribute lists it: the ports
// and queues above are NVMe/TCP, and NVMe/RDMA port 3 has controller 4's
// admin queue (id 4) and one I/O queue (id 5), in software, without a cpu.
inline std::shared_ptr<FakeState> SampleWithRdma() {
  auto st = Sample();
  st->ports.push_back(MakePort(3, "10.0.0.1", "4420", nvo::AdrFam::kIpv4));
  const std::string host2 = "nqn.2014-08.org.nvmexpress:host2";
  st->queues.push_back(
      MakeQueue(4, /*port_id=*/3, /*ctrl_id=*/4, /*qid=*/0, host2));
  st->queues.push_back(
      MakeQueue(5, /*port_id=*/3, /*ctrl_id=*/4, /*qid=*/1, host2));
  st->queues.back().inflight = 3;
  const auto transport = [](uint32_t port_id) {
    return port_id == 3 ? nvo::Transport::kRdma : nvo::Transport::kTcp;
  };
  for (auto& p : st->ports) {
    p.transport = transport(p.id);
  }
  for (auto& q : st->queues) {
    q.transport = transport(q.port_id);
  }
  return st;
}

}  // namespace nicctl::test

#endif  // NICCTL_TESTS_FAKE_API_H_
