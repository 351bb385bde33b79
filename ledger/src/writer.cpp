#include "cpx/engine/wire_names.hpp"
#include "cpx/ledger/migrations.hpp"
#include "writer_impl.hpp"

namespace cpx::ledger {

void Writer::Impl::set_error(std::string message) {
  std::lock_guard lock(error_mutex);
  last_error = std::move(message);
}

Writer::Impl::Balance& Writer::Impl::balance(uint32_t account) {
  if (account >= balances.size()) balances.resize(account + 1);
  Balance& out = balances[account];
  if (!absorbing && out.touched_in != generation) {
    out.touched_in = generation;
    touched.push_back(account);
  }
  return out;
}

void Writer::Impl::post(const Posting& posting) {
  Balance& account = balance(posting.account);
  if (posting.book == Book::available) account.available += posting.amount_e7;
  if (posting.book == Book::held) account.held += posting.amount_e7;
  if (absorbing) return;
  rows.postings.push_back(PostingRow{++line, posting.seq, posting.trade_id, posting.order_id,
                                     names[posting.account], to_string(posting.book),
                                     to_string(posting.kind), posting.amount_e7});
}

void Writer::Impl::absorb(const Record& record) {
  if (record.kind == RecordKind::key) {
    settled_records.fetch_add(1);
    return;
  }
  absorbing = true;
  rows_mark = RowsMark{rows.accounts.size(), rows.orders.size(),
                       rows.trades.size(),   rows.endings.size(),
                       rows.postings.size(), batch_text.size(),
                       rows.sites.size(),    rows.contracts.size(),
                       rows.events.size(),   line};
  take_rows(record);
  rows.accounts.resize(rows_mark.accounts);
  rows.orders.resize(rows_mark.orders);
  rows.trades.resize(rows_mark.trades);
  rows.endings.resize(rows_mark.endings);
  rows.postings.resize(rows_mark.postings);
  batch_text.resize(rows_mark.texts);
  rows.sites.resize(rows_mark.sites);
  rows.contracts.resize(rows_mark.contracts);
  rows.events.resize(rows_mark.events);
  line = rows_mark.line;
  absorbing = false;
  settled_records.fetch_add(1);
}

void Writer::Impl::take(const Record& record) {
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

void Writer::Impl::take_rows(const Record& record) {
  const uint64_t seq = record.seq;
  switch (record.kind) {
    case RecordKind::account:
      if (names.size() <= record.account) names.resize(record.account + 1);
      names[record.account].assign(record.text_view());
      balance(record.account);
      rows.accounts.push_back(AccountRow{names[record.account], cpx::to_string(record.role), seq});
      break;
    case RecordKind::key:
      keys.push_back(KeyRow{std::string(record.text_view()), names[record.account],
                            std::string(record.text2_view()), record.expires_ms,
                            record.revoked_ms});
      break;
    case RecordKind::accepted: {
      const std::string& id = batch_text.emplace_back(record.text_view());
      rows.orders.push_back(OrderRow{record.id, seq, names[record.account], id,
                                     cpx::to_string(record.side), config.chips[record.chip].id,
                                     config.regions[record.region].id, cpx::to_string(record.tif),
                                     cpx::to_string(record.urgency), record.price_ticks,
                                     record.qty_milli, record.time_ms});
      break;
    }
    case RecordKind::trade:
      rows.trades.push_back(TradeRow{
          record.id, seq, config.chips[record.chip].id, config.regions[record.region].id,
          record.price_ticks, record.qty_milli, notional_e7(record.price_ticks, record.qty_milli),
          cpx::to_string(record.aggressor), names[record.account], record.bid_order_id,
          names[record.ask_account], record.ask_order_id, record.time_ms, record.chip,
          record.region, record.delivery_ms});
      break;
    case RecordKind::ended:
      rows.endings.push_back(EndingRow{record.id, seq, to_string(record.reason), record.price_ticks,
                                       record.qty_milli, record.time_ms});
      break;
    case RecordKind::deposit:
    case RecordKind::amended:
    case RecordKind::collateral:
      break;
    case RecordKind::site: {
      const std::string& site = batch_text.emplace_back(record.text_view());
      rows.sites.push_back(SiteRow{site, seq, names[record.account], config.chips[record.chip].id,
                                   config.regions[record.region].id, record.qty_milli,
                                   record.green_pct,
                                   name_of(site_status_names, record.site_status)});
      break;
    }
    case RecordKind::contract:
      rows.events.push_back(contract_event(record));
      break;
  }
  if (record.kind == RecordKind::trade && record.delivery_ms != 0) {
    const std::string& site = batch_text.emplace_back(record.text_view());
    rows.contracts.push_back(ContractRow{
        record.id, seq, site, record.delivery_ms, names[record.account], names[record.ask_account],
        record.qty_milli, record.price_ticks, notional_e7(record.price_ticks, record.qty_milli)});
  }
  record_postings.clear();
  rules.apply(record, record_postings);
  for (const Posting& posting : record_postings) post(posting);
}

ContractEventRow Writer::Impl::contract_event(const Record& record) {
  ContractEventRow row;
  row.trade_id = record.id;
  row.seq = record.seq;
  row.status = name_of(contract_status_names, record.contract_status);
  if (record.qty_milli >= 0) row.delivered_milli = record.qty_milli;
  if (record.contract_status == ContractStatus::settled) {
    row.paid_e7 = record.amount_e7;
    row.refunded_e7 = record.refunded_e7;
    row.penalty_e7 = record.penalty_e7;
  }
  row.event_ms = record.time_ms;
  return row;
}

void Writer::Impl::reset_batch() {
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
Writer::Writer(WriterSettings settings, Config config)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(config))) {}

Writer::~Writer() {
  stop(0);
}

void Writer::adopt(const LedgerState& state) {
  for (std::size_t i = 0; i < state.accounts.size(); ++i) {
    impl_->names.emplace_back(state.accounts[i].name);
    impl_->balances.push_back(
        Impl::Balance{state.accounts[i].available_e7, state.accounts[i].held_e7, 0});
  }
  impl_->settled_seq.store(state.last_seq);
  impl_->received_seq.store(state.last_seq);
}

void Writer::live_after(uint64_t seq) {
  impl_->live_after.store(seq);
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
  return impl_->drained();
}

uint64_t Writer::settled_seq() const {
  return impl_->settled_seq.load();
}

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
