// Candles read back from the ledger at start, so price history survives restarts.
#include <pqxx/pqxx>

#include "cpx/gateway/candles.hpp"
#include "cpx/ledger/rows.hpp"
#include "server_parts.hpp"

namespace cpx::gateway {

void load_candles(const std::string& url, const Config& config, Candles& candles,
                  int64_t now_ms) {
  pqxx::connection connection(url);
  pqxx::read_transaction work(connection);
  for (const Interval interval : {Interval::minute, Interval::hour}) {
    const int64_t length = interval_ms(interval);
    const std::size_t kept =
        interval == Interval::minute ? Candles::minutes_kept : Candles::hours_kept;
    const int64_t since = now_ms - int64_t(kept) * length;
    for (const bool by_region : {false, true}) {
      const std::string groups = by_region ? "chip, region" : "chip, NULL::text";
      const pqxx::result rows = work.exec(
          "SELECT " + groups + ", traded_ms - traded_ms % " + std::to_string(length) +
          " AS start, (array_agg(price ORDER BY trade_id))[1]::text, max(price)::text,"
          " min(price)::text, (array_agg(price ORDER BY trade_id DESC))[1]::text,"
          " sum(qty)::text, sum(notional)::text, count(*) FROM trades WHERE traded_ms >= " +
          std::to_string(since) + " GROUP BY 1, 2, 3 ORDER BY 3");
      for (const auto& row : rows) {
        const auto chip = config.find_chip(row[0].c_str());
        if (!chip) continue;
        int region = -1;
        if (by_region) {
          const auto found = config.find_region(row[1].c_str());
          if (!found) continue;
          region = int(*found);
        }
        Candle candle;
        candle.start_ms = row[2].as<int64_t>();
        candle.open_ticks = int64_t(ledger::parse_numeric(row[3].c_str(), price_frac_digits));
        candle.high_ticks = int64_t(ledger::parse_numeric(row[4].c_str(), price_frac_digits));
        candle.low_ticks = int64_t(ledger::parse_numeric(row[5].c_str(), price_frac_digits));
        candle.close_ticks = int64_t(ledger::parse_numeric(row[6].c_str(), price_frac_digits));
        candle.volume_milli = int64_t(ledger::parse_numeric(row[7].c_str(), qty_frac_digits));
        candle.notional_e7 = ledger::parse_numeric(row[8].c_str(), amount_frac_digits);
        candle.trades = row[9].as<uint32_t>();
        candles.seed(SeriesKey{uint16_t(*chip), region, interval}, candle);
      }
    }
  }
}

}  // namespace cpx::gateway
