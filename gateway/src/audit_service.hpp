// Auditors' ledger queries (GET /v1/ledger/...): the matcher admits them (key, replay guard,
// rate limit, role) and hands them over an SPSC ring to this service's thread, which reads
// PostgreSQL on its own connection and posts the answer to the asking I/O thread. The order path
// never waits for PostgreSQL.
#pragma once

#include <atomic>
#include <memory>
#include <pqxx/connection>
#include <string>
#include <thread>
#include <vector>

#include "cpx/engine/config.hpp"
#include "cpx/gateway/venue_types.hpp"
#include "cpx/pipeline/spsc_ring.hpp"

namespace cpx::gateway {

class IoThread;

class AuditService {
 public:
  AuditService(std::string url, const Config& config,
               std::vector<std::unique_ptr<IoThread>>& io_threads);
  ~AuditService();

  // The matcher thread only; false when the queue is full.
  bool submit(const Request& request);
  void start();
  void stop();

 private:
  struct Answer {
    unsigned status = 200;
    std::string body;
    bool csv = false;
  };
  void run();
  Answer handle(const Request& request);
  Answer trades(const Request& request);
  Answer statement(const Request& request);

  std::string url_;
  const Config& config_;
  std::vector<std::unique_ptr<IoThread>>& io_threads_;
  pipeline::SpscRing<Request> queue_{256};
  std::unique_ptr<pqxx::connection> connection_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace cpx::gateway
