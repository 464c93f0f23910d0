// SPDX-License-Identifier: GPL-2.0
#include "nvo/socket.h"

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <new>

#include "nvo/error.h"

namespace nvo {
namespace {

[[noreturn]] void ThrowNl(int nlerr, const std::string& what) {
  // libnl error codes are not errno values; keep the text, map the common.
  int err = EIO;
  switch (-nlerr) {
    case NLE_NOMEM:
      err = ENOMEM;
      break;
    case NLE_PERM:
      err = EPERM;
      break;
    case NLE_NOACCESS:
      err = EACCES;
      break;
    case NLE_AGAIN:
      err = EAGAIN;
      break;
    case NLE_OBJ_NOTFOUND:
      err = ENOENT;
      break;
    default:
      break;
  }
  throw SocketError(err, what + ": " + nl_geterror(nlerr));
}

void SetOpt(int fd, int opt, const char* name) {
  const int one = 1;
  if (setsockopt(fd, SOL_NETLINK, opt, &one, sizeof(one)) < 0) {
    throw SocketError(errno, std::string("setsockopt ") + name);
  }
}

}  // namespace

Socket::Socket() : sk_(nl_socket_alloc()) {
  if (!sk_) {
    throw std::bad_alloc();
  }
  if (const int err = genl_connect(sk_.get()); err < 0) {
    ThrowNl(err, "generic netlink socket");
  }
  // Requests carry their own flags (see codec.h).
  nl_socket_disable_auto_ack(sk_.get());
  SetOpt(fd(), NETLINK_EXT_ACK, "NETLINK_EXT_ACK");
  SetOpt(fd(), NETLINK_CAP_ACK, "NETLINK_CAP_ACK");
}

int Socket::fd() const { return nl_socket_get_fd(sk_.get()); }

int Socket::ResolveFamily(const std::string& family) {
  const int id = genl_ctrl_resolve(sk_.get(), family.c_str());
  if (id == -NLE_OBJ_NOTFOUND) {
    throw FamilyNotFound(family);
  }
  if (id < 0) {
    ThrowNl(id, "resolving generic netlink family " + family);
  }
  return id;
}

int Socket::ResolveGroup(const std::string& family, const std::string& group) {
  const int id =
      genl_ctrl_resolve_grp(sk_.get(), family.c_str(), group.c_str());
  if (id == -NLE_OBJ_NOTFOUND) {
    throw FamilyNotFound(family + " (multicast group " + group + ")");
  }
  if (id < 0) {
    ThrowNl(id, "resolving multicast group " + group);
  }
  return id;
}

void Socket::Join(int group) {
  if (const int err = nl_socket_add_membership(sk_.get(), group); err < 0) {
    ThrowNl(err, "joining multicast group " + std::to_string(group));
  }
}

uint32_t Socket::Send(const MsgPtr& msg) {
  if (const int err = nl_send_auto(sk_.get(), msg.get()); err < 0) {
    ThrowNl(err, "sending netlink request");
  }
  return nlmsg_hdr(msg.get())->nlmsg_seq;
}

std::vector<Message> Socket::Receive(int timeout_ms) {
  for (;;) {
    pollfd p{fd(), POLLIN, 0};
    const int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r < 0) {
      throw SocketError(errno, "poll on the netlink socket");
    }
    if (r == 0) {
      throw SocketError(ETIMEDOUT, "no answer from the kernel");
    }
    // The datagram's real size, then the datagram.
    const ssize_t len = recv(fd(), nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (len < 0 && errno == EINTR) {
      continue;
    }
    if (len < 0) {
      throw SocketError(errno, "receiving from the netlink socket");
    }
    std::vector<uint8_t> buf(static_cast<size_t>(len));
    const ssize_t n = recv(fd(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw SocketError(errno, "receiving from the netlink socket");
    }
    return SplitMessages(buf.data(), static_cast<size_t>(n));
  }
}

std::vector<Message> Socket::Transact(const MsgPtr& msg, int family, bool dump,
                                      int timeout_ms) {
  const uint32_t seq = Send(msg);
  ReplyCollector rc(family, seq, dump);
  while (!rc.done()) {
    for (const Message& m : Receive(timeout_ms)) {
      rc.Feed(m);
    }
  }
  if (rc.interrupted()) {
    throw SocketError(EAGAIN, "dump interrupted by a concurrent change");
  }
  return std::move(rc.replies());
}

}  // namespace nvo
