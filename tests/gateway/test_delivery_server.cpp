// Delivery hours through the real cpx-server (docs/delivery.md, docs/api.md): an operator's
// manual clock, a provider's site and collateral, hourly asks within capacity, a buyer's bid,
// the contract pushed to both parties, its report, dispute, resolution and settlement, and the
// same state after restarts from the journal alone and from a snapshot.
#include <doctest/doctest.h>

#include <filesystem>

#include "client.hpp"
#include "json_schema.hpp"

namespace cpx::test {
namespace {

// Every answer checked below is also held against schemas/.
void expect_schema(const std::string& reference, const std::string& json) {
  static SchemaSet schemas{CPX_SCHEMAS_DIR};
  INFO(reference, " ", json);
  CHECK(schemas.check(reference, json) == "");
}
const std::string rest = "rest.schema.json#/$defs/";
const std::string ws = "ws.schema.json#/$defs/";

constexpr int64_t hour = 3'600'000;
constexpr int64_t day_start = 1796256000000;  // 2026-12-03T00:00Z

std::string clock_body(int64_t ms) {
  return R"({"time_ms":)" + std::to_string(ms) + "}";
}

struct Market {
  RestClient admin;
  Key provider;
  Key buyer;
  explicit Market(uint16_t port) : admin(port, operator_key, operator_secret) {}
  void open(uint16_t port);
};

// The operator's clock and accounts, the provider's site g1 (10 PFLOPS of H100 in
// zhangjiakou), its collateral and the buyer's deposit.
void Market::open(uint16_t port) {
  Market& market = *this;
  const Response clock =
      admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start + 9 * hour + 1200000));
  REQUIRE(clock.result_int() == 200);
  expect_schema(rest + "ClockAnswer", clock.body());
  CHECK(json_field(clock.body(), "hour") == "2026-12-03T09:00Z");
  market.provider = create_account(admin, "p1", "provider");
  market.buyer = create_account(admin, "e1", "enterprise");
  REQUIRE(admin.send(http::verb::post, "/v1/admin/deposits", R"({"account":"e1","amount":"1000"})")
              .result_int() == 200);
  const Response collateral =
      admin.send(http::verb::post, "/v1/admin/collateral", R"({"account":"p1","amount":"100"})");
  REQUIRE(collateral.result_int() == 200);
  expect_schema(rest + "DepositAnswer", collateral.body());
  CHECK(json_field(collateral.body(), "balance") == "100");
  RestClient seller(port, market.provider.id, market.provider.secret);
  const Response site = seller.send(http::verb::post, "/v1/sites",
                                    R"({"site":"g1","chip":"H100","region":"zhangjiakou",)"
                                    R"("capacity_pflops":"10","green_pct":80})");
  INFO(site.body());
  REQUIRE(site.result_int() == 201);
  expect_schema(rest + "SiteAnswer", site.body());
  CHECK(json_field(site.body(), "status") == "active");
  CHECK(json_field(site.body(), "capacity_pflops") == "10");
}

std::string state_hash(RestClient& admin) {
  const Response state = admin.send(http::verb::get, "/v1/admin/state");
  REQUIRE(state.result_int() == 200);
  return json_field(state.body(), "state_hash");
}

}  // namespace

TEST_CASE("a delivery hour through the server: site, capacity, contract, report, settlement") {
  const std::string journal =
      (std::filesystem::temp_directory_path() / ("cpx-delivery-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(journal);
  std::string hash;
  std::string contracts_before;
  {
    RunningServer server({"--clock", "manual", "--journal", journal, "--snapshot-every", "0"});
    Market market(server.port);
    market.open(server.port);
    RestClient provider(server.port, market.provider.id, market.provider.secret);
    RestClient buyer(server.port, market.buyer.id, market.buyer.secret);
    WsClient pushes(server.port, market.buyer.id, market.buyer.secret);
    REQUIRE(pushes.read().find("logged_in") != std::string::npos);

    // An ask for 10:00 from the site takes its chip, region and green share.
    const Response ask =
        provider.send(http::verb::post, "/v1/orders",
                      R"({"client_order_id":"a1","site":"g1","delivery":"2026-12-03T10:00Z",)"
                      R"("qty":"8","price":"2"})");
    INFO(ask.body());
    REQUIRE(ask.result_int() == 201);
    expect_schema(rest + "OrderAnswer", ask.body());
    CHECK(json_field(ask.body(), "delivery") == "2026-12-03T10:00Z");
    CHECK(json_field(ask.body(), "region") == "zhangjiakou");
    CHECK(json_field(ask.body(), "green_pct") == "80");
    // 8 of the site's 10 are offered: 5 more would pass its capacity.
    const Response over =
        provider.send(http::verb::post, "/v1/orders",
                      R"({"client_order_id":"a2","site":"g1","delivery":"2026-12-03T10:00Z",)"
                      R"("qty":"5","price":"2"})");
    CHECK(over.result_int() == 400);
    CHECK(json_field(over.body(), "code") == "over_capacity");
    expect_schema(rest + "Error", over.body());
    // Hours outside the horizon or before the clock's.
    CHECK(json_field(
              provider
                  .send(http::verb::post, "/v1/orders",
                        R"({"client_order_id":"a3","site":"g1","delivery":"2026-12-03T08:00Z",)"
                        R"("qty":"1","price":"2"})")
                  .body(),
              "code") == "delivery_closed");
    // A site that is not the provider's own, and chip given against the site's.
    CHECK(json_field(provider
                         .send(http::verb::post, "/v1/orders",
                               R"({"client_order_id":"a4","site":"nope","qty":"1","price":"2"})")
                         .body(),
                     "code") == "unknown_site");
    CHECK(
        json_field(
            provider
                .send(http::verb::post, "/v1/orders",
                      R"({"client_order_id":"a5","site":"g1","chip":"A100","qty":"1","price":"2"})")
                .body(),
            "code") == "site_mismatch");

    // The buyer's bid for the same hour trades 5 at the ask's 2: a contract, in escrow.
    const Response bid =
        buyer.send(http::verb::post, "/v1/orders",
                   R"({"client_order_id":"b1","chip":"H100","origin":"zhangjiakou",)"
                   R"("delivery":"2026-12-03T10:00Z","qty":"5","price":"3"})");
    INFO(bid.body());
    REQUIRE(bid.result_int() == 201);
    expect_schema(rest + "OrderAnswer", bid.body());
    const std::string trade_id = json_field(bid.body(), "trade_id");
    REQUIRE(!trade_id.empty());
    const Response listed = buyer.send(http::verb::get, "/v1/contracts");
    REQUIRE(listed.result_int() == 200);
    expect_schema(rest + "ContractList", listed.body());
    CHECK(json_field(listed.body(), "status") == "contracted");
    CHECK(json_field(listed.body(), "notional") == "10");
    CHECK(json_field(listed.body(), "seller") == "p1");
    CHECK(json_field(buyer.send(http::verb::get, "/v1/account").body(), "balance") == "990");
    // The provider's site shows what is sold and offered for the hour.
    const Response sites = provider.send(http::verb::get, "/v1/sites");
    expect_schema(rest + "SiteList", sites.body());
    CHECK(json_field(sites.body(), "sold") == "5");
    CHECK(json_field(sites.body(), "offered") == "3");
    CHECK(buyer.send(http::verb::get, "/v1/sites").result_int() == 403);

    // The hour starts: delivering, pushed to the buyer.
    REQUIRE(
        market.admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start + 10 * hour))
            .result_int() == 200);
    const std::string delivering = pushes.read_until("\"delivering\"");
    CHECK(json_field(delivering, "trade_id") == trade_id);
    expect_schema(ws + "ServerMessage", delivering);
    // Only the seller reports, at most the contract's quantity.
    const std::string report = "/v1/contracts/" + trade_id + "/delivery";
    CHECK(json_field(buyer.send(http::verb::post, report, R"({"qty":"4"})").body(), "code") ==
          "role_mismatch");
    CHECK(json_field(provider.send(http::verb::post, report, R"({"qty":"6"})").body(), "code") ==
          "bad_qty");
    const Response reported = provider.send(http::verb::post, report, R"({"qty":"4"})");
    INFO(reported.body());
    REQUIRE(reported.result_int() == 200);
    expect_schema(rest + "ContractAnswer", reported.body());
    CHECK(json_field(reported.body(), "status") == "reported");
    CHECK(json_field(reported.body(), "delivered") == "4");
    CHECK(buyer.send(http::verb::get, "/v1/contracts/999").result_int() == 404);

    // A day and more later the dispute window has passed: settled, 4 paid, 1 refunded with
    // the 10 % penalty of its ask price.
    REQUIRE(
        market.admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start + 35 * hour))
            .result_int() == 200);
    const Response settled = buyer.send(http::verb::get, "/v1/contracts/" + trade_id);
    INFO(settled.body());
    CHECK(json_field(settled.body(), "status") == "settled");
    expect_schema(rest + "ContractAnswer", settled.body());
    CHECK(json_field(settled.body(), "paid") == "8");
    CHECK(json_field(settled.body(), "refunded") == "2");
    CHECK(json_field(settled.body(), "penalty") == "0.2");
    CHECK(json_field(buyer.send(http::verb::get, "/v1/account").body(), "balance") == "992.2");
    const Response seller = provider.send(http::verb::get, "/v1/account");
    CHECK(json_field(seller.body(), "balance") == "107.8");
    CHECK(json_field(seller.body(), "held") == "0");  // the expired ask's reserve too
    const std::string settled_push = pushes.read_until("\"settled\"");
    CHECK(json_field(settled_push, "penalty") == "0.2");
    expect_schema(ws + "ServerMessage", settled_push);

    // An operator's clock never goes back.
    CHECK(json_field(
              market.admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start)).body(),
              "code") == "bad_time");
    hash = state_hash(market.admin);
    contracts_before = buyer.send(http::verb::get, "/v1/contracts").body();
    CHECK(server.stop() == 0);
  }
  // From the journal alone, then from a snapshot: the same state.
  for (const char* every : {"0", "1"}) {
    CAPTURE(every);
    RunningServer again({"--clock", "manual", "--journal", journal, "--snapshot-every", every});
    RestClient admin(again.port, operator_key, operator_secret);
    CHECK(state_hash(admin) == hash);
    const Response buyer_key = admin.send(http::verb::post, "/v1/admin/accounts/e1/keys");
    REQUIRE(buyer_key.result_int() == 201);
    RestClient buyer(again.port, json_field(buyer_key.body(), "key_id"),
                     json_field(buyer_key.body(), "secret"));
    CHECK(buyer.send(http::verb::get, "/v1/contracts").body() == contracts_before);
    // One command more, so the second start (every command snapshotted) leaves a snapshot.
    REQUIRE(admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start + 36 * hour))
                .result_int() == 200);
    hash = state_hash(admin);
    CHECK(again.stop() == 0);
  }
  {
    RunningServer last({"--clock", "manual", "--journal", journal});
    last.read_line();  // the ledger's line
    CHECK(last.read_line().find("after snapshot") != std::string::npos);
    RestClient admin(last.port, operator_key, operator_secret);
    CHECK(state_hash(admin) == hash);
    CHECK(last.stop() == 0);
  }
  std::filesystem::remove_all(journal);
}

TEST_CASE("disputes go to an operator, who settles them; suspending a site ends its asks") {
  RunningServer server({"--clock", "manual"});
  Market market(server.port);
  market.open(server.port);
  RestClient provider(server.port, market.provider.id, market.provider.secret);
  RestClient buyer(server.port, market.buyer.id, market.buyer.secret);
  // Spot: with the clock at 09:20, an order without delivery is for 09:00.
  const Response ask =
      provider.send(http::verb::post, "/v1/orders",
                    R"({"client_order_id":"a1","site":"g1","qty":"6","price":"2"})");
  REQUIRE(ask.result_int() == 201);
  CHECK(json_field(ask.body(), "delivery") == "2026-12-03T09:00Z");
  const Response bid = buyer.send(
      http::verb::post, "/v1/orders",
      R"({"client_order_id":"b1","chip":"H100","origin":"zhangjiakou","qty":"2","price":"2"})");
  REQUIRE(bid.result_int() == 201);
  const std::string trade_id = json_field(bid.body(), "trade_id");
  // The hour has begun: the contract delivers at once; the buyer cannot dispute before a report.
  const std::string contract = "/v1/contracts/" + trade_id;
  CHECK(json_field(buyer.send(http::verb::get, contract).body(), "status") == "delivering");
  const Response early = buyer.send(http::verb::post, contract + "/dispute");
  CHECK(early.result_int() == 409);
  CHECK(json_field(early.body(), "code") == "contract_state");
  // The provider reports over its WebSocket session, and lowers its site's capacity there.
  WsClient session(server.port, market.provider.id, market.provider.secret);
  REQUIRE(session.read().find("logged_in") != std::string::npos);
  session.send(R"({"op":"delivery","req_id":7,"trade_id":)" + trade_id + R"(,"qty":"2"})");
  const std::string reply = session.read_until("\"req_id\":7");
  CHECK(reply.starts_with(R"({"type":"contract","req_id":7,"contract":{)"));
  CHECK(json_field(reply, "status") == "reported");
  expect_schema(ws + "ServerMessage", reply);
  session.send(R"({"op":"site","req_id":8,"site":"g1","capacity_pflops":"9"})");
  const std::string changed = session.read_until("\"req_id\":8");
  CHECK(json_field(changed, "capacity_pflops") == "9");
  expect_schema(ws + "ServerMessage", changed);
  session.send(R"({"op":"site","req_id":9,"site":"g1","capacity_pflops":"1"})");
  CHECK(json_field(session.read_until("\"req_id\":9"), "reason") == "below_sold");
  const Response disputed = buyer.send(http::verb::post, contract + "/dispute");
  INFO(disputed.body());
  REQUIRE(disputed.result_int() == 200);
  CHECK(json_field(disputed.body(), "status") == "disputed");
  expect_schema(rest + "ContractAnswer", disputed.body());
  CHECK(json_field(buyer.send(http::verb::get, "/v1/contracts?status=disputed").body(),
                   "trade_id") == trade_id);
  CHECK(buyer.send(http::verb::get, "/v1/contracts?status=settled").body().find("{\"trade_id\"") ==
        std::string::npos);
  CHECK(buyer.send(http::verb::get, "/v1/contracts?status=lost").result_int() == 400);
  // The operator resolves it with 1 delivered: settled at once.
  const Response resolved = market.admin.send(
      http::verb::post, "/v1/admin/contracts/" + trade_id + "/resolve", R"({"qty":"1"})");
  INFO(resolved.body());
  REQUIRE(resolved.result_int() == 200);
  CHECK(json_field(resolved.body(), "status") == "settled");
  CHECK(json_field(resolved.body(), "paid") == "2");
  // The operator suspends the site: its open ask (4 left) ends; the provider may not resume.
  const Response suspended =
      market.admin.send(http::verb::patch, "/v1/sites/g1", R"({"status":"suspended"})");
  INFO(suspended.body());
  REQUIRE(suspended.result_int() == 200);
  CHECK(json_field(suspended.body(), "status") == "suspended");
  CHECK(json_field(provider.send(http::verb::get, "/v1/orders/a1").body(), "status") == "canceled");
  CHECK(
      json_field(provider.send(http::verb::patch, "/v1/sites/g1", R"({"status":"active"})").body(),
                 "code") == "site_inactive");
  // Fields a command does not take are refused by name.
  const Response unknown =
      provider.send(http::verb::patch, "/v1/sites/g1", R"({"time_ms":5,"capacity_pflops":"3"})");
  CHECK(unknown.result_int() == 400);
  CHECK(json_field(unknown.body(), "message") == "unknown field time_ms");
}

TEST_CASE("the wall clock runs from the start; the manual clock is the operators' only") {
  {
    RunningServer server({"--clock", "wall"});
    Market market(server.port);
    market.provider = create_account(market.admin, "p1", "provider");
    REQUIRE(market.admin
                .send(http::verb::post, "/v1/admin/collateral", R"({"account":"p1","amount":"50"})")
                .result_int() == 200);
    RestClient provider(server.port, market.provider.id, market.provider.secret);
    REQUIRE(provider
                .send(http::verb::post, "/v1/sites",
                      R"({"site":"w1","chip":"H20","region":"wuhu","capacity_pflops":"1"})")
                .result_int() == 201);
    const Response ask =
        provider.send(http::verb::post, "/v1/orders",
                      R"({"client_order_id":"s1","site":"w1","qty":"1","price":"1"})");
    INFO(ask.body());
    REQUIRE(ask.result_int() == 201);
    const int64_t now = now_ms();
    const std::string expected_hour = json_field(ask.body(), "delivery");
    CHECK(expected_hour.size() == 17);  // "YYYY-MM-DDTHH:00Z": the current hour
    CHECK(expected_hour.ends_with(":00Z"));
    (void)now;
    CHECK(json_field(market.admin.send(http::verb::post, "/v1/admin/clock", clock_body(now)).body(),
                     "code") == "clock_not_manual");
  }
  RunningServer plain;  // --clock off: the markets of matching.md
  RestClient admin(plain.port, operator_key, operator_secret);
  CHECK(json_field(admin.send(http::verb::post, "/v1/admin/clock", clock_body(day_start)).body(),
                   "code") == "clock_not_manual");
  const Key provider_key = create_account(admin, "p1", "provider");
  RestClient provider(plain.port, provider_key.id, provider_key.secret);
  CHECK(json_field(provider
                       .send(http::verb::post, "/v1/orders",
                             R"({"client_order_id":"x","site":"g1","qty":"1","price":"1"})")
                       .body(),
                   "code") == "delivery_not_open");
  const Key buyer_key = create_account(admin, "e1", "enterprise");
  RestClient buyer(plain.port, buyer_key.id, buyer_key.secret);
  CHECK(buyer.send(http::verb::post, "/v1/admin/clock", clock_body(day_start)).result_int() == 403);
}

}  // namespace cpx::test
