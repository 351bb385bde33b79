// The server's clock with --clock wall (docs/delivery.md): a thread that hands the matcher a
// tick every second, through the inbound ring like any request, so the sequencer journals it
// and a replay sees the same ticks. The clock is the only producer of tick requests.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "io_thread.hpp"

namespace cpx::gateway {

class WallClock {
 public:
  explicit WallClock(Core& core) : core_(core) {}
  WallClock(const WallClock&) = delete;
  WallClock& operator=(const WallClock&) = delete;
  ~WallClock() { stop(); }

  // One tick now (before the first connection, so no order waits for the clock), then one
  // every second until stop().
  void start();
  void stop();

 private:
  // A tick of the wall clock's time into the inbound ring; a full ring skips it (the next one
  // comes a second later).
  void tick();

  Core& core_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace cpx::gateway
