// The venue's whole state: its hash (what a replay must rebuild) and its snapshot, saved and
// loaded.
#include <openssl/evp.h>

#include <algorithm>

#include "cpx/base/decimal.hpp"
#include "cpx/venue/venue.hpp"

namespace cpx::venue {

namespace {

// What a snapshot depends on in the config: the chips and regions by index, and the matrix.
std::string config_fingerprint(const Config& config) {
  std::string text;
  for (const auto& chip : config.chips) text += "c " + chip.id + "\n";
  for (const auto& region : config.regions) text += "r " + region.id + "\n";
  for (const uint16_t ms : config.latency_ms) text += std::to_string(ms) + " ";
  return text;
}

// 3: with the clock, sites and contracts (docs/delivery.md) and hourly markets' resting orders.
// Older versions had other order records, which the layout check refuses anyway.
// 4: the hourly markets' and curves' seqs; 5: the keys' creation, expiry and last use, and the
// accounts' limits.
constexpr uint32_t venue_snapshot_version = 5;
constexpr uint32_t venue_snapshot_version_min = 3;

}  // namespace

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
    text += " " + std::to_string(accounts_[i].event_seq);
    if (accounts_[i].status != AccountStatus::active) {
      text += " " + std::string(to_string(accounts_[i].status));
    }
    if (accounts_[i].max_open_orders != 0 || accounts_[i].max_order_notional_e7 != 0) {
      text += " limits " + std::to_string(accounts_[i].max_open_orders) + " ";
      append_int128(text, accounts_[i].max_order_notional_e7);
    }
    text += "\n";
  }
  struct Resting {
    uint32_t key;
    uint16_t chip;
    int64_t delivery_ms;
    Order order;
  };
  std::vector<Resting> resting;
  for (uint32_t book = 0; book < engine_.book_count(); ++book) {
    const Market& market = engine_.market_of(uint16_t(book));
    if (!market.live) continue;
    engine_.book(uint16_t(book)).for_each_order([&](const Order& order) {
      resting.push_back(Resting{order.key, market.chip, market.delivery_ms, order});
    });
  }
  std::sort(resting.begin(), resting.end(),
            [](const Resting& a, const Resting& b) { return a.key < b.key; });
  for (const Resting& r : resting) {
    text += "o " + std::to_string(r.key) + " " + std::to_string(r.chip) + " " +
            std::string(to_string(r.order.side)) + " " + std::to_string(r.order.account) + " " +
            std::to_string(r.order.price_ticks) + " " + std::to_string(r.order.qty_milli) + " " +
            std::to_string(r.order.time) + " " + std::string(to_string(r.order.urgency)) +
            (r.delivery_ms != 0 ? " " + std::to_string(r.delivery_ms) : std::string()) + "\n";
  }
  for (std::size_t key = 0; key < orders_.size(); ++key) {
    const OrderRecord& order = orders_[key];
    text += "r " + std::to_string(key) + " " + std::to_string(order.order_id) + " " +
            std::string(to_string(order.status)) + " " + std::to_string(order.price_ticks) + " " +
            std::to_string(order.open_milli) + " " + std::to_string(order.filled_milli) + "\n";
  }
  std::vector<std::string> key_ids;
  for (const auto& [key_id, entry] : keys_) {
    // (An expiry joins the line; without one, the text of keys is what it always was.)
    key_ids.push_back(key_id + " " + std::to_string(entry.account) +
                      (entry.expires_ms != 0 ? " e" + std::to_string(entry.expires_ms) : ""));
  }
  std::sort(key_ids.begin(), key_ids.end());
  for (const std::string& key : key_ids) text += "k " + key + "\n";
  hash_delivery(text);
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

void Venue::save_accounts(journal::SnapshotWriter& out) const {
  out.u64(engine_.account_count());
  for (uint32_t i = 0; i < engine_.account_count(); ++i) {
    const Account& account = engine_.account(i);
    out.text(account.name);
    out.u8(uint8_t(account.role));
    out.i128(account.balance_e7);
    out.i128(account.held_e7);
    out.u64(accounts_[i].event_seq);
    out.u8(uint8_t(accounts_[i].status));
    out.u32(accounts_[i].max_open_orders);
    out.i128(accounts_[i].max_order_notional_e7);
  }
}

void Venue::save(journal::SnapshotWriter& out) const {
  out.u32(venue_snapshot_version);
  out.u32(sizeof(OrderRecord));
  out.u32(sizeof(FillRecord));
  out.text(config_fingerprint(engine_.config()));
  out.u64(engine_.last_seq());
  out.u64(engine_.last_trade_id());
  save_accounts(out);
  save_delivery(out);
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
    fills.for_each_segment([&](const FillRecord* first, std::size_t count) {
      out.bytes(first, count * sizeof *first);
    });
  }
  // Resting orders by chip, oldest priority first: resting them again in this order rebuilds
  // every queue as it was.
  struct Resting {
    int64_t delivery_ms;
    uint16_t chip;
    uint32_t key;
    int64_t price_ticks;
    int64_t qty_milli;
    uint64_t time;
  };
  std::vector<Resting> resting;
  for (uint32_t book = 0; book < engine_.book_count(); ++book) {
    const Market& market = engine_.market_of(uint16_t(book));
    if (!market.live) continue;
    engine_.book(uint16_t(book)).for_each_order([&](const Order& order) {
      resting.push_back(Resting{market.delivery_ms, market.chip, order.key, order.price_ticks,
                                order.qty_milli, order.time});
    });
  }
  std::sort(resting.begin(), resting.end(), [](const Resting& a, const Resting& b) {
    if (a.delivery_ms != b.delivery_ms) return a.delivery_ms < b.delivery_ms;
    return a.chip != b.chip ? a.chip < b.chip : a.time < b.time;
  });
  out.u64(resting.size());
  for (const Resting& r : resting) {
    out.i64(r.delivery_ms);
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
    out.i64(entry->second.created_ms);
    out.i64(entry->second.expires_ms);
    out.i64(entry->second.last_used_ms);
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
  out.u64(hour_markets_.size());
  for (const auto& [key, market] : hour_markets_) {
    out.i64(key.first);
    out.u16(key.second);
    out.u64(market.book_seq);
  }
  for (const uint64_t seq : curve_seq_) out.u64(seq);
  out.text("end");
}

void Venue::load(journal::SnapshotReader& in) {
  CPX_ASSERT(engine_.account_count() == 0 && keys_.empty());
  const uint32_t version = in.u32();
  if (version < venue_snapshot_version_min || version > venue_snapshot_version) {
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
  load_accounts(in, version);
  load_delivery(in);
  load_orders(in);
  load_fills(in);
  load_resting(in);
  load_keys(in, version);
  if (in.text() != "end" || !in.at_end()) in.fail("the venue state does not end where it should");
  engine_.resume_numbering(seq, trade_id);
  rebuild_hour_markets();
}

void Venue::load_accounts(journal::SnapshotReader& in, uint32_t version) {
  const uint64_t account_count = in.count(4 + 1 + 16 + 16 + 8 + 1);
  for (uint64_t i = 0; i < account_count; ++i) {
    const std::string name = in.text();
    const uint8_t role = in.u8();
    const int128 balance = in.i128();
    const int128 held = in.i128();
    if (role > uint8_t(Role::operator_) || engine_.find_account(name)) in.fail("a bad account");
    engine_.restore_account(name, Role(role), balance, held);
    AccountExtra& extra = accounts_.emplace_back();
    extra.event_seq = in.u64();
    const uint8_t status = in.u8();
    if (status > uint8_t(AccountStatus::suspended)) in.fail("a bad account status");
    extra.status = AccountStatus(status);
    if (version >= 5) {
      extra.max_open_orders = in.u32();
      extra.max_order_notional_e7 = in.i128();
      if (extra.max_order_notional_e7 < 0) in.fail("a bad account limit");
    }
  }
}

void Venue::load_orders(journal::SnapshotReader& in) {
  const std::size_t account_count = accounts_.size();
  const std::size_t chips = engine_.config().chips.size();
  const std::size_t regions = engine_.config().regions.size();
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
    if (order.site != index_none && order.site >= engine_.sites().size()) in.fail("a bad order");
    // An open order of an hour rests in the hour's book (opened here, before its orders rest).
    const uint16_t book = order.delivery_ms != 0 && order.status == OrderStatus::open
                              ? engine_.restore_hourly_book(order.chip, order.delivery_ms)
                              : order.chip;
    if (engine_.find_order(order.account, client_order_id) != index_none ||
        engine_.restore_order_key(order.account, client_order_id, book, order.site) != key) {
      in.fail("an order key out of place");
    }
    accounts_[order.account].orders.push_back(uint32_t(key));
    if (order.status == OrderStatus::open) ++accounts_[order.account].open_orders;
    if (order.delivery_ms != 0) {
      order.book_milli = 0;  // rebuild_hour_markets() puts it in its hour's book
    } else if (order.book_milli > 0) {
      auto& levels = order.side == Side::bid ? bid_levels_[order.chip] : ask_levels_[order.chip];
      LevelTotal& level = levels[order.book_price_ticks];
      level.qty_milli += order.book_milli;
      ++level.count;
    }
  }
}

void Venue::load_fills(journal::SnapshotReader& in) {
  const std::size_t order_count = orders_.size();
  for (std::size_t i = 0; i < accounts_.size(); ++i) {
    SegmentedArray<FillRecord>& fills = accounts_[i].fills;
    const uint64_t fill_count = in.count(sizeof(FillRecord));
    fills.resize(fill_count);
    fills.for_each_segment(
        [&](FillRecord* first, std::size_t count) { in.bytes(first, count * sizeof *first); });
    for (const FillRecord& fill : fills) {
      if (fill.order_key >= order_count) in.fail("a fill of an unknown order");
    }
  }
}

void Venue::load_resting(journal::SnapshotReader& in) {
  const std::size_t chips = engine_.config().chips.size();
  const std::size_t order_count = orders_.size();
  const uint64_t resting_count = in.count(8 + 2 + 4 + 24);
  for (uint64_t i = 0; i < resting_count; ++i) {
    const int64_t delivery_ms = in.i64();
    const uint16_t chip = in.u16();
    const uint32_t key = in.u32();
    if (chip >= chips || key >= order_count || orders_[key].chip != chip ||
        orders_[key].delivery_ms != delivery_ms || orders_[key].status != OrderStatus::open) {
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
    engine_.restore_resting(engine_.key_book(key), incoming);
  }
}

void Venue::load_keys(journal::SnapshotReader& in, uint32_t version) {
  const std::size_t account_count = accounts_.size();
  const uint64_t key_count = in.count(4 + 4 + 4);
  for (uint64_t i = 0; i < key_count; ++i) {
    const std::string key_id = in.text();
    const uint32_t account = in.u32();
    const std::string secret = in.text();
    if (account >= account_count || keys_.contains(key_id)) in.fail("a bad API key");
    int64_t created_ms = 0;
    int64_t expires_ms = 0;
    int64_t last_used_ms = 0;
    if (version >= 5) {
      created_ms = in.i64();
      expires_ms = in.i64();
      last_used_ms = in.i64();
    }
    add_key(key_id, secret, account, false, created_ms, expires_ms);
    keys_.find(key_id)->second.last_used_ms = last_used_ms;
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
  if (version >= 4) {
    const uint64_t hours = in.count(8 + 2 + 8);
    for (uint64_t i = 0; i < hours; ++i) {
      const int64_t delivery_ms = in.i64();
      const uint16_t chip = in.u16();
      const uint64_t book_seq = in.u64();
      if (chip >= curve_seq_.size() || delivery_ms <= 0 || delivery_ms % 3'600'000 != 0) {
        in.fail("a bad hourly market");
      }
      hour_markets_[HourKey{delivery_ms, chip}].book_seq = book_seq;
    }
    for (uint64_t& value : curve_seq_) value = in.u64();
  }
}

}  // namespace cpx::venue
