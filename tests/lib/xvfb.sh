# A private Xvfb for the end-to-end tests and tools/monkey.sh (sourced, bash).
# start_private_xvfb WIDTHxHEIGHT LOGFILE
#   Starts Xvfb on a display number the X server picks itself (-displayfd: it takes the first number whose lock file
#   it can create exclusively, so parallel CTest runs never share or race for a display, whatever else runs on the
#   machine) and waits until it accepts connections, up to 60 s (a loaded machine starts it slowly). Sets xvfb_pid and
#   display, exports DISPLAY; returns 1 if the server did not come up (the log holds its words).
start_private_xvfb() {
  local screen=$1 log=$2 number_file line=""
  number_file=$(mktemp)
  Xvfb -displayfd 3 -screen 0 "${screen}x24" -nolisten tcp 3>"$number_file" >"$log" 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 600); do
    # Xvfb writes the number and a newline once the display is ready.
    if [[ $(wc -l <"$number_file") -ge 1 ]]; then
      line=$(head -1 "$number_file")
      break
    fi
    kill -0 "$xvfb_pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$number_file"
  if [[ ! $line =~ ^[0-9]+$ ]]; then
    kill "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
    xvfb_pid=""
    return 1
  fi
  display=$line
  export DISPLAY=:$line
  return 0
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
