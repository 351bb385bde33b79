#include "reference_engine.hpp"

#include <algorithm>
#include <tuple>

namespace cpx::test {

void ReferenceEngine::execute(const Command& command, EventList& events) {
  const uint64_t seq = ++seq_;
  const Reason reason = run(command, seq, events);
  if (reason != Reason::none) {
    Event event;
    event.type = EventType::rejected;
    event.reason = reason;
    event.seq = seq;
    events.push_back(event);
  }
}

Reason ReferenceEngine::run(const Command& c, uint64_t seq, EventList& events) {
  if (c.shape_reason != Reason::none) return Reason::bad_request;
  if (c.op == Op::tick) return run_tick(c, seq, events);
  const std::string name(c.account);
  auto account = accounts_.find(name);
  Event ok;
  ok.seq = seq;
  if (c.op == Op::account) {
    if (account != accounts_.end()) return Reason::duplicate_account;
    accounts_[name] = Account{c.role};
    events.push_back(ok);
    return Reason::none;
  }
  if (account == accounts_.end()) return Reason::unknown_account;
  Account& a = account->second;
  if (c.op == Op::site) return run_site(c, seq, events);
  if (c.op == Op::collateral || c.op == Op::delivery || c.op == Op::dispute ||
      c.op == Op::resolve) {
    return run_contract_op(c, a, seq, events);
  }
  if (c.op == Op::deposit) {
    if (a.role != Role::enterprise) return Reason::role_mismatch;
    if (c.field_reason != Reason::none) return c.field_reason;
    a.balance += c.amount_e7;
    events.push_back(ok);
    return Reason::none;
  }
  if (c.op == Op::new_order) return run_new(c, a, seq, events);
  if (c.field_reason != Reason::none) return c.field_reason;
  Order* order = find_open(name, c.client_order_id);
  if (order == nullptr) return Reason::unknown_order;
  if (c.op == Op::cancel) {
    Order copy = *order;
    open_.erase(open_.begin() + (order - open_.data()));
    end(copy, DoneReason::canceled, seq, events);
    return Reason::none;
  }
  // amend
  const int64_t qty = c.has_qty ? c.qty_milli : order->qty;
  const int64_t price = c.has_price ? c.price_ticks : order->price;
  if (!order->site.empty() &&
      used(order->site, order->delivery_ms) - order->qty + qty > sites_[order->site].capacity) {
    return Reason::over_capacity;
  }
  if (!order->site.empty() &&
      penalty(price, qty) > a.balance - exposure(name) + penalty(order->price, order->qty)) {
    return Reason::insufficient_collateral;
  }
  if (order->side == Side::bid) {
    const int128 now = int128(order->price) * order->qty;
    const int128 later = int128(price) * qty;
    if (later > a.balance - a.held + now) return Reason::insufficient_funds;
    a.held += later - now;
  }
  Event amended;
  amended.type = EventType::amended;
  amended.seq = seq;
  amended.order_key = order->key;
  amended.qty_milli = qty;
  amended.price_ticks = price;
  events.push_back(amended);
  const bool keeps_time = price == order->price && qty <= order->qty;
  order->qty = qty;
  order->price = price;
  if (keeps_time) return Reason::none;
  Order moved = *order;
  moved.time = seq;
  open_.erase(open_.begin() + (order - open_.data()));
  match(moved, Tif::gtc, seq, events);
  return Reason::none;
}

Reason ReferenceEngine::run_new(const Command& c, Account& a, uint64_t seq, EventList& events) {
  const std::string name(c.account);
  if (a.role != (c.side == Side::bid ? Role::enterprise : Role::provider)) {
    return Reason::role_mismatch;
  }
  if (c.field_reason != Reason::none) return c.field_reason;
  Order order{0,
              name,
              c.side,
              c.chip,
              c.region,
              c.side == Side::bid && c.has_latency_max,
              c.latency_ms_max,
              c.green_pct,
              c.side == Side::bid ? c.urgency : Urgency::standard,
              c.price_ticks,
              c.qty_milli,
              seq,
              0,
              {}};
  if (c.delivery_ms != 0 || !c.site.empty() || now_ms_ >= 0) {
    const Reason reason = place_hourly(c, order);
    if (reason != Reason::none) return reason;
  }
  const std::pair<std::string, std::string> id(name, std::string(c.client_order_id));
  if (key_of_.count(id)) return Reason::duplicate_client_order_id;
  const int128 hold = c.side == Side::bid ? int128(c.price_ticks) * c.qty_milli : 0;
  if (hold > a.balance - a.held) return Reason::insufficient_funds;
  if (!order.site.empty() &&
      used(order.site, order.delivery_ms) + c.qty_milli > sites_[order.site].capacity) {
    return Reason::over_capacity;
  }
  if (!order.site.empty() && penalty(c.price_ticks, c.qty_milli) > a.balance - exposure(name)) {
    return Reason::insufficient_collateral;
  }
  a.held += hold;
  const uint32_t key = uint32_t(keys_.size());
  keys_.push_back(id);
  key_sites_.push_back(order.site);
  key_of_[id] = key;
  order.key = key;
  Event accepted;
  accepted.type = EventType::accepted;
  accepted.seq = seq;
  accepted.id = seq;
  accepted.order_key = key;
  events.push_back(accepted);
  match(order, c.tif, seq, events);
  return Reason::none;
}

ReferenceEngine::Order* ReferenceEngine::find_open(const std::string& account,
                                                   std::string_view client_order_id) {
  for (Order& order : open_) {
    if (order.account == account && keys_[order.key].second == client_order_id) return &order;
  }
  return nullptr;
}

bool ReferenceEngine::may_trade(const Order& bid, const Order& ask) const {
  return bid.chip == ask.chip && bid.delivery_ms == ask.delivery_ms &&
         (!bid.has_latency_max || config_.latency(bid.region, ask.region) <= bid.latency_ms_max) &&
         ask.green_pct >= bid.green_pct && bid.price >= ask.price;
}

void ReferenceEngine::match(Order& in, Tif tif, uint64_t seq, EventList& events) {
  const bool bid = in.side == Side::bid;
  auto eligible = [&](const Order& resting) {
    if (resting.side == in.side) return false;
    return bid ? may_trade(in, resting) : may_trade(resting, in);
  };
  if (tif == Tif::fok) {
    int64_t available = 0;
    for (const Order& resting : open_) {
      if (eligible(resting)) available += resting.qty;
    }
    if (available < in.qty) {
      end(in, DoneReason::killed, seq, events);
      return;
    }
  }
  while (in.qty > 0) {
    Order* best = nullptr;
    for (Order& resting : open_) {
      if (!eligible(resting)) continue;
      if (best == nullptr) {
        best = &resting;
      } else if (bid) {
        if (std::pair(resting.price, resting.time) < std::pair(best->price, best->time))
          best = &resting;
      } else if (std::tuple(-resting.price, int(resting.urgency), resting.time) <
                 std::tuple(-best->price, int(best->urgency), best->time)) {
        best = &resting;
      }
    }
    if (best == nullptr) break;
    const int64_t qty = std::min(in.qty, best->qty);
    const int64_t price = best->price;
    Account& buyer = accounts_[bid ? in.account : best->account];
    Account& seller = accounts_[bid ? best->account : in.account];
    const int64_t bid_price = bid ? in.price : best->price;
    buyer.held -= int128(bid_price) * qty;
    buyer.balance -= int128(price) * qty;
    const Order& ask = bid ? *best : in;
    if (ask.delivery_ms == 0) {
      seller.balance += int128(price) * qty;
    } else {  // a contract: the money waits in escrow
      Contract contract;
      contract.trade_id = trade_id_ + 1;
      contract.hour = ask.delivery_ms / hour_ms;
      contract.qty_milli = qty;
      contract.price_ticks = price;
      contract.ask_price_ticks = ask.price;
      contract.status =
          ask.delivery_ms <= now_ms_ ? ContractStatus::delivering : ContractStatus::contracted;
      contracts_.push_back(contract);
      parties_.emplace_back(bid ? in.account : best->account, ask.account);
    }
    Event trade;
    trade.type = EventType::trade;
    trade.seq = seq;
    trade.id = ++trade_id_;
    trade.book = market(in.chip, in.delivery_ms);
    const Order& ask_order = bid ? *best : in;
    if (!ask_order.site.empty()) sites_[ask_order.site].sold[ask_order.delivery_ms] += qty;
    trade.region = bid ? best->region : in.region;
    trade.price_ticks = price;
    trade.qty_milli = qty;
    trade.aggressor = in.side;
    trade.order_key = bid ? in.key : best->key;
    trade.ask_key = bid ? best->key : in.key;
    events.push_back(trade);
    in.qty -= qty;
    best->qty -= qty;
    if (best->qty == 0) {
      Event done;
      done.type = EventType::done;
      done.seq = seq;
      done.order_key = best->key;
      done.done_reason = DoneReason::filled;
      events.push_back(done);
      open_.erase(open_.begin() + (best - open_.data()));
    }
  }
  if (in.qty == 0) {
    end(in, DoneReason::filled, seq, events);
  } else if (tif == Tif::gtc) {
    open_.push_back(in);
  } else {
    end(in, DoneReason::expired, seq, events);
  }
}

void ReferenceEngine::end(const Order& order, DoneReason reason, uint64_t seq, EventList& events) {
  if (order.side == Side::bid) accounts_[order.account].held -= int128(order.price) * order.qty;
  Event done;
  done.type = EventType::done;
  done.seq = seq;
  done.order_key = order.key;
  done.done_reason = reason;
  events.push_back(done);
}

}  // namespace cpx::test

namespace cpx::test {

uint16_t ReferenceEngine::market(uint16_t chip, int64_t delivery_ms) {
  if (delivery_ms == 0) return chip;
  for (std::size_t i = 0; i < markets_.size(); ++i) {
    if (markets_[i] == std::pair(chip, delivery_ms)) return uint16_t(i);
  }
  markets_.emplace_back(chip, delivery_ms);
  return uint16_t(markets_.size() - 1);
}

uint8_t ReferenceEngine::green_at(const Site& site, int64_t delivery_ms) const {
  return site.has_profile ? site.profile[delivery_ms / hour_ms % hours_per_day] : site.green_pct;
}

int64_t ReferenceEngine::used(const std::string& site, int64_t delivery_ms) const {
  const auto sold = sites_.at(site).sold.find(delivery_ms);
  int64_t total = sold == sites_.at(site).sold.end() ? 0 : sold->second;
  for (const Order& order : open_) {
    if (order.site == site && order.delivery_ms == delivery_ms) total += order.qty;
  }
  return total;
}

// docs/delivery.md, "Delivery hours" and "Sites": the hour, then the site.
Reason ReferenceEngine::place_hourly(const Command& c, Order& order) const {
  if (now_ms_ < 0) return Reason::delivery_not_open;
  const int64_t current = now_ms_ / hour_ms * hour_ms;
  const int64_t delivery = c.delivery_ms != 0 ? c.delivery_ms : current;
  if (delivery < current) return Reason::delivery_closed;
  if (delivery > current + int64_t(config_.delivery_horizon_h) * hour_ms) {
    return Reason::delivery_not_open;
  }
  order.delivery_ms = delivery;
  if (order.side == Side::bid) return Reason::none;
  const auto site = sites_.find(std::string(c.site));
  if (site == sites_.end() || site->second.account != order.account) return Reason::unknown_site;
  if (site->second.status != SiteStatus::active) return Reason::site_inactive;
  const uint8_t green = green_at(site->second, delivery);
  if ((c.has_chip && c.chip != site->second.chip) ||
      (c.has_region && c.region != site->second.region) || (c.has_green && c.green_pct != green)) {
    return Reason::site_mismatch;
  }
  order.site = site->first;
  order.chip = site->second.chip;
  order.region = site->second.region;
  order.green_pct = green;
  return Reason::none;
}

Reason ReferenceEngine::run_tick(const Command& c, uint64_t seq, EventList& events) {
  if (c.field_reason != Reason::none) return c.field_reason;
  if (c.time_ms < now_ms_) return Reason::bad_time;
  now_ms_ = c.time_ms;
  Event ok;
  ok.seq = seq;
  events.push_back(ok);
  // Every order of an hour whose gate has closed expires: by hour, chip, then time.
  const int64_t current = now_ms_ / hour_ms * hour_ms;
  std::vector<Order> closed;
  for (std::size_t i = 0; i < open_.size();) {
    if (open_[i].delivery_ms != 0 && open_[i].delivery_ms < current) {
      closed.push_back(open_[i]);
      open_.erase(open_.begin() + std::ptrdiff_t(i));
    } else {
      ++i;
    }
  }
  std::sort(closed.begin(), closed.end(), [](const Order& x, const Order& y) {
    return std::tuple(x.delivery_ms, x.chip, x.time) < std::tuple(y.delivery_ms, y.chip, y.time);
  });
  for (const Order& order : closed) end(order, DoneReason::expired, seq, events);
  // Contracts by hour, then trade: started, past their deadline, past their dispute window.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < contracts_.size(); ++i) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return contracts_[x].hour < contracts_[y].hour;
  });
  for (const std::size_t i : order) {
    Contract& contract = contracts_[i];
    if (contract.status == ContractStatus::settled || contract.hour * hour_ms > now_ms_) continue;
    if (contract.status == ContractStatus::contracted) {
      contract.status = ContractStatus::delivering;
      events.push_back(contract_event(contract, seq));
    }
    const int64_t deadline = (contract.hour + 1 + config_.delivery_deadline_h) * hour_ms;
    const int64_t window = int64_t(config_.dispute_window_h) * hour_ms;
    if (contract.status == ContractStatus::delivering && now_ms_ >= deadline) {
      settle(i, 0, seq, events);
    } else if (contract.status == ContractStatus::reported &&
               now_ms_ >= std::max(deadline, contract.reported_ms + window)) {
      settle(i, contract.delivered_milli, seq, events);
    }
  }
  return Reason::none;
}

int128 ReferenceEngine::penalty(int64_t price, int64_t qty) const {
  return int128(price) * qty * config_.penalty_pct / 100;
}

int128 ReferenceEngine::exposure(const std::string& provider) const {
  int128 total = 0;
  for (const Order& order : open_) {
    if (order.account == provider && !order.site.empty()) total += penalty(order.price, order.qty);
  }
  for (std::size_t i = 0; i < contracts_.size(); ++i) {
    if (parties_[i].second == provider && contracts_[i].status != ContractStatus::settled) {
      total += penalty(contracts_[i].ask_price_ticks, contracts_[i].qty_milli);
    }
  }
  return total;
}

Event ReferenceEngine::contract_event(const Contract& contract, uint64_t seq) const {
  Event event;
  event.type = EventType::contract;
  event.seq = seq;
  event.id = contract.trade_id;
  event.contract_status = contract.status;
  event.qty_milli = contract.delivered_milli;
  return event;
}

void ReferenceEngine::settle(std::size_t i, int64_t delivered, uint64_t seq, EventList& events) {
  Contract& contract = contracts_[i];
  contract.delivered_milli = delivered;
  contract.paid_e7 = int128(contract.price_ticks) * delivered;
  contract.refunded_e7 = int128(contract.price_ticks) * (contract.qty_milli - delivered);
  contract.penalty_e7 = penalty(contract.ask_price_ticks, contract.qty_milli - delivered);
  contract.status = ContractStatus::settled;
  accounts_[parties_[i].second].balance += contract.paid_e7 - contract.penalty_e7;
  accounts_[parties_[i].first].balance += contract.refunded_e7 + contract.penalty_e7;
  events.push_back(contract_event(contract, seq));
}

const Contract* ReferenceEngine::find_contract(uint64_t trade_id) const {
  for (const Contract& contract : contracts_) {
    if (contract.trade_id == trade_id) return &contract;
  }
  return nullptr;
}

Reason ReferenceEngine::run_contract_op(const Command& c, Account& a, uint64_t seq,
                                        EventList& events) {
  const Role needed = c.op == Op::dispute   ? Role::enterprise
                      : c.op == Op::resolve ? Role::operator_
                                            : Role::provider;
  if (a.role != needed) return Reason::role_mismatch;
  if (c.field_reason != Reason::none) return c.field_reason;
  if (c.op == Op::collateral) {
    a.balance += c.amount_e7;
    Event ok;
    ok.seq = seq;
    events.push_back(ok);
    return Reason::none;
  }
  const std::string name(c.account);
  std::size_t i = 0;
  while (i < contracts_.size() && contracts_[i].trade_id != c.trade_id) ++i;
  if (i == contracts_.size()) return Reason::unknown_contract;
  if ((c.op == Op::delivery && parties_[i].second != name) ||
      (c.op == Op::dispute && parties_[i].first != name)) {
    return Reason::unknown_contract;
  }
  Contract& contract = contracts_[i];
  if (c.op != Op::dispute && c.qty_milli > contract.qty_milli) return Reason::bad_qty;
  if (c.op == Op::delivery) {
    const int64_t deadline = (contract.hour + 1 + config_.delivery_deadline_h) * hour_ms;
    if ((contract.status != ContractStatus::delivering &&
         contract.status != ContractStatus::reported) ||
        now_ms_ >= deadline) {
      return Reason::contract_state;
    }
    contract.status = ContractStatus::reported;
    contract.delivered_milli = c.qty_milli;
    contract.reported_ms = now_ms_;
    events.push_back(contract_event(contract, seq));
  } else if (c.op == Op::dispute) {
    if (contract.status != ContractStatus::reported ||
        now_ms_ >= contract.reported_ms + int64_t(config_.dispute_window_h) * hour_ms) {
      return Reason::contract_state;
    }
    contract.status = ContractStatus::disputed;
    events.push_back(contract_event(contract, seq));
  } else {
    if (contract.status != ContractStatus::disputed) return Reason::contract_state;
    settle(i, c.qty_milli, seq, events);
  }
  return Reason::none;
}

void ReferenceEngine::cancel_site_asks(const std::string& site, uint64_t seq, EventList& events) {
  std::vector<Order> asks;
  for (std::size_t i = 0; i < open_.size();) {
    if (open_[i].site == site) {
      asks.push_back(open_[i]);
      open_.erase(open_.begin() + std::ptrdiff_t(i));
    } else {
      ++i;
    }
  }
  std::sort(asks.begin(), asks.end(), [](const Order& x, const Order& y) {
    return std::pair(x.delivery_ms, x.time) < std::pair(y.delivery_ms, y.time);
  });
  for (const Order& order : asks) end(order, DoneReason::canceled, seq, events);
}

Reason ReferenceEngine::run_site(const Command& c, uint64_t seq, EventList& events) {
  const std::string name(c.account);
  const Role role = accounts_[name].role;
  if (role != Role::provider && role != Role::operator_) return Reason::role_mismatch;
  if (c.field_reason != Reason::none) return c.field_reason;
  const std::string id(c.site);
  const auto found = sites_.find(id);
  Event ok;
  ok.seq = seq;
  if (role == Role::operator_) {
    if (!c.has_site_status || c.site_status == SiteStatus::retired) return Reason::role_mismatch;
    if (found == sites_.end()) return Reason::unknown_site;
    if (found->second.status == SiteStatus::retired) return Reason::site_inactive;
    found->second.status = c.site_status;
    events.push_back(ok);
    if (c.site_status == SiteStatus::suspended) cancel_site_asks(id, seq, events);
    return Reason::none;
  }
  if (found == sites_.end()) {
    if (!c.has_chip || !c.has_region || !c.has_qty) return Reason::bad_request;
    if (c.has_site_status && c.site_status != SiteStatus::active) return Reason::site_inactive;
    Site site{name, c.chip,      c.region, SiteStatus::active, c.green_pct, c.has_green_profile,
              {},   c.qty_milli, {}};
    std::copy(std::begin(c.green_profile), std::end(c.green_profile), site.profile);
    sites_.emplace(id, site);
    events.push_back(ok);
    return Reason::none;
  }
  Site& site = found->second;
  if (site.account != name) return Reason::duplicate_site;
  if (site.status == SiteStatus::retired) return Reason::site_inactive;
  if (c.has_site_status && c.site_status == SiteStatus::suspended) return Reason::role_mismatch;
  if ((c.has_chip && c.chip != site.chip) || (c.has_region && c.region != site.region)) {
    return Reason::site_mismatch;
  }
  const bool retire = c.has_site_status && c.site_status == SiteStatus::retired;
  if (!retire && site.status == SiteStatus::suspended) return Reason::site_inactive;
  const int64_t current = now_ms_ < 0 ? 0 : now_ms_ / hour_ms * hour_ms;
  if (c.has_qty) {
    for (const auto& [delivery, sold] : site.sold) {
      if (delivery >= current && sold > c.qty_milli) return Reason::below_sold;
    }
  }
  events.push_back(ok);
  if (c.has_green) site.green_pct = c.green_pct;
  if (c.has_green_profile) {
    site.has_profile = true;
    std::copy(std::begin(c.green_profile), std::end(c.green_profile), site.profile);
  }
  if (retire) {
    site.status = SiteStatus::retired;
    cancel_site_asks(id, seq, events);
    return Reason::none;
  }
  if (!c.has_qty) return Reason::none;
  site.capacity = c.qty_milli;
  // Hour by hour, the youngest asks give way first.
  std::vector<int64_t> hours;
  for (const Order& order : open_) {
    if (order.site == id) hours.push_back(order.delivery_ms);
  }
  std::sort(hours.begin(), hours.end());
  hours.erase(std::unique(hours.begin(), hours.end()), hours.end());
  for (const int64_t delivery : hours) {
    int64_t excess = used(id, delivery) - site.capacity;
    while (excess > 0) {
      Order* youngest = nullptr;
      for (Order& order : open_) {
        if (order.site == id && order.delivery_ms == delivery &&
            (youngest == nullptr || order.time > youngest->time)) {
          youngest = &order;
        }
      }
      if (youngest->qty <= excess) {
        excess -= youngest->qty;
        const Order copy = *youngest;
        open_.erase(open_.begin() + (youngest - open_.data()));
        end(copy, DoneReason::canceled, seq, events);
        continue;
      }
      youngest->qty -= excess;
      excess = 0;
      Event amended;
      amended.type = EventType::amended;
      amended.seq = seq;
      amended.order_key = youngest->key;
      amended.qty_milli = youngest->qty;
      amended.price_ticks = youngest->price;
      events.push_back(amended);
    }
  }
  return Reason::none;
}

}  // namespace cpx::test
