# Sourced by bench/load.sh and bench/compare.sh: run() starts a fresh cpx-server from $build
# (loopback, a free port), drives it with cpx-load and prints cpx-load's JSON line.
export CPX_OPERATOR_KEY_ID=bench-operator
export CPX_OPERATOR_SECRET=bench-operator-secret-0123456789

run() {  # run MODE RATE SECONDS CONNECTIONS [SUBSCRIBERS [EXTRA cpx-load ARGS...]]
  local log port pid
  log=$(mktemp)
  # Every load client comes from 127.0.0.1: no cap per address.
  # shellcheck disable=SC2086  # SERVER_ARGS: extra cpx-server flags for one run, split on spaces
  "$build/cpx-server" --listen 127.0.0.1:0 --rate-limit 0 --max-connections-per-address 0 \
    ${SERVER_ARGS:-} >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^cpx-server listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$log")
    [ -n "$port" ] && break
    sleep 0.05
  done
  if [ -z "$port" ]; then cat "$log" >&2; kill "$pid"; exit 1; fi
  local status=0
  "$build/cpx-load" --mode "$1" --port "$port" --rate "$2" --seconds "$3" --connections "$4" \
    --subscribers "${5:-1000}" "${@:6}" || status=$?
  kill -TERM "$pid"
  wait "$pid" || true
  rm -f "$log"
  return $status
}

