#!/usr/bin/env python3
"""The bench/README.md table from one bench/cpu_peers.sh folder: seconds per 1,000 networks,
ours (end to end) against the peers (the sum of their stages' measured seconds per network)."""
import glob
import json
import statistics
import sys


def ours(path):
    d = json.load(open(path))
    out = {}
    for w in d["workloads"]:
        n, st = w["networks"], w["stages"]
        out[w["name"]] = {
            "total": st["total"]["seconds"] / n * 1000,
            "train": st["train"]["seconds"] / n * 1000,
            "eigen": st["eigen"]["seconds"] / n * 1000,
            "peak": st["train"].get("fraction_of_peak") or 0.0,
            "samples": w.get("training_samples"),
        }
    return out


def peer(path):
    d = json.load(open(path))
    total, eigen = 0.0, None
    for name, s in d["stages"].items():
        per = s["measured_seconds"] / s["networks_timed"] * 1000
        total += per
        if name == "eigen":
            eigen = per
    return total, eigen


def main(folder):
    simd = ours(f"{folder}/landscape-simd-cpu.json")
    scalar = ours(f"{folder}/landscape-scalar-cpu.json")
    per_sample = ours(f"{folder}/landscape-simd-per-sample-cpu.json")
    print("| load | landscape (s per 1,000 networks) | training: samples per step, s, share of FP32 peak "
          "| per-sample training (s, share of peak) | scalar loop | PyTorch compiled | JAX jit "
          "| ratio vs faster peer | eigen stage: landscape / PyTorch eigvalsh |")
    print("|---|---|---|---|---|---|---|---|---|")
    for w in ("W-S", "W-M", "W-P"):
        torch_total, torch_eigen = peer(f"{folder}/torch-cpu-{w}.json")
        jax_total, _ = peer(f"{folder}/jax-cpu-{w}.json")
        s = simd[w]
        ps = per_sample.get(w)
        ps_text = f"{ps['train']:.3f}, {100 * ps['peak']:.0f}%" if ps and ps["samples"] != s["samples"] else "same"
        print(f"| {w} | {s['total']:.3f} | {s['samples']}, {s['train']:.3f}, {100 * s['peak']:.0f}% | {ps_text} "
              f"| {scalar[w]['total']:.3f} | {torch_total:.3f} | {jax_total:.3f} "
              f"| {min(torch_total, jax_total) / s['total']:.1f}× | {s['eigen']:.3f} / {torch_eigen:.3f} |")
    runs = [simd["W-S"]["peak"]] + [ours(p)["W-S"]["peak"]
                                    for p in sorted(glob.glob(f"{folder}/landscape-simd-cpu-W-S-repeat*.json"))]
    if len(runs) > 1:
        print(f"\nW-S training's share of the FP32 peak over the sitting's {len(runs)} runs: median "
              f"{100 * statistics.median(runs):.0f}% (from {100 * min(runs):.0f}% to {100 * max(runs):.0f}%).")


if __name__ == "__main__":
    main(sys.argv[1])
