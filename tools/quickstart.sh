#!/usr/bin/env bash
# One command each for the README quick start:
#   tools/quickstart.sh app    install missing Debian packages, build, launch the app on its default scene
#   tools/quickstart.sh test   install missing Debian packages, build, run every test (what .ci/run calls), then the
#                              sanitizer stage: tools/ci_sanitize.sh (clang ASan + UBSan build in build-ci-asan/, the
#                              suite minus its xdotool tests, a 60 s random-input GUI run, a libFuzzer smoke of every
#                              loader). ATTNSCOPE_SANITIZE_STAGE=0 skips that stage.
# Needs root or sudo only when a package is missing. Build directory: build/ (override with BUILD_DIR).
set -euo pipefail
mode=${1:-app}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$here/build}

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done <"$here/tools/packages.txt"
if ((${#missing[@]})); then
  echo "quickstart: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
start=$SECONDS
launcher=()  # ccache, when installed, makes repeated runs fast; a fresh machine just builds
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
cmake --build "$build_dir" -j "$jobs"

case "$mode" in
  app)
    exec "$build_dir/bin/attnscope" "${@:2}"
    ;;
  test)
    status=0
    ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 900 || status=1
    echo "quickstart: build + suite $((SECONDS - start)) s (load $(cut -d' ' -f1-3 /proc/loadavg))"
    if [[ ${ATTNSCOPE_SANITIZE_STAGE:-1} != 0 ]]; then
      bash "$here/tools/ci_sanitize.sh" || status=1
    fi
    exit $status
    ;;
  *)
    echo "usage: tools/quickstart.sh app|test" >&2
    exit 2
    ;;
esac
