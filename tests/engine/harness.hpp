// Feeds JSON command lines to an engine (the real one or the reference) and renders its events.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cpx/app/config_files.hpp"
#include "cpx/app/replay_stream.hpp"
#include "cpx/codec/command_json.hpp"
#include "cpx/codec/event_json.hpp"
#include "cpx/engine/engine.hpp"
#include "reference_engine.hpp"

namespace cpx::test {

inline Config default_config() {
  ConfigResult loaded = load_config("", "");
  CPX_ASSERT(loaded.config.has_value());
  return std::move(*loaded.config);
}

template <class EngineType>
class Harness {
 public:
  explicit Harness(Config config = default_config())
      : engine_(std::move(config)), decoder_(engine_.config()) {}

  // Runs one command line; returns its events, one JSON line each (without newlines).
  std::vector<std::string> run(std::string_view line) {
    padded_.assign(line);
    padded_.append(command_padding, '\0');
    const Command command = decoder_.decode(padded_.data(), line.size());
    events_.clear();
    engine_.execute(command, events_);
    std::string why;
    CPX_ASSERT(engine_.check_invariants(why));
    std::vector<std::string> lines;
    for (const Event& event : events_) {
      std::string out;
      append_event_json(out, event, command, engine_);
      out.pop_back();
      lines.push_back(std::move(out));
    }
    return lines;
  }

  // The single event a command gives (for commands that give exactly one).
  std::string one(std::string_view line) {
    std::vector<std::string> lines = run(line);
    return lines.size() == 1 ? lines[0] : "<" + std::to_string(lines.size()) + " events>";
  }

  EngineType& engine() { return engine_; }

 private:
  EngineType engine_;
  CommandDecoder decoder_;
  EventList events_;
  std::string padded_;
};

}  // namespace cpx::test
