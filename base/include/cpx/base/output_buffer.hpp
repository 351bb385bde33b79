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
  // Short texts (ids, numbers: most of what is rendered) are copied inline by two overlapping
  // words, reading no byte outside the text; longer ones by memcpy.
  void append(const char* text, std::size_t length) {
    char* to = data_.get() + size_;
    if (length >= 8 && length <= 16) {
      copy_word<uint64_t>(to, text);
      copy_word<uint64_t>(to + length - 8, text + length - 8);
    } else if (length >= 4 && length < 8) {
      copy_word<uint32_t>(to, text);
      copy_word<uint32_t>(to + length - 4, text + length - 4);
    } else if (length < 4) {
      for (std::size_t i = 0; i < length; ++i) to[i] = text[i];
    } else {
      std::memcpy(to, text, length);
    }
    size_ += length;
  }
  void push_back(char c) { data_[size_++] = c; }
  // Writing in place: the room reserve() made starts at tail(); advance() takes what was written.
  char* tail() { return data_.get() + size_; }
  void advance(std::size_t bytes) { size_ += bytes; }

  const char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  void clear() { size_ = 0; }

 private:
  template <class Word>
  static void copy_word(char* to, const char* from) {
    Word word;
    std::memcpy(&word, from, sizeof word);
    std::memcpy(to, &word, sizeof word);
  }

  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
  std::size_t size_ = 0;
};

}  // namespace cpx
