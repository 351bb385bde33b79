// cpx-replay: JSON commands on stdin, the spec's events on stdout.
#include <cstdio>
#include <cstring>
#include <string>

#include "cpx/app/config_files.hpp"
#include "cpx/app/replay_stream.hpp"

namespace {

const char* const usage =
    "usage: cpx-replay [--regions FILE] [--chips FILE] < commands.jsonl > events.jsonl\n"
    "  Reads one JSON command a line and writes the events of docs/matching.md.\n"
    "  --regions FILE  regions and latency matrix (default: the bundled config/regions.json)\n"
    "  --chips FILE    chip types (default: the bundled config/chips.json)\n";

}  // namespace

int main(int argc, char** argv) {
  std::string regions_path;
  std::string chips_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    if ((arg == "--regions" || arg == "--chips") && i + 1 < argc) {
      (arg == "--regions" ? regions_path : chips_path) = argv[++i];
      continue;
    }
    std::fprintf(stderr, "cpx-replay: unknown or incomplete argument '%s'\n%s", arg.c_str(), usage);
    return 2;
  }
  cpx::ConfigResult loaded = cpx::load_config(regions_path, chips_path);
  if (!loaded.config) {
    std::fprintf(stderr, "cpx-replay: bad config: %s\n", loaded.error.c_str());
    return 2;
  }
  cpx::Engine engine(std::move(*loaded.config));
  cpx::replay(0, 1, engine);
  return 0;
}
