#include "cpx/engine/command_json.hpp"

#include <algorithm>

#include "cpx/engine/decimal.hpp"

namespace cpx {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

bool string_of(element value, std::string_view& out) {
  return value.get_string().get(out) == simdjson::SUCCESS;
}

// A decimal given as a JSON string or a JSON integer, 0 < value <= value_max.
bool positive_decimal(element value, int frac_digits, int128 value_max, int128& out) {
  std::optional<int128> parsed;
  switch (value.type()) {
    case element_type::STRING:
      parsed = parse_decimal(value.get_string().value_unsafe(), frac_digits, value_max);
      break;
    case element_type::INT64: {
      const int64_t whole = value.get_int64().value_unsafe();
      if (whole > 0) parsed = scale_integer(uint64_t(whole), frac_digits, value_max);
      break;
    }
    case element_type::UINT64:
      parsed = scale_integer(value.get_uint64().value_unsafe(), frac_digits, value_max);
      break;
    default:
      break;
  }
  if (!parsed || *parsed <= 0) return false;
  out = *parsed;
  return true;
}

// A JSON integer (not a string, not a number with a fraction) within [low, high].
bool integer_in(element value, int64_t low, int64_t high, int64_t& out) {
  if (value.type() != element_type::INT64 && value.type() != element_type::UINT64) return false;
  int64_t whole;
  if (value.get_int64().get(whole) != simdjson::SUCCESS) return false;
  if (whole < low || whole > high) return false;
  out = whole;
  return true;
}

bool op_of(std::string_view text, Op& op) {
  if (text == "new")
    op = Op::new_order;
  else if (text == "cancel")
    op = Op::cancel;
  else if (text == "amend")
    op = Op::amend;
  else if (text == "deposit")
    op = Op::deposit;
  else if (text == "account")
    op = Op::account;
  else
    return false;
  return true;
}

bool role_of(std::string_view text, Role& role) {
  if (text == "enterprise")
    role = Role::enterprise;
  else if (text == "provider")
    role = Role::provider;
  else if (text == "auditor")
    role = Role::auditor;
  else if (text == "operator")
    role = Role::operator_;
  else
    return false;
  return true;
}

bool tif_of(std::string_view text, Tif& tif) {
  if (text == "GTC")
    tif = Tif::gtc;
  else if (text == "IOC")
    tif = Tif::ioc;
  else if (text == "FOK")
    tif = Tif::fok;
  else
    return false;
  return true;
}

bool urgency_of(std::string_view text, Urgency& urgency) {
  if (text == "urgent")
    urgency = Urgency::urgent;
  else if (text == "standard")
    urgency = Urgency::standard;
  else if (text == "batch")
    urgency = Urgency::batch;
  else
    return false;
  return true;
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

Field field_named(std::string_view key) {
  static constexpr std::string_view names[] = {
      "op",     "account",        "client_order_id", "role",      "amount",
      "side",   "chip",           "origin",          "region",    "qty",
      "price",  "max_latency_ms", "min_green_pct",   "green_pct", "tif",
      "urgency"};
  for (uint8_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
    if (names[i].size() == key.size() && names[i] == key) return Field(i);
  }
  return Field::unknown;
}

}  // namespace

struct CommandDecoder::Fields {
  element values[16];
  uint32_t present = 0;
  bool has(Field f) const { return (present >> unsigned(f) & 1) != 0; }
  bool get(Field f, element& out) const {
    if (!has(f)) return false;
    out = values[unsigned(f)];
    return true;
  }
};

CommandDecoder::CommandDecoder(const Config& config) : config_(config), parser_(command_bytes_max) {
  keys_.reserve(64);
}

bool CommandDecoder::collect(const char* text, std::size_t length, Fields& fields) {
  if (length > command_bytes_max) return false;
  element root;
  if (parser_.parse(text, length, false).get(root) != simdjson::SUCCESS) return false;
  object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return false;
  // One pass over the keys: a repeated key makes the text no JSON object for the exchange.
  keys_.clear();  // keys the spec does not name, checked for repeats among themselves
  for (auto entry : object) {
    const Field f = field_named(entry.key);
    if (f == Field::unknown) {
      keys_.push_back(entry.key);
      continue;
    }
    if (fields.has(f)) return false;
    fields.present |= uint32_t(1) << unsigned(f);
    fields.values[unsigned(f)] = entry.value;
  }
  if (keys_.size() > 1) {
    std::sort(keys_.begin(), keys_.end());
    if (std::adjacent_find(keys_.begin(), keys_.end()) != keys_.end()) return false;
  }
  return true;
}

Command CommandDecoder::decode(const char* text, std::size_t length) {
  Command command;
  command.shape_reason = Reason::bad_request;
  Fields fields;
  if (collect(text, length, fields)) decode_object(fields, command, nullptr);
  return command;
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
  element value;
  std::string_view text;
  bool account_valid;
  if (context && !context->account.empty()) {
    account_valid = is_valid_id(context->account);
    if (account_valid) command.account = context->account;
  } else {
    const bool has_account = fields.get(Field::account, value);
    account_valid = has_account && string_of(value, text) && is_valid_id(text);
    if (account_valid) command.account = text;
  }
  bool client_order_id_valid;
  if (context && !context->client_order_id.empty()) {
    client_order_id_valid = is_valid_id(context->client_order_id);
    if (client_order_id_valid) command.set_client_order_id(context->client_order_id);
  } else {
    const bool has_client_order_id = fields.get(Field::client_order_id, value);
    client_order_id_valid = has_client_order_id && string_of(value, text) && is_valid_id(text);
    if (client_order_id_valid) command.set_client_order_id(text);
  }

  if (context) {
    command.op = context->op;
  } else if (!fields.get(Field::op, value) || !string_of(value, text) ||
             !op_of(text, command.op)) {
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
        text = context->default_side == Side::bid ? "bid" : "ask";
      } else if (!string_of(value, text)) {
        return;
      }
      if (text == "bid")
        command.side = Side::bid;
      else if (text == "ask")
        command.side = Side::ask;
      else
        return;
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
      element qty;
      element price;
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
  element value;
  std::string_view text;
  // Field checks in the spec's order: chip, region, qty, price, latency, green, tif, urgency.
  fields.get(Field::chip, value);
  std::optional<uint32_t> chip;
  if (string_of(value, text)) chip = config_.find_chip(text);
  if (chip)
    command.chip = uint16_t(*chip);
  else
    fail_field(command, Reason::unknown_chip);

  fields.get(bid ? Field::origin : Field::region, value);
  std::optional<uint32_t> region;
  if (string_of(value, text)) region = config_.find_region(text);
  if (region)
    command.region = uint16_t(*region);
  else
    fail_field(command, Reason::unknown_region);

  int128 scaled;
  fields.get(Field::qty, value);
  if (positive_decimal(value, qty_frac_digits, qty_milli_max, scaled))
    command.qty_milli = int64_t(scaled);
  else
    fail_field(command, Reason::bad_qty);
  command.has_qty = true;

  fields.get(Field::price, value);
  if (positive_decimal(value, price_frac_digits, price_ticks_max, scaled)) {
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
