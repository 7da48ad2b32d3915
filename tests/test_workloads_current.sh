#!/usr/bin/env bash
# The committed peer workloads (bench/peers/workloads/) must equal a fresh `landscape bench
# --export`: the GPU check runs the peers from them when it does not build landscape itself.
# Data and settings must match exactly; the reference losses and eigenvalues (computed by the
# CPU backend) to 1e-12 relative, so another compiler's last-bit rounding does not fail it.
set -euo pipefail
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" bench --export "$tmp" >/dev/null
python3 - "$tmp" "$src/bench/peers/workloads" <<'PY'
import json, math, sys
fresh, committed = sys.argv[1], sys.argv[2]
def same(a, b, path, tol):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            same(a[k], b[k], f"{path}.{k}", 1e-12 if k in ("final_loss", "eigenvalues") else tol) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(
            same(x, y, f"{path}[{i}]", tol) for i, (x, y) in enumerate(zip(a, b)))
    if isinstance(a, float) and isinstance(b, (int, float)) and tol > 0:
        if math.isclose(a, b, rel_tol=tol, abs_tol=tol):
            return True
    elif a == b:
        return True
    print(f"{path}: fresh {a!r}, committed {b!r}", file=sys.stderr)
    return False
ok = True
for w in ("W-S", "W-M", "W-P"):
    with open(f"{fresh}/{w}.json") as f, open(f"{committed}/{w}.json") as g:
        if not same(json.load(f), json.load(g), w, 0.0):
            print(f"bench/peers/workloads/{w}.json differs from a fresh export; refresh it with\n"
                  "  ./build/landscape bench --export bench/peers/workloads", file=sys.stderr)
            ok = False
if ok:
    print("bench/peers/workloads/ equals a fresh export")
sys.exit(0 if ok else 1)
PY
