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
inline constexpr std::size_t hour_trades_max = 200;  // an hourly market's recent trades

// The book channel's name: "book:H100", or an hour's "book:H100:2026-12-03T10:00Z".
std::string book_channel(std::string_view chip, int64_t delivery_ms);
// ,"delivery":"2026-12-03T10:00Z" for an hourly market's object; nothing for a plain market's.
void append_delivery_field(std::string& out, int64_t delivery_ms);

class MarketData {
 public:
  explicit MarketData(const Config& config);

  // Apply an update and return its rendering for the channel's subscribers (empty when
  // `render` is false: nobody listens on this thread).
  std::string apply_book(const BookHeader& header, const BookLevel* levels, bool render = true);
  std::string apply_trade(const TradeRecord& trade, bool render = true);

  std::string apply_curve(const CurveHeader& header, const CurvePoint* points, bool render = true);

  // GET /v1/markets/{chip}/book?depth=N&delivery=H and /trades?limit=N&delivery=H: the plain
  // market's (delivery 0; its trades: every market's of the chip) or one hourly market's.
  std::string book_json(uint16_t chip, std::size_t depth, int64_t delivery_ms = 0) const;
  std::string trades_json(uint16_t chip, std::size_t limit, int64_t delivery_ms = 0) const;
  // GET /v1/markets/{chip}/curve: each open hour's best bid and ask, last price and VWAP.
  std::string curve_json(uint16_t chip) const;
  // What a new subscriber gets first: the whole book, or the recent trades, or the curve, with
  // the seq of the last update they include.
  std::string book_snapshot(uint16_t chip, int64_t delivery_ms = 0) const;
  std::string trades_snapshot(uint16_t chip) const;
  std::string curve_snapshot(uint16_t chip) const;
  // Whether a delivery hour is open, as the matcher's last curve update said.
  bool hour_open(int64_t delivery_ms) const {
    return delivery_ms >= open_from_ && delivery_ms <= open_to_;
  }
  uint64_t hour_book_seq(uint16_t chip, int64_t delivery_ms) const;
  uint64_t curve_seq(uint16_t chip) const { return curves_[chip].seq; }
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
  // With delivery_ms, the candles of that hour's market (all regions).
  std::string candles_json(uint16_t chip, int region, Interval interval, std::size_t limit,
                           int64_t delivery_ms = 0) const;
  std::string index_json(uint16_t chip, int64_t now_ms) const;
  std::string candles_snapshot(uint16_t chip) const;
  Candles& candles() { return candles_; }

 private:
  struct Book {
    std::map<int64_t, LevelTotal, std::greater<>> bids;  // best (highest) first
    std::map<int64_t, LevelTotal> asks;                  // best (lowest) first
    std::deque<TradeRecord> trades;                      // newest at the back
    uint64_t book_seq = 0;
  };
  struct Chip : Book {
    uint64_t trade_seq = 0;
    uint64_t candle_seq = 0;
  };
  struct Curve {
    std::map<int64_t, CurvePoint> points;  // by delivery hour: the open hours with anything
    uint64_t seq = 0;
  };
  // The book of the chip's plain market (delivery 0) or of one of its hours (nullptr if none).
  const Book* find_book(uint16_t chip, int64_t delivery_ms) const;
  // {"chip":..,["delivery":..,]"seq":N,"bids":..,"asks":..}: the head of a book's rendering.
  std::string book_head(uint16_t chip, int64_t delivery_ms, uint64_t seq) const;
  void render_levels(std::string& out, const Book* book, std::size_t depth) const;
  void render_trade(std::string& out, const TradeRecord& trade) const;
  // ,"trades":[newest first, at most limit]} closing the object.
  void render_recent_trades(std::string& out, const Book* book, std::size_t limit) const;
  void render_curve_point(std::string& out, int64_t delivery_ms, const CurvePoint* point) const;
  // ,"clock_ms":..,"from":..,"to":..,"hours":[every open hour]} closing the object.
  void render_curve_body(std::string& out, uint16_t chip) const;
  // ,"clock_ms":..,"from":..,"to":..,"hours":[
  void render_curve_head(std::string& out) const;

  void render_last_price(std::string& out, uint16_t chip) const;

  const Config& config_;
  std::vector<Chip> chips_;
  std::map<std::pair<uint16_t, int64_t>, Book> hours_;  // (chip, delivery hour): the open hours
  std::vector<Curve> curves_;                           // by chip
  int64_t clock_ms_ = -1;  // the matcher's clock at the last curve update (-1: not running)
  int64_t open_from_ = 0;  // the open hours, from the last curve update
  int64_t open_to_ = -1;
  Candles candles_;
  std::vector<ChangedCandle> changed_;
};

}  // namespace cpx::gateway
