// Helpers for tests against the private PostgreSQL scripts/with-pg.sh starts (ctest runs the
// ledger tests under it): a fresh database per test.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <string>

namespace cpx::test {

// The administrator's URL of the test server (database "cpx").
inline std::string admin_url() {
  const char* url = std::getenv("CPX_TEST_DATABASE_URL");
  REQUIRE_MESSAGE(url != nullptr, "run under scripts/with-pg.sh (ctest does)");
  return url;
}

// The URL of database `name` on the test server.
inline std::string database_url(const std::string& name) {
  std::string url = admin_url();
  const std::size_t at = url.find("/cpx?");
  REQUIRE(at != std::string::npos);
  return url.replace(at, 5, "/" + name + "?");
}

// Drops and creates database `name`; returns its URL.
inline std::string fresh_database(const std::string& name) {
  pqxx::connection admin(admin_url());
  pqxx::nontransaction work(admin);
  work.exec0("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  work.exec0("CREATE DATABASE " + name);
  return database_url(name);
}

// A login `login` with the auditor role (cpx_auditor) only, and the URL of database `url` for
// it: what an auditor is given.
inline std::string auditor_url(const std::string& url, const std::string& login) {
  {
    pqxx::connection connection(url);
    pqxx::nontransaction work(connection);
    work.exec0("DROP ROLE IF EXISTS " + login);
    work.exec0("CREATE ROLE " + login + " LOGIN IN ROLE cpx_auditor");
  }
  std::string out = url;
  const std::size_t user = out.find("user=cpx");
  REQUIRE(user != std::string::npos);
  return out.replace(user, 8, "user=" + login);
}

// Stops the test server (scripts/pg.sh stop) for as long as it lives, or until start(): a test
// that fails while PostgreSQL is away leaves it running for the tests after it.
class PostgresAway {
 public:
  PostgresAway() { REQUIRE(std::system((script() + " stop").c_str()) == 0); }
  PostgresAway(const PostgresAway&) = delete;
  PostgresAway& operator=(const PostgresAway&) = delete;
  ~PostgresAway() {
    if (away_) (void)std::system((script() + " start >/dev/null").c_str());
  }

  // Starts it again; true when it is up.
  bool start() {
    away_ = std::system((script() + " start >/dev/null").c_str()) != 0;
    return !away_;
  }

 private:
  static std::string script() { return std::string(CPX_SCRIPTS_DIR) + "/pg.sh"; }
  bool away_ = true;
};

}  // namespace cpx::test
