"""The Python package against the command line and against finite differences: classify equals
`landscape classify --json`, slices equal `landscape slice`'s CSV and direct loss evaluations,
load/endpoint round-trip a stored sweep whose every class classify reproduces (swept variables
as typed columns), the Hessian matches finite differences of the gradient, errors carry the
CLI's messages. Run by CTest (python_package) with PYTHONPATH at the build tree's package."""

import json
import os
import subprocess

import numpy as np
import pytest

import landscape

BINARY = os.environ.get("LANDSCAPE_BINARY", "landscape")
SOURCE = os.environ.get("LANDSCAPE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def cli(*args, check=True):
    r = subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def cli_error(*args):
    """The message the command line prints after "error: " (exit code 1)."""
    r = cli(*args, check=False)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("error: "), r.stderr
    return r.stderr[len("error: "):].rstrip("\n")


def point_args(p):
    """classify's arguments for a POINT.json object."""
    m = p["model"]
    return dict(weights=[np.array(W, dtype=float) for W in p["weights"]], X=np.array(p["X"], dtype=float),
                Y=np.array(p["Y"], dtype=float), family=m["family"], slope=m.get("slope"))


def same_json(py, ref, where=""):
    """py (classify's dict, arrays inside) equals ref (the CLI's parsed JSON) exactly."""
    if isinstance(py, np.ndarray):
        ref = np.array([np.nan if v is None else v for v in ref], dtype=float)
        np.testing.assert_array_equal(py, ref, err_msg=where)
    elif isinstance(py, dict):
        assert set(py) == set(ref), (where, set(py) ^ set(ref))
        for k in py:
            same_json(py[k], ref[k], f"{where}.{k}")
    elif isinstance(py, list):
        assert len(py) == len(ref), where
        for i, (a, b) in enumerate(zip(py, ref)):
            same_json(a, b, f"{where}[{i}]")
    else:
        assert py == ref, (where, py, ref)


def write_point(tmp_path, name, p):
    path = tmp_path / name
    path.write_text(json.dumps(p))
    return path


def read_csv(path):
    """A CSV of numbers (line.csv, plane.csv) as an array, one row per line after the header."""
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def with_step(weights, direction, t):
    return [W + t * D for W, D in zip(weights, direction)]


def check_slice_against_cli(res, out):
    """res (landscape.slice's dict) holds the numbers `landscape slice` wrote into out/."""
    line = read_csv(out / "line.csv")
    np.testing.assert_array_equal(res["line"]["t"], line[:, 0])
    np.testing.assert_array_equal(res["line"]["loss"], line[:, 1])
    sj = json.load(open(out / "slice.json"))
    assert res["line"]["direction"] == sj["line"]["direction"]
    np.testing.assert_array_equal(res["line"]["vector"], sj["line"]["vector"])
    assert res["classification"]["class"] == sj["class"]
    if res["plane"] is not None:
        plane = read_csv(out / "plane.csv")
        a, b, grid = res["plane"]["a"], res["plane"]["b"], res["plane"]["loss"]
        assert grid.shape == (len(b), len(a))
        np.testing.assert_array_equal(np.tile(a, len(b)), plane[:, 0])
        np.testing.assert_array_equal(np.repeat(b, len(a)), plane[:, 1])
        np.testing.assert_array_equal(grid.ravel(), plane[:, 2])
    else:
        assert not (out / "plane.csv").exists()


W0_DEEP = {"model": {"family": "linear", "dims": [2, 2, 2, 2]},
           "X": [[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]], "Y": [[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]],
           "weights": [[[0, 0], [0, 0]]] * 3}


def leaky_point():
    rng = np.random.default_rng(4)
    dims = [3, 4, 2]
    return {"model": {"family": "leaky_relu", "dims": dims, "slope": 0.2},
            "X": rng.standard_normal((3, 5)).tolist(), "Y": rng.standard_normal((2, 5)).tolist(),
            "weights": [rng.standard_normal((dims[i + 1], dims[i])).tolist() for i in range(2)]}


def test_classify_equals_cli_json(tmp_path):
    example = json.load(open(os.path.join(SOURCE, "examples", "point.json")))
    cases = [("example", example, [], {}),
             # h = 3 at W = 0: a zero Hessian, a non-strict saddle with an escape witness
             ("deep_zero", W0_DEEP, [], {}),
             # no closed form: the empirical optimum from restarts, and tolerances given
             ("leaky", leaky_point(), ["--restarts", 2, "--restart-steps", 200, "--grad-tol", 1e-4],
              dict(restarts=2, restart_steps=200, grad_tol=1e-4)),
             ("refined", example, ["--refine"], dict(refine=True))]
    for name, p, flags, kwargs in cases:
        ref = json.loads(cli("classify", write_point(tmp_path, name + ".json", p), "--json", *flags).stdout)
        got = landscape.classify(**point_args(p), **kwargs)
        assert isinstance(got["eigenvalues"], np.ndarray)
        same_json(got, ref, name)
    deep = landscape.classify(**point_args(W0_DEEP))
    assert deep["class"] == "non_strict_saddle"
    direction = deep["escape"]["direction"]
    assert isinstance(direction, np.ndarray) and direction.shape == (12,)
    # The witness is real: the loss drops along it by the reported amount.
    args = point_args(W0_DEEP)
    w = np.concatenate([W.ravel() for W in args["weights"]]) + deep["escape"]["step"] * direction
    moved = [w[0:4].reshape(2, 2), w[4:8].reshape(2, 2), w[8:12].reshape(2, 2)]
    loss, _ = landscape.loss_and_gradient(moved, args["X"], args["Y"])
    assert deep["loss"] - loss == pytest.approx(deep["escape"]["loss_drop"], rel=1e-9)


def test_slice_equals_cli_csv_and_direct_loss(tmp_path):
    p = leaky_point()
    args = point_args(p)
    pt = write_point(tmp_path, "p.json", p)
    cli("slice", pt, "--direction", "eig:1", "--plane", "random", "--steps", 9, "--plane-steps", 5,
        "--range", 0.5, "--seed", 4, "--out", tmp_path / "s")
    res = landscape.slice(**args, direction="eig:1", plane="random", steps=9, plane_steps=5, range=0.5, seed=4)
    check_slice_against_cli(res, tmp_path / "s")
    line = res["line"]
    assert line["direction"] == "eig:1" and len(line["t"]) == 9
    assert line["eigenvalue"] == pytest.approx(res["classification"]["eigenvalues"][1], rel=1e-12)
    assert np.linalg.norm(line["vector"]) == pytest.approx(1.0, rel=1e-12)
    # every value is L(W + t*d), d the returned direction, as loss_and_gradient evaluates it
    for t, value in zip(line["t"], line["loss"]):
        loss, _ = landscape.loss_and_gradient(with_step(args["weights"], line["vectors"], t), args["X"], args["Y"],
                                              "leaky_relu", 0.2)
        assert value == pytest.approx(loss, rel=1e-12, abs=1e-14)
    pl = res["plane"]
    d1, d2 = pl["vectors1"], pl["vectors2"]
    for k in ("1", "2"):
        assert [x.shape for x in pl["vectors" + k]] == [W.shape for W in args["weights"]]
        np.testing.assert_array_equal(np.concatenate([x.ravel() for x in pl["vectors" + k]]), pl["vector" + k])
    for j, b in enumerate(pl["b"]):
        for i, a in enumerate(pl["a"]):
            W = [W0 + a * D1 + b * D2 for W0, D1, D2 in zip(args["weights"], d1, d2)]
            loss, _ = landscape.loss_and_gradient(W, args["X"], args["Y"], "leaky_relu", 0.2)
            assert pl["loss"][j, i] == pytest.approx(loss, rel=1e-12, abs=1e-14)
    # the centre of an odd grid is the point itself
    loss0, _ = landscape.loss_and_gradient(**args)
    assert line["loss"][4] == loss0 and pl["loss"][2, 2] == loss0

    # a direction given as arrays shaped like the weights, against the CLI's direction file
    rng = np.random.default_rng(9)
    D = [rng.standard_normal(W.shape) for W in args["weights"]]
    (tmp_path / "d.json").write_text(json.dumps({"weights": [x.tolist() for x in D]}))
    cli("slice", pt, "--direction", tmp_path / "d.json", "--plane", "none", "--steps", 7, "--out", tmp_path / "u")
    given = landscape.slice(**args, direction=D, steps=7)
    flat = landscape.slice(**args, direction=np.concatenate([x.ravel() for x in D]), steps=7)
    assert given["plane"] is None and given["line"]["direction"] == "given"
    np.testing.assert_array_equal(given["line"]["loss"], read_csv(tmp_path / "u" / "line.csv")[:, 1])
    np.testing.assert_array_equal(flat["line"]["loss"], given["line"]["loss"])
    np.testing.assert_array_equal(given["line"]["vector"], np.concatenate([x.ravel() for x in D]))
    for t, value in zip(given["line"]["t"], given["line"]["loss"]):
        loss, _ = landscape.loss_and_gradient(with_step(args["weights"], D, t), args["X"], args["Y"], "leaky_relu", 0.2)
        assert value == pytest.approx(loss, rel=1e-12)
    # the witness at W = 0 of a deep net, as the CLI takes it
    cli("slice", write_point(tmp_path, "w0.json", W0_DEEP), "--direction", "witness", "--plane", "eig:0,eig:1",
        "--steps", 5, "--plane-steps", 3, "--out", tmp_path / "w")
    w = landscape.slice(**point_args(W0_DEEP), direction="witness", plane="eig:0,eig:1", steps=5, plane_steps=3)
    check_slice_against_cli(w, tmp_path / "w")
    assert w["classification"]["class"] == "non_strict_saddle"
    np.testing.assert_array_equal(w["line"]["vector"], w["classification"]["escape"]["direction"])
    # bad requests name the argument
    with pytest.raises(landscape.Error, match=r"^direction\[1\]: expected shape \(2, 4\)"):
        landscape.slice(**args, direction=[D[0], D[1].T])
    with pytest.raises(landscape.Error, match=r"^direction: expected 20 numbers"):
        landscape.slice(**args, direction=np.ones(5))
    with pytest.raises(landscape.Error, match="has no escape witness"):
        landscape.slice(**args, direction="witness")


def test_long_calls_release_the_gil():
    """Another Python thread runs while hessian, classify and slice compute.

    Each call is repeated until the calls together have run for at least 0.2 s (a call alone
    may take 0.04 s or 0.15 s, depending on the machine's load), and only the other thread's
    ticks that fall strictly inside a call count: with the GIL held through a call there would
    be none, since a tick is taken under the GIL."""
    import threading
    import time

    rng = np.random.default_rng(0)

    def point(width, n):  # a three-layer linear net of the given width
        return ([rng.standard_normal((width, width)) / 5 for _ in range(3)], rng.standard_normal((width, n)),
                rng.standard_normal((width, n)))

    big, small = point(30, 60), point(12, 30)  # P = 2700 for the Hessian alone, P = 432
    calls = {"hessian": lambda: landscape.hessian(*big),
             "classify": lambda: landscape.classify(*small),
             "slice": lambda: landscape.slice(*small, direction="random", steps=200)}
    margin, tick = 0.005, 0.005
    for name, call in calls.items():
        windows = []

        def work():
            total = 0.0
            while total < 0.2 and len(windows) < 200:
                t0 = time.perf_counter()
                call()
                t1 = time.perf_counter()
                windows.append((t0, t1))
                total += t1 - t0

        worker = threading.Thread(target=work)
        ticks = []
        worker.start()
        while worker.is_alive():
            ticks.append(time.perf_counter())
            time.sleep(tick)
        worker.join()
        busy = sum(t1 - t0 for t0, t1 in windows)
        assert busy >= 0.2, (name, busy, len(windows))
        inside = [t for t in ticks if any(t0 + margin < t < t1 - margin for t0, t1 in windows)]
        # the other thread ticks every 5 ms when it may run; ask for one tick per 40 ms of calls
        interior = sum(max(0.0, t1 - t0 - 2 * margin) for t0, t1 in windows)
        assert len(inside) >= max(3, int(interior / 0.04)), (name, busy, len(windows), interior, len(inside))


def test_hessian_and_gradient_against_finite_differences():
    rng = np.random.default_rng(1)
    for family, slope, dims in [("linear", None, [3, 2, 4, 2]), ("leaky_relu", 0.3, [4, 3, 2])]:
        X, Y = rng.standard_normal((dims[0], 6)), rng.standard_normal((dims[-1], 6))
        Ws = [rng.standard_normal((dims[i + 1], dims[i])) for i in range(len(dims) - 1)]
        sizes = [W.size for W in Ws]
        P = sum(sizes)

        def unpack(w):
            out, off = [], 0
            for W in Ws:
                out.append(w[off:off + W.size].reshape(W.shape))
                off += W.size
            return out

        def grad(w):
            loss, g = landscape.loss_and_gradient(unpack(w), X, Y, family, slope)
            return loss, np.concatenate([G.ravel() for G in g])

        w0 = np.concatenate([W.ravel() for W in Ws])
        L0, g0 = grad(w0)
        F = Ws[0] @ X
        if family == "leaky_relu":
            F = np.where(F >= 0, F, slope * F)
        for W in Ws[1:]:
            F = W @ F
            if family == "leaky_relu":
                F = np.where(F >= 0, F, slope * F)
        assert L0 == pytest.approx(0.5 * np.sum((F - Y) ** 2), rel=1e-12)
        H = landscape.hessian(Ws, X, Y, family, slope)
        assert H.shape == (P, P)
        np.testing.assert_allclose(H, H.T, atol=1e-12 * np.abs(H).max())
        eps = 1e-5
        fd_H = np.empty((P, P))
        fd_g = np.empty(P)
        for k in range(P):
            e = np.zeros(P)
            e[k] = eps
            (Lp, gp), (Lm, gm) = grad(w0 + e), grad(w0 - e)
            fd_H[:, k] = (gp - gm) / (2 * eps)
            fd_g[k] = (Lp - Lm) / (2 * eps)
        scale = np.abs(H).max()
        np.testing.assert_allclose(H, fd_H, atol=1e-6 * scale, rtol=1e-6)
        np.testing.assert_allclose(g0, fd_g, atol=1e-6 * np.abs(g0).max(), rtol=1e-6)


SWEEP = {
    "experiment": {"name": "py", "networks": 4, "seed": 5, "backend": "cpu"},
    "model": {"family": "linear", "dims": [[3, 2, 3], [3, 2, 2, 3]]},
    "data": {"n": 6, "y_rank": [0, 1]},
    "init": {"scale": 1.0},
    "train": {"lr": 0.01, "steps": 600},
    "refine": {"enabled": True, "max_iterations": 20},
    "escape": {"random_directions": 8, "perturbed_runs": 2, "perturbed_steps": 200},
}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep")
    res = landscape.sample(SWEEP, db=d / "results.db", out=d / "out", quiet=True)
    return d, res


def test_sample_dict_equals_toml_file(sweep, tmp_path):
    d, res = sweep
    toml = tmp_path / "sweep.toml"
    toml.write_text(landscape.config_to_toml(SWEEP))
    cli("sample", toml, "--quiet", "--db", tmp_path / "cli.db", "--out", tmp_path / "out")
    ref = landscape.load(tmp_path / "cli.db")
    cols = ["cell_index", "net_index", "class", "loss", "grad_norm", "lambda_min"]
    assert res.endpoints[cols].equals(ref.endpoints[cols])


def test_load_has_swept_columns_and_endpoint_round_trips(sweep, tmp_path):
    d, res = sweep
    db = d / "results.db"
    assert res.run == 1 and len(res.runs) == 1 and res.runs["status"][0] == "complete"
    assert res.swept == ["dims", "y_rank"]
    assert list(res.cells["dims"]) == [(3, 2, 3), (3, 2, 2, 3), (3, 2, 3), (3, 2, 2, 3)]
    assert list(res.cells["y_rank"]) == [0, 0, 1, 1]
    assert len(res.endpoints) == 16
    assert set(res.endpoints["sweep_y_rank"]) == {0, 1}
    assert "y_rank" not in res.endpoints and "sweep_dims" in res.endpoints
    assert (res.endpoints["loss_gap"] >= -1e-9).all()
    for _, row in res.endpoints.iterrows():
        cell, net = int(row["cell_index"]), int(row["net_index"])
        e = landscape.endpoint(db, cell, net)
        assert e["class"] == row["class"] and e["analysis"]["loss"] == row["loss"]
        assert [W.shape for W in e["weights"]] == [(e["dims"][i + 1], e["dims"][i]) for i in range(len(e["dims"]) - 1)]
        assert e["X"].shape == (3, 6) and e["Y"].shape == (3, 6)
        # as trained, refined on classification with the sweep's settings: the stored class
        got = landscape.classify(e["weights"], e["X"], e["Y"], e["family"], e["slope"],
                                 settings=e["settings"], global_loss=e["point_global_loss"])
        assert got["class"] == row["class"], (cell, net)
        r = landscape.endpoint(db, cell, net, refined=True)
        loss, _ = landscape.loss_and_gradient(r["weights"], r["X"], r["Y"])
        assert loss == pytest.approx(row["loss"], rel=1e-12, abs=1e-12)  # the stored loss is the refined one
        assert landscape.classify(r["weights"], r["X"], r["Y"], settings=r["settings"])["class"] == row["class"]
        # landscape.point writes what `landscape point` writes
        ref = json.loads(cli("point", db, "--cell", cell, "--net", net).stdout)
        assert landscape.point(e) == ref
    # the same cells' data as the dataset the sweep trained on: the stored X has the run's n
    assert res.cells["n"].tolist() == [6, 6, 6, 6]


def test_slice_of_a_stored_endpoint_equals_the_cli(sweep, tmp_path):
    d, res = sweep
    db = d / "results.db"
    for cell, net in [(0, 0), (3, 2)]:
        for refined in (False, True):
            which = ["--cell", cell, "--net", net] + (["--refined"] if refined else [])
            out = tmp_path / f"c{cell}n{net}{refined}"
            cli("slice", db, *which, "--direction", "min-eig", "--plane", "random", "--steps", 7,
                "--plane-steps", 3, "--out", out)
            kw = dict(direction="min-eig", plane="random", steps=7, plane_steps=3)
            stored = landscape.slice(db=db, cell=cell, net=net, refined=refined, **kw)
            check_slice_against_cli(stored, out)
            row = res.endpoints[(res.endpoints["cell_index"] == cell) & (res.endpoints["net_index"] == net)]
            assert stored["classification"]["class"] == row["class"].item()
            # the same from landscape.endpoint's dict (its arrays, settings and L*)
            e = landscape.endpoint(db, cell, net, refined=refined)
            via = landscape.slice(e, **kw)
            np.testing.assert_array_equal(via["line"]["loss"], stored["line"]["loss"])
            np.testing.assert_array_equal(via["plane"]["loss"], stored["plane"]["loss"])
            assert via["classification"]["class"] == row["class"].item()
            loss, _ = landscape.loss_and_gradient(e["weights"], e["X"], e["Y"])
            assert stored["line"]["loss"][3] == loss
    with pytest.raises(landscape.Error, match="name the endpoint with cell= and net="):
        landscape.slice(db=db, cell=0)
    with pytest.raises(landscape.Error, match=r"^cell: only for a stored endpoint"):
        landscape.slice(**point_args(W0_DEEP), cell=0)
    with pytest.raises(landscape.Error) as err:
        landscape.slice(db=db, cell=9, net=0)
    assert str(err.value) == cli_error("slice", db, "--cell", 9, "--net", 0)


def test_load_reads_the_swept_column(tmp_path):
    # init.scale has no column of its own in the cells table (init_scale does), so its column
    # comes from cells.swept alone
    config = {"experiment": {"networks": 1, "backend": "cpu"},
              "model": {"family": "linear", "dims": [2, 2]},
              "data": {"n": [4, 6]}, "init": {"scale": [1.0, 0.5]}, "train": {"steps": 20}}
    res = landscape.sample(config, db=tmp_path / "s.db", out=tmp_path / "out", quiet=True)
    assert res.swept == ["n", "scale"]  # grid order
    assert list(res.cells["n"]) == [4, 6, 4, 6] and list(res.cells["scale"]) == [1.0, 1.0, 0.5, 0.5]
    assert res.cells["n"].dtype == np.int64 and res.cells["scale"].dtype == np.float64
    assert res.endpoints["sweep_n"].dtype == np.int64 and res.endpoints["sweep_scale"].dtype == np.float64
    assert list(res.endpoints["sweep_scale"]) == [1.0, 1.0, 0.5, 0.5]
    assert list(res.cells["init_scale"]) == list(res.cells["scale"])
    assert res.cells["swept"][3] == {"n": 6, "scale": 0.5}
    # read from cells.swept, not from the label: a database whose labels say nothing loads the same
    import shutil
    import sqlite3
    shutil.copy(tmp_path / "s.db", tmp_path / "t.db")
    with sqlite3.connect(tmp_path / "t.db") as con:
        con.execute("UPDATE cells SET label = 'cell ' || cell_index")
    again = landscape.load(tmp_path / "t.db")
    assert again.swept == ["n", "scale"]
    assert again.cells[["n", "scale"]].equals(res.cells[["n", "scale"]])
    assert landscape.swept_values('{"dims":[3,2,3],"small":true}') == {"dims": (3, 2, 3), "small": True}
    assert landscape.swept_values("{}") == {}


def test_errors_carry_the_cli_messages(sweep, tmp_path):
    d, _ = sweep
    db = d / "results.db"
    with pytest.raises(landscape.Error) as e:
        landscape.endpoint(db, 9, 0)
    assert str(e.value) == cli_error("point", db, "--cell", 9, "--net", 0)
    with pytest.raises(landscape.Error) as e:
        landscape.endpoint(db, 0, 99)
    assert str(e.value) == cli_error("point", db, "--cell", 0, "--net", 99)
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nfamily = \"linear\"\ndims = [2, 2]\n[train]\nlr = -1\n")
    with pytest.raises(landscape.Error) as e:
        landscape.sample(bad, db=tmp_path / "x.db", out=tmp_path / "o", quiet=True)
    assert str(e.value) == cli_error("sample", bad, "--db", tmp_path / "x.db", "--out", tmp_path / "o")
    assert "train.lr (line 5): must be > 0" in str(e.value)
    assert not (tmp_path / "x.db").exists()
    with pytest.raises(landscape.Error) as e:
        landscape.load(tmp_path / "missing.db")
    assert "missing.db: cannot read database" in str(e.value)
    # a point in the wrong layout: W_1 given as (in, out)
    p = point_args(json.load(open(os.path.join(SOURCE, "examples", "point.json"))))
    p["weights"][0] = np.zeros((3, 2))
    with pytest.raises(landscape.Error, match=r"^weights\[0\]: expected 3 columns, got 2$"):
        landscape.classify(**p)
    with pytest.raises(landscape.Error, match=r"settings.classify.eig_tol: must be > 0"):
        landscape.classify(**point_args(W0_DEEP), eig_tol=-1.0)
    assert issubclass(landscape.Error, ValueError)


def test_diverged_endpoint_is_readable_but_not_a_point(tmp_path):
    config = {"experiment": {"networks": 2, "backend": "cpu"},
              "model": {"family": "linear", "dims": [3, 3, 3]},
              "data": {"n": 8}, "train": {"lr": 5.0, "steps": 200}}
    res = landscape.sample(config, db=tmp_path / "d.db", out=tmp_path / "out", quiet=True)
    assert list(res.endpoints["class"]) == ["diverged", "diverged"]
    assert res.swept == [] and len(res.cells) == 1
    e = landscape.endpoint(tmp_path / "d.db", 0, 1)
    assert e["class"] == "diverged" and e["train_status"] == "diverged"
    assert [W.shape for W in e["weights"]] == [(3, 3), (3, 3)]
    message = cli_error("point", tmp_path / "d.db", "--cell", 0, "--net", 1)
    assert "diverged in training" in message
    with pytest.raises(landscape.Error) as err:
        landscape.endpoint(tmp_path / "d.db", 0, 1, refined=True)
    assert "the run did not refine its endpoints" in str(err.value)


def test_swept_train_steps_keeps_the_endpoints_own_steps(tmp_path):
    """A swept variable named like an endpoint column (train.steps: the budget; endpoints.steps:
    the steps a network took) goes on the endpoints as sweep_<name>, as in endpoints.csv."""
    import sqlite3
    config = {"experiment": {"networks": 2, "backend": "cpu"}, "model": {"family": "linear", "dims": [2, 2]},
              "data": {"n": 4}, "train": {"steps": [20, 30]}}
    res = landscape.sample(config, db=tmp_path / "s.db", out=tmp_path / "out", quiet=True)
    assert res.swept == ["steps"]
    assert list(res.cells["steps"]) == [20, 30]
    assert list(res.endpoints["sweep_steps"]) == [20, 20, 30, 30]
    # the same name and values as the CLI's endpoints.csv
    import pandas as pd
    csv = pd.read_csv(tmp_path / "out" / "endpoints.csv")
    assert list(csv["sweep_steps"]) == list(res.endpoints["sweep_steps"])
    # endpoints.steps is what each network took: made different from the budget here, it must
    # come back as stored, as must every other column of the endpoints table
    with sqlite3.connect(tmp_path / "s.db") as con:
        con.execute("UPDATE endpoints SET steps = 7 + net_index")
    con.close()
    again = landscape.load(tmp_path / "s.db")
    assert list(again.endpoints["steps"]) == [7, 8, 7, 8]
    assert list(again.endpoints["sweep_steps"]) == [20, 20, 30, 30]
    with sqlite3.connect(tmp_path / "s.db") as con:
        raw = pd.read_sql_query("SELECT e.* FROM endpoints e JOIN cells c USING (cell_id) "
                                "ORDER BY c.cell_index, e.net_index", con)
    con.close()
    for column in raw.columns:
        if column != "details":
            assert again.endpoints[column].tolist() == raw[column].tolist(), column


def test_settings_values_are_checked_and_named():
    args = point_args(W0_DEEP)
    for bad in (float("nan"), float("inf"), -float("inf"), np.float64("nan")):
        with pytest.raises(landscape.Error, match=r"^settings\.classify\.grad_tol: must be finite"):
            landscape.classify(**args, grad_tol=bad)
    with pytest.raises(landscape.Error, match=r"^settings\.escape\.step_max: must be finite"):
        landscape.classify(**args, settings={"escape": {"step_max": float("inf")}})
    with pytest.raises(landscape.Error, match=r"^settings\.classify\.eig_tol: must be finite"):
        landscape.slice(**args, settings={"classify": {"eig_tol": float("nan")}}, steps=3)
    # integers wider than the field are refused, not wrapped (2^32 would read as 0)
    with pytest.raises(landscape.Error, match=r"^settings\.refine\.max_iterations: must be <= 2147483647$"):
        landscape.classify(**args, settings={"refine": {"max_iterations": 2**32}})
    with pytest.raises(landscape.Error, match=r"^settings\.escape\.random_directions: must be <= 2147483647$"):
        landscape.classify(**args, settings={"escape": {"random_directions": 2**32 + 1}})
    # text that is not JSON reaches the bindings as an Error, never as a raw parser exception
    W, X, Y = landscape._arrays(args["weights"], args["X"], args["Y"])
    with pytest.raises(landscape.Error, match=r"^settings: not valid JSON"):
        landscape._landscape.classify_json(W, X, Y, "linear", None, "{", None, "cpu", 2, 10)
    with pytest.raises(landscape.Error, match=r"^settings: not valid JSON"):
        landscape._landscape.slice_arrays(W, X, Y, "linear", None, "{nan}", None, "auto", None, "none", 1.0,
                                          3, 3, 1, "cpu", 64.0)
    with pytest.raises(landscape.Error, match=r"^settings: not valid JSON"):
        landscape.classify(**args, settings="{")
    # NumPy scalars are numbers, as keyword tolerances and inside settings=
    ref = landscape.classify(**args, grad_tol=1e-5, eig_tol=1e-6)
    got = landscape.classify(**args, grad_tol=np.float32(1e-5), eig_tol=np.float64(1e-6),
                             settings={"refine": {"max_iterations": np.int64(7)},
                                       "escape": {"random_directions": np.int32(32)}})
    assert got["class"] == ref["class"] == "non_strict_saddle"
    # a tolerance of the wrong type names its field
    with pytest.raises(landscape.Error, match=r"^settings\.classify\.grad_tol: expected a number"):
        landscape.classify(**args, grad_tol="1e-5")


def test_arguments_are_checked_and_named(sweep, tmp_path):
    d, _ = sweep
    db = d / "results.db"
    args = point_args(W0_DEEP)
    # complex numbers are refused, not silently made real
    complex_weights = [W.astype(complex) + 1j for W in args["weights"]]
    with pytest.raises(landscape.Error, match=r"^weights\[0\]: complex numbers"):
        landscape.classify(complex_weights, args["X"], args["Y"])
    with pytest.raises(landscape.Error, match=r"^X: complex numbers"):
        landscape.hessian(args["weights"], args["X"] * 1j, args["Y"])
    with pytest.raises(landscape.Error, match=r"^Y: complex numbers"):
        landscape.loss_and_gradient(args["weights"], args["X"], args["Y"].astype(np.complex64))
    with pytest.raises(landscape.Error, match=r"^direction: complex numbers"):
        landscape.slice(**args, direction=np.ones(12, dtype=complex), steps=3)
    with pytest.raises(landscape.Error, match=r"^direction\[0\]: complex numbers"):
        landscape.slice(**args, direction=[W + 1j for W in args["weights"]], steps=3)
    # max_dense_mb=0 is refused, not replaced by the default
    with pytest.raises(landscape.Error, match=r"^max_dense_mb: must be finite and > 0"):
        landscape.slice(**args, steps=3, max_dense_mb=0)
    # run ids start at 1 (None is the newest), as --run
    for call in (lambda: landscape.endpoint(db, 0, 0, run=-1), lambda: landscape.load(db, run=0),
                 lambda: landscape.slice(db=db, cell=0, net=0, run=-3, steps=3)):
        with pytest.raises(landscape.Error, match=r"^run: must be >= 1"):
            call()
    # indices are integers, never truncated
    with pytest.raises(landscape.Error, match=r"^cell: expected an integer, got float 1.7"):
        landscape.endpoint(db, 1.7, 0)
    with pytest.raises(landscape.Error, match=r"^net: expected an integer"):
        landscape.slice(db=db, cell=0, net=0.5, steps=3)
    assert landscape.endpoint(db, np.int64(1), 1.0)["cell"] == 1
    # a folder is named as one
    for call in (lambda: landscape.load(tmp_path), lambda: landscape.endpoint(tmp_path, 0, 0),
                 lambda: landscape.slice(db=tmp_path, cell=0, net=0)):
        with pytest.raises(landscape.Error, match="is a directory"):
            call()
    with pytest.raises(landscape.Error, match=r"^threads: must be 0 \(every core\) or a positive thread count"):
        landscape.sample(SWEEP, db=tmp_path / "t.db", out=tmp_path / "o", threads=-2, quiet=True)
    # an eigenvector that does not exist names the argument that asked for it (P = 12)
    with pytest.raises(landscape.Error, match=r"^--plane: eigenvector 20 does not exist: P = 12"):
        landscape.slice(**args, plane="eig:0,eig:20", steps=3)
    with pytest.raises(landscape.Error, match=r"^--direction: eigenvector 12 does not exist: P = 12"):
        landscape.slice(**args, direction="eig:12", steps=3)
    # an endpoint dict gives the point: what it makes ignored is refused
    e = landscape.endpoint(db, 0, 0)
    with pytest.raises(landscape.Error, match=r"^X: the endpoint dict gives the point"):
        landscape.slice(e, X=args["X"], steps=3)
    with pytest.raises(landscape.Error, match=r"^family: the endpoint dict gives the point"):
        landscape.slice(e, family="leaky_relu", steps=3)
    with pytest.raises(landscape.Error, match=r"^refined: the endpoint dict's weights are used as they are"):
        landscape.slice(e, refined=True, steps=3)
    with pytest.raises(landscape.Error, match=r"^cell: the endpoint dict gives the point"):
        landscape.slice(e, cell=0, steps=3)
    with pytest.raises(landscape.Error, match=r"^refined: only for a stored endpoint"):
        landscape.slice(**args, refined=True, steps=3)
    with pytest.raises(landscape.Error, match=r"^settings: the stored endpoint's own is used"):
        landscape.slice(db=db, cell=0, net=0, settings={}, steps=3)
    # arguments of the wrong type name the argument
    with pytest.raises(landscape.Error, match=r"^slope: expected a number, got str '0.2'"):
        landscape.classify(args["weights"], args["X"], args["Y"], "leaky_relu", "0.2")
    with pytest.raises(landscape.Error, match=r"^steps: expected an integer, got str"):
        landscape.slice(**args, steps="5")
    with pytest.raises(landscape.Error, match=r"^range: expected a number"):
        landscape.slice(**args, range=None)
    with pytest.raises(landscape.Error, match=r"^restarts: must be >= 1"):
        landscape.classify(**args, restarts=0)
    with pytest.raises(landscape.Error, match=r"^global_loss: expected a number"):
        landscape.classify(**args, global_loss="0")


def test_database_connections_are_closed(sweep, monkeypatch):
    import sqlite3
    d, _ = sweep
    opened = []

    class Tracked(sqlite3.Connection):
        closed = False

        def close(self):
            self.closed = True
            super().close()

    real = sqlite3.connect

    def connect(*a, **k):
        con = real(*a, factory=Tracked, **k)
        opened.append(con)
        return con

    monkeypatch.setattr(landscape.sqlite3, "connect", connect)
    landscape.load(d / "results.db")
    landscape.endpoint(d / "results.db", 0, 0)
    with pytest.raises(landscape.Error):
        landscape.load(d / "results.db", run=9)
    assert len(opened) == 3
    assert all(con.closed for con in opened)


def test_sample_without_a_usable_stderr(tmp_path, monkeypatch):
    """sys.stderr may be None (pythonw, some services) or lack isatty: sample still runs."""
    import sys
    config = {"experiment": {"networks": 1, "backend": "cpu"}, "model": {"family": "linear", "dims": [2, 2]},
              "data": {"n": 3}, "train": {"steps": 10}}
    monkeypatch.setattr(sys, "stderr", None)
    res = landscape.sample(config, db=tmp_path / "a.db", out=tmp_path / "a")
    assert len(res.endpoints) == 1

    class Sink:  # a stream without isatty
        def __init__(self):
            self.text = ""

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    sink = Sink()
    monkeypatch.setattr(sys, "stderr", sink)
    res = landscape.sample(config, db=tmp_path / "b.db", out=tmp_path / "b")
    assert len(res.endpoints) == 1  # (a run this short prints no progress line)
