// The decoder's inside, shared by its parts: command_json.cpp (fields to a Command),
// json_reader.cpp (text to fields: the direct reader, then simdjson) and shape_message.cpp.
#pragma once

#include <simdjson.h>

#include <cstring>
#include <string_view>

#include "cpx/codec/command_json.hpp"

namespace cpx {

// Plain data without initializers, so that a decode's 16 slots cost nothing until a field
// fills one (Fields::present says which).
struct CommandDecoder::Value {
  // profile: a green_profile array, read by the simdjson path into the decoder (boolean: whether
  // it is 24 integers 0-100).
  enum class Kind : uint8_t { string, int64, uint64, boolean, profile, other };
  Kind kind;
  std::string_view text;  // string
  union {
    int64_t int64;    // int64
    uint64_t uint64;  // uint64 (above INT64_MAX)
    bool boolean;     // boolean
  };

  static Value of(simdjson::dom::element value) {
    Value out;
    out.kind = Kind::other;
    switch (value.type()) {
      case simdjson::dom::element_type::STRING:
        out.kind = Kind::string;
        out.text = value.get_string().value_unsafe();
        break;
      case simdjson::dom::element_type::INT64:
        out.kind = Kind::int64;
        out.int64 = value.get_int64().value_unsafe();
        break;
      case simdjson::dom::element_type::UINT64:
        out.kind = Kind::uint64;
        out.uint64 = value.get_uint64().value_unsafe();
        break;
      case simdjson::dom::element_type::BOOL:
        out.kind = Kind::boolean;
        out.boolean = value.get_bool().value_unsafe();
        break;
      default:
        break;
    }
    return out;
  }
};

// The fields the spec names, found in one pass over the object.
enum class CommandDecoder::Field : uint8_t {
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
  post_only,  // the gateway's only
  // docs/delivery.md
  delivery,
  site,
  time_ms,
  capacity_pflops,
  green_profile,
  status,
  trade_id,
  unknown
};

namespace decoder_detail {

using Field = CommandDecoder::Field;

// True when text is the literal (a comparison of known length, expanded inline).
template <std::size_t N>
inline bool is(std::string_view text, const char (&literal)[N]) {
  return text.size() == N - 1 && std::memcmp(text.data(), literal, N - 1) == 0;
}

// The fields' names, in the enum's order.
inline constexpr std::string_view field_names[] = {"op",
                                                   "account",
                                                   "client_order_id",
                                                   "role",
                                                   "amount",
                                                   "side",
                                                   "chip",
                                                   "origin",
                                                   "region",
                                                   "qty",
                                                   "price",
                                                   "max_latency_ms",
                                                   "min_green_pct",
                                                   "green_pct",
                                                   "tif",
                                                   "urgency",
                                                   "post_only",
                                                   "delivery",
                                                   "site",
                                                   "time_ms",
                                                   "capacity_pflops",
                                                   "green_profile",
                                                   "status",
                                                   "trade_id",
                                                   "?"};
static_assert(std::size(field_names) == std::size_t(Field::unknown) + 1);

// The field a key names: its length, first letter and last letter but one tell the candidate
// (no two names share all three), one comparison of known length confirms it.
inline Field field_named(std::string_view key) {
  if (key.size() < 2) return Field::unknown;
  const auto letter = [](char c) { return std::size_t(static_cast<unsigned char>(c)); };
  switch (key.size() << 16 | letter(key[0]) << 8 | letter(key[key.size() - 2])) {
#define CPX_FIELD(text, field)                                                                     \
  case (sizeof(text) - 1) << 16 | std::size_t(text[0]) << 8 | std::size_t(text[sizeof(text) - 3]): \
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
    CPX_FIELD("post_only", post_only)
    CPX_FIELD("delivery", delivery)
    CPX_FIELD("site", site)
    CPX_FIELD("time_ms", time_ms)
    CPX_FIELD("capacity_pflops", capacity_pflops)
    CPX_FIELD("green_profile", green_profile)
    CPX_FIELD("status", status)
    CPX_FIELD("trade_id", trade_id)
#undef CPX_FIELD
    default:
      return Field::unknown;
  }
}

}  // namespace decoder_detail

struct CommandDecoder::Fields {
  Value values[std::size_t(Field::unknown)];
  uint32_t present = 0;
  bool has(decoder_detail::Field f) const { return (present >> unsigned(f) & 1) != 0; }
  bool get(decoder_detail::Field f, Value& out) const {
    if (!has(f)) return false;
    out = values[unsigned(f)];
    return true;
  }
};

}  // namespace cpx
