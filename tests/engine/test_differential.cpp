// The engine against the naive reference matcher: identical event streams over random commands,
// with the engine's invariants checked after every command.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>

#include "command_generator.hpp"
#include "harness.hpp"

namespace cpx::test {
namespace {

uint64_t commands_per_seed() {
  const char* text = std::getenv("CPX_DIFF_COMMANDS_PER_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 50'000;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += "  " + line + "\n";
  return out.empty() ? "  (no events)\n" : out;
}

struct Counts {
  uint64_t trades = 0;
  uint64_t hourly_trades = 0;
  uint64_t expired = 0;
  uint64_t over_capacity = 0;
  uint64_t capacity_cuts = 0;  // asks cut or ended by a site command
  uint64_t settled = 0;
  uint64_t penalties = 0;
  uint64_t disputed = 0;
  uint64_t reported = 0;
  std::map<std::string, uint64_t> rejections;
  int shown = 0;  // lines shown for CPX_DIFF_SHOW=text (while tuning the generator)
};

void run_seed(uint64_t seed, uint64_t commands, Counts& counts, bool hourly = false) {
  Harness<Engine> fast;
  Harness<ReferenceEngine> naive;
  CommandGenerator generator(seed, hourly);
  std::vector<std::string> lines = generator.preamble();
  for (uint64_t i = 0; i < commands; ++i) {
    if (i >= lines.size()) lines.push_back(generator.next());
    const std::string& line = lines[i];
    if (is_blank(line)) continue;
    const std::vector<std::string> got = fast.run(line);
    const std::vector<std::string> want = naive.run(line);
    for (const std::string& event : want) {
      if (const char* show = std::getenv("CPX_DIFF_SHOW");
          show != nullptr && event.find(show) != std::string::npos && counts.shown++ < 8) {
        MESSAGE(line << "\n  " << event);
      }
      counts.trades += event.find("\"trade\"") != std::string::npos;
      counts.hourly_trades += event.find("\"delivery\"") != std::string::npos;
      counts.expired += event.find("\"expired\"") != std::string::npos;
      counts.over_capacity += event.find("over_capacity") != std::string::npos;
      counts.settled += event.find("\"settled\"") != std::string::npos;
      counts.penalties += event.find("\"settled\"") != std::string::npos &&
                          event.find("\"penalty\":\"0\"") == std::string::npos;
      counts.disputed += event.find("\"disputed\"") != std::string::npos;
      counts.reported += event.find("\"reported\"") != std::string::npos;
      if (const std::size_t at = event.find("\"reason\":\"");
          at != std::string::npos && event.find("rejected") != std::string::npos) {
        ++counts.rejections[event.substr(at + 10, event.find('"', at + 10) - at - 10)];
      }
    }
    if (line.find("\"op\":\"site\"") != std::string::npos && want.size() > 1) {
      counts.capacity_cuts += want.size() - 1;
    }
    if (got != want) {
      std::size_t first = 0;
      while (first < got.size() && first < want.size() && got[first] == want[first]) ++first;
      FAIL("seed " << seed << ", command " << i << ": " << line << "\nfirst differing event #"
                   << first << "\nengine:\n"
                   << joined(got) << "reference:\n"
                   << joined(want));
    }
  }
}

}  // namespace

TEST_CASE("the engine gives the reference matcher's events for random command streams") {
  const uint64_t per_seed = commands_per_seed();
  Counts counts;
  for (uint64_t seed : {1, 2, 3, 42, 20261123}) {
    CAPTURE(seed);
    run_seed(seed, per_seed, counts);
  }
  MESSAGE("commands: " << 5 * per_seed << ", trades: " << counts.trades);
  CHECK(counts.trades > 5 * per_seed / 20);  // the streams really trade
  CHECK(counts.hourly_trades == 0);
}

// docs/delivery.md: ticks that close hours, sites whose capacity and status change, orders for
// many delivery hours, asks that name their sites, and the invalid forms of all of them.
TEST_CASE("the engine gives the reference matcher's events for random hourly streams") {
  const uint64_t per_seed = commands_per_seed();
  Counts counts;
  for (uint64_t seed : {5, 6, 77, 20261203}) {
    CAPTURE(seed);
    run_seed(seed, per_seed, counts, true);
  }
  MESSAGE("commands: " << 4 * per_seed << ", trades: " << counts.trades << ", expired: "
                       << counts.expired << ", over_capacity: " << counts.over_capacity
                       << ", asks cut by a site: " << counts.capacity_cuts
                       << ", settled: " << counts.settled << " (" << counts.penalties
                       << " with a penalty), reported: " << counts.reported
                       << ", disputed: " << counts.disputed);
  for (const auto& [reason, count] : counts.rejections) MESSAGE(reason << ": " << count);
  CHECK(counts.hourly_trades > 4 * per_seed / 40);
  CHECK(counts.hourly_trades == counts.trades);  // once the clock runs, every market is hourly
  CHECK(counts.expired > per_seed / 10);
  CHECK(counts.over_capacity > per_seed / 20);
  CHECK(counts.capacity_cuts > per_seed / 1000);
  CHECK(counts.settled > counts.hourly_trades / 2);
  CHECK(counts.penalties > per_seed / 20);
  CHECK(counts.reported > 40);  // few: reports name random trade ids and providers
  CHECK(counts.disputed > 0);   // rare here: tests/engine/test_delivery.cpp has each case
}

}  // namespace cpx::test
