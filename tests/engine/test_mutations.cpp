// Mutated command lines (flipped, inserted, deleted and truncated bytes, stray JSON syntax)
// through the decoder, the engine and the reference matcher: nothing crashes (the sanitizer
// pass runs this too), both give the same events, and the engine's invariants hold.
#include <doctest/doctest.h>

#include <cstdlib>

#include "command_generator.hpp"
#include "harness.hpp"
#include "workloads/splitmix64.hpp"

namespace cpx::test {
namespace {

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}
  std::size_t below(std::size_t n) { return n == 0 ? 0 : std::size_t(rng_.below(n)); }

  std::string mutate(std::string line) {
    static const char syntax[] = "{}[]\":,\\ .-+0123456789eEtfn\x00\xff\x80\t";
    const int edits = 1 + int(below(3));
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = below(line.size() + 1);
      switch (below(6)) {
        case 0:  // flip a byte
          if (!line.empty()) line[below(line.size())] ^= char(1u << below(8));
          break;
        case 1:  // insert JSON-significant or odd bytes
          line.insert(at, 1, syntax[below(sizeof syntax - 1)]);
          break;
        case 2:  // delete a run
          if (!line.empty()) line.erase(below(line.size()), 1 + below(4));
          break;
        case 3:  // truncate
          line.resize(at);
          break;
        case 4:  // duplicate a slice (repeated keys, doubled values)
          if (!line.empty()) {
            const std::size_t from = below(line.size());
            line.insert(at, line.substr(from, 1 + below(16)));
          }
          break;
        default:  // an escape sequence inside the text
          line.insert(at, below(2) ? "\\u0041" : "\\ud83d\\ude00");
          break;
      }
    }
    return line;
  }

 private:
  workload::SplitMix64 rng_;
};

}  // namespace

TEST_CASE("mutated command lines never crash and give the reference matcher's events") {
  const char* text = std::getenv("CPX_DIFF_COMMANDS_PER_SEED");
  const uint64_t lines = text != nullptr ? std::strtoull(text, nullptr, 10) : 50'000;
  Harness<Engine> fast;
  Harness<ReferenceEngine> naive;
  CommandGenerator generator(7);
  Mutator mutator(11);
  for (const std::string& line : generator.preamble()) {
    fast.run(line);
    naive.run(line);
  }
  uint64_t accepted_after_mutation = 0;
  for (uint64_t i = 0; i < lines; ++i) {
    std::string line = generator.next();
    if (mutator.below(3) != 0) line = mutator.mutate(std::move(line));
    if (is_blank(line)) continue;
    const auto got = fast.run(line);
    const auto want = naive.run(line);
    if (got != want) FAIL("line " << i << ": " << line);
    for (const std::string& event : got) {
      accepted_after_mutation += event.find("\"accepted\"") != std::string::npos;
    }
  }
  CHECK(accepted_after_mutation > 0);
}

}  // namespace cpx::test
