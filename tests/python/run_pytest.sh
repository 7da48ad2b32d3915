#!/usr/bin/env bash
# Runs the Python package's tests: run_pytest.sh PYTHON TESTS_DIR WORK_DIR. Exit 77 (skipped)
# where pytest or the built package cannot be imported.
set -u
python=$1 tests=$2 work=$3
if ! "$python" -c "import pytest" 2>/dev/null; then
  echo "pytest is not installed for $python: skipped"; exit 77
fi
if ! "$python" -c "import landscape" 2>/dev/null; then
  echo "the landscape package does not import (PYTHONPATH=${PYTHONPATH:-}):"
  "$python" -c "import landscape"; exit 1
fi
rm -rf "$work" && mkdir -p "$work"
exec "$python" -m pytest -q -p no:cacheprovider --basetemp="$work/tmp" "$tests"
