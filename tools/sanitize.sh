#!/bin/sh
# Builds the whole tree with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/ and runs the test suite.
# tools/sanitize.sh [ctest arguments], e.g. tools/sanitize.sh -L core   (JOBS=N for the build, default 2)
# Any sanitizer report aborts the test that hit it (-fno-sanitize-recover), so a green run means no reports.
set -eu
cd "$(dirname "$0")/.."
build=build-asan
gui=${ATTNSCOPE_SANITIZE_GUI:-OFF}
cmake -S . -B $build -DATTNSCOPE_SANITIZE=ON -DATTNSCOPE_BUILD_GUI="$gui" -DATTNSCOPE_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
start=$(date +%s)
nice cmake --build $build -j"${JOBS:-2}"
built=$(date +%s)
# detect_leaks: the core owns everything through RAII, so a leak is a bug. halt_on_error: first report fails.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
set +e
(cd $build && ctest --output-on-failure --timeout 900 "$@")
status=$?
set -e
done=$(date +%s)
echo "sanitize: build $((built - start)) s, tests $((done - built)) s, ctest exit $status"
exit $status
