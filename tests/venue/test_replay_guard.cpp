#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cpx/venue/replay_guard.hpp"

namespace cpx::venue {

TEST_CASE("HMAC-SHA256 of an empty key, even a view with no data (an unknown key's check)") {
  const std::string_view none;
  CHECK(hmac_sha256_hex(none, "") ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  CHECK(hmac_sha256_hex("", "") == hmac_sha256_hex(none, ""));
}

TEST_CASE("HMAC-SHA256 matches the RFC 4231 test vectors, in lowercase hex") {
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 6: a key longer than SHA-256's block is hashed first.
  CHECK(hmac_sha256_hex(std::string(131, '\xaa'),
                        "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // A key of exactly one block, and an empty message (checked against Python's hmac module).
  CHECK(hmac_sha256_hex(std::string(64, 'k'), "") ==
        "83026a325aaee70e36cfe607536aa1054104ad1077c36134810d4ccded1ccd3b");
}

TEST_CASE("a request signs timestamp, method, path with query and body, in that order") {
  CHECK(signing_payload("1700000000000", "POST", "/v1/orders?x=1", "{\"a\":1}") ==
        "1700000000000POST/v1/orders?x=1{\"a\":1}");
}

TEST_CASE("a correctly signed fresh request passes once; every failure is named") {
  const std::string secret = "s3cret";
  const int64_t now = 1'700'000'000'000;
  const std::string ts = std::to_string(now - 1000);
  const std::string good = hmac_sha256_hex(secret, signing_payload(ts, "GET", "/v1/account", ""));
  ReplayGuard guard;
  CHECK(verify_request(secret, ts, good, "GET", "/v1/account", "", now, guard) ==
        AuthFailure::none);
  CHECK(verify_request(secret, ts, good, "GET", "/v1/account", "", now, guard) ==
        AuthFailure::replayed);
  CHECK(verify_request(secret, "", good, "GET", "/v1/account", "", now, guard) ==
        AuthFailure::missing);
  CHECK(verify_request(secret, ts, "", "GET", "/v1/account", "", now, guard) ==
        AuthFailure::missing);
  CHECK(verify_request(secret, "17e11", good, "GET", "/v1/account", "", now, guard) ==
        AuthFailure::bad_timestamp);
  CHECK(verify_request("other", ts, good, "GET", "/v1/account", "", now, guard) ==
        AuthFailure::bad_signature);
  // The signature covers the body and the path.
  CHECK(verify_request(secret, ts, good, "GET", "/v1/account", "x", now, guard) ==
        AuthFailure::bad_signature);
  CHECK(verify_request(secret, ts, good, "GET", "/v1/accounts", "", now, guard) ==
        AuthFailure::bad_signature);
  // More than 30 s away from the server clock, either way.
  for (int64_t skew : {-30'001, 30'001}) {
    const std::string t = std::to_string(now + skew);
    const std::string s = hmac_sha256_hex(secret, signing_payload(t, "GET", "/v1/time", ""));
    CHECK(verify_request(secret, t, s, "GET", "/v1/time", "", now, guard) == AuthFailure::stale);
  }
  const std::string edge = std::to_string(now + 30'000);
  const std::string signed_edge =
      hmac_sha256_hex(secret, signing_payload(edge, "GET", "/v1/time", ""));
  CHECK(verify_request(secret, edge, signed_edge, "GET", "/v1/time", "", now, guard) ==
        AuthFailure::none);
}

TEST_CASE("the replay guard forgets signatures once their timestamps are stale, and is bounded") {
  ReplayGuard guard(3);
  const int64_t now = 1'000'000;
  CHECK(guard.admit("a", now, now) == AuthFailure::none);
  CHECK(guard.admit("b", now, now) == AuthFailure::none);
  CHECK(guard.admit("c", now, now) == AuthFailure::none);
  CHECK(guard.admit("d", now, now) == AuthFailure::busy);  // full: refuse, do not grow
  CHECK(guard.size() == 3);
  // A signature is remembered while its timestamp could still pass (up to 60 s after it
  // arrived, when it was signed 30 s ahead of the clock)...
  const int64_t still = now + 2 * timestamp_skew_ms_max - 1;
  CHECK(guard.admit("a", still, still) == AuthFailure::replayed);
  CHECK(guard.admit("e", still, still) == AuthFailure::busy);
  // ...and forgotten once two generations have passed.
  const int64_t later = now + 2 * replay_generation_ms;
  CHECK(guard.admit("a", later, later) == AuthFailure::none);
  CHECK(guard.size() == 1);
}

TEST_CASE(
    "the replay guard comes back whole from what it saved, and from remembered fingerprints") {
  ReplayGuard guard;
  const int64_t now = 9'000'000;
  std::vector<std::string> signatures;
  for (int i = 0; i < 5000; ++i) signatures.push_back(hmac_sha256_hex("k", std::to_string(i)));
  // Half in an older generation, half in the newer; the newer one growing while saved.
  for (int i = 0; i < 2500; ++i) CHECK(guard.admit(signatures[i], now, now) == AuthFailure::none);
  const int64_t next = now + replay_generation_ms;
  for (int i = 2500; i < 5000; ++i)
    CHECK(guard.admit(signatures[i], next, next) == AuthFailure::none);
  const ReplayGuard::Saved saved = guard.save();
  CHECK(saved.current.size() == 2500);
  CHECK(saved.previous.size() == 2500);
  ReplayGuard restored;
  restored.restore(saved);
  CHECK(restored.size() == 5000);
  for (const std::string& signature : signatures) {
    CHECK(restored.admit(signature, next + 1, next + 1) == AuthFailure::replayed);
  }
  // The generations move on as before: the older half is forgotten one generation later.
  const int64_t later = next + replay_generation_ms;
  CHECK(restored.admit(signatures[0], later, later) == AuthFailure::none);
  CHECK(restored.admit(signatures[4999], later, later) == AuthFailure::replayed);
  // remember() is what admit() keeps of an accepted request (replay rebuilds the guard with it).
  ReplayGuard replayed;
  for (int i = 0; i < 100; ++i) replayed.remember(signature_fingerprint(signatures[i]), now);
  replayed.remember(0, now);  // unsigned: nothing
  CHECK(replayed.size() == 100);
  CHECK(replayed.admit(signatures[7], now + 5, now + 5) == AuthFailure::replayed);
  CHECK(replayed.admit(signatures[100], now + 5, now + 5) == AuthFailure::none);
}

TEST_CASE("the replay guard tells a million signatures apart") {
  ReplayGuard guard;
  const int64_t now = 5'000'000;
  int refused = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const std::string signature = hmac_sha256_hex("k", std::to_string(i));
    refused += guard.admit(signature, now, now) != AuthFailure::none;
  }
  CHECK(refused == 0);
  CHECK(guard.admit(hmac_sha256_hex("k", "77"), now, now) == AuthFailure::replayed);
}

TEST_CASE("the replay guard grows a step at a time, and finds every signature while it does") {
  ReplayGuard guard;
  const int64_t now = 5'000'000;
  std::vector<std::string> signatures;
  std::size_t growths = 0;
  bool was_growing = false;
  std::size_t started_at = 0;
  std::size_t longest = 0;  // inserts a growth took
  for (int i = 0; i < 200'000; ++i) {
    signatures.push_back(hmac_sha256_hex("k", std::to_string(i)));
    REQUIRE(guard.admit(signatures.back(), now, now) == AuthFailure::none);
    if (guard.growing() && !was_growing) {
      ++growths;
      started_at = signatures.size();
      // Just after a growth starts, and halfway through it: nothing is forgotten.
      for (const std::string& seen : signatures) {
        REQUIRE(guard.admit(seen, now, now) == AuthFailure::replayed);
      }
    }
    if (!guard.growing() && was_growing) {
      longest =
          std::max(longest, signatures.size() - started_at);  // the starting insert moved 16 too
    }
    if (guard.growing() && signatures.size() - started_at == guard.table_capacity() / 64) {
      for (const std::string& seen : signatures) {
        REQUIRE(guard.admit(seen, now, now) == AuthFailure::replayed);
      }
    }
    was_growing = guard.growing();
  }
  CHECK(growths >= 8);  // 1,024 slots to 524,288
  CHECK(guard.table_capacity() == 524'288);
  // Each growth moves the old table 16 slots an insert: spread over thousands of inserts
  // (the last one, from 262,144 slots to 524,288, over 16,384), never done in one.
  CHECK(longest + 1 == 262'144 / 16);
  CHECK(guard.size() == 200'000);
}

TEST_CASE("secrets are compared in constant time and exactly") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
}

}  // namespace cpx::venue
