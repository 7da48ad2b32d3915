#!/usr/bin/env python3
"""Compares two landscape output folders (sample outputs and report data files) field by field,
ignoring only what legitimately differs between runs: timestamps, wall times, stage timings,
the database path and the run's start/finish times.

usage: compare_outputs.py EXPECTED_DIR ACTUAL_DIR [FILE ...]
With no FILE, every *.csv and *.json in EXPECTED_DIR (recursively) is compared; a file missing
from ACTUAL_DIR is a difference. Exits 0 when equal, 1 with a list of differences otherwise.
"""
import csv
import json
import os
import sys

# Columns and keys whose values are timings or timestamps (every other value must be identical).
TIMING_COLUMNS = {"wall_time", "seconds", "seconds_train", "seconds_analyze", "seconds_decide",
                  "seconds_total", "started_at", "finished_at", "wall_time_mean"}
TIMING_KEYS = {"timing_seconds", "started_at", "finished_at", "wall_time", "seconds",
               "generated_at", "seconds_train", "seconds_analyze", "seconds_decide",
               "seconds_total", "db_path", "database", "wall_time_mean", "train_seconds",
               "analyze_seconds", "networks_per_second", "seconds_this_process"}


def strip_json(x):
    if isinstance(x, dict):
        return {k: strip_json(v) for k, v in x.items() if k not in TIMING_KEYS}
    if isinstance(x, list):
        return [strip_json(v) for v in x]
    return x


def json_diff(a, b, path, out):
    if len(out) > 20:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: present in only one")
            else:
                json_diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            json_diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {a!r} != {b!r}")


def compare_csv(exp, act, name, out):
    with open(exp, newline="") as f:
        ra = list(csv.reader(f))
    with open(act, newline="") as f:
        rb = list(csv.reader(f))
    if not ra or not rb:
        if ra != rb:
            out.append(f"{name}: one file is empty")
        return
    if ra[0] != rb[0]:
        out.append(f"{name}: header differs: {ra[0]} != {rb[0]}")
        return
    keep = [i for i, h in enumerate(ra[0]) if h not in TIMING_COLUMNS]
    if len(ra) != len(rb):
        out.append(f"{name}: {len(ra) - 1} rows != {len(rb) - 1}")
    for r, (x, y) in enumerate(zip(ra[1:], rb[1:]), start=2):
        for i in keep:
            xi = x[i] if i < len(x) else None
            yi = y[i] if i < len(y) else None
            if xi != yi:
                out.append(f"{name}: line {r} column {ra[0][i]}: {xi!r} != {yi!r}")
                if len(out) > 40:
                    return


def compare(expected_dir, actual_dir, files):
    out = []
    if not files:
        for root, _, names in os.walk(expected_dir):
            for n in names:
                if n.endswith((".csv", ".json")):
                    files.append(os.path.relpath(os.path.join(root, n), expected_dir))
    if not files:
        return [f"{expected_dir}: no .csv or .json files to compare"]
    for rel in sorted(files):
        exp = os.path.join(expected_dir, rel)
        act = os.path.join(actual_dir, rel)
        if not os.path.exists(act):
            out.append(f"{rel}: missing from {actual_dir}")
            continue
        if rel.endswith(".csv"):
            compare_csv(exp, act, rel, out)
        else:
            with open(exp) as f:
                a = strip_json(json.load(f))
            with open(act) as f:
                b = strip_json(json.load(f))
            json_diff(a, b, rel, out)
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    diffs = compare(sys.argv[1], sys.argv[2], sys.argv[3:])
    if diffs:
        print("outputs differ:", file=sys.stderr)
        for d in diffs[:60]:
            print("  " + d, file=sys.stderr)
        return 1
    print(f"outputs equal ({sys.argv[1]} vs {sys.argv[2]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
