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
    {"--rate-limit", "CPX_RATE_LIMIT", "5000",
     "requests per second per API key, 0 for none (0-10000000)"},
    {"--rate-burst", "CPX_RATE_BURST", "10000", "requests an API key may burst (1-10000000)"},
    {"--ring-size", "CPX_RING_SIZE", "32768",
     "requests the matcher's inbound ring holds (16-1048576)"},
    {"--ws-queue-bytes", "CPX_WS_QUEUE_BYTES", "4194304",
     "bytes a WebSocket client may have waiting before it is cut off (65536-1073741824)"},
    {"--max-connections", "CPX_MAX_CONNECTIONS", "10000",
     "open connections at most; more are closed at once (1-1000000)"},
    {"--operator-key-id", "CPX_OPERATOR_KEY_ID", "",
     "the operator's first key id, 1-32 of [A-Za-z0-9._:-] (default: generated, printed once)"},
    {"--operator-secret", "CPX_OPERATOR_SECRET", "",
     "the operator's first secret, 16-64 printable characters (prefer the variable)"},
    {"--db", "CPX_DATABASE_URL", "",
     "the ledger's PostgreSQL URL; its schema is created or upgraded at start (default: none)"},
    {"--ledger-buffer", "CPX_LEDGER_BUFFER", "1048576",
     "ledger records the matcher may run ahead of PostgreSQL before it waits (1024-268435456)"},
    {"--journal", "CPX_JOURNAL", "",
     "the command journal's folder; what it holds is replayed at start"},
    {"--durability", "CPX_DURABILITY", "sync",
     "sync (acknowledge once the journal is on disk) or async (acknowledge at once)"},
    {"--snapshot-every", "CPX_SNAPSHOT_EVERY", "1000000",
     "journaled commands between snapshots of the whole state, 0 for none (0-1000000000)"},
    {"--snapshot-interval", "CPX_SNAPSHOT_INTERVAL", "600",
     "seconds between snapshots while commands arrive, 0 for none (0-86400)"},
    {"--journal-segment-bytes", "CPX_JOURNAL_SEGMENT_BYTES", "268435456",
     "bytes after which the journal starts a new segment file (65536-4294967296)"},
    {"--ledger-connections", "CPX_LEDGER_CONNECTIONS", "2",
     "PostgreSQL connections settling consecutive batches at the same time (1-16)"},
};

bool parse_number(const std::string& text, uint64_t low, uint64_t high, uint64_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out >= low && out <= high;
}

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
            (*option.fallback ? std::string(option.fallback)
                              : (std::string(option.variable).find("OPERATOR") != std::string::npos ||
                                 std::string(option.variable).find("DATABASE") != std::string::npos ||
                                 std::string(option.variable).find("JOURNAL") != std::string::npos)
                                  ? std::string("(none)")
                                  : std::string("(bundled)")) + "\n";
  }
  text += "  --accept-journal-loss  (no variable: one start only)\n"
          "      when the journal lost acknowledged commands, set it aside and go on from the\n"
          "      ledger instead of refusing to start (docs/durability.md)\n";
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
  bool accept_journal_loss = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return result;
    }
    if (arg == "--accept-journal-loss") {
      accept_journal_loss = true;
      continue;
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
  uint64_t number = 0;
  if (!parse_number(values[4], 0, 10'000'000, number)) return bad(4);
  settings.rate_per_s = uint32_t(number);
  if (!parse_number(values[5], 1, 10'000'000, number)) return bad(5);
  settings.rate_burst = uint32_t(number);
  if (!parse_number(values[6], 16, 1u << 20, number)) return bad(6);
  settings.ring_size = uint32_t(number);
  if (!parse_number(values[7], 65536, 1u << 30, number)) return bad(7);
  settings.ws_queue_bytes = number;
  if (!parse_number(values[8], 1, 1'000'000, number)) return bad(8);
  settings.max_connections = uint32_t(number);
  settings.database_url = values[11];
  if (!parse_number(values[12], 1024, 1u << 28, number)) return bad(12);
  settings.ledger_buffer = number;
  settings.journal_dir = values[13];
  if (values[14] != "sync" && values[14] != "async") return bad(14);
  settings.durability_sync = values[14] == "sync";
  if (!parse_number(values[15], 0, 1'000'000'000, number)) return bad(15);
  settings.snapshot_every = number;
  if (!parse_number(values[16], 0, 86'400, number)) return bad(16);
  settings.snapshot_interval_s = uint32_t(number);
  if (!parse_number(values[17], 65536, uint64_t(1) << 32, number)) return bad(17);
  settings.journal_segment_bytes = number;
  if (!parse_number(values[18], 1, 16, number)) return bad(18);
  settings.ledger_connections = uint32_t(number);
  settings.accept_journal_loss = accept_journal_loss;
  settings.operator_key_id = values[9];
  settings.operator_secret = values[10];
  const bool key_given = !settings.operator_key_id.empty();
  const bool secret_given = !settings.operator_secret.empty();
  if (key_given && (settings.operator_key_id.size() > 32 ||
                    settings.operator_key_id.find_first_not_of(
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") !=
                        std::string::npos)) {
    return bad(9);
  }
  if (key_given != secret_given) {
    result.error = "settings --operator-key-id (CPX_OPERATOR_KEY_ID) and --operator-secret "
                   "(CPX_OPERATOR_SECRET) go together: give both or neither";
    return result;
  }
  if (secret_given) {
    bool printable = settings.operator_secret.size() >= 16 && settings.operator_secret.size() <= 64;
    for (const char c : settings.operator_secret) printable = printable && c > ' ' && c < 127 && c != '"' && c != '\\';
    if (!printable) {
      // The value is a secret: the message names the setting, never what it holds.
      result.error = "bad setting --operator-secret (CPX_OPERATOR_SECRET): it must be 16-64 "
                     "printable characters without spaces, quotes or backslashes";
      return result;
    }
  }
  result.settings = settings;
  return result;
}

}  // namespace cpx::gateway
