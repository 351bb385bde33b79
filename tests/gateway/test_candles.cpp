// Price discovery from settled trades: candles, last price, VWAP and the hourly index.
#include <doctest/doctest.h>

#include "cpx/gateway/candles.hpp"

namespace cpx::gateway {
namespace {

constexpr int64_t t0 = 1'700'000'040'000;  // a minute boundary, 14 minutes past an hour

SettledTrade trade(int64_t time_ms, int64_t price_ticks, int64_t qty_milli, uint16_t region = 0,
                   uint16_t chip = 0) {
  return SettledTrade{chip, region, price_ticks, qty_milli, time_ms};
}

}  // namespace

TEST_CASE("a minute's trades make one candle: open, high, low, close, volume, notional, vwap") {
  Candles candles(2, 3);
  candles.apply(trade(t0 + 1000, 25000, 2000));   // 2.5 x 2
  candles.apply(trade(t0 + 20000, 30000, 1000));  // 3 x 1
  candles.apply(trade(t0 + 59999, 20000, 1000));  // 2 x 1
  const auto& minutes = candles.series(SeriesKey{0, -1, Interval::minute});
  REQUIRE(minutes.size() == 1);
  const Candle& c = minutes.front();
  CHECK(c.start_ms == t0);
  CHECK(c.open_ticks == 25000);
  CHECK(c.high_ticks == 30000);
  CHECK(c.low_ticks == 20000);
  CHECK(c.close_ticks == 20000);
  CHECK(c.volume_milli == 4000);
  CHECK(c.notional_e7 == int128(25000) * 2000 + int128(30000) * 1000 + int128(20000) * 1000);
  CHECK(vwap_ticks(c.notional_e7, c.volume_milli) == 25000);  // 10 / 4
  CHECK(c.trades == 3);
  CHECK(candles.last_price(0) == 20000);
  CHECK_FALSE(candles.last_price(1).has_value());
  // The hour candle holds the same trades.
  REQUIRE(candles.series(SeriesKey{0, -1, Interval::hour}).size() == 1);
  CHECK(candles.series(SeriesKey{0, -1, Interval::hour}).front().start_ms == t0 - 14 * 60'000);
}

TEST_CASE("the next minute starts a new candle; regions have their own series") {
  Candles candles(1, 3);
  candles.apply(trade(t0, 10000, 1000, 1));
  candles.apply(trade(t0 + 60'000, 11000, 1000, 2));
  CHECK(candles.series(SeriesKey{0, -1, Interval::minute}).size() == 2);
  CHECK(candles.series(SeriesKey{0, 1, Interval::minute}).size() == 1);
  CHECK(candles.series(SeriesKey{0, 2, Interval::minute}).front().start_ms == t0 + 60'000);
  CHECK(candles.series(SeriesKey{0, 0, Interval::minute}).empty());
}

TEST_CASE("a trade stamped a little earlier than the newest candle goes into its own minute") {
  Candles candles(1, 1);
  candles.apply(trade(t0 + 60'000, 10000, 1000));
  candles.apply(trade(t0 + 59'999, 12000, 1000));  // another I/O thread's clock
  const auto& minutes = candles.series(SeriesKey{0, -1, Interval::minute});
  REQUIRE(minutes.size() == 2);
  CHECK(minutes[0].start_ms == t0);
  CHECK(minutes[0].close_ticks == 12000);
  CHECK(minutes[1].start_ms == t0 + 60'000);
  CHECK(candles.last_price(0) == 10000);  // the latest trade in time
}

TEST_CASE("vwap rounds half up to a price tick") {
  CHECK(vwap_ticks(int128(10) * 1000 + 500, 1000) == 11);  // 10.5 ticks
  CHECK(vwap_ticks(int128(10) * 1000 + 499, 1000) == 10);
  CHECK(vwap_ticks(0, 0) == 0);
}

TEST_CASE("a day of minutes is kept, the oldest dropped") {
  Candles candles(1, 1);
  for (std::size_t i = 0; i < Candles::minutes_kept + 10; ++i) {
    candles.apply(trade(t0 + int64_t(i) * 60'000, 10000, 1000));
  }
  const auto& minutes = candles.series(SeriesKey{0, -1, Interval::minute});
  CHECK(minutes.size() == Candles::minutes_kept);
  CHECK(minutes.front().start_ms == t0 + 10 * 60'000);
}

TEST_CASE("the index is the VWAP of the minutes that started within the last hour") {
  Candles candles(1, 1);
  candles.apply(trade(t0, 90000, 5000));                // over an hour before: left out
  candles.apply(trade(t0 + 61 * 60'000, 20000, 1000));  // in
  candles.apply(trade(t0 + 90 * 60'000, 30000, 3000));  // in
  const Candles::Index index = candles.index(0, t0 + 121 * 60'000 + 5);
  CHECK(index.has_value);
  CHECK(index.trades == 2);
  CHECK(index.volume_milli == 4000);
  CHECK(index.price_ticks == 27500);  // (2 x 1 + 3 x 3) / 4 = 2.75
  CHECK_FALSE(candles.index(0, t0 + 300 * 60'000).has_value);
}

TEST_CASE("a candle renders with exact decimals") {
  Candle candle{t0, 25000, 30000, 20000, 20000, 4000, int128(100'000'000), 3};
  std::string out;
  render_candle(out, candle, Interval::minute, "guian");
  CHECK(out ==
        R"({"start_ms":1700000040000,"interval":"1m","region":"guian","open":"2.5","high":"3",)"
        R"("low":"2","close":"2","volume":"4","notional":"10","vwap":"2.5","trades":3})");
}

}  // namespace cpx::gateway

namespace cpx::gateway {

TEST_CASE("an hourly market's trades also make that delivery hour's own candles") {
  constexpr int64_t ten = 1'796'292'000'000;  // 2026-12-03T10:00Z
  Candles candles(2, 3);
  SettledTrade hourly = trade(t0 + 1000, 20000, 3000);  // 2 x 3 for 10:00
  hourly.delivery_ms = ten;
  candles.apply(hourly);
  SettledTrade later = trade(t0 + 61'000, 30000, 1000);  // 3 x 1 for 11:00, the next minute
  later.delivery_ms = ten + 3'600'000;
  candles.apply(later);
  candles.apply(trade(t0 + 2000, 50000, 1000));  // a plain market's: in no delivery hour's
  const auto& ten_minutes = candles.series(SeriesKey{0, -1, Interval::minute, ten});
  REQUIRE(ten_minutes.size() == 1);
  CHECK(ten_minutes.front().volume_milli == 3000);
  CHECK(ten_minutes.front().close_ticks == 20000);
  CHECK(candles.series(SeriesKey{0, -1, Interval::hour, ten + 3'600'000}).front().trades == 1);
  CHECK(candles.series(SeriesKey{1, -1, Interval::hour, ten}).empty());  // another chip's
  // The chip's own series hold every market's trades.
  CHECK(candles.series(SeriesKey{0, -1, Interval::hour}).front().trades == 3);
  // The latest deliveries_kept hours of all chips are kept, the oldest dropped first.
  for (std::size_t h = 0; h < Candles::deliveries_kept * 2; ++h) {
    SettledTrade next = trade(t0 + 1000, 20000, 1000);
    next.delivery_ms = ten + int64_t(h + 2) * 3'600'000;
    candles.apply(next);
  }
  CHECK(candles.series(SeriesKey{0, -1, Interval::minute, ten}).empty());
  CHECK(candles
            .series(SeriesKey{0, -1, Interval::minute,
                              ten + int64_t(Candles::deliveries_kept * 2 + 1) * 3'600'000})
            .size() == 1);
}

}  // namespace cpx::gateway
