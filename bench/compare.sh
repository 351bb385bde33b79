#!/usr/bin/env bash
# Before/after set: the same benchmarks from two build folders, interleaved round by round so
# that both see the same machine (its speed drifts), for a change that must not move them.
#   bench/compare.sh OLD_BUILD NEW_BUILD [ROUNDS]     (default 5 rounds)
# Each round, for OLD then NEW: cpx-bench-engine on lobwl1 (its engine / flat-array ratio is
# measured inside the run) and on national, and REST order entry at 50,000/s for 5 s against a
# fresh cpx-server (cpx-load, 64 connections). One JSON line per run, prefixed by the build.
set -euo pipefail
old="$1"
new="$2"
rounds="${3:-5}"
# shellcheck source=bench/load_run.sh
. "$(dirname "$0")/load_run.sh"
for round in $(seq "$rounds"); do
  for build in "$old" "$new"; do
    echo "round $round $build lobwl1 $("$build/cpx-bench-engine" --workload lobwl1)"
    echo "round $round $build national $("$build/cpx-bench-engine" --workload national)"
    echo "round $round $build rest $(run rest-orders 50000 5 64)"
  done
done
