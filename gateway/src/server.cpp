#include "cpx/gateway/server.hpp"

#include <signal.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "audit_service.hpp"
#include "cpx/journal/journal.hpp"
#include "cpx/journal/snapshot.hpp"
#include "cpx/ledger/migrations.hpp"
#include "cpx/sequencer/journal_replay.hpp"
#include "cpx/sequencer/recovery.hpp"
#include "cpx/sequencer/sequencer.hpp"
#include "cpx/venue/venue.hpp"
#include "http_session.hpp"
#include "io_thread.hpp"
#include "server_parts.hpp"
#include "wall_clock.hpp"

namespace cpx::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using sequencer::JournalReplay;
using sequencer::lost_acknowledged;
using sequencer::move_journal_aside;
using sequencer::PayloadType;
using sequencer::recover_snapshot;
using sequencer::replay_journal;
using sequencer::Sequencer;
using sequencer::Snapshots;
using venue::Venue;
using venue::VenueLimits;
using venue::VenueSink;

namespace {

constexpr int matcher_spin_count = 100;
// How long a stopping server waits for PostgreSQL to take the last ledger records.
constexpr int64_t ledger_stop_timeout_ms = 30'000;

std::span<const unsigned char> bytes_of(const void* data, std::size_t size) {
  return {static_cast<const unsigned char*>(data), size};
}

// The matcher's output, written into the I/O threads' rings. A full ring makes the matcher
// wait for that thread (which never waits for the matcher), so nothing is dropped and memory
// stays bounded; only when the server stops does a write give up.
class RingSink final : public VenueSink {
 public:
  RingSink(std::vector<std::unique_ptr<IoThread>>& io_threads, std::atomic<bool>& stopping,
           ledger::Writer* writer, AuditService* auditor)
      : io_threads_(io_threads), stopping_(stopping), writer_(writer), auditor_(auditor) {}
  bool audit(const Request& request) override {
    return auditor_ != nullptr && auditor_->submit(request);
  }
  void ledger(std::span<const ledger::Record> records) override {
    if (writer_ != nullptr) writer_->write(records);
  }
  // While the journal is replayed: no answers, pushes or market data (the ledger still gets
  // its records: it skips what it settled before).
  void set_muted(bool muted) { muted_ = muted; }
  void set_writer(ledger::Writer* writer) { writer_ = writer; }

  void reply(uint8_t io_thread, uint64_t session, unsigned status, uint32_t retry_after_s,
             std::string_view body) override {
    if (muted_) return;
    OutHeader header;
    header.kind = OutKind::reply;
    header.status = uint16_t(status);
    header.retry_after_s = retry_after_s;
    header.target = session;
    write(io_thread, header, body.data(), body.size());
  }
  void push(uint64_t thread_mask, uint32_t account, std::string_view body) override {
    if (muted_) return;
    OutHeader header;
    header.kind = OutKind::push;
    header.target = account;
    for (std::size_t i = 0; i < io_threads_.size(); ++i) {
      if (thread_mask >> i & 1) write(i, header, body.data(), body.size());
    }
  }
  void key_added(const KeyRecord& key) override {
    if (muted_) return;
    OutHeader header;
    header.kind = OutKind::key_added;
    for (std::size_t i = 0; i < io_threads_.size(); ++i) write(i, header, &key, sizeof key);
  }
  void key_revoked(const KeyRecord& key) override {
    if (muted_) return;
    OutHeader header;
    header.kind = OutKind::key_revoked;
    for (std::size_t i = 0; i < io_threads_.size(); ++i) write(i, header, &key, sizeof key);
  }
  void book(const BookHeader& book, const BookLevel* levels) override {
    if (muted_) return;
    OutHeader header;
    header.kind = OutKind::book;
    for (std::size_t i = 0; i < io_threads_.size(); ++i) {
      const std::span<const unsigned char> parts[] = {
          bytes_of(&header, sizeof header), bytes_of(&book, sizeof book),
          bytes_of(levels, sizeof(BookLevel) * book.levels)};
      write_parts(i, parts);
    }
  }
  void curve(const CurveHeader& curve, const CurvePoint* points) override {
    if (muted_) return;
    OutHeader header;
    header.kind = OutKind::curve;
    for (std::size_t i = 0; i < io_threads_.size(); ++i) {
      const std::span<const unsigned char> parts[] = {
          bytes_of(&header, sizeof header), bytes_of(&curve, sizeof curve),
          bytes_of(points, sizeof(CurvePoint) * curve.points)};
      write_parts(i, parts);
    }
  }
  void trade(const TradeRecord& trade) override {
    if (muted_) return;
    OutHeader header;
    header.kind = OutKind::trade;
    for (std::size_t i = 0; i < io_threads_.size(); ++i) write(i, header, &trade, sizeof trade);
  }

  // Wakes the threads written to since the last flush.
  void flush() {
    for (std::size_t i = 0; i < io_threads_.size(); ++i) {
      if (written_ >> i & 1) io_threads_[i]->wake();
    }
    written_ = 0;
  }

 private:
  void write(std::size_t io_thread, const OutHeader& header, const void* payload,
             std::size_t size) {
    const std::span<const unsigned char> parts[] = {bytes_of(&header, sizeof header),
                                                    bytes_of(payload, size)};
    write_parts(io_thread, parts);
  }
  void write_parts(std::size_t io_thread, std::span<const std::span<const unsigned char>> parts) {
    std::size_t bytes = 0;
    for (const auto& part : parts) bytes += part.size();
    // Answers are bounded by the page limits and book updates are split, so this never fails;
    // if it did, waiting for room would wait forever.
    CPX_ASSERT(bytes <= io_threads_[io_thread]->out.message_bytes_max());
    written_ |= uint64_t(1) << io_thread;
    int spins = 0;
    while (!io_threads_[io_thread]->out.try_write(parts)) {
      if (stopping_.load(std::memory_order_relaxed)) return;
      io_threads_[io_thread]->wake();
      if (++spins > 100) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      } else {
        std::this_thread::yield();
      }
    }
  }

  std::vector<std::unique_ptr<IoThread>>& io_threads_;
  std::atomic<bool>& stopping_;
  ledger::Writer* writer_;
  AuditService* auditor_;
  bool muted_ = false;
  uint64_t written_ = 0;
};

// Accepts connections and deals them out to the I/O threads in turn.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(tcp::acceptor& acceptor, std::vector<std::unique_ptr<IoThread>>& io_threads, Core& core)
      : acceptor_(acceptor), io_threads_(io_threads), core_(core) {}

  void run() { do_accept(); }

 private:
  void do_accept() {
    IoThread& io_thread = *io_threads_[next_++ % io_threads_.size()];
    acceptor_.async_accept(
        io_thread.context,
        [self = shared_from_this(), &io_thread](boost::system::error_code ec, tcp::socket socket) {
          if (ec == net::error::operation_aborted) return;  // stopping
          if (!ec) {
            boost::system::error_code error;
            const tcp::endpoint peer = socket.remote_endpoint(error);
            ConnectionSlot slot;
            bool full = false;
            if (error || !ConnectionSlot::claim(self->core_, peer.address(), slot, full)) {
              // Its address has its share (or it is gone already): closed at once.
              boost::system::error_code ignored;
              socket.close(ignored);
            } else {
              // Answers are small and latency matters: no Nagle delay.
              boost::system::error_code ignored;
              socket.set_option(tcp::no_delay(true), ignored);
              net::post(io_thread.context, [&io_thread, full, slot = std::move(slot),
                                            socket = std::move(socket)]() mutable {
                // Full: the anonymous connection that waited longest without a request (or
                // the oldest) makes way; if there is none, this one is closed at once.
                if (full && !io_thread.evict_anonymous()) return;
                std::make_shared<HttpSession>(std::move(socket), io_thread, std::move(slot))->run();
              });
            }
          } else {
            // Out of descriptors or similar: pause briefly instead of spinning on the error.
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
          self->do_accept();
        });
  }

  tcp::acceptor& acceptor_;
  std::vector<std::unique_ptr<IoThread>>& io_threads_;
  Core& core_;
  std::size_t next_ = 0;
};

}  // namespace

struct Server::State {
  State(const Settings& s, Config c) : core(s, std::move(c)), acceptor(accept_context) {}
  Core core;
  std::vector<std::unique_ptr<IoThread>> io_threads;
  net::io_context accept_context{1};
  tcp::acceptor acceptor;
  std::unique_ptr<ledger::Writer> writer;
  std::unique_ptr<AuditService> auditor;
  std::unique_ptr<RingSink> sink;
  std::unique_ptr<Venue> venue;
  std::string operator_key_id;
  std::string operator_secret;
  bool operator_generated = false;
  std::unique_ptr<journal::Writer> journal;
  std::unique_ptr<Snapshots> snapshots;
  VenueLimits limits;
  uint64_t replayed_records = 0;
  uint64_t torn_bytes = 0;
  std::string snapshot_used;   // the snapshot recovery started from, if any
  std::string recovery_notes;  // what the start said about the journal (a loss accepted)
  ledger::WriterSettings writer_settings;
  bool bootstrapped = false;  // the operator key of this start is in the venue
};

Server::Server(const Settings& settings, Config config)
    : state_(std::make_unique<State>(settings, std::move(config))) {
  State& state = *state_;
  for (int i = 0; i < settings.io_threads; ++i) {
    state.io_threads.push_back(std::make_unique<IoThread>(state.core, uint8_t(i)));
  }
  VenueLimits limits;
  limits.rate_per_s = settings.rate_per_s;
  limits.burst = settings.rate_burst;
  limits.clock = settings.clock;
  ledger::LedgerState resumed;
  if (!settings.database_url.empty()) {
    try {
      resumed = ledger::load_state(settings.database_url, state.core.config);
    } catch (const std::exception& error) {
      throw std::runtime_error("cannot read the ledger at " +
                               ledger::redact_url(settings.database_url) + ": " + error.what());
    }
    ledger::WriterSettings writer_settings;
    writer_settings.url = settings.database_url;
    writer_settings.buffer_records = settings.ledger_buffer;
    writer_settings.connections = settings.ledger_connections;
    // Price discovery from what is settled: every I/O thread updates its candles.
    writer_settings.on_settled = [&io_threads =
                                      state.io_threads](const std::vector<ledger::TradeRow>& rows) {
      auto trades = std::make_shared<std::vector<SettledTrade>>();
      trades->reserve(rows.size());
      for (const ledger::TradeRow& row : rows) {
        trades->push_back(SettledTrade{row.chip_index, row.region_index, row.price_ticks,
                                       row.qty_milli, row.traded_ms, row.delivery_ms});
      }
      for (auto& io_thread : io_threads) {
        net::post(io_thread->context,
                  [&io_thread = *io_thread, trades] { io_thread.apply_settled(*trades); });
      }
    };
    state.writer_settings = writer_settings;
    state.writer = std::make_unique<ledger::Writer>(writer_settings, state.core.config);
    state.core.writer = state.writer.get();
    Candles seeded(state.core.config.chips.size(), state.core.config.regions.size());
    try {
      load_candles(settings.database_url, state.core.config, seeded, wall_clock_ms());
    } catch (const std::exception& error) {
      throw std::runtime_error("cannot read the ledger's trades at " +
                               ledger::redact_url(settings.database_url) + ": " + error.what());
    }
    for (auto& io_thread : state.io_threads) io_thread->market.candles() = seeded;
    state.auditor =
        std::make_unique<AuditService>(settings.database_url, state.core.config, state.io_threads);
    limits.ledger = true;
  }
  state.sink = std::make_unique<RingSink>(state.io_threads, state.core.stopping, state.writer.get(),
                                          state.auditor.get());
  state.limits = limits;
  state.venue = std::make_unique<Venue>(state.core.config, limits, *state.sink);
  state.operator_key_id = settings.operator_key_id;
  state.operator_secret = settings.operator_secret;
  if (state.operator_key_id.empty()) {
    state.operator_key_id = "op-" + random_hex(8);
    state.operator_secret = random_hex(32);
    state.operator_generated = true;
  }
  recover(resumed);

  const tcp::endpoint endpoint(net::ip::make_address(settings.listen_host), settings.listen_port);
  state.acceptor.open(endpoint.protocol());
  state.acceptor.set_option(net::socket_base::reuse_address(true));
  state.acceptor.bind(endpoint);
  state.acceptor.listen(net::socket_base::max_listen_connections);
}

void Server::restart_from_ledger() {
  // The ledger is the record of what was settled: the journal is set aside whole, and the start
  // goes on from the ledger (the caller restores it), numbering after its last seq and trade, so
  // no settled seq is used again; orders open in the ledger end with reason restart.
  State& state = *state_;
  state.writer->stop(ledger_stop_timeout_ms);  // the replay's records: all settled before
  state.recovery_notes += "; the journal was moved to " +
                          move_journal_aside(state.core.settings.journal_dir) +
                          "; accounts, balances and keys were taken back from the ledger";
  state.writer = std::make_unique<ledger::Writer>(state.writer_settings, state.core.config);
  state.core.writer = state.writer.get();
  state.sink->set_writer(state.writer.get());
  state.writer->start();
  state.venue = std::make_unique<Venue>(state.core.config, state.limits, *state.sink);
  state.replayed_records = 0;
  state.snapshot_used.clear();
  state.bootstrapped = false;
}

void Server::bootstrap_operator() {
  State& state = *state_;
  if (state.bootstrapped) return;
  state.bootstrapped = true;
  state.venue->bootstrap_operator("operator", state.operator_key_id, state.operator_secret);
}

void Server::recover(const ledger::LedgerState& resumed) {
  State& state = *state_;
  if (state.writer) state.writer->start();  // a replay hands it records: it must take them
  // With no journal to replay, the start takes back what the ledger holds.
  const bool from_ledger = state.core.settings.journal_dir.empty() || recover_journal(resumed) == 0;
  if (from_ledger && state.writer && resumed.unsettled_contracts > 0) {
    throw std::runtime_error(
        "the ledger holds " + std::to_string(resumed.unsettled_contracts) +
        " unsettled contract(s), which a start from the ledger alone cannot take back yet: "
        "start with the journal that holds them (docs/delivery.md, docs/durability.md)");
  }
  if (from_ledger && state.writer) {
    // Take back what the ledger holds, and journal that, so that the next replay starts from
    // the same state.
    state.writer->adopt(resumed);
    state.venue->restore(resumed);
    if (state.journal && !resumed.accounts.empty()) {
      const std::string text = ledger::serialize(resumed);
      std::vector<unsigned char> payload(1 + text.size());
      payload[0] = uint8_t(PayloadType::restore);
      std::memcpy(payload.data() + 1, text.data(), text.size());
      state.journal->append(1, payload);
      state.journal->commit();
    }
  }
  bootstrap_operator();
  if (state.writer) state.writer->live_after(state.venue->engine().last_seq());
}

uint64_t Server::recover_journal(const ledger::LedgerState& resumed) {
  State& state = *state_;
  const Settings& settings = state.core.settings;
  // Replay with the sink muted: nobody waits for these answers; the keys and books go to the
  // I/O threads afterwards (publish_state, from the matcher thread).
  state.sink->set_muted(true);
  const uint64_t after = load_snapshot(resumed);
  state.venue->set_replay_clock(wall_clock_ms());
  // The torn tail is only cut once it is known that nothing acknowledged goes with it.
  const journal::Acknowledged acked = journal::read_acknowledged(settings.journal_dir);
  const JournalReplay replay = replay_journal(
      settings.journal_dir, after, *state.venue, [this] { bootstrap_operator(); }, false);
  const journal::ReadResult& read = replay.read;
  state.replayed_records = replay.replayed;
  state.sink->set_muted(false);
  if (!read.ok) throw std::runtime_error("journal: " + read.error);
  if (read.records > 0 && read.first_record > after + 1) {
    throw std::runtime_error(
        "journal: " + settings.journal_dir + " starts at record " +
        std::to_string(read.first_record) +
        (after > 0 ? ", after the gap past the snapshot's last record " + std::to_string(after)
                   : std::string(" and no usable snapshot covers the records before it")));
  }
  uint64_t records = std::max(read.last_record, after);
  if (!accept_journal(records, acked, read, resumed)) {
    restart_from_ledger();
    records = 0;
  } else if (read.torn_tail) {
    const std::string cut = journal::cut_torn_tail(read);
    if (!cut.empty()) throw std::runtime_error("journal: " + cut);
    state.torn_bytes = read.torn_bytes;
  }
  journal::Settings journal_settings;
  journal_settings.dir = settings.journal_dir;
  journal_settings.sync = settings.durability_sync;
  journal_settings.segment_bytes = settings.journal_segment_bytes;
  state.journal = std::make_unique<journal::Writer>(journal_settings, records);
  if (settings.snapshot_every > 0 || settings.snapshot_interval_s > 0) {
    std::function<uint64_t()> settled;
    if (state.writer) settled = [&writer = *state.writer] { return writer.settled_seq(); };
    state.snapshots =
        std::make_unique<Snapshots>(settings.journal_dir, settings.snapshot_every,
                                    settings.snapshot_interval_s, std::move(settled), records);
  }
  return records;
}

bool Server::accept_journal(uint64_t records, const journal::Acknowledged& acked,
                            const journal::ReadResult& read, const ledger::LedgerState& resumed) {
  State& state = *state_;
  const Settings& settings = state.core.settings;
  // What is known to have been acknowledged: the mark the journal writer keeps, and the
  // commands the ledger settled. A journal that ends before either lost acknowledged commands:
  // never started on silently (docs/durability.md, "Recovery").
  const std::string loss = lost_acknowledged(
      settings.journal_dir, records, acked, state.venue->engine().last_seq(),
      state.writer ? std::optional<uint64_t>(resumed.last_seq) : std::nullopt,
      [&](uint64_t seq) { return ledger::describe_after(settings.database_url, seq); });
  const std::string tail =
      read.torn_tail
          ? "; its end at " + read.torn_path + " offset " + std::to_string(read.torn_offset) +
                " is bad: " + read.torn_why + " (" + std::to_string(read.torn_bytes) + " bytes)"
          : std::string();
  if (!acked.error.empty()) {
    std::fprintf(stderr, "cpx-server: journal: %s; checking against the ledger only\n",
                 acked.error.c_str());
  }
  if (loss.empty()) return true;
  if (!settings.accept_journal_loss) {
    throw std::runtime_error(
        "journal: " + settings.journal_dir + " has lost acknowledged commands" + loss + tail +
        ". Restore the journal folder from a copy and start again; or start once with "
        "--accept-journal-loss to set this journal aside and go on from " +
        (state.writer ? std::string("what the ledger holds (docs/durability.md)")
                      : std::string("what the journal holds (docs/durability.md)")));
  }
  state.recovery_notes = "journal loss accepted" + loss + tail;
  // Without a ledger, what the journal holds is all there is: the start goes on from it.
  return !state.writer;
}

uint64_t Server::load_snapshot(const ledger::LedgerState& resumed) {
  State& state = *state_;
  // A snapshot is usable when the ledger has settled all it holds (the replay after it hands
  // the ledger only what comes later) and the journal goes on from its last record.
  const std::optional<journal::SnapshotFile> loaded = recover_snapshot(
      state.core.settings.journal_dir, state.writer ? resumed.last_seq : UINT64_MAX, state.venue,
      [&] { return std::make_unique<Venue>(state.core.config, state.limits, *state.sink); });
  if (!loaded) return 0;
  state.snapshot_used = loaded->path;
  if (state.writer) {
    // The ledger writer keeps every account's name and balances to write its rows: as of the
    // snapshot, since the replay hands it only what came after.
    ledger::LedgerState as_of;
    as_of.last_seq = std::max(state.venue->engine().last_seq(), resumed.last_seq);
    const Engine& engine = state.venue->engine();
    for (uint32_t i = 0; i < engine.account_count(); ++i) {
      const Account& account = engine.account(i);
      as_of.accounts.push_back(ledger::LedgerState::AccountState{
          account.name, account.role, account.balance_e7 - account.held_e7, account.held_e7});
    }
    state.writer->adopt(as_of);
  }
  bootstrap_operator();
  return loaded->journal_index;
}

uint64_t Server::replayed_records() const {
  return state_->replayed_records;
}
uint64_t Server::torn_bytes() const {
  return state_->torn_bytes;
}
const std::string& Server::snapshot_used() const {
  return state_->snapshot_used;
}
const std::string& Server::recovery_notes() const {
  return state_->recovery_notes;
}

Server::~Server() = default;

uint16_t Server::port() const {
  return state_->acceptor.local_endpoint().port();
}
const std::string& Server::operator_key_id() const {
  return state_->operator_key_id;
}
const std::string& Server::operator_secret() const {
  return state_->operator_secret;
}
bool Server::operator_key_generated() const {
  return state_->operator_generated;
}

void Server::run() {
  State& state = *state_;
  if (state.auditor) state.auditor->start();
  // The matcher: pops requests in groups for the sequencer stage (admit, journal, commit, act;
  // sequencer/sequencer.hpp), which wakes the I/O threads it wrote to. Nothing is acknowledged
  // before its command is in the journal.
  for (auto& io_thread : state.io_threads) {
    net::post(io_thread->context, [&io_thread] { io_thread->start(); });
  }
  std::vector<std::thread> threads;
  for (auto& io_thread : state.io_threads) {
    threads.emplace_back([&io_thread] { io_thread->context.run(); });
  }
  if (state.replayed_records > 0 || !state.snapshot_used.empty()) {
    // The replay's keys and books reach every I/O thread before the first connection does.
    state.venue->publish_state();
    state.sink->flush();
    std::vector<std::promise<void>> drained(state.io_threads.size());
    for (std::size_t i = 0; i < state.io_threads.size(); ++i) {
      net::post(state.io_threads[i]->context,
                [&io_thread = *state.io_threads[i], &done = drained[i]] {
                  io_thread.drain_all();
                  done.set_value();
                });
    }
    for (auto& done : drained) done.get_future().wait();
  }
  if (state.venue->open_session_orders() > 0) {
    // Cancel-on-disconnect orders whose sessions ended with the last run: cancelled first,
    // through the journal like any command (so a replay cancels them the same way).
    Request restarted;
    restarted.kind = RequestKind::restarted;
    restarted.now_ms = wall_clock_ms();
    if (state.core.inbound.try_push(restarted)) state.core.doorbell.ring();
  }
  std::optional<WallClock> clock;  // --clock wall: a tick every second
  if (state.core.settings.clock == venue::ClockMode::wall) clock.emplace(state.core).start();
  std::thread matcher([&state] {
    Sequencer sequencer(*state.venue, state.journal.get(), state.snapshots.get(),
                        [&sink = *state.sink] { sink.flush(); });
    std::vector<Request> group(sequencer::group_max);
    for (;;) {
      // A short spin only: under load the I/O thread (and on this 2-core machine, the clients)
      // need the CPU more than the matcher needs a fast wake-up.
      state.core.doorbell.wait_for(
          [&] {
            return state.core.inbound.try_pop(group[0]) ||
                   state.core.stopping.load(std::memory_order_acquire);
          },
          matcher_spin_count);
      if (state.core.stopping.load(std::memory_order_acquire)) return sequencer.finish();
      std::size_t n = 1;
      while (n < group.size() && state.core.inbound.try_pop(group[n])) ++n;
      sequencer.process({group.data(), n});
    }
  });
  std::make_shared<Listener>(state.acceptor, state.io_threads, state.core)->run();
  net::signal_set signals(state.accept_context, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) stop();
  });
  state.accept_context.run();
  clock.reset();
  // Stopping: the matcher first (it gives up any write that waits), then the I/O threads.
  matcher.join();
  if (state.auditor) state.auditor->stop();  // before the I/O threads it posts answers to
  for (auto& io_thread : state.io_threads) io_thread->context.stop();
  for (std::thread& thread : threads) thread.join();
  if (state.writer) {
    // Everything the matcher did is settled before the server ends (PostgreSQL permitting).
    const bool all = state.writer->stop(ledger_stop_timeout_ms);
    const ledger::WriterStatus status = state.writer->status();
    std::fprintf(stderr,
                 all ? "ledger: settled through seq %llu\n"
                     : "ledger: PostgreSQL did not take everything in time; settled "
                       "through seq %llu, %llu records not settled\n",
                 static_cast<unsigned long long>(status.settled_seq),
                 static_cast<unsigned long long>(status.pending_records));
  }
}

void Server::stop() {
  state_->core.stopping.store(true, std::memory_order_release);
  state_->core.doorbell.ring();
  state_->accept_context.stop();
}

}  // namespace cpx::gateway
