#include "lobwl1.hpp"

#include <algorithm>
#include <chrono>
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

LobTotals run_map_baseline(const std::vector<LobOp>& ops, double& seconds) {
  TinyBook book;
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
      book.add(
          op.id, op.buy, op.price_ticks, op.qty, [](uint64_t) {}, traded);
    }
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return totals;
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
