// cpx-load: an open-loop load generator for cpx-server (loopback only). Requests are scheduled
// at fixed times (start + i / rate) and each latency counts from its scheduled time, so a slow
// server cannot hide its slowness by slowing the generator down (no coordinated omission).
//
//   cpx-load --mode rest-orders|healthz|ws-asks|md-subscribers --port P [--rate R]
//            [--seconds S] [--connections C] [--subscribers N]
//
// It creates its own accounts with the operator key from CPX_OPERATOR_KEY_ID and
// CPX_OPERATOR_SECRET, and ends with one JSON line of results.
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/beast/websocket.hpp>
#include <utility>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cpx/auth/signing.hpp"

namespace {

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

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string field(const std::string& text, const std::string& name) {
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
  Admin(const Options& options, Key operator_key) : stream_(context_), signer_(std::move(operator_key)) {
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
    const std::string body =
        R"({"client_order_id":")" + std::to_string(i) + R"(","chip":"H100","qty":"1","price":")" +
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
    results_.latencies_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
                                        Clock::now() - connection.scheduled)
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

class WsAskLoad {
 public:
  // One provider account per connection (each account's pushes go to all its connections).
  WsAskLoad(net::io_context& context, const Options& options, Schedule& schedule,
            Results& results, const std::vector<Key>& providers)
      : context_(context), schedule_(schedule), results_(results), tick_(context),
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
      subscriber->connection.ws.write(net::buffer(
          std::string(R"({"op":"subscribe","req_id":1,"channels":["book:H100"]})")));
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
        subscriber.connection.buffer, [this, &subscriber](boost::system::error_code ec, std::size_t) {
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

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--mode") {
      options.mode = value;
    } else if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      options.port = uint16_t(std::stoi(value));
    } else if (flag == "--rate") {
      options.rate = std::stod(value);
    } else if (flag == "--seconds") {
      options.seconds = std::stod(value);
    } else if (flag == "--connections") {
      options.connections = std::stoi(value);
    } else if (flag == "--subscribers") {
      options.subscribers = std::stoi(value);
    } else if (flag == "--ws-batch") {
      options.ws_batch = value != "0";
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && options.rate > 0 && options.seconds > 0 && options.connections > 0;
}

int64_t percentile(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, std::size_t(p * double(sorted.size())))];
}

// One JSON line: what was sent and completed, the latency percentiles, the statuses.
void print_report(const Options& options, Results& results, double elapsed,
                  const std::string& extra) {
  std::vector<int64_t>& sorted = results.latencies_us;
  std::sort(sorted.begin(), sorted.end());
  std::string statuses;
  for (const auto& [status, count] : results.statuses) {
    statuses += (statuses.empty() ? "\"" : ",\"") + std::to_string(status) +
                "\":" + std::to_string(count);
  }
  std::printf(
      "{\"mode\":\"%s\",\"target_rate\":%.0f,\"connections\":%d,\"sent\":%llu,\"completed\":%llu,"
      "\"seconds\":%.3f,\"throughput_per_s\":%.0f,\"p50_us\":%lld,\"p99_us\":%lld,"
      "\"p999_us\":%lld,\"max_us\":%lld,\"statuses\":{%s}%s}\n",
      (options.mode + (options.ws_batch || options.mode == "rest-orders" ||
                               options.mode == "healthz"
                           ? ""
                           : "-unbatched"))
          .c_str(),
      options.rate, options.connections,
      (unsigned long long)results.sent, (unsigned long long)results.completed, elapsed,
      double(results.completed) / elapsed, (long long)percentile(sorted, 0.5),
      (long long)percentile(sorted, 0.99), (long long)percentile(sorted, 0.999),
      (long long)(sorted.empty() ? 0 : sorted.back()), statuses.c_str(), extra.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options) ||
      (options.mode != "rest-orders" && options.mode != "healthz" && options.mode != "ws-asks" &&
       options.mode != "md-subscribers")) {
    std::fprintf(stderr,
                 "usage: cpx-load --mode rest-orders|healthz|ws-asks|md-subscribers --port P "
                 "[--host 127.0.0.1] [--rate R] [--seconds S] [--connections C] "
                 "[--subscribers N]\n(the operator key comes from CPX_OPERATOR_KEY_ID and "
                 "CPX_OPERATOR_SECRET)\n");
    return 2;
  }
  if (options.host != "127.0.0.1" && options.host != "::1") {
    std::fprintf(stderr, "cpx-load: loopback only (127.0.0.1 or ::1)\n");
    return 2;
  }
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  const char* key_id = std::getenv("CPX_OPERATOR_KEY_ID");
  const char* secret = std::getenv("CPX_OPERATOR_SECRET");
  if (!key_id || !secret) {
    std::fprintf(stderr, "cpx-load: set CPX_OPERATOR_KEY_ID and CPX_OPERATOR_SECRET\n");
    return 2;
  }
  Admin admin(options, Key{key_id, secret});
  const std::string tag = std::to_string(wall_ms() % 100000000);
  const Key enterprise = admin.account("load-ent-" + tag, "enterprise");
  admin.post("/v1/admin/deposits", R"({"account":"load-ent-)" + tag + R"(","amount":"1000000000000"})");
  std::vector<Key> providers;
  for (int i = 0; i < options.connections; ++i) {
    providers.push_back(admin.account("load-prov-" + tag + "-" + std::to_string(i), "provider"));
  }
  const Key& provider = providers.front();

  net::io_context context(1);
  Results results;
  Schedule schedule{Clock::now(), options.rate, 0,
                    uint64_t(options.rate * options.seconds)};
  results.latencies_us.reserve(schedule.total);
  std::unique_ptr<RestLoad> rest;
  std::unique_ptr<WsAskLoad> asks;
  std::unique_ptr<MarketDataLoad> market;
  if (options.mode == "rest-orders") {
    // Resting asks for the IOC bids to take: deep enough for the whole run.
    WsConnection seller(context);
    seller.connect(options, &provider);
    seller.ws.write(net::buffer(std::string(
        R"({"op":"new","req_id":0,"client_order_id":"deep","chip":"H100","qty":"1000000000","price":"10","region":"zhangjiakou"})")));
    beast::flat_buffer ack;
    seller.ws.read(ack);
    rest = std::make_unique<RestLoad>(context, options, schedule, results, enterprise, true);
  } else if (options.mode == "healthz") {
    rest = std::make_unique<RestLoad>(context, options, schedule, results, enterprise, false);
  } else if (options.mode == "ws-asks") {
    asks = std::make_unique<WsAskLoad>(context, options, schedule, results, providers);
  } else {
    market = std::make_unique<MarketDataLoad>(context, options, schedule, results, providers);
  }
  schedule.start = Clock::now();
  if (rest) rest->start();
  if (asks) asks->start();
  if (market) market->start();
  context.run_for(std::chrono::milliseconds(int64_t((options.seconds + 30) * 1000)));
  const double elapsed = std::chrono::duration<double>(Clock::now() - schedule.start).count();
  std::string extra;
  if (market) {
    market->drain(context);
    const uint64_t final_seq = market->max_seq();
    extra = ",\"subscribers\":" + std::to_string(options.subscribers) +
            ",\"book_updates\":" + std::to_string(final_seq) +
            ",\"messages_delivered\":" + std::to_string(market->messages()) +
            ",\"gaps\":" + std::to_string(market->gaps()) +
            ",\"closed\":" + std::to_string(market->closed()) +
            ",\"behind_at_end\":" + std::to_string(market->behind(final_seq));
  }
  print_report(options, results, elapsed, extra);
  if (!results.first_rejection.empty()) {
    std::fprintf(stderr, "cpx-load: first rejection: %s\n", results.first_rejection.c_str());
  }
  return results.completed == schedule.total ? 0 : 1;
}
