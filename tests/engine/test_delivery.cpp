// One test per rule of docs/delivery.md, run against both the engine and the reference matcher.
#include <doctest/doctest.h>

#include "cpx/base/utc_hour.hpp"
#include "harness.hpp"

namespace cpx::test {
namespace {

// 2026-12-03T10:00Z, and the clock a little after it.
constexpr int64_t ten = 1'796'292'000'000;
constexpr int64_t hour = 3'600'000;

std::string tick(int64_t ms) {
  return R"({"op":"tick","time_ms":)" + std::to_string(ms) + "}";
}

std::string bid(std::string_view id, std::string_view qty, std::string_view price,
                std::string_view extra = "", std::string_view account = "e1") {
  return std::string(R"({"op":"new","side":"bid","account":")") + std::string(account) +
         R"(","client_order_id":")" + std::string(id) + R"(","chip":"H100","qty":")" +
         std::string(qty) + R"(","price":")" + std::string(price) + R"(","origin":"beijing")" +
         std::string(extra) + "}";
}

// An ask of provider p1 at its site g1 unless `extra` says otherwise.
std::string ask(std::string_view id, std::string_view qty, std::string_view price,
                std::string_view extra = R"(,"site":"g1")", std::string_view account = "p1") {
  return std::string(R"({"op":"new","side":"ask","account":")") + std::string(account) +
         R"(","client_order_id":")" + std::string(id) + R"(","qty":")" + std::string(qty) +
         R"(","price":")" + std::string(price) + "\"" + std::string(extra) + "}";
}

std::string site(std::string_view fields, std::string_view account = "p1") {
  return std::string(R"({"op":"site","account":")") + std::string(account) + "\"," +
         std::string(fields) + "}";
}

std::string reason_of(const std::string& event) {
  const std::size_t at = event.find("\"reason\":\"");
  if (at == std::string::npos) return "<none>";
  return event.substr(at + 10, event.find('"', at + 10) - at - 10);
}

// Accounts e1, e2 (funded), p1 (with collateral), p2, operator op; p1's site g1 (H100 in qingyang,
// 100 PFLOPS, 80 % green); the clock at 10:20 on 2026-12-03.
template <class H>
void set_up(H& h) {
  for (const char* line : {R"({"op":"account","account":"e1","role":"enterprise"})",
                           R"({"op":"account","account":"e2","role":"enterprise"})",
                           R"({"op":"account","account":"p1","role":"provider"})",
                           R"({"op":"account","account":"p2","role":"provider"})",
                           R"({"op":"account","account":"op","role":"operator"})",
                           R"({"op":"deposit","account":"e1","amount":"1000000"})",
                           R"({"op":"deposit","account":"e2","amount":"1000000"})",
                           R"({"op":"collateral","account":"p1","amount":"100000"})"}) {
    REQUIRE(h.one(line).find("\"ok\"") != std::string::npos);
  }
  REQUIRE(h.one(site(R"("site":"g1","chip":"H100","region":"qingyang","capacity_pflops":"100",)"
                     R"("green_pct":80)"))
              .find("\"ok\"") != std::string::npos);
  REQUIRE(h.one(tick(ten + 20 * 60'000)).find("\"ok\"") != std::string::npos);
}

}  // namespace

#define ENGINES cpx::Engine, cpx::test::ReferenceEngine

TEST_CASE("UTC hours read and write as 2026-12-03T10:00Z") {
  CHECK(parse_utc_hour("2026-12-03T10:00Z") == ten);
  CHECK(parse_utc_hour("2026-12-03T10:00:00Z") == ten);
  CHECK(format_utc_hour(ten) == "2026-12-03T10:00Z");
  CHECK(format_utc_hour(ten + hour - 1) == "2026-12-03T10:00Z");
  CHECK(parse_utc_hour("2028-02-29T23:00Z") == parse_utc_hour("2028-03-01T00:00Z").value() - hour);
  CHECK(format_utc_hour(*parse_utc_hour("2028-02-29T23:00Z")) == "2028-02-29T23:00Z");
  for (const char* bad :
       {"2026-12-03T10:30Z", "2026-12-03T24:00Z", "2027-02-29T10:00Z", "2026-13-01T10:00Z",
        "2026-12-03 10:00Z", "2026-12-03T10:00", "1969-12-31T23:00Z", "2026-12-03T10:00:01Z", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_utc_hour(bad).has_value());
  }
}

TEST_CASE_TEMPLATE("before the clock's first tick no delivery hour is open", E, ENGINES) {
  Harness<E> h;
  REQUIRE(h.one(R"({"op":"account","account":"e1","role":"enterprise"})").find("ok") !=
          std::string::npos);
  REQUIRE(h.one(R"({"op":"deposit","account":"e1","amount":"100"})").find("ok") !=
          std::string::npos);
  CHECK(reason_of(h.one(bid("b1", "1", "1", R"(,"delivery":"2026-12-03T10:00Z")"))) ==
        "delivery_not_open");
  // Without a tick and without a delivery, a market means what docs/matching.md says.
  CHECK(h.one(bid("b2", "1", "1")).find("accepted") != std::string::npos);
}

TEST_CASE_TEMPLATE("a delivery is an hour's start, as text or ms, within the horizon", E, ENGINES) {
  Harness<E> h;
  set_up(h);
  CHECK(reason_of(h.one(bid("b1", "1", "1", R"(,"delivery":"2026-12-03T10:30Z")"))) ==
        "bad_delivery");
  CHECK(reason_of(h.one(bid("b2", "1", "1", R"(,"delivery":1796292000001)"))) == "bad_delivery");
  CHECK(reason_of(h.one(bid("b3", "1", "1", R"(,"delivery":"tomorrow")"))) == "bad_delivery");
  CHECK(reason_of(h.one(bid("b4", "1", "1", R"(,"delivery":"2026-12-03T09:00Z")"))) ==
        "delivery_closed");
  const std::string last = std::to_string(ten + 168 * hour);
  CHECK(h.one(bid("b5", "1", "1", R"(,"delivery":)" + last)).find("accepted") != std::string::npos);
  const std::string beyond = std::to_string(ten + 169 * hour);
  CHECK(reason_of(h.one(bid("b6", "1", "1", R"(,"delivery":)" + beyond))) == "delivery_not_open");
  // The same hour as text and as ms is one market: they trade.
  CHECK(h.one(bid("b7", "2", "10", R"(,"delivery":"2026-12-03T12:00Z")")).find("accepted") !=
        std::string::npos);
  const auto events = h.run(ask("a1", "2", "9", R"(,"site":"g1","delivery":1796299200000)"));
  REQUIRE(events.size() == 4);
  CHECK(events[1] ==
        R"({"seq":18,"type":"trade","trade_id":1,"chip":"H100","delivery":"2026-12-03T12:00Z",)"
        R"("site":"g1","region":"qingyang","price":"10","qty":"2","aggressor":"ask",)"
        R"("bid":{"account":"e1","client_order_id":"b7"},"ask":{"account":"p1",)"
        R"("client_order_id":"a1"}})");
}

TEST_CASE_TEMPLATE("orders of different delivery hours never match", E, ENGINES) {
  Harness<E> h;
  set_up(h);
  REQUIRE(h.run(bid("b1", "5", "20", R"(,"delivery":"2026-12-03T11:00Z")")).size() == 1);
  const auto events = h.run(ask("a1", "5", "10", R"(,"site":"g1","delivery":"2026-12-03T12:00Z")"));
  CHECK(events.size() == 1);  // accepted, resting
}

TEST_CASE_TEMPLATE("an order without delivery trades for the current hour once the clock runs", E,
                   ENGINES) {
  Harness<E> h;
  set_up(h);
  REQUIRE(h.run(ask("a1", "5", "10")).size() == 1);
  const auto events = h.run(bid("b1", "5", "10", R"(,"delivery":"2026-12-03T10:00Z")"));
  REQUIRE(events.size() == 4);
  CHECK(events[1].find(R"("delivery":"2026-12-03T10:00Z")") != std::string::npos);
}

TEST_CASE_TEMPLATE("at a gate's close the hour's resting orders expire in time order", E, ENGINES) {
  Harness<E> h;
  set_up(h);
  REQUIRE(h.run(bid("b1", "5", "10")).size() == 1);
  REQUIRE(h.run(ask("a1", "5", "30")).size() == 1);
  REQUIRE(h.run(bid("b2", "5", "10", R"(,"delivery":"2026-12-03T11:00Z")")).size() == 1);
  CHECK(h.run(tick(ten + 59 * 60'000)).size() == 1);  // the same hour: nothing closes
  const auto events = h.run(tick(ten + hour));
  REQUIRE(events.size() == 3);
  CHECK(events[0] == R"({"seq":15,"type":"ok"})");
  CHECK(events[1] ==
        R"({"seq":15,"type":"done","account":"e1","client_order_id":"b1","reason":"expired"})");
  CHECK(events[2] ==
        R"({"seq":15,"type":"done","account":"p1","client_order_id":"a1","reason":"expired"})");
  // b1's hold went back: e1 can bid its whole balance less b2's hold.
  CHECK(h.one(bid("b3", "1", "999950")).find("accepted") != std::string::npos);
  CHECK(reason_of(h.one(R"({"op":"cancel","account":"e1","client_order_id":"b1"})")) ==
        "unknown_order");
}

TEST_CASE_TEMPLATE("the clock never runs back and a tick needs its time", E, ENGINES) {
  Harness<E> h;
  set_up(h);
  CHECK(reason_of(h.one(tick(ten))) == "bad_time");
  CHECK(reason_of(h.one(R"({"op":"tick","time_ms":"now"})")) == "bad_time");
  CHECK(reason_of(h.one(R"({"op":"tick"})")) == "bad_request");
  CHECK(h.one(tick(ten + 20 * 60'000)) == R"({"seq":14,"type":"ok"})");  // the same time again
}

TEST_CASE_TEMPLATE("an hourly ask names a site of its own provider, which gives it its region", E,
                   ENGINES) {
  Harness<E> h;
  set_up(h);
  CHECK(reason_of(h.one(ask("a1", "1", "1", R"(,"chip":"H100","region":"qingyang")"))) ==
        "unknown_site");
  CHECK(reason_of(h.one(ask("a2", "1", "1", R"(,"site":"nowhere")"))) == "unknown_site");
  CHECK(reason_of(h.one(ask("a3", "1", "1", R"(,"site":"g1")", "p2"))) == "unknown_site");
  CHECK(reason_of(h.one(ask("a4", "1", "1", R"(,"site":"g1","chip":"A100")"))) == "site_mismatch");
  CHECK(reason_of(h.one(ask("a5", "1", "1", R"(,"site":"g1","region":"beijing")"))) ==
        "site_mismatch");
  CHECK(reason_of(h.one(ask("a6", "1", "1", R"(,"site":"g1","green_pct":50)"))) == "site_mismatch");
  CHECK(h.one(ask("a7", "1", "1",
                  R"(,"site":"g1","chip":"H100","region":"qingyang",)"
                  R"("green_pct":80)"))
            .find("accepted") != std::string::npos);
  // The site's green share counts for eligibility: a floor of 90 % does not trade with it.
  CHECK(h.run(bid("b1", "1", "5", R"(,"min_green_pct":90)")).size() == 1);
  CHECK(h.run(bid("b2", "1", "5", R"(,"min_green_pct":80)")).size() == 4);
}

TEST_CASE_TEMPLATE("an hourly green profile gives each hour its own share", E, ENGINES) {
  Harness<E> h;
  set_up(h);
  std::string profile = R"("green_profile":[)";
  for (int h24 = 0; h24 < 24; ++h24)
    profile += (h24 ? "," : "") + std::string(h24 == 12 ? "95" : "10");
  REQUIRE(h.one(site(R"("site":"sun","chip":"H100","region":"zhongwei","capacity_pflops":"10",)" +
                     profile + "]"))
              .find("ok") != std::string::npos);
  const std::string noon = R"(,"site":"sun","delivery":"2026-12-03T12:00Z")";
  const std::string one_pm = R"(,"site":"sun","delivery":"2026-12-03T13:00Z")";
  REQUIRE(h.run(ask("a1", "1", "1", noon)).size() == 1);
  REQUIRE(h.run(ask("a2", "1", "1", one_pm)).size() == 1);
  const std::string floor = R"(,"min_green_pct":90,"delivery":"2026-12-03T)";
  CHECK(h.run(bid("b1", "1", "5", floor + R"(13:00Z")")).size() == 1);  // 10 % at 13:00
  CHECK(h.run(bid("b2", "1", "5", floor + R"(12:00Z")")).size() == 4);  // 95 % at noon
  CHECK(reason_of(h.one(site(R"("site":"bad","chip":"H100","region":"zhongwei",)"
                             R"("capacity_pflops":"1","green_profile":[1,2])"))) == "bad_green");
}

TEST_CASE_TEMPLATE("sold plus open asks never exceed a site's capacity for an hour", E, ENGINES) {
  Harness<E> h;
  set_up(h);
  REQUIRE(h.run(ask("a1", "60", "10")).size() == 1);
  CHECK(reason_of(h.one(ask("a2", "40.001", "10"))) == "over_capacity");
  CHECK(h.run(ask("a3", "40", "11")).size() == 1);
  // Another hour has its own capacity.
  CHECK(h.run(ask("a4", "100", "10", R"(,"site":"g1","delivery":"2026-12-03T11:00Z")")).size() ==
        1);
  // A fill moves quantity from offered to sold: the hour stays full.
  REQUIRE(h.run(bid("b1", "30", "10")).size() == 3);
  CHECK(reason_of(h.one(ask("a5", "1", "10"))) == "over_capacity");
  CHECK(reason_of(h.one(R"({"op":"amend","account":"p1","client_order_id":"a3","qty":"41"})")) ==
        "over_capacity");
  // A cancel gives its open quantity back.
  REQUIRE(h.run(R"({"op":"cancel","account":"p1","client_order_id":"a3"})").size() == 1);
  CHECK(h.run(ask("a6", "40", "12")).size() == 1);
  CHECK(reason_of(h.one(ask("a7", "0.001", "12"))) == "over_capacity");
  // IOC remainders give theirs back at once.
  REQUIRE(h.run(R"({"op":"cancel","account":"p1","client_order_id":"a6"})").size() == 1);
  CHECK(h.run(ask("a8", "40", "12", R"(,"site":"g1","tif":"IOC")")).size() == 2);
  CHECK(h.run(ask("a9", "40", "12")).size() == 1);
}

TEST_CASE_TEMPLATE("lowering capacity: refused below sold, youngest asks give way above", E,
                   ENGINES) {
  Harness<E> h;
  set_up(h);
  REQUIRE(h.run(ask("a1", "30", "10")).size() == 1);
  REQUIRE(h.run(bid("b1", "30", "10")).size() == 4);  // 30 sold
  REQUIRE(h.run(ask("a2", "20", "11")).size() == 1);
  REQUIRE(h.run(ask("a3", "20", "12")).size() == 1);
  REQUIRE(h.run(ask("a4", "20", "13")).size() == 1);  // 30 sold + 60 offered
  CHECK(reason_of(h.one(site(R"("site":"g1","capacity_pflops":"29.999")"))) == "below_sold");
  const auto events = h.run(site(R"("site":"g1","capacity_pflops":"55")"));
  REQUIRE(events.size() == 3);
  CHECK(events[0] == R"({"seq":17,"type":"ok"})");
  CHECK(events[1] ==
        R"({"seq":17,"type":"done","account":"p1","client_order_id":"a4","reason":"canceled"})");
  CHECK(events[2] == R"({"seq":17,"type":"amended","account":"p1","client_order_id":"a3",)"
                     R"("qty":"5","price":"12"})");
  CHECK(reason_of(h.one(ask("a5", "0.001", "10"))) == "over_capacity");
  CHECK(reason_of(h.one(site(R"("site":"g1","region":"beijing")"))) == "site_mismatch");
  CHECK(h.one(site(R"("site":"g1","capacity_pflops":"56")")) == R"({"seq":20,"type":"ok"})");
  CHECK(h.run(ask("a6", "1", "10")).size() == 1);
}

TEST_CASE_TEMPLATE("operators suspend and resume sites; providers retire theirs for good", E,
                   ENGINES) {
  Harness<E> h;
  set_up(h);
  REQUIRE(h.run(ask("a1", "10", "10")).size() == 1);
  REQUIRE(h.run(ask("a2", "10", "10", R"(,"site":"g1","delivery":"2026-12-03T11:00Z")")).size() ==
          1);
  CHECK(reason_of(h.one(site(R"("site":"g1","status":"suspended")"))) == "role_mismatch");
  CHECK(reason_of(h.one(site(R"("site":"g1","status":"retired")", "op"))) == "role_mismatch");
  CHECK(reason_of(h.one(site(R"("site":"zz","status":"suspended")", "op"))) == "unknown_site");
  const auto suspended = h.run(site(R"("site":"g1","status":"suspended")", "op"));
  REQUIRE(suspended.size() == 3);
  CHECK(suspended[1] ==
        R"({"seq":16,"type":"done","account":"p1","client_order_id":"a1","reason":"canceled"})");
  CHECK(suspended[2].find("\"a2\"") != std::string::npos);
  CHECK(reason_of(h.one(ask("a3", "1", "10"))) == "site_inactive");
  CHECK(reason_of(h.one(site(R"("site":"g1","capacity_pflops":"5")"))) == "site_inactive");
  CHECK(h.one(site(R"("site":"g1","status":"active")", "op")) == R"({"seq":19,"type":"ok"})");
  REQUIRE(h.run(ask("a4", "1", "10")).size() == 1);
  const auto retired = h.run(site(R"("site":"g1","status":"retired")"));
  REQUIRE(retired.size() == 2);
  CHECK(reason_of(retired[1]) == "canceled");
  CHECK(reason_of(h.one(site(R"("site":"g1","status":"active")", "op"))) == "site_inactive");
  CHECK(reason_of(h.one(ask("a5", "1", "10"))) == "site_inactive");
}

TEST_CASE_TEMPLATE("site declarations: who may, what they need, what they check", E, ENGINES) {
  Harness<E> h;
  set_up(h);
  CHECK(reason_of(h.one(site(R"("site":"g1","chip":"H100","region":"qingyang",)"
                             R"("capacity_pflops":"5")",
                             "p2"))) == "duplicate_site");
  CHECK(reason_of(h.one(site(R"("site":"x","chip":"H100","region":"qingyang",)"
                             R"("capacity_pflops":"5")",
                             "e1"))) == "role_mismatch");
  CHECK(reason_of(h.one(site(R"("site":"x","chip":"H100","region":"qingyang")"))) == "bad_request");
  CHECK(reason_of(h.one(site(R"("chip":"H100","region":"qingyang","capacity_pflops":"5")"))) ==
        "bad_request");
  CHECK(reason_of(h.one(site(R"("site":"x","chip":"Z9","region":"qingyang",)"
                             R"("capacity_pflops":"5")"))) == "unknown_chip");
  CHECK(reason_of(h.one(site(R"("site":"x","chip":"H100","region":"mars",)"
                             R"("capacity_pflops":"5")"))) == "unknown_region");
  CHECK(reason_of(h.one(site(R"("site":"x","chip":"H100","region":"qingyang",)"
                             R"("capacity_pflops":"0.0001")"))) == "bad_capacity");
  CHECK(reason_of(h.one(site(R"("site":"x","chip":"H100","region":"qingyang",)"
                             R"("capacity_pflops":"5","green_pct":101)"))) == "bad_green");
  CHECK(reason_of(h.one(site(R"("site":"x","chip":"H100","region":"qingyang",)"
                             R"("capacity_pflops":"5","status":"paused")"))) == "bad_request");
  CHECK(h.one(site(R"("site":"x","chip":"H100","region":"qingyang","capacity_pflops":"5")", "p2"))
            .find("ok") != std::string::npos);
}

// p1 sells 5 at 10 from g1 for 2026-12-03T12:00Z to e1: trade 1, a contract.
template <class H>
void contract_of_noon(H& h) {
  set_up(h);
  REQUIRE(h.run(ask("a1", "5", "10", R"(,"site":"g1","delivery":"2026-12-03T12:00Z")")).size() ==
          1);
  REQUIRE(h.run(bid("b1", "5", "12", R"(,"delivery":"2026-12-03T12:00Z")")).size() == 4);
}

std::string report(std::string_view qty, std::string_view account = "p1") {
  return std::string(R"({"op":"delivery","account":")") + std::string(account) +
         R"(","trade_id":1,"qty":")" + std::string(qty) + "\"}";
}

TEST_CASE_TEMPLATE("a contract delivers from its hour's start and settles after its window", E,
                   ENGINES) {
  Harness<E> h;
  contract_of_noon(h);
  CHECK(reason_of(h.one(report("5"))) == "contract_state");  // not delivering before noon
  const auto noon = h.run(tick(ten + 2 * hour));
  REQUIRE(noon.size() == 2);
  CHECK(noon[1] == R"({"seq":14,"type":"contract","trade_id":1,"status":"delivering"})");
  CHECK(reason_of(h.one(report("5", "p2"))) == "unknown_contract");
  CHECK(reason_of(h.one(report("5.001"))) == "bad_qty");
  CHECK(h.one(report("5")) ==
        R"({"seq":17,"type":"contract","trade_id":1,"status":"reported","delivered":"5"})");
  // Corrected before the deadline (13:00 + 2 h); the window runs from the last report.
  CHECK(h.one(report("4")) ==
        R"({"seq":18,"type":"contract","trade_id":1,"status":"reported","delivered":"4"})");
  CHECK(reason_of(h.one(R"({"op":"dispute","account":"e2","trade_id":1})")) == "unknown_contract");
  // Reported at 12:00: the window is open until 12:00 the next day.
  CHECK(h.run(tick(ten + 26 * hour - 1)).size() == 1);
  const auto settled = h.run(tick(ten + 26 * hour));
  REQUIRE(settled.size() == 2);
  // 4 of 5 delivered at 10: 40 paid, 10 back to the buyer, and 10 % of the ask's 10 on the
  // undelivered 1 from the provider to the buyer.
  CHECK(settled[1] == R"({"seq":21,"type":"contract","trade_id":1,"status":"settled",)"
                      R"("delivered":"4","paid":"40","refunded":"10","penalty":"1"})");
  CHECK(reason_of(h.one(report("5"))) == "contract_state");
}

TEST_CASE_TEMPLATE("no report by the deadline counts as nothing delivered", E, ENGINES) {
  Harness<E> h;
  contract_of_noon(h);
  CHECK(h.run(tick(ten + 4 * hour)).size() == 2);  // 14:00: delivering, the deadline is 15:00
  const auto events = h.run(tick(ten + 5 * hour));
  REQUIRE(events.size() == 2);
  CHECK(events[1] == R"({"seq":14,"type":"contract","trade_id":1,"status":"settled",)"
                     R"("delivered":"0","paid":"0","refunded":"50","penalty":"5"})");
  CHECK(reason_of(h.one(report("5"))) == "contract_state");
}

TEST_CASE_TEMPLATE("a disputed report waits for an operator's resolution", E, ENGINES) {
  Harness<E> h;
  contract_of_noon(h);
  REQUIRE(h.run(tick(ten + 2 * hour)).size() == 2);
  CHECK(reason_of(h.one(R"({"op":"dispute","account":"e1","trade_id":1})")) ==
        "contract_state");  // nothing reported yet
  REQUIRE(h.run(report("5")).size() == 1);
  CHECK(reason_of(h.one(R"({"op":"resolve","account":"op","trade_id":1,"qty":"3"})")) ==
        "contract_state");  // not disputed
  CHECK(h.one(R"({"op":"dispute","account":"e1","trade_id":1})") ==
        R"({"seq":17,"type":"contract","trade_id":1,"status":"disputed"})");
  CHECK(reason_of(h.one(report("5"))) == "contract_state");
  CHECK(h.run(tick(ten + 60 * hour)).size() == 1);  // no settlement while disputed
  CHECK(reason_of(h.one(R"({"op":"resolve","account":"p1","trade_id":1,"qty":"3"})")) ==
        "role_mismatch");
  CHECK(reason_of(h.one(R"({"op":"resolve","account":"op","trade_id":9,"qty":"3"})")) ==
        "unknown_contract");
  CHECK(h.one(R"({"op":"resolve","account":"op","trade_id":1,"qty":"3"})") ==
        R"({"seq":22,"type":"contract","trade_id":1,"status":"settled","delivered":"3",)"
        R"("paid":"30","refunded":"20","penalty":"2"})");
}

TEST_CASE_TEMPLATE("a dispute comes within its window of the report", E, ENGINES) {
  Harness<E> h;
  contract_of_noon(h);
  REQUIRE(h.run(tick(ten + 2 * hour)).size() == 2);
  REQUIRE(h.run(report("5")).size() == 1);
  // Reported at 12:00; the window closes 24 h later: settled at that tick, disputes too late.
  CHECK(h.run(tick(ten + 26 * hour)).size() == 2);
  CHECK(reason_of(h.one(R"({"op":"dispute","account":"e1","trade_id":1})")) == "contract_state");
}

TEST_CASE_TEMPLATE("a provider's collateral covers the penalty of its hourly asks", E, ENGINES) {
  Harness<E> h;
  set_up(h);
  REQUIRE(
      h.one(site(R"("site":"q2","chip":"H100","region":"qingyang","capacity_pflops":"500")", "p2"))
          .find("ok") != std::string::npos);
  const std::string at_q2 = R"(,"site":"q2")";
  CHECK(reason_of(h.one(ask("x1", "1", "10", at_q2, "p2"))) == "insufficient_collateral");
  CHECK(reason_of(h.one(R"({"op":"collateral","account":"e1","amount":"5"})")) == "role_mismatch");
  CHECK(reason_of(h.one(R"({"op":"collateral","account":"p2","amount":"-5"})")) == "bad_amount");
  REQUIRE(h.one(R"({"op":"collateral","account":"p2","amount":"100"})").find("ok") !=
          std::string::npos);
  // 100 CNY covers 10 % of 1000 CNY of asks.
  CHECK(h.run(ask("x2", "60", "10", at_q2, "p2")).size() == 1);
  CHECK(reason_of(h.one(ask("x3", "40.001", "10", at_q2, "p2"))) == "insufficient_collateral");
  CHECK(h.run(ask("x4", "40", "10", at_q2, "p2")).size() == 1);
  CHECK(reason_of(h.one(R"({"op":"amend","account":"p2","client_order_id":"x4","price":"11"})")) ==
        "insufficient_collateral");
  // A cancel frees its collateral; a trade keeps it, for the contract.
  REQUIRE(h.run(R"({"op":"cancel","account":"p2","client_order_id":"x4"})").size() == 1);
  REQUIRE(h.run(bid("b1", "60", "10")).size() == 4);
  CHECK(h.run(ask("x5", "40", "10", at_q2, "p2")).size() == 1);
  CHECK(reason_of(h.one(ask("x6", "0.01", "10", at_q2, "p2"))) == "insufficient_collateral");
}

TEST_CASE("money is conserved through contracts: deposits = available + held + escrow + spent") {
  Harness<Engine> h;
  contract_of_noon(h);
  const Engine& engine = h.engine();
  const Account& buyer = engine.account(*engine.find_account("e1"));
  const Account& seller = engine.account(*engine.find_account("p1"));
  const int128 deposit = int128(1'000'000) * 10'000'000;
  const int128 collateral = int128(100'000) * 10'000'000;
  CHECK(engine.escrow_e7() == int128(50) * 10'000'000);
  CHECK(buyer.balance_e7 + engine.escrow_e7() == deposit);  // the hold became escrow
  CHECK(buyer.held_e7 == 0);
  CHECK(seller.balance_e7 == collateral);           // not paid before delivery
  CHECK(seller.held_e7 == int128(5) * 10'000'000);  // the contract's penalty, reserved
  h.run(tick(ten + 2 * hour));
  h.run(report("4.5"));
  h.run(tick(ten + 40 * hour));
  CHECK(engine.escrow_e7() == 0);
  CHECK(seller.held_e7 == 0);
  CHECK(seller.balance_e7 == collateral + int128(45) * 10'000'000 - int128(5) * 1'000'000);
  CHECK(buyer.balance_e7 == deposit - int128(45) * 10'000'000 + int128(5) * 1'000'000);
  CHECK(buyer.balance_e7 + seller.balance_e7 == deposit + collateral);
}

TEST_CASE("the engine's invariants hold the capacity identity after every command") {
  // The harness checks Engine::check_invariants after each command; a site use that drifted
  // from its open asks would fail it. A short hourly stream of every kind of command:
  Harness<Engine> h;
  set_up(h);
  for (int i = 0; i < 40; ++i) {
    const std::string id = std::to_string(i);
    h.run(ask("a" + id, std::to_string(1 + i % 7), std::to_string(10 + i % 3)));
    h.run(bid("b" + id, std::to_string(1 + i % 5), std::to_string(10 + i % 4)));
    if (i % 9 == 0)
      h.run(site(R"("site":"g1","capacity_pflops":")" + std::to_string(60 + i) + "\"}"));
  }
  h.run(tick(ten + 2 * hour));
  std::string why;
  CHECK(h.engine().check_invariants(why));
  CHECK(why.empty());
  REQUIRE(h.engine().find_site("g1").has_value());
  CHECK(h.engine().sites()[*h.engine().find_site("g1")].hours.empty());  // closed hours dropped
}

}  // namespace cpx::test
