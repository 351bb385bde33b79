// Delivery days through the real cpx-server and a real PostgreSQL (docs/delivery.md): providers'
// sites and collateral, hourly asks and bids over several simulated days (the test drives the
// clock), contracts reported, disputed and resolved, a kill -9 with deliveries in flight; then
// every contract is settled, money is conserved to the last fen, the ledger's balances equal
// the engine's, its escrow identity holds, and cpx-audit verify passes.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <random>

#include "cpx/base/decimal.hpp"
#include "cpx/ledger/verify.hpp"
#include "market_run.hpp"
#include "pg_test.hpp"

namespace cpx::test {
namespace {

constexpr int64_t hour_ms = 3'600'000;
constexpr int64_t day_start = 1796256000000;  // 2026-12-03T00:00Z

int128 amount(const std::string& text) {
  const auto value = parse_decimal(text, amount_frac_digits, int128(1) << 100);
  REQUIRE_MESSAGE(value.has_value(), text);
  return *value;
}

// The contracts of a list answer, one flat JSON text each.
std::vector<std::string> contracts_in(const std::string& body) {
  std::vector<std::string> out;
  for (std::size_t at = body.find("{\"trade_id\":"); at != std::string::npos;) {
    const std::size_t next = body.find("{\"trade_id\":", at + 1);
    out.push_back(body.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next;
  }
  return out;
}

struct Party {
  std::string account;
  Key key;
};

// One start of the server over the test's database and journal, with its clients.
struct Exchange {
  std::unique_ptr<RunningServer> server;
  std::unique_ptr<RestClient> admin;
  std::map<std::string, std::unique_ptr<RestClient>> clients;

  void start(const std::vector<std::string>& args, const std::vector<Party>& parties) {
    server = std::make_unique<RunningServer>(args);
    connect(parties);
  }
  void connect(const std::vector<Party>& parties) {
    admin = std::make_unique<RestClient>(server->port, operator_key, operator_secret);
    clients.clear();
    for (const Party& party : parties) {
      clients[party.account] =
          std::make_unique<RestClient>(server->port, party.key.id, party.key.secret);
    }
  }
  RestClient& as(const std::string& account) { return *clients.at(account); }
  void tick(int64_t ms) {
    const Response answer = admin->send(http::verb::post, "/v1/admin/clock",
                                        R"({"time_ms":)" + std::to_string(ms) + "}");
    REQUIRE(answer.result_int() == 200);
  }
  // Every contract, as an operator lists them (filtered by status when given).
  std::vector<std::string> contracts(const std::string& status = "") {
    std::vector<std::string> out;
    std::string after = "0";
    for (int page = 0; page < 1000 && after != "null"; ++page) {
      const Response answer =
          admin->send(http::verb::get, "/v1/contracts?limit=500&after_trade_id=" + after +
                                           (status.empty() ? std::string() : "&status=" + status));
      REQUIRE(answer.result_int() == 200);
      for (std::string& contract : contracts_in(answer.body())) out.push_back(std::move(contract));
      const std::size_t next = answer.body().rfind("\"next_after_trade_id\":") + 22;
      after = answer.body().substr(next, answer.body().size() - 1 - next);
    }
    return out;
  }
};

struct Site {
  std::string id;
  std::string owner;
  std::string chip;
  std::string region;
};

// What an hour of the market does: asks and bids for the next hours, reports of what is being
// delivered, some disputes, some resolutions.
void trade_hour(Exchange& market, std::mt19937_64& random, int64_t hour,
                const std::vector<Site>& sites, const std::vector<std::string>& buyers,
                int& number) {
  const auto pick = [&](int n) { return int(random() % uint64_t(n)); };
  const auto delivery = [&](int64_t h) {
    return std::to_string((day_start / hour_ms + h) * hour_ms);
  };
  for (const Site& site : sites) {
    if (pick(10) < 3) continue;
    const std::string body = R"({"client_order_id":"a)" + std::to_string(++number) +
                             R"(","site":")" + site.id + R"(","delivery":)" +
                             delivery(hour + pick(4)) + R"(,"qty":")" +
                             std::to_string(1 + pick(6)) + R"(","price":")" +
                             std::to_string(1 + pick(3)) + "." + std::to_string(pick(100)) + "\"}";
    const Response answer = market.as(site.owner).send(http::verb::post, "/v1/orders", body);
    CHECK((answer.result_int() == 201 || json_field(answer.body(), "code") == "over_capacity"));
  }
  for (const std::string& buyer : buyers) {
    if (pick(10) < 2) continue;
    const Site& site = sites[std::size_t(pick(int(sites.size())))];
    const bool spot = pick(5) == 0;
    const std::string body = R"({"client_order_id":"b)" + std::to_string(++number) +
                             R"(","chip":")" + site.chip + R"(","origin":")" + site.region + "\"" +
                             (spot ? std::string() : ",\"delivery\":" + delivery(hour + pick(4))) +
                             R"(,"qty":")" + std::to_string(1 + pick(5)) + R"(","price":")" +
                             std::to_string(2 + pick(3)) + "\"}";
    const Response answer = market.as(buyer).send(http::verb::post, "/v1/orders", body);
    INFO(body, " -> ", answer.body());
    CHECK(answer.result_int() == 201);
  }
  for (const std::string& contract : market.contracts("delivering")) {
    if (pick(10) < 2) continue;  // no report: nothing delivered, at the deadline
    const std::string qty = json_field(contract, "qty");
    const std::string delivered = pick(3) == 0 ? std::to_string(pick(std::stoi(qty) + 1)) : qty;
    const Response answer =
        market.as(json_field(contract, "seller"))
            .send(http::verb::post,
                  "/v1/contracts/" + json_field(contract, "trade_id") + "/delivery",
                  R"({"qty":")" + delivered + "\"}");
    INFO(contract, " -> ", answer.body());
    CHECK(answer.result_int() == 200);
  }
  for (const std::string& contract : market.contracts("reported")) {
    if (pick(12) != 0) continue;
    CHECK(market.as(json_field(contract, "buyer"))
              .send(http::verb::post,
                    "/v1/contracts/" + json_field(contract, "trade_id") + "/dispute")
              .result_int() == 200);
  }
  for (const std::string& contract : market.contracts("disputed")) {
    if (pick(2) != 0) continue;
    CHECK(market.admin
              ->send(http::verb::post,
                     "/v1/admin/contracts/" + json_field(contract, "trade_id") + "/resolve",
                     R"({"qty":")" +
                         std::to_string(pick(std::stoi(json_field(contract, "qty")) + 1)) + "\"}")
              .result_int() == 200);
  }
}

void check_escrow_view(const std::string& url, bool nonzero) {
  pqxx::connection connection(url);
  pqxx::work work(connection);
  const pqxx::row escrow =
      work.exec1("SELECT escrow_balance::text, unsettled_notional::text FROM audit.escrow");
  const int128 held = amount(api_decimal(escrow[0].as<std::string>(), amount_frac_digits));
  CHECK(held == amount(api_decimal(escrow[1].as<std::string>(), amount_frac_digits)));
  CHECK((held > 0) == nonzero);
}

}  // namespace

TEST_CASE(
    "delivery days through the server and PostgreSQL: all settle, money holds, a crash "
    "changes nothing, the ledger verifies") {
  const std::string url = fresh_database("cpx_test_delivery");
  const std::string journal = fresh_journal("delivery-ledger");
  const char* days_text = std::getenv("CPX_DELIVERY_DAYS");
  const int days = days_text != nullptr ? std::atoi(days_text) : 3;
  std::mt19937_64 random(20261203);
  const std::vector<std::string> args = {"--db",      url,     "--clock",      "manual",
                                         "--journal", journal, "--rate-limit", "0"};
  Exchange market;
  market.start(args, {});
  market.tick(day_start);
  std::vector<Party> parties;
  std::vector<Site> sites;
  std::vector<std::string> buyers;
  const std::string chips[] = {"H100", "A100"};
  const std::string regions[] = {"zhangjiakou", "wuhu", "shaoguan"};
  for (int p = 0; p < 3; ++p) {
    const std::string name = "p" + std::to_string(p);
    parties.push_back(Party{name, create_account(*market.admin, name, "provider")});
    REQUIRE(market.admin
                ->send(http::verb::post, "/v1/admin/collateral",
                       R"({"account":")" + name + R"(","amount":"500"})")
                .result_int() == 200);
  }
  for (int e = 0; e < 4; ++e) {
    const std::string name = "e" + std::to_string(e);
    parties.push_back(Party{name, create_account(*market.admin, name, "enterprise")});
    buyers.push_back(name);
    REQUIRE(market.admin
                ->send(http::verb::post, "/v1/admin/deposits",
                       R"({"account":")" + name + R"(","amount":"5000"})")
                .result_int() == 200);
  }
  market.connect(parties);
  for (int p = 0; p < 3; ++p) {
    for (int s = 0; s < 2; ++s) {
      const Site site{"s" + std::to_string(p) + std::to_string(s), "p" + std::to_string(p),
                      chips[s], regions[p]};
      sites.push_back(site);
      const Response answer =
          market.as(site.owner)
              .send(http::verb::post, "/v1/sites",
                    R"({"site":")" + site.id + R"(","chip":")" + site.chip + R"(","region":")" +
                        site.region + R"(","capacity_pflops":"12","green_pct":)" +
                        std::to_string(40 * s + 30) + "}");
      REQUIRE(answer.result_int() == 201);
    }
  }

  int number = 0;
  const int64_t hours = int64_t(days) * 24;
  for (int64_t hour = 0; hour < hours; ++hour) {
    market.tick(day_start + hour * hour_ms + 5 * 60'000);
    trade_hour(market, random, hour, sites, buyers, number);
    if (hour == 24) {  // unsettled contracts in escrow: the identity holds, and verifies
      wait_settled(market.server->port);
      check_escrow_view(url, true);
      const ledger::VerifyReport report = ledger::verify(url);
      INFO(ledger::to_text(report));
      CHECK(report.ok);
    }
    if (hour == 36) {  // a crash with deliveries in flight: the same state after it
      const std::string before = state_hash(market.server->port);
      kill_now(*market.server);
      market.start(args, parties);
      CHECK(state_hash(market.server->port) == before);
    }
  }
  // The last disputes resolved, then days later every contract is settled.
  for (const std::string& contract : market.contracts("disputed")) {
    REQUIRE(market.admin
                ->send(http::verb::post,
                       "/v1/admin/contracts/" + json_field(contract, "trade_id") + "/resolve",
                       R"({"qty":"0"})")
                .result_int() == 200);
  }
  market.tick(day_start + (hours + 72) * hour_ms);
  const std::vector<std::string> all = market.contracts();
  MESSAGE(all.size(), " contracts over ", days, " days");
  CHECK(all.size() > 50);
  std::map<std::string, int128> expected;
  for (const Party& party : parties) {
    expected[party.account] = amount(party.account[0] == 'p' ? "500" : "5000");
  }
  int short_delivered = 0;
  for (const std::string& contract : all) {
    INFO(contract);
    REQUIRE(json_field(contract, "status") == "settled");
    const int128 paid = amount(json_field(contract, "paid"));
    const int128 refunded = amount(json_field(contract, "refunded"));
    const int128 penalty = amount(json_field(contract, "penalty"));
    CHECK(paid + refunded == amount(json_field(contract, "notional")));
    short_delivered += refunded > 0;
    expected[json_field(contract, "buyer")] += penalty - paid;
    expected[json_field(contract, "seller")] += paid - penalty;
  }
  CHECK(short_delivered > 0);
  // Money to the last fen: each balance is what came in, less what it paid, plus what it was
  // paid; nothing is held once every hour closed and every contract settled.
  for (const Party& party : parties) {
    const Response account = market.as(party.account).send(http::verb::get, "/v1/account");
    INFO(account.body());
    CHECK(amount(json_field(account.body(), "balance")) == expected[party.account]);
    CHECK(json_field(account.body(), "held") == "0");
  }
  wait_settled(market.server->port);
  {
    pqxx::connection connection(url);
    pqxx::work work(connection);
    const std::map<std::string, std::string> ledger = ledger_balances(work);
    for (const Party& party : parties) {
      const std::string balance = format_decimal(expected[party.account], amount_frac_digits);
      CHECK(ledger.at(party.account) == balance + " 0");
    }
    CHECK(work.exec1("SELECT count(*) FROM contracts")[0].as<std::size_t>() == all.size());
    CHECK(work.exec1("SELECT count(*) FROM contract_events WHERE status = 'settled'")[0]
              .as<std::size_t>() == all.size());
  }
  check_escrow_view(url, false);
  // Each delivery hour's candles (settled trades, some read back from the ledger after the
  // crash) hold exactly its contracts.
  std::map<std::pair<std::string, std::string>, int64_t> contracted;
  for (const std::string& contract : all) {
    contracted[{json_field(contract, "chip"), json_field(contract, "delivery")}] +=
        int64_t(amount(json_field(contract, "qty")) / 10'000);
  }
  RestClient anyone(market.server->port, "", "");
  for (const auto& [market_hour, qty_milli] : contracted) {
    const Response candles = anyone.send(
        http::verb::get, "/v1/markets/" + market_hour.first +
                             "/candles?interval=1h&limit=1440&delivery=" + market_hour.second);
    INFO(candles.body());
    REQUIRE(candles.result_int() == 200);
    CHECK(json_field(candles.body(), "delivery") == market_hour.second);
    int64_t volume_milli = 0;
    for (std::size_t at = candles.body().find("\"volume\":\""); at != std::string::npos;
         at = candles.body().find("\"volume\":\"", at + 1)) {
      volume_milli += int64_t(amount(json_field(candles.body().substr(at - 1), "volume")) / 10'000);
    }
    CHECK(volume_milli == qty_milli);
  }
  const ledger::VerifyReport report = ledger::verify(url);
  INFO(ledger::to_text(report));
  CHECK(report.ok);
  std::string output;
  CHECK(run_audit(url, output) == 0);
  MESSAGE(output);
  CHECK(market.server->stop() == 0);
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("a start from the ledger alone is refused while contracts are unsettled") {
  const std::string url = fresh_database("cpx_test_delivery_restart");
  {
    RunningServer server({"--db", url, "--clock", "manual"});
    RestClient admin(server.port, operator_key, operator_secret);
    REQUIRE(admin.send(http::verb::post, "/v1/admin/clock", R"({"time_ms":1796256000000})")
                .result_int() == 200);
    const Key provider = create_account(admin, "p1", "provider");
    const Key buyer = create_account(admin, "e1", "enterprise");
    REQUIRE(admin.send(http::verb::post, "/v1/admin/collateral", R"({"account":"p1","amount":"9"})")
                .result_int() == 200);
    REQUIRE(admin.send(http::verb::post, "/v1/admin/deposits", R"({"account":"e1","amount":"9"})")
                .result_int() == 200);
    RestClient seller(server.port, provider.id, provider.secret);
    RestClient bidder(server.port, buyer.id, buyer.secret);
    REQUIRE(seller
                .send(http::verb::post, "/v1/sites",
                      R"({"site":"g","chip":"H20","region":"wuhu","capacity_pflops":"5"})")
                .result_int() == 201);
    REQUIRE(seller
                .send(http::verb::post, "/v1/orders",
                      R"({"client_order_id":"a","site":"g","qty":"2","price":"1"})")
                .result_int() == 201);
    const Response bid = bidder.send(
        http::verb::post, "/v1/orders",
        R"({"client_order_id":"b","chip":"H20","origin":"wuhu","qty":"2","price":"1"})");
    REQUIRE(bid.result_int() == 201);
    REQUIRE(!json_field(bid.body(), "trade_id").empty());
    wait_settled(server.port);
    CHECK(server.stop() == 0);
  }
  std::string output;
  CHECK(RunningServer::run_to_end({"--db", url, "--clock", "manual"}, output) != 0);
  CHECK(output.find("1 unsettled contract(s)") != std::string::npos);
  MESSAGE(output);
}

}  // namespace cpx::test
