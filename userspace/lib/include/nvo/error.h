// SPDX-License-Identifier: GPL-2.0
// Errors of the nvmet_offload netlink library. Every error is an nvo::Error
// (a std::runtime_error) carrying a positive errno value.
#ifndef NVO_ERROR_H_
#define NVO_ERROR_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "nvo/export.h"

namespace nvo {

class NVO_API Error : public std::runtime_error {
 public:
  Error(int err, const std::string& what)
      : std::runtime_error(what), errno_(err) {}
  // A positive errno value (EPROTO for malformed replies).
  int err() const noexcept { return errno_; }

 private:
  int errno_;
};

// The kernel answered a request with an error: errno and, when the kernel
// set one (NETLINK_EXT_ACK), its extended-ack message and the offset of the
// offending attribute in the request.
class NVO_API NetlinkError : public Error {
 public:
  NetlinkError(int err, std::string extack, std::optional<uint32_t> offset);
  const std::string& extack() const noexcept { return extack_; }
  std::optional<uint32_t> offset() const noexcept { return offset_; }

 private:
  std::string extack_;
  std::optional<uint32_t> offset_;
};

// The generic netlink family (or its multicast group) is not registered:
// nvmet_offload.ko is not loaded.
class NVO_API FamilyNotFound : public Error {
 public:
  explicit FamilyNotFound(const std::string& name);
};

// A reply that does not follow the protocol: truncated, malformed, missing a
// required attribute. Never a crash.
class NVO_API ParseError : public Error {
 public:
  explicit ParseError(const std::string& what);
};

// A local failure of the socket layer (socket, connect, send, receive).
class NVO_API SocketError : public Error {
 public:
  SocketError(int err, const std::string& what);
};

// "EINVAL", "ENODEV"...; "E<n>" for values it does not know.
NVO_API std::string ErrnoName(int err);

}  // namespace nvo

#endif  // NVO_ERROR_H_
