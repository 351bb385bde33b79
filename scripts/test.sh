#!/usr/bin/env bash
# The README's test command: installs what is missing, checks the format and the layout rules,
# builds, runs the whole suite (Release; then the engine, venue, sequencer, gateway, journal and
# ledger tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and the concurrent
# tests under ThreadSanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== Format: clang-format (.clang-format, 100 columns) over every C++ source"
git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format --dry-run -Werror
echo "== Layout: files within 600 lines, functions within 100, lines within 100 columns"
scripts/check-layout.sh
# The ledger tests start a private PostgreSQL (scripts/with-pg.sh); stop it when we are done.
trap 'CPX_PG_DIR="$PWD/build/pg-test" CPX_PG_PORT=54339 scripts/pg.sh stop || true' EXIT
scripts/build.sh --sanitize
echo "== Release build: all tests"
ctest --test-dir build --output-on-failure -j2
echo "== Debug build with ASan + UBSan: engine, venue, sequencer, gateway, journal and ledger tests"
# The differential test runs 250,000 commands in the Release pass; under the sanitizers, which
# are some 20 times slower, 5 x 8,000 keep the pass within minutes (and 20,000 commands for the
# ledger's randomized run). lsan.supp: a leak inside libpq when a connection breaks mid-COPY.
CPX_DIFF_COMMANDS_PER_SEED=8000 CPX_LEDGER_COMMANDS=20000 ASAN_OPTIONS=detect_leaks=1 \
  LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp" UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j2 -L "engine|venue|sequencer|gateway|journal|ledger"
echo "== Debug build with ThreadSanitizer: the rings, the two-thread replay, the server, the ledger writer"
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure -L pipeline
