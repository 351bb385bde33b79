#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and runs the exchange.
# Until the gateway lands, "the exchange" is the replay tool on a bundled example stream
# (examples/demo.jsonl), or on the file given as the first argument.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
input="${1:-examples/demo.jsonl}"
echo "== cpx-replay < $input" >&2
build/cpx-replay < "$input"
