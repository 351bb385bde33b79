// LOBWL1: the standard single-book stream (see docs/benchmarks-workloads.md): one million adds
// and cancels from splitmix64 seeded with 42, reproduced exactly from its published recipe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cpx::workload {

struct LobOp {
  bool cancel;
  bool buy;
  uint64_t id;
  int64_t price_ticks;
  int64_t qty;
};

struct LobParameters {
  uint64_t n = 1'000'000;
  uint64_t seed = 42;
  int64_t mid = 100000;
  uint64_t cancel_pm = 300;
  uint64_t aggr_pm = 600;
  uint64_t aggr_depth = 8;
  uint64_t passive_depth = 50;
  uint64_t qty_max = 100;
  uint64_t target_live = 2000;
};

// What a correct price-time matcher must produce on the stream.
struct LobTotals {
  uint64_t fills = 0;
  uint64_t volume = 0;
  uint64_t notional = 0;
};

std::vector<LobOp> generate_lobwl1(const LobParameters& parameters);
// Same-run baseline: the stream through a plain price-time book (std::map of price levels,
// std::deque per level, std::unordered_map to find orders; no accounts, no events).
LobTotals run_map_baseline(const std::vector<LobOp>& ops, double& seconds);
// The ceiling of the workload's README: a flat array of price levels (FIFOs with lazy deletion)
// and orders in dense arrays by id. No accounts, no events; pre-sized before the clock starts.
LobTotals run_flat_baseline(const std::vector<LobOp>& ops, double& seconds);

std::string lobwl1_text(const LobParameters& parameters, const std::vector<LobOp>& ops);
// Parses the text format (header comment, "A id B|S price qty", "C id"); false on bad input.
bool parse_lobwl1(const std::string& text, std::vector<LobOp>& ops, std::string& error);

// The published .expect figures of the seed-42 stream.
inline constexpr LobTotals lobwl1_seed42_expect{483192, 12340682, 1234063599129};

}  // namespace cpx::workload
