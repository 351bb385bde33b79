// REST routing without a socket: the route table, authentication, queries and market data, and
// private requests carried from the router through a venue to their answers.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "../venue/venue_driver.hpp"
#include "cpx/app/config_files.hpp"
#include "cpx/gateway/rest_router.hpp"

namespace cpx::gateway {
namespace {

constexpr int64_t now = 1'700'000'000'000;

// The router over a key table filled the way an I/O thread fills it: from the venue's keys.
struct RouterFixture {
  Config config = std::move(*load_config("", "").config);
  MarketData market{config};
  CommandDecoder decoder{config};
  std::map<std::string, KeyInfo, std::less<>> keys;
  RestRouter router{config, market, decoder,
                    [this](std::string_view id) -> const KeyInfo* {
                      const auto it = keys.find(id);
                      return it == keys.end() ? nullptr : &it->second;
                    },
                    [] { return static_cast<const ledger::Writer*>(nullptr); }};

  void add_key(std::string id, std::string secret, std::string account, Role role) {
    keys[std::move(id)] = KeyInfo{std::move(secret), std::move(account), role, 0};
  }
  // A request signed with `key`'s secret (or sent unsigned when the key is empty). Signed
  // requests are a millisecond apart unless `at` says when (the replay guard refuses a
  // signature it has seen, and two equal requests signed at the same time have the same one).
  Routed send(std::string_view method, std::string_view target, std::string_view body = "",
              std::string_view key = "", int64_t at = 0) {
    signature_.clear();
    stamp_ = std::to_string(at != 0 ? at : now);
    if (const auto it = keys.find(key); it != keys.end()) {
      if (at == 0) stamp_ = std::to_string(now + signed_++);
      signature_ = auth::hmac_sha256_hex(it->second.secret,
                                         auth::signing_payload(stamp_, method, target, body));
    }
    HttpRequest http{method, target, body, key, stamp_, signature_, "", ""};
    return router.route(http, now);
  }

 private:
  std::string stamp_;
  std::string signature_;
  int64_t signed_ = 0;
};

// The router in front of a venue, as an I/O thread and the matcher thread are: requests the
// router answers are recorded as replies too.
struct Exchange {
  RouterFixture f;
  test::RecordingSink sink;
  venue::Venue venue{f.config, {}, sink};
  Exchange() { venue.bootstrap_operator("operator", "op-1", "op-secret"); }

  const test::RecordingSink::Reply& call(std::string_view method, std::string_view target,
                                         std::string_view body, std::string_view key) {
    // The I/O thread learns keys from the venue's key_added messages.
    for (const venue::KeyRecord& k : sink.keys) {
      f.add_key(std::string(k.key_id.view()), std::string(k.secret.view()),
                std::string(k.account.view()), k.role);
    }
    const Routed routed = f.send(method, target, body, key);
    if (!routed.to_matcher) {
      sink.replies.push_back({0, 0, routed.answer.status, 0, routed.answer.body});
      return sink.replies.back();
    }
    venue.handle(routed.request);
    return sink.last();
  }
  // A new account with money (enterprise) and its key id.
  std::string account(std::string_view name, std::string_view role) {
    const std::string body =
        R"({"account":")" + std::string(name) + R"(","role":")" + std::string(role) + R"("})";
    REQUIRE(call("POST", "/v1/admin/accounts", body, "op-1").status == 201);
    const std::string key(sink.keys.back().key_id.view());
    if (role == "enterprise") {
      REQUIRE(call("POST", "/v1/admin/deposits",
                   R"({"account":")" + std::string(name) + R"(","amount":"1000"})", "op-1")
                  .status == 200);
    }
    return key;
  }
};

std::string error_code(const Routed& routed) {
  const std::string& body = routed.answer.body;
  const std::size_t at = body.find("\"code\":\"");
  REQUIRE(at != std::string::npos);
  return body.substr(at + 8, body.find('"', at + 8) - at - 8);
}

}  // namespace

TEST_CASE("the route table: each private path with another method names the ones it takes") {
  RouterFixture f;
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"/v1/orders", "use POST, GET or DELETE"},
      {"/v1/orders/abc", "use GET, PATCH or DELETE"},
      {"/v1/fills", "use GET"},
      {"/v1/account", "use GET"},
      {"/v1/admin/accounts", "use POST or GET"},
      {"/v1/admin/keys/abc", "use DELETE"},
      {"/v1/admin/accounts/acme/limits", "use POST"},
      {"/v1/admin/deposits", "use POST"},
      {"/v1/admin/accounts/acme/keys", "use POST"},
      {"/v1/admin/state", "use GET"},
      {"/v1/ledger/trades", "use GET"},
      {"/v1/ledger/verify", "use GET"},
      {"/v1/ledger/accounts/acme/statement", "use GET"},
  };
  for (const auto& [path, allowed] : cases) {
    CAPTURE(path);
    const Routed routed = f.send("PUT", path);
    CHECK_FALSE(routed.to_matcher);
    CHECK(routed.answer.status == 405);
    CHECK(routed.answer.body.find(std::string(allowed) + "\"") != std::string::npos);
  }
  // Every route of the table is reachable with its own method (here: refused for no key).
  for (const Route& route : private_routes) {
    const std::size_t hole = route.path.find("{id}");
    const std::string path = hole == std::string_view::npos
                                 ? std::string(route.path)
                                 : std::string(route.path.substr(0, hole)) + "x1" +
                                       std::string(route.path.substr(hole + 4));
    CAPTURE(path);
    const Routed routed = f.send(route.method, path);
    CHECK(routed.answer.status == 401);
  }
  CHECK(f.send("GET", "/v1/nothing").answer.status == 404);
  CHECK(f.send("GET", "/v1/time").answer.body == "{\"server_time_ms\":1700000000000}");
}

TEST_CASE("authentication: a known key and a signature of this very request") {
  RouterFixture f;
  f.add_key("k1", "secret-1", "acme", Role::enterprise);
  Routed routed = f.send("GET", "/v1/account");
  CHECK(routed.answer.status == 401);
  CHECK(routed.answer.body.find("send X-CPX-KEY") != std::string::npos);
  routed = f.send("GET", "/v1/account", "", "k1");
  REQUIRE(routed.to_matcher);
  CHECK(routed.request.kind == venue::RequestKind::get_account);
  CHECK(routed.request.signed_request);
  CHECK(routed.request.key_id.view() == "k1");
  CHECK(routed.request.now_ms == now);
  CHECK(routed.request.timestamp_ms == now);
  // Signed 31 s before the clock: stale.
  routed = f.send("GET", "/v1/account", "", "k1", now - 31'000);
  CHECK(routed.answer.status == 401);
  CHECK(routed.answer.body.find("more than 30 s") != std::string::npos);
  // Signed for another path than the one sent.
  f.add_key("k2", "secret-2", "acme", Role::enterprise);
  const std::string stamp = std::to_string(now);
  const std::string other =
      auth::hmac_sha256_hex("secret-2", auth::signing_payload(stamp, "GET", "/v1/account", ""));
  HttpRequest http{"GET", "/v1/fills", "", "k2", stamp, other, "", ""};
  routed = f.router.route(http, now);
  CHECK(routed.answer.status == 401);
  const std::string wrong_signature = routed.answer.body;
  CHECK(wrong_signature.find("does not match") != std::string::npos);
  // An unknown key gets the very answer a wrong signature does, also when the timestamp is
  // stale: nothing tells whether a key id exists.
  http.key_id = "nobody";
  CHECK(f.router.route(http, now).answer.body == wrong_signature);
  const std::string stale = std::to_string(now - 31'000);
  http.timestamp = stale;
  const std::string stale_unknown = f.router.route(http, now).answer.body;
  http.key_id = "k2";
  CHECK(f.router.route(http, now).answer.body == stale_unknown);
  CHECK(stale_unknown.find("more than 30 s") != std::string::npos);
  // A repeated authentication header is refused before anything else.
  http.repeated_header = "X-CPX-SIGNATURE";
  routed = f.router.route(http, now);
  CHECK(routed.answer.status == 400);
  CHECK(routed.answer.body.find("X-CPX-SIGNATURE is repeated") != std::string::npos);
}

TEST_CASE("bodies decode under the route's op, the key's account and its role's side") {
  RouterFixture f;
  f.add_key("ent", "s1", "acme", Role::enterprise);
  f.add_key("prov", "s2", "gpu-west", Role::provider);
  const std::string bid = R"({"client_order_id":"b1","chip":"H100","origin":"beijing",)"
                          R"("qty":"2","price":"10"})";
  Routed routed = f.send("POST", "/v1/orders", bid, "ent");
  REQUIRE(routed.to_matcher);
  Command command = routed.request.command.unwrap();
  CHECK(command.op == Op::new_order);
  CHECK(command.account == "acme");
  CHECK(command.side == Side::bid);
  CHECK(command.qty_milli == 2000);
  const std::string ask = R"({"client_order_id":"a1","chip":"H100","region":"zhongwei",)"
                          R"("qty":"2","price":"10"})";
  routed = f.send("POST", "/v1/orders", ask, "prov");
  REQUIRE(routed.to_matcher);
  CHECK(routed.request.command.unwrap().side == Side::ask);
  routed = f.send("PATCH", "/v1/orders/b1", R"({"qty":"1","price":"11"})", "ent");
  REQUIRE(routed.to_matcher);
  command = routed.request.command.unwrap();
  CHECK(command.op == Op::amend);
  CHECK(command.client_order_id == "b1");
  routed = f.send("DELETE", "/v1/orders/b%201", "", "ent");
  CHECK(routed.answer.status == 404);
  CHECK(error_code(routed) == "unknown_order");
}

TEST_CASE("queries: pages, filters and their limits, named in the refusal") {
  RouterFixture f;
  f.add_key("aud", "s", "auditor-1", Role::auditor);
  f.add_key("ent", "s", "acme", Role::enterprise);
  Routed routed = f.send("GET", "/v1/orders?status=open&after_order_id=7&limit=20", "", "ent");
  REQUIRE(routed.to_matcher);
  CHECK(routed.request.kind == venue::RequestKind::list_orders);
  CHECK(routed.request.status_open);
  CHECK(routed.request.after_id == 7);
  CHECK(routed.request.limit == 20);
  routed = f.send("GET", "/v1/orders?status=closed", "", "ent");
  CHECK(routed.answer.body.find("status must be open or all") != std::string::npos);
  routed = f.send("GET", "/v1/fills?limit=1001", "", "ent");
  CHECK(routed.answer.status == 400);
  routed = f.send("GET", "/v1/ledger/trades?chip=H100&region=zhongwei&from=5&to=9", "", "aud");
  REQUIRE(routed.to_matcher);
  CHECK(routed.request.ledger.has_chip);
  CHECK(routed.request.ledger.has_region);
  CHECK(routed.request.ledger.from_ms == 5);
  CHECK(routed.request.ledger.to_ms == 9);
  routed = f.send("GET", "/v1/ledger/trades?chip=Z9", "", "aud");
  CHECK(error_code(routed) == "unknown_chip");
  routed = f.send("GET", "/v1/ledger/trades?limit=0", "", "aud");
  CHECK(routed.answer.body.find("cursor and limit (1-1000) must be integers") != std::string::npos);
  routed = f.send("GET", "/v1/ledger/accounts/bad%20id/statement", "", "aud");
  CHECK(error_code(routed) == "unknown_account");
}

TEST_CASE("market data is answered by the router from the I/O thread's copy") {
  RouterFixture f;
  Routed routed = f.send("GET", "/v1/markets/H100/book");
  CHECK(routed.answer.status == 200);
  CHECK(routed.answer.body.find("\"bids\":[]") != std::string::npos);
  CHECK(error_code(f.send("GET", "/v1/markets/Z9/book")) == "unknown_chip");
  CHECK(error_code(f.send("GET", "/v1/markets/H100/depth")) == "not_found");
  CHECK(f.send("POST", "/v1/markets/H100/book").answer.status == 405);
  routed = f.send("GET", "/v1/markets/H100/book?depth=0");
  CHECK(routed.answer.body.find("depth must be an integer from 1 to 1000") != std::string::npos);
  routed = f.send("GET", "/v1/markets/H100/candles?limit=1441");
  CHECK(routed.answer.body.find("from 1 to 1440") != std::string::npos);
  CHECK(f.send("GET", "/v1/markets/H100/candles?interval=1h").answer.status == 200);
}

TEST_CASE("mass cancel: every open order of the account, or those of one chip") {
  Exchange x;
  test::RecordingSink& sink = x.sink;
  auto call = [&](auto... args) -> const test::RecordingSink::Reply& { return x.call(args...); };
  const std::string key = x.account("acme", "enterprise");
  for (const char* order : {R"({"client_order_id":"h1","chip":"H100","qty":"1","price":"10",)"
                            R"("origin":"beijing"})",
                            R"({"client_order_id":"h2","chip":"H100","qty":"2","price":"10",)"
                            R"("origin":"beijing"})",
                            R"({"client_order_id":"a1","chip":"A100","qty":"1","price":"5",)"
                            R"("origin":"beijing"})"}) {
    REQUIRE(call("POST", "/v1/orders", order, key).status == 201);
  }
  CHECK(call("GET", "/v1/account", "", key).body.find("\"held\":\"35\"") != std::string::npos);
  CHECK(call("DELETE", "/v1/orders?chip=Z9", "", key).body.find("unknown_chip") !=
        std::string::npos);
  const std::size_t pushes_before = sink.pushes.size();
  const auto& h100 = call("DELETE", "/v1/orders?chip=H100", "", key);
  CHECK(h100.status == 200);
  CHECK(h100.body == R"({"canceled":["h1","h2"],"count":2})");
  CHECK(sink.pushes.size() == pushes_before);  // no WebSocket session: nothing pushed
  CHECK(call("GET", "/v1/account", "", key).body.find("\"held\":\"5\"") != std::string::npos);
  CHECK(call("DELETE", "/v1/orders", "", key).body == R"({"canceled":["a1"],"count":1})");
  CHECK(call("DELETE", "/v1/orders", "", key).body == R"({"canceled":[],"count":0})");
  CHECK(call("GET", "/v1/account", "", key).body.find("\"held\":\"0\"") != std::string::npos);
  CHECK(call("DELETE", "/v1/orders", "", "op-1").status == 403);  // operators hold no orders
  CHECK(call("GET", "/v1/orders/h1", "", key).body.find("\"status\":\"canceled\"") !=
        std::string::npos);
}

TEST_CASE("private requests from the router through a venue to their answers, no socket") {
  Exchange x;
  test::RecordingSink& sink = x.sink;
  auto call = [&](auto... args) -> const test::RecordingSink::Reply& { return x.call(args...); };
  const auto& created =
      call("POST", "/v1/admin/accounts", R"({"account":"acme","role":"enterprise"})", "op-1");
  CHECK(created.status == 201);
  REQUIRE(sink.keys.size() == 2);
  const std::string acme_key(sink.keys.back().key_id.view());
  CHECK(created.body.find("\"key_id\":\"" + acme_key + "\"") != std::string::npos);
  CHECK(
      call("POST", "/v1/admin/deposits", R"({"account":"acme","amount":"1000"})", "op-1").status ==
      200);
  const auto& placed = call("POST", "/v1/orders",
                            R"({"client_order_id":"b1","chip":"H100","origin":"beijing",)"
                            R"("qty":"2","price":"10"})",
                            acme_key);
  CHECK(placed.status == 201);
  CHECK(placed.body.find("\"status\":\"open\"") != std::string::npos);
  const auto& account = call("GET", "/v1/account", "", acme_key);
  CHECK(account.status == 200);
  CHECK(account.body.find("\"held\":\"20\"") != std::string::npos);
  CHECK(call("GET", "/v1/admin/state", "", acme_key).status == 403);

  // Malformed orders: bad_request, with a message that names the field and what is wrong.
  auto rejected = [&](std::string_view method, std::string_view target, std::string_view body) {
    const auto& reply = call(method, target, body, acme_key);
    CHECK(reply.status == 400);
    CHECK(reply.body.find("\"code\":\"bad_request\"") != std::string::npos);
    const std::size_t at = reply.body.find("\"message\":\"");
    REQUIRE(at != std::string::npos);
    return reply.body.substr(at + 11, reply.body.rfind('"') - at - 11);
  };
  const std::string order = R"("client_order_id":"b2","chip":"H100","qty":"1","price":"10")";
  CHECK(rejected("POST", "/v1/orders", "{" + order + "}") == "origin is required for a bid");
  CHECK(rejected("POST", "/v1/orders", "{" + order + R"(,"origin":"beijing","stop_price":"9"})") ==
        "unknown field stop_price");
  // Fields of docs/delivery.md that an order does not use are refused like unknown ones.
  CHECK(rejected("POST", "/v1/orders", "{" + order + R"(,"origin":"beijing","time_ms":9})") ==
        "unknown field time_ms");
  CHECK(rejected("DELETE", "/v1/orders/b1", R"({"delivery":"2026-12-03T10:00Z"})") ==
        "unknown field delivery");
  {
    // The server's clock does not run yet: no delivery hour is open (docs/delivery.md).
    const auto& hourly =
        call("POST", "/v1/orders",
             "{" + order + R"(,"origin":"beijing","delivery":"2026-12-03T10:00Z"})", acme_key);
    CHECK(hourly.status == 400);
    CHECK(hourly.body.find("\"code\":\"delivery_not_open\"") != std::string::npos);
  }
  CHECK(rejected("POST", "/v1/orders", R"({"chip":"H100","qty":"1","price":"1"})") ==
        "client_order_id is required for an order");
  CHECK(rejected("POST", "/v1/orders",
                 R"({"client_order_id":"x y","chip":"H100","qty":"1","price":"1"})") ==
        "client_order_id must be 1-64 characters of [A-Za-z0-9._:-]");
  CHECK(rejected("POST", "/v1/orders", "{" + order + R"(,"origin":"beijing","side":"buy"})") ==
        "side must be bid or ask");
  CHECK(rejected("POST", "/v1/orders", R"({"client_order_id":"b3",)") ==
        "the body is not valid JSON (The JSON document has an improper structure: missing or "
        "superfluous commas, braces, missing keys, etc.)");
  CHECK(rejected("POST", "/v1/orders", "[1,2]") == "the body must be a JSON object");
  CHECK(rejected("PATCH", "/v1/orders/b1", "{}") == "an amend needs qty or price (or both)");
  CHECK(rejected("POST", "/v1/orders", "{" + order + R"(,"origin":"beijing","price":"2"})") ==
        "duplicate key price");
  // Field values keep their own reasons and messages (spec check 2).
  const auto& bad_qty = call("POST", "/v1/orders",
                             R"({"client_order_id":"b4","chip":"H100","qty":"-1","price":"1",)"
                             R"("origin":"beijing"})",
                             acme_key);
  CHECK(bad_qty.body.find("\"code\":\"bad_qty\"") != std::string::npos);
}

}  // namespace cpx::gateway

namespace cpx::gateway {

TEST_CASE("post-only: rejected with would_take when it would trade, placed when it rests") {
  Exchange x;
  const std::string seller = x.account("gpu-west", "provider");
  const std::string buyer = x.account("acme", "enterprise");
  REQUIRE(x.call("POST", "/v1/orders",
                 R"({"client_order_id":"a1","chip":"H100","qty":"2","price":"10",)"
                 R"("region":"zhongwei"})",
                 seller)
              .status == 201);
  const std::size_t trades = x.sink.trades.size();
  const auto& taken = x.call("POST", "/v1/orders",
                             R"({"client_order_id":"b1","chip":"H100","qty":"1","price":"11",)"
                             R"("origin":"beijing","post_only":true})",
                             buyer);
  CHECK(taken.status == 400);
  CHECK(taken.body.find(R"("code":"would_take")") != std::string::npos);
  CHECK(x.sink.trades.size() == trades);  // nothing traded
  CHECK(x.call("GET", "/v1/account", "", buyer).body.find(R"("held":"0")") != std::string::npos);
  // Below the ask it rests; post_only false is an ordinary order, which takes.
  CHECK(x.call("POST", "/v1/orders",
               R"({"client_order_id":"b2","chip":"H100","qty":"1","price":"9",)"
               R"("origin":"beijing","post_only":true})",
               buyer)
            .status == 201);
  CHECK(x.call("POST", "/v1/orders",
               R"({"client_order_id":"b3","chip":"H100","qty":"1","price":"11",)"
               R"("origin":"beijing","post_only":false})",
               buyer)
            .body.find(R"("liquidity":"taker")") != std::string::npos);
  CHECK(x.sink.trades.size() == trades + 1);
  const auto& bad = x.call("POST", "/v1/orders",
                           R"({"client_order_id":"b4","chip":"H100","qty":"1","price":"9",)"
                           R"("origin":"beijing","post_only":"yes"})",
                           buyer);
  CHECK(bad.body.find("post_only must be true or false") != std::string::npos);
  // The spec's command stream (cpx-replay) ignores post_only like any field it does not use.
  CommandDecoder spec(x.f.config);
  const std::string line =
      R"({"op":"new","side":"bid","account":"acme","client_order_id":"c","chip":"H100",)"
      R"("qty":"1","price":"11","origin":"beijing","post_only":true})";
  const simdjson::padded_string padded(line);
  const Command command = spec.decode(padded.data(), padded.size());
  CHECK(command.shape_reason == Reason::none);
  CHECK_FALSE(command.post_only);
}

}  // namespace cpx::gateway
