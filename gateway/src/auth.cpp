#include "cpx/gateway/auth.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace cpx::gateway {

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), int(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(std::size_t(length) * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 15];
  }
  return out;
}

std::string signing_payload(std::string_view timestamp, std::string_view method,
                            std::string_view target, std::string_view body) {
  std::string payload;
  payload.reserve(timestamp.size() + method.size() + target.size() + body.size());
  payload.append(timestamp).append(method).append(target).append(body);
  return payload;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= uint8_t(a[i] ^ b[i]);
  return difference == 0;
}

bool parse_timestamp_ms(std::string_view text, int64_t& out) {
  if (text.empty() || text.size() > 15) return false;  // 15 digits: year 33658
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

std::string_view to_string(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::none:
      return "none";
    case AuthFailure::missing:
      return "missing_credentials";
    case AuthFailure::bad_timestamp:
      return "bad_timestamp";
    case AuthFailure::stale:
      return "stale_timestamp";
    case AuthFailure::bad_signature:
      return "bad_signature";
    case AuthFailure::replayed:
      return "replayed_signature";
    case AuthFailure::busy:
      return "busy";
  }
  return "unknown";
}

void ReplayGuard::forget_expired(int64_t now_ms) {
  while (!by_expiry_.empty() && by_expiry_.front().expires_ms < now_ms) {
    seen_.erase(by_expiry_.front().signature);
    by_expiry_.pop_front();
  }
}

AuthFailure ReplayGuard::admit(std::string_view signature, int64_t timestamp_ms, int64_t now_ms) {
  forget_expired(now_ms);
  if (seen_.contains(std::string(signature))) return AuthFailure::replayed;
  if (seen_.size() >= entries_max_) return AuthFailure::busy;
  // After this moment the timestamp itself fails the window check, so the entry can go.
  const int64_t expires_ms = std::max(timestamp_ms + timestamp_skew_ms_max, now_ms);
  seen_.emplace(signature);
  // Timestamps arrive roughly in order; an entry that expires earlier than the back merely
  // stays a little longer than needed.
  by_expiry_.push_back(
      Entry{std::max(expires_ms, by_expiry_.empty() ? expires_ms : by_expiry_.back().expires_ms),
            std::string(signature)});
  return AuthFailure::none;
}

std::string random_hex(std::size_t bytes) {
  unsigned char raw[64];
  if (RAND_bytes(raw, int(bytes)) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out.push_back(digits[raw[i] >> 4]);
    out.push_back(digits[raw[i] & 15]);
  }
  return out;
}

AuthFailure check_signature(std::string_view secret, std::string_view timestamp_header,
                            std::string_view signature_header, std::string_view method,
                            std::string_view target, std::string_view body, int64_t now_ms,
                            int64_t& timestamp_ms) {
  if (timestamp_header.empty() || signature_header.empty()) return AuthFailure::missing;
  if (!parse_timestamp_ms(timestamp_header, timestamp_ms)) return AuthFailure::bad_timestamp;
  if (timestamp_ms < now_ms - timestamp_skew_ms_max ||
      timestamp_ms > now_ms + timestamp_skew_ms_max) {
    return AuthFailure::stale;
  }
  const std::string expected =
      hmac_sha256_hex(secret, signing_payload(timestamp_header, method, target, body));
  if (!constant_time_equal(expected, signature_header)) return AuthFailure::bad_signature;
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

}  // namespace cpx::gateway
