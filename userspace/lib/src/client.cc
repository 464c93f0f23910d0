// SPDX-License-Identifier: GPL-2.0
#include "nvo/client.h"

#include <cerrno>

#include "nvo/error.h"

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

Client::Client() : family_(sock_.ResolveFamily(kFamilyName)) {}

Message Client::DoOne(const MsgPtr& msg) {
  auto replies = sock_.Transact(msg, family_, false);
  if (replies.empty()) {
    throw ParseError("no reply to a get request");
  }
  return std::move(replies.front());
}

void Client::DoAck(const MsgPtr& msg) {
  (void)sock_.Transact(msg, family_, false);
}

std::vector<Message> Client::Dump(const std::function<MsgPtr()>& build) {
  for (int attempt = 1;; attempt++) {
    try {
      return sock_.Transact(build(), family_, true);
    } catch (const SocketError& e) {
      if (e.err() != EAGAIN || attempt == kDumpAttempts) {
        throw;
      }
    }
  }
}

std::vector<Device> Client::Devices() {
  return ParseAll<Device>(Dump([this] { return BuildDevDump(family_); }),
                          ParseDevice);
}

Device Client::GetDevice(std::optional<uint32_t> id, const std::string& name) {
  return ParseDevice(DoOne(BuildDevGet(family_, id, name)));
}

std::vector<Port> Client::Ports() {
  return ParseAll<Port>(Dump([this] { return BuildPortDump(family_); }),
                        ParsePort);
}

Port Client::GetPort(uint32_t id) {
  return ParsePort(DoOne(BuildPortGet(family_, id)));
}

void Client::SetPort(const PortSet& req) { DoAck(BuildPortSet(family_, req)); }

std::vector<Queue> Client::Queues(const QueueFilter& filter) {
  return ParseAll<Queue>(
      Dump([this, &filter] { return BuildQueueDump(family_, filter); }),
      ParseQueue);
}

Queue Client::GetQueue(uint32_t id) {
  return ParseQueue(DoOne(BuildQueueGet(family_, id)));
}

void Client::SetQueue(const QueueSet& req) {
  DoAck(BuildQueueSet(family_, req));
}

Stats Client::GetStats(const StatsSelector& sel) {
  return ParseStats(DoOne(BuildStatsGet(family_, sel)));
}

std::vector<Stats> Client::DumpStats(const StatsFilter& filter) {
  return ParseAll<Stats>(
      Dump([this, &filter] { return BuildStatsDump(family_, filter); }),
      ParseStats);
}

void Client::ResetStats(const std::optional<StatsSelector>& sel) {
  DoAck(BuildStatsReset(family_, sel));
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
      if (m.type() != family_) {
        continue;
      }
      if (auto ev = ParseEvent(m); ev && !on_event(*ev)) {
        return;
      }
    }
  }
}

}  // namespace nvo
