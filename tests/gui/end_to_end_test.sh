#!/usr/bin/env bash
# End-to-end: the real attnscope window under its own Xvfb, driven by real X input (xdotool), observed through the
# --dump-state file. Closes a view from the View menu, undoes that with Ctrl+Z, and drags the parallel key's arrow tip
# on the vector canvas to orthogonal (when the canvas publishes its probe points), checking the angle and EA weight.
# usage: end_to_end_test.sh ATTNSCOPE PYTHON3
set -euo pipefail
app=$1
python=$2
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/window_test.sh" 1400x900
fail_details() { [[ -f "$work/state.json" ]] && head -c 1500 "$work/state.json" || true; }

"$app" --no-persist --dump-state "$work/state.json" --window-size 1400 900 --ui-scale 1 </dev/null \
  >"$work/app.log" 2>&1 &
app_pid=$!

wait_for "'menu/View' in s['probes'] and s['derivedRevision'] == s['revision']" 60
wait_for "'parameters' in s['scene']['views']"

# 1. View menu -> Parameters: closes the view (an undoable edit).
click_at $(point menu/View)
wait_for "'menu/View/parameters' in s['probes']"
sleep 0.3
click_at $(point menu/View/parameters)
wait_for "'parameters' not in s['scene']['views']"
# 2. Ctrl+Z brings it back.
xdotool mousemove 700 450 key ctrl+z  # shortcuts are key events: even a fast press is seen
wait_for "'parameters' in s['scene']['views']"
echo "menu + undo via X input: ok"

# 3. Drag the parallel key (key 0, along +x) to orthogonal, if the canvas publishes its probes.
if [[ $(query "'canvas/key/0/tip' in s['probes'] and 'canvas/origin' in s['probes']") == True ]]; then
  read -r tx ty <<<"$(point canvas/key/0/tip)"
  read -r ox oy <<<"$(point canvas/origin)"
  length=$((tx - ox))
  ((length > 20)) || fail "canvas key tip too close to the origin ($length px)"
  xdotool mousemove "$tx" "$ty"
  sleep 0.4
  xdotool mousedown 1
  sleep 0.4
  for step in 1 2 3 4 5 6 7 8 9 10; do  # an arc, as a hand would drag
    angle=$("$python" -c "import math; print(math.radians(9 * $step))")
    x=$("$python" -c "import math; print(round($ox + $length * math.cos($angle)))")
    y=$("$python" -c "import math; print(round($oy - $length * math.sin($angle)))")
    xdotool mousemove "$x" "$y"
    sleep 0.1
  done
  sleep 0.4
  xdotool mouseup 1
  wait_for "s['scene']['selectedKey'] == 0 and abs(s['selectedAngleDegrees'] - 90) < 4"
  ea=$(query "s['weights']['ea'][0][0]")
  "$python" -c "import sys; sys.exit(0 if float('$ea') < 0.01 else 1)" || fail "EA weight of an orthogonal key is $ea"
  # One drag is one undo step.
  xdotool key ctrl+z
  wait_for "abs(s['scene']['keys'][0][0] - 1.0) < 1e-6 and abs(s['scene']['keys'][0][1]) < 1e-6"
  echo "drag parallel -> orthogonal via X input: ok"
else
  echo "note: the vector canvas publishes no probe points (canvas/origin, canvas/key/J/tip): drag step not run"
fi

kill -TERM "$app_pid"
wait "$app_pid" || fail "attnscope did not exit cleanly on SIGTERM"
app_pid=""
echo "end-to-end checks passed"
