#!/usr/bin/env bash
# `attnscope export` beyond the basic PNG, with no X server: golden images of every view and the whole window, SVG
# (well-formed XML with the expected labels), CSV/.npy checked against an independent NumPy computation, sweep
# frames (and a kill in the middle of a sequence), and failures into unwritable places.
# usage: export_test.sh ATTNSCOPE PYTHON3 OUT_DIR [--update-golden]
#   OUT_DIR receives the rendered images and, on a golden mismatch, NAME.diff.png.
#   --update-golden rewrites tests/golden/*.png from this build (then look at them before committing).
set -euo pipefail
app=$(realpath "$1")
python=$2
out=$3
update=${4:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
golden=$here/../golden
scene=$golden/scene.json
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset DISPLAY WAYLAND_DISPLAY
fail() { echo "FAIL: $*" >&2; exit 1; }
failures=0

# --- Golden images: every view alone and the whole window, from a committed scene file.
views=$("$app" export --list | awk '/^views:/ {v = 1; next} /^[a-z]/ {v = 0} v && NF {print $1}')
[[ -n $views ]] || fail "export --list names no views"
for name in window $views; do
  # The whole window needs room for six views; one view alone reads well at 480 x 320.
  args=(--scene "$scene" --out "$out/$name.png")
  if [[ $name == window ]]; then args+=(--width 960 --height 600); else args+=(--view "$name" --width 480 --height 320); fi
  "$app" export "${args[@]}"
  if [[ $update == --update-golden ]]; then
    cp "$out/$name.png" "$golden/$name.png"
    echo "updated $golden/$name.png"
  elif ! "$python" "$here/golden.py" "$out/$name.png" "$golden/$name.png" "$out/$name.diff.png"; then
    failures=$((failures + 1))
  fi
done
[[ $failures == 0 ]] || fail "$failures golden image(s) differ (diff images in $out)"
[[ $update == --update-golden ]] && exit 0

# --- SVG: well-formed XML, true vectors, text as text, chosen by the extension.
for view in sweep canvas divergence; do
  "$app" export --scene "$scene" --view "$view" --out "$out/$view.svg" --width 900 --height 600
done
"$python" - "$out" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
expected = {"sweep": ["parallel", "orthogonal", "antiparallel", "query-key angle (degrees)", "attention weight", "DPA", "MGK soft"],
            "canvas": ["query", "key", "|v| = 1", "long (parallel)", "q0"],
            "divergence": ["CT", "Sinkhorn", "MMD²", "q0", "orthogonal"]}
for view, labels in expected.items():
    root = ET.parse(f"{sys.argv[1]}/{view}.svg").getroot()  # raises on malformed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
    texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    shapes = [e for e in root.iter() if e.tag.split("}")[1] in ("polyline", "polygon", "circle")]
    assert len(shapes) > 20, f"{view}: only {len(shapes)} vector shapes"
    assert texts, f"{view}: no text elements"
    missing = [l for l in labels if l not in texts]
    assert not missing, f"{view}: labels {missing} missing from {sorted(texts)[:40]}"
print("SVG checks passed")
PY
if "$app" export --view maps --out "$work/maps.svg" 2>"$work/err.txt"; then fail "SVG of a heatmap view accepted"; fi
grep -q 'has no SVG export' "$work/err.txt" || fail "unclear SVG error: $(cat "$work/err.txt")"
[[ ! -e $work/maps.svg ]] || fail "refused SVG was written"

# --- Data: CSV/.npy against an independent NumPy computation from the exported vectors.
mkdir "$work/data"
"$app" export --scene "$scene" --data "$work/data" >/dev/null
"$python" - "$work/data" "$scene" <<'PY'
import csv, json, sys
import numpy as np
folder, scene = sys.argv[1], json.load(open(sys.argv[2]))
rows = list(csv.DictReader(open(f"{folder}/vectors.csv")))
d = sum(1 for k in rows[0] if k.startswith("x"))
Q = np.array([[float(r[f"x{c}"]) for c in range(d)] for r in rows if r["kind"] == "query"])
K = np.array([[float(r[f"x{c}"]) for c in range(d)] for r in rows if r["kind"] == "key"])
assert np.allclose(Q, np.array(scene["queries"], dtype=np.float32)) and np.allclose(K, np.array(scene["keys"]))
s = 1 / np.sqrt(d)  # the scene does not override the scale
x = s * Q @ K.T
dpa = np.exp(x - x.max(axis=1, keepdims=True)); dpa /= dpa.sum(axis=1, keepdims=True)
assert np.allclose(np.load(f"{folder}/weights_dpa.npy"), dpa, atol=1e-6), "DPA weights differ from NumPy"
assert np.allclose(np.load(f"{folder}/scores_dpa.npy"), x, atol=1e-6), "DPA logits differ from NumPy"
f = x ** 2 / (1 + x ** 2)  # saturating expressive attention, MATH.md section 2
ea = f / f.sum(axis=1, keepdims=True)
assert np.allclose(np.load(f"{folder}/weights_ea.npy"), ea, atol=1e-6), "EA weights differ from NumPy"
sweep = np.genfromtxt(f"{folder}/sweep.csv", delimiter=",", names=True)
assert sweep["angle_deg"][0] == 0 and sweep["angle_deg"][-1] == 180
assert np.all((sweep["dpa_weight"] >= 0) & (sweep["dpa_weight"] <= 1))
table = {r["metric"]: float(r["value"]) for r in csv.DictReader(open(f"{folder}/divergences.csv"))}
assert set(table) >= {"ct", "mmd_biased", "sinkhorn", "frechet"} and all(np.isfinite(list(table.values())))
plan = np.load(f"{folder}/ct_forward_plan.npy")
assert plan.shape == (len(K), len(Q)) and np.allclose(plan.sum(axis=1), 1, atol=1e-5)
density = np.load(f"{folder}/density.npy")
grid = next(csv.DictReader(open(f"{folder}/density_grid.csv")))
assert density.shape == (int(grid["resolution"]),) * 2 and density.min() >= 0
print("data checks passed")
PY

# --- Sweep frames: N complete PNGs, each carrying its own scene; the key turns from 0 to 180 degrees.
mkdir "$work/frames"
"$app" export --scene "$scene" --view canvas --width 320 --height 240 --sweep-frames 5 \
  --out "$work/frames/frame_%03d.png" >/dev/null
[[ $(ls "$work/frames" | wc -l) == 5 ]] || fail "expected 5 frames: $(ls "$work/frames")"
for f in 0 4; do
  "$python" "$here/../gui/png_text.py" "$work/frames/frame_00$f.png" attnscope-scene >"$work/frame$f.json"
done
"$python" - "$work/frame0.json" "$work/frame4.json" <<'PY'
import json, sys
import numpy as np
for path, expected in zip(sys.argv[1:], (1.0, -1.0)):
    s = json.load(open(path))
    q, k = np.array(s["queries"][s["selectedQuery"]]), np.array(s["keys"][s["selectedKey"]])
    cos = q @ k / np.linalg.norm(q) / np.linalg.norm(k)
    assert abs(cos - expected) < 1e-5, f"{path}: cos(q, k) = {cos}, expected {expected}"
PY
# Every frame is exactly what a standalone export of its own embedded scene draws: no view may carry state (the
# density view's contour cache did) from one frame to the next. Whole window (every view, contours included) and the
# density view alone; frames 2..4 are the ones a stale cache would get wrong.
for target in window density; do
  args=(--width 960 --height 600)
  [[ $target == density ]] && args=(--view density --width 480 --height 320)
  mkdir "$work/frames_$target"
  "$app" export --scene "$scene" "${args[@]}" --sweep-frames 4 --out "$work/frames_$target/f_%d.png" >/dev/null
  for f in 1 2 3; do
    "$app" export --scene "$work/frames_$target/f_$f.png" "${args[@]}" --out "$work/alone_${target}_$f.png" >/dev/null
    differing=$(compare -metric AE "$work/frames_$target/f_$f.png" "$work/alone_${target}_$f.png" null: 2>&1 || true)
    if [[ $differing != 0 ]]; then
      cp "$work/frames_$target/f_$f.png" "$out/sweep_frame_${target}_$f.png"
      cp "$work/alone_${target}_$f.png" "$out/sweep_frame_${target}_${f}_alone.png"
      fail "sweep frame $f ($target) differs from a standalone export of its own scene in $differing pixels" \
        "(both in $out)"
    fi
  done
done
# A kill in the middle of a long sequence leaves only complete frames (each is written atomically).
mkdir "$work/killed"
"$app" export --scene "$scene" --width 1600 --height 1000 --sweep-frames 40 --out "$work/killed/f_%02d.png" \
  >/dev/null & pid=$!
for _ in $(seq 600); do  # until two frames exist (at most 60 s on a loaded machine)
  [[ -e $work/killed/f_01.png ]] && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
frames=("$work"/killed/f_*.png)
(( ${#frames[@]} >= 2 && ${#frames[@]} < 40 )) || fail "kill test: ${#frames[@]} frames (expected a partial sequence)"
for frame in "${frames[@]}"; do
  [[ $("$python" "$here/../gui/png_text.py" --size "$frame") == "1600 1000" ]] || fail "truncated frame $frame"
  "$python" "$here/../gui/png_text.py" "$frame" attnscope-scene >/dev/null || fail "damaged frame $frame"
done

# --- Failures: clear message, exit code 1, nothing written (tests run as root: only /proc and paths below a regular
# file cannot be written).
touch "$work/plain"
for target in "$work/plain/x.png" "/proc/attnscope-export.png" "$work/plain/x.svg" "$work/nowhere/x.svg"; do
  view=(); [[ $target == *.svg ]] && view=(--view sweep)
  if "$app" export "${view[@]}" --out "$target" 2>"$work/err.txt"; then fail "export to $target succeeded"; fi
  grep -q "^attnscope: error: .*$target" "$work/err.txt" || fail "unclear error for $target: $(cat "$work/err.txt")"
  [[ ! -e $target ]] || fail "$target was written"
done
if "$app" export --data "$work/plain/sub" 2>"$work/err.txt"; then fail "--data below a file succeeded"; fi
grep -q "attnscope: error: cannot write data into $work/plain/sub" "$work/err.txt" || fail "$(cat "$work/err.txt")"
if "$app" export --view canvas --sweep-frames 3 --out "$work/frames/x.png" 2>"$work/err.txt"; then
  fail "frame pattern without a number accepted"
fi
grep -q "needs exactly one frame number" "$work/err.txt" || fail "unclear pattern error: $(cat "$work/err.txt")"
ls "$work" | grep -v -E '^(plain|err.txt|frames|killed|data|frame[04].json|frames_(window|density)|alone_(window|density)_[123].png)$' && fail "stray files left in $work"
echo "export checks passed"
