// Operators' requests (accounts, keys, deposits) and WebSocket sessions logging in and out.
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
  add_key(request.new_key_id.view(), request.new_secret.view(), *index);
  ledger_key(request.new_key_id.view(), request.new_secret.view(), *index);
  send_ledger();
  answer_new_key(request, name, nullptr);
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
