#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, starts a private PostgreSQL under
# data/pg (unless CPX_DATABASE_URL names a database), and runs the exchange: cpx-server on
# 127.0.0.1:8080 unless CPX_LISTEN or --listen says otherwise. It prints where it listens, the
# ledger it uses and the operator key (kept in data/operator.env). Arguments go to cpx-server
# (build/cpx-server --help).
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
# The operator's key, kept in data/operator.env across restarts (made on the first run;
# `. data/operator.env` sets KEY and SECRET for docs/quickstart.md), unless variables give one.
if [ -z "${CPX_OPERATOR_KEY_ID:-}" ] && [ -z "${CPX_OPERATOR_SECRET:-}" ]; then
  mkdir -p data
  hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
  if [ ! -s data/operator.env ]; then
    (umask 077
     printf '# The operator key scripts/run.sh starts cpx-server with; `. data/operator.env` sets KEY and SECRET.\nKEY=op-%s\nSECRET=%s\n' \
       "$(hex 4)" "$(hex 24)" > data/operator.env)
  fi
  # shellcheck disable=SC1091
  CPX_OPERATOR_KEY_ID="$(. data/operator.env && echo "$KEY")"
  CPX_OPERATOR_SECRET="$(. data/operator.env && echo "$SECRET")"
  export CPX_OPERATOR_KEY_ID CPX_OPERATOR_SECRET
  echo "run: the operator key and secret are in data/operator.env (. data/operator.env sets KEY and SECRET)"
fi
# Not exec: the trap above stops PostgreSQL once the server has stopped.
build/cpx-server "$@" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' INT TERM
wait "$server" || wait "$server" || true
