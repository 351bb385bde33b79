// The hourly markets on the market-data surfaces of the real cpx-server (docs/delivery.md,
// docs/api.md): each open hour's book over REST and on book:{chip}:{delivery}, the trades of an
// hour, the forward curve over REST and on curve:{chip}, gate closure on all of them, and the
// same books, curves and sequence numbers after restarts from the journal and from a snapshot.
#include <doctest/doctest.h>

#include <filesystem>

#include "client.hpp"
#include "cpx/base/utc_hour.hpp"
#include "json_schema.hpp"

namespace cpx::test {
namespace {

void expect_schema(const std::string& reference, const std::string& json) {
  expect_schema_of(reference, json);
}
const std::string rest = "rest.schema.json#/$defs/";
const std::string ws = "ws.schema.json#/$defs/";

constexpr int64_t hour = 3'600'000;
constexpr int64_t day_start = 1796256000000;  // 2026-12-03T00:00Z
const std::string h10 = "2026-12-03T10:00Z";
const std::string h11 = "2026-12-03T11:00Z";

std::string clock_body(int64_t ms) {
  return R"({"time_ms":)" + std::to_string(ms) + "}";
}

// The curve's entry for one hour ({"delivery":"..",...}), or "" when it has none.
std::string curve_hour(const std::string& curve, const std::string& delivery) {
  const std::size_t at = curve.find("{\"delivery\":\"" + delivery + "\"");
  if (at == std::string::npos) return "";
  return curve.substr(at, curve.find('}', at) - at + 1);
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

struct Watched {
  std::string curve;      // GET /v1/markets/H100/curve
  std::string book;       // GET /v1/markets/H100/book?delivery=11:00
  std::string snapshot;   // a new curve:H100 subscriber's snapshot
  std::string hour_book;  // a new book:H100:11:00 subscriber's snapshot
};

Watched watch(uint16_t port) {
  RestClient anyone(port, "", "");
  Watched seen;
  const Response curve = anyone.send(http::verb::get, "/v1/markets/H100/curve");
  REQUIRE(curve.result_int() == 200);
  seen.curve = curve.body();
  seen.book = anyone.send(http::verb::get, "/v1/markets/H100/book?delivery=" + h11).body();
  WsClient watcher(port);
  watcher.send(R"({"op":"subscribe","req_id":1,"channels":["curve:H100","book:H100:)" + h11 +
               "\"]}");
  REQUIRE(watcher.read_until("subscribed").find("curve:H100") != std::string::npos);
  seen.snapshot = watcher.read();
  seen.hour_book = watcher.read();
  return seen;
}

}  // namespace

TEST_CASE("each delivery hour's book, trades and the forward curve, live and after restarts") {
  const std::string journal =
      (std::filesystem::temp_directory_path() / ("cpx-hours-" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(journal);
  Watched before;
  {
    RunningServer server({"--clock", "manual", "--journal", journal, "--snapshot-every", "0"});
    RestClient admin(server.port, operator_key, operator_secret);
    RestClient anyone(server.port, "", "");
    // Before the clock runs, the curve has no hour, and no hour's book can be watched.
    const Response none = anyone.send(http::verb::get, "/v1/markets/H100/curve");
    REQUIRE(none.result_int() == 200);
    expect_schema(rest + "Curve", none.body());
    CHECK(json_field(none.body(), "from") == "null");
    CHECK(none.body().find("\"hours\":[]") != std::string::npos);

    REQUIRE(
        admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start + 9 * hour + 1200000))
            .result_int() == 200);
    const Key provider_key = create_account(admin, "p1", "provider");
    const Key buyer_key = create_account(admin, "e1", "enterprise");
    REQUIRE(
        admin.send(http::verb::post, "/v1/admin/deposits", R"({"account":"e1","amount":"1000"})")
            .result_int() == 200);
    REQUIRE(
        admin.send(http::verb::post, "/v1/admin/collateral", R"({"account":"p1","amount":"100"})")
            .result_int() == 200);
    RestClient provider(server.port, provider_key.id, provider_key.secret);
    RestClient buyer(server.port, buyer_key.id, buyer_key.secret);
    REQUIRE(
        provider
            .send(http::verb::post, "/v1/sites",
                  R"({"site":"g1","chip":"H100","region":"zhangjiakou","capacity_pflops":"10"})")
            .result_int() == 201);

    WsClient watcher(server.port);
    watcher.send(R"({"op":"subscribe","req_id":1,"channels":["book:H100:)" + h10 +
                 R"(","curve:H100"]})");
    const std::string subscribed = watcher.read_until("subscribed");
    CHECK(subscribed.find("\"book:H100:" + h10 + "\"") != std::string::npos);
    expect_schema(ws + "ServerMessage", subscribed);
    const std::string empty_book = watcher.read();
    CHECK(empty_book == R"({"type":"snapshot","channel":"book:H100:)" + h10 +
                            R"(","seq":0,"bids":[],"asks":[]})");
    expect_schema(ws + "ServerMessage", empty_book);
    const std::string first_curve = watcher.read();
    INFO(first_curve);
    expect_schema(ws + "CurveSnapshot", first_curve);
    CHECK(json_field(first_curve, "from") == "2026-12-03T09:00Z");
    CHECK(json_field(first_curve, "to") == "2026-12-10T09:00Z");  // the 168-hour horizon
    CHECK(count_of(first_curve, "{\"delivery\"") == 169);
    // Closed hours and malformed ones are no channel.
    watcher.send(R"({"op":"subscribe","req_id":2,"channels":["book:H100:2026-12-03T08:00Z"]})");
    CHECK(json_field(watcher.read_until("\"req_id\":2"), "reason") == "bad_request");
    watcher.send(R"({"op":"subscribe","req_id":3,"channels":["book:H100:2026-12-03T10:30Z"]})");
    CHECK(json_field(watcher.read_until("\"req_id\":3"), "reason") == "bad_request");

    // Asks for 10:00 and 11:00: each hour's book has its own.
    for (const auto& [id, delivery, qty, price] :
         {std::tuple{"a1", h10, "4", "2"}, std::tuple{"a2", h10, "3", "2.5"},
          std::tuple{"a3", h11, "2", "3"}}) {
      const Response ask = provider.send(
          http::verb::post, "/v1/orders",
          std::string(R"({"client_order_id":")") + id + R"(","site":"g1","delivery":")" + delivery +
              R"(","qty":")" + qty + R"(","price":")" + price + "\"}");
      INFO(ask.body());
      REQUIRE(ask.result_int() == 201);
    }
    const Response book10 = anyone.send(http::verb::get, "/v1/markets/H100/book?delivery=" + h10);
    REQUIRE(book10.result_int() == 200);
    expect_schema(rest + "Book", book10.body());
    CHECK(book10.body() == R"({"chip":"H100","delivery":")" + h10 +
                               R"(","seq":2,"bids":[],"asks":[{"price":"2","qty":"4","orders":1},)"
                               R"({"price":"2.5","qty":"3","orders":1}]})");
    CHECK(json_field(anyone.send(http::verb::get, "/v1/markets/H100/book?delivery=" + h11).body(),
                     "price") == "3");
    // The plain market holds none of them.
    CHECK(anyone.send(http::verb::get, "/v1/markets/H100/book").body() ==
          R"({"chip":"H100","seq":0,"bids":[],"asks":[]})");
    const std::string delta = watcher.read_until("\"type\":\"book\"");
    CHECK(delta == R"({"type":"book","channel":"book:H100:)" + h10 +
                       R"(","seq":1,"bids":[],"asks":[{"price":"2","qty":"4","orders":1}]})");
    expect_schema(ws + "ServerMessage", delta);
    const std::string top = watcher.read_until("\"type\":\"curve\"");
    expect_schema(ws + "CurveUpdate", top);
    CHECK(json_field(curve_hour(top, h10), "best_ask") == "2");

    // A bid for 10:00 takes 4 at 2 and 1 at 2.5.
    const Response bid = buyer.send(http::verb::post, "/v1/orders",
                                    R"({"client_order_id":"b1","chip":"H100","origin":"wuhu",)"
                                    R"("delivery":")" +
                                        h10 + R"(","qty":"5","price":"3"})");
    INFO(bid.body());
    REQUIRE(bid.result_int() == 201);
    const Response trades = anyone.send(http::verb::get, "/v1/markets/H100/trades?delivery=" + h10);
    expect_schema(rest + "Trades", trades.body());
    CHECK(count_of(trades.body(), "\"delivery\":\"" + h10 + "\"") == 3);  // the body's and 2 trades
    CHECK(anyone.send(http::verb::get, "/v1/markets/H100/trades?delivery=" + h11).body() ==
          R"({"chip":"H100","delivery":")" + h11 + R"(","trades":[]})");
    const Response all_trades = anyone.send(http::verb::get, "/v1/markets/H100/trades");
    expect_schema(rest + "Trades", all_trades.body());
    CHECK(count_of(all_trades.body(), "\"trade_id\"") == 2);
    const Response curve = anyone.send(http::verb::get, "/v1/markets/H100/curve");
    expect_schema(rest + "Curve", curve.body());
    CHECK(curve_hour(curve.body(), h10) ==
          R"({"delivery":")" + h10 +
              R"(","best_bid":null,"best_ask":"2.5","last_price":"2.5","vwap":"2.1",)"
              R"("volume":"5","trades":2})");
    CHECK(json_field(curve_hour(curve.body(), h11), "best_ask") == "3");
    CHECK(json_field(curve_hour(curve.body(), "2026-12-03T12:00Z"), "volume") == "0");
    // The level at 2 went: count 0 in the delta.
    const std::string taken = watcher.read_until("\"orders\":0");
    expect_schema(ws + "ServerMessage", taken);
    // Each command's book updates come before its curve update.
    const std::string traded = watcher.read_until("\"last_price\":\"2.5\"");
    expect_schema(ws + "CurveUpdate", traded);
    CHECK(json_field(curve_hour(traded, h10), "vwap") == "2.1");

    // Errors name the rule.
    const Response bad =
        anyone.send(http::verb::get, "/v1/markets/H100/book?delivery=2026-12-03T10:30Z");
    CHECK(bad.result_int() == 400);
    CHECK(json_field(bad.body(), "code") == "bad_delivery");
    CHECK(anyone.send(http::verb::get, "/v1/markets/NOPE/curve").result_int() == 404);

    // 11:00: the 10:00 gate closes, the rest of a2 expires, the curve starts at 11:00.
    REQUIRE(admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start + 11 * hour))
                .result_int() == 200);
    const std::string closed = watcher.read_until("\"asks\":[{\"price\":\"2.5\",\"qty\":\"0\"");
    CHECK(json_field(closed, "channel") == "book:H100:" + h10);
    const std::string moved = watcher.read_until("\"from\":\"" + h11 + "\"");
    expect_schema(ws + "CurveUpdate", moved);
    const Response later = anyone.send(http::verb::get, "/v1/markets/H100/curve");
    CHECK(json_field(later.body(), "from") == h11);
    CHECK(curve_hour(later.body(), h10).empty());
    CHECK(count_of(later.body(), "{\"delivery\"") == 169);
    CHECK(json_field(curve_hour(later.body(), h11), "best_ask") == "3");
    before = watch(server.port);
    expect_schema(ws + "CurveSnapshot", before.snapshot);
    CHECK(server.stop() == 0);
  }
  // From the journal alone, then from a snapshot: the same books, curves and seqs.
  for (const char* every : {"0", "1"}) {
    CAPTURE(every);
    RunningServer again({"--clock", "manual", "--journal", journal, "--snapshot-every", every});
    const Watched after = watch(again.port);
    CHECK(after.curve == before.curve);
    CHECK(after.book == before.book);
    CHECK(after.snapshot == before.snapshot);
    CHECK(after.hour_book == before.hour_book);
    RestClient admin(again.port, operator_key, operator_secret);
    // One command more (a tick to the same time changes nothing), so that the second start
    // leaves a snapshot.
    REQUIRE(admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start + 11 * hour))
                .result_int() == 200);
    CHECK(again.stop() == 0);
  }
  {
    RunningServer last({"--clock", "manual", "--journal", journal});
    last.read_line();  // the ledger's line
    CHECK(last.read_line().find("after snapshot") != std::string::npos);
    const Watched after = watch(last.port);
    CHECK(after.curve == before.curve);
    CHECK(after.snapshot == before.snapshot);
    CHECK(after.hour_book == before.hour_book);
    CHECK(last.stop() == 0);
  }
  std::filesystem::remove_all(journal);
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("a connection subscribes to at most 256 channels") {
  RunningServer server({"--clock", "manual"});
  RestClient admin(server.port, operator_key, operator_secret);
  REQUIRE(admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start)).result_int() ==
          200);
  // The open hours' books of two chips: 2 x 169 channels to choose from.
  std::vector<std::string> channels;
  for (const char* chip : {"H100", "A100"}) {
    for (int h = 0; h <= 168; ++h) {
      channels.push_back(std::string("book:") + chip + ":" +
                         format_utc_hour(day_start + int64_t(h) * hour));
    }
  }
  const auto subscribe = [](int req, auto first, auto last) {
    std::string message =
        R"({"op":"subscribe","req_id":)" + std::to_string(req) + R"(,"channels":[)";
    for (auto it = first; it != last; ++it) {
      if (it != first) message += ",";
      message += "\"" + *it + "\"";
    }
    return message + "]}";
  };
  WsClient watcher(server.port);
  watcher.send(subscribe(1, channels.begin(), channels.begin() + 256));
  CHECK(watcher.read_until("\"req_id\":1").find("subscribed") != std::string::npos);
  // The same again adds nothing; one more is refused, and nothing of that request is taken.
  watcher.send(subscribe(2, channels.begin() + 250, channels.begin() + 256));
  CHECK(watcher.read_until("\"req_id\":2").find("subscribed") != std::string::npos);
  watcher.send(subscribe(3, channels.begin() + 255, channels.begin() + 257));
  const std::string refused = watcher.read_until("\"req_id\":3");
  CHECK(json_field(refused, "message") == "at most 256 subscriptions per connection");
  watcher.send(R"({"op":"unsubscribe","req_id":4,"channels":[")" + channels[0] + "\"]}");
  CHECK(watcher.read_until("\"req_id\":4").find("unsubscribed") != std::string::npos);
  watcher.send(subscribe(5, channels.begin() + 256, channels.begin() + 257));
  CHECK(watcher.read_until("\"req_id\":5").find("subscribed") != std::string::npos);
  CHECK(server.stop() == 0);
}

}  // namespace cpx::test
