#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cpx/engine/command.hpp"
#include "cpx/engine/order_keys.hpp"

namespace cpx::test {

TEST_CASE("numeric and textual client order ids are told apart exactly") {
  OrderKeys keys(16);
  const uint32_t seven = keys.insert(0, "7", 7, 0);
  CHECK(keys.find(0, "7", 7) == seven);
  CHECK(keys.find(0, "07", not_a_number) == index_none);  // not canonical: a different id
  CHECK(keys.find(1, "7", 7) == index_none);              // another account
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
  CHECK(keys[huge].book == 1);
  // Many ids in order, across pages, each found again.
  for (uint64_t i = 1; i <= 100000; ++i) keys.insert(3, std::to_string(i), i, 0);
  for (uint64_t i = 1; i <= 100000; i += 997) {
    CHECK(keys.client_order_id(keys.find(3, std::to_string(i), i)).view() == std::to_string(i));
  }
  CHECK(keys.find(3, "100001", 100001) == index_none);
  CHECK(keys.size() == 100001);
}

TEST_CASE(
    "a probe answers as find does, and inserting through it records the id where find looks") {
  // Ids of every kind a new order may bring: numbers in order (the direct index), numbers far
  // beyond an account's bound (the hash table), numbers that fall below the bound only after it
  // grew (in the hash table, then probed where the direct index would take them), numbers on
  // pages never touched, and text; several accounts, repeats of ids already taken.
  OrderKeys keys(16);
  std::map<std::pair<uint32_t, std::string>, uint32_t> taken;
  std::mt19937_64 random(5);
  uint64_t next_number[3] = {1, 1, 1};
  std::vector<std::pair<uint32_t, std::string>> history;  // every id taken, in order
  auto one = [&](uint32_t account, const std::string& id) {
    const uint64_t number = client_order_number_of(id);
    const OrderKeys::Probe probe = keys.probe(account, id, number);
    REQUIRE(probe.key == keys.find(account, id, number));
    const auto it = taken.find({account, id});
    if (it != taken.end()) {
      REQUIRE(probe.key == it->second);
      return;
    }
    REQUIRE(probe.key == index_none);
    const uint32_t key = keys.insert(probe, account, id, number, uint16_t(account));
    taken.emplace(std::make_pair(account, id), key);
    history.emplace_back(account, id);
    REQUIRE(keys.find(account, id, number) == key);
    REQUIRE(keys.client_order_id(key).view() == id);
    REQUIRE(keys[key].account == account);
  };
  for (int step = 0; step < 60'000; ++step) {
    const uint32_t account = uint32_t(random() % 3);
    switch (random() % 6) {
      case 0:
      case 1:
        one(account, std::to_string(next_number[account]++));
        break;
      case 2:  // far beyond the bound now, within it after enough accepted orders
        one(account, std::to_string(next_number[account] + 70'000 + random() % 2'000'000));
        break;
      case 3:  // huge
        one(account, std::to_string(1'000'000'000'000ULL + random() % 1000));
        break;
      case 4:
        one(account, "t" + std::to_string(random() % 5000));
        break;
      default:  // an id taken before (perhaps into the hash table, now under the bound), or near
        if (random() % 2 == 0 && !history.empty()) {
          const auto& [who, id] = history[random() % history.size()];
          one(who, id);
        } else {
          one(account, std::to_string(1 + random() % (next_number[account] + 100)));
        }
        break;
    }
  }
  CHECK(taken.size() > 40'000);
  CHECK(keys.hashed_count() > 1'000);  // the hash table took part
  for (const auto& [who, key] : taken) {
    CHECK(keys.find(who.first, who.second, client_order_number_of(who.second)) == key);
  }
}

TEST_CASE("textual ids survive the hash table growing") {
  OrderKeys keys(4);
  for (int i = 0; i < 5000; ++i)
    keys.insert(uint32_t(i % 7), "id-" + std::to_string(i), not_a_number, 0);
  for (int i = 0; i < 5000; ++i) {
    const uint32_t key = keys.find(uint32_t(i % 7), "id-" + std::to_string(i), not_a_number);
    REQUIRE(key != index_none);
    CHECK(keys[key].account == uint32_t(i % 7));
  }
  CHECK(keys.find(0, "id-1", not_a_number) == index_none);  // id-1 belongs to account 1
}

TEST_CASE("the hash table grows a step at a time, and finds every id while it does") {
  OrderKeys keys(16);
  const uint64_t slots_at_start = keys.table_slots();
  std::vector<std::string> ids;
  std::vector<uint32_t> placed;
  int growths = 0;
  bool was_growing = false;
  std::size_t started_at = 0;
  std::size_t longest = 0;  // inserts the longest growth took
  for (int i = 0; i < 150'000; ++i) {
    ids.push_back("w" + std::to_string(i));
    placed.push_back(keys.insert(uint32_t(i % 3), ids.back(), not_a_number, 0));
    const bool growing = keys.growing();
    if (growing && !was_growing) {
      ++growths;
      started_at = ids.size();
    }
    if (!growing && was_growing) longest = std::max(longest, ids.size() - started_at + 1);
    // Just after a growth starts and halfway through it, every id is found, and a new one not.
    if (growing &&
        (ids.size() == started_at || ids.size() - started_at == keys.table_slots() / 64)) {
      for (std::size_t k = 0; k < ids.size(); ++k) {
        REQUIRE(keys.find(uint32_t(k % 3), ids[k], not_a_number) == placed[k]);
      }
      CHECK(keys.find(0, "never", not_a_number) == index_none);
    }
    was_growing = growing;
  }
  CHECK(growths >= 8);
  CHECK(keys.table_slots() == 524'288);
  CHECK(slots_at_start == 32);
  // The last growth, from 262,144 slots, moved 16 slots an insert over 16,384 inserts.
  CHECK(longest == 262'144 / 16);
  CHECK(keys.hashed_count() == 150'000);
  // A restart sizes the table once for what it will load, with nothing left to move.
  keys.reserve(1'000'000);
  CHECK_FALSE(keys.growing());
  CHECK(keys.table_slots() == 4'194'304);
  for (std::size_t k = 0; k < ids.size(); k += 101) {
    CHECK(keys.find(uint32_t(k % 3), ids[k], not_a_number) == placed[k]);
  }
}

}  // namespace cpx::test
