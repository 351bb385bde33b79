#include "cpx/venue/replay_guard.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace cpx::venue {

namespace {

// The first 16 hex digits of a signature, or a hash of it when it is not hex (0 is reserved).
uint64_t fingerprint_of(std::string_view signature) {
  uint64_t value = 0;
  bool hex = signature.size() >= 16;
  for (std::size_t i = 0; hex && i < 16; ++i) {
    const char c = signature[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) hex = false;
    value = value << 4 | uint64_t(digit & 15);
  }
  if (!hex) value = std::hash<std::string_view>{}(signature);
  return value == 0 ? 1 : value;
}

uint64_t mix(uint64_t x) {  // the fingerprints are uniform already; this spreads poor hashes
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  return x ^ (x >> 33);
}

}  // namespace

ReplayGuard::FlatSet::Table ReplayGuard::FlatSet::new_table(std::size_t capacity) {
  auto table = std::make_unique<GrowArray<uint64_t>>(capacity);
  table->append_raw(capacity);  // zero: every slot empty
  return table;
}

bool ReplayGuard::FlatSet::find(const Table& table, uint64_t fingerprint) {
  if (table == nullptr) return false;
  const std::size_t mask = table->size() - 1;
  for (std::size_t i = mix(fingerprint) & mask;; i = (i + 1) & mask) {
    if ((*table)[i] == fingerprint) return true;
    if ((*table)[i] == 0) return false;
  }
}

void ReplayGuard::FlatSet::put(Table& table, uint64_t fingerprint) {
  const std::size_t mask = table->size() - 1;
  std::size_t i = mix(fingerprint) & mask;
  while ((*table)[i] != 0 && (*table)[i] != fingerprint) i = (i + 1) & mask;
  (*table)[i] = fingerprint;
}

bool ReplayGuard::FlatSet::contains(uint64_t fingerprint) const {
  return find(table_, fingerprint) || find(old_, fingerprint);
}

void ReplayGuard::FlatSet::insert(uint64_t fingerprint) {
  if (table_ == nullptr) table_ = new_table(1024);
  if ((table_count_ + 1) * 2 > table_->size()) {
    while (growing()) migrate_some();  // (cannot happen: a growth ends long before the next)
    old_ = std::move(table_);
    table_ = new_table(old_->size() * 2);
    old_next_ = 0;
    table_count_ = 0;
  }
  put(table_, fingerprint);
  ++table_count_;
  ++size_;
  migrate_some();
}

// A growth starts at half of capacity C, with C/2 entries to move; 16 slots a step empty the old
// table after C/16 inserts, when the new one (2C) holds 9C/16 at most: under its limit of C.
void ReplayGuard::FlatSet::migrate_some() {
  if (!growing()) return;
  const std::size_t end = std::min(old_next_ + 16, old_->size());
  for (; old_next_ < end; ++old_next_) {
    if (const uint64_t fingerprint = (*old_)[old_next_]; fingerprint != 0) {
      put(table_, fingerprint);
      ++table_count_;
    }
  }
  if (old_next_ == old_->size()) old_.reset();
}

void ReplayGuard::FlatSet::clear() {
  // A fresh mapping of the same size instead of writing zeros over the old one.
  const std::size_t size = capacity();
  table_.reset();
  old_.reset();
  if (size != 0) table_ = new_table(size);
  table_count_ = 0;
  old_next_ = 0;
  size_ = 0;
}

void ReplayGuard::FlatSet::collect(std::vector<uint64_t>& out) const {
  for (const Table* table : {&table_, &old_}) {
    if (*table == nullptr) continue;
    for (std::size_t i = 0; i < (*table)->size(); ++i) {
      const uint64_t fingerprint = (**table)[i];
      // While growing, entries not yet moved are in old_ only; moved ones are in both.
      if (fingerprint != 0 && (table == &table_ || !find(table_, fingerprint))) {
        out.push_back(fingerprint);
      }
    }
  }
}

uint64_t signature_fingerprint(std::string_view signature) {
  return fingerprint_of(signature);
}

void ReplayGuard::remember(uint64_t fingerprint, int64_t now_ms) {
  advance(now_ms);
  if (fingerprint == 0 || current_.contains(fingerprint) || previous_.contains(fingerprint)) return;
  if (size() >= entries_max_) previous_.clear();
  if (size() >= entries_max_) return;
  current_.insert(fingerprint);
}

ReplayGuard::Saved ReplayGuard::save() const {
  Saved saved;
  saved.generation_start_ms = generation_start_ms_;
  current_.collect(saved.current);
  previous_.collect(saved.previous);
  return saved;
}

void ReplayGuard::restore(const Saved& saved) {
  current_.clear();
  previous_.clear();
  generation_start_ms_ = saved.generation_start_ms;
  for (const uint64_t fingerprint : saved.previous) {
    if (fingerprint != 0 && !previous_.contains(fingerprint)) previous_.insert(fingerprint);
  }
  for (const uint64_t fingerprint : saved.current) {
    if (fingerprint != 0 && !current_.contains(fingerprint)) current_.insert(fingerprint);
  }
}

void ReplayGuard::advance(int64_t now_ms) {
  const bool started = generation_start_ms_ != INT64_MIN;
  const int64_t age = started ? now_ms - generation_start_ms_ : 0;
  // (A clock that steps back keeps the generation: forgetting early would let a replay in.)
  if (!started || age >= replay_generation_ms) {
    // A new generation. The older one's signatures are past any valid timestamp now; the
    // newer becomes the older, unless it is that old itself.
    if (started && age < 2 * replay_generation_ms) {
      std::swap(previous_, current_);
    } else {
      previous_.clear();
    }
    current_.clear();
    generation_start_ms_ = now_ms;
  }
}

AuthFailure ReplayGuard::admit(std::string_view signature, int64_t, int64_t now_ms) {
  advance(now_ms);
  const uint64_t fingerprint = fingerprint_of(signature);
  if (current_.contains(fingerprint) || previous_.contains(fingerprint)) {
    return AuthFailure::replayed;
  }
  if (size() >= entries_max_) return AuthFailure::busy;
  current_.insert(fingerprint);
  return AuthFailure::none;
}

AuthFailure verify_request(std::string_view secret, std::string_view timestamp_header,
                           std::string_view signature_header, std::string_view method,
                           std::string_view target, std::string_view body, int64_t now_ms,
                           ReplayGuard& guard) {
  int64_t timestamp_ms = 0;
  const AuthFailure failure = check_signature(secret, timestamp_header, signature_header, method,
                                              target, body, now_ms, timestamp_ms);
  if (failure != AuthFailure::none) return failure;
  return guard.admit(signature_header, timestamp_ms, now_ms);
}

}  // namespace cpx::venue
