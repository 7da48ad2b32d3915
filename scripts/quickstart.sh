#!/usr/bin/env bash
# Fresh machine to first result: install what is missing, build Release, run the default
# experiment and print its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/landscape sample examples/default.toml
