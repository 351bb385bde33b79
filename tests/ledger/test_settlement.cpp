// Settlement end to end: the real cpx-server with a real PostgreSQL (scripts/with-pg.sh), real
// sockets on loopback, and the real cpx-audit. What the engine did is what the ledger holds.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cpx/app/config_files.hpp"
#include "cpx/base/decimal.hpp"
#include "cpx/ledger/migrations.hpp"
#include "cpx/ledger/rows.hpp"
#include "cpx/ledger/verify.hpp"
#include "cpx/ledger/writer.hpp"
#include "market_run.hpp"
#include "pg_test.hpp"

namespace cpx::test {

TEST_CASE("a randomized run through the server: the ledger equals the engine, and verifies") {
  const std::string url = fresh_database("cpx_test_settlement");
  std::mt19937_64 random(20261123);
  int req = 0;
  int order_number = 0;
  std::map<uint64_t, std::string> fills;
  std::map<std::string, std::string> balances;
  std::map<std::string, std::vector<uint64_t>> account_pages;
  std::map<std::string, std::vector<std::string>> statement_pages;
  {
    RunningServer server({"--db", url, "--rate-limit", "0"});
    RestClient admin(server.port, operator_key, operator_secret);
    std::vector<Trader> traders = open_traders(server, admin, 4, 4, true);
    connect(server, traders);
    run_random(random, traders, commands_to_run(), admin, req, order_number);
    fills = trades_from_fills(server.port, traders);
    balances = engine_balances(server.port, traders);
    // Every account's trades, page by page as an auditor reads them.
    wait_settled(server.port);
    const Key audit = create_account(admin, "audit-1", "auditor");
    RestClient auditor(server.port, audit.id, audit.secret);
    for (const Trader& trader : traders) {
      std::vector<uint64_t>& ids = account_pages[trader.account];
      std::string cursor = "0";
      for (int page = 0; page < 10'000 && cursor != "null"; ++page) {
        const Response response =
            auditor.send(http::verb::get, "/v1/ledger/trades?account=" + trader.account +
                                              "&limit=97&cursor=" + cursor);
        REQUIRE(response.result_int() == 200);
        const std::string& body = response.body();
        for (std::size_t at = 0; (at = body.find("\"trade_id\":", at)) != std::string::npos;) {
          at += 11;
          ids.push_back(std::stoull(body.substr(at, body.find(',', at) - at)));
        }
        const std::size_t next = body.rfind("\"next_cursor\":") + 14;
        cursor = body.substr(next, body.size() - 1 - next);
      }
      // And its statement: every posting as "batch line", page by page.
      std::vector<std::string>& lines = statement_pages[trader.account];
      cursor = "0";
      for (int page = 0; page < 10'000 && cursor != "null"; ++page) {
        const Response response =
            auditor.send(http::verb::get, "/v1/ledger/accounts/" + trader.account +
                                              "/statement?limit=89&cursor=" + cursor);
        REQUIRE(response.result_int() == 200);
        const std::string& body = response.body();
        for (std::size_t at = 0; (at = body.find("\"batch_id\":", at)) != std::string::npos;) {
          at += 11;
          const std::size_t line_at = body.find("\"line\":", at) + 7;
          lines.push_back(body.substr(at, body.find(',', at) - at) + " " +
                          body.substr(line_at, body.find(',', line_at) - line_at));
          at = line_at;
        }
        const std::size_t next = body.rfind("\"next_cursor\":") + 14;
        cursor = body.substr(next, body.size() - 1 - next);
      }
    }
    for (Trader& trader : traders) trader.ws.reset();
    REQUIRE(server.stop() == 0);  // settles everything before it exits
  }
  INFO("commands: ", req, ", trades: ", fills.size());
  CHECK(fills.size() > std::size_t(commands_to_run() / 100));
  pqxx::connection connection(url);
  pqxx::work work(connection);
  const std::map<uint64_t, std::string> trades = ledger_trades(work);
  CHECK(trades.size() == fills.size());
  CHECK(trades == fills);                          // every trade, its price and quantity
  CHECK(trades.rbegin()->first == trades.size());  // ids 1..N, none twice
  std::map<std::string, std::string> settled_balances = ledger_balances(work);
  CHECK(settled_balances["audit-1"] == "0 0");  // the auditor, created last
  settled_balances.erase("audit-1");
  CHECK(settled_balances == balances);  // to the last digit
  CHECK(
      work.exec1("SELECT count(*) FROM postings GROUP BY () HAVING sum(amount) = 0")[0].as<int>() >
      0);
  // The account filter (through postings) pages through exactly the account's trades.
  for (const auto& [account, ids] : account_pages) {
    std::vector<uint64_t> expected;
    for (const auto& row :
         work.exec("SELECT trade_id FROM trades WHERE bid_account = " + work.quote(account) +
                   " OR ask_account = " + work.quote(account) + " ORDER BY trade_id")) {
      expected.push_back(row[0].as<uint64_t>());
    }
    CHECK_MESSAGE(ids == expected, account);
    CHECK(expected.size() > 97);  // several pages
  }
  // The statement (through the account's balance rows) pages through exactly its postings.
  for (const auto& [account, lines] : statement_pages) {
    std::vector<std::string> expected;
    for (const auto& row : work.exec(
             "SELECT batch_id || ' ' || line FROM postings WHERE account = " + work.quote(account) +
             " ORDER BY batch_id, line")) {
      expected.push_back(row[0].as<std::string>());
    }
    CHECK_MESSAGE(lines == expected, account);
    CHECK(expected.size() > 89);  // several pages
  }
  work.commit();

  std::string output;
  CHECK_MESSAGE(run_audit(url, output) == 0, output);
  CHECK(output.find("ledger verified") != std::string::npos);
  // An auditor, who may read the views only, recomputes every batch's hash the same way.
  const std::string auditor = auditor_url(url, "auditor_settlement");
  CHECK_MESSAGE(run_audit(auditor, output) == 0, output);
  const ledger::VerifyReport as_owner = ledger::verify(url);
  const ledger::VerifyReport as_auditor = ledger::verify(auditor);
  CHECK(as_auditor.ok);
  CHECK(as_auditor.batches == as_owner.batches);
  CHECK(as_auditor.postings == as_owner.postings);
  CHECK(as_auditor.batches > 50);

  // A superuser changes one settled trade behind the triggers' back: verify names its batch.
  pqxx::connection superuser(url);
  pqxx::work tamper(superuser);
  const uint64_t victim = trades.size() / 2;
  const uint64_t batch =
      tamper.exec1("SELECT batch_id FROM trades WHERE trade_id = " + std::to_string(victim))[0]
          .as<uint64_t>();
  tamper.exec0("SET session_replication_role = replica");
  tamper.exec0("UPDATE trades SET qty = qty + 1 WHERE trade_id = " + std::to_string(victim));
  tamper.commit();
  CHECK(run_audit(url, output) == 1);
  CHECK_MESSAGE(
      output.find("the chain breaks at batch " + std::to_string(batch) + "\n") != std::string::npos,
      output);
  const ledger::VerifyReport report = ledger::verify(url);
  CHECK_FALSE(report.ok);
  CHECK(report.first_broken_batch == batch);
  CHECK(ledger::verify(auditor).first_broken_batch == batch);  // and so does the auditor

  // A balance row removed: an account's postings in that batch can no longer be found from its
  // balance rows, and verify says so (beside the chain it breaks).
  pqxx::work remove(superuser);
  const pqxx::row gone = remove.exec1("SELECT account, batch_id FROM postings WHERE batch_id > " +
                                      std::to_string(batch) + " ORDER BY batch_id, line LIMIT 1");
  remove.exec0("SET session_replication_role = replica");
  remove.exec0("DELETE FROM balances WHERE account = " + remove.quote(gone[0].c_str()) +
               " AND batch_id = " + gone[1].c_str());
  remove.commit();
  CHECK(run_audit(url, output) == 1);
  CHECK_MESSAGE(
      output.find("batch " + std::string(gone[1].c_str()) + ": posts to account " +
                  gone[0].c_str() + " but holds no balance row for it") != std::string::npos,
      output);
}

TEST_CASE("settlement resumes without duplicates after the server is stopped and started") {
  const std::string url = fresh_database("cpx_test_restart");
  std::mt19937_64 random(7);
  int req = 0;
  int order_number = 0;
  std::vector<Trader> traders;
  std::map<uint64_t, std::string> fills_first;
  uint64_t open_at_stop = 0;
  {
    RunningServer server({"--db", url, "--rate-limit", "0"});
    RestClient admin(server.port, operator_key, operator_secret);
    traders = open_traders(server, admin, 3, 3, true);
    connect(server, traders);
    run_random(random, traders, 6000, admin, req, order_number);
    fills_first = trades_from_fills(server.port, traders);
    for (Trader& trader : traders) trader.ws.reset();
    REQUIRE(server.stop() == 0);
    pqxx::connection connection(url);
    pqxx::work work(connection);
    open_at_stop =
        work.exec1("SELECT count(*) FROM audit.orders WHERE status = 'open'")[0].as<uint64_t>();
  }
  REQUIRE(open_at_stop > 0);
  std::map<uint64_t, std::string> fills_second;
  {
    // Same database: the accounts, their keys and balances come back; nothing is held (the
    // open orders ended with reason "restart"); numbering goes on after the last settled.
    RunningServer server({"--db", url, "--rate-limit", "0"});
    RestClient admin(server.port, operator_key, operator_secret);
    connect(server, traders);  // the keys of the first run still work
    {
      pqxx::connection connection(url);
      pqxx::work work(connection);
      wait_settled(server.port);
      CHECK(work.exec1("SELECT count(*) FROM audit.orders WHERE status = 'restart'")[0]
                .as<uint64_t>() == open_at_stop);
      CHECK(ledger_balances(work) == engine_balances(server.port, traders));
    }
    for (const auto& [account, balance] : engine_balances(server.port, traders)) {
      CHECK_MESSAGE(balance.ends_with(" 0"), account);  // held
    }
    run_random(random, traders, 6000, admin, req, order_number);
    fills_second = trades_from_fills(server.port, traders);
    for (Trader& trader : traders) trader.ws.reset();
    REQUIRE(server.stop() == 0);
  }
  REQUIRE_FALSE(fills_second.empty());
  CHECK(fills_second.begin()->first > fills_first.rbegin()->first);  // new trade ids
  std::map<uint64_t, std::string> all = fills_first;
  all.insert(fills_second.begin(), fills_second.end());
  pqxx::connection connection(url);
  pqxx::work work(connection);
  CHECK(ledger_trades(work) == all);  // each trade once
  std::string output;
  CHECK_MESSAGE(run_audit(url, output) == 0, output);
}

TEST_CASE("PostgreSQL stopped and restarted mid-run: matching goes on, settlement catches up") {
  const std::string url = fresh_database("cpx_test_pg_restart");
  std::mt19937_64 random(11);
  int req = 0;
  int order_number = 0;
  std::map<uint64_t, std::string> fills;
  std::map<std::string, std::string> balances;
  {
    RunningServer server({"--db", url, "--rate-limit", "0"});
    RestClient admin(server.port, operator_key, operator_secret);
    std::vector<Trader> traders = open_traders(server, admin, 3, 3, true);
    connect(server, traders);
    run_random(random, traders, 4000, admin, req, order_number);
    PostgresAway away_for_now;
    run_random(random, traders, 4000, admin, req, order_number);  // still answered
    const std::string away = health(server.port);
    CHECK_MESSAGE(away.find("\"status\":\"degraded\"") != std::string::npos, away);
    CHECK_MESSAGE(away.find("\"lag_seq\":0,") == std::string::npos, away);
    REQUIRE(away_for_now.start());
    std::string back;
    for (int i = 0; i < 600; ++i) {  // the writer retries at least once a second
      back = health(server.port);
      if (back.find("\"lag_seq\":0,") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK_MESSAGE(back.find("\"status\":\"ok\"") != std::string::npos, back);
    CHECK_MESSAGE(back.find("\"lag_seq\":0,") != std::string::npos, back);
    run_random(random, traders, 2000, admin, req, order_number);
    fills = trades_from_fills(server.port, traders);
    balances = engine_balances(server.port, traders);
    for (Trader& trader : traders) trader.ws.reset();
    REQUIRE(server.stop() == 0);
  }
  pqxx::connection connection(url);
  pqxx::work work(connection);
  CHECK(ledger_trades(work) == fills);
  CHECK(ledger_balances(work) == balances);
  std::string output;
  CHECK_MESSAGE(run_audit(url, output) == 0, output);
}

// What a matcher hands the ledger writer for a provider `account` (seq 1) and then `asks`
// accepted asks of 1 at 2.0000, one a command (seq 2 on, order ids = seqs); `after_each(i)`
// runs once the i-th is handed over.
template <typename AfterEach>
void write_asks(ledger::Writer& writer, const std::string& account, int asks,
                AfterEach after_each) {
  ledger::Record opened;
  opened.kind = ledger::RecordKind::account;
  opened.last = true;
  opened.seq = 1;
  opened.role = Role::provider;
  opened.set_text(account);
  writer.write({&opened, 1});
  for (int i = 1; i <= asks; ++i) {
    ledger::Record ask;
    ask.kind = ledger::RecordKind::accepted;
    ask.last = true;
    ask.seq = uint64_t(i) + 1;
    ask.id = ask.seq;
    ask.side = Side::ask;
    ask.price_ticks = 20000;
    ask.qty_milli = 1000;
    ask.time_ms = now_ms();
    ask.set_text("a" + std::to_string(i));
    writer.write({&ask, 1});
    after_each(i);
  }
}

// Stops `writer` and checks that what write_asks() handed it is all in the ledger at `url`,
// each ask once (none lost, none twice), and that the chain verifies.
void check_asks_settled(ledger::Writer& writer, const std::string& url, int asks) {
  CHECK(writer.stop(30'000));
  const ledger::WriterStatus status = writer.status();
  CHECK(status.pending_records == 0);
  CHECK(status.settled_seq == uint64_t(asks) + 1);
  pqxx::connection connection(url);
  pqxx::work work(connection);
  CHECK(work.exec1("SELECT count(*) FROM orders")[0].as<int>() == asks);
  std::string output;
  CHECK_MESSAGE(run_audit(url, output) == 0, output);
}

TEST_CASE("with PostgreSQL away the writer's lag stays bounded: the matcher waits, loses nothing") {
  // The gateway's half of the push-back (a full inbound ring answers 503 / busy) is tested in
  // gateway.server; this is the ledger's half: the matcher blocks rather than buffer on.
  const std::string url = fresh_database("cpx_test_backpressure");
  REQUIRE(ledger::migrate(url).ok);
  const ConfigResult config = load_config("", "");
  REQUIRE(config.config.has_value());
  constexpr int asks = 3000;
  constexpr std::size_t buffer = 1024;
  PostgresAway away_for_now;
  ledger::WriterSettings settings;
  settings.url = url;
  settings.buffer_records = buffer;
  ledger::Writer writer(settings, *config.config);
  writer.start();
  std::atomic<int> handed_over{0};
  std::thread matcher(
      [&] { write_asks(writer, "dc-bounded", asks, [&](int i) { handed_over.store(i); }); });
  ledger::WriterStatus status = writer.status();
  for (int i = 0; i < 500 && status.matcher_waits == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    status = writer.status();
  }
  CHECK(status.matcher_waits > 0);  // the matcher waited...
  CHECK_FALSE(status.connected);
  CHECK(status.pending_records <= buffer + 1);  // ...rather than buffer without end
  CHECK(handed_over.load() < asks);
  CHECK(status.last_error.find("ledger database") != std::string::npos);
  REQUIRE(away_for_now.start());
  matcher.join();  // goes on once PostgreSQL is back
  check_asks_settled(writer, url, asks);
}

// A server on a fresh ledger database with an enterprise "acme" (1,000 deposited), a provider
// "westdc" logged in over WebSocket, and an auditor "audit-1".
struct SmallMarket {
  explicit SmallMarket(const std::string& database)
      : url(fresh_database(database)),
        server({"--db", url, "--rate-limit", "0"}),
        admin(server.port, operator_key, operator_secret),
        acme(create_account(admin, "acme", "enterprise")),
        west(create_account(admin, "westdc", "provider")),
        audit(create_account(admin, "audit-1", "auditor")),
        provider(server.port, west.id, west.secret),
        buyer(server.port, acme.id, acme.secret),
        auditor(server.port, audit.id, audit.secret) {
    REQUIRE(
        admin.send(http::verb::post, "/v1/admin/deposits", R"({"account":"acme","amount":"1000"})")
            .result_int() == 200);
    REQUIRE(provider.read().find("logged_in") != std::string::npos);
  }
  std::string url;
  RunningServer server;
  RestClient admin;
  Key acme, west, audit;
  WsClient provider;
  RestClient buyer;
  RestClient auditor;
};

TEST_CASE(
    "the writer's connections killed at random moments: nothing crashes, every record settles "
    "once") {
  // Each kill breaks one or more lanes mid-batch while the writer thread is handing out the
  // next batches: a batch must never go to a lane whose connection was dropped.
  const std::string url = fresh_database("cpx_test_lane_kills");
  REQUIRE(ledger::migrate(url).ok);
  const ConfigResult config = load_config("", "");
  REQUIRE(config.config.has_value());
  const int asks = std::getenv("CPX_LEDGER_COMMANDS") != nullptr ? 30'000 : 100'000;
  ledger::WriterSettings settings;
  settings.url = url;
  settings.batch_records_max = 100;  // many batches, several in flight at each kill
  settings.connections = 3;
  ledger::Writer writer(settings, *config.config);
  writer.start();
  std::atomic<bool> done{false};
  std::thread matcher([&] {
    write_asks(writer, "dc-killed", asks, [](int) {});
    done.store(true);
  });
  pqxx::connection killer(admin_url());
  std::mt19937_64 random(5);
  int kills = 0;
  for (int round = 0; round < 1000 && kills < 100; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + random() % 15));
    pqxx::nontransaction work(killer);
    // One lane's connection at a time: the other lanes go on committing meanwhile.
    kills += work.exec1(
                     "SELECT count(pg_terminate_backend(pid)) FROM (SELECT pid FROM "
                     "pg_stat_activity WHERE datname = 'cpx_test_lane_kills' "
                     "ORDER BY random() LIMIT 1) AS one")[0]
                 .as<int>();
    if (done.load() && writer.status().pending_records == 0) break;
  }
  matcher.join();
  MESSAGE(kills << " connections killed");
  CHECK(kills > 0);
  check_asks_settled(writer, url, asks);
}

// A provider's ask and an enterprise's IOC bid (at `bid_price`) that trade `qty` at `price` in
// zhongwei.
void trade_once(WsClient& provider, RestClient& buyer, int n, const std::string& price,
                const std::string& qty, const std::string& bid_price = "9") {
  provider.send(R"({"op":"new","req_id":)" + std::to_string(n) + R"(,"client_order_id":"pa)" +
                std::to_string(n) + R"(","chip":"H100","qty":")" + qty + R"(","price":")" + price +
                R"(","region":"zhongwei","green_pct":90})");
  REQUIRE(provider.read_until("\"req_id\":" + std::to_string(n)).find("accepted") !=
          std::string::npos);
  const Response bid =
      buyer.send(http::verb::post, "/v1/orders",
                 R"({"client_order_id":"pb)" + std::to_string(n) + R"(","chip":"H100","qty":")" +
                     qty + R"(","price":")" + bid_price + R"(","origin":"beijing","tif":"IOC"})");
  REQUIRE(bid.result_int() == 201);
  REQUIRE(bid.body().find(R"("status":"filled")") != std::string::npos);
}

TEST_CASE(
    "auditors read the ledger over REST: trades with filters, CSV and cursors, statements, "
    "verify") {
  SmallMarket m("cpx_test_auditor_rest");
  auto& [url, server, admin, acme, west, audit, provider, buyer, auditor] = m;
  for (int i = 1; i <= 3; ++i) trade_once(provider, buyer, i, "2.5", "2", "3");
  wait_settled(server.port);

  Response trades = auditor.send(http::verb::get, "/v1/ledger/trades");
  REQUIRE(trades.result_int() == 200);
  CHECK(trades.body().starts_with(R"({"trades":[{"trade_id":1,"seq":)"));
  CHECK(trades.body().find(
            R"("chip":"H100","region":"zhongwei","price":"2.5","qty":"2","notional":"5",)"
            R"("aggressor":"bid","bid_account":"acme")") != std::string::npos);
  CHECK(trades.body().ends_with(R"("next_cursor":null})"));
  auto count = [](const Response& response) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = response.body().find("\"trade_id\":", at)) != std::string::npos;
         ++at)
      ++n;
    return n;
  };
  CHECK(count(trades) == 3);
  CHECK(count(auditor.send(http::verb::get, "/v1/ledger/trades?chip=H100&region=zhongwei")) == 3);
  CHECK(count(auditor.send(http::verb::get, "/v1/ledger/trades?chip=A100")) == 0);
  CHECK(count(auditor.send(http::verb::get, "/v1/ledger/trades?region=guian")) == 0);
  CHECK(count(auditor.send(http::verb::get, "/v1/ledger/trades?account=westdc")) == 3);
  CHECK(count(auditor.send(http::verb::get, "/v1/ledger/trades?account=nobody")) == 0);
  const std::string later = std::to_string(now_ms() + 3'600'000);
  CHECK(count(auditor.send(http::verb::get, "/v1/ledger/trades?from=" + later)) == 0);
  CHECK(count(auditor.send(http::verb::get, "/v1/ledger/trades?to=" + later)) == 3);
  CHECK(auditor.send(http::verb::get, "/v1/ledger/trades?chip=Z9").result_int() == 400);

  // Pages: a cursor to go on from, null on the last page.
  const Response first = auditor.send(http::verb::get, "/v1/ledger/trades?limit=2");
  CHECK(count(first) == 2);
  CHECK(first.body().ends_with(R"("next_cursor":2})"));
  const Response second = auditor.send(http::verb::get, "/v1/ledger/trades?limit=2&cursor=2");
  CHECK(count(second) == 1);
  CHECK(second.body().find(R"("trade_id":3)") != std::string::npos);
  CHECK(second.body().ends_with(R"("next_cursor":null})"));

  // CSV.
  http::request<http::string_body> csv_request =
      auditor.build(http::verb::get, "/v1/ledger/trades?limit=1", "");
  csv_request.set(http::field::accept, "text/csv");
  const Response csv = auditor.exchange(csv_request);
  CHECK(csv.result_int() == 200);
  CHECK(csv[http::field::content_type] == "text/csv");
  CHECK(
      csv.body().starts_with("trade_id,seq,batch_id,chip,region,price,qty,notional,aggressor,"
                             "bid_account,bid_order_id,ask_account,ask_order_id,traded_ms\n1,"));
  CHECK(std::count(csv.body().begin(), csv.body().end(), '\n') == 2);

  // A statement: the balance and every posting, which add up to it.
  const Response statement = auditor.send(http::verb::get, "/v1/ledger/accounts/acme/statement");
  REQUIRE(statement.result_int() == 200);
  CHECK(statement.body().starts_with(
      R"({"account":"acme","role":"enterprise","balance":{"available":"985","held":"0",)"
      R"("total":"985",)"));
  CHECK(statement.body().find(R"("book":"deposits","kind":"deposit","amount":"-1000")") !=
        std::string::npos);
  // IOC bids filled in their own command pay from `available` and hold nothing.
  CHECK(statement.body().find(R"("book":"available","kind":"trade","amount":"-5")") !=
        std::string::npos);
  CHECK(statement.body().find(R"("book":"held")") == std::string::npos);
  const Response provider_statement =
      auditor.send(http::verb::get, "/v1/ledger/accounts/westdc/statement?limit=2");
  CHECK(provider_statement.body().find(R"("total":"15")") != std::string::npos);
  CHECK(provider_statement.body().find(R"("next_cursor":null)") == std::string::npos);
  CHECK(auditor.send(http::verb::get, "/v1/ledger/accounts/nobody/statement").result_int() == 404);

  Schemas schemas;
  schemas.expect(rest_schema + "LedgerTrades", trades.body());
  schemas.expect(rest_schema + "LedgerTrades", first.body());
  schemas.expect(rest_schema + "Statement", statement.body());
  schemas.expect(rest_schema + "Statement", provider_statement.body());
  schemas.expect(rest_schema + "Health", health(server.port));
  schemas.expect(rest_schema + "Error",
                 auditor.send(http::verb::get, "/v1/ledger/accounts/nobody/statement").body());
  const Response verified = auditor.send(http::verb::get, "/v1/ledger/verify");
  schemas.expect(rest_schema + "VerifyReport", verified.body());
  CHECK(verified.result_int() == 200);
  CHECK(verified.body().starts_with(R"({"ok":true,)"));
  CHECK(verified.body().find(R"("trades":3)") != std::string::npos);

  // Auditor keys only.
  CHECK(buyer.send(http::verb::get, "/v1/ledger/trades").result_int() == 403);
  CHECK(admin.send(http::verb::get, "/v1/ledger/verify").result_int() == 403);
  RestClient anonymous(server.port);
  CHECK(anonymous.send(http::verb::get, "/v1/ledger/trades").result_int() == 401);

  // Each IOC bid ended in the command that placed it: its ending is in its own order row, and
  // is hashed like any other. A superuser changing one breaks the chain at its batch.
  pqxx::connection superuser(url);
  pqxx::work tamper(superuser);
  CHECK(tamper.exec1("SELECT count(*) FROM orders WHERE side = 'bid' AND end_reason = 'filled'")[0]
            .as<int>() == 3);
  CHECK(tamper
            .exec1("SELECT count(*) FROM order_endings o JOIN orders b USING (order_id) "
                   "WHERE b.side = 'bid'")[0]
            .as<int>() == 0);
  const uint64_t batch =
      tamper.exec1("SELECT batch_id FROM orders WHERE client_order_id = 'pb2'")[0].as<uint64_t>();
  tamper.exec0("SET session_replication_role = replica");
  tamper.exec0("UPDATE orders SET filled_qty = 1 WHERE client_order_id = 'pb2'");
  tamper.commit();
  const ledger::VerifyReport report = ledger::verify(url);
  CHECK_FALSE(report.ok);
  CHECK(report.first_broken_batch == batch);
}

// Every posting of an account's statement as "book kind amount", in ledger order.
std::vector<std::string> postings_of(const Response& statement) {
  std::vector<std::string> out;
  const std::string& body = statement.body();
  const std::string book = R"("book":")";
  for (std::size_t at = 0; (at = body.find(book, at)) != std::string::npos;) {
    at += book.size();
    const std::size_t book_end = body.find('"', at);
    const std::size_t kind_at = body.find(R"("kind":")", book_end) + 8;
    const std::size_t kind_end = body.find('"', kind_at);
    const std::size_t amount_at = body.find(R"("amount":")", kind_end) + 10;
    const std::size_t amount_end = body.find('"', amount_at);
    out.push_back(body.substr(at, book_end - at) + " " + body.substr(kind_at, kind_end - kind_at) +
                  " " + body.substr(amount_at, amount_end - amount_at));
    at = amount_end;
  }
  return out;
}

TEST_CASE(
    "postings: an aggressor bid pays from available and holds only what rests; a resting "
    "bid pays from held; its cancel releases the rest") {
  SmallMarket m("cpx_test_postings");
  auto& [url, server, admin, acme, west, audit, provider, buyer, auditor] = m;
  auto ask = [&](int n, const std::string& price, const std::string& qty) {
    provider.send(R"({"op":"new","req_id":)" + std::to_string(n) + R"(,"client_order_id":"pa)" +
                  std::to_string(n) + R"(","chip":"H100","qty":")" + qty + R"(","price":")" +
                  price + R"(","region":"zhongwei","green_pct":90})");
    REQUIRE(provider.read_until("\"req_id\":" + std::to_string(n)).find("accepted") !=
            std::string::npos);
  };
  ask(1, "2.5", "2");
  // Bid 5 at 3: 2 trade at 2.5 in the bid's command, 3 rest (a hold of 9).
  const Response bid = buyer.send(http::verb::post, "/v1/orders",
                                  R"({"client_order_id":"b1","chip":"H100","qty":"5",)"
                                  R"("price":"3","origin":"beijing","tif":"GTC"})");
  REQUIRE(bid.result_int() == 201);
  REQUIRE(bid.body().find(R"("open_qty":"3","filled_qty":"2","status":"open")") !=
          std::string::npos);
  ask(2, "3", "1");  // meets the resting bid at its price 3
  REQUIRE(buyer.send(http::verb::delete_, "/v1/orders/b1").result_int() == 200);
  wait_settled(server.port);

  const Response statement = auditor.send(http::verb::get, "/v1/ledger/accounts/acme/statement");
  REQUIRE(statement.result_int() == 200);
  CHECK(postings_of(statement) ==
        std::vector<std::string>{"deposits deposit -1000", "available deposit 1000",
                                 "available trade -5",                        // the bid's own trade
                                 "available hold -9", "held hold 9",          // what rests
                                 "held trade -3",                             // met while resting
                                 "held release -6", "available release 6"});  // cancel
  CHECK(statement.body().find(R"("balance":{"available":"992","held":"0","total":"992",)") !=
        std::string::npos);
  const Response provider_statement =
      auditor.send(http::verb::get, "/v1/ledger/accounts/westdc/statement");
  CHECK(postings_of(provider_statement) ==
        std::vector<std::string>{"available trade 5", "available trade 3"});
  CHECK(auditor.send(http::verb::get, "/v1/ledger/verify").body().starts_with(R"({"ok":true,)"));
}

// GET a public market endpoint until `needle` shows (settlement is asynchronous).
std::string poll_market(uint16_t port, const std::string& target, const std::string& needle) {
  RestClient rest(port);
  std::string body;
  for (int i = 0; i < 2000; ++i) {  // up to 20 s on a machine under load
    body = rest.send(http::verb::get, target).body();
    if (body.find(needle) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return body;
}

TEST_CASE(
    "price discovery from settled trades: candles, the index, candles:{chip}, and a restart") {
  std::string url;
  {
    SmallMarket m("cpx_test_candles");
    url = m.url;
    auto& [unused_url, server, admin, acme, west, audit, provider, buyer, auditor] = m;
    RestClient market(server.port);
    CHECK(market.send(http::verb::get, "/v1/markets/H100/index").body().find(R"("index":null)") !=
          std::string::npos);
    trade_once(provider, buyer, 1, "2", "1");
    trade_once(provider, buyer, 2, "3", "3");

    const std::string minutes =
        poll_market(server.port, "/v1/markets/H100/candles", R"("trades":2)");
    CHECK_MESSAGE(
        minutes.find(R"("interval":"1m","region":null,"open":"2","high":"3","low":"2",)"
                     R"("close":"3","volume":"4","notional":"11","vwap":"2.75","trades":2})") !=
            std::string::npos,
        minutes);
    CHECK(minutes.starts_with(R"({"chip":"H100","interval":"1m","region":null,"last_price":"3",)"));
    CHECK(market.send(http::verb::get, "/v1/markets/H100/candles?interval=1h&region=zhongwei")
              .body()
              .find(R"("interval":"1h","region":"zhongwei","open":"2")") != std::string::npos);
    CHECK(market.send(http::verb::get, "/v1/markets/H100/candles?region=guian")
              .body()
              .find(R"("candles":[])") != std::string::npos);
    CHECK(market.send(http::verb::get, "/v1/markets/H100/candles?interval=5m").result_int() == 400);
    const std::string index = market.send(http::verb::get, "/v1/markets/H100/index").body();
    CHECK_MESSAGE(index.find(R"("index":"2.75","method":"vwap_1h")") != std::string::npos, index);
    Schemas schemas;
    schemas.expect(rest_schema + "Candles", minutes);
    schemas.expect(rest_schema + "Index", index);
    schemas.expect(rest_schema + "Index",
                   market.send(http::verb::get, "/v1/markets/A100/index").body());
    schemas.expect(rest_schema + "Candles",
                   market.send(http::verb::get, "/v1/markets/H100/candles?interval=1h").body());

    // The channel: a snapshot, then an update per settled batch with the changed candles.
    WsClient watcher(server.port);
    watcher.send(R"({"op":"subscribe","req_id":1,"channels":["candles:H100"]})");
    const std::string snapshot = watcher.read_until(R"("type":"snapshot")");
    CHECK(snapshot.find(R"("channel":"candles:H100","seq":)") != std::string::npos);
    CHECK(snapshot.find(R"("last_price":"3")") != std::string::npos);
    const uint64_t seq = std::stoull(json_field(snapshot, "seq"));  // one per settled batch
    CHECK(seq >= 1);
    CHECK(snapshot.find(R"("interval":"1h")") != std::string::npos);
    trade_once(provider, buyer, 3, "4", "4");
    const std::string update = watcher.read_until(R"("type":"candles")");
    CHECK_MESSAGE(update.find(R"("seq":)" + std::to_string(seq + 1) + R"(,"last_price":"4")") !=
                      std::string::npos,
                  update);
    CHECK(
        update.find(R"("interval":"1m","region":null,"open":"2","high":"4","low":"2","close":"4",)"
                    R"("volume":"8")") != std::string::npos);
    CHECK(update.find(R"("interval":"1h","region":"zhongwei")") != std::string::npos);
    schemas.expect(ws_schema + "ServerMessage", snapshot);
    schemas.expect(ws_schema + "ServerMessage", update);
    schemas.expect(ws_schema + "CandlesUpdate", update);
    schemas.expect(ws_schema + "ClientMessage",
                   R"({"op":"subscribe","req_id":1,"channels":["candles:H100"]})");
    REQUIRE(server.stop() == 0);
  }
  // History survives a restart: read back from the ledger.
  RunningServer server({"--db", url});
  const std::string minutes = poll_market(server.port, "/v1/markets/H100/candles", "\"trades\":3");
  CHECK_MESSAGE(minutes.find(R"("open":"2","high":"4","low":"2","close":"4","volume":"8",)"
                             R"("notional":"27","vwap":"3.375","trades":3})") != std::string::npos,
                minutes);
  CHECK(minutes.find(R"("last_price":"4")") != std::string::npos);
}

}  // namespace cpx::test
