// Exact decimal text <-> fixed-point integers. No floating point anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cpx/engine/types.hpp"

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

}  // namespace cpx
