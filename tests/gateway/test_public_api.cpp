#include <doctest/doctest.h>
#include <simdjson.h>

#include "cpx/app/config_files.hpp"
#include "cpx/base/json_text.hpp"
#include "cpx/gateway/public_api.hpp"
#include "cpx/gateway/settings.hpp"

namespace cpx::gateway {
namespace {

Config bundled() {
  return std::move(*load_config("", "").config);
}

const char* no_environment(const char*) {
  return nullptr;
}

}  // namespace

TEST_CASE("public endpoints answer from the config, as valid JSON") {
  const Config config = bundled();
  simdjson::dom::parser parser;
  Response r = handle_public(config, "GET", "/v1/chips", 0);
  CHECK(r.status == 200);
  simdjson::dom::element doc;
  REQUIRE(parser.parse(r.body).get(doc) == simdjson::SUCCESS);
  CHECK(doc["chips"].get_array().size() == 8);

  r = handle_public(config, "GET", "/v1/regions?x=1", 0);
  REQUIRE(parser.parse(r.body).get(doc) == simdjson::SUCCESS);
  CHECK(doc["regions"].get_array().size() == 16);
  CHECK(doc["latency_ms"].get_array().size() == 16);
  int64_t beijing_shenzhen = 0;
  REQUIRE(doc["latency_ms"].at(10).at(12).get(beijing_shenzhen) == simdjson::SUCCESS);
  CHECK(beijing_shenzhen == 16);

  r = handle_public(config, "GET", "/v1/time", 1700000000123);
  CHECK(r.body == "{\"server_time_ms\":1700000000123}");
  CHECK(handle_public(config, "GET", "/healthz", 0).body == "{\"status\":\"ok\"}");
}

TEST_CASE("unknown paths are 404 and wrong methods 405, with the error body") {
  const Config config = bundled();
  Response r = handle_public(config, "GET", "/v2/nothing", 0);
  CHECK(r.status == 404);
  CHECK(r.body == R"({"error":{"code":"not_found","message":"no such endpoint"}})");
  CHECK(handle_public(config, "POST", "/v1/chips", 0).status == 405);
}

TEST_CASE("settings come from flags, then variables, then defaults, and bad ones are named") {
  const char* argv_default[] = {"cpx-server"};
  SettingsResult parsed = parse_settings(1, argv_default, no_environment);
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->listen_host == "127.0.0.1");
  CHECK(parsed.settings->listen_port == 8080);
  CHECK(parsed.settings->io_threads == 1);

  auto environment = [](const char* name) -> const char* {
    return std::string_view(name) == "CPX_LISTEN" ? "0.0.0.0:9000" : nullptr;
  };
  parsed = parse_settings(1, argv_default, environment);
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->listen_port == 9000);
  const char* argv_flag[] = {"cpx-server", "--listen", "127.0.0.1:0", "--io-threads", "2"};
  parsed = parse_settings(5, argv_flag, environment);  // the flag wins over the variable
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->listen_port == 0);
  CHECK(parsed.settings->io_threads == 2);

  const char* argv_bad[] = {"cpx-server", "--io-threads", "many"};
  parsed = parse_settings(3, argv_bad, no_environment);
  CHECK_FALSE(parsed.settings);
  CHECK(parsed.error.find("--io-threads (CPX_IO_THREADS)") != std::string::npos);
  const char* argv_unknown[] = {"cpx-server", "--colour"};
  CHECK(parse_settings(2, argv_unknown, no_environment).error.find("--colour") !=
        std::string::npos);
  const char* argv_help[] = {"cpx-server", "--help"};
  CHECK(parse_settings(2, argv_help, no_environment).help);
  CHECK(settings_help().find("CPX_LISTEN") != std::string::npos);
}

TEST_CASE("every setting is listed in --help, and a bad secret is named but never echoed") {
  const std::string help = settings_help();
  for (const char* name : {"--listen",
                           "--io-threads",
                           "--regions",
                           "--chips",
                           "--rate-limit",
                           "--rate-burst",
                           "--ring-size",
                           "--ws-queue-bytes",
                           "--max-connections",
                           "--operator-key-id",
                           "--operator-secret",
                           "--db",
                           "--ledger-buffer",
                           "--journal",
                           "--durability",
                           "CPX_RATE_LIMIT",
                           "CPX_OPERATOR_SECRET",
                           "CPX_DATABASE_URL",
                           "CPX_LEDGER_BUFFER",
                           "CPX_JOURNAL",
                           "CPX_DURABILITY",
                           "--snapshot-every",
                           "--snapshot-interval",
                           "--journal-segment-bytes",
                           "CPX_SNAPSHOT_EVERY",
                           "CPX_SNAPSHOT_INTERVAL",
                           "--ledger-connections",
                           "CPX_LEDGER_CONNECTIONS"}) {
    CHECK_MESSAGE(help.find(name) != std::string::npos, name);
  }
  const char* short_secret[] = {"cpx-server", "--operator-key-id", "op", "--operator-secret",
                                "tiny-s3cret"};
  SettingsResult parsed =
      parse_settings(5, short_secret, [](const char*) -> const char* { return nullptr; });
  CHECK_FALSE(parsed.settings);
  CHECK(parsed.error.find("--operator-secret (CPX_OPERATOR_SECRET)") != std::string::npos);
  CHECK(parsed.error.find("tiny-s3cret") == std::string::npos);
  const char* alone[] = {"cpx-server", "--operator-secret", "a-long-enough-s3cret-value"};
  parsed = parse_settings(3, alone, [](const char*) -> const char* { return nullptr; });
  CHECK_FALSE(parsed.settings);  // a secret without its key id
  CHECK(parsed.error.find("s3cret") == std::string::npos);
  const char* numbers[] = {"cpx-server", "--ws-queue-bytes", "100", "--rate-limit", "0"};
  parsed = parse_settings(5, numbers, [](const char*) -> const char* { return nullptr; });
  CHECK(parsed.error.find("--ws-queue-bytes (CPX_WS_QUEUE_BYTES)") != std::string::npos);
  const char* durability[] = {"cpx-server", "--durability", "maybe"};
  parsed = parse_settings(3, durability, [](const char*) -> const char* { return nullptr; });
  CHECK(parsed.error.find("--durability (CPX_DURABILITY)") != std::string::npos);
  const char* journal[] = {"cpx-server", "--journal", "/var/cpx/journal", "--ledger-buffer",
                           "4096"};
  parsed = parse_settings(5, journal, [](const char* name) -> const char* {
    return std::string_view(name) == "CPX_DURABILITY" ? "async" : nullptr;
  });
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->journal_dir == "/var/cpx/journal");
  CHECK(parsed.settings->ledger_buffer == 4096);
  CHECK(parsed.settings->ledger_connections == 2);  // the default
  CHECK_FALSE(parsed.settings->durability_sync);
  parsed = parse_settings(1, journal, [](const char*) -> const char* { return nullptr; });
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->journal_dir.empty());
  CHECK(parsed.settings->durability_sync);  // the default
  CHECK(parsed.settings->snapshot_every == 1'000'000);
  CHECK(parsed.settings->snapshot_interval_s == 600);
  CHECK(parsed.settings->journal_segment_bytes == uint64_t(256) << 20);
  const char* snapshots[] = {"cpx-server", "--snapshot-every",        "0",    "--snapshot-interval",
                             "30",         "--journal-segment-bytes", "65536"};
  parsed = parse_settings(7, snapshots, [](const char*) -> const char* { return nullptr; });
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->snapshot_every == 0);
  CHECK(parsed.settings->snapshot_interval_s == 30);
  CHECK(parsed.settings->journal_segment_bytes == 65536);
  const char* connections[] = {"cpx-server", "--ledger-connections", "3"};
  parsed = parse_settings(3, connections, [](const char*) -> const char* { return nullptr; });
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->ledger_connections == 3);
  connections[2] = "0";
  parsed = parse_settings(3, connections, [](const char*) -> const char* { return nullptr; });
  CHECK(parsed.error.find("--ledger-connections (CPX_LEDGER_CONNECTIONS)") != std::string::npos);
  const char* bad_interval[] = {"cpx-server", "--snapshot-interval", "-1"};
  parsed = parse_settings(3, bad_interval, [](const char*) -> const char* { return nullptr; });
  CHECK(parsed.error.find("--snapshot-interval (CPX_SNAPSHOT_INTERVAL)") != std::string::npos);
  // The clock (docs/delivery.md): off unless asked.
  CHECK(parse_settings(1, connections, [](const char*) -> const char* {
          return nullptr;
        }).settings->clock == venue::ClockMode::off);
  const char* clock[] = {"cpx-server", "--clock", "manual"};
  parsed = parse_settings(3, clock, [](const char*) -> const char* { return nullptr; });
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->clock == venue::ClockMode::manual);
  clock[2] = "sundial";
  parsed = parse_settings(3, clock, [](const char*) -> const char* { return nullptr; });
  CHECK(parsed.error.find("--clock (CPX_CLOCK): 'sundial'") != std::string::npos);
  parsed = parse_settings(1, clock, [](const char* name) -> const char* {
    return std::string_view(name) == "CPX_CLOCK" ? "wall" : nullptr;
  });
  REQUIRE(parsed.settings);
  CHECK(parsed.settings->clock == venue::ClockMode::wall);
  const char* small_segments[] = {"cpx-server", "--journal-segment-bytes", "4096"};
  parsed = parse_settings(3, small_segments, [](const char*) -> const char* { return nullptr; });
  CHECK(parsed.error.find("--journal-segment-bytes") != std::string::npos);
}

TEST_CASE("JSON strings: quotes, backslashes and control characters escaped, UTF-8 kept") {
  CHECK(json_string("plain") == "\"plain\"");
  CHECK(json_string("say \"hi\"\\now") == R"("say \"hi\"\\now")");
  CHECK(json_string(std::string("tab\tline\nnul", 12) + '\0') ==
        R"("tab\u0009line\u000anul\u0000")");
  CHECK(json_string("\x1f\x7f") == "\"\\u001f\x7f\"");
  CHECK(json_string("西部算力") == "\"西部算力\"");
  std::string out = "{\"a\":";
  append_json_string(out, "b");
  CHECK(out == R"({"a":"b")");
}

}  // namespace cpx::gateway
