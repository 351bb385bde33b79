// cpx-load's REST load: IOC bids (or /healthz) at the scheduled times over keep-alive
// connections.
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

#include "common.hpp"
#include "cpx/auth/signing.hpp"

namespace cpx::load {
class RestLoad {
 public:
  RestLoad(net::io_context& context, const Options& options, Schedule& schedule, Results& results,
           Key key, bool orders)
      : context_(context),
        schedule_(schedule),
        results_(results),
        key_(std::move(key)),
        orders_(orders),
        tick_(context) {
    for (int i = 0; i < options.connections; ++i) {
      auto connection = std::make_unique<Connection>(context);
      connection->socket.connect(tcp::endpoint(net::ip::make_address(options.host), options.port));
      connection->socket.set_option(tcp::no_delay(true));
      idle_.push_back(connection.get());
      connections_.push_back(std::move(connection));
    }
  }

  void start() { on_tick(); }

 private:
  struct Connection {
    explicit Connection(net::io_context& context) : socket(context) {}
    tcp::socket socket;
    std::string request;
    std::string input;  // bytes of the answer read so far
    std::size_t filled = 0;
    Clock::time_point scheduled;
  };

  void on_tick() {
    const uint64_t due = schedule_.due(Clock::now());
    while (schedule_.issued < due) waiting_.push_back(schedule_.issued++);
    dispatch();
    if (schedule_.issued < schedule_.total) {
      tick_.expires_after(std::chrono::microseconds(200));
      tick_.async_wait([this](boost::system::error_code) { on_tick(); });
    }
  }

  void dispatch() {
    while (!idle_.empty() && !waiting_.empty()) {
      Connection* connection = idle_.back();
      idle_.pop_back();
      const uint64_t i = waiting_.front();
      waiting_.pop_front();
      send(*connection, i);
    }
  }

  void render(Connection& connection, uint64_t i) {
    std::string& out = connection.request;
    out.clear();
    if (!orders_) {
      out = "GET /healthz HTTP/1.1\r\nHost: cpx\r\n\r\n";
      return;
    }
    // Half take liquidity (IOC bids that cross the resting asks), half rest below it.
    const bool take = i % 2 == 0;
    const std::string body = R"({"client_order_id":")" + std::to_string(i) +
                             R"(","chip":"H100","qty":"1","price":")" +
                             (take ? "20" : std::to_string(1 + i % 9)) + R"(","origin":"beijing")" +
                             (take ? R"(,"tif":"IOC"})" : "}");
    const std::string stamp = std::to_string(wall_ms());
    const std::string signature = cpx::auth::hmac_sha256_hex(
        key_.secret, cpx::auth::signing_payload(stamp, "POST", "/v1/orders", body));
    out.append("POST /v1/orders HTTP/1.1\r\nHost: cpx\r\nContent-Type: application/json\r\n");
    out.append("X-CPX-KEY: ").append(key_.id).append("\r\nX-CPX-TIMESTAMP: ").append(stamp);
    out.append("\r\nX-CPX-SIGNATURE: ").append(signature).append("\r\nContent-Length: ");
    out.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  }

  void send(Connection& connection, uint64_t i) {
    connection.scheduled = schedule_.at(i);
    render(connection, i);
    ++results_.sent;
    net::async_write(connection.socket, net::buffer(connection.request),
                     [this, &connection](boost::system::error_code ec, std::size_t) {
                       if (ec) return fail(ec);
                       connection.filled = 0;
                       read(connection);
                     });
  }

  void read(Connection& connection) {
    if (connection.input.size() < connection.filled + 4096) {
      connection.input.resize(connection.filled + 4096);
    }
    connection.socket.async_read_some(
        net::buffer(connection.input.data() + connection.filled,
                    connection.input.size() - connection.filled),
        [this, &connection](boost::system::error_code ec, std::size_t bytes) {
          if (ec) return fail(ec);
          connection.filled += bytes;
          const std::string_view text(connection.input.data(), connection.filled);
          const std::size_t head_end = text.find("\r\n\r\n");
          if (head_end == std::string_view::npos) return read(connection);
          const std::size_t length_at = text.find("Content-Length: ");
          std::size_t length = 0;
          if (length_at != std::string_view::npos && length_at < head_end) {
            std::from_chars(text.data() + length_at + 16, text.data() + head_end, length);
          }
          if (connection.filled < head_end + 4 + length) return read(connection);
          unsigned status = 0;
          std::from_chars(text.data() + 9, text.data() + 12, status);
          done(connection, status);
        });
  }

  void done(Connection& connection, unsigned status) {
    results_.latencies_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - connection.scheduled)
            .count());
    ++results_.statuses[status];
    ++results_.completed;
    idle_.push_back(&connection);
    dispatch();
    if (results_.completed == schedule_.total) context_.stop();
  }

  void fail(boost::system::error_code ec) {
    std::fprintf(stderr, "cpx-load: connection failed: %s\n", ec.message().c_str());
    std::exit(1);
  }

  net::io_context& context_;
  Schedule& schedule_;
  Results& results_;
  Key key_;
  bool orders_;
  net::steady_timer tick_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::deque<uint64_t> waiting_;
};

// ---- WebSocket: many requests in flight per connection ---------------------------------------

}  // namespace cpx::load
