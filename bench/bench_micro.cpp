// Google Benchmark microbenchmarks of the engine's three operations: add (resting), cancel and
// match, plus a match whose counter-orders spread over many eligibility groups or rest deep.
#include <benchmark/benchmark.h>

#include <deque>
#include <string>
#include <vector>

#include "cpx/app/config_files.hpp"
#include "cpx/engine/engine.hpp"

namespace {

using namespace cpx;

constexpr int batch = 4096;

Config config_once() {
  return std::move(*load_config("", "").config);
}

struct Fixture {
  explicit Fixture(uint32_t expected_orders) : engine(config_once(), limits(expected_orders)) {
    run(account("buyer", Role::enterprise));
    run(account("seller", Role::provider));
    Command deposit;
    deposit.op = Op::deposit;
    deposit.account_index = 0;
    deposit.amount_e7 = amount_e7_max;
    for (int i = 0; i < 100; ++i) run(deposit);
  }
  static EngineLimits limits(uint32_t orders) {
    EngineLimits l;
    l.order_keys_initial = orders;
    return l;
  }
  Command account(const char* name, Role role) {
    Command c;
    c.op = Op::account;
    c.account = name;
    c.role = role;
    return c;
  }
  std::string_view next_id() { return ids.emplace_back(std::to_string(++id_counter)); }
  Command order(Side side, int64_t price, int64_t qty, uint16_t region = 10, uint8_t green = 0) {
    Command c;
    c.op = Op::new_order;
    c.side = side;
    c.account_index = side == Side::bid ? 0 : 1;
    c.set_client_order_id(next_id());
    c.chip = 0;
    c.region = region;
    c.green_pct = green;
    c.price_ticks = price;
    c.qty_milli = qty;
    c.has_qty = c.has_price = true;
    return c;
  }
  Command cancel(const Command& placed) {
    Command c;
    c.op = Op::cancel;
    c.account_index = placed.account_index;
    c.set_client_order_id(placed.client_order_id);
    return c;
  }
  void run(const Command& c) {
    events.clear();
    engine.execute(c, events);
  }

  Engine engine;
  EventList events;
  std::deque<std::string> ids;
  uint64_t id_counter = 0;
};

// Adding an order that rests (no cross) beside ~2,000 others over 50 price levels.
void BM_AddResting(benchmark::State& state) {
  Fixture f(1u << 22);
  std::vector<Command> placed;
  for (int i = 0; i < 2000; ++i) f.run(f.order(Side::bid, 100000 - 1 - i % 50, 10));
  for (auto _ : state) {
    state.PauseTiming();
    for (const Command& c : placed) f.run(f.cancel(c));
    placed.clear();
    for (int i = 0; i < batch; ++i) placed.push_back(f.order(Side::bid, 100000 - 1 - i % 50, 10));
    state.ResumeTiming();
    for (const Command& c : placed) f.run(c);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_AddResting);

void BM_Cancel(benchmark::State& state) {
  Fixture f(1u << 22);
  std::vector<Command> cancels;
  for (auto _ : state) {
    state.PauseTiming();
    cancels.clear();
    for (int i = 0; i < batch; ++i) {
      const Command c = f.order(Side::bid, 100000 - 1 - i % 50, 10);
      f.run(c);
      cancels.push_back(f.cancel(c));
    }
    state.ResumeTiming();
    for (const Command& c : cancels) f.run(c);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_Cancel);

// An incoming bid that fills one resting ask completely. range(0): eligibility groups the asks
// are spread over (regions x green shares); range(1): asks resting in the book.
void BM_Match(benchmark::State& state) {
  const int groups = int(state.range(0));
  const int resting = int(state.range(1));
  Fixture f(1u << 23);
  auto ask_at = [&](int i) {
    return f.order(Side::ask, 100000 + i % 10, 10, uint16_t(i % groups % 16),
                   uint8_t(20 * (i % groups / 16)));
  };
  for (int i = 0; i < resting; ++i) f.run(ask_at(i));
  std::vector<Command> asks, bids;
  for (auto _ : state) {
    state.PauseTiming();
    asks.clear();
    bids.clear();
    for (int i = 0; i < batch; ++i) {
      asks.push_back(ask_at(i));
      bids.push_back(f.order(Side::bid, 100000 + 10, 10));
    }
    for (const Command& c : asks) f.run(c);  // refill what the bids take
    state.ResumeTiming();
    for (const Command& c : bids) f.run(c);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_Match)->Args({1, 100})->Args({1, 100000})->Args({16, 100000})->Args({64, 100000});

}  // namespace

BENCHMARK_MAIN();
