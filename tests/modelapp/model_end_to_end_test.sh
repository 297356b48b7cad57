#!/usr/bin/env bash
# The model explorer driven by real X input under Xvfb: click "Open example model" (stories260K runs on the worker
# thread), click the thumbnail of layer 3 / head 5 and the token strip's token 6, then check through --dump-state that
# the document holds that head's Q/K (d = 8, one vector per token) with query row 6 selected. Saves a screenshot.
# usage: model_end_to_end_test.sh ATTNSCOPE PYTHON3 [SCREENSHOT.png]
set -euo pipefail
app=$1
python=$2
shot=${3:-}
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/window_test.sh" 1600x1000
export ATTNSCOPE_NO_PERSIST=1

cat >"$work/scene.json" <<'JSON'
{"format": "attnscope-scene", "version": 1, "queries": [[1, 0]], "keys": [[1, 0], [0, 1]],
 "views": ["canvas", "sweep", "maps", "density", "divergence", "parameters", "model"]}
JSON
"$app" --no-persist --open "$work/scene.json" --dump-state "$work/state.json" --window-size 1600 1000 --ui-scale 1 \
  </dev/null >"$work/app.log" 2>&1 &
app_pid=$!

click_probe model/open-example 60
# The thumbnails appear once the worker has run the model.
click_probe model/thumb/3/5 60
wait_for "(s['scene'].get('model') or {}).get('head') == 5"
click_probe model/token/6
xdotool mousemove 5 995
wait_for "s['scene']['selectedQuery'] == 6"
[[ -n "$shot" ]] && command -v import >/dev/null && import -window root "$shot"

"$python" - "$work/state.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["scene"]
m = s.get("model")
assert m, "scene has no model after opening the example"
assert m["path"].endswith("stories260K.bin"), m["path"]
assert (m["layer"], m["head"]) == (3, 5), (m["layer"], m["head"])
assert s["selectedQuery"] == 6, s["selectedQuery"]
assert s["dimension"] == 8 and len(s["queries"]) == len(s["keys"]) == len(m["tokenIds"]) > 6
assert s["kernel"]["causal"] is True
assert d["error"] == "", d["error"]
print("ok:", len(m["tokenIds"]), "tokens, head L3 H5, query 6")
PY
