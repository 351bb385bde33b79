// The server's side of request signing: each signature accepted once (the replay guard), on top
// of the stateless check every client shares (cpx/auth/signing.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/auth/signing.hpp"
#include "cpx/base/grow_array.hpp"

namespace cpx::venue {

using auth::AuthFailure;
using auth::check_signature;
using auth::constant_time_equal;
using auth::hmac_sha256_hex;
using auth::parse_timestamp_ms;
using auth::random_hex;
using auth::signing_payload;
using auth::timestamp_skew_ms_max;
using auth::to_string;

// Signatures remembered at most (16 bytes each at most); past that, signed requests are refused
// as busy rather than the memory growing. 8 M covers 60 s of 100,000 signed requests a second.
inline constexpr std::size_t replay_entries_max = 8'000'000;

// Remembers the signatures accepted within the timestamp window, as 64-bit fingerprints (an
// HMAC's bits are uniform, so a legitimate request is mistaken for a replay with odds of about
// entries / 2^64). Two generations, each spanning replay_generation_ms of arrival time: a lookup
// checks both, inserts go to the newer, and the older is dropped whole when a new generation
// starts, so a signature is remembered 60-120 s, longer than its timestamp can stay valid
// (at most 30 s ahead of the clock plus 30 s behind). Flat tables, no allocation per entry.
// Single-threaded: the server keeps one on the matcher thread. Memory is bounded by entries_max.
inline constexpr int64_t replay_generation_ms = 2 * timestamp_skew_ms_max;

// The 64-bit fingerprint the guard remembers of a signature (never 0); the journal keeps it for
// every signed request it holds, so a restart remembers what was admitted before it.
uint64_t signature_fingerprint(std::string_view signature);

class ReplayGuard {
 public:
  explicit ReplayGuard(std::size_t entries_max = replay_entries_max) : entries_max_(entries_max) {}

  // Accepts a signature not seen recently; refuses a repeat, or any request when full.
  AuthFailure admit(std::string_view signature, int64_t timestamp_ms, int64_t now_ms);
  // What admit() remembers of an accepted request, given its fingerprint: the journal's replay
  // rebuilds the guard with it (a full guard drops the oldest generation rather than refuse).
  void remember(uint64_t fingerprint, int64_t now_ms);

  // The guard's whole state, for snapshots: both generations' fingerprints and when the newer
  // one started. restore() takes it into an empty guard.
  struct Saved {
    int64_t generation_start_ms = INT64_MIN;
    std::vector<uint64_t> current;
    std::vector<uint64_t> previous;
  };
  Saved save() const;
  void restore(const Saved& saved);
  std::size_t size() const { return current_.size() + previous_.size(); }
  // The newer generation's table: its slots, and whether it is moving into a doubled one.
  std::size_t table_capacity() const { return current_.capacity(); }
  bool growing() const { return current_.growing(); }

 private:
  // Open addressing, linear probing, at most half full. Growing never stops the matcher for a
  // whole rehash: the doubled table takes new entries at once, and each insert moves the next
  // 16 slots of the old table into it, until the old table is empty and freed; lookups check
  // both meanwhile. Tables are mapped memory: a new one costs no zeroing, its pages are zeroed
  // by the kernel as they are first touched.
  class FlatSet {
   public:
    bool contains(uint64_t fingerprint) const;
    void insert(uint64_t fingerprint);  // fingerprint != 0, not present
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return table_ ? table_->size() : 0; }
    bool growing() const { return old_ != nullptr; }
    void clear();  // keeps the table's size for the next generation
    void collect(std::vector<uint64_t>& out) const;  // every entry, in no particular order

   private:
    // A table of 2^k slots in mapped memory (0: empty), or none.
    using Table = std::unique_ptr<GrowArray<uint64_t>>;
    static Table new_table(std::size_t capacity);
    static bool find(const Table& table, uint64_t fingerprint);
    static void put(Table& table, uint64_t fingerprint);
    void migrate_some();

    Table table_;
    std::size_t table_count_ = 0;  // entries in table_
    Table old_;                    // while growing: the table before, moved from slot old_next_
    std::size_t old_next_ = 0;
    std::size_t size_ = 0;  // distinct entries in both
  };

  // Starts a new generation when the newer one is replay_generation_ms old (or none exists).
  void advance(int64_t now_ms);

  std::size_t entries_max_;
  int64_t generation_start_ms_ = INT64_MIN;
  FlatSet current_;
  FlatSet previous_;
};

// The whole check of a signed request, given the key's secret (the caller found the key).
AuthFailure verify_request(std::string_view secret, std::string_view timestamp_header,
                           std::string_view signature_header, std::string_view method,
                           std::string_view target, std::string_view body, int64_t now_ms,
                           ReplayGuard& guard);

}  // namespace cpx::venue
