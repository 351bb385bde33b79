// cpx-bench-replay: the replay path end to end (read, parse JSON, match, write events) on a
// generated national JSON stream. Prints one JSON line; --write F saves the stream so that the
// cpx-replay binary itself can be timed on it.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cpx/app/config_files.hpp"
#include "cpx/app/replay_stream.hpp"
#include "workloads/stream.hpp"

int main(int argc, char** argv) {
  uint64_t commands = 1'000'000;
  uint64_t seed = 42;
  std::string path = "/tmp/cpx-bench-replay.jsonl";
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--commands" && i + 1 < argc)
      commands = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--seed" && i + 1 < argc)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--write" && i + 1 < argc)
      path = argv[++i], keep = true;
    else {
      std::fprintf(stderr, "usage: cpx-bench-replay [--commands N] [--seed S] [--write FILE]\n");
      return 2;
    }
  }
  cpx::ConfigResult loaded = cpx::load_config("", "");
  if (!loaded.config) return 2;
  const cpx::workload::Stream stream =
      cpx::workload::national_stream(*loaded.config, commands, seed);
  const std::string text = cpx::workload::stream_json(*loaded.config, stream);
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != ssize_t(text.size())) return 2;
    ::close(fd);
  }
  const int input = ::open(path.c_str(), O_RDONLY);
  const int output = ::open("/dev/null", O_WRONLY);
  cpx::Engine engine(cpx::Config(*loaded.config));
  const auto start = std::chrono::steady_clock::now();
  const cpx::ReplayStats stats = cpx::replay(input, output, engine);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(input);
  ::close(output);
  if (!keep) ::unlink(path.c_str());
  std::printf(
      "{\"workload\":\"replay-national\",\"commands\":%llu,\"bytes\":%zu,\"seconds\":%.6f,"
      "\"commands_per_s\":%.0f,\"events\":%llu,\"trades\":%llu}\n",
      (unsigned long long)stats.lines, text.size(), seconds, double(stats.lines) / seconds,
      (unsigned long long)stats.events, (unsigned long long)stats.trades);
  return 0;
}
