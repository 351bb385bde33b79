// A pool of plain objects addressed by 32-bit index. It reserves address space for its largest
// size at start and the kernel commits pages as the pool first touches them, so objects never
// move, growth never copies, and an index is one addition away from its object. Released
// objects form a free list through their first four bytes (the rest of a released object keeps
// what it held: Book relies on a released order still showing no key).
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include "cpx/base/assert.hpp"

namespace cpx {

inline constexpr uint32_t index_none = UINT32_MAX;

template <class T>
class Pool {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) >= sizeof(uint32_t));

 public:
  // capacity_max bounds the pool (address space only: pages are committed as used);
  // capacity_initial is touched at start so the first objects cost no page faults.
  explicit Pool(uint32_t capacity_max, uint32_t capacity_initial = 0)
      : capacity_max_(capacity_max) {
    void* memory = ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    items_ = static_cast<T*>(memory);
    // Touch the first pages now rather than on the first orders.
    for (std::size_t b = 0; b < std::size_t(capacity_initial) * sizeof(T); b += 4096) {
      reinterpret_cast<volatile char*>(items_)[b] = 0;
    }
  }
  ~Pool() { ::munmap(items_, bytes()); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  Pool(Pool&& other) noexcept
      : items_(other.items_),
        capacity_max_(other.capacity_max_),
        free_head_(other.free_head_),
        used_high_(other.used_high_),
        live_(other.live_) {
    other.items_ = nullptr;
    other.capacity_max_ = 0;
  }

  T& operator[](uint32_t index) { return items_[index]; }
  const T& operator[](uint32_t index) const { return items_[index]; }

  uint32_t allocate() {
    ++live_;
    if (free_head_ != index_none) {
      const uint32_t index = free_head_;
      std::memcpy(&free_head_, &items_[index], sizeof free_head_);
      return index;
    }
    CPX_ASSERT(used_high_ < capacity_max_ && "pool exhausted");
    return used_high_++;
  }

  // A new object past every one used so far, for a pool that never releases (order keys).
  uint32_t append() {
    CPX_ASSERT(free_head_ == index_none && used_high_ < capacity_max_ && "pool exhausted");
    ++live_;
    return used_high_++;
  }

  void release(uint32_t index) {
    CPX_ASSERT(live_ > 0 && index < used_high_);
    --live_;
    std::memcpy(&items_[index], &free_head_, sizeof free_head_);
    free_head_ = index;
  }

  uint32_t live() const { return live_; }

 private:
  std::size_t bytes() const { return std::size_t(capacity_max_) * sizeof(T); }

  T* items_ = nullptr;
  uint32_t capacity_max_;
  uint32_t free_head_ = index_none;  // the last object released, or index_none
  uint32_t used_high_ = 0;
  uint32_t live_ = 0;
};

}  // namespace cpx
