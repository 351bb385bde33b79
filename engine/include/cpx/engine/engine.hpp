// The matcher: accounts, balances and holds, one book per chip, and the event stream.
// Single-threaded and deterministic: the same commands always give the same events.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cpx/base/string_hash.hpp"
#include "cpx/engine/book.hpp"
#include "cpx/engine/command.hpp"
#include "cpx/engine/config.hpp"
#include "cpx/engine/event.hpp"
#include "cpx/engine/order_keys.hpp"

namespace cpx {

struct Account {
  std::string name;
  Role role = Role::enterprise;
  // Enterprise: deposits less spending. Provider: proceeds. CNY * 1e7.
  int128 balance_e7 = 0;
  // Enterprise: the sum over its open bids of price * open quantity.
  int128 held_e7 = 0;
};

// A provider's site (docs/delivery.md): declared capacity for each delivery hour, and what of it
// is sold and offered.
struct Site {
  struct Hour {
    int64_t sold_milli = 0;
    int64_t committed_milli = 0;  // sold + open asks: never above capacity_milli
  };
  // The open hours' uses, in a ring indexed by hour: open hours are consecutive and never more
  // than the ring holds (horizon + 1), so a lookup is one index and a stamp compare, on the path
  // of every hourly ask, fill and end.
  class Hours {
   public:
    void resize(std::size_t size) { slots_.assign(size, Slot{}); }
    Hour& operator[](int64_t hour) {
      Slot& slot = slots_[std::size_t(hour) % slots_.size()];
      if (slot.hour != hour) {
        CPX_ASSERT(slot.hour < 0);  // the hour it held has closed
        count_ += 1;
        slot = Slot{hour, Hour{}};
      }
      return slot.use;
    }
    const Hour* find(int64_t hour) const {
      const Slot& slot = slots_[std::size_t(hour) % slots_.size()];
      return slot.hour == hour ? &slot.use : nullptr;
    }
    // The hours in use, in order.
    std::vector<std::pair<int64_t, Hour>> sorted() const;
    void drop_before(int64_t hour);
    bool empty() const { return count_ == 0; }

   private:
    struct Slot {
      int64_t hour = -1;
      Hour use;
    };
    std::vector<Slot> slots_;
    std::size_t count_ = 0;
  };
  std::string id;
  uint32_t account = 0;
  uint16_t chip = 0;
  uint16_t region = 0;
  SiteStatus status = SiteStatus::active;
  bool has_green_profile = false;
  uint8_t green_pct = 0;
  uint8_t green_profile[hours_per_day] = {};
  int64_t capacity_milli = 0;  // PFLOPS * 1 h, in thousandths
  Hours hours;                 // by delivery hour (hours since the epoch), open hours only

  // The green share that counts for a delivery hour: the profile's value for its UTC hour.
  uint8_t green_at(int64_t hour) const {
    return has_green_profile ? green_profile[hour % hours_per_day] : green_pct;
  }
};

// A trade of a delivery hour and its delivery (docs/delivery.md).
struct Contract {
  uint64_t trade_id = 0;
  uint32_t buyer = 0;
  uint32_t seller = 0;
  uint32_t site = 0;
  ContractStatus status = ContractStatus::contracted;
  int64_t hour = 0;  // the delivery hour, hours since the epoch
  int64_t qty_milli = 0;
  int64_t price_ticks = 0;
  int64_t ask_price_ticks = 0;  // the ask's limit: its penalty's base, as its collateral's
  int64_t delivered_milli = 0;  // as reported, or resolved
  int64_t reported_ms = -1;
  // At settlement: to the provider, back to the buyer, and from the provider to the buyer.
  int128 paid_e7 = 0;
  int128 refunded_e7 = 0;
  int128 penalty_e7 = 0;
};

// What a book trades: a chip's plain market (no delivery hour, hour_ms_start 0) or one delivery
// hour of a chip.
struct Market {
  uint16_t chip = 0;
  int64_t delivery_ms = 0;  // the hour's start, ms since the epoch; 0 for a plain market
  bool live = true;         // false once its gate closed, until the book serves another hour
};

struct EngineLimits {
  uint32_t order_keys_initial = 1u << 16;  // accepted orders before the key table first grows
};

// Account names to indices: open addressing over a cheap 64-bit hash of the name (the hash
// kept in the slot, the name compared only on a hash match). The matcher looks an account up
// by name for every command that arrives as text; std::unordered_map<std::string> hashed each
// name with the library's byte-wise hash and chased a node per lookup.
class AccountNames {
 public:
  AccountNames() : slots_(64) {}
  // The index of `name`, or index_none.
  uint32_t find(std::string_view name, const std::vector<Account>& accounts) const {
    const uint64_t hash = hash_order_key(0, name);
    for (std::size_t i = hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& slot = slots_[i];
      if (slot.index_plus_one == 0) return index_none;
      if (slot.hash == hash && accounts[slot.index_plus_one - 1].name == name) {
        return slot.index_plus_one - 1;
      }
    }
  }
  // Records a name the caller has checked is absent.
  void insert(std::string_view name, uint32_t index);

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t index_plus_one = 0;  // 0: empty
  };
  void put(Slot slot);
  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

class Engine {
 public:
  explicit Engine(Config config, EngineLimits limits = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Gives the command the next seq and appends its events to `events`.
  void execute(const Command& command, EventList& events);

  uint64_t last_seq() const { return seq_; }
  uint64_t last_trade_id() const { return trade_id_; }

  // A restart from the settlement ledger, before any command: an account with its balance
  // (nothing held), and the numbering of commands and trades to continue after.
  uint32_t restore_account(std::string_view name, Role role, int128 balance_e7, int128 held_e7 = 0);
  void resume_numbering(uint64_t seq, uint64_t trade_id);
  // A restart from a snapshot (see Venue::load), before any command: every order key in the
  // order they were made (so each gets its old number), then the resting orders in time order
  // (so each queue comes back in the same order).
  uint32_t restore_order_key(uint32_t account, std::string_view client_order_id, uint16_t book,
                             uint32_t site = index_none);
  // Sizes the order-key table for `hashed` more ids that are not plain numbers.
  void reserve_order_keys(uint64_t hashed) { keys_.reserve(hashed); }
  uint64_t hashed_order_keys() const { return keys_.hashed_count(); }
  void restore_resting(uint16_t book, Incoming incoming);
  // The delivery state of a snapshot (docs/delivery.md), before the order keys: the clock, the
  // sites with their open hours' use, the contracts in trade id order, and the hourly books of
  // the resting orders (the book of a chip's hour, opened if it is not).
  void restore_clock(int64_t now_ms) { now_ms_ = now_ms; }
  uint32_t restore_site(Site site, const std::vector<std::pair<int64_t, Site::Hour>>& hours);
  void restore_contract(const Contract& contract);
  uint16_t restore_hourly_book(uint16_t chip, int64_t delivery_ms);
  const Config& config() const { return config_; }

  std::optional<uint32_t> find_account(std::string_view name) const;
  const Account& account(uint32_t index) const { return accounts_[index]; }
  uint32_t account_count() const { return uint32_t(accounts_.size()); }
  const Book& book(uint16_t chip) const { return books_[chip]; }
  // Delivery hours (docs/delivery.md). The clock: ms since the epoch of the last tick, or -1
  // before the first.
  int64_t now_ms() const { return now_ms_; }
  const Market& market_of(uint16_t book) const { return markets_[book]; }
  uint32_t book_count() const { return uint32_t(books_.size()); }
  // The book of a chip's delivery hour, or index_none when no order has opened it.
  uint32_t find_hourly_book(uint16_t chip, int64_t delivery_ms) const;
  const std::vector<Site>& sites() const { return sites_; }
  // Contracts are made in trade id order: a binary search finds one.
  const Contract* find_contract(uint64_t trade_id) const {
    const auto found = std::lower_bound(
        contracts_.begin(), contracts_.end(), trade_id,
        [](const Contract& contract, uint64_t id) { return contract.trade_id < id; });
    return found != contracts_.end() && found->trade_id == trade_id ? &*found : nullptr;
  }
  Contract* find_contract(uint64_t trade_id) {
    return const_cast<Contract*>(std::as_const(*this).find_contract(trade_id));
  }
  const std::vector<Contract>& contracts() const { return contracts_; }
  int128 escrow_e7() const { return escrow_e7_; }
  // What an ask's or a contract's undelivered quantity would cost its provider (rounded down to
  // 1e-7 CNY): config.penalty_pct of price * qty. A provider's holds are these, for its open
  // hourly asks and its unsettled contracts.
  int128 penalty_of(int64_t price_ticks, int64_t qty_milli) const {
    return notional_e7(price_ticks, qty_milli) * config_.penalty_pct / 100;
  }
  std::optional<uint32_t> find_site(std::string_view id) const;
  uint32_t key_site(uint32_t key) const { return keys_[key].site; }
  uint16_t key_book(uint32_t key) const { return keys_[key].book; }

  // The key of an order the account placed (accepted at some point), or index_none.
  uint32_t find_order(uint32_t account, std::string_view client_order_id) const {
    return keys_.find(account, client_order_id, client_order_number_of(client_order_id));
  }
  uint32_t key_account(uint32_t key) const { return keys_[key].account; }
  // The slot of the order while it rests, else index_none. A key's record keeps the slot its
  // order was last rested in; it answers only while the order there still carries this key
  // (Book::remove clears it), so fills need not write the record.
  uint32_t resting_slot(uint32_t key) const {
    const OrderKey& record = keys_[key];
    if (record.slot == index_none) return index_none;
    return books_[record.book].order(record.slot).key == key ? record.slot : index_none;
  }

  // Names behind the keys in events, for rendering.
  std::string_view key_account_name(uint32_t key) const {
    return accounts_[keys_[key].account].name;
  }
  IdText key_client_order_id(uint32_t key) const { return keys_.client_order_id(key); }
  std::string_view chip_id(uint16_t chip) const { return config_.chips[chip].id; }
  uint16_t book_chip(uint16_t book) const { return markets_[book].chip; }
  int64_t book_delivery_ms(uint16_t book) const { return markets_[book].delivery_ms; }
  // The site of an ask's key, or "" for an ask without one.
  std::string_view key_site_id(uint32_t key) const {
    const uint32_t site = keys_[key].site;
    return site == index_none ? std::string_view() : std::string_view(sites_[site].id);
  }
  std::string_view region_id(uint16_t region) const { return config_.regions[region].id; }

  // Holds equal open bids' price * open qty, no eligible crossing pair rests, every level is
  // sorted, keys and books agree. Appends what is wrong to `why`.
  bool check_invariants(std::string& why) const;

 private:
  // Each kind of command runs in a function of its own, reached from execute() by a tail call,
  // so the dispatch itself saves and restores no registers.
  using Executor = Reason (Engine::*)(const Command&, uint64_t, EventList&);
  template <Executor executor>
  [[gnu::noinline]] void run_command(const Command& command, uint64_t seq, EventList& events);
  Reason execute_account(const Command& command, uint64_t seq, EventList& events);
  Reason execute_deposit(const Command& command, uint64_t seq, EventList& events);
  Reason execute_new(const Command& command, uint64_t seq, EventList& events);
  Reason execute_cancel(const Command& command, uint64_t seq, EventList& events);
  Reason execute_amend(const Command& command, uint64_t seq, EventList& events);
  Reason execute_tick(const Command& command, uint64_t seq, EventList& events);
  Reason execute_site(const Command& command, uint64_t seq, EventList& events);
  Reason execute_collateral(const Command& command, uint64_t seq, EventList& events);
  Reason execute_delivery(const Command& command, uint64_t seq, EventList& events);
  Reason execute_dispute(const Command& command, uint64_t seq, EventList& events);
  Reason execute_resolve(const Command& command, uint64_t seq, EventList& events);
  [[gnu::noinline]] void record_contract(uint16_t book, const Incoming& incoming, const Fill& fill,
                                         uint64_t trade_id);
  // Contracts whose hour started, whose deadline or dispute window passed, at a tick.
  void advance_contracts(uint64_t seq, EventList& events);
  void settle(Contract& contract, int64_t delivered_milli, uint64_t seq, EventList& events);
  // The contract of a trade id that `account` is the party `role` of, or nullptr.
  Contract* party_contract(const Command& command, uint32_t account, bool seller);
  // Where a new order goes: its book and, for an hourly ask, its site, with the region and green
  // share it rests with.
  struct Placement {
    uint16_t book = 0;
    uint16_t chip = 0;
    uint16_t region = 0;
    uint8_t green_pct = 0;
    int64_t hour = -1;           // the delivery hour, -1 for a plain market
    uint32_t site = index_none;  // an hourly ask's
    bool book_exists = true;     // false: the hour's book is opened when the order is accepted
  };
  // An order of an hourly market (a delivery, a site or a running clock): its checks
  // (docs/delivery.md) and where it goes.
  [[gnu::noinline]] Reason place_hourly(const Command& command, uint32_t account,
                                        Placement& placement) const;
  [[gnu::noinline]] Reason execute_new_hourly(const Command& command, uint32_t account,
                                              uint64_t seq, EventList& events);
  template <bool hourly>
  Reason place_order(const Command& command, uint32_t account, Placement placement, uint64_t seq,
                     EventList& events);
  uint16_t open_hourly_book(uint16_t chip, int64_t hour);
  // The site's use of an hour: open asks placed, changed or ended.
  void add_committed(uint32_t site, int64_t hour, int64_t qty_milli) {
    sites_[site].hours[hour].committed_milli += qty_milli;
  }
  int64_t book_hour(uint16_t book) const { return markets_[book].delivery_ms / hour_ms; }
  // Ends a resting order outside matching (gate closure, a site's capacity or status): its hold
  // and its site's use released, a done event.
  [[gnu::always_inline]] void end_resting(uint32_t key, DoneReason reason, uint64_t seq,
                                          EventList& events) {
    OrderKey& record = keys_[key];
    Book& book = books_[record.book];
    const Order& order = book.order(record.slot);
    if (order.side == Side::bid) {
      accounts_[order.account].held_e7 -= notional_e7(order.price_ticks, order.qty_milli);
    } else if (record.site != index_none) [[unlikely]] {
      add_committed(record.site, book_hour(record.book), -order.qty_milli);
      accounts_[order.account].held_e7 -= penalty_of(order.price_ticks, order.qty_milli);
    }
    book.remove(record.slot);
    record.slot = index_none;
    push_event(events, EventType::done, seq, key).done_reason = reason;
  }
  // Open asks of a site in one hour, youngest first.
  std::vector<uint32_t> site_asks(uint32_t site, int64_t hour) const;
  Reason change_site(Site& site, uint32_t index, const Command& command, uint64_t seq,
                     EventList& events);
  void close_hours_before(int64_t hour, uint64_t seq, EventList& events);
  bool check_sites(std::string& why) const;
  // Escrow is the unsettled contracts' notional; adds each one's penalty to its seller's held.
  bool check_contracts(std::string& why, std::vector<int128>& held) const;
  uint32_t resolve_account(const Command& command) const;
  // Matches an incoming order, then rests it or ends it according to `tif`.
  void run_incoming(uint16_t chip, Incoming& incoming, Tif tif, uint64_t seq, EventList& events);
  void settle_fill(uint16_t chip, const Incoming& incoming, const Fill& fill, uint64_t seq,
                   EventList& events);
  void end_incoming(uint16_t book, const Incoming& incoming, DoneReason reason, uint64_t seq,
                    EventList& events);

  Config config_;
  std::vector<uint16_t> latency_values_;
  uint16_t plain_books_ = 0;  // one per chip, before the hourly markets' books
  std::vector<Book> books_;
  std::vector<Market> markets_;                                    // beside books_
  std::map<std::pair<int64_t, uint16_t>, uint16_t> hourly_books_;  // (hour, chip) -> book
  std::vector<uint16_t> free_books_;  // closed hours' books, to serve again
  std::vector<Site> sites_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> site_by_id_;
  int64_t now_ms_ = -1;
  std::vector<Contract> contracts_;
  std::map<int64_t, std::vector<uint32_t>> unsettled_by_hour_;  // contract indexes
  int128 escrow_e7_ = 0;
  std::vector<Account> accounts_;
  AccountNames account_by_name_;
  OrderKeys keys_;
  uint64_t seq_ = 0;
  uint64_t trade_id_ = 0;
};

}  // namespace cpx
