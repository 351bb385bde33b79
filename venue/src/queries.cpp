// What an account reads: an order, its orders and fills (paged by id), its balances.
#include <algorithm>

#include "cpx/venue/venue.hpp"
#include "json_out.hpp"

namespace cpx::venue {

void Venue::handle_get_order(const Request& request, const Caller& caller) {
  const std::string_view id = request.command.unwrap().client_order_id;
  const uint32_t key = id.empty() ? index_none : engine_.find_order(caller.account, id);
  if (key == index_none) return answer_rejection(request, Reason::unknown_order);
  body_.clear();
  body_.append("{\"order\":");
  render_order(body_, key);
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_list_orders(const Request& request, const Caller& caller) {
  const SegmentedArray<uint32_t>& keys = accounts_[caller.account].orders;
  const uint32_t limit = std::clamp<uint32_t>(request.limit, 1, limits_.page_max);
  // Order ids grow with acceptance, so the cursor is found by bisection.
  auto it =
      std::upper_bound(keys.begin(), keys.end(), request.after_id,
                       [&](uint64_t after, uint32_t key) { return after < orders_[key].order_id; });
  body_.assign("{\"orders\":[");
  uint32_t listed = 0;
  uint64_t last = 0;
  for (; it != keys.end() && listed < limit; ++it) {
    if (request.status_open && orders_[*it].status != OrderStatus::open) continue;
    if (listed++) body_.push_back(',');
    render_order(body_, *it);
    last = orders_[*it].order_id;
  }
  body_.append("],\"next_after_order_id\":");
  body_.append(it != keys.end() && listed == limit ? std::to_string(last) : "null");
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_list_fills(const Request& request, const Caller& caller) {
  const SegmentedArray<FillRecord>& fills = accounts_[caller.account].fills;
  const uint32_t limit = std::clamp<uint32_t>(request.limit, 1, limits_.page_max);
  auto it = std::upper_bound(
      fills.begin(), fills.end(), request.after_id,
      [](uint64_t after, const FillRecord& fill) { return after < fill.trade_id; });
  body_.assign("{\"fills\":[");
  uint32_t listed = 0;
  uint64_t last = 0;
  for (; it != fills.end() && listed < limit; ++it) {
    if (listed++) body_.push_back(',');
    render_fill(body_, *it);
    last = it->trade_id;
  }
  body_.append("],\"next_after_trade_id\":");
  body_.append(it != fills.end() ? std::to_string(last) : "null");
  body_.push_back('}');
  answer(request, 200, body_);
}

void Venue::handle_get_account(const Request& request, const Caller& caller) {
  const Account& account = engine_.account(caller.account);
  body_.assign("{");
  append_field(body_, "account", account.name);
  body_.push_back(',');
  append_field(body_, "role", to_string(account.role));
  body_.push_back(',');
  append_amount(body_, "balance", account.balance_e7, amount_frac_digits);
  body_.push_back(',');
  append_amount(body_, "held", account.held_e7, amount_frac_digits);
  body_.push_back(',');
  append_amount(body_, "available", account.balance_e7 - account.held_e7, amount_frac_digits);
  body_.push_back(',');
  append_number(body_, "account_seq", accounts_[caller.account].event_seq);
  body_.push_back('}');
  answer(request, 200, body_);
}

}  // namespace cpx::venue
