#include "audit_service.hpp"

#include <chrono>
#include <pqxx/pqxx>

#include "cpx/base/decimal.hpp"
#include "cpx/base/json_text.hpp"
#include "cpx/gateway/public_api.hpp"
#include "cpx/ledger/migrations.hpp"
#include "cpx/ledger/rows.hpp"
#include "cpx/ledger/verify.hpp"
#include "shard.hpp"

namespace cpx::gateway {

namespace {

// Statement cursors: a posting's (batch, line), as one opaque number.
constexpr uint64_t line_bits = 24;

std::string_view view(const pqxx::field& field) { return {field.c_str(), field.size()}; }

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
                           std::vector<std::unique_ptr<Shard>>& shards)
    : url_(std::move(url)), config_(config), shards_(shards) {}

AuditService::~AuditService() { stop(); }

bool AuditService::submit(const Request& request) { return queue_.try_push(request); }

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
    if (request.io_thread >= shards_.size()) continue;
    Shard& shard = *shards_[request.io_thread];
    OutHeader header;
    header.kind = OutKind::reply;
    header.status = uint16_t(answer.status);
    header.target = request.session;
    header.csv = answer.csv;
    if (answer.status == 503) header.retry_after_s = 1;
    boost::asio::post(shard.context, [&shard, header, body = std::move(answer.body)] {
      shard.reply_to(header, body);
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
  const std::string columns =
      "t.trade_id, t.seq, t.batch_id, t.chip, t.region, t.price::text, t.qty::text,"
      " t.notional::text, t.aggressor, t.bid_account, t.bid_order_id, t.ask_account,"
      " t.ask_order_id, t.traded_ms";
  const std::string after = std::to_string(request.after_id);
  const std::string account(request.command.unwrap().account);
  std::string sql;
  if (account.empty()) {
    sql = "SELECT " + columns + " FROM trades t WHERE t.trade_id > " + after;
  } else {
    // An account's trades through its postings: its batches from its balance rows (keyed by
    // account and batch), each batch's `trade` lines from the block-range index by batch. Every
    // trade posts a `trade` line to both its accounts, and an account's trade lines in (batch,
    // line) order are in trade id order, so the scan stops after one page (docs/ledger.md,
    // "Indexes").
    sql = "SELECT " + columns +
          " FROM balances b CROSS JOIN LATERAL (SELECT p.trade_id, p.line FROM postings p"
          "   WHERE p.batch_id = b.batch_id AND p.account = b.account AND p.kind = 'trade'"
          "   AND p.trade_id > " + after + ") p"
          " JOIN trades t ON t.trade_id = p.trade_id WHERE b.account = " + work.quote(account) +
          " AND b.batch_id >= coalesce((SELECT batch_id FROM trades WHERE trade_id = " + after +
          "), 0)";
  }
  if (query.has_chip) sql += " AND t.chip = " + work.quote(config_.chips[query.chip].id);
  if (query.has_region) sql += " AND t.region = " + work.quote(config_.regions[query.region].id);
  if (query.from_ms != INT64_MIN) sql += " AND t.traded_ms >= " + std::to_string(query.from_ms);
  if (query.to_ms != INT64_MAX) sql += " AND t.traded_ms < " + std::to_string(query.to_ms);
  sql += account.empty() ? " ORDER BY t.trade_id" : " ORDER BY b.batch_id, p.line";
  sql += " LIMIT " + std::to_string(request.limit);
  const pqxx::result rows = work.exec(sql);
  static constexpr const char* names[] = {
      "trade_id", "seq", "batch_id", "chip", "region", "price", "qty", "notional", "aggressor",
      "bid_account", "bid_order_id", "ask_account", "ask_order_id", "traded_ms"};
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
  auto quoted = [](int column) { return column == 3 || column == 4 || (column >= 5 && column <= 9) || column == 11; };
  std::string out;
  if (request.ledger.csv) {
    for (int c = 0; c < 14; ++c) {
      if (c) out.push_back(',');
      out.append(names[c]);
    }
    out.push_back('\n');
    for (const auto& row : rows) {
      for (int c = 0; c < 14; ++c) {
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
    for (int c = 0; c < 14; ++c) {
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
  out += rows.size() == request.limit && !rows.empty()
             ? std::string(view(rows[rows.size() - 1][0]))
             : std::string("null");
  out += "}";
  return Answer{200, std::move(out), false};
}

AuditService::Answer AuditService::statement(const Request& request) {
  const std::string account(request.command.unwrap().account);
  pqxx::read_transaction work(*connection_);
  const pqxx::result who =
      work.exec("SELECT role FROM accounts WHERE account = " + work.quote(account));
  if (who.empty()) {
    return Answer{404, error_response(404, "unknown_account", "the ledger has no such account").body,
                  false};
  }
  const pqxx::result balance = work.exec(
      "SELECT available::text, held::text, (available + held)::text, batch_id FROM balances"
      " WHERE account = " + work.quote(account) + " ORDER BY batch_id DESC LIMIT 1");
  const uint64_t after_batch = request.after_id >> line_bits;
  const uint64_t after_line = request.after_id & ((uint64_t(1) << line_bits) - 1);
  const pqxx::result rows = work.exec(
      "SELECT p.batch_id, p.line, p.seq, p.trade_id, p.order_id, p.book, p.kind, p.amount::text"
      " FROM balances b CROSS JOIN LATERAL (SELECT * FROM postings p"
      "   WHERE p.batch_id = b.batch_id AND p.account = b.account) p"
      " WHERE b.account = " + work.quote(account) + " AND b.batch_id >= " +
      std::to_string(after_batch) + " AND (p.batch_id, p.line) > (" +
      std::to_string(after_batch) + ", " + std::to_string(after_line) + ")"
      " ORDER BY b.batch_id, p.line LIMIT " + std::to_string(request.limit));
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
