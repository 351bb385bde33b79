// Delivery hours, the clock and providers' sites (docs/delivery.md): the matcher's part of them
// that plain markets never reach.
#include <algorithm>

#include "cpx/engine/engine.hpp"

namespace cpx {
namespace {

// Hourly markets get smaller reservations than a chip's plain book: there are many of them.
constexpr uint32_t hourly_orders_max = 1u << 22;
constexpr uint32_t hourly_levels_max = 1u << 20;
constexpr std::size_t books_max = UINT16_MAX;

}  // namespace

std::vector<std::pair<int64_t, Site::Hour>> Site::Hours::sorted() const {
  std::vector<std::pair<int64_t, Hour>> out;
  for (const Slot& slot : slots_) {
    if (slot.hour >= 0) out.emplace_back(slot.hour, slot.use);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

void Site::Hours::drop_before(int64_t hour) {
  for (Slot& slot : slots_) {
    if (slot.hour >= 0 && slot.hour < hour) {
      slot.hour = -1;
      count_ -= 1;
    }
  }
}

uint32_t Engine::find_hourly_book(uint16_t chip, int64_t delivery_ms) const {
  const auto found = hourly_books_.find({delivery_ms / hour_ms, chip});
  return found == hourly_books_.end() ? index_none : found->second;
}

std::optional<uint32_t> Engine::find_site(std::string_view id) const {
  const auto found = site_by_id_.find(id);
  if (found == site_by_id_.end()) return std::nullopt;
  return found->second;
}

Reason Engine::place_hourly(const Command& command, uint32_t account, Placement& place) const {
  // The hour: the order's delivery, or the current hour for an order without one.
  if (now_ms_ < 0) return Reason::delivery_not_open;
  const int64_t current = now_ms_ / hour_ms;
  const int64_t hour = command.delivery_ms != 0 ? command.delivery_ms / hour_ms : current;
  if (hour < current) return Reason::delivery_closed;
  if (hour > current + config_.delivery_horizon_h) return Reason::delivery_not_open;
  place.hour = hour;
  if (command.side == Side::ask) {
    const auto found = site_by_id_.find(command.site);
    if (command.site.empty() || found == site_by_id_.end()) return Reason::unknown_site;
    const Site& site = sites_[found->second];
    if (site.account != account) return Reason::unknown_site;
    if (site.status != SiteStatus::active) return Reason::site_inactive;
    if ((command.has_chip && command.chip != site.chip) ||
        (command.has_region && command.region != site.region) ||
        (command.has_green && command.green_pct != site.green_at(hour))) {
      return Reason::site_mismatch;
    }
    place.site = found->second;
    place.chip = site.chip;
    place.region = site.region;
    place.green_pct = site.green_at(hour);
  }
  const auto book = hourly_books_.find({hour, place.chip});
  if (book != hourly_books_.end()) {
    place.book = book->second;
  } else {
    if (free_books_.empty() && books_.size() >= books_max) return Reason::delivery_not_open;
    place.book_exists = false;
  }
  return Reason::none;
}

uint16_t Engine::open_hourly_book(uint16_t chip, int64_t hour) {
  uint16_t book;
  if (!free_books_.empty()) {
    book = free_books_.back();
    free_books_.pop_back();
  } else {
    book = uint16_t(books_.size());
    books_.emplace_back(config_, latency_values_, hourly_orders_max, hourly_levels_max);
    markets_.emplace_back();
  }
  CPX_ASSERT(books_[book].resting_count() == 0);
  markets_[book] = Market{chip, hour * hour_ms, true};
  hourly_books_.emplace(std::pair(hour, chip), book);
  return book;
}

uint32_t Engine::restore_site(Site site, const std::vector<std::pair<int64_t, Site::Hour>>& hours) {
  CPX_ASSERT(!site_by_id_.contains(site.id));
  site.hours.resize(std::size_t(config_.delivery_horizon_h) + 1);
  for (const auto& [hour, use] : hours) site.hours[hour] = use;
  const uint32_t index = uint32_t(sites_.size());
  site_by_id_.emplace(site.id, index);
  sites_.push_back(std::move(site));
  return index;
}

void Engine::restore_contract(const Contract& contract) {
  CPX_ASSERT(contracts_.empty() || contracts_.back().trade_id < contract.trade_id);
  if (contract.status != ContractStatus::settled) {
    unsettled_by_hour_[contract.hour].push_back(uint32_t(contracts_.size()));
    escrow_e7_ += notional_e7(contract.price_ticks, contract.qty_milli);
  }
  contracts_.push_back(contract);
}

uint16_t Engine::restore_hourly_book(uint16_t chip, int64_t delivery_ms) {
  const uint32_t found = find_hourly_book(chip, delivery_ms);
  return found != index_none ? uint16_t(found) : open_hourly_book(chip, delivery_ms / hour_ms);
}

std::vector<uint32_t> Engine::site_asks(uint32_t site, int64_t hour) const {
  std::vector<std::pair<uint64_t, uint32_t>> asks;  // (time, key)
  const auto book = hourly_books_.find({hour, sites_[site].chip});
  if (book == hourly_books_.end()) return {};
  books_[book->second].for_each_order([&](const Order& order) {
    if (order.side == Side::ask && keys_[order.key].site == site) {
      asks.emplace_back(order.time, order.key);
    }
  });
  std::sort(asks.begin(), asks.end(), std::greater<>());
  std::vector<uint32_t> keys;
  for (const auto& ask : asks) keys.push_back(ask.second);
  return keys;
}

Reason Engine::execute_tick(const Command& command, uint64_t seq, EventList& events) {
  if (command.field_reason != Reason::none) return command.field_reason;
  if (command.time_ms < now_ms_) return Reason::bad_time;
  const int64_t before = now_ms_ < 0 ? INT64_MIN : now_ms_ / hour_ms;
  now_ms_ = command.time_ms;
  push_event(events, EventType::ok, seq, 0);
  if (now_ms_ / hour_ms != before) close_hours_before(now_ms_ / hour_ms, seq, events);
  advance_contracts(seq, events);
  return Reason::none;
}

void Engine::close_hours_before(int64_t hour, uint64_t seq, EventList& events) {
  // Each closed market's resting orders expire in time order; markets by hour, then chip.
  while (!hourly_books_.empty() && hourly_books_.begin()->first.first < hour) {
    const uint16_t book = hourly_books_.begin()->second;
    std::vector<std::pair<uint64_t, uint32_t>> resting;
    books_[book].for_each_order(
        [&](const Order& order) { resting.emplace_back(order.time, order.key); });
    std::sort(resting.begin(), resting.end());
    for (const auto& order : resting) end_resting(order.second, DoneReason::expired, seq, events);
    markets_[book].live = false;
    free_books_.push_back(book);
    hourly_books_.erase(hourly_books_.begin());
  }
  for (Site& site : sites_) {
    if (!site.hours.empty()) site.hours.drop_before(hour);
  }
}

Reason Engine::execute_site(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t account = resolve_account(command);
  if (account == index_none) return Reason::unknown_account;
  const Role role = accounts_[account].role;
  if (role != Role::provider && role != Role::operator_) return Reason::role_mismatch;
  if (command.field_reason != Reason::none) return command.field_reason;
  const auto found = site_by_id_.find(command.site);
  if (role == Role::operator_) {
    // Operators suspend and resume sites; they declare nothing.
    if (!command.has_site_status || command.site_status == SiteStatus::retired) {
      return Reason::role_mismatch;
    }
    if (found == site_by_id_.end()) return Reason::unknown_site;
    Site& site = sites_[found->second];
    if (site.status == SiteStatus::retired) return Reason::site_inactive;
    site.status = command.site_status;
    push_event(events, EventType::ok, seq, 0);
    if (site.status == SiteStatus::suspended) {
      for (const auto& [hour, use] : site.hours.sorted()) {
        std::vector<uint32_t> asks = site_asks(found->second, hour);
        std::reverse(asks.begin(), asks.end());
        for (uint32_t key : asks) end_resting(key, DoneReason::canceled, seq, events);
      }
    }
    return Reason::none;
  }
  if (found != site_by_id_.end()) {
    if (sites_[found->second].account != account) return Reason::duplicate_site;
    return change_site(sites_[found->second], found->second, command, seq, events);
  }
  // A new site: chip, region and capacity are required, and it starts active.
  if (!command.has_chip || !command.has_region || !command.has_qty) return Reason::bad_request;
  if (command.has_site_status && command.site_status != SiteStatus::active) {
    return Reason::site_inactive;
  }
  Site site;
  site.id = std::string(command.site);
  site.account = account;
  site.chip = command.chip;
  site.region = command.region;
  site.green_pct = command.green_pct;
  site.has_green_profile = command.has_green_profile;
  std::copy(std::begin(command.green_profile), std::end(command.green_profile), site.green_profile);
  site.capacity_milli = command.qty_milli;
  site.hours.resize(std::size_t(config_.delivery_horizon_h) + 1);
  site_by_id_.emplace(site.id, uint32_t(sites_.size()));
  sites_.push_back(std::move(site));
  push_event(events, EventType::ok, seq, 0);
  return Reason::none;
}

Reason Engine::change_site(Site& site, uint32_t index, const Command& command, uint64_t seq,
                           EventList& events) {
  if (site.status == SiteStatus::retired) return Reason::site_inactive;
  if (command.has_site_status && command.site_status == SiteStatus::suspended) {
    return Reason::role_mismatch;  // only an operator suspends
  }
  if ((command.has_chip && command.chip != site.chip) ||
      (command.has_region && command.region != site.region)) {
    return Reason::site_mismatch;
  }
  const bool retire = command.has_site_status && command.site_status == SiteStatus::retired;
  if (!retire && site.status == SiteStatus::suspended) return Reason::site_inactive;
  if (command.has_qty) {
    for (const auto& [hour, use] : site.hours.sorted()) {
      if (use.sold_milli > command.qty_milli) return Reason::below_sold;
    }
  }
  push_event(events, EventType::ok, seq, 0);
  if (command.has_green) site.green_pct = command.green_pct;
  if (command.has_green_profile) {
    site.has_green_profile = true;
    std::copy(std::begin(command.green_profile), std::end(command.green_profile),
              site.green_profile);
  }
  const std::vector<std::pair<int64_t, Site::Hour>> hours = site.hours.sorted();
  if (retire) {
    site.status = SiteStatus::retired;
    for (const auto& [hour, use] : hours) {
      std::vector<uint32_t> asks = site_asks(index, hour);
      std::reverse(asks.begin(), asks.end());
      for (uint32_t key : asks) end_resting(key, DoneReason::canceled, seq, events);
    }
    return Reason::none;
  }
  if (!command.has_qty) return Reason::none;
  site.capacity_milli = command.qty_milli;
  // Above the new capacity: the youngest asks of the hour give way first, each told.
  for (const auto& [hour, use] : hours) {
    int64_t excess = use.committed_milli - site.capacity_milli;
    for (uint32_t key : site_asks(index, hour)) {
      if (excess <= 0) break;
      const OrderKey& record = keys_[key];
      Book& book = books_[record.book];
      const Order& order = book.order(record.slot);
      if (order.qty_milli <= excess) {
        excess -= order.qty_milli;
        end_resting(key, DoneReason::canceled, seq, events);
        continue;
      }
      const int64_t qty = order.qty_milli - excess;
      Event& amended = push_event(events, EventType::amended, seq, key);
      amended.qty_milli = qty;
      amended.price_ticks = order.price_ticks;
      add_committed(index, hour, -excess);
      accounts_[order.account].held_e7 -=
          penalty_of(order.price_ticks, order.qty_milli) - penalty_of(order.price_ticks, qty);
      book.reduce(record.slot, qty);
      excess = 0;
    }
  }
  return Reason::none;
}

void Engine::record_contract(uint16_t book, const Incoming& incoming, const Fill& fill,
                             uint64_t trade_id) {
  const bool incoming_bid = incoming.side == Side::bid;
  const uint32_t ask_key = incoming_bid ? fill.key : incoming.key;
  const uint32_t site = keys_[ask_key].site;
  CPX_ASSERT(site != index_none);  // every ask of a delivery hour names its site
  const int64_t hour = book_hour(book);
  sites_[site].hours[hour].sold_milli += fill.qty_milli;
  Contract contract;
  contract.trade_id = trade_id;
  contract.buyer = incoming_bid ? incoming.account : fill.account;
  contract.seller = incoming_bid ? fill.account : incoming.account;
  contract.site = site;
  contract.hour = hour;
  contract.qty_milli = fill.qty_milli;
  contract.price_ticks = fill.price_ticks;
  // An hour that has begun is delivering from its first trade.
  contract.status =
      hour * hour_ms <= now_ms_ ? ContractStatus::delivering : ContractStatus::contracted;
  // The ask's collateral moves from its open quantity to the contract.
  int64_t ask_open;
  if (incoming_bid) {
    contract.ask_price_ticks = fill.price_ticks;
    ask_open = fill.resting_done ? 0 : books_[book].order(keys_[ask_key].slot).qty_milli;
  } else {
    contract.ask_price_ticks = incoming.price_ticks;
    ask_open = incoming.qty_milli;
  }
  const int64_t price = contract.ask_price_ticks;
  accounts_[contract.seller].held_e7 += penalty_of(price, fill.qty_milli) +
                                        penalty_of(price, ask_open) -
                                        penalty_of(price, ask_open + fill.qty_milli);
  escrow_e7_ += notional_e7(fill.price_ticks, fill.qty_milli);
  unsettled_by_hour_[hour].push_back(uint32_t(contracts_.size()));
  contracts_.push_back(contract);
}

void Engine::advance_contracts(uint64_t seq, EventList& events) {
  const int64_t deadline_h = config_.delivery_deadline_h;
  const int64_t window_ms = int64_t(config_.dispute_window_h) * hour_ms;
  for (auto hour = unsettled_by_hour_.begin();
       hour != unsettled_by_hour_.end() && hour->first * hour_ms <= now_ms_;) {
    const int64_t deadline_ms = (hour->first + 1 + deadline_h) * hour_ms;
    std::vector<uint32_t>& pending = hour->second;
    std::size_t kept = 0;
    for (const uint32_t index : pending) {
      Contract& contract = contracts_[index];
      if (contract.status == ContractStatus::contracted) {
        contract.status = ContractStatus::delivering;
        Event& event = push_event(events, EventType::contract, seq, 0);
        event.id = contract.trade_id;
        event.contract_status = contract.status;
      }
      // No report by the deadline counts as nothing delivered; a report stands once its
      // dispute window has passed (and the deadline, until which it may be corrected).
      if (contract.status == ContractStatus::delivering && now_ms_ >= deadline_ms) {
        settle(contract, 0, seq, events);
      } else if (contract.status == ContractStatus::reported &&
                 now_ms_ >= std::max(deadline_ms, contract.reported_ms + window_ms)) {
        settle(contract, contract.delivered_milli, seq, events);
      }
      if (contract.status != ContractStatus::settled) pending[kept++] = index;
    }
    pending.resize(kept);
    hour = pending.empty() ? unsettled_by_hour_.erase(hour) : std::next(hour);
  }
}

void Engine::settle(Contract& contract, int64_t delivered_milli, uint64_t seq, EventList& events) {
  const int64_t short_milli = contract.qty_milli - delivered_milli;
  contract.delivered_milli = delivered_milli;
  contract.paid_e7 = notional_e7(contract.price_ticks, delivered_milli);
  contract.refunded_e7 = notional_e7(contract.price_ticks, short_milli);
  contract.penalty_e7 = penalty_of(contract.ask_price_ticks, short_milli);
  contract.status = ContractStatus::settled;
  escrow_e7_ -= notional_e7(contract.price_ticks, contract.qty_milli);
  Account& seller = accounts_[contract.seller];
  Account& buyer = accounts_[contract.buyer];
  seller.held_e7 -= penalty_of(contract.ask_price_ticks, contract.qty_milli);
  seller.balance_e7 += contract.paid_e7 - contract.penalty_e7;
  buyer.balance_e7 += contract.refunded_e7 + contract.penalty_e7;
  Event& event = push_event(events, EventType::contract, seq, 0);
  event.id = contract.trade_id;
  event.contract_status = ContractStatus::settled;
}

Reason Engine::execute_collateral(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t index = resolve_account(command);
  if (index == index_none) return Reason::unknown_account;
  if (accounts_[index].role != Role::provider) return Reason::role_mismatch;
  if (command.field_reason != Reason::none) return command.field_reason;
  accounts_[index].balance_e7 += command.amount_e7;
  push_event(events, EventType::ok, seq, 0);
  return Reason::none;
}

Contract* Engine::party_contract(const Command& command, uint32_t account, bool seller) {
  Contract* contract = find_contract(command.trade_id);
  if (contract == nullptr) return nullptr;
  return (seller ? contract->seller : contract->buyer) == account ? contract : nullptr;
}

Reason Engine::execute_delivery(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t index = resolve_account(command);
  if (index == index_none) return Reason::unknown_account;
  if (accounts_[index].role != Role::provider) return Reason::role_mismatch;
  if (command.field_reason != Reason::none) return command.field_reason;
  Contract* contract = party_contract(command, index, true);
  if (contract == nullptr) return Reason::unknown_contract;
  if (command.qty_milli > contract->qty_milli) return Reason::bad_qty;
  const int64_t deadline_ms = (contract->hour + 1 + config_.delivery_deadline_h) * hour_ms;
  if ((contract->status != ContractStatus::delivering &&
       contract->status != ContractStatus::reported) ||
      now_ms_ >= deadline_ms) {
    return Reason::contract_state;
  }
  contract->status = ContractStatus::reported;
  contract->delivered_milli = command.qty_milli;
  contract->reported_ms = now_ms_;
  Event& event = push_event(events, EventType::contract, seq, 0);
  event.id = contract->trade_id;
  event.contract_status = ContractStatus::reported;
  event.qty_milli = command.qty_milli;
  return Reason::none;
}

Reason Engine::execute_dispute(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t index = resolve_account(command);
  if (index == index_none) return Reason::unknown_account;
  if (accounts_[index].role != Role::enterprise) return Reason::role_mismatch;
  if (command.field_reason != Reason::none) return command.field_reason;
  Contract* contract = party_contract(command, index, false);
  if (contract == nullptr) return Reason::unknown_contract;
  if (contract->status != ContractStatus::reported ||
      now_ms_ >= contract->reported_ms + int64_t(config_.dispute_window_h) * hour_ms) {
    return Reason::contract_state;
  }
  contract->status = ContractStatus::disputed;
  Event& event = push_event(events, EventType::contract, seq, 0);
  event.id = contract->trade_id;
  event.contract_status = ContractStatus::disputed;
  return Reason::none;
}

Reason Engine::execute_resolve(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t index = resolve_account(command);
  if (index == index_none) return Reason::unknown_account;
  if (accounts_[index].role != Role::operator_) return Reason::role_mismatch;
  if (command.field_reason != Reason::none) return command.field_reason;
  Contract* found = find_contract(command.trade_id);
  if (found == nullptr) return Reason::unknown_contract;
  Contract& contract = *found;
  if (command.qty_milli > contract.qty_milli) return Reason::bad_qty;
  if (contract.status != ContractStatus::disputed) return Reason::contract_state;
  settle(contract, command.qty_milli, seq, events);
  return Reason::none;
}

bool Engine::check_contracts(std::string& why, std::vector<int128>& held) const {
  const std::size_t why_size = why.size();
  int128 escrow = 0;
  for (const Contract& contract : contracts_) {
    if (contract.status == ContractStatus::settled) continue;
    escrow += notional_e7(contract.price_ticks, contract.qty_milli);
    held[contract.seller] += penalty_of(contract.ask_price_ticks, contract.qty_milli);
  }
  if (escrow != escrow_e7_) why += "escrow is not the sum of unsettled contracts' notional\n";
  return why.size() == why_size;
}

bool Engine::check_sites(std::string& why) const {
  const std::size_t why_size = why.size();
  std::map<std::pair<uint32_t, int64_t>, int64_t> open;  // (site, hour) -> open asks
  for (const auto& [market, book] : hourly_books_) {
    books_[book].for_each_order([&](const Order& order) {
      const uint32_t site = keys_[order.key].site;
      if (order.side == Side::ask && site != index_none) {
        open[{site, market.first}] += order.qty_milli;
      }
    });
  }
  for (uint32_t s = 0; s < sites_.size(); ++s) {
    const Site& site = sites_[s];
    for (const auto& [hour, use] : site.hours.sorted()) {
      const auto offered = open.find({s, hour});
      const int64_t asks = offered == open.end() ? 0 : offered->second;
      if (use.committed_milli != use.sold_milli + asks) {
        why += "site " + site.id + " hour " + std::to_string(hour) +
               ": committed is not sold + open asks\n";
      }
      if (use.committed_milli > site.capacity_milli) {
        why += "site " + site.id + " hour " + std::to_string(hour) + " is oversold\n";
      }
      if (site.status != SiteStatus::active && asks != 0) {
        why += "site " + site.id + " is not active but has open asks\n";
      }
    }
  }
  for (const auto& [pair, asks] : open) {
    if (sites_[pair.first].hours.find(pair.second) == nullptr)
      why += "open asks of an unknown hour\n";
  }
  return why.size() == why_size;
}

}  // namespace cpx
