// Mutated command lines (flipped, inserted, deleted and truncated bytes, stray JSON syntax)
// through the decoder, the engine and the reference matcher: nothing crashes (the sanitizer
// pass runs this too), both give the same events, and the engine's invariants hold. The
// decoder's direct reader and simdjson's DOM decode every such line to the same command.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

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

namespace {

// Every field of a decoded command, as text, so that two decodings compare in one assertion.
std::string describe(const Command& c) {
  std::ostringstream out;
  out << "op=" << int(c.op) << " side=" << int(c.side) << " tif=" << int(c.tif)
      << " urgency=" << int(c.urgency) << " role=" << int(c.role)
      << " shape=" << int(c.shape_reason) << " field=" << int(c.field_reason)
      << " has_qty=" << c.has_qty << " has_price=" << c.has_price
      << " has_latency=" << c.has_latency_max << " green=" << int(c.green_pct) << " chip=" << c.chip
      << " region=" << c.region << " latency=" << c.latency_ms_max
      << " account_index=" << c.account_index << " qty=" << c.qty_milli
      << " price=" << c.price_ticks << " amount=" << format_decimal(c.amount_e7, 0) << " account=["
      << c.account << "] id=[" << c.client_order_id << "] number=" << c.client_order_number;
  return out.str();
}

}  // namespace

TEST_CASE("the decoder's direct reader and simdjson's DOM decode every line alike") {
  const Config config = default_config();
  CommandDecoder direct(config);
  CommandDecoder dom(config, JsonPath::simdjson_only);
  CommandGenerator generator(21);
  Mutator mutator(23);
  std::vector<std::string> lines = generator.preamble();
  // Forms at the edge of what the direct reader takes, each beside one it leaves to simdjson.
  const std::vector<std::string> edges = {
      R"({"op":"deposit","account":"e1","amount":5})",
      R"( {"op" : "deposit" , "account":"e1","amount":-0} )",
      R"({"op":"deposit","account":"e1","amount":-5})",
      R"({"op":"deposit","account":"e1","amount":05})",
      R"({"op":"deposit","account":"e1","amount":5.0})",
      R"({"op":"deposit","account":"e1","amount":5e2})",
      R"({"op":"deposit","account":"e1","amount":123456789012345678})",
      R"({"op":"deposit","account":"e1","amount":1234567890123456789})",
      R"({"op":"deposit","account":"e1","amount":18446744073709551615})",
      R"({"op":"deposit","account":"e1","amount":18446744073709551616})",
      R"({"op":"deposit","account":"e1","amount":"5.5"})",
      R"({"op":"deposit","account":"e1","amount":5})",
      R"({"op":"deposit","account":"e1","amount":5})",
      R"({"op":"deposit","account":"e1","amount":5,})",
      R"({"op":"deposit","account":"e1","amount":5}})",
      R"({"op":"deposit","account":"e1","amount":5} x)",
      R"({"op":"deposit","account":"e1","amount":5,"op":"deposit"})",
      R"({"op":"deposit","account":"e1","amount":5,"x":1,"x":2})",
      R"({"op":"deposit","account":"e1","amount":5,"x":1,"y":[1,{"z":null}]})",
      R"({"op":"deposit","account":"e1","amount":true})",
      "{\"op\":\"deposit\",\"account\":\"\xc3\xa9\",\"amount\":5}",
      "{\"op\":\"deposit\",\"account\":\"\xff\",\"amount\":5}",
      "{\"op\":\"deposit\",\"account\":\"e\x01\",\"amount\":5}",
      "{\"op\":\"deposit\",\"account\":\"e1\",\"amount\":5}\t\r\n",
      // Strings across the direct reader's 16-byte blocks, a stop at each side of a boundary.
      R"({"op":"deposit","account":"abcdefghijklmnop","amount":5})",
      R"({"op":"deposit","account":"abcdefghijklmnopq","amount":5})",
      R"({"op":"deposit","account":"abcdefghijklmno\"","amount":5})",
      R"({"op":"deposit","account":"abcdefghijklmnop\u0041","amount":5})",
      "{\"op\":\"deposit\",\"account\":\"abcdefghijklmnopqrstuvwxyz012345\x7f\",\"amount\":5}",
      "{\"op\":\"deposit\",\"account\":\"abcdefghijklmnopqrst\xc3\xa9\",\"amount\":5}",
      "{\"op\":\"deposit\",\"account\":\"abcdefghijklmnopqrstuvwxyz01234\x1f\",\"amount\":5}",
      R"({})",
      R"([])",
      R"("op")",
      R"({"op":"new","account":"e1","client_order_id":"7","side":"bid","chip":"H100",)"
      R"("origin":"beijing","qty":"1.5","price":2,"max_latency_ms":20,"min_green_pct":-1})",
  };
  lines.insert(lines.end(), edges.begin(), edges.end());
  for (int i = 0; i < 60'000; ++i) {
    std::string line = generator.next();
    if (mutator.below(2) != 0) line = mutator.mutate(std::move(line));
    lines.push_back(std::move(line));
  }
  for (const std::string& line : lines) {
    std::string padded = line;
    padded.append(command_padding, '\0');
    const std::string got = describe(direct.decode(padded.data(), line.size()));
    const std::string want = describe(dom.decode(padded.data(), line.size()));
    if (got != want) FAIL("line: " << line << "\n direct:   " << got << "\n simdjson: " << want);
  }
  // The direct reader decided most lines (so the comparison is not of simdjson with itself),
  // and left some to simdjson.
  CHECK(direct.direct_count() > lines.size() / 2);
  CHECK(direct.direct_count() < lines.size());
  CHECK(dom.direct_count() == 0);
}

TEST_CASE("the decoder finds every chip and region of the config by its id, and nothing else") {
  const Config config = default_config();
  CommandDecoder decoder(config);
  auto decode = [&](const std::string& chip, const std::string& origin) {
    std::string line =
        R"({"op":"new","account":"e1","client_order_id":"c1","side":"bid","chip":")" + chip +
        R"(","origin":")" + origin + R"(","qty":"1","price":"2"})";
    const std::size_t length = line.size();
    line.append(command_padding, '\0');
    return decoder.decode(line.data(), length);
  };
  // Ids one character off, cut short, run long, or of another letter case.
  auto near_misses = [](const std::string& id) {
    std::vector<std::string> out = {id.substr(0, id.size() - 1), id + "0", id + id};
    for (std::size_t i = 0; i < id.size(); ++i) {
      std::string changed = id;
      if (std::isalpha(static_cast<unsigned char>(id[i]))) {
        changed[i] = char(id[i] ^ 0x20);
        out.push_back(changed);
      }
      changed[i] = char(id[i] + 1);
      out.push_back(changed);
    }
    return out;
  };
  auto known = [](const auto& items, const std::string& id) {
    return std::any_of(items.begin(), items.end(), [&](const auto& item) { return item.id == id; });
  };
  REQUIRE(config.chips.size() >= 8);
  REQUIRE(config.regions.size() >= 16);
  for (std::size_t c = 0; c < config.chips.size(); ++c) {
    for (std::size_t r = 0; r < config.regions.size(); ++r) {
      const Command command = decode(config.chips[c].id, config.regions[r].id);
      REQUIRE(command.field_reason == Reason::none);
      REQUIRE(command.chip == c);
      REQUIRE(command.region == r);
    }
    for (const std::string& miss : near_misses(config.chips[c].id)) {
      if (known(config.chips, miss)) continue;
      REQUIRE_MESSAGE(decode(miss, "beijing").field_reason == Reason::unknown_chip, miss);
    }
  }
  for (const RegionInfo& region : config.regions) {
    for (const std::string& miss : near_misses(region.id)) {
      if (known(config.regions, miss)) continue;
      REQUIRE_MESSAGE(decode("H100", miss).field_reason == Reason::unknown_region, miss);
    }
  }
  CHECK(decode("", "beijing").field_reason == Reason::unknown_chip);
  CHECK(decode("H100", "").field_reason == Reason::unknown_region);
}

}  // namespace cpx::test
