#include "cpx/gateway/candles.hpp"

#include <algorithm>
#include <iterator>

#include "cpx/base/decimal.hpp"

namespace cpx::gateway {

std::string_view to_string(Interval interval) {
  return interval == Interval::minute ? "1m" : "1h";
}

int64_t vwap_ticks(int128 notional_e7, int64_t volume_milli) {
  if (volume_milli <= 0) return 0;
  return int64_t((notional_e7 + volume_milli / 2) / volume_milli);
}

Candles::Candles(std::size_t chips, std::size_t regions)
    : regions_(regions),
      series_(chips * (regions + 1) * 2),
      last_price_(chips),
      last_time_(chips, INT64_MIN),
      chips_(chips) {}

std::size_t Candles::slot(const SeriesKey& key) const {
  return (std::size_t(key.chip) * (regions_ + 1) + std::size_t(key.region + 1)) * 2 +
         std::size_t(key.interval);
}

const std::deque<Candle>& Candles::series(const SeriesKey& key) const {
  if (key.delivery_ms == 0) return series_[slot(key)];
  static const std::deque<Candle> none;
  const auto it = delivery_series_.find({key.delivery_ms, key.chip, key.interval});
  return it == delivery_series_.end() ? none : it->second;
}

std::deque<Candle>& Candles::series_of(const SeriesKey& key) {
  if (key.delivery_ms == 0) return series_[slot(key)];
  const auto [it, added] = delivery_series_.try_emplace({key.delivery_ms, key.chip, key.interval});
  // Past the cap, the oldest delivery hour's series go (never the one just made: it is newer,
  // or the cap is spent on newer ones and this one is dropped at the next call).
  if (added && delivery_series_.size() > deliveries_kept * chips_ * 2 &&
      delivery_series_.begin() != it) {
    delivery_series_.erase(delivery_series_.begin());
  }
  return it->second;
}

std::optional<int64_t> Candles::last_price(uint16_t chip) const {
  return last_price_[chip];
}

void Candles::apply(const SettledTrade& trade, std::vector<ChangedCandle>* changed) {
  for (const Interval interval : {Interval::minute, Interval::hour}) {
    add(SeriesKey{trade.chip, -1, interval}, trade, changed);
    add(SeriesKey{trade.chip, int(trade.region), interval}, trade, changed);
    if (trade.delivery_ms != 0) {
      add(SeriesKey{trade.chip, -1, interval, trade.delivery_ms}, trade, nullptr);
    }
  }
  if (trade.time_ms >= last_time_[trade.chip]) {
    last_time_[trade.chip] = trade.time_ms;
    last_price_[trade.chip] = trade.price_ticks;
  }
}

void Candles::add(const SeriesKey& key, const SettledTrade& trade,
                  std::vector<ChangedCandle>* changed) {
  std::deque<Candle>& candles = series_of(key);
  const int64_t length = interval_ms(key.interval);
  const int64_t start = trade.time_ms - ((trade.time_ms % length) + length) % length;
  // Trades settle in trade order, but their times come from several I/O threads' clocks: a
  // trade may belong to a candle a little before the newest.
  auto it = candles.end();
  while (it != candles.begin() && std::prev(it)->start_ms > start) --it;
  Candle* candle = nullptr;
  if (it != candles.begin() && std::prev(it)->start_ms == start) {
    candle = &*std::prev(it);
  } else {
    const std::size_t kept = key.interval == Interval::minute ? minutes_kept : hours_kept;
    if (candles.size() >= kept && it == candles.begin()) return;  // older than what is kept
    Candle fresh;
    fresh.start_ms = start;
    fresh.open_ticks = fresh.high_ticks = fresh.low_ticks = fresh.close_ticks = trade.price_ticks;
    candle = &*candles.insert(it, fresh);
    if (candles.size() > kept) {
      candles.pop_front();
    }
  }
  candle->high_ticks = std::max(candle->high_ticks, trade.price_ticks);
  candle->low_ticks = std::min(candle->low_ticks, trade.price_ticks);
  candle->close_ticks = trade.price_ticks;
  candle->volume_milli += trade.qty_milli;
  candle->notional_e7 += notional_e7(trade.price_ticks, trade.qty_milli);
  ++candle->trades;
  if (changed != nullptr) changed->push_back(ChangedCandle{key, *candle});
}

void Candles::seed(const SeriesKey& key, const Candle& candle) {
  std::deque<Candle>& candles = series_of(key);
  candles.push_back(candle);
  const std::size_t kept = key.interval == Interval::minute ? minutes_kept : hours_kept;
  if (candles.size() > kept) candles.pop_front();
  if (key.region < 0 && key.delivery_ms == 0 && key.interval == Interval::minute &&
      candle.start_ms >= last_time_[key.chip]) {
    last_time_[key.chip] = candle.start_ms;
    last_price_[key.chip] = candle.close_ticks;
  }
}

Candles::Index Candles::index(uint16_t chip, int64_t now_ms) const {
  Index out;
  const int64_t minute = interval_ms(Interval::minute);
  out.from_ms = now_ms - 3'600'000;
  out.from_ms -= ((out.from_ms % minute) + minute) % minute;
  const std::deque<Candle>& candles = series(SeriesKey{chip, -1, Interval::minute});
  for (auto it = candles.rbegin(); it != candles.rend() && it->start_ms >= out.from_ms; ++it) {
    if (it->start_ms > now_ms) continue;
    out.volume_milli += it->volume_milli;
    out.notional_e7 += it->notional_e7;
    out.trades += it->trades;
  }
  out.has_value = out.volume_milli > 0;
  out.price_ticks = vwap_ticks(out.notional_e7, out.volume_milli);
  return out;
}

void render_candle(std::string& out, const Candle& candle, Interval interval,
                   std::string_view region) {
  out += "{\"start_ms\":" + std::to_string(candle.start_ms);
  out += ",\"interval\":\"";
  out += to_string(interval);
  out += "\",\"region\":";
  if (region.empty()) {
    out += "null";
  } else {
    out += "\"";
    out += region;
    out += "\"";
  }
  const auto price = [&](const char* name, int64_t ticks) {
    out += ",\"";
    out += name;
    out += "\":\"";
    append_decimal(out, ticks, price_frac_digits);
    out += "\"";
  };
  price("open", candle.open_ticks);
  price("high", candle.high_ticks);
  price("low", candle.low_ticks);
  price("close", candle.close_ticks);
  out += ",\"volume\":\"";
  append_decimal(out, candle.volume_milli, qty_frac_digits);
  out += "\",\"notional\":\"";
  append_decimal(out, candle.notional_e7, amount_frac_digits);
  out += "\"";
  price("vwap", vwap_ticks(candle.notional_e7, candle.volume_milli));
  out += ",\"trades\":" + std::to_string(candle.trades) + "}";
}

}  // namespace cpx::gateway
