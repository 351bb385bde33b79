// The matcher: accounts, balances and holds, one book per chip, and the event stream.
// Single-threaded and deterministic: the same commands always give the same events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
  uint32_t restore_order_key(uint32_t account, std::string_view client_order_id, uint16_t chip);
  // Sizes the order-key table for `hashed` more ids that are not plain numbers.
  void reserve_order_keys(uint64_t hashed) { keys_.reserve(hashed); }
  uint64_t hashed_order_keys() const { return keys_.hashed_count(); }
  void restore_resting(uint16_t chip, Incoming incoming);
  const Config& config() const { return config_; }

  std::optional<uint32_t> find_account(std::string_view name) const;
  const Account& account(uint32_t index) const { return accounts_[index]; }
  uint32_t account_count() const { return uint32_t(accounts_.size()); }
  const Book& book(uint16_t chip) const { return books_[chip]; }

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
    return books_[record.chip].order(record.slot).key == key ? record.slot : index_none;
  }

  // Names behind the keys in events, for rendering.
  std::string_view key_account_name(uint32_t key) const {
    return accounts_[keys_[key].account].name;
  }
  IdText key_client_order_id(uint32_t key) const { return keys_.client_order_id(key); }
  std::string_view chip_id(uint16_t chip) const { return config_.chips[chip].id; }
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
  uint32_t resolve_account(const Command& command) const;
  // Matches an incoming order, then rests it or ends it according to `tif`.
  void run_incoming(uint16_t chip, Incoming& incoming, Tif tif, uint64_t seq, EventList& events);
  void settle_fill(uint16_t chip, const Incoming& incoming, const Fill& fill, uint64_t seq,
                   EventList& events);
  void end_incoming(const Incoming& incoming, DoneReason reason, uint64_t seq, EventList& events);

  Config config_;
  std::vector<uint16_t> latency_values_;
  std::vector<Book> books_;
  std::vector<Account> accounts_;
  AccountNames account_by_name_;
  OrderKeys keys_;
  uint64_t seq_ = 0;
  uint64_t trade_id_ = 0;
};

}  // namespace cpx
