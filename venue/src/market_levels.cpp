// The market-data book: each order's share of its price level, and the level updates a command
// makes, published to the I/O threads.
#include <algorithm>

#include "cpx/venue/venue.hpp"

namespace cpx::venue {

namespace {

// Levels per market-data update (24 bytes each: well within a ring message).
constexpr std::size_t book_levels_per_update = 8192;
constexpr int64_t hour_ms = 3'600'000;

// Sorted by side and price, each level once.
void sort_unique(std::vector<BookLevel>& levels) {
  std::sort(levels.begin(), levels.end(), [](const BookLevel& a, const BookLevel& b) {
    return a.side != b.side ? a.side < b.side : a.price_ticks < b.price_ticks;
  });
  levels.erase(std::unique(levels.begin(), levels.end(),
                           [](const BookLevel& a, const BookLevel& b) {
                             return a.side == b.side && a.price_ticks == b.price_ticks;
                           }),
               levels.end());
}

// The levels' state now (count 0: gone).
void fill_levels(std::vector<BookLevel>& changed, const std::map<int64_t, LevelTotal>& bids,
                 const std::map<int64_t, LevelTotal>& asks) {
  for (BookLevel& level : changed) {
    const auto& levels = level.side == Side::bid ? bids : asks;
    const auto it = levels.find(level.price_ticks);
    level.count = it == levels.end() ? 0 : it->second.count;
    level.qty_milli = it == levels.end() ? 0 : it->second.qty_milli;
  }
}

}  // namespace

void Venue::publish_state() {
  for (const auto& [key_id, entry] : keys_) {
    KeyRecord record;
    record.key_id.assign(key_id);
    record.secret.assign(entry.secret);
    record.account.assign(engine_.account(entry.account).name);
    record.role = entry.role;
    record.account_index = entry.account;
    sink_.key_added(record);
  }
  // Every book as it stands (an empty one too, for its seq), at the seq it has: a restart is
  // not an update.
  republishing_ = true;
  for (uint16_t chip = 0; chip < bid_levels_.size(); ++chip) {
    changed_levels_.clear();
    for (const auto& [price, level] : bid_levels_[chip]) {
      changed_levels_.push_back(BookLevel{Side::bid, 0, price, 0});
    }
    for (const auto& [price, level] : ask_levels_[chip]) {
      changed_levels_.push_back(BookLevel{Side::ask, 0, price, 0});
    }
    if (!changed_levels_.empty() || book_seq_[chip] > 0) publish_book(chip);
  }
  std::vector<BookLevel> levels;
  for (const auto& [key, market] : hour_markets_) {
    levels.clear();
    for (const auto& [price, level] : market.bids) {
      levels.push_back(BookLevel{Side::bid, level.count, price, level.qty_milli});
    }
    for (const auto& [price, level] : market.asks) {
      levels.push_back(BookLevel{Side::ask, level.count, price, level.qty_milli});
    }
    BookHeader header;
    header.chip = key.second;
    header.delivery_ms = key.first;
    header.levels = uint32_t(levels.size());
    header.seq = market.book_seq;
    sink_.book(header, levels.data());
  }
  // Every chip's whole curve, as a new subscriber's snapshot would show it.
  curve_hour_ = INT64_MIN;
  publish_hours();
  republishing_ = false;
}

void Venue::set_book_share(uint32_t key) {
  OrderRecord& order = orders_[key];
  const int64_t want = order.status == OrderStatus::open ? order.open_milli : 0;
  if (want == order.book_milli && (want == 0 || order.price_ticks == order.book_price_ticks)) {
    return;
  }
  std::map<int64_t, LevelTotal>* levels = nullptr;
  HourKey hour{order.delivery_ms, order.chip};
  if (order.delivery_ms == 0) {
    levels = order.side == Side::bid ? &bid_levels_[order.chip] : &ask_levels_[order.chip];
  } else {
    HourMarket& market = hour_markets_[hour];
    levels = order.side == Side::bid ? &market.bids : &market.asks;
    curve_touched_.push_back(hour);
  }
  const auto changed = [&](int64_t price_ticks) {
    const BookLevel level{order.side, 0, price_ticks, 0};
    if (order.delivery_ms == 0) {
      changed_levels_.push_back(level);
    } else {
      changed_hour_levels_.push_back({hour, level});
    }
  };
  if (order.book_milli > 0) {
    auto it = levels->find(order.book_price_ticks);
    CPX_ASSERT(it != levels->end());
    it->second.qty_milli -= order.book_milli;
    if (--it->second.count == 0) levels->erase(it);
    changed(order.book_price_ticks);
  }
  order.book_milli = want;
  order.book_price_ticks = order.price_ticks;
  if (want > 0) {
    LevelTotal& level = (*levels)[order.price_ticks];
    level.qty_milli += want;
    ++level.count;
    changed(order.price_ticks);
  }
}

void Venue::publish_book(uint16_t chip) {
  sort_unique(changed_levels_);
  fill_levels(changed_levels_, bid_levels_[chip], ask_levels_[chip]);
  // One update per command, unless a sweep changed more levels than one message should carry:
  // then several, each a valid delta with its own seq.
  // (At least one: publish_state() sends an empty book too.)
  for (std::size_t offset = 0; offset == 0 || offset < changed_levels_.size();
       offset += book_levels_per_update) {
    BookHeader header;
    header.chip = chip;
    header.levels = uint32_t(std::min(book_levels_per_update, changed_levels_.size() - offset));
    header.seq = republishing_ ? book_seq_[chip] : ++book_seq_[chip];
    sink_.book(header, changed_levels_.data() + offset);
  }
}

std::pair<int64_t, int64_t> Venue::open_hours() const {
  const int64_t now = engine_.now_ms();
  if (now < 0) return {0, -1};
  const int64_t first = now / hour_ms * hour_ms;
  return {first, first + int64_t(engine_.config().delivery_horizon_h) * hour_ms};
}

CurvePoint Venue::curve_point(int64_t delivery_ms, uint16_t chip) const {
  CurvePoint point;
  point.delivery_ms = delivery_ms;
  const auto it = hour_markets_.find(HourKey{delivery_ms, chip});
  if (it == hour_markets_.end()) return point;
  const HourMarket& market = it->second;
  if (!market.bids.empty()) point.best_bid_ticks = market.bids.rbegin()->first;
  if (!market.asks.empty()) point.best_ask_ticks = market.asks.begin()->first;
  point.last_price_ticks = market.last_price_ticks;
  point.volume_milli = market.volume_milli;
  point.notional_e7 = market.notional_e7;
  point.trades = market.trades;
  return point;
}

void Venue::publish_curve(uint16_t chip) {
  const auto [from, to] = open_hours();
  CurveHeader header;
  header.chip = chip;
  header.points = uint32_t(curve_points_.size());
  header.seq = republishing_ ? curve_seq_[chip] : ++curve_seq_[chip];
  header.clock_ms = engine_.now_ms();
  header.from_ms = from;
  header.to_ms = to;
  sink_.curve(header, curve_points_.data());
}

void Venue::publish_hours() {
  if (!changed_hour_levels_.empty()) {
    std::stable_sort(changed_hour_levels_.begin(), changed_hour_levels_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<BookLevel> levels;
    for (std::size_t i = 0; i < changed_hour_levels_.size();) {
      const HourKey key = changed_hour_levels_[i].first;
      levels.clear();
      for (; i < changed_hour_levels_.size() && changed_hour_levels_[i].first == key; ++i) {
        levels.push_back(changed_hour_levels_[i].second);
      }
      sort_unique(levels);
      HourMarket& market = hour_markets_[key];
      fill_levels(levels, market.bids, market.asks);
      BookHeader header;
      header.chip = key.second;
      header.delivery_ms = key.first;
      header.levels = uint32_t(levels.size());  // an hour's book is small
      header.seq = republishing_ ? market.book_seq : ++market.book_seq;
      sink_.book(header, levels.data());
    }
    changed_hour_levels_.clear();
  }
  const int64_t first_open = open_hours().first;
  const bool new_hour = first_open != curve_hour_;
  if (!new_hour && curve_touched_.empty()) return;
  if (new_hour) {
    // Another hour: the markets of the hours that closed go (their books are empty by now),
    // and every chip's update carries each open hour it has.
    std::erase_if(hour_markets_, [&](const auto& entry) { return entry.first.first < first_open; });
    const bool whole = curve_hour_ == INT64_MIN;  // publish_state(): everything
    curve_hour_ = first_open;
    curve_touched_.clear();
    for (auto& [key, market] : hour_markets_) {
      curve_touched_.push_back(key);
      if (whole) market.published = CurvePoint{};
    }
  }
  // By chip, then hour: each hour once, if it changed.
  std::sort(curve_touched_.begin(), curve_touched_.end(), [](const HourKey& a, const HourKey& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  });
  curve_touched_.erase(std::unique(curve_touched_.begin(), curve_touched_.end()),
                       curve_touched_.end());
  std::size_t i = 0;
  for (uint16_t chip = 0; chip < curve_seq_.size(); ++chip) {
    curve_points_.clear();
    for (; i < curve_touched_.size() && curve_touched_[i].second == chip; ++i) {
      const auto it = hour_markets_.find(curve_touched_[i]);
      if (it == hour_markets_.end()) continue;  // its hour closed
      const CurvePoint point = curve_point(curve_touched_[i].first, chip);
      if (point == it->second.published) continue;
      it->second.published = point;
      curve_points_.push_back(point);
    }
    if (!curve_points_.empty() || new_hour) publish_curve(chip);
  }
  curve_touched_.clear();
}

void Venue::rebuild_hour_markets() {
  for (uint32_t key = 0; key < orders_.size(); ++key) {
    if (orders_[key].delivery_ms != 0) set_book_share(key);
  }
  const int64_t first_open = open_hours().first;
  for (const Contract& contract : engine_.contracts()) {
    const int64_t delivery_ms = contract.hour * hour_ms;
    if (delivery_ms < first_open) continue;
    HourMarket& market = hour_markets_[HourKey{delivery_ms, engine_.sites()[contract.site].chip}];
    market.volume_milli += contract.qty_milli;
    market.notional_e7 += notional_e7(contract.price_ticks, contract.qty_milli);
    ++market.trades;
    market.last_price_ticks = contract.price_ticks;  // contracts are in trade id order
  }
  std::erase_if(hour_markets_, [&](const auto& entry) { return entry.first.first < first_open; });
  for (auto& [key, market] : hour_markets_) market.published = curve_point(key.first, key.second);
  curve_hour_ = first_open;
  changed_hour_levels_.clear();
  curve_touched_.clear();
}

}  // namespace cpx::venue
