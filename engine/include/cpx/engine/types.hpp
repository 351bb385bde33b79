// Plain data shared by every part of the exchange: units, limits and enums.
#pragma once

#include <cstdint>
#include <string_view>

#include "cpx/base/assert.hpp"
#include "cpx/base/int128.hpp"

namespace cpx {

// Fixed-point scales. A quantity is counted in thousandths of a PFLOPS-hour, a price in
// ten-thousandths of a CNY per PFLOPS-hour, and an amount in ten-millionths of a CNY, so
// price_ticks * qty_milli is exactly an amount_e7.
inline constexpr int qty_frac_digits = 3;
inline constexpr int price_frac_digits = 4;
inline constexpr int amount_frac_digits = 7;
static_assert(qty_frac_digits + price_frac_digits == amount_frac_digits);

inline constexpr int64_t qty_milli_max = 1'000'000'000LL * 1000;                   // 1e9 PFLOPS-h
inline constexpr int64_t price_ticks_max = 1'000'000LL * 10000;                    // 1e6 CNY
inline constexpr int128 amount_e7_max = int128(1'000'000'000'000LL) * 10'000'000;  // 1e12 CNY
inline constexpr int latency_ms_max = 1000;
inline constexpr int green_pct_max = 100;
inline constexpr std::size_t id_length_max = 64;  // account, client_order_id and site
inline constexpr int64_t hour_ms = 3'600'000;
inline constexpr int hours_per_day = 24;

// price * qty as an amount: exact, since the scales add up.
inline int128 notional_e7(int64_t price_ticks, int64_t qty_milli) {
  return int128(price_ticks) * qty_milli;
}

enum class Side : uint8_t { bid, ask };
enum class Tif : uint8_t { gtc, ioc, fok };
// Lower value is served first among bids of equal price.
enum class Urgency : uint8_t { urgent = 0, standard = 1, batch = 2 };
inline constexpr int urgency_count = 3;
enum class Role : uint8_t { enterprise, provider, auditor, operator_ };
// tick and site are beyond the spec's five (docs/delivery.md): the clock and providers' sites.
// collateral, delivery, dispute and resolve: a provider's collateral and the life of contracts.
enum class Op : uint8_t {
  account,
  deposit,
  new_order,
  cancel,
  amend,
  tick,
  site,
  collateral,
  delivery,
  dispute,
  resolve
};
// A contract (a trade of a delivery hour): sold, then delivering from the hour's start, then
// reported by its provider (or disputed by its buyer), then settled (docs/delivery.md).
enum class ContractStatus : uint8_t { contracted, delivering, reported, disputed, settled };
// A site's state: active sites sell; a retired one (by its provider, for good) and a suspended
// one (by an operator, until it resumes) sell nothing and have no open asks.
enum class SiteStatus : uint8_t { active, retired, suspended };

// Rejection reasons in the order the spec checks them.
enum class Reason : uint8_t {
  none,
  bad_request,
  unknown_account,
  duplicate_account,
  role_mismatch,
  unknown_chip,
  unknown_region,
  bad_qty,
  bad_price,
  bad_amount,
  bad_latency,
  bad_green,
  bad_tif,
  bad_urgency,
  duplicate_client_order_id,
  unknown_order,
  insufficient_funds,
  // Beyond the spec (the gateway's post-only orders; the spec's command stream never asks for
  // it): the order would take liquidity, so it is rejected instead of trading.
  would_take,
  // Delivery hours and sites (docs/delivery.md), never produced by a stream that has no tick,
  // no site and no delivery.
  bad_delivery,       // not an hour's start, or not a time at all
  delivery_not_open,  // beyond the horizon, or before the clock's first tick
  delivery_closed,    // the hour's gate has closed
  unknown_site,       // no such site of this provider (or an ask of an hourly market without one)
  site_mismatch,      // the ask's chip, region or green share differ from its site's
  site_inactive,      // retired or suspended
  over_capacity,      // sold + open asks would exceed the site's capacity for the hour
  below_sold,         // a capacity below what the site has already sold for an open hour
  bad_capacity,       // capacity_pflops not a decimal with 3 fractional digits, > 0
  bad_time,           // a tick's time_ms missing, not an integer, or before the clock
  duplicate_site,     // another provider's site has this id
  unknown_contract,   // no contract of this trade id that the account is a party to
  contract_state,     // the contract is not in a state (or time) that allows this
  insufficient_collateral,  // the provider's available balance does not cover the penalty
};

enum class DoneReason : uint8_t { canceled, filled, expired, killed };

std::string_view to_string(Reason reason);
std::string_view to_string(DoneReason reason);
std::string_view to_string(Side side);
std::string_view to_string(Tif tif);
std::string_view to_string(Urgency urgency);
std::string_view to_string(Role role);
std::string_view to_string(Op op);  // the wire name: "new" for Op::new_order
std::string_view to_string(SiteStatus status);
std::string_view to_string(ContractStatus status);

// An account or client order id: 1-64 characters of [A-Za-z0-9._:-].
bool is_valid_id(std::string_view text);

}  // namespace cpx
