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
"$app" export --scene "$work/model.png" --out "$work/window.png" --width 1600 --height 1000

"$python" - "$work/model.png" "$work/window.png" <<'PY'
import json, sys
import numpy as np
from PIL import Image
img = Image.open(sys.argv[1])
assert img.size == (1400, 900), img.size
a = np.asarray(img.convert("RGB")).astype(int)
colours = len(np.unique(a.reshape(-1, 3), axis=0))
assert colours > 200, f"model explorer export looks blank: {colours} distinct colours"
# The scene in the PNG holds the head's Q/K (d = 8, one row per token) and the token ids of the prompt.
scene = json.loads(img.text["attnscope-scene"])
m = scene["model"]
assert m["layer"] == 1 and m["head"] == 2, m
assert len(m["tokenIds"]) == len(scene["queries"]) > 5, (len(m["tokenIds"]), len(scene["queries"]))
assert scene["dimension"] == 8 and len(scene["queries"][0]) == 8
assert scene["kernel"]["causal"] is True
assert "model" in scene["views"]
w = np.asarray(Image.open(sys.argv[2]).convert("RGB")).astype(int)
assert len(np.unique(w.reshape(-1, 3), axis=0)) > 200, "whole-window export looks blank"
print(f"ok: {colours} colours, {len(m['tokenIds'])} tokens")
PY

# Re-export from the PNG's own scene: identical pixels (the model runs again on the stored token ids).
"$app" export --scene "$work/model.png" --view model --out "$work/again.png" --width 1400 --height 900
"$python" - "$work/model.png" "$work/again.png" <<'PY'
import sys
import numpy as np
from PIL import Image
a, b = (np.asarray(Image.open(p).convert("RGBA")) for p in sys.argv[1:3])
assert (a == b).all(), "re-export of the model scene differs"
PY

# A scene naming a missing model: clear error in the image's banner / stderr, still exits 0 with the stored vectors.
sed "s#$model#/nonexistent/model.bin#" "$work/scene.json" >"$work/bad.json"
"$app" export --scene "$work/bad.json" --view model --out "$work/bad.png" 2>"$work/bad.txt" || true
grep -q "/nonexistent/model.bin" "$work/bad.txt" || { cat "$work/bad.txt"; fail "missing model not reported"; }
echo "model export ok"
