#include "cpx/gateway/settings.hpp"

#include <charconv>
#include <string_view>
#include <vector>

namespace cpx::gateway {
namespace {

struct Option {
  const char* flag;
  const char* variable;
  const char* fallback;
  const char* meaning;
};

const Option options[] = {
    {"--listen", "CPX_LISTEN", "127.0.0.1:8080", "HOST:PORT to listen on (PORT 0: any free port)"},
    {"--io-threads", "CPX_IO_THREADS", "1", "I/O threads (1-64)"},
    {"--regions", "CPX_REGIONS", "", "regions and latency matrix (default: the bundled file)"},
    {"--chips", "CPX_CHIPS", "", "chip types (default: the bundled file)"},
};

bool parse_listen(std::string_view text, Settings& settings) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  unsigned port = 0;
  const std::string_view digits = text.substr(colon + 1);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (error != std::errc() || end != digits.data() + digits.size() || port > 65535) return false;
  settings.listen_host = std::string(text.substr(0, colon));
  settings.listen_port = uint16_t(port);
  return true;
}

}  // namespace

std::string settings_help() {
  std::string text =
      "usage: cpx-server [options]\n\nEach option can also be set by its variable.\n\n";
  for (const Option& option : options) {
    text += "  " + std::string(option.flag) + " VALUE  (" + option.variable + ")\n      " +
            option.meaning + "; default: " +
            (*option.fallback ? std::string(option.fallback) : std::string("(bundled)")) + "\n";
  }
  text += "  --help  this text\n";
  return text;
}

SettingsResult parse_settings(int argc, const char* const* argv,
                              const char* (*environment)(const char*)) {
  SettingsResult result;
  std::vector<std::string> values;
  for (const Option& option : options) {
    const char* from_environment = environment(option.variable);
    values.emplace_back(from_environment != nullptr ? from_environment : option.fallback);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return result;
    }
    bool known = false;
    for (std::size_t o = 0; o < std::size(options); ++o) {
      if (arg != options[o].flag) continue;
      if (i + 1 >= argc) {
        result.error = std::string("setting ") + options[o].flag + " needs a value";
        return result;
      }
      values[o] = argv[++i];
      known = true;
    }
    if (!known) {
      result.error = "unknown argument '" + std::string(arg) + "' (see --help)";
      return result;
    }
  }
  Settings settings;
  auto bad = [&](std::size_t o) {
    result.error = std::string("bad setting ") + options[o].flag + " (" + options[o].variable +
                   "): '" + values[o] + "' is not " + options[o].meaning;
    return result;
  };
  if (!parse_listen(values[0], settings)) return bad(0);
  int threads = 0;
  auto [end, error] =
      std::from_chars(values[1].data(), values[1].data() + values[1].size(), threads);
  if (error != std::errc() || end != values[1].data() + values[1].size() || threads < 1 ||
      threads > 64) {
    return bad(1);
  }
  settings.io_threads = threads;
  settings.regions_path = values[2];
  settings.chips_path = values[3];
  result.settings = settings;
  return result;
}

}  // namespace cpx::gateway
