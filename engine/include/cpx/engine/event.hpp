// What the matcher says about each command, as plain data; rendering to JSON is elsewhere.
#pragma once

#include <cstdint>
#include <type_traits>

#include "cpx/engine/types.hpp"

namespace cpx {

enum class EventType : uint8_t { ok, rejected, accepted, amended, done, trade };

struct Event {
  EventType type = EventType::ok;
  Reason reason = Reason::none;                   // rejected
  DoneReason done_reason = DoneReason::canceled;  // done
  Side aggressor = Side::bid;                     // trade
  uint16_t chip = 0;                              // trade
  uint16_t region = 0;                            // trade: the ask's region
  uint64_t seq = 0;
  uint64_t id = 0;          // order_id (accepted) or trade_id (trade)
  int64_t price_ticks = 0;  // amended, trade
  int64_t qty_milli = 0;    // amended, trade
  uint32_t order_key = 0;   // accepted, amended, done; the bid of a trade
  uint32_t ask_key = 0;     // the ask of a trade
};
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(sizeof(Event) == 48);

}  // namespace cpx
