#!/usr/bin/env bash
# Settlement benchmark: build/cpx-bench-settle against a private PostgreSQL with fsync on
# (data in build/pg-bench, port 54359), REPEAT throughput runs beside a plain COPY of the same
# rows, then the settlement lag at steady rates. One JSON line per run.
#   bench/settle.sh [--smoke]       (from the project folder or build/)
# Variables: REPEAT (default 5), TRADES (default 200000), RATES (default "5000 15000 50000 80000"),
#            SECONDS_PER_RATE (default 10).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$root/build/cpx-bench-settle"
repeat="${REPEAT:-5}"
trades="${TRADES:-200000}"
rates="${RATES:-5000 15000 50000 80000}"
seconds="${SECONDS_PER_RATE:-10}"
if [ "${1:-}" = "--smoke" ]; then
  repeat=1 trades=5000 rates=2000 seconds=1
  export CPX_PG_DIR="${CPX_PG_DIR:-$root/build/pg-test}" CPX_PG_PORT="${CPX_PG_PORT:-54339}"
else
  export CPX_PG_DIR="${CPX_PG_DIR:-$root/build/pg-bench}" CPX_PG_PORT="${CPX_PG_PORT:-54359}"
  export CPX_PG_FSYNC=on
fi
url="$("$root/scripts/pg.sh" start)"
for _ in $(seq "$repeat"); do "$bench" --db "$url" --trades "$trades"; done
for rate in $rates; do "$bench" --db "$url" --rate "$rate" --seconds "$seconds"; done
