// Every (account, client_order_id) ever accepted, so that ids are never reused and clients can
// name their orders. An open-addressing table over a chunked string arena.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "cpx/engine/pool.hpp"
#include "cpx/engine/types.hpp"

namespace cpx {

struct OrderKey {
  uint32_t account;
  uint32_t slot;  // the order's slot in its book while it rests, else index_none
  uint64_t text_position;
  uint16_t chip;
  uint8_t text_length;
};
static_assert(std::is_trivially_copyable_v<OrderKey>);

uint64_t hash_order_key(uint32_t account, std::string_view client_order_id);

class OrderKeys {
 public:
  explicit OrderKeys(uint32_t capacity_initial = 1u << 16);

  // The key of (account, client_order_id), or index_none when it was never accepted.
  uint32_t find(uint32_t account, std::string_view client_order_id, uint64_t hash) const;
  // Records a new pair; the caller has checked that it is absent.
  uint32_t insert(uint32_t account, std::string_view client_order_id, uint64_t hash, uint16_t chip);

  OrderKey& operator[](uint32_t key) { return keys_[key]; }
  const OrderKey& operator[](uint32_t key) const { return keys_[key]; }
  std::string_view client_order_id(uint32_t key) const;
  uint32_t size() const { return keys_.live(); }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t key;
  };
  static constexpr uint32_t arena_chunk_bytes = 1u << 20;

  void grow();
  bool same(uint32_t key, uint32_t account, std::string_view text) const;

  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  Pool<OrderKey> keys_;
  std::vector<std::unique_ptr<char[]>> arena_;
  uint32_t arena_used_ = arena_chunk_bytes;  // bytes used in the last chunk
};

}  // namespace cpx
