// cpx-bench-journal: the command journal's two costs.
//
//   cpx-bench-journal entry [--commands N] [--group G] [--dir D]
//     Durable order entry through the sequencer: N order requests encoded and appended in
//     groups of G (the matcher's group), each group written and fdatasync'ed; beside it the same
//     run without fdatasync. Prints commands/s of both.
//   cpx-bench-journal recovery [--commands N] [--dir D]
//     Writes a journal of N commands (accounts, deposits, then asks, bids and cancels), then
//     times: reading it alone (read, check, decode); recovery without a snapshot (every record
//     replayed through the venue, as cpx-server does it), during which a snapshot is taken at
//     90 % the way cpx-server takes one (fork; the parent's pause is printed); and recovery
//     with that snapshot (load it, replay the last 10 %), checking both reach the same state.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cpx/app/config_files.hpp"
#include "cpx/journal/journal.hpp"
#include "cpx/journal/snapshot.hpp"
#include "cpx/sequencer/journal_codec.hpp"
#include "cpx/sequencer/journal_replay.hpp"
#include "cpx/venue/venue.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using cpx::venue::Request;
using cpx::venue::RequestKind;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class NullSink final : public cpx::venue::VenueSink {
 public:
  void reply(uint8_t, uint64_t, unsigned, uint32_t, std::string_view) override {}
  void push(uint64_t, uint32_t, std::string_view) override {}
  void key_added(const cpx::venue::KeyRecord&) override {}
  void book(const cpx::venue::BookHeader&, const cpx::venue::BookLevel*) override {}
  void trade(const cpx::venue::TradeRecord&) override {}
};

constexpr int traders = 200;  // half enterprises, half providers

// The commands of a busy market, as the gateway would hand them to the matcher.
class Commands {
 public:
  explicit Commands(uint64_t seed) : random_(seed) {}

  Request next(uint64_t i) {
    Request request;
    request.now_ms = 1'795'000'000'000 + int64_t(i / 1000);
    cpx::Command command;
    std::string account;
    if (i < uint64_t(traders)) {  // the accounts, each with its key
      const bool enterprise = i < uint64_t(traders / 2);
      account = (enterprise ? "e" : "p") + std::to_string(i);
      request.kind = RequestKind::create_account;
      request.key_id.assign("op");
      request.new_key_id.assign("k" + std::to_string(i));
      request.new_secret.assign("secret-of-" + std::to_string(i));
      command.op = cpx::Op::account;
      command.role = enterprise ? cpx::Role::enterprise : cpx::Role::provider;
      command.account = account;
      request.command = cpx::CommandEnvelope::wrap(command);
      return request;
    }
    if (i < uint64_t(traders + traders / 2)) {  // deposits
      const uint64_t e = i - traders;
      account = "e" + std::to_string(e);
      request.kind = RequestKind::deposit;
      request.key_id.assign("op");
      command.op = cpx::Op::deposit;
      command.account = account;
      command.amount_e7 = cpx::int128(1'000'000'000) * 10'000'000;
      request.command = cpx::CommandEnvelope::wrap(command);
      return request;
    }
    request.kind = RequestKind::order;
    const int pick = int(random_() % 10);
    const bool bid = pick < 4;
    const uint64_t who = bid ? random_() % (traders / 2) : traders / 2 + random_() % (traders / 2);
    request.key_id.assign("k" + std::to_string(who));
    account = (bid ? "e" : "p") + std::to_string(who);
    std::string id;
    if (pick == 9 && !open_.empty()) {  // cancel one of the provider's own? any recent ask
      const auto& [owner, order] = open_[random_() % open_.size()];
      request.key_id.assign("k" + std::to_string(owner));
      account = "p" + std::to_string(owner);
      command.op = cpx::Op::cancel;
      id = order;
    } else {
      command.op = cpx::Op::new_order;
      command.side = bid ? cpx::Side::bid : cpx::Side::ask;
      command.tif = bid ? cpx::Tif::ioc : cpx::Tif::gtc;
      command.chip = uint16_t(random_() % 4);
      command.qty_milli = 1000 + int64_t(random_() % 20) * 500;
      command.price_ticks = (bid ? 21000 : 20000) + int64_t(random_() % 2000);
      // A provider is a data centre: one region, one green share. Most bids ask for no green
      // floor, some for 30, 50 or 80 %.
      static constexpr uint8_t shares[] = {0, 20, 35, 50, 65, 80, 95};
      static constexpr uint8_t floors[] = {0, 0, 0, 0, 0, 0, 0, 30, 50, 80};
      if (bid) {
        command.region = uint16_t(random_() % 10);
        command.green_pct = floors[random_() % 10];
      } else {
        command.region = uint16_t(who % 10);
        command.green_pct = shares[who % 7];
      }
      id = std::to_string(++next_id_[who]);  // each trader numbers its own orders
      if (!bid) {
        if (open_.size() < 4096) {
          open_.emplace_back(who, id);
        } else {
          open_[random_() % open_.size()] = {who, id};
        }
      }
    }
    command.account = account;
    command.set_client_order_id(id);
    request.command = cpx::CommandEnvelope::wrap(command);
    // Enterprises bid over REST, providers stream asks and cancels over WebSocket.
    request.surface = bid ? cpx::venue::Surface::rest : cpx::venue::Surface::ws;
    if (request.surface == cpx::venue::Surface::ws) request.req_id.assign(std::to_string(i));
    return request;
  }

 private:
  std::mt19937_64 random_;
  std::vector<std::pair<uint64_t, std::string>> open_;
  std::vector<uint64_t> next_id_ = std::vector<uint64_t>(traders, 0);
};

// Who sent command i of Commands: the operator (account 0) for accounts and deposits, else
// the trader whose key the request names (account index = its number + 1).
uint32_t caller_account(const Request& request) {
  const std::string_view key = request.key_id.view();
  if (key == "op") return 0;
  return uint32_t(std::stoul(std::string(key.substr(1)))) + 1;
}

void write_journal(const std::string& dir, uint64_t commands, uint64_t group, bool sync,
                   std::vector<std::vector<unsigned char>>* prepared) {
  cpx::journal::Writer writer(cpx::journal::Settings{dir, sync, uint64_t(256) << 20}, 0);
  std::vector<unsigned char> payload;
  Commands source(42);
  for (uint64_t i = 0; i < commands; ++i) {
    if (prepared != nullptr) {
      writer.append(i + 1, (*prepared)[i]);
    } else {
      payload.clear();
      payload.push_back(1);  // a request record, as cpx-server writes it
      const Request request = source.next(i);
      const uint32_t account = caller_account(request);
      const cpx::Role role = account == 0                       ? cpx::Role::operator_
                             : account <= uint32_t(traders / 2) ? cpx::Role::enterprise
                                                                : cpx::Role::provider;
      cpx::sequencer::encode_request(request, account, role, payload);
      writer.append(i + 1, payload);
    }
    if ((i + 1) % group == 0) writer.commit();
  }
  writer.commit();
}

}  // namespace

// Entry: the journal's append and group commit of prebuilt requests, with and without fsync.
int run_entry(uint64_t commands, uint64_t group, const std::string& dir) {
  // The requests are built first (the gateway's work); the sequencer encodes each one, appends
  // it, and makes every group durable.
  Commands source(7);
  std::vector<Request> requests;
  requests.reserve(commands);
  for (uint64_t i = 0; i < commands; ++i) requests.push_back(source.next(i + traders * 2));
  double rate[2] = {0, 0};
  uint64_t bytes = 0;
  for (const bool sync : {true, false}) {
    std::filesystem::remove_all(dir);
    cpx::journal::Writer writer(cpx::journal::Settings{dir, sync, uint64_t(256) << 20}, 0);
    std::vector<unsigned char> payload;
    const Clock::time_point start = Clock::now();
    for (uint64_t i = 0; i < commands; ++i) {
      payload.clear();
      payload.push_back(1);
      cpx::sequencer::encode_request(requests[i], 1, cpx::Role::enterprise, payload);
      writer.append(i + 1, payload);
      if ((i + 1) % group == 0) writer.commit();
    }
    writer.commit();
    rate[sync ? 0 : 1] = double(commands) / seconds_since(start);
    bytes = 0;
    for (const std::string& file : cpx::journal::segments(dir))
      bytes += std::filesystem::file_size(file);
  }
  std::filesystem::remove_all(dir);
  std::printf(
      "{\"mode\":\"entry\",\"commands\":%llu,\"group\":%llu,\"bytes_per_command\":%.1f,"
      "\"fsync_commands_per_s\":%.0f,\"no_fsync_commands_per_s\":%.0f,\"ratio\":%.3f}\n",
      static_cast<unsigned long long>(commands), static_cast<unsigned long long>(group),
      double(bytes) / double(commands), rate[0], rate[1], rate[0] / rate[1]);
  return 0;
}

// Recovery: reading alone, the whole journal through the venue, and from a snapshot.
int run_recovery(uint64_t commands, const std::string& dir) {
  std::filesystem::remove_all(dir);
  write_journal(dir, commands, 4096, false, nullptr);
  const cpx::ConfigResult config = cpx::load_config("", "");
  const cpx::venue::VenueLimits limits{0, 1, 1000, false};
  NullSink sink;
  // Reading alone: every record read, checked and decoded, nothing replayed.
  Clock::time_point start = Clock::now();
  uint64_t bad = 0;
  const cpx::journal::ReadResult read_only =
      cpx::journal::read(dir, [&](uint64_t, std::span<const unsigned char> payload) {
        if (!cpx::sequencer::decode_request(payload.subspan(1))) ++bad;
      });
  const double read_seconds = seconds_since(start);
  // Recovery without a snapshot: the whole journal through the venue, as cpx-server does it.
  // On the way, at 90 % of the journal, a snapshot taken as cpx-server takes it: fork, and
  // the child writes it while the replay goes on; the parent's pause is the fork.
  const uint64_t snapshot_at = commands - commands / 10;
  double fork_ms = 0;
  pid_t child = -1;
  std::string snapshot_path;
  auto replay = [&](cpx::venue::Venue& venue, uint64_t after, bool take_snapshot) {
    bool ready = after > 0;
    return cpx::sequencer::replay_journal(
        dir, after, venue,
        [&] {
          if (!ready) {
            ready = true;
            venue.bootstrap_operator("operator", "op", "operator-secret-1234");
          }
          if (take_snapshot && child < 0 && venue.engine().last_seq() >= snapshot_at) {
            const Clock::time_point fork_start = Clock::now();
            child = ::fork();
            if (child == 0) {
              // Records 1 .. seq - 1 are acted on (seq 1 made the operator's account).
              cpx::journal::SnapshotWriter out(dir, venue.engine().last_seq() - 1,
                                               venue.engine().last_seq());
              venue.save(out);
              out.finish();
              ::_exit(0);
            }
            fork_ms = seconds_since(fork_start) * 1000;
          }
        },
        false);
  };
  cpx::venue::Venue venue(*config.config, limits, sink);
  start = Clock::now();
  const cpx::sequencer::JournalReplay full = replay(venue, 0, true);
  const double full_seconds = seconds_since(start);
  int status = 0;
  ::waitpid(child, &status, 0);
  const std::vector<cpx::journal::SnapshotFile> snapshots = cpx::journal::snapshots(dir);
  if (!full.read.ok || bad > 0 || status != 0 || snapshots.empty()) {
    std::fprintf(stderr, "cpx-bench-journal: %s (%llu bad records, snapshot status %d)\n",
                 full.read.error.c_str(), static_cast<unsigned long long>(bad), status);
    return 1;
  }
  // Recovery with that snapshot: load it, then replay the journal after it.
  cpx::venue::Venue recovered(*config.config, limits, sink);
  start = Clock::now();
  cpx::journal::SnapshotReader in(snapshots.front().path);
  recovered.load(in);
  const double load_seconds = seconds_since(start);
  recovered.bootstrap_operator("operator", "op", "operator-secret-1234");
  const cpx::sequencer::JournalReplay tail =
      replay(recovered, snapshots.front().journal_index, false);
  const double snapshot_seconds = seconds_since(start);
  const bool same = recovered.state_hash() == venue.state_hash();
  const uint64_t snapshot_bytes = std::filesystem::file_size(snapshots.front().path);
  std::filesystem::remove_all(dir);
  if (!same) {
    std::fprintf(stderr, "cpx-bench-journal: the state recovered from the snapshot differs\n");
    return 1;
  }
  std::printf(
      "{\"mode\":\"recovery\",\"commands\":%llu,\"trades\":%llu,\"read_seconds\":%.3f,"
      "\"no_snapshot_seconds\":%.3f,\"no_snapshot_commands_per_s\":%.0f,"
      "\"snapshot_at\":%llu,\"snapshot_bytes\":%llu,\"fork_ms\":%.2f,"
      "\"snapshot_load_seconds\":%.3f,\"tail_commands\":%llu,"
      "\"with_snapshot_seconds\":%.3f,\"same_state\":true}\n",
      static_cast<unsigned long long>(full.read.records),
      static_cast<unsigned long long>(venue.engine().last_trade_id()), read_seconds, full_seconds,
      double(full.read.records) / full_seconds,
      static_cast<unsigned long long>(snapshots.front().journal_index),
      static_cast<unsigned long long>(snapshot_bytes), fork_ms, load_seconds,
      static_cast<unsigned long long>(tail.replayed), snapshot_seconds);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: cpx-bench-journal entry|recovery [--commands N] [--group G] [--dir D]\n");
    return 2;
  }
  const std::string mode = argv[1];
  uint64_t commands = mode == "entry" ? 2'000'000 : 10'000'000;
  uint64_t group = 1024;
  std::string dir =
      (std::filesystem::temp_directory_path() / ("cpx-bench-journal-" + mode)).string();
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--commands")
      commands = std::stoull(argv[i + 1]);
    else if (arg == "--group")
      group = std::stoull(argv[i + 1]);
    else if (arg == "--dir")
      dir = argv[i + 1];
  }
  if (mode == "entry") return run_entry(commands, group, dir);
  if (mode == "recovery") return run_recovery(commands, dir);
  std::fprintf(stderr, "cpx-bench-journal: unknown mode %s\n", mode.c_str());
  return 2;
}
