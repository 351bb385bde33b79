#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, starts a private PostgreSQL under
# data/pg (unless CPX_DATABASE_URL names a database), and runs the exchange: cpx-server on
# 127.0.0.1:8080 unless CPX_LISTEN or --listen says otherwise. It prints where it listens, the
# ledger it uses and the operator key. Arguments go to cpx-server (build/cpx-server --help).
# Ctrl-C stops the server cleanly, then the PostgreSQL this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
if [ -z "${CPX_DATABASE_URL:-}" ]; then
  CPX_DATABASE_URL="$(scripts/pg.sh start)"
  export CPX_DATABASE_URL
  trap 'scripts/pg.sh stop' EXIT
fi
# The command journal lives beside the database: a restart replays it.
export CPX_JOURNAL="${CPX_JOURNAL:-data/journal}"
# Not exec: the trap above stops PostgreSQL once the server has stopped.
build/cpx-server "$@" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' INT TERM
wait "$server" || wait "$server" || true
