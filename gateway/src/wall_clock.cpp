#include "wall_clock.hpp"

#include <chrono>

namespace cpx::gateway {

void WallClock::tick() {
  Request request;
  request.kind = RequestKind::tick;
  request.now_ms = wall_clock_ms();
  Command command;
  command.op = Op::tick;
  command.time_ms = request.now_ms;
  command.shape_reason = Reason::none;
  request.command = CommandEnvelope::wrap(command);
  if (core_.inbound.try_push(request)) core_.doorbell.ring();
}

void WallClock::start() {
  tick();
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) tick();
  });
}

void WallClock::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cpx::gateway
