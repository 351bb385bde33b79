// Orders: placing, amending and cancelling through the engine, the idempotent re-send, and what
// the engine's events do to the order records, the fills, the pushes and the ledger records.
#include <algorithm>
#include <cstring>

#include "cpx/venue/venue.hpp"
#include "json_out.hpp"

namespace cpx::venue {

namespace {

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

}  // namespace

bool Venue::answer_repeat(const Request& request, const Command& command, uint32_t account) {
  const uint32_t key = engine_.find_order(account, command.client_order_id);
  if (key != index_none) {
    const OrderRecord& placed = orders_[key];
    const bool bid = command.side == Side::bid;
    // An ask from a site names the site instead of chip and region.
    const auto site = command.site.empty() ? std::nullopt : engine_.find_site(command.site);
    const bool where = command.site.empty()
                           ? placed.site == index_none && placed.chip == command.chip &&
                                 placed.region == command.region
                           : site && placed.site == *site;
    const bool same =
        placed.rest_placed && placed.side == command.side && where &&
        (command.delivery_ms == 0 || placed.delivery_ms == command.delivery_ms) &&
        placed.qty_milli == command.qty_milli && placed.price_placed_ticks == command.price_ticks &&
        placed.tif == command.tif &&
        (placed.green_pct == command.green_pct || (!command.site.empty() && !command.has_green)) &&
        (!bid ||
         (placed.has_latency_max == command.has_latency_max &&
          placed.latency_ms_max == command.latency_ms_max && placed.urgency == command.urgency));
    if (same) {
      body_.clear();
      render_placed_answer(body_, key);
      answer(request, 201, body_);
      return true;
    }
  }
  return false;
}

void Venue::handle_order(const Request& request, const Caller& caller) {
  Command command = request.command.unwrap();
  command.account = engine_.account(caller.account).name;
  command.account_index = caller.account;
  // Idempotent entry: the same order sent again over REST gets its first answer and places
  // nothing; any other reuse of the id goes to the engine, which refuses it.
  if (command.op == Op::new_order && request.surface == Surface::rest &&
      command.shape_reason == Reason::none && command.field_reason == Reason::none &&
      answer_repeat(request, command, caller.account)) {
    return;
  }
  if (accounts_[caller.account].max_open_orders != 0 ||
      accounts_[caller.account].max_order_notional_e7 != 0) [[unlikely]] {
    if (command.shape_reason == Reason::none && over_limits(request, command, caller.account)) {
      return;
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
  if (first.type == EventType::accepted && request.cancel_on_disconnect) {
    orders_[key].disconnect_tag = session_tag(request);
  }
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

void Venue::handle_cancel_all(const Request& request, const Caller& caller) {
  const Command filter = request.command.unwrap();
  body_.assign("{\"canceled\":[");
  const uint32_t canceled = cancel_open_orders(
      caller.account, request.chip_filter ? std::optional<uint16_t>(filter.chip) : std::nullopt,
      request.now_ms);
  if (replaying_) return;
  body_.append("],\"count\":");
  body_.append(std::to_string(canceled));
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::cancel_session_orders(const Request& request, const Caller& caller) {
  if (!request.cancel_on_disconnect) return;
  const uint64_t tag = session_tag(request);
  cancel_keys_.clear();
  for (const uint32_t key : accounts_[caller.account].orders) {
    const OrderRecord& order = orders_[key];
    if (order.status == OrderStatus::open && order.disconnect_tag == tag) {
      cancel_keys_.push_back(key);
    }
  }
  body_.clear();
  cancel_keys(caller.account, request.now_ms);
}

std::size_t Venue::open_session_orders() const {
  std::size_t open = 0;
  for (uint32_t key = 0; key < orders_.size(); ++key) {
    open += orders_[key].status == OrderStatus::open && orders_[key].disconnect_tag != 0;
  }
  return open;
}

void Venue::handle_restarted(const Request& request) {
  for (uint32_t account = 0; account < accounts_.size(); ++account) {
    cancel_keys_.clear();
    for (const uint32_t key : accounts_[account].orders) {
      const OrderRecord& order = orders_[key];
      if (order.status == OrderStatus::open && order.disconnect_tag != 0) {
        cancel_keys_.push_back(key);
      }
    }
    if (!cancel_keys_.empty()) cancel_keys(account, request.now_ms);
  }
  body_.clear();
}

uint32_t Venue::cancel_open_orders(uint32_t account, std::optional<uint16_t> chip, int64_t now_ms) {
  // The keys first: each cancel is a command of its own (its own seq, done push and ledger
  // records), and cancels change the orders' status, never the account's list of them.
  cancel_keys_.clear();
  for (const uint32_t key : accounts_[account].orders) {
    const OrderRecord& order = orders_[key];
    if (order.status == OrderStatus::open && (!chip || order.chip == *chip)) {
      cancel_keys_.push_back(key);
    }
  }
  return cancel_keys(account, now_ms);
}

uint32_t Venue::cancel_keys(uint32_t account, int64_t now_ms) {
  uint32_t canceled = 0;
  for (const uint32_t key : cancel_keys_) {
    char id[id_length_max];
    const IdText text = engine_.key_client_order_id(key);
    std::memcpy(id, text.data, text.size);
    Command cancel;
    cancel.op = Op::cancel;
    cancel.account = engine_.account(account).name;
    cancel.account_index = account;
    cancel.set_client_order_id(std::string_view(id, text.size));
    execute(cancel);
    if (events_.front().type == EventType::rejected) continue;  // never for an open order
    apply_events(cancel, now_ms);
    send_ledger();
    if (replaying_) continue;
    if (canceled++ > 0) body_.push_back(',');
    append_string(body_, cancel.client_order_id);
  }
  return canceled;
}

void Venue::render_placed_answer(std::string& out, uint32_t key) const {
  const OrderRecord& order = orders_[key];
  out.append("{\"order\":");
  render_order(out, key, true);
  out.append(",\"trades\":[");
  const SegmentedArray<FillRecord>& fills = accounts_[order.account].fills;
  auto it =
      std::lower_bound(fills.begin(), fills.end(), order.accept_first_trade,
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
      case EventType::contract:
        on_contract(event);
        break;
      case EventType::accepted:
        on_accepted(event, command, now_ms);
        break;
      case EventType::amended:
        on_amended(event);
        break;
      case EventType::trade:
        on_trade(event, now_ms);
        break;
      case EventType::done:
        on_done(event, now_ms);
        break;
    }
  }
  if (!touched_.empty()) {
    changed_levels_.clear();
    for (const uint32_t key : touched_) set_book_share(key);
    if (!changed_levels_.empty()) publish_book(orders_[touched_.front()].chip);
  }
  // The hourly markets, and the curves (also when a tick entered another hour).
  if (!changed_hour_levels_.empty() || !curve_touched_.empty() ||
      (engine_.now_ms() >= 0 && open_hours().first != curve_hour_)) {
    publish_hours();
  }
}

void Venue::on_accepted(const Event& event, const Command& command, int64_t now_ms) {
  CPX_ASSERT(event.order_key == orders_.size());
  OrderRecord& order = orders_.emplace_back();
  order.account = command.account_index;
  ++accounts_[command.account_index].open_orders;
  order.chip = command.chip;
  order.region = command.region;
  order.green_pct = command.green_pct;
  const uint16_t book = engine_.key_book(event.order_key);
  order.delivery_ms = engine_.book_delivery_ms(book);
  order.site = engine_.key_site(event.order_key);
  if (order.site != index_none) {  // an ask takes chip, region and green share from its site
    const Site& site = engine_.sites()[order.site];
    order.chip = site.chip;
    order.region = site.region;
    order.green_pct = site.green_at(order.delivery_ms / hour_ms);
  }
  order.side = command.side;
  order.tif = command.tif;
  order.urgency = command.urgency;
  order.has_latency_max = command.has_latency_max;
  order.latency_ms_max = command.latency_ms_max;
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
    // An hourly ask's penalty reservation (docs/delivery.md, "Collateral").
    if (order.site != index_none)
      record.amount_e7 = engine_.penalty_of(order.price_ticks, order.qty_milli);
  }
}

void Venue::on_amended(const Event& event) {
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
    } else if (order.site != index_none) {
      record.amount_e7 = engine_.penalty_of(event.price_ticks, event.qty_milli) -
                         engine_.penalty_of(order.price_ticks, order.open_milli);
    }
  }
  order.price_ticks = event.price_ticks;
  order.open_milli = event.qty_milli;
  touched_.push_back(event.order_key);
}

void Venue::on_trade(const Event& event, int64_t now_ms) {
  const int64_t delivery_ms = engine_.book_delivery_ms(event.book);
  if (delivery_ms != 0) on_contract_made(event);
  // A contract's penalty reservation moves from its ask (what the ask's open part gives up) to
  // the contract, at the ask's price (docs/delivery.md, "Collateral").
  int128 ask_released = 0;
  int128 contract_reserve = 0;
  if (delivery_ms != 0) {
    const OrderRecord& ask = orders_[event.ask_key];
    ask_released = engine_.penalty_of(ask.price_ticks, ask.open_milli) -
                   engine_.penalty_of(ask.price_ticks, ask.open_milli - event.qty_milli);
    contract_reserve = engine_.penalty_of(ask.price_ticks, event.qty_milli);
  }
  for (const uint32_t key : {event.order_key, event.ask_key}) {
    OrderRecord& order = orders_[key];
    order.open_milli -= event.qty_milli;
    order.filled_milli += event.qty_milli;
    const FillRecord fill{
        event.id,        key,   event.region, event.aggressor == order.side, event.price_ticks,
        event.qty_milli, now_ms};
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
    record.chip = engine_.book_chip(event.book);
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
    if (delivery_ms != 0) {
      record.delivery_ms = delivery_ms;
      record.set_text(engine_.sites()[ask.site].id);
      record.amount_e7 = ask_released;
      record.reserve_e7 = contract_reserve;
    }
  }
  TradeRecord trade;
  trade.chip = engine_.book_chip(event.book);
  trade.region = event.region;
  trade.aggressor = event.aggressor;
  trade.seq = ++trade_seq_[trade.chip];
  trade.trade_id = event.id;
  trade.price_ticks = event.price_ticks;
  trade.qty_milli = event.qty_milli;
  trade.time_ms = now_ms;
  trade.delivery_ms = delivery_ms;
  if (delivery_ms != 0) {
    const HourKey hour{delivery_ms, trade.chip};
    HourMarket& market = hour_markets_[hour];
    market.volume_milli += event.qty_milli;
    market.notional_e7 += notional_e7(event.price_ticks, event.qty_milli);
    ++market.trades;
    market.last_price_ticks = event.price_ticks;
    curve_touched_.push_back(hour);
  }
  sink_.trade(trade);
}

void Venue::on_done(const Event& event, int64_t now_ms) {
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
    if (order.side == Side::bid) {
      record.amount_e7 = notional_e7(order.price_ticks, order.open_milli);
    } else if (order.site != index_none) {
      record.amount_e7 = engine_.penalty_of(order.price_ticks, order.open_milli);
    }
  }
  if (order.status == OrderStatus::open) --accounts_[order.account].open_orders;
  order.status = status_of(event.done_reason);
  order.open_milli = 0;
  touched_.push_back(event.order_key);
  if (!listened(order.account)) return;
  push_body_.assign("{\"type\":\"done\",");
  append_field(push_body_, "client_order_id", engine_.key_client_order_id(event.order_key).view());
  push_body_.push_back(',');
  append_field(push_body_, "reason", to_string(event.done_reason));
  push_body_.push_back(',');
  append_amount(push_body_, "filled_qty", order.filled_milli, qty_frac_digits);
  push_body_.push_back('}');
  push_to(order.account, push_body_);
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

}  // namespace cpx::venue
