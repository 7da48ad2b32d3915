#!/usr/bin/env bash
# MPI scaling of `landscape bench` on W-S: a plain process with 1 thread, `mpirun -np 1` with
# 1 thread, and `mpirun -np 2` with 1 thread per rank, each writing its raw JSON into OUT; then
# the SQLite writer's rate (landscape_bench_store), and a summary.json with the ratios the
# targets speak of (2 ranks ≥ 1.8× one rank; one rank under MPI within 3% of a plain run).
# Run it on an otherwise quiet machine with at least two cores.
#
# usage: bench/mpi_scaling.sh OUT [BUILD_DIR]
#   environment: MPI_SCALING_ARGS  extra `landscape bench` arguments (default: none; e.g.
#                "--networks 1000 --steps 500" for a quick rehearsal)
set -euo pipefail
out=${1:?usage: bench/mpi_scaling.sh OUT [BUILD_DIR]}
build=${2:-build}
bin=$build/landscape
[ -x "$bin" ] || { echo "error: $bin not found (build first, or give BUILD_DIR)" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "error: mpirun not found (install openmpi-bin)" >&2; exit 1; }
"$bin" version | grep -q "mpi: not built" && { echo "error: $bin was built without MPI" >&2; exit 1; }
mkdir -p "$out"
mpirun=(mpirun --oversubscribe --bind-to core)
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
args=(bench --workload W-S --backend cpu --threads 1 ${MPI_SCALING_ARGS:-})

{ date -u +%FT%TZ; uname -a; nproc; "$bin" version; git rev-parse --short HEAD 2>/dev/null || true; } > "$out/env.txt"
echo "plain, 1 thread" >&2
"$bin" "${args[@]}" --json "$out/plain-1x1.json" | tee "$out/plain-1x1.txt"
echo "mpirun -np 1, 1 thread" >&2
"${mpirun[@]}" -np 1 "$bin" "${args[@]}" --json "$out/mpi-1x1.json" --baseline "$out/plain-1x1.json" |
  tee "$out/mpi-1x1.txt"
echo "mpirun -np 2, 1 thread per rank" >&2
"${mpirun[@]}" -np 2 "$bin" "${args[@]}" --json "$out/mpi-2x1.json" --baseline "$out/mpi-1x1.json" |
  tee "$out/mpi-2x1.txt"
echo "one SQLite writer (rank 0's commits)" >&2
"$build/landscape_bench_store" --db "$out/bench-store.db" | tee "$out/store.json"

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def load(name):
    return json.load(open(f"{out}/{name}.json"))
def ws(j):
    return next(w for w in j["workloads"] if w["name"] == "W-S")
plain, one, two = (ws(load(n)) for n in ("plain-1x1", "mpi-1x1", "mpi-2x1"))
rate = lambda w: w["mpi"]["aggregate_networks_per_second"] if w.get("mpi") else w["stages"]["total"]["networks_per_second"]
s = {
    "plain_1x1_networks_per_second": rate(plain),
    "mpi_1x1_networks_per_second": rate(one),
    "mpi_2x1_networks_per_second": rate(two),
    "mpi_1x1_over_plain": rate(one) / rate(plain),
    "mpi_2x1_over_mpi_1x1": rate(two) / rate(one),
    "mpi_2x1_per_rank": two["mpi"]["per_rank"],
    "target_2x1_at_least_1.8x": rate(two) / rate(one) >= 1.8,
    "target_1x1_within_3_percent_of_plain": abs(rate(one) / rate(plain) - 1) <= 0.03,
    "sqlite_writer": json.load(open(f"{out}/store.json")),
}
json.dump(s, open(f"{out}/summary.json", "w"), indent=2)
print(json.dumps(s, indent=2))
PY
rm -f "$out/bench-store.db" "$out/bench-store.db.lock"
