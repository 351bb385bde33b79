// An array of plain objects that grows without moving them: it reserves address space for its
// largest size at start, and the kernel commits pages as the array first touches them. Where a
// std::vector doubles by copying everything (one stall as long as the copy, and the copy's page
// faults, on the thread that appends), this costs each append at most one page fault.
#pragma once

#include <sys/mman.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "cpx/base/assert.hpp"

namespace cpx {

template <class T>
class GrowArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // capacity_max bounds the array (address space only).
  explicit GrowArray(std::size_t capacity_max) : capacity_max_(capacity_max) {
    void* memory = ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    items_ = static_cast<T*>(memory);
  }
  ~GrowArray() {
    if (items_ != nullptr) ::munmap(items_, bytes());
  }
  GrowArray(const GrowArray&) = delete;
  GrowArray& operator=(const GrowArray&) = delete;

  T& operator[](std::size_t index) { return items_[index]; }
  const T& operator[](std::size_t index) const { return items_[index]; }
  T* data() { return items_; }
  const T* data() const { return items_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity_max() const { return capacity_max_; }

  T& emplace_back() {
    CPX_ASSERT(size_ < capacity_max_ && "array full");
    return *::new (items_ + size_++) T();
  }
  // Grows by `count` objects whose bytes the caller writes at once (a snapshot's records),
  // returning the first.
  T* append_raw(std::size_t count) {
    CPX_ASSERT(count <= capacity_max_ - size_ && "array full");
    T* first = items_ + size_;
    size_ += count;
    return first;
  }
  // Grows with default objects, or forgets the last ones.
  void resize(std::size_t size) {
    CPX_ASSERT(size <= capacity_max_ && "array full");
    for (std::size_t i = size_; i < size; ++i) ::new (items_ + i) T();
    size_ = size;
  }

 private:
  std::size_t bytes() const { return capacity_max_ * sizeof(T); }

  T* items_ = nullptr;
  std::size_t capacity_max_;
  std::size_t size_ = 0;
};

// A growable array for the many small-to-large lists (an account's orders and fills): segments
// of 16, 16, 32, 64, ... objects, so that appending never copies what is there (a std::vector
// doubling a million-entry list stalls its thread for milliseconds), memory stays within twice
// what is used, and an index finds its segment with one bit scan.
template <class T>
class SegmentedArray {
  static_assert(std::is_trivially_copyable_v<T>);
  static constexpr unsigned first_bits = 4;  // the first two segments hold 16 each

 public:
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    const_iterator(const SegmentedArray* array, std::size_t index) : array_(array), index_(index) {}
    reference operator*() const { return (*array_)[index_]; }
    pointer operator->() const { return &(*array_)[index_]; }
    reference operator[](difference_type n) const { return (*array_)[index_ + n]; }
    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++index_;
      return old;
    }
    const_iterator& operator--() {
      --index_;
      return *this;
    }
    const_iterator operator--(int) {
      const_iterator old = *this;
      --index_;
      return old;
    }
    const_iterator& operator+=(difference_type n) {
      index_ += n;
      return *this;
    }
    const_iterator& operator-=(difference_type n) {
      index_ -= n;
      return *this;
    }
    friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
    friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
    friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return difference_type(a.index_) - difference_type(b.index_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.index_ == b.index_;
    }
    friend auto operator<=>(const const_iterator& a, const const_iterator& b) {
      return a.index_ <=> b.index_;
    }

   private:
    const SegmentedArray* array_ = nullptr;
    std::size_t index_ = 0;
  };

  T& operator[](std::size_t index) { return at(index); }
  const T& operator[](std::size_t index) const {
    return const_cast<SegmentedArray*>(this)->at(index);
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  void push_back(const T& item) {
    if (size_ == capacity()) add_segment();
    at(size_++) = item;
  }
  // Grows to `size` objects whose bytes the caller then writes through for_each_segment.
  void resize(std::size_t size) {
    while (capacity() < size) add_segment();
    size_ = size;
  }
  // Calls f(first, count) for each segment in use, in order (to write or read them whole).
  template <class F>
  void for_each_segment(F&& f) {
    for (std::size_t s = 0, start = 0; start < size_; ++s) {
      const std::size_t count = std::min(segment_size(s), size_ - start);
      f(segments_[s].get(), count);
      start += count;
    }
  }
  template <class F>
  void for_each_segment(F&& f) const {
    const_cast<SegmentedArray*>(this)->for_each_segment(
        [&](T* first, std::size_t count) { f(static_cast<const T*>(first), count); });
  }

 private:
  // Segment 0 holds indices [0, 16), segment s >= 1 holds [2^(s+3), 2^(s+4)).
  static std::size_t segment_size(std::size_t s) {
    return s == 0 ? std::size_t(1) << first_bits : std::size_t(1) << (s + first_bits - 1);
  }
  std::size_t capacity() const {
    return segments_.empty() ? 0 : std::size_t(1) << (segments_.size() + first_bits - 1);
  }
  void add_segment() {
    segments_.push_back(std::make_unique_for_overwrite<T[]>(segment_size(segments_.size())));
  }
  T& at(std::size_t index) {
    const unsigned width = unsigned(std::bit_width(index >> first_bits));  // 0 for [0, 16)
    const std::size_t base = width == 0 ? 0 : std::size_t(1) << (width + first_bits - 1);
    return segments_[width][index - base];
  }

  std::vector<std::unique_ptr<T[]>> segments_;
  std::size_t size_ = 0;
};

}  // namespace cpx
