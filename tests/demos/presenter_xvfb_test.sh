#!/usr/bin/env bash
# Presenter mode end to end, in the real window under its own Xvfb with real X key events (xdotool): --demo opens a
# step, F11 enlarges the fonts and goes full screen, hides every view's widgets (checkboxes, combos, buttons: their
# "control/" probes vanish from the state dump) while the plots grow and the canvas tips stay draggable,
# Right/PageDown/Left/PageUp step through the demo, Space plays the step's animation, and leaving presenter mode
# restores the UI scale, the window size and the widgets. Screenshots of the window
# before and during presenter mode are kept in $ATTNSCOPE_SCREENSHOT_DIR when set.
# usage: presenter_xvfb_test.sh ATTNSCOPE PYTHON3 DEMO_DIR
set -euo pipefail
app=$1
python=$2
export ATTNSCOPE_DEMO_DIR=$3
work=$(mktemp -d)
shots=${ATTNSCOPE_SCREENSHOT_DIR:-$work}
app_pid=""
xvfb_pid=""
cleanup() {
  [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null || true
  [[ -n "$xvfb_pid" ]] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/state.json" ]] && head -c 800 "$work/state.json" >&2; exit 1; }

# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/xvfb.sh"
start_private_xvfb 1600x1000 "$work/xvfb.log" || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
export XDG_CONFIG_HOME=$work/config

"$app" --no-persist --dump-state "$work/state.json" --window-size 1200 800 --ui-scale 1 --demo 1-dot-product \
  --step 4 </dev/null >"$work/app.log" 2>&1 &
app_pid=$!

# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/state_dump.sh"
key() { xdotool key "$1"; sleep 0.5; }

# Step 4 of the dot-product demo: unit keys with the scale forced to 1.
wait_for "s['scene']['kernel'].get('scale') == 1.0 and s['derivedRevision'] == s['revision']" 60
sleep 1
import -window root "$shots/presenter-before.png"
# The demo step shows the canvas, the sweep and the maps, each with its widgets (the sweep is narrow here: its
# switches sit behind an "options" button).
controls="['control/canvas/add-key', 'control/maps/causal', 'control/sweep/options']"
wait_for "all(name in s['probes'] for name in $controls)" 20
# Real clicks: options, then the MLK checkbox in its popup, switch the optional MLK curve on (an undoable edit).
click_at $(point control/sweep/options)
wait_for "'control/sweep/mlk' in s['probes']" 20
sleep 0.3
click_at $(point control/sweep/mlk)
wait_for "s['scene']['display'].get('sweepShowMlk') is True" 20
xdotool key ctrl+z  # undo: the step's scene as it was (the later checks compare its values)
wait_for "s['scene']['display'].get('sweepShowMlk') is False" 20
xdotool mousemove 5 300 click 1  # close the popup
sleep 0.5
plot_area="(s['probes']['view/sweep/weights/max'][0] - s['probes']['view/sweep/weights/min'][0]) * \
  (s['probes']['view/sweep/weights/max'][1] - s['probes']['view/sweep/weights/min'][1])"
area_before=$(query "$plot_area")

key F11
wait_for "s['uiScale'] > 1.5 and s['window']['width'] == 1600" 20
# No view draws a widget any more; the canvas tips are still there to drag; the sweep's weight plot is larger.
wait_for "not any(name.startswith('control/') for name in s['probes']) and 'canvas/key/0/tip' in s['probes']" 20
area_on=$(query "$plot_area")
"$python" -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if b > 1.3 * a else 1)" \
  "$area_before" "$area_on" || fail "presenter mode did not enlarge the sweep plot ($area_before -> $area_on px^2)"
sleep 1.5
import -window root "$shots/presenter-on.png"

# Right and PageDown go forward (step 5 is the last: it stays), Left and PageUp go back.
key Right
wait_for "s['scene']['keyLabels'] == ['moving', 'fixed']"
key Next
wait_for "s['scene']['keyLabels'] == ['moving', 'fixed']"
key Left
wait_for "s['scene']['kernel'].get('scale') == 1.0"
key Prior
wait_for "abs(s['scene']['keys'][0][0] - 0.2) < 1e-6"  # step 3: keys 0.2 long
key Right
key Right
# Space plays step 5's animation: the moving key leaves angle 0.
key space
wait_for "s['selectedAngleDegrees'] > 5" 20
key space
import -window root "$shots/presenter-animation.png"

# Escape leaves presenter mode: UI scale and window size come back.
key Escape
wait_for "abs(s['uiScale'] - 1.0) < 1e-3 and s['window']['width'] == 1200 and s['window']['height'] == 800" 20
wait_for "all(name in s['probes'] for name in $controls)" 20  # the widgets are back
sleep 1
import -window root "$shots/presenter-after.png"

"$python" - "$shots" <<'PY'
import sys
from PIL import Image
import numpy as np
for name in ("presenter-before", "presenter-on", "presenter-animation", "presenter-after"):
    a = np.asarray(Image.open(f"{sys.argv[1]}/{name}.png").convert("RGB")).reshape(-1, 3)
    colours = len(np.unique(a, axis=0))
    assert colours > 50, f"{name}: only {colours} colours"
PY
echo "presenter mode checks passed"
