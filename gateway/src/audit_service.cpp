#include "audit_service.hpp"

#include <chrono>
#include <pqxx/pqxx>

#include "cpx/base/decimal.hpp"
#include "cpx/base/json_text.hpp"
#include "cpx/gateway/public_api.hpp"
#include "cpx/ledger/migrations.hpp"
#include "cpx/ledger/queries.hpp"
#include "cpx/ledger/rows.hpp"
#include "cpx/ledger/verify.hpp"
#include "io_thread.hpp"

namespace cpx::gateway {

namespace {

// Statement cursors: a posting's (batch, line), as one opaque number.
constexpr uint64_t line_bits = 24;

std::string_view view(const pqxx::field& field) {
  return {field.c_str(), field.size()};
}

// NUMERIC text as the API prints amounts: "2.5000" -> "2.5".
std::string decimal(const pqxx::field& field, int frac_digits) {
  return format_decimal(ledger::parse_numeric(view(field), frac_digits), frac_digits);
}

void json_text(std::string& out, std::string_view name, std::string_view value) {
  out.push_back('"');
  out.append(name);
  out.append("\":");
  append_json_string(out, value);
}

void json_raw(std::string& out, std::string_view name, std::string_view value) {
  out.push_back('"');
  out.append(name);
  out.append("\":");
  out.append(value);
}

}  // namespace

AuditService::AuditService(std::string url, const Config& config,
                           std::vector<std::unique_ptr<IoThread>>& io_threads)
    : url_(std::move(url)), config_(config), io_threads_(io_threads) {}

AuditService::~AuditService() {
  stop();
}

bool AuditService::submit(const Request& request) {
  return queue_.try_push(request);
}

void AuditService::start() {
  thread_ = std::thread([this] { run(); });
}

void AuditService::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void AuditService::run() {
  Request request;
  while (!stopping_.load()) {
    if (!queue_.try_pop(request)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    Answer answer;
    try {
      answer = handle(request);
    } catch (const std::exception& error) {
      connection_.reset();  // reconnect next time
      answer = Answer{503,
                      error_response(503, "ledger_unavailable",
                                     "the ledger database cannot be read now; retry shortly")
                          .body,
                      false};
    }
    if (request.io_thread >= io_threads_.size()) continue;
    IoThread& io_thread = *io_threads_[request.io_thread];
    OutHeader header;
    header.kind = OutKind::reply;
    header.status = uint16_t(answer.status);
    header.target = request.session;
    header.csv = answer.csv;
    if (answer.status == 503) header.retry_after_s = 1;
    boost::asio::post(io_thread.context, [&io_thread, header, body = std::move(answer.body)] {
      io_thread.reply_to(header, body);
    });
  }
}

AuditService::Answer AuditService::handle(const Request& request) {
  if (request.kind == RequestKind::ledger_verify) {
    const ledger::VerifyReport report = ledger::verify(url_);
    if (!report.error.empty()) throw std::runtime_error(report.error);
    return Answer{200, ledger::to_json(report), false};
  }
  if (!connection_) connection_ = std::make_unique<pqxx::connection>(url_);
  return request.kind == RequestKind::ledger_trades ? trades(request) : statement(request);
}

AuditService::Answer AuditService::trades(const Request& request) {
  const LedgerQuery& query = request.ledger;
  pqxx::read_transaction work(*connection_);
  ledger::TradeFilter filter;
  filter.account = request.command.unwrap().account;
  if (query.has_chip) filter.chip = config_.chips[query.chip].id;
  if (query.has_region) filter.region = config_.regions[query.region].id;
  filter.from_ms = query.from_ms;
  filter.to_ms = query.to_ms;
  filter.after_trade_id = request.after_id;
  filter.limit = request.limit;
  const pqxx::result rows = ledger::query_trades(work, filter);
  const auto& names = ledger::trade_columns;
  constexpr int columns = ledger::trade_column_count;
  // Text columns, and amounts with their decimals; the rest are integers.
  auto value = [](const pqxx::row& row, int column) -> std::string {
    switch (column) {
      case 5:
        return decimal(row[column], price_frac_digits);
      case 6:
        return decimal(row[column], qty_frac_digits);
      case 7:
        return decimal(row[column], amount_frac_digits);
      default:
        return std::string(view(row[column]));
    }
  };
  auto quoted = [](int column) {
    return column == 3 || column == 4 || (column >= 5 && column <= 9) || column == 11;
  };
  std::string out;
  if (request.ledger.csv) {
    for (int c = 0; c < columns; ++c) {
      if (c) out.push_back(',');
      out.append(names[c]);
    }
    out.push_back('\n');
    for (const auto& row : rows) {
      for (int c = 0; c < columns; ++c) {
        if (c) out.push_back(',');
        out.append(value(row, c));
      }
      out.push_back('\n');
    }
    return Answer{200, std::move(out), true};
  }
  out = "{\"trades\":[";
  for (pqxx::result::size_type i = 0; i < rows.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('{');
    for (int c = 0; c < columns; ++c) {
      if (c) out.push_back(',');
      if (quoted(c)) {
        json_text(out, names[c], value(rows[i], c));
      } else {
        json_raw(out, names[c], value(rows[i], c));
      }
    }
    out.push_back('}');
  }
  out += "],\"next_cursor\":";
  out += rows.size() == request.limit && !rows.empty() ? std::string(view(rows[rows.size() - 1][0]))
                                                       : std::string("null");
  out += "}";
  return Answer{200, std::move(out), false};
}

AuditService::Answer AuditService::statement(const Request& request) {
  const std::string account(request.command.unwrap().account);
  pqxx::read_transaction work(*connection_);
  const pqxx::result who = ledger::query_account_role(work, account);
  if (who.empty()) {
    return Answer{
        404, error_response(404, "unknown_account", "the ledger has no such account").body, false};
  }
  const pqxx::result balance = ledger::query_latest_balance(work, account);
  const uint64_t after_batch = request.after_id >> line_bits;
  const uint64_t after_line = request.after_id & ((uint64_t(1) << line_bits) - 1);
  const pqxx::result rows =
      ledger::query_postings(work, account, after_batch, after_line, request.limit);
  auto id_or_empty = [](const pqxx::field& field) {
    return field.is_null() ? std::string() : std::string(view(field));
  };
  std::string out;
  if (request.ledger.csv) {
    out = "batch_id,line,seq,trade_id,order_id,book,kind,amount\n";
    for (const auto& row : rows) {
      out += std::string(view(row[0])) + "," + std::string(view(row[1])) + "," +
             std::string(view(row[2])) + "," + id_or_empty(row[3]) + "," + id_or_empty(row[4]) +
             "," + std::string(view(row[5])) + "," + std::string(view(row[6])) + "," +
             decimal(row[7], amount_frac_digits) + "\n";
    }
    return Answer{200, std::move(out), true};
  }
  out = "{";
  json_text(out, "account", account);
  out.push_back(',');
  json_text(out, "role", view(who[0][0]));
  out += ",\"balance\":{";
  if (balance.empty()) {
    out += "\"available\":\"0\",\"held\":\"0\",\"total\":\"0\",\"as_of_batch\":null";
  } else {
    json_text(out, "available", decimal(balance[0][0], amount_frac_digits));
    out.push_back(',');
    json_text(out, "held", decimal(balance[0][1], amount_frac_digits));
    out.push_back(',');
    json_text(out, "total", decimal(balance[0][2], amount_frac_digits));
    out.push_back(',');
    json_raw(out, "as_of_batch", view(balance[0][3]));
  }
  out += "},\"postings\":[";
  for (pqxx::result::size_type i = 0; i < rows.size(); ++i) {
    const auto row = rows[i];
    if (i) out.push_back(',');
    out.push_back('{');
    json_raw(out, "batch_id", view(row[0]));
    out.push_back(',');
    json_raw(out, "line", view(row[1]));
    out.push_back(',');
    json_raw(out, "seq", view(row[2]));
    out.push_back(',');
    json_raw(out, "trade_id", row[3].is_null() ? "null" : view(row[3]));
    out.push_back(',');
    json_raw(out, "order_id", row[4].is_null() ? "null" : view(row[4]));
    out.push_back(',');
    json_text(out, "book", view(row[5]));
    out.push_back(',');
    json_text(out, "kind", view(row[6]));
    out.push_back(',');
    json_text(out, "amount", decimal(row[7], amount_frac_digits));
    out.push_back('}');
  }
  out += "],\"next_cursor\":";
  if (rows.size() == request.limit && !rows.empty()) {
    const auto last = rows[rows.size() - 1];
    out += std::to_string((last[0].as<uint64_t>() << line_bits) | last[1].as<uint64_t>());
  } else {
    out += "null";
  }
  out += "}";
  return Answer{200, std::move(out), false};
}

}  // namespace cpx::gateway
