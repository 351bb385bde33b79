// Price discovery from settled trades: OHLCV candles of 1 minute and 1 hour per chip, and per
// chip and region; the last price; and the reference price (VWAP over the last hour). Each I/O
// thread keeps its own copy, fed by the ledger writer after every committed batch, so REST and
// WebSocket readers never touch the matcher or PostgreSQL. Integers only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cpx/engine/types.hpp"
#include "cpx/ledger/candle.hpp"

namespace cpx::gateway {

// A trade as settled in the ledger.
struct SettledTrade {
  uint16_t chip = 0;
  uint16_t region = 0;
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;
  int64_t time_ms = 0;
  int64_t delivery_ms = 0;  // an hourly market's trade: its delivery hour
};

enum class Interval : uint8_t { minute, hour };
inline constexpr int64_t interval_ms(Interval interval) {
  return interval == Interval::minute ? 60'000 : 3'600'000;
}
std::string_view to_string(Interval interval);

using ledger::Candle;

// The volume-weighted average price: notional / volume, rounded half up to a price tick.
int64_t vwap_ticks(int128 notional_e7, int64_t volume_milli);

// One series: a chip, all its regions (region == -1) or one, at one interval; or the trades of
// one delivery hour of the chip (delivery_ms != 0, all regions).
struct SeriesKey {
  uint16_t chip = 0;
  int region = -1;
  Interval interval = Interval::minute;
  int64_t delivery_ms = 0;
};

struct ChangedCandle {
  SeriesKey key;
  Candle candle;
};

class Candles {
 public:
  // A day of minutes and 30 days of hours.
  static constexpr std::size_t minutes_kept = 1440;
  static constexpr std::size_t hours_kept = 720;
  // The delivery hours whose own series are kept: the latest 240 (ten days) of all chips'.
  static constexpr std::size_t deliveries_kept = 240;

  Candles(std::size_t chips, std::size_t regions);

  // Adds a settled trade to its chip's and its chip-and-region's candles of both intervals (and
  // its delivery hour's); appends the candles it changed (their state after it, not the
  // delivery hour's) to `changed`.
  void apply(const SettledTrade& trade, std::vector<ChangedCandle>* changed = nullptr);
  // A candle read back from the ledger at start (oldest first within each series).
  void seed(const SeriesKey& key, const Candle& candle);

  // Oldest first.
  const std::deque<Candle>& series(const SeriesKey& key) const;
  std::optional<int64_t> last_price(uint16_t chip) const;

  struct Index {
    bool has_value = false;
    int64_t price_ticks = 0;
    int64_t volume_milli = 0;
    int128 notional_e7 = 0;
    uint32_t trades = 0;
    int64_t from_ms = 0;
  };
  // VWAP over the chip's 1-minute candles that started within the last hour of now_ms.
  Index index(uint16_t chip, int64_t now_ms) const;

 private:
  std::size_t slot(const SeriesKey& key) const;
  std::deque<Candle>& series_of(const SeriesKey& key);
  void add(const SeriesKey& key, const SettledTrade& trade, std::vector<ChangedCandle>* changed);

  std::size_t regions_;
  std::vector<std::deque<Candle>> series_;
  // (delivery hour, chip, interval) -> candles of that hour's market; the oldest hours go first.
  std::map<std::tuple<int64_t, uint16_t, Interval>, std::deque<Candle>> delivery_series_;
  std::vector<std::optional<int64_t>> last_price_;
  std::vector<int64_t> last_time_;
  std::size_t chips_;
};

// JSON renderings: a candle object, GET /v1/markets/{chip}/candles and /index bodies.
void render_candle(std::string& out, const Candle& candle, Interval interval,
                   std::string_view region);

}  // namespace cpx::gateway
