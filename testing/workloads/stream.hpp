// A pre-built command stream for in-process benchmarks: decoded commands with resolved
// accounts, so a run measures the matcher alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "cpx/engine/command.hpp"
#include "cpx/engine/config.hpp"
#include "cpx/engine/engine.hpp"
#include "lobwl1.hpp"

namespace cpx::workload {

struct Stream {
  std::deque<std::string> text;            // stable storage behind the commands' string views
  std::vector<Command> setup;              // accounts and deposits, run before timing
  std::vector<Command> commands;           // the timed part
  std::vector<std::string> account_names;  // by account index, in creation order
  std::string_view hold(std::string value) { return text.emplace_back(std::move(value)); }
};

struct RunTotals {
  uint64_t commands = 0;
  uint64_t rejected = 0;
  uint64_t fills = 0;
  uint64_t volume = 0;
  int128 notional = 0;
  uint64_t events = 0;
  double seconds = 0;
  std::vector<uint32_t> latencies_ns;  // one per command when timed
};

Command account_command(Stream& stream, std::string name, Role role);
Command deposit_command(Stream& stream, std::string name, int128 amount_e7);

// LOBWL1 on one chip and one region: bids from one funded enterprise, asks from one provider.
Stream lobwl1_stream(const Config& config, const std::vector<LobOp>& ops);

// The national market: every chip and region of the config, demand-weighted origins,
// ceilings, green floors, urgencies, and providers amending and cancelling.
// hourly: the same market in delivery hours (docs/delivery.md): providers with collateral and a
// site per chip, bids and asks spread over 24 open hours, the clock ticking a minute every
// 10,000 commands (so gates close during long runs).
Stream national_stream(const Config& config, uint64_t commands, uint64_t seed, bool hourly = false);

// The stream as JSON command lines, the replay tool's input.
std::string stream_json(const Config& config, const Stream& stream);

// How run_stream runs the commands (it always runs setup first, on a fresh engine).
enum class Run {
  // Counts the events by kind: fills, volume, notional and rejections.
  accounted,
  // Times the whole run; in the loop only the engine calls and the events' count, so that the
  // throughput is the engine's (the workload README: "times only the engine calls"), not a
  // driver's switch over every event. Fills, volume and notional are left at zero.
  throughput,
  // Times each command; the events are accounted between the timer reads, as in `accounted`.
  timed_each,
};
RunTotals run_stream(const Config& config, const Stream& stream, Run mode,
                     bool check_invariants = false);

}  // namespace cpx::workload
