#!/usr/bin/env bash
# Golden-output test: runs the frozen experiments of tests/golden/inputs as a suite (scale 0.1)
# and compares every CSV and JSON it writes (sample outputs, report data files, suite tables)
# with tests/golden/expected, ignoring only timings, timestamps and paths.
# usage: run_golden.sh LANDSCAPE_BINARY SOURCE_DIR WORK_DIR
set -euo pipefail
bin=$1 src=$2 work=$3
rm -rf "$work"
cd "$src"
"$bin" suite tests/golden/inputs --scale 0.1 --out "$work" --quiet >/dev/null
python3 tests/golden/compare_outputs.py tests/golden/expected "$work"
