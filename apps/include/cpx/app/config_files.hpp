// Loading the market config from files, or the bundled default.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cpx/engine/config.hpp"

namespace cpx {

std::string_view default_regions_json();
std::string_view default_chips_json();

// Reads the given files, or uses the bundled default for a path that is empty. On failure the
// result's error names the file and the problem.
ConfigResult load_config(const std::string& regions_path, const std::string& chips_path);

// Reads a whole file; nothing when it cannot be read (error then says why).
std::optional<std::string> read_file(const std::string& path, std::string& error);

}  // namespace cpx
