// Operators' kill switch and suspension through the real cpx-server (docs/api.md): a halted
// account's orders end and it places nothing until lifted, a suspended one is refused every key;
// money stays where it is, and a restart from the journal keeps both.
#include <doctest/doctest.h>

#include <filesystem>

#include "client.hpp"
#include "json_schema.hpp"

namespace cpx::test {

TEST_CASE("a kill switch halts an account's trading; a suspension refuses its keys") {
  const std::string journal =
      (std::filesystem::temp_directory_path() / ("cpx-controls-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(journal);
  std::string hash;
  {
    RunningServer server({"--journal", journal});
    RestClient admin(server.port, operator_key, operator_secret);
    const Key buyer_key = create_account(admin, "e1", "enterprise");
    const Key seller_key = create_account(admin, "p1", "provider");
    REQUIRE(admin.send(http::verb::post, "/v1/admin/deposits", R"({"account":"e1","amount":"100"})")
                .result_int() == 200);
    RestClient buyer(server.port, buyer_key.id, buyer_key.secret);
    RestClient seller(server.port, seller_key.id, seller_key.secret);
    const std::string bid =
        R"({"client_order_id":"b1","chip":"H100","origin":"beijing","qty":"2","price":"3"})";
    REQUIRE(buyer.send(http::verb::post, "/v1/orders", bid).result_int() == 201);
    REQUIRE(seller
                .send(http::verb::post, "/v1/orders",
                      R"({"client_order_id":"a1","chip":"H100","region":"zhongwei",)"
                      R"("qty":"1","price":"9"})")
                .result_int() == 201);

    // The kill switch: the open bid ends, its hold comes back, nothing new is placed.
    const Response halted =
        admin.send(http::verb::post, "/v1/admin/accounts/e1/status", R"({"status":"halted"})");
    INFO(halted.body());
    REQUIRE(halted.result_int() == 200);
    CHECK(halted.body() == R"({"account":"e1","status":"halted","canceled":["b1"],"count":1})");
    SchemaSet schemas(CPX_SCHEMAS_DIR);
    CHECK(schemas.check("rest.schema.json#/$defs/AccountStatusAnswer", halted.body()) == "");
    const Response refused = buyer.send(
        http::verb::post, "/v1/orders",
        R"({"client_order_id":"b2","chip":"H100","origin":"beijing","qty":"1","price":"3"})");
    CHECK(refused.result_int() == 403);
    CHECK(json_field(refused.body(), "code") == "account_halted");
    const Response account = buyer.send(http::verb::get, "/v1/account");
    CHECK(account.result_int() == 200);
    CHECK(json_field(account.body(), "balance") == "100");
    CHECK(json_field(account.body(), "held") == "0");
    CHECK(json_field(buyer.send(http::verb::get, "/v1/orders/b1").body(), "status") == "canceled");
    // Lifted: it trades again.
    REQUIRE(admin.send(http::verb::post, "/v1/admin/accounts/e1/status", R"({"status":"active"})")
                .result_int() == 200);
    CHECK(buyer
              .send(http::verb::post, "/v1/orders",
                    R"({"client_order_id":"b3","chip":"H100","origin":"beijing",)"
                    R"("qty":"1","price":"3"})")
              .result_int() == 201);

    // A suspension: the provider's ask ends, and every key of it is refused.
    const Response suspended =
        admin.send(http::verb::post, "/v1/admin/accounts/p1/status", R"({"status":"suspended"})");
    CHECK(json_field(suspended.body(), "count") == "1");
    const Response locked = seller.send(http::verb::get, "/v1/account");
    CHECK(locked.result_int() == 403);
    CHECK(json_field(locked.body(), "code") == "account_suspended");
    WsClient session(server.port, seller_key.id, seller_key.secret);
    CHECK(session.read().find("account_suspended") != std::string::npos);

    // What is wrong is named; only operators may, and not on operators.
    const Response unknown_field = admin.send(http::verb::post, "/v1/admin/accounts/e1/status",
                                              R"({"status":"halted","why":"x"})");
    CHECK(unknown_field.result_int() == 400);
    CHECK(json_field(unknown_field.body(), "message") == "unknown field why");
    CHECK(json_field(
              admin.send(http::verb::post, "/v1/admin/accounts/e1/status", R"({"status":"paused"})")
                  .body(),
              "message") == "status must be active, halted or suspended");
    CHECK(admin.send(http::verb::post, "/v1/admin/accounts/nobody/status", R"({"status":"halted"})")
              .result_int() == 404);
    CHECK(
        admin.send(http::verb::post, "/v1/admin/accounts/operator/status", R"({"status":"halted"})")
            .result_int() == 403);
    CHECK(buyer.send(http::verb::post, "/v1/admin/accounts/p1/status", R"({"status":"active"})")
              .result_int() == 403);
    const Response state = admin.send(http::verb::get, "/v1/admin/state");
    hash = json_field(state.body(), "state_hash");
    CHECK(server.stop() == 0);
  }
  RunningServer again({"--journal", journal});
  RestClient admin(again.port, operator_key, operator_secret);
  CHECK(json_field(admin.send(http::verb::get, "/v1/admin/state").body(), "state_hash") == hash);
  std::filesystem::remove_all(journal);
}

}  // namespace cpx::test
