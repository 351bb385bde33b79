#include "http_session.hpp"

#include <chrono>

#include "cpx/gateway/public_api.hpp"
#include "cpx/gateway/server.hpp"

namespace cpx::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr auto read_timeout = std::chrono::seconds(30);

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::response<http::string_body> to_http(const Response& answer, unsigned version,
                                          bool keep_alive) {
  http::response<http::string_body> response{http::status(answer.status), version};
  response.set(http::field::server, "cpx");
  response.set(http::field::content_type, "application/json");
  response.keep_alive(keep_alive);
  response.body() = answer.body;
  response.prepare_payload();
  return response;
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket&& socket, const Config& config)
    : stream_(std::move(socket)), config_(config) {}

void HttpSession::run() {
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
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
    return send(
        to_http(error_response(413, "body_too_large", "bodies are limited to 64 KiB"), 11, false));
  }
  if (ec) return do_close();  // timeouts, resets, malformed HTTP: nothing useful to answer
  const auto& request = parser_->get();
  const Response answer = handle_public(config_, std::string_view(request.method_string()),
                                        std::string_view(request.target()), now_ms());
  send(to_http(answer, request.version(), request.keep_alive()));
}

void HttpSession::send(http::response<http::string_body>&& response) {
  response_ = std::make_shared<http::response<http::string_body>>(std::move(response));
  http::async_write(
      stream_, *response_,
      beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), response_->need_eof()));
}

void HttpSession::on_write(bool close, beast::error_code ec, std::size_t) {
  response_.reset();
  if (ec || close) return do_close();
  do_read();
}

void HttpSession::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace cpx::gateway
