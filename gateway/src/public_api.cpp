#include "cpx/gateway/public_api.hpp"

#include "cpx/base/json_text.hpp"
#include "cpx/venue/results.hpp"

namespace cpx::gateway {
namespace {

std::string chips_json(const Config& config) {
  std::string out = "{\"chips\":[";
  for (std::size_t i = 0; i < config.chips.size(); ++i) {
    if (i > 0) out += ',';
    out += config.chips[i].json;
  }
  return out + "]}";
}

std::string regions_json(const Config& config) {
  std::string out = "{\"regions\":[";
  for (std::size_t i = 0; i < config.regions.size(); ++i) {
    if (i > 0) out += ',';
    out += config.regions[i].json;
  }
  out += "],\"latency_ms\":[";
  const std::size_t n = config.regions.size();
  for (std::size_t a = 0; a < n; ++a) {
    out += a > 0 ? ",[" : "[";
    for (std::size_t b = 0; b < n; ++b) {
      if (b > 0) out += ',';
      out += std::to_string(config.latency(uint32_t(a), uint32_t(b)));
    }
    out += ']';
  }
  return out + "]}";
}

}  // namespace

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  Response response{status, {}};
  venue::append_error_body(response.body, venue::Surface::rest, "", code, message);
  return response;
}

std::string health_json(const ledger::WriterStatus& status) {
  const uint64_t lag_seq =
      status.received_seq > status.settled_seq ? status.received_seq - status.settled_seq : 0;
  // Degraded: PostgreSQL away, or the ledger holds commands past what this server numbered, or
  // the writer skipped new commands as settled before (docs/durability.md, "Health").
  const bool behind = status.ledger_seq > status.received_seq;
  std::string reasons;
  if (!status.connected) reasons += ",\"ledger_disconnected\"";
  if (behind) reasons += ",\"engine_behind_ledger\"";
  if (status.skipped_records > 0) reasons += ",\"ledger_skipped_records\"";
  std::string out = "{\"status\":";
  out += reasons.empty() ? "\"ok\"" : "\"degraded\"";
  if (!reasons.empty()) out += ",\"degraded\":[" + reasons.substr(1) + "]";
  out += ",\"ledger\":{\"connected\":";
  out += status.connected ? "true" : "false";
  out += ",\"received_seq\":" + std::to_string(status.received_seq);
  out += ",\"settled_seq\":" + std::to_string(status.settled_seq);
  out += ",\"lag_seq\":" + std::to_string(lag_seq);
  out += ",\"pending_records\":" + std::to_string(status.pending_records);
  out += ",\"lag_ms\":" + std::to_string(status.oldest_pending_ms);
  out += ",\"last_batch_lag_ms\":" + std::to_string(status.last_batch_lag_ms);
  out += ",\"settled_batches\":" + std::to_string(status.settled_batches);
  out += ",\"settled_trades\":" + std::to_string(status.settled_trades);
  out += ",\"matcher_waits\":" + std::to_string(status.matcher_waits);
  out += ",\"ledger_seq\":" + std::to_string(status.ledger_seq);
  out += ",\"skipped_records\":" + std::to_string(status.skipped_records);
  if (!status.last_error.empty()) out += ",\"error\":" + json_string(status.last_error);
  return out + "}}";
}

Response handle_public(const Config& config, std::string_view method, std::string_view target,
                       int64_t now_ms) {
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = method == "GET";
  if (path == "/healthz") {
    return get ? Response{200, "{\"status\":\"ok\"}"}
               : error_response(405, "method_not_allowed", "use GET");
  }
  if (path == "/v1/time") {
    return get ? Response{200, "{\"server_time_ms\":" + std::to_string(now_ms) + "}"}
               : error_response(405, "method_not_allowed", "use GET");
  }
  if (path == "/v1/chips") {
    return get ? Response{200, chips_json(config)}
               : error_response(405, "method_not_allowed", "use GET");
  }
  if (path == "/v1/regions") {
    return get ? Response{200, regions_json(config)}
               : error_response(405, "method_not_allowed", "use GET");
  }
  return error_response(404, "not_found", "no such endpoint");
}

}  // namespace cpx::gateway
