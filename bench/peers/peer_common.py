"""Framework-independent parts of the benchmark peers: the command line, the workload file,
chunk planning, stage timing with linear scaling, validation checks and the JSON report.

torch_peer.py and jax_peer.py import this module (it sits next to them, so running either
script from anywhere finds it) and supply only the framework-specific numerics.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np

STAGES = ("train", "hessian", "eigen")

# Validation tolerances fixed by the benchmark protocol (bench/peers/README.md).
LOSS_RTOL = 1e-9
EIG_RTOL = 1e-8


def log(msg):
    # stdout carries exactly one JSON object; everything human-readable goes to stderr.
    print(msg, file=sys.stderr, flush=True)


def parse_args(peer):
    p = argparse.ArgumentParser(
        description=f"{peer} peer for the landscape benchmark: trains, forms float64 Hessians and "
        "eigen-decomposes them for one workload file, and prints one JSON object.")
    p.add_argument("workload", help="workload JSON written by `landscape bench --export DIR`")
    p.add_argument("--device", choices=("cuda", "cpu"), default=None,
                   help="default: cuda when a GPU is visible, else cpu")
    p.add_argument("--max-networks", type=int, default=None,
                   help="time at most this many networks per stage and scale linearly to the full count")
    p.add_argument("--stage-budget", type=float, default=60.0,
                   help="seconds per stage: after the chunk that crosses it, stop and scale linearly "
                   "(default 60; 0 = no limit)")
    p.add_argument("--chunk", type=int, default=None,
                   help="networks per chunk for every stage (default: sized from free memory and work per network)")
    p.add_argument("--mem-fraction", type=float, default=0.4,
                   help="fraction of free device memory one chunk may use for its estimated working set")
    p.add_argument("--out", default=None, help="also write the JSON object to this file")
    if peer == "torch":
        p.add_argument("--compile", choices=("auto", "on", "off"), default="auto",
                       help="torch.compile the training step: auto = try it and train eagerly if "
                       "compiling fails, on = fail if it fails, off = eager")
    args = p.parse_args()
    if args.max_networks is not None and args.max_networks < 1:
        p.error("--max-networks must be >= 1")
    if args.chunk is not None and args.chunk < 1:
        p.error("--chunk must be >= 1")
    return args


def load_workload(path):
    with open(path) as f:
        wl = json.load(f)
    required = ("name", "family", "dims", "n", "networks", "steps", "lr", "train_precision",
                "X", "Y", "init_seed", "init_scale", "validation")
    missing = [k for k in required if k not in wl]
    if missing:
        raise SystemExit(f"{path}: missing keys {missing}")
    if wl["family"] not in ("linear", "leaky_relu"):
        raise SystemExit(f"{path}: family must be linear or leaky_relu, got {wl['family']!r}")
    if wl["train_precision"] not in ("float32", "float64"):
        raise SystemExit(f"{path}: train_precision must be float32 or float64")
    dims = [int(d) for d in wl["dims"]]
    X = np.asarray(wl["X"], dtype=np.float64)
    Y = np.asarray(wl["Y"], dtype=np.float64)
    if X.shape != (dims[0], wl["n"]) or Y.shape != (dims[-1], wl["n"]):
        raise SystemExit(f"{path}: X must be {dims[0]}x{wl['n']} and Y {dims[-1]}x{wl['n']}, "
                         f"got {X.shape} and {Y.shape}")
    v = wl["validation"]
    P = param_count(dims)
    init = np.asarray(v["init"], dtype=np.float64)
    if init.ndim != 2 or init.shape != (v["networks"], P):
        raise SystemExit(f"{path}: validation.init must be {v['networks']}x{P}, got {init.shape}")
    wl["dims"], wl["X"], wl["Y"] = dims, X, Y
    v["init"] = init
    v["final_loss"] = np.asarray(v["final_loss"], dtype=np.float64)
    v["eigenvalues"] = np.asarray(v["eigenvalues"], dtype=np.float64)
    # slope only matters for leaky ReLU; linear workloads carry 1.0.
    wl["slope"] = float(wl.get("slope", 1.0))
    return wl


def param_count(dims):
    return sum(dims[i] * dims[i - 1] for i in range(1, len(dims)))


def layer_shapes(dims):
    return [(dims[i], dims[i - 1]) for i in range(1, len(dims))]


def check_validation(wl, losses, eigs):
    """Compares the peer's float64 validation run with the reference numbers in the workload."""
    v = wl["validation"]
    ref_l, ref_e = v["final_loss"], v["eigenvalues"]
    losses, eigs = np.asarray(losses, dtype=np.float64), np.asarray(eigs, dtype=np.float64)
    rel_loss = np.abs(losses - ref_l) / np.maximum(np.abs(ref_l), np.finfo(np.float64).tiny)
    scale = np.max(np.abs(ref_e), axis=1, keepdims=True)
    rel_eig = np.max(np.abs(eigs - ref_e) / np.maximum(scale, np.finfo(np.float64).tiny), axis=1)
    max_l = float(np.max(rel_loss)) if rel_loss.size else 0.0
    max_e = float(np.max(rel_eig)) if rel_eig.size else 0.0
    ok = bool(np.all(np.isfinite(losses)) and np.all(np.isfinite(eigs))
              and max_l < LOSS_RTOL and max_e < EIG_RTOL)
    return {"networks": int(v["networks"]), "steps": int(v["steps"]),
            "max_rel_loss_err": max_l, "max_eig_err_rel": max_e,
            "loss_rtol": LOSS_RTOL, "eig_rtol": EIG_RTOL, "passed": ok}


def plan_chunks(total, chunk):
    """Splits `total` networks into equal chunks of at most `chunk`; the last one is padded.

    Equal shapes keep one compiled program per stage (XLA and torch.compile specialize on
    shapes); padding costs at most (number of chunks - 1) extra networks and only ever adds
    time to the peer.
    """
    chunk = max(1, min(chunk, total))
    count = math.ceil(total / chunk)
    size = math.ceil(total / count)
    return size, count


def run_stage(name, total, chunk, budget, prepare, run, finish):
    """Runs chunks of networks until `total` are done or `budget` seconds have been timed.

    For chunk k: prepare(k, size) builds its inputs (untimed: drawing initializations, picking
    stored endpoints), run(inputs) does the stage's work and blocks until the device has
    finished (timed), finish(k, outputs) stores what later stages need (untimed). Returns
    (seconds timed, networks processed). Scaling to the full count is linear in networks,
    which holds because every chunk has the same shape and therefore the same work.
    """
    size, count = plan_chunks(total, chunk)
    done, spent = 0, 0.0
    for k in range(count):
        inputs = prepare(k, size)
        t0 = time.perf_counter()
        outputs = run(inputs)
        spent += time.perf_counter() - t0
        finish(k, outputs)
        done += size
        if budget and spent > budget and k + 1 < count:
            log(f"  {name}: stage budget {budget:g} s reached after {done} networks; scaling")
            break
    # The padded tail of the last chunk is work the peer did but does not get credit for.
    done = min(done, total)
    return spent, done, size


def stage_record(seconds, timed, full):
    scaled = timed < full
    return {"seconds": seconds * full / timed if scaled else seconds,
            "measured_seconds": seconds, "networks_timed": int(timed), "scaled": scaled}


def report(args, wl, peer, version, device, stages, compile_s, validation, extra):
    out = {"peer": peer, "version": version, "device": device, "workload": wl["name"],
           "family": wl["family"], "dims": wl["dims"], "n": wl["n"],
           "networks": int(wl["networks"]), "steps": int(wl["steps"]),
           "train_precision": wl["train_precision"], "stages": stages,
           "end_to_end_seconds": (sum(s["seconds"] for s in stages.values())
                                  if stages and all(s is not None for s in stages.values()) else None),
           "compile_s": compile_s, "validation": validation}
    out.update(extra)
    text = json.dumps(out, indent=1)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text, flush=True)


def stage_flops(dims, n, steps):
    """Approximate flops per network of each stage (the counts `landscape bench` uses)."""
    macs = sum(dims[i] * dims[i - 1] for i in range(1, len(dims))) * n
    P = param_count(dims)
    return {"train": 6.0 * macs * steps, "hessian": 8.0 * macs * P, "eigen": 4.0 / 3.0 * P ** 3}


def chunk_sizes(wl, itemsize, free_bytes, fraction, on_gpu, override=None):
    """Networks per chunk for each stage: the estimated working set must fit `fraction` of
    free memory, and one chunk should be a few seconds of work at most, at pessimistic rates
    for batches of small matrices (GPU: 1 TFLOP/s for training and Hessians, 0.1 TFLOP/s for
    float64 eigensolvers; CPU: 10 GFLOP/s), so that the stage budget is checked often and the
    warm-up (one chunk of each stage) stays short.
    """
    if override:
        return {s: override for s in STAGES}
    mem = working_set_bytes(wl["dims"], wl["n"], itemsize)
    work = stage_flops(wl["dims"], wl["n"], int(wl["steps"]))
    target = {"train": 2e12, "hessian": 2e12, "eigen": 2e11} if on_gpu else \
             {"train": 2e10, "hessian": 2e10, "eigen": 2e10}
    hard = {"train": 262144, "hessian": 4096, "eigen": 16384} if on_gpu else \
           {"train": 4096, "hessian": 256, "eigen": 4096}
    out = {}
    for s in STAGES:
        by_mem = int(fraction * free_bytes // max(1, mem[s]))
        by_work = int(target[s] // max(1.0, work[s]))
        out[s] = max(1, min(by_mem, by_work, hard[s]))
    return out


def host_available_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30


def working_set_bytes(dims, n, itemsize):
    """Rough per-network memory of the three stages; errs on the high side.

    train: weights, gradients and the update (3P) plus forward/backward activations (~6 per
    unit per sample). hessian: forward-over-reverse pushes P tangents through that same
    graph, so ~P times the training graph, plus the P x P result. eigen: the matrix, its
    copy and the solver workspace.
    """
    P = param_count(dims)
    acts = n * sum(dims)
    train = itemsize * (4 * P + 6 * acts)
    hessian = 8 * (P * (3 * P + 6 * acts) + 2 * P * P)
    eigen = 8 * 4 * P * P
    return {"train": train, "hessian": hessian, "eigen": eigen}


def train_summary(losses):
    """Sanity facts about the timed training run (computed outside the timed region)."""
    losses = np.asarray(losses, dtype=np.float64)
    finite = np.isfinite(losses)
    return {"networks_checked": int(losses.size), "non_finite": int((~finite).sum()),
            "median_final_loss": float(np.median(losses[finite])) if finite.any() else None}
