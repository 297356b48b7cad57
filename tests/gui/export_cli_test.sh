#!/usr/bin/env bash
# `attnscope export` with no X server: sizes, scene metadata (read back by an independent pure-Python PNG reader),
# re-rendering from the PNG gives the same pixels, failures (missing folder, unknown view) leave nothing behind, and a
# kill mid-export never leaves a truncated PNG or destroys the existing one.
# usage: export_cli_test.sh ATTNSCOPE PYTHON3
set -euo pipefail
app=$1
python=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset DISPLAY WAYLAND_DISPLAY
fail() { echo "FAIL: $*" >&2; exit 1; }

"$app" export --list | grep -q "views:" || fail "--list prints no view list"

# Whole window at 2x: twice the pixels, scene embedded.
"$app" export --out "$work/a.png" --width 800 --height 500 --scale 2 --timing
[[ $("$python" "$here/png_text.py" --size "$work/a.png") == "1600 1000" ]] || fail "2x export has the wrong size"
"$python" "$here/png_text.py" "$work/a.png" attnscope-scene >"$work/a.json"
grep -q '"format": "attnscope-scene"' "$work/a.json" || fail "scene metadata missing"

# The PNG's own metadata reproduces the image exactly (deterministic software renderer).
"$app" export --scene "$work/a.png" --out "$work/b.png" --width 800 --height 500 --scale 2
"$python" - "$here/png_text.py" "$work/a.png" "$work/b.png" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("png_text", sys.argv[1]); m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
a, b = m.image(sys.argv[2])[3], m.image(sys.argv[3])[3]
assert a == b, "re-render from PNG metadata differs"
PY

# Every view alone, filling the frame.
for view in $("$app" export --list | awk '/^views:/ {v = 1; next} /^[a-z]+:/ {v = 0} v {print $1}'); do
  "$app" export --view "$view" --out "$work/view-$view.png" --width 400 --height 300
  [[ $("$python" "$here/png_text.py" --size "$work/view-$view.png") == "400 300" ]] || fail "view $view size"
done

# Failures: clear message, exit code 1, nothing written.
if "$app" export --out "$work/missing/x.png" 2>"$work/err.txt"; then fail "export into a missing folder succeeded"; fi
grep -qF "attnscope: error: $work/missing/x.png: cannot create a temporary file in '$work/missing' (No such file or directory)" \
  "$work/err.txt" || fail "unclear error: $(cat "$work/err.txt")"
[[ ! -e "$work/missing" ]] || fail "missing folder was created"
if "$app" export --view no-such-view --out "$work/c.png" 2>"$work/err.txt"; then fail "unknown view accepted"; fi
grep -q 'no view named "no-such-view"' "$work/err.txt" || fail "unclear error: $(cat "$work/err.txt")"
[[ ! -e "$work/c.png" ]] || fail "output written despite the error"

# Kill mid-write: the previous file survives intact and no temporary file is left behind.
cp "$work/a.png" "$work/keep.png"
for delay in 0.05 0.2 0.4 0.6; do
  "$app" export --out "$work/keep.png" --width 1600 --height 1000 --scale 2 & pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ $("$python" "$here/png_text.py" --size "$work/keep.png") =~ ^(1600\ 1000|3200\ 2000)$ ]] || fail "truncated PNG"
  "$python" "$here/png_text.py" "$work/keep.png" attnscope-scene >/dev/null || fail "PNG damaged after kill"
  rm -f "$work"/.keep.png.*  # a killed writer may leave its temporary file (never the target)
done
echo "export CLI checks passed"
