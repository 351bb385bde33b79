// cpx-server: the I/O threads (one io_context each, see io_thread.hpp) with their HTTP and
// WebSocket sessions, and the one matcher thread that runs the Venue. Requests reach the
// matcher through a bounded lock-free MPSC ring; its answers, pushes and market data go back
// through one bounded SPSC message ring per I/O thread. See docs/gateway.md.
#pragma once

#include <cstdint>
#include <memory>

#include "cpx/engine/config.hpp"
#include "cpx/gateway/settings.hpp"
#include "cpx/journal/journal.hpp"
#include "cpx/ledger/writer.hpp"

namespace cpx::gateway {

class Server {
 public:
  Server(const Settings& settings, Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port actually bound (when the settings asked for 0).
  uint16_t port() const;
  // The operator's first key: from the settings, or generated when they name none.
  const std::string& operator_key_id() const;
  const std::string& operator_secret() const;
  bool operator_key_generated() const;
  // What the start replayed from the journal, and the torn tail it cut off (bytes).
  uint64_t replayed_records() const;
  uint64_t torn_bytes() const;
  // What the start said about the journal beyond the above: a loss accepted with
  // --accept-journal-loss (empty: none).
  const std::string& recovery_notes() const;
  // The snapshot the start recovered from (empty: none), before the journal after it.
  const std::string& snapshot_used() const;

  // Serves until stop() (or SIGINT/SIGTERM), then returns.
  void run();
  void stop();

 private:
  // Recovery (docs/durability.md): the snapshot and the journal, or the ledger's state.
  void recover(const ledger::LedgerState& resumed);
  // The snapshot and the journal after it into the venue; returns the journal's last record
  // (0: the journal held nothing, or was set aside).
  uint64_t recover_journal(const ledger::LedgerState& resumed);
  // Whether the start goes on from the journal: it lost nothing acknowledged, or the loss is
  // accepted without a ledger. Throws when a loss is not accepted.
  bool accept_journal(uint64_t records, const journal::Acknowledged& acked,
                      const journal::ReadResult& read, const ledger::LedgerState& resumed);
  // --accept-journal-loss with a ledger: the journal set aside, a fresh writer and venue.
  void restart_from_ledger();
  // Loads the newest usable snapshot into the venue; returns the journal records it covers.
  uint64_t load_snapshot(const ledger::LedgerState& resumed);
  // The operator key of this start into the venue, once.
  void bootstrap_operator();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cpx::gateway
