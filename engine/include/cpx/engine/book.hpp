// The order book of one chip type. Orders rest in groups of orders that eligibility cannot
// tell apart (see docs/engine.md); each group keeps price levels sorted with FIFO queues, so
// finding the best eligible counter-order costs one look per non-empty eligible group.
#pragma once

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpx/base/pool.hpp"
#include "cpx/engine/config.hpp"
#include "cpx/engine/types.hpp"

namespace cpx {

inline constexpr uint16_t latency_unbounded = UINT16_MAX;
// The latency ceiling an order rests with: a bid's, when it gave one; otherwise none.
constexpr uint16_t latency_ceiling(Side side, bool given, uint16_t ceiling_ms) {
  return side == Side::bid && given ? ceiling_ms : latency_unbounded;
}
// Address space each book reserves; pages are committed only as orders and levels use them.
inline constexpr uint32_t orders_per_book_max = 1u << 26;
inline constexpr uint32_t levels_per_book_max = 1u << 24;

struct Order {
  int64_t price_ticks;
  int64_t qty_milli;  // open quantity
  uint64_t time;      // seq of the command that gave it its priority
  uint32_t next;
  uint32_t prev;
  uint32_t level;
  uint32_t group;
  uint32_t key;
  uint32_t account;
  Side side;
  Urgency urgency;
};
static_assert(std::is_trivially_copyable_v<Order>);
static_assert(sizeof(Order) == 56);
// A released order's first four bytes link the pool's free list; its key must survive there.
static_assert(offsetof(Order, key) >= sizeof(uint32_t));

struct Level {
  int64_t price_ticks;
  int64_t qty_milli_total;
  uint32_t head[urgency_count];  // asks use queue 0 only
  uint32_t tail[urgency_count];
  uint32_t order_count;
  uint32_t group;
};
static_assert(std::is_trivially_copyable_v<Level>);

// Orders that every counter-order sees alike. Bids: the set of regions their latency ceiling
// reaches from their origin, and their green floor. Asks: region and green share.
struct LevelRef {
  int64_t price_ticks;  // kept beside the index so a search never leaves this vector
  uint32_t level;
};

struct Group {
  std::vector<LevelRef> levels;  // sorted worst to best: the best is at the back
  uint16_t region = 0;           // asks only
  uint32_t reach_set = 0;        // bids only: id of the regions within the ceiling of the origin
  uint8_t green_pct = 0;         // bids: floor; asks: share
  uint32_t active_position = index_none;
  // Groups of the other side whose orders may trade with this group's: kept up to date as
  // groups are created (rarely), so an incoming order never re-tests eligibility group by group.
  std::vector<uint32_t> eligible_counter;
};

// A side's price levels by (group, price): open addressing with linear probing, at most half
// full, so resting an order at a price that already has a level (most orders) costs one probe
// instead of a binary search over the group's levels. Grows by doubling as levels are added
// (rarely: with the resting orders); erasing shifts the following run back (no tombstones).
class LevelIndex {
 public:
  LevelIndex() { resize(64); }
  LevelIndex(const LevelIndex&) = delete;  // slots_ points into storage_
  LevelIndex& operator=(const LevelIndex&) = delete;
  LevelIndex(LevelIndex&&) noexcept = default;  // the vector's buffer moves with it
  LevelIndex& operator=(LevelIndex&&) noexcept = default;
  uint32_t find(uint32_t group, int64_t price_ticks) const {
    for (std::size_t i = home(group, price_ticks);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.price_ticks == price_ticks && slot.group == group) return slot.level;
      if (slot.level == index_none) return index_none;
    }
  }
  // Records a level the caller has checked is absent.
  void insert(uint32_t group, int64_t price_ticks, uint32_t level);
  // Forgets a level that is present.
  void erase(uint32_t group, int64_t price_ticks);
  std::size_t size() const { return count_; }

 private:
  struct Slot {
    int64_t price_ticks = 0;
    uint32_t group = index_none;  // an empty slot matches no group
    uint32_t level = index_none;  // index_none: empty
  };
  // Fibonacci hashing: the product's top bits pick the slot.
  std::size_t home(uint32_t group, int64_t price_ticks) const {
    return std::size_t(
        ((uint64_t(price_ticks) + (uint64_t(group) << 32)) * 0x9e3779b97f4a7c15ULL) >> shift_);
  }
  void resize(std::size_t size);
  void put(const Slot& slot);
  std::vector<Slot> storage_;
  Slot* slots_ = nullptr;
  std::size_t mask_ = 0;
  int shift_ = 64;
  std::size_t count_ = 0;
};

// An order looking for counter-orders: a new order or one that an amend re-prices.
struct Incoming {
  Side side = Side::bid;
  Urgency urgency = Urgency::standard;
  uint8_t green_pct = 0;                        // bid: floor; ask: own share
  uint16_t region = 0;                          // bid: origin; ask: region
  uint16_t latency_ms_max = latency_unbounded;  // bid only
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;  // open quantity, reduced by match()
  uint64_t time = 0;
  uint32_t key = 0;
  uint32_t account = 0;
  uint32_t group = index_none;  // its own side's group, found on first use
};

struct Fill {
  uint32_t key;      // the resting order's
  uint32_t account;  // the resting order's
  uint16_t region;   // the resting order's group region (an ask's region when resting is an ask)
  bool resting_done;
  int64_t price_ticks;
  int64_t qty_milli;
};

struct DepthLevel {
  int64_t price_ticks;
  int64_t qty_milli;
  uint32_t order_count;
};

class Book {
 public:
  // The pools' bounds are address space only: an hourly market's book reserves less.
  Book(const Config& config, const std::vector<uint16_t>& latency_values,
       uint32_t orders_max = orders_per_book_max, uint32_t levels_max = levels_per_book_max);

  // True when the incoming order could trade its whole open quantity right now (FOK).
  bool can_fill_completely(Incoming& incoming);
  // Whether the incoming order would trade at once with a resting order it may match.
  bool would_take(Incoming& incoming);
  // Trades the incoming order against the best eligible resting orders while it crosses,
  // calling on_fill(const Fill&) for each trade (inlined: no buffer between book and engine).
  template <class OnFill>
  void match(Incoming& incoming, OnFill&& on_fill);
  // Rests what is left of the incoming order; returns its slot.
  uint32_t rest(Incoming& incoming);
  // Takes a resting order out of the book and frees its slot.
  [[gnu::always_inline]] void remove(uint32_t slot) {
    const uint32_t level_index = orders_[slot].level;
    const Side side = orders_[slot].side;
    unlink(slot);
    if (levels_[level_index].order_count == 0) drop_level(side, level_index);
    orders_[slot].key = index_none;  // the slot no longer answers for its key (resting_slot)
    orders_.release(slot);
  }
  // Lowers an order's open quantity in place, keeping its priority.
  void reduce(uint32_t slot, int64_t qty_milli);

  const Order& order(uint32_t slot) const { return orders_[slot]; }
  // The order as it would arrive again (for an amend that loses priority).
  Incoming to_incoming(uint32_t slot) const;
  uint32_t resting_count() const { return orders_.live(); }
  // Eligibility groups of a side (ever created), and how many counter-groups each may trade with
  // on average: the cost of a match step is proportional to the latter.
  uint32_t group_count(Side side) const {
    return uint32_t(sides_[side == Side::bid ? 0 : 1].groups.size());
  }
  double eligible_counter_mean(Side side) const {
    const auto& groups = sides_[side == Side::bid ? 0 : 1].groups;
    std::size_t total = 0;
    for (const Group& group : groups) total += group.eligible_counter.size();
    return groups.empty() ? 0.0 : double(total) / double(groups.size());
  }
  // Aggregated price levels of one side across all groups, best first.
  std::vector<DepthLevel> depth(Side side, std::size_t levels_max) const;

  // Checks the book's own structure; appends what is wrong to `why`.
  bool check_invariants(std::string& why) const;
  // Each resting order once, for balance checks.
  template <class F>
  void for_each_order(F&& visit) const {
    for (int s = 0; s < 2; ++s) {
      for (const Group& group : sides_[s].groups) {
        for (const LevelRef& ref : group.levels) {
          const Level& level = levels_[ref.level];
          for (int u = 0; u < urgency_count; ++u) {
            for (uint32_t o = level.head[u]; o != index_none; o = orders_[o].next)
              visit(orders_[o]);
          }
        }
      }
    }
  }
  // True when some eligible bid and ask cross (must never hold between commands).
  bool has_crossing_pair() const;

 private:
  struct GroupCacheEntry {
    uint64_t attributes = UINT64_MAX;
    uint32_t group = index_none;
  };

  struct SideBook {
    std::vector<Group> groups;
    std::vector<uint32_t> active;  // groups with resting orders
    // Each group's best price, side by side so a match step scans one small array; an empty
    // group holds a price no counter-order crosses.
    std::vector<int64_t> best_price;
    // At least as good as every group's best price (raised at once, lowered lazily), so an
    // incoming order that does not cross it skips the groups altogether.
    int64_t best_bound;
    uint32_t fruitless_scans = 0;
    LevelIndex level_index;
    std::unordered_map<uint64_t, uint32_t> group_by_key;
    std::array<GroupCacheEntry, 256> group_cache;
  };

  // The incoming order's own group: found once, then kept in the order.
  // A direct-mapped cache on the order's own attributes finds the group of a recent class
  // without working out its reach set or probing the group map; the rest is out of line.
  uint32_t group_for(Incoming& incoming) {
    if (incoming.group != index_none) return incoming.group;
    const bool bid = incoming.side == Side::bid;
    const uint64_t attributes = (uint64_t(incoming.region) << 32) |
                                (uint64_t(bid ? incoming.latency_ms_max : 0) << 8) |
                                incoming.green_pct;
    GroupCacheEntry& cached =
        sides_[bid ? 0 : 1].group_cache[(attributes * 0x9e3779b97f4a7c15ULL) >> 56];
    if (cached.attributes != attributes) [[unlikely]] {
      cached = GroupCacheEntry{attributes, find_group(incoming)};
    }
    incoming.group = cached.group;
    return cached.group;
  }
  [[gnu::noinline]] uint32_t find_group(const Incoming& incoming);
  template <bool incoming_bid, class OnFill>
  void match_side(Incoming& incoming, OnFill& on_fill);
  const std::vector<uint32_t>& eligible_counter(Incoming& incoming) {
    return sides_[incoming.side == Side::bid ? 0 : 1].groups[group_for(incoming)].eligible_counter;
  }
  bool eligible(const Group& bid_group, const Group& ask_group) const {
    const std::vector<uint64_t>& reach = reach_sets_[bid_group.reach_set];
    return (reach[ask_group.region >> 6] >> (ask_group.region & 63) & 1) != 0 &&
           ask_group.green_pct >= bid_group.green_pct;
  }
  // Regions within ceiling_ms of origin, as an id shared by every pair that reaches the same.
  uint32_t reach_set_for(uint16_t origin, uint16_t ceiling_ms);
  uint32_t level_head(const Level& level) const {
    for (int u = 0; u < urgency_count; ++u) {
      if (level.head[u] != index_none) return level.head[u];
    }
    CPX_ASSERT(false && "empty level in a group");
    return index_none;
  }
  uint32_t find_or_add_level(uint32_t group_index, Side side, int64_t price_ticks);
  void unlink(uint32_t slot) {
    Order& order = orders_[slot];
    Level& level = levels_[order.level];
    const int queue = int(order.urgency);
    (order.prev == index_none ? level.head[queue] : orders_[order.prev].next) = order.next;
    (order.next == index_none ? level.tail[queue] : orders_[order.next].prev) = order.prev;
    level.qty_milli_total -= order.qty_milli;
    --level.order_count;
  }
  // Takes an empty level out of its group (and the group out of the active list when it was
  // its last level).
  [[gnu::noinline]] void drop_level(Side side, uint32_t level_index);
  template <bool bid>
  static std::vector<LevelRef>::iterator level_position(std::vector<LevelRef>& levels,
                                                        int64_t price_ticks);
  uint16_t effective_latency_max(uint16_t ceiling_ms) const;
  void refresh_best_price(Side side, uint32_t group_index);
  // After a scan found nothing crossing: now and then, tighten the side's bound exactly.
  void note_fruitless_scan(SideBook& side_book);

  const Config& config_;
  const std::vector<uint16_t>& latency_values_;  // distinct values of the matrix, ascending
  SideBook sides_[2];
  Pool<Order> orders_;
  Pool<Level> levels_;
  std::vector<uint32_t> crossing_;  // scratch for match(): as long as either side's group list
  std::vector<std::vector<uint64_t>> reach_sets_;  // by id: a bit per region
  std::map<std::vector<uint64_t>, uint32_t> reach_set_ids_;
  std::unordered_map<uint32_t, uint32_t> reach_set_by_ceiling_;  // (origin, class) -> id
};

namespace book_detail {

constexpr int side_index(Side side) {
  return side == Side::bid ? 0 : 1;
}
constexpr Side opposite(Side side) {
  return side == Side::bid ? Side::ask : Side::bid;
}
// The best price of a side with no orders: nothing crosses it.
constexpr int64_t empty_price(Side side) {
  return side == Side::bid ? INT64_MIN : INT64_MAX;
}

// True when a resting order at `resting_price` may trade with the incoming order's limit.
inline bool crosses(Side incoming_side, int64_t incoming_price, int64_t resting_price) {
  return incoming_side == Side::bid ? resting_price <= incoming_price
                                    : resting_price >= incoming_price;
}

}  // namespace book_detail

template <class OnFill>
void Book::match(Incoming& incoming, OnFill&& on_fill) {
  if (incoming.side == Side::bid) {
    match_side<true>(incoming, on_fill);
  } else {
    match_side<false>(incoming, on_fill);
  }
}

template <bool incoming_bid, class OnFill>
void Book::match_side(Incoming& incoming, OnFill& on_fill) {
  // A resting price the incoming limit crosses (compiled once per side: no side test inside).
  const int64_t limit = incoming.price_ticks;
  auto crosses = [limit](int64_t resting_price) {
    return incoming_bid ? resting_price <= limit : resting_price >= limit;
  };
  SideBook& counter = sides_[incoming_bid ? 1 : 0];
  // Nothing resting on the other side is good enough: no need to look at any group.
  if (!crosses(counter.best_bound)) return;
  // First pass: the eligible groups whose best price crosses. A group that does not cross now
  // cannot later in this match, since the other side only loses orders while one order
  // matches, so later steps look at this short list only. The list is written without a branch
  // (each index stored, the end advanced when it crosses): which groups cross is data, and a
  // mispredicted branch per group cost more than the stores.
  const int64_t* prices = counter.best_price.data();
  const std::vector<uint32_t>& candidates = eligible_counter(incoming);
  CPX_ASSERT(crossing_.size() >= candidates.size());  // sized as groups are created
  uint32_t* crossing = crossing_.data();
  std::size_t crossing_count = 0;
  for (uint32_t group_index : candidates) {
    crossing[crossing_count] = group_index;
    crossing_count += crosses(prices[group_index]) ? 1 : 0;
  }
  if (crossing_count == 0) {
    note_fruitless_scan(counter);
    return;
  }
  while (incoming.qty_milli > 0) {
    uint32_t best_order = index_none;
    uint32_t best_group = index_none;
    int64_t best_price = 0;
    for (std::size_t i = 0; i < crossing_count; ++i) {
      const uint32_t group_index = crossing[i];
      const int64_t price = prices[group_index];
      if (!crosses(price)) continue;
      // Price decides without touching the orders; only equal prices compare the heads.
      if (best_group != index_none && price != best_price &&
          (incoming_bid ? price > best_price : price < best_price)) {
        continue;
      }
      const uint32_t head = level_head(levels_[counter.groups[group_index].levels.back().level]);
      if (best_group != index_none && price == best_price) {
        const Order& a = orders_[head];
        const Order& b = orders_[best_order];
        const bool better = a.urgency != b.urgency ? a.urgency < b.urgency : a.time < b.time;
        if (!better) continue;
      }
      best_order = head;
      best_group = group_index;
      best_price = price;
    }
    if (best_group == index_none) return;

    Order& resting = orders_[best_order];
    const int64_t qty = std::min(incoming.qty_milli, resting.qty_milli);
    resting.qty_milli -= qty;
    levels_[resting.level].qty_milli_total -= qty;
    incoming.qty_milli -= qty;
    const bool resting_done = resting.qty_milli == 0;
    on_fill(Fill{resting.key, resting.account, counter.groups[best_group].region, resting_done,
                 resting.price_ticks, qty});
    if (resting_done) remove(best_order);
  }
}

}  // namespace cpx
