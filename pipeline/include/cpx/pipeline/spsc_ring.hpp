// A bounded lock-free ring for one producer and one consumer (the matcher's events fanning out
// to the gateway, market data and the ledger writer). Each side caches the other's position and
// reads it again only when the ring looks full or empty, so most operations touch no shared
// cache line. A full ring refuses the push: the producer decides how to push back.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "cpx/pipeline/ring_memory.hpp"

namespace cpx::pipeline {

template <class T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit SpscRing(std::size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? 2 : capacity) - 1), items_(mask_ + 1) {}

  // The producer thread only. False when the ring is full.
  bool try_push(const T& value) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cached_ > mask_) {
      head_cached_ = head_.load(std::memory_order_acquire);
      if (tail - head_cached_ > mask_) return false;
    }
    items_[tail & mask_] = value;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // The consumer thread only. False when the ring is empty.
  bool try_pop(T& out) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cached_) {
      tail_cached_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cached_) return false;
    }
    out = items_[head & mask_];
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // In place, for items too large to copy twice. The producer: the next free slot, or nullptr
  // when the ring is full; publish() hands it over once written.
  T* claim() {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cached_ > mask_) {
      head_cached_ = head_.load(std::memory_order_acquire);
      if (tail - head_cached_ > mask_) return nullptr;
    }
    return &items_[tail & mask_];
  }
  void publish() {
    tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  // The consumer: the oldest item, or nullptr when the ring is empty; release() frees its slot
  // once the consumer is done with it.
  const T* front() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cached_) {
      tail_cached_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cached_) return nullptr;
    }
    return &items_[head & mask_];
  }
  void release() {
    head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Either side: how many items wait (a snapshot).
  std::size_t size() const {
    return std::size_t(tail_.load(std::memory_order_acquire) -
                       head_.load(std::memory_order_acquire));
  }
  std::size_t capacity() const { return mask_ + 1; }

 private:
  const uint64_t mask_;
  RingMemory<T> items_;
  alignas(64) std::atomic<uint64_t> head_{0};  // consumer's position
  uint64_t tail_cached_ = 0;                   // consumer's copy of tail_
  alignas(64) std::atomic<uint64_t> tail_{0};  // producer's position
  uint64_t head_cached_ = 0;                   // producer's copy of head_
};

}  // namespace cpx::pipeline
