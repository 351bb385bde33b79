// A bounded lock-free ring for many producers and one consumer (the gateway's I/O threads
// feeding the sequencer). Each cell carries a sequence number that says whose turn it is, so a
// push costs one compare-and-swap on the shared position and a pop none (D. Vyukov's bounded
// queue, with the consumer side simplified for a single consumer). A full ring refuses the
// push: callers answer "busy" instead of buffering without end.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace cpx::pipeline {

template <class T>
class MpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // capacity is rounded up to a power of two.
  explicit MpscRing(std::size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? 2 : capacity) - 1),
        cells_(std::make_unique<Cell[]>(mask_ + 1)) {
    for (uint64_t i = 0; i <= mask_; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  // Any thread. False when the ring is full.
  bool try_push(const T& value) {
    uint64_t position = enqueue_position_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[position & mask_];
      const uint64_t sequence = cell.sequence.load(std::memory_order_acquire);
      const int64_t lag = int64_t(sequence) - int64_t(position);
      if (lag == 0) {
        if (enqueue_position_.compare_exchange_weak(position, position + 1,
                                                    std::memory_order_relaxed)) {
          cell.value = value;
          cell.sequence.store(position + 1, std::memory_order_release);
          return true;
        }
      } else if (lag < 0) {
        return false;  // the consumer has not freed this cell yet: full
      } else {
        position = enqueue_position_.load(std::memory_order_relaxed);
      }
    }
  }

  // The consumer thread only. False when nothing is ready.
  bool try_pop(T& out) {
    Cell& cell = cells_[dequeue_position_ & mask_];
    const uint64_t sequence = cell.sequence.load(std::memory_order_acquire);
    if (sequence != dequeue_position_ + 1) return false;
    out = cell.value;
    cell.sequence.store(dequeue_position_ + mask_ + 1, std::memory_order_release);
    ++dequeue_position_;
    return true;
  }

  std::size_t capacity() const { return mask_ + 1; }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> sequence;
    T value;
  };

  const uint64_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<uint64_t> enqueue_position_{0};
  alignas(64) uint64_t dequeue_position_ = 0;
};

}  // namespace cpx::pipeline
