// Order-entry safety through the real cpx-server (docs/api.md): operators' kill switch and
// suspension (a halted account's orders end and it places nothing until lifted, a suspended one
// is refused every key; money stays where it is; a restart from the journal keeps both), and
// WebSocket sessions whose orders are cancelled when they disconnect.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "client.hpp"
#include "json_schema.hpp"

namespace cpx::test {
namespace {

// The order's status once it is no longer open (the cancels of a disconnect are the matcher's
// work after the close), waiting up to 3 s; "open" if it still is.
std::string status_once_ended(RestClient& rest, const std::string& client_order_id) {
  std::string status;
  for (int i = 0; i < 300; ++i) {
    status =
        json_field(rest.send(http::verb::get, "/v1/orders/" + client_order_id).body(), "status");
    if (status != "open") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status;
}

}  // namespace

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

TEST_CASE("a cancel-on-disconnect session's open orders end when it closes, and only those") {
  const std::string journal =
      (std::filesystem::temp_directory_path() / ("cpx-cod-" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(journal);
  std::string hash;
  {
    RunningServer server({"--journal", journal});
    RestClient admin(server.port, operator_key, operator_secret);
    const Key key = create_account(admin, "p1", "provider");
    RestClient rest(server.port, key.id, key.secret);
    const auto ask = [](const std::string& id, const std::string& req) {
      return R"({"op":"new","req_id":)" + req + R"(,"client_order_id":")" + id +
             R"(","chip":"H100","region":"zhongwei","qty":"1","price":"9"})";
    };
    {
      WsClient guarded(server.port);
      guarded.send(login_message(key.id, key.secret).insert(1, R"("cancel_on_disconnect":true,)"));
      REQUIRE(guarded.read().find("logged_in") != std::string::npos);
      // Another millisecond, so the second login's signature is not the first one's (the replay
      // guard would refuse it).
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      WsClient plain(server.port, key.id, key.secret);
      const std::string plain_login = plain.read();
      INFO(plain_login);
      REQUIRE(plain_login.find("logged_in") != std::string::npos);
      guarded.send(ask("g1", "1"));
      CHECK(guarded.read_until("\"req_id\":1").find("accepted") != std::string::npos);
      guarded.send(ask("g2", "2"));
      CHECK(guarded.read_until("\"req_id\":2").find("accepted") != std::string::npos);
      plain.send(ask("w1", "3"));
      CHECK(plain.read_until("\"req_id\":3").find("accepted") != std::string::npos);
      REQUIRE(rest.send(http::verb::post, "/v1/orders",
                        R"({"client_order_id":"r1","chip":"H100","region":"zhongwei",)"
                        R"("qty":"1","price":"9"})")
                  .result_int() == 201);
    }
    // The guarded session's two asks end; the plain session's and the REST one stay.
    CHECK(status_once_ended(rest, "g1") == "canceled");
    CHECK(json_field(rest.send(http::verb::get, "/v1/orders/g2").body(), "status") == "canceled");
    CHECK(json_field(rest.send(http::verb::get, "/v1/orders/w1").body(), "status") == "open");
    CHECK(json_field(rest.send(http::verb::get, "/v1/orders/r1").body(), "status") == "open");
    // A login by headers asks for it in the query.
    {
      WsClient by_header(server.port, key.id, key.secret, 0, "/v1/ws?cancel_on_disconnect=1");
      REQUIRE(by_header.read().find("logged_in") != std::string::npos);
      by_header.send(ask("h1", "4"));
      CHECK(by_header.read_until("\"req_id\":4").find("accepted") != std::string::npos);
    }
    CHECK(status_once_ended(rest, "h1") == "canceled");
    WsClient bad(server.port);
    bad.send(login_message(key.id, key.secret).insert(1, R"("cancel_on_disconnect":"yes",)"));
    CHECK(bad.read().find("cancel_on_disconnect must be true or false") != std::string::npos);
    hash = json_field(admin.send(http::verb::get, "/v1/admin/state").body(), "state_hash");
    CHECK(server.stop() == 0);
  }
  // The journal holds the disconnects: a replay cancels the same orders.
  RunningServer again({"--journal", journal});
  RestClient admin(again.port, operator_key, operator_secret);
  CHECK(json_field(admin.send(http::verb::get, "/v1/admin/state").body(), "state_hash") == hash);
  std::filesystem::remove_all(journal);
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("per-account limits refuse orders beyond them with their own reasons") {
  static SchemaSet schemas{CPX_SCHEMAS_DIR};
  const std::string journal =
      (std::filesystem::temp_directory_path() / ("cpx-limits-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(journal);
  std::string hash;
  Key buyer_key;
  for (const char* every : {"0", "1", "0"}) {
    CAPTURE(every);
    RunningServer server({"--journal", journal, "--snapshot-every", every});
    RestClient admin(server.port, operator_key, operator_secret);
    if (hash.empty()) {
      buyer_key = create_account(admin, "e1", "enterprise");
      REQUIRE(
          admin.send(http::verb::post, "/v1/admin/deposits", R"({"account":"e1","amount":"1000"})")
              .result_int() == 200);
      const Response set = admin.send(http::verb::post, "/v1/admin/accounts/e1/limits",
                                      R"({"max_open_orders":2,"max_order_notional":"50"})");
      INFO(set.body());
      REQUIRE(set.result_int() == 200);
      CHECK(schemas.check("rest.schema.json#/$defs/AccountLimits", set.body()) == "");
      CHECK(json_field(set.body(), "max_order_notional") == "50");
      // Bodies that set nothing, or nonsense.
      for (const auto& [body, message] :
           {std::pair{"{}", "max_open_orders or max_order_notional is required (null: no limit)"},
            std::pair{R"({"max_open_orders":0})",
                      "max_open_orders must be an integer from 1 to 10000000, or null"},
            std::pair{R"({"max_order_notional":5})",
                      "max_order_notional must be a positive decimal string, or null"},
            std::pair{R"({"max_orders":5})", "unknown field max_orders"}}) {
        const Response refused = admin.send(http::verb::post, "/v1/admin/accounts/e1/limits", body);
        CHECK(refused.result_int() == 400);
        CHECK(json_field(refused.body(), "message") == message);
      }
      CHECK(admin
                .send(http::verb::post, "/v1/admin/accounts/nobody/limits",
                      R"({"max_open_orders":1})")
                .result_int() == 404);
    } else {
      // After a restart (from the journal, then from a snapshot): the same state.
      CHECK(json_field(admin.send(http::verb::get, "/v1/admin/state").body(), "state_hash") ==
            hash);
    }
    RestClient buyer(server.port, buyer_key.id, buyer_key.secret);
    const auto bid = [&](const std::string& id, const std::string& qty, const std::string& price) {
      return buyer.send(http::verb::post, "/v1/orders",
                        R"({"client_order_id":")" + id +
                            R"(","chip":"H100","origin":"wuhu",)"
                            R"("qty":")" +
                            qty + R"(","price":")" + price + "\"}");
    };
    const std::string round = every;
    if (round == "0" && hash.empty()) {
      CHECK(bid("b1", "10", "3").result_int() == 201);  // 30 of the 50 allowed
      const Response dear = bid("b2", "10", "6");       // 60
      CHECK(dear.result_int() == 400);
      CHECK(json_field(dear.body(), "code") == "order_notional_limit");
      CHECK(json_field(dear.body(), "message") ==
            "price x qty is over the account's limit of 50 per order");
      CHECK(bid("b2", "5", "4").result_int() == 201);
      const Response third = bid("b3", "1", "1");
      CHECK(third.result_int() == 400);
      CHECK(json_field(third.body(), "code") == "open_orders_limit");
      // An amend is held to the notional limit too; a cancel makes room.
      const Response amended = buyer.send(http::verb::patch, "/v1/orders/b1", R"({"qty":"20"})");
      CHECK(json_field(amended.body(), "code") == "order_notional_limit");
      CHECK(buyer.send(http::verb::delete_, "/v1/orders/b1").result_int() == 200);
      CHECK(bid("b3", "1", "1").result_int() == 201);
    } else {
      // The limits held across the restart: two open, a third refused.
      CHECK(json_field(bid("x" + round + std::to_string(hash.size()), "1", "1").body(), "code") ==
            "open_orders_limit");
    }
    hash = json_field(admin.send(http::verb::get, "/v1/admin/state").body(), "state_hash");
    CHECK(server.stop() == 0);
  }
  // Lifted (null): the orders go.
  RunningServer server({"--journal", journal});
  RestClient admin(server.port, operator_key, operator_secret);
  const Response lifted = admin.send(http::verb::post, "/v1/admin/accounts/e1/limits",
                                     R"({"max_open_orders":null,"max_order_notional":null})");
  CHECK(lifted.body() ==
        R"({"account":"e1","max_open_orders":null,"max_order_notional":null,"open_orders":2})");
  RestClient buyer(server.port, buyer_key.id, buyer_key.secret);
  CHECK(buyer
            .send(http::verb::post, "/v1/orders",
                  R"({"client_order_id":"big","chip":"H100","origin":"wuhu","qty":"100",)"
                  R"("price":"5"})")
            .result_int() == 201);
  CHECK(server.stop() == 0);
  std::filesystem::remove_all(journal);
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE(
    "cancel-on-disconnect orders still open when the server stops are cancelled at its start") {
  const std::string journal =
      (std::filesystem::temp_directory_path() / ("cpx-cod-stop-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(journal);
  Key key;
  {
    RunningServer server({"--journal", journal});
    RestClient admin(server.port, operator_key, operator_secret);
    key = create_account(admin, "p1", "provider");
    WsClient guarded(server.port);
    guarded.send(login_message(key.id, key.secret).insert(1, R"("cancel_on_disconnect":true,)"));
    REQUIRE(guarded.read().find("logged_in") != std::string::npos);
    guarded.send(R"({"op":"new","req_id":1,"client_order_id":"g1","chip":"H100",)"
                 R"("region":"zhongwei","qty":"1","price":"9"})");
    REQUIRE(guarded.read_until("\"req_id\":1").find("accepted") != std::string::npos);
    RestClient rest(server.port, key.id, key.secret);
    REQUIRE(rest.send(http::verb::post, "/v1/orders",
                      R"({"client_order_id":"r1","chip":"H100","region":"zhongwei",)"
                      R"("qty":"1","price":"9"})")
                .result_int() == 201);
    // The server stops while the session is still open: its close never reaches the matcher.
    CHECK(server.stop() == 0);
  }
  std::string hash;
  for (int start = 0; start < 2; ++start) {
    CAPTURE(start);
    RunningServer again({"--journal", journal});
    RestClient rest(again.port, key.id, key.secret);
    // The first start cancels it (a journaled command); the second replays that.
    CHECK(status_once_ended(rest, "g1") == "canceled");
    CHECK(json_field(rest.send(http::verb::get, "/v1/orders/r1").body(), "status") == "open");
    RestClient admin(again.port, operator_key, operator_secret);
    const std::string now =
        json_field(admin.send(http::verb::get, "/v1/admin/state").body(), "state_hash");
    if (start == 1) CHECK(now == hash);
    hash = now;
    CHECK(again.stop() == 0);
  }
  std::filesystem::remove_all(journal);
}

}  // namespace cpx::test
