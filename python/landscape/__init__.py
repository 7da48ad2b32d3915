"""landscape: exact Hessians and landscape classes of deep linear and leaky-ReLU networks.

The Python side of the ``landscape`` C++ library (the same code the ``landscape`` command runs):

* :func:`classify` - classify one point (what ``landscape classify --json`` prints, as a dict);
* :func:`hessian`, :func:`loss_and_gradient` - the exact float64 Hessian, the loss and gradient;
* :func:`slice` - the loss along a direction and on a plane around a point or a stored endpoint
  (what ``landscape slice`` computes);
* :func:`sample` - run an experiment (a TOML file or a dict of its tables) into a results database;
* :func:`load` - a results database as pandas DataFrames; :func:`endpoint` - one stored endpoint.

Conventions (README "Conventions"): weights are a list of arrays ``W_i`` of shape ``(d_i, d_{i-1})``
(PyTorch's ``nn.Linear(d_{i-1}, d_i, bias=False).weight``), ``X`` is ``(d0, n)`` and ``Y`` is
``(dh, n)`` - samples are columns, so a batch ``x`` of shape ``(n, d0)`` is ``X = x.T``. The loss is
``L = 0.5 * ||F(W) - Y||_F^2`` (no division by n). Parameter order (gradients, Hessians,
eigenvectors): ``[vec(W_1); ...; vec(W_h)]``, each ``W_i`` row-major.

Errors are raised as :class:`landscape.Error` (a ``ValueError``) with the messages the command
line prints.
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import os
import sqlite3
from types import SimpleNamespace
from typing import Any, Mapping, Sequence

import numpy as np

from . import _landscape
from ._landscape import Error

__all__ = ["Error", "classify", "hessian", "loss_and_gradient", "slice", "sample", "load", "endpoint",
           "point", "swept_values", "config_to_toml", "__version__"]
__version__ = _landscape.__version__

# classify's keyword tolerances and the [classify] keys they set.
_TOLERANCES = ("grad_tol", "loss_tol", "eig_tol", "kink_tol", "rank_tol")


def _real_array(a: Any, where: str) -> np.ndarray:
    """`a` as float64, refusing complex numbers (which a float64 conversion would silently drop
    the imaginary part of) and what is not numbers at all."""
    if np.iscomplexobj(a) or (isinstance(a, (list, tuple)) and any(np.iscomplexobj(x) for x in a)):
        raise Error(f"{where}: complex numbers; expected real numbers")
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise Error(f"{where}: expected an array of real numbers ({e})") from None


def _arrays(weights, X, Y):
    if isinstance(weights, np.ndarray) and weights.dtype != object:
        raise Error("weights: expected a list of h weight matrices W_i of shape (d_i, d_{i-1}), "
                    "got one array")
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence) and not isinstance(weights, np.ndarray):
        raise Error(f"weights: expected a list of h weight matrices W_i, got {type(weights).__name__}")
    return [_real_array(W, f"weights[{i}]") for i, W in enumerate(weights)], _real_array(X, "X"), \
        _real_array(Y, "Y")


def _real(value: Any, name: str, optional: bool = False) -> float | None:
    """A real-number argument as a float (NumPy scalars included), else an Error naming it."""
    if value is None and optional:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Error(f"{name}: expected a number, got {type(value).__name__} {value!r}")
    return float(value)


def _integer(value: Any, name: str, minimum: int | None = None, optional: bool = False) -> int | None:
    """An integer argument (NumPy integers and integral floats included), else an Error naming it."""
    if value is None and optional:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise Error(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise Error(f"{name}: must be >= {minimum}, got {value}")
    return int(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise Error(f"{name}: expected a string, got {type(value).__name__} {value!r}")
    return value


def _plain(value: Any, where: str) -> Any:
    """Settings as plain JSON data: NumPy scalars as Python numbers, non-finite numbers refused
    with the field's name (JSON has no NaN or infinity)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Mapping):
        return {k: _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise Error(f"{where}: must be finite, got {value}")
    return value


def _classification(text: str) -> dict:
    """``classify --json``'s text as a dict, the eigenvalues and escape witness as arrays."""
    result = json.loads(text)
    result["eigenvalues"] = np.array([math.nan if v is None else v for v in result["eigenvalues"]],
                                     dtype=np.float64)
    escape = result.get("escape")
    if escape and escape.get("direction") is not None:
        escape["direction"] = np.asarray(escape["direction"], dtype=np.float64)
    return result


def _settings_json(settings: Mapping[str, Any] | str | None, refine: bool,
                   tolerances: Mapping[str, Any]) -> str:
    """POINT.json's "settings" object: `settings` (e.g. an endpoint's), with the keyword
    tolerances and `refine` on top."""
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except json.JSONDecodeError as e:
            raise Error(f"settings: not valid JSON ({e})") from None
    if settings is not None and not isinstance(settings, Mapping):
        raise Error(f"settings: expected a dict (POINT.json's settings), got {type(settings).__name__}")
    merged = _plain(settings or {}, "settings")  # a deep copy of plain data
    for key, value in tolerances.items():
        if key not in _TOLERANCES:
            raise TypeError(f"classify() got an unexpected keyword argument '{key}' "
                            f"(tolerances: {', '.join(_TOLERANCES)})")
        if not isinstance(merged.setdefault("classify", {}), dict):
            raise Error("settings.classify: expected an object")
        merged["classify"][key] = _plain(value, f"settings.classify.{key}")
    if refine:
        if not isinstance(merged.setdefault("refine", {}), dict):
            raise Error("settings.refine: expected an object")
        merged["refine"]["enabled"] = True
    try:
        return json.dumps(merged, allow_nan=False)
    except (TypeError, ValueError) as e:  # a value JSON cannot hold
        raise Error(f"settings: {e}") from None


def classify(weights: Sequence[Any], X: Any, Y: Any, family: str = "linear",
             slope: float | None = None, refine: bool = False, *,
             settings: Mapping[str, Any] | None = None, global_loss: float | None = None,
             backend: str = "cpu", restarts: int = 16, restart_steps: int = 5000,
             **tolerances: float) -> dict:
    """Classifies one point, as ``landscape classify --json`` does (the same C++ code and JSON).

    Returns a dict with every key of ``classify --json`` (README); ``eigenvalues`` (all P,
    ascending) and the escape witness ``escape["direction"]`` are NumPy arrays.

    ``tolerances``: ``grad_tol``, ``loss_tol``, ``eig_tol``, ``kink_tol``, ``rank_tol`` (relative,
    as in an experiment file's [classify]). ``settings``: a POINT.json "settings" object
    ({"classify": ..., "refine": ..., "escape": ...}, e.g. ``endpoint(...)["settings"]``), which the
    keyword tolerances and ``refine`` override. ``global_loss``: L* to judge against where no closed
    form applies (e.g. a sweep's empirical optimum) instead of ``restarts`` Adam restarts of
    ``restart_steps`` steps.
    """
    Ws, Xa, Ya = _arrays(weights, X, Y)
    text = _landscape.classify_json(Ws, Xa, Ya, _text(family, "family"), _real(slope, "slope", True),
                                    _settings_json(settings, refine, tolerances),
                                    _real(global_loss, "global_loss", True), _text(backend, "backend"),
                                    _integer(restarts, "restarts", 1), _integer(restart_steps, "restart_steps", 1))
    return _classification(text)


def hessian(weights: Sequence[Any], X: Any, Y: Any, family: str = "linear",
            slope: float | None = None) -> np.ndarray:
    """The exact float64 Hessian of L at the point, P x P in parameter order."""
    Ws, Xa, Ya = _arrays(weights, X, Y)
    return _landscape.hessian(Ws, Xa, Ya, _text(family, "family"), _real(slope, "slope", True))


def loss_and_gradient(weights: Sequence[Any], X: Any, Y: Any, family: str = "linear",
                      slope: float | None = None) -> tuple[float, list[np.ndarray]]:
    """L = 0.5*||F(W) - Y||_F^2 and its gradient, one array per layer shaped like W_i."""
    Ws, Xa, Ya = _arrays(weights, X, Y)
    return _landscape.loss_and_gradient(Ws, Xa, Ya, _text(family, "family"), _real(slope, "slope", True))


def _per_layer(v: np.ndarray, dims: Sequence[int]) -> list[np.ndarray]:
    """A vector in parameter order as one array per layer, shaped like W_i (views of v)."""
    out, off = [], 0
    for i in range(1, len(dims)):
        size = dims[i] * dims[i - 1]
        out.append(v[off:off + size].reshape(dims[i], dims[i - 1]))
        off += size
    return out


def _direction_vector(direction: Any, weights: Sequence[np.ndarray] | None) -> np.ndarray:
    """A direction given as numbers: P numbers in parameter order, or one array per layer shaped
    like the weights (checked against them where they are known)."""
    if isinstance(direction, np.ndarray) and direction.ndim == 1:
        return np.ascontiguousarray(_real_array(direction, "direction"))
    if isinstance(direction, (list, tuple)) and direction and all(np.ndim(D) == 2 for D in direction):
        parts = [_real_array(D, f"direction[{i}]") for i, D in enumerate(direction)]
        if weights is not None:
            if len(parts) != len(weights):
                raise Error(f"direction: expected {len(weights)} arrays (one per layer), got {len(parts)}")
            for i, (D, W) in enumerate(zip(parts, weights)):
                if D.shape != W.shape:
                    raise Error(f"direction[{i}]: expected shape {W.shape} (as weights[{i}]), got {D.shape}")
        return np.concatenate([D.ravel() for D in parts])
    if isinstance(direction, (list, tuple)) and all(np.ndim(x) == 0 for x in direction):
        return _real_array(direction, "direction")
    raise Error("direction: expected auto, witness, min-eig, eig:K, random, a 1-D array of P numbers "
                "or a list of arrays shaped like the weights")


def slice(weights: Sequence[Any] | Mapping[str, Any] | None = None, X: Any = None, Y: Any = None,
          family: str | None = None, slope: float | None = None, *, direction: Any = "auto",
          plane: str | None = None, range: float = 1.0, steps: int = 41, plane_steps: int = 21,
          seed: int = 1, db: str | os.PathLike | None = None, cell: int | None = None,
          net: int | None = None, run: int | None = None, refined: bool = False,
          settings: Mapping[str, Any] | None = None, global_loss: float | None = None,
          backend: str = "cpu", max_dense_mb: float | None = None) -> dict:
    """The loss around a point along a direction and on a plane: ``landscape slice``'s C++ code
    (the same numbers as its line.csv and plane.csv), the GIL released while it runs.

    The point: ``weights, X, Y, family`` (default ``"linear"``), ``slope`` as for :func:`classify`
    (with ``settings`` and ``global_loss`` as there); or an endpoint dict from :func:`endpoint`
    as ``weights`` (its arrays, family, slope, settings and L*; ``settings`` and ``global_loss``
    may override the last two, and the arguments the dict already gives are refused); or a
    stored endpoint ``db=..., cell=..., net=...`` (``run``, ``refined`` as for :func:`endpoint`),
    which is the point ``landscape point`` writes, sliced as ``landscape slice DB --cell C --net I``
    slices it.

    ``direction``: ``"auto"`` (the escape witness where the point has one, else ``"min-eig"``),
    ``"witness"``, ``"min-eig"`` (= ``"eig:0"``), ``"eig:K"`` (the eigenvector of the K-th
    smallest eigenvalue), ``"random"`` (filter-normalised), or the direction itself: a 1-D array
    of P numbers in parameter order or a list of arrays shaped like the weights (used as given,
    not normalised). ``plane``: None (no plane), ``"eig:I,eig:J"``, ``"random"`` (two
    filter-normalised random directions) or ``"auto"``. t, a and b run over [-range, range] with
    ``steps`` points along the line and ``plane_steps`` per side of the plane; ``seed`` draws the
    random directions.

    Returns a dict: ``line`` with ``t`` and ``loss`` (arrays, loss[k] = L(W + t[k]*d)),
    ``direction`` (its name), ``description``, ``vector`` (d, parameter order), ``vectors``
    (d per layer), ``eigenvalue`` (for an eigenvector, else None) and ``direction_norm``;
    ``plane`` (None without one) with ``a``, ``b``, ``loss`` of shape (len(b), len(a)), loss[j, i]
    = L(W + a[i]*d1 + b[j]*d2), ``direction1``, ``direction2``, ``vector1``, ``vector2`` (and per
    layer ``vectors1``, ``vectors2``), ``description``; and ``classification``, the point's :func:`classify` dict."""
    vector = None
    if isinstance(weights, Mapping):  # an endpoint from landscape.endpoint
        e = weights
        given = {"X": X, "Y": Y, "family": family, "slope": slope, "db": db, "cell": cell, "net": net,
                 "run": run}
        for key, value in given.items():
            if value is not None:
                raise Error(f"{key}: the endpoint dict gives the point; {key}= would be ignored")
        if refined:
            raise Error("refined: the endpoint dict's weights are used as they are; for the refined "
                        "point pass endpoint(..., refined=True) or db=, cell=, net=, refined=True")
        weights, X, Y = e["weights"], e["X"], e["Y"]
        family, slope = e["family"], e["slope"]
        if settings is None:
            settings = e.get("settings")
        if global_loss is None:
            global_loss = e.get("point_global_loss")
    if direction is None or not isinstance(direction, (str, list, tuple, np.ndarray)):
        raise Error(f"direction: expected auto, witness, min-eig, eig:K, random or the direction as "
                    f"numbers, got {type(direction).__name__}")
    name = direction if isinstance(direction, str) else "given"
    plane = "none" if plane is None else _text(plane, "plane")
    spec = (plane, _real(range, "range"), _integer(steps, "steps"), _integer(plane_steps, "plane_steps"),
            _integer(seed, "seed", 0), _text(backend, "backend"),
            _landscape.DEFAULT_MAX_DENSE_MB if max_dense_mb is None else _real(max_dense_mb, "max_dense_mb"))
    if db is not None:
        if weights is not None or X is not None or Y is not None:
            raise Error("slice: give either the point (weights, X, Y) or a stored endpoint (db, cell, net)")
        if cell is None or net is None:
            raise Error(f"{os.fspath(db)}: a results database: name the endpoint with cell= and net=")
        for key, value in (("family", family), ("slope", slope), ("settings", settings),
                           ("global_loss", global_loss)):
            if value is not None:
                raise Error(f"{key}: the stored endpoint's own is used (db=...); {key}= would be ignored")
        if not isinstance(direction, str):
            vector = _direction_vector(direction, None)
        res = _landscape.slice_stored(os.fspath(db), _integer(cell, "cell", 0), _integer(net, "net", 0),
                                      _run_id(run), bool(refined), name, vector, *spec)
    else:
        if weights is None or X is None or Y is None:
            raise Error("slice: give the point (weights, X, Y), an endpoint dict, or db=, cell=, net=")
        for key, value in (("cell", cell), ("net", net), ("run", run)):
            if value is not None:
                raise Error(f"{key}: only for a stored endpoint (db=...)")
        if refined:
            raise Error("refined: only for a stored endpoint (db=...)")
        Ws, Xa, Ya = _arrays(weights, X, Y)
        if not isinstance(direction, str):
            vector = _direction_vector(direction, Ws)
        res = _landscape.slice_arrays(Ws, Xa, Ya, _text("linear" if family is None else family, "family"),
                                      _real(slope, "slope", True), _settings_json(settings, False, {}),
                                      _real(global_loss, "global_loss", True), name, vector, *spec)
    res["line"]["vectors"] = _per_layer(res["line"]["vector"], res["dims"])
    if res["plane"] is not None:
        for k in ("1", "2"):
            res["plane"]["vectors" + k] = _per_layer(res["plane"]["vector" + k], res["dims"])
    res["classification"] = _classification(res["classification"])
    return res


def _toml_value(v: Any, where: str) -> str:
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            raise Error(f"{where}: non-finite number")
        return repr(float(v))
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_toml_value(x, where) for x in v) + "]"
    raise Error(f"{where}: expected a number, string, boolean or list, got {type(v).__name__}")


def config_to_toml(config: Mapping[str, Mapping[str, Any]]) -> str:
    """An experiment given as a dict of tables ({"model": {"family": ..., "dims": ...}, ...}) as
    the TOML text of the same experiment file, which `sample` then reads like any other."""
    if not isinstance(config, Mapping):
        raise Error("config: expected a dict of tables (experiment, model, data, ...)")
    lines = []
    for table, keys in config.items():
        if not isinstance(keys, Mapping):
            raise Error(f"config: {table}: expected a table (a dict of keys)")
        lines.append(f"[{table}]")
        for key, value in keys.items():
            lines.append(f"{key} = {_toml_value(value, f'config: {table}.{key}')}")
        lines.append("")
    return "\n".join(lines)


def _run_id(run: Any) -> int:
    """A run id for the C++ readers: None is the newest (0 there); otherwise >= 1, as --run."""
    if run is None:
        return 0
    return _integer(run, "run", 1)


def sample(config: str | os.PathLike | Mapping[str, Any], db: str | os.PathLike | None = None, *,
           out: str | os.PathLike | None = None, backend: str | None = None, threads: int | None = None,
           resume: bool = False, quiet: bool = False, tables: bool = False) -> SimpleNamespace:
    """Runs an experiment as ``landscape sample`` does: ``config`` is an experiment file or a dict
    of its tables (converted to the same TOML). The progress line goes to sys.stderr; the GIL is
    released while it runs. ``db``, ``out``, ``backend``, ``threads``, ``resume`` as the command's
    options; ``tables=True`` prints the summary tables. Returns ``load(db, run)`` of the run.
    Ctrl-C stops it cleanly (everything finished is committed; ``resume=True`` continues) and
    raises KeyboardInterrupt."""
    if isinstance(config, Mapping):
        path, text = "config", config_to_toml(config)
    else:
        path, text = os.fspath(config), None
    if threads is not None:
        threads = _integer(threads, "threads")
        if threads < 0:
            raise Error(f"threads: must be 0 (every core) or a positive thread count, got {threads}")
    code, db_path, printed = _landscape.sample(path, text, os.fspath(db) if db is not None else "",
                                               os.fspath(out) if out is not None else "",
                                               "" if backend is None else _text(backend, "backend"),
                                               -1 if threads is None else threads, bool(resume),
                                               bool(quiet))
    if code == 130:
        raise KeyboardInterrupt("landscape.sample stopped by a signal; everything finished is committed "
                                "(continue with resume=True)")
    if tables and printed:
        print(printed, end="")
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as con:
        run = con.execute("SELECT MAX(run_id) FROM runs").fetchone()[0]
    return load(db_path, run=run)


# ---- reading a results database ---------------------------------------------------------------

def swept_values(swept: str | None) -> dict:
    """A cell's swept variables and their values from its ``cells.swept`` text (a JSON object
    {name: value} in grid order, written by the run that made the cell; {} where none was
    swept). Values as in the experiment file: numbers, booleans, strings, and ``dims`` as a
    tuple of ints."""
    if not swept:
        return {}
    values = json.loads(swept)
    if not isinstance(values, dict):
        raise Error(f"cells.swept: expected a JSON object, got {swept[:80]}")
    return {name: tuple(v) if isinstance(v, list) else v for name, v in values.items()}


def _connect(db: str | os.PathLike) -> sqlite3.Connection:
    path = os.fspath(db)
    if os.path.isdir(path):
        raise Error(f"{path}: is a directory, not a database file")
    if not os.path.isfile(path):
        raise Error(f"{path}: cannot read database: No such file or directory")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (version,) = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except (sqlite3.DatabaseError, TypeError) as e:
        con.close()
        raise Error(f"{path}: not a landscape results database ({e})") from None
    if version != str(_landscape.SCHEMA_VERSION):
        con.close()
        raise Error(f"{path}: schema version {version}, but this program reads and writes schema "
                    f"version {_landscape.SCHEMA_VERSION}")
    return con


def load(db: str | os.PathLike, run: int | None = None) -> SimpleNamespace:
    """A results database as pandas DataFrames, for one run (default: the newest).

    Returns a namespace with ``runs`` (every run of the file), ``cells`` (the run's cells, one
    column per swept variable besides the table's own, from ``cells.swept``, numbers with a
    numeric dtype; ``swept`` lists them in grid order), ``endpoints`` (the
    run's endpoints with their cell's ``cell_index``, ``label`` and swept variables as
    ``sweep_<name>`` columns, as in endpoints.csv, so they never replace an endpoint's own column
    such as ``steps``; ``details`` parsed into dicts, and ``loss_gap`` = L - L*), and ``db``,
    ``run``."""
    import pandas as pd

    path = os.fspath(db)
    if run is not None:
        run = _run_id(run)
    with contextlib.closing(_connect(path)) as con:
        runs = pd.read_sql_query("SELECT * FROM runs ORDER BY run_id", con)
        if runs.empty:
            raise Error(f"{path}: the database holds no run")
        if run is None:
            run = int(runs["run_id"].max())
        elif run not in set(runs["run_id"]):
            raise Error(f"{path}: no run {run}")
        cells = pd.read_sql_query("SELECT * FROM cells WHERE run_id = ? ORDER BY cell_index", con,
                                  params=(run,))
        endpoints = pd.read_sql_query(
            "SELECT c.cell_index, c.label, e.*, e.loss - c.global_loss AS loss_gap FROM endpoints e "
            "JOIN cells c USING (cell_id) WHERE c.run_id = ? ORDER BY c.cell_index, e.net_index",
            con, params=(run,))
    cells["dims"] = [tuple(json.loads(d)) for d in cells["dims"]]
    swept = [swept_values(text) for text in cells["swept"]]
    cells["swept"] = swept
    names = list(dict.fromkeys(name for values in swept for name in values))  # grid order
    for name in names:
        # pandas infers the dtype: int64 or float64 for numbers, bool, object for dims and text
        cells[name] = pd.Series([values.get(name) for values in swept], index=cells.index)
    for name in names:
        # endpoints.csv's column name: the endpoint's own columns (steps, seed, ...) stay as stored
        endpoints["sweep_" + name] = endpoints["cell_id"].map(cells.set_index("cell_id")[name])
    endpoints["details"] = [json.loads(d) if isinstance(d, str) else None for d in endpoints["details"]]
    return SimpleNamespace(db=path, run=run, runs=runs, cells=cells, endpoints=endpoints, swept=names)


def endpoint(db: str | os.PathLike, cell: int, net: int, run: int | None = None,
             refined: bool = False) -> dict:
    """One stored endpoint: ``weights`` (list of W_i), ``X``, ``Y`` (NumPy arrays), ``family``,
    ``slope``, ``dims``, the ``settings`` and ``point_global_loss`` its cell was decided with (pass
    them to :func:`classify` to reproduce its class), its stored ``class`` and the recorded
    ``analysis`` (its endpoints row, ``details`` parsed). ``cell`` is the cell index in its run (as
    in endpoints.csv), ``run`` defaults to the newest run with that cell; ``refined=True`` gives the
    weights its run refined the endpoint to (runs with [refine] enabled), otherwise they are as
    trained."""
    d = _landscape.stored_endpoint(os.fspath(db), _integer(cell, "cell", 0), _integer(net, "net", 0),
                                   _run_id(run), bool(refined))
    d["settings"] = json.loads(d["settings"])  # refinement off for a refined point
    with contextlib.closing(_connect(db)) as con:
        con.row_factory = sqlite3.Row
        row = con.execute("SELECT * FROM endpoints WHERE cell_id = ? AND net_index = ?",
                          (d["cell_id"], d["net"])).fetchone()
    analysis = dict(row)
    analysis["details"] = json.loads(analysis["details"]) if analysis.get("details") else None
    d["analysis"] = analysis
    return d


def point(e: Mapping[str, Any]) -> dict:
    """An endpoint (from :func:`endpoint`) as a POINT.json object (``json.dump(point(e), f)``)."""
    p = {"model": {"family": e["family"], "dims": list(e["dims"])},
         "X": np.asarray(e["X"]).tolist(), "Y": np.asarray(e["Y"]).tolist(),
         "weights": [np.asarray(W).tolist() for W in e["weights"]], "settings": e["settings"]}
    if e["family"] == "leaky_relu":
        p["model"]["slope"] = e["slope"]
    if e.get("point_global_loss") is not None:
        p["global_loss"] = e["point_global_loss"]
    return p
