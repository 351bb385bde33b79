#include "http_session.hpp"

#include <charconv>

#include "cpx/gateway/auth.hpp"
#include "cpx/gateway/public_api.hpp"
#include "cpx/gateway/server.hpp"
#include "ws_session.hpp"

namespace cpx::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr auto read_timeout = std::chrono::seconds(30);
constexpr auto write_timeout = std::chrono::seconds(30);
constexpr uint64_t book_depth_default = 50;
constexpr uint64_t list_max = 1000;

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
      return "X-CPX-SIGNATURE does not match the request";
    case AuthFailure::replayed:
      return "this signature was used already";
    case AuthFailure::busy:
      return "busy";
    case AuthFailure::none:
      break;
  }
  return "unauthorized";
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket&& socket, Shard& shard)
    : stream_(std::move(socket)), shard_(shard) {}

HttpSession::~HttpSession() {
  if (session_id_) shard_.remove_session(session_id_);
  if (counted_) shard_.core.connections.fetch_sub(1, std::memory_order_relaxed);
}

void HttpSession::run() {
  session_id_ = shard_.add_session(weak_from_this());
  do_read();
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(request_body_bytes_max);
  parser_->header_limit(16 * 1024);
  stream_.expires_after(read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return do_close();
  if (ec == http::error::body_limit) {
    // Answer, then close: the rest of the oversized body is not worth reading.
    version_ = 11;
    keep_alive_ = false;
    return answer_error(413, "body_too_large", "bodies are limited to 64 KiB");
  }
  if (ec) return do_close();  // timeouts, resets, malformed HTTP: nothing useful to answer
  Request& request = parser_->get();
  version_ = request.version();
  keep_alive_ = request.keep_alive();
  const std::string_view target = request.target();
  if (target.substr(0, target.find('?')) == "/v1/ws" && beast::websocket::is_upgrade(request)) {
    counted_ = false;  // the WebSocket session counts the connection from here
    std::make_shared<WsSession>(stream_.release_socket(), shard_)->run(parser_->release());
    return;
  }
  route(request);
}

void HttpSession::route(const Request& request) {
  const std::string_view method = request.method_string();
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const int64_t now = wall_clock_ms();

  // Public market data, from this thread's copy.
  if (path.starts_with("/v1/markets/")) {
    std::string_view rest = path.substr(12);
    const std::size_t slash = rest.find('/');
    const std::string_view chip_id = rest.substr(0, slash);
    const std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (what != "/book" && what != "/trades" && what != "/candles" && what != "/index") {
      return answer_error(404, "not_found", "no such endpoint");
    }
    if (method != "GET") return answer_error(405, "method_not_allowed", "use GET");
    const auto chip = shard_.core.config.find_chip(chip_id);
    if (!chip) return answer_error(404, "unknown_chip", "no such chip type");
    uint64_t n = 0;
    if (what == "/index") return answer(200, shard_.market.index_json(uint16_t(*chip), now));
    if (what == "/candles") {
      const auto interval = query_value(target, "interval");
      if (interval && *interval != "1m" && *interval != "1h") {
        return answer_error(400, "bad_request", "interval must be 1m or 1h");
      }
      int region = -1;
      if (const auto region_id = query_value(target, "region"); region_id && !region_id->empty()) {
        const auto index = shard_.core.config.find_region(*region_id);
        if (!index) return answer_error(400, "unknown_region", "no such region");
        region = int(*index);
      }
      if (!query_number(target, "limit", 100, 1, Candles::minutes_kept, n)) {
        return answer_error(400, "bad_request", "limit must be an integer from 1 to 1440");
      }
      return answer(200, shard_.market.candles_json(
                             uint16_t(*chip), region,
                             interval && *interval == "1h" ? Interval::hour : Interval::minute, n));
    }
    if (what == "/book") {
      if (!query_number(target, "depth", book_depth_default, 1, list_max, n)) {
        return answer_error(400, "bad_request", "depth must be an integer from 1 to 1000");
      }
      return answer(200, shard_.market.book_json(uint16_t(*chip), n));
    }
    if (!query_number(target, "limit", 100, 1, recent_trades_max, n)) {
      return answer_error(400, "bad_request", "limit must be an integer from 1 to 1000");
    }
    return answer(200, shard_.market.trades_json(uint16_t(*chip), n));
  }

  // Private: which request, then who is asking.
  gateway::Request out;
  RequestContext context;
  std::string_view path_id;
  bool decode_body = false;
  if (path == "/v1/orders") {
    if (method == "POST") {
      out.kind = RequestKind::order;
      context.op = Op::new_order;
      decode_body = true;
    } else if (method == "GET") {
      out.kind = RequestKind::list_orders;
    } else {
      return answer_error(405, "method_not_allowed", "use POST or GET");
    }
  } else if (path.starts_with("/v1/orders/")) {
    path_id = path.substr(11);
    if (method == "GET") {
      out.kind = RequestKind::get_order;
    } else if (method == "PATCH") {
      out.kind = RequestKind::order;
      context.op = Op::amend;
      decode_body = true;
    } else if (method == "DELETE") {
      out.kind = RequestKind::order;
      context.op = Op::cancel;
      decode_body = true;
    } else {
      return answer_error(405, "method_not_allowed", "use GET, PATCH or DELETE");
    }
  } else if (path == "/v1/fills" || path == "/v1/account") {
    if (method != "GET") return answer_error(405, "method_not_allowed", "use GET");
    out.kind = path == "/v1/fills" ? RequestKind::list_fills : RequestKind::get_account;
  } else if (path == "/v1/admin/accounts" || path == "/v1/admin/deposits") {
    if (method != "POST") return answer_error(405, "method_not_allowed", "use POST");
    out.kind = path == "/v1/admin/deposits" ? RequestKind::deposit : RequestKind::create_account;
    context.op = path == "/v1/admin/deposits" ? Op::deposit : Op::account;
    decode_body = true;
  } else if (path == "/v1/ledger/trades" || path == "/v1/ledger/verify" ||
             (path.starts_with("/v1/ledger/accounts/") && path.ends_with("/statement"))) {
    if (method != "GET") return answer_error(405, "method_not_allowed", "use GET");
    out.kind = path == "/v1/ledger/trades"   ? RequestKind::ledger_trades
               : path == "/v1/ledger/verify" ? RequestKind::ledger_verify
                                             : RequestKind::ledger_statement;
    if (out.kind == RequestKind::ledger_statement) {
      path_id = path.substr(20, path.size() - 20 - 10);
      if (!is_valid_id(path_id)) return answer_error(404, "unknown_account", "no such account");
    }
  } else if (path == "/v1/admin/state") {
    if (method != "GET") return answer_error(405, "method_not_allowed", "use GET");
    out.kind = RequestKind::state;
  } else if (path.starts_with("/v1/admin/accounts/") && path.ends_with("/keys")) {
    if (method != "POST") return answer_error(405, "method_not_allowed", "use POST");
    out.kind = RequestKind::create_key;
    path_id = path.substr(19, path.size() - 19 - 5);
  } else if (path == "/healthz" && method == "GET" && shard_.core.writer != nullptr) {
    return answer(200, health_json(shard_.core.writer->status()));
  } else {
    const gateway::Response answer_public = handle_public(shard_.core.config, method, target, now);
    return answer(answer_public.status, answer_public.body);
  }

  const std::string_view key_id = request["X-CPX-KEY"];
  const KeyInfo* key = key_id.empty() ? nullptr : shard_.find_key(key_id);
  if (key == nullptr) {
    return answer_error(401, "unauthorized",
                        key_id.empty() ? auth_message(AuthFailure::missing) : "unknown API key");
  }
  int64_t timestamp_ms = 0;
  const std::string_view signature = request["X-CPX-SIGNATURE"];
  const AuthFailure failure =
      check_signature(key->secret, request["X-CPX-TIMESTAMP"], signature, method, target,
                      request.body(), now, timestamp_ms);
  if (failure != AuthFailure::none) return answer_error(401, "unauthorized", auth_message(failure));

  out.surface = Surface::rest;
  out.session = session_id_;
  out.now_ms = now;
  out.timestamp_ms = timestamp_ms;
  out.signed_request = true;
  out.key_id.assign(key_id);
  out.signature.assign(signature);
  Command command;
  if (decode_body) {
    context.account = out.kind == RequestKind::order ? std::string_view(key->account) : "";
    context.client_order_id = path_id;
    context.default_side = key->role == Role::provider ? Side::ask : Side::bid;
    if (!path_id.empty() && !is_valid_id(path_id)) {
      return answer_error(404, "unknown_order", "no order of this account has this id");
    }
    const simdjson::padded_string body(request.body());
    command = shard_.decoder.decode(body.data(), body.size(), context);
    if (out.kind == RequestKind::create_account) {
      out.new_key_id.assign(random_hex(12));
      out.new_secret.assign(random_hex(32));
    }
  } else if (!path_id.empty()) {
    if (!is_valid_id(path_id)) {
      return answer_error(404, out.kind == RequestKind::create_key ? "unknown_account" : "unknown_order",
                          "no such id");
    }
    if (out.kind == RequestKind::create_key || out.kind == RequestKind::ledger_statement) {
      command.account = path_id;
      out.new_key_id.assign(random_hex(12));
      out.new_secret.assign(random_hex(32));
    } else {
      command.set_client_order_id(path_id);
    }
  }
  uint64_t number = 0;
  if (out.kind == RequestKind::list_orders) {
    const auto status = query_value(target, "status");
    if (status && *status != "open" && *status != "all") {
      return answer_error(400, "bad_request", "status must be open or all");
    }
    out.status_open = !status || *status == "open";
    if (!query_number(target, "after_order_id", 0, 0, UINT64_MAX, out.after_id) ||
        !query_number(target, "limit", 100, 1, list_max, number)) {
      return answer_error(400, "bad_request", "after_order_id and limit must be integers");
    }
    out.limit = uint32_t(number);
  } else if (out.kind == RequestKind::list_fills) {
    if (!query_number(target, "after_trade_id", 0, 0, UINT64_MAX, out.after_id) ||
        !query_number(target, "limit", 100, 1, list_max, number)) {
      return answer_error(400, "bad_request", "after_trade_id and limit must be integers");
    }
    out.limit = uint32_t(number);
  }
  if (out.kind == RequestKind::ledger_trades || out.kind == RequestKind::ledger_statement) {
    out.ledger.csv = request[http::field::accept].find("text/csv") != std::string_view::npos;
    if (!query_number(target, "cursor", 0, 0, UINT64_MAX, out.after_id) ||
        !query_number(target, "limit", 100, 1, list_max, number)) {
      return answer_error(400, "bad_request", "cursor and limit (1-1000) must be integers");
    }
    out.limit = uint32_t(number);
  }
  if (out.kind == RequestKind::ledger_trades) {
    if (const auto chip = query_value(target, "chip")) {
      const auto index = shard_.core.config.find_chip(*chip);
      if (!index) return answer_error(400, "unknown_chip", "no such chip type");
      out.ledger.has_chip = true;
      out.ledger.chip = uint16_t(*index);
    }
    if (const auto region = query_value(target, "region")) {
      const auto index = shard_.core.config.find_region(*region);
      if (!index) return answer_error(400, "unknown_region", "no such region");
      out.ledger.has_region = true;
      out.ledger.region = uint16_t(*index);
    }
    if (const auto account = query_value(target, "account")) {
      if (!is_valid_id(*account)) return answer_error(400, "bad_request", "account is not an id");
      command.account = *account;
    }
    uint64_t from = 0;
    uint64_t to = 0;
    if (!query_number(target, "from", 0, 0, INT64_MAX, from) ||
        !query_number(target, "to", uint64_t(INT64_MAX), 0, INT64_MAX, to)) {
      return answer_error(400, "bad_request", "from and to are milliseconds since the epoch");
    }
    if (query_value(target, "from")) out.ledger.from_ms = int64_t(from);
    if (query_value(target, "to")) out.ledger.to_ms = int64_t(to);
  }
  out.command = CommandEnvelope::wrap(command);
  if (!shard_.submit(out)) {
    return answer_error(503, "busy", "the exchange is busy; retry shortly", 1);
  }
  // The matcher answers through on_reply(); nothing is read meanwhile.
  awaiting_ = shared_from_this();
}

void HttpSession::on_reply(const OutHeader& header, std::string_view body) {
  const std::shared_ptr<HttpSession> self = std::move(awaiting_);
  answer(header.status, std::string(body), header.retry_after_s, header.close, header.csv);
}

void HttpSession::answer(unsigned status, std::string body, uint32_t retry_after_s, bool close,
                         bool csv) {
  // Rendered straight into one buffer: the answers are small and always of this one shape, and
  // this costs a fraction of a general serializer.
  const bool keep = keep_alive_ && !close;
  std::string& out = response_text_;
  out.clear();
  out.append(version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(status));
  out.push_back(' ');
  out.append(http::obsolete_reason(http::status(status)));
  out.append(csv ? "\r\nServer: cpx\r\nContent-Type: text/csv\r\nContent-Length: "
                 : "\r\nServer: cpx\r\nContent-Type: application/json\r\nContent-Length: ");
  out.append(std::to_string(body.size()));
  if (retry_after_s) {
    out.append("\r\nRetry-After: ");
    out.append(std::to_string(retry_after_s));
  }
  if (!keep) {
    out.append("\r\nConnection: close");
  } else if (version_ == 10) {
    out.append("\r\nConnection: keep-alive");
  }
  out.append("\r\n\r\n");
  out.append(body);
  stream_.expires_after(write_timeout);
  net::async_write(stream_, net::buffer(out),
                   beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), !keep));
}

void HttpSession::answer_error(unsigned status, std::string_view code, std::string_view message,
                               uint32_t retry_after_s) {
  answer(status, error_response(status, code, message).body, retry_after_s);
}

void HttpSession::on_write(bool close, beast::error_code ec, std::size_t) {
  if (ec || close) return do_close();
  do_read();
}

void HttpSession::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace cpx::gateway
