#!/usr/bin/env bash
# Random-input GUI run: starts the real attnscope window under its own Xvfb and sends seeded random clicks, drags,
# scrolls, keys (shortcuts included), window resizes (down to 1x1), minimise/restore and close/restart with xdotool
# for DURATION seconds. Fails if the app crashes, hangs (a SIGUSR1 heartbeat not answered by a state dump in time)
# or a sanitizer reports anything.
#
# usage: tools/monkey.sh DURATION_SECONDS [BINARY]     (BINARY default: build-asan/bin/attnscope, else build/bin/...)
# environment: MONKEY_SEED (default: time-based; printed, rerun with it to replay the same event sequence; the app's
#              timing still differs between runs, so a replay reproduces the input, not always the outcome),
#              MONKEY_HANG_SECONDS (default 30 on an idle machine, scaled up with the load average per core, at most
#              4x; a heartbeat is normally answered within a second), MONKEY_KEEP=1 keeps the work folder (action
#              log, app log) on success.
# Works with no display and with CI set (it starts its own Xvfb and hides CI from the app).
# The app runs with a private $HOME / $XDG_CONFIG_HOME and a private working directory, so files it saves or exports
# (random Ctrl+S / Ctrl+E + Return) stay in that folder. Ctrl+Q is never sent; a File > Quit click ends the app
# cleanly (exit 0) and it is restarted.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${1:?usage: tools/monkey.sh DURATION_SECONDS [BINARY]}
app=${2:-}
if [[ -z $app ]]; then
  for candidate in "$root/build-asan/bin/attnscope" "$root/build/bin/attnscope"; do
    [[ -x $candidate ]] && { app=$candidate; break; }
  done
fi
if [[ -z $app || ! -x $app ]]; then
  echo "monkey: no attnscope binary (give one, or build build-asan/ or build/)" >&2
  exit 2
fi
app=$(cd "$(dirname "$app")" && pwd)/$(basename "$app")
for tool in Xvfb xdotool; do
  command -v $tool >/dev/null || { echo "monkey: $tool is missing (Debian packages xvfb, xdotool)" >&2; exit 2; }
done
python=${PYTHON:-/usr/bin/python3}
seed=${MONKEY_SEED:-$(( $(date +%s%N) % 1000000007 ))}
hang_base=${MONKEY_HANG_SECONDS:-30}
cores=$(nproc 2>/dev/null || echo 1)
# A time limit in seconds for something that takes BASE seconds on an idle machine: the sanitizer build on a shared
# CI runner can be several times slower, and a false "hang" costs more than a late one. Fixed when the user set it.
scaled() {
  if [[ -n ${MONKEY_HANG_SECONDS:-} ]]; then echo "$1"; return; fi
  awk -v base="$1" -v cores="$cores" \
    '{ f = $1 / cores; if (f < 1) f = 1; if (f > 4) f = 4; printf "%d\n", base * f + 0.5 }' /proc/loadavg \
    2>/dev/null || echo "$1"
}
work=$(mktemp -d /tmp/attnscope-monkey.XXXXXX)
actions=$work/actions.log
applog=$work/app.log
state=$work/state.json
xvfb_pid=""
app_pid=""
failed=0
starts=0 count=0 heartbeats=0 run_start=$SECONDS

cleanup() {
  [[ -n $app_pid ]] && kill -9 "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  [[ -n $xvfb_pid ]] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  if ((failed == 0)) && [[ ${MONKEY_KEEP:-0} != 1 ]]; then rm -rf "$work"; else echo "monkey: logs kept in $work"; fi
}
trap cleanup EXIT

sanitizer_report() {
  grep -E -m1 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehavior' "$applog"
}
fail() {
  failed=1
  echo "monkey: FAIL: $*" >&2
  echo "monkey: seed $seed, after $((SECONDS - run_start)) s, $count actions, $starts app start(s)," \
    "$heartbeats heartbeats, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >&2
  echo "monkey: replay: MONKEY_SEED=$seed tools/monkey.sh $duration $app" >&2
  echo "--- last actions ($actions):" >&2
  tail -25 "$actions" >&2
  echo "--- app log ($applog):" >&2
  tail -60 "$applog" >&2
  exit 1
}

# Our own X server on a free display.
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/xvfb.sh"
start_private_xvfb 1700x1100 "$work/xvfb.log" || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME" "$work/cwd"
unset CI
# Sanitizers: the first report aborts (non-zero exit). Leaks are checked too: the app runs the leak check itself just
# before glfwTerminate unloads the GL driver (app/gui/window.cpp), so the driver's caches are not reported as leaks
# of an unknown module; a File > Quit restart and the final SIGTERM both end that way. Options already set in the
# environment (e.g. by a sanitizer CTest tree) win.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
[[ -f $root/tests/sanitizers/lsan.supp ]] &&
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0}

start_app() {
  rm -f "$state"
  starts=$((starts + 1))
  echo "=== start $starts" >>"$applog"
  (cd "$work/cwd" && exec "$app" --no-persist --no-restore --dump-state "$state" --window-size 1400 900 --ui-scale 1 \
    --autosave-seconds 5 </dev/null >>"$applog" 2>&1) &
  app_pid=$!
  local limit
  limit=$(scaled 90)
  local deadline=$((SECONDS + limit))
  until [[ -f $state ]]; do
    kill -0 "$app_pid" 2>/dev/null || { check_exit; return; }
    ((SECONDS < deadline)) || fail "no first frame within $limit s of start"
    sleep 0.2
  done
  window_id=""
  for _ in $(seq 200); do
    window_id=$(xdotool search --name '^attnscope$' 2>/dev/null | head -1)
    [[ -n $window_id ]] && break
    sleep 0.1
  done
  [[ -n $window_id ]] || fail "no attnscope window on the display"
  read_geometry
}

# The app ended: a clean exit (File > Quit) restarts it, anything else is a failure.
check_exit() {
  local status=0
  wait "$app_pid"
  status=$?
  app_pid=""
  report=$(sanitizer_report)
  [[ -z $report ]] || fail "sanitizer report: $report"
  ((status == 0)) || fail "attnscope died with status $status$( ((status > 128)) && echo " (signal $((status - 128)))")"
  echo "$(date +%T) app exited cleanly (status 0: File > Quit or a close): restarting" >>"$actions"
  start_app
}

wx=0 wy=0 ww=1400 wh=900
read_geometry() {
  local g
  g=$("$python" -c "import json,sys; w=json.load(open(sys.argv[1]))['window']
print(w['x'], w['y'], w['width'], w['height'])" "$state" 2>/dev/null) && read -r wx wy ww wh <<<"$g"
}

# On a hang, what the main thread was doing (busy computing or blocked, and where) and every thread's stack (gdb, if
# installed) before the app is killed: the hang is rarely reproducible.
main_thread_cpu() { awk '{ print $14 + $15 }' "/proc/$app_pid/task/$app_pid/stat" 2>/dev/null || echo 0; }  # ticks
backtrace() {
  local ticks=$(($(main_thread_cpu) - ${1:-0})) hz
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  echo "monkey: during the wait the main thread used $((ticks * 1000 / hz)) ms of CPU; its state now" \
    "$(awk '{ print $3 }' "/proc/$app_pid/task/$app_pid/stat" 2>/dev/null)," \
    "kernel wait channel $(cat "/proc/$app_pid/task/$app_pid/wchan" 2>/dev/null)" >&2
  command -v gdb >/dev/null || return 0
  timeout 60 gdb -p "$app_pid" -batch -ex "thread apply all bt" >"$work/hang-backtrace.txt" 2>&1
  echo "monkey: main thread's stack (all threads: $work/hang-backtrace.txt):" >&2
  awk '/^Thread 1 /,0' "$work/hang-backtrace.txt" | grep -E '^#' | head -30 >&2
}

# Heartbeat: SIGUSR1 makes the app rewrite the state dump at the end of its next frame (a request arriving during a
# frame's own dump is kept for the next frame: app/gui/state_dump.h). The dump is removed first, so its reappearance
# proves a frame ran. The signal does not wake the app's idle wait; its 0.5 s timeout does.
max_latency=0
heartbeat() {
  rm -f "$state"
  local start cpu_before limit
  start=$(date +%s%N)
  cpu_before=$(main_thread_cpu)
  limit=$(scaled "$hang_base")
  kill -USR1 "$app_pid" 2>/dev/null || { check_exit; return; }
  while [[ ! -f $state ]]; do
    kill -0 "$app_pid" 2>/dev/null || { check_exit; return; }
    if (( ($(date +%s%N) - start) / 1000000000 >= limit )); then
      backtrace "$cpu_before"
      fail "hang: heartbeat $((heartbeats + 1)) not answered by a frame within $limit s" \
        "(stacks: $work/hang-backtrace.txt)"
    fi
    sleep 0.05
  done
  local latency=$(( ($(date +%s%N) - start) / 1000000 ))
  ((latency > max_latency)) && max_latency=$latency
  heartbeats=$((heartbeats + 1))
}

# Every random number comes from bash's RANDOM seeded once, and never inside $(...): a subshell would not advance
# the parent's sequence, so the replay would differ.
RANDOM=$seed
point() {  # sets PX PY: a random point inside the window's client area
  PX=$((wx + 2 + RANDOM % (ww > 4 ? ww - 4 : 1)))
  PY=$((wy + 2 + RANDOM % (wh > 4 ? wh - 4 : 1)))
}
keys=(ctrl+z ctrl+shift+z ctrl+y F11 Delete Left Right Up Down Tab shift+Tab Escape Return KP_Enter F1 ctrl+e ctrl+o
  ctrl+s ctrl+shift+s ctrl+shift+r space BackSpace Home End Prior Next ctrl+a ctrl+c ctrl+v ctrl+x minus period 0 1
  9 a x shift+Up shift+Left ctrl+Left alt+f alt+v F10 F2 F5 Insert)
typed=(a b q 7 0 1 - . x z)
declare -A kinds

act() {  # one random action, logged before it is sent
  local r=$((RANDOM % 100)) line
  if ((r < 30)); then
    point
    local button=$((r < 25 ? 1 : 3)) clicks=$((r % 7 == 0 ? 2 : 1))
    line="click $PX $PY button $button x$clicks"; kinds[click]=$((${kinds[click]:-0} + 1))
    echo "$(date +%T.%N | cut -c1-12) #$count $line" >>"$actions"
    xdotool mousemove $PX $PY sleep 0.05 click --repeat $clicks --delay 80 $button
  elif ((r < 50)); then
    point
    local x0=$PX y0=$PY
    point
    local x1=$PX y1=$PY steps=$((2 + RANDOM % 6)) shift=""
    ((r % 3 == 0)) && shift=" +shift"
    line="drag $x0 $y0 -> $x1 $y1 in $steps steps$shift"; kinds[drag]=$((${kinds[drag]:-0} + 1))
    echo "$(date +%T.%N | cut -c1-12) #$count $line" >>"$actions"
    [[ -n $shift ]] && xdotool keydown shift
    xdotool mousemove "$x0" "$y0" sleep 0.06 mousedown 1 sleep 0.06
    for ((s = 1; s <= steps; ++s)); do
      xdotool mousemove $((x0 + (x1 - x0) * s / steps)) $((y0 + (y1 - y0) * s / steps)) sleep 0.03
    done
    xdotool mouseup 1
    [[ -n $shift ]] && xdotool keyup shift
  elif ((r < 57)); then
    point
    local wheel=$((r % 2 == 0 ? 4 : 5)) n=$((1 + RANDOM % 5))
    line="scroll $PX $PY button $wheel x$n"; kinds[scroll]=$((${kinds[scroll]:-0} + 1))
    echo "$(date +%T.%N | cut -c1-12) #$count $line" >>"$actions"
    xdotool mousemove $PX $PY click --repeat $n --delay 30 $wheel
  elif ((r < 85)); then
    local key=${keys[$((RANDOM % ${#keys[@]}))]}
    line="key $key"; kinds[key]=$((${kinds[key]:-0} + 1))
    echo "$(date +%T.%N | cut -c1-12) #$count $line" >>"$actions"
    xdotool key --delay 40 "$key"
  elif ((r < 93)); then
    local text="" n=$((1 + RANDOM % 4))
    for ((s = 0; s < n; ++s)); do text+=${typed[$((RANDOM % ${#typed[@]}))]}; done
    line="type '$text'"; kinds[type]=$((${kinds[type]:-0} + 1))
    echo "$(date +%T.%N | cut -c1-12) #$count $line" >>"$actions"
    xdotool type --delay 40 -- "$text"
  elif ((r == 97)); then
    # Close and start again: SIGTERM closes like the window's close button, so every exit path (final autosave,
    # preferences, the sanitizer build's leak check) runs from whatever state the random input left.
    line="close (SIGTERM) and restart"; kinds[close]=$((${kinds[close]:-0} + 1))
    echo "$(date +%T.%N | cut -c1-12) #$count $line" >>"$actions"
    kill -TERM "$app_pid" 2>/dev/null
    check_exit
  elif ((r == 98)); then
    # Minimise and restore: a window manager unmaps a minimised window (there is none on this display, so do it).
    printf -v pause '0.%d' $((2 + RANDOM % 8))
    line="minimise for $pause s, restore"; kinds[minimise]=$((${kinds[minimise]:-0} + 1))
    echo "$(date +%T.%N | cut -c1-12) #$count $line" >>"$actions"
    xdotool windowunmap "$window_id" 2>/dev/null
    sleep "$pause"
    xdotool windowmap "$window_id" 2>/dev/null
    sleep 0.2
  else
    local width=$((320 + RANDOM % 1330)) height=$((240 + RANDOM % 840))
    # Below the start size's minimum (the seed-7 stall was at 148x112), down to a single pixel.
    ((r == 99)) && width=$((1 + RANDOM % 300)) && height=$((1 + RANDOM % 210))
    line="resize $width x $height"; kinds[resize]=$((${kinds[resize]:-0} + 1))
    echo "$(date +%T.%N | cut -c1-12) #$count $line" >>"$actions"
    xdotool windowsize "$window_id" "$width" "$height" 2>/dev/null
    sleep 0.2
    read_geometry
  fi
  count=$((count + 1))
}

echo "monkey: seed $seed, $duration s, binary $app, display :$display, work $work," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "seed $seed" >"$actions"
start_app
end=$((SECONDS + duration))
last_beat=$SECONDS
while ((SECONDS < end)); do
  act
  printf -v pause '0.%02d' $((5 + RANDOM % 25))
  sleep "$pause"
  kill -0 "$app_pid" 2>/dev/null || check_exit
  if ((SECONDS - last_beat >= 3)); then
    heartbeat
    read_geometry
    last_beat=$SECONDS
  fi
done
heartbeat
# A clean shutdown must also be clean: SIGTERM closes like the window's close button.
kill -TERM "$app_pid"
wait "$app_pid"
status=$?
app_pid=""
report=$(sanitizer_report)
[[ -z $report ]] || fail "sanitizer report: $report"
((status == 0)) || fail "attnscope exited with status $status after SIGTERM"
summary=""
for kind in click drag scroll key type resize minimise close; do summary+="${summary:+, }$kind ${kinds[$kind]:-0}"; done
echo "monkey: passed: $count actions in $((SECONDS - run_start)) s ($summary), $starts app start(s)," \
  "$heartbeats heartbeats (slowest $max_latency ms), seed $seed," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
