#include "cpx/ledger/queries.hpp"

#include "cpx/ledger/rows.hpp"

namespace cpx::ledger {

pqxx::result query_trades(pqxx::transaction_base& work, const TradeFilter& filter) {
  const std::string columns =
      "t.trade_id, t.seq, t.batch_id, t.chip, t.region, t.price::text, t.qty::text,"
      " t.notional::text, t.aggressor, t.bid_account, t.bid_order_id, t.ask_account,"
      " t.ask_order_id, t.traded_ms";
  const std::string after = std::to_string(filter.after_trade_id);
  std::string sql;
  if (filter.account.empty()) {
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
          "   AND p.trade_id > " +
          after +
          ") p"
          " JOIN trades t ON t.trade_id = p.trade_id WHERE b.account = " +
          work.quote(filter.account) +
          " AND b.batch_id >= coalesce((SELECT batch_id FROM trades WHERE trade_id = " + after +
          "), 0)";
  }
  if (filter.chip) sql += " AND t.chip = " + work.quote(*filter.chip);
  if (filter.region) sql += " AND t.region = " + work.quote(*filter.region);
  if (filter.from_ms != INT64_MIN) sql += " AND t.traded_ms >= " + std::to_string(filter.from_ms);
  if (filter.to_ms != INT64_MAX) sql += " AND t.traded_ms < " + std::to_string(filter.to_ms);
  sql += filter.account.empty() ? " ORDER BY t.trade_id" : " ORDER BY b.batch_id, p.line";
  sql += " LIMIT " + std::to_string(filter.limit);
  return work.exec(sql);
}

pqxx::result query_account_role(pqxx::transaction_base& work, const std::string& account) {
  return work.exec("SELECT role FROM accounts WHERE account = " + work.quote(account));
}

pqxx::result query_latest_balance(pqxx::transaction_base& work, const std::string& account) {
  return work.exec(
      "SELECT available::text, held::text, (available + held)::text, batch_id FROM balances"
      " WHERE account = " +
      work.quote(account) + " ORDER BY batch_id DESC LIMIT 1");
}

pqxx::result query_postings(pqxx::transaction_base& work, const std::string& account,
                            uint64_t after_batch, uint64_t after_line, uint32_t limit) {
  return work.exec(
      "SELECT p.batch_id, p.line, p.seq, p.trade_id, p.order_id, p.book, p.kind, p.amount::text"
      " FROM balances b CROSS JOIN LATERAL (SELECT * FROM postings p"
      "   WHERE p.batch_id = b.batch_id AND p.account = b.account) p"
      " WHERE b.account = " +
      work.quote(account) + " AND b.batch_id >= " + std::to_string(after_batch) +
      " AND (p.batch_id, p.line) > (" + std::to_string(after_batch) + ", " +
      std::to_string(after_line) +
      ")"
      " ORDER BY b.batch_id, p.line LIMIT " +
      std::to_string(limit));
}

namespace {

// Rows of (chip, region or delivery, start, open, high, low, close, volume, notional, count).
std::vector<CandleRow> candle_rows(const pqxx::result& rows, bool by_region, bool by_delivery) {
  std::vector<CandleRow> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    CandleRow out_row;
    out_row.chip = row[0].c_str();
    if (by_region) out_row.region = row[1].c_str();
    if (by_delivery) out_row.delivery_ms = row[1].as<int64_t>();
    Candle& candle = out_row.candle;
    candle.start_ms = row[2].as<int64_t>();
    candle.open_ticks = int64_t(parse_numeric(row[3].c_str(), price_frac_digits));
    candle.high_ticks = int64_t(parse_numeric(row[4].c_str(), price_frac_digits));
    candle.low_ticks = int64_t(parse_numeric(row[5].c_str(), price_frac_digits));
    candle.close_ticks = int64_t(parse_numeric(row[6].c_str(), price_frac_digits));
    candle.volume_milli = int64_t(parse_numeric(row[7].c_str(), qty_frac_digits));
    candle.notional_e7 = parse_numeric(row[8].c_str(), amount_frac_digits);
    candle.trades = row[9].as<uint32_t>();
    out.push_back(std::move(out_row));
  }
  return out;
}

std::string candle_columns(int64_t length_ms) {
  return "traded_ms - traded_ms % " + std::to_string(length_ms) +
         " AS start, (array_agg(t.price ORDER BY t.trade_id))[1]::text, max(t.price)::text,"
         " min(t.price)::text, (array_agg(t.price ORDER BY t.trade_id DESC))[1]::text,"
         " sum(t.qty)::text, sum(t.notional)::text, count(*)";
}

}  // namespace

std::vector<CandleRow> query_candles(pqxx::transaction_base& work, int64_t length_ms,
                                     int64_t since_ms, bool by_region) {
  const std::string groups = by_region ? "chip, region" : "chip, NULL::text";
  return candle_rows(work.exec("SELECT " + groups + ", " + candle_columns(length_ms) +
                               " FROM trades t WHERE traded_ms >= " + std::to_string(since_ms) +
                               " GROUP BY 1, 2, 3 ORDER BY 3"),
                     by_region, false);
}

std::vector<CandleRow> query_delivery_candles(pqxx::transaction_base& work, int64_t length_ms,
                                              std::size_t hours) {
  return candle_rows(
      work.exec("SELECT t.chip, c.delivery_ms, " + candle_columns(length_ms) +
                " FROM trades t JOIN contracts c USING (trade_id)"
                " WHERE c.delivery_ms > (SELECT max(delivery_ms) FROM contracts) - " +
                std::to_string(int64_t(hours) * 3'600'000) + " GROUP BY 1, 2, 3 ORDER BY 3"),
      false, true);
}

}  // namespace cpx::ledger
