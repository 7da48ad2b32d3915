#!/usr/bin/env bash
# One sitting on the CPU: landscape (SIMD lanes on compressed data, SIMD per-sample, the scalar
# reference loop) and the PyTorch and JAX peers on the same exported workloads, raw outputs
# under OUT with the machine, date, commit and load average (env.txt).
# usage: bench/cpu_peers.sh OUT [BUILD_DIR]   (needs a quiet machine; the peers need torch and
# jax: bash scripts/install-deps.sh --peers)
set -uo pipefail
out=${1:?usage: bench/cpu_peers.sh OUT [BUILD_DIR]}
build=${2:-build}
cd "$(dirname "$0")/.."
B=$build/landscape
mkdir -p "$out"
{ date -u +%FT%TZ; uname -a; nproc; lscpu | grep -E "Model name|Flags"; git rev-parse HEAD; uptime; } > "$out/env.txt"
$B version > "$out/version.txt"
$B bench --backend cpu --json "$out/landscape-simd-cpu.json" > "$out/landscape-simd-cpu.txt" 2>&1
$B bench --backend cpu --per-sample --workload W-S --workload W-M \
  --json "$out/landscape-simd-per-sample-cpu.json" > "$out/landscape-simd-per-sample-cpu.txt" 2>&1
LANDSCAPE_SIMD=scalar $B bench --backend cpu --json "$out/landscape-scalar-cpu.json" \
  > "$out/landscape-scalar-cpu.txt" 2>&1
# W-S again between the other runs: its training stage is a tenth of a second, so one run says
# more about the machine's state at that moment than about the code; the table gives the
# median share of the peak over all of them too.
rep=0
ws_again() {
  rep=$((rep + 1))
  $B bench --backend cpu --workload W-S --json "$out/landscape-simd-cpu-W-S-repeat$rep.json" \
    > "$out/landscape-simd-cpu-W-S-repeat$rep.txt" 2>&1
}
ws_again
wl=$(mktemp -d)
$B bench --export "$wl" > /dev/null
for w in W-S W-M W-P; do
  max=2000; [ "$w" != W-S ] && max=400  # per-network rates; W-M and W-P take minutes per 1,000
  python3 bench/peers/torch_peer.py "$wl/$w.json" --device cpu --max-networks $max \
    --out "$out/torch-cpu-$w.json" > "$out/torch-cpu-$w.txt" 2>&1
  ws_again
  python3 bench/peers/jax_peer.py "$wl/$w.json" --device cpu --max-networks $max \
    --out "$out/jax-cpu-$w.json" > "$out/jax-cpu-$w.txt" 2>&1
  ws_again
done
rm -rf "$wl"
uptime >> "$out/env.txt"
python3 bench/cpu_table.py "$out" | tee "$out/table.md"
