#!/usr/bin/env bash
# No lost work, end to end: the real attnscope window under its own Xvfb. Edit the scene with real X input (View menu
# -> close Parameters), wait for the autosave, kill -9, restart, accept the restore dialog with Return and check the
# scene came back (state dump); Ctrl+Z undoes the restore. Then: a clean exit (SIGTERM) offers nothing; Escape
# discards an offer; --restore restores without asking; $CI never offers.
# usage: kill9_restore_test.sh ATTNSCOPE PYTHON3
set -euo pipefail
app=$1
python=$2
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../lib/window_test.sh" 1400x900
fail_details() { [[ -f "$work/state.json" ]] && head -c 1200 "$work/state.json" || true; }
unset CI ATTNSCOPE_NO_RESTORE ATTNSCOPE_NO_AUTOSAVE
config=$XDG_CONFIG_HOME/attnscope

start_app() {  # start_app [extra options...]
  rm -f "$work/state.json"
  "$app" --no-persist --dump-state "$work/state.json" --window-size 1400 900 --ui-scale 1 --autosave-seconds 1 "$@" \
    </dev/null >>"$work/app.log" 2>&1 &
  app_pid=$!
}
# The autosave file (independent of the app's dump): is Parameters still open in it?
autosave_has_parameters() {
  "$python" -c "import json,sys; print('parameters' in json.load(open(sys.argv[1]))['views'])" "$config/autosave.json"
}
wait_for_autosave_without_parameters() {
  local deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)); do
    [[ -f "$config/autosave.json" && $(autosave_has_parameters 2>/dev/null) == False ]] && return 0
    sleep 0.2
  done
  fail "no autosave without the Parameters view within 20 s"
}
ready() { wait_for "'menu/View' in s['probes'] and s['derivedRevision'] == s['revision']" 60; }
edit_close_parameters() {
  wait_for "'parameters' in s['scene']['views']"
  click_at $(point menu/View)
  wait_for "'menu/View/parameters' in s['probes']"
  sleep 0.3
  click_at $(point menu/View/parameters)
  wait_for "'parameters' not in s['scene']['views']"
  xdotool mousemove 700 600  # away from the menu
}
kill9() {
  kill -9 "$app_pid"
  wait "$app_pid" 2>/dev/null || true
  app_pid=""
}
clean_exit() {
  kill -TERM "$app_pid"
  wait "$app_pid" || fail "attnscope did not exit cleanly on SIGTERM"
  app_pid=""
}
no_offer_for() {  # the app runs for $1 seconds (frames keep coming) without a restore dialog
  local until=$((SECONDS + $1))
  while ((SECONDS < until)); do
    [[ $(query "'autosave/restore' in s['probes']") == False ]] || fail "unexpected restore offer"
    sleep 0.5
  done
}

# 1. Edit, autosave, kill -9: the marker stays behind.
start_app
ready
[[ -f $config/session.lock ]] || fail "no session marker while the app runs"
edit_close_parameters
wait_for_autosave_without_parameters
kill9
[[ -f $config/session.lock ]] || fail "the marker vanished with kill -9"
echo "edit + autosave + kill -9: ok"

# 2. Restart: the dialog is offered, the scene is still the default until Return restores it.
start_app
wait_for "'autosave/restore' in s['probes']" 60
[[ $(query "'parameters' in s['scene']['views']") == True ]] || fail "scene changed before the user chose"
xdotool mousemove 700 600 key Return
wait_for "'parameters' not in s['scene']['views'] and 'autosave/restore' not in s['probes']"
echo "restore offered after kill -9, accepted with Return, scene back: ok"
xdotool key ctrl+z
wait_for "'parameters' in s['scene']['views']"
xdotool key ctrl+shift+z
wait_for "'parameters' not in s['scene']['views']"
echo "restore is one undoable step: ok"

# 3. Clean exit: marker removed, the final state autosaved, nothing offered next time.
clean_exit
[[ ! -e $config/session.lock ]] || fail "a clean exit left the session marker"
[[ $(autosave_has_parameters) == False ]] || fail "the final autosave on exit is missing the restored scene"
start_app
ready
no_offer_for 3
[[ $(query "'parameters' in s['scene']['views']") == True ]] || fail "a clean exit's autosave was loaded silently"
echo "clean exit: no restore offer: ok"

# 4. Escape discards the offer, and a later crash before any new edit offers nothing.
edit_close_parameters
wait_for_autosave_without_parameters
kill9
start_app
wait_for "'autosave/restore' in s['probes']" 60
xdotool mousemove 700 600 key Escape
wait_for "'autosave/restore' not in s['probes']"
sleep 1
[[ $(query "'parameters' in s['scene']['views']") == True ]] || fail "Escape restored the scene"
kill9
start_app
ready
no_offer_for 3
echo "Escape discards; a discarded offer is not repeated: ok"

# 5. --restore restores without a dialog (and autosaves the restored scene at once); after that crash, $CI never
# offers.
edit_close_parameters
wait_for_autosave_without_parameters
kill9
start_app --restore
wait_for "'parameters' not in s['scene']['views']" 60
[[ $(query "'autosave/restore' in s['probes']") == False ]] || fail "--restore still showed the dialog"
sleep 1.5
kill9
CI=1 start_app
ready
no_offer_for 2
[[ $(query "'parameters' in s['scene']['views']") == True ]] || fail "\$CI restored the scene"
clean_exit
echo "--restore and \$CI: ok"
echo "autosave end-to-end checks passed"
