// SPDX-License-Identifier: GPL-2.0
// Building requests and parsing replies of the nvmet_offload family, with no
// socket: requests are libnl messages, replies are byte buffers. Everything
// here is unit-tested on bytes (userspace/lib/tests).
#ifndef NVO_CODEC_H_
#define NVO_CODEC_H_

#include <netlink/msg.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nvo/types.h"

namespace nvo {

struct NlMsgDeleter {
  void operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
};
// An owned libnl message.
using MsgPtr = std::unique_ptr<nl_msg, NlMsgDeleter>;

// ---- requests ---------------------------------------------------------
// family: the resolved generic netlink family id. A do request carries
// NLM_F_REQUEST | NLM_F_ACK, a dump NLM_F_REQUEST | NLM_F_DUMP; sequence
// number and port id are left 0 for the socket to fill in. Invalid
// arguments throw std::invalid_argument.
MsgPtr BuildDevGet(int family, std::optional<uint32_t> id,
                   const std::string& name);
MsgPtr BuildDevDump(int family);
MsgPtr BuildPortGet(int family, uint32_t id);
MsgPtr BuildPortDump(int family);
MsgPtr BuildPortSet(int family, const PortSet& req);
MsgPtr BuildQueueGet(int family, uint32_t id);
MsgPtr BuildQueueDump(int family, const QueueFilter& filter);
MsgPtr BuildQueueSet(int family, const QueueSet& req);
// nullopt: the tables of every device; 0 is refused (no such device id).
MsgPtr BuildNsTableDump(int family, std::optional<uint32_t> dev_id);
MsgPtr BuildStatsGet(int family, const StatsSelector& sel);
MsgPtr BuildStatsDump(int family, const StatsFilter& filter);
// nullopt: reset every counter.
MsgPtr BuildStatsReset(int family, const std::optional<StatsSelector>& sel);

// The bytes of a message (header included, nlmsg_len of them).
std::vector<uint8_t> MsgBytes(const MsgPtr& msg);

// ---- replies ----------------------------------------------------------
// One netlink message (header included), 4-byte aligned storage.
class Message {
 public:
  explicit Message(std::vector<uint8_t> bytes);
  // The header fields; the constructor guarantees a whole nlmsghdr.
  uint16_t type() const;
  uint16_t flags() const;
  uint32_t seq() const;
  uint32_t pid() const;
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// Splits a received datagram into its messages. Throws ParseError when a
// header is truncated or claims more bytes than there are.
std::vector<Message> SplitMessages(const uint8_t* buf, size_t len);

// A generic netlink message of the family: command and version.
struct GenlHeader {
  uint8_t cmd = 0;
  uint8_t version = 0;
};
// Throws ParseError if the message is too short for a genlmsghdr.
GenlHeader ParseGenlHeader(const Message& msg);

// NLMSG_ERROR (error 0 is an ACK) or NLMSG_DONE with its extended ACK.
struct Ack {
  int error = 0;  // 0 or a negative errno, as the kernel sends it
  std::string extack;
  std::optional<uint32_t> extack_offset;
};
// Parses NLMSG_ERROR and NLMSG_DONE messages (with or without the request
// echoed, NLM_F_CAPPED, and with or without NLM_F_ACK_TLVS).
Ack ParseAck(const Message& msg);

// Reply parsers: unknown attributes are ignored, attributes too short for
// their type or strings without NUL make the message malformed, a missing
// required attribute (the object's id) too: all throw ParseError.
Device ParseDevice(const Message& msg);
Port ParsePort(const Message& msg);
Queue ParseQueue(const Message& msg);
Stats ParseStats(const Message& msg);
// One message of an ns-table-get dump: a table and some of its entries.
NsTable ParseNsTable(const Message& msg);
// A whole ns-table-get dump: the messages of one table (a table too long
// for one message comes in consecutive ones) joined, in the kernel's order.
std::vector<NsTable> JoinNsTables(const std::vector<Message>& msgs);
// A notification of the monitor group; nullopt for a command this library
// does not know (newer kernel).
std::optional<Event> ParseEvent(const Message& msg);

// Collects the replies to one request: feed it every message received with
// the request's sequence number. Done after the ACK of a do request or the
// NLMSG_DONE of a dump; throws NetlinkError when the kernel answers with an
// error, ParseError for a message that makes no sense here.
class ReplyCollector {
 public:
  ReplyCollector(int family, uint32_t seq, bool dump)
      : family_(family), seq_(seq), dump_(dump) {}
  // False: the message was not for this request (other sequence number) and
  // was ignored.
  bool Feed(const Message& msg);
  bool done() const { return done_; }
  // A dump whose objects changed while it ran (NLM_F_DUMP_INTR): retry it.
  bool interrupted() const { return interrupted_; }
  std::vector<Message>& replies() { return replies_; }

 private:
  int family_;
  uint32_t seq_;
  bool dump_;
  bool done_ = false;
  bool interrupted_ = false;
  std::vector<Message> replies_;
};

}  // namespace nvo

#endif  // NVO_CODEC_H_
