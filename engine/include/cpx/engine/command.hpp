// A command as the matcher sees it: decoded, with fixed-point fields and no JSON left.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "cpx/engine/types.hpp"

namespace cpx {

inline constexpr uint32_t account_unresolved = UINT32_MAX;
// client_order_number of an id that is not a canonical decimal number.
inline constexpr uint64_t not_a_number = UINT64_MAX;

// The value of a canonical decimal id ("7", "42"; no sign, no leading zero, at most 18
// digits), or not_a_number. Such ids take the order-key table's direct index.
uint64_t client_order_number_of(std::string_view client_order_id);

struct Command {
  Op op = Op::new_order;
  Side side = Side::bid;
  Tif tif = Tif::gtc;
  Urgency urgency = Urgency::standard;
  Role role = Role::enterprise;
  // bad_request when the command is malformed (spec check 1); otherwise none.
  Reason shape_reason = Reason::none;
  // The first field whose value or JSON type is wrong, in the spec's order; checked by the
  // engine after the account checks, so it is only a candidate reason.
  Reason field_reason = Reason::none;
  bool has_qty = false;
  bool has_price = false;
  bool has_latency_max = false;
  // New orders from the gateway only ("post_only":true): rejected (would_take) instead of
  // trading when they would take from the book.
  bool post_only = false;
  // Which optional fields a new order or a site command gave (an ask naming its site may leave
  // out chip, region and green_pct; a site change gives only what changes).
  bool has_chip = false;
  bool has_region = false;
  bool has_green = false;
  bool has_green_profile = false;
  bool has_site_status = false;
  SiteStatus site_status = SiteStatus::active;
  uint8_t green_pct = 0;  // min_green_pct of a bid, green_pct of an ask or a site
  // A site's green share for each UTC hour of the day (when has_green_profile).
  uint8_t green_profile[hours_per_day] = {};
  uint16_t chip = 0;
  uint16_t region = 0;          // origin of a bid, region of an ask
  uint16_t latency_ms_max = 0;  // max_latency_ms of a bid, when has_latency_max
  // The account's index when the caller has already resolved it (benchmarks, gateway);
  // otherwise the engine looks up `account` by name.
  uint32_t account_index = account_unresolved;
  int64_t qty_milli = 0;  // an order's qty; a site's capacity_pflops (times one hour)
  int64_t price_ticks = 0;
  // An order's delivery hour: ms since the epoch at the hour's start; 0 when not given.
  int64_t delivery_ms = 0;
  int64_t time_ms = 0;    // a tick's clock
  uint64_t trade_id = 0;  // a contract's, for delivery, dispute and resolve
  int128 amount_e7 = 0;
  // Valid ids only: a decoder leaves these empty when the text is not a valid id, so a
  // rejection echoes exactly what the spec allows.
  std::string_view account;
  std::string_view client_order_id;
  std::string_view site;  // an ask's or a site command's site id
  // Always client_order_number_of(client_order_id), worked out where the command is decoded
  // (off the matcher thread); set both through set_client_order_id().
  uint64_t client_order_number = not_a_number;

  void set_client_order_id(std::string_view text) {
    client_order_id = text;
    client_order_number = client_order_number_of(text);
  }
};
static_assert(std::is_trivially_copyable_v<Command>);

}  // namespace cpx
