// A growable byte buffer for rendering: callers reserve room once per record, then append
// without further checks. Used where events are rendered at rate (replay, market data).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace cpx {

class OutputBuffer {
 public:
  explicit OutputBuffer(std::size_t capacity = 1 << 20)
      : data_(std::make_unique<char[]>(capacity)), capacity_(capacity) {}

  // Makes room for `bytes` more; appends up to that many need no check.
  void reserve(std::size_t bytes) {
    if (size_ + bytes <= capacity_) return;
    std::size_t capacity = capacity_ * 2;
    while (capacity < size_ + bytes) capacity *= 2;
    auto data = std::make_unique<char[]>(capacity);
    std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }
  void append(const char* text, std::size_t length) {
    std::memcpy(data_.get() + size_, text, length);
    size_ += length;
  }
  void push_back(char c) { data_[size_++] = c; }

  const char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
  std::size_t size_ = 0;
};

}  // namespace cpx
