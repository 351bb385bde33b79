// A ring's slots: anonymous pages, committed by the kernel as the ring first uses them, and left
// out of fork() (MADV_DONTFORK): a snapshot's forked child never reads the rings, and the larger
// the parent's mapped memory, the longer the fork pauses the matcher.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <type_traits>

namespace cpx::pipeline {

template <class T>
class RingMemory {
  static_assert(std::is_trivially_copyable_v<T>);  // implicit-lifetime: the pages are its objects

 public:
  explicit RingMemory(std::size_t count) : bytes_(count * sizeof(T)) {
    void* memory =
        ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    ::madvise(memory, bytes_, MADV_DONTFORK);
    items_ = static_cast<T*>(memory);
  }
  ~RingMemory() { ::munmap(items_, bytes_); }
  RingMemory(const RingMemory&) = delete;
  RingMemory& operator=(const RingMemory&) = delete;

  T& operator[](std::size_t index) { return items_[index]; }
  const T& operator[](std::size_t index) const { return items_[index]; }
  T* data() { return items_; }

 private:
  std::size_t bytes_;
  T* items_ = nullptr;
};

}  // namespace cpx::pipeline
