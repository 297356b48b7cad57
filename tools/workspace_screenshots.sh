#!/usr/bin/env bash
# Screenshots of every workspace and of presenter mode (demo 2, step 2) at 1280x800 and 1920x1080 into OUT
# (docs/screenshots by default), each window under its own Xvfb, as 256-colour PNGs (ImageMagick, xdotool).
#   tools/workspace_screenshots.sh build/bin/attnscope [OUT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$(realpath "$1")
out=${2:-$here/docs/screenshots}
mkdir -p "$out"
export ATTNSCOPE_DEMO_DIR=$here/assets/demos
source "$here/tests/lib/xvfb.sh"
models=${ATTNSCOPE_MODELS_DIR:-/work/shared/models}

# shoot FILE W H "KEYS" ARGS...: start the app, wait for it to settle, press KEYS, capture the screen.
shoot() {
  local file=$1 w=$2 h=$3 keys=$4
  shift 4
  start_private_xvfb "${w}x${h}" "$out/.xvfb.log" || { echo "no Xvfb" >&2; return 1; }
  xdotool mousemove $((w - 2)) $((h - 2))  # no hover tooltip in the picture
  "$bin" --no-persist --no-restore --no-autosave --window-size "$w" "$h" "$@" >"$out/.app.log" 2>&1 &
  local pid=$!
  sleep 6
  for key in $keys; do
    xdotool key "$key"
    sleep 2
  done
  xdotool mousemove $((w - 2)) $((h - 2))  # again: before the window mapped, the pointer move may not have landed
  sleep 1
  import -window root "$file"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kill "$xvfb_pid"
  wait "$xvfb_pid" 2>/dev/null || true
  convert "$file" -colors 256 "PNG8:$file"
}

for size in 1280x800 1920x1080; do
  w=${size%x*} h=${size#*x}
  shoot "$out/playground_$size.png" "$w" "$h" ""
  shoot "$out/densities_$size.png" "$w" "$h" "ctrl+2"
  shoot "$out/model_$size.png" "$w" "$h" "" --open "$models/stories260K.bin"
  shoot "$out/presenter_$size.png" "$w" "$h" "F11" --demo 2-expressive --step 2
  shoot "$out/train_$size.png" "$w" "$h" "" --train  # the default runs, a few seconds into training
done
rm -f "$out/.xvfb.log" "$out/.app.log"
ls -la "$out"
