#include "cpx/gateway/market_data.hpp"

#include "cpx/base/decimal.hpp"

namespace cpx::gateway {
namespace {

constexpr std::size_t snapshot_trades = 100;  // what a new trades: subscriber gets first

// A level's new state: count 0 removes it.
template <class Levels>
void set_level(Levels& levels, const BookLevel& level) {
  if (level.count == 0) {
    levels.erase(level.price_ticks);
  } else {
    levels[level.price_ticks] = typename Levels::mapped_type{level.qty_milli, level.count};
  }
}

void append_level(std::string& out, int64_t price_ticks, int64_t qty_milli, uint32_t count) {
  out.append("{\"price\":\"");
  append_decimal(out, price_ticks, price_frac_digits);
  out.append("\",\"qty\":\"");
  append_decimal(out, qty_milli, qty_frac_digits);
  out.append("\",\"orders\":");
  out.append(std::to_string(count));
  out.push_back('}');
}

template <class Levels>
void append_side(std::string& out, const Levels& levels, std::size_t depth) {
  out.push_back('[');
  std::size_t n = 0;
  for (const auto& [price, level] : levels) {
    if (n == depth) break;
    if (n++) out.push_back(',');
    append_level(out, price, level.qty_milli, level.count);
  }
  out.push_back(']');
}

}  // namespace

MarketData::MarketData(const Config& config)
    : config_(config),
      chips_(config.chips.size()),
      curves_(config.chips.size()),
      candles_(config.chips.size(), config.regions.size()) {}

void MarketData::render_last_price(std::string& out, uint16_t chip) const {
  out.append(",\"last_price\":");
  if (const auto last = candles_.last_price(chip)) {
    out.push_back('"');
    append_decimal(out, *last, price_frac_digits);
    out.push_back('"');
  } else {
    out.append("null");
  }
}

std::vector<std::pair<uint16_t, std::string>> MarketData::apply_settled(
    const std::vector<SettledTrade>& trades, const std::vector<bool>& render) {
  changed_.clear();
  for (const SettledTrade& trade : trades) candles_.apply(trade, &changed_);
  std::vector<std::pair<uint16_t, std::string>> out;
  std::vector<bool> seen(chips_.size(), false);
  for (const ChangedCandle& change : changed_) {
    const uint16_t chip = change.key.chip;
    if (seen[chip]) continue;
    seen[chip] = true;
    const uint64_t seq = ++chips_[chip].candle_seq;
    if (!render[chip]) continue;
    std::string message = "{\"type\":\"candles\",\"channel\":\"candles:";
    message.append(config_.chips[chip].id);
    message.append("\",\"seq\":");
    message.append(std::to_string(seq));
    render_last_price(message, chip);
    message.append(",\"candles\":[");
    // Each changed candle once, in its state after the whole batch.
    bool comma = false;
    for (std::size_t i = 0; i < changed_.size(); ++i) {
      const ChangedCandle& candle = changed_[i];
      if (candle.key.chip != chip) continue;
      bool later = false;
      for (std::size_t j = i + 1; j < changed_.size() && !later; ++j) {
        later = changed_[j].key.chip == chip && changed_[j].key.region == candle.key.region &&
                changed_[j].key.interval == candle.key.interval &&
                changed_[j].candle.start_ms == candle.candle.start_ms;
      }
      if (later) continue;
      if (comma) message.push_back(',');
      comma = true;
      render_candle(message, candle.candle, candle.key.interval,
                    candle.key.region < 0
                        ? std::string_view()
                        : std::string_view(config_.regions[std::size_t(candle.key.region)].id));
    }
    message.append("]}");
    out.emplace_back(chip, std::move(message));
  }
  return out;
}

std::string MarketData::candles_json(uint16_t chip, int region, Interval interval,
                                     std::size_t limit, int64_t delivery_ms) const {
  std::string out = "{\"chip\":\"";
  out.append(config_.chips[chip].id);
  out.push_back('"');
  append_delivery_field(out, delivery_ms);
  out.append(",\"interval\":\"");
  out.append(to_string(interval));
  out.append("\",\"region\":");
  if (region < 0) {
    out.append("null");
  } else {
    out.append("\"" + config_.regions[std::size_t(region)].id + "\"");
  }
  render_last_price(out, chip);
  out.append(",\"candles\":[");
  const std::deque<Candle>& series =
      candles_.series(SeriesKey{chip, region, interval, delivery_ms});
  const std::size_t first = series.size() > limit ? series.size() - limit : 0;
  const std::string_view region_id =
      region < 0 ? std::string_view() : std::string_view(config_.regions[std::size_t(region)].id);
  for (std::size_t i = first; i < series.size(); ++i) {
    if (i > first) out.push_back(',');
    render_candle(out, series[i], interval, region_id);
  }
  out.append("]}");
  return out;
}

std::string MarketData::index_json(uint16_t chip, int64_t now_ms) const {
  const Candles::Index index = candles_.index(chip, now_ms);
  std::string out = "{\"chip\":\"";
  out.append(config_.chips[chip].id);
  out.append("\",\"index\":");
  if (index.has_value) {
    out.push_back('"');
    append_decimal(out, index.price_ticks, price_frac_digits);
    out.push_back('"');
  } else {
    out.append("null");
  }
  out.append(",\"method\":\"vwap_1h\",\"from_ms\":" + std::to_string(index.from_ms));
  out.append(",\"as_of_ms\":" + std::to_string(now_ms));
  out.append(",\"volume\":\"");
  append_decimal(out, index.volume_milli, qty_frac_digits);
  out.append("\",\"notional\":\"");
  append_decimal(out, index.notional_e7, amount_frac_digits);
  out.append("\",\"trades\":" + std::to_string(index.trades));
  render_last_price(out, chip);
  out.push_back('}');
  return out;
}

std::string MarketData::candles_snapshot(uint16_t chip) const {
  std::string out = "{\"type\":\"snapshot\",\"channel\":\"candles:";
  out.append(config_.chips[chip].id);
  out.append("\",\"seq\":");
  out.append(std::to_string(chips_[chip].candle_seq));
  render_last_price(out, chip);
  out.append(",\"candles\":[");
  bool comma = false;
  for (const auto& [interval, count] :
       {std::pair{Interval::minute, std::size_t(60)}, std::pair{Interval::hour, std::size_t(24)}}) {
    const std::deque<Candle>& series = candles_.series(SeriesKey{chip, -1, interval});
    const std::size_t first = series.size() > count ? series.size() - count : 0;
    for (std::size_t i = first; i < series.size(); ++i) {
      if (comma) out.push_back(',');
      comma = true;
      render_candle(out, series[i], interval, {});
    }
  }
  out.append("]}");
  return out;
}

std::string MarketData::apply_book(const BookHeader& header, const BookLevel* levels, bool render) {
  Book* book = &chips_[header.chip];
  if (header.delivery_ms != 0) book = &hours_[{header.chip, header.delivery_ms}];
  book->book_seq = header.seq;
  for (uint32_t i = 0; i < header.levels; ++i) {
    if (levels[i].side == Side::bid) {
      set_level(book->bids, levels[i]);
    } else {
      set_level(book->asks, levels[i]);
    }
  }
  if (!render) return {};
  std::string out = "{\"type\":\"book\",\"channel\":\"";
  out.append(book_channel(config_.chips[header.chip].id, header.delivery_ms));
  out.append("\",\"seq\":");
  out.append(std::to_string(header.seq));
  for (const Side side : {Side::bid, Side::ask}) {
    out.append(side == Side::bid ? ",\"bids\":[" : ",\"asks\":[");
    bool comma = false;
    for (uint32_t i = 0; i < header.levels; ++i) {
      const BookLevel& level = levels[i];
      if (level.side != side) continue;
      if (comma) out.push_back(',');
      comma = true;
      append_level(out, level.price_ticks, level.qty_milli, level.count);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

void MarketData::render_trade(std::string& out, const TradeRecord& trade) const {
  out.append("{\"trade_id\":");
  out.append(std::to_string(trade.trade_id));
  append_delivery_field(out, trade.delivery_ms);
  out.append(",\"price\":\"");
  append_decimal(out, trade.price_ticks, price_frac_digits);
  out.append("\",\"qty\":\"");
  append_decimal(out, trade.qty_milli, qty_frac_digits);
  out.append("\",\"region\":\"");
  out.append(config_.regions[trade.region].id);
  out.append("\",\"aggressor\":\"");
  out.append(to_string(trade.aggressor));
  out.append("\",\"time_ms\":");
  out.append(std::to_string(trade.time_ms));
  out.push_back('}');
}

std::string MarketData::apply_trade(const TradeRecord& trade, bool render) {
  Chip& chip = chips_[trade.chip];
  chip.trade_seq = trade.seq;
  chip.trades.push_back(trade);
  if (chip.trades.size() > recent_trades_max) chip.trades.pop_front();
  if (trade.delivery_ms != 0) {
    std::deque<TradeRecord>& hour = hours_[{trade.chip, trade.delivery_ms}].trades;
    hour.push_back(trade);
    if (hour.size() > hour_trades_max) hour.pop_front();
  }
  if (!render) return {};
  std::string out = "{\"type\":\"trade\",\"channel\":\"trades:";
  out.append(config_.chips[trade.chip].id);
  out.append("\",\"seq\":");
  out.append(std::to_string(trade.seq));
  out.append(",\"trade\":");
  render_trade(out, trade);
  out.push_back('}');
  return out;
}

void MarketData::render_levels(std::string& out, const Book* book, std::size_t depth) const {
  static const Book empty;
  if (!book) book = &empty;
  out.append(",\"bids\":");
  append_side(out, book->bids, depth);
  out.append(",\"asks\":");
  append_side(out, book->asks, depth);
}

std::string MarketData::book_json(uint16_t chip, std::size_t depth, int64_t delivery_ms) const {
  const Book* book = find_book(chip, delivery_ms);
  std::string out = book_head(chip, delivery_ms, book ? book->book_seq : 0);
  render_levels(out, book, depth);
  out.push_back('}');
  return out;
}

std::string MarketData::book_snapshot(uint16_t chip, int64_t delivery_ms) const {
  const Book* book = find_book(chip, delivery_ms);
  std::string out = "{\"type\":\"snapshot\",\"channel\":\"";
  out.append(book_channel(config_.chips[chip].id, delivery_ms));
  out.append("\",\"seq\":");
  out.append(std::to_string(book ? book->book_seq : 0));
  render_levels(out, book, SIZE_MAX);
  out.push_back('}');
  return out;
}

void MarketData::render_recent_trades(std::string& out, const Book* book, std::size_t limit) const {
  out.append(",\"trades\":[");
  if (book) {
    std::size_t n = 0;
    for (auto it = book->trades.rbegin(); it != book->trades.rend() && n < limit; ++it, ++n) {
      if (n) out.push_back(',');
      render_trade(out, *it);
    }
  }
  out.append("]}");
}

std::string MarketData::trades_json(uint16_t chip, std::size_t limit, int64_t delivery_ms) const {
  std::string out = "{\"chip\":\"";
  out.append(config_.chips[chip].id);
  out.push_back('"');
  append_delivery_field(out, delivery_ms);
  render_recent_trades(out, find_book(chip, delivery_ms), limit);
  return out;
}

std::string MarketData::trades_snapshot(uint16_t chip) const {
  std::string out = "{\"type\":\"snapshot\",\"channel\":\"trades:";
  out.append(config_.chips[chip].id);
  out.append("\",\"seq\":");
  out.append(std::to_string(chips_[chip].trade_seq));
  render_recent_trades(out, &chips_[chip], snapshot_trades);
  return out;
}

std::string MarketData::heartbeat(std::string_view channel, uint64_t seq) const {
  std::string out = "{\"type\":\"heartbeat\",\"channel\":\"";
  out.append(channel);
  out.append("\",\"seq\":");
  out.append(std::to_string(seq));
  out.push_back('}');
  return out;
}

}  // namespace cpx::gateway
