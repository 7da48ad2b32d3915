#!/usr/bin/env bash
# The GPU check: one command for a lent GPU machine (H100/H200 with nvcc, cmake, PyTorch and
# JAX, no network, no Debian -dev packages), under 8 minutes, that loses as little as possible
# when something fails. In order, each step with a timeout and a line in $OUT/steps.tsv:
#   1. meta        the environment (GPU, driver, nvcc, Python packages, commit)
#   2. probe       the batched eigensolvers' real batch limits (bench/solver_probe.cu, compiled
#                  on its own in seconds, so it runs even when the build fails)
#   3. build       Ninja where present, -j$(nproc), with the carried .deps/ (scripts/vendor-deps.sh)
#   4. gpu tests   every GPU test in its own process, with a timeout and a JSON result
#                  (gpu-tests/NAME.json; a skipped test fails the check)
#   5. bench       `landscape bench`, one workload per process: W-S below and above the solver
#                  batch cap, W-M and W-P at --scale 0.1; merged into bench.json
#   6. peers       PyTorch and JAX on the same workloads, sharing the time left
#   7. sanitizers  compute-sanitizer memcheck, then racecheck and synccheck on the warp-group
#                  trainers, while time is left
#   8. summary     scripts/gpu_summary.py (summary.json, summary.md), and one archive of
#                  everything: $OUT/gpu-check.tgz
#
#   bash scripts/gpu-check.sh                           # from the repository root
#   OUT=/tmp/gc GPU_CHECK_BUDGET=470 bash scripts/gpu-check.sh
#   GPU_CHECK_PART=summary OUT=d bash scripts/gpu-check.sh   # only the summary of a folder
#   GPU_CHECK_CMAKE_ARGS=-DLANDSCAPE_ENABLE_CUDA=OFF GPU_CHECK_BENCH_ARGS="--steps 5" ...
#       a rehearsal on a machine without a GPU (extra configure options, shorter benchmarks)
#
# Installs nothing and changes no GPU setting (nvidia-smi is only queried). On a machine
# without a GPU every step still runs, skips or fails with a clear line (a rehearsal). Exit
# status: 0 when the build and every GPU test passed on a GPU, 1 otherwise, 2 when build
# prerequisites are missing.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-gpu-check-out}
BUILD=${BUILD_DIR:-build-gpu}
BUDGET=${GPU_CHECK_BUDGET:-470}        # seconds for the whole command
TEST_TIMEOUT=${GPU_TEST_TIMEOUT:-120}  # seconds per GPU test
PEER_STAGE_BUDGET=${PEER_STAGE_BUDGET:-15}
PART=${GPU_CHECK_PART:-all}            # all | summary
case "$PART" in all|summary) ;; *) echo "GPU_CHECK_PART must be all or summary" >&2; exit 2;; esac
RESERVE=20  # seconds kept back for the summary and the archive
mkdir -p "$OUT"
OUT_ABS=$(cd "$OUT" && pwd)
START=$(date +%s)
STEPS="$OUT/steps.tsv"
export PATH="$PATH:/usr/local/cuda/bin"
JOBS=$(nproc 2>/dev/null || echo 4)

say() { echo "[gpu-check $(date -u +%H:%M:%S)] $*" >&2; }
remaining() { echo $((START + BUDGET - $(date +%s) - RESERVE)); }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$STEPS"; }

# step NAME LOG MAX_SECONDS CMD...: runs CMD with a timeout of min(MAX_SECONDS, time left),
# logs stdout+stderr to LOG, records "NAME rc seconds LOG" and returns rc (124 = timed out,
# 125 = skipped because the budget was spent).
step() {
  local name=$1 log=$2 max=$3
  shift 3
  local left t0 rc
  left=$(remaining)
  if [ "$left" -le 5 ]; then
    say "$name: skipped, time budget spent"
    echo "skipped: time budget spent" > "$log"
    record "$name" 125 0 "$log"
    return 125
  fi
  [ "$max" -gt "$left" ] && max=$left
  say "$name (timeout ${max}s) -> $log"
  t0=$(date +%s)
  timeout --kill-after=10 "$max" "$@" > "$log" 2>&1
  rc=$?
  record "$name" "$rc" $(($(date +%s) - t0)) "$log"
  [ "$rc" -ne 0 ] && say "$name: exit status $rc (see $log)"
  return "$rc"
}

write_meta() {
  {
    echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    if command -v git >/dev/null && git rev-parse HEAD >/dev/null 2>&1; then
      echo "git_commit: $(git rev-parse HEAD)"
      echo "git_dirty_files: $(git --no-optional-locks status --porcelain 2>/dev/null | wc -l)"
    else
      echo "git_commit: unavailable"
    fi
    echo "host: $(uname -srm), $JOBS CPUs"
    echo "--- nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv"
    nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv 2>&1 || echo "nvidia-smi failed"
    echo "--- nvidia-smi"
    nvidia-smi 2>&1 || echo "nvidia-smi failed"
    echo "--- nvcc --version"
    nvcc --version 2>&1 || echo "nvcc not found"
    echo "--- cmake --version"
    cmake --version 2>&1 | head -1
    echo "--- python"
    python3 - <<'EOF' 2>&1
import importlib, sys
print("python", sys.version.split()[0])
for m in ("numpy", "torch", "jax"):
    try:
        print(m, importlib.import_module(m).__version__)
    except Exception as e:  # noqa: BLE001
        print(m, "unavailable:", type(e).__name__, e)
EOF
  } > "$OUT/meta.txt"
  say "meta -> $OUT/meta.txt"
}

# The solver probe needs only nvcc and cuSOLVER: compiled alone, before the build.
run_probe() {
  if ! command -v nvcc >/dev/null; then
    echo "nvcc not found" > "$OUT/probe.log"; record probe NA 0 "$OUT/probe.log"; return
  fi
  step probe-build "$OUT/probe-build.log" 60 \
    nvcc -std=c++17 -O2 -arch=sm_90 bench/solver_probe.cu -o "$OUT/solver_probe" -lcusolver || return
  step probe "$OUT/probe.log" 60 bash -c "'$OUT/solver_probe' > '$OUT/solver-probe.jsonl'"
}

# Prerequisites: on a machine without network, missing packages are reported and the check
# stops (rc 2); the carried .deps/ replaces Debian's -dev packages.
CMAKE_EXTRA=()
check_prerequisites() {
  local missing=() p tool
  for tool in g++ cmake; do command -v "$tool" >/dev/null || missing+=("$tool (command)"); done
  if command -v ninja >/dev/null; then CMAKE_EXTRA+=(-G Ninja)
  elif ! command -v make >/dev/null; then missing+=("make or ninja (command)"); fi
  if [ -d .deps ]; then
    CMAKE_EXTRA+=("-DCMAKE_PREFIX_PATH=$PWD/.deps")
    echo "build dependencies: carried .deps/ (scripts/vendor-deps.sh)" >> "$OUT/meta.txt"
  elif command -v dpkg-query >/dev/null; then
    for p in pkg-config libeigen3-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev \
             libgtest-dev libgmock-dev libsqlite3-dev libspectra-dev; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
  fi
  command -v nvcc >/dev/null || missing+=("nvcc (CUDA toolkit)")
  if [ ${#missing[@]} -gt 0 ]; then
    say "missing build prerequisites: ${missing[*]}; install them or carry .deps/ (scripts/vendor-deps.sh)"
    echo "missing: ${missing[*]}" > "$OUT/prerequisites.txt"
    record prerequisites 2 0 "$OUT/prerequisites.txt"
    return 1
  fi
}

build() {
  step configure "$OUT/configure.log" 120 cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DLANDSCAPE_BUILD_BENCH=ON "${CMAKE_EXTRA[@]}" ${GPU_CHECK_CMAKE_ARGS:-} || return 1
  step build "$OUT/build.log" 300 cmake --build "$BUILD" -j"$JOBS" --target landscape || return 1
  # The GPU tests apart: without them the benchmarks and peers still run (run_gpu_tests says why).
  step build-gpu-tests "$OUT/build-gpu-tests.log" 200 cmake --build "$BUILD" -j"$JOBS" --target landscape_gpu_tests
  return 0
}

# Every GPU test in its own process: a crash or hang loses that test only. Writes
# gpu-tests/NAME.json (GoogleTest's JSON) and gpu-tests.log in CTest's summary format, which
# gpu_summary.py reads; returns 1 when a test failed, timed out or was skipped.
run_gpu_tests() {
  local bin="$BUILD/tests/landscape_gpu_tests" t0 tests name rc total=0 failed=0 k=0
  if [ ! -x "$bin" ]; then
    echo "no $bin: the CUDA backend was not built (see configure.log and build-gpu-tests.log)" > "$OUT/gpu-tests.log"
    say "gpu_tests: $(cat "$OUT/gpu-tests.log")"
    record gpu_tests 1 0 "$OUT/gpu-tests.log"
    return 1
  fi
  mkdir -p "$OUT/gpu-tests"
  t0=$(date +%s)
  tests=$("$bin" --gtest_list_tests | awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}')
  : > "$OUT/gpu-tests.log"
  for name in $tests; do
    k=$((k + 1)); total=$((total + 1))
    local safe=${name//\//_}
    step "gpu-test-$safe" "$OUT/gpu-tests/$safe.log" "$TEST_TIMEOUT" \
      "$bin" "--gtest_filter=$name" "--gtest_output=json:$OUT/gpu-tests/$safe.json"
    rc=$?
    if [ "$rc" -ne 0 ]; then
      failed=$((failed + 1)); echo "Test #$k: $name ... Failed (rc $rc)" >> "$OUT/gpu-tests.log"
    elif grep -q '"result": "SKIPPED"' "$OUT/gpu-tests/$safe.json" 2>/dev/null; then
      echo "Test #$k: $name ... Skipped" >> "$OUT/gpu-tests.log"
    else
      echo "Test #$k: $name ... Passed" >> "$OUT/gpu-tests.log"
    fi
  done
  local pct=0
  [ "$total" -gt 0 ] && pct=$(( (total - failed) * 100 / total ))
  echo "$pct% tests passed, $failed tests failed out of $total" >> "$OUT/gpu-tests.log"
  rc=0
  { [ "$failed" -gt 0 ] || [ "$total" -eq 0 ] || grep -q "Skipped" "$OUT/gpu-tests.log"; } && rc=1
  record gpu_tests "$rc" $(($(date +%s) - t0)) "$OUT/gpu-tests.log"
  return "$rc"
}

# One workload per process, so one failure loses one workload: W-S once below and once above
# the solver batch cap (one solver call, then several), W-M and W-P at a tenth of their size.
run_bench() {
  local L="$BUILD/landscape" extra=(${GPU_CHECK_BENCH_ARGS:-})  # e.g. "--steps 5" in a rehearsal
  step bench-W-S-below "$OUT/bench-W-S-below.log" 60 "$L" bench --workload W-S --networks 12000 "${extra[@]}" --json "$OUT/bench-W-S-below.json"
  step bench-W-S-above "$OUT/bench-W-S-above.log" 90 "$L" bench --workload W-S --networks 40000 "${extra[@]}" --json "$OUT/bench-W-S-above.json"
  step bench-W-M "$OUT/bench-W-M.log" 90 "$L" bench --workload W-M --scale 0.1 "${extra[@]}" --json "$OUT/bench-W-M.json"
  step bench-W-P "$OUT/bench-W-P.log" 90 "$L" bench --workload W-P --scale 0.1 "${extra[@]}" --json "$OUT/bench-W-P.json"
  # bench.json for the summary: W-S above the cap (the larger run), W-M, W-P.
  python3 - "$OUT" <<'EOF' > "$OUT/bench-merge.log" 2>&1
import json, os, sys
out = sys.argv[1]
merged = None
for part in ("bench-W-S-above", "bench-W-M", "bench-W-P"):
    try:
        with open(os.path.join(out, part + ".json")) as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{part}.json: {e}")
        continue
    if merged is None:
        merged = dict(j, workloads=[])
    merged["workloads"] += j.get("workloads", [])
if merged is not None:
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(merged, f, indent=2)
    print("bench.json:", [w.get("name") for w in merged["workloads"]])
EOF
  step export "$OUT/export.log" 30 "$L" bench --export "$OUT/workloads"
}

run_peers() {
  local wl_dir="$OUT/workloads" runs_left=6 w p share
  [ -f "$wl_dir/W-S.json" ] || wl_dir=bench/peers/workloads  # the committed copies
  for w in W-S W-M W-P; do
    for p in torch jax; do
      share=$(( $(remaining) / runs_left ))
      [ "$share" -gt 90 ] && share=90
      step "peer-$p-$w" "$OUT/peer-$p-$w.log" "$share" \
        python3 "bench/peers/${p}_peer.py" "$wl_dir/$w.json" --device cuda \
          --stage-budget "$PEER_STAGE_BUDGET" --out "$OUT/peer-$p-$w.json"
      runs_left=$((runs_left - 1))
    done
  done
}

# compute-sanitizer on the smallest cases of every kernel path (memcheck), then racecheck and
# synccheck on the warp-group trainers (shared memory and __syncwarp), while time is left.
run_sanitizers() {
  local san bin="$BUILD/tests/landscape_gpu_tests"
  san=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  if [ ! -x "$san" ] || [ ! -x "$bin" ]; then
    echo "compute-sanitizer or $bin not found" > "$OUT/memcheck.log"
    record memcheck NA 0 "$OUT/memcheck.log"
    return
  fi
  local all="Configs/CudaParity.*/linear_6_4_4_6_float32:Configs/CudaParity.*/leaky_32_16_8_4_*:Configs/CudaParity.*/linear_5_7_3_*:Configs/CudaParity.*/linear_3_4_2_*:CudaAnalyze.*:CudaEigen.*"
  local group="Configs/CudaParity.*/linear_16_16_16_16_*:Configs/CudaParity.*/leaky_32_16_8_4_*"
  step memcheck "$OUT/memcheck.log" 150 "$san" --tool memcheck --error-exitcode 1 "$bin" "--gtest_filter=$all"
  step racecheck "$OUT/racecheck.log" 120 "$san" --tool racecheck --error-exitcode 1 "$bin" "--gtest_filter=$group"
  step synccheck "$OUT/synccheck.log" 120 "$san" --tool synccheck --error-exitcode 1 "$bin" "--gtest_filter=$group"
}

pack() {
  local tmp="$(dirname "$OUT_ABS")/.gpu-check-pack.$$.tgz"
  tar czf "$tmp" -C "$OUT_ABS" --exclude=./workloads --exclude=./gpu-check.tgz --exclude=./solver_probe . \
    && mv "$tmp" "$OUT_ABS/gpu-check.tgz" && say "packed -> $OUT/gpu-check.tgz"
}

status=0
if [ "$PART" = all ]; then
  printf 'step\trc\tseconds\tlog\n' > "$STEPS"
  write_meta
  run_probe
  if ! check_prerequisites; then
    python3 scripts/gpu_summary.py "$OUT_ABS" || say "summary failed"
    pack
    exit 2
  fi
  if build; then
    run_gpu_tests || status=1
    run_bench
    run_peers
    run_sanitizers
  else
    status=1
    run_peers  # from the committed workload files: the peers need no build
  fi
fi
python3 scripts/gpu_summary.py "$OUT_ABS" || say "summary failed"
[ "$PART" = all ] && pack
say "done in $(( $(date +%s) - START )) s; exit status $status (0 = build and every GPU test passed)"
exit $status
