// SPDX-License-Identifier: GPL-2.0
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

namespace nicctl {
namespace {

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }
  // close(2) with its error (a deferred write error on some filesystems).
  int Close() {
    const int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw ConfigError(what + ": " + std::strerror(errno));
}

std::optional<std::string> BoundDev(const nvo::Port& p) {
  if (!p.dev_id) {
    return std::nullopt;
  }
  return p.dev_name.empty() ? std::to_string(*p.dev_id) : p.dev_name;
}

nvo::PortSet Req(uint32_t port, std::optional<nvo::Policy> policy,
                 const std::optional<std::optional<std::string>>& dev) {
  nvo::PortSet r;
  r.id = port;
  r.policy = policy;
  if (dev) {
    if (*dev) {
      r.dev_name = **dev;
    } else {
      r.dev_id = 0;  // unbind
    }
  }
  return r;
}

std::string What(const nvo::PortSet& r) {
  std::string s = "port " + std::to_string(r.id) + ":";
  if (r.policy) {
    s += " offload " + nvo::ToString(*r.policy);
  }
  if (r.dev_name || r.dev_id) {
    if (r.policy) {
      s += ",";
    }
    s += " dev " + (r.dev_name ? *r.dev_name : std::string("none"));
  }
  return s;
}

}  // namespace

Json SaveConfig(const std::vector<nvo::Port>& ports) {
  Json doc;
  doc["nicctl_config"] = kConfigVersion;
  Json list = Json::array();
  for (const auto& p : ports) {
    // An NVMe/TCP port is kept whatever its setting. An NVMe/RDMA port
    // only with a device bound (what restore would give back; an unbound
    // one has nothing, and restore would wait for its module). Other
    // transports do not offload.
    const auto dev = BoundDev(p);
    if (p.transport && *p.transport != nvo::Transport::kTcp &&
        (*p.transport != nvo::Transport::kRdma || !dev)) {
      continue;
    }
    list.push_back({{"port", p.id},
                    {"offload", nvo::ToString(p.policy)},
                    {"dev", dev ? Json(*dev) : Json(nullptr)},
                    {"traddr", p.traddr},
                    {"trsvcid", p.trsvcid}});
  }
  doc["ports"] = list;
  return doc;
}

std::vector<PortConfig> LoadConfig(const Json& doc) {
  if (!doc.is_object() || !doc.contains("nicctl_config")) {
    throw ConfigError("not a nicctl configuration (no nicctl_config key)");
  }
  if (doc["nicctl_config"] != kConfigVersion) {
    throw ConfigError("unsupported configuration version " +
                      doc["nicctl_config"].dump());
  }
  if (!doc.contains("ports") || !doc["ports"].is_array()) {
    throw ConfigError("ports: expected a list");
  }
  std::vector<PortConfig> out;
  std::set<uint32_t> seen;
  for (const auto& e : doc["ports"]) {
    const std::string where = "ports[" + std::to_string(out.size()) + "]";
    if (!e.is_object()) {
      throw ConfigError(where + ": expected an object");
    }
    PortConfig pc;
    const auto port = e.find("port");
    if (port == e.end() || !port->is_number_unsigned() ||
        port->get<uint64_t>() > UINT32_MAX) {
      throw ConfigError(where + ": port: expected a port id");
    }
    pc.id = port->get<uint32_t>();
    if (!seen.insert(pc.id).second) {
      throw ConfigError(where + ": port " + std::to_string(pc.id) + " twice");
    }
    const auto off = e.find("offload");
    const auto policy = off != e.end() && off->is_string()
                            ? nvo::PolicyFromString(off->get<std::string>())
                            : std::nullopt;
    if (!policy) {
      throw ConfigError(where + R"(: offload: expected "on" or "off")");
    }
    pc.policy = *policy;
    const auto dev = e.find("dev");
    if (dev != e.end() && dev->is_string() &&
        !dev->get<std::string>().empty()) {
      pc.dev = dev->get<std::string>();
    } else if (dev != e.end() && !dev->is_null()) {
      throw ConfigError(where + ": dev: expected a device name or null");
    }
    if (pc.policy == nvo::Policy::kOn && !pc.dev) {
      throw ConfigError(where + ": offload on needs a device");
    }
    out.push_back(pc);
  }
  return out;
}

std::vector<Step> PlanRestore(const std::vector<PortConfig>& want,
                              const std::vector<nvo::Port>& current,
                              const std::vector<nvo::Device>& devices) {
  std::map<uint32_t, const nvo::Port*> ports;
  for (const auto& p : current) {
    ports[p.id] = &p;
  }
  std::set<std::string> names;
  for (const auto& d : devices) {
    names.insert(d.name);
  }
  for (const auto& w : want) {
    if (ports.count(w.id) == 0) {
      throw ConfigError("port " + std::to_string(w.id) +
                        " does not exist (is it enabled in nvmet?)");
    }
    if (w.dev && names.count(*w.dev) == 0) {
      throw ConfigError("port " + std::to_string(w.id) + ": no device " +
                        *w.dev);
    }
  }
  std::vector<Step> steps;
  const auto add = [&steps](nvo::PortSet r) {
    std::string what = What(r);
    steps.push_back({std::move(r), std::move(what)});
  };
  for (const auto& w : want) {
    const nvo::Port& cur = *ports[w.id];
    const auto cur_dev = BoundDev(cur);
    if (cur_dev == w.dev) {
      if (cur.policy != w.policy) {
        add(Req(w.id, w.policy, std::nullopt));
      }
      continue;
    }
    // port-set refuses a new device while the policy stays on: turn it off
    // (and rebind) first, then back on.
    if (cur.policy == nvo::Policy::kOn) {
      add(Req(w.id, nvo::Policy::kOff, w.dev));
      if (w.policy == nvo::Policy::kOn) {
        add(Req(w.id, nvo::Policy::kOn, std::nullopt));
      }
    } else {
      add(Req(w.id,
              w.policy == nvo::Policy::kOn ? std::optional(nvo::Policy::kOn)
                                           : std::nullopt,
              w.dev));
    }
  }
  return steps;
}

// Written as nvmetcli does: a temporary file next to it, fsync, rename over
// the old one, fsync of the directory. A crash leaves the old file or the
// new one, never half of one.
void WriteFileAtomic(const std::string& path, const std::string& text) {
  std::string tmpl = path + ".XXXXXX";
  Fd fd(::mkstemp(tmpl.data()));
  if (fd.get() < 0) {
    ThrowErrno("cannot write " + path + " (temporary file " + tmpl + ")");
  }
  bool done = false;
  struct Unlink {
    const std::string& name;
    const bool& done;
    Unlink(const Unlink&) = delete;
    Unlink& operator=(const Unlink&) = delete;
    Unlink(Unlink&&) = delete;
    Unlink& operator=(Unlink&&) = delete;
    ~Unlink() {
      if (!done) {
        ::unlink(name.c_str());
      }
    }
  } unlink_tmp{tmpl, done};
  // mkstemp makes it 0600; a configuration file is 0644 (umask applied).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd.get(), 0666 & ~mask) < 0) {
    ThrowErrno("cannot write " + tmpl);
  }
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      ThrowErrno("cannot write " + tmpl);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) < 0) {
    ThrowErrno("cannot write " + tmpl + " (fsync)");
  }
  if (fd.Close() < 0) {
    ThrowErrno("cannot write " + tmpl + " (close)");
  }
  if (::rename(tmpl.c_str(), path.c_str()) < 0) {
    ThrowErrno("cannot rename " + tmpl + " to " + path);
  }
  done = true;
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos
                              ? "."
                              : (slash == 0 ? "/" : path.substr(0, slash));
  const Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) {
    (void)::fsync(dfd.get());  // best effort: the rename is done
  }
}

}  // namespace nicctl
