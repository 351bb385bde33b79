#include "cpx/gateway/auth.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace cpx::gateway {

namespace {

// HMAC-SHA256 (RFC 2104) over one digest context per thread and SHA-256 fetched once. OpenSSL
// 3's one-shot HMAC() looks the algorithms up by name on every call (locks and string
// compares): 1.6 us a signature here, which both the server and the load generator pay per
// request.
class Sha256 {
 public:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::runtime_error("SHA-256 is not available");
  }
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void begin() {
    if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1) throw std::runtime_error("SHA-256 init failed");
  }
  void add(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(ctx_, data, size) != 1) throw std::runtime_error("SHA-256 failed");
  }
  void end(unsigned char (&out)[32]) {
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_, out, &length) != 1 || length != 32) {
      throw std::runtime_error("SHA-256 final failed");
    }
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
  thread_local Sha256 sha;
  constexpr std::size_t block = 64;
  unsigned char key[block] = {};
  if (secret.size() > block) {  // longer keys are hashed first
    unsigned char hashed[32];
    sha.begin();
    sha.add(secret.data(), secret.size());
    sha.end(hashed);
    std::memcpy(key, hashed, sizeof hashed);
  } else {
    std::memcpy(key, secret.data(), secret.size());
  }
  unsigned char pad[block];
  for (std::size_t i = 0; i < block; ++i) pad[i] = key[i] ^ 0x36;
  unsigned char inner[32];
  sha.begin();
  sha.add(pad, block);
  sha.add(message.data(), message.size());
  sha.end(inner);
  for (std::size_t i = 0; i < block; ++i) pad[i] = key[i] ^ 0x5c;
  unsigned char digest[32];
  sha.begin();
  sha.add(pad, block);
  sha.add(inner, sizeof inner);
  sha.end(digest);
  const unsigned int length = sizeof digest;
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

uint64_t signature_fingerprint(std::string_view signature) { return fingerprint_of(signature); }

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
