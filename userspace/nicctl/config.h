// SPDX-License-Identifier: GPL-2.0
// nicctl config save|restore: the ports' offload policy and bound device as
// JSON, and the requests that bring the kernel to a saved state (only what
// differs, in an order port-set accepts).
#ifndef NICCTL_CONFIG_H_
#define NICCTL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "output.h"

namespace nicctl {

// A configuration file that cannot be applied (exit status 1).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kConfigVersion = 1;

struct PortConfig {
  uint32_t id = 0;
  nvo::Policy policy = nvo::Policy::kOff;
  std::optional<std::string> dev;  // device name; nullopt: unbound
};

// {"nicctl_config": 1, "ports": [{"port", "offload", "dev", "traddr",
// "trsvcid"}]}; traddr and trsvcid are for the reader, restore ignores them.
Json SaveConfig(const std::vector<nvo::Port>& ports);
// Throws ConfigError for anything but a valid document.
std::vector<PortConfig> LoadConfig(const Json& doc);

struct Step {
  nvo::PortSet req;
  std::string what;  // "port 1: offload off, dev nic1"
};

// The port-set requests from the current state to the wanted one, none for
// ports already as wanted. Ports not in the file are left alone. Throws
// ConfigError for an unknown port or device, before anything is sent.
std::vector<Step> PlanRestore(const std::vector<PortConfig>& want,
                              const std::vector<nvo::Port>& current,
                              const std::vector<nvo::Device>& devices);

// Writes path as nvmetcli does: a temporary file next to it, fsync, rename
// over the old one, fsync of the directory; a crash leaves the old file or
// the new one. Throws ConfigError.
void WriteFileAtomic(const std::string& path, const std::string& text);

}  // namespace nicctl

#endif  // NICCTL_CONFIG_H_
