// Delivery hours over the API (docs/delivery.md): the clock's ticks, providers' sites, operators'
// collateral, contracts with their reports, disputes and resolutions, and what their events
// push to both parties.
#include <algorithm>

#include "cpx/base/utc_hour.hpp"
#include "cpx/engine/wire_names.hpp"
#include "cpx/venue/venue.hpp"
#include "json_out.hpp"

namespace cpx::venue {

namespace {

// The WebSocket answer's opening: {"type":"<type>","req_id":<id>, (REST: {).
void open_answer(std::string& out, const Request& request, std::string_view type) {
  out.assign("{");
  if (request.surface != Surface::ws) return;
  append_field(out, "type", type);
  out.append(",\"req_id\":");
  out.append(request.req_id.view());
  out.push_back(',');
}

}  // namespace

void Venue::handle_tick(const Request& request) {
  Command command = request.command.unwrap();
  execute(command);
  const Event& first = events_.front();
  if (first.type == EventType::rejected) return answer_rejection(request, first.reason);
  apply_events(command, request.now_ms);
  send_ledger();
  if (replaying_ || request.kind == RequestKind::tick) return;  // the server's own: no answer
  body_.assign("{");
  append_signed(body_, "time_ms", engine_.now_ms());
  body_.push_back(',');
  append_field(body_, "hour", format_utc_hour(engine_.now_ms() / hour_ms * hour_ms));
  body_.push_back('}');
  answer(request, 200, body_);
}

bool Venue::execute_as_caller(const Request& request, const Caller& caller, Command& command) {
  command = request.command.unwrap();
  command.account = engine_.account(caller.account).name;
  command.account_index = caller.account;
  execute(command);
  const Event& first = events_.front();
  if (first.type == EventType::rejected) {
    answer_rejection(request, first.reason);
    return false;
  }
  apply_events(command, request.now_ms);
  send_ledger();
  return !replaying_;
}

void Venue::handle_site(const Request& request, const Caller& caller) {
  Command command;
  const bool existed = engine_.find_site(request.command.unwrap().site).has_value();
  if (!execute_as_caller(request, caller, command)) return;
  if (limits_.ledger) {  // the site's state after the command, after the asks it ended
    const Site& site = engine_.sites()[*engine_.find_site(command.site)];
    ledger::Record& record = ledger_record(ledger::RecordKind::site, engine_.last_seq());
    record.account = site.account;
    record.set_text(site.id);
    record.chip = site.chip;
    record.region = site.region;
    record.qty_milli = site.capacity_milli;
    record.green_pct = site.green_pct;
    record.site_status = site.status;
    send_ledger();
  }
  open_answer(body_, request, "site");
  body_.append("\"site\":");
  render_site(body_, *engine_.find_site(command.site));
  body_.push_back('}');
  answer(request, existed ? 200 : 201, body_);
}

void Venue::handle_list_sites(const Request& request, const Caller& caller) {
  const bool all = caller.role == Role::operator_ || caller.role == Role::auditor;
  body_.assign("{\"sites\":[");
  bool comma = false;
  const std::vector<Site>& sites = engine_.sites();
  for (uint32_t i = 0; i < sites.size(); ++i) {
    if (!all && sites[i].account != caller.account) continue;
    if (comma) body_.push_back(',');
    comma = true;
    render_site(body_, i);
  }
  body_.append("]}");
  answer(request, 200, body_);
}

void Venue::handle_collateral(const Request& request) {
  const Command command = request.command.unwrap();
  execute(command);
  if (events_.front().type == EventType::rejected) {
    return answer_rejection(request, events_.front().reason);
  }
  if (limits_.ledger) {
    ledger::Record& record = ledger_record(ledger::RecordKind::collateral, events_.front().seq);
    record.account = *engine_.find_account(command.account);
    record.amount_e7 = command.amount_e7;
    send_ledger();
  }
  answer_balance(request, *engine_.find_account(command.account), command.amount_e7);
}

void Venue::handle_contract(const Request& request, const Caller& caller) {
  Command command;
  if (!execute_as_caller(request, caller, command)) return;
  open_answer(body_, request, "contract");
  body_.append("\"contract\":");
  render_contract(body_, *engine_.find_contract(command.trade_id));
  body_.push_back('}');
  answer(request, 200, body_);
}

bool Venue::sees_contract(const Caller& caller, const Contract& contract) const {
  return caller.role == Role::operator_ || caller.role == Role::auditor ||
         contract.buyer == caller.account || contract.seller == caller.account;
}

void Venue::handle_get_contract(const Request& request, const Caller& caller) {
  const Contract* contract = engine_.find_contract(request.command.unwrap().trade_id);
  if (contract == nullptr || !sees_contract(caller, *contract)) {
    return answer_rejection(request, Reason::unknown_contract);
  }
  body_.assign("{\"contract\":");
  render_contract(body_, *contract);
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_list_contracts(const Request& request, const Caller& caller) {
  const Command filter = request.command.unwrap();
  const uint32_t limit = std::clamp<uint32_t>(request.limit, 1, limits_.page_max);
  const std::vector<Contract>& contracts = engine_.contracts();
  const bool party_only = caller.role != Role::operator_ && caller.role != Role::auditor;
  // A party's own contracts are listed from its index of them; operators' from all.
  const std::vector<uint32_t>* mine = party_only ? &accounts_[caller.account].contracts : nullptr;
  const std::size_t total = mine ? mine->size() : contracts.size();
  const auto at = [&](std::size_t i) -> const Contract& {
    return contracts[mine ? (*mine)[i] : i];
  };
  std::size_t i = 0;
  for (std::size_t high = total; i < high;) {  // the first with trade id > after_id
    const std::size_t mid = (i + high) / 2;
    if (at(mid).trade_id <= request.after_id)
      i = mid + 1;
    else
      high = mid;
  }
  body_.assign("{\"contracts\":[");
  uint32_t listed = 0;
  uint64_t last = 0;
  for (; i < total && listed < limit; ++i) {
    const Contract& contract = at(i);
    if (request.contract_status != 0 && uint8_t(contract.status) + 1 != request.contract_status) {
      continue;
    }
    if (filter.delivery_ms != 0 && contract.hour * hour_ms != filter.delivery_ms) continue;
    if (listed++) body_.push_back(',');
    render_contract(body_, contract);
    last = contract.trade_id;
  }
  body_.append("],\"next_after_trade_id\":");
  body_.append(i < total && listed == limit ? std::to_string(last) : "null");
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::on_contract_made(const Event& event) {
  const Contract* contract = engine_.find_contract(event.id);
  if (contract == nullptr) return;  // a trade of a plain market
  const uint32_t index = uint32_t(contract - engine_.contracts().data());
  accounts_[contract->buyer].contracts.push_back(index);
  if (contract->seller != contract->buyer) accounts_[contract->seller].contracts.push_back(index);
}

void Venue::on_contract(const Event& event) {
  const Contract& contract = *engine_.find_contract(event.id);
  if (limits_.ledger) {
    ledger::Record& record = ledger_record(ledger::RecordKind::contract, event.seq);
    record.id = contract.trade_id;
    record.account = contract.buyer;
    record.ask_account = contract.seller;
    record.contract_status = event.contract_status;
    const bool reported = event.contract_status == ContractStatus::reported ||
                          event.contract_status == ContractStatus::disputed ||
                          event.contract_status == ContractStatus::settled;
    record.qty_milli = reported ? contract.delivered_milli : -1;
    if (event.contract_status == ContractStatus::settled) {
      record.amount_e7 = contract.paid_e7;
      record.refunded_e7 = contract.refunded_e7;
      record.penalty_e7 = contract.penalty_e7;
      record.reserve_e7 = engine_.penalty_of(contract.ask_price_ticks, contract.qty_milli);
    }
  }
  for (const uint32_t party : {contract.buyer, contract.seller}) {
    if (!listened(party)) continue;
    push_body_.assign("{\"type\":\"contract\",\"contract\":");
    render_contract(push_body_, contract);
    push_body_.push_back('}');
    push_to(party, push_body_);
  }
}

void Venue::render_site(std::string& out, uint32_t index) const {
  const Site& site = engine_.sites()[index];
  out.push_back('{');
  append_field(out, "site", site.id);
  out.push_back(',');
  append_field(out, "account", engine_.account(site.account).name);
  out.push_back(',');
  append_field(out, "chip", engine_.chip_id(site.chip));
  out.push_back(',');
  append_field(out, "region", engine_.region_id(site.region));
  out.push_back(',');
  append_amount(out, "capacity_pflops", site.capacity_milli, qty_frac_digits);
  out.push_back(',');
  append_number(out, "green_pct", site.green_pct);
  if (site.has_green_profile) {
    out.append(",\"green_profile\":[");
    for (std::size_t h = 0; h < hours_per_day; ++h) {
      if (h) out.push_back(',');
      out.append(std::to_string(site.green_profile[h]));
    }
    out.push_back(']');
  }
  out.push_back(',');
  append_field(out, "status", name_of(site_status_names, site.status));
  // What of each open hour is sold and offered (sold + open asks never pass the capacity).
  out.append(",\"hours\":[");
  bool comma = false;
  for (const auto& [hour, use] : site.hours.sorted()) {
    if (use.committed_milli == 0 && use.sold_milli == 0) continue;
    if (comma) out.push_back(',');
    comma = true;
    out.push_back('{');
    append_field(out, "delivery", format_utc_hour(hour * hour_ms));
    out.push_back(',');
    append_amount(out, "sold", use.sold_milli, qty_frac_digits);
    out.push_back(',');
    append_amount(out, "offered", use.committed_milli - use.sold_milli, qty_frac_digits);
    out.push_back('}');
  }
  out.append("]}");
}

void Venue::render_contract(std::string& out, const Contract& contract) const {
  const Site& site = engine_.sites()[contract.site];
  out.push_back('{');
  append_number(out, "trade_id", contract.trade_id);
  out.push_back(',');
  append_field(out, "chip", engine_.chip_id(site.chip));
  out.push_back(',');
  append_field(out, "delivery", format_utc_hour(contract.hour * hour_ms));
  out.push_back(',');
  append_field(out, "site", site.id);
  out.push_back(',');
  append_field(out, "region", engine_.region_id(site.region));
  out.push_back(',');
  append_field(out, "buyer", engine_.account(contract.buyer).name);
  out.push_back(',');
  append_field(out, "seller", engine_.account(contract.seller).name);
  out.push_back(',');
  append_amount(out, "qty", contract.qty_milli, qty_frac_digits);
  out.push_back(',');
  append_amount(out, "price", contract.price_ticks, price_frac_digits);
  out.push_back(',');
  append_amount(out, "notional", notional_e7(contract.price_ticks, contract.qty_milli),
                amount_frac_digits);
  out.push_back(',');
  append_field(out, "status", name_of(contract_status_names, contract.status));
  if (contract.reported_ms >= 0 || contract.status == ContractStatus::settled) {
    out.push_back(',');
    append_amount(out, "delivered", contract.delivered_milli, qty_frac_digits);
  }
  if (contract.reported_ms >= 0) {
    out.push_back(',');
    append_signed(out, "reported_ms", contract.reported_ms);
  }
  if (contract.status == ContractStatus::settled) {
    out.push_back(',');
    append_amount(out, "paid", contract.paid_e7, amount_frac_digits);
    out.push_back(',');
    append_amount(out, "refunded", contract.refunded_e7, amount_frac_digits);
    out.push_back(',');
    append_amount(out, "penalty", contract.penalty_e7, amount_frac_digits);
  }
  out.push_back('}');
}

}  // namespace cpx::venue
