// The market-data book: each order's share of its price level, and the level updates a command
// makes, published to the I/O threads.
#include <algorithm>

#include "cpx/venue/venue.hpp"

namespace cpx::venue {

namespace {

// Levels per market-data update (24 bytes each: well within a ring message).
constexpr std::size_t book_levels_per_update = 8192;

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
  for (uint16_t chip = 0; chip < bid_levels_.size(); ++chip) {
    changed_levels_.clear();
    for (const auto& [price, level] : bid_levels_[chip]) {
      changed_levels_.push_back(BookLevel{Side::bid, 0, price, 0});
    }
    for (const auto& [price, level] : ask_levels_[chip]) {
      changed_levels_.push_back(BookLevel{Side::ask, 0, price, 0});
    }
    if (!changed_levels_.empty()) publish_book(chip);
  }
}

void Venue::set_book_share(uint32_t key) {
  OrderRecord& order = orders_[key];
  // The chip's book on the market-data channels is its plain market's; the hourly markets'
  // books are not published yet (docs/delivery.md, status).
  if (order.delivery_ms != 0) return;
  const int64_t want = order.status == OrderStatus::open ? order.open_milli : 0;
  if (want == order.book_milli && (want == 0 || order.price_ticks == order.book_price_ticks)) {
    return;
  }
  auto& levels = order.side == Side::bid ? bid_levels_[order.chip] : ask_levels_[order.chip];
  if (order.book_milli > 0) {
    auto it = levels.find(order.book_price_ticks);
    CPX_ASSERT(it != levels.end());
    it->second.qty_milli -= order.book_milli;
    if (--it->second.count == 0) levels.erase(it);
    changed_levels_.push_back(BookLevel{order.side, 0, order.book_price_ticks, 0});
  }
  order.book_milli = want;
  order.book_price_ticks = order.price_ticks;
  if (want > 0) {
    LevelTotal& level = levels[order.price_ticks];
    level.qty_milli += want;
    ++level.count;
    changed_levels_.push_back(BookLevel{order.side, 0, order.price_ticks, 0});
  }
}

void Venue::publish_book(uint16_t chip) {
  std::sort(changed_levels_.begin(), changed_levels_.end(),
            [](const BookLevel& a, const BookLevel& b) {
              return a.side != b.side ? a.side < b.side : a.price_ticks < b.price_ticks;
            });
  changed_levels_.erase(std::unique(changed_levels_.begin(), changed_levels_.end(),
                                    [](const BookLevel& a, const BookLevel& b) {
                                      return a.side == b.side && a.price_ticks == b.price_ticks;
                                    }),
                        changed_levels_.end());
  for (BookLevel& level : changed_levels_) {
    const auto& levels = level.side == Side::bid ? bid_levels_[chip] : ask_levels_[chip];
    const auto it = levels.find(level.price_ticks);
    level.count = it == levels.end() ? 0 : it->second.count;
    level.qty_milli = it == levels.end() ? 0 : it->second.qty_milli;
  }
  // One update per command, unless a sweep changed more levels than one message should carry:
  // then several, each a valid delta with its own seq.
  for (std::size_t offset = 0; offset < changed_levels_.size(); offset += book_levels_per_update) {
    BookHeader header;
    header.chip = chip;
    header.levels = uint32_t(std::min(book_levels_per_update, changed_levels_.size() - offset));
    header.seq = ++book_seq_[chip];
    sink_.book(header, changed_levels_.data() + offset);
  }
}

}  // namespace cpx::venue
