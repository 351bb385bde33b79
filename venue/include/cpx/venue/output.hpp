// What the venue says back: messages from the matcher thread to the I/O threads (a header, then
// a JSON body or a market-data record). Plain data only.
#pragma once

#include <cstdint>
#include <type_traits>

#include "cpx/venue/request.hpp"

namespace cpx::venue {

enum class OutKind : uint8_t {
  reply,        // to one session: status + JSON body
  push,         // to an account's WebSocket sessions: JSON body
  key_added,    // to every I/O thread: KeyRecord
  book,         // to every I/O thread: BookHeader + BookLevel[levels]
  trade,        // to every I/O thread: TradeRecord
  curve,        // to every I/O thread: CurveHeader + CurvePoint[points]
  key_revoked,  // to every I/O thread: KeyRecord (no secret): the key stops, its sessions close
};

struct OutHeader {
  OutKind kind = OutKind::reply;
  bool close = false;          // reply: close the connection after sending
  bool csv = false;            // reply: the body is text/csv, not JSON
  uint16_t status = 200;       // reply: HTTP status
  uint32_t retry_after_s = 0;  // reply: Retry-After for 429 and 503
  uint64_t target = 0;         // reply: session; push: account index
};
static_assert(std::is_trivially_copyable_v<OutHeader>);

struct KeyRecord {
  InlineText<key_id_length_max> key_id;
  InlineText<secret_length_max> secret;
  InlineText<id_length_max> account;
  Role role = Role::enterprise;
  uint32_t account_index = 0;
};
static_assert(std::is_trivially_copyable_v<KeyRecord>);

struct BookHeader {
  uint16_t chip = 0;
  uint32_t levels = 0;
  uint64_t seq = 0;  // the book channel's sequence number of this update
  // 0: the chip's plain market (book:{chip}); else the start of the hourly market's delivery
  // hour (book:{chip}:{delivery}, docs/delivery.md), each with its own seq.
  int64_t delivery_ms = 0;
};
// What rests at one price of one side of a book: the open quantity and the number of orders
// (the venue keeps these per chip; each I/O thread keeps a copy rebuilt from BookLevel updates).
struct LevelTotal {
  int64_t qty_milli = 0;
  uint32_t count = 0;
};

// A price level's state after the update: count 0 means the level is gone.
struct BookLevel {
  Side side = Side::bid;
  uint32_t count = 0;
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;
};
struct TradeRecord {
  uint16_t chip = 0;
  uint16_t region = 0;
  Side aggressor = Side::bid;
  uint64_t seq = 0;  // the trades:{chip} channel's sequence number
  uint64_t trade_id = 0;
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;
  int64_t time_ms = 0;
  int64_t delivery_ms = 0;  // an hourly market's trade: its delivery hour; 0: a plain market's
};
static_assert(std::is_trivially_copyable_v<BookLevel> && std::is_trivially_copyable_v<TradeRecord>);

// The forward curve of a chip (curve:{chip}): for each open delivery hour, the top of its book
// and its trades so far. An update carries the hours that changed; every update says which
// hours are open (from_ms .. to_ms, a step of an hour; none while from_ms > to_ms), so a reader
// drops the hours before from_ms.
struct CurveHeader {
  uint16_t chip = 0;
  uint32_t points = 0;
  uint64_t seq = 0;  // the curve:{chip} channel's sequence number of this update
  int64_t clock_ms = -1;
  int64_t from_ms = 0;
  int64_t to_ms = -1;
};
struct CurvePoint {
  int64_t delivery_ms = 0;
  int64_t best_bid_ticks = 0;    // 0: no bid (prices are > 0)
  int64_t best_ask_ticks = 0;    // 0: no ask
  int64_t last_price_ticks = 0;  // 0: no trade yet
  int64_t volume_milli = 0;
  int128 notional_e7 = 0;
  uint32_t trades = 0;
  bool operator==(const CurvePoint&) const = default;
};
static_assert(std::is_trivially_copyable_v<CurveHeader> &&
              std::is_trivially_copyable_v<CurvePoint>);

}  // namespace cpx::venue
