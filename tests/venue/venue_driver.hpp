// Drives a Venue the way the gateway does, and records what it says: replies, pushes, keys,
// and the market-data book rebuilt from its deltas.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "cpx/venue/venue.hpp"

namespace cpx::test {

struct RecordingSink : venue::VenueSink {
  struct Reply {
    uint8_t io_thread;
    uint64_t session;
    unsigned status;
    uint32_t retry_after_s;
    std::string body;
  };
  struct Push {
    uint64_t thread_mask;
    uint32_t account;
    std::string body;
  };
  std::vector<Reply> replies;
  std::vector<Push> pushes;
  std::vector<venue::KeyRecord> keys;
  std::vector<venue::TradeRecord> trades;
  // chip -> side -> price -> (qty, count), rebuilt from book updates.
  std::map<uint16_t, std::map<int64_t, std::pair<int64_t, uint32_t>>> bids, asks;
  std::map<uint16_t, uint64_t> book_seq, trade_seq;
  std::map<std::pair<int64_t, uint16_t>, uint64_t> hour_book_seq;
  std::vector<venue::BookHeader> hour_books;
  std::vector<std::pair<venue::CurveHeader, std::vector<venue::CurvePoint>>> curves;
  void curve(const venue::CurveHeader& header, const venue::CurvePoint* points) override {
    curves.emplace_back(header, std::vector<venue::CurvePoint>(points, points + header.points));
  }
  bool sequences_contiguous = true;

  void reply(uint8_t io_thread, uint64_t session, unsigned status, uint32_t retry_after_s,
             std::string_view body) override {
    replies.push_back(Reply{io_thread, session, status, retry_after_s, std::string(body)});
  }
  void push(uint64_t thread_mask, uint32_t account, std::string_view body) override {
    pushes.push_back(Push{thread_mask, account, std::string(body)});
  }
  void key_added(const venue::KeyRecord& key) override { keys.push_back(key); }
  void book(const venue::BookHeader& header, const venue::BookLevel* levels) override {
    if (header.delivery_ms != 0) {  // an hourly market's book: its own seq
      if (header.seq != ++hour_book_seq[{header.delivery_ms, header.chip}]) {
        sequences_contiguous = false;
      }
      hour_books.push_back(header);
      return;
    }
    if (header.seq != ++book_seq[header.chip]) sequences_contiguous = false;
    for (uint32_t i = 0; i < header.levels; ++i) {
      auto& side = levels[i].side == Side::bid ? bids[header.chip] : asks[header.chip];
      if (levels[i].count == 0) {
        side.erase(levels[i].price_ticks);
      } else {
        side[levels[i].price_ticks] = {levels[i].qty_milli, levels[i].count};
      }
    }
  }
  void trade(const venue::TradeRecord& trade) override {
    if (trade.seq != ++trade_seq[trade.chip]) sequences_contiguous = false;
    trades.push_back(trade);
  }

  const Reply& last() const {
    REQUIRE(!replies.empty());
    return replies.back();
  }
};

inline venue::Request make_request(venue::RequestKind kind, std::string_view key_id,
                                   int64_t now_ms = 1'000'000) {
  venue::Request request;
  request.kind = kind;
  request.key_id.assign(key_id);
  request.now_ms = now_ms;
  return request;
}

}  // namespace cpx::test
