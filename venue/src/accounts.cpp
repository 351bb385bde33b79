// Operators' requests (accounts, keys, deposits) and WebSocket sessions logging in and out.
#include <algorithm>

#include "cpx/base/decimal.hpp"
#include "cpx/venue/venue.hpp"
#include "json_out.hpp"

namespace cpx::venue {

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
  answer_new_key(request, command.account, &command.role);
}

void Venue::handle_create_key(const Request& request) {
  const std::string_view name = request.command.unwrap().account;
  const auto index = name.empty() ? std::nullopt : engine_.find_account(name);
  if (!index) return answer_rejection(request, Reason::unknown_account);
  if (keys_.contains(request.new_key_id.view())) {
    return answer_error(request, 409, "duplicate_key", "this key id exists already");
  }
  // An expiry (command.time_ms) is a time to come.
  const int64_t expires_ms = request.command.unwrap().time_ms;
  if (expires_ms != 0 && expires_ms <= request.now_ms) {
    return answer_error(request, 400, "bad_request",
                        "expires_ms must be a time to come (ms since the epoch)");
  }
  add_key(request.new_key_id.view(), request.new_secret.view(), *index, false, request.now_ms,
          expires_ms);
  ledger_key(request.new_key_id.view(), request.new_secret.view(), *index, expires_ms);
  send_ledger();
  answer_new_key(request, name, nullptr);
}

void Venue::handle_revoke_key(const Request& request) {
  const auto key = keys_.find(request.new_key_id.view());
  if (key == keys_.end()) return answer_error(request, 404, "unknown_key", "no such key");
  const uint32_t account = key->second.account;
  KeyRecord record;
  record.key_id.assign(key->first);
  record.account.assign(engine_.account(account).name);
  record.role = key->second.role;
  record.account_index = account;
  keys_.erase(key);
  // It stops at once: the I/O threads forget it and close its WebSocket sessions.
  sink_.key_revoked(record);
  ledger_key(record.key_id.view(), {}, account, 0, request.now_ms);
  send_ledger();
  body_.assign("{");
  append_field(body_, "key_id", record.key_id.view());
  body_.push_back(',');
  append_field(body_, "account", record.account.view());
  body_.append(",\"revoked_ms\":" + std::to_string(request.now_ms) + "}");
  answer(request, 200, body_);
}

void Venue::handle_list_accounts(const Request& request) {
  // Accounts in name order after command.account, each with its keys in id order.
  std::vector<std::pair<std::string_view, uint32_t>> names;
  for (uint32_t i = 0; i < engine_.account_count(); ++i) {
    const std::string_view name = engine_.account(i).name;
    if (name > request.command.unwrap().account) names.emplace_back(name, i);
  }
  std::sort(names.begin(), names.end());
  const std::size_t limit = std::min<std::size_t>(request.limit, limits_.page_max);
  std::vector<std::vector<const std::pair<const std::string, KeyEntry>*>> keys(
      std::min(names.size(), limit));
  std::vector<uint32_t> slot(engine_.account_count(), UINT32_MAX);
  for (std::size_t i = 0; i < keys.size(); ++i) slot[names[i].second] = uint32_t(i);
  for (const auto& entry : keys_) {
    if (slot[entry.second.account] != UINT32_MAX)
      keys[slot[entry.second.account]].push_back(&entry);
  }
  body_.assign("{\"accounts\":[");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const uint32_t index = names[i].second;
    if (i) body_.push_back(',');
    body_.push_back('{');
    append_field(body_, "account", names[i].first);
    body_.push_back(',');
    append_field(body_, "role", to_string(engine_.account(index).role));
    body_.push_back(',');
    append_field(body_, "status", to_string(accounts_[index].status));
    body_.append(",\"keys\":[");
    std::sort(keys[i].begin(), keys[i].end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (std::size_t k = 0; k < keys[i].size(); ++k) {
      const KeyEntry& key = keys[i][k]->second;
      if (k) body_.push_back(',');
      body_.push_back('{');
      append_field(body_, "key_id", keys[i][k]->first);
      const auto time_or_null = [&](const char* name, int64_t ms) {
        body_.append(",\"").append(name).append("\":");
        body_.append(ms != 0 ? std::to_string(ms) : std::string("null"));
      };
      time_or_null("created_ms", key.created_ms);
      time_or_null("last_used_ms", key.last_used_ms);
      time_or_null("expires_ms", key.expires_ms);
      body_.push_back('}');
    }
    body_.append("]}");
  }
  body_.append("],\"next_after\":");
  if (names.size() > keys.size() && !keys.empty()) {
    body_.push_back('"');
    body_.append(names[keys.size() - 1].first);
    body_.push_back('"');
  } else {
    body_.append("null");
  }
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::answer_new_key(const Request& request, std::string_view account, const Role* role) {
  body_.assign("{");
  append_field(body_, "account", account);
  if (role != nullptr) {
    body_.push_back(',');
    append_field(body_, "role", to_string(*role));
  }
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
  if (limits_.ledger) {
    ledger::Record& record = ledger_record(ledger::RecordKind::deposit, events_.front().seq);
    record.account = index;
    record.amount_e7 = command.amount_e7;
    send_ledger();
  }
  answer_balance(request, index, command.amount_e7);
}

void Venue::answer_balance(const Request& request, uint32_t index, int128 amount_e7) {
  const Account& account = engine_.account(index);
  body_.assign("{");
  append_field(body_, "account", account.name);
  body_.push_back(',');
  append_amount(body_, "amount", amount_e7, amount_frac_digits);
  body_.push_back(',');
  append_amount(body_, "balance", account.balance_e7, amount_frac_digits);
  body_.push_back(',');
  append_amount(body_, "available", account.balance_e7 - account.held_e7, amount_frac_digits);
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_account_status(const Request& request) {
  const std::string_view name = request.command.unwrap().account;
  const auto index = name.empty() ? std::nullopt : engine_.find_account(name);
  if (!index) return answer_rejection(request, Reason::unknown_account);
  const Role role = engine_.account(*index).role;
  if (role == Role::operator_) {
    return answer_error(request, 403, "role_mismatch", "an operator account cannot be halted");
  }
  accounts_[*index].status = request.account_status;
  // Halting or suspending ends the account's open orders; its money stays where it is.
  body_.assign("{");
  append_field(body_, "account", name);
  body_.push_back(',');
  append_field(body_, "status", to_string(request.account_status));
  body_.append(",\"canceled\":[");
  const uint32_t canceled = request.account_status == AccountStatus::active
                                ? 0
                                : cancel_open_orders(*index, std::nullopt, request.now_ms);
  if (replaying_) return;
  body_.append("],\"count\":");
  body_.append(std::to_string(canceled));
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_account_limits(const Request& request) {
  const Command command = request.command.unwrap();
  const auto index = command.account.empty() ? std::nullopt : engine_.find_account(command.account);
  if (!index) return answer_rejection(request, Reason::unknown_account);
  AccountExtra& extra = accounts_[*index];
  extra.max_open_orders = request.max_open_orders;
  extra.max_order_notional_e7 = command.amount_e7;
  // Orders open beyond a new limit stay: the limit refuses new ones until fewer are open.
  body_.assign("{");
  append_field(body_, "account", command.account);
  body_.append(",\"max_open_orders\":");
  body_.append(extra.max_open_orders ? std::to_string(extra.max_open_orders) : "null");
  body_.append(",\"max_order_notional\":");
  if (extra.max_order_notional_e7 > 0) {
    body_.push_back('"');
    append_decimal(body_, extra.max_order_notional_e7, amount_frac_digits);
    body_.push_back('"');
  } else {
    body_.append("null");
  }
  body_.append(",\"open_orders\":" + std::to_string(extra.open_orders) + "}");
  answer(request, 200, body_);
}

bool Venue::over_limits(const Request& request, const Command& command, uint32_t account) {
  const AccountExtra& extra = accounts_[account];
  if (command.op == Op::new_order && extra.max_open_orders != 0 &&
      extra.open_orders >= extra.max_open_orders) {
    answer_error(request, 400, "open_orders_limit",
                 "the account has " + std::to_string(extra.open_orders) +
                     " open orders, its operator's limit");
    return true;
  }
  if (extra.max_order_notional_e7 == 0 || command.op == Op::cancel) return false;
  // An amend's notional is the order's after it: the given qty or price, else the order's.
  int64_t qty_milli = command.qty_milli;
  int64_t price_ticks = command.price_ticks;
  if (command.op == Op::amend) {
    const uint32_t key = engine_.find_order(account, command.client_order_id);
    if (key == index_none) return false;  // the engine refuses it
    if (!command.has_qty) qty_milli = orders_[key].open_milli;
    if (!command.has_price) price_ticks = orders_[key].price_ticks;
  }
  if (notional_e7(price_ticks, qty_milli) <= extra.max_order_notional_e7) return false;
  std::string limit;
  append_decimal(limit, extra.max_order_notional_e7, amount_frac_digits);
  answer_error(request, 400, "order_notional_limit",
               "price x qty is over the account's limit of " + limit + " per order");
  return true;
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

}  // namespace cpx::venue
