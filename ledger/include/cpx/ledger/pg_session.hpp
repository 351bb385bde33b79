// A PostgreSQL connection through libpq itself, for the ledger's bulk path: COPY data built by
// the caller goes to the server in a few large writes, without a conversion per field (libpqxx's
// stream_to costs the writer a third of its time in that). Errors throw std::runtime_error with
// PostgreSQL's message. One thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace cpx::ledger {

class PgSession {
 public:
  explicit PgSession(const std::string& url);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Runs statements that return no rows (several may be given, separated by semicolons).
  void exec(const std::string& sql);
  // Runs a query; every value as text (NULL as the empty string). For small results.
  std::vector<std::vector<std::string>> query(const std::string& sql);
  // `text` as an SQL string literal.
  std::string quote(std::string_view text);
  // COPY `target` FROM STDIN with `data` in COPY's text format (rows ending in '\n').
  // `target` is "table (column, ...)".
  void copy_in(std::string_view target, std::string_view data);
  // COPY (`select`) TO STDOUT in text format, appended to `out`.
  void copy_out(std::string_view select, std::string& out);

 private:
  [[noreturn]] void fail(std::string_view what);
  pg_conn* connection_ = nullptr;
};

}  // namespace cpx::ledger
