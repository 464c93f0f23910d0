// SPDX-License-Identifier: GPL-2.0
#include "nvo/client.h"

#include <cerrno>

#include "nvo/codec.h"
#include "nvo/error.h"
#include "nvo/socket.h"

namespace nvo {
namespace {

constexpr int kDumpAttempts = 3;

template <typename T, typename F>
std::vector<T> ParseAll(const std::vector<Message>& msgs, F parse) {
  std::vector<T> out;
  out.reserve(msgs.size());
  for (const Message& m : msgs) {
    out.push_back(parse(m));
  }
  return out;
}

}  // namespace

// The socket and the family id: kept out of client.h (libnl types).
struct Client::Impl {
  Impl() : family(sock.ResolveFamily(kFamilyName)) {}

  // A do request: its one reply (ParseError when there is none).
  Message DoOne(const MsgPtr& msg) {
    auto replies = sock.Transact(msg, family, false);
    if (replies.empty()) {
      throw ParseError("no reply to a get request");
    }
    return std::move(replies.front());
  }

  void DoAck(const MsgPtr& msg) { (void)sock.Transact(msg, family, false); }

  // A dump, retried when a concurrent change interrupted it.
  std::vector<Message> Dump(const std::function<MsgPtr()>& build) {
    for (int attempt = 1;; attempt++) {
      try {
        return sock.Transact(build(), family, true);
      } catch (const SocketError& e) {
        if (e.err() != EAGAIN || attempt == kDumpAttempts) {
          throw;
        }
      }
    }
  }

  Socket sock;
  int family;
};

Client::Client() : impl_(std::make_unique<Impl>()) {}

Client::~Client() = default;

int Client::family() const { return impl_->family; }

std::vector<Device> Client::Devices() {
  return ParseAll<Device>(
      impl_->Dump([this] { return BuildDevDump(impl_->family); }), ParseDevice);
}

Device Client::GetDevice(std::optional<uint32_t> id, const std::string& name) {
  return ParseDevice(impl_->DoOne(BuildDevGet(impl_->family, id, name)));
}

std::vector<Port> Client::Ports() {
  return ParseAll<Port>(
      impl_->Dump([this] { return BuildPortDump(impl_->family); }), ParsePort);
}

Port Client::GetPort(uint32_t id) {
  return ParsePort(impl_->DoOne(BuildPortGet(impl_->family, id)));
}

void Client::SetPort(const PortSet& req) {
  impl_->DoAck(BuildPortSet(impl_->family, req));
}

std::vector<Queue> Client::Queues(const QueueFilter& filter) {
  return ParseAll<Queue>(impl_->Dump([this, &filter] {
    return BuildQueueDump(impl_->family, filter);
  }),
                         ParseQueue);
}

Queue Client::GetQueue(uint32_t id) {
  return ParseQueue(impl_->DoOne(BuildQueueGet(impl_->family, id)));
}

void Client::SetQueue(const QueueSet& req) {
  impl_->DoAck(BuildQueueSet(impl_->family, req));
}

Stats Client::GetStats(const StatsSelector& sel) {
  return ParseStats(impl_->DoOne(BuildStatsGet(impl_->family, sel)));
}

std::vector<Stats> Client::DumpStats(const StatsFilter& filter) {
  return ParseAll<Stats>(impl_->Dump([this, &filter] {
    return BuildStatsDump(impl_->family, filter);
  }),
                         ParseStats);
}

void Client::ResetStats(const std::optional<StatsSelector>& sel) {
  impl_->DoAck(BuildStatsReset(impl_->family, sel));
}

std::vector<NsTable> Client::NsTables(std::optional<uint32_t> dev_id) {
  return JoinNsTables(impl_->Dump(
      [this, dev_id] { return BuildNsTableDump(impl_->family, dev_id); }));
}

void Client::Monitor(const std::function<bool(const Event&)>& on_event) {
  Socket mon;
  mon.Join(mon.ResolveGroup(kFamilyName, kMonitorGroup));
  for (;;) {
    std::vector<Message> msgs;
    try {
      msgs = mon.Receive(-1);
    } catch (const SocketError& e) {
      if (e.err() != ENOBUFS) {
        throw;
      }
      if (!on_event(Event{})) {  // EventType::kLost
        return;
      }
      continue;
    }
    for (const Message& m : msgs) {
      if (m.type() != impl_->family) {
        continue;
      }
      if (auto ev = ParseEvent(m); ev && !on_event(*ev)) {
        return;
      }
    }
  }
}

}  // namespace nvo
