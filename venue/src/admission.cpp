// Admission of a request: its API key, the replay guard for signed ones, the key's rate limit.
#include <algorithm>

#include "cpx/venue/venue.hpp"

namespace cpx::venue {

namespace {

// As the gateway answers an unknown key: never telling whether the key exists.
constexpr std::string_view unknown_key_message = "unknown key, or a bad signature";

int64_t refill_milli(uint32_t rate_per_s, int64_t elapsed_ms) {
  return elapsed_ms * int64_t(rate_per_s);  // tokens * 1000 per ms = rate tokens per second
}

}  // namespace

bool Venue::admit(const Request& request, Caller& caller) {
  const auto key = keys_.find(request.key_id.view());
  if (key == keys_.end()) {
    answer_error(request, 401, "unauthorized", unknown_key_message);
    return false;
  }
  if (key->second.expires_ms != 0 && request.now_ms >= key->second.expires_ms &&
      request.kind != RequestKind::ws_logout) {
    answer_error(request, 401, "key_expired", "this key expired; an operator can give a new one");
    return false;
  }
  if (accounts_[key->second.account].status == AccountStatus::suspended &&
      request.kind != RequestKind::ws_logout) {
    answer_error(request, 403, "account_suspended", "this account is suspended by an operator");
    return false;
  }
  if (request.signed_request) {
    const AuthFailure failure =
        replay_guard_.admit(request.signature.view(), request.timestamp_ms, request.now_ms);
    if (failure == AuthFailure::busy) {
      answer_error(request, 503, "busy", "too many signed requests in flight", 1);
      return false;
    }
    if (failure != AuthFailure::none) {
      answer_error(request, 401, "unauthorized", "this signature was used already");
      return false;
    }
  }
  if (limits_.rate_per_s != 0) {
    TokenBucket& bucket = key->second.bucket;
    const int64_t cap = int64_t(limits_.burst) * 1000;
    if (bucket.updated_ms == 0) {
      bucket.tokens_milli = cap;
    } else if (request.now_ms > bucket.updated_ms) {
      bucket.tokens_milli =
          std::min(cap, bucket.tokens_milli +
                            refill_milli(limits_.rate_per_s, request.now_ms - bucket.updated_ms));
    }
    bucket.updated_ms = std::max(bucket.updated_ms, request.now_ms);
    if (bucket.tokens_milli < 1000) {
      const int64_t wait_ms =
          (1000 - bucket.tokens_milli + limits_.rate_per_s - 1) / limits_.rate_per_s;
      answer_error(request, 429, "rate_limited", "too many requests for this API key",
                   uint32_t(std::max<int64_t>(1, (wait_ms + 999) / 1000)));
      return false;
    }
    bucket.tokens_milli -= 1000;
  }
  caller.account = key->second.account;
  caller.role = key->second.role;
  key->second.last_used_ms = std::max(key->second.last_used_ms, request.now_ms);
  return true;
}

}  // namespace cpx::venue
