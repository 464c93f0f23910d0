// SPDX-License-Identifier: GPL-2.0
// Hand-made netlink messages for the tests, written byte by byte without
// libnl (so the tests check the library against the wire format, not
// against itself), and a plain attribute walker for request bytes.
#ifndef NVO_TESTS_NL_BYTES_H_
#define NVO_TESTS_NL_BYTES_H_

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace nvo::test {

inline void Put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  std::memcpy(b.data() + off, &v, sizeof(v));
}
inline void Put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  std::memcpy(b.data() + off, &v, sizeof(v));
}
inline uint16_t Get16(const std::vector<uint8_t>& b, size_t off) {
  uint16_t v = 0;
  std::memcpy(&v, b.data() + off, sizeof(v));
  return v;
}
inline uint32_t Get32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v = 0;
  std::memcpy(&v, b.data() + off, sizeof(v));
  return v;
}

class NlWriter {
 public:
  // A generic netlink message: nlmsghdr + genlmsghdr.
  static NlWriter Genl(uint16_t type, uint8_t cmd, uint32_t seq = 1,
                       uint16_t flags = 0, uint8_t version = 1) {
    NlWriter w(type, flags, seq);
    w.b_.push_back(cmd);
    w.b_.push_back(version);
    w.b_.push_back(0);
    w.b_.push_back(0);
    return w;
  }
  // A bare nlmsghdr (NLMSG_ERROR, NLMSG_DONE...); Raw() appends payload.
  static NlWriter Plain(uint16_t type, uint32_t seq = 1, uint16_t flags = 0) {
    return {type, flags, seq};
  }

  NlWriter& Raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
    return *this;
  }
  NlWriter& Attr(uint16_t type, const void* p, size_t n) {
    const size_t at = b_.size();
    b_.resize(at + NLA_HDRLEN);
    Put16(b_, at, static_cast<uint16_t>(NLA_HDRLEN + n));
    Put16(b_, at + 2, type);
    Raw(p, n);
    Align();
    return *this;
  }
  NlWriter& U32(uint16_t type, uint32_t v) { return Attr(type, &v, 4); }
  NlWriter& U64(uint16_t type, uint64_t v) { return Attr(type, &v, 8); }
  NlWriter& Str(uint16_t type, const std::string& s) {
    return Attr(type, s.c_str(), s.size() + 1);
  }
  NlWriter& Flag(uint16_t type) { return Attr(type, nullptr, 0); }
  NlWriter& Begin(uint16_t type) {
    nests_.push_back(b_.size());
    b_.resize(b_.size() + NLA_HDRLEN);
    Put16(b_, nests_.back() + 2, static_cast<uint16_t>(type | NLA_F_NESTED));
    return *this;
  }
  NlWriter& End() {
    const size_t at = nests_.back();
    nests_.pop_back();
    Put16(b_, at, static_cast<uint16_t>(b_.size() - at));
    return *this;
  }
  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> out = b_;
    Put32(out, 0, static_cast<uint32_t>(out.size()));
    return out;
  }

 private:
  NlWriter(uint16_t type, uint16_t flags, uint32_t seq) : b_(NLMSG_HDRLEN) {
    Put16(b_, 4, type);
    Put16(b_, 6, flags);
    Put32(b_, 8, seq);
    Put32(b_, 12, 4242);  // port id of the kernel's answer: anything
  }
  void Align() { b_.resize(NLMSG_ALIGN(b_.size())); }

  std::vector<uint8_t> b_;
  std::vector<size_t> nests_;
};

// One attribute of a message, as found on the wire.
struct WireAttr {
  uint16_t type = 0;  // NLA_F_NESTED kept
  std::vector<uint8_t> payload;
  uint32_t u32() const {
    uint32_t v = 0;
    std::memcpy(&v, payload.data(), sizeof(v));
    return v;
  }
  std::string str() const {
    return {payload.begin(), payload.end()};  // NUL included
  }
};

// The attributes found from byte off to the end of buf.
inline std::vector<WireAttr> WalkAttrs(const std::vector<uint8_t>& buf,
                                       size_t off) {
  std::vector<WireAttr> out;
  while (off + NLA_HDRLEN <= buf.size()) {
    const uint16_t len = Get16(buf, off);
    if (len < NLA_HDRLEN || off + len > buf.size()) {
      break;
    }
    WireAttr a;
    a.type = Get16(buf, off + 2);
    a.payload.assign(buf.begin() + static_cast<long>(off + NLA_HDRLEN),
                     buf.begin() + static_cast<long>(off + len));
    out.push_back(a);
    off += NLA_ALIGN(len);
  }
  return out;
}

constexpr size_t kGenlAttrOff = NLMSG_HDRLEN + GENL_HDRLEN;

}  // namespace nvo::test

#endif  // NVO_TESTS_NL_BYTES_H_
