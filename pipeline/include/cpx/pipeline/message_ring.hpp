// A bounded lock-free ring of variable-length messages for one producer and one consumer: the
// matcher hands the gateway's I/O threads rendered answers and market-data updates through it.
// Messages are length-prefixed and contiguous in the buffer (a message that would straddle the
// end leaves a padding record and starts again at the front), so the consumer reads each one in
// place. A full ring refuses the write: the producer decides how to push back.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "cpx/pipeline/ring_memory.hpp"

namespace cpx::pipeline {

class MessageRing {
 public:
  // capacity_bytes is rounded up to a power of two, at least 4 KiB.
  explicit MessageRing(std::size_t capacity_bytes)
      : mask_(std::bit_ceil(capacity_bytes < 4096 ? 4096 : capacity_bytes) - 1),
        bytes_(mask_ + 1) {}

  // The largest message a write may carry (a quarter of the ring, so one message never starves
  // the others for long).
  std::size_t message_bytes_max() const { return (mask_ + 1) / 4 - header_bytes; }

  // The producer thread only. Copies `parts` (one message, gathered) into the ring; false when
  // there is no room now. A message over message_bytes_max() is a caller's bug: false as well.
  bool try_write(std::span<const std::span<const unsigned char>> parts) {
    std::size_t length = 0;
    for (const auto& part : parts) length += part.size();
    if (length > message_bytes_max()) return false;
    const uint64_t record = align(header_bytes + length);
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    const uint64_t to_end = (mask_ + 1) - (tail & mask_);
    const uint64_t needed = record <= to_end ? record : to_end + record;
    if (tail + needed - head_cached_ > mask_ + 1) {
      head_cached_ = head_.load(std::memory_order_acquire);
      if (tail + needed - head_cached_ > mask_ + 1) return false;
    }
    if (record > to_end) {  // pad to the end, start at the front
      store_header(tail & mask_, padding);
      tail += to_end;
    }
    unsigned char* out = bytes_.data() + (tail & mask_) + header_bytes;
    for (const auto& part : parts) {
      if (!part.empty()) std::memcpy(out, part.data(), part.size());
      out += part.size();
    }
    store_header(tail & mask_, uint32_t(length));
    tail_.store(tail + record, std::memory_order_release);
    return true;
  }

  bool try_write(std::span<const unsigned char> message) {
    const std::span<const unsigned char> parts[1] = {message};
    return try_write(parts);
  }

  // The consumer thread only. The oldest message, in place, or an empty optional-like result
  // (data() == nullptr) when the ring is empty. Valid until pop().
  std::span<const unsigned char> peek() {
    for (;;) {
      const uint64_t head = head_.load(std::memory_order_relaxed);
      if (head == tail_cached_) {
        tail_cached_ = tail_.load(std::memory_order_acquire);
        if (head == tail_cached_) return {};
      }
      uint32_t length;
      std::memcpy(&length, bytes_.data() + (head & mask_), sizeof length);
      if (length == padding) {
        head_.store(head + ((mask_ + 1) - (head & mask_)), std::memory_order_release);
        continue;
      }
      return {bytes_.data() + (head & mask_) + header_bytes, length};
    }
  }

  // The consumer thread only: releases the message peek() returned.
  void pop(std::size_t length) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    head_.store(head + align(header_bytes + length), std::memory_order_release);
  }

  // Either side: bytes in use (a snapshot).
  std::size_t used_bytes() const {
    return std::size_t(tail_.load(std::memory_order_acquire) -
                       head_.load(std::memory_order_acquire));
  }
  std::size_t capacity_bytes() const { return mask_ + 1; }

 private:
  static constexpr std::size_t header_bytes = 8;
  static constexpr uint32_t padding = UINT32_MAX;
  static uint64_t align(uint64_t n) { return (n + 7) & ~uint64_t(7); }
  void store_header(uint64_t position, uint32_t length) {
    std::memcpy(bytes_.data() + position, &length, sizeof length);
  }

  const uint64_t mask_;
  RingMemory<unsigned char> bytes_;
  alignas(64) std::atomic<uint64_t> head_{0};  // consumer's position
  uint64_t tail_cached_ = 0;
  alignas(64) std::atomic<uint64_t> tail_{0};  // producer's position
  uint64_t head_cached_ = 0;
};

}  // namespace cpx::pipeline
