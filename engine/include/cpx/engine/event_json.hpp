// Event -> one JSON line, exactly in the form of the spec's "Events" section.
#pragma once

#include <charconv>
#include <string>
#include <string_view>

#include "cpx/engine/command.hpp"
#include "cpx/engine/decimal.hpp"
#include "cpx/engine/event.hpp"

namespace cpx {

namespace detail {

inline void append_uint(std::string& out, uint64_t value) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

inline void append_field(std::string& out, std::string_view name, std::string_view text) {
  // Ids are [A-Za-z0-9._:-] (checked on input and in the config), so nothing needs escaping.
  out += ",\"";
  out += name;
  out += "\":\"";
  out += text;
  out += '"';
}

template <class Names>
void append_order_ref(std::string& out, const Names& names, uint32_t key) {
  append_field(out, "account", names.key_account_name(key));
  append_field(out, "client_order_id", names.key_client_order_id(key));
}

}  // namespace detail

// Names resolves keys, chips and regions to text: the Engine and the reference matcher both do.
template <class Names>
void append_event_json(std::string& out, const Event& event, const Command& command,
                       const Names& names) {
  out += "{\"seq\":";
  detail::append_uint(out, event.seq);
  switch (event.type) {
    case EventType::ok:
      out += ",\"type\":\"ok\"";
      break;
    case EventType::rejected:
      out += ",\"type\":\"rejected\"";
      if (!command.account.empty()) detail::append_field(out, "account", command.account);
      if (!command.client_order_id.empty()) {
        detail::append_field(out, "client_order_id", command.client_order_id);
      }
      detail::append_field(out, "reason", to_string(event.reason));
      break;
    case EventType::accepted:
      out += ",\"type\":\"accepted\"";
      detail::append_order_ref(out, names, event.order_key);
      out += ",\"order_id\":";
      detail::append_uint(out, event.id);
      break;
    case EventType::amended:
      out += ",\"type\":\"amended\"";
      detail::append_order_ref(out, names, event.order_key);
      out += ",\"qty\":\"";
      append_decimal(out, event.qty_milli, qty_frac_digits);
      out += "\",\"price\":\"";
      append_decimal(out, event.price_ticks, price_frac_digits);
      out += '"';
      break;
    case EventType::done:
      out += ",\"type\":\"done\"";
      detail::append_order_ref(out, names, event.order_key);
      detail::append_field(out, "reason", to_string(event.done_reason));
      break;
    case EventType::trade:
      out += ",\"type\":\"trade\",\"trade_id\":";
      detail::append_uint(out, event.id);
      detail::append_field(out, "chip", names.chip_id(event.chip));
      detail::append_field(out, "region", names.region_id(event.region));
      out += ",\"price\":\"";
      append_decimal(out, event.price_ticks, price_frac_digits);
      out += "\",\"qty\":\"";
      append_decimal(out, event.qty_milli, qty_frac_digits);
      out += '"';
      detail::append_field(out, "aggressor", to_string(event.aggressor));
      out += ",\"bid\":{\"account\":\"";
      out += names.key_account_name(event.order_key);
      out += "\",\"client_order_id\":\"";
      out += names.key_client_order_id(event.order_key);
      out += "\"},\"ask\":{\"account\":\"";
      out += names.key_account_name(event.ask_key);
      out += "\",\"client_order_id\":\"";
      out += names.key_client_order_id(event.ask_key);
      out += "\"}";
      break;
  }
  out += "}\n";
}

}  // namespace cpx
