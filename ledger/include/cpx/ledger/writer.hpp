// The ledger writer: a thread that settles the matcher's ledger records into PostgreSQL in
// batches (COPY through pqxx::stream_to, one transaction per batch, chained by SHA-256), and
// keeps going through PostgreSQL outages. docs/ledger.md has the design.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cpx/engine/config.hpp"
#include "cpx/ledger/record.hpp"
#include "cpx/ledger/rows.hpp"
#include "cpx/ledger/state.hpp"
#include "cpx/pipeline/spsc_ring.hpp"

namespace cpx::ledger {

struct WriterSettings {
  std::string url;
  // Records the matcher may run ahead of settlement; when they are all taken the matcher waits
  // (and the gateway, its inbound ring full, answers 503 / busy).
  std::size_t buffer_records = std::size_t(1) << 20;
  // A batch ends after the command that takes it past this many records (commands are never
  // split), or when no more records are waiting.
  std::size_t batch_records_max = 50'000;
  // Connections to PostgreSQL, each writing one batch at a time: consecutive batches are
  // written at the same time on different connections and committed in order, so PostgreSQL
  // works on as many batches as there are connections (docs/ledger.md).
  std::size_t connections = 2;
  // Called after each committed batch with its trades (price discovery), one batch at a time in
  // batch order, on one of the writer's threads.
  std::function<void(const std::vector<TradeRow>&)> on_settled;
};

// A consistent-enough view of the writer for /healthz and tests (each field is read atomically).
struct WriterStatus {
  bool connected = false;
  uint64_t received_seq = 0;     // the last command's seq the matcher handed over
  uint64_t settled_seq = 0;      // the last command's seq settled in PostgreSQL
  uint64_t settled_batches = 0;  // batches this process settled
  uint64_t settled_trades = 0;
  uint64_t pending_records = 0;  // handed over and not settled yet
  uint64_t matcher_waits = 0;    // times the matcher found the buffer full
  uint64_t ledger_seq = 0;       // the last settled seq PostgreSQL held at the last connection
  // Commands numbered after the recovered state that the writer skipped because PostgreSQL
  // held their seq already (another server settling into this ledger, say): never 0 in health.
  uint64_t skipped_records = 0;
  int64_t oldest_pending_ms = 0;  // how long the oldest unsettled command has waited (ms)
  int64_t last_batch_lag_ms = 0;  // the last batch: commit time less its first command's arrival
  std::string last_error;         // the last PostgreSQL error, redacted; empty when none
};

class Writer {
 public:
  Writer(WriterSettings settings, Config config);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Before start(): the accounts the ledger has already (from load_state), by engine index.
  void adopt(const LedgerState& state);
  void start();
  // Commands numbered above `seq` are new (the recovered state ends there): any of them that
  // PostgreSQL already holds is counted in WriterStatus::skipped_records.
  void live_after(uint64_t seq);

  // The matcher thread only: hands over one command's records (the last one marked). Waits,
  // spinning briefly and then sleeping, while the buffer is full.
  void write(std::span<const Record> records);

  // Settles everything handed over, waiting at most `timeout_ms` for PostgreSQL; then stops the
  // thread. True when nothing was left unsettled.
  bool stop(int64_t timeout_ms);

  WriterStatus status() const;
  // The last command's seq settled in PostgreSQL (lock-free, for the matcher).
  uint64_t settled_seq() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpx::ledger
