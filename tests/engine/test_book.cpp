#include <doctest/doctest.h>

#include "harness.hpp"

namespace cpx::test {

TEST_CASE("book depth aggregates price levels across eligibility groups, best first") {
  Harness<Engine> h;
  for (const char* line :
       {R"({"op":"account","account":"p1","role":"provider"})",
        R"({"op":"account","account":"e1","role":"enterprise"})",
        R"({"op":"deposit","account":"e1","amount":"1000000"})",
        // Two asks at 10 from different regions (two groups), one at 11, one at 12.
        R"({"op":"new","side":"ask","account":"p1","client_order_id":"1","chip":"H100","qty":"2",)"
        R"("price":"10","region":"guian"})",
        R"({"op":"new","side":"ask","account":"p1","client_order_id":"2","chip":"H100","qty":"3",)"
        R"("price":"10","region":"wuhu","green_pct":50})",
        R"({"op":"new","side":"ask","account":"p1","client_order_id":"3","chip":"H100","qty":"1",)"
        R"("price":"11","region":"wuhu"})",
        R"({"op":"new","side":"ask","account":"p1","client_order_id":"4","chip":"H100","qty":"1",)"
        R"("price":"12","region":"guian"})",
        R"({"op":"new","side":"bid","account":"e1","client_order_id":"5","chip":"H100","qty":"4",)"
        R"("price":"9","origin":"beijing","max_latency_ms":5})",
        R"({"op":"new","side":"bid","account":"e1","client_order_id":"6","chip":"H100","qty":"1",)"
        R"("price":"8","origin":"shanghai"})"}) {
    h.run(line);
  }
  const Book& book = h.engine().book(0);
  const auto asks = book.depth(Side::ask, 2);
  REQUIRE(asks.size() == 2);
  CHECK(asks[0].price_ticks == 100000);
  CHECK(asks[0].qty_milli == 5000);
  CHECK(asks[0].order_count == 2);
  CHECK(asks[1].price_ticks == 110000);
  const auto bids = book.depth(Side::bid, 10);
  REQUIRE(bids.size() == 2);
  CHECK(bids[0].price_ticks == 90000);
  CHECK(bids[1].price_ticks == 80000);
  CHECK(book.resting_count() == 6);
}

}  // namespace cpx::test
