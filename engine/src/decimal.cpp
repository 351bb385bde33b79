#include "cpx/engine/decimal.hpp"

#include <algorithm>

namespace cpx {
namespace {

int128 pow10(int digits) {
  int128 result = 1;
  for (int i = 0; i < digits; ++i) result *= 10;
  return result;
}

}  // namespace

std::optional<int128> parse_decimal(std::string_view text, int frac_digits_max, int128 value_max) {
  std::size_t i = 0;
  int128 value = 0;
  std::size_t whole_digits = 0;
  // Values are bounded far below 10^30, so stop accumulating once past the bound: leading
  // zeros may be many, but a significant digit beyond the bound already means "too large".
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++whole_digits) {
    value = value * 10 + (text[i] - '0');
    if (value > value_max) return std::nullopt;
  }
  if (whole_digits == 0) return std::nullopt;
  int frac_digits = 0;
  if (i < text.size()) {
    if (text[i] != '.') return std::nullopt;
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (++frac_digits > frac_digits_max) return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    if (frac_digits == 0 || i != text.size()) return std::nullopt;
  }
  value *= pow10(frac_digits_max - frac_digits);
  if (value > value_max) return std::nullopt;
  return value;
}

std::optional<int128> scale_integer(uint64_t whole, int frac_digits, int128 value_max) {
  const int128 value = int128(whole) * pow10(frac_digits);
  if (value > value_max) return std::nullopt;
  return value;
}

void append_int128(std::string& out, int128 value) {
  char digits[48];
  int n = 0;
  const bool negative = value < 0;
  // Work on the negative range so the smallest value does not overflow.
  if (!negative) value = -value;
  do {
    digits[n++] = char('0' - int(value % 10));
    value /= 10;
  } while (value != 0);
  if (negative) out.push_back('-');
  while (n > 0) out.push_back(digits[--n]);
}

void append_decimal(std::string& out, int128 scaled, int frac_digits) {
  const int128 scale = pow10(frac_digits);
  int128 whole = scaled / scale;
  int128 frac = scaled % scale;
  if (scaled < 0) {
    out.push_back('-');
    whole = -whole;
    frac = -frac;
  }
  append_int128(out, whole);
  if (frac == 0) return;
  char digits[40];
  int n = frac_digits;
  for (int i = n - 1; i >= 0; --i) {
    digits[i] = char('0' + int(frac % 10));
    frac /= 10;
  }
  while (n > 0 && digits[n - 1] == '0') --n;
  out.push_back('.');
  out.append(digits, std::size_t(n));
}

std::string format_decimal(int128 scaled, int frac_digits) {
  std::string out;
  append_decimal(out, scaled, frac_digits);
  return out;
}

}  // namespace cpx
