// cpx-load's shared parts: options, keys and signing, the admin client that makes accounts,
// the open-loop schedule and its results, a WebSocket connection.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cpx/auth/signing.hpp"

namespace cpx::load {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode = "rest-orders";
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  double rate = 10000;
  double seconds = 5;
  int connections = 32;
  int subscribers = 1000;
  bool ws_batch = true;  // connect to /v1/ws?batch=1 (several messages per frame, one per line)
};

struct Key {
  std::string id;
  std::string secret;
};

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string field(const std::string& text, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const std::size_t at = text.find(key);
  if (at == std::string::npos) return "";
  std::size_t start = at + key.size();
  if (text[start] == '"') return text.substr(start + 1, text.find('"', start + 1) - start - 1);
  std::size_t end = start;
  while (end < text.size() && text[end] != ',' && text[end] != '}') ++end;
  return text.substr(start, end - start);
}

// Signs like a client, with the current time (the bodies differ, so the signatures do too).
class Signer {
 public:
  explicit Signer(Key key) : key_(std::move(key)) {}
  void sign(http::request<http::string_body>& request) {
    // Set-up requests may repeat a body: never reuse a millisecond for those.
    last_ = std::max(wall_ms(), last_ + (request.target() == "/v1/orders" ? 0 : 1));
    const std::string stamp = std::to_string(last_);
    request.set("X-CPX-KEY", key_.id);
    request.set("X-CPX-TIMESTAMP", stamp);
    request.set("X-CPX-SIGNATURE",
                cpx::auth::hmac_sha256_hex(
                    key_.secret,
                    cpx::auth::signing_payload(stamp, std::string(request.method_string()),
                                               std::string(request.target()), request.body())));
  }
  const Key& key() const { return key_; }

 private:
  Key key_;
  int64_t last_ = 0;
};

// Set-up over one synchronous connection: accounts, keys, deposits.
class Admin {
 public:
  Admin(const Options& options, Key operator_key)
      : stream_(context_), signer_(std::move(operator_key)) {
    stream_.connect(tcp::endpoint(net::ip::make_address(options.host), options.port));
  }
  std::string post(const std::string& target, const std::string& body) {
    http::request<http::string_body> request{http::verb::post, target, 11};
    request.set(http::field::host, "cpx");
    request.body() = body;
    request.prepare_payload();
    signer_.sign(request);
    http::write(stream_, request);
    http::response<http::string_body> response;
    http::read(stream_, buffer_, response);
    if (response.result_int() >= 300) {
      std::fprintf(stderr, "cpx-load: set-up %s failed: %u %s\n", target.c_str(),
                   response.result_int(), response.body().c_str());
      std::exit(1);
    }
    return response.body();
  }
  Key account(const std::string& name, const std::string& role) {
    const std::string body =
        post("/v1/admin/accounts", R"({"account":")" + name + R"(","role":")" + role + "\"}");
    return Key{field(body, "key_id"), field(body, "secret")};
  }

 private:
  net::io_context context_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  Signer signer_;
};

struct Results {
  std::vector<int64_t> latencies_us;
  std::map<unsigned, uint64_t> statuses;
  uint64_t sent = 0;
  uint64_t completed = 0;
  std::string first_rejection;
};

// Schedules request i at start + i / rate.
struct Schedule {
  Clock::time_point start;
  double rate;
  uint64_t issued = 0;
  uint64_t total;
  uint64_t due(Clock::time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - start).count();
    return std::min<uint64_t>(total, uint64_t(elapsed * rate) + 1);
  }
  Clock::time_point at(uint64_t i) const {
    return start + std::chrono::nanoseconds(int64_t(double(i) * 1e9 / rate));
  }
};

// ---- REST: one request in flight per kept-alive connection -----------------------------------
// Requests are rendered and answers parsed by hand (status line, Content-Length), so the
// generator spends little of the CPU it shares with the server.

struct WsConnection {
  explicit WsConnection(net::io_context& context) : ws(context) {}
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::deque<std::string> outbox;
  bool writing = false;

  void connect(const Options& options, const Key* key) {
    beast::get_lowest_layer(ws).connect(
        tcp::endpoint(net::ip::make_address(options.host), options.port));
    beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
    if (key) {
      // Logins sign the same text; two in one millisecond would be replays of each other.
      static int64_t last_stamp = 0;
      last_stamp = std::max(wall_ms(), last_stamp + 1);
      const std::string stamp = std::to_string(last_stamp);
      const std::string signature = cpx::auth::hmac_sha256_hex(
          key->secret, cpx::auth::signing_payload(stamp, "GET", "/v1/ws", ""));
      ws.set_option(websocket::stream_base::decorator([=](websocket::request_type& request) {
        request.set("X-CPX-KEY", key->id);
        request.set("X-CPX-TIMESTAMP", stamp);
        request.set("X-CPX-SIGNATURE", signature);
      }));
    }
    ws.handshake(options.host, options.ws_batch ? "/v1/ws?batch=1" : "/v1/ws");
    if (key) {
      beast::flat_buffer login;
      ws.read(login);  // logged_in
    }
  }
  void send(std::string text) {
    outbox.push_back(std::move(text));
    if (!writing) write_next();
  }
  void write_next() {
    writing = true;
    ws.async_write(net::buffer(outbox.front()), [this](boost::system::error_code ec, std::size_t) {
      if (ec) {
        std::fprintf(stderr, "cpx-load: write failed: %s\n", ec.message().c_str());
        std::exit(1);
      }
      outbox.pop_front();
      if (outbox.empty()) {
        writing = false;
      } else {
        write_next();
      }
    });
  }
};

}  // namespace cpx::load
