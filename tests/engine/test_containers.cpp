// The arrays that grow without moving what they hold (engine/include/cpx/base/grow_array.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "cpx/base/grow_array.hpp"
#include "cpx/engine/book.hpp"

namespace cpx {

struct Item {
  uint64_t id;
  uint32_t value;
};

TEST_CASE("a GrowArray never moves its objects as it grows, and takes raw bytes whole") {
  GrowArray<Item> array(1u << 24);
  CHECK(array.empty());
  Item& first = array.emplace_back();
  CHECK(first.id == 0);  // value-initialized
  first = Item{7, 70};
  const Item* where = &array[0];
  for (uint64_t i = 1; i < 300'000; ++i) array.emplace_back() = Item{i, uint32_t(i * 3)};
  CHECK(&array[0] == where);  // no copy on growth
  CHECK(array.size() == 300'000);
  CHECK(array[0].value == 70);
  CHECK(array[299'999].value == 899'997);
  Item* raw = array.append_raw(2);
  raw[0] = Item{1, 1};
  raw[1] = Item{2, 2};
  CHECK(array.size() == 300'002);
  CHECK(array[300'001].id == 2);
  array.resize(5);
  CHECK(array.size() == 5);
  CHECK(array.capacity_max() == 1u << 24);
}

TEST_CASE("a SegmentedArray indexes, iterates and bisects like a vector, and never moves") {
  SegmentedArray<Item> array;
  std::vector<Item> expected;
  std::vector<const Item*> addresses;
  for (uint64_t i = 0; i < 100'000; ++i) {
    array.push_back(Item{i * 2, uint32_t(i)});
    expected.push_back(Item{i * 2, uint32_t(i)});
    if ((i & (i + 1)) == 0) addresses.push_back(&array[i]);  // at 0, 1, 3, 7, ...
  }
  REQUIRE(array.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK_MESSAGE(array[i].id == expected[i].id, i);
    if (array[i].id != expected[i].id) break;
  }
  for (std::size_t k = 0, i = 0; k < addresses.size(); ++k, i = 2 * i + 1) {
    CHECK(addresses[k] == &array[i]);  // nothing moved as segments were added
  }
  CHECK(std::distance(array.begin(), array.end()) == 100'000);
  uint64_t sum = 0;
  for (const Item& item : array) sum += item.value;
  CHECK(sum == 99'999ull * 100'000 / 2);
  // Bisection through the random-access iterator.
  const auto it = std::lower_bound(array.begin(), array.end(), uint64_t(777),
                                   [](const Item& item, uint64_t id) { return item.id < id; });
  CHECK(it - array.begin() == 389);  // ids are even: 778 is the first >= 777
  CHECK(it->id == 778);
  // Whole segments, in order, cover exactly the elements.
  std::size_t covered = 0;
  bool in_order = true;
  array.for_each_segment([&](const Item* first, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) in_order &= first[i].value == covered + i;
    covered += count;
  });
  CHECK(covered == 100'000);
  CHECK(in_order);
  // resize then fill through the segments (how a snapshot is read back).
  SegmentedArray<Item> loaded;
  loaded.resize(1000);
  uint32_t next = 0;
  loaded.for_each_segment([&](Item* first, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) first[i] = Item{next, next}, ++next;
  });
  CHECK(next == 1000);
  CHECK(loaded[999].value == 999);
  CHECK(loaded[16].value == 16);
}

}  // namespace cpx

namespace cpx {

TEST_CASE("the level index finds every level it holds after any mix of inserts and erases") {
  // Many levels in few price bands, so probe runs collide, wrap around the table's end and are
  // cut by erases in their middle (the backward shift must keep each reachable from its home).
  LevelIndex index;
  std::map<std::pair<uint32_t, int64_t>, uint32_t> reference;
  std::mt19937_64 random(11);
  uint32_t next_level = 0;
  for (int step = 0; step < 200'000; ++step) {
    const uint32_t group = uint32_t(random() % 4);
    const int64_t price = int64_t(random() % 3'000) - 1'500 + (random() % 2 ? int64_t(1) << 40 : 0);
    const auto key = std::make_pair(group, price);
    const auto it = reference.find(key);
    if (it == reference.end()) {
      REQUIRE(index.find(group, price) == index_none);
      if (reference.size() < 2'500 || random() % 3 == 0) {
        index.insert(group, price, next_level);
        reference.emplace(key, next_level++);
      }
    } else {
      REQUIRE(index.find(group, price) == it->second);
      if (random() % 2 == 0) {
        index.erase(group, price);
        reference.erase(it);
      }
    }
    REQUIRE(index.size() == reference.size());
  }
  CHECK(reference.size() > 1'000);
  for (const auto& [key, level] : reference) CHECK(index.find(key.first, key.second) == level);
  // Emptied again, it answers nothing.
  for (const auto& [key, level] : reference) index.erase(key.first, key.second);
  CHECK(index.size() == 0);
  for (const auto& [key, level] : reference) CHECK(index.find(key.first, key.second) == index_none);
}

}  // namespace cpx
