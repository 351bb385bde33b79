// REST routing as a function from a parsed HTTP request to what happens next: an answer at once
// (public market data, the public endpoints, every refusal the I/O thread can decide), or a
// venue Request for the matcher, which answers later. No sockets: the HTTP session only moves
// bytes, and tests call route() directly (tests/gateway/test_rest_router.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cpx/codec/command_json.hpp"
#include "cpx/engine/config.hpp"
#include "cpx/gateway/market_data.hpp"
#include "cpx/gateway/public_api.hpp"
#include "cpx/gateway/venue_types.hpp"
#include "cpx/ledger/writer.hpp"

namespace cpx::gateway {

// Request bodies are refused past this size (413 body_too_large).
inline constexpr std::size_t request_body_bytes_max = 64 * 1024;
// Request headers together, past which the connection is dropped.
inline constexpr std::size_t request_header_bytes_max = 16 * 1024;
// Market-data channels one WebSocket connection may subscribe to at once.
inline constexpr std::size_t ws_subscriptions_max = 256;
// Page sizes and book depths a query may ask for.
inline constexpr uint64_t page_limit_max = 1000;
inline constexpr uint64_t page_limit_default = 100;
inline constexpr uint64_t book_depth_default = 50;

// An API key as an I/O thread knows it (from the matcher's key_added messages).
struct KeyInfo {
  std::string secret;
  std::string account;
  Role role = Role::enterprise;
  uint32_t account_index = 0;
};

// What routing needs of an HTTP request (Beast parsed it).
struct HttpRequest {
  std::string_view method;
  std::string_view target;  // path and query
  std::string_view body;
  std::string_view key_id;     // X-CPX-KEY
  std::string_view timestamp;  // X-CPX-TIMESTAMP
  std::string_view signature;  // X-CPX-SIGNATURE
  std::string_view accept;     // Accept
  // The first of X-CPX-KEY, X-CPX-TIMESTAMP and X-CPX-SIGNATURE that came more than once.
  std::string_view repeated_header;
};

// The answer to an unknown key and to a wrong signature alike.
inline constexpr std::string_view unknown_key_or_signature =
    "X-CPX-KEY is not a key, or X-CPX-SIGNATURE does not match the request";

struct Routed {
  bool to_matcher = false;
  Response answer;  // when not to the matcher
  // When to the matcher: everything but the session, which the HTTP session fills in.
  Request request;
};

// One private endpoint: method and path (at most one {id} segment) to the request it makes.
struct Route {
  std::string_view method;
  std::string_view path;
  RequestKind kind;
  Op op = Op::new_order;  // what the body decodes as, when it has one
  bool body = false;      // the body is a command
};

// Every private REST endpoint (docs/api.md); public ones are in public_api.cpp and
// market_data(). For one path, the methods appear in the order a 405 lists them.
inline constexpr Route private_routes[] = {
    {"POST", "/v1/orders", RequestKind::order, Op::new_order, true},
    {"GET", "/v1/orders", RequestKind::list_orders},
    {"DELETE", "/v1/orders", RequestKind::cancel_all},
    {"GET", "/v1/orders/{id}", RequestKind::get_order},
    {"PATCH", "/v1/orders/{id}", RequestKind::order, Op::amend, true},
    {"DELETE", "/v1/orders/{id}", RequestKind::order, Op::cancel, true},
    {"GET", "/v1/fills", RequestKind::list_fills},
    {"GET", "/v1/account", RequestKind::get_account},
    {"POST", "/v1/admin/accounts", RequestKind::create_account, Op::account, true},
    {"GET", "/v1/admin/accounts", RequestKind::list_accounts},
    {"DELETE", "/v1/admin/keys/{id}", RequestKind::revoke_key},
    {"POST", "/v1/admin/deposits", RequestKind::deposit, Op::deposit, true},
    {"POST", "/v1/admin/accounts/{id}/keys", RequestKind::create_key},
    {"POST", "/v1/admin/accounts/{id}/status", RequestKind::account_status},
    {"POST", "/v1/admin/accounts/{id}/limits", RequestKind::account_limits},
    {"GET", "/v1/admin/state", RequestKind::state},
    {"POST", "/v1/admin/clock", RequestKind::clock, Op::tick, true},
    {"POST", "/v1/admin/collateral", RequestKind::collateral, Op::collateral, true},
    {"POST", "/v1/admin/contracts/{id}/resolve", RequestKind::contract, Op::resolve, true},
    {"POST", "/v1/sites", RequestKind::site, Op::site, true},
    {"GET", "/v1/sites", RequestKind::list_sites},
    {"PATCH", "/v1/sites/{id}", RequestKind::site, Op::site, true},
    {"GET", "/v1/contracts", RequestKind::list_contracts},
    {"GET", "/v1/contracts/{id}", RequestKind::get_contract},
    {"POST", "/v1/contracts/{id}/delivery", RequestKind::contract, Op::delivery, true},
    {"POST", "/v1/contracts/{id}/dispute", RequestKind::contract, Op::dispute, true},
    {"GET", "/v1/ledger/trades", RequestKind::ledger_trades},
    {"GET", "/v1/ledger/verify", RequestKind::ledger_verify},
    {"GET", "/v1/ledger/accounts/{id}/statement", RequestKind::ledger_statement},
};

class RestRouter {
 public:
  using FindKey = std::function<const KeyInfo*(std::string_view key_id)>;
  // The ledger writer now (for /healthz; a restart from the ledger replaces it), or null
  // without a database.
  using LedgerWriter = std::function<const ledger::Writer*()>;
  RestRouter(const Config& config, const MarketData& market, CommandDecoder& decoder,
             FindKey find_key, LedgerWriter writer);

  // Account and key creation are given a new random key id and secret here, so the journal
  // holds them and a replay makes the same keys.
  Routed route(const HttpRequest& request, int64_t now_ms);

 private:
  Routed market_data(std::string_view path, std::string_view target, std::string_view method,
                     int64_t now_ms) const;
  Routed candles(uint16_t chip, std::string_view target, int64_t delivery_ms) const;
  // The private request for an endpoint of the table: authenticated, its path id and body
  // decoded, its query read.
  Routed private_request(const Route& route, std::string_view path_id, const HttpRequest& http,
                         int64_t now_ms);
  // Pages and filters from the query; an answer when one is bad.
  std::optional<Response> read_query(std::string_view target, Request& out, Command& command) const;
  // A new key's body: nothing, or {"expires_ms":N} (into command.time_ms).
  static std::optional<Response> read_key_body(std::string_view body, Command& command);
  // {"max_open_orders":N|null,"max_order_notional":"X"|null}, each optional (null: no limit).
  static std::optional<Response> read_account_limits(std::string_view body, Request& out,
                                                     Command& command);
  // POST /v1/admin/accounts/{id}/status's body into out.account_status, or the refusal.
  std::optional<Routed> read_account_status(std::string_view body, Request& out);
  // A bodiless private request's path id (an account, a key or an order), with what its body
  // may carry (a status, a key's expiry, limits).
  std::optional<Routed> read_path_request(std::string_view path_id, const HttpRequest& http,
                                          Request& out, Command& command);
  simdjson::dom::parser status_parser_;
  std::optional<Response> read_contract_filters(std::string_view target, Request& out,
                                                Command& command) const;
  std::optional<Response> read_ledger_filters(std::string_view target, Request& out,
                                              Command& command) const;

  const Config& config_;
  const MarketData& market_;
  CommandDecoder& decoder_;
  FindKey find_key_;
  LedgerWriter writer_;
};

}  // namespace cpx::gateway
