// The venue's entry points: start-up (operator, restore from the ledger), admission then
// acting on a request, the role each request needs, and the answers' common forms.
#include "cpx/venue/venue.hpp"

#include <chrono>

#include "cpx/engine/wire_names.hpp"
#include "cpx/venue/results.hpp"
#include "json_out.hpp"

namespace cpx::venue {

namespace {

constexpr NamedValue<OrderStatus> order_status_names[] = {{OrderStatus::open, "open"},
                                                          {OrderStatus::filled, "filled"},
                                                          {OrderStatus::canceled, "canceled"},
                                                          {OrderStatus::expired, "expired"},
                                                          {OrderStatus::killed, "killed"}};
static_assert(is_dense(order_status_names));

}  // namespace

std::string_view to_string(OrderStatus status) {
  return name_of(order_status_names, status);
}

Venue::Venue(Config config, VenueLimits limits, VenueSink& sink)
    : engine_(std::move(config)), limits_(limits), sink_(sink) {
  const std::size_t chips = engine_.config().chips.size();
  bid_levels_.resize(chips);
  ask_levels_.resize(chips);
  book_seq_.assign(chips, 0);
  trade_seq_.assign(chips, 0);
  curve_seq_.assign(chips, 0);
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
    if (index && !keys_.contains(key.key_id)) {
      add_key(key.key_id, key.secret, *index, false, 0, key.expires_ms);
    }
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

void Venue::ledger_key(std::string_view key_id, std::string_view secret, uint32_t account,
                       int64_t expires_ms, int64_t revoked_ms) {
  if (!limits_.ledger) return;
  ledger::Record& record = ledger_record(ledger::RecordKind::key, engine_.last_seq());
  record.account = account;
  record.set_text(key_id);
  record.set_text2(secret);
  record.expires_ms = expires_ms;
  record.revoked_ms = revoked_ms;
}

void Venue::add_key(std::string_view key_id, std::string_view secret, uint32_t account,
                    bool bootstrap, int64_t created_ms, int64_t expires_ms) {
  const Account& holder = engine_.account(account);
  keys_.emplace(
      std::string(key_id),
      KeyEntry{
          account, holder.role, {}, std::string(secret), bootstrap, created_ms, expires_ms, 0});
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
  append_error_body(body_, request.surface, request.req_id.view(), code, message);
  answer(request, status, body_, retry_after_s);
}

void Venue::answer_rejection(const Request& request, Reason reason) {
  // A malformed command's own account of what is wrong, when the I/O thread gave one.
  const std::string_view message = reason == Reason::bad_request && request.shape_message.length
                                       ? request.shape_message.view()
                                       : message_of(reason);
  answer_error(request, http_status_of(reason), to_string(reason), message);
}

void Venue::handle(const Request& request) {
  Caller caller{};
  if (admit_request(request, caller)) act(request, caller);
}

bool Venue::admit_request(const Request& request, Caller& caller) {
  now_ms_ = request.now_ms;
  if (request.kind == RequestKind::ws_logout) {
    handle_logout(request);
    if (!request.cancel_on_disconnect) return false;
    // Journaled, so that a replay cancels the same orders.
    const auto key = keys_.find(request.key_id.view());
    if (key == keys_.end()) return false;
    caller = Caller{key->second.account, key->second.role};
    return true;
  }
  if (request.kind == RequestKind::tick || request.kind == RequestKind::restarted) {
    // The server's own (its clock, its start): no key (no client sends one).
    caller = Caller{0, Role::operator_};
    return true;
  }
  return admit(request, caller);
}

bool Venue::journaled(const Request& request) {
  switch (request.kind) {
    case RequestKind::order:
    case RequestKind::create_account:
    case RequestKind::create_key:
    case RequestKind::deposit:
    case RequestKind::cancel_all:
    case RequestKind::tick:
    case RequestKind::clock:
    case RequestKind::site:
    case RequestKind::collateral:
    case RequestKind::contract:
    case RequestKind::account_status:
    case RequestKind::revoke_key:
    case RequestKind::account_limits:
    case RequestKind::restarted:
      return true;
    case RequestKind::ws_logout:
      return request.cancel_on_disconnect;
    default:
      return false;
  }
}

void Venue::replay(const Request& request, const Caller& caller, uint64_t signature_fingerprint) {
  now_ms_ = request.now_ms;
  if (const auto key = keys_.find(request.key_id.view()); key != keys_.end()) {
    key->second.last_used_ms = std::max(key->second.last_used_ms, request.now_ms);
  }
  if (signature_fingerprint != 0 && request.now_ms + 2 * replay_generation_ms > replay_wall_ms_) {
    replay_guard_.remember(signature_fingerprint, request.now_ms);
  }
  replaying_ = true;
  act(request, caller);
  replaying_ = false;
}

void Venue::handle_state(const Request& request) {
  body_ = "{\"seq\":" + std::to_string(engine_.last_seq()) +
          ",\"trade_id\":" + std::to_string(engine_.last_trade_id()) + ",\"state_hash\":\"" +
          state_hash() + "\"}";
  answer(request, 200, body_);
}

bool Venue::permitted(const Request& request, const Caller& caller) {
  const bool trader = caller.role == Role::enterprise || caller.role == Role::provider;
  const bool operator_ = caller.role == Role::operator_;
  // A halted account places and amends nothing, a suspended one does nothing (its keys are
  // refused at admission; this catches what was admitted in the same group as the suspension).
  if (accounts_[caller.account].status != AccountStatus::active &&
      request.kind != RequestKind::tick && request.kind != RequestKind::restarted &&
      request.kind != RequestKind::ws_logout) [[unlikely]] {
    const AccountStatus status = accounts_[caller.account].status;
    const Op op = request.command.unwrap().op;
    if (status == AccountStatus::suspended) {
      return (answer_error(request, 403, "account_suspended",
                           "this account is suspended by an operator"),
              false);
    }
    if (status == AccountStatus::halted &&
        ((request.kind == RequestKind::order && op != Op::cancel) ||
         request.kind == RequestKind::site)) {
      return (answer_error(request, 403, "account_halted",
                           "an operator halted this account's trading (its kill switch): it "
                           "may cancel and read, not place or amend"),
              false);
    }
  }
  switch (request.kind) {
    case RequestKind::order:
    case RequestKind::cancel_all:
    case RequestKind::get_order:
    case RequestKind::list_orders:
    case RequestKind::list_fills:
    case RequestKind::get_account:
      if (!trader) {
        return (answer_error(request, 403, "role_mismatch",
                             "only enterprise and provider keys trade and hold orders"),
                false);
      }
      break;
    case RequestKind::create_account:
    case RequestKind::create_key:
    case RequestKind::deposit:
    case RequestKind::state:
    case RequestKind::account_status:
    case RequestKind::list_accounts:
    case RequestKind::revoke_key:
    case RequestKind::account_limits:
    case RequestKind::collateral:
      if (!operator_) {
        return (answer_error(request, 403, "role_mismatch", "only operator keys administer"),
                false);
      }
      break;
    case RequestKind::ws_login:
    case RequestKind::ws_logout:
    case RequestKind::tick:
    case RequestKind::restarted:
    case RequestKind::site:      // the engine checks the role (providers; operators suspend)
    case RequestKind::contract:  // the engine checks the party
      break;
    case RequestKind::clock:
      if (!operator_) {
        return (answer_error(request, 403, "role_mismatch", "only operator keys set the clock"),
                false);
      }
      if (limits_.clock != ClockMode::manual) {
        return (answer_error(request, 409, "clock_not_manual",
                             "the clock is set by operators only when the server runs with "
                             "--clock manual"),
                false);
      }
      break;
    case RequestKind::list_sites:
      if (caller.role == Role::enterprise) {
        return (answer_error(request, 403, "role_mismatch",
                             "providers list their sites; operators and auditors all"),
                false);
      }
      break;
    case RequestKind::list_contracts:
    case RequestKind::get_contract:
      break;
    case RequestKind::ledger_trades:
    case RequestKind::ledger_statement:
    case RequestKind::ledger_verify:
      if (caller.role != Role::auditor) {
        return (answer_error(request, 403, "role_mismatch", "only auditor keys read the ledger"),
                false);
      }
      if (!limits_.ledger) {
        return (answer_error(request, 503, "ledger_unavailable",
                             "this server runs without a ledger database"),
                false);
      }
      if (!sink_.audit(request)) {
        return (answer_error(request, 503, "busy", "the ledger service is busy; retry shortly", 1),
                false);
      }
      return false;
  }
  return true;
}

void Venue::act(const Request& request, const Caller& caller) {
  if (!permitted(request, caller)) return;
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
    case RequestKind::list_accounts:
      return handle_list_accounts(request);
    case RequestKind::revoke_key:
      return handle_revoke_key(request);
    case RequestKind::account_limits:
      return handle_account_limits(request);
    case RequestKind::restarted:
      return handle_restarted(request);
    case RequestKind::cancel_all:
      return handle_cancel_all(request, caller);
    case RequestKind::tick:
    case RequestKind::clock:
      return handle_tick(request);
    case RequestKind::site:
      return handle_site(request, caller);
    case RequestKind::list_sites:
      return handle_list_sites(request, caller);
    case RequestKind::collateral:
      return handle_collateral(request);
    case RequestKind::contract:
      return handle_contract(request, caller);
    case RequestKind::list_contracts:
      return handle_list_contracts(request, caller);
    case RequestKind::get_contract:
      return handle_get_contract(request, caller);
    case RequestKind::account_status:
      return handle_account_status(request);
    case RequestKind::ws_logout:
      return cancel_session_orders(request, caller);
    case RequestKind::ledger_trades:
    case RequestKind::ledger_statement:
    case RequestKind::ledger_verify:
      return;
  }
}

}  // namespace cpx::venue
