#include "cpx/venue/results.hpp"

#include "cpx/base/json_text.hpp"

namespace cpx::venue {

unsigned http_status_of(Reason reason) {
  switch (reason) {
    case Reason::unknown_account:
    case Reason::unknown_order:
    case Reason::unknown_site:
    case Reason::unknown_contract:
      return 404;
    case Reason::duplicate_account:
    case Reason::duplicate_client_order_id:
    case Reason::duplicate_site:
    case Reason::contract_state:  // the contract is not in a state that takes this
      return 409;
    case Reason::role_mismatch:
      return 403;
    default:
      return 400;
  }
}

std::string_view message_of(Reason reason) {
  switch (reason) {
    case Reason::bad_request:
      return "the request is malformed or misses a required field";
    case Reason::unknown_account:
      return "no such account";
    case Reason::duplicate_account:
      return "the account exists already";
    case Reason::role_mismatch:
      return "the account's role may not do this";
    case Reason::unknown_chip:
      return "no such chip type";
    case Reason::unknown_region:
      return "no such region";
    case Reason::bad_qty:
      return "qty must be a decimal string, 0 < qty <= 1000000000, at most 3 decimals";
    case Reason::bad_price:
      return "price must be a decimal string, 0 < price <= 1000000, at most 4 decimals";
    case Reason::bad_amount:
      return "amount must be a decimal string, 0 < amount <= 1000000000000, at most 7 decimals";
    case Reason::bad_latency:
      return "max_latency_ms must be an integer from 1 to 1000";
    case Reason::bad_green:
      return "green share must be an integer from 0 to 100";
    case Reason::bad_tif:
      return "tif must be GTC, IOC or FOK";
    case Reason::bad_urgency:
      return "urgency must be urgent, standard or batch";
    case Reason::duplicate_client_order_id:
      return "the account used this client_order_id for another order";
    case Reason::unknown_order:
      return "no open order of this account has this client_order_id";
    case Reason::would_take:
      return "post_only: the order would take from the book, so it was not placed";
    case Reason::insufficient_funds:
      return "the available balance does not cover the order's hold";
    case Reason::bad_delivery:
      return "delivery must be the start of a UTC hour: \"2026-12-03T10:00Z\" or its ms since "
             "the epoch";
    case Reason::delivery_not_open:
      return "the delivery hour is not open for trading yet";
    case Reason::delivery_closed:
      return "the delivery hour's gate has closed";
    case Reason::unknown_site:
      return "no site of this provider has this id (an ask of an hourly market names its site)";
    case Reason::site_mismatch:
      return "the ask's chip, region or green share differ from its site's";
    case Reason::site_inactive:
      return "the site is retired or suspended";
    case Reason::over_capacity:
      return "the site's capacity for the hour does not cover the ask (sold + open asks)";
    case Reason::below_sold:
      return "the site has sold more than that capacity for an open hour";
    case Reason::bad_capacity:
      return "capacity_pflops must be a decimal string, 0 < capacity <= 1000000000, at most 3 "
             "decimals";
    case Reason::bad_time:
      return "time_ms must be an integer, not before the clock";
    case Reason::duplicate_site:
      return "another provider has a site with this id";
    case Reason::unknown_contract:
      return "no contract with this trade_id has this account as its party";
    case Reason::contract_state:
      return "the contract's state or its deadlines do not allow this now";
    case Reason::insufficient_collateral:
      return "the provider's available collateral does not cover the ask's penalty";
    case Reason::none:
      break;
  }
  return "";
}

void append_error_body(std::string& out, Surface surface, std::string_view req_id,
                       std::string_view code, std::string_view message) {
  if (surface == Surface::ws) {
    out.append("{\"type\":\"rejected\",\"req_id\":");
    out.append(req_id.empty() ? std::string_view("null") : req_id);
    out.append(",\"reason\":");
    append_json_string(out, code);
    out.append(",\"message\":");
    append_json_string(out, message);
    out.push_back('}');
  } else {
    out.append("{\"error\":{\"code\":");
    append_json_string(out, code);
    out.append(",\"message\":");
    append_json_string(out, message);
    out.append("}}");
  }
}

}  // namespace cpx::venue
