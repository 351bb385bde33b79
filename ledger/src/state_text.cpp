// The ledger state's text form (serialize, parse_state): a journal record, so a replay
// restores the state the server resumed from exactly as it did.
#include <stdexcept>

#include "cpx/base/decimal.hpp"
#include "cpx/engine/wire_names.hpp"
#include "cpx/ledger/rows.hpp"
#include "cpx/ledger/state.hpp"

namespace cpx::ledger {

Role role_of(std::string_view text) {
  Role role = Role::enterprise;  // what the ledger's rows hold is one of the names
  parse_name(role_names, text, role);
  return role;
}

namespace {

std::string int128_text(int128 value) {
  std::string out;
  append_int128(out, value);
  return out;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const std::size_t space = line.find(' ');
    out.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return out;
}

uint64_t number(std::string_view text) {
  return uint64_t(parse_numeric(text, 0));
}

}  // namespace

std::string serialize(const LedgerState& state) {
  std::string out = "resume " + std::to_string(state.last_seq) + " " +
                    std::to_string(state.last_trade_id) + " " +
                    std::to_string(state.last_batch_id) + "\n";
  for (const auto& account : state.accounts) {
    out += "account " + account.name + " " + std::string(to_string(account.role)) + " " +
           int128_text(account.available_e7) + " " + int128_text(account.held_e7) + "\n";
  }
  for (const auto& key : state.keys) {
    out += "key " + key.key_id + " " + key.account + " " + key.secret;
    if (key.expires_ms != 0) out += " " + std::to_string(key.expires_ms);
    out += "\n";
  }
  for (const auto& order : state.open_orders) {
    out += "open " + std::to_string(order.order_id) + " " + order.account + " " +
           std::string(to_string(order.side)) + " " + std::to_string(order.price_ticks) + " " +
           std::to_string(order.filled_milli) + " " + int128_text(order.held_e7) + "\n";
  }
  return out;
}

LedgerState parse_state(std::string_view text) {
  LedgerState state;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::vector<std::string_view> f = split(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (f.empty()) continue;
    if (f[0] == "resume" && f.size() == 4) {
      state.last_seq = number(f[1]);
      state.last_trade_id = number(f[2]);
      state.last_batch_id = number(f[3]);
    } else if (f[0] == "account" && f.size() == 5) {
      state.accounts.push_back(LedgerState::AccountState{
          std::string(f[1]), role_of(f[2]), parse_numeric(f[3], 0), parse_numeric(f[4], 0)});
    } else if (f[0] == "key" && (f.size() == 4 || f.size() == 5)) {
      state.keys.push_back(LedgerState::KeyState{std::string(f[1]), std::string(f[2]),
                                                 std::string(f[3]),
                                                 f.size() == 5 ? int64_t(number(f[4])) : 0});
    } else if (f[0] == "open" && f.size() == 7) {
      state.open_orders.push_back(LedgerState::OpenOrder{
          number(f[1]), std::string(f[2]), f[3] == "ask" ? Side::ask : Side::bid,
          int64_t(parse_numeric(f[4], 0)), int64_t(parse_numeric(f[5], 0)),
          parse_numeric(f[6], 0)});
    } else {
      throw std::runtime_error("not a ledger state line: " + std::string(f[0]));
    }
  }
  return state;
}

}  // namespace cpx::ledger
