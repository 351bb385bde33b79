// cpx-server's settings: each has a flag, an environment variable and a default; a bad value
// stops start-up with a message naming the setting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cpx/venue/request.hpp"

namespace cpx::gateway {

struct Settings {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;  // 0: any free port (printed at start)
  int io_threads = 1;
  std::string regions_path;  // empty: the bundled config
  std::string chips_path;
  uint32_t rate_per_s = 5000;  // per API key; 0: no limit
  uint32_t rate_burst = 10000;
  uint32_t ring_size = 32768;          // requests the matcher's inbound ring holds
  uint64_t ws_queue_bytes = 4u << 20;  // a WebSocket session's outbound cap
  uint32_t max_connections = 10000;
  // Connection limits (docs/api.md, "Limits"): per IP address (0: none), and the time a new
  // connection has for its first request or WebSocket message.
  uint32_t max_connections_per_address = 1000;
  uint32_t first_request_timeout_s = 5;
  // The operator's first key; both empty: generated and printed at start.
  std::string operator_key_id;
  std::string operator_secret;
  // The ledger's PostgreSQL database; empty: no ledger (the run command always gives one).
  std::string database_url;
  uint64_t ledger_buffer = 1u << 20;  // ledger records the matcher may run ahead of PostgreSQL
  uint32_t ledger_connections = 2;    // PostgreSQL connections settling batches at once
  std::string journal_dir;            // empty: no journal
  bool durability_sync = true;        // fdatasync the journal before acting and acknowledging
  // Snapshots of the whole state into the journal's folder (with a journal only): after this
  // many journaled commands, or this many seconds; 0 turns either off.
  uint64_t snapshot_every = 1'000'000;
  uint32_t snapshot_interval_s = 600;
  uint64_t journal_segment_bytes = uint64_t(256) << 20;  // a new segment file after this
  // --accept-journal-loss (a flag, for one start; no variable, so it never stays set): a
  // journal that lost acknowledged commands is set aside and the start goes on from the ledger
  // (docs/durability.md, "Recovery"). Without it such a start is refused.
  bool accept_journal_loss = false;
  venue::ClockMode clock = venue::ClockMode::off;  // docs/delivery.md
};

// The operator's first secret, when given, is at least this long (at most secret_length_max).
inline constexpr std::size_t operator_secret_length_min = 16;

struct SettingsResult {
  std::optional<Settings> settings;
  bool help = false;
  std::string error;  // names the flag and the variable
};

// Reads flags first, then CPX_* variables from `environment` (getenv-like), then defaults.
SettingsResult parse_settings(int argc, const char* const* argv,
                              const char* (*environment)(const char*));

std::string settings_help();

}  // namespace cpx::gateway
