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
#include "cpx/engine/event.hpp"

namespace cpx::test {

class ReferenceEngine {
 public:
  explicit ReferenceEngine(Config config) : config_(std::move(config)) {}

  void execute(const Command& command, EventList& events);
  bool check_invariants(std::string&) const { return true; }
  const Config& config() const { return config_; }

  std::string_view key_account_name(uint32_t key) const { return keys_[key].first; }
  std::string_view key_client_order_id(uint32_t key) const { return keys_[key].second; }
  std::string_view chip_id(uint16_t chip) const { return config_.chips[chip].id; }
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
  };

  Reason run(const Command& command, uint64_t seq, EventList& events);
  bool may_trade(const Order& bid, const Order& ask) const;
  void match(Order& incoming, Tif tif, uint64_t seq, EventList& events);
  void end(const Order& order, DoneReason reason, uint64_t seq, EventList& events);
  Order* find_open(const std::string& account, std::string_view client_order_id);

  Config config_;
  std::map<std::string, Account, std::less<>> accounts_;
  std::vector<std::pair<std::string, std::string>> keys_;
  std::map<std::pair<std::string, std::string>, uint32_t> key_of_;
  std::vector<Order> open_;
  uint64_t seq_ = 0;
  uint64_t trade_id_ = 0;
};

}  // namespace cpx::test
