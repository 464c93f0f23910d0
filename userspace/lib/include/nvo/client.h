// SPDX-License-Identifier: GPL-2.0
// The nvmet_offload family as calls: nvo::Api is what nicctl uses (tests
// give it a fake), nvo::Client the real one over a netlink socket. The
// public API of libnvo_nl: no libnl type appears here (the socket is behind
// Client's pointer to its implementation), so that the library's users need
// neither libnl's headers nor a rebuild when its insides change.
#ifndef NVO_CLIENT_H_
#define NVO_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nvo/export.h"
#include "nvo/types.h"

namespace nvo {

class NVO_API Api {
 public:
  Api() = default;
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;
  Api(Api&&) = delete;
  Api& operator=(Api&&) = delete;
  virtual ~Api() = default;

  // dev-get: all devices; one by id, else by name.
  virtual std::vector<Device> Devices() = 0;
  virtual Device GetDevice(std::optional<uint32_t> id,
                           const std::string& name) = 0;
  // port-get, port-set.
  virtual std::vector<Port> Ports() = 0;
  virtual Port GetPort(uint32_t id) = 0;
  virtual void SetPort(const PortSet& req) = 0;
  // queue-get, queue-set.
  virtual std::vector<Queue> Queues(const QueueFilter& filter) = 0;
  virtual Queue GetQueue(uint32_t id) = 0;
  virtual void SetQueue(const QueueSet& req) = 0;
  // stats-get, stats-reset (nullopt: everything).
  virtual Stats GetStats(const StatsSelector& sel) = 0;
  virtual std::vector<Stats> DumpStats(const StatsFilter& filter) = 0;
  virtual void ResetStats(const std::optional<StatsSelector>& sel) = 0;
  // Joins the monitor group and calls on_event for every notification
  // until it returns false.
  virtual void Monitor(const std::function<bool(const Event&)>& on_event) = 0;
  // ns-table-get: the namespace tables of every device, or of one.
  // (Appended: the slots of the virtual functions above are the ABI.)
  virtual std::vector<NsTable> NsTables(std::optional<uint32_t> dev_id) = 0;
};

class NVO_API Client final : public Api {
 public:
  // Opens a socket and resolves the family: FamilyNotFound when
  // nvmet_offload.ko is not loaded.
  Client();
  ~Client() override;

  std::vector<Device> Devices() override;
  Device GetDevice(std::optional<uint32_t> id,
                   const std::string& name) override;
  std::vector<Port> Ports() override;
  Port GetPort(uint32_t id) override;
  void SetPort(const PortSet& req) override;
  std::vector<Queue> Queues(const QueueFilter& filter) override;
  Queue GetQueue(uint32_t id) override;
  void SetQueue(const QueueSet& req) override;
  Stats GetStats(const StatsSelector& sel) override;
  std::vector<Stats> DumpStats(const StatsFilter& filter) override;
  void ResetStats(const std::optional<StatsSelector>& sel) override;
  void Monitor(const std::function<bool(const Event&)>& on_event) override;
  std::vector<NsTable> NsTables(std::optional<uint32_t> dev_id) override;

  // The resolved generic netlink family id.
  int family() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nvo

#endif  // NVO_CLIENT_H_
