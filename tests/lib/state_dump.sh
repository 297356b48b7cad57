# Reading the app's state dump (--dump-state FILE) from the end-to-end tests (sourced, bash). Expects $python (Debian's
# interpreter), $work (the dump is $work/state.json, the app's output $work/app.log), $app_pid and a fail function.

# query PYTHON_EXPRESSION: prints the expression evaluated on the dump, bound to s.
query() { "$python" -c "import json,sys; s=json.load(open('$work/state.json')); print(eval(sys.argv[1]))" "$1"; }

# wait_for PYTHON_EXPRESSION [SECONDS]: waits until the expression is True on the dump; fails if the app exits or
# the time (default 30 s) runs out.
wait_for() {
  local deadline=$((SECONDS + ${2:-30}))
  while ((SECONDS < deadline)); do
    if [[ -f "$work/state.json" ]] && [[ $(query "$1" 2>/dev/null) == True ]]; then return 0; fi
    kill -0 "$app_pid" 2>/dev/null || fail "attnscope exited: $(tail -20 "$work/app.log")"
    sleep 0.2
  done
  fail "timed out waiting for: $1"
}

# point PROBE: the probe's position on the X screen (the dump's probes are window coordinates), as "X Y".
point() { query "'%d %d' % (s['window']['x'] + s['probes']['$1'][0], s['window']['y'] + s['probes']['$1'][1])"; }

# click_probe PROBE [SECONDS]: waits until the UI publishes the probe, then clicks it with real X input (xvfb.sh's
# click_at) and lets a few frames pass.
click_probe() {
  wait_for "'$1' in s['probes']" "${2:-30}"
  local x y
  read -r x y < <(point "$1")
  click_at "$x" "$y"
  sleep 0.5
}
