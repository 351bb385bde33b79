#include "cpx/codec/command_json.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cpx/base/decimal.hpp"
#include "cpx/engine/wire_names.hpp"

namespace cpx {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

using Value = CommandDecoder::Value;

}  // namespace

// Plain data without initializers, so that a decode's 16 slots cost nothing until a field
// fills one (Fields::present says which).
struct CommandDecoder::Value {
  enum class Kind : uint8_t { string, int64, uint64, other };
  Kind kind;
  std::string_view text;  // string
  union {
    int64_t int64;    // int64
    uint64_t uint64;  // uint64 (above INT64_MAX)
  };

  static Value of(element value) {
    Value out;
    out.kind = Kind::other;
    switch (value.type()) {
      case element_type::STRING:
        out.kind = Kind::string;
        out.text = value.get_string().value_unsafe();
        break;
      case element_type::INT64:
        out.kind = Kind::int64;
        out.int64 = value.get_int64().value_unsafe();
        break;
      case element_type::UINT64:
        out.kind = Kind::uint64;
        out.uint64 = value.get_uint64().value_unsafe();
        break;
      default:
        break;
    }
    return out;
  }
};

namespace {

bool string_of(const Value& value, std::string_view& out) {
  if (value.kind != Value::Kind::string) return false;
  out = value.text;
  return true;
}

// A decimal given as a JSON string or a JSON integer, 0 < value <= value_max.
bool positive_decimal(const Value& value, int frac_digits, int128 value_max, int128& out) {
  std::optional<int128> parsed;
  switch (value.kind) {
    case Value::Kind::string:
      parsed = parse_decimal(value.text, frac_digits, value_max);
      break;
    case Value::Kind::int64:
      if (value.int64 > 0) parsed = scale_integer(uint64_t(value.int64), frac_digits, value_max);
      break;
    case Value::Kind::uint64:
      parsed = scale_integer(value.uint64, frac_digits, value_max);
      break;
    default:
      break;
  }
  if (!parsed || *parsed <= 0) return false;
  out = *parsed;
  return true;
}

// A JSON integer (not a string, not a number with a fraction) within [low, high].
bool integer_in(const Value& value, int64_t low, int64_t high, int64_t& out) {
  if (value.kind != Value::Kind::int64) return false;  // a uint64 is above every high
  if (value.int64 < low || value.int64 > high) return false;
  out = value.int64;
  return true;
}

// True when text is the literal (a comparison of known length, expanded inline).
template <std::size_t N>
inline bool is(std::string_view text, const char (&literal)[N]) {
  return text.size() == N - 1 && std::memcmp(text.data(), literal, N - 1) == 0;
}

bool op_of(std::string_view text, Op& op) {
  return parse_name(op_names, text, op);
}
bool role_of(std::string_view text, Role& role) {
  return parse_name(role_names, text, role);
}
bool tif_of(std::string_view text, Tif& tif) {
  return parse_name(tif_names, text, tif);
}
bool urgency_of(std::string_view text, Urgency& urgency) {
  return parse_name(urgency_names, text, urgency);
}

void fail_field(Command& command, Reason reason) {
  if (command.field_reason == Reason::none) command.field_reason = reason;
}

// The fields the spec names, found in one pass over the object.
enum class Field : uint8_t {
  op,
  account,
  client_order_id,
  role,
  amount,
  side,
  chip,
  origin,
  region,
  qty,
  price,
  max_latency_ms,
  min_green_pct,
  green_pct,
  tif,
  urgency,
  unknown
};

// The field a key names: its length and first letter tell the candidate (no two names share
// both), one comparison of known length confirms it.
Field field_named(std::string_view key) {
  if (key.empty()) return Field::unknown;
  switch (key.size() << 8 | static_cast<unsigned char>(key[0])) {
#define CPX_FIELD(text, field)            \
  case (sizeof(text) - 1) << 8 | text[0]: \
    return is(key, text) ? Field::field : Field::unknown;
    CPX_FIELD("op", op)
    CPX_FIELD("account", account)
    CPX_FIELD("client_order_id", client_order_id)
    CPX_FIELD("role", role)
    CPX_FIELD("amount", amount)
    CPX_FIELD("side", side)
    CPX_FIELD("chip", chip)
    CPX_FIELD("origin", origin)
    CPX_FIELD("region", region)
    CPX_FIELD("qty", qty)
    CPX_FIELD("price", price)
    CPX_FIELD("max_latency_ms", max_latency_ms)
    CPX_FIELD("min_green_pct", min_green_pct)
    CPX_FIELD("green_pct", green_pct)
    CPX_FIELD("tif", tif)
    CPX_FIELD("urgency", urgency)
#undef CPX_FIELD
    default:
      return Field::unknown;
  }
}

}  // namespace

struct CommandDecoder::Fields {
  Value values[16];
  uint32_t present = 0;
  bool has(Field f) const { return (present >> unsigned(f) & 1) != 0; }
  bool get(Field f, Value& out) const {
    if (!has(f)) return false;
    out = values[unsigned(f)];
    return true;
  }
};

template <class Item>
CommandDecoder::IdIndex::IdIndex(const std::vector<Item>& items) {
  std::size_t size = 16;
  while (size < 4 * items.size()) size *= 2;
  slots_.assign(size, 0);
  mask_ = uint32_t(size - 1);
  for (uint32_t i = 0; i < items.size(); ++i) {
    // The config refuses empty and repeated ids anyway.
    if (items[i].id.empty() || find(items, items[i].id)) continue;
    uint32_t slot = hash(items[i].id) & mask_;
    while (slots_[slot] != 0) slot = (slot + 1) & mask_;
    slots_[slot] = i + 1;
  }
}

uint32_t CommandDecoder::IdIndex::hash(std::string_view id) {
  const auto byte = [&](std::size_t i) { return uint32_t(static_cast<unsigned char>(id[i])); };
  const uint32_t key =
      uint32_t(id.size()) | byte(0) << 8 | byte(id.size() > 1) << 16 | byte(id.size() - 1) << 24;
  return (key * 0x9E3779B1u) >> 16;
}

template <class Item>
std::optional<uint32_t> CommandDecoder::IdIndex::find(const std::vector<Item>& items,
                                                      std::string_view id) const {
  if (id.empty()) return std::nullopt;
  for (uint32_t slot = hash(id) & mask_;; slot = (slot + 1) & mask_) {
    const uint32_t entry = slots_[slot];
    if (entry == 0) return std::nullopt;
    if (items[entry - 1].id == id) return entry - 1;
  }
}

CommandDecoder::CommandDecoder(const Config& config, JsonPath path)
    : config_(config),
      chips_(config.chips),
      regions_(config.regions),
      path_(path),
      parser_(command_bytes_max) {
  keys_.reserve(64);
}

// Records one member; false when a key the spec names comes twice.
bool CommandDecoder::note_key(std::string_view key, const Value& value, Fields& fields) {
  const Field f = field_named(key);
  if (f == Field::unknown) {
    keys_.push_back(key);
    return true;
  }
  if (fields.has(f)) return false;
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
  if (repeated) return Direct::not_an_object;
  if (keys_.size() > 1) {
    std::sort(keys_.begin(), keys_.end());
    if (std::adjacent_find(keys_.begin(), keys_.end()) != keys_.end()) {
      return Direct::not_an_object;
    }
  }
  return Direct::object;
}

bool CommandDecoder::collect(const char* text, std::size_t length, Fields& fields) {
  if (length > command_bytes_max) return false;
  keys_.clear();  // keys the spec does not name, checked for repeats among themselves
  if (path_ == JsonPath::direct_then_simdjson) {
    const Direct direct = collect_direct(text, length, fields);
    if (direct != Direct::undecided) {
      ++direct_count_;
      return direct == Direct::object;
    }
    fields = Fields{};
    keys_.clear();
  }
  element root;
  if (parser_.parse(text, length, false).get(root) != simdjson::SUCCESS) return false;
  object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return false;
  // One pass over the keys: a repeated key makes the text no JSON object for the exchange.
  for (auto entry : object) {
    if (!note_key(entry.key, Value::of(entry.value), fields)) return false;
  }
  if (keys_.size() > 1) {
    std::sort(keys_.begin(), keys_.end());
    if (std::adjacent_find(keys_.begin(), keys_.end()) != keys_.end()) return false;
  }
  return true;
}

Command CommandDecoder::decode(const char* text, std::size_t length) {
  Command command;
  decode_into(text, length, command);
  return command;
}

void CommandDecoder::decode_into(const char* text, std::size_t length, Command& command) {
  command = Command{};
  command.shape_reason = Reason::bad_request;
  Fields fields;
  if (collect(text, length, fields)) decode_object(fields, command, nullptr);
}

Command CommandDecoder::decode(const char* text, std::size_t length,
                               const RequestContext& context) {
  Command command;
  command.shape_reason = Reason::bad_request;
  Fields fields;
  if (length == 0 || collect(text, length, fields)) decode_object(fields, command, &context);
  return command;
}

void CommandDecoder::decode_object(const Fields& fields, Command& command,
                                   const RequestContext* context) {
  Value value;
  std::string_view text;
  bool account_valid;
  if (context && !context->account.empty()) {
    account_valid = is_valid_id(context->account);
    if (account_valid) command.account = context->account;
  } else {
    const bool has_account = fields.get(Field::account, value);
    account_valid = has_account && string_of(value, text) && is_valid_id(text);
    if (account_valid) {
      std::memcpy(account_, text.data(), text.size());
      command.account = std::string_view(account_, text.size());
    }
  }
  bool client_order_id_valid;
  if (context && !context->client_order_id.empty()) {
    client_order_id_valid = is_valid_id(context->client_order_id);
    if (client_order_id_valid) command.set_client_order_id(context->client_order_id);
  } else {
    const bool has_client_order_id = fields.get(Field::client_order_id, value);
    client_order_id_valid = has_client_order_id && string_of(value, text) && is_valid_id(text);
    if (client_order_id_valid) {
      std::memcpy(client_order_id_, text.data(), text.size());
      command.set_client_order_id(std::string_view(client_order_id_, text.size()));
    }
  }

  if (context) {
    command.op = context->op;
  } else if (!fields.get(Field::op, value) || !string_of(value, text) || !op_of(text, command.op)) {
    return;
  }
  if (!account_valid) return;
  switch (command.op) {
    case Op::account:
      if (!fields.get(Field::role, value) || !string_of(value, text) ||
          !role_of(text, command.role)) {
        return;
      }
      break;
    case Op::deposit: {
      if (!fields.get(Field::amount, value)) return;
      int128 amount;
      if (positive_decimal(value, amount_frac_digits, amount_e7_max, amount)) {
        command.amount_e7 = amount;
      } else {
        fail_field(command, Reason::bad_amount);
      }
      break;
    }
    case Op::new_order: {
      if (!client_order_id_valid) return;
      if (!fields.get(Field::side, value)) {
        if (!context) return;
        text = to_string(context->default_side);
      } else if (!string_of(value, text)) {
        return;
      }
      if (!parse_name(side_names, text, command.side)) return;
      const Field where = command.side == Side::bid ? Field::origin : Field::region;
      if (!fields.has(Field::chip) || !fields.has(Field::qty) || !fields.has(Field::price) ||
          !fields.has(where)) {
        return;
      }
      decode_order_fields(fields, command);
      break;
    }
    case Op::cancel:
      if (!client_order_id_valid) return;
      break;
    case Op::amend: {
      if (!client_order_id_valid) return;
      Value qty;
      Value price;
      command.has_qty = fields.get(Field::qty, qty);
      command.has_price = fields.get(Field::price, price);
      if (!command.has_qty && !command.has_price) return;
      int128 scaled;
      if (command.has_qty) {
        if (positive_decimal(qty, qty_frac_digits, qty_milli_max, scaled)) {
          command.qty_milli = int64_t(scaled);
        } else {
          fail_field(command, Reason::bad_qty);
        }
      }
      if (command.has_price) {
        if (positive_decimal(price, price_frac_digits, price_ticks_max, scaled)) {
          command.price_ticks = int64_t(scaled);
        } else {
          fail_field(command, Reason::bad_price);
        }
      }
      break;
    }
  }
  command.shape_reason = Reason::none;
}

void CommandDecoder::decode_order_fields(const Fields& fields, Command& command) {
  const bool bid = command.side == Side::bid;
  Value value;
  std::string_view text;
  // Field checks in the spec's order: chip, region, qty, price, latency, green, tif, urgency.
  std::optional<uint32_t> chip;
  if (fields.get(Field::chip, value) && string_of(value, text))
    chip = chips_.find(config_.chips, text);
  if (chip)
    command.chip = uint16_t(*chip);
  else
    fail_field(command, Reason::unknown_chip);

  std::optional<uint32_t> region;
  if (fields.get(bid ? Field::origin : Field::region, value) && string_of(value, text)) {
    region = regions_.find(config_.regions, text);
  }
  if (region)
    command.region = uint16_t(*region);
  else
    fail_field(command, Reason::unknown_region);

  int128 scaled;
  if (fields.get(Field::qty, value) &&
      positive_decimal(value, qty_frac_digits, qty_milli_max, scaled))
    command.qty_milli = int64_t(scaled);
  else
    fail_field(command, Reason::bad_qty);
  command.has_qty = true;

  if (fields.get(Field::price, value) &&
      positive_decimal(value, price_frac_digits, price_ticks_max, scaled)) {
    command.price_ticks = int64_t(scaled);
  } else {
    fail_field(command, Reason::bad_price);
  }
  command.has_price = true;

  int64_t whole;
  if (bid && fields.get(Field::max_latency_ms, value)) {
    if (integer_in(value, 1, latency_ms_max, whole)) {
      command.has_latency_max = true;
      command.latency_ms_max = uint16_t(whole);
    } else {
      fail_field(command, Reason::bad_latency);
    }
  }
  if (fields.get(bid ? Field::min_green_pct : Field::green_pct, value)) {
    if (integer_in(value, 0, green_pct_max, whole))
      command.green_pct = uint8_t(whole);
    else
      fail_field(command, Reason::bad_green);
  }
  if (fields.get(Field::tif, value)) {
    if (!string_of(value, text) || !tif_of(text, command.tif)) fail_field(command, Reason::bad_tif);
  }
  if (bid && fields.get(Field::urgency, value)) {
    if (!string_of(value, text) || !urgency_of(text, command.urgency)) {
      fail_field(command, Reason::bad_urgency);
    }
  }
}

}  // namespace cpx
