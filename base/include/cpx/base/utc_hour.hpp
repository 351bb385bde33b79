// UTC hours as the exchange writes them: "2026-12-03T10:00Z", the start of a delivery hour.
// Plain calendar arithmetic (proleptic Gregorian, no leap seconds, as Unix time), no time zone
// database and no locale.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cpx {

// Days since 1970-01-01 of a civil date (month 1-12, day 1-31), and back.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
void civil_from_days(int64_t days, int64_t& year, unsigned& month, unsigned& day);

// ms since the epoch of "YYYY-MM-DDTHH:00Z" or "YYYY-MM-DDTHH:00:00Z" (years 1970-9999), or
// nullopt for any other text, an invalid date or an hour above 23.
std::optional<int64_t> parse_utc_hour(std::string_view text);
// "YYYY-MM-DDTHH:00Z" of the hour that holds `ms` (ms >= 0).
std::string format_utc_hour(int64_t ms);

}  // namespace cpx
