// Request signing as clients do it and as the server checks it: lowercase hex of
// HMAC-SHA256(secret, timestamp + METHOD + path-with-query + body), timestamps in milliseconds
// since the epoch within 30 s of the server clock, and each signature accepted once.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

namespace cpx::gateway {

inline constexpr int64_t timestamp_skew_ms_max = 30'000;
// Signatures remembered at most; past that, requests are refused as busy rather than the
// memory growing (at the per-key rate limits this is never reached in normal use).
inline constexpr std::size_t replay_entries_max = 1'000'000;

// `bytes` random bytes (OpenSSL's CSPRNG, at most 64) as lowercase hex: key ids and secrets.
std::string random_hex(std::size_t bytes);

std::string hmac_sha256_hex(std::string_view secret, std::string_view message);

// What a request signs: timestamp + METHOD + path-with-query + body.
std::string signing_payload(std::string_view timestamp, std::string_view method,
                            std::string_view target, std::string_view body);

// Compares without an early exit, so timing does not reveal how much of a guess was right.
bool constant_time_equal(std::string_view a, std::string_view b);

// Parses a timestamp header: decimal milliseconds, nothing else.
bool parse_timestamp_ms(std::string_view text, int64_t& out);

enum class AuthFailure { none, missing, bad_timestamp, stale, bad_signature, replayed, busy };

std::string_view to_string(AuthFailure failure);

// Remembers the signatures accepted within the timestamp window. Single-threaded: each I/O
// thread may own one only if keys are pinned to threads; the gateway keeps one behind its
// session strand. Memory is bounded by replay_entries_max.
class ReplayGuard {
 public:
  explicit ReplayGuard(std::size_t entries_max = replay_entries_max) : entries_max_(entries_max) {}

  // Accepts a signature not seen within the window (and remembers it until it could no longer
  // pass the timestamp check); refuses a repeat, or any request when full.
  AuthFailure admit(std::string_view signature, int64_t timestamp_ms, int64_t now_ms);
  std::size_t size() const { return seen_.size(); }

 private:
  struct Entry {
    int64_t expires_ms;
    std::string signature;
  };
  void forget_expired(int64_t now_ms);

  std::size_t entries_max_;
  std::unordered_set<std::string> seen_;
  std::deque<Entry> by_expiry_;  // in the order they were admitted
};

// The stateless part of the check: headers present, timestamp within the window, signature
// right. The gateway's I/O threads run it; the one replay guard sits on the matcher thread.
AuthFailure check_signature(std::string_view secret, std::string_view timestamp_header,
                            std::string_view signature_header, std::string_view method,
                            std::string_view target, std::string_view body, int64_t now_ms,
                            int64_t& timestamp_ms);

// The whole check of a signed request, given the key's secret (the caller found the key).
AuthFailure verify_request(std::string_view secret, std::string_view timestamp_header,
                           std::string_view signature_header, std::string_view method,
                           std::string_view target, std::string_view body, int64_t now_ms,
                           ReplayGuard& guard);

}  // namespace cpx::gateway
