// Pieces of the server's start-up that need PostgreSQL.
#pragma once

#include <string>

#include "cpx/engine/config.hpp"
#include "cpx/gateway/candles.hpp"

namespace cpx::gateway {

// Seeds `candles` from the ledger's trades: the minutes and hours Candles keeps.
void load_candles(const std::string& url, const Config& config, Candles& candles, int64_t now_ms);

}  // namespace cpx::gateway
