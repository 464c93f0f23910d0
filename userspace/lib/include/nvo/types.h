// SPDX-License-Identifier: GPL-2.0
// The objects of the nvmet_offload netlink family as plain C++ values
// (Documentation/netlink.rst). Enum values are those of
// include/uapi/linux/nvmet_offload.h; a value this library does not know
// (newer kernel) is kept as is and printed as "unknown(N)".
#ifndef NVO_TYPES_H_
#define NVO_TYPES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nvo/export.h"
#include "nvo/nl_tables_gen.h"

namespace nvo {

inline constexpr const char* kFamilyName = "nvmet_offload";
inline constexpr const char* kMonitorGroup = "monitor";
inline constexpr uint8_t kFamilyVersion = 1;
inline constexpr unsigned kLatBuckets = 24;

enum class DevState : uint32_t { kLive = 0, kFailed = 1, kRemoving = 2 };
enum class Policy : uint32_t { kOff = 0, kOn = 1 };
enum class AdrFam : uint32_t { kIpv4 = 1, kIpv6 = 2, kIb = 3, kFc = 4 };
// The NVMe-oF transport of a port or queue (the NVMe trtype numbering).
enum class Transport : uint32_t { kRdma = 1, kFc = 2, kTcp = 3 };
enum class QueueState : uint32_t {
  kSoftware = 0,
  kOffloading = 1,
  kOffloaded = 2,
  kReclaiming = 3,
  kFailed = 4,
};
enum class Scope : uint32_t {
  kDevice = 0,
  kPort = 1,
  kNamespace = 2,
  kQueue = 3,
};
enum class FallbackReason : uint32_t {
  kNone = 0,
  kRefused = 1,
  kQueueFailed = 2,
  kDevFailed = 3,
  kDevRemoved = 4,
  kStreamLost = 5,
};
// Bits of Caps::backends.
inline constexpr uint32_t kBackendBdev = 1U << 0;
// A namespace table of a device (driver API v2, section 3), and its entries.
enum class NsTableState : uint32_t { kAttached = 0, kDeclined = 1, kDead = 2 };
enum class NsEntryState : uint32_t {
  kInDevice = 0,
  kRefused = 1,   // the device's table was full: left out, punted
  kRemoving = 2,  // REMOVE sent, not completed yet
  kFailed = 3,    // the device's back end failed: left out, punted
};
// Bits of NsEntry::flags.
inline constexpr uint32_t kNsRo = 1U << 0;
inline constexpr uint32_t kNsVwc = 1U << 1;
inline constexpr uint32_t kNsWz = 1U << 2;
inline constexpr uint32_t kNsDiscard = 1U << 3;

NVO_API std::string ToString(DevState v);
NVO_API std::string ToString(Policy v);
NVO_API std::string ToString(AdrFam v);
NVO_API std::string ToString(Transport v);
NVO_API std::string ToString(QueueState v);
NVO_API std::string ToString(Scope v);
NVO_API std::string ToString(FallbackReason v);
NVO_API std::string ToString(NsTableState v);
NVO_API std::string ToString(NsEntryState v);
// Names as in the spec ("on", "namespace"...); nullopt for anything else.
NVO_API std::optional<Policy> PolicyFromString(const std::string& s);
NVO_API std::optional<Scope> ScopeFromString(const std::string& s);

// NVMe I/O opcode names ("read", "write-zeroes"); "0xNN" for others.
NVO_API std::string OpcodeName(uint32_t opcode);
// Names of the opcodes set in a caps io-opcodes bitmap, lowest first.
NVO_API std::vector<std::string> OpcodeNames(uint64_t bitmap);
// Names of the bits of a caps backends bitmap ("bdev"; "bitN" for others).
NVO_API std::vector<std::string> BackendNames(uint32_t bitmap);
// Names of the bits of a namespace entry's flags ("ro", "vwc", "wz",
// "discard"; "bitN" for others), lowest first.
NVO_API std::vector<std::string> NsFlagNames(uint32_t flags);

struct NVO_API Caps {
  uint32_t max_queues = 0;
  uint64_t io_opcodes = 0;
  uint32_t max_io_size = 0;
  uint32_t min_queue_depth = 0;
  uint32_t max_queue_depth = 0;
  bool hdgst = false;
  bool ddgst = false;
  uint32_t max_inline = 0;
  uint32_t backends = 0;
  // Driver API v2: how the device takes NVMe/TCP queues (enum nvo_take
  // bits), the SGL forms it parses (enum nvo_sgl bits), its H2CData and
  // HPDA limits (0: none of its own).
  uint32_t take = 0;
  uint32_t sgl = 0;
  uint32_t max_h2c_data = 0;
  uint32_t max_hpda = 0;
  bool operator==(const Caps& o) const;
};

struct NVO_API Device {
  uint32_t id = 0;
  std::string name;
  DevState state = DevState::kLive;
  std::optional<Caps> caps;
  uint32_t nr_queues = 0;
  uint32_t engines = 0;
  uint32_t api_version = 0;  // 0: not sent (a shim before driver API v2)
  bool operator==(const Device& o) const;
};

struct NVO_API Port {
  uint32_t id = 0;
  std::string traddr;
  std::string trsvcid;
  std::optional<AdrFam> adrfam;
  Policy policy = Policy::kOff;
  std::optional<uint32_t> dev_id;  // absent: unbound
  std::string dev_name;
  // Appended (the fields above keep their places): nullopt from a kernel
  // that does not send it (before NVMe/RDMA ports were listed).
  std::optional<Transport> transport;
  bool operator==(const Port& o) const;
};

struct NVO_API Queue {
  uint32_t id = 0;
  uint32_t port_id = 0;
  uint32_t ctrl_id = 0;
  uint32_t qid = 0;
  std::string hostnqn;
  std::string subsysnqn;
  QueueState state = QueueState::kSoftware;
  std::optional<uint32_t> dev_id;
  std::optional<uint32_t> engine;
  uint32_t depth = 0;
  uint32_t inflight = 0;
  std::optional<uint32_t> cpu;  // absent for an NVMe/RDMA queue
  // The last completed move's time (request to state reached), kernel-timed.
  std::optional<uint32_t> move_us;
  // Appended, as Port's: nullopt from a kernel that does not send it.
  std::optional<Transport> transport;
  bool operator==(const Queue& o) const;
};

// Every field of struct nvo_offload_stats plus the shim's events.
struct NVO_API Counters {
  // uint64_t <counter> = 0; for each u64 counter of the spec
#define NVO_COUNTER(field, attr) uint64_t field = 0;
  NVO_FOR_EACH_COUNTER(NVO_COUNTER)
#undef NVO_COUNTER
  // Bucket 0: [0, 1) us; bucket b: [2^(b-1), 2^b) us; the last: above.
  std::vector<uint64_t> lat_hist;
  std::map<uint32_t, uint64_t> punted_by_opcode;
  bool operator==(const Counters& o) const;
};

// Counters accumulated between two samples of the same object; a counter
// that went down (reset in between) counts from zero.
NVO_API Counters Delta(const Counters& now, const Counters& before);

// Which object a set of counters covers (stats-get, stats-reset).
struct NVO_API StatsSelector {
  Scope scope = Scope::kDevice;
  std::optional<uint32_t> dev_id;
  std::optional<uint32_t> port_id;
  std::optional<uint32_t> nsid;
  std::optional<uint32_t> queue_id;
  std::optional<std::string> subsysnqn;
  bool operator==(const StatsSelector& o) const;
};

// stats-get dump: every object of a scope, optionally narrowed.
struct NVO_API StatsFilter {
  std::optional<Scope> scope;
  std::optional<uint32_t> dev_id;
  std::optional<uint32_t> port_id;
};

struct NVO_API Stats {
  StatsSelector key;
  Counters counters;
  bool operator==(const Stats& o) const;
};

struct NVO_API NsEntry {
  uint32_t nsid = 0;
  uint64_t nr_blocks = 0;
  uint32_t lba_shift = 0;
  uint32_t flags = 0;  // kNs* bits
  NsEntryState state = NsEntryState::kInDevice;
  bool operator==(const NsEntry& o) const;
};

// ns-table-get: one table of a (device, subsystem), its entries in nsid
// order (a long table comes in several messages: the library joins them).
struct NVO_API NsTable {
  uint32_t dev_id = 0;
  std::string subsysnqn;
  uint32_t subsys_id = 0;
  uint64_t gen = 0;
  NsTableState state = NsTableState::kAttached;
  std::vector<NsEntry> entries;
  bool operator==(const NsTable& o) const;
};

// queue-get dump filters (ANDed).
struct NVO_API QueueFilter {
  std::optional<uint32_t> port_id;
  std::optional<uint32_t> ctrl_id;
  std::optional<uint32_t> dev_id;
};

// port-set: what to change.
struct NVO_API PortSet {
  uint32_t id = 0;
  std::optional<Policy> policy;
  std::optional<uint32_t> dev_id;  // 0 unbinds
  std::optional<std::string> dev_name;
};

// queue-set: one queue (id, or ctrl_id + qid) or a controller (ctrl_id).
struct NVO_API QueueSet {
  std::optional<uint32_t> id;
  std::optional<uint32_t> ctrl_id;
  std::optional<uint32_t> qid;
  Policy offload = Policy::kOn;
};

enum class EventType {
  kDevAdd,
  kDevDel,
  kQueueOffloaded,
  kQueueReclaimed,
  kQueueFallback,
  kPortPolicyChanged,
  kLost,       // not from the kernel: the socket overran, events were lost
  kDevFailed,  // appended: the values are the library's ABI
};
NVO_API std::string ToString(EventType v);

struct NVO_API Event {
  EventType type = EventType::kLost;
  std::optional<Device> dev;             // dev-add, dev-del, dev-failed
  std::optional<Queue> queue;            // queue-*
  std::optional<Port> port;              // port-policy-changed
  std::optional<FallbackReason> reason;  // queue-fallback
};

}  // namespace nvo

#endif  // NVO_TYPES_H_
