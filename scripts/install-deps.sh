#!/usr/bin/env bash
# Installs the Debian packages landscape needs. Idempotent; silent when everything is present.
# --test also installs what only the test suite needs (chromium, for the report render test).
set -euo pipefail

packages=(g++ cmake make pkg-config libeigen3-dev libcli11-dev libtomlplusplus-dev
          nlohmann-json3-dev libgtest-dev libgmock-dev libsqlite3-dev)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium python3)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
