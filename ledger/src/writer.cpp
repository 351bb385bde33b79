#include "cpx/ledger/writer.hpp"

#include <chrono>
#include <deque>
#include <pqxx/pqxx>
#include <thread>
#include <unordered_set>

#include "cpx/ledger/migrations.hpp"
#include "cpx/ledger/rows.hpp"
#include "pq_text.hpp"

namespace cpx::ledger {

std::string_view to_string(EndReason reason) {
  switch (reason) {
    case EndReason::canceled:
      return "canceled";
    case EndReason::filled:
      return "filled";
    case EndReason::expired:
      return "expired";
    case EndReason::killed:
      return "killed";
    case EndReason::restart:
      return "restart";
  }
  return "?";
}

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Decimal price(int64_t ticks) { return {ticks, price_frac_digits}; }
Decimal qty(int64_t milli) { return {milli, qty_frac_digits}; }
Decimal amount(int128 e7) { return {e7, amount_frac_digits}; }

Hash hash_from_bytea(const pqxx::field& field) {
  const pqxx::binarystring bytes(field);
  Hash out{};
  if (bytes.size() == out.size()) std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::string bytea_literal(const Hash& hash) { return "'\\x" + to_hex(hash) + "'::bytea"; }

}  // namespace

struct Writer::Impl {
  WriterSettings settings;
  Config config;
  pipeline::SpscRing<Record> ring;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> stop_deadline_ms{0};

  // Status, written by the writer thread (received_seq, matcher_waits by the matcher).
  std::atomic<bool> connected{false};
  std::atomic<uint64_t> received_seq{0};
  std::atomic<uint64_t> received_records{0};
  std::atomic<uint64_t> settled_records{0};
  std::atomic<uint64_t> settled_seq{0};
  std::atomic<uint64_t> settled_batches{0};
  std::atomic<uint64_t> settled_trades{0};
  std::atomic<uint64_t> matcher_waits{0};
  std::atomic<int64_t> oldest_pending_ms{0};  // wall ms the oldest unsettled record arrived
  std::atomic<int64_t> last_lag_ms{0};  // the last batch: commit time less its first arrival
  mutable std::mutex error_mutex;
  std::string last_error;

  // The writer thread's own state.
  std::unique_ptr<pqxx::connection> connection;
  uint64_t last_batch_id = 0;
  uint64_t db_settled_seq = 0;
  Hash prev_hash{};
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
  struct KeyRow {
    std::string key_id;
    std::string account;
    std::string secret;
  };
  std::vector<KeyRow> keys;
  std::unordered_set<std::string> known_keys;  // in api_keys already
  std::size_t batch_records = 0;
  bool absorbing = false;
  struct RowsMark {
    std::size_t accounts, orders, trades, endings, postings, texts;
    uint32_t line;
  } rows_mark{};
  bool batch_complete = true;  // the last record taken ended its command
  bool batch_failed = false;   // a write of this batch failed: retry it before taking more
  uint64_t batch_first_seq = 0;
  uint64_t batch_last_seq = 0;
  int64_t batch_first_ms = 0;  // when the batch's first command reached the gateway
  uint32_t line = 0;
  std::string text;
  // The hold of a bid accepted in the command being taken, less what its own trades and its
  // ending in that command used: posted only for what is still open when the command ends, so
  // an aggressor's trades pay from `available` directly (docs/ledger.md, "Double entry").
  struct PendingHold {
    bool active = false;
    uint64_t seq = 0;
    uint64_t order_id = 0;
    uint32_t account = 0;
    int128 amount = 0;
  } pending;

  Impl(WriterSettings settings_in, Config config_in)
      : settings(std::move(settings_in)),
        config(std::move(config_in)),
        ring(settings.buffer_records) {}

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

  void post(uint64_t seq, std::optional<uint64_t> trade_id, std::optional<uint64_t> order_id,
            uint32_t account, std::string_view book, std::string_view kind, int128 value) {
    if (value == 0) return;
    Balance& held = balance(account);
    if (book == "available") held.available += value;
    if (book == "held") held.held += value;
    if (absorbing) return;
    rows.postings.push_back(
        PostingRow{++line, seq, trade_id, order_id, names[account], book, kind, value});
  }

  // Two postings moving `value` from one book of the account to another.
  void move(uint64_t seq, std::optional<uint64_t> order_id, uint32_t account,
            std::string_view from, std::string_view to, std::string_view kind, int128 value) {
    if (value == 0) return;
    post(seq, std::nullopt, order_id, account, from, kind, -value);
    post(seq, std::nullopt, order_id, account, to, kind, value);
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
      batch_first_ms = record.time_ms;
      if (record.time_ms > 0) oldest_pending_ms.store(record.time_ms);
    }
    batch_first_seq = std::min(batch_first_seq, record.seq);
    batch_last_seq = std::max(batch_last_seq, record.seq);
    ++batch_records;
    batch_complete = record.last;
    take_rows(record);
  }

  void take_rows(const Record& record) {
    const uint64_t seq = record.seq;
    switch (record.kind) {
      case RecordKind::account: {
        if (names.size() <= record.account) names.resize(record.account + 1);
        names[record.account].assign(record.text_view());
        balance(record.account);
        rows.accounts.push_back(AccountRow{names[record.account], cpx::to_string(record.role),
                                           seq});
        break;
      }
      case RecordKind::key:
        keys.push_back(KeyRow{std::string(record.text_view()), names[record.account],
                              std::string(record.text2_view())});
        break;
      case RecordKind::deposit:
        post(seq, std::nullopt, std::nullopt, record.account, "deposits", "deposit",
             -record.amount_e7);
        post(seq, std::nullopt, std::nullopt, record.account, "available", "deposit",
             record.amount_e7);
        break;
      case RecordKind::accepted: {
        const std::string& id = batch_text.emplace_back(record.text_view());
        rows.orders.push_back(OrderRow{record.id, seq, names[record.account], id,
                                       cpx::to_string(record.side),
                                       config.chips[record.chip].id,
                                       config.regions[record.region].id,
                                       cpx::to_string(record.tif), cpx::to_string(record.urgency),
                                       record.price_ticks, record.qty_milli, record.time_ms});
        if (record.side == Side::bid) {
          pending = PendingHold{true, seq, record.id, record.account,
                                notional_e7(record.price_ticks, record.qty_milli)};
        }
        break;
      }
      case RecordKind::amended:
        if (record.amount_e7 > 0) {
          move(seq, record.id, record.account, "available", "held", "amend", record.amount_e7);
        } else if (record.amount_e7 < 0) {
          move(seq, record.id, record.account, "held", "available", "amend", -record.amount_e7);
        }
        break;
      case RecordKind::trade: {
        const int128 notional = notional_e7(record.price_ticks, record.qty_milli);
        const int128 hold = notional_e7(record.hold_price_ticks, record.qty_milli);
        rows.trades.push_back(TradeRow{record.id, seq, config.chips[record.chip].id,
                                       config.regions[record.region].id, record.price_ticks,
                                       record.qty_milli, notional,
                                       cpx::to_string(record.aggressor), names[record.account],
                                       record.bid_order_id, names[record.ask_account],
                                       record.ask_order_id, record.time_ms, record.chip,
                                       record.region});
        if (pending.active && pending.order_id == record.bid_order_id) {
          pending.amount -= hold;
          post(seq, record.id, record.bid_order_id, record.account, "available", "trade",
               -notional);
        } else {
          post(seq, record.id, record.bid_order_id, record.account, "held", "trade", -hold);
          post(seq, record.id, record.bid_order_id, record.account, "available", "release",
               hold - notional);
        }
        post(seq, record.id, record.ask_order_id, record.ask_account, "available", "trade",
             notional);
        break;
      }
      case RecordKind::ended:
        rows.endings.push_back(EndingRow{record.id, seq, to_string(record.reason),
                                         record.price_ticks, record.qty_milli, record.time_ms});
        if (pending.active && pending.order_id == record.id) {
          pending.amount -= record.amount_e7;
        } else {
          move(seq, record.id, record.account, "held", "available", "release", record.amount_e7);
        }
        break;
    }
    if (record.last && pending.active) {
      // Zero when the bid ended in its own command; negative never, but posted if it were, so
      // that the books still follow the engine's amounts.
      move(pending.seq, pending.order_id, pending.account, "available", "held", "hold",
           pending.amount);
      pending.active = false;
    }
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
    batch_failed = false;
  }

  bool connect() {
    try {
      connection = std::make_unique<pqxx::connection>(settings.url);
      pqxx::work work(*connection);
      const pqxx::result last = work.exec(
          "SELECT batch_id, last_seq, hash FROM settlement_batches ORDER BY batch_id DESC "
          "LIMIT 1");
      known_keys.clear();
      for (const auto& row : work.exec("SELECT key_id FROM api_keys")) {
        known_keys.insert(row[0].as<std::string>());
      }
      work.commit();
      uint64_t db_batch = 0;
      if (!last.empty()) {
        db_batch = last[0][0].as<uint64_t>();
        db_settled_seq = last[0][1].as<uint64_t>();
        prev_hash = hash_from_bytea(last[0][2]);
      } else {
        prev_hash = Hash{};
      }
      // A batch whose commit we did not hear back about: if it is in, it is settled.
      if (batch_failed && db_batch > last_batch_id) {
        settled(batch_last_seq, rows.trades.size());
        reset_batch();
      }
      last_batch_id = db_batch;
      if (db_settled_seq > settled_seq.load()) settled_seq.store(db_settled_seq);
      connected.store(true);
      set_error({});
      return true;
    } catch (const std::exception& error) {
      connection.reset();
      connected.store(false);
      set_error("ledger database " + redact_url(settings.url) + ": " + error.what());
      return false;
    }
  }

  void settled(uint64_t last_seq, std::size_t trades) {
    settled_seq.store(last_seq);
    settled_batches.fetch_add(1);
    settled_trades.fetch_add(trades);
    settled_records.fetch_add(batch_records);
  }

  // Writes the batch in one transaction. False (and the connection dropped) on any error.
  bool flush() {
    rows.batch_id = last_batch_id + 1;
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
    const Hash hash = chain_hash(prev_hash, text);
    try {
      pqxx::work work(*connection);
      work.exec0("INSERT INTO settlement_batches (batch_id, first_seq, last_seq, trade_count, "
                 "prev_hash, hash) VALUES (" +
                 std::to_string(rows.batch_id) + "," + std::to_string(rows.first_seq) + "," +
                 std::to_string(rows.last_seq) + "," + std::to_string(rows.trades.size()) + "," +
                 bytea_literal(prev_hash) + "," + bytea_literal(hash) + ")");
      const uint64_t batch = rows.batch_id;
      if (!rows.accounts.empty()) {
        pqxx::stream_to out(work, "accounts",
                            std::vector<std::string>{"account", "role", "seq", "batch_id"});
        for (const AccountRow& row : rows.accounts) {
          out << std::make_tuple(row.account, row.role, row.seq, batch);
        }
        out.complete();
      }
      if (!rows.orders.empty()) {
        pqxx::stream_to out(work, "orders",
                            std::vector<std::string>{"order_id", "seq", "batch_id", "account",
                                                     "client_order_id", "side", "chip", "region",
                                                     "tif", "urgency", "price", "qty",
                                                     "accepted_ms"});
        for (const OrderRow& row : rows.orders) {
          out << std::make_tuple(row.order_id, row.seq, batch, row.account, row.client_order_id,
                                 row.side, row.chip, row.region, row.tif, row.urgency,
                                 price(row.price_ticks), qty(row.qty_milli), row.accepted_ms);
        }
        out.complete();
      }
      if (!rows.trades.empty()) {
        pqxx::stream_to out(
            work, "trades",
            std::vector<std::string>{"trade_id", "seq", "batch_id", "chip", "region", "price",
                                     "qty", "notional", "aggressor", "bid_account",
                                     "bid_order_id", "ask_account", "ask_order_id", "traded_ms"});
        for (const TradeRow& row : rows.trades) {
          out << std::make_tuple(row.trade_id, row.seq, batch, row.chip, row.region,
                                 price(row.price_ticks), qty(row.qty_milli),
                                 amount(row.notional_e7), row.aggressor, row.bid_account,
                                 row.bid_order_id, row.ask_account, row.ask_order_id,
                                 row.traded_ms);
        }
        out.complete();
      }
      if (!rows.endings.empty()) {
        pqxx::stream_to out(work, "order_endings",
                            std::vector<std::string>{"order_id", "seq", "batch_id", "reason",
                                                     "price", "filled_qty", "ended_ms"});
        for (const EndingRow& row : rows.endings) {
          out << std::make_tuple(row.order_id, row.seq, batch, row.reason,
                                 price(row.price_ticks), qty(row.filled_milli), row.ended_ms);
        }
        out.complete();
      }
      if (!rows.postings.empty()) {
        pqxx::stream_to out(work, "postings",
                            std::vector<std::string>{"batch_id", "line", "seq", "trade_id",
                                                     "order_id", "account", "book", "kind",
                                                     "amount"});
        for (const PostingRow& row : rows.postings) {
          out << std::make_tuple(batch, row.line, row.seq, row.trade_id, row.order_id,
                                 row.account, row.book, row.kind, amount(row.amount_e7));
        }
        out.complete();
      }
      if (!rows.balances.empty()) {
        pqxx::stream_to out(work, "balances", std::vector<std::string>{"account", "batch_id",
                                                                       "available", "held"});
        for (const BalanceRow& row : rows.balances) {
          out << std::make_tuple(row.account, batch, amount(row.available_e7),
                                 amount(row.held_e7));
        }
        out.complete();
      }
      for (const KeyRow& row : keys) {
        work.exec0("INSERT INTO api_keys (key_id, account, secret) VALUES (" +
                   work.quote(row.key_id) + ", " + work.quote(row.account) + ", " +
                   work.quote(row.secret) + ") ON CONFLICT (key_id) DO NOTHING");
      }
      work.commit();
    } catch (const std::exception& error) {
      set_error("ledger database " + redact_url(settings.url) + ": " + error.what());
      connection.reset();
      connected.store(false);
      batch_failed = true;
      return false;
    }
    last_batch_id = rows.batch_id;
    prev_hash = hash;
    for (const KeyRow& row : keys) known_keys.insert(row.key_id);
    if (batch_first_ms > 0) last_lag_ms.store(wall_ms() - batch_first_ms);
    settled(rows.last_seq, rows.trades.size());
    if (settings.on_settled && !rows.trades.empty()) settings.on_settled(rows.trades);
    reset_batch();
    if (received_records.load() == settled_records.load()) oldest_pending_ms.store(0);
    return true;
  }

  void run() {
    int64_t backoff_ms = 50;
    Record record;
    for (;;) {
      const bool stop = stopping.load(std::memory_order_acquire);
      if (stop && wall_ms() > stop_deadline_ms.load()) return;
      if (!connection && !connect()) {
        if (stop && ring.size() == 0 && batch_records == 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
        backoff_ms = std::min<int64_t>(backoff_ms * 2, 1000);
        continue;
      }
      // Take records up to the batch limit, ending on a command boundary; after a failed write
      // retry the same batch first.
      if (!batch_failed) {
        while (batch_records < settings.batch_records_max || !batch_complete) {
          if (!ring.try_pop(record)) break;
          // A key's seq is the command before it, which may be settled while the key is not:
          // keys are known by their ids instead.
          const bool settled_before =
              record.kind == RecordKind::key
                  ? known_keys.contains(std::string(record.text_view()))
                  : record.seq <= db_settled_seq;
          if (settled_before && batch_complete) {
            absorb(record);
          } else {
            take(record);
          }
        }
      }
      if (batch_records > 0 && batch_complete) {
        if (!flush()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
          backoff_ms = std::min<int64_t>(backoff_ms * 2, 1000);
        } else {
          backoff_ms = 50;
        }
        continue;
      }
      if (stop && ring.size() == 0 && batch_records == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
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
  return impl_->ring.size() == 0 && impl_->batch_records == 0;
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
  out.last_batch_lag_ms = impl.last_lag_ms.load();
  const int64_t oldest = impl.oldest_pending_ms.load();
  out.oldest_pending_ms = out.pending_records > 0 && oldest > 0 ? wall_ms() - oldest : 0;
  std::lock_guard lock(impl.error_mutex);
  out.last_error = impl.last_error;
  return out;
}

}  // namespace cpx::ledger
