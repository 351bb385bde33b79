#include "connection_slot.hpp"

#include "io_thread.hpp"

namespace cpx::gateway {
namespace {

std::array<uint8_t, 16> key_of(const boost::asio::ip::address& address) {
  // IPv4 as its IPv4-mapped IPv6 form: one key space for both.
  const boost::asio::ip::address_v6 v6 =
      address.is_v4()
          ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4())
          : address.to_v6();
  return v6.to_bytes();
}

}  // namespace

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    release();
    core_ = other.core_;
    address_ = other.address_;
    anonymous_ = other.anonymous_;
    other.core_ = nullptr;
  }
  return *this;
}

bool ConnectionSlot::claim(Core& core, const boost::asio::ip::address& address, ConnectionSlot& out,
                           bool& full) {
  const std::array<uint8_t, 16> key = key_of(address);
  const uint32_t per_address_max = core.settings.max_connections_per_address;
  {
    const std::lock_guard lock(core.addresses_mutex);
    uint32_t& count = core.addresses[key];
    if (per_address_max != 0 && count >= per_address_max) return false;
    ++count;
  }
  out.release();
  out.core_ = &core;
  out.address_ = key;
  out.anonymous_ = true;
  const uint32_t open = core.connections.fetch_add(1, std::memory_order_relaxed) + 1;
  const uint32_t anonymous = core.anonymous.fetch_add(1, std::memory_order_relaxed) + 1;
  const uint32_t total_max = core.settings.max_connections;
  full = open > total_max || anonymous > total_max - total_max / 10;
  return true;
}

void ConnectionSlot::authenticated() {
  if (core_ == nullptr || !anonymous_) return;
  anonymous_ = false;
  core_->anonymous.fetch_sub(1, std::memory_order_relaxed);
}

void ConnectionSlot::release() {
  if (core_ == nullptr) return;
  authenticated();
  core_->connections.fetch_sub(1, std::memory_order_relaxed);
  {
    const std::lock_guard lock(core_->addresses_mutex);
    const auto it = core_->addresses.find(address_);
    if (it != core_->addresses.end() && --it->second == 0) core_->addresses.erase(it);
  }
  core_ = nullptr;
}

}  // namespace cpx::gateway
