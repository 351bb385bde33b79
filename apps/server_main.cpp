// cpx-server: the exchange. REST and WebSocket on the I/O threads, the matcher on its own.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "cpx/app/config_files.hpp"
#include "cpx/gateway/server.hpp"
#include "cpx/ledger/migrations.hpp"

int main(int argc, char** argv) {
  const cpx::gateway::SettingsResult parsed = cpx::gateway::parse_settings(
      argc, argv, [](const char* name) -> const char* { return std::getenv(name); });
  if (parsed.help) {
    std::fputs(cpx::gateway::settings_help().c_str(), stdout);
    return 0;
  }
  if (!parsed.settings) {
    std::fprintf(stderr, "cpx-server: %s\n", parsed.error.c_str());
    return 2;
  }
  const cpx::gateway::Settings& settings = *parsed.settings;
  cpx::ConfigResult loaded = cpx::load_config(settings.regions_path, settings.chips_path);
  if (!loaded.config) {
    std::fprintf(stderr, "cpx-server: bad config: %s\n", loaded.error.c_str());
    return 2;
  }
  std::string ledger_line = "ledger: none (no --db / CPX_DATABASE_URL)";
  if (!settings.database_url.empty()) {
    const cpx::ledger::MigrationResult migrated = cpx::ledger::migrate(settings.database_url);
    if (!migrated.ok) {
      std::fprintf(stderr, "cpx-server: %s\n", migrated.error.c_str());
      return 2;
    }
    ledger_line = "ledger: " + cpx::ledger::redact_url(settings.database_url) +
                  ", schema version " + std::to_string(migrated.version_after) + " (" +
                  std::to_string(migrated.applied.size()) + " migration(s) applied now)";
  }
  // Every connection is a descriptor: allow as many as the hard limit lets us.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  try {
    cpx::gateway::Server server(settings, std::move(*loaded.config));
    std::printf("cpx-server listening on %s:%u\n", settings.listen_host.c_str(),
                unsigned(server.port()));
    std::printf("%s\n", ledger_line.c_str());
    if (settings.journal_dir.empty()) {
      std::printf("journal: none (no --journal / CPX_JOURNAL): a restart forgets open orders\n");
    } else {
      const std::string snapshot = server.snapshot_used().empty()
                                       ? std::string()
                                       : " after snapshot " + server.snapshot_used();
      const std::string torn =
          server.torn_bytes() > 0
              ? ", a torn last record cut off (" + std::to_string(server.torn_bytes()) + " bytes)"
              : std::string();
      std::printf("journal: %s, %s; %llu records replayed%s%s\n", settings.journal_dir.c_str(),
                  settings.durability_sync ? "durability sync" : "durability async",
                  static_cast<unsigned long long>(server.replayed_records()), snapshot.c_str(),
                  torn.c_str());
      if (!server.recovery_notes().empty()) {
        std::printf("journal: %s\n", server.recovery_notes().c_str());
      }
    }
    if (server.operator_key_generated()) {
      // Shown once, here only: set CPX_OPERATOR_KEY_ID and CPX_OPERATOR_SECRET to keep a key.
      std::printf("operator key: %s secret: %s\n", server.operator_key_id().c_str(),
                  server.operator_secret().c_str());
    } else {
      std::printf("operator key: %s (secret from the settings)\n",
                  server.operator_key_id().c_str());
    }
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& error) {
    // Binding failures (address in use, bad address) and an unreadable ledger.
    std::fprintf(stderr, "cpx-server: cannot start on %s:%u: %s\n", settings.listen_host.c_str(),
                 unsigned(settings.listen_port), error.what());
    return 1;
  }
  std::printf("cpx-server stopped\n");
  return 0;
}
