// cpx-bench-engine: drives the engine in-process on a pre-built stream (no JSON) and prints one
// JSON line. Throughput comes from runs without per-command timers that only count the events;
// percentiles, fills, volume and notional from a further run that times each command and
// accounts its events between the timer reads.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cpx/app/config_files.hpp"
#include "cpx/base/decimal.hpp"
#include "workloads/lobwl1.hpp"
#include "workloads/stream.hpp"

namespace {

const char* const usage =
    "usage: cpx-bench-engine --workload lobwl1|national|national-hours [--file F] [--commands N]\n"
    "                        [--seed S] [--repeat R]\n"
    "  lobwl1    the standard single-book stream, read from F or generated (seed 42: the\n"
    "            published stream, checked against its published fills, volume and notional)\n"
    "  national  8 chips, 16 regions, ceilings, green floors, urgencies, amends and cancels\n"
    "  national-hours  the same in 24 open delivery hours, asks from sites with capacity\n"
    "  --repeat  untimed runs (median reported; lobwl1 interleaves its baseline), default 5\n";

uint32_t percentile(std::vector<uint32_t>& values, double fraction) {
  const std::size_t at = std::min(values.size() - 1, std::size_t(fraction * double(values.size())));
  std::nth_element(values.begin(), values.begin() + long(at), values.end());
  return values[at];
}

}  // namespace

struct Options {
  std::string workload;
  std::string file;
  uint64_t commands = 0;
  uint64_t seed = 42;
  int repeat = 5;
};

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--workload" && has_value)
      options.workload = argv[++i];
    else if (arg == "--file" && has_value)
      options.file = argv[++i];
    else if (arg == "--commands" && has_value)
      options.commands = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--seed" && has_value)
      options.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--repeat" && has_value)
      options.repeat = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "cpx-bench-engine: bad argument '%s'\n%s", arg.c_str(), usage);
      return false;
    }
  }
  return true;
}

// The workload's commands; for lobwl1 also its operations (the baselines run them) and whether
// its totals are the published .expect's.
struct Workload {
  cpx::workload::Stream stream;
  std::vector<cpx::workload::LobOp> lob_ops;
  bool check_expect = false;
};

bool build_workload(const cpx::Config& config, const Options& options, Workload& out) {
  const uint64_t commands = options.commands;
  const uint64_t seed = options.seed;
  if (options.workload == "lobwl1") {
    std::vector<cpx::workload::LobOp> ops;
    cpx::workload::LobParameters parameters;
    parameters.seed = seed;
    if (!options.file.empty()) {
      std::string error;
      auto text = cpx::read_file(options.file, error);
      if (!text || !cpx::workload::parse_lobwl1(*text, ops, error)) {
        std::fprintf(stderr, "cpx-bench-engine: %s\n", error.c_str());
        return false;
      }
    } else {
      ops = cpx::workload::generate_lobwl1(parameters);
    }
    out.check_expect =
        seed == 42 && ops.size() == parameters.n && (commands == 0 || commands >= ops.size());
    if (commands != 0 && commands < ops.size()) ops.resize(commands);
    out.stream = cpx::workload::lobwl1_stream(config, ops);
    out.lob_ops = std::move(ops);
  } else if (options.workload == "national" || options.workload == "national-hours") {
    out.stream = cpx::workload::national_stream(config, commands == 0 ? 1'000'000 : commands, seed,
                                                options.workload == "national-hours");
  } else {
    std::fputs(usage, stderr);
    return false;
  }
  return true;
}

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) return 2;
  cpx::ConfigResult loaded = cpx::load_config("", "");
  if (!loaded.config) return 2;
  const cpx::Config& config = *loaded.config;
  Workload work;
  if (!build_workload(config, options, work)) return 2;
  const cpx::workload::Stream& stream = work.stream;
  const std::vector<cpx::workload::LobOp>& lob_ops = work.lob_ops;
  const bool check_expect = work.check_expect;
  const int repeat = options.repeat;
  const std::string& workload = options.workload;

  // Interleave engine and baseline runs so that both see the same machine (its speed drifts).
  std::vector<double> engine_seconds, baseline_seconds, flat_seconds;
  cpx::workload::RunTotals plain;
  for (int r = 0; r < repeat; ++r) {
    plain = cpx::workload::run_stream(config, stream, cpx::workload::Run::throughput);
    engine_seconds.push_back(plain.seconds);
    if (!lob_ops.empty()) {
      double seconds = 0;
      const auto totals = cpx::workload::run_map_baseline(lob_ops, seconds);
      baseline_seconds.push_back(seconds);
      const auto flat = cpx::workload::run_flat_baseline(lob_ops, seconds);
      flat_seconds.push_back(seconds);
      for (const auto& t : {totals, flat}) {
        const auto& expect = cpx::workload::lobwl1_seed42_expect;
        if (check_expect && (t.fills != expect.fills || t.volume != expect.volume ||
                             t.notional != expect.notional)) {
          std::fprintf(stderr, "cpx-bench-engine: a baseline book disagrees with .expect\n");
          return 1;
        }
      }
    }
  }
  auto median = [](std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0.0 : values[values.size() / 2];
  };
  plain.seconds = median(engine_seconds);
  const double baseline_per_s =
      lob_ops.empty() ? 0.0 : double(lob_ops.size()) / median(baseline_seconds);
  const double flat_per_s = lob_ops.empty() ? 0.0 : double(lob_ops.size()) / median(flat_seconds);
  // The run that times each command also accounts the events (outside its timers): its totals
  // are the ones checked and printed, and the throughput runs must have made as many events.
  cpx::workload::RunTotals timed =
      cpx::workload::run_stream(config, stream, cpx::workload::Run::timed_each);
  if (timed.events != plain.events) {
    std::fprintf(stderr, "cpx-bench-engine: the runs made different numbers of events\n");
    return 1;
  }
  if (check_expect) {
    const auto& expect = cpx::workload::lobwl1_seed42_expect;
    if (timed.fills != expect.fills || timed.volume != expect.volume ||
        timed.notional != cpx::int128(expect.notional) || timed.rejected != 0) {
      std::fprintf(stderr, "cpx-bench-engine: lobwl1 totals differ from the published .expect\n");
      return 1;
    }
  }
  const uint32_t p50 = percentile(timed.latencies_ns, 0.50);
  const uint32_t p99 = percentile(timed.latencies_ns, 0.99);
  const uint32_t p999 = percentile(timed.latencies_ns, 0.999);
  std::printf(
      "{\"workload\":\"%s\",\"commands\":%llu,\"seconds\":%.6f,\"commands_per_s\":%.0f,"
      "\"p50_ns\":%u,\"p99_ns\":%u,\"p999_ns\":%u,\"fills\":%llu,\"volume\":%llu,"
      "\"notional\":%s,\"rejected\":%llu,\"repeat\":%d,\"baseline_map_commands_per_s\":%.0f,"
      "\"ratio_to_baseline\":%.2f,\"baseline_flat_commands_per_s\":%.0f,"
      "\"ratio_to_flat\":%.2f}\n",
      workload.c_str(), (unsigned long long)plain.commands, plain.seconds,
      double(plain.commands) / plain.seconds, p50, p99, p999, (unsigned long long)timed.fills,
      (unsigned long long)timed.volume, cpx::format_decimal(timed.notional, 0).c_str(),
      (unsigned long long)timed.rejected, repeat, baseline_per_s,
      baseline_per_s > 0 ? double(plain.commands) / plain.seconds / baseline_per_s : 0.0,
      flat_per_s, flat_per_s > 0 ? double(plain.commands) / plain.seconds / flat_per_s : 0.0);
  return 0;
}
