#!/usr/bin/env python3
"""Distributed sweeps through the real binary: MPI ranks, a killed rank and --resume, a failing
chunk, shards and their merge. Every result is compared with a plain single-process run of the
same experiment, column by column (timings aside).

usage: test_distributed.py LANDSCAPE SOURCE_DIR WORK_DIR CASE
CASE: ranks | kill_resume | chunk_error | finalize_error | sigterm | sigterm_worker | sigterm_overlap |
      stray_result | resume_complete | resume_complete_mpi | times_resume | suite | shards |
      shards_scaled | merge_data | merge_refuses | bench
The launcher is $LANDSCAPE_MPIEXEC (CMake's MPIEXEC_EXECUTABLE), else `mpirun` on the PATH; Open
MPI-only flags are given to Open MPI's alone. Exit 77 (skipped) when the case needs MPI and the
build or the machine has none."""
import json
import os
import signal
import shutil
import sqlite3
import subprocess
import sys
import time

SKIP = 77

# Eight cells; refinement and small initializations give strict and non-strict saddles, so the
# escape tests (finalize units under MPI) run too; spectra and curves are stored as well.
CONFIG = """[experiment]
name = "distributed"
networks = 20
seed = 3
chunk = 6
[model]
family = "linear"
dims = [[3, 2, 3], [4, 3, 3, 3]]
[data]
n = 8
y_rank = [0, 1]
[init]
scale = [1.0, 0.001]
[train]
lr = 0.02
steps = 300
[refine]
enabled = true
[output]
spectrum = true
curves = true
curve_points = 5
"""


def run(cmd, ok=(0,), env=None, timeout=120):
    e = dict(os.environ)
    e.pop("LANDSCAPE_FAULT_KILL_AFTER_CHUNKS", None)
    e.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout)
    if ok is not None and p.returncode not in ok:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def launcher():
    """The MPI launcher the build was configured with, else mpirun on the PATH (None: none)."""
    return os.environ.get("LANDSCAPE_MPIEXEC") or shutil.which("mpirun")


_OPEN_MPI = None


def open_mpi():
    """Whether the launcher is Open MPI's (which needs --oversubscribe, and --allow-run-as-root
    as root); MPICH's Hydra takes neither."""
    global _OPEN_MPI
    if _OPEN_MPI is None:
        v = subprocess.run([launcher(), "--version"], capture_output=True, text=True)
        _OPEN_MPI = "Open MPI" in v.stdout + v.stderr or "OpenRTE" in v.stdout + v.stderr
    return _OPEN_MPI


def mpirun_prefix(ranks):
    cmd = [launcher(), "-np", str(ranks)]
    if open_mpi():
        cmd[1:1] = ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    return cmd


def pass_env(name):
    """Launcher flags that pass environment variable `name` to every rank (Hydra passes the
    whole environment by default)."""
    return ["-x", name] if open_mpi() else []


def have_mpi(binary):
    if not launcher() or not shutil.which(launcher()):
        print("SKIPPED: mpirun not found (install openmpi-bin)")
        return False
    v = run([binary, "version"]).stdout
    if "mpi: not built" in v:
        print("SKIPPED: this build has no MPI (install libopenmpi-dev and reconfigure)")
        return False
    built = [l for l in v.splitlines() if l.startswith("mpi:")]
    print(f"launcher: {launcher()} ({'Open MPI' if open_mpi() else 'Hydra/other'}), build {built[0] if built else '?'}")
    return True


def table(db, sql):
    con = sqlite3.connect(db)
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return cols, cur.fetchall()
    finally:
        con.close()


def endpoints(db):
    """Every endpoint column but the timing, keyed by (cell_index, net_index), of the latest run."""
    cols, rows = table(db, "SELECT * FROM endpoints LIMIT 0")
    keep = [c for c in cols if c not in ("cell_id", "wall_time")]
    sel = ", ".join("e." + c for c in keep)
    _, rows = table(db, f"SELECT c.cell_index, {sel} FROM endpoints e JOIN cells c USING (cell_id) "
                        "WHERE c.run_id = (SELECT MAX(run_id) FROM runs) ORDER BY c.cell_index, e.net_index")
    return ["cell_index"] + keep, rows


def cells(db):
    cols, _ = table(db, "SELECT * FROM cells LIMIT 0")
    keep = [c for c in cols if c not in ("cell_id", "run_id")]
    return table(db, f"SELECT {', '.join(keep)} FROM cells WHERE run_id = (SELECT MAX(run_id) FROM runs) "
                     "ORDER BY cell_index")


def blobs(db, name):
    return table(db, f"SELECT c.cell_index, t.net_index, t.* FROM {name} t JOIN cells c USING (cell_id) "
                     "WHERE c.run_id = (SELECT MAX(run_id) FROM runs) ORDER BY c.cell_index, t.net_index")[1]


def assert_same(ref, db, what, exercised=True):
    """`exercised`: the experiment must have escape tests that escaped and slices."""
    rc, rr = endpoints(ref)
    c, r = endpoints(db)
    if rc != c:
        sys.exit(f"FAIL: {what}: endpoint columns differ: {rc} vs {c}")
    if len(rr) != len(r):
        sys.exit(f"FAIL: {what}: {len(r)} endpoints, the plain run has {len(rr)}")
    for a, b in zip(rr, r):
        if a != b:
            diff = [(rc[i], x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
            sys.exit(f"FAIL: {what}: endpoint {a[0]}/{a[1]} differs (column, plain, this): {diff[:4]}")
    if cells(ref) != cells(db):
        sys.exit(f"FAIL: {what}: the cells table differs from the plain run's")
    _, esc = table(db, "SELECT COUNT(*) FROM endpoints WHERE json_extract(details, '$.escape.escaped') = 1")
    if esc[0][0] == 0 and exercised:
        sys.exit(f"FAIL: {what}: no escape test escaped; the experiment no longer exercises them")
    for t in ("candidates", "spectra", "curves", "weights", "slices"):
        if [x[:2] + x[4:] for x in blobs(ref, t)] != [x[:2] + x[4:] for x in blobs(db, t)]:
            sys.exit(f"FAIL: {what}: the {t} table differs from the plain run's")
    if not blobs(db, "slices") and exercised:
        sys.exit(f"FAIL: {what}: no slices stored; the experiment no longer exercises them")
    data = "SELECT c.cell_index, d.x, d.y FROM cell_data d JOIN cells c USING (cell_id) " \
           "WHERE c.run_id = (SELECT MAX(run_id) FROM runs) ORDER BY c.cell_index"
    if table(ref, data)[1] != table(db, data)[1] or not table(db, data)[1]:
        sys.exit(f"FAIL: {what}: the cells' stored X and Y differ from the plain run's")
    _, status = table(db, "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1")
    if status[0][0] != "complete":
        sys.exit(f"FAIL: {what}: run status {status[0][0]}")
    print(f"ok: {what}: {len(r)} endpoints equal to the plain run's, column by column")


def count(db, sql="SELECT COUNT(*) FROM endpoints"):
    return table(db, sql)[1][0][0]


def check_times(out_dir, db, what):
    """Every cell's timings are real: summary.json's timing_seconds, the cell_seconds table, and
    the run's training and analysis seconds."""
    with open(os.path.join(out_dir, "summary.json")) as f:
        cells_ = json.load(f)["cells"]
    for c in cells_:
        t = c["timing_seconds"]
        if not (t["total"] > 0 and t["train"] > 0 and t["analyze"] > 0 and t["decide"] > 0):
            sys.exit(f"FAIL: {what}: cell {c['cell']} timing_seconds {t}")
    _, rows = table(db, "SELECT c.cell_index, s.seconds_train, s.seconds_analyze, s.seconds_total FROM cells c "
                        "LEFT JOIN cell_seconds s USING (cell_id) WHERE c.run_id = (SELECT MAX(run_id) FROM runs)")
    bad = [r for r in rows if not all(x is not None and x > 0 for x in r[1:])]
    if bad or len(rows) != len(cells_):
        sys.exit(f"FAIL: {what}: cell_seconds rows missing or zero: {bad or rows}")
    _, run = table(db, "SELECT seconds_train, seconds_analyze FROM runs ORDER BY run_id DESC LIMIT 1")
    if not (run[0][0] > 0 and run[0][1] > 0):
        sys.exit(f"FAIL: {what}: runs.seconds_train/analyze {run[0]}")
    print(f"ok: {what}: every cell's times > 0 (summary.json, cell_seconds, runs)")
    check_time_sums(db, what)


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def check_time_sums(db, what):
    """Every chunk's training and analysis seconds are added to its cell's row of cell_seconds in
    the transaction that commits the chunk, as to its run's: over the cells they add up to the
    run's, whatever was killed, stopped or resumed (nothing lost, nothing counted twice)."""
    _, rows = table(db, "SELECT COALESCE(SUM(s.seconds_train), 0), COALESCE(SUM(s.seconds_analyze), 0) FROM cells c "
                        "LEFT JOIN cell_seconds s USING (cell_id) WHERE c.run_id = (SELECT MAX(run_id) FROM runs)")
    _, run = table(db, "SELECT seconds_train, seconds_analyze FROM runs ORDER BY run_id DESC LIMIT 1")
    if not (close(rows[0][0], run[0][0]) and close(rows[0][1], run[0][1])) or run[0][0] <= 0:
        sys.exit(f"FAIL: {what}: the cells' train/analyze seconds add up to {rows[0]}, the run's are {run[0]}")
    print(f"ok: {what}: the cells' train/analyze seconds add up to the run's {run[0]}")


def check_merged_times(merged, shards, what):
    """A merged cell's training and analysis seconds are the sum of its shards' (to 1e-9
    relative); its decision and wall seconds the shards' sum plus the merge's own finalization."""
    m = cell_times(merged)
    per = [cell_times(s) for s in shards]
    for ci, got in m.items():
        parts = [p[ci] for p in per]
        if got is None or any(x is None for x in parts):
            sys.exit(f"FAIL: {what}: cell {ci} lacks cell_seconds: merged {got}, shards {parts}")
        sums = [sum(p[k] for p in parts) for k in range(4)]
        if not (close(got[0], sums[0]) and close(got[1], sums[1])) or not (got[2] > sums[2] and got[3] > sums[3]):
            sys.exit(f"FAIL: {what}: cell {ci}: merged (train, analyze, decide, total) {got}, the shards' sums {sums}")
    print(f"ok: {what}: every cell's train/analyze seconds are its shards' sum, decide/total the sum plus the merge's")


def cell_times(db):
    """cell_seconds of the latest run, by cell index (None where a cell has no row)."""
    _, rows = table(db, "SELECT c.cell_index, s.seconds_train, s.seconds_analyze, s.seconds_decide, s.seconds_total "
                        "FROM cells c LEFT JOIN cell_seconds s USING (cell_id) "
                        "WHERE c.run_id = (SELECT MAX(run_id) FROM runs) ORDER BY c.cell_index")
    return {r[0]: (None if r[1] is None else r[1:]) for r in rows}


def snapshot(out_dir):
    """Everything a run leaves: every table's rows (the database's, raw), endpoints.csv and the
    cells of summary.json."""
    db = os.path.join(out_dir, "results.db")
    tabs = {}
    for (name,) in table(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")[1]:
        # The runs row's finish time is set again when a resume completes.
        cols = [c for c in table(db, f"SELECT * FROM {name} LIMIT 0")[0] if c != "finished_at"]
        tabs[name] = table(db, f"SELECT {', '.join(cols)} FROM {name} ORDER BY 1" + (", 2" if len(cols) > 1 else ""))[1]
    with open(os.path.join(out_dir, "endpoints.csv")) as f:
        csv = f.read()
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    return tabs, csv, summary


def assert_unchanged(before, after, what):
    """A resume of a complete run changes nothing: no table row (the runs row's finish time
    aside), the same endpoints.csv, and summary.json's cells (their times included, which are the
    stored ones)."""
    (tb, cb, sb), (ta, ca, sa) = before, after
    for name in tb:
        rb, ra = tb[name], ta.get(name)
        if rb != ra:
            diff = [(x, y) for x, y in zip(rb, ra or []) if x != y][:2]
            sys.exit(f"FAIL: {what}: table {name} changed ({len(rb)} -> {len(ra or [])} rows; first differences "
                     f"{diff})")
    if cb != ca:
        sys.exit(f"FAIL: {what}: endpoints.csv changed")
    # Each cell names the backend and device of the process that wrote the file.
    sb, sa = ([{k: v for k, v in c.items() if k not in ("backend", "device")} for c in x["cells"]] for x in (sb, sa))
    if sb != sa:
        for x, y in zip(sb, sa):
            if x != y:
                keys = [k for k in x if x.get(k) != y.get(k)]
                sys.exit(f"FAIL: {what}: summary.json cell {x['cell']} changed in {keys}: "
                         f"{[(x.get(k), y.get(k)) for k in keys][:2]}")
        sys.exit(f"FAIL: {what}: summary.json's cells changed")
    print(f"ok: {what}: every table, endpoints.csv and summary.json's cells (backend and device aside) unchanged "
          f"({sum(len(v) for v in ta.values())} rows)")


def traced(err):
    """The units the trace says were finished: sent by a worker or finished by rank 0 itself,
    as (cell, [network indices]) with the line."""
    out = []
    for l in err.splitlines():
        w = l.split()
        if not l.startswith("trace: rank ") or len(w) < 8 or w[3] not in ("sent", "finished"):
            continue
        cell, nets = int(w[5]), w[7]
        lo, hi = (int(x) for x in nets.split("-")) if "-" in nets else (int(nets),) * 2
        out.append((cell, list(range(lo, hi + 1)), l))
    return out


def check_traced_committed(err, db, what):
    """Every unit the trace reports finished (sent by a worker, finished by rank 0) is committed."""
    stored = set(table(db, "SELECT c.cell_index, e.net_index FROM endpoints e JOIN cells c USING (cell_id)")[1])
    units = traced(err)
    if not units:
        sys.exit(f"FAIL: {what}: no unit traced as finished:\n{err}")
    for cell, nets, line in units:
        missing = [i for i in nets if (cell, i) not in stored]
        if missing:
            sys.exit(f"FAIL: {what}: '{line}', but networks {missing} of cell {cell} are not committed")
    print(f"ok: {what}: all {len(units)} units traced as finished are committed")


def descendants(pid):
    """Every process below `pid` (the ranks under mpirun, or under Hydra's proxies)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        children.setdefault(int(st[st.rindex(")") + 2:].split()[1]), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def rank_pids(pid, binary):
    pids = []
    for q in descendants(pid):
        try:
            if os.path.realpath(f"/proc/{q}/exe") == os.path.realpath(binary):
                pids.append(q)
        except OSError:
            pass
    return pids


def rank_of(pid):
    """The MPI rank of process `pid`, from the variables the launcher gave it."""
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
    for k in (b"OMPI_COMM_WORLD_RANK", b"PMI_RANK", b"PMIX_RANK"):
        if k in env:
            return int(env[k])
    return None


def wait_for_endpoints(db, proc, timeout=60):
    """Waits until the running job has committed a chunk (or ended)."""
    t0 = time.time()
    while time.time() - t0 < timeout and proc.poll() is None:
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
            n = con.execute("SELECT COUNT(*) FROM endpoints").fetchone()[0]
            con.close()
            if n > 0:
                return
        except sqlite3.Error:
            pass
        time.sleep(0.02)


def main():
    binary, _src, work, case = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chdir(work)
    with open("exp.toml", "w") as f:
        f.write(CONFIG)
    needs_mpi = case in ("ranks", "kill_resume", "chunk_error", "finalize_error", "sigterm", "sigterm_worker",
                         "sigterm_overlap", "stray_result", "resume_complete_mpi", "suite", "bench")
    if needs_mpi and not have_mpi(binary):
        return SKIP
    if case == "bench":
        # Every rank times its share; rank 0 alone writes the JSON with every rank's rate.
        run([binary, "bench", "--workload", "W-S", "--networks", "9", "--steps", "20", "--threads", "1",
             "--json", "one.json"])
        p = run(mpirun_prefix(3) + [binary, "bench", "--workload", "W-S", "--networks", "9", "--steps", "20",
                                    "--threads", "1", "--json", "three.json", "--baseline", "one.json"])
        with open("three.json") as f:
            m = json.load(f)["workloads"][0]["mpi"]
        ranks = m["per_rank"]
        if m["ranks"] != 3 or [r["rank"] for r in ranks] != [0, 1, 2] or sum(r["networks"] for r in ranks) != 9:
            sys.exit(f"FAIL: bench under mpirun -np 3: {m}")
        slowest = max(r["seconds"] for r in ranks)
        if abs(m["aggregate_networks_per_second"] - 9 / slowest) > 1e-9 * m["aggregate_networks_per_second"] \
                or not 0 < m["parallel_efficiency"] or not 0 < m["balance"] <= 1 + 1e-12:
            sys.exit(f"FAIL: bench under mpirun -np 3: aggregate, balance or efficiency wrong: {m}")
        if p.stdout.count("W-S   rank") != 3 or "parallel efficiency" not in p.stdout:
            sys.exit(f"FAIL: bench under mpirun prints no per-rank lines:\n{p.stdout}")
        print(f"ok: bench under mpirun -np 3: {m['aggregate_networks_per_second']:.4g} networks/s aggregate")
        return 0
    if case == "suite":
        # The reproduction suite (every experiment file its own sweep, one after another) under
        # two ranks equals the plain suite, experiment by experiment.
        src = os.path.abspath(_src)
        run([binary, "suite", os.path.join(src, "examples", "suite"), "--scale", "0.05", "--out", "plain", "--quiet"])
        run(mpirun_prefix(2) + [binary, "suite", os.path.join(src, "examples", "suite"), "--scale", "0.05",
                                "--out", "np2", "--quiet"])
        names = sorted(d for d in os.listdir("plain") if os.path.isdir(os.path.join("plain", d)))
        if len(names) < 5 or names != sorted(d for d in os.listdir("np2") if os.path.isdir(os.path.join("np2", d))):
            sys.exit(f"FAIL: suite under mpirun -np 2: experiments {names} vs {os.listdir('np2')}")
        for name in names:
            a, b = endpoints(f"plain/{name}/results.db"), endpoints(f"np2/{name}/results.db")
            if a[0] != b[0] or a[1] != b[1] or not a[1]:
                sys.exit(f"FAIL: suite under mpirun -np 2: {name}: the endpoints differ from the plain suite's")
            if cells(f"plain/{name}/results.db") != cells(f"np2/{name}/results.db"):
                sys.exit(f"FAIL: suite under mpirun -np 2: {name}: the cells differ from the plain suite's")
            print(f"ok: suite under mpirun -np 2: {name}: {len(b[1])} endpoints equal to the plain suite's")
        with open("plain/suite.csv") as a, open("np2/suite.csv") as b:
            if a.read() != b.read():
                sys.exit("FAIL: suite under mpirun -np 2: suite.csv differs from the plain suite's")
        return 0
    if case == "merge_data":
        # Cells are finalized on the X and Y the shards stored, copied byte for byte: a data file
        # changed after the shards ran changes nothing (merge used to rebuild X from it); shards
        # that disagree on the data are refused.
        rng = __import__("random").Random(5)
        with open("x.csv", "w") as f:
            f.write("\n".join(",".join(f"{rng.gauss(0, 1):.6f}" for _ in range(8)) for _ in range(3)) + "\n")
        with open("csv.toml", "w") as f:
            f.write(CONFIG.replace("[data]\nn = 8\n", '[data]\nx = "csv"\nx_file = "x.csv"\n')
                    .replace("dims = [[3, 2, 3], [4, 3, 3, 3]]", "dims = [3, 2, 3]"))
        run([binary, "sample", "csv.toml", "--out", "plain", "--threads", "1", "--quiet"])
        for i in (1, 2):
            run([binary, "sample", "csv.toml", "--out", "sh", "--threads", "1", "--quiet", "--shard", f"{i}/2"])
        with open("x.csv", "w") as f:
            f.write("\n".join(",".join(f"{rng.gauss(0, 1):.6f}" for _ in range(8)) for _ in range(3)) + "\n")
        shards = ["sh/results-shard-1-of-2.db", "sh/results-shard-2-of-2.db"]
        run([binary, "merge", "merged.db"] + shards + ["--config", "csv.toml", "--quiet"])
        assert_same("plain/results.db", "merged.db", "shards merged after their data file changed", exercised=False)
        # No data file is read at all: without the file and without --config, the same.
        os.remove("x.csv")
        run([binary, "merge", "merged2.db"] + shards + ["--quiet"])
        assert_same("plain/results.db", "merged2.db", "shards merged without their data file", exercised=False)
        shutil.copy(shards[1], "odd.db")
        con = sqlite3.connect("odd.db")
        con.execute("UPDATE cell_data SET x = zeroblob(length(x)) WHERE cell_id = (SELECT MIN(cell_id) FROM cells)")
        con.commit()
        con.close()
        p = run([binary, "merge", "out-odd.db", shards[0], "odd.db"], ok=(1,))
        if "odd.db" not in p.stderr or "X and Y differ" not in p.stderr or os.path.exists("out-odd.db"):
            sys.exit(f"FAIL: shards with different stored data: {p.stderr}")
        print(f"ok: refused: {p.stderr.strip()}")
        return 0
    if case == "shards_scaled":
        # Shards of one experiment at one --networks-scale merge (equal to a plain run at that
        # scale, its times carried through); a shard at another scale is refused, saying so.
        run([binary, "sample", "exp.toml", "--out", "plain", "--threads", "1", "--quiet", "--networks-scale", "0.5"])
        for i in (1, 2):
            run([binary, "sample", "exp.toml", "--out", "sh", "--threads", "1", "--quiet", "--shard", f"{i}/2",
                 "--networks-scale", "0.5"])
        run([binary, "sample", "exp.toml", "--out", "other", "--threads", "1", "--quiet", "--shard", "2/2",
             "--networks-scale", "0.3"])
        s1, s2 = "sh/results-shard-1-of-2.db", "sh/results-shard-2-of-2.db"
        if count(s1) + count(s2) != 8 * 10:
            sys.exit(f"FAIL: shards at scale 0.5 hold {count(s1)} + {count(s2)} endpoints, expected 80")
        run([binary, "merge", "merged.db", s2, s1, "--out-dir", "merged", "--quiet"])
        assert_same("plain/results.db", "merged.db", "shards at --networks-scale 0.5 merged")
        check_times("merged", "merged.db", "shards merged")
        check_merged_times("merged.db", [s1, s2], "shards at --networks-scale 0.5 merged")
        p = run([binary, "merge", "out-odd.db", s1, "other/results-shard-2-of-2.db"], ok=(1,))
        for w in ("other/results-shard-2-of-2.db", "--networks-scale 0.3", "0.5", "one scale"):
            if w not in p.stderr:
                sys.exit(f"FAIL: merge of shards at two scales: message lacks '{w}':\n{p.stderr}")
        if "0.2999" in p.stderr:  # scales print in their shortest exact form
            sys.exit(f"FAIL: merge message prints a scale with spurious digits:\n{p.stderr}")
        print(f"ok: refused: {p.stderr.strip()}")
        return 0
    run([binary, "sample", "exp.toml", "--out", "plain", "--threads", "1", "--quiet"])
    ref = "plain/results.db"
    total = 8 * 20

    if case == "ranks":
        for k in (1, 2, 3):
            run(mpirun_prefix(k) + [binary, "sample", "exp.toml", "--out", f"np{k}", "--threads", "1", "--quiet"])
            assert_same(ref, f"np{k}/results.db", f"mpirun -np {k}")
            if k == 2:
                check_times(f"np{k}", f"np{k}/results.db", f"mpirun -np {k}")
            with open(f"np{k}/summary.json") as a, open("plain/summary.json") as b:
                if ('"global_minimum"' in a.read()) != ('"global_minimum"' in b.read()):
                    sys.exit("FAIL: summary.json differs in its classes")
    elif case == "kill_resume":
        # A worker (rank 1, right after sending its first chunk) and rank 0 itself (right after
        # its fifth commit) die by SIGKILL: the job stops, what was committed stays, and
        # --resume (single process, or under mpirun) completes it.
        for victim, after, name in (("1", "1", "killed1"), ("0", "5", "killed0")):
            p = run(mpirun_prefix(3) + [binary, "sample", "exp.toml", "--out", name, "--threads", "1", "--quiet"],
                    ok=None, env={"LANDSCAPE_FAULT_KILL_RANK": victim, "LANDSCAPE_FAULT_KILL_AFTER_CHUNKS": after})
            if p.returncode == 0:
                sys.exit(f"FAIL: a job whose rank {victim} was killed exited 0")
            _, n = table(f"{name}/results.db", "SELECT COUNT(*) FROM endpoints")
            _, st = table(f"{name}/results.db", "SELECT status FROM runs")
            if victim == "1" and st[0][0] == "complete" and n[0][0] == total:
                # The other ranks finished every unit before the launcher tore the job down: the
                # dead worker had already delivered its chunk, so nothing is lost or to resume.
                print(f"ok: rank 1 killed after the others finished: job exited {p.returncode}, run complete")
                continue
            if st[0][0] == "complete" or n[0][0] > total or (victim == "0" and not 0 < n[0][0] < total):
                sys.exit(f"FAIL: after killing rank {victim}: {n[0][0]} of {total} endpoints stored, run {st[0][0]}")
            print(f"ok: rank {victim} killed: job exited {p.returncode}, {n[0][0]} of {total} endpoints committed, "
                  f"run {st[0][0]}")
            check_time_sums(f"{name}/results.db", f"rank {victim} killed")
        _, st1 = table("killed1/results.db", "SELECT status FROM runs")
        if st1[0][0] != "complete":
            run([binary, "sample", "exp.toml", "--out", "killed1", "--threads", "1", "--quiet", "--resume"])
        assert_same(ref, "killed1/results.db", "rank 1 killed under mpirun, resumed in one process")
        # Resumed with train-ahead forced on (as a GPU rank runs: the next unit trains while this
        # one is analyzed); mpirun passes the variable on with -x.
        run(mpirun_prefix(2) + pass_env("LANDSCAPE_OVERLAP") + [binary, "sample", "exp.toml", "--out", "killed0",
                                "--threads", "1", "--quiet", "--resume"], env={"LANDSCAPE_OVERLAP": "1"})
        assert_same(ref, "killed0/results.db", "rank 0 killed under mpirun, resumed under mpirun -np 2 with train-ahead")
        check_times("killed0", "killed0/results.db", "rank 0 killed, resumed")
    elif case == "chunk_error":
        p = run(mpirun_prefix(3) + [binary, "sample", "exp.toml", "--out", "err", "--threads", "1", "--quiet"],
                ok=None, env={"LANDSCAPE_FAULT_CHUNK_ERROR_RANK": "2"})
        if p.returncode == 0 or "rank 2 failed on cell" not in p.stderr or "chunk of network" not in p.stderr:
            sys.exit(f"FAIL: a failing chunk: exit {p.returncode}, stderr:\n{p.stderr}")
        _, st = table("err/results.db", "SELECT status FROM runs")
        if st[0][0] != "failed":
            sys.exit(f"FAIL: run status {st[0][0]} after a failed chunk")
        print("ok: " + [l for l in p.stderr.splitlines() if "rank 2 failed" in l][0])
        run([binary, "sample", "exp.toml", "--out", "err", "--threads", "1", "--quiet", "--resume"])
        assert_same(ref, "err/results.db", "failed chunk, resumed")
    elif case == "finalize_error":
        # Rank 0 fails while finalizing cell 2 (after the escape tests came back): the run is
        # marked failed naming rank 0, the cell and what it was doing, the job ends in order (no
        # abort), and every chunk a worker sent is committed, none dropped.
        p = run(mpirun_prefix(3) + [binary, "sample", "exp.toml", "--out", "fin", "--threads", "1", "--quiet"],
                ok=None, env={"LANDSCAPE_FAULT_FINALIZE_ERROR_CELL": "2", "LANDSCAPE_TRACE_UNITS": "1"})
        if p.returncode != 1 or "rank 0 failed on cell 2" not in p.stderr or "injected finalization failure" \
                not in p.stderr or "MPI_ABORT" in p.stderr:
            sys.exit(f"FAIL: a failing finalization: exit {p.returncode}, stderr:\n{p.stderr}")
        _, st = table("fin/results.db", "SELECT status FROM runs")
        if st[0][0] != "failed":
            sys.exit(f"FAIL: run status {st[0][0]} after a failed finalization")
        # Every chunk a worker sent (or rank 0 finished itself) is committed, none dropped.
        check_traced_committed(p.stderr, "fin/results.db", "a failing finalization")
        print(f"ok: {[l for l in p.stderr.splitlines() if 'rank 0 failed' in l][0]}")
        run([binary, "sample", "exp.toml", "--out", "fin", "--threads", "1", "--quiet", "--resume"])
        assert_same(ref, "fin/results.db", "failed finalization, resumed")
    elif case == "sigterm":
        # scancel: SIGTERM to every rank. Rank 0 commits what is finished, marks the run
        # interrupted and exits non-zero; the workers stop too; --resume completes it. Then the
        # same with SIGTERM to mpirun, which passes it on to the ranks.
        run([binary, "sample", "exp.toml", "--out", "plain3", "--threads", "1", "--quiet", "--networks-scale", "3"])
        total3 = 8 * 60
        for name, target in (("term-ranks", "ranks"), ("term-mpirun", "mpirun")):
            cmd = mpirun_prefix(3) + [binary, "sample", "exp.toml", "--out", name, "--threads", "1", "--quiet",
                                      "--networks-scale", "3"]
            # Each unit waits 100 ms first: the job lasts a few seconds without more work, so
            # mpirun's delay in passing the signal on (about a second) still lands mid-run.
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=dict(os.environ, LANDSCAPE_FAULT_SLOW_UNIT_MS="100", LANDSCAPE_TRACE_UNITS="1"))
            wait_for_endpoints(f"{name}/results.db", proc)
            pids = rank_pids(proc.pid, binary)
            if proc.poll() is not None or len(pids) != 3:
                proc.kill()
                sys.exit(f"FAIL: SIGTERM ({target}): the job ended before it could be signalled, or "
                         f"{len(pids)} ranks found")
            t0 = time.time()
            if target == "ranks":
                for q in pids:
                    os.kill(q, signal.SIGTERM)
            else:
                proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                sys.exit(f"FAIL: SIGTERM ({target}): the job did not stop within 20 s")
            n, st = count(f"{name}/results.db"), table(f"{name}/results.db", "SELECT status FROM runs")[1][0][0]
            # Rank 0 exits 130; a launcher that was signalled itself reports its own status (Open MPI's
            # mpirun 1, MPICH's Hydra sometimes 0), so only Open MPI's is checked there.
            nonzero = proc.returncode != 0 or (target == "mpirun" and not open_mpi())
            if not nonzero or "stopped by signal 15" not in err or st != "interrupted" or not 0 < n < total3:
                sys.exit(f"FAIL: SIGTERM ({target}): exit {proc.returncode}, run {st}, {n} of {total3} endpoints; "
                         f"stderr:\n{err}")
            print(f"ok: SIGTERM ({target}): stopped in {time.time() - t0:.1f} s, exit {proc.returncode}, "
                  f"{n} of {total3} endpoints committed, run interrupted")
            # Nothing finished is lost: every unit a worker sent or rank 0 finished is committed,
            # with its times.
            check_traced_committed(err, f"{name}/results.db", f"SIGTERM ({target})")
            check_time_sums(f"{name}/results.db", f"SIGTERM ({target})")
        run([binary, "sample", "exp.toml", "--out", "term-ranks", "--threads", "1", "--quiet", "--networks-scale",
             "3", "--resume"])
        assert_same("plain3/results.db", "term-ranks/results.db", "SIGTERM to every rank, resumed in one process")
        run(mpirun_prefix(2) + [binary, "sample", "exp.toml", "--out", "term-mpirun", "--threads", "1", "--quiet",
                                "--networks-scale", "3", "--resume"])
        assert_same("plain3/results.db", "term-mpirun/results.db", "SIGTERM to mpirun, resumed under mpirun -np 2")
        for name in ("term-ranks", "term-mpirun"):
            check_time_sums(f"{name}/results.db", f"SIGTERM ({name}), resumed")
    elif case == "times_resume":
        # One process, SIGKILL right after its 6th commit (cell 1's second chunk; chunks of 6, so
        # 4 per cell): the chunks committed keep their times, cell 1's too, in the transactions that
        # committed them; the resume adds its own work only. Over the cells, the train and analysis
        # seconds add up to the run's (which every commit adds to) before and after the resume.
        p = run([binary, "sample", "exp.toml", "--out", "killed", "--threads", "1", "--quiet"], ok=None,
                env={"LANDSCAPE_FAULT_KILL_AFTER_CHUNKS": "6"})
        if p.returncode != -signal.SIGKILL:
            sys.exit(f"FAIL: the fault hook did not kill the run (exit {p.returncode})")
        t = cell_times("killed/results.db")
        if t.get(0) is None or t.get(1) is None or not all(x > 0 for x in t[0] + t[1][:2] + t[1][3:]):
            sys.exit(f"FAIL: killed after cell 1's second chunk: cell times {t}; the committed chunks' times are lost")
        if count("killed/results.db") != 20 + 12:
            sys.exit(f"FAIL: {count('killed/results.db')} endpoints committed before the kill, expected 32")
        print(f"ok: killed mid-cell: cell 1 keeps its 2 committed chunks' times {t[1]}")
        check_time_sums("killed/results.db", "killed mid-cell")
        run([binary, "sample", "exp.toml", "--out", "killed", "--threads", "1", "--quiet", "--resume"])
        assert_same(ref, "killed/results.db", "killed mid-cell, resumed")
        check_times("killed", "killed/results.db", "killed mid-cell, resumed")
        after = cell_times("killed/results.db")
        if not all(close(a, b) for a, b in zip(after[0], t[0])):
            sys.exit(f"FAIL: cell 0, complete before the kill, has other times after the resume: {t[0]} -> {after[0]}")
        if not after[1][0] > t[1][0]:
            sys.exit(f"FAIL: cell 1's training seconds did not grow with the resume's chunks: {t[1]} -> {after[1]}")
        # One process without train-ahead: a cell's wall time covers its stages.
        for ci, (tr, an, de, tot) in after.items():
            if tot < (tr + an + de) * (1 - 1e-9):
                sys.exit(f"FAIL: cell {ci}: seconds_total {tot} < train + analyze + decide {tr + an + de}")
        with open("killed/summary.json") as f:
            summary = json.load(f)["cells"]
        for c in summary:
            ts = c["timing_seconds"]
            if not all(close(x, y) for x, y in zip((ts["train"], ts["analyze"], ts["decide"], ts["total"]),
                                                  after[c["cell"]])):
                sys.exit(f"FAIL: summary.json cell {c['cell']} timing_seconds {ts} differ from cell_seconds "
                         f"{after[c['cell']]}")
        print("ok: summary.json's timing_seconds are the stored cell_seconds (both processes')")
    elif case in ("resume_complete", "resume_complete_mpi"):
        # --resume of a complete run (in one process, or under mpirun -np 2) finalizes nothing
        # again and adds no time: the database, endpoints.csv and summary.json's cells stay as
        # they were, bit for bit.
        before = snapshot("plain")
        launch = mpirun_prefix(2) if case == "resume_complete_mpi" else []
        run(launch + [binary, "sample", "exp.toml", "--out", "plain", "--threads", "1", "--quiet", "--resume"])
        assert_unchanged(before, snapshot("plain"), "complete run resumed" + (" under mpirun -np 2" if launch else ""))
        # A run stopped after its first cells completed: the resume reads those back as stored.
        p = run([binary, "sample", "exp.toml", "--out", "part", "--threads", "1", "--quiet"], ok=None,
                env={"LANDSCAPE_FAULT_KILL_AFTER_CHUNKS": "9"})
        t = cell_times("part/results.db")
        run(launch + [binary, "sample", "exp.toml", "--out", "part", "--threads", "1", "--quiet", "--resume"])
        u = cell_times("part/results.db")
        if t[0] != u[0] or t[1] != u[1]:
            sys.exit(f"FAIL: cells complete before the resume got other times: {t[0]}, {t[1]} -> {u[0]}, {u[1]}")
        assert_same(ref, "part/results.db", "killed after two cells, resumed")
        with open("plain/summary.json") as a, open("part/summary.json") as b:
            ca, cb = json.load(a)["cells"], json.load(b)["cells"]
        for x, y in zip(ca, cb):
            x.pop("timing_seconds"), y.pop("timing_seconds")
        if ca != cb:
            sys.exit("FAIL: summary.json of the resumed run differs from the plain run's (timings aside)")
        print("ok: summary.json's cells, read back or finalized, equal the plain run's (timings aside)")
    elif case in ("sigterm_worker", "sigterm_overlap"):
        # sigterm_worker: SIGTERM to one worker rank alone (rank 1): it gives back what it had not
        # started and tells rank 0, and the whole job stops in order. sigterm_overlap: SIGTERM to
        # every rank with train-ahead on (LANDSCAPE_OVERLAP=1): rank 0 starts no analysis once it
        # stops (a unit it trained ahead is dropped, left for the resume). Either way every unit
        # finished is committed and the resume equals a plain run.
        run([binary, "sample", "exp.toml", "--out", "plain3", "--threads", "1", "--quiet", "--networks-scale", "3"])
        total3 = 8 * 60
        env = {"LANDSCAPE_FAULT_SLOW_UNIT_MS": "100", "LANDSCAPE_TRACE_UNITS": "1"}
        if case == "sigterm_overlap":
            env["LANDSCAPE_OVERLAP"] = "1"
        cmd = mpirun_prefix(3) + sum((pass_env(k) for k in env), []) + [
            binary, "sample", "exp.toml", "--out", "term", "--threads", "1", "--quiet", "--networks-scale", "3"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, **env))
        wait_for_endpoints("term/results.db", proc)
        pids = rank_pids(proc.pid, binary)
        ranks = {rank_of(q): q for q in pids}
        if proc.poll() is not None or sorted(ranks) != [0, 1, 2]:
            proc.kill()
            sys.exit(f"FAIL: {case}: the job ended before it could be signalled, or ranks {sorted(ranks)} found")
        t0 = time.time()
        for r, q in ranks.items():
            if case == "sigterm_overlap" or r == 1:
                os.kill(q, signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            sys.exit(f"FAIL: {case}: the job did not stop within 20 s")
        n, st = count("term/results.db"), table("term/results.db", "SELECT status FROM runs")[1][0][0]
        if proc.returncode == 0 or "stopped by signal 15" not in err or st != "interrupted" or not 0 < n < total3 \
                or "MPI_ABORT" in err:
            sys.exit(f"FAIL: {case}: exit {proc.returncode}, run {st}, {n} of {total3} endpoints; stderr:\n{err}")
        print(f"ok: {case}: stopped in {time.time() - t0:.1f} s, exit {proc.returncode}, {n} of {total3} endpoints "
              "committed, run interrupted")
        check_traced_committed(err, "term/results.db", case)
        check_time_sums("term/results.db", case)
        rank0 = [l for l in err.splitlines() if l.startswith("trace: rank 0 ")]
        stops = [i for i, l in enumerate(rank0) if l.startswith("trace: rank 0 stops")]
        if not stops:
            sys.exit(f"FAIL: {case}: rank 0 traced no stop:\n{err}")
        late = [l for l in rank0[stops[0]:] if " analyzes " in l]
        if late:
            sys.exit(f"FAIL: {case}: rank 0 started analyzing after it stopped: {late}")
        dropped = [l for l in rank0 if " dropped " in l]
        print(f"ok: {case}: rank 0 started no analysis after it stopped ({len(dropped)} unit(s) trained ahead dropped)")
        run(mpirun_prefix(2) + sum((pass_env(k) for k in env if k == "LANDSCAPE_OVERLAP"), []) +
            [binary, "sample", "exp.toml", "--out", "term", "--threads", "1", "--quiet", "--networks-scale", "3",
             "--resume"], env={k: v for k, v in env.items() if k == "LANDSCAPE_OVERLAP"})
        assert_same("plain3/results.db", "term/results.db", f"{case}, resumed under mpirun -np 2")
        check_time_sums("term/results.db", f"{case}, resumed")
    elif case == "stray_result":
        # A worker sends a result twice (rank 1, its first chunk): a protocol violation. Rank 0
        # fails the run naming the rank, the cell and the networks, in order (no abort), with
        # every chunk committed before kept: at once during the run, and (LATE) once the others
        # have finished it, when rank 0 is releasing the ranks.
        for late in ("0", "1"):
            name = f"stray{late}"
            env = {"LANDSCAPE_FAULT_STRAY_RESULT_RANK": "1", "LANDSCAPE_FAULT_STRAY_RESULT_LATE": late}
            p = run(mpirun_prefix(3) + sum((pass_env(k) for k in env), []) +
                    [binary, "sample", "exp.toml", "--out", name, "--threads", "1", "--quiet"], ok=None, env=env)
            msg = [l for l in p.stderr.splitlines() if "MPI protocol violation: rank 1 sent a result for cell " in l]
            _, st = table(f"{name}/results.db", "SELECT status FROM runs")
            if p.returncode != 1 or not msg or "chunk of network" not in msg[0] or "MPI_ABORT" in p.stderr \
                    or st[0][0] != "failed":
                sys.exit(f"FAIL: a result sent twice (late={late}): exit {p.returncode}, run {st[0][0]}, "
                         f"stderr:\n{p.stderr}")
            print(f"ok: {msg[0]}")
            run([binary, "sample", "exp.toml", "--out", name, "--threads", "1", "--quiet", "--resume"])
            assert_same(ref, f"{name}/results.db", f"result sent twice (late={late}), resumed")
    elif case == "shards":
        # Shards and MPI combine: where MPI is there, shard 2/3 runs on two ranks.
        mpi = bool(launcher() and shutil.which(launcher())) and "mpi: not built" not in run([binary, "version"]).stdout
        for i in (1, 2, 3):
            launch = mpirun_prefix(2) if mpi and i == 2 else []
            p = run(launch + [binary, "sample", "exp.toml", "--out", "sh", "--threads", "1", "--quiet", "--shard",
                              f"{i}/3"])
            if not os.path.exists(f"sh/results-shard-{i}-of-3.db"):
                sys.exit(f"FAIL: shard {i}/3 did not write sh/results-shard-{i}-of-3.db")
        _, n = table("sh/results-shard-2-of-3.db", "SELECT COUNT(*), COUNT(class) FROM endpoints")
        if n[0] != (56, 0):
            sys.exit(f"FAIL: shard 2/3 holds {n[0][0]} endpoints ({n[0][1]} classified), expected 56 unclassified")
        # Any order of the inputs.
        p = run([binary, "merge", "merged.db", "sh/results-shard-3-of-3.db", "sh/results-shard-1-of-3.db",
                 "sh/results-shard-2-of-3.db", "--out-dir", "merged", "--quiet"])
        assert_same(ref, "merged.db", "shards 1/3, 2/3, 3/3 merged")
        check_merged_times("merged.db", [f"sh/results-shard-{i}-of-3.db" for i in (1, 2, 3)], "shards 1/3, 2/3, 3/3 merged")
        if not os.path.exists("merged/summary.json"):
            sys.exit("FAIL: merge --out-dir wrote no summary.json")
        # The shards are opened read-only: the merge writes nothing beside them (not even a lock
        # file), leaves their bytes as they were, and runs while another reader holds a shared
        # lock on one (a second merge of the same shards); a writer's exclusive lock refuses it.
        import fcntl
        import hashlib
        shards = [f"sh/results-shard-{i}-of-3.db" for i in (1, 2, 3)]
        os.remove(shards[0] + ".lock")
        digest = [hashlib.sha256(open(x, "rb").read()).hexdigest() for x in shards]
        with open(shards[2] + ".lock") as held:
            fcntl.flock(held, fcntl.LOCK_SH)
            run([binary, "merge", "merged2.db"] + shards + ["--quiet"])
        assert_same(ref, "merged2.db", "shards merged read-only beside another reader")
        if os.path.exists(shards[0] + ".lock"):
            sys.exit("FAIL: merge created a lock file beside a shard it only reads")
        if [hashlib.sha256(open(x, "rb").read()).hexdigest() for x in shards] != digest:
            sys.exit("FAIL: merge changed a shard's file")
        with open(shards[1] + ".lock") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            p = run([binary, "merge", "merged3.db"] + shards, ok=(1,))
        if shards[1] not in p.stderr or "being written" not in p.stderr or os.path.exists("merged3.db"):
            sys.exit(f"FAIL: merge of a shard being written: {p.stderr}")
        print(f"ok: shards read-only: no lock file made, bytes unchanged, a writer's lock refused: {p.stderr.strip()}")
        # A shard under a name that needs quoting in an SQLite URI (space, ?, #, %).
        os.makedirs("odd dir", exist_ok=True)
        shutil.copy(shards[1], "odd dir/s?#%2.db")
        run([binary, "merge", "merged4.db", shards[0], "odd dir/s?#%2.db", shards[2], "--quiet"])
        assert_same(ref, "merged4.db", "shards merged, one named 'odd dir/s?#%2.db'")
    elif case == "merge_refuses":
        for i in (1, 2, 3):
            run([binary, "sample", "exp.toml", "--out", "sh", "--threads", "1", "--quiet", "--shard", f"{i}/3"])
        with open("other.toml", "w") as f:
            f.write(CONFIG.replace("steps = 300", "steps = 301"))
        run([binary, "sample", "other.toml", "--out", "other", "--threads", "1", "--quiet", "--shard", "3/3"])
        run([binary, "sample", "exp.toml", "--out", "two", "--threads", "1", "--quiet", "--shard", "2/2"])
        s1, s2, s3 = (f"sh/results-shard-{i}-of-3.db" for i in (1, 2, 3))
        cases = [
            ([s1, s2, "other/results-shard-3-of-3.db"], ["other/results-shard-3-of-3.db", "different experiment",
                                                         "train.steps: 300 -> 301"]),
            ([s1, s2], ["gap", "shard 3/3 is missing"]),
            ([s1, s2, s3, s2], ["overlap", s2]),
            ([s1, s2, "two/results-shard-2-of-2.db"], ["two/results-shard-2-of-2.db", "split into 2"]),
            ([s1, s2, ref], [ref, "not a shard"]),
            ([s1, s2, "missing.db"], ["missing.db", "no such shard database"]),
        ]
        for k, (inputs, words) in enumerate(cases):
            p = run([binary, "merge", f"out{k}.db"] + inputs, ok=(1,))
            for w in words:
                if w not in p.stderr:
                    sys.exit(f"FAIL: merge {inputs}: message lacks '{w}':\n{p.stderr}")
            if os.path.exists(f"out{k}.db"):
                sys.exit(f"FAIL: a refused merge left out{k}.db behind")
            print(f"ok: refused: {p.stderr.strip().splitlines()[0]}")
        # Network-level gap: a shard database that lost a chunk.
        shutil.copy(s2, "cut.db")
        con = sqlite3.connect("cut.db")
        con.execute("DELETE FROM endpoints WHERE net_index = 10")
        con.commit()
        con.close()
        p = run([binary, "merge", "outcut.db", s1, "cut.db", s3], ok=(1,))
        if "gap" not in p.stderr or "network 10" not in p.stderr or "cut.db" not in p.stderr:
            sys.exit(f"FAIL: a missing network: {p.stderr}")
        print(f"ok: refused: {p.stderr.strip()}")
        p = run([binary, "merge", "merged.db", s1, s2, s3, "--quiet"])
        p = run([binary, "merge", "merged.db", s1, s2, s3], ok=(1,))
        if "already exists" not in p.stderr:
            sys.exit(f"FAIL: merge over an existing file: {p.stderr}")
    else:
        sys.exit(f"unknown case {case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
