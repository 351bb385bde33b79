// The LOBWL1 generator reproduces the published stream, and the engine its published results.
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include "cpx/app/config_files.hpp"
#include "harness.hpp"
#include "workloads/lobwl1.hpp"
#include "workloads/stream.hpp"

namespace cpx::test {
namespace {

std::string md5_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
  static const char* const hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("the LOBWL1 generator reproduces the published stream byte for byte") {
  const workload::LobParameters parameters;
  const auto ops = workload::generate_lobwl1(parameters);
  const std::string text = workload::lobwl1_text(parameters, ops);
  CHECK(md5_hex(text) == "4470db2cef200197ee835c3ccc3b4429");
  std::vector<workload::LobOp> parsed;
  std::string error;
  REQUIRE(workload::parse_lobwl1(text, parsed, error));
  CHECK(parsed.size() == 1'000'000);
}

TEST_CASE("the engine reproduces LOBWL1's published fills, volume and notional") {
  const Config config = default_config();
  const auto ops = workload::generate_lobwl1(workload::LobParameters{});
  const workload::Stream stream = workload::lobwl1_stream(config, ops);
  const workload::RunTotals totals = workload::run_stream(config, stream, workload::Run::accounted);
  CHECK(totals.rejected == 0);
  CHECK(totals.fills == workload::lobwl1_seed42_expect.fills);
  CHECK(totals.volume == workload::lobwl1_seed42_expect.volume);
  CHECK(totals.notional == int128(workload::lobwl1_seed42_expect.notional));
}

TEST_CASE("the national workload trades across chips and regions with every invariant holding") {
  const Config config = default_config();
  const workload::Stream stream = workload::national_stream(config, 20000, 7);
  const workload::RunTotals totals =
      workload::run_stream(config, stream, workload::Run::accounted, true);
  CHECK(totals.rejected == 0);
  CHECK(totals.fills > 2000);
  // The stream really spreads orders over eligibility classes.
  Engine engine{Config(config)};
  EventList events;
  for (const Command& command : stream.setup) engine.execute(command, events);
  for (const Command& command : stream.commands) {
    events.clear();
    engine.execute(command, events);
  }
  CHECK(engine.book(0).group_count(Side::bid) > 20);
  CHECK(engine.book(0).group_count(Side::ask) > 10);
  CHECK(engine.book(0).eligible_counter_mean(Side::ask) > 5);
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("the national workload in delivery hours trades contracts with every invariant holding") {
  const Config config = default_config();
  const workload::Stream stream = workload::national_stream(config, 30000, 7, true);
  const workload::RunTotals totals =
      workload::run_stream(config, stream, workload::Run::accounted, true);
  CHECK(totals.fills > 3000);
  CHECK(totals.rejected < totals.commands / 20);  // a few over capacity or for a closed hour
  Engine engine{Config(config)};
  EventList events;
  for (const Command& command : stream.setup) engine.execute(command, events);
  for (const Command& command : stream.commands) {
    events.clear();
    engine.execute(command, events);
  }
  CHECK(engine.contracts().size() == totals.fills);  // every trade of an hour is a contract
  CHECK(engine.escrow_e7() > 0);
  CHECK(engine.book_count() > config.chips.size() + 100);  // about 24 hours of 8 chips
}

TEST_CASE("the national stream gives the same trades through JSON as pre-built") {
  const Config config = default_config();
  const workload::Stream stream = workload::national_stream(config, 5000, 3);
  const workload::RunTotals direct = workload::run_stream(config, stream, workload::Run::accounted);
  Harness<Engine> h;
  const std::string text = workload::stream_json(config, stream);
  uint64_t fills = 0, volume = 0, rejected = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t end = text.find('\n', begin);
    for (const std::string& event : h.run(std::string_view(text).substr(begin, end - begin))) {
      rejected += event.find("\"rejected\"") != std::string::npos;
      const std::size_t at = event.find("\"qty\":\"");
      if (event.find("\"trade\"") != std::string::npos) {
        ++fills;
        volume += uint64_t(parse_decimal(event.substr(at + 7, event.find('"', at + 7) - at - 7),
                                         qty_frac_digits, qty_milli_max)
                               .value_or(0));
      }
    }
    begin = end + 1;
  }
  CHECK(rejected == 0);
  CHECK(fills == direct.fills);
  CHECK(volume == direct.volume);
}

}  // namespace cpx::test
