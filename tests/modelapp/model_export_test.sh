#!/usr/bin/env bash
# `attnscope export` of a model scene with no X server: a hand-written scene that names only the model, the prompt and
# a head is rendered by the model explorer (the model runs during the export), the PNG is a valid non-blank image, and
# the scene embedded in it carries the head's captured Q/K and token ids, so re-exporting it gives the same pixels.
# usage: model_export_test.sh ATTNSCOPE PYTHON3 MODEL
set -euo pipefail
app=$1
python=$2
model=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset DISPLAY WAYLAND_DISPLAY
export ATTNSCOPE_NO_PERSIST=1
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$work/scene.json" <<JSON
{"format": "attnscope-scene", "version": 1, "queries": [[1, 0]], "keys": [[1, 0]], "views": ["canvas", "sweep", "maps", "density", "divergence", "parameters", "model"],
 "model": {"path": "$model", "prompt": "Once upon a time, there was a little girl", "layer": 1, "head": 2}}
JSON
"$app" export --scene "$work/scene.json" --view model --out "$work/model.png" --width 1400 --height 900 2>"$work/err.txt" \
  || { cat "$work/err.txt"; fail "export failed"; }
[[ ! -s "$work/err.txt" ]] || { cat "$work/err.txt"; fail "export printed warnings"; }
# Whole window too (the geometry views show the head).
"$app" export --scene "$work/model.png" --out "$work/window.png" --width 1200 --height 760
# Re-export from the PNG's own scene.
"$app" export --scene "$work/model.png" --view model --out "$work/again.png" --width 1400 --height 900

# Checked with the gui tests' independent pure-Python PNG reader (no imaging library needed).
reader="$(cd "$(dirname "${BASH_SOURCE[0]}")/../gui" && pwd)/png_text.py"
"$python" - "$reader" "$work/model.png" "$work/window.png" "$work/again.png" <<'PY'
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("png_text", sys.argv[1]); png = importlib.util.module_from_spec(spec)
spec.loader.exec_module(png)
def colours(path):
    width, height, channels, rows = png.image(path)
    seen = set()
    for row in rows[::3]:
        seen.update(bytes(row[i:i + 3]) for i in range(0, len(row), channels * 3))
    return width, height, len(seen)
w, h, n = colours(sys.argv[2])
assert (w, h) == (1400, 900), (w, h)
assert n > 200, f"model explorer export looks blank: {n} distinct colours"
# The scene in the PNG holds the head's Q/K (d = 8, one row per token) and the token ids of the prompt.
scene = json.loads(png.text(sys.argv[2], "attnscope-scene"))
m = scene["model"]
assert m["layer"] == 1 and m["head"] == 2, m
assert len(m["tokenIds"]) == len(scene["queries"]) > 5, (len(m["tokenIds"]), len(scene["queries"]))
assert scene["dimension"] == 8 and len(scene["queries"][0]) == 8
assert scene["kernel"]["causal"] is True
assert "model" in scene["views"]
assert colours(sys.argv[3])[2] > 200, "whole-window export looks blank"
# Re-export from the PNG's own scene (the model runs again on the stored ids): identical image data.
idat = lambda path: b"".join(body for kind, body in png.chunks(path) if kind == b"IDAT")
assert idat(sys.argv[2]) == idat(sys.argv[4]), "re-export of the model scene differs"
print(f"ok: {n} colours, {len(m['tokenIds'])} tokens")
PY

# A scene naming a missing model: clear error in the image's banner / stderr, still exits 0 with the stored vectors.
sed "s#$model#/nonexistent/model.bin#" "$work/scene.json" >"$work/bad.json"
"$app" export --scene "$work/bad.json" --view model --out "$work/bad.png" 2>"$work/bad.txt" || true
grep -q "/nonexistent/model.bin" "$work/bad.txt" || { cat "$work/bad.txt"; fail "missing model not reported"; }
echo "model export ok"
