// Hostile connections against the real cpx-server (docs/api.md, "Limits"): a flood of
// connections that send nothing never locks out a logged-in provider or a signed REST client,
// and is closed after the first-request timeout; a WebSocket that never sends a message is
// closed too; one address has its share of the connections and no more.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "client.hpp"

namespace cpx::test {
namespace {

using Clock = std::chrono::steady_clock;

// Connections from `source` that send nothing.
std::vector<std::unique_ptr<tcp::socket>> idle_connections(net::io_context& context, uint16_t port,
                                                           int count, const std::string& source) {
  std::vector<std::unique_ptr<tcp::socket>> out;
  for (int i = 0; i < count; ++i) {
    auto socket = std::make_unique<tcp::socket>(context);
    socket->open(tcp::v4());
    socket->bind(tcp::endpoint(net::ip::make_address(source), 0));
    socket->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    socket->non_blocking(true);
    out.push_back(std::move(socket));
  }
  return out;
}

// How many of them the server has closed (they read end-of-stream or a reset).
int closed_count(std::vector<std::unique_ptr<tcp::socket>>& sockets) {
  int closed = 0;
  for (auto& socket : sockets) {
    char byte;
    boost::system::error_code ec;
    socket->read_some(net::buffer(&byte, 1), ec);
    if (ec && ec != net::error::would_block && ec != net::error::try_again) ++closed;
  }
  return closed;
}

// Waits up to `limit` for at least `want` of them to be closed; returns how many are.
int wait_closed(std::vector<std::unique_ptr<tcp::socket>>& sockets, int want,
                std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  int closed = closed_count(sockets);
  while (closed < want && Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    closed = closed_count(sockets);
  }
  return closed;
}

}  // namespace

TEST_CASE("a flood of silent connections never locks out a provider or a signed client") {
  RunningServer server({"--max-connections", "100", "--first-request-timeout", "2"});
  RestClient admin(server.port, operator_key, operator_secret);
  const Key provider = create_account(admin, "p1", "provider");
  const Key buyer = create_account(admin, "e1", "enterprise");
  // The provider is logged in before the flood comes.
  WsClient session(server.port, provider.id, provider.secret);
  REQUIRE(session.read().find("logged_in") != std::string::npos);

  // Three times the cap of connections that connect and send nothing.
  net::io_context context;
  const auto flood_start = Clock::now();
  auto flood = idle_connections(context, server.port, 300, "127.0.0.1");
  // Each new one made way for it by closing the oldest silent one: at most nine tenths of the
  // cap stay anonymous, whatever comes.
  const int displaced = wait_closed(flood, 210, std::chrono::milliseconds(1500));
  CHECK(displaced >= 210);
  MESSAGE(displaced, " of 300 silent connections made way for newer ones at once");

  // A signed REST client that connects now (from another address) is served, and so is the
  // provider's session.
  RestClient client(server.port, buyer.id, buyer.secret, "127.0.0.2");
  const Response account = client.send(http::verb::get, "/v1/account");
  CHECK(account.result_int() == 200);
  session.send(R"({"op":"new","req_id":1,"client_order_id":"a1","chip":"H100","region":"zhongwei",)"
               R"("qty":"1","price":"9"})");
  CHECK(session.read_until("\"req_id\":1").find("accepted") != std::string::npos);

  // Within the first-request timeout (2 s), every silent connection is closed.
  CHECK(wait_closed(flood, 300, std::chrono::milliseconds(4000)) == 300);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - flood_start);
  MESSAGE("all silent connections closed after ", took.count(), " ms");
  CHECK(took.count() < 5000);  // the first-request timeout and a margin, not the 30 s idle one
  // The authenticated ones are untouched.
  CHECK(client.send(http::verb::get, "/v1/account").result_int() == 200);
  session.send(R"({"op":"cancel","req_id":2,"client_order_id":"a1"})");
  CHECK(session.read_until("\"req_id\":2").find("\"reason\":\"canceled\"") != std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("a WebSocket that never sends a message is closed; a subscriber stays") {
  RunningServer server({"--first-request-timeout", "1"});
  WsClient silent(server.port);
  WsClient subscriber(server.port);
  subscriber.send(R"({"op":"subscribe","req_id":1,"channels":["book:H100"]})");
  CHECK(subscriber.read().find("subscribed") != std::string::npos);
  // The silent one reads nothing but the close, within the timeout and a little.
  const auto start = Clock::now();
  CHECK(silent.read(std::chrono::milliseconds(3000)).empty());
  CHECK(silent.error() != net::error::timed_out);
  CHECK(Clock::now() - start < std::chrono::milliseconds(2500));
  // The subscriber still gets its heartbeats after it.
  CHECK(subscriber.read_until("heartbeat", 10).find("\"channel\":\"book:H100\"") !=
        std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("one address has its share of the connections; others are served") {
  RunningServer server({"--max-connections-per-address", "20"});
  net::io_context context;
  auto own = idle_connections(context, server.port, 25, "127.0.0.3");
  // The five over the share are closed at once; the twenty stay (for their first request).
  CHECK(wait_closed(own, 5, std::chrono::milliseconds(1000)) == 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(closed_count(own) == 5);
  RestClient other(server.port, "", "", "127.0.0.4");
  CHECK(other.send(http::verb::get, "/v1/time").result_int() == 200);
  // When they leave, the address has its share again.
  own.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto again = idle_connections(context, server.port, 20, "127.0.0.3");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(closed_count(again) == 0);
  CHECK(server.stop() == 0);
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("a request that expects 100-continue is told to go on before it sends its body") {
  RunningServer server;
  net::io_context context;
  tcp::socket socket(context);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port));
  net::write(socket, net::buffer(std::string("POST /v1/orders HTTP/1.1\r\nHost: x\r\n"
                                             "Content-Type: application/json\r\n"
                                             "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n")));
  // The interim answer comes without the body sent (curl otherwise waits a second for it).
  std::string interim;
  socket.non_blocking(true);
  const auto end = Clock::now() + std::chrono::milliseconds(1000);
  while (interim.find("\r\n\r\n") == std::string::npos && Clock::now() < end) {
    char buffer[256];
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(net::buffer(buffer), ec);
    if (n) interim.append(buffer, n);
    if (ec && ec != net::error::would_block && ec != net::error::try_again) break;
    if (!n) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  socket.non_blocking(false);
  net::write(socket, net::buffer(std::string("{}")));
  std::string answer;
  boost::system::error_code ec;
  while (answer.find("\r\n\r\n") == std::string::npos && !ec) {
    char buffer[512];
    answer.append(buffer, socket.read_some(net::buffer(buffer), ec));
  }
  CHECK(answer.starts_with("HTTP/1.1 401 Unauthorized"));  // then the request as any other
  CHECK(server.stop() == 0);
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("a slowloris of 2,000 connections does not stop a normal client from trading") {
  // Descriptors for both ends (the server inherits the raised limit).
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::max(files.rlim_cur, std::min<rlim_t>(files.rlim_max, 8192));
  setrlimit(RLIMIT_NOFILE, &files);
  const int count =
      int(std::min<rlim_t>(2000, files.rlim_cur > 400 ? (files.rlim_cur - 200) / 2 : 100));
  MESSAGE(count, " slow connections (descriptor limit ", files.rlim_cur, ")");
  RunningServer server({"--first-request-timeout", "3", "--max-connections-per-address", "0"});
  RestClient admin(server.port, operator_key, operator_secret);
  const Key provider = create_account(admin, "p1", "provider");
  const Key buyer = create_account(admin, "e1", "enterprise");
  REQUIRE(admin.send(http::verb::post, "/v1/admin/deposits", R"({"account":"e1","amount":"100"})")
              .result_int() == 200);
  WsClient session(server.port, provider.id, provider.secret);
  REQUIRE(session.read().find("logged_in") != std::string::npos);
  session.send(R"({"op":"new","req_id":1,"client_order_id":"a1","chip":"H100","region":"zhongwei",)"
               R"("qty":"1","price":"9"})");
  REQUIRE(session.read_until("\"req_id\":1").find("accepted") != std::string::npos);

  // Each sends a request line and then a header a byte at a time, never finishing.
  net::io_context context;
  auto slow = idle_connections(context, server.port, count, "127.0.0.1");
  const std::string trickle = "GET /v1/time HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  for (std::size_t at = 0; at < trickle.size(); at += 8) {
    for (auto& socket : slow) {
      boost::system::error_code ignored;
      socket->write_some(
          net::buffer(trickle.data() + at, std::min<std::size_t>(8, trickle.size() - at)), ignored);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Meanwhile a buyer connects and trades with the provider.
  RestClient client(server.port, buyer.id, buyer.secret, "127.0.0.2");
  const Response bid = client.send(http::verb::post, "/v1/orders",
                                   R"({"client_order_id":"b1","chip":"H100","origin":"zhongwei",)"
                                   R"("qty":"1","price":"9"})");
  INFO(bid.body());
  CHECK(bid.result_int() == 201);
  CHECK(json_field(bid.body(), "status") == "filled");
  CHECK(session.read_until("\"type\":\"trade\"").find("\"client_order_id\":\"a1\"") !=
        std::string::npos);
  // And the slow ones are closed by the first-request timeout.
  CHECK(wait_closed(slow, count, std::chrono::milliseconds(6000)) == count);
  CHECK(server.stop() == 0);
}

}  // namespace cpx::test
