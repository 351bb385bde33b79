// Recovery from the command journal (issue 5), with the real server, a real PostgreSQL and
// SIGKILL: nothing acknowledged is lost, nothing settled twice, and the state that comes back is
// the state that was.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "cpx/journal/journal.hpp"
#include "cpx/journal/snapshot.hpp"
#include "cpx/ledger/verify.hpp"
#include "market_run.hpp"
#include "pg_test.hpp"

namespace cpx::test {
namespace {

// What `cpx-replay --journal` prints, as the ledger keeps it: trades (id -> "price qty"),
// accepted orders ("account client_order_id order_id") and endings ("order_id reason").
struct ReplayedEvents {
  std::map<uint64_t, std::string> trades;
  std::set<std::string> orders;
  std::set<std::string> endings;
  uint64_t lines = 0;
};

ReplayedEvents replay_journal(const std::string& journal) {
  const std::string command = std::string(CPX_REPLAY_BINARY) + " --journal '" + journal + "'";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  ReplayedEvents out;
  std::map<std::string, std::string> order_ids;  // "account client_order_id" -> order id
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    const std::string line = buffer;
    ++out.lines;
    const std::string type = json_field(line, "type");
    if (type == "trade") {
      out.trades[std::stoull(json_field(line, "trade_id"))] =
          json_field(line, "price") + " " + json_field(line, "qty");
    } else if (type == "accepted") {
      const std::string who =
          json_field(line, "account") + " " + json_field(line, "client_order_id");
      order_ids[who] = json_field(line, "order_id");
      out.orders.insert(who + " " + order_ids[who]);
    } else if (type == "done") {
      const std::string who =
          json_field(line, "account") + " " + json_field(line, "client_order_id");
      // Orders accepted before the snapshot a pruned journal starts from are left out.
      const auto it = order_ids.find(who);
      if (it != order_ids.end()) out.endings.insert(it->second + " " + json_field(line, "reason"));
    }
  }
  CHECK(pclose(pipe) == 0);
  return out;
}

// The same from the ledger, for orders and trades from `first_order` and `first_trade` on.
void check_replay_equals_ledger(pqxx::work& work, const ReplayedEvents& replayed,
                                uint64_t first_order, uint64_t first_trade) {
  std::set<std::string> orders;
  for (const auto& row :
       work.exec("SELECT account, client_order_id, order_id FROM orders WHERE order_id >= " +
                 std::to_string(first_order))) {
    orders.insert(row[0].as<std::string>() + " " + row[1].as<std::string>() + " " +
                  row[2].as<std::string>());
  }
  std::set<std::string> endings;
  for (const auto& row : work.exec("SELECT order_id, status FROM audit.orders WHERE status <> "
                                   "'open' AND order_id >= " +
                                   std::to_string(first_order))) {
    endings.insert(row[0].as<std::string>() + " " + row[1].as<std::string>());
  }
  std::map<uint64_t, std::string> trades = ledger_trades(work);
  trades.erase(trades.begin(), trades.lower_bound(first_trade));
  CHECK(replayed.orders.size() > 100);
  CHECK(replayed.orders == orders);
  CHECK(replayed.endings == endings);
  CHECK(replayed.trades == trades);
}

}  // namespace

TEST_CASE(
    "snapshots: taken while trading, the journal pruned behind them, and a start from the "
    "newest, or from an older one when the newest is damaged") {
  const std::string url = fresh_database("cpx_test_snapshots");
  const std::string journal = fresh_journal("journal-snapshots");
  const std::vector<std::string> args = {"--db",
                                         url,
                                         "--journal",
                                         journal,
                                         "--rate-limit",
                                         "0",
                                         "--snapshot-every",
                                         "400",
                                         "--journal-segment-bytes",
                                         "65536"};
  std::mt19937_64 random(11);
  int req = 0;
  int order_number = 0;
  std::vector<Trader> traders;
  std::string hash_before;
  std::map<std::string, std::string> balances_before;
  {
    RunningServer server(args);
    RestClient admin(server.port, operator_key, operator_secret);
    traders = open_traders(server, admin, 3, 3, true);
    connect(server, traders);
    run_random(random, traders, 4000, admin, req, order_number);
    wait_settled(server.port);
    // Pruning waits for the ledger: a little more trading after it has settled, a second apart.
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1100));
      run_random(random, traders, 450, admin, req, order_number);
    }
    wait_settled(server.port);
    hash_before = state_hash(server.port);
    balances_before = engine_balances(server.port, traders);
    for (Trader& trader : traders) trader.ws.reset();
    REQUIRE(server.stop() == 0);
  }
  const std::vector<journal::SnapshotFile> taken = journal::snapshots(journal);
  REQUIRE(taken.size() >= 2);
  CHECK(taken.size() <= 4);  // older ones deleted as the journal is pruned
  const std::vector<std::string> segments = journal::segments(journal);
  REQUIRE_FALSE(segments.empty());
  const uint64_t pruned_through = journal::segment_records_before(segments.front());
  CHECK(pruned_through > 0);                        // the journal's beginning is gone...
  CHECK(pruned_through <= taken[1].journal_index);  // ...but never past the older snapshot
  {
    RunningServer server(args);
    const std::string lines = server.read_line() + server.read_line() + server.read_line();
    CHECK_MESSAGE(lines.find("after snapshot " + taken[0].path) != std::string::npos, lines);
    CHECK(state_hash(server.port) == hash_before);
    connect(server, traders);
    CHECK(engine_balances(server.port, traders) == balances_before);
    for (Trader& trader : traders) trader.ws.reset();
    REQUIRE(server.stop() == 0);
  }
  const journal::SnapshotFile newest = journal::snapshots(journal).front();
  flip_byte(newest.path, 16 + 16 + 10);  // inside the first block
  {
    RunningServer server(args, true, true);
    CHECK_MESSAGE(server.early_output.find("snapshot unusable: " + newest.path +
                                           " at offset 16: a block's checksum does not match") !=
                      std::string::npos,
                  server.early_output);
    const std::string lines = server.read_line() + server.read_line() + server.read_line();
    CHECK_MESSAGE(lines.find("after snapshot") != std::string::npos, lines);
    CHECK(lines.find(newest.path) == std::string::npos);
    CHECK(state_hash(server.port) == hash_before);  // an older one and a longer journal
    REQUIRE(server.stop() == 0);
  }
  // With every snapshot damaged, the pruned journal cannot be replayed: the start stops and
  // says why, naming the files and offsets.
  for (const journal::SnapshotFile& file : journal::snapshots(journal)) {
    if (file.path != newest.path) flip_byte(file.path, 16 + 16 + 10);
  }
  std::string output;
  CHECK(RunningServer::run_to_end(args, output) != 0);
  CHECK_MESSAGE(output.find("no snapshot covers the records before it") != std::string::npos,
                output);
  CHECK_MESSAGE(output.find(newest.path + " at offset 16") != std::string::npos, output);
  // cpx-replay --journal cannot either, and says so.
  const std::string replay =
      std::string(CPX_REPLAY_BINARY) + " --journal '" + journal + "' 2>&1 >/dev/null";
  FILE* pipe = popen(replay.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[8192];
  std::string said;
  while (const std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) said.append(buffer, n);
  CHECK(pclose(pipe) != 0);
  CHECK_MESSAGE(said.find("no snapshot covers it") != std::string::npos, said);
  pqxx::connection connection(url);
  pqxx::work work(connection);
  CHECK(ledger_balances(work) == balances_before);
  std::string audit;
  CHECK_MESSAGE(run_audit(url, audit) == 0, audit);
}

TEST_CASE("a stopped and started server keeps its open orders, book, balances and numbering") {
  const std::string url = fresh_database("cpx_test_journal_restart");
  const std::string journal = fresh_journal("journal-restart");
  const std::vector<std::string> args = {"--db", url, "--journal", journal, "--rate-limit", "0"};
  std::mt19937_64 random(3);
  int req = 0;
  int order_number = 0;
  std::vector<Trader> traders;
  std::string book_before;
  std::map<std::string, std::string> balances_before;
  std::set<std::string> orders_before;
  std::string hash_before;
  {
    RunningServer server(args);
    RestClient admin(server.port, operator_key, operator_secret);
    traders = open_traders(server, admin, 2, 2, true);
    connect(server, traders);
    run_random(random, traders, 3000, admin, req, order_number);
    book_before =
        RestClient(server.port).send(http::verb::get, "/v1/markets/H100/book?depth=1000").body();
    balances_before = engine_balances(server.port, traders);
    for (const Trader& trader : traders) orders_before.merge(orders_of(server.port, trader));
    hash_before = state_hash(server.port);
    for (Trader& trader : traders) trader.ws.reset();
    REQUIRE(server.stop() == 0);
  }
  RunningServer server(args);
  CHECK(state_hash(server.port) == hash_before);  // the same state, to the last field
  const std::string replayed = server.read_line() + server.read_line() + server.read_line();
  CHECK_MESSAGE(replayed.find("records replayed") != std::string::npos, replayed);
  connect(server, traders);  // keys come back from the journal
  std::string book_after =
      RestClient(server.port).send(http::verb::get, "/v1/markets/H100/book?depth=1000").body();
  // The book's update numbering restarts with the I/O thread's copy; the levels must not.
  book_before.erase(0, book_before.find("\"bids\""));
  book_after.erase(0, book_after.find("\"bids\""));
  CHECK(book_after == book_before);
  CHECK(engine_balances(server.port, traders) == balances_before);
  std::set<std::string> orders_after;
  for (const Trader& trader : traders) orders_after.merge(orders_of(server.port, trader));
  CHECK(orders_after == orders_before);
  // Open orders still trade, and numbering goes on: more commands, then the ledger agrees.
  RestClient admin(server.port, operator_key, operator_secret);
  run_random(random, traders, 2000, admin, req, order_number);
  CHECK(state_hash(server.port) != hash_before);  // the hash sees the change
  const std::map<uint64_t, std::string> fills = trades_from_fills(server.port, traders);
  const std::map<std::string, std::string> balances = engine_balances(server.port, traders);
  for (Trader& trader : traders) trader.ws.reset();
  REQUIRE(server.stop() == 0);
  {
    // A start with another operator key (none given: a fresh one is generated) replays the
    // journal all the same: each record names who sent it, not only the key.
    RunningServer again(args, false);
    connect(again, traders);
    CHECK(engine_balances(again.port, traders) == balances);
    for (Trader& trader : traders) trader.ws.reset();
    REQUIRE(again.stop() == 0);
  }
  pqxx::connection connection(url);
  pqxx::work work(connection);
  CHECK(ledger_trades(work) == fills);
  CHECK(ledger_balances(work) == balances);
  CHECK(work.exec1("SELECT count(*) FROM audit.orders WHERE status = 'restart'")[0].as<int>() == 0);
  std::string output;
  CHECK_MESSAGE(run_audit(url, output) == 0, output);
}

namespace {

// Runs the real server under load and kills it with SIGKILL at random moments, restarting it
// each time. With snapshots, kills land while snapshots are being written too, and the final
// start recovers from a snapshot and the journal after it; without, from the whole journal.
void crash_test(const std::string& name, bool snapshots, uint64_t seed) {
  const std::string url = fresh_database("cpx_test_" + name);
  const std::string journal = fresh_journal("journal-" + name);
  std::vector<std::string> args = {"--db", url, "--journal", journal, "--rate-limit", "0"};
  if (snapshots) {
    args.insert(args.end(), {"--snapshot-every", "700", "--journal-segment-bytes", "65536"});
  } else {
    args.insert(args.end(), {"--snapshot-every", "0", "--snapshot-interval", "0"});
  }
  std::mt19937_64 random(seed);
  int req = 0;
  int order_number = 0;
  std::vector<Trader> traders;
  std::set<std::string> acknowledged;
  std::map<uint64_t, std::string> fills;
  std::map<std::string, std::string> balances;
  std::string final_hash;
  constexpr int crashes = 8;
  for (int round = 0; round <= crashes; ++round) {
    CAPTURE(round);
    RunningServer server(args);
    RestClient admin(server.port, operator_key, operator_secret);
    if (round == 0) traders = open_traders(server, admin, 3, 3, true);
    connect(server, traders);
    // Every order acknowledged before any crash is there.
    std::set<std::string> known;
    for (const Trader& trader : traders) known.merge(orders_of(server.port, trader));
    std::vector<std::string> missing;
    std::set_difference(acknowledged.begin(), acknowledged.end(), known.begin(), known.end(),
                        std::back_inserter(missing));
    CHECK_MESSAGE(missing.empty(), missing.size(), " acknowledged orders lost, e.g. ",
                  missing.empty() ? "" : missing.front());
    run_random(random, traders, 1000 + int(random() % 2000), admin, req, order_number,
               &acknowledged);
    if (round == crashes) {
      fills = trades_from_fills(server.port, traders);
      balances = engine_balances(server.port, traders);
      final_hash = state_hash(server.port);
      for (Trader& trader : traders) trader.ws.reset();
      REQUIRE(server.stop() == 0);
      break;
    }
    // Commands in flight, and SIGKILL a few milliseconds in: what was answered before the kill
    // was acknowledged, and must survive it.
    for (Trader& trader : traders) {
      for (int i = 0; i < 100; ++i) {
        trader.ws->send(random_command(random, trader, ++req, order_number));
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 20'000));
    kill_now(server);
    for (Trader& trader : traders) {
      for (std::string answer;
           !(answer = trader.ws->read(std::chrono::milliseconds(200))).empty();) {
        note_accepted(trader, answer, &acknowledged);
      }
      trader.ws.reset();
    }
  }
  MESSAGE(acknowledged.size(), " orders acknowledged over ", crashes, " crashes");
  {
    // Replaying the journal, crashes and all, from the start (or from the newest snapshot)
    // gives the same state.
    RunningServer again(args);
    const std::string lines = again.read_line() + again.read_line() + again.read_line();
    CHECK_MESSAGE((lines.find("after snapshot") != std::string::npos) == snapshots, lines);
    CHECK(state_hash(again.port) == final_hash);
    REQUIRE(again.stop() == 0);
  }
  if (snapshots) {
    CHECK_FALSE(journal::snapshots(journal).empty());
    CHECK(journal::segment_records_before(journal::segments(journal).front()) > 0);  // pruned
  }
  CHECK(acknowledged.size() > 1000);
  pqxx::connection connection(url);
  pqxx::work work(connection);
  const std::map<uint64_t, std::string> trades = ledger_trades(work);
  CHECK(trades == fills);  // none lost, none twice
  CHECK(trades.rbegin()->first == trades.size());
  CHECK(ledger_balances(work) == balances);
  std::string output;
  CHECK_MESSAGE(run_audit(url, output) == 0, output);
  // cpx-replay --journal prints the events the live runs made: every order, ending and trade
  // the ledger settled (from the snapshot it starts at, when the journal was pruned).
  const ReplayedEvents replayed = replay_journal(journal);
  const uint64_t first_trade = replayed.trades.empty() ? 0 : replayed.trades.begin()->first;
  uint64_t first_order = UINT64_MAX;
  for (const std::string& order : replayed.orders) {
    first_order = std::min<uint64_t>(first_order, std::stoull(order.substr(order.rfind(' ') + 1)));
  }
  if (!snapshots) CHECK(first_trade == 1);
  check_replay_equals_ledger(work, replayed, first_order, first_trade);
}

}  // namespace

TEST_CASE(
    "crash test: SIGKILL at random moments under load loses nothing acknowledged and settles "
    "nothing twice") {
  crash_test("crash", false, 20261124);
}

TEST_CASE(
    "crash test with snapshots: SIGKILL while snapshots are taken and the journal pruned "
    "loses nothing either") {
  crash_test("crash_snapshots", true, 20261125);
}

}  // namespace cpx::test
