#include "http_session.hpp"

#include "cpx/gateway/public_api.hpp"
#include "cpx/gateway/rest_router.hpp"
#include "cpx/gateway/server.hpp"
#include "cpx/gateway/venue_types.hpp"
#include "ws_session.hpp"

namespace cpx::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr auto read_timeout = std::chrono::seconds(30);
constexpr auto write_timeout = std::chrono::seconds(30);

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket&& socket, IoThread& io_thread, ConnectionSlot&& slot)
    : stream_(std::move(socket)), io_thread_(io_thread), slot_(std::move(slot)) {}

HttpSession::~HttpSession() {
  if (session_id_) io_thread_.remove_session(session_id_);
}

void HttpSession::run() {
  session_id_ = io_thread_.add_session(weak_from_this());
  if (slot_.anonymous()) io_thread_.track_anonymous(session_id_, false);
  do_read();
}

void HttpSession::evict() {
  beast::error_code ignored;
  stream_.socket().close(ignored);
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(request_body_bytes_max);
  parser_->header_limit(request_header_bytes_max);
  expire_reading();
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
}

void HttpSession::on_header(beast::error_code ec, std::size_t bytes) {
  if (ec) return on_read(ec, bytes);
  if (parser_->is_done()) return on_read(ec, bytes);
  const auto expect = parser_->get()[http::field::expect];
  if (beast::iequals(expect, "100-continue")) {
    static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.expires_after(write_timeout);
    net::async_write(stream_, net::buffer(go_on.data(), go_on.size()),
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       if (error) return self->do_close();
                       self->read_rest();
                     });
    return;
  }
  read_rest();
}

void HttpSession::expire_reading() {
  // A new connection has a short time for its first request: a connection that sends nothing
  // does not hold a place for long (docs/api.md, "Limits").
  stream_.expires_after(
      served_ ? read_timeout
              : std::chrono::seconds(io_thread_.core.settings.first_request_timeout_s));
}

void HttpSession::read_rest() {
  expire_reading();
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return do_close();
  if (ec == http::error::body_limit) {
    // Answer, then close: the rest of the oversized body is not worth reading.
    version_ = 11;
    keep_alive_ = false;
    return answer_error(
        413, "body_too_large",
        "bodies are limited to " + std::to_string(request_body_bytes_max / 1024) + " KiB");
  }
  if (ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::partial_message) {
    // Malformed HTTP (a bad request line, header or chunk): answered, then closed.
    version_ = 11;
    keep_alive_ = false;
    return answer_error(400, "bad_request",
                        ec == http::error::header_limit
                            ? "request headers are limited to " +
                                  std::to_string(request_header_bytes_max / 1024) + " KiB"
                            : "malformed HTTP request: " + ec.message());
  }
  if (ec) return do_close();  // timeouts, resets, a request cut short: nothing to answer
  served_ = true;
  Request& request = parser_->get();
  version_ = request.version();
  keep_alive_ = request.keep_alive();
  const std::string_view target = request.target();
  if (target.substr(0, target.find('?')) == "/v1/ws" && beast::websocket::is_upgrade(request)) {
    // The WebSocket session holds the connection's place from here.
    std::make_shared<WsSession>(stream_.release_socket(), io_thread_, std::move(slot_))
        ->run(parser_->release());
    return;
  }
  route(request);
}

void HttpSession::route(const Request& request) {
  HttpRequest http;
  http.method = request.method_string();
  http.target = request.target();
  http.body = request.body();
  http.key_id = request["X-CPX-KEY"];
  http.timestamp = request["X-CPX-TIMESTAMP"];
  http.signature = request["X-CPX-SIGNATURE"];
  http.accept = request[http::field::accept];
  for (const std::string_view name : {"X-CPX-KEY", "X-CPX-TIMESTAMP", "X-CPX-SIGNATURE"}) {
    if (http.repeated_header.empty() && request.count(name) > 1) http.repeated_header = name;
  }
  Routed routed = io_thread_.rest.route(http, wall_clock_ms());
  if (routed.to_matcher) {
    // Signed by a known key: no longer anonymous, never displaced by new connections.
    if (slot_.anonymous()) {
      slot_.authenticated();
      io_thread_.forget_anonymous(session_id_);
    }
  } else if (slot_.anonymous()) {
    io_thread_.track_anonymous(session_id_, true);
  }
  if (!routed.to_matcher) return answer(routed.answer.status, std::move(routed.answer.body));
  routed.request.session = session_id_;
  if (!io_thread_.submit(routed.request)) {
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
