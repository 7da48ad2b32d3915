#!/usr/bin/env bash
# Renders the fixture report in headless Chromium: the page must load offline, its DOM must hold
# the inline SVG figures, and a screenshot must not be blank. Exit 77 (CTest skip) without chromium.
# Usage: test_report_browser.sh MAKE_REPORT_FIXTURE [WORK_DIR]
set -euo pipefail

fixture_exe=${1:?usage: test_report_browser.sh MAKE_REPORT_FIXTURE [WORK_DIR]}
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/landscape-report-browser.XXXXXX")}

browser=""
for candidate in chromium chromium-browser; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser=$(command -v "$candidate")
    break
  fi
done
if [[ -z "$browser" ]]; then
  echo "SKIP: chromium is not installed (apt-get install chromium); headless-browser check not run"
  exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP: python3 is not installed; cannot inspect the screenshot"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
html=$("$fixture_exe" "$work")
[[ -f "$html" ]] || { echo "FAIL: $fixture_exe did not write $html"; exit 1; }

# A private profile, and no network: --no-proxy-server plus a proxy that resolves nowhere make
# any attempted fetch fail rather than reach out (the page must not need one).
profile="$work/profile"
mkdir -p "$profile"
common=(--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
        --no-default-browser-check --disable-extensions --user-data-dir="$profile"
        --proxy-server="127.0.0.1:9" --proxy-bypass-list="<-loopback>")

set +e
timeout 120 "$browser" "${common[@]}" --dump-dom "file://$html" >"$work/dom.html" 2>"$work/dom.err"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  echo "FAIL: chromium --dump-dom exited with $rc"; tail -20 "$work/dom.err"; exit 1
fi
svgs=$(grep -o '<svg' "$work/dom.html" | wc -l)
expected=$(grep -o '<svg' "$html" | wc -l)
if [[ $svgs -lt 10 || $svgs -ne $expected ]]; then
  echo "FAIL: the rendered DOM holds $svgs <svg> elements (the file has $expected, want >= 10)"
  exit 1
fi
grep -q '<title>Class fractions with 95% intervals</title>' "$work/dom.html" \
  || { echo "FAIL: figure titles missing from the DOM"; exit 1; }

# The figures as the browser holds them: tick labels on both axes of every figure, one fill
# colour per class (data-key) across all charts and a different one for each class, and no
# two-sided error bar on a bar of height zero (a count of 0 has only its upper interval).
python3 - "$work/dom.html" <<'PY'
import re, sys

dom = open(sys.argv[1], encoding="utf-8").read()
figures = re.findall(r"<svg.*?</svg>", dom, re.S)
fills, problems = {}, []
for svg in figures:
    title = (re.search(r"<title>([^<]*)</title>", svg) or [None, "?"])[1]
    for axis in ("tick-x", "tick-y"):
        labels = [re.sub(r"<[^>]*>", "", t) for t in re.findall(r'<text class="%s"[^>]*>(.*?)</text>' % axis, svg, re.S)]
        if len([t for t in labels if t.strip()]) < 2:
            problems.append(f"{title}: fewer than two {axis} labels")
    for tag in re.findall(r"<(?:rect|circle|path)\b[^>]*>", svg):
        key, fill = re.search(r'data-key="([^"]*)"', tag), re.search(r' fill="([^"]*)"', tag)
        if key and fill and fill[1] != "none":
            fills.setdefault(key[1], set()).add(fill[1].lower())
    heights = {t: float(h) for h, t in re.findall(r'<rect [^>]*height="([0-9.]+)"[^>]*><title>([^<]*)</title>', svg)}
    for tag in re.findall(r'<path [^>]*class="errorbar"[^>]*>', svg):
        target, sided = re.search(r'data-for="([^"]*)"', tag), re.search(r'data-sided="([^"]*)"', tag)
        if target and heights.get(target[1]) == 0 and sided[1] != "upper":
            problems.append(f"{title}: {target[1]}: a {sided[1]} error bar on a zero count")
for key, colours in fills.items():
    if len(colours) != 1:
        problems.append(f"class {key} drawn in {sorted(colours)}")
every = [next(iter(c)) for c in fills.values()]
if len(fills) < 4 or len(set(every)) != len(every):
    problems.append(f"class colours not distinct or too few classes: {fills}")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print(f"figures: {len(figures)} with tick labels on both axes; {len(fills)} classes, one colour each")
PY

set +e
timeout 120 "$browser" "${common[@]}" --hide-scrollbars --window-size=1200,3000 \
  --screenshot="$work/report.png" "file://$html" >"$work/shot.out" 2>"$work/shot.err"
rc=$?
set -e
if [[ $rc -ne 0 || ! -s "$work/report.png" ]]; then
  echo "FAIL: chromium --screenshot exited with $rc or wrote no PNG"; tail -20 "$work/shot.err"; exit 1
fi

# Decode the PNG with the standard library only (zlib + PNG row filters) and require a page
# that is not blank: several colours and a fair share of non-background pixels.
python3 - "$work/report.png" <<'PY'
import struct, sys, zlib

data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("FAIL: not a PNG")
pos, idat, width, height, ctype, depth = 8, b"", 0, 0, 0, 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
if depth != 8 or ctype not in (2, 6):
    sys.exit(f"FAIL: unexpected PNG format depth={depth} colour type={ctype}")
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
colours, background, ink = {}, None, 0
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 255
    prev = line
    if y % 2:
        continue  # every other row is plenty for the statistics
    for x in range(0, stride, bpp * 2):
        px = bytes(line[x:x + 3])
        colours[px] = colours.get(px, 0) + 1
background = max(colours, key=colours.get)
total = sum(colours.values())
ink = total - colours[background]
share = ink / total
print(f"screenshot {width}x{height}: {len(colours)} distinct colours, "
      f"{100 * share:.1f}% non-background pixels")
if len(colours) < 8 or share < 0.02:
    sys.exit("FAIL: the screenshot looks blank")
PY

echo "PASS: headless chromium rendered $svgs inline SVG figures; screenshot $work/report.png"
