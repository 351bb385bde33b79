// cpx-bench-settle: settlement throughput into a real PostgreSQL, end to end from the matcher's
// ledger records (ring, postings, hash chain, COPY on the writer's connections), beside the
// limit measured in the same run: a plain COPY of the very same rows (read back as COPY text
// beforehand), in the same batches and transactions and over as many connections, into the same
// tables of a second database. And --rate R: settlement lag at a steady R trades/s.
//
//   cpx-bench-settle --db ADMIN_URL [--trades N] [--rate R --seconds S] [--connections C]
//
// ADMIN_URL names database "cpx" of a server where the benchmark may create databases
// (cpx_bench_settle, cpx_bench_copy). Prints one JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cpx/app/config_files.hpp"
#include "cpx/ledger/migrations.hpp"
#include "cpx/ledger/pg_session.hpp"
#include "cpx/ledger/writer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string database_url(const std::string& admin, const std::string& name) {
  std::string url = admin;
  const std::size_t at = url.find("/cpx?");
  if (at == std::string::npos) {
    std::fprintf(stderr, "cpx-bench-settle: --db must name database cpx (postgresql:///cpx?...)\n");
    std::exit(2);
  }
  return url.replace(at, 5, "/" + name + "?");
}

std::string fresh_database(const std::string& admin, const std::string& name) {
  pqxx::connection connection(admin);
  pqxx::nontransaction work(connection);
  work.exec0("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  work.exec0("CREATE DATABASE " + name);
  const std::string url = database_url(admin, name);
  const cpx::ledger::MigrationResult migrated = cpx::ledger::migrate(url);
  if (!migrated.ok) {
    std::fprintf(stderr, "cpx-bench-settle: %s\n", migrated.error.c_str());
    std::exit(2);
  }
  return url;
}

// The matcher's records for a market where each trade is one enterprise's IOC bid meeting one
// provider's resting ask: per trade an ask command (accepted) and a bid command (accepted,
// trade, both orders filled), as the Venue emits them.
class Workload {
 public:
  static constexpr uint32_t enterprises = 16;
  static constexpr uint32_t providers = 16;

  // The accounts and their deposits: the first commands.
  void opening(cpx::ledger::Writer& writer) {
    for (uint32_t i = 0; i < enterprises + providers; ++i) {
      cpx::ledger::Record account;
      account.kind = cpx::ledger::RecordKind::account;
      account.seq = ++seq_;
      account.account = i;
      account.role = i < enterprises ? cpx::Role::enterprise : cpx::Role::provider;
      account.set_text((i < enterprises ? "ent" : "dc") + std::to_string(i));
      account.last = true;
      writer.write({&account, 1});
      if (i < enterprises) {
        cpx::ledger::Record deposit;
        deposit.kind = cpx::ledger::RecordKind::deposit;
        deposit.seq = ++seq_;
        deposit.account = i;
        deposit.amount_e7 = cpx::int128(1'000'000'000) * 10'000'000;
        deposit.last = true;
        writer.write({&deposit, 1});
      }
    }
  }

  // One trade's two commands.
  void trade(cpx::ledger::Writer& writer) {
    ++trades_;
    const uint32_t buyer = uint32_t(trades_ % enterprises);
    const uint32_t seller = enterprises + uint32_t((trades_ / 7) % providers);
    const int64_t price = 20000 + int64_t(trades_ % 100) * 10;
    const int64_t qty = 1000 + int64_t(trades_ % 50) * 100;
    const int64_t now = wall_ms();
    cpx::ledger::Record ask;
    ask.kind = cpx::ledger::RecordKind::accepted;
    ask.seq = ++seq_;
    ask.id = ask.seq;
    ask.account = seller;
    ask.side = cpx::Side::ask;
    ask.chip = uint16_t(trades_ % 4);
    ask.region = uint16_t(trades_ % 8);
    ask.price_ticks = price;
    ask.qty_milli = qty;
    ask.time_ms = now;
    ask.set_text("a" + std::to_string(trades_));
    ask.last = true;
    writer.write({&ask, 1});

    cpx::ledger::Record bid[4];
    const uint64_t seq = ++seq_;
    bid[0].kind = cpx::ledger::RecordKind::accepted;
    bid[0].seq = seq;
    bid[0].id = seq;
    bid[0].account = buyer;
    bid[0].side = cpx::Side::bid;
    bid[0].tif = cpx::Tif::ioc;
    bid[0].chip = ask.chip;
    bid[0].region = uint16_t(10 + trades_ % 6);
    bid[0].price_ticks = price + 500;
    bid[0].qty_milli = qty;
    bid[0].time_ms = now;
    bid[0].set_text("b" + std::to_string(trades_));
    bid[1].kind = cpx::ledger::RecordKind::trade;
    bid[1].seq = seq;
    bid[1].id = trades_;
    bid[1].chip = ask.chip;
    bid[1].region = ask.region;
    bid[1].aggressor = cpx::Side::bid;
    bid[1].price_ticks = price;
    bid[1].qty_milli = qty;
    bid[1].hold_price_ticks = price + 500;
    bid[1].account = buyer;
    bid[1].bid_order_id = seq;
    bid[1].ask_account = seller;
    bid[1].ask_order_id = ask.id;
    bid[1].time_ms = now;
    bid[2].kind = cpx::ledger::RecordKind::ended;
    bid[2].seq = seq;
    bid[2].id = ask.id;
    bid[2].account = seller;
    bid[2].side = cpx::Side::ask;
    bid[2].reason = cpx::ledger::EndReason::filled;
    bid[2].price_ticks = price;
    bid[2].qty_milli = qty;
    bid[2].time_ms = now;
    bid[3].kind = cpx::ledger::RecordKind::ended;
    bid[3].seq = seq;
    bid[3].id = seq;
    bid[3].account = buyer;
    bid[3].side = cpx::Side::bid;
    bid[3].reason = cpx::ledger::EndReason::filled;
    bid[3].price_ticks = price + 500;
    bid[3].qty_milli = qty;
    bid[3].time_ms = now;
    bid[3].last = true;
    writer.write({bid, 4});
  }

  uint64_t seq() const { return seq_; }

 private:
  uint64_t seq_ = 0;
  uint64_t trades_ = 0;
};

// The plain COPY: every settled row of `from`, batch by batch, read back in COPY's text format
// beforehand, then sent with COPY FROM STDIN into the same tables of `to`, one transaction per
// batch as the writer did, over as many connections as the writer used (each taking every n-th
// batch; nothing orders their commits). Returns the seconds the sending took.
double plain_copy(const std::string& from, const std::string& to, std::size_t connections) {
  using cpx::ledger::PgSession;
  using cpx::ledger::Table;
  PgSession source(from);
  static constexpr std::string_view batch_columns =
      "batch_id, first_seq, last_seq, trade_count, prev_hash, hash";
  struct Batch {
    std::string header;               // its settlement_batches row, COPY text
    std::vector<std::string> tables;  // each table's rows, COPY text
  };
  std::vector<Batch> batches;
  for (const auto& row : source.query("SELECT batch_id FROM settlement_batches ORDER BY 1")) {
    Batch& batch = batches.emplace_back();
    const std::string where = " WHERE batch_id = " + row[0];
    source.copy_out("SELECT " + std::string(batch_columns) + " FROM settlement_batches" + where,
                    batch.header);
    for (const Table table : cpx::ledger::all_tables) {
      source.copy_out("SELECT " + std::string(cpx::ledger::copy_columns(table)) + " FROM " +
                          std::string(cpx::ledger::table_name(table)) + where,
                      batch.tables.emplace_back());
    }
  }
  std::vector<std::unique_ptr<PgSession>> targets;
  for (std::size_t c = 0; c < connections; ++c) targets.push_back(std::make_unique<PgSession>(to));
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      for (std::size_t b = c; b < batches.size(); b += connections) {
        targets[c]->exec("BEGIN");
        targets[c]->copy_in("settlement_batches (" + std::string(batch_columns) + ")",
                            batches[b].header);
        for (std::size_t t = 0; t < batches[b].tables.size(); ++t) {
          if (batches[b].tables[t].empty()) continue;
          targets[c]->copy_in(cpx::ledger::copy_target(cpx::ledger::all_tables[t]),
                              batches[b].tables[t]);
        }
        targets[c]->exec("COMMIT");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return seconds_since(start);
}

}  // namespace

// Steady rate: one trade every 1/rate s (in bursts of a millisecond's worth); the lag is
// sampled every 10 ms: how long the oldest unsettled command has waited.
int run_lag(cpx::ledger::Writer& writer, Workload& workload, uint64_t rate, double run_seconds,
            std::size_t connections) {
  std::atomic<bool> done{false};
  std::vector<int64_t> samples;
  std::thread sampler([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      samples.push_back(writer.status().oldest_pending_ms);
    }
  });
  const Clock::time_point start = Clock::now();
  uint64_t sent = 0;
  while (seconds_since(start) < run_seconds) {
    const uint64_t due = uint64_t(seconds_since(start) * double(rate));
    while (sent < due) {
      workload.trade(writer);
      ++sent;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  const double offered = seconds_since(start);
  while (writer.status().settled_seq < workload.seq()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  done.store(true);
  sampler.join();
  writer.stop(60'000);
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    return samples.empty()
               ? 0
               : samples[std::min(samples.size() - 1, std::size_t(q * double(samples.size())))];
  };
  std::printf(
      "{\"mode\":\"lag\",\"connections\":%zu,\"rate\":%llu,\"trades\":%llu,\"seconds\":%.2f,"
      "\"lag_ms_p50\":%lld,\"lag_ms_p99\":%lld,\"lag_ms_max\":%lld,\"batches\":%llu}\n",
      connections, static_cast<unsigned long long>(rate), static_cast<unsigned long long>(sent),
      offered, static_cast<long long>(at(0.5)), static_cast<long long>(at(0.99)),
      static_cast<long long>(samples.empty() ? 0 : samples.back()),
      static_cast<unsigned long long>(writer.status().settled_batches));
  return 0;
}

int main(int argc, char** argv) {
  std::string admin;
  if (const char* url = std::getenv("CPX_DATABASE_URL")) admin = url;
  uint64_t trades = 200'000;
  uint64_t rate = 0;
  double run_seconds = 10;
  std::size_t connections = cpx::ledger::WriterSettings{}.connections;
  std::size_t batch_records = cpx::ledger::WriterSettings{}.batch_records_max;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--db")
      admin = argv[i + 1];
    else if (arg == "--trades")
      trades = std::stoull(argv[i + 1]);
    else if (arg == "--rate")
      rate = std::stoull(argv[i + 1]);
    else if (arg == "--seconds")
      run_seconds = std::stod(argv[i + 1]);
    else if (arg == "--connections")
      connections = std::stoull(argv[i + 1]);
    else if (arg == "--batch-records")
      batch_records = std::stoull(argv[i + 1]);
    else {
      std::fprintf(stderr,
                   "usage: cpx-bench-settle --db URL [--trades N] [--rate R --seconds S]"
                   " [--connections C] [--batch-records B]\n");
      return 2;
    }
  }
  if (admin.empty()) {
    std::fprintf(stderr, "cpx-bench-settle: give --db URL (database cpx of a test server)\n");
    return 2;
  }
  const cpx::ConfigResult config = cpx::load_config("", "");
  const std::string url = fresh_database(admin, "cpx_bench_settle");
  cpx::ledger::WriterSettings settings;
  settings.url = url;
  settings.connections = connections;
  settings.batch_records_max = batch_records;
  cpx::ledger::Writer writer(settings, *config.config);
  writer.start();
  Workload workload;
  workload.opening(writer);

  if (rate > 0) return run_lag(writer, workload, rate, run_seconds, connections);

  // Throughput: the records are handed over as fast as the writer takes them; the clock runs
  // from the first trade until the last is committed.
  while (writer.status().settled_seq < workload.seq()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const Clock::time_point start = Clock::now();
  for (uint64_t i = 0; i < trades; ++i) workload.trade(writer);
  while (writer.status().settled_seq < workload.seq()) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const double settle_seconds = seconds_since(start);
  const uint64_t batches = writer.status().settled_batches;
  writer.stop(60'000);
  const std::string copy_url = fresh_database(admin, "cpx_bench_copy");
  const double copy_seconds = plain_copy(url, copy_url, settings.connections);
  const double settle_rate = double(trades) / settle_seconds;
  const double copy_rate = double(trades) / copy_seconds;
  std::printf(
      "{\"mode\":\"throughput\",\"connections\":%zu,\"trades\":%llu,\"batches\":%llu,"
      "\"settle_seconds\":%.3f,"
      "\"trades_per_s\":%.0f,\"copy_seconds\":%.3f,\"copy_trades_per_s\":%.0f,"
      "\"ratio\":%.3f}\n",
      connections, static_cast<unsigned long long>(trades),
      static_cast<unsigned long long>(batches), settle_seconds, settle_rate, copy_seconds,
      copy_rate, settle_rate / copy_rate);
  return 0;
}
