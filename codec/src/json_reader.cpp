// Text to fields: the direct reader for flat objects of plain strings and integers, then
// simdjson's DOM parser for everything else (docs/engine.md, "Decoding").
#include <algorithm>
#include <bit>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "decoder_parts.hpp"

namespace cpx {

using simdjson::dom::element;
using simdjson::dom::object;
using namespace decoder_detail;
using Value = CommandDecoder::Value;

CommandDecoder::Value CommandDecoder::read_profile(element value) {
  Value out;
  out.kind = Value::Kind::profile;
  out.boolean = false;
  simdjson::dom::array items = value.get_array().value_unsafe();
  if (items.size() != std::size_t(hours_per_day)) return out;
  std::size_t i = 0;
  for (element item : items) {
    int64_t share;
    if (item.get_int64().get(share) != simdjson::SUCCESS || share < 0 || share > green_pct_max) {
      return out;
    }
    green_profile_[i++] = uint8_t(share);
  }
  out.boolean = true;
  return out;
}

// Records one member; false when a key the spec names comes twice.
bool CommandDecoder::note_key(std::string_view key, const Value& value, Fields& fields) {
  const Field f = field_named(key);
  if (f == Field::unknown) {
    keys_.push_back(key);
    return true;
  }
  if (fields.has(f)) {
    if (problem_key_.empty()) problem_key_.assign(key);
    return false;
  }
  fields.present |= uint32_t(1) << unsigned(f);
  fields.values[unsigned(f)] = value;
  return true;
}

namespace {

inline bool json_space(char c) {
  return static_cast<unsigned char>(c) <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

// Bytes of an 8-byte word equal to `byte` get their top bit set (and no others do).
inline uint64_t bytes_equal(uint64_t word, unsigned char byte) {
  constexpr uint64_t ones = 0x0101010101010101ULL;
  constexpr uint64_t tops = 0x8080808080808080ULL;
  const uint64_t x = word ^ (ones * byte);
  return ~(((x & ~tops) + ~tops) | x) & tops;
}

// The offset in the block at `p` of its first byte that ends a plain string: a quote, a
// backslash, a byte below 0x20 (a control character) or above 0x7f; block_bytes when none does.
#if defined(__SSE2__)
constexpr std::ptrdiff_t block_bytes = 16;
static_assert(command_padding >= block_bytes);
inline std::ptrdiff_t first_stop(const char* p) {
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // Signed bytes: those above 0x7f are negative, so below 0x20 too.
  const __m128i stops = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('"')),
                                                  _mm_cmpeq_epi8(block, _mm_set1_epi8('\\'))),
                                     _mm_cmplt_epi8(block, _mm_set1_epi8(0x20)));
  const uint32_t mask = uint32_t(_mm_movemask_epi8(stops)) | (uint32_t(1) << block_bytes);
  return std::countr_zero(mask);
}
#else
constexpr std::ptrdiff_t block_bytes = 8;
inline std::ptrdiff_t first_stop(const char* p) {
  constexpr uint64_t tops = 0x8080808080808080ULL;
  uint64_t word;
  std::memcpy(&word, p, 8);
  const uint64_t low7 = word & ~tops;
  const uint64_t control = ~((low7 + 0x6060606060606060ULL) | word) & tops;
  const uint64_t stops = bytes_equal(word, '"') | bytes_equal(word, '\\') | control | (word & tops);
  return stops == 0 ? block_bytes : std::countr_zero(stops) / 8;
}
#endif

// A string's body up to its closing quote, when it is plain: printable ASCII without escapes.
// False for anything else, which simdjson then reads (and validates). A block a step: the text
// is followed by command_padding readable bytes, so a block may run past its end.
inline bool plain_string(const char*& p, const char* end, std::string_view& out) {
  const char* start = p;
  for (;;) {
    const std::ptrdiff_t stop = first_stop(p);
    if (stop < block_bytes) {
      p += stop;
      if (p >= end || *p != '"') return false;
      out = std::string_view(start, std::size_t(p - start));
      ++p;
      return true;
    }
    p += block_bytes;
    if (p >= end) return false;
  }
}

// A JSON integer of at most 18 digits (so it fits an int64), followed by a character that may
// end a number. False for anything else (fractions, exponents, leading zeros, longer numbers).
inline bool plain_integer(const char*& p, const char* end, int64_t& out) {
  const bool negative = *p == '-';
  if (negative) ++p;
  const char* digits = p;
  uint64_t value = 0;
  while (p < end && *p >= '0' && *p <= '9') value = value * 10 + uint64_t(*p++ - '0');
  const std::size_t count = std::size_t(p - digits);
  if (count == 0 || count > 18 || (count > 1 && *digits == '0')) return false;
  if (p < end && *p != ',' && *p != '}' && !json_space(*p)) return false;
  out = negative ? -int64_t(value) : int64_t(value);
  return true;
}

}  // namespace

CommandDecoder::Direct CommandDecoder::collect_direct(const char* text, std::size_t length,
                                                      Fields& fields) {
  const char* p = text;
  const char* const end = text + length;
  auto skip_space = [&] {
    while (p < end && json_space(*p)) ++p;
  };
  // True, and past it, when the next character other than whitespace is `c` (the character
  // itself is looked at first: clients rarely send whitespace).
  auto at = [&](char c) {
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    skip_space();
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  };
  if (!at('{')) return Direct::undecided;
  bool repeated = false;
  if (!at('}')) {
    for (;;) {
      std::string_view key;
      if (!at('"')) return Direct::undecided;
      if (!plain_string(p, end, key)) return Direct::undecided;
      if (!at(':')) return Direct::undecided;
      skip_space();
      if (p == end) return Direct::undecided;
      Value value;
      if (*p == '"') {
        ++p;
        value.kind = Value::Kind::string;
        if (!plain_string(p, end, value.text)) return Direct::undecided;
      } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
        value.kind = Value::Kind::int64;
        if (!plain_integer(p, end, value.int64)) return Direct::undecided;
      } else {
        return Direct::undecided;  // objects, arrays, literals: simdjson reads them
      }
      if (!note_key(key, value, fields)) repeated = true;
      if (at(',')) continue;
      if (at('}')) break;
      return Direct::undecided;
    }
  }
  skip_space();
  if (p != end) return Direct::undecided;
  // The text is a valid JSON object: a repeated key makes it none for the exchange.
  if (repeated) {
    problem_ = ShapeProblem::duplicate_key;
    return Direct::not_an_object;
  }
  if (keys_.size() > 1) {
    std::sort(keys_.begin(), keys_.end());
    const auto twice = std::adjacent_find(keys_.begin(), keys_.end());
    if (twice != keys_.end()) {
      problem_key_.assign(*twice);
      return Direct::not_an_object;
    }
  }
  return Direct::object;
}

bool CommandDecoder::collect(const char* text, std::size_t length, Fields& fields) {
  if (length > command_bytes_max) {
    problem_ = ShapeProblem::too_long;
    return false;
  }
  keys_.clear();  // keys the spec does not name, checked for repeats among themselves
  if (path_ == JsonPath::direct_then_simdjson) {
    const Direct direct = collect_direct(text, length, fields);
    if (direct != Direct::undecided) {
      ++direct_count_;
      if (direct == Direct::not_an_object) problem_ = ShapeProblem::duplicate_key;
      return direct == Direct::object;
    }
    fields = Fields{};
    keys_.clear();
    problem_key_.clear();
  }
  element root;
  if (const auto error = parser_.parse(text, length, false).get(root); error != simdjson::SUCCESS) {
    problem_ = ShapeProblem::not_json;
    problem_key_ = simdjson::error_message(error);
    return false;
  }
  object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    problem_ = ShapeProblem::not_an_object;
    return false;
  }
  // One pass over the keys: a repeated key makes the text no JSON object for the exchange.
  problem_ = ShapeProblem::duplicate_key;
  for (auto entry : object) {
    Value value = Value::of(entry.value);
    if (value.kind == Value::Kind::other && entry.value.is_array() &&
        field_named(entry.key) == Field::green_profile) {
      value = read_profile(entry.value);
    }
    if (!note_key(entry.key, value, fields)) return false;
  }
  if (keys_.size() > 1) {
    std::sort(keys_.begin(), keys_.end());
    const auto twice = std::adjacent_find(keys_.begin(), keys_.end());
    if (twice != keys_.end()) {
      problem_key_.assign(*twice);
      return false;
    }
  }
  problem_ = ShapeProblem::none;
  return true;
}

}  // namespace cpx
