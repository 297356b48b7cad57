#!/bin/sh
# Runs one libFuzzer target for a given time: tools/fuzz.sh TARGET SECONDS [extra libFuzzer flags]
# TARGET: npy safetensors llama2c llama2c_tokenizer hf_tokenizer hf_config capture (or "list").
# Builds build-fuzz/ with clang, ASan+UBSan and coverage (ATTNSCOPE_FUZZ=ON) the first time. The committed seeds in
# tests/fuzz/corpus/TARGET are read only; inputs the fuzzer finds go to build-fuzz/corpus/TARGET, crashes to
# build-fuzz/artifacts/TARGET/ (add each as tests/fuzz/corpus/TARGET/crash_<what> with its fix). The last lines of
# the log (executions, coverage, findings) are printed and the full log is kept in build-fuzz/logs/.
set -eu
cd "$(dirname "$0")/.."
targets="npy safetensors llama2c llama2c_tokenizer hf_tokenizer hf_config capture"
if [ "${1:-}" = list ]; then echo "$targets"; exit 0; fi
if [ $# -lt 2 ]; then echo "usage: tools/fuzz.sh TARGET SECONDS [libFuzzer flags]   (targets: $targets)" >&2; exit 2; fi
target=$1 seconds=$2
shift 2
case " $targets " in *" $target "*) ;; *) echo "unknown target '$target' (targets: $targets)" >&2; exit 2 ;; esac

build=build-fuzz
if [ ! -f $build/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B $build -DATTNSCOPE_FUZZ=ON -DATTNSCOPE_SANITIZE=ON -DATTNSCOPE_BUILD_GUI=OFF \
    -DATTNSCOPE_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
nice cmake --build $build -j"${JOBS:-2}" --target fuzz_"$target" >/dev/null
mkdir -p $build/corpus/"$target" $build/artifacts/"$target" $build/logs
log=$build/logs/"$target"-$(date -u +%Y%m%dT%H%M%S).log
# One worker: the machine is shared. 2 GiB RSS cap, 64 KiB inputs (the seeds are far smaller), 10 s per input.
set +e
nice $build/bin/fuzz_"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
  -print_final_stats=1 -artifact_prefix=$build/artifacts/"$target"/ "$@" \
  $build/corpus/"$target" tests/fuzz/corpus/"$target" >"$log" 2>&1
status=$?
set -e
grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)|ERROR|SUMMARY" "$log" || true
echo "log: $log; artifacts: $(ls $build/artifacts/"$target" | wc -l) in $build/artifacts/$target; exit $status"
exit $status
