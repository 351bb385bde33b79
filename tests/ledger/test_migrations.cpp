// The ledger's schema against a real PostgreSQL (scripts/with-pg.sh starts a private one):
// migrations apply in order and once, settled tables refuse UPDATE and DELETE, and a database
// at a newer version stops the real cpx-server with a clear message.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <string>

#include "cpx/ledger/migrations.hpp"
#include "cpx/ledger/pg_session.hpp"
#include "cpx/ledger/rows.hpp"
#include "pg_test.hpp"

namespace cpx::ledger {

using test::fresh_database;

TEST_CASE(
    "COPY text: escaped text, NULLs and exact amounts come back as written; errors name "
    "PostgreSQL's reason") {
  const std::string url = fresh_database("cpx_test_copy_text");
  REQUIRE(migrate(url).ok);
  const std::string odd = "tab\there, back\\slash, new\nline, cr\r end";
  BatchRows rows;
  rows.batch_id = 7;
  rows.accounts.push_back(AccountRow{odd, "provider", 3});
  rows.postings.push_back(PostingRow{1, 3, std::nullopt, 42, odd, "available", "deposit",
                                     int128(-123456789012345678) * 1000});
  rows.postings.push_back(PostingRow{2, 3, 9, std::nullopt, odd, "deposits", "deposit",
                                     int128(123456789012345678) * 1000});
  std::string accounts_text;
  copy_text(rows, Table::accounts, accounts_text);
  CHECK(accounts_text == "tab\\there, back\\\\slash, new\\nline, cr\\r end\tprovider\t3\t7\n");
  std::string postings_text;
  copy_text(rows, Table::postings, postings_text);
  // Order 5 ends in its own batch: its ending goes in its row. Order 3 was accepted earlier.
  rows.orders.push_back(OrderRow{5, 4, "acme", "b-1", "bid", "H100", "beijing", "IOC", "standard",
                                 25000, 2000, 1700});
  rows.endings.push_back(EndingRow{3, 4, "canceled", 30000, 0, 1701});
  rows.endings.push_back(EndingRow{5, 4, "filled", 25000, 2000, 1700});
  std::string orders_text;
  copy_text(rows, Table::orders, orders_text);
  CHECK(orders_text ==
        "5\t4\tacme\tb-1\tbid\tH100\tbeijing\tIOC\tstandard\t2.5\t2\t1700"
        "\t4\tfilled\t2.5\t2\t1700\t7\n");
  std::string endings_text;
  copy_text(rows, Table::endings, endings_text);
  CHECK(endings_text == "3\t4\tcanceled\t3\t0\t1701\t7\n");
  const std::string orders_with_ending = orders_text;
  rows.orders.front().order_id = 6;  // no ending in the batch: NULLs
  orders_text.clear();
  copy_text(rows, Table::orders, orders_text);
  CHECK(orders_text.ends_with("\t1700\t\\N\t\\N\t\\N\t\\N\t\\N\t7\n"));
  PgSession session(url);
  session.exec("BEGIN");
  session.copy_in(copy_target(Table::accounts), accounts_text);
  session.copy_in(copy_target(Table::postings), postings_text);
  session.copy_in(copy_target(Table::orders), orders_with_ending);
  session.copy_in(copy_target(Table::orders), orders_text);
  session.exec("COMMIT");
  CHECK(session.query("SELECT order_id, status, final_price, filled_qty FROM audit.orders "
                      "ORDER BY order_id") ==
        std::vector<std::vector<std::string>>{{"5", "filled", "2.5000", "2.000"},
                                              {"6", "open", "", ""}});
  const auto account = session.query("SELECT account, role, seq, batch_id FROM accounts");
  REQUIRE(account.size() == 1);
  CHECK(account[0] == std::vector<std::string>{odd, "provider", "3", "7"});
  const auto postings = session.query(
      "SELECT line, coalesce(trade_id::text, 'null'), coalesce(order_id::text, 'null'), "
      "account = " +
      session.quote(odd) + ", amount FROM postings ORDER BY line");
  REQUIRE(postings.size() == 2);
  CHECK(postings[0] == std::vector<std::string>{"1", "null", "42", "t", "-12345678901234.5678000"});
  CHECK(postings[1] == std::vector<std::string>{"2", "9", "null", "t", "12345678901234.5678000"});
  // The same account again: the primary key refuses it, with PostgreSQL's message.
  session.exec("BEGIN");
  CHECK_THROWS_WITH_AS(session.copy_in(copy_target(Table::accounts), accounts_text),
                       doctest::Contains("duplicate key value violates unique constraint"),
                       std::runtime_error);
  session.exec("ROLLBACK");
  CHECK_THROWS_WITH_AS(session.query("SELECT nonsense FROM nowhere"),
                       doctest::Contains("relation \"nowhere\" does not exist"),
                       std::runtime_error);
  CHECK_THROWS_AS(PgSession("postgresql:///no_such_database?host=/nonexistent"),
                  std::runtime_error);
}

TEST_CASE("migrations apply in order, once, and are recorded") {
  const std::string url = fresh_database("cpx_test_migrations");
  MigrationResult first = migrate(url);
  REQUIRE_MESSAGE(first.ok, first.error);
  CHECK(first.version_before == 0);
  CHECK(first.applied.size() == migrations().size());
  CHECK(first.version_after == migrations().back().version);
  MigrationResult again = migrate(url);
  REQUIRE(again.ok);
  CHECK(again.applied.empty());
  pqxx::connection connection(url);
  pqxx::work work(connection);
  CHECK(work.exec1("SELECT count(*) FROM schema_migrations")[0].as<std::size_t>() ==
        migrations().size());
  CHECK(work.exec1("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                   "AND table_name IN "
                   "('accounts','trades','postings','settlement_batches')")[0]
            .as<int>() == 4);
}

TEST_CASE("settled rows refuse UPDATE and DELETE") {
  const std::string url = fresh_database("cpx_test_append_only");
  REQUIRE(migrate(url).ok);
  pqxx::connection connection(url);
  {
    pqxx::work work(connection);
    work.exec0("INSERT INTO settlement_batches VALUES (1, 1, 5, 1, '\\x00', '\\x01', now())");
    work.exec0(
        "INSERT INTO trades VALUES (1, 5, 1, 'H100', 'guian', 2.5, 4, 10, 'bid', 'acme',"
        " 3, 'dc', 4, 1700000000000)");
    work.commit();
  }
  for (const char* change :
       {"UPDATE trades SET price = 3 WHERE trade_id = 1", "DELETE FROM trades",
        "UPDATE settlement_batches SET hash = '\\x02'", "DELETE FROM settlement_batches"}) {
    pqxx::work work(connection);
    CHECK_THROWS_WITH_AS(work.exec0(change), doctest::Contains("append-only"), pqxx::sql_error);
  }
  pqxx::work work(connection);
  CHECK(work.exec1("SELECT price::text FROM trades WHERE trade_id = 1")[0].as<std::string>() ==
        "2.5000");
}

TEST_CASE("a database at a newer version than the binary stops start-up, naming it") {
  const std::string url = fresh_database("cpx_test_newer");
  REQUIRE(migrate(url).ok);
  {
    pqxx::connection connection(url);
    pqxx::work work(connection);
    work.exec0("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')");
    work.commit();
  }
  const MigrationResult refused = migrate(url);
  CHECK_FALSE(refused.ok);
  CHECK(refused.error.find("version 9999, newer than this cpx-server knows") != std::string::npos);

  // The real server refuses to start on it, with the message, and exit status 2.
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    execl(CPX_SERVER_BINARY, "cpx-server", "--listen", "127.0.0.1:0", "--db", url.c_str(), nullptr);
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string message;
  char c;
  while (read(pipe_fds[0], &c, 1) == 1) message += c;
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK(message.find("newer than this cpx-server knows") != std::string::npos);
}

TEST_CASE("the auditor role reads the documented views, and cannot write or read API secrets") {
  const std::string url = fresh_database("cpx_test_auditor");
  REQUIRE(migrate(url).ok);
  {
    pqxx::connection connection(url);
    pqxx::work work(connection);
    work.exec0("INSERT INTO settlement_batches VALUES (1, 1, 5, 1, '\\x00', '\\x01', now())");
    work.exec0(
        "INSERT INTO trades VALUES (1, 5, 1, 'H100', 'guian', 2.5, 4, 10, 'bid', 'acme',"
        " 3, 'dc', 4, 1700000000000)");
    work.exec0("INSERT INTO api_keys (key_id, account, secret) VALUES ('k1', 'acme', 'hush')");
    work.exec0("DROP ROLE IF EXISTS auditor_test");
    work.exec0("CREATE ROLE auditor_test LOGIN IN ROLE cpx_auditor");
    work.commit();
  }
  std::string auditor_url = url;
  const std::size_t user = auditor_url.find("user=cpx");
  REQUIRE(user != std::string::npos);
  auditor_url.replace(user, 8, "user=auditor_test");
  pqxx::connection auditor(auditor_url);
  {
    pqxx::work work(auditor);
    CHECK(work.exec1("SELECT count(*) FROM audit.trades")[0].as<int>() == 1);
    CHECK(work.exec1("SELECT traded_at::text FROM audit.trades")[0].as<std::string>().starts_with(
        "2023-11-14"));
    CHECK(work.exec1("SELECT count(*) FROM information_schema.columns WHERE table_schema IN "
                     "('audit', 'audit_chain') AND column_name LIKE '%secret%'")[0]
              .as<int>() == 0);
    // The chain's rows as the tables hold them, for cpx-audit verify as an auditor.
    CHECK(work.exec1("SELECT count(*) FROM audit_chain.trades")[0].as<int>() == 1);
    CHECK(work.exec1("SELECT count(*) FROM audit_chain.settlement_batches")[0].as<int>() == 1);
  }
  for (const char* forbidden :
       {"SELECT * FROM api_keys", "SELECT * FROM trades", "SELECT * FROM postings",
        "INSERT INTO trades VALUES (2, 5, 1, 'H100', 'guian', 2.5, 4, 10, 'bid', 'acme', 3, 'dc',"
        " 4, 1700000000000)",
        "INSERT INTO audit.accounts (account, role, seq, batch_id) VALUES ('x', 'auditor', 1, 1)",
        "UPDATE audit.trades SET qty = 5", "DELETE FROM audit.postings",
        "UPDATE audit_chain.trades SET qty = 5", "DELETE FROM audit_chain.postings",
        "CREATE TABLE public.mine (x int)", "CREATE TABLE audit.mine (x int)"}) {
    pqxx::work work(auditor);
    CHECK_THROWS_WITH_AS(work.exec0(forbidden), doctest::Contains("permission denied"),
                         pqxx::sql_error);
  }
}

TEST_CASE("database passwords never appear in messages") {
  CHECK(redact_url("postgresql://cpx:s3cret@db.example/cpx") ==
        "postgresql://cpx:***@db.example/cpx");
  CHECK(redact_url("postgresql:///cpx?host=/tmp&password=s3cret&port=5") ==
        "postgresql:///cpx?host=/tmp&password=***&port=5");
  const MigrationResult failed = migrate("postgresql://cpx:s3cret@127.0.0.1:1/cpx");
  CHECK_FALSE(failed.ok);
  CHECK(failed.error.find("s3cret") == std::string::npos);
}

}  // namespace cpx::ledger
