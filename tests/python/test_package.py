"""The Python package against the command line and against finite differences: classify equals
`landscape classify --json`, load/endpoint round-trip a stored sweep whose every class classify
reproduces, the Hessian matches finite differences of the gradient, errors carry the CLI's
messages. Run by CTest (python_package) with PYTHONPATH at the build tree's package."""

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
    assert set(res.endpoints["y_rank"]) == {0, 1}
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
