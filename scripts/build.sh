#!/usr/bin/env bash
# Builds the Release tree in build/; with --sanitize also the ASan+UBSan Debug tree in build-asan/
# and the ThreadSanitizer tree in build-tsan/ (the concurrent tests only: label pipeline).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
if [ "${1:-}" = "--sanitize" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCPX_SANITIZE=ON -DCPX_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCPX_TSAN=ON -DCPX_BENCH=OFF >/dev/null
  cmake --build build-tsan -j"$jobs" --target cpx-test-pipeline cpx-test-replay cpx-test-server \
    cpx-server cpx-test-ledger
fi
