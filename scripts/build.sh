#!/usr/bin/env bash
# Builds the Release tree in build/ (and, with --sanitize, the ASan+UBSan Debug tree in build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
if [ "${1:-}" = "--sanitize" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCPX_SANITIZE=ON -DCPX_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
fi
