#!/usr/bin/env bash
# One command each for the README quick start:
#   tools/quickstart.sh app    install missing Debian packages, build, launch the app on its default scene
#   tools/quickstart.sh test   install missing Debian packages, build, run every test (what .ci/run calls)
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
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j "$jobs"

case "$mode" in
  app)
    exec "$build_dir/bin/attnscope" "${@:2}"
    ;;
  test)
    ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 900
    ;;
  *)
    echo "usage: tools/quickstart.sh app|test" >&2
    exit 2
    ;;
esac
