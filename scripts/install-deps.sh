#!/usr/bin/env bash
# Installs the Debian packages landscape needs. Idempotent; silent when everything is present.
# --test also installs what only the test suite needs (chromium, for the report render test);
# if that fails the render test reports itself skipped, and everything else still runs.
set -euo pipefail

packages=(g++ cmake make pkg-config libeigen3-dev libcli11-dev libtomlplusplus-dev
          nlohmann-json3-dev libgtest-dev libgmock-dev libsqlite3-dev libhwy-dev
          liblapacke-dev libopenblas-dev)
test_packages=()
if [ "${1:-}" = "--test" ]; then
  test_packages=(chromium python3)
fi

missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t missing_test < <(missing_of "${test_packages[@]}")
[ ${#missing[@]} -eq 0 ] && [ ${#missing_test[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root (or sudo) to install: ${missing[*]} ${missing_test[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#missing_test[@]} -gt 0 ]; then
  echo "installing (tests only): ${missing_test[*]}" >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing_test[@]}" >/dev/null ||
    echo "warning: could not install ${missing_test[*]}; the tests that need them will report themselves skipped" >&2
fi
