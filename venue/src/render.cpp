// An order and a fill as the API shows them.
#include "cpx/base/utc_hour.hpp"
#include "cpx/venue/venue.hpp"
#include "json_out.hpp"

namespace cpx::venue {

void Venue::render_order(std::string& out, uint32_t key, bool as_accepted) const {
  const OrderRecord& order = orders_[key];
  const OrderStatus status = as_accepted ? order.accept_status : order.status;
  const int64_t filled = as_accepted ? order.accept_filled_milli : order.filled_milli;
  const int64_t open = !as_accepted                  ? order.open_milli
                       : status == OrderStatus::open ? order.qty_milli - filled
                                                     : 0;
  const bool bid = order.side == Side::bid;
  out.push_back('{');
  append_field(out, "client_order_id", engine_.key_client_order_id(key).view());
  out.push_back(',');
  append_number(out, "order_id", order.order_id);
  out.push_back(',');
  append_field(out, "side", to_string(order.side));
  out.push_back(',');
  append_field(out, "chip", engine_.chip_id(order.chip));
  if (order.delivery_ms != 0) {
    out.push_back(',');
    append_field(out, "delivery", format_utc_hour(order.delivery_ms));
  }
  if (order.site != index_none) {
    out.push_back(',');
    append_field(out, "site", engine_.sites()[order.site].id);
  }
  out.push_back(',');
  append_field(out, bid ? "origin" : "region", engine_.region_id(order.region));
  if (bid && order.has_latency_max) {
    out.push_back(',');
    append_number(out, "max_latency_ms", order.latency_ms_max);
  }
  out.push_back(',');
  append_number(out, bid ? "min_green_pct" : "green_pct", order.green_pct);
  out.push_back(',');
  append_field(out, "tif", to_string(order.tif));
  if (bid) {
    out.push_back(',');
    append_field(out, "urgency", to_string(order.urgency));
  }
  out.push_back(',');
  append_amount(out, "qty", order.qty_milli, qty_frac_digits);
  out.push_back(',');
  append_amount(out, "price", as_accepted ? order.price_placed_ticks : order.price_ticks,
                price_frac_digits);
  out.push_back(',');
  append_amount(out, "open_qty", open, qty_frac_digits);
  out.push_back(',');
  append_amount(out, "filled_qty", filled, qty_frac_digits);
  out.push_back(',');
  append_field(out, "status", to_string(status));
  out.push_back(',');
  append_signed(out, "created_ms", order.created_ms);
  out.push_back('}');
}

void Venue::render_fill(std::string& out, const FillRecord& fill) const {
  out.push_back('{');
  render_fill_fields(out, fill);
  out.push_back('}');
}

void Venue::render_fill_fields(std::string& out, const FillRecord& fill) const {
  const OrderRecord& order = orders_[fill.order_key];
  append_number(out, "trade_id", fill.trade_id);
  out.push_back(',');
  append_field(out, "client_order_id", engine_.key_client_order_id(fill.order_key).view());
  out.push_back(',');
  append_field(out, "side", to_string(order.side));
  out.push_back(',');
  append_field(out, "chip", engine_.chip_id(order.chip));
  if (order.delivery_ms != 0) {
    out.push_back(',');
    append_field(out, "delivery", format_utc_hour(order.delivery_ms));
  }
  out.push_back(',');
  append_field(out, "region", engine_.region_id(fill.region));  // the ask's: where it runs
  out.push_back(',');
  append_number(out, "order_id", order.order_id);
  out.push_back(',');
  append_amount(out, "price", fill.price_ticks, price_frac_digits);
  out.push_back(',');
  append_amount(out, "qty", fill.qty_milli, qty_frac_digits);
  out.push_back(',');
  append_amount(out, "notional", int128(fill.price_ticks) * fill.qty_milli, amount_frac_digits);
  out.push_back(',');
  append_field(out, "liquidity", fill.aggressor ? "taker" : "maker");
  out.push_back(',');
  append_signed(out, "time_ms", fill.time_ms);
}

}  // namespace cpx::venue
