// What crosses the rings between the gateway's I/O threads and the matcher thread: requests in
// (one fixed-size Request per ring cell) and messages out (a header, then a JSON body or a
// market-data record). Plain data only.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "cpx/engine/command_envelope.hpp"
#include "cpx/engine/types.hpp"

namespace cpx::gateway {

inline constexpr std::size_t key_id_length_max = 32;
inline constexpr std::size_t secret_length_max = 64;
inline constexpr std::size_t signature_length = 64;  // lowercase hex of HMAC-SHA256
inline constexpr std::size_t req_id_length_max = 64;
inline constexpr std::size_t io_threads_max = 64;

enum class RequestKind : uint8_t {
  order,           // new, amend or cancel (command.op says which)
  get_order,       // command.client_order_id names it
  list_orders,     // status_open: only open ones; cursor after_id
  list_fills,      // cursor after_id (a trade id)
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
};

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
  CommandEnvelope command;
};
static_assert(std::is_trivially_copyable_v<Request>);

enum class OutKind : uint8_t {
  reply,      // to one session: status + JSON body
  push,       // to an account's WebSocket sessions: JSON body
  key_added,  // to every I/O thread: KeyRecord
  book,       // to every I/O thread: BookHeader + BookLevel[levels]
  trade,      // to every I/O thread: TradeRecord
};

struct OutHeader {
  OutKind kind = OutKind::reply;
  bool close = false;        // reply: close the connection after sending
  bool csv = false;          // reply: the body is text/csv, not JSON
  uint16_t status = 200;     // reply: HTTP status
  uint32_t retry_after_s = 0;  // reply: Retry-After for 429 and 503
  uint64_t target = 0;       // reply: session; push: account index
};
static_assert(std::is_trivially_copyable_v<OutHeader>);

struct KeyRecord {
  InlineText<key_id_length_max> key_id;
  InlineText<secret_length_max> secret;
  InlineText<id_length_max> account;
  Role role = Role::enterprise;
  uint32_t account_index = 0;
};
static_assert(std::is_trivially_copyable_v<KeyRecord>);

struct BookHeader {
  uint16_t chip = 0;
  uint32_t levels = 0;
  uint64_t seq = 0;  // the book:{chip} channel's sequence number of this update
};
// A price level's state after the update: count 0 means the level is gone.
struct BookLevel {
  Side side = Side::bid;
  uint32_t count = 0;
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;
};
struct TradeRecord {
  uint16_t chip = 0;
  uint16_t region = 0;
  Side aggressor = Side::bid;
  uint64_t seq = 0;  // the trades:{chip} channel's sequence number
  uint64_t trade_id = 0;
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;
  int64_t time_ms = 0;
};
static_assert(std::is_trivially_copyable_v<BookLevel> && std::is_trivially_copyable_v<TradeRecord>);

}  // namespace cpx::gateway
