#include "cpx/ledger/writer.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <deque>
#include <thread>
#include <unordered_set>

#include "cpx/ledger/migrations.hpp"
#include "cpx/ledger/postings.hpp"
#include "cpx/ledger/rows.hpp"
#include "cpx/ledger/pg_session.hpp"

namespace cpx::ledger {

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string bytea_literal(const Hash& hash) { return "'\\x" + to_hex(hash) + "'::bytea"; }

}  // namespace

struct KeyRow {
  std::string key_id;
  std::string account;
  std::string secret;
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
  std::atomic<int64_t> last_lag_ms{0};  // the last batch: commit time less its first arrival
  mutable std::mutex error_mutex;
  std::string last_error;

  // The connections: each has a thread that writes the batches handed to it. Up to one batch
  // per connection is in flight; they are written at the same time and committed in order
  // (a batch commits only after the one before it), so the ledger never has a gap.
  struct Lane {
    std::thread thread;
    std::unique_ptr<PgSession> session;  // the lane's while it has a job
    std::vector<std::string> buffers;    // COPY text per table, kept for their capacity
    std::shared_ptr<Batch> job;                    // under pipe_mutex
  };
  std::vector<Lane> lanes;
  std::mutex pipe_mutex;
  std::condition_variable pipe_cv;
  uint64_t committed_batch = 0;                                     // under pipe_mutex
  uint64_t failed_batch = std::numeric_limits<uint64_t>::max();    // under pipe_mutex
  bool quitting = false;                                            // under pipe_mutex

  // The writer thread's own state.
  bool need_connect = true;
  std::deque<std::shared_ptr<Batch>> in_flight;  // handed to lanes, not seen committed; oldest first
  // A full batch built while every lane was busy, handed out as soon as one is free (so a lane
  // never waits for the next batch to be built).
  std::shared_ptr<Batch> ready;
  // Committed batches kept for their lists' capacity: a new batch takes one instead of
  // allocating (and faulting in) fresh memory.
  std::vector<std::shared_ptr<Batch>> spare;
  uint64_t last_batch_id = 0;  // the last batch built
  uint64_t db_settled_seq = 0;
  Hash prev_hash{};  // the last batch built's hash
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
    std::size_t accounts, orders, trades, endings, postings, texts;
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

  void set_error(std::string message) {
    std::lock_guard lock(error_mutex);
    last_error = std::move(message);
  }

  Balance& balance(uint32_t account) {
    if (account >= balances.size()) balances.resize(account + 1);
    Balance& out = balances[account];
    if (!absorbing && out.touched_in != generation) {
      out.touched_in = generation;
      touched.push_back(account);
    }
    return out;
  }

  // One posting of the rules: the account's balance follows it, and (unless absorbing) it
  // becomes the batch's next posting row.
  void post(const Posting& posting) {
    Balance& account = balance(posting.account);
    if (posting.book == Book::available) account.available += posting.amount_e7;
    if (posting.book == Book::held) account.held += posting.amount_e7;
    if (absorbing) return;
    rows.postings.push_back(PostingRow{++line, posting.seq, posting.trade_id, posting.order_id,
                                       names[posting.account], to_string(posting.book),
                                       to_string(posting.kind), posting.amount_e7});
  }

  // A record of a command the ledger settled before (a replay after a restart): only the
  // writer's own state (names, balances) follows it; nothing is written again.
  void absorb(const Record& record) {
    if (record.kind == RecordKind::key) {
      settled_records.fetch_add(1);
      return;
    }
    absorbing = true;
    rows_mark = RowsMark{rows.accounts.size(), rows.orders.size(), rows.trades.size(),
                         rows.endings.size(), rows.postings.size(), batch_text.size(), line};
    take_rows(record);
    rows.accounts.resize(rows_mark.accounts);
    rows.orders.resize(rows_mark.orders);
    rows.trades.resize(rows_mark.trades);
    rows.endings.resize(rows_mark.endings);
    rows.postings.resize(rows_mark.postings);
    batch_text.resize(rows_mark.texts);
    line = rows_mark.line;
    absorbing = false;
    settled_records.fetch_add(1);
  }

  void take(const Record& record) {
    if (batch_records == 0) {
      batch_first_seq = record.seq;
      batch_first_ms.store(record.time_ms);
      // The oldest unsettled command is this one unless a batch is still in flight.
      if (record.time_ms > 0 && in_flight.empty() && !ready) {
        oldest_pending_ms.store(record.time_ms);
      }
    }
    batch_first_seq = std::min(batch_first_seq, record.seq);
    batch_last_seq = std::max(batch_last_seq, record.seq);
    ++batch_records;
    batch_complete = record.last;
    take_rows(record);
  }

  // The rows of one record (the account, order, trade and ending rows; keys), then its
  // postings by the double-entry rules.
  void take_rows(const Record& record) {
    const uint64_t seq = record.seq;
    switch (record.kind) {
      case RecordKind::account:
        if (names.size() <= record.account) names.resize(record.account + 1);
        names[record.account].assign(record.text_view());
        balance(record.account);
        rows.accounts.push_back(AccountRow{names[record.account], cpx::to_string(record.role),
                                           seq});
        break;
      case RecordKind::key:
        keys.push_back(KeyRow{std::string(record.text_view()), names[record.account],
                              std::string(record.text2_view())});
        break;
      case RecordKind::accepted: {
        const std::string& id = batch_text.emplace_back(record.text_view());
        rows.orders.push_back(OrderRow{record.id, seq, names[record.account], id,
                                       cpx::to_string(record.side),
                                       config.chips[record.chip].id,
                                       config.regions[record.region].id,
                                       cpx::to_string(record.tif), cpx::to_string(record.urgency),
                                       record.price_ticks, record.qty_milli, record.time_ms});
        break;
      }
      case RecordKind::trade:
        rows.trades.push_back(TradeRow{record.id, seq, config.chips[record.chip].id,
                                       config.regions[record.region].id, record.price_ticks,
                                       record.qty_milli,
                                       notional_e7(record.price_ticks, record.qty_milli),
                                       cpx::to_string(record.aggressor), names[record.account],
                                       record.bid_order_id, names[record.ask_account],
                                       record.ask_order_id, record.time_ms, record.chip,
                                       record.region});
        break;
      case RecordKind::ended:
        rows.endings.push_back(EndingRow{record.id, seq, to_string(record.reason),
                                         record.price_ticks, record.qty_milli, record.time_ms});
        break;
      case RecordKind::deposit:
      case RecordKind::amended:
        break;
    }
    record_postings.clear();
    rules.apply(record, record_postings);
    for (const Posting& posting : record_postings) post(posting);
  }

  void reset_batch() {
    rows.clear();
    batch_text.clear();
    keys.clear();
    touched.clear();
    ++generation;
    batch_records = 0;
    batch_first_seq = batch_last_seq = 0;
    line = 0;
    batch_first_ms.store(0);
  }

  // The batch's counters and callbacks once it is committed: by its lane in batch order, or by
  // the writer thread for a batch whose commit was in doubt and is found in the ledger.
  void committed(const Batch& batch) {
    if (batch.first_ms > 0) last_lag_ms.store(wall_ms() - batch.first_ms);
    settled_seq.store(batch.rows.last_seq);
    settled_batches.fetch_add(1);
    settled_trades.fetch_add(batch.rows.trades.size());
    settled_records.fetch_add(batch.records);
    if (settings.on_settled && !batch.rows.trades.empty()) settings.on_settled(batch.rows.trades);
  }

  // (Re)connects every lane (all idle) and reads where the ledger stands. After a failed write,
  // batches in flight that the ledger holds are counted settled (their commit's answer was lost)
  // and the others are handed out again, whole and in order.
  bool connect() {
    try {
      for (Lane& lane : lanes) lane.session = std::make_unique<PgSession>(settings.url);
      PgSession& session = *lanes.front().session;
      const auto last = session.query(
          "SELECT batch_id, last_seq, encode(hash, 'hex') FROM settlement_batches ORDER BY "
          "batch_id DESC LIMIT 1");
      for (const auto& row : session.query("SELECT key_id FROM api_keys")) {
        known_keys.insert(row[0]);
      }
      uint64_t db_batch = 0;
      uint64_t db_seq = 0;
      Hash db_hash{};
      if (!last.empty()) {
        db_batch = std::stoull(last[0][0]);
        db_seq = std::stoull(last[0][1]);
        db_hash = hash_from_hex(last[0][2]);
      }
      while (!in_flight.empty() && in_flight.front()->rows.batch_id <= db_batch) {
        committed(*in_flight.front());
        in_flight.pop_front();
      }
      if (in_flight.empty() && !ready) {
        last_batch_id = db_batch;
        prev_hash = db_hash;
      }
      db_settled_seq = std::max(db_settled_seq, db_seq);
      ledger_seq.store(db_seq);
      if (db_seq > settled_seq.load()) settled_seq.store(db_seq);
      {
        std::lock_guard lock(pipe_mutex);
        committed_batch = in_flight.empty() ? db_batch : in_flight.front()->rows.batch_id - 1;
        failed_batch = std::numeric_limits<uint64_t>::max();
      }
      connected.store(true);
      set_error({});
      // All lanes are idle and there are no more batches than lanes: each gets one, unless a
      // lane fails meanwhile (then the rest wait for the next connect()).
      for (const std::shared_ptr<Batch>& batch : in_flight) {
        if (!hand_over(batch)) break;
      }
      return true;
    } catch (const std::exception& error) {
      for (Lane& lane : lanes) lane.session.reset();
      connected.store(false);
      set_error("ledger database " + redact_url(settings.url) + ": " + error.what());
      return false;
    }
  }

  // Turns the rows taken into a batch: its id, balances, canonical order and hash.
  std::shared_ptr<Batch> build() {
    std::shared_ptr<Batch> batch;
    if (!spare.empty()) {
      batch = std::move(spare.back());
      spare.pop_back();
    } else {
      batch = std::make_shared<Batch>();
    }
    rows.batch_id = ++last_batch_id;
    rows.first_seq = batch_first_seq;
    rows.last_seq = batch_last_seq;
    rows.balances.clear();
    for (const uint32_t account : touched) {
      rows.balances.push_back(
          BalanceRow{names[account], balances[account].available, balances[account].held});
    }
    rows.sort();
    text.clear();
    canonical_text(rows, text);
    batch->prev_hash = prev_hash;
    batch->hash = chain_hash(prev_hash, text);
    prev_hash = batch->hash;
    // The rows go to the batch, and the spare's emptied lists (their capacity) come back.
    std::swap(batch->rows, rows);
    std::swap(batch->texts, batch_text);  // a deque's elements keep their addresses
    std::swap(batch->keys, keys);
    for (const KeyRow& key : batch->keys) known_keys.insert(key.key_id);
    batch->records = batch_records;
    batch->first_ms = batch_first_ms.load();
    reset_batch();
    return batch;
  }

  std::size_t busy_lanes() {
    std::lock_guard lock(pipe_mutex);
    return std::size_t(std::count_if(lanes.begin(), lanes.end(),
                                     [](const Lane& lane) { return lane.job != nullptr; }));
  }

  // Nothing handed over is left to settle (the writer thread's view).
  bool drained() const {
    return ring.size() == 0 && batch_records == 0 && in_flight.empty() && !ready;
  }

  // Gives `batch` to an idle lane; false when there is none. None is taken once a write has
  // failed since the last connect (the failing lane has dropped its connection, and the lanes
  // still busy will roll back): the batch then waits for the next connect().
  bool hand_over(const std::shared_ptr<Batch>& batch) {
    {
      std::lock_guard lock(pipe_mutex);
      if (failed_batch != std::numeric_limits<uint64_t>::max()) return false;
      const auto idle = std::find_if(lanes.begin(), lanes.end(),
                                     [](const Lane& lane) { return !lane.job && lane.session; });
      if (idle == lanes.end()) return false;
      idle->job = batch;
    }
    pipe_cv.notify_all();
    return true;
  }

  // Drops the batches in flight that their lanes committed. False when a write failed.
  bool collect() {
    std::lock_guard lock(pipe_mutex);
    while (!in_flight.empty() && in_flight.front()->rows.batch_id <= committed_batch) {
      // Kept for reuse once its lane has let go of it (its job is cleared under this lock).
      if (in_flight.front().use_count() == 1 && spare.size() < lanes.size()) {
        spare.push_back(std::move(in_flight.front()));
      }
      in_flight.pop_front();
    }
    return failed_batch == std::numeric_limits<uint64_t>::max();
  }

  // Opens the batch's transaction and writes all its rows (not committed).
  static void write_rows(PgSession& session, const Batch& batch,
                         std::vector<std::string>& buffers) {
    const BatchRows& rows = batch.rows;
    // All the text first, so that PostgreSQL gets the tables one right after the other.
    buffers.resize(std::size(all_tables));
    for (std::size_t t = 0; t < buffers.size(); ++t) {
      buffers[t].clear();
      copy_text(rows, all_tables[t], buffers[t]);
    }
    session.exec("BEGIN; INSERT INTO settlement_batches (batch_id, first_seq, last_seq, "
                 "trade_count, prev_hash, hash) VALUES (" +
                 std::to_string(rows.batch_id) + "," + std::to_string(rows.first_seq) + "," +
                 std::to_string(rows.last_seq) + "," + std::to_string(rows.trades.size()) + "," +
                 bytea_literal(batch.prev_hash) + "," + bytea_literal(batch.hash) + ")");
    for (std::size_t t = 0; t < buffers.size(); ++t) {
      if (!buffers[t].empty()) session.copy_in(copy_target(all_tables[t]), buffers[t]);
    }
    for (const KeyRow& row : batch.keys) {
      session.exec("INSERT INTO api_keys (key_id, account, secret) VALUES (" +
                   session.quote(row.key_id) + ", " + session.quote(row.account) + ", " +
                   session.quote(row.secret) + ") ON CONFLICT (key_id) DO NOTHING");
    }
  }

  // A connection's thread: writes each batch handed to it in one transaction, and commits once
  // the batch before it is committed (or rolls back if that one failed).
  void lane_run(Lane& lane) {
    for (;;) {
      std::shared_ptr<Batch> batch;
      {
        std::unique_lock lock(pipe_mutex);
        pipe_cv.wait(lock, [&] { return quitting || lane.job; });
        if (quitting) return;
        batch = lane.job;
      }
      const uint64_t id = batch->rows.batch_id;
      bool done = false;
      try {
        write_rows(*lane.session, *batch, lane.buffers);
        bool turn = false;
        {
          std::unique_lock lock(pipe_mutex);
          pipe_cv.wait(lock, [&] {
            return quitting || committed_batch + 1 >= id || failed_batch < id;
          });
          turn = !quitting && committed_batch + 1 == id;
        }
        if (turn) {
          lane.session->exec("COMMIT");
          done = true;
        }  // else the connection is dropped below, which rolls the transaction back
      } catch (const std::exception& error) {
        set_error("ledger database " + redact_url(settings.url) + ": " + error.what());
        connected.store(false);
      }
      if (done) committed(*batch);
      batch.reset();  // only in_flight holds it now: the writer thread may reuse it
      {
        std::lock_guard lock(pipe_mutex);
        if (done) {
          committed_batch = id;
          // The oldest command not settled now: in the other lanes' batches, or being built.
          int64_t next = 0;
          for (const Lane& other : lanes) {
            if (other.job && other.job->rows.batch_id > id && other.job->first_ms > 0 &&
                (next == 0 || other.job->first_ms < next)) {
              next = other.job->first_ms;
            }
          }
          if (next == 0) next = batch_first_ms.load();
          if (next > 0) {
            oldest_pending_ms.store(next);
          } else if (received_records.load() == settled_records.load()) {
            oldest_pending_ms.store(0);
          }
        } else {
          failed_batch = std::min(failed_batch, id);
          lane.session.reset();
        }
        lane.job = nullptr;
      }
      pipe_cv.notify_all();
    }
  }

  void run() {
    for (Lane& lane : lanes) lane.thread = std::thread([this, &lane] { lane_run(lane); });
    int64_t backoff_ms = 50;
    Record record;
    for (;;) {
      const bool stop = stopping.load(std::memory_order_acquire);
      if (stop && wall_ms() > stop_deadline_ms.load()) break;
      if (!collect()) {
        // A write failed: once every lane has finished, reconnect and hand out again what the
        // ledger does not hold.
        if (busy_lanes() > 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        need_connect = true;
      }
      if (need_connect) {
        if (!connect()) {
          if (stop && drained()) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
          backoff_ms = std::min<int64_t>(backoff_ms * 2, 1000);
          continue;
        }
        need_connect = false;
        backoff_ms = 50;
      }
      // Take records up to the batch limit, ending on a command boundary.
      while (batch_records < settings.batch_records_max || !batch_complete) {
        if (!ring.try_pop(record)) break;
        // A key's seq is the command before it, which may be settled while the key is not:
        // keys are known by their ids instead.
        const bool settled_before =
            record.kind == RecordKind::key ? known_keys.contains(std::string(record.text_view()))
                                           : record.seq <= db_settled_seq;
        if (settled_before && record.kind != RecordKind::key &&
            record.seq > live_after.load(std::memory_order_relaxed)) {
          skipped_live.fetch_add(1);
        }
        if (settled_before && batch_complete) {
          absorb(record);
        } else {
          take(record);
        }
      }
      if (batch_records > 0 && batch_complete && !ready &&
          batch_records >= settings.batch_records_max) {
        ready = build();  // full: built now, handed out when a lane is free
      }
      if (busy_lanes() < lanes.size()) {
        if (!ready && batch_records > 0 && batch_complete) ready = build();
        // Refused when a write has just failed: `ready` waits for the reconnection (in_flight
        // never holds more batches than there are lanes, for connect() to hand them all out).
        if (ready && hand_over(ready)) {
          in_flight.push_back(std::move(ready));  // leaves `ready` empty
          continue;
        }
      }
      if (stop && drained()) break;
      // Until a lane finishes (it notifies), or a millisecond for more records.
      std::unique_lock lock(pipe_mutex);
      pipe_cv.wait_for(lock, std::chrono::milliseconds(1));
    }
    {
      std::lock_guard lock(pipe_mutex);
      quitting = true;
    }
    pipe_cv.notify_all();
    for (Lane& lane : lanes) lane.thread.join();
    collect();
  }
};

Writer::Writer(WriterSettings settings, Config config)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(config))) {}

Writer::~Writer() { stop(0); }

void Writer::adopt(const LedgerState& state) {
  for (std::size_t i = 0; i < state.accounts.size(); ++i) {
    impl_->names.emplace_back(state.accounts[i].name);
    impl_->balances.push_back(
        Impl::Balance{state.accounts[i].available_e7, state.accounts[i].held_e7, 0});
  }
  impl_->settled_seq.store(state.last_seq);
  impl_->received_seq.store(state.last_seq);
}

void Writer::live_after(uint64_t seq) { impl_->live_after.store(seq); }

void Writer::start() {
  impl_->thread = std::thread([this] { impl_->run(); });
}

void Writer::write(std::span<const Record> records) {
  Impl& impl = *impl_;
  if (impl.received_records.load(std::memory_order_relaxed) ==
      impl.settled_records.load(std::memory_order_relaxed)) {
    impl.oldest_pending_ms.store(wall_ms(), std::memory_order_relaxed);
  }
  for (const Record& record : records) {
    if (!impl.ring.try_push(record)) {
      impl.matcher_waits.fetch_add(1, std::memory_order_relaxed);
      int spins = 0;
      while (!impl.ring.try_push(record)) {
        if (++spins < 100) {
          std::this_thread::yield();
        } else {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
      }
    }
  }
  impl.received_records.fetch_add(records.size(), std::memory_order_relaxed);
  if (!records.empty()) impl.received_seq.store(records.back().seq, std::memory_order_relaxed);
}

bool Writer::stop(int64_t timeout_ms) {
  if (!impl_->thread.joinable()) return impl_->ring.size() == 0;
  impl_->stop_deadline_ms.store(wall_ms() + timeout_ms);
  impl_->stopping.store(true, std::memory_order_release);
  impl_->thread.join();
  return impl_->drained();
}

uint64_t Writer::settled_seq() const { return impl_->settled_seq.load(); }

WriterStatus Writer::status() const {
  const Impl& impl = *impl_;
  WriterStatus out;
  out.connected = impl.connected.load();
  out.received_seq = impl.received_seq.load();
  out.settled_seq = impl.settled_seq.load();
  out.settled_batches = impl.settled_batches.load();
  out.settled_trades = impl.settled_trades.load();
  const uint64_t received = impl.received_records.load();
  const uint64_t settled = impl.settled_records.load();
  out.pending_records = received > settled ? received - settled : 0;
  out.matcher_waits = impl.matcher_waits.load();
  out.ledger_seq = impl.ledger_seq.load();
  out.skipped_records = impl.skipped_live.load();
  out.last_batch_lag_ms = impl.last_lag_ms.load();
  const int64_t oldest = impl.oldest_pending_ms.load();
  out.oldest_pending_ms = out.pending_records > 0 && oldest > 0 ? wall_ms() - oldest : 0;
  std::lock_guard lock(impl.error_mutex);
  out.last_error = impl.last_error;
  return out;
}

}  // namespace cpx::ledger
