#include "cpx/engine/engine.hpp"

#include <algorithm>
#include <set>

namespace cpx {
namespace {}  // namespace

void AccountNames::put(Slot slot) {
  std::size_t i = slot.hash & (slots_.size() - 1);
  while (slots_[i].index_plus_one != 0) i = (i + 1) & (slots_.size() - 1);
  slots_[i] = slot;
}

void AccountNames::insert(std::string_view name, uint32_t index) {
  // Kept at most half full. Accounts are created rarely (and are few beside orders), so the
  // table is rebuilt whole when it doubles.
  if (2 * (count_ + 1) > slots_.size()) {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.index_plus_one != 0) put(slot);
    }
  }
  put(Slot{hash_order_key(0, name), index + 1});
  ++count_;
}

Engine::Engine(Config config, EngineLimits limits)
    : config_(std::move(config)), keys_(limits.order_keys_initial) {
  std::set<uint16_t> values(config_.latency_ms.begin(), config_.latency_ms.end());
  latency_values_.assign(values.begin(), values.end());
  plain_books_ = uint16_t(config_.chips.size());
  books_.reserve(config_.chips.size());
  for (std::size_t i = 0; i < config_.chips.size(); ++i) {
    books_.emplace_back(config_, latency_values_);
    markets_.push_back(Market{uint16_t(i), 0, true});
  }
}

std::optional<uint32_t> Engine::find_account(std::string_view name) const {
  const uint32_t index = account_by_name_.find(name, accounts_);
  if (index == index_none) return std::nullopt;
  return index;
}

uint32_t Engine::resolve_account(const Command& command) const {
  if (command.account_index != account_unresolved) return command.account_index;
  return account_by_name_.find(command.account, accounts_);
}

template <Engine::Executor executor>
void Engine::run_command(const Command& command, uint64_t seq, EventList& events) {
  const Reason reason = (this->*executor)(command, seq, events);
  if (reason != Reason::none) [[unlikely]] {
    push_event(events, EventType::rejected, seq, 0).reason = reason;
  }
}

void Engine::execute(const Command& command, EventList& events) {
  const uint64_t seq = ++seq_;
  if (command.shape_reason != Reason::none) [[unlikely]] {
    push_event(events, EventType::rejected, seq, 0).reason = command.shape_reason;
    return;
  }
  switch (command.op) {
    case Op::new_order:
      return run_command<&Engine::execute_new>(command, seq, events);
    case Op::cancel:
      return run_command<&Engine::execute_cancel>(command, seq, events);
    case Op::amend:
      return run_command<&Engine::execute_amend>(command, seq, events);
    case Op::deposit:
      return run_command<&Engine::execute_deposit>(command, seq, events);
    case Op::account:
      return run_command<&Engine::execute_account>(command, seq, events);
    case Op::tick:
      return run_command<&Engine::execute_tick>(command, seq, events);
    case Op::site:
      return run_command<&Engine::execute_site>(command, seq, events);
    case Op::collateral:
      return run_command<&Engine::execute_collateral>(command, seq, events);
    case Op::delivery:
      return run_command<&Engine::execute_delivery>(command, seq, events);
    case Op::dispute:
      return run_command<&Engine::execute_dispute>(command, seq, events);
    case Op::resolve:
      return run_command<&Engine::execute_resolve>(command, seq, events);
  }
}

uint32_t Engine::restore_account(std::string_view name, Role role, int128 balance_e7,
                                 int128 held_e7) {
  CPX_ASSERT(account_by_name_.find(name, accounts_) == index_none);
  const uint32_t index = uint32_t(accounts_.size());
  accounts_.push_back(Account{std::string(name), role, balance_e7, held_e7});
  account_by_name_.insert(name, index);
  return index;
}

uint32_t Engine::restore_order_key(uint32_t account, std::string_view client_order_id,
                                   uint16_t book, uint32_t site) {
  CPX_ASSERT(account < accounts_.size() && book < books_.size());
  const uint32_t key =
      keys_.insert(account, client_order_id, client_order_number_of(client_order_id), book);
  keys_[key].site = site;
  return key;
}

void Engine::restore_resting(uint16_t book, Incoming incoming) {
  CPX_ASSERT(book < books_.size() && keys_[incoming.key].book == book);
  keys_[incoming.key].slot = books_[book].rest(incoming);
}

void Engine::resume_numbering(uint64_t seq, uint64_t trade_id) {
  CPX_ASSERT(seq >= seq_ && trade_id >= trade_id_);
  seq_ = seq;
  trade_id_ = trade_id;
}

Reason Engine::execute_account(const Command& command, uint64_t seq, EventList& events) {
  if (account_by_name_.find(command.account, accounts_) != index_none) {
    return Reason::duplicate_account;
  }
  const uint32_t index = uint32_t(accounts_.size());
  accounts_.push_back(Account{std::string(command.account), command.role, 0, 0});
  account_by_name_.insert(command.account, index);
  push_event(events, EventType::ok, seq, 0);
  return Reason::none;
}

Reason Engine::execute_deposit(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t index = resolve_account(command);
  if (index == index_none) return Reason::unknown_account;
  if (accounts_[index].role != Role::enterprise) return Reason::role_mismatch;
  if (command.field_reason != Reason::none) return command.field_reason;
  accounts_[index].balance_e7 += command.amount_e7;
  push_event(events, EventType::ok, seq, 0);
  return Reason::none;
}

Reason Engine::execute_new(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t index = resolve_account(command);
  if (index == index_none) return Reason::unknown_account;
  const Role role_needed = command.side == Side::bid ? Role::enterprise : Role::provider;
  if (accounts_[index].role != role_needed) return Reason::role_mismatch;
  if (command.field_reason != Reason::none) return command.field_reason;
  // A delivery, a site or a running clock (now_ms_ is -1 before the first tick), with one
  // branch: all three are never negative.
  if ((command.delivery_ms | int64_t(command.site.size()) | (now_ms_ + 1)) != 0) [[unlikely]] {
    return execute_new_hourly(command, index, seq, events);
  }
  return place_order<false>(
      command, index, Placement{command.chip, command.chip, command.region, command.green_pct}, seq,
      events);
}

Reason Engine::execute_new_hourly(const Command& command, uint32_t index, uint64_t seq,
                                  EventList& events) {
  Placement place{command.chip, command.chip, command.region, command.green_pct};
  const Reason reason = place_hourly(command, index, place);
  if (reason != Reason::none) return reason;
  return place_order<true>(command, index, place, seq, events);
}

// The checks after the fields' (docs/matching.md), then the order placed and matched. A plain
// market's instance has nothing of delivery hours in it.
template <bool hourly>
Reason Engine::place_order(const Command& command, uint32_t index, Placement place, uint64_t seq,
                           EventList& events) {
  Account& account = accounts_[index];
  const OrderKeys::Probe probe =
      keys_.probe(index, command.client_order_id, command.client_order_number);
  if (probe.key != index_none) return Reason::duplicate_client_order_id;
  int128 hold = 0;
  if (command.side == Side::bid) {
    hold = notional_e7(command.price_ticks, command.qty_milli);
    if (hold > account.balance_e7 - account.held_e7) return Reason::insufficient_funds;
  } else if constexpr (hourly) {
    Site& site = sites_[place.site];
    if (site.hours[place.hour].committed_milli + command.qty_milli > site.capacity_milli) {
      return Reason::over_capacity;
    }
    // The provider's collateral covers the penalty of the whole ask (docs/delivery.md).
    hold = penalty_of(command.price_ticks, command.qty_milli);
    if (hold > account.balance_e7 - account.held_e7) return Reason::insufficient_collateral;
  }
  Incoming incoming;
  incoming.side = command.side;
  incoming.urgency = command.urgency;
  incoming.green_pct = place.green_pct;
  incoming.region = place.region;
  incoming.latency_ms_max =
      latency_ceiling(command.side, command.has_latency_max, command.latency_ms_max);
  incoming.price_ticks = command.price_ticks;
  incoming.qty_milli = command.qty_milli;
  if (command.post_only && place.book_exists && books_[place.book].would_take(incoming)) {
    return Reason::would_take;
  }
  if constexpr (hourly) {
    if (!place.book_exists) place.book = open_hourly_book(place.chip, place.hour);
    if (place.site != index_none) add_committed(place.site, place.hour, command.qty_milli);
  }
  account.held_e7 += hold;
  const uint32_t key =
      keys_.insert(probe, index, command.client_order_id, command.client_order_number, place.book);
  if constexpr (hourly) keys_[key].site = place.site;
  push_event(events, EventType::accepted, seq, key).id = seq;

  incoming.time = seq;
  incoming.key = key;
  incoming.account = index;
  run_incoming(place.book, incoming, command.tif, seq, events);
  return Reason::none;
}

void Engine::run_incoming(uint16_t book_index, Incoming& incoming, Tif tif, uint64_t seq,
                          EventList& events) {
  Book& book = books_[book_index];
  if (tif == Tif::fok && !book.can_fill_completely(incoming)) {
    end_incoming(book_index, incoming, DoneReason::killed, seq, events);
    return;
  }
  book.match(incoming,
             [&](const Fill& fill) { settle_fill(book_index, incoming, fill, seq, events); });
  if (incoming.qty_milli == 0) {
    end_incoming(book_index, incoming, DoneReason::filled, seq, events);
  } else if (tif == Tif::gtc) {
    keys_[incoming.key].slot = book.rest(incoming);
  } else {
    CPX_ASSERT(tif == Tif::ioc);
    end_incoming(book_index, incoming, DoneReason::expired, seq, events);
  }
}

void Engine::settle_fill(uint16_t book, const Incoming& incoming, const Fill& fill, uint64_t seq,
                         EventList& events) {
  const bool incoming_bid = incoming.side == Side::bid;
  {
    Account& buyer = accounts_[incoming_bid ? incoming.account : fill.account];
    Account& seller = accounts_[incoming_bid ? fill.account : incoming.account];
    const int64_t bid_price = incoming_bid ? incoming.price_ticks : fill.price_ticks;
    const int128 spent = notional_e7(fill.price_ticks, fill.qty_milli);
    buyer.held_e7 -= notional_e7(bid_price, fill.qty_milli);
    buyer.balance_e7 -= spent;
    if (book < plain_books_) [[likely]] {
      seller.balance_e7 += spent;
    } else {
      // A delivery hour's trade is a contract: the buyer's money waits in escrow.
      record_contract(book, incoming, fill, trade_id_ + 1);
    }

    Event& trade = events.emplace_back();
    trade.type = EventType::trade;
    trade.aggressor = incoming.side;
    trade.book = book;
    trade.region = incoming_bid ? fill.region : incoming.region;
    trade.seq = seq;
    trade.id = ++trade_id_;
    trade.price_ticks = fill.price_ticks;
    trade.qty_milli = fill.qty_milli;
    trade.order_key = incoming_bid ? incoming.key : fill.key;
    trade.ask_key = incoming_bid ? fill.key : incoming.key;
    if (fill.resting_done) {
      // The key's slot is left as it is: Book::remove cleared the order's key, so the slot
      // no longer answers for this key (see resting_slot). Not writing the key's record saves
      // a cache miss per fill in a table of every order ever accepted.
      push_event(events, EventType::done, seq, fill.key).done_reason = DoneReason::filled;
    }
  }
}

void Engine::end_incoming(uint16_t book, const Incoming& incoming, DoneReason reason, uint64_t seq,
                          EventList& events) {
  if (incoming.side == Side::bid) {
    accounts_[incoming.account].held_e7 -= notional_e7(incoming.price_ticks, incoming.qty_milli);
  } else if (book >= plain_books_ && incoming.qty_milli != 0) [[unlikely]] {
    const uint32_t site = keys_[incoming.key].site;
    if (site != index_none) {
      add_committed(site, book_hour(book), -incoming.qty_milli);
      accounts_[incoming.account].held_e7 -= penalty_of(incoming.price_ticks, incoming.qty_milli);
    }
  }
  CPX_ASSERT(resting_slot(incoming.key) == index_none);
  push_event(events, EventType::done, seq, incoming.key).done_reason = reason;
}

Reason Engine::execute_cancel(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t index = resolve_account(command);
  if (index == index_none) return Reason::unknown_account;
  if (command.field_reason != Reason::none) return command.field_reason;
  const uint32_t key = keys_.find(index, command.client_order_id, command.client_order_number);
  const uint32_t slot = key == index_none ? index_none : resting_slot(key);
  if (slot == index_none) return Reason::unknown_order;
  end_resting(key, DoneReason::canceled, seq, events);
  return Reason::none;
}

Reason Engine::execute_amend(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t index = resolve_account(command);
  if (index == index_none) return Reason::unknown_account;
  if (command.field_reason != Reason::none) return command.field_reason;
  const uint32_t key = keys_.find(index, command.client_order_id, command.client_order_number);
  const uint32_t slot = key == index_none ? index_none : resting_slot(key);
  if (slot == index_none) return Reason::unknown_order;
  const uint16_t chip = keys_[key].book;
  Book& book = books_[chip];
  const Order& order = book.order(slot);
  const int64_t qty = command.has_qty ? command.qty_milli : order.qty_milli;
  const int64_t price = command.has_price ? command.price_ticks : order.price_ticks;
  Account& account = accounts_[index];
  if (const uint32_t site = keys_[key].site; site != index_none) [[unlikely]] {
    const int64_t hour = book_hour(chip);
    if (sites_[site].hours[hour].committed_milli - order.qty_milli + qty >
        sites_[site].capacity_milli) {
      return Reason::over_capacity;
    }
    const int128 exposure_now = penalty_of(order.price_ticks, order.qty_milli);
    const int128 exposure_new = penalty_of(price, qty);
    if (exposure_new > account.balance_e7 - account.held_e7 + exposure_now) {
      return Reason::insufficient_collateral;
    }
    account.held_e7 += exposure_new - exposure_now;
    add_committed(site, hour, qty - order.qty_milli);
  }
  if (order.side == Side::bid) {
    const int128 hold_now = notional_e7(order.price_ticks, order.qty_milli);
    const int128 hold_new = notional_e7(price, qty);
    if (hold_new > account.balance_e7 - account.held_e7 + hold_now) {
      return Reason::insufficient_funds;
    }
    account.held_e7 += hold_new - hold_now;
  }
  Event& amended = push_event(events, EventType::amended, seq, key);
  amended.qty_milli = qty;
  amended.price_ticks = price;

  if (price == order.price_ticks && qty <= order.qty_milli) {
    book.reduce(slot, qty);  // keeps its time
    return Reason::none;
  }
  // Loses priority: it leaves the book and arrives again with the amend's seq as its time.
  Incoming incoming = book.to_incoming(slot);
  book.remove(slot);
  keys_[key].slot = index_none;
  incoming.price_ticks = price;
  incoming.qty_milli = qty;
  incoming.time = seq;
  run_incoming(chip, incoming, Tif::gtc, seq, events);
  return Reason::none;
}

bool Engine::check_invariants(std::string& why) const {
  const std::size_t why_size = why.size();
  std::vector<int128> held(accounts_.size(), 0);
  uint64_t resting = 0;
  for (std::size_t chip = 0; chip < books_.size(); ++chip) {
    const Book& book = books_[chip];
    book.check_invariants(why);
    book.for_each_order([&](const Order& order) {
      ++resting;
      const OrderKey& key = keys_[order.key];
      if (order.side == Side::bid) {
        held[order.account] += notional_e7(order.price_ticks, order.qty_milli);
      } else if (key.site != index_none) {
        held[order.account] += penalty_of(order.price_ticks, order.qty_milli);
      }
      if (key.slot == index_none || key.book != chip || &book.order(key.slot) != &order ||
          key.account != order.account) {
        why += "order key does not point at its resting order\n";
      }
    });
  }
  check_contracts(why, held);
  for (std::size_t i = 0; i < accounts_.size(); ++i) {
    const Account& account = accounts_[i];
    if (account.held_e7 != held[i]) why += "holds of " + account.name + " disagree with its bids\n";
    if (account.balance_e7 < account.held_e7) {
      why += "available balance of " + account.name + " is negative\n";
    }
  }
  check_sites(why);
  return why.size() == why_size;
}

}  // namespace cpx
