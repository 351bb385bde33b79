// The hourly markets on the market-data surfaces (docs/delivery.md, docs/api.md): each open
// hour's book (book:{chip}:{delivery}), its recent trades, and the forward curve of a chip
// (curve:{chip}), rebuilt from the matcher's updates like the plain markets' books.
#include "cpx/base/decimal.hpp"
#include "cpx/base/utc_hour.hpp"
#include "cpx/gateway/market_data.hpp"

namespace cpx::gateway {
namespace {

constexpr int64_t hour_ms = 3'600'000;

void append_price_or_null(std::string& out, int64_t price_ticks) {
  if (price_ticks == 0) {
    out.append("null");
    return;
  }
  out.push_back('"');
  append_decimal(out, price_ticks, price_frac_digits);
  out.push_back('"');
}

void append_hour_or_null(std::string& out, int64_t ms, bool present) {
  if (!present) {
    out.append("null");
    return;
  }
  out.push_back('"');
  out.append(format_utc_hour(ms));
  out.push_back('"');
}

}  // namespace

std::string book_channel(std::string_view chip, int64_t delivery_ms) {
  std::string out = "book:";
  out.append(chip);
  if (delivery_ms != 0) out.append(":" + format_utc_hour(delivery_ms));
  return out;
}

void append_delivery_field(std::string& out, int64_t delivery_ms) {
  if (delivery_ms == 0) return;
  out.append(",\"delivery\":\"");
  out.append(format_utc_hour(delivery_ms));
  out.push_back('"');
}

const MarketData::Book* MarketData::find_book(uint16_t chip, int64_t delivery_ms) const {
  if (delivery_ms == 0) return &chips_[chip];
  const auto it = hours_.find({chip, delivery_ms});
  return it == hours_.end() ? nullptr : &it->second;
}

uint64_t MarketData::hour_book_seq(uint16_t chip, int64_t delivery_ms) const {
  const Book* book = find_book(chip, delivery_ms);
  return book ? book->book_seq : 0;
}

std::string MarketData::book_head(uint16_t chip, int64_t delivery_ms, uint64_t seq) const {
  std::string out = "{\"chip\":\"";
  out.append(config_.chips[chip].id);
  out.push_back('"');
  append_delivery_field(out, delivery_ms);
  out.append(",\"seq\":");
  out.append(std::to_string(seq));
  return out;
}

void MarketData::render_curve_point(std::string& out, int64_t delivery_ms,
                                    const CurvePoint* point) const {
  static const CurvePoint none;
  if (!point) point = &none;
  out.append("{\"delivery\":\"");
  out.append(format_utc_hour(delivery_ms));
  out.append("\",\"best_bid\":");
  append_price_or_null(out, point->best_bid_ticks);
  out.append(",\"best_ask\":");
  append_price_or_null(out, point->best_ask_ticks);
  out.append(",\"last_price\":");
  append_price_or_null(out, point->last_price_ticks);
  out.append(",\"vwap\":");
  append_price_or_null(
      out, point->volume_milli > 0 ? vwap_ticks(point->notional_e7, point->volume_milli) : 0);
  out.append(",\"volume\":\"");
  append_decimal(out, point->volume_milli, qty_frac_digits);
  out.append("\",\"trades\":");
  out.append(std::to_string(point->trades));
  out.push_back('}');
}

void MarketData::render_curve_head(std::string& out) const {
  const bool open = open_from_ <= open_to_;
  out.append(",\"clock_ms\":");
  out.append(clock_ms_ < 0 ? std::string("null") : std::to_string(clock_ms_));
  out.append(",\"from\":");
  append_hour_or_null(out, open_from_, open);
  out.append(",\"to\":");
  append_hour_or_null(out, open_to_, open);
  out.append(",\"hours\":[");
}

std::string MarketData::apply_curve(const CurveHeader& header, const CurvePoint* points,
                                    bool render) {
  Curve& curve = curves_[header.chip];
  curve.seq = header.seq;
  if (header.from_ms != open_from_ || header.to_ms != open_to_) {
    // Another hour: what closed goes, for every chip.
    for (Curve& each : curves_) {
      each.points.erase(each.points.begin(), each.points.lower_bound(header.from_ms));
    }
    std::erase_if(hours_, [&](const auto& entry) { return entry.first.second < header.from_ms; });
  }
  clock_ms_ = header.clock_ms;
  open_from_ = header.from_ms;
  open_to_ = header.to_ms;
  for (uint32_t i = 0; i < header.points; ++i) curve.points[points[i].delivery_ms] = points[i];
  if (!render) return {};
  std::string out = "{\"type\":\"curve\",\"channel\":\"curve:";
  out.append(config_.chips[header.chip].id);
  out.append("\",\"seq\":");
  out.append(std::to_string(header.seq));
  render_curve_head(out);
  for (uint32_t i = 0; i < header.points; ++i) {
    if (i) out.push_back(',');
    render_curve_point(out, points[i].delivery_ms, &points[i]);
  }
  out.append("]}");
  return out;
}

std::string MarketData::curve_json(uint16_t chip) const {
  std::string out = "{\"chip\":\"";
  out.append(config_.chips[chip].id);
  out.push_back('"');
  render_curve_body(out, chip);
  return out;
}

void MarketData::render_curve_body(std::string& out, uint16_t chip) const {
  render_curve_head(out);
  const Curve& curve = curves_[chip];
  for (int64_t hour = open_from_; hour <= open_to_; hour += hour_ms) {
    if (hour != open_from_) out.push_back(',');
    const auto it = curve.points.find(hour);
    render_curve_point(out, hour, it == curve.points.end() ? nullptr : &it->second);
  }
  out.append("]}");
}

std::string MarketData::curve_snapshot(uint16_t chip) const {
  std::string out = "{\"type\":\"snapshot\",\"channel\":\"curve:";
  out.append(config_.chips[chip].id);
  out.append("\",\"seq\":");
  out.append(std::to_string(curves_[chip].seq));
  render_curve_body(out, chip);
  return out;
}

}  // namespace cpx::gateway
