// Event -> one JSON line, exactly in the form of the spec's "Events" section. Renders into a
// std::string or an OutputBuffer; room for a whole line is reserved once per event.
#pragma once

#include <string>
#include <string_view>

#include "cpx/base/decimal.hpp"
#include "cpx/base/output_buffer.hpp"
#include "cpx/base/utc_hour.hpp"
#include "cpx/engine/command.hpp"
#include "cpx/engine/event.hpp"

namespace cpx {

// Longest event line: a trade names four ids of 64 characters, a chip and a region (config ids,
// 64 at most) and two decimals; the rest is under 200 bytes.
inline constexpr std::size_t event_json_bytes_max = 1024;

namespace detail {

inline void reserve_line(std::string& out) {
  out.reserve(out.size() + event_json_bytes_max);
}
inline void reserve_line(OutputBuffer& out) {
  out.reserve(event_json_bytes_max);
}

template <class Out>
void put(Out& out, std::string_view text) {
  out.append(text.data(), text.size());
}

template <class Out>
void put_uint(Out& out, uint64_t value) {
  char digits[24];
  out.append(digits, write_uint(digits, value));
}
// An OutputBuffer has the room reserved: the digits go straight in.
inline void put_uint(OutputBuffer& out, uint64_t value) {
  out.advance(write_uint(out.tail(), value));
}

template <class Out>
void put_decimal(Out& out, int128 scaled, int frac_digits) {
  char text[decimal_chars_max];
  out.append(text, decimal_to_chars(text, scaled, frac_digits));
}
inline void put_decimal(OutputBuffer& out, int128 scaled, int frac_digits) {
  out.advance(decimal_to_chars(out.tail(), scaled, frac_digits));
}

// ,"name":"text", with `prefix` the literal ,"name":" (its length known when compiling) — ids
// are [A-Za-z0-9._:-] (checked on input and in the config), so nothing needs escaping.
template <class Out, std::size_t N>
[[gnu::always_inline]] inline void put_field(Out& out, const char (&prefix)[N],
                                             std::string_view text) {
  out.append(prefix, N - 1);
  put(out, text);
  out.push_back('"');
}

template <class Out, class Names>
void put_order_ref(Out& out, const Names& names, uint32_t key) {
  put_field(out, ",\"account\":\"", names.key_account_name(key));
  put_field(out, ",\"client_order_id\":\"", names.key_client_order_id(key));
}

template <class Out, class Names>
void put_party(Out& out, const Names& names, uint32_t key) {
  put(out, "{\"account\":\"");
  put(out, names.key_account_name(key));
  put(out, "\",\"client_order_id\":\"");
  put(out, names.key_client_order_id(key));
  put(out, "\"}");
}

}  // namespace detail

// Names resolves keys, chips and regions to text: the Engine and the reference matcher both do.
template <class Out, class Names>
void append_event_json(Out& out, const Event& event, const Command& command, const Names& names) {
  using namespace detail;
  reserve_line(out);
  put(out, "{\"seq\":");
  put_uint(out, event.seq);
  switch (event.type) {
    case EventType::ok:
      put(out, ",\"type\":\"ok\"");
      break;
    case EventType::rejected:
      put(out, ",\"type\":\"rejected\"");
      if (!command.account.empty()) put_field(out, ",\"account\":\"", command.account);
      if (!command.client_order_id.empty()) {
        put_field(out, ",\"client_order_id\":\"", command.client_order_id);
      }
      put_field(out, ",\"reason\":\"", to_string(event.reason));
      break;
    case EventType::accepted:
      put(out, ",\"type\":\"accepted\"");
      put_order_ref(out, names, event.order_key);
      put(out, ",\"order_id\":");
      put_uint(out, event.id);
      break;
    case EventType::amended:
      put(out, ",\"type\":\"amended\"");
      put_order_ref(out, names, event.order_key);
      put(out, ",\"qty\":\"");
      put_decimal(out, event.qty_milli, qty_frac_digits);
      put(out, "\",\"price\":\"");
      put_decimal(out, event.price_ticks, price_frac_digits);
      out.push_back('"');
      break;
    case EventType::done:
      put(out, ",\"type\":\"done\"");
      put_order_ref(out, names, event.order_key);
      put_field(out, ",\"reason\":\"", to_string(event.done_reason));
      break;
    case EventType::contract: {  // docs/delivery.md
      put(out, ",\"type\":\"contract\",\"trade_id\":");
      put_uint(out, event.id);
      put_field(out, ",\"status\":\"", to_string(event.contract_status));
      if (event.contract_status == ContractStatus::reported) {
        put(out, ",\"delivered\":\"");
        put_decimal(out, event.qty_milli, qty_frac_digits);
        out.push_back('"');
      } else if (event.contract_status == ContractStatus::settled) {
        const auto& contract = *names.find_contract(event.id);
        put(out, ",\"delivered\":\"");
        put_decimal(out, contract.delivered_milli, qty_frac_digits);
        put(out, "\",\"paid\":\"");
        put_decimal(out, contract.paid_e7, amount_frac_digits);
        put(out, "\",\"refunded\":\"");
        put_decimal(out, contract.refunded_e7, amount_frac_digits);
        put(out, "\",\"penalty\":\"");
        put_decimal(out, contract.penalty_e7, amount_frac_digits);
        out.push_back('"');
      }
      break;
    }
    case EventType::trade:
      put(out, ",\"type\":\"trade\",\"trade_id\":");
      put_uint(out, event.id);
      put_field(out, ",\"chip\":\"", names.chip_id(names.book_chip(event.book)));
      if (const int64_t delivery = names.book_delivery_ms(event.book); delivery != 0) {
        put_field(out, ",\"delivery\":\"", format_utc_hour(delivery));  // docs/delivery.md
        put_field(out, ",\"site\":\"", names.key_site_id(event.ask_key));
      }
      put_field(out, ",\"region\":\"", names.region_id(event.region));
      put(out, ",\"price\":\"");
      put_decimal(out, event.price_ticks, price_frac_digits);
      put(out, "\",\"qty\":\"");
      put_decimal(out, event.qty_milli, qty_frac_digits);
      out.push_back('"');
      put_field(out, ",\"aggressor\":\"", to_string(event.aggressor));
      put(out, ",\"bid\":");
      put_party(out, names, event.order_key);
      put(out, ",\"ask\":");
      put_party(out, names, event.ask_key);
      break;
  }
  put(out, "}\n");
}

}  // namespace cpx
