// cpx-bench-journal: the command journal's two costs.
//
//   cpx-bench-journal entry [--commands N] [--group G] [--dir D]
//     Durable order entry through the sequencer: N order requests encoded and appended in
//     groups of G (the matcher's group), each group written and fdatasync'ed; beside it the same
//     run without fdatasync. Prints commands/s of both.
//   cpx-bench-journal recovery [--commands N] [--dir D]
//     Writes a journal of N commands (accounts, deposits, then asks, bids and cancels), then
//     times recovery the way cpx-server does it: read, check, decode and replay every record
//     through the venue (answers muted). Prints the seconds and commands/s.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cpx/app/config_files.hpp"
#include "cpx/gateway/journal_codec.hpp"
#include "cpx/gateway/venue.hpp"
#include "cpx/journal/journal.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using cpx::gateway::Request;
using cpx::gateway::RequestKind;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class NullSink final : public cpx::gateway::VenueSink {
 public:
  void reply(uint8_t, uint64_t, unsigned, uint32_t, std::string_view) override {}
  void push(uint64_t, uint32_t, std::string_view) override {}
  void key_added(const cpx::gateway::KeyRecord&) override {}
  void book(const cpx::gateway::BookHeader&, const cpx::gateway::BookLevel*) override {}
  void trade(const cpx::gateway::TradeRecord&) override {}
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
      command.region = uint16_t(random_() % 10);
      command.qty_milli = 1000 + int64_t(random_() % 20) * 500;
      command.price_ticks = (bid ? 21000 : 20000) + int64_t(random_() % 2000);
      command.green_pct = uint8_t(random_() % 100);
      id = std::to_string(i);
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
    return request;
  }

 private:
  std::mt19937_64 random_;
  std::vector<std::pair<uint64_t, std::string>> open_;
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
      const cpx::Role role = account == 0                              ? cpx::Role::operator_
                             : account <= uint32_t(traders / 2)        ? cpx::Role::enterprise
                                                                       : cpx::Role::provider;
      cpx::gateway::encode_request(request, account, role, payload);
      writer.append(i + 1, payload);
    }
    if ((i + 1) % group == 0) writer.commit();
  }
  writer.commit();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cpx-bench-journal entry|recovery [--commands N] [--group G] [--dir D]\n");
    return 2;
  }
  const std::string mode = argv[1];
  uint64_t commands = mode == "entry" ? 2'000'000 : 10'000'000;
  uint64_t group = 1024;
  std::string dir =
      (std::filesystem::temp_directory_path() / ("cpx-bench-journal-" + mode)).string();
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--commands") commands = std::stoull(argv[i + 1]);
    else if (arg == "--group") group = std::stoull(argv[i + 1]);
    else if (arg == "--dir") dir = argv[i + 1];
  }
  if (mode == "entry") {
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
        cpx::gateway::encode_request(requests[i], 1, cpx::Role::enterprise, payload);
        writer.append(i + 1, payload);
        if ((i + 1) % group == 0) writer.commit();
      }
      writer.commit();
      rate[sync ? 0 : 1] = double(commands) / seconds_since(start);
      bytes = 0;
      for (const std::string& file : cpx::journal::segments(dir)) bytes += std::filesystem::file_size(file);
    }
    std::filesystem::remove_all(dir);
    std::printf("{\"mode\":\"entry\",\"commands\":%llu,\"group\":%llu,\"bytes_per_command\":%.1f,"
                "\"fsync_commands_per_s\":%.0f,\"no_fsync_commands_per_s\":%.0f,\"ratio\":%.3f}\n",
                static_cast<unsigned long long>(commands), static_cast<unsigned long long>(group),
                double(bytes) / double(commands), rate[0], rate[1], rate[0] / rate[1]);
    return 0;
  }
  if (mode == "recovery") {
    std::filesystem::remove_all(dir);
    write_journal(dir, commands, 4096, false, nullptr);
    const cpx::ConfigResult config = cpx::load_config("", "");
    NullSink sink;
    cpx::gateway::Venue venue(*config.config, cpx::gateway::VenueLimits{0, 1, 1000, false}, sink);
    venue.bootstrap_operator("operator", "op", "operator-secret-1234");
    uint64_t bad = 0;
    const Clock::time_point start = Clock::now();
    const cpx::journal::ReadResult read = cpx::journal::read(
        dir, [&](uint64_t, std::span<const unsigned char> payload) {
          const auto journaled = cpx::gateway::decode_request(payload.subspan(1));
          if (!journaled) {
            ++bad;
            return;
          }
          venue.replay(journaled->request, cpx::gateway::Venue::Caller{journaled->account, journaled->role});
        });
    const double seconds = seconds_since(start);
    std::filesystem::remove_all(dir);
    if (!read.ok || bad > 0) {
      std::fprintf(stderr, "cpx-bench-journal: %s (%llu bad records)\n", read.error.c_str(),
                   static_cast<unsigned long long>(bad));
      return 1;
    }
    std::printf("{\"mode\":\"recovery\",\"commands\":%llu,\"snapshot\":false,\"seconds\":%.3f,"
                "\"commands_per_s\":%.0f,\"trades\":%llu}\n",
                static_cast<unsigned long long>(read.records), seconds,
                double(read.records) / seconds,
                static_cast<unsigned long long>(venue.engine().last_trade_id()));
    return 0;
  }
  std::fprintf(stderr, "cpx-bench-journal: unknown mode %s\n", mode.c_str());
  return 2;
}
