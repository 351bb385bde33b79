// The markets the exchange runs: chip types, regions and the latency matrix between them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cpx {

inline constexpr std::size_t regions_max = 1024;
inline constexpr std::size_t chips_max = 1024;

struct ChipInfo {
  std::string id;
  std::string vendor;
  std::string json;  // the entry as it stands in the config file, for the public API
};

struct RegionInfo {
  std::string id;
  std::string name;
  std::string json;
};

struct Config {
  std::vector<ChipInfo> chips;
  std::vector<RegionInfo> regions;
  // latency_ms[a * regions.size() + b]: one-way latency between regions a and b, whole ms.
  std::vector<uint16_t> latency_ms;
  // How far ahead a delivery hour opens (docs/delivery.md).
  int delivery_horizon_h = 168;
  // After an hour ends, its providers report deliveries for this long; after a report, its
  // buyer may dispute it for this long; undelivered quantity costs its provider this share of
  // its ask's notional, paid to the buyer.
  int delivery_deadline_h = 2;
  int dispute_window_h = 24;
  int penalty_pct = 10;

  uint16_t latency(uint32_t a, uint32_t b) const { return latency_ms[a * regions.size() + b]; }
  std::optional<uint32_t> find_chip(std::string_view id) const;
  std::optional<uint32_t> find_region(std::string_view id) const;
};

struct ConfigResult {
  std::optional<Config> config;
  std::string error;  // names the file and the problem when config is empty
};

// Parses the two config documents. The names only label error messages; no file is read here.
ConfigResult parse_config(std::string_view regions_json, std::string_view regions_name,
                          std::string_view chips_json, std::string_view chips_name);

}  // namespace cpx
