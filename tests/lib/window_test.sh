# The preamble of every test that drives the real window under its own Xvfb (sourced, bash):
#   source tests/lib/window_test.sh WIDTHxHEIGHT
# brings harness.sh ($work, clean-up, fail), xvfb.sh (click_at) and state_dump.sh (query, wait_for, point,
# click_probe), checks the X tools are there, starts a private Xvfb of that screen size, and points XDG_CONFIG_HOME at
# a private folder: no autosave prompt or preference of another session reaches the test, and the user's own
# configuration (recent models, autosave) stays untouched. Start the app afterwards and set app_pid.
lib_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=/dev/null
source "$lib_dir/harness.sh"
# shellcheck source=/dev/null
source "$lib_dir/xvfb.sh"
# shellcheck source=/dev/null
source "$lib_dir/state_dump.sh"
command -v Xvfb >/dev/null || fail "Xvfb is not installed"
command -v xdotool >/dev/null || fail "xdotool is not installed"
start_private_xvfb "$1" "$work/xvfb.log" || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
export XDG_CONFIG_HOME=$work/config
