// SPDX-License-Identifier: GPL-2.0
// Names of the family's enum values, comparisons, counter deltas, errors.
#include "nvo/types.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

#include "nvo/error.h"
#include "uapi/linux/nvmet_offload.h"

namespace nvo {
namespace {

template <typename E, size_t N>
std::string Name(E v, const std::array<const char*, N>& names) {
  const auto i = static_cast<uint32_t>(v);
  if (i < N && names[i] != nullptr) {
    return names[i];
  }
  return "unknown(" + std::to_string(i) + ")";
}

template <typename E, size_t N>
std::optional<E> FromName(const std::string& s,
                          const std::array<const char*, N>& names) {
  for (size_t i = 0; i < N; i++) {
    if (names[i] != nullptr && s == names[i]) {
      return static_cast<E>(i);
    }
  }
  return std::nullopt;
}

// The names of the spec's enums (nl_tables_gen.h).
constexpr const auto& kDevStates = spec::kDevStateNames;
constexpr const auto& kPolicies = spec::kPolicyNames;
constexpr const auto& kAdrFams = spec::kAdrfamNames;
constexpr const auto& kTransports = spec::kTransportNames;
constexpr const auto& kQueueStates = spec::kQueueStateNames;
constexpr const auto& kScopes = spec::kStatsScopeNames;
constexpr const auto& kReasons = spec::kFallbackReasonNames;
constexpr const auto& kNsTableStates = spec::kNsTableStateNames;
constexpr const auto& kNsEntryStates = spec::kNsEntryStateNames;
constexpr const auto& kNsFlagBits = spec::kNsFlagsBitNames;
constexpr std::array<const char*, 8> kEventTypes = {"dev-add",
                                                    "dev-del",
                                                    "queue-offloaded",
                                                    "queue-reclaimed",
                                                    "queue-fallback",
                                                    "port-policy-changed",
                                                    "lost",
                                                    "dev-failed"};

// NVMe I/O command set opcodes (NVM command set, base spec 2.0).
constexpr std::array<std::pair<uint32_t, const char*>, 13> kOpcodes = {{
    {0x00, "flush"},
    {0x01, "write"},
    {0x02, "read"},
    {0x04, "write-uncor"},
    {0x05, "compare"},
    {0x08, "write-zeroes"},
    {0x09, "dsm"},
    {0x0c, "verify"},
    {0x0d, "resv-register"},
    {0x0e, "resv-report"},
    {0x11, "resv-acquire"},
    {0x15, "resv-release"},
    {0x19, "copy"},
}};

}  // namespace

std::string ToString(DevState v) { return Name(v, kDevStates); }
std::string ToString(Policy v) { return Name(v, kPolicies); }
std::string ToString(AdrFam v) { return Name(v, kAdrFams); }
std::string ToString(Transport v) { return Name(v, kTransports); }
std::string ToString(QueueState v) { return Name(v, kQueueStates); }
std::string ToString(Scope v) { return Name(v, kScopes); }
std::string ToString(FallbackReason v) { return Name(v, kReasons); }
std::string ToString(EventType v) { return Name(v, kEventTypes); }
std::string ToString(NsTableState v) { return Name(v, kNsTableStates); }
std::string ToString(NsEntryState v) { return Name(v, kNsEntryStates); }

std::optional<Policy> PolicyFromString(const std::string& s) {
  return FromName<Policy>(s, kPolicies);
}

std::optional<Scope> ScopeFromString(const std::string& s) {
  return FromName<Scope>(s, kScopes);
}

std::string OpcodeName(uint32_t opcode) {
  for (const auto& [op, name] : kOpcodes) {
    if (op == opcode) {
      return name;
    }
  }
  // The kernel counts punts of opcodes 0x1f and up together.
  if (opcode == NVMET_OFFLOAD_OPCODE_OTHER) {
    return "0x1f+";
  }
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%02x", opcode);
  return buf.data();
}

std::vector<std::string> OpcodeNames(uint64_t bitmap) {
  std::vector<std::string> out;
  for (uint32_t bit = 0; bit < 64; bit++) {
    if ((bitmap & (uint64_t{1} << bit)) != 0) {
      out.push_back(OpcodeName(bit));
    }
  }
  return out;
}

std::vector<std::string> BackendNames(uint32_t bitmap) {
  std::vector<std::string> out;
  for (uint32_t bit = 0; bit < 32; bit++) {
    if ((bitmap & (1U << bit)) == 0) {
      continue;
    }
    out.push_back((1U << bit) == kBackendBdev ? std::string("bdev")
                                              : "bit" + std::to_string(bit));
  }
  return out;
}

std::vector<std::string> NsFlagNames(uint32_t flags) {
  std::vector<std::string> out;
  for (uint32_t bit = 0; bit < 32; bit++) {
    if ((flags & (1U << bit)) == 0) {
      continue;
    }
    out.push_back(bit < kNsFlagBits.size() && kNsFlagBits[bit] != nullptr
                      ? std::string(kNsFlagBits[bit])
                      : "bit" + std::to_string(bit));
  }
  return out;
}

bool NsEntry::operator==(const NsEntry& o) const {
  return nsid == o.nsid && nr_blocks == o.nr_blocks &&
         lba_shift == o.lba_shift && flags == o.flags && state == o.state;
}

bool NsTable::operator==(const NsTable& o) const {
  return dev_id == o.dev_id && subsysnqn == o.subsysnqn &&
         subsys_id == o.subsys_id && gen == o.gen && state == o.state &&
         entries == o.entries;
}

bool Caps::operator==(const Caps& o) const {
  return max_queues == o.max_queues && io_opcodes == o.io_opcodes &&
         max_io_size == o.max_io_size && min_queue_depth == o.min_queue_depth &&
         max_queue_depth == o.max_queue_depth && hdgst == o.hdgst &&
         ddgst == o.ddgst && max_inline == o.max_inline &&
         backends == o.backends && take == o.take && sgl == o.sgl &&
         max_h2c_data == o.max_h2c_data && max_hpda == o.max_hpda;
}

bool Device::operator==(const Device& o) const {
  return id == o.id && name == o.name && state == o.state && caps == o.caps &&
         nr_queues == o.nr_queues && engines == o.engines &&
         api_version == o.api_version;
}

bool Port::operator==(const Port& o) const {
  return id == o.id && traddr == o.traddr && trsvcid == o.trsvcid &&
         adrfam == o.adrfam && policy == o.policy && dev_id == o.dev_id &&
         dev_name == o.dev_name && transport == o.transport;
}

bool Queue::operator==(const Queue& o) const {
  return id == o.id && port_id == o.port_id && ctrl_id == o.ctrl_id &&
         qid == o.qid && hostnqn == o.hostnqn && subsysnqn == o.subsysnqn &&
         state == o.state && dev_id == o.dev_id && engine == o.engine &&
         depth == o.depth && inflight == o.inflight && cpu == o.cpu &&
         move_us == o.move_us && transport == o.transport;
}

bool Counters::operator==(const Counters& o) const {
#define NVO_COUNTER(field, attr) field == o.field&&
  return NVO_FOR_EACH_COUNTER(NVO_COUNTER) lat_hist == o.lat_hist &&
         punted_by_opcode == o.punted_by_opcode;
#undef NVO_COUNTER
}

bool StatsSelector::operator==(const StatsSelector& o) const {
  return scope == o.scope && dev_id == o.dev_id && port_id == o.port_id &&
         nsid == o.nsid && queue_id == o.queue_id && subsysnqn == o.subsysnqn;
}

bool Stats::operator==(const Stats& o) const {
  return key == o.key && counters == o.counters;
}

namespace {
uint64_t Sub(uint64_t now, uint64_t before) {
  return now >= before ? now - before : now;
}
}  // namespace

Counters Delta(const Counters& now, const Counters& before) {
  Counters d;
#define NVO_COUNTER(field, attr) d.field = Sub(now.field, before.field);
  NVO_FOR_EACH_COUNTER(NVO_COUNTER)
#undef NVO_COUNTER
  d.lat_hist.resize(now.lat_hist.size());
  for (size_t i = 0; i < now.lat_hist.size(); i++) {
    const uint64_t b = i < before.lat_hist.size() ? before.lat_hist[i] : 0;
    d.lat_hist[i] = Sub(now.lat_hist[i], b);
  }
  for (const auto& [op, n] : now.punted_by_opcode) {
    const auto it = before.punted_by_opcode.find(op);
    const uint64_t v =
        Sub(n, it == before.punted_by_opcode.end() ? 0 : it->second);
    if (v != 0) {
      d.punted_by_opcode[op] = v;
    }
  }
  return d;
}

// ---- errors ----------------------------------------------------------------
namespace {
std::string NetlinkWhat(int err, const std::string& extack) {
  std::string s = extack.empty() ? std::string(std::strerror(err)) : extack;
  return s + " (" + ErrnoName(err) + ")";
}
}  // namespace

NetlinkError::NetlinkError(int err, std::string extack,
                           std::optional<uint32_t> offset)
    : Error(err, NetlinkWhat(err, extack)),
      extack_(std::move(extack)),
      offset_(offset) {}

FamilyNotFound::FamilyNotFound(const std::string& name)
    : Error(ENOENT, "generic netlink family " + name + " not found") {}

ParseError::ParseError(const std::string& what)
    : Error(EPROTO, "malformed reply: " + what) {}

SocketError::SocketError(int err, const std::string& what) : Error(err, what) {}

std::string ErrnoName(int err) {
  static constexpr std::array<std::pair<int, std::string_view>, 24> kNames = {{
      {EPERM, "EPERM"},
      {ENOENT, "ENOENT"},
      {ESRCH, "ESRCH"},
      {EINTR, "EINTR"},
      {EIO, "EIO"},
      {ENXIO, "ENXIO"},
      {E2BIG, "E2BIG"},
      {EAGAIN, "EAGAIN"},
      {ENOMEM, "ENOMEM"},
      {EACCES, "EACCES"},
      {EFAULT, "EFAULT"},
      {EBUSY, "EBUSY"},
      {EEXIST, "EEXIST"},
      {ENODEV, "ENODEV"},
      {EINVAL, "EINVAL"},
      {ENOSPC, "ENOSPC"},
      {ERANGE, "ERANGE"},
      {ENOTSUP, "EOPNOTSUPP"},
      {EPROTO, "EPROTO"},
      {EMSGSIZE, "EMSGSIZE"},
      {ENOBUFS, "ENOBUFS"},
      {EALREADY, "EALREADY"},
      {EINPROGRESS, "EINPROGRESS"},
      {ETIMEDOUT, "ETIMEDOUT"},
  }};
  for (const auto& [e, name] : kNames) {
    if (e == err) {
      return std::string(name);
    }
  }
  return "E" + std::to_string(err);
}

}  // namespace nvo
