#!/usr/bin/env bash
# Runs a Python test of the package: run_python.sh PYTHON MODULES ARGS...: exit 77 (skipped)
# where one of the comma-separated MODULES (numpy, pandas, pytest) is not installed; an error
# where the built package itself does not import; else PYTHON ARGS...
set -u
python=$1 modules=$2
shift 2
for m in ${modules//,/ }; do
  if ! "$python" -c "import $m" 2>/dev/null; then
    echo "$m is not installed for $python: skipped"; exit 77
  fi
done
if ! "$python" -c "import landscape" 2>/dev/null; then
  echo "the landscape package does not import (PYTHONPATH=${PYTHONPATH:-}):"
  "$python" -c "import landscape"; exit 1
fi
exec "$python" "$@"
