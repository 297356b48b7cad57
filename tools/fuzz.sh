#!/bin/sh
# Runs one libFuzzer target for a given time: tools/fuzz.sh TARGET SECONDS [extra libFuzzer flags]
# TARGET: npy npz safetensors llama2c gguf llama2c_tokenizer hf_tokenizer spm_tokenizer_json gguf_tokenizer hf_config capture
# scene_json png_scene (or "list").
# Builds build-fuzz/ with clang, ASan+UBSan and coverage (ATTNSCOPE_FUZZ=ON) the first time. The committed seeds in
# tests/fuzz/corpus/TARGET are read only; inputs the fuzzer finds go to build-fuzz/corpus/TARGET, crashes to
# build-fuzz/artifacts/TARGET/ (add each as tests/fuzz/corpus/TARGET/crash_<what> with its fix). The last lines of
# the log (executions, coverage, findings) are printed and the full log is kept in build-fuzz/logs/.
# Findings: a crash, a sanitizer report, an input slower than 1 s (slow-unit-* artifact) or one that allocates more
# than 1 GiB at once (malloc limit) or 2 GiB in total (RSS limit).
# Environment: FUZZ_BUILD=dir (default build-fuzz), FUZZ_NO_BUILD=1 runs the existing binary without building (a
# long run must not be rebuilt under), JOBS=n build parallelism.
set -eu
cd "${FUZZ_ROOT:-$(dirname "$0")/..}"
targets="npy npz safetensors llama2c gguf llama2c_tokenizer hf_tokenizer spm_tokenizer_json gguf_tokenizer hf_config capture scene_json png_scene"
if [ "${1:-}" = list ]; then echo "$targets"; exit 0; fi
if [ $# -lt 2 ]; then echo "usage: tools/fuzz.sh TARGET SECONDS [libFuzzer flags]   (targets: $targets)" >&2; exit 2; fi
target=$1 seconds=$2
shift 2
case " $targets " in *" $target "*) ;; *) echo "unknown target '$target' (targets: $targets)" >&2; exit 2 ;; esac

build=${FUZZ_BUILD:-build-fuzz}
if [ -z "${FUZZ_NO_BUILD:-}" ] && [ ! -f $build/CMakeCache.txt ]; then
  launcher=$(command -v ccache || true)  # ccache when installed: a second fuzz build dir then costs little
  CC=clang CXX=clang++ cmake -S . -B $build -DATTNSCOPE_FUZZ=ON -DATTNSCOPE_SANITIZE=ON -DATTNSCOPE_BUILD_GUI=OFF \
    -DATTNSCOPE_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo ${launcher:+-DCMAKE_C_COMPILER_LAUNCHER=$launcher} \
    ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher} >/dev/null
fi
[ -n "${FUZZ_NO_BUILD:-}" ] || nice cmake --build $build -j"${JOBS:-2}" --target fuzz_"$target" >/dev/null
mkdir -p $build/corpus/"$target" $build/artifacts/"$target" $build/logs
log=$build/logs/"$target"-$(date -u +%Y%m%dT%H%M%S).log
# One worker: the machine is shared. 2 GiB RSS cap, 1 GiB per allocation, 64 KiB inputs (the seeds are far smaller),
# 10 s per input before libFuzzer calls it a timeout; inputs over 1 s are kept as slow-unit-* artifacts.
# UBSan reports stop the run (-fno-sanitize-recover); print where they happened.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
start_load=$(loadavg)
set +e
nice $build/bin/fuzz_"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
  -timeout=10 -report_slow_units=1 -print_final_stats=1 -artifact_prefix=$build/artifacts/"$target"/ "$@" \
  $build/corpus/"$target" tests/fuzz/corpus/"$target" >"$log" 2>&1
status=$?
set -e
# The load average next to the log: speeds on this shared machine mean little without it.
echo "$start_load -> $(loadavg)" >"$log.load"
summary="^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)|ERROR|SUMMARY"
grep -E "$summary|Slowest unit" "$log" || true
echo "load average (1/5/15 min) at start -> end: $(cat "$log.load")"
echo "log: $log; artifacts: $(ls $build/artifacts/"$target" | wc -l) in $build/artifacts/$target; exit $status"
exit $status
