// cpx-load's WebSocket loads: providers' asks, and market-data subscribers.
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
class WsAskLoad {
 public:
  // One provider account per connection (each account's pushes go to all its connections).
  WsAskLoad(net::io_context& context, const Options& options, Schedule& schedule, Results& results,
            const std::vector<Key>& providers)
      : context_(context),
        schedule_(schedule),
        results_(results),
        tick_(context),
        batch_(options.ws_batch) {
    for (int i = 0; i < options.connections; ++i) {
      connections_.push_back(std::make_unique<WsConnection>(context));
      connections_.back()->connect(options, &providers[std::size_t(i) % providers.size()]);
    }
    pending_.resize(connections_.size());
    results_.latencies_us.reserve(schedule.total);
  }

  void start() {
    for (auto& connection : connections_) read(*connection);
    on_tick();
  }

 private:
  void read(WsConnection& connection) {
    connection.ws.async_read(connection.buffer, [this, &connection](boost::system::error_code ec,
                                                                    std::size_t) {
      if (ec) {
        if (!finished_) std::fprintf(stderr, "cpx-load: read failed: %s\n", ec.message().c_str());
        return;
      }
      const std::string frame = beast::buffers_to_string(connection.buffer.data());
      connection.buffer.consume(connection.buffer.size());
      const auto now = Clock::now();
      for (std::size_t start = 0; start < frame.size();) {
        std::size_t end = frame.find('\n', start);
        if (end == std::string::npos) end = frame.size();
        const std::string text = frame.substr(start, end - start);
        start = end + 1;
        const std::string id = field(text, "req_id");
        if (id.empty() || id == "null") continue;
        const uint64_t i = std::stoull(id);
        results_.latencies_us.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(now - schedule_.at(i)).count());
        const bool rejected = text.starts_with("{\"type\":\"rejected\"");
        if (rejected && results_.first_rejection.empty()) results_.first_rejection = text;
        ++results_.statuses[rejected ? 400 : 200];
        if (++results_.completed == schedule_.total) {
          finished_ = true;
          context_.stop();
          return;
        }
      }
      read(connection);
    });
  }

  void on_tick() {
    const uint64_t due = schedule_.due(Clock::now());
    for (; schedule_.issued < due; ++schedule_.issued) {
      const uint64_t i = schedule_.issued;
      // Providers' churn: a new ask, then the cancel of the previous one.
      std::string text;
      if (i % 2 == 0) {
        text = R"({"op":"new","req_id":)" + std::to_string(i) + R"(,"client_order_id":"w)" +
               std::to_string(i) + R"(","chip":"H100","qty":"5","price":")" +
               std::to_string(30 + i % 50) + R"(","region":"zhangjiakou","green_pct":80})";
      } else {
        text = R"({"op":"cancel","req_id":)" + std::to_string(i) + R"(,"client_order_id":"w)" +
               std::to_string(i - 1) + "\"}";
      }
      // New, then its cancel, on one connection. In batch mode the requests that fall due in one
      // tick go out together, one per line, as a client streaming asks would send them.
      const std::size_t c = (i / 2) % connections_.size();
      if (!batch_) {
        connections_[c]->send(std::move(text));
      } else {
        std::string& lines = pending_[c];
        if (!lines.empty()) lines.push_back('\n');
        lines += text;
        if (lines.size() > 32 * 1024) connections_[c]->send(std::exchange(lines, std::string()));
      }
      ++results_.sent;
    }
    for (std::size_t c = 0; c < pending_.size(); ++c) {
      if (!pending_[c].empty()) connections_[c]->send(std::exchange(pending_[c], std::string()));
    }
    if (schedule_.issued < schedule_.total) {
      tick_.expires_after(std::chrono::microseconds(200));
      tick_.async_wait([this](boost::system::error_code) { on_tick(); });
    }
  }

  net::io_context& context_;
  Schedule& schedule_;
  Results& results_;
  net::steady_timer tick_;
  std::vector<std::unique_ptr<WsConnection>> connections_;
  bool finished_ = false;
  bool batch_;
  std::vector<std::string> pending_;  // by connection: this tick's lines in batch mode
};

// ---- Market data: N subscribers follow the book while a provider churns asks ------------------

class MarketDataLoad {
 public:
  MarketDataLoad(net::io_context& context, const Options& options, Schedule& schedule,
                 Results& results, const std::vector<Key>& providers)
      : asks_(context, options, schedule, results, providers), context_(context) {
    for (int i = 0; i < options.subscribers; ++i) {
      auto subscriber = std::make_unique<Subscriber>(context);
      subscriber->connection.connect(options, nullptr);
      subscriber->connection.ws.write(
          net::buffer(std::string(R"({"op":"subscribe","req_id":1,"channels":["book:H100"]})")));
      subscribers_.push_back(std::move(subscriber));
    }
  }

  void start() {
    for (auto& subscriber : subscribers_) read(*subscriber);
    asks_.start();
  }

  // After the order flow: let the subscribers catch up to the final seq.
  void drain(net::io_context& context) {
    context.restart();
    context.run_for(std::chrono::seconds(2));
  }

  uint64_t messages() const { return messages_; }
  uint64_t gaps() const { return gaps_; }
  uint64_t closed() const { return closed_; }
  uint64_t behind(uint64_t final_seq) const {
    uint64_t n = 0;
    for (const auto& subscriber : subscribers_) n += subscriber->seq != final_seq;
    return n;
  }
  uint64_t max_seq() const {
    uint64_t seq = 0;
    for (const auto& subscriber : subscribers_) seq = std::max(seq, subscriber->seq);
    return seq;
  }

 private:
  struct Subscriber {
    explicit Subscriber(net::io_context& context) : connection(context) {}
    WsConnection connection;
    uint64_t seq = 0;
  };

  void read(Subscriber& subscriber) {
    subscriber.connection.ws.async_read(
        subscriber.connection.buffer,
        [this, &subscriber](boost::system::error_code ec, std::size_t) {
          if (ec) {
            ++closed_;
            return;
          }
          auto& buffer = subscriber.connection.buffer;
          const std::string frame = beast::buffers_to_string(buffer.data());
          buffer.consume(buffer.size());
          for (std::size_t start = 0; start < frame.size();) {
            std::size_t end = frame.find('\n', start);
            if (end == std::string::npos) end = frame.size();
            const std::string_view text(frame.data() + start, end - start);
            start = end + 1;
            if (text.starts_with("{\"type\":\"snapshot\"")) {
              subscriber.seq = std::stoull(field(std::string(text), "seq"));
            } else if (text.starts_with("{\"type\":\"book\"")) {
              const uint64_t seq = std::stoull(field(std::string(text.substr(0, 80)), "seq"));
              if (seq != subscriber.seq + 1) ++gaps_;
              subscriber.seq = seq;
              ++messages_;
            }
          }
          read(subscriber);
        });
  }

  WsAskLoad asks_;
  net::io_context& context_;
  std::vector<std::unique_ptr<Subscriber>> subscribers_;
  uint64_t messages_ = 0;
  uint64_t gaps_ = 0;
  uint64_t closed_ = 0;
};

}  // namespace cpx::load
