#!/usr/bin/env bash
# Installs the Debian 12 packages the exchange builds with, when any is missing.
# Idempotent and quiet when nothing is missing.
set -euo pipefail

packages=(build-essential cmake pkg-config libboost1.81-dev libsimdjson-dev libpqxx-dev libpq-dev libssl-dev
          doctest-dev libbenchmark-dev postgresql clang-format)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
