#include <doctest/doctest.h>

#include "cpx/engine/command.hpp"
#include "cpx/engine/order_keys.hpp"

namespace cpx::test {

TEST_CASE("numeric and textual client order ids are told apart exactly") {
  OrderKeys keys(16);
  const uint32_t seven = keys.insert(0, "7", 7, 0);
  CHECK(keys.find(0, "7", 7) == seven);
  CHECK(keys.find(0, "07", not_a_number) == index_none);  // not canonical: a different id
  CHECK(keys.find(1, "7", 7) == index_none);   // another account
  const uint32_t padded = keys.insert(0, "07", not_a_number, 0);
  CHECK(keys.find(0, "07", not_a_number) == padded);
  CHECK(keys.find(0, "7", 7) == seven);
  CHECK(keys.client_order_id(padded).view() == "07");
}

TEST_CASE("a numeric id far beyond the direct index is still found, and memory stays bounded") {
  OrderKeys keys(16);
  const uint32_t huge = keys.insert(3, "999999999999999999", 999999999999999999ULL, 1);
  CHECK(keys.find(3, "999999999999999999", 999999999999999999ULL) == huge);
  CHECK(keys.find(3, "999999999999999998", 999999999999999998ULL) == index_none);
  CHECK(keys[huge].chip == 1);
  // Many ids in order, across pages, each found again.
  for (uint64_t i = 1; i <= 100000; ++i) keys.insert(3, std::to_string(i), i, 0);
  for (uint64_t i = 1; i <= 100000; i += 997) {
    CHECK(keys.client_order_id(keys.find(3, std::to_string(i), i)).view() == std::to_string(i));
  }
  CHECK(keys.find(3, "100001", 100001) == index_none);
  CHECK(keys.size() == 100001);
}

TEST_CASE("textual ids survive the hash table growing") {
  OrderKeys keys(4);
  for (int i = 0; i < 5000; ++i) keys.insert(uint32_t(i % 7), "id-" + std::to_string(i), not_a_number, 0);
  for (int i = 0; i < 5000; ++i) {
    const uint32_t key = keys.find(uint32_t(i % 7), "id-" + std::to_string(i), not_a_number);
    REQUIRE(key != index_none);
    CHECK(keys[key].account == uint32_t(i % 7));
  }
  CHECK(keys.find(0, "id-1", not_a_number) == index_none);  // id-1 belongs to account 1
}

}  // namespace cpx::test
