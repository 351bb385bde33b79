// JSON text for the venue's answers and pushes: "name":value pieces appended to a string.
#pragma once

#include <string>
#include <string_view>

#include "cpx/base/decimal.hpp"

namespace cpx::venue {

inline void append_string(std::string& out, std::string_view text) {
  // Ids, names and the fixed messages below never hold quotes, backslashes or control bytes.
  out.push_back('"');
  out.append(text);
  out.push_back('"');
}

inline void append_field(std::string& out, std::string_view name, std::string_view text) {
  out.push_back('"');
  out.append(name);
  out.append("\":");
  append_string(out, text);
}

inline void append_number(std::string& out, std::string_view name, uint64_t value) {
  out.push_back('"');
  out.append(name);
  out.append("\":");
  out.append(std::to_string(value));
}

inline void append_signed(std::string& out, std::string_view name, int64_t value) {
  out.push_back('"');
  out.append(name);
  out.append("\":");
  out.append(std::to_string(value));
}

inline void append_amount(std::string& out, std::string_view name, int128 value, int digits) {
  out.push_back('"');
  out.append(name);
  out.append("\":\"");
  append_decimal(out, value, digits);
  out.push_back('"');
}

}  // namespace cpx::venue
