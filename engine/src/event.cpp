#include "cpx/engine/event.hpp"

#include <cstring>

namespace cpx {

EventList& EventList::operator=(const EventList& other) {
  if (this == &other) return *this;
  clear();
  reserve(other.size_);
  if (other.size_ != 0)
    std::memcpy(static_cast<void*>(data_), other.data_, other.size_ * sizeof(Event));
  size_ = other.size_;
  return *this;
}

void EventList::grow() {
  reserve(capacity_ == 0 ? 64 : capacity_ * 2);
}

void EventList::reserve(std::size_t capacity) {
  if (capacity <= capacity_) return;
  Event* grown = static_cast<Event*>(::operator new(capacity * sizeof(Event)));
  if (size_ != 0) std::memcpy(static_cast<void*>(grown), data_, size_ * sizeof(Event));
  ::operator delete(data_);
  data_ = grown;
  capacity_ = capacity;
}

}  // namespace cpx
