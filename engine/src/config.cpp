#include "cpx/engine/config.hpp"

#include <simdjson.h>

#include <cstring>
#include <set>

#include "cpx/engine/types.hpp"

namespace cpx {
namespace {

using simdjson::dom::element;

struct Failure {
  std::string message;
};

std::string_view string_field(element entry, const char* field, std::string_view where) {
  std::string_view value;
  if (entry[field].get(value) != simdjson::SUCCESS) {
    throw Failure{std::string(where) + ": field \"" + field + "\" is missing or not a string"};
  }
  return value;
}

std::string position(std::string_view list, std::size_t index) {
  return std::string(list) + "[" + std::to_string(index) + "]";
}

// An entry's id: a string of 1-64 [A-Za-z0-9._:-], not seen before in its list.
std::string_view unique_id(element entry, const std::string& where,
                           std::set<std::string, std::less<>>& seen) {
  if (!entry.is_object()) throw Failure{where + ": not an object"};
  const std::string_view id = string_field(entry, "id", where);
  if (!is_valid_id(id)) {
    throw Failure{where + ": id \"" + std::string(id) + "\" is not 1-64 of [A-Za-z0-9._:-]"};
  }
  if (!seen.emplace(id).second) throw Failure{where + ": id \"" + std::string(id) + "\" repeats"};
  return id;
}

void parse_chips(element root, Config& config) {
  simdjson::dom::array chips;
  if (root["chips"].get(chips) != simdjson::SUCCESS) {
    throw Failure{"\"chips\" is missing or not an array"};
  }
  std::set<std::string, std::less<>> seen;
  std::size_t index = 0;
  for (element entry : chips) {
    const std::string_view id = unique_id(entry, position("chips", index++), seen);
    std::string_view vendor;
    if (entry["vendor"].get(vendor) != simdjson::SUCCESS) vendor = "";
    config.chips.push_back(ChipInfo{std::string(id), std::string(vendor), simdjson::minify(entry)});
  }
  if (config.chips.empty()) throw Failure{"\"chips\" is empty"};
  if (config.chips.size() > chips_max) throw Failure{"more than 1024 chips"};
}

void parse_regions(element root, Config& config) {
  simdjson::dom::array regions;
  if (root["regions"].get(regions) != simdjson::SUCCESS) {
    throw Failure{"\"regions\" is missing or not an array"};
  }
  std::set<std::string, std::less<>> seen;
  std::size_t index = 0;
  for (element entry : regions) {
    const std::string_view id = unique_id(entry, position("regions", index++), seen);
    std::string_view name;
    if (entry["name"].get(name) != simdjson::SUCCESS) name = id;
    config.regions.push_back(
        RegionInfo{std::string(id), std::string(name), simdjson::minify(entry)});
  }
  const std::size_t n = config.regions.size();
  if (n == 0) throw Failure{"\"regions\" is empty"};
  if (n > regions_max) throw Failure{"more than 1024 regions"};

  simdjson::dom::array rows;
  if (root["latency_ms"].get(rows) != simdjson::SUCCESS) {
    throw Failure{"\"latency_ms\" is missing or not an array"};
  }
  if (rows.size() != n) {
    throw Failure{"\"latency_ms\" has " + std::to_string(rows.size()) + " rows for " +
                  std::to_string(n) + " regions"};
  }
  config.latency_ms.assign(n * n, 0);
  std::size_t a = 0;
  for (element row : rows) {
    simdjson::dom::array cells;
    if (row.get(cells) != simdjson::SUCCESS || cells.size() != n) {
      throw Failure{position("latency_ms", a) + ": not an array of " + std::to_string(n) +
                    " numbers"};
    }
    std::size_t b = 0;
    for (element cell : cells) {
      int64_t value;
      if (cell.get(value) != simdjson::SUCCESS || value < 0 || value > 60000) {
        throw Failure{position("latency_ms", a) + "[" + std::to_string(b) +
                      "]: not a whole number of ms from 0 to 60000"};
      }
      config.latency_ms[a * n + b] = uint16_t(value);
      ++b;
    }
    ++a;
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.latency_ms[i * n + j] != config.latency_ms[j * n + i]) {
        throw Failure{"\"latency_ms\" is not symmetric at [" + std::to_string(i) + "][" +
                      std::to_string(j) + "]"};
      }
    }
  }
}

template <class F>
std::string parse_document(std::string_view text, std::string_view name, F&& parse) {
  simdjson::dom::parser parser;
  element root;
  const simdjson::padded_string padded(text);
  if (auto error = parser.parse(padded).get(root)) {
    return std::string(name) + ": not valid JSON (" + simdjson::error_message(error) + ")";
  }
  if (!root.is_object()) return std::string(name) + ": not a JSON object";
  try {
    parse(root);
  } catch (const Failure& failure) {
    return std::string(name) + ": " + failure.message;
  }
  return {};
}

}  // namespace

namespace {

// Length and first character rule out almost every other id before the bytes are compared
// (the decoder looks up a chip and a region for every order).
bool same_id(const std::string& known, std::string_view id) {
  return known.size() == id.size() && !id.empty() && known[0] == id[0] &&
         std::memcmp(known.data(), id.data(), id.size()) == 0;
}

}  // namespace

std::optional<uint32_t> Config::find_chip(std::string_view id) const {
  for (uint32_t i = 0; i < chips.size(); ++i) {
    if (same_id(chips[i].id, id)) return i;
  }
  return std::nullopt;
}

std::optional<uint32_t> Config::find_region(std::string_view id) const {
  for (uint32_t i = 0; i < regions.size(); ++i) {
    if (same_id(regions[i].id, id)) return i;
  }
  return std::nullopt;
}

ConfigResult parse_config(std::string_view regions_json, std::string_view regions_name,
                          std::string_view chips_json, std::string_view chips_name) {
  Config config;
  ConfigResult result;
  result.error = parse_document(regions_json, regions_name,
                                [&](element root) { parse_regions(root, config); });
  if (result.error.empty()) {
    result.error =
        parse_document(chips_json, chips_name, [&](element root) { parse_chips(root, config); });
  }
  if (result.error.empty()) result.config = std::move(config);
  return result;
}

}  // namespace cpx
