#include "cpx/gateway/rest_router.hpp"

#include <charconv>

#include "cpx/base/decimal.hpp"
#include "cpx/base/utc_hour.hpp"
#include "cpx/engine/wire_names.hpp"

namespace cpx::gateway {

namespace {

// A small admin body parsed into `parser` as a JSON object; false when it is not one.
bool body_object(simdjson::dom::parser& parser, const simdjson::padded_string& padded,
                 simdjson::dom::object& object) {
  simdjson::dom::element root;
  return parser.parse(padded).get(root) == simdjson::SUCCESS &&
         root.get_object().get(object) == simdjson::SUCCESS;
}

// The value of `name` in the query string, or nullopt.
std::optional<std::string_view> query_value(std::string_view target, std::string_view name) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// A query number: absent gives `fallback`; present must be digits within [low, high].
bool query_number(std::string_view target, std::string_view name, uint64_t fallback, uint64_t low,
                  uint64_t high, uint64_t& out) {
  const auto text = query_value(target, name);
  if (!text) {
    out = fallback;
    return true;
  }
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), out);
  return error == std::errc() && end == text->data() + text->size() && out >= low && out <= high;
}

std::string_view auth_message(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::missing:
      return "send X-CPX-KEY, X-CPX-TIMESTAMP and X-CPX-SIGNATURE";
    case AuthFailure::bad_timestamp:
      return "X-CPX-TIMESTAMP must be milliseconds since the epoch";
    case AuthFailure::stale:
      return "X-CPX-TIMESTAMP is more than 30 s from the server clock (see GET /v1/time)";
    case AuthFailure::bad_signature:
      // Said alike of an unknown key: the answer never tells whether a key id exists.
      return unknown_key_or_signature;
    case AuthFailure::replayed:
      return "this signature was used already";
    case AuthFailure::busy:
      return "busy";
    case AuthFailure::none:
      break;
  }
  return "unauthorized";
}

Routed answer(unsigned status, std::string body) {
  Routed routed;
  routed.answer = Response{status, std::move(body)};
  return routed;
}

Routed refuse(unsigned status, std::string_view code, std::string_view message) {
  Routed routed;
  routed.answer = error_response(status, code, message);
  return routed;
}

// Whether `path` is the route's path, and its {id} segment's text if it has one.
bool matches(std::string_view pattern, std::string_view path, std::string_view& id) {
  const std::size_t hole = pattern.find("{id}");
  if (hole == std::string_view::npos) return pattern == path;
  const std::string_view prefix = pattern.substr(0, hole);
  const std::string_view suffix = pattern.substr(hole + 4);
  if (path.size() < prefix.size() + suffix.size() || !path.starts_with(prefix) ||
      !path.ends_with(suffix)) {
    return false;
  }
  id = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  return id.find('/') == std::string_view::npos;  // one segment
}

// "use GET", "use POST or GET", "use GET, PATCH or DELETE": the methods of the routes of a path.
std::string allowed_methods(std::string_view path) {
  std::vector<std::string_view> methods;
  for (const Route& route : private_routes) {
    std::string_view id;
    if (matches(route.path, path, id)) methods.push_back(route.method);
  }
  std::string text = "use ";
  for (std::size_t i = 0; i < methods.size(); ++i) {
    if (i > 0) text += i + 1 == methods.size() ? " or " : ", ";
    text += methods[i];
  }
  return text;
}

}  // namespace

RestRouter::RestRouter(const Config& config, const MarketData& market, CommandDecoder& decoder,
                       FindKey find_key, LedgerWriter writer)
    : config_(config),
      market_(market),
      decoder_(decoder),
      find_key_(std::move(find_key)),
      writer_(std::move(writer)) {}

Routed RestRouter::route(const HttpRequest& request, int64_t now_ms) {
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with("/v1/markets/")) {
    return market_data(path, target, request.method, now_ms);
  }
  bool path_known = false;
  for (const Route& route : private_routes) {
    std::string_view id;
    if (!matches(route.path, path, id)) continue;
    path_known = true;
    if (route.method == request.method) return private_request(route, id, request, now_ms);
  }
  if (path_known) return refuse(405, "method_not_allowed", allowed_methods(path));
  if (path == "/healthz" && request.method == "GET") {
    if (const ledger::Writer* writer = writer_()) return answer(200, health_json(writer->status()));
  }
  Routed routed;
  routed.answer = handle_public(config_, request.method, target, now_ms);
  return routed;
}

Routed RestRouter::market_data(std::string_view path, std::string_view target,
                               std::string_view method, int64_t now_ms) const {
  const std::string_view rest = path.substr(std::string_view("/v1/markets/").size());
  const std::size_t slash = rest.find('/');
  const std::string_view chip_id = rest.substr(0, slash);
  const std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (what != "/book" && what != "/trades" && what != "/candles" && what != "/index" &&
      what != "/curve") {
    return refuse(404, "not_found", "no such endpoint");
  }
  if (method != "GET") return refuse(405, "method_not_allowed", "use GET");
  const auto chip = config_.find_chip(chip_id);
  if (!chip) return refuse(404, "unknown_chip", "no such chip type");
  if (what == "/index") return answer(200, market_.index_json(uint16_t(*chip), now_ms));
  if (what == "/curve") return answer(200, market_.curve_json(uint16_t(*chip)));
  // An hourly market's book, trades or candles (docs/delivery.md); without delivery, the plain
  // market's (the candles: all the chip's markets).
  int64_t delivery_ms = 0;
  if (const auto delivery = query_value(target, "delivery")) {
    const std::optional<int64_t> ms = parse_utc_hour(*delivery);
    if (!ms || *ms == 0) {
      return refuse(400, "bad_delivery", "delivery must be an hour's start, as 2026-12-03T10:00Z");
    }
    delivery_ms = *ms;
  }
  if (what == "/candles") return candles(uint16_t(*chip), target, delivery_ms);
  uint64_t n = 0;
  if (what == "/book") {
    if (!query_number(target, "depth", book_depth_default, 1, page_limit_max, n)) {
      return refuse(400, "bad_request",
                    "depth must be an integer from 1 to " + std::to_string(page_limit_max));
    }
    return answer(200, market_.book_json(uint16_t(*chip), n, delivery_ms));
  }
  const std::size_t limit_max = delivery_ms ? hour_trades_max : recent_trades_max;
  if (!query_number(target, "limit", page_limit_default, 1, limit_max, n)) {
    return refuse(400, "bad_request",
                  "limit must be an integer from 1 to " + std::to_string(limit_max));
  }
  return answer(200, market_.trades_json(uint16_t(*chip), n, delivery_ms));
}

Routed RestRouter::candles(uint16_t chip, std::string_view target, int64_t delivery_ms) const {
  const auto interval = query_value(target, "interval");
  if (interval && *interval != "1m" && *interval != "1h") {
    return refuse(400, "bad_request", "interval must be 1m or 1h");
  }
  int region = -1;
  if (const auto region_id = query_value(target, "region"); region_id && !region_id->empty()) {
    const auto index = config_.find_region(*region_id);
    if (!index) return refuse(400, "unknown_region", "no such region");
    if (delivery_ms != 0) {
      return refuse(400, "bad_request", "a delivery hour's candles are of all regions: no region");
    }
    region = int(*index);
  }
  uint64_t n = 0;
  if (!query_number(target, "limit", page_limit_default, 1, Candles::minutes_kept, n)) {
    return refuse(400, "bad_request",
                  "limit must be an integer from 1 to " + std::to_string(Candles::minutes_kept));
  }
  const Interval span = interval && *interval == "1h" ? Interval::hour : Interval::minute;
  return answer(200, market_.candles_json(chip, region, span, n, delivery_ms));
}

std::optional<Routed> RestRouter::read_path_request(std::string_view path_id,
                                                    const HttpRequest& http, Request& out,
                                                    Command& command) {
  if (!is_valid_id(path_id)) {
    return refuse(404, out.kind == RequestKind::create_key ? "unknown_account" : "unknown_order",
                  "no such id");
  }
  if (out.kind == RequestKind::account_status) {
    command.account = path_id;
    if (auto refused = read_account_status(http.body, out)) return *refused;
  } else if (out.kind == RequestKind::create_key || out.kind == RequestKind::ledger_statement) {
    command.account = path_id;
    out.new_key_id.assign(random_hex(12));
    out.new_secret.assign(random_hex(32));
    if (out.kind == RequestKind::create_key) {
      if (auto refused = read_key_body(http.body, command)) {
        return answer(refused->status, refused->body);
      }
    }
  } else if (out.kind == RequestKind::revoke_key) {
    out.new_key_id.assign(path_id);
  } else if (out.kind == RequestKind::account_limits) {
    command.account = path_id;
    if (auto refused = read_account_limits(http.body, out, command)) {
      return answer(refused->status, refused->body);
    }
  } else {
    command.set_client_order_id(path_id);
  }
  return std::nullopt;
}

std::optional<Response> RestRouter::read_key_body(std::string_view body, Command& command) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::nullopt;
  const simdjson::padded_string padded(body);
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (!body_object(parser, padded, object)) {
    return error_response(400, "bad_request", "the body must be a JSON object");
  }
  bool seen = false;
  for (const auto field : object) {
    if (field.key != "expires_ms") {
      return error_response(400, "bad_request", "unknown field " + std::string(field.key));
    }
    if (seen) return error_response(400, "bad_request", "duplicate key expires_ms");
    seen = true;
    int64_t expires_ms = 0;
    if (field.value.get_int64().get(expires_ms) != simdjson::SUCCESS || expires_ms <= 0) {
      return error_response(400, "bad_request",
                            "expires_ms must be a positive integer (ms since the epoch)");
    }
    command.time_ms = expires_ms;
  }
  return std::nullopt;
}

std::optional<Response> RestRouter::read_account_limits(std::string_view body, Request& out,
                                                        Command& command) {
  const simdjson::padded_string padded(body);
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (!body_object(parser, padded, object)) {
    return error_response(400, "bad_request", "the body must be a JSON object");
  }
  bool open_seen = false;
  bool notional_seen = false;
  for (const auto field : object) {
    const bool open = field.key == "max_open_orders";
    if (!open && field.key != "max_order_notional") {
      return error_response(400, "bad_request", "unknown field " + std::string(field.key));
    }
    bool& seen = open ? open_seen : notional_seen;
    if (seen) return error_response(400, "bad_request", "duplicate key " + std::string(field.key));
    seen = true;
    if (field.value.is_null()) continue;  // no limit
    if (open) {
      int64_t count = 0;
      if (field.value.get_int64().get(count) != simdjson::SUCCESS || count < 1 ||
          count > 10'000'000) {
        return error_response(400, "bad_request",
                              "max_open_orders must be an integer from 1 to 10000000, or null");
      }
      out.max_open_orders = uint32_t(count);
      continue;
    }
    std::string_view text;
    const auto amount = field.value.get_string().get(text) == simdjson::SUCCESS
                            ? parse_decimal(text, amount_frac_digits, amount_e7_max)
                            : std::nullopt;
    if (!amount || *amount <= 0) {
      return error_response(400, "bad_request",
                            "max_order_notional must be a positive decimal string, or null");
    }
    command.amount_e7 = *amount;
  }
  if (!open_seen && !notional_seen) {
    return error_response(400, "bad_request",
                          "max_open_orders or max_order_notional is required (null: no limit)");
  }
  return std::nullopt;
}

std::optional<Routed> RestRouter::read_account_status(std::string_view body, Request& out) {
  // {"status":"active"|"halted"|"suspended"} and nothing else.
  const simdjson::padded_string padded(body);
  simdjson::dom::object object;
  std::string_view status;
  if (!body_object(status_parser_, padded, object)) {
    return refuse(400, "bad_request", "the body must be a JSON object");
  }
  for (const auto field : object) {
    if (field.key != "status") {
      return refuse(400, "bad_request", "unknown field " + std::string(field.key));
    }
  }
  if (object["status"].get_string().get(status) != simdjson::SUCCESS ||
      !venue::parse_account_status(status, out.account_status)) {
    return refuse(400, "bad_request", "status must be active, halted or suspended");
  }
  return std::nullopt;
}

Routed RestRouter::private_request(const Route& route, std::string_view path_id,
                                   const HttpRequest& http, int64_t now_ms) {
  Routed routed;
  Request& out = routed.request;
  out.kind = route.kind;
  if (out.kind == RequestKind::ledger_statement && !is_valid_id(path_id)) {
    return refuse(404, "unknown_account", "no such account");
  }
  if (!http.repeated_header.empty()) {
    return refuse(400, "bad_request", std::string(http.repeated_header) + " is repeated");
  }
  // Who is asking: a known key, and a signature of this request within the time window. An
  // unknown key is checked as a key with an empty secret would be, so it fails as a wrong
  // signature does, with the same answer, after the same checks of the headers and the time.
  if (http.key_id.empty()) return refuse(401, "unauthorized", auth_message(AuthFailure::missing));
  const KeyInfo* key = find_key_(http.key_id);
  int64_t timestamp_ms = 0;
  AuthFailure failure = check_signature(
      key != nullptr ? std::string_view(key->secret) : std::string_view(), http.timestamp,
      http.signature, http.method, http.target, http.body, now_ms, timestamp_ms);
  if (key == nullptr && failure == AuthFailure::none) failure = AuthFailure::bad_signature;
  if (failure != AuthFailure::none) return refuse(401, "unauthorized", auth_message(failure));
  out.surface = Surface::rest;
  out.now_ms = now_ms;
  out.timestamp_ms = timestamp_ms;
  out.signed_request = true;
  out.key_id.assign(http.key_id);
  out.signature.assign(http.signature);
  Command command;
  // A contract's trade id in the path: a positive integer, or there is no such contract.
  uint64_t trade_id = 0;
  const bool contract_path =
      out.kind == RequestKind::contract || out.kind == RequestKind::get_contract;
  if (contract_path) {
    auto [end, error] = std::from_chars(path_id.data(), path_id.data() + path_id.size(), trade_id);
    if (error != std::errc() || end != path_id.data() + path_id.size() || trade_id == 0) {
      return refuse(404, "unknown_contract", "no contract has this trade id");
    }
    command.trade_id = trade_id;
  }
  if (route.body) {
    RequestContext context;
    context.op = route.op;
    // Orders, sites and contracts are the key's account's (an operator's own for suspending a
    // site and resolving a contract); deposits and collateral name theirs in the body.
    const bool own = out.kind == RequestKind::order || out.kind == RequestKind::site ||
                     out.kind == RequestKind::contract;
    context.account = own ? std::string_view(key->account) : "";
    if (out.kind == RequestKind::order) context.client_order_id = path_id;
    if (out.kind == RequestKind::site) context.site = path_id;
    context.trade_id = trade_id;
    context.default_side = key->role == Role::provider ? Side::ask : Side::bid;
    if (!path_id.empty() && !is_valid_id(path_id)) {
      return out.kind == RequestKind::site
                 ? refuse(404, "unknown_site", "no site has this id")
                 : refuse(404, "unknown_order", "no order of this account has this id");
    }
    const simdjson::padded_string body(http.body);
    context.strict = true;
    command = decoder_.decode(body.data(), body.size(), context);
    if (command.shape_reason != Reason::none) out.shape_message.assign(decoder_.shape_message());
    if (out.kind == RequestKind::create_account) {
      out.new_key_id.assign(random_hex(12));
      out.new_secret.assign(random_hex(32));
    }
  } else if (!path_id.empty() && !contract_path) {
    if (auto refused = read_path_request(path_id, http, out, command)) return *refused;
  }
  if (out.kind == RequestKind::ledger_trades || out.kind == RequestKind::ledger_statement) {
    out.ledger.csv = http.accept.find("text/csv") != std::string_view::npos;
  }
  if (auto refused = read_query(http.target, out, command))
    return answer(refused->status, refused->body);
  out.command = CommandEnvelope::wrap(command);
  routed.to_matcher = true;
  return routed;
}

std::optional<Response> RestRouter::read_query(std::string_view target, Request& out,
                                               Command& command) const {
  uint64_t number = 0;
  const std::string limit_range = "limit (1-" + std::to_string(page_limit_max) + ")";
  if (out.kind == RequestKind::list_orders) {
    const auto status = query_value(target, "status");
    if (status && *status != "open" && *status != "all") {
      return error_response(400, "bad_request", "status must be open or all");
    }
    out.status_open = !status || *status == "open";
    if (!query_number(target, "after_order_id", 0, 0, UINT64_MAX, out.after_id) ||
        !query_number(target, "limit", page_limit_default, 1, page_limit_max, number)) {
      return error_response(400, "bad_request", "after_order_id and limit must be integers");
    }
    out.limit = uint32_t(number);
  } else if (out.kind == RequestKind::list_accounts) {
    if (const auto after = query_value(target, "after")) command.account = *after;
    if (!query_number(target, "limit", page_limit_default, 1, page_limit_max, number)) {
      return error_response(400, "bad_request", limit_range + " must be an integer");
    }
    out.limit = uint32_t(number);
  } else if (out.kind == RequestKind::list_fills) {
    if (!query_number(target, "after_trade_id", 0, 0, UINT64_MAX, out.after_id) ||
        !query_number(target, "limit", page_limit_default, 1, page_limit_max, number)) {
      return error_response(400, "bad_request", "after_trade_id and limit must be integers");
    }
    out.limit = uint32_t(number);
  }
  if (out.kind == RequestKind::ledger_trades || out.kind == RequestKind::ledger_statement) {
    if (!query_number(target, "cursor", 0, 0, UINT64_MAX, out.after_id) ||
        !query_number(target, "limit", page_limit_default, 1, page_limit_max, number)) {
      return error_response(400, "bad_request", "cursor and " + limit_range + " must be integers");
    }
    out.limit = uint32_t(number);
  }
  if (out.kind == RequestKind::list_contracts) return read_contract_filters(target, out, command);
  if (out.kind == RequestKind::cancel_all) {
    if (const auto chip = query_value(target, "chip")) {
      const auto index = config_.find_chip(*chip);
      if (!index) return error_response(400, "unknown_chip", "no such chip type");
      out.chip_filter = true;
      command.chip = uint16_t(*index);
    }
  }
  if (out.kind == RequestKind::ledger_trades) return read_ledger_filters(target, out, command);
  return std::nullopt;
}

std::optional<Response> RestRouter::read_contract_filters(std::string_view target, Request& out,
                                                          Command& command) const {
  uint64_t number = 0;
  if (!query_number(target, "after_trade_id", 0, 0, UINT64_MAX, out.after_id) ||
      !query_number(target, "limit", page_limit_default, 1, page_limit_max, number)) {
    return error_response(400, "bad_request", "after_trade_id and limit must be integers");
  }
  out.limit = uint32_t(number);
  if (const auto status = query_value(target, "status")) {
    ContractStatus parsed;
    if (!parse_name(contract_status_names, *status, parsed)) {
      return error_response(400, "bad_request",
                            "status must be contracted, delivering, reported, disputed or settled");
    }
    out.contract_status = uint8_t(uint8_t(parsed) + 1);
  }
  if (const auto delivery = query_value(target, "delivery")) {
    const std::optional<int64_t> ms = parse_utc_hour(*delivery);
    if (!ms) {
      return error_response(400, "bad_delivery",
                            "delivery must be an hour's start, as 2026-12-03T10:00Z");
    }
    command.delivery_ms = *ms;
  }
  return std::nullopt;
}

std::optional<Response> RestRouter::read_ledger_filters(std::string_view target, Request& out,
                                                        Command& command) const {
  if (const auto chip = query_value(target, "chip")) {
    const auto index = config_.find_chip(*chip);
    if (!index) return error_response(400, "unknown_chip", "no such chip type");
    out.ledger.has_chip = true;
    out.ledger.chip = uint16_t(*index);
  }
  if (const auto region = query_value(target, "region")) {
    const auto index = config_.find_region(*region);
    if (!index) return error_response(400, "unknown_region", "no such region");
    out.ledger.has_region = true;
    out.ledger.region = uint16_t(*index);
  }
  if (const auto account = query_value(target, "account")) {
    if (!is_valid_id(*account)) return error_response(400, "bad_request", "account is not an id");
    command.account = *account;
  }
  uint64_t from = 0;
  uint64_t to = 0;
  if (!query_number(target, "from", 0, 0, INT64_MAX, from) ||
      !query_number(target, "to", uint64_t(INT64_MAX), 0, INT64_MAX, to)) {
    return error_response(400, "bad_request", "from and to are milliseconds since the epoch");
  }
  if (query_value(target, "from")) out.ledger.from_ms = int64_t(from);
  if (query_value(target, "to")) out.ledger.to_ms = int64_t(to);
  return std::nullopt;
}

}  // namespace cpx::gateway
