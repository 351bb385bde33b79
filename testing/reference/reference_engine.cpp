#include "reference_engine.hpp"

#include <algorithm>

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
  if (c.op == Op::deposit) {
    if (a.role != Role::enterprise) return Reason::role_mismatch;
    if (c.field_reason != Reason::none) return c.field_reason;
    a.balance += c.amount_e7;
    events.push_back(ok);
    return Reason::none;
  }
  if (c.op == Op::new_order) {
    if (a.role != (c.side == Side::bid ? Role::enterprise : Role::provider)) {
      return Reason::role_mismatch;
    }
    if (c.field_reason != Reason::none) return c.field_reason;
    const std::pair<std::string, std::string> id(name, std::string(c.client_order_id));
    if (key_of_.count(id)) return Reason::duplicate_client_order_id;
    const int128 hold = c.side == Side::bid ? int128(c.price_ticks) * c.qty_milli : 0;
    if (hold > a.balance - a.held) return Reason::insufficient_funds;
    a.held += hold;
    const uint32_t key = uint32_t(keys_.size());
    keys_.push_back(id);
    key_of_[id] = key;
    Event accepted;
    accepted.type = EventType::accepted;
    accepted.seq = seq;
    accepted.id = seq;
    accepted.order_key = key;
    events.push_back(accepted);
    Order order{key,
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
                seq};
    match(order, c.tif, seq, events);
    return Reason::none;
  }
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

ReferenceEngine::Order* ReferenceEngine::find_open(const std::string& account,
                                                   std::string_view client_order_id) {
  for (Order& order : open_) {
    if (order.account == account && keys_[order.key].second == client_order_id) return &order;
  }
  return nullptr;
}

bool ReferenceEngine::may_trade(const Order& bid, const Order& ask) const {
  return bid.chip == ask.chip &&
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
    seller.balance += int128(price) * qty;
    Event trade;
    trade.type = EventType::trade;
    trade.seq = seq;
    trade.id = ++trade_id_;
    trade.chip = in.chip;
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
