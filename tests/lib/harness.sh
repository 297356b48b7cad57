# Work folder, clean-up and failure report shared by the end-to-end tests that drive the real window (sourced, bash).
# After sourcing: $work is a fresh folder, removed on exit. Set app_pid and xvfb_pid as those processes start; on exit
# the app is killed with SIGKILL (it must not autosave on the way out) and Xvfb is stopped. A test with more to stop
# defines extra_cleanup, run first. fail MESSAGE prints the message and the end of $work/app.log, then what the test's
# fail_details prints if it defines one, and exits 1.
work=$(mktemp -d)
xvfb_pid=""
app_pid=""
harness_cleanup() {
  if declare -F extra_cleanup >/dev/null; then extra_cleanup || true; fi
  [[ -n "$app_pid" ]] && kill -9 "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
  [[ -n "$xvfb_pid" ]] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap harness_cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/app.log" ]] && tail -20 "$work/app.log" >&2
  if declare -F fail_details >/dev/null; then fail_details >&2; fi
  exit 1
}
