// One candle of settled trades: what the ledger's history query returns and what the I/O
// threads' price history keeps (gateway/include/cpx/gateway/candles.hpp).
#pragma once

#include <cstdint>

#include "cpx/base/int128.hpp"

namespace cpx::ledger {

struct Candle {
  int64_t start_ms = 0;
  int64_t open_ticks = 0;
  int64_t high_ticks = 0;
  int64_t low_ticks = 0;
  int64_t close_ticks = 0;
  int64_t volume_milli = 0;
  int128 notional_e7 = 0;
  uint32_t trades = 0;
};

}  // namespace cpx::ledger
