// What the venue is asked: one fixed-size Request per ring cell from the gateway's I/O threads
// to the matcher thread, and the unit of the journal. Plain data only.
#pragma once

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string_view>
#include <type_traits>

#include "cpx/engine/command_envelope.hpp"
#include "cpx/engine/types.hpp"

namespace cpx::venue {

inline constexpr std::size_t key_id_length_max = 32;
inline constexpr std::size_t secret_length_max = 64;
inline constexpr std::size_t signature_length = 64;  // lowercase hex of HMAC-SHA256
inline constexpr std::size_t req_id_length_max = 64;
inline constexpr std::size_t io_threads_max = 64;
// The I/O thread's account of what is wrong with a malformed command, answered with its
// bad_request (the decoder's messages are shorter).
inline constexpr std::size_t shape_message_length_max = 160;

enum class RequestKind : uint8_t {
  order,        // new, amend or cancel (command.op says which)
  get_order,    // command.client_order_id names it
  list_orders,  // status_open: only open ones; cursor after_id
  list_fills,   // cursor after_id (a trade id)
  get_account,
  create_account,  // command: op account; new_key_id/new_secret: the account's first key
  create_key,      // command.account names the account
  deposit,         // command: op deposit
  ws_login,
  ws_logout,
  ledger_trades,     // auditors: ledger query (LedgerQuery; command.account: the account filter)
  ledger_statement,  // auditors: command.account names the account
  ledger_verify,     // auditors
  state,             // operators: the state hash
  cancel_all,        // an account's open orders, or those of one chip (chip_filter)
  // docs/delivery.md
  tick,            // the server's clock (never from a client): command op tick
  clock,           // operators, with --clock manual: command op tick
  site,            // command op site: declare or change a site (providers), suspend (operators)
  list_sites,      // providers: theirs; operators and auditors: all
  collateral,      // operators: command op collateral
  contract,        // command op delivery (providers), dispute (buyers) or resolve (operators)
  list_contracts,  // cursor after_id (a trade id); contract_status, command.delivery_ms filters
  get_contract,    // command.trade_id
  // Operators: command.account's account_status (a kill switch, a suspension, or lifting them).
  account_status,
  // Operators: every account with its keys (never their secrets), after command.account
  // (limit); a key revoked (new_key_id names it). create_key's command.time_ms is its expiry.
  list_accounts,
  revoke_key,
  // Operators: command.account's limits, max_open_orders (0: none) and command.amount_e7 (the
  // notional an order may have at most; 0: none).
  account_limits,
  // The server's own, at a start (never from a client): the cancel-on-disconnect orders still
  // open, whose sessions ended with the server before they could close, are cancelled.
  restarted,
};

// An account's standing (docs/api.md, "Kill switch and suspension"): halted accounts place and
// amend nothing (their open orders were cancelled), suspended ones are also refused every key.
enum class AccountStatus : uint8_t { active, halted, suspended };
inline constexpr std::string_view account_status_names[] = {"active", "halted", "suspended"};
inline std::string_view to_string(AccountStatus status) {
  return account_status_names[std::size_t(status)];
}
inline bool parse_account_status(std::string_view text, AccountStatus& out) {
  for (std::size_t i = 0; i < std::size(account_status_names); ++i) {
    if (account_status_names[i] != text) continue;
    out = AccountStatus(i);
    return true;
  }
  return false;
}

// An auditor's ledger query, parsed by the I/O thread.
struct LedgerQuery {
  bool csv = false;  // Accept: text/csv
  bool has_chip = false;
  bool has_region = false;
  uint16_t chip = 0;
  uint16_t region = 0;
  int64_t from_ms = INT64_MIN;  // traded_ms >= from_ms
  int64_t to_ms = INT64_MAX;    // traded_ms < to_ms
};

enum class Surface : uint8_t { rest, ws };

// Where the server's clock comes from (docs/delivery.md): none (the markets of matching.md, no
// delivery hours), the wall clock (ticks every second), or operators (POST /v1/admin/clock).
enum class ClockMode : uint8_t { off, wall, manual };

// A fixed-length text field that travels inside a Request.
template <std::size_t N>
struct InlineText {
  uint8_t length = 0;
  char bytes[N];
  void assign(std::string_view text) {
    length = uint8_t(text.size() < N ? text.size() : N);
    if (length) std::memcpy(bytes, text.data(), length);
  }
  std::string_view view() const { return {bytes, length}; }
};

struct Request {
  RequestKind kind = RequestKind::order;
  Surface surface = Surface::rest;
  uint8_t io_thread = 0;
  bool signed_request = false;  // REST and WS login: signature admitted once (replay guard)
  bool status_open = false;
  bool chip_filter = false;     // cancel_all: only the orders of command.chip
  uint8_t contract_status = 0;  // list_contracts: 0 any, else ContractStatus + 1
  AccountStatus account_status = AccountStatus::active;  // account_status
  // A WebSocket session that logged in with cancel_on_disconnect: its orders carry it, and its
  // logout (the connection closed, or dropped for missing pings) cancels those still open.
  bool cancel_on_disconnect = false;
  uint32_t max_open_orders = 0;  // account_limits
  uint32_t limit = 100;
  uint64_t session = 0;  // the I/O thread's id of the connection that waits for the answer
  int64_t now_ms = 0;    // the gateway's clock when the request arrived
  int64_t timestamp_ms = 0;
  uint64_t after_id = 0;
  InlineText<key_id_length_max> key_id;
  InlineText<signature_length> signature;
  InlineText<req_id_length_max> req_id;  // WS: the req_id's JSON text, echoed verbatim
  InlineText<key_id_length_max> new_key_id;
  InlineText<secret_length_max> new_secret;
  LedgerQuery ledger;
  // Why command is malformed, when the decoder found it so (shape_reason bad_request): the
  // message of its rejection. Not journaled (a replay answers nobody).
  InlineText<shape_message_length_max> shape_message;
  CommandEnvelope command;
};
static_assert(std::is_trivially_copyable_v<Request>);

}  // namespace cpx::venue
