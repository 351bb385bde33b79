// The wire name of every enum the exchange writes or reads, one table per enum and nowhere else:
// to_string() (types.hpp) writes from these tables, parse_name() reads with them (the codec's
// commands, the ledger's rows), and other enums (the venue's order status, the ledger's end
// reasons) use the same two templates with tables of their own.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

#include "cpx/engine/types.hpp"

namespace cpx {

template <class Enum>
struct NamedValue {
  Enum value;
  std::string_view name;
};

// A table lists every value of its enum in the enum's order, so the name of a value is found by
// its index (checked at compile time by is_dense()).
template <class Enum, std::size_t N>
constexpr bool is_dense(const NamedValue<Enum> (&table)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    if (std::size_t(table[i].value) != i) return false;
  }
  return true;
}

template <class Enum, std::size_t N>
constexpr std::string_view name_of(const NamedValue<Enum> (&table)[N], Enum value) {
  const auto index = std::size_t(value);
  return index < N ? table[index].name : std::string_view("unknown");
}

// The value named `text` into `out`; false (and `out` untouched) for any other text.
template <class Enum, std::size_t N>
inline bool parse_name(const NamedValue<Enum> (&table)[N], std::string_view text, Enum& out) {
  for (const NamedValue<Enum>& entry : table) {
    if (entry.name.size() == text.size() &&
        std::memcmp(entry.name.data(), text.data(), text.size()) == 0) {
      out = entry.value;
      return true;
    }
  }
  return false;
}

inline constexpr NamedValue<Side> side_names[] = {{Side::bid, "bid"}, {Side::ask, "ask"}};
inline constexpr NamedValue<Tif> tif_names[] = {
    {Tif::gtc, "GTC"}, {Tif::ioc, "IOC"}, {Tif::fok, "FOK"}};
inline constexpr NamedValue<Urgency> urgency_names[] = {
    {Urgency::urgent, "urgent"}, {Urgency::standard, "standard"}, {Urgency::batch, "batch"}};
inline constexpr NamedValue<Role> role_names[] = {{Role::enterprise, "enterprise"},
                                                  {Role::provider, "provider"},
                                                  {Role::auditor, "auditor"},
                                                  {Role::operator_, "operator"}};
inline constexpr NamedValue<Op> op_names[] = {
    {Op::account, "account"}, {Op::deposit, "deposit"},       {Op::new_order, "new"},
    {Op::cancel, "cancel"},   {Op::amend, "amend"},           {Op::tick, "tick"},
    {Op::site, "site"},       {Op::collateral, "collateral"}, {Op::delivery, "delivery"},
    {Op::dispute, "dispute"}, {Op::resolve, "resolve"}};
inline constexpr NamedValue<ContractStatus> contract_status_names[] = {
    {ContractStatus::contracted, "contracted"},
    {ContractStatus::delivering, "delivering"},
    {ContractStatus::reported, "reported"},
    {ContractStatus::disputed, "disputed"},
    {ContractStatus::settled, "settled"}};
inline constexpr NamedValue<SiteStatus> site_status_names[] = {
    {SiteStatus::active, "active"},
    {SiteStatus::retired, "retired"},
    {SiteStatus::suspended, "suspended"}};
inline constexpr NamedValue<DoneReason> done_reason_names[] = {{DoneReason::canceled, "canceled"},
                                                               {DoneReason::filled, "filled"},
                                                               {DoneReason::expired, "expired"},
                                                               {DoneReason::killed, "killed"}};
inline constexpr NamedValue<Reason> reason_names[] = {
    {Reason::none, "none"},
    {Reason::bad_request, "bad_request"},
    {Reason::unknown_account, "unknown_account"},
    {Reason::duplicate_account, "duplicate_account"},
    {Reason::role_mismatch, "role_mismatch"},
    {Reason::unknown_chip, "unknown_chip"},
    {Reason::unknown_region, "unknown_region"},
    {Reason::bad_qty, "bad_qty"},
    {Reason::bad_price, "bad_price"},
    {Reason::bad_amount, "bad_amount"},
    {Reason::bad_latency, "bad_latency"},
    {Reason::bad_green, "bad_green"},
    {Reason::bad_tif, "bad_tif"},
    {Reason::bad_urgency, "bad_urgency"},
    {Reason::duplicate_client_order_id, "duplicate_client_order_id"},
    {Reason::unknown_order, "unknown_order"},
    {Reason::insufficient_funds, "insufficient_funds"},
    {Reason::would_take, "would_take"},
    {Reason::bad_delivery, "bad_delivery"},
    {Reason::delivery_not_open, "delivery_not_open"},
    {Reason::delivery_closed, "delivery_closed"},
    {Reason::unknown_site, "unknown_site"},
    {Reason::site_mismatch, "site_mismatch"},
    {Reason::site_inactive, "site_inactive"},
    {Reason::over_capacity, "over_capacity"},
    {Reason::below_sold, "below_sold"},
    {Reason::bad_capacity, "bad_capacity"},
    {Reason::bad_time, "bad_time"},
    {Reason::duplicate_site, "duplicate_site"},
    {Reason::unknown_contract, "unknown_contract"},
    {Reason::contract_state, "contract_state"},
    {Reason::insufficient_collateral, "insufficient_collateral"},
};
static_assert(is_dense(side_names) && is_dense(tif_names) && is_dense(urgency_names) &&
              is_dense(role_names) && is_dense(op_names) && is_dense(done_reason_names) &&
              is_dense(reason_names) && is_dense(site_status_names) &&
              is_dense(contract_status_names));
static_assert(std::size(reason_names) == std::size_t(Reason::insufficient_collateral) + 1);

}  // namespace cpx
