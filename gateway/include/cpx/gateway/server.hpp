// cpx-server's network side: an Asio io_context on the I/O threads, a listener, and one
// session per connection (see listener.cpp, http_session.cpp).
#pragma once

#include <cstdint>
#include <memory>

#include "cpx/engine/config.hpp"
#include "cpx/gateway/settings.hpp"

namespace cpx::gateway {

inline constexpr std::size_t request_body_bytes_max = 64 * 1024;

class Server {
 public:
  Server(const Settings& settings, Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port actually bound (when the settings asked for 0).
  uint16_t port() const;
  // Serves on the I/O threads until stop() (or SIGINT/SIGTERM), then returns.
  void run();
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cpx::gateway
