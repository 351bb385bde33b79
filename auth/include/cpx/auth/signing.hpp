// Request signing as clients do it and as the server checks it: lowercase hex of
// HMAC-SHA256(secret, timestamp + METHOD + path-with-query + body), timestamps in milliseconds
// since the epoch within 30 s of the server clock. Shared by cpx-server, cpx-ws and cpx-load;
// the server's replay guard (each signature accepted once) is in cpx/gateway/auth.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cpx::auth {

inline constexpr int64_t timestamp_skew_ms_max = 30'000;

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

// The stateless part of the check: headers present, timestamp within the window, signature
// right. The gateway's I/O threads run it; the one replay guard sits on the matcher thread.
AuthFailure check_signature(std::string_view secret, std::string_view timestamp_header,
                            std::string_view signature_header, std::string_view method,
                            std::string_view target, std::string_view body, int64_t now_ms,
                            int64_t& timestamp_ms);

}  // namespace cpx::auth
