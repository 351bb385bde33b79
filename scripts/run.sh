#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and runs the exchange
# (cpx-server on 127.0.0.1:8080 unless CPX_LISTEN or --listen says otherwise; it prints where it
# listens and the operator key). Arguments go to cpx-server (see build/cpx-server --help).
# Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/cpx-server "$@"
