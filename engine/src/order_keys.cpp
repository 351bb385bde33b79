#include "cpx/engine/order_keys.hpp"

#include <algorithm>
#include <bit>
#include <charconv>

#include "cpx/base/decimal.hpp"
#include "cpx/engine/command.hpp"

namespace cpx {
namespace {

inline uint64_t mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  return x ^ (x >> 32);
}

}  // namespace

uint64_t hash_order_key(uint32_t account, std::string_view text) {
  uint64_t h = 0x9e3779b97f4a7c15ULL * (uint64_t(account) + 1) ^ text.size();
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    h = mix(h ^ word);
  }
  if (i < text.size()) {
    uint64_t word = 0;
    std::memcpy(&word, text.data() + i, text.size() - i);
    h = mix(h ^ word);
  }
  return h;
}

uint64_t client_order_number_of(std::string_view text) {
  if (text.empty() || text.size() > 18 || (text[0] == '0' && text.size() > 1)) return not_a_number;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return not_a_number;
    n = n * 10 + uint64_t(c - '0');
  }
  return n;
}

OrderKeys::OrderKeys(uint32_t capacity_initial) : keys_(order_keys_max, capacity_initial) {
  // Numeric ids mostly bypass the hash table, so it starts small and grows when it must.
  slots_ = new_table(std::bit_ceil(uint64_t(std::min(capacity_initial, 1u << 16)) * 2));
}

std::unique_ptr<OrderKeys::Table> OrderKeys::new_table(uint64_t slots) {
  auto table = std::make_unique<Table>(slots);
  table->append_raw(slots);  // zero: every slot empty
  return table;
}

bool OrderKeys::same(uint32_t key, uint32_t account, std::string_view text) const {
  const OrderKey& record = keys_[key];
  return record.account == account && client_order_id(key).view() == text;
}

uint32_t OrderKeys::find_hashed(uint32_t account, std::string_view text) const {
  const uint64_t hash = hash_order_key(account, text);
  const uint32_t key = find_in(*slots_, hash, account, text, *this);
  if (key != index_none || old_slots_ == nullptr) return key;
  return find_in(*old_slots_, hash, account, text, *this);
}

uint32_t OrderKeys::find_in(const Table& table, uint64_t hash, uint32_t account,
                            std::string_view text, const OrderKeys& keys) {
  const uint64_t mask = table.size() - 1;
  for (uint64_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = table[i];
    if (slot.key_plus_one == 0) return index_none;
    if (slot.hash == hash && keys.same(slot.key_plus_one - 1, account, text)) {
      return slot.key_plus_one - 1;
    }
  }
}

void OrderKeys::put(Table& table, Slot slot) {
  const uint64_t mask = table.size() - 1;
  uint64_t i = slot.hash & mask;
  while (table[i].key_plus_one != 0) i = (i + 1) & mask;
  table[i] = slot;
}

uint32_t OrderKeys::insert_slow(uint32_t account, std::string_view text, uint64_t number,
                                uint16_t book) {
  CPX_ASSERT(!text.empty() && text.size() <= id_length_max);
  if (number != not_a_number) {
    if (account >= numeric_accounts_) {
      numeric_.resize(account + 1);
      numeric_accounts_ = account + 1;
    }
    NumericIds& ids = numeric_[account];
    if (number < direct_bound(ids.accepted++)) {
      const uint64_t page = number >> page_bits;
      if (page >= ids.pages.size()) ids.pages.resize(page + 1);
      if (ids.pages[page] == nullptr) {
        ids.pages[page] = std::make_unique_for_overwrite<uint32_t[]>(page_size);
        std::fill_n(ids.pages[page].get(), page_size, index_none);
      }
      return record_direct(&ids.pages[page][number & (page_size - 1)], account, number, book,
                           uint8_t(text.size()));
    }
    ids.hashed_max = std::max(ids.hashed_max, number);
  }
  if (arena_used_ + text.size() > arena_chunk_bytes) {
    arena_.push_back(std::make_unique<char[]>(arena_chunk_bytes));
    arena_used_ = 0;
  }
  const uint64_t position = (uint64_t(arena_.size() - 1) * arena_chunk_bytes) + arena_used_;
  std::memcpy(arena_.back().get() + arena_used_, text.data(), text.size());
  arena_used_ += uint32_t(text.size());

  const uint32_t key = keys_.append();
  keys_[key] = OrderKey{account, index_none, position, book, uint8_t(text.size()), false};
  if ((slots_count_ + 1) * 2 > slots_->size()) start_growth();
  put(*slots_, Slot{hash_order_key(account, text), key + 1});
  ++slots_count_;
  ++hashed_count_;
  migrate_some(16);
  return key;
}

IdText OrderKeys::client_order_id(uint32_t key) const {
  const OrderKey& record = keys_[key];
  IdText text;
  text.size = record.text_length;
  if (record.numeric) {
    write_digits_backward(text.data + record.text_length, record.text_position_or_number);
  } else {
    const uint64_t position = record.text_position_or_number;
    std::memcpy(text.data,
                arena_[position / arena_chunk_bytes].get() + position % arena_chunk_bytes,
                record.text_length);
  }
  return text;
}

void OrderKeys::reserve(uint64_t count) {
  // A restart from a snapshot: size the table at once for what comes.
  migrate_some(UINT64_MAX);
  uint64_t slots = slots_->size();
  while ((hashed_count_ + count) * 2 > slots) slots *= 2;
  if (slots == slots_->size()) return;
  old_slots_ = std::move(slots_);
  slots_ = new_table(slots);
  slots_count_ = 0;
  old_next_ = 0;
  migrate_some(UINT64_MAX);
}

// A growth starts at half of capacity C with C/2 ids to move; 16 slots an insert empty the old
// table after C/16 inserts, when the new one (2C) holds 9C/16 at most: under its limit of C.
void OrderKeys::start_growth() {
  migrate_some(UINT64_MAX);  // (a growth ends long before the next would start)
  old_slots_ = std::move(slots_);
  slots_ = new_table(old_slots_->size() * 2);
  slots_count_ = 0;
  old_next_ = 0;
}

void OrderKeys::migrate_some(uint64_t slots) {
  if (old_slots_ == nullptr) return;
  const Table& old = *old_slots_;
  const uint64_t end = old.size() - old_next_ <= slots ? old.size() : old_next_ + slots;
  for (; old_next_ < end; ++old_next_) {
    if (old[old_next_].key_plus_one == 0) continue;
    put(*slots_, old[old_next_]);
    ++slots_count_;
  }
  if (old_next_ == old.size()) old_slots_.reset();
}

}  // namespace cpx
