// A pool of plain objects addressed by 32-bit index, growing in fixed chunks so that existing
// objects never move and growth never copies the pool.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "cpx/engine/types.hpp"

namespace cpx {

inline constexpr uint32_t index_none = UINT32_MAX;

template <class T, unsigned chunk_bits = 14>
class Pool {
  static_assert(std::is_trivially_copyable_v<T>);
  static constexpr uint32_t chunk_size = 1u << chunk_bits;

 public:
  explicit Pool(uint32_t capacity_initial = chunk_size) {
    while (capacity_ < capacity_initial) add_chunk();
  }

  T& operator[](uint32_t index) { return chunks_[index >> chunk_bits][index & (chunk_size - 1)]; }
  const T& operator[](uint32_t index) const {
    return chunks_[index >> chunk_bits][index & (chunk_size - 1)];
  }

  uint32_t allocate() {
    if (free_.empty()) {
      if (used_high_ == capacity_) add_chunk();
      ++live_;
      return used_high_++;
    }
    uint32_t index = free_.back();
    free_.pop_back();
    ++live_;
    return index;
  }

  void release(uint32_t index) {
    CPX_ASSERT(live_ > 0);
    --live_;
    free_.push_back(index);  // capacity reserved in add_chunk: never allocates
  }

  uint32_t live() const { return live_; }
  // Every index handed out so far is below this bound.
  uint32_t high_water() const { return used_high_; }

 private:
  void add_chunk() {
    chunks_.push_back(std::make_unique<T[]>(chunk_size));
    capacity_ += chunk_size;
    free_.reserve(capacity_);
  }

  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t capacity_ = 0;
  uint32_t used_high_ = 0;
  uint32_t live_ = 0;
};

}  // namespace cpx
