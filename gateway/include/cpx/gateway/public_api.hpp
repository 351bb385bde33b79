// The public REST endpoints as a pure function from request to response: no sockets, so the
// rules are testable directly (sessions only move bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cpx/engine/config.hpp"
#include "cpx/ledger/writer.hpp"

namespace cpx::gateway {

struct Response {
  unsigned status = 200;
  std::string body;  // JSON
};

// The error body every failure uses: {"error":{"code":..,"message":..}}.
Response error_response(unsigned status, std::string_view code, std::string_view message);

// GET /healthz, /v1/time, /v1/chips, /v1/regions. Unknown paths are 404; a known path with
// another method is 405.
Response handle_public(const Config& config, std::string_view method, std::string_view target,
                       int64_t now_ms);

// GET /healthz when the server has a ledger: status "ok", or "degraded" while PostgreSQL is
// away (matching goes on), and the ledger's lag.
std::string health_json(const ledger::WriterStatus& status);

}  // namespace cpx::gateway
