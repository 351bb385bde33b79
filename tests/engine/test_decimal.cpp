#include <doctest/doctest.h>

#include <charconv>
#include <string_view>
#include <vector>

#include "cpx/engine/decimal.hpp"

namespace cpx::test {

TEST_CASE("decimals parse exactly into fixed point and refuse anything else") {
  CHECK(parse_decimal("12.5", 3, qty_milli_max) == int128(12500));
  CHECK(parse_decimal("0.001", 3, qty_milli_max) == int128(1));
  CHECK(parse_decimal("000000000000000000000000000001", 3, qty_milli_max) == int128(1000));
  CHECK(parse_decimal("1000000000", 3, qty_milli_max) == int128(qty_milli_max));
  CHECK_FALSE(parse_decimal("1000000000.001", 3, qty_milli_max));
  CHECK_FALSE(parse_decimal("99999999999999999999999999999999999999", 3, qty_milli_max));
  for (const char* bad :
       {"", ".", "1.", ".1", "1.0001", "+1", "-1", "1e2", " 1", "1 ", "1,5", "0x1", "١"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_decimal(bad, 3, qty_milli_max));
  }
  CHECK(parse_decimal("1000000000000.0000000", 7, amount_e7_max) == amount_e7_max);
}

TEST_CASE("decimals print without trailing zeros") {
  CHECK(format_decimal(12500, 3) == "12.5");
  CHECK(format_decimal(3000, 3) == "3");
  CHECK(format_decimal(1, 7) == "0.0000001");
  CHECK(format_decimal(-25, 2) == "-0.25");
  CHECK(format_decimal(0, 4) == "0");
  CHECK(format_decimal(int128(price_ticks_max) * qty_milli_max, 7) == "1000000000000000");
}

}  // namespace cpx::test

namespace cpx {

TEST_CASE("write_uint gives std::to_chars' digits for every length and edge") {
  std::vector<uint64_t> values = {0, 1, 9, 10, 11, 99, 100, 101, UINT64_MAX, UINT64_MAX - 1};
  uint64_t power = 1;
  for (int i = 0; i < 20; ++i) {
    values.push_back(power - 1);
    values.push_back(power);
    values.push_back(power + 1);
    if (i < 19) power *= 10;
  }
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 100000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    values.push_back(x >> (x % 64));
  }
  for (uint64_t value : values) {
    char want[24];
    char got[24];
    const auto [end, error] = std::to_chars(want, want + sizeof want, value);
    const std::size_t length = write_uint(got, value);
    REQUIRE(std::string_view(got, length) == std::string_view(want, std::size_t(end - want)));
    REQUIRE(decimal_length(value) == int(length));
  }
}

}  // namespace cpx
