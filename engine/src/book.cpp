#include "cpx/engine/book.hpp"

#include <algorithm>
#include <bit>
#include <climits>
#include <map>

namespace cpx {
namespace {

using book_detail::crosses;
using book_detail::empty_price;
using book_detail::opposite;
using book_detail::side_index;

// Level order inside a group: best at the back, so new orders near the top move little.
inline bool sorts_before(Side side, int64_t a, int64_t b) {
  return side == Side::bid ? a < b : a > b;
}

}  // namespace

Book::Book(const Config& config, const std::vector<uint16_t>& latency_values, uint32_t orders_max,
           uint32_t levels_max)
    : config_(config),
      latency_values_(latency_values),
      orders_(orders_max, 4096),
      levels_(levels_max, 1024) {
  sides_[0].best_bound = empty_price(Side::bid);
  sides_[1].best_bound = empty_price(Side::ask);
}

void Book::note_fruitless_scan(SideBook& side_book) {
  if (++side_book.fruitless_scans % 64 != 0) return;
  const Side side = &side_book == &sides_[0] ? Side::bid : Side::ask;
  int64_t bound = empty_price(side);
  for (uint32_t group_index : side_book.active) {
    const int64_t price = side_book.best_price[group_index];
    bound = side == Side::bid ? std::max(bound, price) : std::min(bound, price);
  }
  side_book.best_bound = bound;
}

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

uint32_t Book::reach_set_for(uint16_t origin, uint16_t ceiling_ms) {
  const uint16_t ceiling_class = effective_latency_max(ceiling_ms);
  const uint32_t cache_key = (uint32_t(origin) << 16) | ceiling_class;
  auto cached = reach_set_by_ceiling_.find(cache_key);
  if (cached != reach_set_by_ceiling_.end()) return cached->second;
  std::vector<uint64_t> reach((config_.regions.size() + 63) / 64, 0);
  for (uint32_t region = 0; region < config_.regions.size(); ++region) {
    if (ceiling_class == latency_unbounded || config_.latency(origin, region) <= ceiling_class) {
      reach[region >> 6] |= uint64_t(1) << (region & 63);
    }
  }
  auto [it, inserted] = reach_set_ids_.try_emplace(reach, uint32_t(reach_sets_.size()));
  if (inserted) reach_sets_.push_back(reach);
  reach_set_by_ceiling_.emplace(cache_key, it->second);
  return it->second;
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

bool Book::would_take(Incoming& incoming) {
  const std::vector<uint32_t>& candidates = eligible_counter(incoming);
  const SideBook& counter = sides_[side_index(opposite(incoming.side))];
  for (uint32_t group_index : candidates) {
    const std::vector<LevelRef>& levels = counter.groups[group_index].levels;
    // The best level is at the back.
    if (!levels.empty() &&
        crosses(incoming.side, incoming.price_ticks, levels_[levels.back().level].price_ticks)) {
      return true;
    }
  }
  return false;
}

uint32_t Book::find_group(const Incoming& incoming) {
  SideBook& side = sides_[side_index(incoming.side)];
  const bool bid = incoming.side == Side::bid;
  const uint32_t reach = bid ? reach_set_for(incoming.region, incoming.latency_ms_max) : 0;
  const uint64_t key = (uint64_t(bid ? reach : incoming.region) << 8) | incoming.green_pct;
  uint32_t group_index;
  {
    auto [it, inserted] = side.group_by_key.try_emplace(key, uint32_t(side.groups.size()));
    if (inserted) {
      Group group;
      group.region = bid ? 0 : incoming.region;
      group.reach_set = reach;
      group.green_pct = incoming.green_pct;
      group.levels.reserve(64);
      const uint32_t index = uint32_t(side.groups.size());
      SideBook& counter = sides_[side_index(opposite(incoming.side))];
      for (uint32_t c = 0; c < counter.groups.size(); ++c) {
        if (bid ? eligible(group, counter.groups[c]) : eligible(counter.groups[c], group)) {
          group.eligible_counter.push_back(c);
          counter.groups[c].eligible_counter.push_back(index);
        }
      }
      side.groups.push_back(std::move(group));
      side.best_price.push_back(empty_price(incoming.side));
      // No group's counter list is longer than the other side's group count.
      if (crossing_.size() < side.groups.size()) crossing_.resize(side.groups.size());
    }
    group_index = it->second;
  }
  return group_index;
}

// The first level that does not sort before `price_ticks` (std::lower_bound), compiled per side
// and without a branch on the comparison: where a price falls among the levels is data.
template <bool bid>
std::vector<LevelRef>::iterator Book::level_position(std::vector<LevelRef>& levels,
                                                     int64_t price_ticks) {
  std::size_t first = 0;
  std::size_t count = levels.size();
  const LevelRef* refs = levels.data();
  while (count > 0) {
    const std::size_t half = count / 2;
    const int64_t price = refs[first + half].price_ticks;
    const bool before = bid ? price < price_ticks : price > price_ticks;
    first = before ? first + half + 1 : first;
    count = before ? count - half - 1 : half;
  }
  return levels.begin() + std::ptrdiff_t(first);
}

void LevelIndex::put(const Slot& slot) {
  std::size_t i = home(slot.group, slot.price_ticks);
  while (slots_[i].level != index_none) i = (i + 1) & mask_;
  slots_[i] = slot;
}

void LevelIndex::resize(std::size_t size) {
  CPX_ASSERT((size & (size - 1)) == 0 && size >= 2);
  std::vector<Slot> old(size);
  old.swap(storage_);
  slots_ = storage_.data();
  mask_ = size - 1;
  shift_ = 64 - std::countr_zero(size);
  for (const Slot& slot : old) {
    if (slot.level != index_none) put(slot);
  }
}

void LevelIndex::insert(uint32_t group, int64_t price_ticks, uint32_t level) {
  if (2 * (count_ + 1) > storage_.size()) resize(storage_.size() * 2);
  put(Slot{price_ticks, group, level});
  ++count_;
}

void LevelIndex::erase(uint32_t group, int64_t price_ticks) {
  std::size_t hole = home(group, price_ticks);
  while (slots_[hole].price_ticks != price_ticks || slots_[hole].group != group) {
    CPX_ASSERT(slots_[hole].level != index_none && "erasing a level the index does not hold");
    hole = (hole + 1) & mask_;
  }
  // Backward-shift deletion: move up each later slot of the run whose home is not between the
  // hole and it, so every slot stays reachable from its home without tombstones.
  for (std::size_t i = (hole + 1) & mask_; slots_[i].level != index_none; i = (i + 1) & mask_) {
    const std::size_t wanted = home(slots_[i].group, slots_[i].price_ticks);
    const bool stays = hole <= i ? (hole < wanted && wanted <= i) : (hole < wanted || wanted <= i);
    if (stays) continue;
    slots_[hole] = slots_[i];
    hole = i;
  }
  slots_[hole] = Slot{};
  --count_;
}

uint32_t Book::find_or_add_level(uint32_t group_index, Side side, int64_t price_ticks) {
  SideBook& side_book = sides_[side_index(side)];
  const uint32_t found = side_book.level_index.find(group_index, price_ticks);
  if (found != index_none) return found;
  std::vector<LevelRef>& levels = side_book.groups[group_index].levels;
  auto position = side == Side::bid ? level_position<true>(levels, price_ticks)
                                    : level_position<false>(levels, price_ticks);
  CPX_ASSERT(position == levels.end() || position->price_ticks != price_ticks);
  const uint32_t level_index = levels_.allocate();
  Level& level = levels_[level_index];
  level.price_ticks = price_ticks;
  level.qty_milli_total = 0;
  for (int u = 0; u < urgency_count; ++u) level.head[u] = level.tail[u] = index_none;
  level.order_count = 0;
  level.group = group_index;
  const bool new_best = position == levels.end();
  levels.insert(position, LevelRef{price_ticks, level_index});
  side_book.level_index.insert(group_index, price_ticks, level_index);
  if (new_best) refresh_best_price(side, group_index);
  return level_index;
}

void Book::refresh_best_price(Side side, uint32_t group_index) {
  SideBook& side_book = sides_[side_index(side)];
  const std::vector<LevelRef>& levels = side_book.groups[group_index].levels;
  const int64_t price = levels.empty() ? empty_price(side) : levels.back().price_ticks;
  side_book.best_price[group_index] = price;
  if (side == Side::bid ? price > side_book.best_bound : price < side_book.best_bound) {
    side_book.best_bound = price;
  }
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

void Book::drop_level(Side side, uint32_t level_index) {
  const Level& level = levels_[level_index];
  CPX_ASSERT(level.order_count == 0);
  SideBook& side_book = sides_[side_index(side)];
  Group& group = side_book.groups[level.group];
  std::vector<LevelRef>& levels = group.levels;
  side_book.level_index.erase(level.group, level.price_ticks);
  if (levels.back().level == level_index) {
    levels.pop_back();
    refresh_best_price(side, level.group);
  } else {
    auto position = side == Side::bid ? level_position<true>(levels, level.price_ticks)
                                      : level_position<false>(levels, level.price_ticks);
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
  incoming.region = group.region;  // an ask's region; a bid is known by its group
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
    for (uint32_t a : asks.active) {
      const Group& ask_group = asks.groups[a];
      if (eligible(bid_group, ask_group) &&
          ask_group.levels.back().price_ticks <= bid_group.levels.back().price_ticks) {
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
    const uint32_t levels_before = levels_seen;
    for (uint32_t g = 0; g < side_book.groups.size(); ++g) {
      const Group& group = side_book.groups[g];
      const bool active = group.active_position != index_none;
      const int64_t best =
          group.levels.empty() ? empty_price(side) : group.levels.back().price_ticks;
      if (side_book.best_price[g] != best) note(why, "cached best price is stale");
      if (side == Side::bid ? best > side_book.best_bound : best < side_book.best_bound) {
        note(why, "side's best-price bound is below a group's best");
      }
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
        if (side_book.level_index.find(g, level.price_ticks) != group.levels[i].level) {
          note(why, "level index does not find the level");
        }
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
    if (side_book.level_index.size() != levels_seen - levels_before) {
      note(why, "level index holds levels the book does not");
    }
  }
  if (orders_seen != orders_.live()) note(why, "orders lost from the book");
  if (levels_seen != levels_.live()) note(why, "levels lost from the book");
  if (has_crossing_pair()) note(why, "an eligible bid and ask cross while resting");
  return why.size() == why_size;
}

}  // namespace cpx
