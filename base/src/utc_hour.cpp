#include "cpx/base/utc_hour.hpp"

namespace cpx {
namespace {

constexpr int64_t ms_per_hour = 3'600'000;

bool digits(std::string_view text, std::size_t at, std::size_t count, unsigned& out) {
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + unsigned(text[i] - '0');
  }
  return true;
}

unsigned days_in_month(int64_t year, unsigned month) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

}  // namespace

// H. Hinnant's algorithms (chrono-compatible low-level date algorithms), for eras of 400 years.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = unsigned(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + int64_t(day_of_era) - 719468;
}

void civil_from_days(int64_t days, int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = unsigned(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  day = day_of_year - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = int64_t(year_of_era) + era * 400 + (month <= 2);
}

std::optional<int64_t> parse_utc_hour(std::string_view text) {
  // YYYY-MM-DDTHH:00Z (17 characters) or YYYY-MM-DDTHH:00:00Z (20).
  if (text.size() != 17 && text.size() != 20) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text.back() != 'Z') {
    return std::nullopt;
  }
  if (text.substr(14, 2) != "00") return std::nullopt;
  if (text.size() == 20 && text.substr(16, 3) != ":00") return std::nullopt;
  unsigned year, month, day, hour;
  if (!digits(text, 0, 4, year) || !digits(text, 5, 2, month) || !digits(text, 8, 2, day) ||
      !digits(text, 11, 2, hour)) {
    return std::nullopt;
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23) {
    return std::nullopt;
  }
  return (days_from_civil(year, month, day) * 24 + hour) * ms_per_hour;
}

std::string format_utc_hour(int64_t ms) {
  const int64_t hours = ms / ms_per_hour;
  int64_t year;
  unsigned month, day;
  civil_from_days(hours / 24, year, month, day);
  const auto hour = unsigned(hours % 24);
  char text[32];
  const auto two = [](char* at, unsigned value) {
    at[0] = char('0' + value / 10);
    at[1] = char('0' + value % 10);
  };
  const auto y = unsigned(year);
  text[0] = char('0' + y / 1000 % 10);
  text[1] = char('0' + y / 100 % 10);
  two(text + 2, y % 100);
  text[4] = '-';
  two(text + 5, month);
  text[7] = '-';
  two(text + 8, day);
  text[10] = 'T';
  two(text + 11, hour);
  text[13] = ':';
  text[14] = text[15] = '0';
  text[16] = 'Z';
  return std::string(text, 17);
}

}  // namespace cpx
