#!/usr/bin/env bash
# A private PostgreSQL for the exchange and its tests: its own data folder (data/pg, or
# CPX_PG_DIR) holding the socket too, no TCP listener, run as an unprivileged user (postgres
# when we are root: PostgreSQL refuses to run as root).
#   scripts/pg.sh start    initialise if needed, start, create database "cpx"; prints the URL
#   scripts/pg.sh stop
#   scripts/pg.sh url      the URL of the running server
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CPX_PG_DIR:-$PWD/data/pg}"
port="${CPX_PG_PORT:-54329}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "pg.sh: PostgreSQL is not installed (run scripts/setup.sh)" >&2; exit 1; }
url="postgresql:///cpx?host=$dir&port=$port&user=cpx"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$dir"
      chmod 700 "$dir"
      # The postgres user must be able to reach the folder: let it traverse (not list) the
      # folders above, where they do not allow it already.
      p="$dir"
      while p=$(dirname "$p"); [ "$p" != / ]; do
        if ! runuser -u postgres -- test -x "$p"; then
          chmod o+x "$p"
          echo "pg.sh: allowed other users to traverse $p (for the postgres user)" >&2
        fi
      done
    fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U cpx --auth=trust -E UTF8 --locale=C >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      # Sized for the ledger writer's bulk COPY: checkpoints far apart (each one makes the next
      # change of every page write the whole page to the WAL again), room for the working set,
      # and the WAL writer flushing every 10 ms so that a batch's commit finds most of its WAL
      # on disk already. Settlement throughput +20-25 % over the defaults (BENCHMARKS.md).
      # CPX_PG_OPTIONS adds or overrides settings.
      as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses= -c fsync=${CPX_PG_FSYNC:-on} \
            -c shared_buffers=1GB -c wal_buffers=64MB -c max_wal_size=4GB \
            -c checkpoint_timeout=15min -c wal_writer_delay=10ms -c wal_writer_flush_after=0 \
            ${CPX_PG_OPTIONS:-}" start >/dev/null
    fi
    if ! as_owner "$bin/psql" -h "$dir" -p "$port" -U cpx -d postgres -tAc \
        "select 1 from pg_database where datname = 'cpx'" | grep -q 1; then
      as_owner "$bin/createdb" -h "$dir" -p "$port" -U cpx cpx
    fi
    echo "$url"
    ;;
  stop)
    if [ -f "$dir/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$dir" -w -m fast stop >/dev/null
    fi
    ;;
  url)
    echo "$url"
    ;;
  *)
    echo "usage: scripts/pg.sh start|stop|url" >&2
    exit 2
    ;;
esac
