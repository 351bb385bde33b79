#include <doctest/doctest.h>

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/base/decimal.hpp"
#include "cpx/engine/types.hpp"

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

// The plain way to print a scaled integer: all its digits, a point frac_digits from the end,
// then the trailing zeros (and a bare point) dropped.
std::string decimal_by_hand(int128 scaled, int frac_digits) {
  const bool negative = scaled < 0;
  int128 magnitude = negative ? -scaled : scaled;
  std::string digits;
  do {
    digits.insert(digits.begin(), char('0' + int(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  while (int(digits.size()) <= frac_digits) digits.insert(digits.begin(), '0');
  std::string out = digits.substr(0, digits.size() - std::size_t(frac_digits));
  std::string fraction = digits.substr(digits.size() - std::size_t(frac_digits));
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) out += "." + fraction;
  return (negative ? "-" : "") + out;
}

TEST_CASE("decimals print as the plain digit-by-digit way does, in 64 bits and beyond") {
  uint64_t x = 0x243f6a8885a308d3ULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  int checked = 0;
  for (int frac_digits = 0; frac_digits <= 18; ++frac_digits) {
    std::vector<int128> values = {0,
                                  1,
                                  10,
                                  100,
                                  int128(UINT64_MAX),
                                  int128(UINT64_MAX) + 1,
                                  int128(digits_detail::powers[frac_digits]),
                                  int128(digits_detail::powers[frac_digits]) - 1,
                                  int128(digits_detail::powers[frac_digits]) + 1};
    for (int i = 0; i < 5000; ++i) {
      const uint64_t r = next();
      int128 value = int128(r >> (r % 64));
      if (i % 7 == 0) {
        value *= int128(digits_detail::powers[r % 19]);  // trailing zeros
      } else if (i % 11 == 0) {
        value = value * int128(next() >> 2) + 3;  // beyond 64 bits (below 2^126)
      }
      values.push_back(value);
    }
    for (int128 value : values) {
      for (int128 signed_value : {value, -value}) {
        INFO("frac_digits " << frac_digits);
        REQUIRE(format_decimal(signed_value, frac_digits) ==
                decimal_by_hand(signed_value, frac_digits));
        ++checked;
      }
    }
  }
  CHECK(checked > 190000);
}

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
