#!/usr/bin/env python3
"""Lists the longest functions and those with many parameters in src/, include/ and kernels/
(C++ and CUDA), to keep functions short; uses lizard (`pip install lizard`)."""
import argparse
import os
import sys

try:
    import lizard
except ImportError:
    sys.exit("function_sizes.py needs lizard: pip install lizard")

EXTENSIONS = (".cpp", ".hpp", ".h", ".cu", ".cuh", ".cu.in")
ROOTS = ("src", "include", "kernels")


def functions(repo):
    """(path, function) for every function lizard finds under ROOTS."""
    for root in ROOTS:
        for dirpath, _, names in os.walk(os.path.join(repo, root)):
            for name in sorted(names):
                if not name.endswith(EXTENSIONS):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    code = f.read()
                # lizard picks its reader by extension and knows no CUDA ones: read them as C++.
                info = lizard.analyze_file.analyze_source_code(path + ".cpp", code)
                for fn in info.function_list:
                    yield os.path.relpath(path, repo), fn


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--top", type=int, default=15, help="longest functions to list")
    ap.add_argument("--max-lines", type=int, default=80, help="flag functions longer than this")
    ap.add_argument("--max-params", type=int, default=6, help="flag more parameters than this")
    args = ap.parse_args()
    rows = [(fn.length, fn.parameter_count, f"{path}:{fn.start_line}", fn.name)
            for path, fn in functions(os.path.abspath(args.repo))]
    width = max((len(r[2]) for r in rows), default=10)
    line = lambda r: f"{r[0]:6d} {r[1]:6d}  {r[2]:<{width}}  {r[3]}"
    head = f"{'lines':>6} {'params':>6}  {'where':<{width}}  function"
    print(f"The {args.top} longest functions:\n{head}")
    for r in sorted(rows, key=lambda r: -r[0])[: args.top]:
        print(line(r))
    flagged = [r for r in rows if r[0] > args.max_lines or r[1] > args.max_params]
    print(f"\nOver {args.max_lines} lines or {args.max_params} parameters: {len(flagged)}\n{head}")
    for r in sorted(flagged, key=lambda r: (-r[0], -r[1])):
        print(line(r))


if __name__ == "__main__":
    main()
