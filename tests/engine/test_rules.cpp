// One test per rule of docs/matching.md, run against both the engine and the reference matcher.
#include <doctest/doctest.h>

#include "harness.hpp"

namespace cpx::test {
namespace {

// JSON builders keep the tests readable; `extra` is appended inside the object.
std::string bid(std::string_view account, std::string_view id, std::string_view qty,
                std::string_view price, std::string_view extra = "") {
  return std::string(R"({"op":"new","side":"bid","account":")") + std::string(account) +
         R"(","client_order_id":")" + std::string(id) + R"(","chip":"H100","qty":")" +
         std::string(qty) + R"(","price":")" + std::string(price) + R"(","origin":"beijing")" +
         std::string(extra) + "}";
}

std::string ask(std::string_view account, std::string_view id, std::string_view qty,
                std::string_view price, std::string_view extra = "",
                std::string_view region = "zhangjiakou") {
  return std::string(R"({"op":"new","side":"ask","account":")") + std::string(account) +
         R"(","client_order_id":")" + std::string(id) + R"(","chip":"H100","qty":")" +
         std::string(qty) + R"(","price":")" + std::string(price) + R"(","region":")" +
         std::string(region) + "\"" + std::string(extra) + "}";
}

template <class H>
void open_accounts(H& h, std::string_view funds = "1000000") {
  for (const char* line : {R"({"op":"account","account":"e1","role":"enterprise"})",
                           R"({"op":"account","account":"e2","role":"enterprise"})",
                           R"({"op":"account","account":"p1","role":"provider"})",
                           R"({"op":"account","account":"p2","role":"provider"})",
                           R"({"op":"account","account":"au","role":"auditor"})"}) {
    REQUIRE(h.one(line).find("\"ok\"") != std::string::npos);
  }
  for (const char* account : {"e1", "e2"}) {
    REQUIRE(h.one(std::string(R"({"op":"deposit","account":")") + account + R"(","amount":")" +
                  std::string(funds) + "\"}")
                .find("\"ok\"") != std::string::npos);
  }
}

std::string reason_of(const std::string& event) {
  const std::size_t at = event.find("\"reason\":\"");
  if (at == std::string::npos) return "<none>";
  return event.substr(at + 10, event.find('"', at + 10) - at - 10);
}

bool has(const std::vector<std::string>& events, std::string_view fragment) {
  for (const std::string& event : events) {
    if (event.find(fragment) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

#define ENGINES cpx::Engine, cpx::test::ReferenceEngine

TEST_CASE_TEMPLATE("a trade happens at the resting ask's price and both sides are told", E,
                   ENGINES) {
  Harness<E> h;
  open_accounts(h);
  CHECK(h.one(ask("p1", "a1", "10", "12.5")) ==
        R"({"seq":8,"type":"accepted","account":"p1","client_order_id":"a1","order_id":8})");
  const auto events = h.run(bid("e1", "b1", "4", "13"));
  REQUIRE(events.size() == 3);
  CHECK(events[0] ==
        R"({"seq":9,"type":"accepted","account":"e1","client_order_id":"b1","order_id":9})");
  CHECK(
      events[1] ==
      R"({"seq":9,"type":"trade","trade_id":1,"chip":"H100","region":"zhangjiakou","price":"12.5",)"
      R"("qty":"4","aggressor":"bid","bid":{"account":"e1","client_order_id":"b1"},)"
      R"("ask":{"account":"p1","client_order_id":"a1"}})");
  CHECK(events[2] ==
        R"({"seq":9,"type":"done","account":"e1","client_order_id":"b1","reason":"filled"})");
}

TEST_CASE_TEMPLATE("an incoming ask trades at the resting bid's price", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(bid("e1", "b1", "2", "15"));
  const auto events = h.run(ask("p1", "a1", "5", "10"));
  REQUIRE(events.size() == 3);
  CHECK(events[1].find(R"("price":"15","qty":"2","aggressor":"ask")") != std::string::npos);
  CHECK(events[2] ==
        R"({"seq":9,"type":"done","account":"e1","client_order_id":"b1","reason":"filled"})");
}

TEST_CASE_TEMPLATE(
    "the resting order's done follows its trade at once and the incoming one comes last", E,
    ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "a1", "1", "10"));
  h.run(ask("p1", "a2", "1", "11"));
  const auto events = h.run(bid("e1", "b1", "2", "11"));
  REQUIRE(events.size() == 6);
  CHECK(events[1].find("\"trade_id\":1") != std::string::npos);
  CHECK(events[2].find("\"a1\",\"reason\":\"filled\"") != std::string::npos);
  CHECK(events[3].find("\"trade_id\":2") != std::string::npos);
  CHECK(events[4].find("\"a2\",\"reason\":\"filled\"") != std::string::npos);
  CHECK(events[5].find("\"b1\",\"reason\":\"filled\"") != std::string::npos);
}

TEST_CASE_TEMPLATE("an incoming bid takes the lowest price first, then the earliest time", E,
                   ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "late-cheap", "1", "10"));
  h.run(ask("p1", "early-dear", "1", "11"));
  h.run(ask("p2", "late-dear", "1", "11"));
  const auto events = h.run(bid("e1", "b1", "3", "11"));
  REQUIRE(events.size() == 8);
  CHECK(events[1].find("late-cheap") != std::string::npos);
  CHECK(events[3].find("early-dear") != std::string::npos);
  CHECK(events[5].find("late-dear") != std::string::npos);
}

TEST_CASE_TEMPLATE("an incoming ask takes the highest price, then the highest urgency, then time",
                   E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(bid("e1", "batch", "1", "20", R"(,"urgency":"batch")"));
  h.run(bid("e1", "standard", "1", "20"));
  h.run(bid("e2", "urgent-low", "1", "19", R"(,"urgency":"urgent")"));
  h.run(bid("e2", "urgent", "1", "20", R"(,"urgency":"urgent")"));
  h.run(bid("e2", "standard-2", "1", "20", R"(,"urgency":"standard")"));
  const auto events = h.run(ask("p1", "a1", "5", "1"));
  REQUIRE(events.size() == 12);
  CHECK(events[1].find("\"client_order_id\":\"urgent\"") != std::string::npos);
  CHECK(events[3].find("\"client_order_id\":\"standard\"") != std::string::npos);
  CHECK(events[5].find("\"client_order_id\":\"standard-2\"") != std::string::npos);
  CHECK(events[7].find("\"client_order_id\":\"batch\"") != std::string::npos);
  CHECK(events[9].find("\"client_order_id\":\"urgent-low\"") != std::string::npos);
}

TEST_CASE_TEMPLATE("orders of different chip types never match", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(R"({"op":"new","side":"ask","account":"p1","client_order_id":"a1","chip":"A100","qty":"1",)"
        R"("price":"1","region":"beijing"})");
  CHECK(h.run(bid("e1", "b1", "1", "100")).size() == 1);
}

TEST_CASE_TEMPLATE("a latency ceiling excludes asks too far from the bid's origin", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  // beijing-shenzhen is 16 ms, beijing-zhangjiakou 2 ms.
  h.run(ask("p1", "far", "1", "1", "", "shenzhen"));
  h.run(ask("p1", "near", "1", "5", "", "zhangjiakou"));
  auto events = h.run(bid("e1", "b1", "1", "10", R"(,"max_latency_ms":15)"));
  REQUIRE(events.size() == 4);
  CHECK(events[1].find("\"near\"") != std::string::npos);
  // Exactly at the ceiling is eligible.
  events = h.run(bid("e1", "b2", "1", "10", R"(,"max_latency_ms":16)"));
  REQUIRE(events.size() == 4);
  CHECK(events[1].find("\"far\"") != std::string::npos);
}

TEST_CASE_TEMPLATE("without a ceiling any region is eligible", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "far", "1", "1", "", "shenzhen"));
  CHECK(has(h.run(bid("e1", "b1", "1", "10")), "\"far\""));
}

TEST_CASE_TEMPLATE("a green floor excludes asks with a lower green share", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "grey", "1", "1", R"(,"green_pct":59)"));
  h.run(ask("p1", "green", "1", "2", R"(,"green_pct":60)"));
  const auto events = h.run(bid("e1", "b1", "2", "10", R"(,"min_green_pct":60)"));
  REQUIRE(events.size() == 3);
  CHECK(events[1].find("\"green\"") != std::string::npos);
}

TEST_CASE_TEMPLATE("a bid below the ask's price does not trade and rests", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "a1", "1", "10.0001"));
  CHECK(h.run(bid("e1", "b1", "1", "10")).size() == 1);
  CHECK(h.one(R"({"op":"cancel","account":"e1","client_order_id":"b1"})") ==
        R"({"seq":10,"type":"done","account":"e1","client_order_id":"b1","reason":"canceled"})");
}

TEST_CASE_TEMPLATE("priority ignores region and green share: the cheapest eligible ask wins", E,
                   ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "near-green-dear", "1", "9", R"(,"green_pct":100)", "beijing"));
  h.run(ask("p1", "far-cheap", "1", "8", "", "zhongwei"));
  CHECK(h.run(bid("e1", "b1", "1", "10"))[1].find("far-cheap") != std::string::npos);
}

TEST_CASE_TEMPLATE("IOC trades what it can and expires the rest", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "a1", "1", "10"));
  const auto events = h.run(bid("e1", "b1", "3", "10", R"(,"tif":"IOC")"));
  REQUIRE(events.size() == 4);
  CHECK(events[3] ==
        R"({"seq":9,"type":"done","account":"e1","client_order_id":"b1","reason":"expired"})");
  CHECK(reason_of(h.one(R"({"op":"cancel","account":"e1","client_order_id":"b1"})")) ==
        "unknown_order");
}

TEST_CASE_TEMPLATE("FOK trades nothing and is killed when it cannot fill whole", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "a1", "1", "10"));
  h.run(ask("p1", "a2", "1", "12"));
  auto events = h.run(bid("e1", "b1", "2", "11", R"(,"tif":"FOK")"));
  REQUIRE(events.size() == 2);
  CHECK(reason_of(events[1]) == "killed");
  events = h.run(bid("e1", "b2", "2", "12", R"(,"tif":"FOK")"));
  REQUIRE(events.size() == 6);
  CHECK(reason_of(events[5]) == "filled");
}

TEST_CASE_TEMPLATE("an FOK ask counts only eligible bids", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(bid("e1", "b1", "1", "10", R"(,"min_green_pct":90)"));
  h.run(bid("e1", "b2", "1", "10"));
  auto events = h.run(ask("p1", "a1", "2", "10", R"(,"tif":"FOK","green_pct":50)"));
  REQUIRE(events.size() == 2);
  CHECK(reason_of(events[1]) == "killed");
}

TEST_CASE_TEMPLATE("the client order id of an ended order can never be used again", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(bid("e1", "b1", "1", "10"));
  h.run(R"({"op":"cancel","account":"e1","client_order_id":"b1"})");
  CHECK(h.one(bid("e1", "b1", "1", "10")) ==
        R"({"seq":10,"type":"rejected","account":"e1","client_order_id":"b1",)"
        R"("reason":"duplicate_client_order_id"})");
  // Another account may use the same id.
  CHECK(h.run(bid("e2", "b1", "1", "10")).size() == 1);
}

TEST_CASE_TEMPLATE("a bid holds price times qty and is refused beyond the available balance", E,
                   ENGINES) {
  Harness<E> h;
  open_accounts(h, "100");
  CHECK(h.run(bid("e1", "b1", "6", "10")).size() == 1);  // holds 60
  CHECK(reason_of(h.one(bid("e1", "b2", "4.001", "10"))) == "insufficient_funds");
  CHECK(h.run(bid("e1", "b3", "4", "10")).size() == 1);  // exactly the 40 left
  h.run(R"({"op":"cancel","account":"e1","client_order_id":"b1"})");
  CHECK(h.run(bid("e1", "b4", "6", "10")).size() == 1);  // the cancel returned 60
}

TEST_CASE_TEMPLATE("a trade below the bid's limit returns the difference to available", E,
                   ENGINES) {
  Harness<E> h;
  open_accounts(h, "100");
  h.run(ask("p1", "a1", "10", "4"));
  CHECK(h.run(bid("e1", "b1", "10", "10")).size() == 4);  // spends 40, not 100
  CHECK(reason_of(h.one(bid("e1", "b2", "6.001", "10"))) == "insufficient_funds");
  CHECK(h.run(bid("e1", "b3", "6", "10")).size() == 1);
}

TEST_CASE_TEMPLATE("an amend that lowers the quantity keeps time priority", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "first", "5", "10"));
  h.run(ask("p1", "second", "5", "10"));
  CHECK(h.one(R"({"op":"amend","account":"p1","client_order_id":"first","qty":"2"})") ==
        R"({"seq":10,"type":"amended","account":"p1","client_order_id":"first","qty":"2",)"
        R"("price":"10"})");
  CHECK(h.run(bid("e1", "b1", "1", "10"))[1].find("\"first\"") != std::string::npos);
}

TEST_CASE_TEMPLATE("an amend that raises the quantity loses time priority", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "first", "5", "10"));
  h.run(ask("p1", "second", "5", "10"));
  h.run(R"({"op":"amend","account":"p1","client_order_id":"first","qty":"6"})");
  CHECK(h.run(bid("e1", "b1", "1", "10"))[1].find("\"second\"") != std::string::npos);
}

TEST_CASE_TEMPLATE(
    "an amend that changes the price loses priority and trades at once if it crosses", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(bid("e1", "b1", "2", "9"));
  h.run(ask("p1", "a1", "1", "10"));
  const auto events = h.run(R"({"op":"amend","account":"e1","client_order_id":"b1","price":"10"})");
  REQUIRE(events.size() == 3);
  CHECK(events[0] == R"({"seq":10,"type":"amended","account":"e1","client_order_id":"b1",)"
                     R"("qty":"2","price":"10"})");
  CHECK(events[1].find(R"("price":"10","qty":"1","aggressor":"bid")") != std::string::npos);
  CHECK(reason_of(events[2]) == "filled");  // the resting ask
}

TEST_CASE_TEMPLATE(
    "an amend whose new hold exceeds available plus the current hold changes nothing", E, ENGINES) {
  Harness<E> h;
  open_accounts(h, "100");
  h.run(bid("e1", "b1", "5", "10"));  // holds 50 of 100
  CHECK(
      reason_of(h.one(R"({"op":"amend","account":"e1","client_order_id":"b1","qty":"10.001"})")) ==
      "insufficient_funds");
  CHECK(h.run(R"({"op":"amend","account":"e1","client_order_id":"b1","qty":"10"})").size() == 1);
  CHECK(reason_of(h.one(bid("e1", "b2", "0.001", "1"))) == "insufficient_funds");
}

TEST_CASE_TEMPLATE("amend and cancel of an order that is not open are unknown_order", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "a1", "1", "10"));
  h.run(bid("e1", "b1", "1", "10"));  // fills a1 and b1
  CHECK(reason_of(h.one(R"({"op":"cancel","account":"p1","client_order_id":"a1"})")) ==
        "unknown_order");
  CHECK(reason_of(h.one(R"({"op":"amend","account":"e1","client_order_id":"b1","qty":"1"})")) ==
        "unknown_order");
  CHECK(reason_of(h.one(R"({"op":"cancel","account":"e1","client_order_id":"nope"})")) ==
        "unknown_order");
  h.run(bid("e1", "b2", "1", "1"));
  CHECK(reason_of(h.one(R"({"op":"cancel","account":"e2","client_order_id":"b2"})")) ==
        "unknown_order");
}

TEST_CASE_TEMPLATE("malformed commands are bad_request and still take a seq", E, ENGINES) {
  Harness<E> h;
  for (const char* line :
       {"not json", "[1,2]", "\"text\"", "{}", R"({"op":"fly","account":"x"})",
        R"({"op":"new","op":"new"})", R"({"op":"account","account":"x","role":"king"})",
        R"({"op":"account","role":"enterprise"})",
        R"({"op":"account","account":"bad id","role":"enterprise"})",
        R"({"op":"account","account":"x","role":"enterprise","role":"provider"})",
        R"({"op":"deposit","account":"x"})",
        R"({"op":"new","side":"buy","account":"x","client_order_id":"c","chip":"H100","qty":"1",)"
        R"("price":"1","origin":"beijing"})",
        R"({"op":"new","side":"bid","account":"x","client_order_id":"c","chip":"H100","qty":"1",)"
        R"("price":"1","region":"beijing"})",
        R"({"op":"new","side":"ask","account":"x","client_order_id":"c","chip":"H100","qty":"1",)"
        R"("price":"1","origin":"beijing"})",
        R"({"op":"new","side":"bid","account":"x","chip":"H100","qty":"1","price":"1",)"
        R"("origin":"beijing"})",
        R"({"op":"cancel","account":"x","client_order_id":""})",
        R"({"op":"amend","account":"x","client_order_id":"c"})", R"({"op":1})"}) {
    CAPTURE(line);
    CHECK(reason_of(h.one(line)) == "bad_request");
  }
  CHECK(h.one("{}").find("\"seq\":19") != std::string::npos);
}

TEST_CASE_TEMPLATE("a rejection echoes the account and client order id when they are valid ids", E,
                   ENGINES) {
  Harness<E> h;
  CHECK(h.one(R"({"op":"cancel","account":"ghost","client_order_id":"c:1"})") ==
        R"({"seq":1,"type":"rejected","account":"ghost","client_order_id":"c:1",)"
        R"("reason":"unknown_account"})");
  CHECK(h.one(R"({"op":"cancel","account":"bad id","client_order_id":"c:1"})") ==
        R"({"seq":2,"type":"rejected","client_order_id":"c:1","reason":"bad_request"})");
  CHECK(h.one(R"({"op":"cancel","account":"a","client_order_id":"c","account":"a"})") ==
        R"({"seq":3,"type":"rejected","reason":"bad_request"})");
}

TEST_CASE_TEMPLATE("checks run in the spec's order and the first failure names the reason", E,
                   ENGINES) {
  Harness<E> h;
  open_accounts(h, "1");
  const std::string bad_everything =
      R"(,"chip":"Z","origin":"nowhere","qty":"-1","price":"x","max_latency_ms":0,)"
      R"("min_green_pct":101,"tif":"GTD","urgency":"now"})";
  const std::string head = R"({"op":"new","side":"bid","client_order_id":"c1")";
  CHECK(reason_of(h.one(head + R"(,"account":"ghost")" + bad_everything)) == "unknown_account");
  CHECK(reason_of(h.one(head + R"(,"account":"p1")" + bad_everything)) == "role_mismatch");
  CHECK(reason_of(h.one(head + R"(,"account":"e1")" + bad_everything)) == "unknown_chip");
  std::string fields = R"(,"account":"e1","chip":"H100","origin":"nowhere","qty":"-1","price":"x",)"
                       R"("max_latency_ms":0,"min_green_pct":101,"tif":"GTD","urgency":"now"})";
  CHECK(reason_of(h.one(head + fields)) == "unknown_region");
  fields = R"(,"account":"e1","chip":"H100","origin":"beijing","qty":"-1","price":"x",)"
           R"("max_latency_ms":0,"min_green_pct":101,"tif":"GTD","urgency":"now"})";
  CHECK(reason_of(h.one(head + fields)) == "bad_qty");
  fields = R"(,"account":"e1","chip":"H100","origin":"beijing","qty":"1","price":"x",)"
           R"("max_latency_ms":0,"min_green_pct":101,"tif":"GTD","urgency":"now"})";
  CHECK(reason_of(h.one(head + fields)) == "bad_price");
  fields = R"(,"account":"e1","chip":"H100","origin":"beijing","qty":"1","price":"1",)"
           R"("max_latency_ms":0,"min_green_pct":101,"tif":"GTD","urgency":"now"})";
  CHECK(reason_of(h.one(head + fields)) == "bad_latency");
  fields = R"(,"account":"e1","chip":"H100","origin":"beijing","qty":"1","price":"1",)"
           R"("max_latency_ms":1000,"min_green_pct":101,"tif":"GTD","urgency":"now"})";
  CHECK(reason_of(h.one(head + fields)) == "bad_green");
  fields = R"(,"account":"e1","chip":"H100","origin":"beijing","qty":"1","price":"1",)"
           R"("min_green_pct":100,"tif":"GTD","urgency":"now"})";
  CHECK(reason_of(h.one(head + fields)) == "bad_tif");
  fields = R"(,"account":"e1","chip":"H100","origin":"beijing","qty":"1","price":"1","tif":"FOK",)"
           R"("urgency":"now"})";
  CHECK(reason_of(h.one(head + fields)) == "bad_urgency");
  h.run(bid("e1", "used", "0.001", "1"));
  CHECK(reason_of(h.one(bid("e1", "used", "1000", "1000"))) == "duplicate_client_order_id");
  CHECK(reason_of(h.one(bid("e1", "fresh", "1000", "1000"))) == "insufficient_funds");
  CHECK(reason_of(h.one(R"({"op":"deposit","account":"p1","amount":"x"})")) == "role_mismatch");
  CHECK(reason_of(h.one(R"({"op":"account","account":"e1","role":"provider"})")) ==
        "duplicate_account");
  CHECK(reason_of(h.one(R"({"op":"amend","account":"e1","client_order_id":"nope","qty":"0"})")) ==
        "bad_qty");
}

TEST_CASE_TEMPLATE("quantities, prices and amounts are exact decimals within their limits", E,
                   ENGINES) {
  Harness<E> h;
  open_accounts(h, "1000000000000");
  int n = 0;
  auto ask_with = [&](std::string_view qty_json, std::string_view price_json) {
    const std::string line = R"({"op":"new","side":"ask","account":"p1","client_order_id":"x)" +
                             std::to_string(++n) + R"(","chip":"H100","region":"beijing","qty":)" +
                             std::string(qty_json) + R"(,"price":)" + std::string(price_json) + "}";
    const auto events = h.run(line);
    return events.size() == 1 && events[0].find("accepted") != std::string::npos
               ? "ok"
               : reason_of(events[0]);
  };
  CHECK(ask_with("\"1.001\"", "\"1\"") == "ok");
  CHECK(ask_with("\"1.0001\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"0\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"0.000\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"1000000000\"", "\"1\"") == "ok");
  CHECK(ask_with("\"1000000000.001\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("7", "\"1\"") == "ok");
  CHECK(ask_with("1.5", "\"1\"") == "bad_qty");
  CHECK(ask_with("1e3", "\"1\"") == "bad_qty");
  CHECK(ask_with("-1", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"+1\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"-1\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"1e3\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\" 1\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"1.\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\".5\"", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"0001.500\"", "\"1\"") == "ok");
  CHECK(ask_with("true", "\"1\"") == "bad_qty");
  CHECK(ask_with("\"1\"", "\"0.0001\"") == "ok");
  CHECK(ask_with("\"1\"", "\"0.00001\"") == "bad_price");
  CHECK(ask_with("\"1\"", "\"1000000\"") == "ok");
  CHECK(ask_with("\"1\"", "\"1000000.0001\"") == "bad_price");
  CHECK(ask_with("\"1\"", "null") == "bad_price");
  auto deposit = [&](std::string_view amount) {
    return reason_of(
        h.one(R"({"op":"deposit","account":"e1","amount":)" + std::string(amount) + "}"));
  };
  CHECK(deposit("\"0.0000001\"") == "<none>");
  CHECK(deposit("\"0.00000001\"") == "bad_amount");
  CHECK(deposit("\"1000000000000\"") == "<none>");
  CHECK(deposit("\"1000000000000.0000001\"") == "bad_amount");
  CHECK(deposit("\"0\"") == "bad_amount");
}

TEST_CASE_TEMPLATE("decimals on the wire carry no trailing zeros", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  h.run(ask("p1", "a1", "1000.000", "12.5000"));
  const auto events = h.run(bid("e1", "b1", "0.500", "13.0"));
  CHECK(events[1].find(R"("price":"12.5","qty":"0.5")") != std::string::npos);
  CHECK(h.one(R"({"op":"amend","account":"p1","client_order_id":"a1","price":"12.0000"})")
            .find(R"("qty":"999.5","price":"12")") != std::string::npos);
}

TEST_CASE_TEMPLATE("latency and green fields must be JSON integers in range", E, ENGINES) {
  Harness<E> h;
  open_accounts(h);
  CHECK(reason_of(h.one(bid("e1", "l1", "1", "1", R"(,"max_latency_ms":"5")"))) == "bad_latency");
  CHECK(reason_of(h.one(bid("e1", "l2", "1", "1", R"(,"max_latency_ms":5.0)"))) == "bad_latency");
  CHECK(reason_of(h.one(bid("e1", "l3", "1", "1", R"(,"max_latency_ms":1001)"))) == "bad_latency");
  CHECK(reason_of(h.one(bid("e1", "g1", "1", "1", R"(,"min_green_pct":-1)"))) == "bad_green");
  CHECK(reason_of(h.one(ask("p1", "g2", "1", "1", R"(,"green_pct":"50")"))) == "bad_green");
  // Fields a command does not use are ignored: an ask's urgency, a bid's region.
  CHECK(h.run(ask("p1", "g3", "1", "100", R"(,"urgency":"now","max_latency_ms":"x")")).size() == 1);
}

}  // namespace cpx::test
