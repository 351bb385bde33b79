#!/usr/bin/env bash
# Gateway benchmarks: starts a fresh cpx-server for each run (loopback, a free port), drives it
# with cpx-load, prints cpx-load's JSON line per run. Run from the build folder (or set BUILD).
#   bench/load.sh [--smoke]      (--smoke: tiny runs for CI)
# The full set, each REPEAT times (3): the GET /healthz baseline and REST order entry at the
# same rates and connections, WebSocket ask entry (one provider account per connection), and
# market data to 1,000 subscribers. Rates: REST_RATES, WS_RATES, MD_RATES (space-separated).
# WebSocket runs use batch mode (/v1/ws?batch=1: each tick's asks go out per connection as one
# frame, one per line); one more ask run goes without it, one with the former smaller matcher ring.
set -euo pipefail
build="${BUILD:-$(pwd)}"
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1

# shellcheck source=bench/load_run.sh
. "$(dirname "$0")/load_run.sh"

if [ "$smoke" = 1 ]; then
  run healthz 2000 0.5 8
  run rest-orders 2000 0.5 8
  run ws-asks 5000 0.5 2
  run md-subscribers 500 0.5 1 50
else
  # A run that cannot keep up (its clients are cut off as slow consumers) reports and goes on.
  for _ in $(seq "${REPEAT:-3}"); do
    for rate in ${REST_RATES:-40000 50000}; do
      run healthz "$rate" 5 64 || true
      run rest-orders "$rate" 5 64 || true
    done
    for rate in ${WS_RATES:-100000 300000}; do run ws-asks "$rate" 5 4 || true; done
    # The same top rate with the ring size the server had before (8,192 requests, not 32,768):
    # it fills during the I/O thread's pauses on a saturated machine and answers busy.
    SERVER_ARGS="--ring-size 8192" run ws-asks 300000 5 4 || true
    run ws-asks 50000 5 4 1000 --ws-batch 0 || true  # one message per frame
    for rate in ${MD_RATES:-50 100}; do run md-subscribers "$rate" 5 1 1000 || true; done
  done
fi
