#!/usr/bin/env python3
"""Merges the logs and JSON files of a GPU check folder into summary.json and summary.md.

    python3 scripts/gpu_summary.py DIR

DIR holds what scripts/gpu-check.sh wrote (the ours, peers and ab parts may come from separate
runs, unpacked into one folder). Only numbers read from those files are reported; anything
missing is null with a reason. The issue's targets are evaluated per workload under "targets":
end to end at least 10x (W-S) or 3x (W-M, W-P) faster than the faster validated peer, the
training stage at least 40% of the FP32 peak (W-S, W-M), and the eigen stage no slower than
cusolverDnXsyevBatched alone on the same matrices.
"""
import csv, json, os, re, sys

if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
    sys.exit("usage: gpu_summary.py DIR  (a gpu-check output folder)")
out = sys.argv[1]


def load(path):
    try:
        with open(path) as f:
            return json.load(f), None
    except FileNotFoundError:
        return None, f"{os.path.basename(path)} missing"
    except (OSError, ValueError) as e:
        return None, f"{os.path.basename(path)} unreadable: {e}"


steps = {}
for name in sorted(os.listdir(out)):
    if not (name.startswith("steps") and name.endswith(".tsv")):
        continue
    with open(os.path.join(out, name)) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            rec = {"rc": None if row["rc"] == "NA" else int(row["rc"]),
                   "seconds": int(row["seconds"]), "log": os.path.basename(row["log"])}
            # A step may appear in two parts (memcheck in ours and in ab): the run that did
            # not skip it counts.
            if row["step"] in steps and rec["rc"] in (125, None):
                continue
            steps[row["step"]] = rec


def step_reason(name):
    s = steps.get(name)
    if s is None:
        return f"step {name} did not run"
    if s["rc"] == 124:
        return f"step {name} timed out after {s['seconds']} s"
    if s["rc"] == 125:
        return f"step {name} skipped: time budget spent"
    if s["rc"]:
        return f"step {name} failed with exit status {s['rc']} (see {s['log']})"
    return None


meta = {}
text = ""
for name in ("meta.txt", "meta-peers.txt"):
    try:
        with open(os.path.join(out, name)) as f:
            text = f.read()
        break
    except OSError:
        pass
for key in ("date_utc", "git_commit", "git_dirty_files", "host"):
    m = re.search(rf"^{key}: (.*)$", text, re.M)
    meta[key] = m.group(1) if m else None
m = re.search(r"--format=csv\n(.*?)\n--- ", text, re.S)
meta["gpu_query"] = m.group(1).strip().splitlines() if m else None
m = re.search(r"^Cuda compilation tools.*$", text, re.M)
meta["nvcc"] = m.group(0) if m else None


def test_counts(log):
    try:
        with open(os.path.join(out, log)) as f:
            t = f.read()
    except OSError:
        return None
    m = re.search(r"(\d+)% tests passed, (\d+) tests? failed out of (\d+)", t)
    return {"total": int(m.group(3)) if m else None, "failed": int(m.group(2)) if m else None,
            "skipped": len(re.findall(r"Test +#\d+: .*Skipped", t))}


checks = {}
for name, log in (("gpu_tests", "gpu-tests.log"), ("cpu_tests", "cpu-tests.log")):
    checks[name] = dict(steps.get(name, {"rc": None}), counts=test_counts(log))
# Each part writes its own memcheck-PART.log; the step record says which one ran.
mc_log = (steps.get("memcheck") or {}).get("log") or "memcheck.log"
try:
    with open(os.path.join(out, mc_log)) as f:
        m = re.search(r"ERROR SUMMARY: (\d+) error", f.read())
    checks["memcheck"] = dict(steps.get("memcheck", {"rc": None}), errors=int(m.group(1)) if m else None)
except OSError:
    checks["memcheck"] = dict(steps.get("memcheck", {"rc": None}), errors=None)
for name in ("configure", "build", "build-ab", "bench", "bench-ab-fused", "bench-ab-general", "bench-ab-no-overlap", "export"):
    checks[name] = steps.get(name, {"rc": None, "note": "did not run"})

bench, bench_err = load(os.path.join(out, "bench.json"))
bench_err = bench_err and (step_reason("bench") or bench_err)
ours_by_name = {}
if bench:
    for w in bench.get("workloads", []):
        ours_by_name[w.get("name")] = w

STAGES = ("train", "hessian", "eigen")
PEERS = ("torch", "jax")
workloads = {}
for wname in ("W-S", "W-M", "W-P"):
    entry = {}
    ours = ours_by_name.get(wname)
    if ours is not None and "error" in ours:  # the workload failed; the bench went on
        entry["ours"] = None
        entry["ours_reason"] = f"{wname} failed: {ours['error']}"
    elif ours is None:
        entry["ours"] = None
        entry["ours_reason"] = bench_err or f"{wname} not in bench.json"
    else:
        st = ours.get("stages", {})
        entry["ours"] = {
            "device": bench.get("device"), "networks": ours.get("networks"), "scaled": ours.get("scaled"),
            "steps": ours.get("steps"), "end_to_end_seconds": ours.get("end_to_end_seconds"),
            "stages": {s: {"seconds": st.get(s, {}).get("seconds"),
                           "flops_per_second": st.get(s, {}).get("flops_per_second"),
                           "fraction_of_peak": st.get(s, {}).get("fraction_of_peak")}
                       for s in (*STAGES, "classify")}}
        # The eigen stage against cusolverDnXsyevBatched alone on the same matrices.
        entry["ours"]["eigen_check"] = ours.get("eigen_check")
        # Peers do train + hessian + eigen only; compare against the same three stages.
        secs = [st.get(s, {}).get("seconds") for s in STAGES]
        entry["ours"]["train_hessian_eigen_seconds"] = sum(secs) if all(x is not None for x in secs) else None
    entry["peers"], entry["speedup"] = {}, {}
    for p in PEERS:
        pj, perr = load(os.path.join(out, f"peer-{p}-{wname}.json"))
        if pj is None:
            entry["peers"][p] = None
            last = f"peer-{p}-{wname}-eager" if f"peer-{p}-{wname}-eager" in steps else f"peer-{p}-{wname}"
            entry["peers"][f"{p}_reason"] = step_reason(last) or perr
            entry["speedup"][p] = None
            continue
        val = pj.get("validation") or {}
        entry["peers"][p] = {
            "version": pj.get("version"), "device": pj.get("device"), "networks": pj.get("networks"),
            "end_to_end_seconds": pj.get("end_to_end_seconds"), "compile_s": pj.get("compile_s"),
            "train_mode": pj.get("train_mode"), "validation_passed": val.get("passed"),
            "stages": {s: (pj.get("stages") or {}).get(s) for s in STAGES}}
        if not val.get("passed"):
            entry["speedup"][p] = None
            entry["peers"][f"{p}_reason"] = "peer failed validation: its timings are not comparable"
            continue
        if entry["ours"] is None:
            entry["speedup"][p] = None
            continue

        # Seconds per network, so a run of ours on a different network count still compares.
        def per_net(seconds, n):
            return seconds / n if seconds is not None and n else None

        ours_n, peer_n = entry["ours"]["networks"], pj.get("networks")
        ratios = {}
        if entry["ours"]["steps"] != pj.get("steps"):
            # Training time is per step count; a different count is a different workload.
            ratios["note"] = (f"ours ran {entry['ours']['steps']} steps, the peer {pj.get('steps')}: "
                              "train and end-to-end ratios omitted")
            entry["peers"][f"{p}_reason"] = ratios["note"]
        for s in STAGES:
            if s == "train" and "note" in ratios:
                ratios[s] = None
                continue
            a = per_net(((pj.get("stages") or {}).get(s) or {}).get("seconds"), peer_n)
            b = per_net(entry["ours"]["stages"][s]["seconds"], ours_n)
            ratios[s] = a / b if a is not None and b else None
        a = per_net(pj.get("end_to_end_seconds"), peer_n)
        b = per_net(entry["ours"]["train_hessian_eigen_seconds"], ours_n)
        ratios["train_hessian_eigen"] = a / b if a is not None and b and "note" not in ratios else None
        entry["speedup"][p] = ratios
    workloads[wname] = entry

# A/B pairs measured in the same run at a tenth of the standard sizes: fused kernels against the
# general per-network kernels (train stage), train-ahead against chunk by chunk (end to end).
ab = {}
ab_runs = {k: load(os.path.join(out, f"bench-ab-{k}.json"))[0] for k in ("fused", "general", "no-overlap")}
for wname in ("W-S", "W-M", "W-P"):
    def find(run):
        for w in (run or {}).get("workloads", []):
            if w.get("name") == wname:
                return w
        return None
    f, g, n = find(ab_runs["fused"]), find(ab_runs["general"]), find(ab_runs["no-overlap"])
    def sec(w, stage):
        return ((w or {}).get("stages", {}).get(stage) or {}).get("seconds")
    tf, tg = sec(f, "train"), sec(g, "train")
    ef, en = (f or {}).get("end_to_end_seconds"), (n or {}).get("end_to_end_seconds")
    ab[wname] = {
        "networks": (f or {}).get("networks"),
        "train_seconds_fused": tf, "train_seconds_general": tg,
        "train_speedup_fused_over_general": tg / tf if tf and tg else None,
        "end_to_end_seconds_train_ahead": ef, "end_to_end_seconds_chunk_by_chunk": en,
        "end_to_end_speedup_train_ahead": en / ef if ef and en else None}


# ---- the targets, from the numbers above
EIGEN_REQUIRED = 0.95
TARGETS = {"W-S": {"speedup": 10.0, "train_peak": 0.40},
           "W-M": {"speedup": 3.0, "train_peak": 0.40},
           "W-P": {"speedup": 3.0, "train_peak": None}}


def verdict(measured, required):
    return None if measured is None else bool(measured >= required)


targets = {}
for wname, req in TARGETS.items():
    entry = workloads[wname]
    t = {}
    # Against the faster of the validated peers: the smallest of our speedups over each.
    compared = {p: r.get("train_hessian_eigen") for p, r in entry["speedup"].items()
                if r and r.get("train_hessian_eigen") is not None}
    if compared:
        faster = min(compared, key=compared.get)
        t["end_to_end_speedup"] = {
            "required": req["speedup"], "measured": compared[faster], "faster_peer": faster,
            "peers_compared": sorted(compared), "met": verdict(compared[faster], req["speedup"])}
        if len(compared) < len(PEERS):
            t["end_to_end_speedup"]["note"] = "only " + ", ".join(sorted(compared)) + " gave a comparable time"
    else:
        reasons = [entry["peers"].get(f"{p}_reason") for p in PEERS] + [entry.get("ours_reason")]
        t["end_to_end_speedup"] = {"required": req["speedup"], "measured": None, "met": None,
                                   "reason": "; ".join(r for r in reasons if r) or "no comparable peer time"}
    ours = entry["ours"] or {}
    if req["train_peak"] is not None:
        frac = ((ours.get("stages") or {}).get("train") or {}).get("fraction_of_peak")
        t["train_fraction_of_fp32_peak"] = {"required": req["train_peak"], "measured": frac,
                                            "met": verdict(frac, req["train_peak"])}
    ec = ours.get("eigen_check") or {}
    ratio = ec.get("reference_over_ours")
    # One timed pass each: a ratio within 5% of 1 is "no slower" within the timing noise.
    note = "reference seconds / ours on the same matrices, one timed pass each; >= 0.95 counts as no slower"
    if ec.get("solver") and ec.get("solver") == ec.get("reference"):
        note += ("; our eigen stage uses this same solver here, so the ratio measures only the "
                 "stage's own overhead (chunking, workspace)")
    t["eigen_vs_xsyevbatched"] = {
        "required": EIGEN_REQUIRED, "measured": ratio, "met": verdict(ratio, EIGEN_REQUIRED),
        "ours_seconds": ec.get("seconds"), "reference_seconds": ec.get("reference_seconds"),
        "networks": ec.get("networks"), "solver": ec.get("solver"), "reference": ec.get("reference"),
        "note": note}
    verdicts = [v["met"] for v in t.values()]
    t["all_met"] = None if any(v is None for v in verdicts) else all(verdicts)
    targets[wname] = t

gpu_ok = checks["gpu_tests"].get("rc") == 0 and not (checks["gpu_tests"].get("counts") or {}).get("skipped")
summary = {"meta": meta, "checks": checks, "gpu_tests_passed": gpu_ok, "targets": targets,
           "workloads": workloads, "ab": ab,
           "notes": ["speedup = peer seconds per network / ours seconds per network (> 1: ours faster)",
                     "end-to-end comparisons use our train + hessian + eigen stages; our "
                     "end_to_end_seconds also includes classify",
                     "peer stage seconds marked scaled were measured on networks_timed networks "
                     "and scaled linearly (bench/peers/README.md)"]}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
print(f"wrote {os.path.join(out, 'summary.json')}")


# ---- summary.md: the same numbers as tables to paste into bench/README.md
def fmt(x, spec="{:.3g}"):
    return "-" if x is None else spec.format(x)


def yes_no(v):
    return "n/a" if v is None else ("met" if v else "NOT met")


md = [f"# GPU check summary", "",
      f"device: {', '.join(meta.get('gpu_query') or []) or '-'}  ",
      f"date (UTC): {meta.get('date_utc') or '-'}, commit {meta.get('git_commit') or '-'}"
      + (f" (dirty: {meta['git_dirty_files']})" if meta.get("git_dirty_files") not in (None, "", "0") else "")
      + f"  ", f"nvcc: {meta.get('nvcc') or '-'}", ""]
gt = checks["gpu_tests"].get("counts") or {}
md += [f"GPU tests: {'passed' if gpu_ok else 'NOT passed'} (rc {checks['gpu_tests'].get('rc')}, "
       f"{gt.get('total')} tests, {gt.get('failed')} failed, {gt.get('skipped')} skipped); "
       f"memcheck errors: {checks['memcheck'].get('errors')}", ""]
md += ["| load | ours s, train+Hessian+eigen (networks) | PyTorch s (networks) | JAX s (networks) | speedup vs faster peer | target | train % FP32 peak | eigen: XsyevBatched s / ours s |",
       "|---|---|---|---|---|---|---|---|"]
for wname in ("W-S", "W-M", "W-P"):
    e, t = workloads[wname], targets[wname]
    ours = e["ours"] or {}
    peer_s = []
    for p in PEERS:
        pj = e["peers"].get(p)
        s = fmt((pj or {}).get("end_to_end_seconds"))
        if pj:
            s += f" ({pj.get('networks')})"
        if pj and any((st or {}).get("scaled") for st in (pj.get("stages") or {}).values()):
            s += " (scaled)"
        if pj and not pj.get("validation_passed"):
            s += " (failed validation: not compared)"
        peer_s.append(s)
    sp = t["end_to_end_speedup"]
    tr = t.get("train_fraction_of_fp32_peak")
    ev = t["eigen_vs_xsyevbatched"]
    md.append(f"| {wname} | {fmt(ours.get('train_hessian_eigen_seconds'))} ({ours.get('networks', '-')}) | {peer_s[0]} | {peer_s[1]} | "
              f"{fmt(sp.get('measured'), '{:.2f}x')} ({sp.get('faster_peer') or '-'}) | "
              f">= {sp['required']:g}x: {yes_no(sp['met'])} | "
              + (f"{fmt(tr['measured'] and 100 * tr['measured'], '{:.1f}%')}: {yes_no(tr['met'])}" if tr else "-")
              + f" | {fmt(ev['measured'], '{:.2f}')}: {yes_no(ev['met'])} |")
md += ["", "Per stage (ours): seconds / achieved GFLOP/s / fraction of peak", "",
       "| load | networks | train | Hessian | eigen | classify | end to end s |", "|---|---|---|---|---|---|---|"]
for wname in ("W-S", "W-M", "W-P"):
    ours = workloads[wname]["ours"]
    if not ours:
        md.append(f"| {wname} | - | - | - | - | - | - |")
        continue
    cells = []
    for s in (*STAGES, "classify"):
        st = ours["stages"][s]
        gf = st.get("flops_per_second")
        cells.append(f"{fmt(st.get('seconds'))} s / {fmt(gf and gf / 1e9, '{:.1f}')} / "
                     f"{fmt(st.get('fraction_of_peak') and 100 * st['fraction_of_peak'], '{:.1f}%')}")
    md.append(f"| {wname} | {ours.get('networks')} | " + " | ".join(cells) + f" | {fmt(ours.get('end_to_end_seconds'))} |")
md += ["", "A/B at a tenth of the standard sizes, each pair in one run:", "",
       "| load | networks | train s fused / general (speedup) | end to end s train-ahead / chunk by chunk (speedup) |",
       "|---|---|---|---|"]
for wname in ("W-S", "W-M", "W-P"):
    a = ab[wname]
    md.append(f"| {wname} | {a['networks'] if a['networks'] is not None else '-'} | "
              f"{fmt(a['train_seconds_fused'])} / {fmt(a['train_seconds_general'])} "
              f"({fmt(a['train_speedup_fused_over_general'], '{:.2f}x')}) | "
              f"{fmt(a['end_to_end_seconds_train_ahead'])} / {fmt(a['end_to_end_seconds_chunk_by_chunk'])} "
              f"({fmt(a['end_to_end_speedup_train_ahead'], '{:.2f}x')}) |")
md += ["", "speedup = peer seconds per network / ours seconds per network (> 1: ours faster).", ""]
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write("\n".join(md))
print(f"wrote {os.path.join(out, 'summary.md')}")
