// Candles read back from the ledger at start, so price history survives restarts.
#include <pqxx/pqxx>

#include "cpx/gateway/candles.hpp"
#include "cpx/ledger/queries.hpp"
#include "server_parts.hpp"

namespace cpx::gateway {

void load_candles(const std::string& url, const Config& config, Candles& candles, int64_t now_ms) {
  pqxx::connection connection(url);
  pqxx::read_transaction work(connection);
  for (const Interval interval : {Interval::minute, Interval::hour}) {
    const int64_t length = interval_ms(interval);
    const std::size_t kept =
        interval == Interval::minute ? Candles::minutes_kept : Candles::hours_kept;
    const int64_t since = now_ms - int64_t(kept) * length;
    for (const bool by_region : {false, true}) {
      for (const ledger::CandleRow& row : ledger::query_candles(work, length, since, by_region)) {
        const auto chip = config.find_chip(row.chip);
        if (!chip) continue;
        int region = -1;
        if (row.region) {
          const auto found = config.find_region(*row.region);
          if (!found) continue;
          region = int(*found);
        }
        candles.seed(SeriesKey{uint16_t(*chip), region, interval}, row.candle);
      }
    }
    // The hourly markets' own, of the delivery hours still kept.
    for (const ledger::CandleRow& row :
         ledger::query_delivery_candles(work, length, Candles::deliveries_kept)) {
      const auto chip = config.find_chip(row.chip);
      if (!chip) continue;
      candles.seed(SeriesKey{uint16_t(*chip), -1, interval, row.delivery_ms}, row.candle);
    }
  }
}

}  // namespace cpx::gateway
