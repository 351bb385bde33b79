// What the matcher says about each command, as plain data; rendering to JSON is elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "cpx/engine/types.hpp"

namespace cpx {

// contract: a contract's status changed (docs/delivery.md); id is its trade id.
enum class EventType : uint8_t { ok, rejected, accepted, amended, done, trade, contract };

struct Event {
  EventType type = EventType::ok;
  Reason reason = Reason::none;  // rejected
  union {
    DoneReason done_reason = DoneReason::canceled;  // done
    ContractStatus contract_status;                 // contract
  };
  Side aggressor = Side::bid;  // trade
  // trade: the book it happened in, the chip's index for a chip's plain book (see
  // Engine::market_of for an hourly market's)
  uint16_t book = 0;
  uint16_t region = 0;  // trade: the ask's region
  uint64_t seq = 0;
  uint64_t id = 0;          // order_id (accepted) or trade_id (trade)
  int64_t price_ticks = 0;  // amended, trade
  int64_t qty_milli = 0;    // amended, trade
  uint32_t order_key = 0;   // accepted, amended, done; the bid of a trade
  uint32_t ask_key = 0;     // the ask of a trade
};
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(sizeof(Event) == 48);

// The events of commands, appended by the matcher. A vector of Events whose append is a capacity
// check and a store, inlined where it is used (std::vector's emplace_back is compiled out of line
// with its reallocation and zeroes each event through memset): the matcher appends two or three
// events a command, on its hot path.
class EventList {
 public:
  EventList() = default;
  EventList(const EventList& other) { *this = other; }
  EventList& operator=(const EventList& other);
  EventList(EventList&& other) noexcept { swap(other); }
  EventList& operator=(EventList&& other) noexcept {
    swap(other);
    return *this;
  }
  ~EventList() { ::operator delete(data_); }

  [[gnu::always_inline]] Event& emplace_back() {
    if (size_ == capacity_) [[unlikely]]
      grow();
    return *new (data_ + size_++) Event();
  }
  void push_back(const Event& event) { emplace_back() = event; }
  void clear() { size_ = 0; }
  void reserve(std::size_t capacity);

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  Event& operator[](std::size_t i) { return data_[i]; }
  const Event& operator[](std::size_t i) const { return data_[i]; }
  Event& front() { return data_[0]; }
  const Event& front() const { return data_[0]; }
  Event& back() { return data_[size_ - 1]; }
  const Event& back() const { return data_[size_ - 1]; }
  Event* data() { return data_; }
  const Event* data() const { return data_; }
  Event* begin() { return data_; }
  Event* end() { return data_ + size_; }
  const Event* begin() const { return data_; }
  const Event* end() const { return data_ + size_; }

  void swap(EventList& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

 private:
  // Out of line and cold, so that the append's fast path saves no registers.
  [[gnu::noinline, gnu::cold]] void grow();

  Event* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Appends an event built in place (no temporary copied in).
[[gnu::always_inline]] inline Event& push_event(EventList& events, EventType type, uint64_t seq,
                                                uint32_t key) {
  Event& event = events.emplace_back();
  event.type = type;
  event.seq = seq;
  event.order_key = key;
  return event;
}

}  // namespace cpx
