#include "cpx/base/decimal.hpp"

#include <algorithm>

namespace cpx {
std::optional<int128> parse_decimal(std::string_view text, int frac_digits_max, int128 value_max) {
  // Powers of ten from a table and one 128-bit product at the end: no division, no loop of
  // 128-bit multiplications (this runs for every quantity and price a client sends).
  CPX_ASSERT(frac_digits_max >= 0 && frac_digits_max <= 18 &&
             value_max > 0);  // no 128-bit overflow
  const uint64_t scale = digits_detail::powers[frac_digits_max];
  std::size_t i = 0;
  uint64_t whole = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    // Past this the whole part is above every limit (all are below 2^64 once scaled).
    if (whole > (UINT64_MAX - 9) / 10) return std::nullopt;
    whole = whole * 10 + uint64_t(text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  uint64_t frac = 0;
  int frac_digits = 0;
  if (i < text.size()) {
    if (text[i] != '.') return std::nullopt;
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (++frac_digits > frac_digits_max) return std::nullopt;
      frac = frac * 10 + uint64_t(text[i] - '0');
    }
    if (frac_digits == 0 || i != text.size()) return std::nullopt;
  }
  const int128 value =
      int128(whole) * scale + int128(frac * digits_detail::powers[frac_digits_max - frac_digits]);
  if (value > value_max) return std::nullopt;
  return value;
}

std::optional<int128> scale_integer(uint64_t whole, int frac_digits, int128 value_max) {
  CPX_ASSERT(frac_digits >= 0 && frac_digits <= 18);
  const int128 value = int128(whole) * digits_detail::powers[frac_digits];
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

std::size_t decimal_to_chars(char* out, int128 scaled, int frac_digits) {
  char* const start = out;
  const bool negative = scaled < 0;
  const int128 magnitude = negative ? -scaled : scaled;
  if (negative) *out++ = '-';
  if (magnitude <= int128(UINT64_MAX) && frac_digits < 20) {
    // Quantities and prices always come here: 64-bit division is one instruction rather than a
    // call into the 128-bit runtime. The whole part, then the fraction without its trailing
    // zeros, its leading zeros written out.
    const uint64_t value = uint64_t(magnitude);
    const uint64_t scale = digits_detail::powers[frac_digits];
    out += write_uint(out, value / scale);
    uint64_t fraction = value % scale;
    if (fraction != 0) {
      int digits = frac_digits;
      while (fraction % 10 == 0) {
        fraction /= 10;
        --digits;
      }
      *out++ = '.';
      const int length = decimal_length(fraction);
      for (int i = length; i < digits; ++i) *out++ = '0';
      out += write_uint(out, fraction);
    }
    return std::size_t(out - start);
  }
  char digits[decimal_chars_max];  // least significant first
  int n = 0;
  int128 value = magnitude;
  do {
    digits[n++] = char('0' + int(value % 10));
    value /= 10;
  } while (value != 0);
  // At least frac_digits + 1 digits.
  while (n <= frac_digits) digits[n++] = '0';
  int low = 0;  // trailing fractional zeros to drop
  while (low < frac_digits && digits[low] == '0') ++low;
  for (int i = n - 1; i >= frac_digits; --i) *out++ = digits[i];
  if (low < frac_digits) {
    *out++ = '.';
    for (int i = frac_digits - 1; i >= low; --i) *out++ = digits[i];
  }
  return std::size_t(out - start);
}

void append_decimal(std::string& out, int128 scaled, int frac_digits) {
  char text[decimal_chars_max];
  out.append(text, decimal_to_chars(text, scaled, frac_digits));
}

std::string format_decimal(int128 scaled, int frac_digits) {
  std::string out;
  append_decimal(out, scaled, frac_digits);
  return out;
}

}  // namespace cpx
