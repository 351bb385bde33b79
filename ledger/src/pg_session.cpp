#include "cpx/ledger/pg_session.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace cpx::ledger {

namespace {

struct ResultFree {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

std::string trimmed(const char* message) {
  std::string out = message != nullptr ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Reads every result left of the command; throws the first error among them.
void finish(pg_conn* connection) {
  std::string error;
  while (Result result{PQgetResult(connection)}) {
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && error.empty()) {
      error = trimmed(PQresultErrorMessage(result.get()));
      if (error.empty()) error = PQresStatus(status);
    }
  }
  if (!error.empty()) throw std::runtime_error(error);
}

}  // namespace

PgSession::PgSession(const std::string& url) : connection_(PQconnectdb(url.c_str())) {
  if (connection_ == nullptr) throw std::runtime_error("out of memory for a connection");
  if (PQstatus(connection_) != CONNECTION_OK) {
    const std::string message = trimmed(PQerrorMessage(connection_));
    PQfinish(connection_);
    connection_ = nullptr;
    throw std::runtime_error(message);
  }
}

PgSession::~PgSession() {
  if (connection_ != nullptr) PQfinish(connection_);
}

void PgSession::fail(std::string_view what) {
  throw std::runtime_error(std::string(what) + ": " + trimmed(PQerrorMessage(connection_)));
}

void PgSession::exec(const std::string& sql) {
  if (!PQsendQuery(connection_, sql.c_str())) fail("sending a statement");
  finish(connection_);
  if (PQstatus(connection_) != CONNECTION_OK) fail("connection");
}

std::vector<std::vector<std::string>> PgSession::query(const std::string& sql) {
  const Result result{PQexec(connection_, sql.c_str())};
  if (!result || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    if (!result) fail("query");
    throw std::runtime_error(trimmed(PQresultErrorMessage(result.get())));
  }
  std::vector<std::vector<std::string>> out(std::size_t(PQntuples(result.get())));
  const int columns = PQnfields(result.get());
  for (std::size_t row = 0; row < out.size(); ++row) {
    for (int column = 0; column < columns; ++column) {
      out[row].emplace_back(PQgetvalue(result.get(), int(row), column));
    }
  }
  return out;
}

std::string PgSession::quote(std::string_view text) {
  char* quoted = PQescapeLiteral(connection_, text.data(), text.size());
  if (quoted == nullptr) fail("quoting");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

void PgSession::copy_in(std::string_view target, std::string_view data) {
  const std::string sql = "COPY " + std::string(target) + " FROM STDIN";
  {
    const Result start{PQexec(connection_, sql.c_str())};
    if (!start) fail("COPY");
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
      throw std::runtime_error(trimmed(PQresultErrorMessage(start.get())));
    }
  }
  // libpq buffers what it is given and sends it in large writes; a few MiB at a time.
  constexpr std::size_t chunk = std::size_t(4) << 20;
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    const std::size_t size = std::min(chunk, data.size() - at);
    if (PQputCopyData(connection_, data.data() + at, int(size)) != 1) fail("COPY data");
  }
  if (PQputCopyEnd(connection_, nullptr) != 1) fail("COPY end");
  finish(connection_);
}

void PgSession::copy_out(std::string_view select, std::string& out) {
  const std::string sql = "COPY (" + std::string(select) + ") TO STDOUT";
  {
    const Result start{PQexec(connection_, sql.c_str())};
    if (!start) fail("COPY");
    if (PQresultStatus(start.get()) != PGRES_COPY_OUT) {
      throw std::runtime_error(trimmed(PQresultErrorMessage(start.get())));
    }
  }
  for (;;) {
    char* buffer = nullptr;
    const int size = PQgetCopyData(connection_, &buffer, 0);
    if (size > 0) {
      out.append(buffer, std::size_t(size));
      PQfreemem(buffer);
    } else if (size == -1) {
      break;
    } else {
      fail("COPY out");
    }
  }
  finish(connection_);
}

}  // namespace cpx::ledger
