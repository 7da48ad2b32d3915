#!/usr/bin/env python3
# Fuzz test of the input parsers through the real binary: malformed experiment files, POINT.json
# files and CSV data files (fixed seed) must never crash, hang or leave a half-made run behind.
"""Usage: fuzz_inputs.py LANDSCAPE_BINARY SOURCE_DIR WORK_DIR

Every input is run with `landscape sample` or `landscape classify`; each must exit 0, 1 or 2
(never a signal, never a timeout), a non-zero exit must print "error:" on stderr, and a failed
`sample` must leave neither the database nor the output folder it was pointed at.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import time

SEED = 20261130
# Per case; a sanitizer build (several times slower) sets LANDSCAPE_FUZZ_TIMEOUT_S higher.
TIMEOUT_S = float(os.environ.get("LANDSCAPE_FUZZ_TIMEOUT_S", "20"))
MIN_CASES = 100

# A tiny experiment (2 networks, 10 steps): a valid-ish mutation runs in well under a second.
BASE_TOML = [
    ("experiment", "networks", "2"),
    ("experiment", "seed", "1"),
    ("experiment", "backend", '"cpu"'),
    ("model", "family", '"linear"'),
    ("model", "dims", "[3, 2, 3]"),
    ("data", "n", "4"),
    ("data", "y_rank", "1"),
    ("train", "optimizer", '"gd"'),
    ("train", "lr", "0.01"),
    ("train", "steps", "10"),
]
CSV_TOML = [row for row in BASE_TOML if row[1] != "n"] + [("data", "x", '"csv"'),
                                                            ("data", "x_file", '"data.csv"')]
BASE_CSV = "1,0,2,-1\n0,1,1,3\n2,1,0,1\n"

WRONG_TYPES = ['"abc"', "true", "[1, 2]", "{ a = 1 }", "1.5", '"3"', "1979-05-27T07:32:00Z", "[]"]
# Numbers refused or harmless for any key; the size keys (networks, n, steps, dims) get only
# these, since a merely large valid size is a long run, not a fault.
ODD_NUMBERS = ["-1", "0", "-0", "9223372036854775807", "-9223372036854775808",
               "99999999999999999999", "1e308", "-1e308", "nan", "inf", "-inf", "4294967296",
               "2147483648", "1e-320", "0x7fffffff", "-2147483648"]
EXTRA_KEYS = [("experiment", "threads"), ("experiment", "chunk"), ("model", "slope"),
              ("data", "noise"), ("data", "x_rank"), ("data", "seed"), ("train", "grad_tol"),
              ("init", "scale"), ("escape", "random_directions"), ("refine", "max_iterations"),
              ("tolerances", "eig_tol")]
BAD_DIMS = ["[]", "[3]", "[0, 2, 3]", "[-3, 2, 3]", '[3, "2", 3]', "[3, 2.5, 3]", "[[3], 2, 3]",
            "[3 2 3]", "[3, 2, 3", "[3, 2, 2147483647]", "[2147483647, 2147483647]",
            "[9223372036854775807, 2, 3]", "[" + ", ".join(["1"] * 300) + "]", "[3, nan, 3]",
            "[3, 2, 3,]", "[3, [], 3]"]


def junk(rng, n):
    """n random bytes as a str (bytes >= 128 surrogate-escaped, written back as raw bytes)."""
    return "".join(chr(b) if b < 128 else chr(0xDC00 + b) for b in (rng.randrange(256) for _ in range(n)))


def render_toml(rows, extra=""):
    """The experiment file for (table, key, value) rows, tables in first-seen order."""
    tables = {}
    for table, key, value in rows:
        tables.setdefault(table, []).append(f"{key} = {value}")
    text = "".join(f"[{t}]\n" + "\n".join(lines) + "\n" for t, lines in tables.items())
    return text + extra


def replace(rows, key, value):
    return [(t, k, value if k == key else v) for t, k, v in rows]


def toml_cases(rng):
    """(name, bytes, csv text or None) for each malformed experiment file."""
    base = render_toml(BASE_TOML)
    cases = [("toml-valid", base, None)]
    for i in range(8):
        cut = rng.randrange(1, len(base))
        cases.append((f"toml-truncated-{cut}", base[:cut], None))
    for table, key, _ in BASE_TOML:
        for value in rng.sample(WRONG_TYPES, 2):
            cases.append((f"toml-type-{key}-{value}", render_toml(replace(BASE_TOML, key, value)), None))
    for table, key, _ in BASE_TOML:
        if key in ("backend", "family", "optimizer", "dims"):
            continue
        for value in rng.sample(ODD_NUMBERS, 3):
            cases.append((f"toml-number-{key}-{value}", render_toml(replace(BASE_TOML, key, value)), None))
    for table, key in EXTRA_KEYS:
        value = rng.choice(ODD_NUMBERS + WRONG_TYPES)
        cases.append((f"toml-extra-{key}-{value}", render_toml(BASE_TOML + [(table, key, value)]), None))
    for value in BAD_DIMS:
        cases.append((f"toml-dims-{value[:24]}", render_toml(replace(BASE_TOML, "dims", value)), None))
    cases += [
        ("toml-unknown-key", render_toml(BASE_TOML + [("model", "bogus", "1")]), None),
        ("toml-unknown-table", render_toml(BASE_TOML, "[nope]\nx = 1\n"), None),
        ("toml-duplicate-key", render_toml(BASE_TOML + [("experiment", "networks", "3")]), None),
        ("toml-duplicate-table", render_toml(BASE_TOML, "[model]\nfamily = \"linear\"\n"), None),
        ("toml-leaky-bad-slope", render_toml(replace(BASE_TOML, "family", '"leaky_relu"') +
                                             [("model", "slope", "nan")]), None),
        # Thread counts that once crashed the OpenMP runtime (and left a `running` run).
        ("toml-threads-65536", render_toml(BASE_TOML + [("experiment", "threads", "65536")]), None),
        ("toml-threads-100000", render_toml(BASE_TOML + [("experiment", "threads", "100000")]), None),
        ("toml-empty", "", None),
        ("toml-nul-bytes", base.replace("seed = 1", "seed = \0\0\0"), None),
        ("toml-invalid-utf8", base.replace('"cpu"', '"c\udcff\udcfeu"'), None),
        ("toml-deep-array", base.replace("[3, 2, 3]", "[" * 5000 + "]" * 5000), None),
        ("toml-deep-inline-table", base + "[extra]\nx = " + "{ a = " * 3000 + "1" + " }" * 3000 + "\n", None),
    ]
    for i in range(6):
        pos = rng.randrange(len(base))
        cases.append((f"toml-garbage-{i}", base[:pos] + junk(rng, rng.randrange(1, 16)) + base[pos:], None))
    cases.append(("toml-all-garbage", junk(rng, 300), None))
    return cases


def csv_cases(rng):
    """(name, experiment file, csv text) for each malformed CSV data file used as x = "csv"."""
    toml = render_toml(CSV_TOML)
    texts = {
        "csv-valid": BASE_CSV,
        "csv-ragged": "1,0,2,-1\n0,1,1\n2,1,0,1\n",
        "csv-two-rows": "1,0,2,-1\n0,1,1,3\n",
        "csv-four-rows": BASE_CSV + "1,1,1,1\n",
        "csv-empty": "",
        "csv-only-comments": "# nothing\n\n# here\n",
        "csv-letters": "1,0,a,-1\n0,1,1,3\n2,1,0,1\n",
        "csv-nan": "1,0,nan,-1\n0,1,1,3\n2,1,0,1\n",
        "csv-inf": "1,0,inf,-1\n0,1,1,3\n2,1,0,1\n",
        "csv-overflow": "1,0,1e400,-1\n0,1,1,3\n2,1,0,1\n",
        "csv-huge": "1e308,1e308,1e308,1e308\n1e308,1e308,1e308,1e308\n1e308,1e308,1e308,1e308\n",
        "csv-denormal": "1e-320,0,0,0\n0,1e-320,0,0\n0,0,1e-320,0\n",
        "csv-empty-field": "1,,2,-1\n0,1,1,3\n2,1,0,1\n",
        "csv-trailing-comma": "1,0,2,-1,\n0,1,1,3,\n2,1,0,1,\n",
        "csv-crlf": BASE_CSV.replace("\n", "\r\n"),
        "csv-bom": "\ufeff" + BASE_CSV,
        "csv-semicolons": BASE_CSV.replace(",", ";"),
        "csv-quoted": '"1","0","2","-1"\n0,1,1,3\n2,1,0,1\n',
        "csv-nul": "1,0,2\0,-1\n0,1,1,3\n2,1,0,1\n",
        "csv-one-column": "1\n0\n2\n",
        "csv-wide": "\n".join(",".join(str((r * 7 + c) % 5 - 2) for c in range(5000)) for r in range(3)) + "\n",
        "csv-no-final-newline": BASE_CSV.rstrip("\n"),
        "csv-long-number": "1" + "0" * 5000 + ",0,2,-1\n0,1,1,3\n2,1,0,1\n",
    }
    cases = [(name, toml, text) for name, text in texts.items()]
    for i in range(4):
        cut = rng.randrange(1, len(BASE_CSV))
        cases.append((f"csv-truncated-{cut}", toml, BASE_CSV[:cut]))
    cases.append(("csv-garbage", toml, junk(rng, 200)))
    # The CSV file missing, or a folder, or both data files given.
    cases.append(("csv-missing-file", toml.replace('"data.csv"', '"absent.csv"'), BASE_CSV))
    cases.append(("csv-x-file-is-folder", toml.replace('"data.csv"', '"."'), BASE_CSV))
    cases.append(("csv-x-file-without-csv", render_toml(BASE_TOML + [("data", "x_file", '"data.csv"')]),
                  BASE_CSV))
    return cases


def point_shape_cases(base):
    """(name, text) for POINT.json files of the wrong shapes, values or keys."""
    text = json.dumps(base)

    def with_(**changes):
        p = json.loads(text)
        for key, value in changes.items():
            if value is None:
                p.pop(key, None)
            else:
                p[key] = value
        return json.dumps(p)

    w = base["weights"]
    cases = [
        ("point-valid", text),
        ("point-X-two-rows", with_(X=base["X"][:2])),
        ("point-X-ragged", with_(X=[base["X"][0], base["X"][1][:2], base["X"][2]])),
        ("point-X-empty", with_(X=[])),
        ("point-X-empty-rows", with_(X=[[], [], []])),
        ("point-X-scalar", with_(X=1.0)),
        ("point-X-strings", with_(X=[["1", "0", "2", "-1"]] * 3)),
        ("point-X-deeper", with_(X=[[[1.0]] * 4] * 3)),
        ("point-Y-wrong-columns", with_(Y=[row[:3] for row in base["Y"]])),
        ("point-weights-one-layer", with_(weights=w[:1])),
        ("point-weights-three-layers", with_(weights=w + w[1:])),
        ("point-weights-transposed", with_(weights=[[list(c) for c in zip(*w[0])], w[1]])),
        ("point-dims-empty", with_(model={"family": "linear", "dims": []})),
        ("point-dims-one", with_(model={"family": "linear", "dims": [3]})),
        ("point-dims-zero", with_(model={"family": "linear", "dims": [3, 0, 2]})),
        ("point-dims-negative", with_(model={"family": "linear", "dims": [3, -2, 2]})),
        ("point-dims-huge", with_(model={"family": "linear", "dims": [3, 2147483647, 2]})),
        ("point-family-unknown", with_(model={"family": "relu", "dims": [3, 2, 2]})),
        ("point-leaky-nan-slope", with_(model={"family": "leaky_relu", "dims": [3, 2, 2], "slope": "nan"})),
        ("point-leaky-huge-slope", with_(model={"family": "leaky_relu", "dims": [3, 2, 2], "slope": 1e308})),
        ("point-deep-X", with_(X=None)[:-1] + ', "X": ' + "[" * 20000 + "]" * 20000 + "}"),
    ]
    for key in ("model", "X", "Y", "weights"):
        cases.append((f"point-missing-{key}", with_(**{key: None})))
    for key in ("family", "dims"):
        model = dict(base["model"])
        model.pop(key)
        cases.append((f"point-missing-model-{key}", with_(model=model)))
    return cases


def point_text_cases(text, rng):
    """(name, text) for POINT.json files that are not well-formed JSON of the expected form."""
    cases = [
        ("point-huge-numbers", text.replace("1.0", "1e308")),
        ("point-overflow", text.replace("1.0", "1e400")),
        ("point-long-integer", text.replace("3.0", "1" + "0" * 400)),
        ("point-NaN-literal", text.replace("2.0", "NaN", 1)),
        ("point-Infinity-literal", text.replace("2.0", "Infinity", 1)),
        ("point-nan-string", text.replace("2.0", '"nan"', 1)),
        ("point-null-entry", text.replace("2.0", "null", 1)),
        ("point-duplicate-X", text.replace('"X":', '"X": [[1]], "X":', 1)),
        ("point-duplicate-dims", text.replace('"dims":', '"dims": [1], "dims":', 1)),
        ("point-duplicate-model", text.replace('"model":', '"model": {}, "model":', 1)),
        ("point-deep-nesting", text.replace('"X":', '"deep": ' + "[" * 100000 + "]" * 100000 + ', "X":', 1)),
        ("point-deep-objects", '{"a": ' * 50000 + "1" + "}" * 50000),
        ("point-empty", ""),
        ("point-null", "null"),
        ("point-array", "[]"),
        ("point-string", '"point"'),
        ("point-bom", "\ufeff" + text),
        ("point-trailing-garbage", text + " }"),
        ("point-comment", "// comment\n" + text),
    ]
    for i in range(5):
        cut = rng.randrange(1, len(text))
        cases.append((f"point-truncated-{cut}", text[:cut]))
    for i in range(3):
        pos = rng.randrange(len(text))
        cases.append((f"point-garbage-{i}", text[:pos] + junk(rng, rng.randrange(1, 12)) + text[pos:]))
    return cases


def point_cases(source_dir, rng):
    """(name, text) for each malformed POINT.json (examples/point.json mutated)."""
    with open(os.path.join(source_dir, "examples", "point.json")) as f:
        base = json.load(f)
    return point_shape_cases(base) + point_text_cases(json.dumps(base), rng)


# Inputs whose refusal is specified (a silent acceptance of any of them is a fault). Regressions:
# toml-threads-* once crashed in the OpenMP runtime; csv-nul (a NUL byte inside a number) was
# once read as the number before it.
MUST_REFUSE = {"toml-threads-65536", "toml-threads-100000", "toml-unknown-key", "toml-unknown-table", "toml-duplicate-key", "toml-duplicate-table",
               "toml-empty", "toml-nul-bytes", "toml-all-garbage", "csv-ragged", "csv-nan", "csv-inf",
               "csv-overflow", "csv-empty-field", "csv-nul", "csv-letters", "csv-missing-file",
               "csv-x-file-is-folder", "point-duplicate-X", "point-duplicate-dims",
               "point-duplicate-model", "point-NaN-literal", "point-missing-X", "point-empty",
               "point-X-ragged", "point-weights-transposed", "point-trailing-garbage"}
MUST_ACCEPT = {"toml-valid", "csv-valid", "csv-crlf", "point-valid"}


def write_bytes(path, text):
    with open(path, "wb") as f:
        f.write(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)


def run(cmd, cwd):
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, "", "", time.monotonic() - start
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), \
        time.monotonic() - start


def check_exit(name, code, err):
    """Problems with one run's exit (empty when it behaved)."""
    if code is None:
        return [f"{name}: no exit within {TIMEOUT_S} s"]
    if code < 0:
        return [f"{name}: killed by signal {-code}: {err[-400:]}"]
    if code not in (0, 1, 2):
        return [f"{name}: exit code {code}: {err[-400:]}"]
    if code != 0 and "error:" not in err:
        return [f"{name}: exit {code} without an error message: {err[-400:]!r}"]
    return []


def run_sample(binary, case_dir, name, toml, csv_text):
    os.makedirs(case_dir)
    write_bytes(os.path.join(case_dir, "c.toml"), toml)
    if csv_text is not None:
        write_bytes(os.path.join(case_dir, "data.csv"), csv_text)
    db, out = os.path.join(case_dir, "results.db"), os.path.join(case_dir, "out")
    code, _, err, secs = run([binary, "sample", "--quiet", "c.toml", "--db", db, "--out", out], case_dir)
    problems = check_exit(name, code, err)
    if code not in (0, None) and code > 0:
        for left in (db, db + ".lock", out):
            if os.path.exists(left):
                problems.append(f"{name}: failed sample left {os.path.basename(left)} ({err.strip()[:200]})")
    if code == 0 and not os.path.exists(os.path.join(out, "summary.json")):
        problems.append(f"{name}: sample exited 0 without writing summary.json")
    return problems, code, secs


def run_classify(binary, case_dir, name, text):
    os.makedirs(case_dir)
    write_bytes(os.path.join(case_dir, "point.json"), text)
    code, out, err, secs = run([binary, "classify", "--json", "point.json"], case_dir)
    problems = check_exit(name, code, err)
    if code == 0:
        try:
            json.loads(out)
        except ValueError:
            problems.append(f"{name}: classify exited 0 but printed no JSON object: {out[:200]!r}")
    return problems, code, secs


def main():
    binary, source_dir, work = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = random.Random(SEED)
    jobs = [("sample", n, t, c) for n, t, c in toml_cases(rng) + csv_cases(rng)]
    jobs += [("classify", n, t, None) for n, t in point_cases(source_dir, rng)]
    names = {job[1] for job in jobs}
    problems = [f"{n}: no such input" for n in sorted((MUST_REFUSE | MUST_ACCEPT) - names)]
    codes, slowest = {}, (0.0, "")
    for i, (kind, name, text, csv_text) in enumerate(jobs):
        case_dir = os.path.join(work, f"{i:03d}")
        if kind == "sample":
            found, code, secs = run_sample(binary, case_dir, name, text, csv_text)
        else:
            found, code, secs = run_classify(binary, case_dir, name, text)
        problems += found
        if name in MUST_REFUSE and code != 1:
            problems.append(f"{name}: expected a refusal (exit 1), got exit {code}")
        if name in MUST_ACCEPT and code != 0:
            problems.append(f"{name}: expected success, got exit {code}")
        codes[code] = codes.get(code, 0) + 1
        slowest = max(slowest, (secs, name))
    print(f"{len(jobs)} inputs; exit codes {codes}; slowest {slowest[1]} ({slowest[0]:.2f} s)")
    if len(jobs) < MIN_CASES:
        problems.append(f"only {len(jobs)} inputs, expected at least {MIN_CASES}")
    if codes.get(0, 0) == 0 or codes.get(1, 0) == 0:
        problems.append("expected both accepted (exit 0) and refused (exit 1) inputs")
    for p in problems:
        print("FAIL", p)
    if not problems:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
