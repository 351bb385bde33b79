// The 128-bit integer money is counted in (a notional is up to 1e10 price ticks times 1e12
// milli-PFLOPS-h, past 64 bits).
#pragma once

namespace cpx {

__extension__ typedef __int128 int128;

}  // namespace cpx
