#!/usr/bin/env bash
# The explorer's ranked list of heads driven by real X input under Xvfb: open the example model, tick "ranked" beside
# the statistic grid (CT divergence by default), click the list's first row, and check through --dump-state that the
# document now holds the head `attnscope model heads --sort divergence` ranks first for the same token ids.
# usage: model_ranked_heads_test.sh ATTNSCOPE PYTHON3
set -euo pipefail
app=$1
python=$2
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

# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/xvfb.sh"
xvfb_pid=""
start_private_xvfb 1600x1000 "$work/xvfb.log" || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
xpid=$xvfb_pid
export ATTNSCOPE_NO_PERSIST=1

cat >"$work/scene.json" <<'JSON'
{"format": "attnscope-scene", "version": 1, "queries": [[1, 0]], "keys": [[1, 0], [0, 1]], "views": ["model"]}
JSON
"$app" --no-persist --open "$work/scene.json" --dump-state "$work/dump.json" --window-size 1600 1000 --ui-scale 1 \
  >"$work/app.log" 2>&1 &
apid=$!
for _ in $(seq 200); do [[ -s "$work/dump.json" ]] && break; kill -0 "$apid" 2>/dev/null || fail "app exited"; sleep 0.1; done
[[ -s "$work/dump.json" ]] || fail "the app wrote no initial state dump"

dump() {
  rm -f "$work/dump.json"
  kill -USR1 "$apid"
  for _ in $(seq 100); do [[ -s "$work/dump.json" ]] && return 0; sleep 0.1; done
  fail "no state dump"
}
probe() { "$python" -c "import json,sys; p=json.load(open(sys.argv[1]))['probes'][sys.argv[2]]; print(int(p[0]), int(p[1]))" "$work/dump.json" "$1"; }
wait_probe() {
  for _ in $(seq 60); do
    dump
    if probe "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  fail "probe $1 never appeared"
}
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
wait_probe model/thumb/0/0
click model/ranked
wait_probe model/rank/0
click model/rank/0
xdotool mousemove 5 995
sleep 1
dump

"$python" - "$work/dump.json" "$app" "$work/cli.csv" <<'PY'
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
