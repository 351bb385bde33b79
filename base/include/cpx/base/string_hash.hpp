// A transparent hash for std::unordered_map<std::string, ...>: lookups by std::string_view
// without building a std::string.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace cpx {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

}  // namespace cpx
