// SPDX-License-Identifier: GPL-2.0
#include "verbose_api.h"

#include <string>
#include <utility>
#include <vector>

#include "output.h"

namespace nicctl {
namespace {

Json Opt(const std::optional<uint32_t>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json SelectorJson(const nvo::StatsSelector& s) {
  Json j;
  j["scope"] = nvo::ToString(s.scope);
  j["dev_id"] = Opt(s.dev_id);
  j["port_id"] = Opt(s.port_id);
  j["nsid"] = Opt(s.nsid);
  j["queue_id"] = Opt(s.queue_id);
  return j;
}

class VerboseApi final : public nvo::Api {
 public:
  VerboseApi(std::unique_ptr<nvo::Api> inner, spdlog::logger& log)
      : in_(std::move(inner)), log_(log) {}

  std::vector<nvo::Device> Devices() override {
    Request("dev-get dump", Json::object());
    return Replies("dev-get", in_->Devices(),
                   [](const nvo::Device& d) { return ToJson(d); });
  }
  nvo::Device GetDevice(std::optional<uint32_t> id,
                        const std::string& name) override {
    Request("dev-get", id ? Json{{"id", *id}} : Json{{"name", name}});
    return Reply("dev-get", in_->GetDevice(id, name),
                 [](const nvo::Device& d) { return ToJson(d); });
  }
  std::vector<nvo::Port> Ports() override {
    Request("port-get dump", Json::object());
    return Replies("port-get", in_->Ports(),
                   [](const nvo::Port& p) { return ToJson(p); });
  }
  nvo::Port GetPort(uint32_t id) override {
    Request("port-get", {{"id", id}});
    return Reply("port-get", in_->GetPort(id),
                 [](const nvo::Port& p) { return ToJson(p); });
  }
  void SetPort(const nvo::PortSet& req) override {
    Json j{{"id", req.id}};
    if (req.policy) {
      j["policy"] = nvo::ToString(*req.policy);
    }
    if (req.dev_id) {
      j["dev_id"] = *req.dev_id;
    }
    if (req.dev_name) {
      j["dev_name"] = *req.dev_name;
    }
    Request("port-set", j);
    in_->SetPort(req);
    Ack("port-set");
  }
  std::vector<nvo::Queue> Queues(const nvo::QueueFilter& f) override {
    Request("queue-get dump", {{"port_id", Opt(f.port_id)},
                               {"ctrl_id", Opt(f.ctrl_id)},
                               {"dev_id", Opt(f.dev_id)}});
    return Replies("queue-get", in_->Queues(f),
                   [](const nvo::Queue& q) { return ToJson(q, {}); });
  }
  nvo::Queue GetQueue(uint32_t id) override {
    Request("queue-get", {{"id", id}});
    return Reply("queue-get", in_->GetQueue(id),
                 [](const nvo::Queue& q) { return ToJson(q, {}); });
  }
  void SetQueue(const nvo::QueueSet& req) override {
    Request("queue-set", {{"id", Opt(req.id)},
                          {"ctrl_id", Opt(req.ctrl_id)},
                          {"qid", Opt(req.qid)},
                          {"offload", nvo::ToString(req.offload)}});
    in_->SetQueue(req);
    Ack("queue-set");
  }
  nvo::Stats GetStats(const nvo::StatsSelector& sel) override {
    Request("stats-get", SelectorJson(sel));
    return Reply("stats-get", in_->GetStats(sel), [](const nvo::Stats& s) {
      return ToJson(s, {}, std::nullopt);
    });
  }
  std::vector<nvo::Stats> DumpStats(const nvo::StatsFilter& f) override {
    Request("stats-get dump",
            {{"scope", f.scope ? Json(nvo::ToString(*f.scope)) : Json()},
             {"dev_id", Opt(f.dev_id)},
             {"port_id", Opt(f.port_id)}});
    return Replies("stats-get", in_->DumpStats(f), [](const nvo::Stats& s) {
      return ToJson(s, {}, std::nullopt);
    });
  }
  void ResetStats(const std::optional<nvo::StatsSelector>& sel) override {
    Request("stats-reset", sel ? SelectorJson(*sel) : Json::object());
    in_->ResetStats(sel);
    Ack("stats-reset");
  }
  std::vector<nvo::NsTable> NsTables(std::optional<uint32_t> dev_id) override {
    Request("ns-table-get dump", {{"dev_id", Opt(dev_id)}});
    return Replies("ns-table-get", in_->NsTables(dev_id),
                   [](const nvo::NsTable& t) { return ToJson(t, {}); });
  }
  void Monitor(const std::function<bool(const nvo::Event&)>& cb) override {
    log_.debug("joining multicast group {}", nvo::kMonitorGroup);
    in_->Monitor([&](const nvo::Event& e) {
      log_.debug("notification {}", nvo::ToString(e.type));
      log_.trace("  {}", ToJson(e, "").dump());
      return cb(e);
    });
  }

 private:
  void Request(const std::string& what, const Json& attrs) {
    log_.debug("request {}", what);
    if (!attrs.empty()) {
      log_.trace("  attributes {}", attrs.dump());
    }
  }
  void Ack(const std::string& what) { log_.debug("reply {}: ack", what); }
  template <typename T, typename F>
  T Reply(const std::string& what, T v, F to_json) {
    log_.debug("reply {}: 1 object", what);
    log_.trace("  {}", to_json(v).dump());
    return v;
  }
  template <typename T, typename F>
  std::vector<T> Replies(const std::string& what, std::vector<T> v, F to_json) {
    log_.debug("reply {}: {} object{}", what, v.size(),
               v.size() == 1 ? "" : "s");
    for (const auto& x : v) {
      log_.trace("  {}", to_json(x).dump());
    }
    return v;
  }

  std::unique_ptr<nvo::Api> in_;
  spdlog::logger& log_;
};

}  // namespace

std::unique_ptr<nvo::Api> MakeVerboseApi(std::unique_ptr<nvo::Api> inner,
                                         spdlog::logger& log) {
  return std::make_unique<VerboseApi>(std::move(inner), log);
}

}  // namespace nicctl
