#include "cpx/ledger/migrations.hpp"
#include "writer_impl.hpp"

namespace cpx::ledger {

namespace {

std::string bytea_literal(const Hash& hash) {
  return "'\\x" + to_hex(hash) + "'::bytea";
}

}  // namespace

void Writer::Impl::write_rows(PgSession& session, const Batch& batch,
                              std::vector<std::string>& buffers) {
  const BatchRows& rows = batch.rows;
  // All the text first, so that PostgreSQL gets the tables one right after the other.
  buffers.resize(std::size(all_tables));
  for (std::size_t t = 0; t < buffers.size(); ++t) {
    buffers[t].clear();
    copy_text(rows, all_tables[t], buffers[t]);
  }
  session.exec(
      "BEGIN; INSERT INTO settlement_batches (batch_id, first_seq, last_seq, "
      "trade_count, prev_hash, hash) VALUES (" +
      std::to_string(rows.batch_id) + "," + std::to_string(rows.first_seq) + "," +
      std::to_string(rows.last_seq) + "," + std::to_string(rows.trades.size()) + "," +
      bytea_literal(batch.prev_hash) + "," + bytea_literal(batch.hash) + ")");
  for (std::size_t t = 0; t < buffers.size(); ++t) {
    if (!buffers[t].empty()) session.copy_in(copy_target(all_tables[t]), buffers[t]);
  }
  for (const KeyRow& row : batch.keys) {
    if (row.revoked_ms != 0) {
      // Idempotent: written again after a restart, it changes nothing.
      session.exec("UPDATE api_keys SET revoked_ms = " + std::to_string(row.revoked_ms) +
                   " WHERE key_id = " + session.quote(row.key_id) + " AND revoked_ms IS NULL");
      continue;
    }
    session.exec("INSERT INTO api_keys (key_id, account, secret, expires_ms) VALUES (" +
                 session.quote(row.key_id) + ", " + session.quote(row.account) + ", " +
                 session.quote(row.secret) + ", " +
                 (row.expires_ms != 0 ? std::to_string(row.expires_ms) : std::string("NULL")) +
                 ") ON CONFLICT (key_id) DO NOTHING");
  }
}

void Writer::Impl::committed(const Batch& batch) {
  if (batch.first_ms > 0) last_lag_ms.store(wall_ms() - batch.first_ms);
  settled_seq.store(batch.rows.last_seq);
  settled_batches.fetch_add(1);
  settled_trades.fetch_add(batch.rows.trades.size());
  settled_records.fetch_add(batch.records);
  if (settings.on_settled && !batch.rows.trades.empty()) settings.on_settled(batch.rows.trades);
}

bool Writer::Impl::connect() {
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

std::shared_ptr<Batch> Writer::Impl::build() {
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

std::size_t Writer::Impl::busy_lanes() {
  std::lock_guard lock(pipe_mutex);
  return std::size_t(std::count_if(lanes.begin(), lanes.end(),
                                   [](const Lane& lane) { return lane.job != nullptr; }));
}

bool Writer::Impl::drained() const {
  return ring.size() == 0 && batch_records == 0 && in_flight.empty() && !ready;
}

bool Writer::Impl::hand_over(const std::shared_ptr<Batch>& batch) {
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

bool Writer::Impl::collect() {
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

void Writer::Impl::lane_run(Lane& lane) {
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
        pipe_cv.wait(lock,
                     [&] { return quitting || committed_batch + 1 >= id || failed_batch < id; });
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

void Writer::Impl::run() {
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
      // A revocation is written whenever it comes (it is idempotent).
      const bool settled_before =
          record.kind == RecordKind::key
              ? record.revoked_ms == 0 && known_keys.contains(std::string(record.text_view()))
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
}  // namespace cpx::ledger
