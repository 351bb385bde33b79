#include "cpx/gateway/settings.hpp"

#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include "cpx/gateway/venue_types.hpp"

namespace cpx::gateway {
namespace {

// The options, in the order of the table below.
enum class Opt : std::size_t {
  listen,
  io_threads,
  regions,
  chips,
  rate_limit,
  rate_burst,
  ring_size,
  ws_queue_bytes,
  max_connections,
  operator_key_id,
  operator_secret,
  database_url,
  ledger_buffer,
  journal,
  durability,
  snapshot_every,
  snapshot_interval,
  journal_segment_bytes,
  ledger_connections,
  clock,
  max_connections_per_address,
  first_request_timeout,
};

struct Option {
  const char* flag;
  const char* variable;
  const char* fallback;
  const char* meaning;
  // A number within [low, high] (the help names the range), when high > 0.
  uint64_t low = 0;
  uint64_t high = 0;
};

const Option options[] = {
    {"--listen", "CPX_LISTEN", "127.0.0.1:8080", "HOST:PORT to listen on (PORT 0: any free port)"},
    {"--io-threads", "CPX_IO_THREADS", "1", "I/O threads", 1, io_threads_max},
    {"--regions", "CPX_REGIONS", "", "regions and latency matrix (default: the bundled file)"},
    {"--chips", "CPX_CHIPS", "", "chip types (default: the bundled file)"},
    {"--rate-limit", "CPX_RATE_LIMIT", "5000", "requests per second per API key, 0 for none", 0,
     10'000'000},
    {"--rate-burst", "CPX_RATE_BURST", "10000", "requests an API key may burst", 1, 10'000'000},
    {"--ring-size", "CPX_RING_SIZE", "32768", "requests the matcher's inbound ring holds", 16,
     1'048'576},
    {"--ws-queue-bytes", "CPX_WS_QUEUE_BYTES", "4194304",
     "bytes a WebSocket client may have waiting before it is cut off", 65'536, 1'073'741'824},
    {"--max-connections", "CPX_MAX_CONNECTIONS", "10000",
     "open connections at most; more are closed at once", 1, 1'000'000},
    {"--operator-key-id", "CPX_OPERATOR_KEY_ID", "",
     "the operator's first key id, 1-32 of [A-Za-z0-9._:-] (default: generated, printed once)"},
    {"--operator-secret", "CPX_OPERATOR_SECRET", "",
     "the operator's first secret, 16-64 printable characters (prefer the variable)"},
    {"--db", "CPX_DATABASE_URL", "",
     "the ledger's PostgreSQL URL; its schema is created or upgraded at start (default: none)"},
    {"--ledger-buffer", "CPX_LEDGER_BUFFER", "1048576",
     "ledger records the matcher may run ahead of PostgreSQL before it waits", 1024, 268'435'456},
    {"--journal", "CPX_JOURNAL", "",
     "the command journal's folder; what it holds is replayed at start"},
    {"--durability", "CPX_DURABILITY", "sync",
     "sync (acknowledge once the journal is on disk) or async (acknowledge at once)"},
    {"--snapshot-every", "CPX_SNAPSHOT_EVERY", "1000000",
     "journaled commands between snapshots of the whole state, 0 for none", 0, 1'000'000'000},
    {"--snapshot-interval", "CPX_SNAPSHOT_INTERVAL", "600",
     "seconds between snapshots while commands arrive, 0 for none", 0, 86'400},
    {"--journal-segment-bytes", "CPX_JOURNAL_SEGMENT_BYTES", "268435456",
     "bytes after which the journal starts a new segment file", 65'536, 4'294'967'296},
    {"--ledger-connections", "CPX_LEDGER_CONNECTIONS", "2",
     "PostgreSQL connections settling consecutive batches at the same time", 1, 16},
    {"--clock", "CPX_CLOCK", "off",
     "off (the markets of docs/matching.md, no delivery hours), wall (a tick every second) or "
     "manual (operators set it, POST /v1/admin/clock): docs/delivery.md"},
    {"--max-connections-per-address", "CPX_MAX_CONNECTIONS_PER_ADDRESS", "1000",
     "open connections from one IP address at most, 0 for no cap", 0, 1'000'000},
    {"--first-request-timeout", "CPX_FIRST_REQUEST_TIMEOUT", "5",
     "seconds a new connection has to complete its first request (a WebSocket: its first "
     "message)",
     1, 300},
};
static_assert(std::size(options) == std::size_t(Opt::first_request_timeout) + 1);

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
    const std::string range = option.high > 0 ? " (" + std::to_string(option.low) + "-" +
                                                    std::to_string(option.high) + ")"
                                              : std::string();
    text += "  " + std::string(option.flag) + " VALUE  (" + option.variable + ")\n      " +
            option.meaning + range + "; default: " +
            (*option.fallback ? std::string(option.fallback)
             : (std::string(option.variable).find("OPERATOR") != std::string::npos ||
                std::string(option.variable).find("DATABASE") != std::string::npos ||
                std::string(option.variable).find("JOURNAL") != std::string::npos)
                 ? std::string("(none)")
                 : std::string("(bundled)")) +
            "\n";
  }
  text +=
      "  --accept-journal-loss  (no variable: one start only)\n"
      "      when the journal lost acknowledged commands, set it aside and go on from the\n"
      "      ledger instead of refusing to start (docs/durability.md)\n";
  text += "  --help  this text\n";
  return text;
}

namespace {

// The options' text: each from its flag, else its variable, else its default. An error (or
// the help) ends the reading.
bool read_values(int argc, const char* const* argv, const char* (*environment)(const char*),
                 std::vector<std::string>& values, bool& accept_journal_loss,
                 SettingsResult& result) {
  for (const Option& option : options) {
    const char* from_environment = environment(option.variable);
    values.emplace_back(from_environment != nullptr ? from_environment : option.fallback);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      return false;
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
        return false;
      }
      values[o] = argv[++i];
      known = true;
    }
    if (!known) {
      result.error = "unknown argument '" + std::string(arg) + "' (see --help)";
      return false;
    }
  }
  return true;
}

// The values into settings; the first option whose value does not fit, or nothing.
std::optional<Opt> convert(const std::vector<std::string>& values, Settings& settings) {
  auto value = [&](Opt o) -> const std::string& { return values[std::size_t(o)]; };
  uint64_t number = 0;
  // A number within the option's range into `number`.
  auto within = [&](Opt o) {
    const Option& option = options[std::size_t(o)];
    return parse_number(value(o), option.low, option.high, number);
  };
  if (!parse_listen(value(Opt::listen), settings)) return Opt::listen;
  if (!within(Opt::io_threads)) return Opt::io_threads;
  settings.io_threads = int(number);
  settings.regions_path = value(Opt::regions);
  settings.chips_path = value(Opt::chips);
  if (!within(Opt::rate_limit)) return Opt::rate_limit;
  settings.rate_per_s = uint32_t(number);
  if (!within(Opt::rate_burst)) return Opt::rate_burst;
  settings.rate_burst = uint32_t(number);
  if (!within(Opt::ring_size)) return Opt::ring_size;
  settings.ring_size = uint32_t(number);
  if (!within(Opt::ws_queue_bytes)) return Opt::ws_queue_bytes;
  settings.ws_queue_bytes = number;
  if (!within(Opt::max_connections)) return Opt::max_connections;
  settings.max_connections = uint32_t(number);
  if (!within(Opt::max_connections_per_address)) return Opt::max_connections_per_address;
  settings.max_connections_per_address = uint32_t(number);
  if (!within(Opt::first_request_timeout)) return Opt::first_request_timeout;
  settings.first_request_timeout_s = uint32_t(number);
  settings.database_url = value(Opt::database_url);
  if (!within(Opt::ledger_buffer)) return Opt::ledger_buffer;
  settings.ledger_buffer = number;
  settings.journal_dir = value(Opt::journal);
  if (value(Opt::durability) != "sync" && value(Opt::durability) != "async") {
    return Opt::durability;
  }
  settings.durability_sync = value(Opt::durability) == "sync";
  if (!within(Opt::snapshot_every)) return Opt::snapshot_every;
  settings.snapshot_every = number;
  if (!within(Opt::snapshot_interval)) return Opt::snapshot_interval;
  settings.snapshot_interval_s = uint32_t(number);
  if (!within(Opt::journal_segment_bytes)) return Opt::journal_segment_bytes;
  settings.journal_segment_bytes = number;
  if (!within(Opt::ledger_connections)) return Opt::ledger_connections;
  settings.ledger_connections = uint32_t(number);
  if (value(Opt::clock) == "off") {
    settings.clock = venue::ClockMode::off;
  } else if (value(Opt::clock) == "wall") {
    settings.clock = venue::ClockMode::wall;
  } else if (value(Opt::clock) == "manual") {
    settings.clock = venue::ClockMode::manual;
  } else {
    return Opt::clock;
  }
  settings.operator_key_id = value(Opt::operator_key_id);
  settings.operator_secret = value(Opt::operator_secret);
  const std::string& key = settings.operator_key_id;
  if (!key.empty() && (key.size() > key_id_length_max ||
                       key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789._:-") != std::string::npos)) {
    return Opt::operator_key_id;
  }
  return std::nullopt;
}

// The operator's key id and secret go together, and the secret is printable (an error, or "").
std::string check_operator_secret(const Settings& settings) {
  const bool key_given = !settings.operator_key_id.empty();
  const bool secret_given = !settings.operator_secret.empty();
  if (key_given != secret_given) {
    return "settings --operator-key-id (CPX_OPERATOR_KEY_ID) and --operator-secret "
           "(CPX_OPERATOR_SECRET) go together: give both or neither";
  }
  if (!secret_given) return "";
  const std::string& secret = settings.operator_secret;
  bool printable =
      secret.size() >= operator_secret_length_min && secret.size() <= secret_length_max;
  for (const char c : secret) printable = printable && c > ' ' && c < 127 && c != '"' && c != '\\';
  if (printable) return "";
  // The value is a secret: the message names the setting, never what it holds.
  return "bad setting --operator-secret (CPX_OPERATOR_SECRET): it must be " +
         std::to_string(operator_secret_length_min) + "-" + std::to_string(secret_length_max) +
         " printable characters without spaces, quotes or backslashes";
}

}  // namespace

SettingsResult parse_settings(int argc, const char* const* argv,
                              const char* (*environment)(const char*)) {
  SettingsResult result;
  std::vector<std::string> values;
  bool accept_journal_loss = false;
  if (!read_values(argc, argv, environment, values, accept_journal_loss, result)) return result;
  Settings settings;
  if (const std::optional<Opt> bad = convert(values, settings)) {
    const Option& option = options[std::size_t(*bad)];
    result.error = std::string("bad setting ") + option.flag + " (" + option.variable + "): '" +
                   values[std::size_t(*bad)] + "' is not " + option.meaning;
    if (option.high > 0) {
      result.error += " (" + std::to_string(option.low) + "-" + std::to_string(option.high) + ")";
    }
    return result;
  }
  settings.accept_journal_loss = accept_journal_loss;
  result.error = check_operator_secret(settings);
  if (result.error.empty()) result.settings = settings;
  return result;
}

}  // namespace cpx::gateway
