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

}  // namespace cpx::test
