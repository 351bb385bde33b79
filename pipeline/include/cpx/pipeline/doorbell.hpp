// How a consumer waits for a ring without burning a core: spin briefly (work usually arrives
// within microseconds under load), then sleep in the kernel until a producer rings. On this
// 2-core machine a consumer that spun forever would take a core from the I/O threads.
#pragma once

#include <atomic>
#include <cstdint>

namespace cpx::pipeline {

class Doorbell {
 public:
  // Producers: after publishing an item.
  void ring() {
    rings_.fetch_add(1, std::memory_order_release);
    rings_.notify_one();
  }

  // Consumer: calls try_take() until it returns true, spinning spin_count times, then sleeping
  // until a ring. try_take is retried after reading the counter, so no ring is lost between a
  // failed try and the sleep.
  template <class TryTake>
  void wait_for(TryTake&& try_take, int spin_count = 2000) {
    for (int i = 0; i < spin_count; ++i) {
      if (try_take()) return;
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    for (;;) {
      const uint32_t seen = rings_.load(std::memory_order_acquire);
      if (try_take()) return;
      rings_.wait(seen, std::memory_order_acquire);
    }
  }

 private:
  std::atomic<uint32_t> rings_{0};
};

}  // namespace cpx::pipeline
