#!/usr/bin/env bash
# One command for a GPU machine (H100/H200 with nvcc, cmake, PyTorch and JAX, no network):
# builds the CUDA backend, runs the GPU tests (plus compute-sanitizer memcheck) and the CPU
# suite, times `landscape bench` and the PyTorch/JAX peers on the same workloads, and writes
# everything into $OUT (default gpu-check-out/), ending with $OUT/summary.json and summary.md
# (scripts/gpu_summary.py: the figures side by side and every target judged).
#
#   bash scripts/gpu-check.sh                     # from the repository root
#   OUT=/tmp/gc GPU_CHECK_BUDGET=1200 bash scripts/gpu-check.sh
#
# Where one command may run only ten minutes, split it (same OUT layout, merged afterwards):
#   GPU_CHECK_PART=ours  GPU_CHECK_BUDGET=560 PACK=ours.tgz  bash scripts/gpu-check.sh
#       build, GPU tests, our benchmark, memcheck, then the fused/general and overlap A/B runs
#       while time is left (in that order of priority)
#   GPU_CHECK_PART=peers GPU_CHECK_BUDGET=560 PACK=peers.tgz bash scripts/gpu-check.sh
#       the PyTorch and JAX peers only, on bench/peers/workloads/ (no build needed)
#   GPU_CHECK_PART=ab    GPU_CHECK_BUDGET=560 PACK=ab.tgz    bash scripts/gpu-check.sh
#       build, the A/B runs and then memcheck, where the ours part ran out of time for them
#       (GPU_CHECK_MEMCHECK=0 leaves memcheck out when the ours part ran it)
#   tar xzf ours.tgz -C d; tar xzf peers.tgz -C d; python3 scripts/gpu_summary.py d
#       (or GPU_CHECK_PART=summary OUT=d bash scripts/gpu-check.sh)
#
# Installs nothing and changes no GPU setting (nvidia-smi is only queried). Exit status: 0 when
# the build and the GPU tests pass (benchmark and peer failures are recorded, not fatal), 1 when
# the build or a GPU test fails or the GPU tests did not run on a GPU, 2 when build
# prerequisites are missing. Every step has a timeout derived from GPU_CHECK_BUDGET (seconds,
# default 1440) so the whole run stays under about 25 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-gpu-check-out}
BUILD=${BUILD_DIR:-build-gpu}
BUDGET=${GPU_CHECK_BUDGET:-1440}
PEER_STAGE_BUDGET=${PEER_STAGE_BUDGET:-20}
PART=${GPU_CHECK_PART:-all}  # all | ours | peers | ab | summary
case "$PART" in all|ours|peers|ab|summary) ;; *) echo "GPU_CHECK_PART must be all, ours, peers, ab or summary" >&2; exit 2;; esac
WORKLOADS=(W-S W-M W-P)
PEERS=(torch jax)
RESERVE=30  # seconds kept back for the summary
mkdir -p "$OUT"
OUT_ABS=$(cd "$OUT" && pwd)
START=$(date +%s)
STEPS="$OUT/steps-$PART.tsv"
[ "$PART" = summary ] || printf 'step\trc\tseconds\tlog\n' > "$STEPS"
export PATH="$PATH:/usr/local/cuda/bin"
JOBS=$(nproc 2>/dev/null || echo 4)

say() { echo "[gpu-check $(date -u +%H:%M:%S)] $*" >&2; }
remaining() { echo $((START + BUDGET - $(date +%s) - RESERVE)); }

# step NAME LOG MAX_SECONDS CMD...: runs CMD with a timeout of min(MAX_SECONDS, time left),
# logs stdout+stderr to LOG, records "NAME rc seconds LOG" in steps.tsv and returns rc
# (124 = timed out, 125 = skipped because the budget was spent).
step() {
  local name=$1 log=$2 max=$3
  shift 3
  local left t0 rc
  left=$(remaining)
  if [ "$left" -le 5 ]; then
    say "$name: skipped, time budget spent"
    echo "skipped: time budget spent" > "$log"
    printf '%s\t%s\t%s\t%s\n' "$name" 125 0 "$log" >> "$STEPS"
    return 125
  fi
  [ "$max" -gt "$left" ] && max=$left
  say "$name (timeout ${max}s) -> $log"
  t0=$(date +%s)
  timeout --kill-after=15 "$max" "$@" > "$log" 2>&1
  rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" $(($(date +%s) - t0)) "$log" >> "$STEPS"
  [ "$rc" -ne 0 ] && say "$name: exit status $rc (see $log)"
  return "$rc"
}

# ---- compute-sanitizer memcheck over the GPU test binary
run_memcheck() {
  local sanitizer
  sanitizer=$(command -v compute-sanitizer || true)
  [ -z "$sanitizer" ] && [ -x /usr/local/cuda/bin/compute-sanitizer ] && sanitizer=/usr/local/cuda/bin/compute-sanitizer
  if [ -n "$sanitizer" ] && [ -x "$BUILD/tests/landscape_gpu_tests" ]; then
    # Every kernel path once, on the smallest cases: fused stream and group kernels, the general
    # kernel, the Hessian kernels and both eigensolvers (memcheck slows kernels a hundredfold).
    step memcheck "$OUT/memcheck-$PART.log" 300 \
      "$sanitizer" --tool memcheck --error-exitcode 1 "$BUILD/tests/landscape_gpu_tests" \
        "--gtest_filter=${MEMCHECK_FILTER:-Configs/CudaParity.*/linear_6_4_4_6_float32:Configs/CudaParity.*/leaky_32_16_8_4_*:Configs/CudaParity.*/linear_5_7_3_*:Configs/CudaParity.*/linear_3_4_2_*:CudaAnalyze.*:CudaEigen.*}"
  else
    echo "compute-sanitizer not found" > "$OUT/memcheck-$PART.log"
    printf '%s\t%s\t%s\t%s\n' memcheck NA 0 "$OUT/memcheck-$PART.log" >> "$STEPS"
  fi
}

run_ours() { [ "$PART" = all ] || [ "$PART" = ours ]; }
run_build() { run_ours || [ "$PART" = ab ]; }
run_peers() { [ "$PART" = all ] || [ "$PART" = peers ]; }
META="$OUT/meta.txt"
[ "$PART" = peers ] && META="$OUT/meta-peers.txt"
status=0
build_ok=1
if [ "$PART" != summary ]; then
# ---- meta
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
} > "$META"
say "meta -> $META"
fi

if run_build; then
# ---- prerequisites (this machine has no network: report what is missing and stop)
# Without network, Debian's -dev packages can be carried instead: scripts/vendor-deps.sh
# (run where they are installed) fills .deps/, which is then used as CMAKE_PREFIX_PATH.
missing=()
CMAKE_EXTRA=()
for tool in g++ cmake; do command -v "$tool" >/dev/null || missing+=("$tool (command)"); done
if ! command -v make >/dev/null; then
  if command -v ninja >/dev/null; then CMAKE_EXTRA+=(-G Ninja); else missing+=("make or ninja (command)"); fi
fi
if [ -d .deps ]; then
  CMAKE_EXTRA+=("-DCMAKE_PREFIX_PATH=$PWD/.deps")
  echo "build dependencies: carried .deps/ (scripts/vendor-deps.sh)" >> "$META"
elif command -v dpkg-query >/dev/null; then
  for p in pkg-config libeigen3-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev \
           libgtest-dev libgmock-dev libsqlite3-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  echo "dpkg-query not found: Debian package check skipped" >> "$META"
fi
command -v nvcc >/dev/null || missing+=("nvcc (CUDA toolkit)")
if [ ${#missing[@]} -gt 0 ]; then
  say "missing build prerequisites: ${missing[*]}"
  say "install them, or carry .deps/ made by scripts/vendor-deps.sh; stopping"
  echo "missing: ${missing[*]}" > "$OUT/prerequisites.txt"
  printf '%s\t%s\t%s\t%s\n' prerequisites 2 0 "$OUT/prerequisites.txt" >> "$STEPS"
  exit 2
fi

# ---- build
step configure "$OUT/configure.log" 300 \
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 "${CMAKE_EXTRA[@]}" || build_ok=0
if [ $build_ok -eq 1 ]; then
  if [ "$PART" = ours ]; then
    # Only what this part runs: the CLI (benchmarks) and the GPU tests; CI runs the CPU suite.
    step build "$OUT/build.log" 900 cmake --build "$BUILD" -j"$JOBS" --target landscape landscape_gpu_tests || build_ok=0
  elif [ "$PART" = ab ]; then
    step build-ab "$OUT/build-ab.log" 900 cmake --build "$BUILD" -j"$JOBS" --target landscape landscape_gpu_tests || build_ok=0
  else
    step build "$OUT/build.log" 900 cmake --build "$BUILD" -j"$JOBS" || build_ok=0
  fi
fi

if [ $build_ok -eq 1 ]; then
  if run_ours; then
    # ---- GPU tests: must exist, run and not be skipped (a GPU check that skips checks nothing)
    if [ ! -x "$BUILD/tests/landscape_gpu_tests" ]; then
      say "no $BUILD/tests/landscape_gpu_tests: the CUDA backend was not built (see configure log)"
      printf '%s\t%s\t%s\t%s\n' gpu_tests 1 0 "$OUT/configure.log" >> "$STEPS"
      status=1
    else
      step gpu_tests "$OUT/gpu-tests.log" 600 \
        ctest --test-dir "$BUILD" -L gpu --output-on-failure --no-tests=error || status=1
      if grep -qE 'Test +#[0-9]+: .*Skipped' "$OUT/gpu-tests.log"; then
        say "GPU tests were skipped: $("$BUILD/landscape" version 2>&1 | tee -a "$OUT/gpu-tests.log")"
        status=1
      fi
    fi
    # ---- our benchmark at full size, and the workloads the peers read
    step bench "$OUT/bench.log" 360 "$BUILD/landscape" bench --all --json "$OUT/bench.json"
    step export "$OUT/export.log" 120 "$BUILD/landscape" bench --export "$OUT/workloads"
    run_memcheck
    # ---- CPU suite (CI runs it too; the split "ours" part leaves it out)
    if [ "$PART" = all ]; then
      step cpu_tests "$OUT/cpu-tests.log" 300 \
        ctest --test-dir "$BUILD" -L cpu --output-on-failure -j"$JOBS"
    fi
  fi
  # ---- A/B runs at a tenth of the standard sizes, each pair in this run: fused kernels against
  # the general per-network kernels, train-ahead against chunk by chunk.
  step bench-ab-fused "$OUT/bench-ab-fused.log" 120 "$BUILD/landscape" bench --all --scale 0.1 --json "$OUT/bench-ab-fused.json"
  step bench-ab-general "$OUT/bench-ab-general.log" 180 \
    env LANDSCAPE_CUDA_FUSED=0 "$BUILD/landscape" bench --all --scale 0.1 --json "$OUT/bench-ab-general.json"
  step bench-ab-no-overlap "$OUT/bench-ab-no-overlap.log" 120 \
    env LANDSCAPE_OVERLAP=0 "$BUILD/landscape" bench --all --scale 0.1 --json "$OUT/bench-ab-no-overlap.json"
  # The ab part then runs memcheck with the time left (GPU_CHECK_MEMCHECK=0: not), for when the
  # ours part ran out of time before it.
  if [ "$PART" = ab ] && [ "${GPU_CHECK_MEMCHECK:-1}" != 0 ]; then run_memcheck; fi
fi
fi

# The peers run even if our build failed: from the workloads just exported, else from the
# committed copies in bench/peers/workloads/ (a CPU test keeps those equal to a fresh export).
if run_peers; then
WL_DIR="$OUT/workloads"
[ -f "$WL_DIR/W-S.json" ] || WL_DIR=bench/peers/workloads
runs_left=$(( ${#WORKLOADS[@]} * ${#PEERS[@]} ))
for w in "${WORKLOADS[@]}"; do
  for p in "${PEERS[@]}"; do
    wl="$WL_DIR/$w.json"
    json="$OUT/peer-$p-$w.json"
    log="$OUT/peer-$p-$w.log"
    if [ ! -f "$wl" ]; then
      echo "no workload file $wl (export failed or did not run)" > "$log"
      printf '%s\t%s\t%s\t%s\n' "peer-$p-$w" NA 0 "$log" >> "$STEPS"
      runs_left=$((runs_left - 1))
      continue
    fi
    # Share what is left fairly among the remaining peer runs; 300 s at most each.
    share=$(( $(remaining) / runs_left ))
    [ "$share" -gt 300 ] && share=300
    step "peer-$p-$w" "$log" "$share" \
      python3 "bench/peers/${p}_peer.py" "$wl" --device cuda --stage-budget "$PEER_STAGE_BUDGET" --out "$json"
    rc=$?
    if [ "$p" = torch ] && [ "$rc" -eq 124 ] && grep -q "compiling the training step" "$log" \
       && ! grep -q "warm-up (torch.compile)" "$log"; then
      # torch.compile can take very long on a cold cache; retry eagerly on what is left.
      say "torch peer on $w timed out; retrying with --compile off"
      mv "$log" "$OUT/peer-$p-$w.compile-timeout.log"
      share=$(( $(remaining) / runs_left ))
      [ "$share" -gt 300 ] && share=300
      step "peer-$p-$w-eager" "$log" "$share" \
        python3 "bench/peers/${p}_peer.py" "$wl" --device cuda --compile off \
          --stage-budget "$PEER_STAGE_BUDGET" --out "$json"
    fi
    runs_left=$((runs_left - 1))
  done
done
fi

# ---- summary: only numbers read from the files above; anything missing is null with a reason
python3 scripts/gpu_summary.py "$OUT_ABS" || say "summary failed"

if [ -n "${PACK:-}" ]; then
  # One archive of every log and JSON (the exported workloads left out), for machines that hand
  # back only a few files.
  # Written beside the folder first: an archive growing inside the folder it reads would be
  # read too (PACK may well point into $OUT).
  tmp_pack="$(dirname "$OUT_ABS")/.gpu-check-pack.$$.tgz"
  tar czf "$tmp_pack" -C "$OUT_ABS" --exclude=./workloads --exclude="./$(basename "$PACK")" . \
    && mv "$tmp_pack" "$PACK" && say "packed -> $PACK"
fi
say "done in $(( $(date +%s) - START )) s; exit status $status (0 = build and GPU tests passed)"
[ $build_ok -eq 1 ] || status=1
exit $status
