#!/usr/bin/env bash
# Runs a command with a private PostgreSQL for tests: data in $CPX_PG_DIR (default
# build/pg-test), started if needed; the command gets CPX_TEST_DATABASE_URL (an administrator's
# URL: tests create their own databases in it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CPX_PG_DIR="${CPX_PG_DIR:-$root/build/pg-test}"
export CPX_PG_PORT="${CPX_PG_PORT:-54339}"
export CPX_PG_FSYNC=off  # test data: speed over crash safety
CPX_TEST_DATABASE_URL="$("$root/scripts/pg.sh" start)"
export CPX_TEST_DATABASE_URL
exec "$@"
