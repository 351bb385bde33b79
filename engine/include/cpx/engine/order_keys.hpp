// Every (account, client_order_id) ever accepted, so that ids are never reused and clients can
// name their orders. An open-addressing table over a chunked string arena, and beside it a
// direct index for canonical decimal ids ("1", "42", no leading zero), which most clients send
// in increasing order: those find their key by position, in memory that the previous ids of the
// account have just touched, instead of by a hash probe into a table far larger than the cache.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "cpx/base/grow_array.hpp"
#include "cpx/base/pool.hpp"
#include "cpx/engine/command.hpp"
#include "cpx/engine/types.hpp"

namespace cpx {

struct OrderKey {
  uint32_t account;
  uint32_t slot;  // the order's slot in its book while it rests, else index_none
  // Directly indexed numeric ids keep their value (no text); others their arena position.
  uint64_t text_position_or_number;
  uint16_t book;  // the order's book: its chip's index, or an hourly market's (Engine::market)
  uint8_t text_length;
  bool numeric;
  uint32_t site = index_none;  // an hourly ask's site (in what was padding)
};
static_assert(sizeof(OrderKey) == 24);

// A client order id as text, returned by value so numeric ids need no stored text.
struct IdText {
  char data[64];
  uint8_t size = 0;
  operator std::string_view() const { return {data, size}; }
  std::string_view view() const { return {data, size}; }
};
static_assert(std::is_trivially_copyable_v<OrderKey>);

uint64_t hash_order_key(uint32_t account, std::string_view client_order_id);

// Accepted orders the exchange can remember (address space reserved, committed as used).
inline constexpr uint32_t order_keys_max = 1u << 30;

class OrderKeys {
 public:
  explicit OrderKeys(uint32_t capacity_initial = 1u << 16);

  // The key of (account, client_order_id), or index_none when it was never accepted. `number`
  // is client_order_number_of(client_order_id).
  // The numeric fast path is inline: the matcher asks once per cancel and amend (a new order's
  // id goes through probe()).
  [[gnu::always_inline]] uint32_t find(uint32_t account, std::string_view client_order_id,
                                       uint64_t number) const {
    if (number != not_a_number && account < numeric_accounts_) {
      const NumericIds& ids = numeric_[account];
      const uint64_t page = number >> page_bits;
      if (page < ids.pages.size() && ids.pages[page] != nullptr) {
        const uint32_t key = ids.pages[page][number & (page_size - 1)];
        if (key != index_none) return key;
      }
      if (number > ids.hashed_max) return index_none;
    }
    return find_hashed(account, client_order_id);
  }
  // A new order's id looked up once for both steps: `key` as find() gives it, and, when the
  // direct index will take the id (numeric, below the account's bound, its page there), the
  // entry that insert(probe, ...) then fills without looking the id up again.
  struct Probe {
    uint32_t key = index_none;
    uint32_t* entry = nullptr;
  };
  [[gnu::always_inline]] Probe probe(uint32_t account, std::string_view client_order_id,
                                     uint64_t number) {
    if (number != not_a_number && account < numeric_accounts_) {
      NumericIds& ids = numeric_[account];
      const uint64_t page = number >> page_bits;
      if (page < ids.pages.size() && ids.pages[page] != nullptr) {
        uint32_t* entry = &ids.pages[page][number & (page_size - 1)];
        if (*entry != index_none) return Probe{*entry, nullptr};
        if (number > ids.hashed_max) {
          return Probe{index_none, number < direct_bound(ids.accepted) ? entry : nullptr};
        }
      } else if (number > ids.hashed_max) {
        return Probe{};
      }
    }
    return Probe{find_hashed(account, client_order_id), nullptr};
  }
  // Records the id of a probe that found it absent, at the probe's entry when it has one.
  uint32_t insert(const Probe& probe, uint32_t account, std::string_view client_order_id,
                  uint64_t number, uint16_t book) {
    CPX_ASSERT(probe.key == index_none);
    if (probe.entry == nullptr) return insert(account, client_order_id, number, book);
    ++numeric_[account].accepted;
    return record_direct(probe.entry, account, number, book, uint8_t(client_order_id.size()));
  }
  // Records a new pair; the caller has checked that it is absent. A numeric id whose page is
  // already there is recorded inline; the rest out of line.
  uint32_t insert(uint32_t account, std::string_view client_order_id, uint64_t number,
                  uint16_t book) {
    if (number != not_a_number && account < numeric_accounts_) {
      NumericIds& ids = numeric_[account];
      const uint64_t page = number >> page_bits;
      if (number < direct_bound(ids.accepted) && page < ids.pages.size() &&
          ids.pages[page] != nullptr) {
        ++ids.accepted;
        return record_direct(&ids.pages[page][number & (page_size - 1)], account, number, book,
                             uint8_t(client_order_id.size()));
      }
    }
    return insert_slow(account, client_order_id, number, book);
  }

  // Sizes the hash table for `count` more ids at once (a restart from a snapshot), instead of
  // doubling it step by step.
  void reserve(uint64_t count);

  OrderKey& operator[](uint32_t key) { return keys_[key]; }
  const OrderKey& operator[](uint32_t key) const { return keys_[key]; }
  IdText client_order_id(uint32_t key) const;
  uint32_t size() const { return keys_.live(); }
  // Ids kept in the hash table (not indexed directly by their number).
  uint64_t hashed_count() const { return hashed_count_; }
  // The hash table's slots, and whether it is moving into a doubled one.
  uint64_t table_slots() const { return slots_->size(); }
  bool growing() const { return old_slots_ != nullptr; }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t key_plus_one;  // 0: empty (a new table is mapped memory: zero until touched)
  };
  // The hash table doubles a step at a time: the doubled table takes new ids at once and each
  // insert moves the next 16 slots of the old one into it, so that no insert stops the matcher
  // for a whole rehash (a million ids took ~30 ms); lookups check both meanwhile.
  using Table = GrowArray<Slot>;
  // One account's numeric ids: pages of keys indexed by the id's value.
  struct NumericIds {
    std::vector<std::unique_ptr<uint32_t[]>> pages;
    uint64_t accepted = 0;
    // The largest numeric id that went to the hash table instead (0 when none did).
    uint64_t hashed_max = 0;
  };
  static constexpr uint32_t arena_chunk_bytes = 1u << 20;
  static constexpr unsigned page_bits = 12;
  static constexpr uint64_t page_size = 1u << page_bits;
  // A numeric id is indexed directly while it stays below this bound, which grows with the
  // account's accepted orders, so memory stays proportional to them whatever ids arrive.
  static uint64_t direct_bound(uint64_t accepted) { return 65536 + 16 * accepted; }

  uint32_t find_hashed(uint32_t account, std::string_view text) const;
  [[gnu::noinline]] uint32_t insert_slow(uint32_t account, std::string_view client_order_id,
                                         uint64_t number, uint16_t book);
  // A new key for a numeric id of the direct index, recorded at its entry there.
  uint32_t record_direct(uint32_t* entry, uint32_t account, uint64_t number, uint16_t book,
                         uint8_t length) {
    const uint32_t key = keys_.append();
    keys_[key] = OrderKey{account, index_none, number, book, length, true};
    *entry = key;
    return key;
  }

  static std::unique_ptr<Table> new_table(uint64_t slots);
  static uint32_t find_in(const Table& table, uint64_t hash, uint32_t account,
                          std::string_view text, const OrderKeys& keys);
  static void put(Table& table, Slot slot);
  void start_growth();
  void migrate_some(uint64_t slots);
  bool same(uint32_t key, uint32_t account, std::string_view text) const;

  std::vector<NumericIds> numeric_;  // by account
  uint32_t numeric_accounts_ = 0;    // numeric_.size(), kept as a count (its entries are 40 bytes)
  std::unique_ptr<Table> slots_;
  uint64_t slots_count_ = 0;          // ids in slots_
  std::unique_ptr<Table> old_slots_;  // while growing
  uint64_t old_next_ = 0;
  uint64_t hashed_count_ = 0;
  Pool<OrderKey> keys_;
  std::vector<std::unique_ptr<char[]>> arena_;
  uint32_t arena_used_ = arena_chunk_bytes;  // bytes used in the last chunk
};

}  // namespace cpx
