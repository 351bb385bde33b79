// End to end over loopback against the real cpx-server: accounts and keys, a REST bid and a
// WebSocket ask that trade, every kind of auth failure, bad input on both surfaces, market data
// rebuilt from snapshot + deltas, a slow subscriber cut off, rate limits.
#include <doctest/doctest.h>

#include <map>

#include "client.hpp"

namespace cpx::test {
namespace {

struct Market {
  RunningServer server;
  RestClient admin;
  Key enterprise;
  Key enterprise2;
  Key provider;

  explicit Market(std::vector<std::string> args = {})
      : server(std::move(args)), admin(server.port, operator_key, operator_secret) {
    enterprise = create_account(admin, "acme", "enterprise");
    enterprise2 = create_account(admin, "globex", "enterprise");
    provider = create_account(admin, "westdc", "provider");
    for (const char* account : {"acme", "globex"}) {
      const Response deposit =
          admin.send(http::verb::post, "/v1/admin/deposits",
                     std::string(R"({"account":")") + account + R"(","amount":"1000000"})");
      REQUIRE(deposit.result_int() == 200);
    }
  }
};

// Applies a book message's levels (snapshot or delta) to a side map.
void apply_levels(const std::string& message, const std::string& side,
                  std::map<std::string, std::string>& levels, bool snapshot) {
  if (snapshot) levels.clear();
  const std::size_t at = message.find("\"" + side + "\":[");
  REQUIRE(at != std::string::npos);
  const std::size_t end = message.find(']', at);
  std::size_t pos = at;
  while ((pos = message.find("{\"price\":", pos)) != std::string::npos && pos < end) {
    const std::size_t close = message.find('}', pos);
    const std::string level = message.substr(pos, close - pos + 1);
    const std::string price = json_field(level, "price");
    if (json_field(level, "orders") == "0") {
      levels.erase(price);
    } else {
      levels[price] = json_field(level, "qty") + "/" + json_field(level, "orders");
    }
    pos = close;
  }
}

}  // namespace

TEST_CASE("messages sent right after a login are handled after it, in order") {
  Market market;
  for (const bool by_header : {true, false}) {
    WsClient provider(market.server.port, by_header ? market.provider.id : "",
                      by_header ? market.provider.secret : "");
    if (!by_header) provider.send(login_message(market.provider.id, market.provider.secret));
    const std::string id = by_header ? "h" : "m";
    for (int i = 1; i <= 3; ++i) {  // not waiting for logged_in
      provider.send(R"({"op":"new","req_id":)" + std::to_string(i) + R"(,"client_order_id":")" +
                    id + std::to_string(i) +
                    R"(","chip":"H100","qty":"1","price":"2.5","region":"zhongwei"})");
    }
    CHECK(provider.read().starts_with(R"({"type":"logged_in",)"));
    for (int i = 1; i <= 3; ++i) {
      CHECK(provider.read().starts_with(R"({"type":"accepted","req_id":)" + std::to_string(i)));
    }
  }
}

TEST_CASE("a WebSocket ask and a REST bid trade, and both sides are told") {
  Market market;
  WsClient provider(market.server.port, market.provider.id, market.provider.secret);
  const std::string login = provider.read();
  CHECK(login.starts_with(R"({"type":"logged_in","req_id":null,"account":"westdc")"));

  provider.send(
      R"({"op":"new","req_id":1,"client_order_id":"a1","chip":"H100","qty":"8","price":"2.5",)"
      R"("region":"zhongwei","green_pct":90})");
  const std::string accepted = provider.read();
  CHECK(accepted.starts_with(R"({"type":"accepted","req_id":1,"client_order_id":"a1")"));

  RestClient acme(market.server.port, market.enterprise.id, market.enterprise.secret);
  const Response bid = acme.send(
      http::verb::post, "/v1/orders",
      R"({"client_order_id":"b1","chip":"H100","qty":"10","price":"3","origin":"beijing",)"
      R"("max_latency_ms":50})");
  REQUIRE(bid.result_int() == 201);
  CHECK(bid.body().find(R"("open_qty":"2","filled_qty":"8","status":"open")") != std::string::npos);
  CHECK(bid.body().find(R"("trades":[{"trade_id":1,"client_order_id":"b1","side":"bid")") !=
        std::string::npos);
  CHECK(bid.body().find(R"("price":"2.5","qty":"8","notional":"20")") != std::string::npos);

  // The provider is told of its trade and of its ask's ending, numbered 1 and 2.
  const std::string trade = provider.read_until("\"type\":\"trade\"");
  CHECK(json_field(trade, "account_seq") == "1");
  CHECK(json_field(trade, "client_order_id") == "a1");
  CHECK(json_field(trade, "liquidity") == "maker");
  CHECK(trade.find("acme") == std::string::npos);
  const std::string done = provider.read_until("\"type\":\"done\"");
  CHECK(json_field(done, "account_seq") == "2");
  CHECK(json_field(done, "reason") == "filled");

  // Balances: 8 * 2.5 spent, 2 * 3 held.
  const Response account = acme.send(http::verb::get, "/v1/account");
  CHECK(account.body().find(R"("balance":"999980","held":"6","available":"999974")") !=
        std::string::npos);
  const Response provider_fills =
      RestClient(market.server.port, market.provider.id, market.provider.secret)
          .send(http::verb::get, "/v1/fills?after_trade_id=0");
  CHECK(provider_fills.body().find(R"("trade_id":1,"client_order_id":"a1","side":"ask")") !=
        std::string::npos);

  // Amend and cancel over REST; the order reads back in its final state.
  const Response amended = acme.send(http::verb::patch, "/v1/orders/b1", R"({"qty":"1"})");
  CHECK(amended.result_int() == 200);
  CHECK(amended.body().find(R"("open_qty":"1")") != std::string::npos);
  CHECK(acme.send(http::verb::delete_, "/v1/orders/b1").result_int() == 200);
  const Response read = acme.send(http::verb::get, "/v1/orders/b1");
  CHECK(json_field(read.body(), "status") == "canceled");
  CHECK(acme.send(http::verb::get, "/v1/orders?status=open").body() ==
        R"({"orders":[],"next_after_order_id":null})");
  CHECK(market.server.stop() == 0);
}

TEST_CASE("every auth failure is refused and changes nothing") {
  Market market;
  RestClient acme(market.server.port, market.enterprise.id, market.enterprise.secret);
  const std::string body =
      R"({"client_order_id":"x1","chip":"H100","qty":"1","price":"1","origin":"beijing"})";

  RestClient anonymous(market.server.port);
  Response response = anonymous.send(http::verb::post, "/v1/orders", body);
  CHECK(response.result_int() == 401);
  CHECK(json_field(response.body(), "code") == "unauthorized");

  RestClient wrong(market.server.port, market.enterprise.id, "not-the-secret");
  CHECK(wrong.send(http::verb::post, "/v1/orders", body).result_int() == 401);
  RestClient unknown(market.server.port, "no-such-key", "x");
  CHECK(unknown.send(http::verb::post, "/v1/orders", body).result_int() == 401);

  response = acme.send(http::verb::post, "/v1/orders", body, now_ms() - 31'000);
  CHECK(response.result_int() == 401);
  CHECK(response.body().find("30 s") != std::string::npos);

  // The same signed request twice: the second is a replay.
  const auto signed_request = acme.build(http::verb::get, "/v1/account", "");
  CHECK(acme.exchange(signed_request).result_int() == 200);
  CHECK(acme.exchange(signed_request).result_int() == 401);

  // A signature over another body does not carry over.
  auto tampered = acme.build(http::verb::post, "/v1/orders", body);
  tampered.body() =
      R"({"client_order_id":"x1","chip":"H100","qty":"9","price":"1","origin":"beijing"})";
  tampered.prepare_payload();
  CHECK(acme.exchange(tampered).result_int() == 401);

  // Wrong role: an enterprise administering, an operator trading.
  response =
      acme.send(http::verb::post, "/v1/admin/deposits", R"({"account":"acme","amount":"1000"})");
  CHECK(response.result_int() == 403);
  CHECK(json_field(response.body(), "code") == "role_mismatch");
  CHECK(market.admin.send(http::verb::post, "/v1/orders", body).result_int() == 403);

  // Nothing was placed, nothing deposited.
  CHECK(acme.send(http::verb::get, "/v1/orders?status=all").body() ==
        R"({"orders":[],"next_after_order_id":null})");
  CHECK(acme.send(http::verb::get, "/v1/account").body().find(R"("balance":"1000000")") !=
        std::string::npos);

  // Another account's order: invisible and untouchable.
  REQUIRE(acme.send(http::verb::post, "/v1/orders", body).result_int() == 201);
  RestClient globex(market.server.port, market.enterprise2.id, market.enterprise2.secret);
  CHECK(globex.send(http::verb::get, "/v1/orders/x1").result_int() == 404);
  CHECK(globex.send(http::verb::delete_, "/v1/orders/x1").result_int() == 404);
  CHECK(json_field(acme.send(http::verb::get, "/v1/orders/x1").body(), "status") == "open");

  // WebSocket: a bad login is refused; orders before login are refused.
  WsClient ws(market.server.port);
  ws.send(login_message(market.provider.id, "wrong-secret"));
  CHECK(ws.read().find(R"("reason":"unauthorized")") != std::string::npos);
  ws.send(R"({"op":"new","req_id":5,"client_order_id":"a","chip":"H100","qty":"1","price":"1",)"
          R"("region":"beijing"})");
  CHECK(ws.read() ==
        R"({"type":"rejected","req_id":5,"reason":"unauthorized","message":"log in first"})");
  ws.send(login_message(market.provider.id, market.provider.secret));
  CHECK(ws.read().starts_with(R"({"type":"logged_in","req_id":"login","account":"westdc")"));
  // A bad signature on the upgrade refuses the upgrade itself.
  CHECK_THROWS(WsClient(market.server.port, market.provider.id, "wrong-secret"));
}

TEST_CASE("re-sending an order returns the first answer; another body with its id is 409") {
  Market market;
  RestClient acme(market.server.port, market.enterprise.id, market.enterprise.secret);
  const std::string body =
      R"({"client_order_id":"same","chip":"A100","qty":"2","price":"7","origin":"shanghai"})";
  const Response first = acme.send(http::verb::post, "/v1/orders", body);
  REQUIRE(first.result_int() == 201);
  const Response again = acme.send(http::verb::post, "/v1/orders", body);
  CHECK(again.result_int() == 201);
  CHECK(again.body() == first.body());
  const Response other = acme.send(
      http::verb::post, "/v1/orders",
      R"({"client_order_id":"same","chip":"A100","qty":"3","price":"7","origin":"shanghai"})");
  CHECK(other.result_int() == 409);
  CHECK(json_field(other.body(), "code") == "duplicate_client_order_id");
  const Response list = acme.send(http::verb::get, "/v1/orders?status=all");
  CHECK(list.body().find("\"client_order_id\":\"same\"") ==
        list.body().rfind("\"client_order_id\":\"same\""));  // listed once
}

TEST_CASE("malformed and oversized input is refused on both surfaces, and the server goes on") {
  Market market;
  RestClient acme(market.server.port, market.enterprise.id, market.enterprise.secret);
  Response response = acme.send(http::verb::post, "/v1/orders", "{not json");
  CHECK(response.result_int() == 400);
  CHECK(json_field(response.body(), "code") == "bad_request");
  response = acme.send(
      http::verb::post, "/v1/orders",
      R"({"client_order_id":"q","chip":"H100","qty":"1.0001","price":"1","origin":"beijing"})");
  CHECK(response.result_int() == 400);
  CHECK(json_field(response.body(), "code") == "bad_qty");
  response = acme.send(
      http::verb::post, "/v1/orders",
      R"({"client_order_id":"q","chip":"H100","qty":"100000","price":"100","origin":"beijing"})");
  CHECK(response.result_int() == 400);
  CHECK(json_field(response.body(), "code") == "insufficient_funds");
  CHECK(acme.send(http::verb::get, "/v1/orders?status=maybe").result_int() == 400);
  response = acme.send(http::verb::post, "/v1/orders",
                       R"({"client_order_id":"pq","chip":"H100","qty":"1","qty":"2",)"
                       R"("price":"1","origin":"beijing"})");
  CHECK(response.result_int() == 400);
  CHECK(json_field(response.body(), "message") == "duplicate key qty");
  CHECK(acme.send(http::verb::get, "/v1/markets/NOPE/book").result_int() == 404);
  response = acme.send(http::verb::post, "/v1/orders", std::string(70 * 1024, 'x'));
  CHECK(response.result_int() == 413);

  WsClient ws(market.server.port, market.provider.id, market.provider.secret);
  ws.read();  // logged_in
  ws.send("{\"op\":");
  CHECK(ws.read() == R"({"type":"rejected","req_id":null,"reason":"bad_request",)"
                     R"("message":"messages are JSON objects"})");
  ws.send(
      R"({"op":"new","req_id":"r-1","client_order_id":"a","chip":"H100","qty":"-1","price":"1",)"
      R"("region":"beijing"})");
  CHECK(ws.read().starts_with(R"({"type":"rejected","req_id":"r-1","reason":"bad_qty")"));
  // A key twice is refused on the WebSocket as on REST, whatever the op.
  ws.send(R"({"op":"subscribe","op":"login","req_id":30,"channels":[]})");
  CHECK(json_field(ws.read(), "message") == "duplicate key op");
  // A binary message is refused, not read as text, and the connection stays.
  ws.send_binary(R"({"op":"new","req_id":20})");
  CHECK(json_field(ws.read(), "message") == "messages are text frames (JSON), not binary");
  ws.send(R"({"op":"fly","req_id":2})");
  CHECK(json_field(ws.read(), "reason") == "bad_request");
  // Shape errors name the field and what is wrong, over the real server.
  ws.send(R"({"op":"new","req_id":21,"client_order_id":"a","chip":"H100","qty":"1","price":"1",)"
          R"("region":"beijing","stop_price":"2"})");
  CHECK(ws.read() == R"({"type":"rejected","req_id":21,"reason":"bad_request",)"
                     R"("message":"unknown field stop_price"})");
  ws.send(R"({"op":"new","req_id":22,"client_order_id":"a","chip":"H100","qty":"1","price":"1"})");
  CHECK(json_field(ws.read(), "message") == "region is required for an ask");
  ws.send(R"({"op":"cancel","req_id":23,"client_order_id":"has space"})");
  CHECK(json_field(ws.read(), "message") ==
        "client_order_id must be 1-64 characters of [A-Za-z0-9._:-]");
  ws.send(R"({"op":"subscribe","req_id":3,"channels":["book:NOPE"]})");
  CHECK(json_field(ws.read(), "reason") == "bad_request");
  // Still up: a valid ask goes through.
  ws.send(R"({"op":"new","req_id":4,"client_order_id":"a","chip":"H100","qty":"1","price":"1",)"
          R"("region":"beijing"})");
  CHECK(ws.read().starts_with(R"({"type":"accepted","req_id":4)"));
  // A cancel over WebSocket brings two messages, in this order: the account's pushed done
  // (numbered by account_seq, with filled_qty), then the request's answer (with its req_id).
  ws.send(R"({"op":"cancel","req_id":5,"client_order_id":"a"})");
  const std::string pushed = ws.read();
  CHECK(pushed.starts_with(R"({"type":"done","account_seq":)"));
  CHECK(json_field(pushed, "reason") == "canceled");
  CHECK(pushed.find(R"("filled_qty":"0")") != std::string::npos);
  CHECK(ws.read() == R"({"type":"done","req_id":5,"client_order_id":"a","reason":"canceled"})");
  // Over 64 KiB: the connection closes with a reason.
  ws.send("{\"op\":\"new\",\"pad\":\"" + std::string(70 * 1024, 'x') + "\"}");
  CHECK(ws.read().empty());
  // The server's close frame arrives (Beast's answer to it may then meet a closed socket).
  CHECK(ws.error() != net::error::timed_out);
  CHECK(ws.close_reason().code == websocket::close_code::too_big);
  // And the server serves the next client.
  CHECK(RestClient(market.server.port).send(http::verb::get, "/healthz").result_int() == 200);
}

TEST_CASE("a market-data subscriber rebuilds exactly the book that GET book shows") {
  Market market;
  WsClient watcher(market.server.port);
  watcher.send(R"({"op":"subscribe","req_id":1,"channels":["book:H100","trades:H100"]})");
  CHECK(watcher.read() ==
        R"({"type":"subscribed","req_id":1,"channels":["book:H100","trades:H100"]})");
  const std::string snapshot = watcher.read();
  REQUIRE(snapshot.starts_with(R"({"type":"snapshot","channel":"book:H100","seq":)"));
  std::map<std::string, std::string> bids, asks;
  apply_levels(snapshot, "bids", bids, true);
  apply_levels(snapshot, "asks", asks, true);
  uint64_t book_seq = std::stoull(json_field(snapshot, "seq"));
  const std::string trades_snapshot = watcher.read();
  REQUIRE(trades_snapshot.starts_with(R"({"type":"snapshot","channel":"trades:H100")"));
  uint64_t trade_seq = std::stoull(json_field(trades_snapshot, "seq"));

  RestClient acme(market.server.port, market.enterprise.id, market.enterprise.secret);
  WsClient provider(market.server.port, market.provider.id, market.provider.secret);
  provider.read();
  // A few hundred orders on both sides at overlapping prices: rests, trades, cancels.
  int answers = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string price = std::to_string(10 + (i * 7) % 13);
    if (i % 3 == 0) {
      const Response r = acme.send(http::verb::post, "/v1/orders",
                                   R"({"client_order_id":"b)" + std::to_string(i) +
                                       R"(","chip":"H100","qty":")" + std::to_string(1 + i % 5) +
                                       R"(","price":")" + price + R"(","origin":"beijing"})");
      REQUIRE(r.result_int() == 201);
    } else if (i % 3 == 1) {
      provider.send(R"({"op":"new","req_id":)" + std::to_string(i) + R"(,"client_order_id":"a)" +
                    std::to_string(i) + R"(","chip":"H100","qty":")" + std::to_string(1 + i % 4) +
                    R"(","price":")" + std::to_string(std::stoi(price) + 2) +
                    R"(","region":"zhangjiakou"})");
      ++answers;
    } else if (i % 6 == 2) {
      acme.send(http::verb::delete_, "/v1/orders/b" + std::to_string(i - 2));
    }
  }
  // Wait until the provider had all its answers: the matcher has run everything.
  for (int got = 0; got < answers;) {
    const std::string message = provider.read();
    REQUIRE(!message.empty());
    if (message.find("\"req_id\":") != std::string::npos) ++got;
  }
  const Response book = acme.send(http::verb::get, "/v1/markets/H100/book?depth=1000");
  const uint64_t final_seq = std::stoull(json_field(book.body(), "seq"));
  int trades = 0;
  while (book_seq < final_seq) {
    const std::string message = watcher.read();
    REQUIRE(!message.empty());
    if (message.starts_with(R"({"type":"book")")) {
      REQUIRE(std::stoull(json_field(message, "seq")) == book_seq + 1);  // no gap
      book_seq++;
      apply_levels(message, "bids", bids, false);
      apply_levels(message, "asks", asks, false);
    } else if (message.starts_with(R"({"type":"trade")")) {
      REQUIRE(std::stoull(json_field(message, "seq")) == trade_seq + 1);
      trade_seq++;
      ++trades;
    }
  }
  std::map<std::string, std::string> rest_bids, rest_asks;
  apply_levels(book.body(), "bids", rest_bids, true);
  apply_levels(book.body(), "asks", rest_asks, true);
  CHECK(bids == rest_bids);
  CHECK(asks == rest_asks);
  CHECK(!bids.empty());
  CHECK(trades > 10);
  const Response recent = acme.send(http::verb::get, "/v1/markets/H100/trades?limit=5");
  CHECK(recent.body().find(R"("trades":[{"trade_id":)") != std::string::npos);
}

TEST_CASE("a subscriber that stops reading is cut off while others keep their feed") {
  Market market({"--ws-queue-bytes", "262144"});
  WsClient provider(market.server.port, market.provider.id, market.provider.secret);
  provider.read();
  int next_order = 0;
  auto place_asks = [&](int count) {
    for (int i = 0; i < count; ++i, ++next_order) {
      provider.send(R"({"op":"new","req_id":)" + std::to_string(next_order) +
                    R"(,"client_order_id":"a)" + std::to_string(next_order) +
                    R"(","chip":"H100","qty":"1","price":")" + std::to_string(100 + next_order) +
                    R"(","region":"zhangjiakou"})");
    }
    for (int i = 0; i < count; ++i) REQUIRE(!provider.read().empty());
  };
  place_asks(2000);  // a deep book: its snapshot is about 100 KB

  // The slow client's receive buffer is small; the fast one reads everything as it comes.
  WsClient slow(market.server.port, "", "", 4096);
  WsClient fast(market.server.port);
  for (WsClient* client : {&slow, &fast}) {
    client->send(R"({"op":"subscribe","req_id":1,"channels":["book:H100"]})");
    REQUIRE(!client->read().empty());         // subscribed
    REQUIRE(client->read().size() > 50'000);  // the snapshot
  }
  // The slow one asks for the snapshot again and again, and reads none of it: far more than
  // its queue cap plus what the kernel buffers.
  for (int i = 0; i < 100; ++i) {
    slow.send(R"({"op":"subscribe","req_id":2,"channels":["book:H100"]})");
  }
  place_asks(300);
  uint64_t last_seq = 0;
  int deltas = 0;
  while (deltas < 300) {
    const std::string message = fast.read();
    REQUIRE(!message.empty());
    if (!message.starts_with(R"({"type":"book")")) continue;
    const uint64_t seq = std::stoull(json_field(message, "seq"));
    if (last_seq != 0) REQUIRE(seq == last_seq + 1);  // no gap
    last_seq = seq;
    ++deltas;
  }
  // The slow one, read at last, ends in a close with the reason (after what was in flight).
  int received = 0;
  int snapshots = 0;
  for (std::string message; !(message = slow.read()).empty() && received < 1000; ++received) {
    if (message.starts_with(R"({"type":"snapshot")")) ++snapshots;
  }
  MESSAGE("the slow subscriber received " << snapshots << " of 100 snapshots before the close");
  CHECK(slow.error() == websocket::error::closed);
  const auto reason = slow.close_reason().reason;
  CHECK(std::string(reason.data(), reason.size()).find("slow consumer") != std::string::npos);
  CHECK(snapshots < 100);
  // The fast one is still served.
  fast.send(R"({"op":"subscribe","req_id":3,"channels":["trades:H100"]})");
  CHECK(fast.read_until("subscribed").find(R"("req_id":3)") != std::string::npos);
}

TEST_CASE("a key over its rate limit gets 429 with Retry-After") {
  Market market({"--rate-limit", "5", "--rate-burst", "5"});
  RestClient acme(market.server.port, market.enterprise.id, market.enterprise.secret);
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 8; ++i) {
    const Response response = acme.send(http::verb::get, "/v1/account");
    if (response.result_int() == 429) {
      ++limited;
      retry_after = std::string(response[http::field::retry_after]);
      CHECK(json_field(response.body(), "code") == "rate_limited");
    }
  }
  CHECK(limited >= 2);
  CHECK(retry_after == "1");
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("a full matcher ring pushes back: busy for that request, exactly one answer each") {
  Market market({"--ring-size", "16"});
  {
    // 20,000 small asks; the provider then leaves, so the sweeps below push nothing to it.
    WsClient provider(market.server.port, market.provider.id, market.provider.secret);
    provider.read();
    for (int i = 0; i < 20000; ++i) {
      provider.send(R"({"op":"new","req_id":)" + std::to_string(i) + R"(,"client_order_id":"s)" +
                    std::to_string(i) + R"(","chip":"H100","qty":"1","price":")" +
                    std::to_string(1 + i % 20) + R"(","region":"zhangjiakou"})");
    }
    for (int i = 0; i < 20000; ++i) REQUIRE(!provider.read().empty());
  }
  // Each bid sweeps 100 asks: cheap to read and queue, slow to match, so the ring fills.
  WsClient acme(market.server.port, market.enterprise.id, market.enterprise.secret);
  acme.read();
  constexpr int bids = 200;
  for (int i = 0; i < bids; ++i) {
    acme.send(R"({"op":"new","req_id":)" + std::to_string(i) + R"(,"client_order_id":"sweep)" +
              std::to_string(i) +
              R"(","chip":"H100","qty":"100","price":"20","origin":"beijing","tif":"IOC"})");
  }
  std::map<int, std::string> answers;
  int busy = 0;
  while (answers.size() < std::size_t(bids)) {
    const std::string message = acme.read();
    REQUIRE(!message.empty());
    const std::string id = json_field(message, "req_id");
    if (id.empty() || id == "null") continue;  // pushes: the sweeps' trades and endings
    REQUIRE(answers.emplace(std::stoi(id), message).second);  // one answer per request
    if (json_field(message, "reason") == "busy") {
      ++busy;
    } else {
      CHECK(json_field(message, "type") == "accepted");
    }
  }
  MESSAGE(busy << " of " << bids << " requests were refused as busy");
  CHECK(busy > 0);
  // The server is fine afterwards.
  acme.send(R"({"op":"cancel","req_id":999,"client_order_id":"none"})");
  CHECK(json_field(acme.read_until("\"req_id\":999"), "reason") == "unknown_order");
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("a flood of connections, a stalled reader and a half-closed socket leave others served") {
  Market market({"--max-connections", "50"});
  // A flood: far more connections than allowed. Each new one makes way for itself by closing the
  // oldest that sent nothing, so all but the newest few are closed at once.
  std::vector<std::unique_ptr<tcp::socket>> flood;
  net::io_context context;
  for (int i = 0; i < 200; ++i) {
    auto socket = std::make_unique<tcp::socket>(context);
    socket->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), market.server.port));
    flood.push_back(std::move(socket));
  }
  // Displaced, a connection reads end-of-stream straight away.
  int refused = 0;
  for (auto& socket : flood) {
    socket->non_blocking(true);
    char byte;
    boost::system::error_code ec;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    socket->read_some(net::buffer(&byte, 1), ec);
    if (ec == net::error::eof) ++refused;
  }
  CHECK(refused >= 140);
  flood.clear();  // the flood leaves
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // A stalled reader: pipelines requests and never reads the answers.
  tcp::socket stalled(context);
  stalled.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), market.server.port));
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "GET /v1/regions HTTP/1.1\r\nHost: x\r\n\r\n";
  net::write(stalled, net::buffer(many));
  // A half-closed socket: sends a request, shuts its sending side, still reads the answer.
  tcp::socket half(context);
  half.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), market.server.port));
  net::write(half, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")));
  half.shutdown(tcp::socket::shutdown_send);
  std::string answer;
  boost::system::error_code ec;
  for (char buffer[512]; !ec;) {
    const std::size_t n = half.read_some(net::buffer(buffer), ec);
    answer.append(buffer, n);
  }
  CHECK(answer.starts_with("HTTP/1.1 200 OK"));
  CHECK(answer.find(R"({"status":"ok"})") != std::string::npos);

  // Meanwhile everyone else is served as usual.
  RestClient acme(market.server.port, market.enterprise.id, market.enterprise.secret);
  CHECK(acme.send(http::verb::get, "/v1/account").result_int() == 200);
  WsClient provider(market.server.port, market.provider.id, market.provider.secret);
  CHECK(provider.read().starts_with(R"({"type":"logged_in")"));
  CHECK(market.server.stop() == 0);
}

}  // namespace cpx::test
