// Keys' lifecycle through the real cpx-server (docs/api.md, "Accounts and keys"): operators list
// accounts with their keys (never a secret), give a key an expiry, and revoke one, which stops
// at once on REST and closes its WebSocket sessions with the reason; all of it survives a
// restart from the journal.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "client.hpp"
#include "json_schema.hpp"

namespace cpx::test {
namespace {

void expect_schema(const std::string& reference, const std::string& json) {
  expect_schema_of(reference, json);
}
const std::string rest = "rest.schema.json#/$defs/";

// The {"key_id":"..",...} object of one key in a listing, or "".
std::string key_in(const std::string& listing, const std::string& key_id) {
  const std::size_t at = listing.find("{\"key_id\":\"" + key_id + "\"");
  return at == std::string::npos ? "" : listing.substr(at, listing.find('}', at) - at + 1);
}

}  // namespace

TEST_CASE("operators list keys, give them an expiry and revoke them; a revoked key stops at once") {
  const std::string journal =
      (std::filesystem::temp_directory_path() / ("cpx-keys-" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(journal);
  std::string hash;
  std::string listing_before;
  Key first;
  Key expiring;
  {
    RunningServer server({"--journal", journal});
    RestClient admin(server.port, operator_key, operator_secret);
    first = create_account(admin, "p1", "provider");
    // A second key that expires in 1.5 s.
    const int64_t expires = now_ms() + 1500;
    const Response made = admin.send(http::verb::post, "/v1/admin/accounts/p1/keys",
                                     R"({"expires_ms":)" + std::to_string(expires) + "}");
    INFO(made.body());
    REQUIRE(made.result_int() == 201);
    expiring = Key{json_field(made.body(), "key_id"), json_field(made.body(), "secret")};
    // Bodies a new key does not take, and an expiry already past.
    CHECK(json_field(
              admin.send(http::verb::post, "/v1/admin/accounts/p1/keys", R"({"ttl":5})").body(),
              "message") == "unknown field ttl");
    CHECK(json_field(
              admin.send(http::verb::post, "/v1/admin/accounts/p1/keys", R"({"expires_ms":1000})")
                  .body(),
              "message") == "expires_ms must be a time to come (ms since the epoch)");

    RestClient provider(server.port, first.id, first.secret);
    REQUIRE(provider.send(http::verb::get, "/v1/account").result_int() == 200);
    const Response listing = admin.send(http::verb::get, "/v1/admin/accounts");
    INFO(listing.body());
    REQUIRE(listing.result_int() == 200);
    expect_schema(rest + "AccountList", listing.body());
    CHECK(listing.body().find("secret") == std::string::npos);
    CHECK(listing.body().find(first.secret) == std::string::npos);
    const std::string used = key_in(listing.body(), first.id);
    CHECK(json_field(used, "last_used_ms") != "null");
    CHECK(json_field(used, "expires_ms") == "null");
    const std::string fresh = key_in(listing.body(), expiring.id);
    CHECK(json_field(fresh, "last_used_ms") == "null");
    CHECK(json_field(fresh, "expires_ms") == std::to_string(expires));
    // Paged by account name: one at a time, "operator" then "p1".
    const Response page = admin.send(http::verb::get, "/v1/admin/accounts?limit=1");
    CHECK(json_field(page.body(), "next_after") == "operator");
    CHECK(admin.send(http::verb::get, "/v1/admin/accounts?after=operator").body().find("\"p1\"") !=
          std::string::npos);
    // Only operators.
    CHECK(provider.send(http::verb::get, "/v1/admin/accounts").result_int() == 403);

    // A WebSocket session of the first key is closed when it is revoked, with the reason;
    // REST refuses the key at once.
    WsClient session(server.port, first.id, first.secret);
    REQUIRE(session.read().find("logged_in") != std::string::npos);
    const Response revoked = admin.send(http::verb::delete_, "/v1/admin/keys/" + first.id);
    INFO(revoked.body());
    REQUIRE(revoked.result_int() == 200);
    expect_schema(rest + "KeyRevoked", revoked.body());
    CHECK(session.read_until("never-sent").empty());
    CHECK(session.close_reason().reason == "key revoked");
    CHECK(provider.send(http::verb::get, "/v1/account").result_int() == 401);
    const Response again = admin.send(http::verb::delete_, "/v1/admin/keys/" + first.id);
    CHECK(again.result_int() == 404);
    CHECK(json_field(again.body(), "code") == "unknown_key");

    // The expiring key works until its time, then is refused as expired.
    RestClient second(server.port, expiring.id, expiring.secret);
    CHECK(second.send(http::verb::get, "/v1/account").result_int() == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(expires - now_ms() + 50));
    const Response late = second.send(http::verb::get, "/v1/account");
    CHECK(late.result_int() == 401);
    CHECK(json_field(late.body(), "code") == "key_expired");
    hash = json_field(admin.send(http::verb::get, "/v1/admin/state").body(), "state_hash");
    listing_before = admin.send(http::verb::get, "/v1/admin/accounts").body();
    CHECK(key_in(listing_before, first.id).empty());
    CHECK(server.stop() == 0);
  }
  // From the journal: the revoked key stays revoked, the expired one expired.
  RunningServer restarted({"--journal", journal});
  RestClient admin(restarted.port, operator_key, operator_secret);
  CHECK(json_field(admin.send(http::verb::get, "/v1/admin/state").body(), "state_hash") == hash);
  CHECK(RestClient(restarted.port, first.id, first.secret)
            .send(http::verb::get, "/v1/account")
            .result_int() == 401);
  CHECK(json_field(RestClient(restarted.port, expiring.id, expiring.secret)
                       .send(http::verb::get, "/v1/account")
                       .body(),
                   "code") == "key_expired");
  const std::string listing_after = admin.send(http::verb::get, "/v1/admin/accounts").body();
  // (Its last use was a read, which the journal does not hold; its creation and expiry stay.)
  for (const char* field : {"created_ms", "expires_ms"}) {
    CHECK(json_field(key_in(listing_after, expiring.id), field) ==
          json_field(key_in(listing_before, expiring.id), field));
  }
  CHECK(restarted.stop() == 0);
  std::filesystem::remove_all(journal);
}

}  // namespace cpx::test
