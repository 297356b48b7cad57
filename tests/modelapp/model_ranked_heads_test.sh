#!/usr/bin/env bash
# The explorer's ranked list of heads driven by real X input under Xvfb: open the example model, tick "ranked" beside
# the statistic grid (CT divergence by default), click the list's first row, and check through --dump-state that the
# document now holds the head `attnscope model heads --sort divergence` ranks first for the same token ids.
# usage: model_ranked_heads_test.sh ATTNSCOPE PYTHON3
set -euo pipefail
app=$1
python=$2
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/window_test.sh" 1600x1000
export ATTNSCOPE_NO_PERSIST=1

cat >"$work/scene.json" <<'JSON'
{"format": "attnscope-scene", "version": 1, "queries": [[1, 0]], "keys": [[1, 0], [0, 1]], "views": ["model"]}
JSON
"$app" --no-persist --open "$work/scene.json" --dump-state "$work/state.json" --window-size 1600 1000 --ui-scale 1 \
  </dev/null >"$work/app.log" 2>&1 &
app_pid=$!

click_probe model/open-example 60
# The grid appears once the worker has run the model.
wait_for "'model/thumb/0/0' in s['probes']" 60
click_probe model/ranked
click_probe model/rank/0
xdotool mousemove 5 995
sleep 1

"$python" - "$work/state.json" "$app" "$work/cli.csv" <<'PY'
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
m = d["scene"].get("model")
assert m, "scene has no model after opening the example"
assert d["error"] == "", d["error"]
ids = ",".join(str(i) for i in m["tokenIds"])
subprocess.run([sys.argv[2], "model", "heads", m["path"], "--token-ids", ids, "--sort", "divergence",
                      "--csv", sys.argv[3]], check=True, capture_output=True, text=True)
first = open(sys.argv[3]).read().splitlines()[1].split(",")
assert (m["layer"], m["head"]) == (int(first[0]), int(first[1])), ((m["layer"], m["head"]), first[:2])
print("ok: the ranked list's first row selected L%d H%d, the head with the largest CT divergence" % (m["layer"], m["head"]))
PY
