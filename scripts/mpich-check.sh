#!/usr/bin/env bash
# Builds landscape against MPICH in its own folder and runs the MPI tests there (distributed_*,
# Mpi.*, Shard.*), launched by MPICH's mpirun (Hydra). Not part of CI, whose machines have Open
# MPI only: it needs the mpich packages (`scripts/install-deps.sh --mpich`), which leave Open
# MPI the default mpirun/mpicxx. Prints the versions, the commit and the test results; exits
# non-zero when a test fails or MPICH is missing.
# usage: scripts/mpich-check.sh [BUILD_DIR]   (default build-mpich)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-mpich}
cxx=/usr/bin/mpicxx.mpich
run=/usr/bin/mpirun.mpich
for f in "$cxx" "$run"; do
  [ -x "$f" ] || { echo "error: $f not found; install MPICH with scripts/install-deps.sh --mpich" >&2; exit 1; }
done

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
echo "mpich: $("$run" --version | grep -m1 -i version | sed 's/[[:space:]]\+/ /g; s/^ //')"
echo "default mpirun: $(readlink -f "$(command -v mpirun)") ($(mpirun --version 2>&1 | head -1))"
echo

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
mkdir -p "$build"
cmake -S . -B "$build" -DLANDSCAPE_ENABLE_CUDA=OFF -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
      -DMPI_CXX_COMPILER="$cxx" -DMPIEXEC_EXECUTABLE="$run" > "$build/configure.log"
grep -E "landscape: MPI|Found MPI" "$build/configure.log" || true
nice cmake --build "$build" -j"$(nproc)" --target landscape landscape_tests > "$build/build.log"
echo "built: $("$build/landscape" version | grep -i '^mpi')"
echo "ldd: $(ldd "$build/landscape" | grep -o 'libmpi[^ ]*' | sort -u | tr '\n' ' ')"
echo
cd "$build"
status=0
ctest -R '^(distributed_|Mpi\.|Shard\.)' --output-on-failure -j2 || status=$?
# What the distributed tests said (they pass their output to the log only): the launcher each
# used and every check.
echo
grep -hE '^(launcher|ok|SKIPPED):' Testing/Temporary/LastTest.log | sort | uniq -c
exit $status
