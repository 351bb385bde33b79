#include "cpx/gateway/venue.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>

#include "cpx/engine/decimal.hpp"

namespace cpx::gateway {
namespace {

void append_string(std::string& out, std::string_view text) {
  // Ids, names and the fixed messages below never hold quotes, backslashes or control bytes.
  out.push_back('"');
  out.append(text);
  out.push_back('"');
}

void append_field(std::string& out, std::string_view name, std::string_view text) {
  out.push_back('"');
  out.append(name);
  out.append("\":");
  append_string(out, text);
}

void append_number(std::string& out, std::string_view name, uint64_t value) {
  out.push_back('"');
  out.append(name);
  out.append("\":");
  out.append(std::to_string(value));
}

void append_signed(std::string& out, std::string_view name, int64_t value) {
  out.push_back('"');
  out.append(name);
  out.append("\":");
  out.append(std::to_string(value));
}

void append_amount(std::string& out, std::string_view name, int128 value, int digits) {
  out.push_back('"');
  out.append(name);
  out.append("\":\"");
  append_decimal(out, value, digits);
  out.push_back('"');
}

unsigned status_of(Reason reason) {
  switch (reason) {
    case Reason::unknown_account:
    case Reason::unknown_order:
      return 404;
    case Reason::duplicate_account:
    case Reason::duplicate_client_order_id:
      return 409;
    case Reason::role_mismatch:
      return 403;
    default:
      return 400;
  }
}

std::string_view message_of(Reason reason) {
  switch (reason) {
    case Reason::bad_request:
      return "the request is malformed or misses a required field";
    case Reason::unknown_account:
      return "no such account";
    case Reason::duplicate_account:
      return "the account exists already";
    case Reason::role_mismatch:
      return "the account's role may not do this";
    case Reason::unknown_chip:
      return "no such chip type";
    case Reason::unknown_region:
      return "no such region";
    case Reason::bad_qty:
      return "qty must be a decimal string, 0 < qty <= 1000000000, at most 3 decimals";
    case Reason::bad_price:
      return "price must be a decimal string, 0 < price <= 1000000, at most 4 decimals";
    case Reason::bad_amount:
      return "amount must be a decimal string, 0 < amount <= 1000000000000, at most 7 decimals";
    case Reason::bad_latency:
      return "max_latency_ms must be an integer from 1 to 1000";
    case Reason::bad_green:
      return "green share must be an integer from 0 to 100";
    case Reason::bad_tif:
      return "tif must be GTC, IOC or FOK";
    case Reason::bad_urgency:
      return "urgency must be urgent, standard or batch";
    case Reason::duplicate_client_order_id:
      return "the account used this client_order_id for another order";
    case Reason::unknown_order:
      return "no open order of this account has this client_order_id";
    case Reason::insufficient_funds:
      return "the available balance does not cover the order's hold";
    case Reason::none:
      break;
  }
  return "";
}

OrderStatus status_of(DoneReason reason) {
  switch (reason) {
    case DoneReason::canceled:
      return OrderStatus::canceled;
    case DoneReason::filled:
      return OrderStatus::filled;
    case DoneReason::expired:
      return OrderStatus::expired;
    case DoneReason::killed:
      return OrderStatus::killed;
  }
  return OrderStatus::canceled;
}

// Levels per market-data update (24 bytes each: well within a ring message).
constexpr std::size_t book_levels_per_update = 8192;

int64_t refill_milli(uint32_t rate_per_s, int64_t elapsed_ms) {
  return elapsed_ms * int64_t(rate_per_s);  // tokens * 1000 per ms = rate tokens per second
}

}  // namespace

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::open:
      return "open";
    case OrderStatus::filled:
      return "filled";
    case OrderStatus::canceled:
      return "canceled";
    case OrderStatus::expired:
      return "expired";
    case OrderStatus::killed:
      return "killed";
  }
  return "open";
}

Venue::Venue(Config config, VenueLimits limits, VenueSink& sink)
    : engine_(std::move(config)), limits_(limits), sink_(sink) {
  const std::size_t chips = engine_.config().chips.size();
  bid_levels_.resize(chips);
  ask_levels_.resize(chips);
  book_seq_.assign(chips, 0);
  trade_seq_.assign(chips, 0);
  events_.reserve(1024);
}

void Venue::bootstrap_operator(std::string_view account, std::string_view key_id,
                               std::string_view secret) {
  Command command;
  command.op = Op::account;
  command.role = Role::operator_;
  command.account = account;
  if (const auto known = engine_.find_account(account)) {  // restored from the ledger
    CPX_ASSERT(engine_.account(*known).role == Role::operator_);
    if (!keys_.contains(key_id)) add_key(key_id, secret, *known, true);
    return;
  }
  execute(command);
  accounts_.resize(engine_.account_count());
  const auto index = engine_.find_account(account);
  CPX_ASSERT(index.has_value());
  add_key(key_id, secret, *index, true);
  now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  if (limits_.ledger && events_.front().type == EventType::ok) {
    ledger::Record& record = ledger_record(ledger::RecordKind::account, events_.front().seq);
    record.account = *index;
    record.role = Role::operator_;
    record.set_text(account);
    send_ledger();
  }
}

void Venue::restore(const ledger::LedgerState& state) {
  CPX_ASSERT(engine_.account_count() == 0);
  for (const auto& account : state.accounts) {
    engine_.restore_account(account.name, account.role, account.available_e7 + account.held_e7);
  }
  accounts_.resize(engine_.account_count());
  for (const auto& key : state.keys) {
    const auto index = engine_.find_account(key.account);
    if (index && !keys_.contains(key.key_id)) add_key(key.key_id, key.secret, *index);
  }
  // Orders open at the last stop are gone (until the journal keeps them): one command, seq
  // last + 1, ends them in the ledger and releases their holds.
  const uint64_t restart_seq = state.last_seq + 1;
  engine_.resume_numbering(state.open_orders.empty() ? state.last_seq : restart_seq,
                           state.last_trade_id);
  if (!limits_.ledger) return;
  now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  for (const auto& order : state.open_orders) {
    const auto index = engine_.find_account(order.account);
    if (!index) continue;
    ledger::Record& record = ledger_record(ledger::RecordKind::ended, restart_seq);
    record.id = order.order_id;
    record.account = *index;
    record.side = order.side;
    record.reason = ledger::EndReason::restart;
    record.price_ticks = order.price_ticks;
    record.qty_milli = order.filled_milli;
    record.amount_e7 = order.held_e7;
  }
  send_ledger();
}

void Venue::execute(const Command& command) {
  events_.clear();
  engine_.execute(command, events_);
  sink_.events(events_, command);
}

ledger::Record& Venue::ledger_record(ledger::RecordKind kind, uint64_t seq) {
  ledger::Record& record = ledger_records_.emplace_back();
  record.kind = kind;
  record.seq = seq;
  record.time_ms = now_ms_;
  return record;
}

void Venue::send_ledger() {
  if (ledger_records_.empty()) return;
  ledger_records_.back().last = true;
  sink_.ledger(ledger_records_);
  ledger_records_.clear();
}

void Venue::ledger_key(std::string_view key_id, std::string_view secret, uint32_t account) {
  if (!limits_.ledger) return;
  ledger::Record& record = ledger_record(ledger::RecordKind::key, engine_.last_seq());
  record.account = account;
  record.set_text(key_id);
  record.set_text2(secret);
}

void Venue::add_key(std::string_view key_id, std::string_view secret, uint32_t account,
                    bool bootstrap) {
  const Account& holder = engine_.account(account);
  keys_.emplace(std::string(key_id),
                KeyEntry{account, holder.role, {}, std::string(secret), bootstrap});
  KeyRecord record;
  record.key_id.assign(key_id);
  record.secret.assign(secret);
  record.account.assign(holder.name);
  record.role = holder.role;
  record.account_index = account;
  sink_.key_added(record);
}

void Venue::answer(const Request& request, unsigned status, std::string_view body,
                   uint32_t retry_after_s) {
  sink_.reply(request.io_thread, request.session, status, retry_after_s, body);
}

void Venue::answer_error(const Request& request, unsigned status, std::string_view code,
                         std::string_view message, uint32_t retry_after_s) {
  body_.clear();
  if (request.surface == Surface::ws) {
    body_.append("{\"type\":\"rejected\",\"req_id\":");
    body_.append(request.req_id.view());
    body_.push_back(',');
    append_field(body_, "reason", code);
    body_.push_back(',');
    append_field(body_, "message", message);
    body_.push_back('}');
  } else {
    body_.append("{\"error\":{");
    append_field(body_, "code", code);
    body_.push_back(',');
    append_field(body_, "message", message);
    body_.append("}}");
  }
  answer(request, status, body_, retry_after_s);
}

void Venue::answer_rejection(const Request& request, Reason reason) {
  answer_error(request, status_of(reason), to_string(reason), message_of(reason));
}

bool Venue::admit(const Request& request, Caller& caller) {
  const auto key = keys_.find(request.key_id.view());
  if (key == keys_.end()) {
    answer_error(request, 401, "unauthorized", "unknown API key");
    return false;
  }
  if (request.signed_request) {
    const AuthFailure failure =
        replay_guard_.admit(request.signature.view(), request.timestamp_ms, request.now_ms);
    if (failure == AuthFailure::busy) {
      answer_error(request, 503, "busy", "too many signed requests in flight", 1);
      return false;
    }
    if (failure != AuthFailure::none) {
      answer_error(request, 401, "unauthorized", "this signature was used already");
      return false;
    }
  }
  if (limits_.rate_per_s != 0) {
    TokenBucket& bucket = key->second.bucket;
    const int64_t cap = int64_t(limits_.burst) * 1000;
    if (bucket.updated_ms == 0) {
      bucket.tokens_milli = cap;
    } else if (request.now_ms > bucket.updated_ms) {
      bucket.tokens_milli = std::min(
          cap, bucket.tokens_milli + refill_milli(limits_.rate_per_s, request.now_ms - bucket.updated_ms));
    }
    bucket.updated_ms = std::max(bucket.updated_ms, request.now_ms);
    if (bucket.tokens_milli < 1000) {
      const int64_t wait_ms = (1000 - bucket.tokens_milli + limits_.rate_per_s - 1) / limits_.rate_per_s;
      answer_error(request, 429, "rate_limited", "too many requests for this API key",
                   uint32_t(std::max<int64_t>(1, (wait_ms + 999) / 1000)));
      return false;
    }
    bucket.tokens_milli -= 1000;
  }
  caller.account = key->second.account;
  caller.role = key->second.role;
  return true;
}

void Venue::handle(const Request& request) {
  Caller caller{};
  if (admit_request(request, caller)) act(request, caller);
}

bool Venue::admit_request(const Request& request, Caller& caller) {
  now_ms_ = request.now_ms;
  if (request.kind == RequestKind::ws_logout) {
    handle_logout(request);
    return false;
  }
  return admit(request, caller);
}

bool Venue::journaled(const Request& request) {
  switch (request.kind) {
    case RequestKind::order:
    case RequestKind::create_account:
    case RequestKind::create_key:
    case RequestKind::deposit:
      return true;
    default:
      return false;
  }
}

void Venue::replay(const Request& request, const Caller& caller, uint64_t signature_fingerprint) {
  now_ms_ = request.now_ms;
  if (signature_fingerprint != 0 && request.now_ms + 2 * replay_generation_ms > replay_wall_ms_) {
    replay_guard_.remember(signature_fingerprint, request.now_ms);
  }
  replaying_ = true;
  act(request, caller);
  replaying_ = false;
}

void Venue::publish_state() {
  for (const auto& [key_id, entry] : keys_) {
    KeyRecord record;
    record.key_id.assign(key_id);
    record.secret.assign(entry.secret);
    record.account.assign(engine_.account(entry.account).name);
    record.role = entry.role;
    record.account_index = entry.account;
    sink_.key_added(record);
  }
  for (uint16_t chip = 0; chip < bid_levels_.size(); ++chip) {
    changed_levels_.clear();
    for (const auto& [price, level] : bid_levels_[chip]) {
      changed_levels_.push_back(BookLevel{Side::bid, 0, price, 0});
    }
    for (const auto& [price, level] : ask_levels_[chip]) {
      changed_levels_.push_back(BookLevel{Side::ask, 0, price, 0});
    }
    if (!changed_levels_.empty()) publish_book(chip);
  }
}

std::string Venue::state_hash() const {
  // The canonical text (docs/durability.md, "State hash"), then its SHA-256.
  std::string text = "seq " + std::to_string(engine_.last_seq()) + " trade " +
                     std::to_string(engine_.last_trade_id()) + "\n";
  for (uint32_t i = 0; i < engine_.account_count(); ++i) {
    const Account& account = engine_.account(i);
    text += "a " + std::to_string(i) + " " + account.name + " " +
            std::string(to_string(account.role)) + " ";
    append_int128(text, account.balance_e7);
    text += " ";
    append_int128(text, account.held_e7);
    text += " " + std::to_string(accounts_[i].event_seq) + "\n";
  }
  struct Resting {
    uint32_t key;
    uint16_t chip;
    Order order;
  };
  std::vector<Resting> resting;
  for (uint16_t chip = 0; chip < engine_.config().chips.size(); ++chip) {
    engine_.book(chip).for_each_order(
        [&](const Order& order) { resting.push_back(Resting{order.key, chip, order}); });
  }
  std::sort(resting.begin(), resting.end(),
            [](const Resting& a, const Resting& b) { return a.key < b.key; });
  for (const Resting& r : resting) {
    text += "o " + std::to_string(r.key) + " " + std::to_string(r.chip) + " " +
            std::string(to_string(r.order.side)) + " " + std::to_string(r.order.account) + " " +
            std::to_string(r.order.price_ticks) + " " + std::to_string(r.order.qty_milli) + " " +
            std::to_string(r.order.time) + " " + std::string(to_string(r.order.urgency)) + "\n";
  }
  for (std::size_t key = 0; key < orders_.size(); ++key) {
    const OrderRecord& order = orders_[key];
    text += "r " + std::to_string(key) + " " + std::to_string(order.order_id) + " " +
            std::string(to_string(order.status)) + " " + std::to_string(order.price_ticks) +
            " " + std::to_string(order.open_milli) + " " + std::to_string(order.filled_milli) +
            "\n";
  }
  std::vector<std::string> key_ids;
  for (const auto& [key_id, entry] : keys_) key_ids.push_back(key_id + " " + std::to_string(entry.account));
  std::sort(key_ids.begin(), key_ids.end());
  for (const std::string& key : key_ids) text += "k " + key + "\n";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

namespace {

// What a snapshot depends on in the config: the chips and regions by index, and the matrix.
std::string config_fingerprint(const Config& config) {
  std::string text;
  for (const auto& chip : config.chips) text += "c " + chip.id + "\n";
  for (const auto& region : config.regions) text += "r " + region.id + "\n";
  for (const uint16_t ms : config.latency_ms) text += std::to_string(ms) + " ";
  return text;
}

// 2: with the replay guard's fingerprints; 1 (without) is still read.
constexpr uint32_t venue_snapshot_version = 2;

}  // namespace

void Venue::save(journal::SnapshotWriter& out) const {
  out.u32(venue_snapshot_version);
  out.u32(sizeof(OrderRecord));
  out.u32(sizeof(FillRecord));
  out.text(config_fingerprint(engine_.config()));
  out.u64(engine_.last_seq());
  out.u64(engine_.last_trade_id());
  out.u64(engine_.account_count());
  for (uint32_t i = 0; i < engine_.account_count(); ++i) {
    const Account& account = engine_.account(i);
    out.text(account.name);
    out.u8(uint8_t(account.role));
    out.i128(account.balance_e7);
    out.i128(account.held_e7);
    out.u64(accounts_[i].event_seq);
  }
  // Order records and fills as they are in memory (plain records; the layout's sizes are in
  // the header, and a snapshot is read by the build that wrote it), then the client order ids.
  out.u64(engine_.hashed_order_keys());
  out.u64(orders_.size());
  out.bytes(orders_.data(), orders_.size() * sizeof(OrderRecord));
  for (uint32_t key = 0; key < orders_.size(); ++key) {
    const IdText id = engine_.key_client_order_id(key);
    out.u8(id.size);
    out.bytes(id.data, id.size);
  }
  for (uint32_t i = 0; i < engine_.account_count(); ++i) {
    const SegmentedArray<FillRecord>& fills = accounts_[i].fills;
    out.u64(fills.size());
    fills.for_each_segment(
        [&](const FillRecord* first, std::size_t count) { out.bytes(first, count * sizeof *first); });
  }
  // Resting orders by chip, oldest priority first: resting them again in this order rebuilds
  // every queue as it was.
  struct Resting {
    uint16_t chip;
    uint32_t key;
    int64_t price_ticks;
    int64_t qty_milli;
    uint64_t time;
  };
  std::vector<Resting> resting;
  for (uint16_t chip = 0; chip < engine_.config().chips.size(); ++chip) {
    engine_.book(chip).for_each_order([&](const Order& order) {
      resting.push_back(Resting{chip, order.key, order.price_ticks, order.qty_milli, order.time});
    });
  }
  std::sort(resting.begin(), resting.end(), [](const Resting& a, const Resting& b) {
    return a.chip != b.chip ? a.chip < b.chip : a.time < b.time;
  });
  out.u64(resting.size());
  for (const Resting& r : resting) {
    out.u16(r.chip);
    out.u32(r.key);
    out.i64(r.price_ticks);
    out.i64(r.qty_milli);
    out.u64(r.time);
  }
  std::vector<const std::pair<const std::string, KeyEntry>*> keys;
  for (const auto& entry : keys_) {
    if (!entry.second.bootstrap) keys.push_back(&entry);
  }
  std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return a->first < b->first; });
  out.u64(keys.size());
  for (const auto* entry : keys) {
    out.text(entry->first);
    out.u32(entry->second.account);
    out.text(entry->second.secret);
  }
  for (const uint64_t seq : book_seq_) out.u64(seq);
  for (const uint64_t seq : trade_seq_) out.u64(seq);
  // The signatures admitted in the last minute or two: a request sent again after a restart
  // from this snapshot is refused as it would have been before.
  const ReplayGuard::Saved guard = replay_guard_.save();
  out.i64(guard.generation_start_ms);
  for (const std::vector<uint64_t>* generation : {&guard.current, &guard.previous}) {
    out.u64(generation->size());
    out.bytes(generation->data(), generation->size() * sizeof(uint64_t));
  }
  out.text("end");
}

void Venue::load(journal::SnapshotReader& in) {
  CPX_ASSERT(engine_.account_count() == 0 && keys_.empty());
  const uint32_t version = in.u32();
  if (version != 1 && version != venue_snapshot_version) {
    in.fail("a venue state version this build cannot read");
  }
  if (in.u32() != sizeof(OrderRecord) || in.u32() != sizeof(FillRecord)) {
    in.fail("a snapshot written by a build with other record layouts");
  }
  if (in.text() != config_fingerprint(engine_.config())) {
    in.fail("the snapshot was taken with other chips, regions or latencies than this config");
  }
  const uint64_t seq = in.u64();
  const uint64_t trade_id = in.u64();
  const std::size_t chips = engine_.config().chips.size();
  const std::size_t regions = engine_.config().regions.size();
  const uint64_t account_count = in.count(4 + 1 + 16 + 16 + 8);
  for (uint64_t i = 0; i < account_count; ++i) {
    const std::string name = in.text();
    const uint8_t role = in.u8();
    const int128 balance = in.i128();
    const int128 held = in.i128();
    if (role > uint8_t(Role::operator_) || engine_.find_account(name)) in.fail("a bad account");
    engine_.restore_account(name, Role(role), balance, held);
    accounts_.emplace_back().event_seq = in.u64();
  }
  const uint64_t hashed_keys = in.u64();
  const uint64_t order_count = in.count(sizeof(OrderRecord) + 1);
  if (hashed_keys > order_count) in.fail("more hashed order ids than orders");
  if (order_count > orders_.capacity_max() - orders_.size()) in.fail("more orders than fit");
  in.bytes(orders_.append_raw(order_count), order_count * sizeof(OrderRecord));
  engine_.reserve_order_keys(hashed_keys);  // numeric ids are indexed directly
  char id[256];
  for (uint64_t key = 0; key < order_count; ++key) {
    OrderRecord& order = orders_[key];
    const uint8_t id_size = in.u8();
    in.bytes(id, id_size);
    const std::string_view client_order_id(id, id_size);
    if (order.account >= account_count || order.chip >= chips || order.region >= regions ||
        uint8_t(order.status) > uint8_t(OrderStatus::killed) || uint8_t(order.side) > 1 ||
        !is_valid_id(client_order_id)) {
      in.fail("a bad order");
    }
    if (engine_.find_order(order.account, client_order_id) != index_none ||
        engine_.restore_order_key(order.account, client_order_id, order.chip) != key) {
      in.fail("an order key out of place");
    }
    accounts_[order.account].orders.push_back(uint32_t(key));
    if (order.book_milli > 0) {
      auto& levels = order.side == Side::bid ? bid_levels_[order.chip] : ask_levels_[order.chip];
      Level& level = levels[order.book_price_ticks];
      level.qty_milli += order.book_milli;
      ++level.count;
    }
  }
  for (uint64_t i = 0; i < account_count; ++i) {
    SegmentedArray<FillRecord>& fills = accounts_[i].fills;
    const uint64_t fill_count = in.count(sizeof(FillRecord));
    fills.resize(fill_count);
    fills.for_each_segment(
        [&](FillRecord* first, std::size_t count) { in.bytes(first, count * sizeof *first); });
    for (const FillRecord& fill : fills) {
      if (fill.order_key >= order_count) in.fail("a fill of an unknown order");
    }
  }
  const uint64_t resting_count = in.count(2 + 4 + 24);
  for (uint64_t i = 0; i < resting_count; ++i) {
    const uint16_t chip = in.u16();
    const uint32_t key = in.u32();
    if (chip >= chips || key >= order_count || orders_[key].chip != chip ||
        orders_[key].status != OrderStatus::open) {
      in.fail("a bad resting order");
    }
    const OrderRecord& order = orders_[key];
    Incoming incoming;
    incoming.side = order.side;
    incoming.urgency = order.urgency;
    incoming.green_pct = order.green_pct;
    incoming.region = order.region;
    incoming.latency_ms_max =
        latency_ceiling(order.side, order.has_latency_max, order.latency_ms_max);
    incoming.price_ticks = in.i64();
    incoming.qty_milli = in.i64();
    incoming.time = in.u64();
    incoming.key = key;
    incoming.account = order.account;
    if (incoming.qty_milli <= 0) in.fail("a resting order with nothing open");
    engine_.restore_resting(chip, incoming);
  }
  const uint64_t key_count = in.count(4 + 4 + 4);
  for (uint64_t i = 0; i < key_count; ++i) {
    const std::string key_id = in.text();
    const uint32_t account = in.u32();
    const std::string secret = in.text();
    if (account >= account_count || keys_.contains(key_id)) in.fail("a bad API key");
    add_key(key_id, secret, account);
  }
  for (uint64_t& value : book_seq_) value = in.u64();
  for (uint64_t& value : trade_seq_) value = in.u64();
  if (version >= 2) {
    ReplayGuard::Saved guard;
    guard.generation_start_ms = in.i64();
    for (std::vector<uint64_t>* generation : {&guard.current, &guard.previous}) {
      generation->resize(in.count(sizeof(uint64_t)));
      in.bytes(generation->data(), generation->size() * sizeof(uint64_t));
    }
    replay_guard_.restore(guard);
  }
  if (in.text() != "end" || !in.at_end()) in.fail("the venue state does not end where it should");
  engine_.resume_numbering(seq, trade_id);
}

void Venue::handle_state(const Request& request) {
  body_ = "{\"seq\":" + std::to_string(engine_.last_seq()) +
          ",\"trade_id\":" + std::to_string(engine_.last_trade_id()) + ",\"state_hash\":\"" +
          state_hash() + "\"}";
  answer(request, 200, body_);
}

void Venue::act(const Request& request, const Caller& caller) {
  const bool trader = caller.role == Role::enterprise || caller.role == Role::provider;
  const bool operator_ = caller.role == Role::operator_;
  switch (request.kind) {
    case RequestKind::order:
    case RequestKind::get_order:
    case RequestKind::list_orders:
    case RequestKind::list_fills:
    case RequestKind::get_account:
      if (!trader) {
        return answer_error(request, 403, "role_mismatch",
                            "only enterprise and provider keys trade and hold orders");
      }
      break;
    case RequestKind::create_account:
    case RequestKind::create_key:
    case RequestKind::deposit:
    case RequestKind::state:
      if (!operator_) {
        return answer_error(request, 403, "role_mismatch", "only operator keys administer");
      }
      break;
    case RequestKind::ws_login:
    case RequestKind::ws_logout:
      break;
    case RequestKind::ledger_trades:
    case RequestKind::ledger_statement:
    case RequestKind::ledger_verify:
      if (caller.role != Role::auditor) {
        return answer_error(request, 403, "role_mismatch", "only auditor keys read the ledger");
      }
      if (!limits_.ledger) {
        return answer_error(request, 503, "ledger_unavailable",
                            "this server runs without a ledger database");
      }
      if (!sink_.audit(request)) {
        return answer_error(request, 503, "busy", "the ledger service is busy; retry shortly", 1);
      }
      return;
  }
  switch (request.kind) {
    case RequestKind::order:
      return handle_order(request, caller);
    case RequestKind::get_order:
      return handle_get_order(request, caller);
    case RequestKind::list_orders:
      return handle_list_orders(request, caller);
    case RequestKind::list_fills:
      return handle_list_fills(request, caller);
    case RequestKind::get_account:
      return handle_get_account(request, caller);
    case RequestKind::create_account:
      return handle_create_account(request);
    case RequestKind::create_key:
      return handle_create_key(request);
    case RequestKind::deposit:
      return handle_deposit(request);
    case RequestKind::ws_login:
      return handle_login(request, caller);
    case RequestKind::state:
      return handle_state(request);
    case RequestKind::ws_logout:
    case RequestKind::ledger_trades:
    case RequestKind::ledger_statement:
    case RequestKind::ledger_verify:
      return;
  }
}

void Venue::handle_order(const Request& request, const Caller& caller) {
  Command command = request.command.unwrap();
  command.account = engine_.account(caller.account).name;
  command.account_index = caller.account;
  // Idempotent entry: the same order sent again over REST gets its first answer and places
  // nothing; any other reuse of the id goes to the engine, which refuses it.
  if (command.op == Op::new_order && request.surface == Surface::rest &&
      command.shape_reason == Reason::none && command.field_reason == Reason::none) {
    const uint32_t key = engine_.find_order(caller.account, command.client_order_id);
    if (key != index_none) {
      const OrderRecord& placed = orders_[key];
      const bool bid = command.side == Side::bid;
      const bool same =
          placed.rest_placed && placed.side == command.side &&
          placed.chip == command.chip && placed.region == command.region &&
          placed.qty_milli == command.qty_milli &&
          placed.price_placed_ticks == command.price_ticks && placed.tif == command.tif &&
          placed.green_pct == command.green_pct &&
          (!bid || (placed.has_latency_max == command.has_latency_max &&
                    placed.latency_ms_max == command.latency_ms_max &&
                    placed.urgency == command.urgency));
      if (same) {
        body_.clear();
        render_placed_answer(body_, key);
        return answer(request, 201, body_);
      }
    }
  }
  execute(command);
  const Event& first = events_.front();
  if (first.type == EventType::rejected) return answer_rejection(request, first.reason);
  const uint32_t key = first.order_key;
  const std::size_t fills_before = accounts_[caller.account].fills.size();
  apply_events(command, request.now_ms);
  send_ledger();
  const AccountExtra& extra = accounts_[caller.account];
  if (first.type == EventType::accepted && request.surface == Surface::rest) {
    OrderRecord& placed = orders_[key];
    placed.rest_placed = true;
    placed.accept_status = placed.status;
    placed.accept_filled_milli = placed.filled_milli;
    for (std::size_t i = fills_before; i < extra.fills.size(); ++i) {
      if (extra.fills[i].order_key != key) continue;
      if (placed.accept_trades++ == 0) placed.accept_first_trade = extra.fills[i].trade_id;
    }
    if (replaying_) return;  // a replay answers nobody
    body_.clear();
    render_placed_answer(body_, key);
    return answer(request, 201, body_);
  }
  if (replaying_) return;

  body_.clear();
  if (request.surface == Surface::ws) {
    body_.append("{\"type\":\"");
    body_.append(first.type == EventType::accepted  ? "accepted"
                 : first.type == EventType::amended ? "amended"
                                                    : "done");
    body_.append("\",\"req_id\":");
    body_.append(request.req_id.view());
    body_.push_back(',');
    append_field(body_, "client_order_id", command.client_order_id);
    if (first.type == EventType::accepted) {
      body_.push_back(',');
      append_number(body_, "order_id", first.id);
    } else if (first.type == EventType::amended) {
      body_.push_back(',');
      append_amount(body_, "qty", first.qty_milli, qty_frac_digits);
      body_.push_back(',');
      append_amount(body_, "price", first.price_ticks, price_frac_digits);
    } else {
      body_.append(",\"reason\":\"canceled\"");
    }
    body_.push_back('}');
    return answer(request, 200, body_);
  }
  body_.append("{\"order\":");
  render_order(body_, key);
  body_.append(",\"trades\":[");
  bool comma = false;
  for (std::size_t i = fills_before; i < extra.fills.size(); ++i) {
    if (extra.fills[i].order_key != key) continue;
    if (comma) body_.push_back(',');
    comma = true;
    render_fill(body_, extra.fills[i]);
  }
  body_.append("]}");
  answer(request, 200, body_);
}

void Venue::render_placed_answer(std::string& out, uint32_t key) const {
  const OrderRecord& order = orders_[key];
  out.append("{\"order\":");
  render_order(out, key, true);
  out.append(",\"trades\":[");
  const SegmentedArray<FillRecord>& fills = accounts_[order.account].fills;
  auto it = std::lower_bound(fills.begin(), fills.end(), order.accept_first_trade,
                             [](const FillRecord& fill, uint64_t id) { return fill.trade_id < id; });
  for (uint32_t n = 0; n < order.accept_trades && it != fills.end(); ++it) {
    if (it->order_key != key) continue;
    if (n++ > 0) out.push_back(',');
    render_fill(out, *it);
  }
  out.append("]}");
}

void Venue::apply_events(const Command& command, int64_t now_ms) {
  touched_.clear();
  for (const Event& event : events_) {
    switch (event.type) {
      case EventType::ok:
      case EventType::rejected:
        break;
      case EventType::accepted: {
        CPX_ASSERT(event.order_key == orders_.size());
        OrderRecord& order = orders_.emplace_back();
        order.account = command.account_index;
        order.chip = command.chip;
        order.region = command.region;
        order.side = command.side;
        order.tif = command.tif;
        order.urgency = command.urgency;
        order.has_latency_max = command.has_latency_max;
        order.latency_ms_max = command.latency_ms_max;
        order.green_pct = command.green_pct;
        order.qty_milli = command.qty_milli;
        order.price_placed_ticks = command.price_ticks;
        order.price_ticks = command.price_ticks;
        order.open_milli = command.qty_milli;
        order.order_id = event.id;
        order.created_ms = now_ms;
        accounts_[order.account].orders.push_back(event.order_key);
        touched_.push_back(event.order_key);
        if (limits_.ledger) {
          ledger::Record& record = ledger_record(ledger::RecordKind::accepted, event.seq);
          record.id = order.order_id;
          record.account = order.account;
          record.side = order.side;
          record.tif = order.tif;
          record.urgency = order.urgency;
          record.chip = order.chip;
          record.region = order.region;
          record.price_ticks = order.price_ticks;
          record.qty_milli = order.qty_milli;
          record.time_ms = now_ms;
          record.set_text(engine_.key_client_order_id(event.order_key).view());
        }
        break;
      }
      case EventType::amended: {
        OrderRecord& order = orders_[event.order_key];
        if (limits_.ledger) {
          ledger::Record& record = ledger_record(ledger::RecordKind::amended, event.seq);
          record.id = order.order_id;
          record.account = order.account;
          record.side = order.side;
          record.price_ticks = event.price_ticks;
          record.qty_milli = event.qty_milli;
          if (order.side == Side::bid) {
            record.amount_e7 = notional_e7(event.price_ticks, event.qty_milli) -
                               notional_e7(order.price_ticks, order.open_milli);
          }
        }
        order.price_ticks = event.price_ticks;
        order.open_milli = event.qty_milli;
        touched_.push_back(event.order_key);
        break;
      }
      case EventType::trade: {
        for (const uint32_t key : {event.order_key, event.ask_key}) {
          OrderRecord& order = orders_[key];
          order.open_milli -= event.qty_milli;
          order.filled_milli += event.qty_milli;
          const FillRecord fill{event.id,          key,         event.region,
                                event.aggressor == order.side, event.price_ticks,
                                event.qty_milli,   now_ms};
          accounts_[order.account].fills.push_back(fill);
          touched_.push_back(key);
          if (!listened(order.account)) continue;
          push_body_.assign("{\"type\":\"trade\",");
          render_fill_fields(push_body_, fill);
          push_body_.push_back('}');
          push_to(order.account, push_body_);
        }
        if (limits_.ledger) {
          const OrderRecord& bid = orders_[event.order_key];
          const OrderRecord& ask = orders_[event.ask_key];
          ledger::Record& record = ledger_record(ledger::RecordKind::trade, event.seq);
          record.id = event.id;
          record.chip = event.chip;
          record.region = event.region;
          record.aggressor = event.aggressor;
          record.price_ticks = event.price_ticks;
          record.qty_milli = event.qty_milli;
          record.hold_price_ticks = bid.price_ticks;
          record.account = bid.account;
          record.bid_order_id = bid.order_id;
          record.ask_account = ask.account;
          record.ask_order_id = ask.order_id;
          record.time_ms = now_ms;
        }
        TradeRecord trade;
        trade.chip = event.chip;
        trade.region = event.region;
        trade.aggressor = event.aggressor;
        trade.seq = ++trade_seq_[event.chip];
        trade.trade_id = event.id;
        trade.price_ticks = event.price_ticks;
        trade.qty_milli = event.qty_milli;
        trade.time_ms = now_ms;
        sink_.trade(trade);
        break;
      }
      case EventType::done: {
        OrderRecord& order = orders_[event.order_key];
        if (limits_.ledger) {
          ledger::Record& record = ledger_record(ledger::RecordKind::ended, event.seq);
          record.id = order.order_id;
          record.account = order.account;
          record.side = order.side;
          record.reason = ledger::EndReason(uint8_t(event.done_reason));
          record.price_ticks = order.price_ticks;
          record.qty_milli = order.filled_milli;
          record.time_ms = now_ms;
          if (order.side == Side::bid) record.amount_e7 = notional_e7(order.price_ticks, order.open_milli);
        }
        order.status = status_of(event.done_reason);
        order.open_milli = 0;
        touched_.push_back(event.order_key);
        if (!listened(order.account)) break;
        push_body_.assign("{\"type\":\"done\",");
        append_field(push_body_, "client_order_id",
                     engine_.key_client_order_id(event.order_key).view());
        push_body_.push_back(',');
        append_field(push_body_, "reason", to_string(event.done_reason));
        push_body_.push_back(',');
        append_amount(push_body_, "filled_qty", order.filled_milli, qty_frac_digits);
        push_body_.push_back('}');
        push_to(order.account, push_body_);
        break;
      }
    }
  }
  if (touched_.empty()) return;
  changed_levels_.clear();
  for (const uint32_t key : touched_) set_book_share(key);
  if (!changed_levels_.empty()) publish_book(orders_[touched_.front()].chip);
}

bool Venue::listened(uint32_t account) {
  AccountExtra& extra = accounts_[account];
  if (extra.thread_mask != 0) return true;
  // Nobody to push to: the event still takes the account's next number (push_to's rule).
  ++extra.event_seq;
  return false;
}

void Venue::push_to(uint32_t account, std::string& body) {
  // Every pushed event takes the account's next number, delivered or not, so a client that
  // reconnects sees the gap and reads what it missed over REST.
  AccountExtra& extra = accounts_[account];
  const uint64_t seq = ++extra.event_seq;
  if (extra.thread_mask == 0) return;
  // Insert "account_seq":N after the opening {"type":"...",
  const std::size_t at = body.find(',') + 1;
  body.insert(at, "\"account_seq\":" + std::to_string(seq) + ",");
  sink_.push(extra.thread_mask, account, body);
}

void Venue::set_book_share(uint32_t key) {
  OrderRecord& order = orders_[key];
  const int64_t want = order.status == OrderStatus::open ? order.open_milli : 0;
  if (want == order.book_milli && (want == 0 || order.price_ticks == order.book_price_ticks)) {
    return;
  }
  auto& levels = order.side == Side::bid ? bid_levels_[order.chip] : ask_levels_[order.chip];
  if (order.book_milli > 0) {
    auto it = levels.find(order.book_price_ticks);
    CPX_ASSERT(it != levels.end());
    it->second.qty_milli -= order.book_milli;
    if (--it->second.count == 0) levels.erase(it);
    changed_levels_.push_back(BookLevel{order.side, 0, order.book_price_ticks, 0});
  }
  order.book_milli = want;
  order.book_price_ticks = order.price_ticks;
  if (want > 0) {
    Level& level = levels[order.price_ticks];
    level.qty_milli += want;
    ++level.count;
    changed_levels_.push_back(BookLevel{order.side, 0, order.price_ticks, 0});
  }
}

void Venue::publish_book(uint16_t chip) {
  std::sort(changed_levels_.begin(), changed_levels_.end(),
            [](const BookLevel& a, const BookLevel& b) {
              return a.side != b.side ? a.side < b.side : a.price_ticks < b.price_ticks;
            });
  changed_levels_.erase(std::unique(changed_levels_.begin(), changed_levels_.end(),
                                    [](const BookLevel& a, const BookLevel& b) {
                                      return a.side == b.side && a.price_ticks == b.price_ticks;
                                    }),
                        changed_levels_.end());
  for (BookLevel& level : changed_levels_) {
    const auto& levels = level.side == Side::bid ? bid_levels_[chip] : ask_levels_[chip];
    const auto it = levels.find(level.price_ticks);
    level.count = it == levels.end() ? 0 : it->second.count;
    level.qty_milli = it == levels.end() ? 0 : it->second.qty_milli;
  }
  // One update per command, unless a sweep changed more levels than one message should carry:
  // then several, each a valid delta with its own seq.
  for (std::size_t offset = 0; offset < changed_levels_.size(); offset += book_levels_per_update) {
    BookHeader header;
    header.chip = chip;
    header.levels =
        uint32_t(std::min(book_levels_per_update, changed_levels_.size() - offset));
    header.seq = ++book_seq_[chip];
    sink_.book(header, changed_levels_.data() + offset);
  }
}

void Venue::render_order(std::string& out, uint32_t key, bool as_accepted) const {
  const OrderRecord& order = orders_[key];
  const OrderStatus status = as_accepted ? order.accept_status : order.status;
  const int64_t filled = as_accepted ? order.accept_filled_milli : order.filled_milli;
  const int64_t open = !as_accepted                    ? order.open_milli
                       : status == OrderStatus::open ? order.qty_milli - filled
                                                     : 0;
  const bool bid = order.side == Side::bid;
  out.push_back('{');
  append_field(out, "client_order_id", engine_.key_client_order_id(key).view());
  out.push_back(',');
  append_number(out, "order_id", order.order_id);
  out.push_back(',');
  append_field(out, "side", to_string(order.side));
  out.push_back(',');
  append_field(out, "chip", engine_.chip_id(order.chip));
  out.push_back(',');
  append_field(out, bid ? "origin" : "region", engine_.region_id(order.region));
  if (bid && order.has_latency_max) {
    out.push_back(',');
    append_number(out, "max_latency_ms", order.latency_ms_max);
  }
  out.push_back(',');
  append_number(out, bid ? "min_green_pct" : "green_pct", order.green_pct);
  out.push_back(',');
  append_field(out, "tif", to_string(order.tif));
  if (bid) {
    out.push_back(',');
    append_field(out, "urgency", to_string(order.urgency));
  }
  out.push_back(',');
  append_amount(out, "qty", order.qty_milli, qty_frac_digits);
  out.push_back(',');
  append_amount(out, "price", as_accepted ? order.price_placed_ticks : order.price_ticks,
                price_frac_digits);
  out.push_back(',');
  append_amount(out, "open_qty", open, qty_frac_digits);
  out.push_back(',');
  append_amount(out, "filled_qty", filled, qty_frac_digits);
  out.push_back(',');
  append_field(out, "status", to_string(status));
  out.push_back(',');
  append_signed(out, "created_ms", order.created_ms);
  out.push_back('}');
}

void Venue::render_fill(std::string& out, const FillRecord& fill) const {
  out.push_back('{');
  render_fill_fields(out, fill);
  out.push_back('}');
}

void Venue::render_fill_fields(std::string& out, const FillRecord& fill) const {
  const OrderRecord& order = orders_[fill.order_key];
  append_number(out, "trade_id", fill.trade_id);
  out.push_back(',');
  append_field(out, "client_order_id", engine_.key_client_order_id(fill.order_key).view());
  out.push_back(',');
  append_field(out, "side", to_string(order.side));
  out.push_back(',');
  append_field(out, "chip", engine_.chip_id(order.chip));
  out.push_back(',');
  append_field(out, "region", engine_.region_id(fill.region));  // the ask's: where it runs
  out.push_back(',');
  append_number(out, "order_id", order.order_id);
  out.push_back(',');
  append_amount(out, "price", fill.price_ticks, price_frac_digits);
  out.push_back(',');
  append_amount(out, "qty", fill.qty_milli, qty_frac_digits);
  out.push_back(',');
  append_amount(out, "notional", int128(fill.price_ticks) * fill.qty_milli, amount_frac_digits);
  out.push_back(',');
  append_field(out, "liquidity", fill.aggressor ? "taker" : "maker");
  out.push_back(',');
  append_signed(out, "time_ms", fill.time_ms);
}

void Venue::handle_get_order(const Request& request, const Caller& caller) {
  const std::string_view id = request.command.unwrap().client_order_id;
  const uint32_t key = id.empty() ? index_none : engine_.find_order(caller.account, id);
  if (key == index_none) return answer_rejection(request, Reason::unknown_order);
  body_.clear();
  body_.append("{\"order\":");
  render_order(body_, key);
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_list_orders(const Request& request, const Caller& caller) {
  const SegmentedArray<uint32_t>& keys = accounts_[caller.account].orders;
  const uint32_t limit = std::clamp<uint32_t>(request.limit, 1, limits_.page_max);
  // Order ids grow with acceptance, so the cursor is found by bisection.
  auto it = std::upper_bound(keys.begin(), keys.end(), request.after_id,
                             [&](uint64_t after, uint32_t key) { return after < orders_[key].order_id; });
  body_.assign("{\"orders\":[");
  uint32_t listed = 0;
  uint64_t last = 0;
  for (; it != keys.end() && listed < limit; ++it) {
    if (request.status_open && orders_[*it].status != OrderStatus::open) continue;
    if (listed++) body_.push_back(',');
    render_order(body_, *it);
    last = orders_[*it].order_id;
  }
  body_.append("],\"next_after_order_id\":");
  body_.append(it != keys.end() && listed == limit ? std::to_string(last) : "null");
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_list_fills(const Request& request, const Caller& caller) {
  const SegmentedArray<FillRecord>& fills = accounts_[caller.account].fills;
  const uint32_t limit = std::clamp<uint32_t>(request.limit, 1, limits_.page_max);
  auto it = std::upper_bound(fills.begin(), fills.end(), request.after_id,
                             [](uint64_t after, const FillRecord& fill) { return after < fill.trade_id; });
  body_.assign("{\"fills\":[");
  uint32_t listed = 0;
  uint64_t last = 0;
  for (; it != fills.end() && listed < limit; ++it) {
    if (listed++) body_.push_back(',');
    render_fill(body_, *it);
    last = it->trade_id;
  }
  body_.append("],\"next_after_trade_id\":");
  body_.append(it != fills.end() ? std::to_string(last) : "null");
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_get_account(const Request& request, const Caller& caller) {
  const Account& account = engine_.account(caller.account);
  body_.assign("{");
  append_field(body_, "account", account.name);
  body_.push_back(',');
  append_field(body_, "role", to_string(account.role));
  body_.push_back(',');
  append_amount(body_, "balance", account.balance_e7, amount_frac_digits);
  body_.push_back(',');
  append_amount(body_, "held", account.held_e7, amount_frac_digits);
  body_.push_back(',');
  append_amount(body_, "available", account.balance_e7 - account.held_e7, amount_frac_digits);
  body_.push_back(',');
  append_number(body_, "account_seq", accounts_[caller.account].event_seq);
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_create_account(const Request& request) {
  const Command command = request.command.unwrap();
  if (command.shape_reason == Reason::none && keys_.contains(request.new_key_id.view())) {
    return answer_error(request, 409, "duplicate_key", "this key id exists already");
  }
  execute(command);
  if (events_.front().type == EventType::rejected) {
    return answer_rejection(request, events_.front().reason);
  }
  accounts_.resize(engine_.account_count());
  const uint32_t index = engine_.account_count() - 1;
  add_key(request.new_key_id.view(), request.new_secret.view(), index);
  if (limits_.ledger) {
    ledger::Record& record = ledger_record(ledger::RecordKind::account, events_.front().seq);
    record.account = index;
    record.role = command.role;
    record.set_text(command.account);
    ledger_key(request.new_key_id.view(), request.new_secret.view(), index);
    send_ledger();
  }
  body_.assign("{");
  append_field(body_, "account", command.account);
  body_.push_back(',');
  append_field(body_, "role", to_string(command.role));
  body_.push_back(',');
  append_field(body_, "key_id", request.new_key_id.view());
  body_.push_back(',');
  append_field(body_, "secret", request.new_secret.view());
  body_.push_back('}');
  answer(request, 201, body_);
}

void Venue::handle_create_key(const Request& request) {
  const std::string_view name = request.command.unwrap().account;
  const auto index = name.empty() ? std::nullopt : engine_.find_account(name);
  if (!index) return answer_rejection(request, Reason::unknown_account);
  if (keys_.contains(request.new_key_id.view())) {
    return answer_error(request, 409, "duplicate_key", "this key id exists already");
  }
  add_key(request.new_key_id.view(), request.new_secret.view(), *index);
  ledger_key(request.new_key_id.view(), request.new_secret.view(), *index);
  send_ledger();
  body_.assign("{");
  append_field(body_, "account", name);
  body_.push_back(',');
  append_field(body_, "key_id", request.new_key_id.view());
  body_.push_back(',');
  append_field(body_, "secret", request.new_secret.view());
  body_.push_back('}');
  answer(request, 201, body_);
}

void Venue::handle_deposit(const Request& request) {
  const Command command = request.command.unwrap();
  execute(command);
  if (events_.front().type == EventType::rejected) {
    return answer_rejection(request, events_.front().reason);
  }
  const uint32_t index = *engine_.find_account(command.account);
  const Account& account = engine_.account(index);
  if (limits_.ledger) {
    ledger::Record& record = ledger_record(ledger::RecordKind::deposit, events_.front().seq);
    record.account = index;
    record.amount_e7 = command.amount_e7;
    send_ledger();
  }
  body_.assign("{");
  append_field(body_, "account", account.name);
  body_.push_back(',');
  append_amount(body_, "amount", command.amount_e7, amount_frac_digits);
  body_.push_back(',');
  append_amount(body_, "balance", account.balance_e7, amount_frac_digits);
  body_.push_back(',');
  append_amount(body_, "available", account.balance_e7 - account.held_e7, amount_frac_digits);
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_login(const Request& request, const Caller& caller) {
  AccountExtra& extra = accounts_[caller.account];
  if (request.io_thread < io_threads_max) {
    ++extra.sessions[request.io_thread];
    extra.thread_mask |= uint64_t(1) << request.io_thread;
  }
  const Account& account = engine_.account(caller.account);
  body_.assign("{\"type\":\"logged_in\",\"req_id\":");
  body_.append(request.req_id.view());
  body_.push_back(',');
  append_field(body_, "account", account.name);
  body_.push_back(',');
  append_field(body_, "role", to_string(account.role));
  body_.push_back(',');
  append_number(body_, "account_seq", extra.event_seq);
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_logout(const Request& request) {
  const auto key = keys_.find(request.key_id.view());
  if (key == keys_.end() || request.io_thread >= io_threads_max) return;
  AccountExtra& extra = accounts_[key->second.account];
  uint16_t& sessions = extra.sessions[request.io_thread];
  if (sessions > 0 && --sessions == 0) extra.thread_mask &= ~(uint64_t(1) << request.io_thread);
}

}  // namespace cpx::gateway
