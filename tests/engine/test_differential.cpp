// The engine against the naive reference matcher: identical event streams over random commands,
// with the engine's invariants checked after every command.
#include <doctest/doctest.h>

#include <cstdlib>

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

void run_seed(uint64_t seed, uint64_t commands, uint64_t& trades) {
  Harness<Engine> fast;
  Harness<ReferenceEngine> naive;
  CommandGenerator generator(seed);
  std::vector<std::string> lines = generator.preamble();
  for (uint64_t i = 0; i < commands; ++i) {
    if (i >= lines.size()) lines.push_back(generator.next());
    const std::string& line = lines[i];
    if (is_blank(line)) continue;
    const std::vector<std::string> got = fast.run(line);
    const std::vector<std::string> want = naive.run(line);
    for (const std::string& event : want) trades += event.find("\"trade\"") != std::string::npos;
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
  uint64_t trades = 0;
  for (uint64_t seed : {1, 2, 3, 42, 20261123}) {
    CAPTURE(seed);
    run_seed(seed, per_seed, trades);
  }
  MESSAGE("commands: " << 5 * per_seed << ", trades: " << trades);
  CHECK(trades > 5 * per_seed / 20);  // the streams really trade
}

}  // namespace cpx::test
