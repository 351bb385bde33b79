// cpx-replay: JSON commands on stdin, the spec's events on stdout; or, with --journal, the
// events of a live run again, from its command journal.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "cpx/app/config_files.hpp"
#include "cpx/app/replay_stream.hpp"
#include "cpx/codec/event_json.hpp"
#include "cpx/journal/snapshot.hpp"
#include "cpx/sequencer/journal_replay.hpp"

namespace {

const char* const usage =
    "usage: cpx-replay [--regions FILE] [--chips FILE] < commands.jsonl > events.jsonl\n"
    "       cpx-replay [--regions FILE] [--chips FILE] --journal DIR > events.jsonl\n"
    "  Reads one JSON command a line and writes the events of docs/matching.md.\n"
    "  --journal DIR   instead, replays cpx-server's command journal (its --journal folder) and\n"
    "                  writes the events the live run made, in the same order and form (from\n"
    "                  the oldest snapshot it needs when the journal was pruned)\n"
    "  --regions FILE  regions and latency matrix (default: the bundled config/regions.json)\n"
    "  --chips FILE    chip types (default: the bundled config/chips.json)\n";

// Prints the engine's events as the venue runs the journal's commands.
class EventPrinter final : public cpx::venue::VenueSink {
 public:
  ~EventPrinter() override { flush(); }
  void reply(uint8_t, uint64_t, unsigned, uint32_t, std::string_view) override {}
  void push(uint64_t, uint32_t, std::string_view) override {}
  void key_added(const cpx::venue::KeyRecord&) override {}
  void book(const cpx::venue::BookHeader&, const cpx::venue::BookLevel*) override {}
  void trade(const cpx::venue::TradeRecord&) override {}
  void events(std::span<const cpx::Event> events, const cpx::Command& command) override {
    for (const cpx::Event& event : events) cpx::append_event_json(out_, event, command, *engine);
    if (out_.size() > (1u << 20)) flush();
  }
  void flush() {
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    out_.clear();
  }
  const cpx::Engine* engine = nullptr;

 private:
  std::string out_;
};

int replay_journal(const std::string& dir, const cpx::Config& config) {
  EventPrinter printer;
  const cpx::venue::VenueLimits limits{0, 1, 1000, false};
  auto venue = std::make_unique<cpx::venue::Venue>(config, limits, printer);
  // A pruned journal starts after a snapshot: the events before it are gone with it.
  const std::vector<std::string> segments = cpx::journal::segments(dir);
  if (segments.empty()) {
    std::fprintf(stderr, "cpx-replay: no journal segments in %s\n", dir.c_str());
    return 1;
  }
  const uint64_t journal_from = cpx::journal::segment_records_before(segments.front());
  uint64_t after = 0;
  if (journal_from > 0) {
    // The oldest ones the journal goes on from first: the most events.
    const std::vector<cpx::journal::SnapshotFile> files = cpx::journal::snapshots(dir);
    std::vector<cpx::journal::SnapshotFile> usable;
    for (auto file = files.rbegin(); file != files.rend(); ++file) {
      if (file->journal_index >= journal_from) usable.push_back(*file);
    }
    const auto loaded = cpx::sequencer::load_first_snapshot(
        usable, venue, [&] { return std::make_unique<cpx::venue::Venue>(config, limits, printer); },
        [](const std::string& why) {
          std::fprintf(stderr, "cpx-replay: snapshot unusable: %s\n", why.c_str());
        });
    if (loaded) after = loaded->journal_index;
    if (after == 0) {
      std::fprintf(stderr, "cpx-replay: %s begins after record %llu and no snapshot covers it\n",
                   dir.c_str(), static_cast<unsigned long long>(journal_from));
      return 1;
    }
    std::fprintf(stderr, "cpx-replay: the journal was pruned: events after snapshot record %llu\n",
                 static_cast<unsigned long long>(after));
  }
  printer.engine = &venue->engine();
  bool ready = after > 0;
  auto bootstrap = [&] {
    if (ready) return;
    ready = true;
    // As the server does before the first command: the operator account (its key is not
    // journaled, and replay does not need one).
    venue->bootstrap_operator("operator", "cpx-replay", "cpx-replay-unused-secret");
  };
  try {
    const cpx::sequencer::JournalReplay replay =
        cpx::sequencer::replay_journal(dir, after, *venue, bootstrap, false);
    printer.flush();
    if (!replay.read.ok) {
      std::fprintf(stderr, "cpx-replay: journal: %s\n", replay.read.error.c_str());
      return 1;
    }
    if (replay.read.torn_tail) {
      std::fprintf(stderr, "cpx-replay: a torn last record (%llu bytes) was left out\n",
                   static_cast<unsigned long long>(replay.read.torn_bytes));
    }
  } catch (const std::exception& error) {
    printer.flush();
    std::fprintf(stderr, "cpx-replay: journal: %s\n", error.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string regions_path;
  std::string chips_path;
  std::string journal_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    if ((arg == "--regions" || arg == "--chips" || arg == "--journal") && i + 1 < argc) {
      (arg == "--regions" ? regions_path : arg == "--chips" ? chips_path : journal_dir) = argv[++i];
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
  if (!journal_dir.empty()) return replay_journal(journal_dir, *loaded.config);
  cpx::Engine engine(std::move(*loaded.config));
  cpx::replay(0, 1, engine);
  return 0;
}
