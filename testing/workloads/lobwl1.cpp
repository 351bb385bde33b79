#include "lobwl1.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <deque>
#include <map>
#include <sstream>
#include <unordered_map>

#include "splitmix64.hpp"

namespace cpx::workload {
namespace {

// The generator's own plain price-time book: it only needs to know which orders rest.
class TinyBook {
 public:
  // Matches and rests; calls traded(price, qty) for each trade and removed(id) for each resting
  // order a trade fills.
  template <class Removed, class Traded>
  bool add(uint64_t id, bool buy, int64_t price, int64_t qty, Removed&& removed, Traded&& traded) {
    auto& opposite = buy ? asks_ : bids_;
    while (qty > 0 && !opposite.empty()) {
      auto best = buy ? opposite.begin() : std::prev(opposite.end());
      if (buy ? best->first > price : best->first < price) break;
      auto& queue = best->second;
      auto& [resting_id, resting_qty] = queue.front();
      const int64_t fill = std::min(qty, resting_qty);
      traded(best->first, fill);
      qty -= fill;
      resting_qty -= fill;
      if (resting_qty == 0) {
        removed(resting_id);
        where_.erase(resting_id);
        queue.pop_front();
        if (queue.empty()) opposite.erase(best);
      }
    }
    if (qty == 0) return false;
    (buy ? bids_ : asks_)[price].emplace_back(id, qty);
    where_[id] = {buy, price};
    return true;
  }

  template <class Traded>
  void add(uint64_t id, bool buy, int64_t price, int64_t qty, Traded&& traded) {
    add(
        id, buy, price, qty, [](uint64_t) {}, traded);
  }

  void cancel(uint64_t id) {
    auto it = where_.find(id);
    if (it == where_.end()) return;
    auto& side = it->second.first ? bids_ : asks_;
    auto level = side.find(it->second.second);
    auto& queue = level->second;
    queue.erase(std::find_if(queue.begin(), queue.end(), [&](auto& o) { return o.first == id; }));
    if (queue.empty()) side.erase(level);
    where_.erase(it);
  }

 private:
  std::map<int64_t, std::deque<std::pair<uint64_t, int64_t>>> bids_, asks_;
  std::unordered_map<uint64_t, std::pair<bool, int64_t>> where_;
};

}  // namespace

std::vector<LobOp> generate_lobwl1(const LobParameters& p) {
  SplitMix64 rng(p.seed);
  TinyBook book;
  std::vector<uint64_t> live;
  std::unordered_map<uint64_t, std::size_t> position;
  auto remove_live = [&](uint64_t id) {
    const std::size_t at = position[id];
    live[at] = live.back();
    position[live[at]] = at;
    live.pop_back();
    position.erase(id);
  };
  std::vector<LobOp> ops;
  ops.reserve(p.n);
  uint64_t next_id = 0;
  for (uint64_t i = 0; i < p.n; ++i) {
    const uint64_t threshold = std::min<uint64_t>(900, p.cancel_pm * live.size() / p.target_live);
    const uint64_t r = rng.next() % 1000;
    if (r < threshold) {
      const uint64_t id = live[rng.next() % live.size()];
      book.cancel(id);
      remove_live(id);
      ops.push_back(LobOp{true, false, id, 0, 0});
      continue;
    }
    const bool buy = rng.next() % 2 == 0;
    const bool aggressive = rng.next() % 1000 < p.aggr_pm;
    const int64_t offset =
        int64_t(aggressive ? rng.next() % (p.aggr_depth + 1) : 1 + rng.next() % p.passive_depth);
    const int64_t price = buy ? (aggressive ? p.mid + offset : p.mid - offset)
                              : (aggressive ? p.mid - offset : p.mid + offset);
    const int64_t qty = int64_t(1 + rng.next() % p.qty_max);
    const uint64_t id = ++next_id;
    ops.push_back(LobOp{false, buy, id, price, qty});
    if (book.add(id, buy, price, qty, remove_live, [](int64_t, int64_t) {})) {
      position[id] = live.size();
      live.push_back(id);
    }
  }
  return ops;
}

namespace {

// Times a baseline book over the stream, summing its trades.
template <class Book>
LobTotals drive(Book& book, const std::vector<LobOp>& ops, double& seconds) {
  LobTotals totals;
  auto traded = [&](int64_t price, int64_t qty) {
    ++totals.fills;
    totals.volume += uint64_t(qty);
    totals.notional += uint64_t(price) * uint64_t(qty);
  };
  const auto start = std::chrono::steady_clock::now();
  for (const LobOp& op : ops) {
    if (op.cancel) {
      book.cancel(op.id);
    } else {
      book.add(op.id, op.buy, op.price_ticks, op.qty, traded);
    }
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return totals;
}

}  // namespace

LobTotals run_map_baseline(const std::vector<LobOp>& ops, double& seconds) {
  TinyBook book;
  return drive(book, ops, seconds);
}

namespace {

// The ceiling the workload README names: a flat array of price levels over the stream's price
// range, each level a FIFO of order ids with lazy deletion, orders found by id in a dense array.
// No accounts, no events, no eligibility, nothing allocated once sized.
class FlatBook {
 public:
  FlatBook(int64_t price_min, int64_t price_max, uint64_t id_max)
      : base_(price_min),
        levels_(std::size_t(price_max - price_min + 1)),
        qty_(id_max + 1, 0),
        price_(id_max + 1, 0),
        best_bid_(-1),
        best_ask_(int64_t(levels_.size())) {}

  template <class Traded>
  void add(uint64_t id, bool buy, int64_t price, int64_t qty, Traded&& traded) {
    const int64_t at = price - base_;
    if (buy) {
      while (qty > 0 && best_ask_ <= at) qty = take(best_ask_, qty, traded, +1);
    } else {
      while (qty > 0 && best_bid_ >= at) qty = take(best_bid_, qty, traded, -1);
    }
    if (qty == 0) return;
    Level& level = levels_[std::size_t(at)];
    level.ids.push_back(id);
    ++level.live;
    qty_[id] = qty;
    price_[id] = at;
    if (buy && at > best_bid_) best_bid_ = at;
    if (!buy && at < best_ask_) best_ask_ = at;
  }

  void cancel(uint64_t id) {
    if (id >= qty_.size() || qty_[id] == 0) return;
    qty_[id] = 0;
    const int64_t at = price_[id];
    if (--levels_[std::size_t(at)].live == 0) {
      levels_[std::size_t(at)].ids.clear();
      levels_[std::size_t(at)].head = 0;
      if (at == best_bid_) step(best_bid_, -1);
      if (at == best_ask_) step(best_ask_, +1);
    }
  }

 private:
  struct Level {
    std::vector<uint64_t> ids;
    std::size_t head = 0;
    uint32_t live = 0;
  };

  // Fills against the level at `best` until it or the incoming quantity runs out.
  template <class Traded>
  int64_t take(int64_t& best, int64_t qty, Traded& traded, int direction) {
    Level& level = levels_[std::size_t(best)];
    while (qty > 0 && level.head < level.ids.size()) {
      const uint64_t resting = level.ids[level.head];
      if (qty_[resting] == 0) {
        ++level.head;
        continue;
      }
      const int64_t fill = std::min(qty, qty_[resting]);
      traded(best + base_, fill);
      qty -= fill;
      qty_[resting] -= fill;
      if (qty_[resting] == 0) {
        ++level.head;
        --level.live;
      }
    }
    if (level.live == 0) {
      level.ids.clear();
      level.head = 0;
      step(best, direction);
    }
    return qty;
  }

  // Moves a best index to the next non-empty level (or past the end of the range).
  void step(int64_t& best, int direction) {
    const int64_t end = direction > 0 ? int64_t(levels_.size()) : -1;
    while (best != end && levels_[std::size_t(best)].live == 0) best += direction;
  }

  int64_t base_;
  std::vector<Level> levels_;
  std::vector<int64_t> qty_;    // open quantity by id; 0 once filled or cancelled
  std::vector<int64_t> price_;  // level index by id
  int64_t best_bid_;
  int64_t best_ask_;
};

}  // namespace

LobTotals run_flat_baseline(const std::vector<LobOp>& ops, double& seconds) {
  int64_t price_min = INT64_MAX, price_max = INT64_MIN;
  uint64_t id_max = 0;
  for (const LobOp& op : ops) {
    id_max = std::max(id_max, op.id);
    if (op.cancel) continue;
    price_min = std::min(price_min, op.price_ticks);
    price_max = std::max(price_max, op.price_ticks);
  }
  if (price_min > price_max) return LobTotals{};
  FlatBook book(price_min, price_max, id_max);
  return drive(book, ops, seconds);
}

std::string lobwl1_text(const LobParameters& p, const std::vector<LobOp>& ops) {
  std::string out;
  out.reserve(ops.size() * 24);
  out += "# LOBWL1 n=" + std::to_string(p.n) + " seed=" + std::to_string(p.seed) +
         " mid=" + std::to_string(p.mid) + " cancel_pm=" + std::to_string(p.cancel_pm) +
         " aggr_pm=" + std::to_string(p.aggr_pm) + " aggr_depth=" + std::to_string(p.aggr_depth) +
         " passive_depth=" + std::to_string(p.passive_depth) +
         " qty_max=" + std::to_string(p.qty_max) + " target_live=" + std::to_string(p.target_live) +
         "\n";
  for (const LobOp& op : ops) {
    if (op.cancel) {
      out += "C " + std::to_string(op.id) + "\n";
    } else {
      out += "A " + std::to_string(op.id) + (op.buy ? " B " : " S ") +
             std::to_string(op.price_ticks) + " " + std::to_string(op.qty) + "\n";
    }
  }
  return out;
}

bool parse_lobwl1(const std::string& text, std::vector<LobOp>& ops, std::string& error) {
  std::istringstream in(text);
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    char kind = 0;
    LobOp op{};
    fields >> kind >> op.id;
    if (kind == 'C') {
      op.cancel = true;
    } else if (kind == 'A') {
      char side = 0;
      fields >> side >> op.price_ticks >> op.qty;
      op.buy = side == 'B';
      if (side != 'B' && side != 'S') fields.setstate(std::ios::failbit);
    } else {
      fields.setstate(std::ios::failbit);
    }
    if (!fields || op.id == 0) {
      error = "line " + std::to_string(number) + ": not an LOBWL1 operation";
      return false;
    }
    ops.push_back(op);
  }
  return true;
}

}  // namespace cpx::workload
