#!/usr/bin/env bash
# The model explorer driven by real X input under Xvfb: click "Open example model" (stories260K runs on the worker
# thread), click the thumbnail of layer 3 / head 5 and the token strip's token 6, then check through --dump-state that
# the document holds that head's Q/K (d = 8, one vector per token) with query row 6 selected. Saves a screenshot.
# usage: model_end_to_end_test.sh ATTNSCOPE PYTHON3 [SCREENSHOT.png]
set -euo pipefail
app=$1
python=$2
shot=${3:-}
work=$(mktemp -d)
xpid="" apid=""
cleanup() {
  [[ -n "$apid" ]] && kill "$apid" 2>/dev/null && wait "$apid" 2>/dev/null
  [[ -n "$xpid" ]] && kill "$xpid" 2>/dev/null && wait "$xpid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/app.log" ]] && cat "$work/app.log" >&2; exit 1; }
command -v Xvfb >/dev/null || fail "Xvfb is not installed"
command -v xdotool >/dev/null || fail "xdotool is not installed"

# A free display, chosen by the X server itself (tests/lib/xvfb.sh).
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/xvfb.sh"
xvfb_pid=""
start_private_xvfb 1600x1000 "$work/xvfb.log" || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
xpid=$xvfb_pid
export ATTNSCOPE_NO_PERSIST=1

cat >"$work/scene.json" <<'JSON'
{"format": "attnscope-scene", "version": 1, "queries": [[1, 0]], "keys": [[1, 0], [0, 1]],
 "views": ["canvas", "sweep", "maps", "density", "divergence", "parameters", "model"]}
JSON
"$app" --no-persist --open "$work/scene.json" --dump-state "$work/dump.json" --window-size 1600 1000 --ui-scale 1 \
  >"$work/app.log" 2>&1 &
apid=$!
# The first dump is written once the window runs (signal handlers installed): only then is SIGUSR1 safe.
for _ in $(seq 200); do [[ -s "$work/dump.json" ]] && break; kill -0 "$apid" 2>/dev/null || fail "app exited"; sleep 0.1; done
[[ -s "$work/dump.json" ]] || fail "the app wrote no initial state dump"

dump() {  # fresh state dump (SIGUSR1), waits until it is written
  rm -f "$work/dump.json"
  kill -USR1 "$apid"
  for _ in $(seq 100); do [[ -s "$work/dump.json" ]] && return 0; sleep 0.1; done
  fail "no state dump"
}
probe() { "$python" -c "import json,sys; p=json.load(open(sys.argv[1]))['probes'][sys.argv[2]]; print(int(p[0]), int(p[1]))" "$work/dump.json" "$1"; }
wait_probe() {  # waits until the UI publishes probe $1
  for _ in $(seq 60); do
    dump
    if probe "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  fail "probe $1 never appeared"
}
# Move, let a frame see the hover, then press and release a frame apart (ImGui samples the mouse once per frame).
click() {
  read -r x y < <(probe "$1")
  xdotool mousemove "$x" "$y"
  sleep 0.4
  xdotool mousedown 1
  sleep 0.2
  xdotool mouseup 1
  sleep 0.5
}

wait_probe model/open-example
click model/open-example
wait_probe model/thumb/3/5
click model/thumb/3/5
dump
click model/token/6
xdotool mousemove 5 995
sleep 1
dump
[[ -n "$shot" ]] && command -v import >/dev/null && import -window root "$shot"

"$python" - "$work/dump.json" <<'PY'
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
