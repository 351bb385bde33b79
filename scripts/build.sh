#!/usr/bin/env bash
# Builds the Release tree in build/; with --sanitize also the ASan+UBSan Debug tree in build-asan/
# and the ThreadSanitizer tree in build-tsan/ (the concurrent tests only: label pipeline).
#
# The Release tree is built with profile-guided optimisation: an instrumented build in
# build-pgo/ runs the engine and replay benchmarks on other seeds than the ones BENCHMARKS.md
# reports, and build/ compiles with the profiles that left. CPX_PGO=0 builds without.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
profile=off
if [ "${CPX_PGO:-1}" != 0 ]; then
  cmake -S . -B build-pgo -DCMAKE_BUILD_TYPE=Release -DCPX_PROFILE=generate >/dev/null
  cmake --build build-pgo -j"$jobs" --target cpx-bench-engine cpx-bench-replay
  find build-pgo -name '*.gcda' -delete
  echo "build: training the profile (lobwl1, national and replay, seed 7)"
  build-pgo/cpx-bench-engine --workload lobwl1 --seed 7 --repeat 1 >/dev/null
  build-pgo/cpx-bench-engine --workload national --seed 7 --commands 300000 --repeat 1 >/dev/null
  build-pgo/cpx-bench-replay --seed 7 --commands 200000 >/dev/null
  mkdir -p build
  (cd build-pgo && find . -name '*.gcda' -exec cp --parents -t ../build {} +)
  profile=use
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCPX_PROFILE="$profile" >/dev/null
cmake --build build -j"$jobs"
if [ "${1:-}" = "--sanitize" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCPX_SANITIZE=ON -DCPX_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCPX_TSAN=ON -DCPX_BENCH=OFF >/dev/null
  cmake --build build-tsan -j"$jobs" --target cpx-test-pipeline cpx-test-replay cpx-test-server \
    cpx-server cpx-test-ledger
fi
