#!/bin/sh
# Builds the whole tree (GUI and tests) with clang, AddressSanitizer + UndefinedBehaviorSanitizer
# in build-asan/ and runs the whole test suite there.
# usage: tools/sanitize.sh [ctest arguments], e.g. tools/sanitize.sh -L core
# Environment: JOBS (build jobs, default 2), BUILD_DIR (default build-asan), ATTNSCOPE_SANITIZE_GUI=OFF to leave the
# GUI out. Uses ccache when it is installed. Any sanitizer report fails the test that hit it (-fno-sanitize-recover,
# halt_on_error), so a green run means no reports; leak checking is on, with the third-party suppressions of
# tests/sanitizers/lsan.supp. The run-time options come from the build tree
# (tests/sanitizers/ctest_environment.cmake.in), so a plain `ctest --test-dir build-asan` behaves the same.
# CI runs a subset of this: tools/ci_sanitize.sh.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-asan}
gui=${ATTNSCOPE_SANITIZE_GUI:-ON}
launcher=""
command -v ccache >/dev/null && launcher="-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
# shellcheck disable=SC2086
CC=clang CXX=clang++ cmake -S . -B "$build" -DATTNSCOPE_SANITIZE=ON -DATTNSCOPE_BUILD_GUI="$gui" \
  -DATTNSCOPE_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo $launcher >/dev/null
start=$(date +%s)
nice cmake --build "$build" -j"${JOBS:-2}"
built=$(date +%s)
set +e
ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
status=$?
set -e
done=$(date +%s)
echo "sanitize: build $((built - start)) s, tests $((done - built)) s, ctest exit $status;" \
  "load: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
