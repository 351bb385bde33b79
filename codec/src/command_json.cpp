#include "cpx/codec/command_json.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "decoder_parts.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cpx/base/decimal.hpp"
#include "cpx/base/utc_hour.hpp"
#include "cpx/engine/wire_names.hpp"

namespace cpx {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

using Value = CommandDecoder::Value;
using namespace decoder_detail;

}  // namespace

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

}  // namespace

namespace {

using Field = CommandDecoder::Field;

}  // namespace

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

Command CommandDecoder::decode(const char* text, std::size_t length) {
  Command command;
  decode_into(text, length, command);
  return command;
}

void CommandDecoder::decode_into(const char* text, std::size_t length, Command& command) {
  command = Command{};
  command.shape_reason = Reason::bad_request;
  problem_ = ShapeProblem::none;
  problem_key_.clear();
  context_site_ = {};
  context_trade_id_ = 0;
  Fields fields;
  if (collect(text, length, fields)) decode_object(fields, command, nullptr);
}

Command CommandDecoder::decode(const char* text, std::size_t length,
                               const RequestContext& context) {
  Command command;
  command.shape_reason = Reason::bad_request;
  problem_ = ShapeProblem::none;
  problem_key_.clear();
  keys_.clear();
  context_site_ = context.site;
  context_trade_id_ = context.trade_id;
  Fields fields;
  if (length == 0 || collect(text, length, fields)) {
    if (!context.strict || (strict_keys(context) && strict_fields(context, fields))) {
      decode_object(fields, command, &context);
    }
  }
  return command;
}

bool CommandDecoder::read_id(const Fields& fields, Field field, std::string_view given, char* copy,
                             std::string_view& out) {
  if (!given.empty()) {
    out = given;
    return is_valid_id(given);
  }
  Value value;
  if (!fields.get(field, value) || !string_of(value, out) || !is_valid_id(out)) return false;
  // Copied, so that the command's id outlives the text it was read from.
  std::memcpy(copy, out.data(), out.size());
  out = std::string_view(copy, out.size());
  return true;
}

bool CommandDecoder::decode_new(const Fields& fields, Command& command,
                                const RequestContext* context) {
  Value value;
  std::string_view text;
  if (!fields.get(Field::side, value)) {
    if (!context) return (malformed(ShapeProblem::missing_field, Field::side), false);
    text = to_string(context->default_side);
  } else if (!string_of(value, text)) {
    return (malformed(ShapeProblem::bad_field, Field::side), false);
  }
  if (!parse_name(side_names, text, command.side)) {
    return (malformed(ShapeProblem::bad_field, Field::side), false);
  }
  const Field where = command.side == Side::bid ? Field::origin : Field::region;
  if (command.side == Side::ask && fields.get(Field::site, value)) {
    // An ask naming its site takes chip, region and green share from it (docs/delivery.md).
    std::string_view site;
    if (!string_of(value, site) || !is_valid_id(site)) {
      return (malformed(ShapeProblem::bad_field, Field::site), false);
    }
    std::memcpy(site_, site.data(), site.size());
    command.site = std::string_view(site_, site.size());
  }
  for (const Field required : {Field::chip, where, Field::qty, Field::price}) {
    if (!command.site.empty() && (required == Field::chip || required == where)) continue;
    if (!fields.has(required)) {
      return (malformed(ShapeProblem::missing_field, required, command.side), false);
    }
  }
  // post_only is the gateway's; the spec's stream ignores it like any field it does not use.
  if (context && fields.get(Field::post_only, value)) {
    if (value.kind != Value::Kind::boolean) {
      return (malformed(ShapeProblem::bad_field, Field::post_only), false);
    }
    command.post_only = value.boolean;
  }
  decode_order_fields(fields, command);
  decode_delivery(fields, command);
  return true;
}

void CommandDecoder::decode_delivery(const Fields& fields, Command& command) {
  Value value;
  if (!fields.get(Field::delivery, value)) return;
  // "2026-12-03T10:00Z", or ms since the epoch on an hour's start.
  std::optional<int64_t> ms;
  if (value.kind == Value::Kind::string) {
    ms = parse_utc_hour(value.text);
  } else if (value.kind == Value::Kind::int64 && value.int64 > 0 && value.int64 % hour_ms == 0) {
    ms = value.int64;
  }
  if (ms && *ms > 0) {
    command.delivery_ms = *ms;
  } else {
    fail_field(command, Reason::bad_delivery);
  }
}

bool CommandDecoder::decode_contract(const Fields& fields, Command& command) {
  Value value;
  if (context_trade_id_ != 0) {
    command.trade_id = context_trade_id_;
  } else if (!fields.get(Field::trade_id, value)) {
    return (malformed(ShapeProblem::missing_field, Field::trade_id), false);
  } else if (value.kind != Value::Kind::int64 || value.int64 <= 0) {
    return (malformed(ShapeProblem::bad_field, Field::trade_id), false);
  } else {
    command.trade_id = uint64_t(value.int64);
  }
  if (command.op == Op::dispute) return true;
  // A delivered quantity, reported or resolved: 0 <= qty (at most the contract's).
  if (!fields.get(Field::qty, value)) {
    return (malformed(ShapeProblem::missing_field, Field::qty), false);
  }
  std::optional<int128> qty;
  if (value.kind == Value::Kind::string) {
    qty = parse_decimal(value.text, qty_frac_digits, qty_milli_max);
  } else if (value.kind == Value::Kind::int64 && value.int64 >= 0) {
    qty = scale_integer(uint64_t(value.int64), qty_frac_digits, qty_milli_max);
  }
  command.has_qty = true;
  if (qty && *qty >= 0)
    command.qty_milli = int64_t(*qty);
  else
    fail_field(command, Reason::bad_qty);
  return true;
}

bool CommandDecoder::decode_tick(const Fields& fields, Command& command) {
  Value value;
  if (!fields.get(Field::time_ms, value)) {
    return (malformed(ShapeProblem::missing_field, Field::time_ms), false);
  }
  if (value.kind == Value::Kind::int64 && value.int64 >= 0) {
    command.time_ms = value.int64;
  } else {
    fail_field(command, Reason::bad_time);
  }
  return true;
}

bool CommandDecoder::decode_site(const Fields& fields, Command& command) {
  Value value;
  std::string_view text = context_site_;
  if (!text.empty()) {
    if (!is_valid_id(text)) return (malformed(ShapeProblem::bad_field, Field::site), false);
  } else if (!fields.get(Field::site, value)) {
    return (malformed(ShapeProblem::missing_field, Field::site), false);
  } else if (!string_of(value, text) || !is_valid_id(text)) {
    return (malformed(ShapeProblem::bad_field, Field::site), false);
  }
  std::memcpy(site_, text.data(), text.size());
  command.site = std::string_view(site_, text.size());
  if (fields.get(Field::status, value)) {
    if (!string_of(value, text) || !parse_name(site_status_names, text, command.site_status)) {
      return (malformed(ShapeProblem::bad_field, Field::status), false);
    }
    command.has_site_status = true;
  }
  // Field checks in this order: chip, region, capacity, green share, green profile.
  if (fields.get(Field::chip, value)) {
    std::optional<uint32_t> chip;
    if (string_of(value, text)) chip = chips_.find(config_.chips, text);
    command.has_chip = true;
    if (chip)
      command.chip = uint16_t(*chip);
    else
      fail_field(command, Reason::unknown_chip);
  }
  if (fields.get(Field::region, value)) {
    std::optional<uint32_t> region;
    if (string_of(value, text)) region = regions_.find(config_.regions, text);
    command.has_region = true;
    if (region)
      command.region = uint16_t(*region);
    else
      fail_field(command, Reason::unknown_region);
  }
  if (fields.get(Field::capacity_pflops, value)) {
    int128 scaled;
    command.has_qty = true;
    if (positive_decimal(value, qty_frac_digits, qty_milli_max, scaled))
      command.qty_milli = int64_t(scaled);
    else
      fail_field(command, Reason::bad_capacity);
  }
  int64_t whole;
  if (fields.get(Field::green_pct, value)) {
    command.has_green = true;
    if (integer_in(value, 0, green_pct_max, whole))
      command.green_pct = uint8_t(whole);
    else
      fail_field(command, Reason::bad_green);
  }
  if (fields.get(Field::green_profile, value)) {
    command.has_green_profile = true;
    if (value.kind == Value::Kind::profile && value.boolean)
      std::memcpy(command.green_profile, green_profile_, sizeof green_profile_);
    else
      fail_field(command, Reason::bad_green);
  }
  return true;
}

void CommandDecoder::decode_object(const Fields& fields, Command& command,
                                   const RequestContext* context) {
  Value value;
  std::string_view text;
  const bool account_valid =
      read_id(fields, Field::account, context ? context->account : "", account_, text);
  if (account_valid) command.account = text;
  const bool client_order_id_valid =
      read_id(fields, Field::client_order_id, context ? context->client_order_id : "",
              client_order_id_, text);
  if (client_order_id_valid) command.set_client_order_id(text);

  if (context) {
    command.op = context->op;
  } else if (!fields.get(Field::op, value)) {
    return malformed(ShapeProblem::missing_field, Field::op);
  } else if (!string_of(value, text) || !op_of(text, command.op)) {
    return malformed(ShapeProblem::unknown_op, Field::op);
  }
  problem_op_ = command.op;
  if (command.op == Op::tick) {  // the sequencer's clock: no account
    if (decode_tick(fields, command)) command.shape_reason = Reason::none;
    return;
  }
  if (!account_valid) {
    const bool given = (context && !context->account.empty()) || fields.has(Field::account);
    return malformed(given ? ShapeProblem::bad_field : ShapeProblem::missing_field, Field::account);
  }
  switch (command.op) {
    case Op::account:
      if (!fields.get(Field::role, value))
        return malformed(ShapeProblem::missing_field, Field::role);
      if (!string_of(value, text) || !role_of(text, command.role)) {
        return malformed(ShapeProblem::bad_field, Field::role);
      }
      break;
    case Op::delivery:
    case Op::dispute:
    case Op::resolve:
      if (!decode_contract(fields, command)) return;
      break;
    case Op::collateral:
    case Op::deposit: {
      if (!fields.get(Field::amount, value)) {
        return malformed(ShapeProblem::missing_field, Field::amount);
      }
      int128 amount;
      if (positive_decimal(value, amount_frac_digits, amount_e7_max, amount)) {
        command.amount_e7 = amount;
      } else {
        fail_field(command, Reason::bad_amount);
      }
      break;
    }
    case Op::new_order:
      if (!client_order_id_valid) return bad_client_order_id(fields, context);
      if (!decode_new(fields, command, context)) return;
      break;
    case Op::cancel:
      if (!client_order_id_valid) return bad_client_order_id(fields, context);
      break;
    case Op::tick:
      break;
    case Op::site:
      if (!decode_site(fields, command)) return;
      break;
    case Op::amend: {
      if (!client_order_id_valid) return bad_client_order_id(fields, context);
      Value qty;
      Value price;
      command.has_qty = fields.get(Field::qty, qty);
      command.has_price = fields.get(Field::price, price);
      if (!command.has_qty && !command.has_price) {
        return malformed(ShapeProblem::amend_without_change, Field::qty);
      }
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
  // An ask naming its site may leave out chip and region (decode_new let it).
  const bool from_site = !command.site.empty();
  std::optional<uint32_t> chip;
  command.has_chip = fields.get(Field::chip, value);
  if (command.has_chip && string_of(value, text)) chip = chips_.find(config_.chips, text);
  if (chip)
    command.chip = uint16_t(*chip);
  else if (command.has_chip || !from_site)
    fail_field(command, Reason::unknown_chip);

  std::optional<uint32_t> region;
  command.has_region = fields.get(bid ? Field::origin : Field::region, value);
  if (command.has_region && string_of(value, text)) {
    region = regions_.find(config_.regions, text);
  }
  if (region)
    command.region = uint16_t(*region);
  else if (command.has_region || !from_site)
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
    command.has_green = true;
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
