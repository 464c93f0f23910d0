// SPDX-License-Identifier: GPL-2.0
// A generic netlink socket (libnl-genl-3) with extended ACKs: resolving the
// family and its multicast groups, sending requests and collecting replies.
#ifndef NVO_SOCKET_H_
#define NVO_SOCKET_H_

#include <netlink/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "nvo/codec.h"

namespace nvo {

struct NlSockDeleter {
  void operator()(nl_sock* s) const noexcept { nl_socket_free(s); }
};
using SockPtr = std::unique_ptr<nl_sock, NlSockDeleter>;

class Socket {
 public:
  // A connected NETLINK_GENERIC socket with NETLINK_EXT_ACK and
  // NETLINK_CAP_ACK on. Throws SocketError.
  Socket();

  // The id of a generic netlink family; FamilyNotFound when it is not
  // registered.
  int ResolveFamily(const std::string& family);
  // The id of a multicast group of a family; FamilyNotFound when either is
  // not registered.
  int ResolveGroup(const std::string& family, const std::string& group);
  void Join(int group);

  // Sends a request (sequence number and port filled in) and returns its
  // sequence number.
  uint32_t Send(const MsgPtr& msg);
  // One datagram, split into messages. Waits at most timeout_ms (-1:
  // forever); SocketError(ETIMEDOUT) then. SocketError(ENOBUFS) when the
  // socket overran (notifications were lost).
  std::vector<Message> Receive(int timeout_ms);
  // Sends a request and collects its replies (until the ACK, or the end of
  // the dump). Throws NetlinkError when the kernel refuses it.
  std::vector<Message> Transact(const MsgPtr& msg, int family, bool dump,
                                int timeout_ms = 30000);

  int fd() const;

 private:
  SockPtr sk_;
};

}  // namespace nvo

#endif  // NVO_SOCKET_H_
