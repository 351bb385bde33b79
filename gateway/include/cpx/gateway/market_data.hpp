// Public market data as each I/O thread keeps it: every chip's price levels and recent trades,
// rebuilt from the matcher's updates. REST depth and trades read it, and WebSocket subscribers
// get a snapshot of it and then the deltas, so readers never touch the matcher's book.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cpx/engine/config.hpp"
#include "cpx/gateway/candles.hpp"
#include "cpx/gateway/venue_types.hpp"

namespace cpx::gateway {

inline constexpr std::size_t recent_trades_max = 1000;

class MarketData {
 public:
  explicit MarketData(const Config& config);

  // Apply an update and return its rendering for the channel's subscribers (empty when
  // `render` is false: nobody listens on this thread).
  std::string apply_book(const BookHeader& header, const BookLevel* levels, bool render = true);
  std::string apply_trade(const TradeRecord& trade, bool render = true);

  // GET /v1/markets/{chip}/book?depth=N and /trades?limit=N.
  std::string book_json(uint16_t chip, std::size_t depth) const;
  std::string trades_json(uint16_t chip, std::size_t limit) const;
  // What a new subscriber gets first: the whole book, or the recent trades, with the seq of
  // the last update they include.
  std::string book_snapshot(uint16_t chip) const;
  std::string trades_snapshot(uint16_t chip) const;
  std::string heartbeat(std::string_view channel, uint64_t seq) const;

  uint64_t book_seq(uint16_t chip) const { return chips_[chip].book_seq; }
  uint64_t trade_seq(uint16_t chip) const { return chips_[chip].trade_seq; }
  uint64_t candle_seq(uint16_t chip) const { return chips_[chip].candle_seq; }

  // Settled trades (from the ledger writer): updates the candles and returns, per chip whose
  // candles changed, the candles:{chip} update (empty for chips where `render` says nobody
  // listens; each update takes the chip's next seq either way).
  std::vector<std::pair<uint16_t, std::string>> apply_settled(
      const std::vector<SettledTrade>& trades, const std::vector<bool>& render);
  // GET /v1/markets/{chip}/candles?interval=&region=&limit= (region -1: all regions) and
  // /index; the candles:{chip} snapshot (the last hour of minutes, the last day of hours).
  std::string candles_json(uint16_t chip, int region, Interval interval, std::size_t limit) const;
  std::string index_json(uint16_t chip, int64_t now_ms) const;
  std::string candles_snapshot(uint16_t chip) const;
  Candles& candles() { return candles_; }

 private:
  struct Chip {
    std::map<int64_t, LevelTotal, std::greater<>> bids;  // best (highest) first
    std::map<int64_t, LevelTotal> asks;                  // best (lowest) first
    std::deque<TradeRecord> trades;                      // newest at the back
    uint64_t book_seq = 0;
    uint64_t trade_seq = 0;
    uint64_t candle_seq = 0;
  };
  void render_levels(std::string& out, uint16_t chip, std::size_t depth) const;
  void render_trade(std::string& out, const TradeRecord& trade) const;
  // ,"trades":[newest first, at most limit]} closing the object.
  void render_recent_trades(std::string& out, uint16_t chip, std::size_t limit) const;

  void render_last_price(std::string& out, uint16_t chip) const;

  const Config& config_;
  std::vector<Chip> chips_;
  Candles candles_;
  std::vector<ChangedCandle> changed_;
};

}  // namespace cpx::gateway
