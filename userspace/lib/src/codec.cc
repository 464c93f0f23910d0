// SPDX-License-Identifier: GPL-2.0
// Requests and replies of the nvmet_offload family on bytes (no socket).
#include "nvo/codec.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/genl.h>

#include <array>
#include <cstring>
#include <new>
#include <stdexcept>

#include "nvo/error.h"
#include "nvo/nl_tables_gen.h"
#include "uapi/linux/nvmet_offload.h"

namespace nvo {
namespace {

// ---- policies (NVO_FOR_EACH_ATTR, generated from the spec) -------------
enum class AttrSet {
  CAPS,
  DEV,
  PORT,
  QUEUE,
  STATS,
  COUNTERS,
  OPCODE_COUNT,
  LAT_HIST,
  NS_TABLE,
  NS_ENTRY,
};

struct AttrInfo {
  AttrSet set;
  int type;
  uint16_t nla_type;
};

constexpr std::array kAttrs = {
#define NVO_ATTR(set, attr, type) \
  AttrInfo{AttrSet::set, NVMET_OFFLOAD_A_##set##_##attr, NLA_##type},
    NVO_FOR_EACH_ATTR(NVO_ATTR)
#undef NVO_ATTR
};

template <AttrSet S, int Max>
struct PolicyTable {
  static constexpr int kMax = Max;
  static nla_policy* Get() {
    static std::array<nla_policy, Max + 1> table = [] {
      std::array<nla_policy, Max + 1> t{};
      for (const auto& a : kAttrs) {
        if (a.set == S && a.type >= 0 && a.type <= Max) {
          t[a.type].type = a.nla_type;
        }
      }
      return t;
    }();
    return table.data();
  }
};

using CapsPolicy = PolicyTable<AttrSet::CAPS, NVMET_OFFLOAD_A_CAPS_MAX>;
using DevPolicy = PolicyTable<AttrSet::DEV, NVMET_OFFLOAD_A_DEV_MAX>;
using PortPolicy = PolicyTable<AttrSet::PORT, NVMET_OFFLOAD_A_PORT_MAX>;
using QueuePolicy = PolicyTable<AttrSet::QUEUE, NVMET_OFFLOAD_A_QUEUE_MAX>;
using StatsPolicy = PolicyTable<AttrSet::STATS, NVMET_OFFLOAD_A_STATS_MAX>;
using CountersPolicy =
    PolicyTable<AttrSet::COUNTERS, NVMET_OFFLOAD_A_COUNTERS_MAX>;
using OpcodeCountPolicy =
    PolicyTable<AttrSet::OPCODE_COUNT, NVMET_OFFLOAD_A_OPCODE_COUNT_MAX>;
using LatHistPolicy =
    PolicyTable<AttrSet::LAT_HIST, NVMET_OFFLOAD_A_LAT_HIST_MAX>;
using NsTablePolicy =
    PolicyTable<AttrSet::NS_TABLE, NVMET_OFFLOAD_A_NS_TABLE_MAX>;
using NsEntryPolicy =
    PolicyTable<AttrSet::NS_ENTRY, NVMET_OFFLOAD_A_NS_ENTRY_MAX>;

// ---- building ------------------------------------------------------------
[[noreturn]] void TooLarge() {
  throw std::length_error("netlink request does not fit a message");
}

MsgPtr NewMsg(int family, uint8_t cmd, int flags) {
  MsgPtr m(nlmsg_alloc());
  if (!m) {
    throw std::bad_alloc();
  }
  if (genlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
                  NVMET_OFFLOAD_FAMILY_VERSION) == nullptr) {
    TooLarge();
  }
  return m;
}

MsgPtr NewDo(int family, uint8_t cmd) {
  return NewMsg(family, cmd, NLM_F_REQUEST | NLM_F_ACK);
}

MsgPtr NewDump(int family, uint8_t cmd) {
  return NewMsg(family, cmd, NLM_F_REQUEST | NLM_F_DUMP);
}

void PutU32(const MsgPtr& m, int type, uint32_t v) {
  if (nla_put_u32(m.get(), type, v) < 0) {
    TooLarge();
  }
}

void PutOptU32(const MsgPtr& m, int type, const std::optional<uint32_t>& v) {
  if (v) {
    PutU32(m, type, *v);
  }
}

void PutStr(const MsgPtr& m, int type, const std::string& s) {
  if (s.find('\0') != std::string::npos) {
    throw std::invalid_argument("string attribute with an embedded NUL");
  }
  if (nla_put_string(m.get(), type, s.c_str()) < 0) {
    TooLarge();
  }
}

void PutSelector(const MsgPtr& m, const StatsSelector& sel) {
  PutU32(m, NVMET_OFFLOAD_A_STATS_SCOPE, static_cast<uint32_t>(sel.scope));
  PutOptU32(m, NVMET_OFFLOAD_A_STATS_DEV_ID, sel.dev_id);
  PutOptU32(m, NVMET_OFFLOAD_A_STATS_PORT_ID, sel.port_id);
  PutOptU32(m, NVMET_OFFLOAD_A_STATS_NSID, sel.nsid);
  PutOptU32(m, NVMET_OFFLOAD_A_STATS_QUEUE_ID, sel.queue_id);
  if (sel.subsysnqn) {
    PutStr(m, NVMET_OFFLOAD_A_STATS_SUBSYSNQN, *sel.subsysnqn);
  }
}

void CheckSelector(const StatsSelector& sel) {
  switch (sel.scope) {
    case Scope::kDevice:
      if (!sel.dev_id) {
        throw std::invalid_argument("device scope needs a device id");
      }
      break;
    case Scope::kPort:
      if (!sel.port_id) {
        throw std::invalid_argument("port scope needs a port id");
      }
      break;
    case Scope::kNamespace:
      if (!sel.port_id || !sel.nsid) {
        throw std::invalid_argument(
            "namespace scope needs a port id and a namespace id");
      }
      if (*sel.nsid == 0) {
        throw std::invalid_argument("namespace id 0 is not a namespace");
      }
      break;
    case Scope::kQueue:
      if (!sel.queue_id) {
        throw std::invalid_argument("queue scope needs a queue id");
      }
      break;
    default:
      throw std::invalid_argument("unknown stats scope");
  }
}

// ---- parsing -------------------------------------------------------------
nlmsghdr Header(const std::vector<uint8_t>& b) {
  nlmsghdr h{};
  std::memcpy(&h, b.data(), sizeof(h));
  return h;
}

// nla_parse() and friends take non-const pointers but do not write.
nlattr* Mut(const void* p) {
  return static_cast<nlattr*>(const_cast<void*>(p));  // NOLINT
}

template <typename P>
std::array<nlattr*, P::kMax + 1> ParseTop(const Message& msg,
                                          const char* what) {
  const auto& b = msg.bytes();
  const size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(GENL_HDRLEN);
  if (b.size() < off) {
    throw ParseError(std::string(what) + ": message too short");
  }
  std::array<nlattr*, P::kMax + 1> tb{};
  const int err = nla_parse(tb.data(), P::kMax, Mut(b.data() + off),
                            static_cast<int>(b.size() - off), P::Get());
  if (err < 0) {
    throw ParseError(std::string(what) + ": malformed attribute (" +
                     nl_geterror(err) + ")");
  }
  return tb;
}

template <typename P>
std::array<nlattr*, P::kMax + 1> ParseNest(const nlattr* nest,
                                           const char* what) {
  std::array<nlattr*, P::kMax + 1> tb{};
  const int err = nla_parse_nested(tb.data(), P::kMax, Mut(nest), P::Get());
  if (err < 0) {
    throw ParseError(std::string(what) + ": malformed attribute (" +
                     nl_geterror(err) + ")");
  }
  return tb;
}

uint32_t U32(const nlattr* a) { return nla_get_u32(Mut(a)); }
uint64_t U64(const nlattr* a) { return nla_get_u64(Mut(a)); }

std::optional<uint32_t> OptU32(const nlattr* a) {
  if (a == nullptr) {
    return std::nullopt;
  }
  return U32(a);
}

uint32_t U32Or(const nlattr* a, uint32_t def) { return a ? U32(a) : def; }
uint64_t U64Or(const nlattr* a) { return a ? U64(a) : 0; }

std::string Str(const nlattr* a) {
  if (a == nullptr) {
    return {};
  }
  const auto* p = static_cast<const char*>(nla_data(a));
  return {p, strnlen(p, static_cast<size_t>(nla_len(a)))};
}

Caps ParseCaps(const nlattr* nest) {
  const auto tb = ParseNest<CapsPolicy>(nest, "device caps");
  Caps c;
  c.max_queues = U32Or(tb[NVMET_OFFLOAD_A_CAPS_MAX_QUEUES], 0);
  c.io_opcodes = U64Or(tb[NVMET_OFFLOAD_A_CAPS_IO_OPCODES]);
  c.max_io_size = U32Or(tb[NVMET_OFFLOAD_A_CAPS_MAX_IO_SIZE], 0);
  c.min_queue_depth = U32Or(tb[NVMET_OFFLOAD_A_CAPS_MIN_QUEUE_DEPTH], 0);
  c.max_queue_depth = U32Or(tb[NVMET_OFFLOAD_A_CAPS_MAX_QUEUE_DEPTH], 0);
  c.hdgst = tb[NVMET_OFFLOAD_A_CAPS_HDGST] != nullptr;
  c.ddgst = tb[NVMET_OFFLOAD_A_CAPS_DDGST] != nullptr;
  c.max_inline = U32Or(tb[NVMET_OFFLOAD_A_CAPS_MAX_INLINE], 0);
  c.backends = U32Or(tb[NVMET_OFFLOAD_A_CAPS_BACKENDS], 0);
  c.take = U32Or(tb[NVMET_OFFLOAD_A_CAPS_TAKE], 0);
  c.sgl = U32Or(tb[NVMET_OFFLOAD_A_CAPS_SGL], 0);
  c.max_h2c_data = U32Or(tb[NVMET_OFFLOAD_A_CAPS_MAX_H2C_DATA], 0);
  c.max_hpda = U32Or(tb[NVMET_OFFLOAD_A_CAPS_MAX_HPDA], 0);
  return c;
}

struct QueueAttrs {
  Queue queue;
  std::optional<FallbackReason> reason;
};

QueueAttrs ParseQueueAttrs(const Message& msg) {
  const auto tb = ParseTop<QueuePolicy>(msg, "queue");
  if (tb[NVMET_OFFLOAD_A_QUEUE_ID] == nullptr) {
    throw ParseError("queue: no queue id");
  }
  QueueAttrs r;
  Queue& q = r.queue;
  q.id = U32(tb[NVMET_OFFLOAD_A_QUEUE_ID]);
  q.port_id = U32Or(tb[NVMET_OFFLOAD_A_QUEUE_PORT_ID], 0);
  q.ctrl_id = U32Or(tb[NVMET_OFFLOAD_A_QUEUE_CTRL_ID], 0);
  q.qid = U32Or(tb[NVMET_OFFLOAD_A_QUEUE_QID], 0);
  q.hostnqn = Str(tb[NVMET_OFFLOAD_A_QUEUE_HOSTNQN]);
  q.subsysnqn = Str(tb[NVMET_OFFLOAD_A_QUEUE_SUBSYSNQN]);
  q.state = static_cast<QueueState>(U32Or(tb[NVMET_OFFLOAD_A_QUEUE_STATE],
                                          NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE));
  q.dev_id = OptU32(tb[NVMET_OFFLOAD_A_QUEUE_DEV_ID]);
  q.engine = OptU32(tb[NVMET_OFFLOAD_A_QUEUE_ENGINE]);
  q.depth = U32Or(tb[NVMET_OFFLOAD_A_QUEUE_DEPTH], 0);
  q.inflight = U32Or(tb[NVMET_OFFLOAD_A_QUEUE_INFLIGHT], 0);
  q.cpu = OptU32(tb[NVMET_OFFLOAD_A_QUEUE_CPU]);
  q.move_us = OptU32(tb[NVMET_OFFLOAD_A_QUEUE_MOVE_US]);
  if (const nlattr* a = tb[NVMET_OFFLOAD_A_QUEUE_TRANSPORT]) {
    q.transport = static_cast<Transport>(U32(a));
  }
  if (const nlattr* a = tb[NVMET_OFFLOAD_A_QUEUE_FALLBACK_REASON]) {
    r.reason = static_cast<FallbackReason>(U32(a));
  }
  return r;
}

void ParseLatHist(const nlattr* nest, Counters& c) {
  // Validates every bucket (multi-attr) before reading them in order.
  (void)ParseNest<LatHistPolicy>(nest, "latency histogram");
  const nlattr* a = nullptr;
  int rem = 0;
  nla_for_each_nested(a, nest, rem) {
    if (nla_type(a) == NVMET_OFFLOAD_A_LAT_HIST_BUCKET) {
      c.lat_hist.push_back(U64(a));
    }
  }
}

void ParsePunted(const nlattr* nest, Counters& c) {
  const auto tb = ParseNest<OpcodeCountPolicy>(nest, "punted-by-opcode");
  if (tb[NVMET_OFFLOAD_A_OPCODE_COUNT_OPCODE] == nullptr ||
      tb[NVMET_OFFLOAD_A_OPCODE_COUNT_COUNT] == nullptr) {
    throw ParseError("punted-by-opcode: opcode or count missing");
  }
  c.punted_by_opcode[U32(tb[NVMET_OFFLOAD_A_OPCODE_COUNT_OPCODE])] +=
      U64(tb[NVMET_OFFLOAD_A_OPCODE_COUNT_COUNT]);
}

Counters ParseCounters(const nlattr* nest) {
  const auto tb = ParseNest<CountersPolicy>(nest, "counters");
  Counters c;
#define NVO_COUNTER(field, attr) \
  c.field = U64Or(tb[NVMET_OFFLOAD_A_COUNTERS_##attr]);
  NVO_FOR_EACH_COUNTER(NVO_COUNTER)
#undef NVO_COUNTER
  if (const nlattr* h = tb[NVMET_OFFLOAD_A_COUNTERS_LAT_HIST]) {
    ParseLatHist(h, c);
  }
  const nlattr* a = nullptr;
  int rem = 0;
  nla_for_each_nested(a, nest, rem) {
    if (nla_type(a) == NVMET_OFFLOAD_A_COUNTERS_PUNTED_BY_OPCODE) {
      ParsePunted(a, c);
    }
  }
  return c;
}

NsEntry ParseNsEntry(const nlattr* nest) {
  const auto tb = ParseNest<NsEntryPolicy>(nest, "namespace entry");
  if (tb[NVMET_OFFLOAD_A_NS_ENTRY_NSID] == nullptr) {
    throw ParseError("namespace entry: no nsid");
  }
  NsEntry e;
  e.nsid = U32(tb[NVMET_OFFLOAD_A_NS_ENTRY_NSID]);
  e.nr_blocks = U64Or(tb[NVMET_OFFLOAD_A_NS_ENTRY_NR_BLOCKS]);
  e.lba_shift = U32Or(tb[NVMET_OFFLOAD_A_NS_ENTRY_LBA_SHIFT], 0);
  e.flags = U32Or(tb[NVMET_OFFLOAD_A_NS_ENTRY_FLAGS], 0);
  e.state =
      static_cast<NsEntryState>(U32Or(tb[NVMET_OFFLOAD_A_NS_ENTRY_STATE],
                                      NVMET_OFFLOAD_NS_ENTRY_STATE_IN_DEVICE));
  return e;
}

// Extended ACK attributes starting at byte off of the message.
void ParseExtack(const std::vector<uint8_t>& b, size_t off, Ack& ack) {
  if (off >= b.size()) {
    return;
  }
  std::array<nla_policy, NLMSGERR_ATTR_MAX + 1> pol{};
  pol[NLMSGERR_ATTR_MSG].type = NLA_STRING;
  pol[NLMSGERR_ATTR_OFFS].type = NLA_U32;
  std::array<nlattr*, NLMSGERR_ATTR_MAX + 1> tb{};
  // A malformed extack loses the message, not the error.
  if (nla_parse(tb.data(), NLMSGERR_ATTR_MAX, Mut(b.data() + off),
                static_cast<int>(b.size() - off), pol.data()) < 0) {
    return;
  }
  ack.extack = Str(tb[NLMSGERR_ATTR_MSG]);
  ack.extack_offset = OptU32(tb[NLMSGERR_ATTR_OFFS]);
}

}  // namespace

// ---- requests ---------------------------------------------------------
MsgPtr BuildDevGet(int family, std::optional<uint32_t> id,
                   const std::string& name) {
  if (!id && name.empty()) {
    throw std::invalid_argument("dev-get needs a device id or name");
  }
  auto m = NewDo(family, NVMET_OFFLOAD_CMD_DEV_GET);
  PutOptU32(m, NVMET_OFFLOAD_A_DEV_ID, id);
  if (!name.empty()) {
    PutStr(m, NVMET_OFFLOAD_A_DEV_NAME, name);
  }
  return m;
}

MsgPtr BuildDevDump(int family) {
  return NewDump(family, NVMET_OFFLOAD_CMD_DEV_GET);
}

MsgPtr BuildPortGet(int family, uint32_t id) {
  auto m = NewDo(family, NVMET_OFFLOAD_CMD_PORT_GET);
  PutU32(m, NVMET_OFFLOAD_A_PORT_ID, id);
  return m;
}

MsgPtr BuildPortDump(int family) {
  return NewDump(family, NVMET_OFFLOAD_CMD_PORT_GET);
}

MsgPtr BuildPortSet(int family, const PortSet& req) {
  if (!req.policy && !req.dev_id && !req.dev_name) {
    throw std::invalid_argument("port-set with nothing to set");
  }
  auto m = NewDo(family, NVMET_OFFLOAD_CMD_PORT_SET);
  PutU32(m, NVMET_OFFLOAD_A_PORT_ID, req.id);
  if (req.policy) {
    PutU32(m, NVMET_OFFLOAD_A_PORT_POLICY, static_cast<uint32_t>(*req.policy));
  }
  PutOptU32(m, NVMET_OFFLOAD_A_PORT_DEV_ID, req.dev_id);
  if (req.dev_name) {
    PutStr(m, NVMET_OFFLOAD_A_PORT_DEV_NAME, *req.dev_name);
  }
  return m;
}

MsgPtr BuildQueueGet(int family, uint32_t id) {
  auto m = NewDo(family, NVMET_OFFLOAD_CMD_QUEUE_GET);
  PutU32(m, NVMET_OFFLOAD_A_QUEUE_ID, id);
  return m;
}

MsgPtr BuildQueueDump(int family, const QueueFilter& filter) {
  auto m = NewDump(family, NVMET_OFFLOAD_CMD_QUEUE_GET);
  PutOptU32(m, NVMET_OFFLOAD_A_QUEUE_PORT_ID, filter.port_id);
  PutOptU32(m, NVMET_OFFLOAD_A_QUEUE_CTRL_ID, filter.ctrl_id);
  PutOptU32(m, NVMET_OFFLOAD_A_QUEUE_DEV_ID, filter.dev_id);
  return m;
}

MsgPtr BuildQueueSet(int family, const QueueSet& req) {
  if (!req.id && !req.ctrl_id) {
    throw std::invalid_argument("queue-set needs a queue id or a controller");
  }
  if (req.qid && !req.ctrl_id) {
    throw std::invalid_argument("queue-set: a qid needs its controller");
  }
  if (req.qid && *req.qid == 0) {
    throw std::invalid_argument("queue-set: the admin queue stays in software");
  }
  auto m = NewDo(family, NVMET_OFFLOAD_CMD_QUEUE_SET);
  PutOptU32(m, NVMET_OFFLOAD_A_QUEUE_ID, req.id);
  PutOptU32(m, NVMET_OFFLOAD_A_QUEUE_CTRL_ID, req.ctrl_id);
  PutOptU32(m, NVMET_OFFLOAD_A_QUEUE_QID, req.qid);
  PutU32(m, NVMET_OFFLOAD_A_QUEUE_OFFLOAD, static_cast<uint32_t>(req.offload));
  return m;
}

MsgPtr BuildNsTableDump(int family, std::optional<uint32_t> dev_id) {
  if (dev_id && *dev_id == 0) {
    throw std::invalid_argument("device ids start at 1");
  }
  auto m = NewDump(family, NVMET_OFFLOAD_CMD_NS_TABLE_GET);
  PutOptU32(m, NVMET_OFFLOAD_A_NS_TABLE_DEV_ID, dev_id);
  return m;
}

MsgPtr BuildStatsGet(int family, const StatsSelector& sel) {
  CheckSelector(sel);
  auto m = NewDo(family, NVMET_OFFLOAD_CMD_STATS_GET);
  PutSelector(m, sel);
  return m;
}

MsgPtr BuildStatsDump(int family, const StatsFilter& filter) {
  auto m = NewDump(family, NVMET_OFFLOAD_CMD_STATS_GET);
  if (filter.scope) {
    PutU32(m, NVMET_OFFLOAD_A_STATS_SCOPE,
           static_cast<uint32_t>(*filter.scope));
  }
  PutOptU32(m, NVMET_OFFLOAD_A_STATS_DEV_ID, filter.dev_id);
  PutOptU32(m, NVMET_OFFLOAD_A_STATS_PORT_ID, filter.port_id);
  return m;
}

MsgPtr BuildStatsReset(int family, const std::optional<StatsSelector>& sel) {
  auto m = NewDo(family, NVMET_OFFLOAD_CMD_STATS_RESET);
  if (sel) {
    CheckSelector(*sel);
    PutSelector(m, *sel);
  }
  return m;
}

std::vector<uint8_t> MsgBytes(const MsgPtr& msg) {
  const nlmsghdr* h = nlmsg_hdr(msg.get());
  const auto* p = reinterpret_cast<const uint8_t*>(h);
  return {p, p + h->nlmsg_len};
}

// ---- replies ----------------------------------------------------------
Message::Message(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {
  if (bytes_.size() < NLMSG_HDRLEN) {
    throw ParseError("netlink message shorter than its header");
  }
  const nlmsghdr h = Header(bytes_);
  if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > bytes_.size()) {
    throw ParseError("netlink message length " + std::to_string(h.nlmsg_len) +
                     " does not match its " + std::to_string(bytes_.size()) +
                     " bytes");
  }
  bytes_.resize(h.nlmsg_len);
}

uint16_t Message::type() const { return Header(bytes_).nlmsg_type; }
uint16_t Message::flags() const { return Header(bytes_).nlmsg_flags; }
uint32_t Message::seq() const { return Header(bytes_).nlmsg_seq; }
uint32_t Message::pid() const { return Header(bytes_).nlmsg_pid; }

std::vector<Message> SplitMessages(const uint8_t* buf, size_t len) {
  std::vector<Message> out;
  size_t off = 0;
  while (off < len) {
    if (len - off < NLMSG_HDRLEN) {
      throw ParseError("truncated netlink header at byte " +
                       std::to_string(off));
    }
    nlmsghdr h{};
    std::memcpy(&h, buf + off, sizeof(h));
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off) {
      throw ParseError("netlink message at byte " + std::to_string(off) +
                       " claims " + std::to_string(h.nlmsg_len) + " bytes");
    }
    out.emplace_back(std::vector<uint8_t>(buf + off, buf + off + h.nlmsg_len));
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return out;
}

GenlHeader ParseGenlHeader(const Message& msg) {
  const auto& b = msg.bytes();
  if (b.size() < NLMSG_HDRLEN + GENL_HDRLEN) {
    throw ParseError("generic netlink message too short");
  }
  genlmsghdr g{};
  std::memcpy(&g, b.data() + NLMSG_HDRLEN, sizeof(g));
  return {g.cmd, g.version};
}

Ack ParseAck(const Message& msg) {
  const auto& b = msg.bytes();
  const nlmsghdr h = Header(b);
  Ack ack;
  if (h.nlmsg_type == NLMSG_DONE) {
    // Old kernels send DONE without the error word.
    if (b.size() >= NLMSG_HDRLEN + sizeof(int)) {
      std::memcpy(&ack.error, b.data() + NLMSG_HDRLEN, sizeof(int));
      if ((h.nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
        ParseExtack(b, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int)), ack);
      }
    }
    return ack;
  }
  if (h.nlmsg_type != NLMSG_ERROR) {
    throw ParseError("not an acknowledgement (type " +
                     std::to_string(h.nlmsg_type) + ")");
  }
  if (b.size() < NLMSG_HDRLEN + sizeof(nlmsgerr)) {
    throw ParseError("truncated netlink error message");
  }
  nlmsgerr e{};
  std::memcpy(&e, b.data() + NLMSG_HDRLEN, sizeof(e));
  ack.error = e.error;
  if (ack.error > 0) {
    throw ParseError("netlink error message with a positive error");
  }
  if ((h.nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
    size_t payload = sizeof(nlmsgerr);
    if ((h.nlmsg_flags & NLM_F_CAPPED) == 0) {
      // The request is echoed whole after the error word.
      if (e.msg.nlmsg_len < NLMSG_HDRLEN) {
        return ack;
      }
      payload = sizeof(int) + e.msg.nlmsg_len;
    }
    ParseExtack(b, NLMSG_HDRLEN + NLMSG_ALIGN(payload), ack);
  }
  return ack;
}

Device ParseDevice(const Message& msg) {
  const auto tb = ParseTop<DevPolicy>(msg, "device");
  if (tb[NVMET_OFFLOAD_A_DEV_ID] == nullptr) {
    throw ParseError("device: no device id");
  }
  Device d;
  d.id = U32(tb[NVMET_OFFLOAD_A_DEV_ID]);
  d.name = Str(tb[NVMET_OFFLOAD_A_DEV_NAME]);
  d.state = static_cast<DevState>(
      U32Or(tb[NVMET_OFFLOAD_A_DEV_STATE], NVMET_OFFLOAD_DEV_STATE_LIVE));
  if (const nlattr* c = tb[NVMET_OFFLOAD_A_DEV_CAPS]) {
    d.caps = ParseCaps(c);
  }
  d.nr_queues = U32Or(tb[NVMET_OFFLOAD_A_DEV_NR_QUEUES], 0);
  d.engines = U32Or(tb[NVMET_OFFLOAD_A_DEV_ENGINES], 0);
  d.api_version = U32Or(tb[NVMET_OFFLOAD_A_DEV_API_VERSION], 0);
  return d;
}

Port ParsePort(const Message& msg) {
  const auto tb = ParseTop<PortPolicy>(msg, "port");
  if (tb[NVMET_OFFLOAD_A_PORT_ID] == nullptr) {
    throw ParseError("port: no port id");
  }
  Port p;
  p.id = U32(tb[NVMET_OFFLOAD_A_PORT_ID]);
  p.traddr = Str(tb[NVMET_OFFLOAD_A_PORT_TRADDR]);
  p.trsvcid = Str(tb[NVMET_OFFLOAD_A_PORT_TRSVCID]);
  if (const nlattr* a = tb[NVMET_OFFLOAD_A_PORT_ADRFAM]) {
    p.adrfam = static_cast<AdrFam>(U32(a));
  }
  p.policy = static_cast<Policy>(
      U32Or(tb[NVMET_OFFLOAD_A_PORT_POLICY], NVMET_OFFLOAD_POLICY_OFF));
  p.dev_id = OptU32(tb[NVMET_OFFLOAD_A_PORT_DEV_ID]);
  if (p.dev_id && *p.dev_id == 0) {
    p.dev_id.reset();  // 0 is "no device"
  }
  p.dev_name = Str(tb[NVMET_OFFLOAD_A_PORT_DEV_NAME]);
  if (const nlattr* a = tb[NVMET_OFFLOAD_A_PORT_TRANSPORT]) {
    p.transport = static_cast<Transport>(U32(a));
  }
  return p;
}

Queue ParseQueue(const Message& msg) { return ParseQueueAttrs(msg).queue; }

Stats ParseStats(const Message& msg) {
  const auto tb = ParseTop<StatsPolicy>(msg, "stats");
  if (tb[NVMET_OFFLOAD_A_STATS_SCOPE] == nullptr) {
    throw ParseError("stats: no scope");
  }
  Stats s;
  s.key.scope = static_cast<Scope>(U32(tb[NVMET_OFFLOAD_A_STATS_SCOPE]));
  s.key.dev_id = OptU32(tb[NVMET_OFFLOAD_A_STATS_DEV_ID]);
  s.key.port_id = OptU32(tb[NVMET_OFFLOAD_A_STATS_PORT_ID]);
  s.key.nsid = OptU32(tb[NVMET_OFFLOAD_A_STATS_NSID]);
  s.key.queue_id = OptU32(tb[NVMET_OFFLOAD_A_STATS_QUEUE_ID]);
  if (const nlattr* a = tb[NVMET_OFFLOAD_A_STATS_SUBSYSNQN]) {
    s.key.subsysnqn = Str(a);
  }
  if (const nlattr* c = tb[NVMET_OFFLOAD_A_STATS_COUNTERS]) {
    s.counters = ParseCounters(c);
  }
  return s;
}

NsTable ParseNsTable(const Message& msg) {
  const auto tb = ParseTop<NsTablePolicy>(msg, "namespace table");
  if (tb[NVMET_OFFLOAD_A_NS_TABLE_SUBSYS_ID] == nullptr ||
      tb[NVMET_OFFLOAD_A_NS_TABLE_DEV_ID] == nullptr) {
    throw ParseError("namespace table: no device or subsystem id");
  }
  NsTable t;
  t.dev_id = U32(tb[NVMET_OFFLOAD_A_NS_TABLE_DEV_ID]);
  t.subsysnqn = Str(tb[NVMET_OFFLOAD_A_NS_TABLE_SUBSYSNQN]);
  t.subsys_id = U32(tb[NVMET_OFFLOAD_A_NS_TABLE_SUBSYS_ID]);
  t.gen = U64Or(tb[NVMET_OFFLOAD_A_NS_TABLE_GEN]);
  t.state =
      static_cast<NsTableState>(U32Or(tb[NVMET_OFFLOAD_A_NS_TABLE_STATE],
                                      NVMET_OFFLOAD_NS_TABLE_STATE_ATTACHED));
  const auto& b = msg.bytes();
  const size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(GENL_HDRLEN);
  const nlattr* a = nullptr;
  int rem = 0;
  nla_for_each_attr(a, Mut(b.data() + off), static_cast<int>(b.size() - off),
                    rem) {
    if (nla_type(a) == NVMET_OFFLOAD_A_NS_TABLE_ENTRY) {
      t.entries.push_back(ParseNsEntry(a));
    }
  }
  return t;
}

std::vector<NsTable> JoinNsTables(const std::vector<Message>& msgs) {
  std::vector<NsTable> out;
  for (const Message& m : msgs) {
    NsTable t = ParseNsTable(m);
    if (!out.empty() && out.back().subsys_id == t.subsys_id &&
        out.back().dev_id == t.dev_id) {
      // The next entries of the table of the message before.
      NsTable& prev = out.back();
      prev.gen = t.gen;
      prev.state = t.state;
      prev.entries.insert(prev.entries.end(), t.entries.begin(),
                          t.entries.end());
      continue;
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<Event> ParseEvent(const Message& msg) {
  const GenlHeader g = ParseGenlHeader(msg);
  Event ev;
  switch (g.cmd) {
    case NVMET_OFFLOAD_CMD_DEV_ADD:
      ev.type = EventType::kDevAdd;
      ev.dev = ParseDevice(msg);
      break;
    case NVMET_OFFLOAD_CMD_DEV_DEL:
      ev.type = EventType::kDevDel;
      ev.dev = ParseDevice(msg);
      break;
    case NVMET_OFFLOAD_CMD_DEV_FAILED:
      ev.type = EventType::kDevFailed;
      ev.dev = ParseDevice(msg);
      break;
    case NVMET_OFFLOAD_CMD_QUEUE_OFFLOADED:
      ev.type = EventType::kQueueOffloaded;
      ev.queue = ParseQueue(msg);
      break;
    case NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED:
      ev.type = EventType::kQueueReclaimed;
      ev.queue = ParseQueue(msg);
      break;
    case NVMET_OFFLOAD_CMD_QUEUE_FALLBACK: {
      ev.type = EventType::kQueueFallback;
      auto qa = ParseQueueAttrs(msg);
      ev.queue = std::move(qa.queue);
      ev.reason = qa.reason.value_or(FallbackReason::kNone);
      break;
    }
    case NVMET_OFFLOAD_CMD_PORT_POLICY_CHANGED:
      ev.type = EventType::kPortPolicyChanged;
      ev.port = ParsePort(msg);
      break;
    default:
      return std::nullopt;
  }
  return ev;
}

bool ReplyCollector::Feed(const Message& msg) {
  if (msg.seq() != seq_) {
    return false;
  }
  if ((msg.flags() & NLM_F_DUMP_INTR) != 0) {
    interrupted_ = true;
  }
  switch (msg.type()) {
    case NLMSG_NOOP:
      return true;
    case NLMSG_OVERRUN:
      throw ParseError("netlink overrun");
    case NLMSG_ERROR:
    case NLMSG_DONE: {
      const Ack ack = ParseAck(msg);
      if (ack.error != 0) {
        throw NetlinkError(-ack.error, ack.extack, ack.extack_offset);
      }
      // DONE ends a dump, an ACK a do request.
      done_ = true;
      return true;
    }
    default:
      break;
  }
  if (msg.type() != family_) {
    throw ParseError("unexpected message type " + std::to_string(msg.type()));
  }
  if (done_) {
    throw ParseError("reply after the end of the request");
  }
  if (!dump_ && !replies_.empty()) {
    throw ParseError("more than one reply to a do request");
  }
  replies_.push_back(msg);
  return true;
}

}  // namespace nvo
