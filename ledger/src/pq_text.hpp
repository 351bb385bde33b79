// libpqxx 6.4 conversions for the ledger's field types, so rows stream through
// pqxx::stream_to without building a std::string per field first.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "cpx/base/decimal.hpp"
#include "cpx/ledger/rows.hpp"

namespace cpx::ledger {

// A fixed-point amount as PostgreSQL NUMERIC text.
struct Decimal {
  int128 scaled = 0;
  int frac_digits = 0;
};

}  // namespace cpx::ledger

namespace pqxx {

template <>
struct string_traits<std::string_view> {
  static constexpr const char* name() noexcept { return "std::string_view"; }
  static constexpr bool has_null() noexcept { return false; }
  static bool is_null(std::string_view) { return false; }
  [[noreturn]] static std::string_view null() { internal::throw_null_conversion(name()); }
  static std::string to_string(std::string_view value) { return std::string(value); }
};

template <>
struct string_traits<cpx::ledger::Decimal> {
  static constexpr const char* name() noexcept { return "cpx::ledger::Decimal"; }
  static constexpr bool has_null() noexcept { return false; }
  static bool is_null(const cpx::ledger::Decimal&) { return false; }
  [[noreturn]] static cpx::ledger::Decimal null() { internal::throw_null_conversion(name()); }
  static std::string to_string(const cpx::ledger::Decimal& value) {
    return cpx::format_decimal(value.scaled, value.frac_digits);
  }
};

}  // namespace pqxx
