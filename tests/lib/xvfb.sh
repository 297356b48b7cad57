# A private Xvfb for the end-to-end tests and tools/monkey.sh (sourced, bash).
# start_private_xvfb FIRST LAST WIDTHxHEIGHT LOGFILE
#   Starts Xvfb on the first display number in FIRST..LAST that it can take and waits for its socket. Another test may
#   take a free-looking number between our check and Xvfb's start; then our server exits and we move on to the next
#   number, so parallel CTest runs never share or race for a display. Sets xvfb_pid and display, exports DISPLAY;
#   returns 1 if no number in the range worked (the log holds the last server's words).
start_private_xvfb() {
  local first=$1 last=$2 screen=$3 log=$4 n
  for n in $(seq "$first" "$last"); do
    [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
    Xvfb ":$n" -screen 0 "${screen}x24" -nolisten tcp >"$log" 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 100); do
      kill -0 "$xvfb_pid" 2>/dev/null || break
      if [[ -S /tmp/.X11-unix/X$n ]]; then
        display=$n
        export DISPLAY=:$n
        return 0
      fi
      sleep 0.1
    done
    kill "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
    xvfb_pid=""
  done
  return 1
}

# A real X click at screen position ($1, $2). ImGui 1.86 samples the mouse once per frame: hover first, then press,
# then release, each held for a few frames (the machine may be loaded, so frames can be slow).
click_at() {
  xdotool mousemove "$1" "$2"
  sleep 0.4
  xdotool mousedown 1
  sleep 0.3
  xdotool mouseup 1
}
