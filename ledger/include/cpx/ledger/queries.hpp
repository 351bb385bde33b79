// The ledger's reads for auditors (GET /v1/ledger/...) and for the price history (candles at
// start): the SQL, and the rows as PostgreSQL returns them (amounts as NUMERIC text). The
// gateway renders them (gateway/src/audit_service.cpp, candles_seed.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "cpx/engine/types.hpp"
#include "cpx/ledger/candle.hpp"

namespace cpx::ledger {

struct TradeFilter {
  std::string account;  // empty: every account's trades
  std::optional<std::string> chip;
  std::optional<std::string> region;
  int64_t from_ms = INT64_MIN;  // traded_ms >= from_ms
  int64_t to_ms = INT64_MAX;    // traded_ms < to_ms
  uint64_t after_trade_id = 0;
  uint32_t limit = 100;
};

// The columns of query_trades(), in order.
inline constexpr const char* trade_columns[] = {
    "trade_id",     "seq",         "batch_id",     "chip",      "region",
    "price",        "qty",         "notional",     "aggressor", "bid_account",
    "bid_order_id", "ask_account", "ask_order_id", "traded_ms"};
inline constexpr int trade_column_count = 14;

// Trades in trade id order (an account's: through its postings, docs/ledger.md, "Indexes").
pqxx::result query_trades(pqxx::transaction_base& work, const TradeFilter& filter);

// The account's role (no row: the ledger has no such account).
pqxx::result query_account_role(pqxx::transaction_base& work, const std::string& account);
// The account's latest balance row: available, held, total, batch_id (no row: none yet).
pqxx::result query_latest_balance(pqxx::transaction_base& work, const std::string& account);
// The account's postings after (batch, line), in that order: batch_id, line, seq, trade_id,
// order_id, book, kind, amount.
pqxx::result query_postings(pqxx::transaction_base& work, const std::string& account,
                            uint64_t after_batch, uint64_t after_line, uint32_t limit);

// One candle of settled trades, by chip (and region, when by region).
struct CandleRow {
  std::string chip;
  std::optional<std::string> region;
  int64_t delivery_ms = 0;  // query_delivery_candles(): the delivery hour
  Candle candle;
};

// Candles of `length_ms` of the trades since `since_ms`, by chip or by chip and region, oldest
// first.
std::vector<CandleRow> query_candles(pqxx::transaction_base& work, int64_t length_ms,
                                     int64_t since_ms, bool by_region);
// The same by chip and delivery hour, of the hourly markets' trades (their contracts) of the
// latest `hours` delivery hours.
std::vector<CandleRow> query_delivery_candles(pqxx::transaction_base& work, int64_t length_ms,
                                              std::size_t hours);

}  // namespace cpx::ledger
