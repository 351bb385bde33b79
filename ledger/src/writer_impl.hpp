// The ledger writer's inside, shared by its two halves: writer.cpp (records into batch rows,
// balances and hashes, on the writer thread) and writer_lanes.cpp (the connections' threads
// that write the batches and commit them in order).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <memory>
#include <thread>
#include <unordered_set>

#include "cpx/ledger/pg_session.hpp"
#include "cpx/ledger/postings.hpp"
#include "cpx/ledger/rows.hpp"
#include "cpx/ledger/writer.hpp"

namespace cpx::ledger {

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct KeyRow {
  std::string key_id;
  std::string account;
  std::string secret;
  int64_t expires_ms = 0;  // 0: none
  int64_t revoked_ms = 0;  // a revocation of the key (the other fields unused)
};

// One settlement batch: built (rows, balances, hash) by the writer thread, written by one
// connection's thread. The rows' views point into `texts` and into the writer's account names.
struct Batch {
  BatchRows rows;
  std::deque<std::string> texts;  // client order ids of the batch
  std::vector<KeyRow> keys;
  Hash prev_hash{};
  Hash hash{};
  std::size_t records = 0;
  int64_t first_ms = 0;  // when the batch's first command reached the gateway
};

struct Writer::Impl {
  WriterSettings settings;
  Config config;
  pipeline::SpscRing<Record> ring;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> stop_deadline_ms{0};

  // Status, written by the writer's threads (received_seq, matcher_waits by the matcher).
  std::atomic<bool> connected{false};
  std::atomic<uint64_t> received_seq{0};
  std::atomic<uint64_t> received_records{0};
  std::atomic<uint64_t> settled_records{0};
  std::atomic<uint64_t> settled_seq{0};
  std::atomic<uint64_t> settled_batches{0};
  std::atomic<uint64_t> settled_trades{0};
  std::atomic<uint64_t> matcher_waits{0};
  // The last settled seq PostgreSQL itself held when the writer last connected, and the
  // commands after `live_after` (the recovered state's seq) it skipped as settled before: both
  // signs that something else settled what this server numbered (docs/durability.md).
  std::atomic<uint64_t> ledger_seq{0};
  std::atomic<uint64_t> live_after{std::numeric_limits<uint64_t>::max()};
  std::atomic<uint64_t> skipped_live{0};
  std::atomic<int64_t> oldest_pending_ms{0};  // wall ms the oldest unsettled record arrived
  std::atomic<int64_t> last_lag_ms{0};        // the last batch: commit time less its first arrival
  mutable std::mutex error_mutex;
  std::string last_error;

  // The connections: each has a thread that writes the batches handed to it. Up to one batch
  // per connection is in flight; they are written at the same time and committed in order
  // (a batch commits only after the one before it), so the ledger never has a gap.
  struct Lane {
    std::thread thread;
    std::unique_ptr<PgSession> session;  // the lane's while it has a job
    std::vector<std::string> buffers;    // COPY text per table, kept for their capacity
    std::shared_ptr<Batch> job;          // under pipe_mutex
  };
  std::vector<Lane> lanes;
  std::mutex pipe_mutex;
  std::condition_variable pipe_cv;
  uint64_t committed_batch = 0;                                  // under pipe_mutex
  uint64_t failed_batch = std::numeric_limits<uint64_t>::max();  // under pipe_mutex
  bool quitting = false;                                         // under pipe_mutex

  // The writer thread's own state.
  bool need_connect = true;
  std::deque<std::shared_ptr<Batch>>
      in_flight;  // handed to lanes, not seen committed; oldest first
  // A full batch built while every lane was busy, handed out as soon as one is free (so a lane
  // never waits for the next batch to be built).
  std::shared_ptr<Batch> ready;
  // Committed batches kept for their lists' capacity: a new batch takes one instead of
  // allocating (and faulting in) fresh memory.
  std::vector<std::shared_ptr<Batch>> spare;
  uint64_t last_batch_id = 0;  // the last batch built
  uint64_t db_settled_seq = 0;
  Hash prev_hash{};               // the last batch built's hash
  std::deque<std::string> names;  // account names by engine index (stable addresses)
  struct Balance {
    int128 available = 0;
    int128 held = 0;
    uint64_t touched_in = 0;  // the batch generation that last moved it
  };
  std::vector<Balance> balances;
  std::vector<uint32_t> touched;
  uint64_t generation = 1;

  // The batch being built.
  BatchRows rows;
  std::deque<std::string> batch_text;  // client order ids of the batch (views point here)
  std::vector<KeyRow> keys;
  std::unordered_set<std::string> known_keys;  // in api_keys already, or in a batch built
  std::size_t batch_records = 0;
  bool absorbing = false;
  struct RowsMark {
    std::size_t accounts, orders, trades, endings, postings, texts, sites, contracts, events;
    uint32_t line;
  } rows_mark{};
  bool batch_complete = true;  // the last record taken ended its command
  uint64_t batch_first_seq = 0;
  uint64_t batch_last_seq = 0;
  // When the batch's first command reached the gateway (0 while empty); lanes read it too.
  std::atomic<int64_t> batch_first_ms{0};
  uint32_t line = 0;
  std::string text;
  // The double-entry rules, and the postings of the record being taken.
  PostingRules rules;
  std::vector<Posting> record_postings;

  Impl(WriterSettings settings_in, Config config_in)
      : settings(std::move(settings_in)),
        config(std::move(config_in)),
        ring(settings.buffer_records),
        lanes(std::max<std::size_t>(settings.connections, 1)) {}

  void set_error(std::string message);

  Balance& balance(uint32_t account);

  // One posting of the rules: the account's balance follows it, and (unless absorbing) it
  // becomes the batch's next posting row.
  void post(const Posting& posting);

  // A record of a command the ledger settled before (a replay after a restart): only the
  // writer's own state (names, balances) follows it; nothing is written again.
  void absorb(const Record& record);

  void take(const Record& record);

  // The rows of one record (the account, order, trade and ending rows; keys), then its
  // postings by the double-entry rules.
  void take_rows(const Record& record);
  static ContractEventRow contract_event(const Record& record);

  void reset_batch();

  // The batch's counters and callbacks once it is committed: by its lane in batch order, or by
  // the writer thread for a batch whose commit was in doubt and is found in the ledger.
  void committed(const Batch& batch);

  // (Re)connects every lane (all idle) and reads where the ledger stands. After a failed write,
  // batches in flight that the ledger holds are counted settled (their commit's answer was lost)
  // and the others are handed out again, whole and in order.
  bool connect();

  // Turns the rows taken into a batch: its id, balances, canonical order and hash.
  std::shared_ptr<Batch> build();

  std::size_t busy_lanes();

  // Nothing handed over is left to settle (the writer thread's view).
  bool drained() const;

  // Gives `batch` to an idle lane; false when there is none. None is taken once a write has
  // failed since the last connect (the failing lane has dropped its connection, and the lanes
  // still busy will roll back): the batch then waits for the next connect().
  bool hand_over(const std::shared_ptr<Batch>& batch);

  // Drops the batches in flight that their lanes committed. False when a write failed.
  bool collect();

  // Opens the batch's transaction and writes all its rows (not committed).
  static void write_rows(PgSession& session, const Batch& batch, std::vector<std::string>& buffers);

  // A connection's thread: writes each batch handed to it in one transaction, and commits once
  // the batch before it is committed (or rolls back if that one failed).
  void lane_run(Lane& lane);

  void run();
};

}  // namespace cpx::ledger
