#!/usr/bin/env bash
# Every step of every demo exports headless (EGL, no X server) to a valid PNG that is not blank: the right size, the
# step's scene in its metadata, many distinct colours, and no colour covering almost the whole image.
# usage: export_all_test.sh ATTNSCOPE PYTHON3 DEMO_DIR
set -euo pipefail
app=$1
python=$2
demos=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset DISPLAY WAYLAND_DISPLAY
export ATTNSCOPE_DEMO_DIR=$demos
fail() { echo "FAIL: $*" >&2; exit 1; }

"$app" export --list >"$work/list.txt"
grep -q "^demos:" "$work/list.txt" || fail "--list names no demos"
count=0
for file in "$demos"/*.json; do
  name=$(basename "$file" .json)
  steps=$("$python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["steps"]))' "$file")
  grep -q "^  $name " "$work/list.txt" || fail "--list does not name demo $name"
  for ((k = 1; k <= steps; ++k)); do
    # 800 x 500 keeps the CI budget small (llvmpipe) while every view and the step text stay readable.
    "$app" export --demo "$name" --step "$k" --out "$work/$name-$k.png" --width 800 --height 500
    count=$((count + 1))
  done
  # A step past the end is refused with a clear message and nothing is written.
  if "$app" export --demo "$name" --step $((steps + 1)) --out "$work/none.png" 2>"$work/err.txt"; then
    fail "$name: step $((steps + 1)) accepted"
  fi
  grep -q "has steps 1..$steps" "$work/err.txt" || fail "unclear error: $(cat "$work/err.txt")"
  [[ ! -e "$work/none.png" ]] || fail "output written despite the error"
done
if "$app" export --demo no-such-demo --out "$work/none.png" 2>"$work/err.txt"; then fail "unknown demo accepted"; fi
grep -q 'no demo named "no-such-demo"' "$work/err.txt" || fail "unclear error: $(cat "$work/err.txt")"

"$python" - "$here/../gui/png_text.py" "$work" <<'PY'
import collections, importlib.util, pathlib, sys
spec = importlib.util.spec_from_file_location("png_text", sys.argv[1]); m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
bad = []
for path in sorted(pathlib.Path(sys.argv[2]).glob("*.png")):
    width, height, channels, rows = m.image(str(path))
    if '"format": "attnscope-scene"' not in (m.text(str(path), "attnscope-scene") or ""):
        bad.append(f"{path.name}: no scene metadata")
    pixels = collections.Counter()
    for row in rows:
        for x in range(0, width * channels, channels * 2):  # every second pixel: enough to count colours
            pixels[bytes(row[x:x + 3])] += 1
    total = sum(pixels.values())
    top = pixels.most_common(1)[0][1] / total
    if (width, height) != (800, 500) or len(pixels) < 64 or top > 0.9:
        bad.append(f"{path.name}: {width}x{height}, {len(pixels)} colours, commonest covers {top:.0%}")
    print(f"{path.name}: {len(pixels)} colours, commonest {top:.0%}")
if bad:
    sys.exit("blank or wrong exports:\n" + "\n".join(bad))
PY
echo "exported $count demo steps"
