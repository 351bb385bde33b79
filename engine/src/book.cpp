#include "cpx/engine/book.hpp"

#include <algorithm>
#include <climits>
#include <map>

namespace cpx {
namespace {

constexpr int side_index(Side side) {
  return side == Side::bid ? 0 : 1;
}
constexpr Side opposite(Side side) {
  return side == Side::bid ? Side::ask : Side::bid;
}

// True when a resting order at `resting_price` may trade with the incoming order's limit.
inline bool crosses(Side incoming_side, int64_t incoming_price, int64_t resting_price) {
  return incoming_side == Side::bid ? resting_price <= incoming_price
                                    : resting_price >= incoming_price;
}

constexpr int64_t empty_price(Side side) {
  return side == Side::bid ? INT64_MIN : INT64_MAX;
}

// Level order inside a group: best at the back, so new orders near the top move little.
inline bool sorts_before(Side side, int64_t a, int64_t b) {
  return side == Side::bid ? a < b : a > b;
}

}  // namespace

Book::Book(const Config& config, const std::vector<uint16_t>& latency_values)
    : config_(config),
      latency_values_(latency_values),
      orders_(orders_per_book_max, 4096),
      levels_(levels_per_book_max, 1024) {}

uint16_t Book::effective_latency_max(uint16_t ceiling_ms) const {
  // Two ceilings that admit the same matrix entries are one class: a ceiling becomes the largest
  // latency in the matrix not above it, or unbounded when it admits every entry.
  if (ceiling_ms == latency_unbounded || latency_values_.empty() ||
      ceiling_ms >= latency_values_.back()) {
    return latency_unbounded;
  }
  auto it = std::upper_bound(latency_values_.begin(), latency_values_.end(), ceiling_ms);
  if (it == latency_values_.begin()) return ceiling_ms;
  return *(it - 1);
}

bool Book::eligible(const Incoming& incoming, const Group& counter) const {
  if (incoming.side == Side::bid) {
    return (incoming.latency_ms_max == latency_unbounded ||
            config_.latency(incoming.region, counter.region) <= incoming.latency_ms_max) &&
           counter.green_pct >= incoming.green_pct;
  }
  return (counter.latency_ms_max == latency_unbounded ||
          config_.latency(counter.region, incoming.region) <= counter.latency_ms_max) &&
         incoming.green_pct >= counter.green_pct;
}

bool Book::eligible(Side side, const Group& group, const Group& counter) const {
  Incoming probe;
  probe.side = side;
  probe.region = group.region;
  probe.latency_ms_max = group.latency_ms_max;
  probe.green_pct = group.green_pct;
  return eligible(probe, counter);
}

const std::vector<uint32_t>& Book::eligible_counter(Incoming& incoming) {
  return sides_[side_index(incoming.side)].groups[group_for(incoming)].eligible_counter;
}

bool Book::can_fill_completely(Incoming& incoming) {
  const std::vector<uint32_t>& candidates = eligible_counter(incoming);
  const SideBook& counter = sides_[side_index(opposite(incoming.side))];
  int64_t available = 0;
  for (uint32_t group_index : candidates) {
    const std::vector<LevelRef>& levels = counter.groups[group_index].levels;
    for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
      const Level& level = levels_[it->level];
      if (!crosses(incoming.side, incoming.price_ticks, level.price_ticks)) break;
      available += level.qty_milli_total;
      if (available >= incoming.qty_milli) return true;
    }
  }
  return false;
}

uint32_t Book::group_for(Incoming& incoming) {
  if (incoming.group != index_none) return incoming.group;
  SideBook& side = sides_[side_index(incoming.side)];
  const uint16_t latency_class =
      incoming.side == Side::bid ? effective_latency_max(incoming.latency_ms_max) : 0;
  const uint64_t key =
      (uint64_t(incoming.region) << 32) | (uint64_t(latency_class) << 8) | incoming.green_pct;
  uint32_t group_index;
  if (key == side.last_key) {
    group_index = side.last_group;
  } else {
    auto [it, inserted] = side.group_by_key.try_emplace(key, uint32_t(side.groups.size()));
    if (inserted) {
      Group group;
      group.region = incoming.region;
      group.latency_ms_max = incoming.side == Side::bid ? latency_class : latency_unbounded;
      group.green_pct = incoming.green_pct;
      group.levels.reserve(64);
      const uint32_t index = uint32_t(side.groups.size());
      SideBook& counter = sides_[side_index(opposite(incoming.side))];
      for (uint32_t c = 0; c < counter.groups.size(); ++c) {
        if (eligible(incoming.side, group, counter.groups[c])) {
          group.eligible_counter.push_back(c);
          counter.groups[c].eligible_counter.push_back(index);
        }
      }
      side.groups.push_back(std::move(group));
      side.best_price.push_back(empty_price(incoming.side));
    }
    group_index = it->second;
    side.last_key = key;
    side.last_group = group_index;
  }
  incoming.group = group_index;
  return group_index;
}

uint32_t Book::find_or_add_level(uint32_t group_index, Side side, int64_t price_ticks) {
  std::vector<LevelRef>& levels = sides_[side_index(side)].groups[group_index].levels;
  // Most orders arrive at or near the best price, which sits at the back.
  if (!levels.empty() && levels.back().price_ticks == price_ticks) return levels.back().level;
  auto position = std::lower_bound(levels.begin(), levels.end(), price_ticks,
                                   [&](const LevelRef& ref, int64_t price) {
                                     return sorts_before(side, ref.price_ticks, price);
                                   });
  if (position != levels.end() && position->price_ticks == price_ticks) return position->level;
  const uint32_t level_index = levels_.allocate();
  Level& level = levels_[level_index];
  level.price_ticks = price_ticks;
  level.qty_milli_total = 0;
  for (int u = 0; u < urgency_count; ++u) level.head[u] = level.tail[u] = index_none;
  level.order_count = 0;
  level.group = group_index;
  const bool new_best = position == levels.end();
  levels.insert(position, LevelRef{price_ticks, level_index});
  if (new_best) refresh_best_price(side, group_index);
  return level_index;
}

void Book::refresh_best_price(Side side, uint32_t group_index) {
  SideBook& side_book = sides_[side_index(side)];
  const std::vector<LevelRef>& levels = side_book.groups[group_index].levels;
  side_book.best_price[group_index] =
      levels.empty() ? empty_price(side) : levels.back().price_ticks;
}

uint32_t Book::rest(Incoming& incoming) {
  CPX_ASSERT(incoming.qty_milli > 0);
  const uint32_t group_index = group_for(incoming);
  SideBook& side_book = sides_[side_index(incoming.side)];
  Group& group = side_book.groups[group_index];
  if (group.active_position == index_none) {
    group.active_position = uint32_t(side_book.active.size());
    side_book.active.push_back(group_index);
  }
  const uint32_t level_index = find_or_add_level(group_index, incoming.side, incoming.price_ticks);
  const uint32_t slot = orders_.allocate();
  Order& order = orders_[slot];
  order.price_ticks = incoming.price_ticks;
  order.qty_milli = incoming.qty_milli;
  order.time = incoming.time;
  order.level = level_index;
  order.group = group_index;
  order.key = incoming.key;
  order.account = incoming.account;
  order.side = incoming.side;
  order.urgency = incoming.side == Side::bid ? incoming.urgency : Urgency::urgent;
  // A new time is always the latest, so appending keeps each queue in time order.
  Level& level = levels_[level_index];
  const int queue = int(order.urgency);
  order.next = index_none;
  order.prev = level.tail[queue];
  if (level.tail[queue] == index_none) {
    level.head[queue] = slot;
  } else {
    orders_[level.tail[queue]].next = slot;
  }
  level.tail[queue] = slot;
  level.qty_milli_total += order.qty_milli;
  ++level.order_count;
  return slot;
}

void Book::unlink(uint32_t slot) {
  Order& order = orders_[slot];
  Level& level = levels_[order.level];
  const int queue = int(order.urgency);
  if (order.prev == index_none) {
    level.head[queue] = order.next;
  } else {
    orders_[order.prev].next = order.next;
  }
  if (order.next == index_none) {
    level.tail[queue] = order.prev;
  } else {
    orders_[order.next].prev = order.prev;
  }
  level.qty_milli_total -= order.qty_milli;
  --level.order_count;
}

void Book::drop_level_if_empty(Side side, uint32_t level_index) {
  const Level& level = levels_[level_index];
  if (level.order_count != 0) return;
  SideBook& side_book = sides_[side_index(side)];
  Group& group = side_book.groups[level.group];
  std::vector<LevelRef>& levels = group.levels;
  if (levels.back().level == level_index) {
    levels.pop_back();
    refresh_best_price(side, level.group);
  } else {
    auto position = std::lower_bound(levels.begin(), levels.end(), level.price_ticks,
                                     [&](const LevelRef& ref, int64_t price) {
                                       return sorts_before(side, ref.price_ticks, price);
                                     });
    CPX_ASSERT(position != levels.end() && position->level == level_index);
    levels.erase(position);
  }
  if (levels.empty()) {
    // Swap-remove the group from the active list; group order there does not affect priority.
    const uint32_t position = group.active_position;
    const uint32_t moved = side_book.active.back();
    side_book.active[position] = moved;
    side_book.groups[moved].active_position = position;
    side_book.active.pop_back();
    group.active_position = index_none;
  }
  levels_.release(level_index);
}

void Book::remove(uint32_t slot) {
  const Side side = orders_[slot].side;
  const uint32_t level_index = orders_[slot].level;
  unlink(slot);
  drop_level_if_empty(side, level_index);
  orders_.release(slot);
}

void Book::reduce(uint32_t slot, int64_t qty_milli) {
  Order& order = orders_[slot];
  CPX_ASSERT(qty_milli > 0 && qty_milli <= order.qty_milli);
  levels_[order.level].qty_milli_total -= order.qty_milli - qty_milli;
  order.qty_milli = qty_milli;
}

Incoming Book::to_incoming(uint32_t slot) const {
  const Order& order = orders_[slot];
  const Group& group = sides_[side_index(order.side)].groups[order.group];
  Incoming incoming;
  incoming.side = order.side;
  incoming.urgency = order.urgency;
  incoming.green_pct = group.green_pct;
  incoming.region = group.region;
  incoming.latency_ms_max = group.latency_ms_max;
  incoming.price_ticks = order.price_ticks;
  incoming.qty_milli = order.qty_milli;
  incoming.time = order.time;
  incoming.key = order.key;
  incoming.account = order.account;
  incoming.group = order.group;
  return incoming;
}

std::vector<DepthLevel> Book::depth(Side side, std::size_t levels_max) const {
  std::map<int64_t, DepthLevel> by_price;
  for (const Group& group : sides_[side_index(side)].groups) {
    for (const LevelRef& ref : group.levels) {
      const Level& level = levels_[ref.level];
      DepthLevel& out = by_price[level.price_ticks];
      out.price_ticks = level.price_ticks;
      out.qty_milli += level.qty_milli_total;
      out.order_count += level.order_count;
    }
  }
  std::vector<DepthLevel> result;
  auto take = [&](const auto& entry) {
    if (result.size() < levels_max) result.push_back(entry.second);
  };
  if (side == Side::bid) {
    std::for_each(by_price.rbegin(), by_price.rend(), take);
  } else {
    std::for_each(by_price.begin(), by_price.end(), take);
  }
  return result;
}

bool Book::has_crossing_pair() const {
  const SideBook& bids = sides_[0];
  const SideBook& asks = sides_[1];
  for (uint32_t b : bids.active) {
    const Group& bid_group = bids.groups[b];
    Incoming probe;  // the bid group's best order, seen as if it were arriving
    probe.side = Side::bid;
    probe.region = bid_group.region;
    probe.latency_ms_max = bid_group.latency_ms_max;
    probe.green_pct = bid_group.green_pct;
    probe.price_ticks = bid_group.levels.back().price_ticks;
    for (uint32_t a : asks.active) {
      const Group& ask_group = asks.groups[a];
      if (eligible(probe, ask_group) && ask_group.levels.back().price_ticks <= probe.price_ticks) {
        return true;
      }
    }
  }
  return false;
}

namespace {

void note(std::string& why, const std::string& what) {
  if (why.size() < 4096) why += what + "\n";
}

}  // namespace

bool Book::check_invariants(std::string& why) const {
  const std::size_t why_size = why.size();
  uint32_t orders_seen = 0;
  uint32_t levels_seen = 0;
  for (int s = 0; s < 2; ++s) {
    const Side side = s == 0 ? Side::bid : Side::ask;
    const SideBook& side_book = sides_[s];
    for (uint32_t g = 0; g < side_book.groups.size(); ++g) {
      const Group& group = side_book.groups[g];
      const bool active = group.active_position != index_none;
      const int64_t best =
          group.levels.empty() ? empty_price(side) : group.levels.back().price_ticks;
      if (side_book.best_price[g] != best) note(why, "cached best price is stale");
      if (active != !group.levels.empty()) note(why, "group activity disagrees with its levels");
      if (active && (group.active_position >= side_book.active.size() ||
                     side_book.active[group.active_position] != g)) {
        note(why, "active list position is wrong");
      }
      for (std::size_t i = 0; i < group.levels.size(); ++i) {
        const Level& level = levels_[group.levels[i].level];
        ++levels_seen;
        if (level.price_ticks != group.levels[i].price_ticks)
          note(why, "level price copy is stale");
        if (i > 0 && !sorts_before(side, group.levels[i - 1].price_ticks, level.price_ticks)) {
          note(why, "levels not strictly sorted");
        }
        if (level.group != g) note(why, "level names the wrong group");
        int64_t total = 0;
        uint32_t count = 0;
        for (int u = 0; u < urgency_count; ++u) {
          uint32_t previous = index_none;
          for (uint32_t o = level.head[u]; o != index_none; o = orders_[o].next) {
            const Order& order = orders_[o];
            ++count;
            ++orders_seen;
            total += order.qty_milli;
            if (order.prev != previous) note(why, "broken back link");
            if (previous != index_none && orders_[previous].time >= order.time) {
              note(why, "queue not in time order");
            }
            if (order.level != group.levels[i].level || order.group != g || order.side != side ||
                int(order.urgency) != u || order.price_ticks != level.price_ticks ||
                order.qty_milli <= 0) {
              note(why, "order disagrees with its level");
            }
            previous = o;
          }
          if (level.tail[u] != previous) note(why, "level tail is wrong");
        }
        if (count == 0) note(why, "empty level kept");
        if (count != level.order_count || total != level.qty_milli_total) {
          note(why, "level totals disagree with its orders");
        }
      }
    }
  }
  if (orders_seen != orders_.live()) note(why, "orders lost from the book");
  if (levels_seen != levels_.live()) note(why, "levels lost from the book");
  if (has_crossing_pair()) note(why, "an eligible bid and ask cross while resting");
  return why.size() == why_size;
}

}  // namespace cpx
