#!/usr/bin/env bash
# In-app export end to end: the real window under its own Xvfb, driven by X input (xdotool), observed through the
# --dump-state file. Ctrl+E + Enter writes a PNG of the whole window at its size; File > Export plot as SVG writes an
# SVG of the kernel sweep; File > Export data writes the CSV/.npy files; the export prompt remembers the folder.
# usage: menu_export_test.sh ATTNSCOPE PYTHON3
set -euo pipefail
app=$(realpath "$1")
python=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
source "$here/../lib/window_test.sh" 1200x800
fail_details() {
  [[ -f $work/state.json ]] && "$python" -c "import json; s = json.load(open(\"$work/state.json\")); print({k: v for k, v in s.items() if k not in (\"scene\", \"weights\")})"
  true
}
mkdir "$work/out"
# The prompts start in the working folder ("./attnscope.png") until a folder is remembered.
(cd "$work/out" && exec "$app" --no-persist --dump-state "$work/state.json" --window-size 1200 800 --ui-scale 1 \
  </dev/null >"$work/app.log" 2>&1) &
app_pid=$!

# confirm PROMPT FILE: Return in an open prompt until FILE appears. The path field takes keyboard focus a frame after
# the prompt appears, so a Return sent before that frame is lost; a fixed sleep is too short when frames are slow (a
# sanitized build on a loaded machine), so Return is sent again while the prompt is still open.
confirm() {
  local tries
  sleep 1
  for tries in 1 2 3 4 5 6; do
    xdotool key Return
    local deadline=$((SECONDS + 5))
    while ((SECONDS < deadline)); do [[ -s $2 ]] && return 0; sleep 0.2; done
    [[ $(query "'$1' in s['probes']") == True ]] || return 0  # closed: the export is on its way, wait_file decides
  done
}
wait_file() {  # wait_file PATH [seconds]
  local deadline=$((SECONDS + ${2:-60}))
  while ((SECONDS < deadline)); do [[ -s $1 ]] && return 0; sleep 0.2; done
  fail "timed out waiting for $1 (folder: $(ls "$(dirname "$1")" | tr "\n" " "))"
}
menu_item() {  # menu_item PROBE: File menu, then the item
  click_at $(point menu/File)
  wait_for "'$1' in s['probes']"
  sleep 0.3
  click_at $(point "$1")
}

wait_for "'menu/File' in s['probes'] and s['derivedRevision'] == s['revision']" 60

# 1. Ctrl+E, Enter: the whole window as PNG at 1x (the prompt's defaults), scene embedded.
xdotool mousemove 600 400 key ctrl+e
wait_for "'prompt/export' in s['probes']"
confirm prompt/export "$work/out/attnscope.png"
wait_file "$work/out/attnscope.png"
[[ $("$python" "$here/../gui/png_text.py" --size "$work/out/attnscope.png") == "1200 800" ]] || fail "PNG size"
"$python" "$here/../gui/png_text.py" "$work/out/attnscope.png" attnscope-scene | grep -q '"format": "attnscope-scene"' \
  || fail "PNG without scene metadata"
echo "Ctrl+E PNG: ok"

# 2. File > Export plot as SVG, Enter: the kernel sweep as SVG (well-formed, text as text).
wait_for "'prompt/export' not in s['probes']"
menu_item menu/File/export-svg
wait_for "'prompt/export' in s['probes']"
confirm prompt/export "$work/out/attnscope.svg"
wait_file "$work/out/attnscope.svg"
sleep 0.5  # written atomically: once it exists it is complete
"$python" - "$work/out/attnscope.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
texts = {"".join(t.itertext()) for t in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}text")}
assert "query-key angle (degrees)" in texts, sorted(texts)
PY
echo "File > Export plot as SVG: ok"

# 3. File > Export data, Enter: the numbers of every view into the (remembered) folder.
wait_for "'prompt/export' not in s['probes']"
menu_item menu/File/export-data
wait_for "'prompt/data' in s['probes']"
confirm prompt/data "$work/out/sweep.csv"
wait_file "$work/out/sweep.csv"
wait_file "$work/out/weights_ea.npy"
"$python" -c "import numpy as np; w = np.load('$work/out/weights_ea.npy'); assert np.allclose(w.sum(1), 1, atol=1e-5)"
echo "File > Export data: ok"

kill -TERM "$app_pid"
wait "$app_pid" || fail "attnscope did not exit cleanly on SIGTERM"
app_pid=""
echo "in-app export checks passed"
