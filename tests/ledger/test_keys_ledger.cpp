// Keys' lifecycle in the ledger (docs/ledger.md, api_keys): a start from the ledger alone (no
// journal) neither revives a revoked key nor forgets an expiry.
#include <doctest/doctest.h>

#include "../gateway/client.hpp"
#include "pg_test.hpp"

namespace cpx::test {

TEST_CASE("a start from the ledger alone keeps revocations and expiries") {
  const std::string url = fresh_database("cpx_test_keys");
  Key revoked;
  Key expiring;
  const int64_t expires = now_ms() + 600'000;
  {
    RunningServer server({"--db", url});
    RestClient admin(server.port, operator_key, operator_secret);
    revoked = create_account(admin, "p1", "provider");
    const Response made = admin.send(http::verb::post, "/v1/admin/accounts/p1/keys",
                                     R"({"expires_ms":)" + std::to_string(expires) + "}");
    REQUIRE(made.result_int() == 201);
    expiring = Key{json_field(made.body(), "key_id"), json_field(made.body(), "secret")};
    REQUIRE(admin.send(http::verb::delete_, "/v1/admin/keys/" + revoked.id).result_int() == 200);
    CHECK(server.stop() == 0);
  }
  {
    pqxx::connection connection(url);
    pqxx::read_transaction work(connection);
    CHECK(work.exec1("SELECT revoked_ms IS NOT NULL FROM api_keys WHERE key_id = " +
                     work.quote(revoked.id))[0]
              .as<bool>());
    CHECK(work.exec1("SELECT expires_ms FROM api_keys WHERE key_id = " + work.quote(expiring.id))[0]
              .as<int64_t>() == expires);
  }
  RunningServer again({"--db", url});
  RestClient admin(again.port, operator_key, operator_secret);
  CHECK(RestClient(again.port, revoked.id, revoked.secret)
            .send(http::verb::get, "/v1/account")
            .result_int() == 401);
  CHECK(RestClient(again.port, expiring.id, expiring.secret)
            .send(http::verb::get, "/v1/account")
            .result_int() == 200);
  const std::string listing = admin.send(http::verb::get, "/v1/admin/accounts").body();
  CHECK(listing.find(revoked.id) == std::string::npos);
  CHECK(listing.find("\"expires_ms\":" + std::to_string(expires)) != std::string::npos);
  CHECK(again.stop() == 0);
}

}  // namespace cpx::test
