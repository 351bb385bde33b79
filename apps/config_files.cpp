#include "cpx/app/config_files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cpx {

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot be read (" + std::strerror(errno) + ")";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ConfigResult load_config(const std::string& regions_path, const std::string& chips_path) {
  std::string regions = std::string(default_regions_json());
  std::string chips = std::string(default_chips_json());
  std::string regions_name = "bundled config/regions.json";
  std::string chips_name = "bundled config/chips.json";
  ConfigResult failed;
  if (!regions_path.empty()) {
    auto text = read_file(regions_path, failed.error);
    if (!text) return failed;
    regions = std::move(*text);
    regions_name = regions_path;
  }
  if (!chips_path.empty()) {
    auto text = read_file(chips_path, failed.error);
    if (!text) return failed;
    chips = std::move(*text);
    chips_name = chips_path;
  }
  return parse_config(regions, regions_name, chips, chips_name);
}

}  // namespace cpx
