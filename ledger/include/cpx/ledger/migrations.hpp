// The ledger's schema as versioned SQL migrations (ledger/migrations/NNNN_name.sql, compiled
// into the binary): applied in order, each in its own transaction, and recorded in
// schema_migrations. A database already at a newer version than the binary knows is refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cpx::ledger {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// The migrations this binary carries, by version.
const std::vector<Migration>& migrations();

struct MigrationResult {
  bool ok = false;
  int version_before = 0;
  int version_after = 0;
  std::vector<int> applied;
  std::string error;  // what is wrong, never the URL's password
};

// Connects to `url` and brings the schema up to date. Safe to run from several processes at
// once (an advisory lock serialises them).
MigrationResult migrate(const std::string& url);

// The URL with any password replaced by "***", for messages.
std::string redact_url(std::string_view url);

}  // namespace cpx::ledger
