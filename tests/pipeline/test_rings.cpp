// The pipeline's rings: order, bounds and back-pressure, and many threads at once (also run
// under ThreadSanitizer by scripts/test.sh).
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cpx/pipeline/doorbell.hpp"
#include "cpx/pipeline/message_ring.hpp"
#include "cpx/pipeline/mpsc_ring.hpp"
#include "cpx/pipeline/spsc_ring.hpp"

namespace cpx::pipeline {
namespace {

constexpr uint64_t items_per_producer = 200'000;

double thread_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

TEST_CASE_TEMPLATE("a ring keeps order and refuses a push when full", Ring, MpscRing<uint64_t>,
                   SpscRing<uint64_t>) {
  Ring ring(6);  // rounds up to 8
  REQUIRE(ring.capacity() == 8);
  uint64_t out = 0;
  CHECK_FALSE(ring.try_pop(out));
  for (uint64_t i = 0; i < 8; ++i) CHECK(ring.try_push(i));
  CHECK_FALSE(ring.try_push(99));  // full: back-pressure, nothing overwritten
  for (uint64_t i = 0; i < 8; ++i) {
    REQUIRE(ring.try_pop(out));
    CHECK(out == i);
  }
  CHECK_FALSE(ring.try_pop(out));
  // Wrapping around many times keeps working.
  for (uint64_t i = 0; i < 1000; ++i) {
    REQUIRE(ring.try_push(i));
    REQUIRE(ring.try_pop(out));
    CHECK(out == i);
  }
}

TEST_CASE("many producers into one consumer: every item exactly once, each producer in order") {
  constexpr int producers = 3;
  MpscRing<uint64_t> ring(1024);
  Doorbell bell;
  std::vector<std::thread> threads;
  uint64_t refused = 0;
  std::atomic<uint64_t> refused_total{0};
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      uint64_t local_refused = 0;
      for (uint64_t i = 0; i < items_per_producer; ++i) {
        while (!ring.try_push((uint64_t(p) << 32) | i)) {
          ++local_refused;  // full: the real gateway answers 503 here; the test retries
          std::this_thread::yield();
        }
        bell.ring();
      }
      refused_total += local_refused;
    });
  }
  std::vector<uint64_t> next(producers, 0);
  uint64_t received = 0;
  bool in_order = true;
  while (received < producers * items_per_producer) {
    uint64_t item = 0;
    bell.wait_for([&] { return ring.try_pop(item); });
    const int p = int(item >> 32);
    in_order &= (item & 0xffffffff) == next[p];
    ++next[p];
    ++received;
  }
  for (std::thread& t : threads) t.join();
  refused = refused_total;
  CHECK(in_order);
  for (int p = 0; p < producers; ++p) CHECK(next[p] == items_per_producer);
  uint64_t extra = 0;
  CHECK_FALSE(ring.try_pop(extra));
  MESSAGE("pushes refused while full: " << refused);
}

TEST_CASE("one producer to one consumer across threads keeps every item in order") {
  SpscRing<uint64_t> ring(256);
  Doorbell bell;
  constexpr uint64_t count = 1'000'000;
  std::thread producer([&] {
    for (uint64_t i = 0; i < count; ++i) {
      while (!ring.try_push(i)) std::this_thread::yield();
      bell.ring();
    }
  });
  bool in_order = true;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t item = 0;
    bell.wait_for([&] { return ring.try_pop(item); });
    in_order &= item == i;
  }
  producer.join();
  CHECK(in_order);
  CHECK(ring.size() == 0);
}

TEST_CASE("items written and read in place keep their order and their slots until released") {
  SpscRing<uint64_t> ring(4);
  // Back-pressure: four claims published, the fifth refused until the consumer releases one.
  for (uint64_t i = 0; i < 4; ++i) {
    uint64_t* slot = ring.claim();
    REQUIRE(slot != nullptr);
    *slot = 100 + i;
    ring.publish();
  }
  CHECK(ring.claim() == nullptr);
  const uint64_t* first = ring.front();
  REQUIRE(first != nullptr);
  CHECK(*first == 100);
  CHECK(ring.claim() == nullptr);  // still held: front() does not free the slot
  ring.release();
  REQUIRE(ring.claim() != nullptr);
  // A claimed slot is not seen by the consumer until it is published.
  for (uint64_t i = 1; i < 4; ++i) {
    REQUIRE(ring.front() != nullptr);
    CHECK(*ring.front() == 100 + i);
    ring.release();
  }
  CHECK(ring.front() == nullptr);

  // Across threads: 1,000,000 items written into their slots, each read where it lies.
  constexpr uint64_t count = 1'000'000;
  Doorbell items;
  Doorbell space;
  std::thread producer([&] {
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t* slot = nullptr;
      space.wait_for([&] { return (slot = ring.claim()) != nullptr; });
      *slot = i;
      ring.publish();
      items.ring();
    }
  });
  bool in_order = true;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t* item = nullptr;
    items.wait_for([&] { return (item = ring.front()) != nullptr; });
    in_order &= *item == i;
    ring.release();
    space.ring();
  }
  producer.join();
  CHECK(in_order);
  CHECK(ring.size() == 0);
}

TEST_CASE("a waiting consumer sleeps instead of spinning, and wakes when an item arrives") {
  MpscRing<uint64_t> ring(8);
  Doorbell bell;
  double consumer_cpu = 0;
  uint64_t item = 0;
  const auto start = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    const double before = thread_cpu_seconds();
    bell.wait_for([&] { return ring.try_pop(item); });
    consumer_cpu = thread_cpu_seconds() - before;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(ring.try_push(42));
  bell.ring();
  consumer.join();
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(item == 42);
  CHECK(waited >= 0.3);
  CHECK(consumer_cpu < 0.1);  // a spinning wait would have burnt about 0.3 s of CPU
}

namespace {

std::span<const unsigned char> bytes_of(const std::string& text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

std::string text_of(std::span<const unsigned char> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Message i: its number, then i % 300 filler bytes derived from i, so every length from 0 up
// occurs and a torn or shifted message shows.
std::string message_number(uint64_t i) {
  std::string text = std::to_string(i) + ":";
  for (uint64_t k = 0; k < i % 300; ++k) text.push_back(char('a' + (i + k) % 26));
  return text;
}

}  // namespace

TEST_CASE("a message ring keeps messages whole and in order across the wrap") {
  MessageRing ring(4096);
  REQUIRE(ring.capacity_bytes() == 4096);
  CHECK(ring.peek().data() == nullptr);
  uint64_t written = 0;
  uint64_t read = 0;
  for (int round = 0; round < 200; ++round) {
    while (ring.try_write(bytes_of(message_number(written)))) ++written;
    // Refused only when nearly full: less room than this message plus the padding a message
    // needs when it would straddle the end (each under 8 + 8 + 300 + 8 bytes).
    CHECK(ring.used_bytes() > 4096 - 2 * (8 + 8 + 300 + 8));
    for (int k = 0; k < 3; ++k) {
      auto message = ring.peek();
      REQUIRE(message.data() != nullptr);
      CHECK(text_of(message) == message_number(read));
      ring.pop(message.size());
      ++read;
    }
  }
  for (auto message = ring.peek(); message.data() != nullptr; message = ring.peek()) {
    CHECK(text_of(message) == message_number(read));
    ring.pop(message.size());
    ++read;
  }
  CHECK(read == written);
  CHECK(ring.used_bytes() == 0);
}

TEST_CASE("a message ring gathers parts and refuses messages over its limit") {
  MessageRing ring(4096);
  const std::string head = "head:";
  const std::string body = "body";
  const std::span<const unsigned char> parts[] = {bytes_of(head), {}, bytes_of(body)};
  REQUIRE(ring.try_write(parts));
  CHECK(text_of(ring.peek()) == "head:body");
  ring.pop(9);
  CHECK_FALSE(ring.try_write(bytes_of(std::string(ring.message_bytes_max() + 1, 'x'))));
  CHECK(ring.try_write(bytes_of(std::string(ring.message_bytes_max(), 'x'))));
}

TEST_CASE("a message ring passes a million messages between two threads intact") {
  MessageRing ring(1 << 16);
  constexpr uint64_t count = 1'000'000;
  std::thread producer([&] {
    for (uint64_t i = 0; i < count; ++i) {
      const std::string text = message_number(i);
      while (!ring.try_write(bytes_of(text))) std::this_thread::yield();
    }
  });
  uint64_t mismatches = 0;
  for (uint64_t i = 0; i < count;) {
    auto message = ring.peek();
    if (message.data() == nullptr) {
      std::this_thread::yield();
      continue;
    }
    if (text_of(message) != message_number(i)) ++mismatches;
    ring.pop(message.size());
    ++i;
  }
  producer.join();
  CHECK(mismatches == 0);
  CHECK(ring.peek().data() == nullptr);
}

}  // namespace cpx::pipeline
