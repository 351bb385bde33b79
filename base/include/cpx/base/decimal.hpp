// Exact decimal text <-> fixed-point integers. No floating point anywhere.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "cpx/base/assert.hpp"
#include "cpx/base/int128.hpp"

namespace cpx {

// Parses "digits[.digits]" with at most frac_digits_max fractional digits into an integer
// scaled by 10^frac_digits_max. Returns nothing for signs, exponents, spaces, too many
// fractional digits or a value above value_max (in scaled units).
std::optional<int128> parse_decimal(std::string_view text, int frac_digits_max, int128 value_max);

// Scales a whole number by 10^frac_digits, returning nothing above value_max.
std::optional<int128> scale_integer(uint64_t whole, int frac_digits, int128 value_max);

// Longest text decimal_to_chars() writes.
inline constexpr std::size_t decimal_chars_max = 48;

// Writes a scaled integer as a decimal with no trailing zeros ("12.5", "3", "-0.25") at `out`,
// which has room for decimal_chars_max characters; returns the length.
std::size_t decimal_to_chars(char* out, int128 scaled, int frac_digits);
void append_decimal(std::string& out, int128 scaled, int frac_digits);
std::string format_decimal(int128 scaled, int frac_digits);

void append_int128(std::string& out, int128 value);

// Whole numbers as text, for rendering at rate (std::to_chars counts digits by division).
namespace digits_detail {
inline constexpr char pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";
inline constexpr uint64_t powers[20] = {1ULL,
                                        10ULL,
                                        100ULL,
                                        1000ULL,
                                        10000ULL,
                                        100000ULL,
                                        1000000ULL,
                                        10000000ULL,
                                        100000000ULL,
                                        1000000000ULL,
                                        10000000000ULL,
                                        100000000000ULL,
                                        1000000000000ULL,
                                        10000000000000ULL,
                                        100000000000000ULL,
                                        1000000000000000ULL,
                                        10000000000000000ULL,
                                        100000000000000000ULL,
                                        1000000000000000000ULL,
                                        10000000000000000000ULL};
}  // namespace digits_detail

// How many decimal digits `value` has (1 for 0).
inline int decimal_length(uint64_t value) {
  const uint64_t v = value | 1;
  const int guess = ((64 - std::countl_zero(v)) * 1233) >> 12;  // floor(log10(2^bits))
  return guess + (v >= digits_detail::powers[guess] ? 1 : 0);
}

// Writes `value` in decimal so that it ends just before `end`; returns where it begins.
inline char* write_digits_backward(char* end, uint64_t value) {
  while (value >= 100) {
    const uint64_t pair = value % 100;
    value /= 100;
    end -= 2;
    std::memcpy(end, digits_detail::pairs + 2 * pair, 2);
  }
  if (value >= 10) {
    end -= 2;
    std::memcpy(end, digits_detail::pairs + 2 * value, 2);
  } else {
    *--end = char('0' + value);
  }
  return end;
}

// Writes `value` in decimal at `out` (room for 20 characters); returns the length.
inline std::size_t write_uint(char* out, uint64_t value) {
  const int length = decimal_length(value);
  write_digits_backward(out + length, value);
  return std::size_t(length);
}

}  // namespace cpx
