// A naive matcher that follows docs/matching.md line by line: a plain list of open orders,
// scanned in full for every decision. Slow and obviously right; the differential test holds
// the real engine to it event for event.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cpx/engine/command.hpp"
#include "cpx/engine/config.hpp"
#include "cpx/engine/engine.hpp"
#include "cpx/engine/event.hpp"

namespace cpx::test {

class ReferenceEngine {
 public:
  explicit ReferenceEngine(Config config) : config_(std::move(config)) {
    for (std::size_t chip = 0; chip < config_.chips.size(); ++chip) markets_.emplace_back(chip, 0);
  }

  void execute(const Command& command, EventList& events);
  bool check_invariants(std::string&) const { return true; }
  const Config& config() const { return config_; }

  std::string_view key_account_name(uint32_t key) const { return keys_[key].first; }
  std::string_view key_client_order_id(uint32_t key) const { return keys_[key].second; }
  std::string_view chip_id(uint16_t chip) const { return config_.chips[chip].id; }
  // A trade's book in the reference is an index into markets_ (chip, delivery ms).
  uint16_t book_chip(uint16_t book) const { return markets_[book].first; }
  int64_t book_delivery_ms(uint16_t book) const { return markets_[book].second; }
  std::string_view key_site_id(uint32_t key) const { return key_sites_[key]; }
  const Contract* find_contract(uint64_t trade_id) const;
  std::string_view region_id(uint16_t region) const { return config_.regions[region].id; }

 private:
  struct Account {
    Role role;
    int128 balance = 0;
    int128 held = 0;
  };
  struct Order {
    uint32_t key;
    std::string account;
    Side side;
    uint16_t chip;
    uint16_t region;  // origin of a bid, region of an ask
    bool has_latency_max;
    uint16_t latency_ms_max;
    uint8_t green_pct;
    Urgency urgency;
    int64_t price;
    int64_t qty;
    uint64_t time;
    int64_t delivery_ms = 0;  // 0: a chip's plain market
    std::string site;         // an hourly ask's
  };
  struct Site {
    std::string account;
    uint16_t chip;
    uint16_t region;
    SiteStatus status;
    uint8_t green_pct;
    bool has_profile;
    uint8_t profile[hours_per_day];
    int64_t capacity;
    std::map<int64_t, int64_t> sold;  // by delivery ms
  };
  // docs/delivery.md, rule by rule.
  Reason run_tick(const Command& c, uint64_t seq, EventList& events);
  Reason run_site(const Command& c, uint64_t seq, EventList& events);
  Reason place_hourly(const Command& c, Order& order) const;
  int64_t used(const std::string& site, int64_t delivery_ms) const;  // sold + open asks
  uint8_t green_at(const Site& site, int64_t delivery_ms) const;
  uint16_t market(uint16_t chip, int64_t delivery_ms);
  void cancel_site_asks(const std::string& site, uint64_t seq, EventList& events);
  // Contracts (docs/delivery.md): collateral, reports, disputes, resolutions.
  Reason run_contract_op(const Command& c, Account& a, uint64_t seq, EventList& events);
  int128 penalty(int64_t price, int64_t qty) const;
  int128 exposure(const std::string& provider) const;  // what its collateral must cover
  Event contract_event(const Contract& contract, uint64_t seq) const;
  void settle(std::size_t contract, int64_t delivered, uint64_t seq, EventList& events);

  struct Account;
  Reason run(const Command& command, uint64_t seq, EventList& events);
  Reason run_new(const Command& c, Account& a, uint64_t seq, EventList& events);
  bool may_trade(const Order& bid, const Order& ask) const;
  void match(Order& incoming, Tif tif, uint64_t seq, EventList& events);
  void end(const Order& order, DoneReason reason, uint64_t seq, EventList& events);
  Order* find_open(const std::string& account, std::string_view client_order_id);

  Config config_;
  std::map<std::string, Account, std::less<>> accounts_;
  std::vector<std::pair<std::string, std::string>> keys_;
  std::map<std::pair<std::string, std::string>, uint32_t> key_of_;
  std::vector<Order> open_;
  std::map<std::string, Site> sites_;
  std::vector<std::string> key_sites_;
  std::vector<Contract> contracts_;
  std::vector<std::pair<std::string, std::string>> parties_;  // (buyer, seller) beside them
  std::vector<std::pair<uint16_t, int64_t>> markets_;
  int64_t now_ms_ = -1;
  uint64_t seq_ = 0;
  uint64_t trade_id_ = 0;
};

}  // namespace cpx::test
