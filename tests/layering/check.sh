#!/usr/bin/env bash
# Checks that the build enforces the layer order: the positive probe (core including core)
# builds, and the upward probe (core including run) fails because the header is not visible.
# usage: check.sh BUILD_DIR
set -uo pipefail
build=$1
if ! out=$(cmake --build "$build" --target landscape_layering_ok 2>&1); then
  echo "FAIL: the positive control (core including core) did not build:"; echo "$out"; exit 1
fi
if out=$(cmake --build "$build" --target landscape_layering_up 2>&1); then
  echo "FAIL: a core source including landscape/run/experiment.hpp compiled"; exit 1
fi
if ! grep -q "landscape/run/experiment.hpp: No such file" <<<"$out"; then
  echo "FAIL: the upward probe failed, but not for the missing header:"; echo "$out"; exit 1
fi
echo "ok: core cannot include run's headers; core's own headers compile"
