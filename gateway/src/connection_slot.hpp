// A connection's claim on the server's capacity (docs/api.md, "Limits"): one of the total, one
// of its IP address's share, and, until it authenticates, one of the anonymous share (at most
// nine tenths of the total, so that some capacity is always left for authenticated sessions).
// The listener claims it at accept; the session holds it (an HTTP session hands it on to the
// WebSocket session of its upgrade) and gives it back when it ends.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>

namespace cpx::gateway {

struct Core;

class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& other) noexcept { *this = std::move(other); }
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { release(); }

  // A new anonymous connection from `address`; none (nothing claimed) when the address has all
  // of its share. `full` says whether the total or the anonymous share is now over its cap
  // (then an anonymous connection must make way, or this one goes).
  static bool claim(Core& core, const boost::asio::ip::address& address, ConnectionSlot& out,
                    bool& full);
  // The session proved who it is: it leaves the anonymous share.
  void authenticated();
  bool anonymous() const { return anonymous_; }
  bool held() const { return core_ != nullptr; }

 private:
  void release();

  Core* core_ = nullptr;
  std::array<uint8_t, 16> address_{};
  bool anonymous_ = false;
};

}  // namespace cpx::gateway
