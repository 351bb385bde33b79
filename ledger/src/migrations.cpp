#include "cpx/ledger/migrations.hpp"

#include <pqxx/pqxx>

namespace cpx::ledger {

namespace {
// An arbitrary key for pg_advisory_xact_lock: one migration run at a time per database.
constexpr long long migration_lock_key = 0x6370786c6564676eLL;  // "cpxledgn"
}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  // postgresql://user:password@host/... and ...?password=... forms.
  const std::size_t scheme = out.find("://");
  const std::size_t at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    const std::size_t colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  const std::size_t key = out.find("password=");
  if (key != std::string::npos) {
    const std::size_t end = out.find('&', key);
    out.replace(key + 9, (end == std::string::npos ? out.size() : end) - key - 9, "***");
  }
  return out;
}

MigrationResult migrate(const std::string& url) {
  MigrationResult result;
  try {
    pqxx::connection connection(url);
    {
      pqxx::work work(connection);
      work.exec0(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version integer PRIMARY KEY, name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      work.commit();
    }
    const int known = migrations().empty() ? 0 : migrations().back().version;
    for (;;) {
      pqxx::work work(connection);
      work.exec("SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock_key) + ")");
      const int current =
          work.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
      if (result.applied.empty()) result.version_before = current;
      if (current > known) {
        result.error = "the database's ledger schema is at version " + std::to_string(current) +
                       ", newer than this cpx-server knows (" + std::to_string(known) +
                       "): run a newer cpx-server, or another database";
        return result;
      }
      const Migration* next = nullptr;
      for (const Migration& migration : migrations()) {
        if (migration.version > current) {
          next = &migration;
          break;
        }
      }
      if (next == nullptr) {
        result.version_after = current;
        result.ok = true;
        return result;
      }
      work.exec0(std::string(next->sql));
      work.exec0("INSERT INTO schema_migrations (version, name) VALUES (" +
                 std::to_string(next->version) + ", " + work.quote(std::string(next->name)) + ")");
      work.commit();
      result.applied.push_back(next->version);
    }
  } catch (const std::exception& error) {
    result.error = "ledger database " + redact_url(url) + ": " + error.what();
    return result;
  }
}

}  // namespace cpx::ledger
