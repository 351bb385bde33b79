// The schemas in schemas/ describe what the real server says: every answer of a scenario over
// REST and WebSocket is checked against them, and the checker is shown to refuse bad ones.
#include <doctest/doctest.h>

#include <algorithm>

#include "client.hpp"
#include "json_schema.hpp"

namespace cpx::test {
namespace {

const std::string rest = "rest.schema.json#/$defs/";
const std::string ws = "ws.schema.json#/$defs/";

struct Checked {
  SchemaSet schemas{CPX_SCHEMAS_DIR};
  int count = 0;
  void expect(const std::string& reference, const std::string& json) {
    INFO(reference);
    CHECK(schemas.check(reference, json) == "");
    ++count;
  }
};

}  // namespace

TEST_CASE("the checker refuses what the schemas do not allow") {
  SchemaSet schemas(CPX_SCHEMAS_DIR);
  CHECK(schemas.check(rest + "Error", R"({"error":{"code":"x","message":"y"}})") == "");
  CHECK(schemas.check(rest + "Error", R"({"error":{"code":"x"}})").find("missing message") !=
        std::string::npos);
  CHECK(schemas.check(rest + "Level", R"({"price":"1.50","qty":"1","orders":1})") != "");
  CHECK(schemas.check(rest + "Level", R"({"price":"1.5","qty":"1","orders":1,"x":2})") != "");
  CHECK(schemas.check(ws + "ServerMessage", R"({"type":"heartbeat","channel":"book:H100"})") != "");
  CHECK(schemas.check(ws + "ClientMessage",
                      R"({"op":"cancel","req_id":1,"client_order_id":"bad id"})") != "");
}

TEST_CASE("the server's real answers validate against schemas/") {
  RunningServer server;
  RestClient admin(server.port, operator_key, operator_secret);
  Checked c;

  Response r = admin.send(http::verb::post, "/v1/admin/accounts",
                          R"({"account":"acme","role":"enterprise"})");
  c.expect(rest + "CreateAccountAnswer", r.body());
  const std::string ent_key = json_field(r.body(), "key_id");
  const std::string ent_secret = json_field(r.body(), "secret");
  r = admin.send(http::verb::post, "/v1/admin/accounts", R"({"account":"dc","role":"provider"})");
  const std::string prov_key = json_field(r.body(), "key_id");
  const std::string prov_secret = json_field(r.body(), "secret");
  c.expect(rest + "KeyAnswer", admin.send(http::verb::post, "/v1/admin/accounts/acme/keys").body());
  c.expect(
      rest + "DepositAnswer",
      admin.send(http::verb::post, "/v1/admin/deposits", R"({"account":"acme","amount":"500.25"})")
          .body());
  c.expect(rest + "Error", admin
                               .send(http::verb::post, "/v1/admin/accounts",
                                     R"({"account":"acme","role":"enterprise"})")
                               .body());

  WsClient watcher(server.port);
  const std::string subscribe =
      R"({"op":"subscribe","req_id":1,"channels":["book:H100","trades:H100"]})";
  c.expect(ws + "ClientMessage", subscribe);
  watcher.send(subscribe);
  WsClient provider(server.port);
  const std::string login = login_message(prov_key, prov_secret);
  c.expect(ws + "ClientMessage", login);
  provider.send(login);
  c.expect(ws + "ServerMessage", provider.read());
  const std::string ask =
      R"({"op":"new","req_id":"a-1","client_order_id":"a1","chip":"H100","qty":"3","price":"2",)"
      R"("region":"guian","green_pct":70})";
  c.expect(ws + "ClientMessage", ask);
  provider.send(ask);
  const std::string amend = R"({"op":"amend","req_id":2,"client_order_id":"a1","qty":"5"})";
  c.expect(ws + "ClientMessage", amend);
  provider.send(amend);
  provider.send(
      R"({"op":"new","req_id":3,"client_order_id":"a2","chip":"H100","qty":"x","price":"2",)"
      R"("region":"guian"})");
  provider.send(
      R"({"op":"new","req_id":4,"client_order_id":"a3","chip":"H100","qty":"1","price":"9",)"
      R"("region":"guian"})");
  const std::string cancel = R"({"op":"cancel","req_id":5,"client_order_id":"a3"})";
  c.expect(ws + "ClientMessage", cancel);
  provider.send(cancel);

  RestClient acme(server.port, ent_key, ent_secret);
  const std::string order =
      R"({"client_order_id":"b1","chip":"H100","qty":"4","price":"2.5","origin":"guian",)"
      R"("max_latency_ms":30,"urgency":"urgent"})";
  c.expect(rest + "OrderRequest", order);
  c.expect(rest + "OrderAnswer", acme.send(http::verb::post, "/v1/orders", order).body());
  c.expect(
      rest + "OrderAnswer",
      acme.send(http::verb::post, "/v1/orders",
                R"({"client_order_id":"b2","chip":"H100","qty":"1","price":"1","origin":"guian"})")
          .body());
  c.expect(rest + "AmendRequest", R"({"price":"1.5"})");
  c.expect(rest + "OrderAnswer",
           acme.send(http::verb::patch, "/v1/orders/b2", R"({"price":"1.5"})").body());
  c.expect(rest + "OrderAnswer", acme.send(http::verb::get, "/v1/orders/b1").body());
  c.expect(rest + "OrderAnswer", acme.send(http::verb::delete_, "/v1/orders/b2").body());
  c.expect(rest + "OrderList", acme.send(http::verb::get, "/v1/orders?status=all&limit=1").body());
  c.expect(rest + "FillList", acme.send(http::verb::get, "/v1/fills").body());
  c.expect(rest + "MassCancel", acme.send(http::verb::delete_, "/v1/orders?chip=A100").body());
  c.expect(rest + "Account", acme.send(http::verb::get, "/v1/account").body());
  c.expect(rest + "Error", acme.send(http::verb::get, "/v1/orders/nope").body());
  c.expect(rest + "Error", acme.send(http::verb::post, "/v1/orders", "[]").body());
  c.expect(rest + "Book", acme.send(http::verb::get, "/v1/markets/H100/book?depth=5").body());
  c.expect(rest + "Trades", acme.send(http::verb::get, "/v1/markets/H100/trades").body());
  c.expect(rest + "Time", acme.send(http::verb::get, "/v1/time").body());
  c.expect(rest + "Health", acme.send(http::verb::get, "/healthz").body());
  c.expect(rest + "Error", RestClient(server.port).send(http::verb::get, "/v1/account").body());

  // Everything the two WebSocket clients were sent: answers, pushes, snapshots, deltas, and a
  // heartbeat (the watcher waits for one).
  int provider_messages = 0;
  for (std::string m; !(m = provider.read(std::chrono::milliseconds(300))).empty();) {
    c.expect(ws + "ServerMessage", m);
    ++provider_messages;
  }
  CHECK(provider_messages >= 7);  // 4 answers to new/amend + 1 cancel, trade and done pushes
  bool heartbeat = false;
  for (std::string m; !heartbeat && !(m = watcher.read(std::chrono::milliseconds(2500))).empty();) {
    c.expect(ws + "ServerMessage", m);
    heartbeat = m.starts_with(R"({"type":"heartbeat")");
  }
  CHECK(heartbeat);
  MESSAGE(c.count << " messages checked against the schemas");
}

TEST_CASE("batch mode carries several messages per frame, one JSON object per line, none lost") {
  RunningServer server;
  RestClient admin(server.port, operator_key, operator_secret);
  const Response created =
      admin.send(http::verb::post, "/v1/admin/accounts", R"({"account":"dc","role":"provider"})");
  WsClient provider(server.port, json_field(created.body(), "key_id"),
                    json_field(created.body(), "secret"), 0, "/v1/ws?batch=1");
  constexpr int orders = 3000;
  for (int i = 0; i < orders; ++i) {
    provider.send(R"({"op":"new","req_id":)" + std::to_string(i) + R"(,"client_order_id":"a)" +
                  std::to_string(i) + R"(","chip":"H20","qty":"1","price":"3","region":"guian"})");
  }
  Checked c;
  std::vector<int> answered(orders, 0);
  int frames = 0;
  int lines = 0;
  while (lines < orders + 1) {  // the login's answer, then one per order
    const std::string frame = provider.read();
    REQUIRE(!frame.empty());
    ++frames;
    for (std::size_t start = 0; start < frame.size();) {
      std::size_t end = frame.find('\n', start);
      if (end == std::string::npos) end = frame.size();
      const std::string line = frame.substr(start, end - start);
      start = end + 1;
      ++lines;
      if (c.count < 200) c.expect(ws + "ServerMessage", line);
      const std::string id = json_field(line, "req_id");
      if (id != "null") ++answered.at(std::size_t(std::stoi(id)));
    }
  }
  CHECK(std::count(answered.begin(), answered.end(), 1) == orders);  // each exactly once
  MESSAGE(lines << " messages in " << frames << " frames");
  CHECK(frames < lines);
}

// Every line of every frame read until `count` lines have come (or a read times out).
std::vector<std::string> read_lines(WsClient& client, std::size_t count) {
  std::vector<std::string> lines;
  while (lines.size() < count) {
    const std::string frame = client.read();
    if (frame.empty()) break;
    for (std::size_t start = 0; start < frame.size();) {
      std::size_t end = frame.find('\n', start);
      if (end == std::string::npos) end = frame.size();
      lines.push_back(frame.substr(start, end - start));
      start = end + 1;
    }
  }
  return lines;
}

TEST_CASE("batch mode takes several requests per frame, one per line, each answered once") {
  RunningServer server;
  RestClient admin(server.port, operator_key, operator_secret);
  const Response created =
      admin.send(http::verb::post, "/v1/admin/accounts", R"({"account":"dc","role":"provider"})");
  const std::string key = json_field(created.body(), "key_id");
  const std::string secret = json_field(created.body(), "secret");
  // A login, then requests, all in the first frame: the requests wait for the login's answer.
  WsClient provider(server.port, "", "", 0, "/v1/ws?batch=1");
  const std::string stamp = std::to_string(now_ms());
  const std::string signature =
      auth::hmac_sha256_hex(secret, auth::signing_payload(stamp, "GET", "/v1/ws", ""));
  std::string frame = R"({"op":"login","req_id":"in","key":")" + key + R"(","timestamp":)" + stamp +
                      R"(,"signature":")" + signature + "\"}";
  constexpr int orders = 500;
  for (int i = 0; i < orders; ++i) {
    frame += "\n" + std::string(R"({"op":"new","req_id":)") + std::to_string(i) +
             R"(,"client_order_id":"b)" + std::to_string(i) +
             R"(","chip":"H20","qty":"1","price":"3","region":"guian"})";
  }
  frame += "\n\nnot json\n" + std::string(R"({"op":"cancel","req_id":"c","client_order_id":"b7"})");
  provider.send(frame);
  Checked c;
  // The login, every order, the malformed line, the cancel's answer and its push.
  const std::vector<std::string> lines = read_lines(provider, orders + 4);
  REQUIRE(lines.size() >= std::size_t(orders + 4));
  CHECK(lines[0].starts_with(R"({"type":"logged_in")"));
  std::vector<int> answered(orders, 0);
  int bad = 0;
  int canceled = 0;
  for (const std::string& line : lines) {
    if (c.count < 100) c.expect(ws + "ServerMessage", line);
    const std::string id = json_field(line, "req_id");
    if (line.starts_with(R"({"type":"accepted")")) ++answered.at(std::size_t(std::stoi(id)));
    if (line.starts_with(R"({"type":"rejected")") && id == "null") ++bad;  // "not json"
    if (line.starts_with(R"({"type":"done")") && id == "c") ++canceled;
  }
  CHECK(std::count(answered.begin(), answered.end(), 1) == orders);  // each exactly once, in order
  CHECK(bad == 1);  // the empty line is skipped, the malformed one rejected, the rest go on
  CHECK_MESSAGE(canceled == 1, lines.back());
  // Without batch mode a frame is one request: two lines are not JSON.
  WsClient plain(server.port, key, secret);
  plain.send(R"({"op":"cancel","req_id":1,"client_order_id":"b8"})"
             "\n"
             R"({"op":"cancel","req_id":2,"client_order_id":"b9"})");
  CHECK(plain.read().starts_with(R"({"type":"logged_in")"));
  const std::string answer = plain.read();
  CHECK_MESSAGE(answer.find(R"("reason":"bad_request")") != std::string::npos, answer);
}

}  // namespace cpx::test
