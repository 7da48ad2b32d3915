#!/usr/bin/env bash
# Installs the Debian packages landscape needs. Idempotent; silent when everything is present.
# --test also installs what only the test suite needs (chromium, for the report render test;
# NumPy, pandas and pytest, for the Python package's tests); if that fails the tests that need
# them report themselves skipped, and everything else still runs.
# Open MPI (openmpi-bin, libopenmpi-dev) is optional: with it the build has the MPI path
# (`mpirun -np K landscape sample …`) and the MPI tests run; without it they report skipped.
# --mpich also installs MPICH (mpich, libmpich-dev) for scripts/mpich-check.sh, keeping Open MPI
# the default mpirun/mpicxx (CI machines have Open MPI only; this flag is not for them).
# --peers also pip-installs PyTorch and JAX into the `python3` on PATH, for the benchmark peers
# (bench/peers/, bench/cpu_peers.sh; measured with torch 2.15.0 and jax 0.10.2). Not for CI.
set -euo pipefail

want_test=0 want_mpich=0 want_peers=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --mpich) want_mpich=1 ;;
    --peers) want_peers=1 ;;
    *) echo "error: unknown option '$arg' (expected --test, --mpich, --peers)" >&2; exit 2 ;;
  esac
done

packages=(g++ cmake make pkg-config libeigen3-dev libcli11-dev libtomlplusplus-dev
          nlohmann-json3-dev libgtest-dev libgmock-dev libsqlite3-dev python3-dev pybind11-dev
          libspectra-dev libhwy-dev liblapacke-dev libopenblas-dev)
test_packages=()
if [ "$want_test" = 1 ]; then
  test_packages=(chromium python3 python3-numpy python3-pandas python3-pytest openmpi-bin libopenmpi-dev)
fi
mpich_packages=()
[ "$want_mpich" = 1 ] && mpich_packages=(mpich libmpich-dev)

missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
# The Python package's tests run under the `python3` on PATH, which need not be Debian's (pyenv,
# a virtual environment): give it NumPy, pandas and pytest from PyPI when it lacks them.
if [ "$want_test" = 1 ] && command -v python3 >/dev/null && ! python3 -c "import numpy, pandas, pytest" 2>/dev/null; then
  echo "installing (tests only, PyPI): numpy pandas pytest for $(command -v python3)" >&2
  python3 -m pip install --quiet numpy pandas pytest >/dev/null 2>&1 ||
    echo "warning: could not pip install numpy pandas pytest; the Python tests will report themselves skipped" >&2
fi
if [ "$want_peers" = 1 ] && ! python3 -c "import torch, jax" 2>/dev/null; then
  echo "installing (benchmark peers only, PyPI): torch jax for $(command -v python3)" >&2
  python3 -m pip install --quiet torch jax
fi
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t missing_test < <(missing_of "${test_packages[@]}")
mapfile -t missing_mpich < <(missing_of "${mpich_packages[@]}")
[ ${#missing[@]} -eq 0 ] && [ ${#missing_test[@]} -eq 0 ] && [ ${#missing_mpich[@]} -eq 0 ] && exit 0

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
if [ ${#missing_mpich[@]} -gt 0 ]; then
  echo "installing (MPICH check only): ${missing_mpich[*]}" >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing_mpich[@]}" >/dev/null
  # Debian's alternatives prefer Open MPI; should MPICH have taken mpirun/mpicxx over where
  # Open MPI is installed, give them back to Open MPI (the build and CI use it by default).
  for alt in mpi mpirun; do
    cur=$(update-alternatives --query "$alt" 2>/dev/null | sed -n 's/^Value: //p' || true)
    openmpi=$(update-alternatives --list "$alt" 2>/dev/null | grep openmpi | head -1 || true)
    if [[ "$cur" == *mpich* ]] && [ -n "$openmpi" ]; then
      $SUDO update-alternatives --set "$alt" "$openmpi" >/dev/null
    fi
  done
fi
