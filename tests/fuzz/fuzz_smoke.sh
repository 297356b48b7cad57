#!/usr/bin/env bash
# CI fuzz smoke of one loader (tests/cmake/fuzz.cmake): a fixed number of libFuzzer executions from a fixed seed,
# starting from the committed corpus, run so that two runs execute exactly the same inputs.
# It mutates (new inputs are generated from the seed), so a regression near the corpus is likely caught; the
# open-ended, time-boxed campaign is tools/fuzz.sh, outside CI, and each of its findings joins the corpus.
#
# What made the mutating runs differ from run to run, and what this script does about each (measured: two runs of each
# of the 13 targets, 10,000 executions each, compared by final coverage, features and corpus):
# - libFuzzer's CMP mutations insert the operands of recent comparisons, pointer compares included, so ASLR put
#   different heap addresses into the inputs: -use_cmp=0.
# - Coverage hit counts in vectorised code depend on the alignment of the data (loop prologues), hence on where ASLR
#   puts the stack: address randomisation is switched off for the fuzzer (setarch -R), and the stack's initial
#   contents are fixed too: a fixed environment (env -i with the sanitizer options only) and a fixed, relative
#   command line (the binary, scratch and corpus named relative to the build tree, whatever the clone's path).
# - Worker threads race on the coverage counters: OMP_NUM_THREADS=1.
# - A leftover scratch folder changes what the loaders see: the scratch folder is emptied first, and the targets'
#   private temporary folder too (tests/fuzz/fuzz_targets.cpp).
# Where the kernel refuses to switch off address randomisation (a container's seccomp profile may), a mutating run
# would not be reproducible, so the smoke replays the corpus only (-runs=0) and says so: the verdict is still the same
# on every run there.
# usage: fuzz_smoke.sh BUILD_DIR FUZZER SCRATCH_DIR CORPUS_DIR SEED RUNS   (paths absolute or relative to the caller)
set -euo pipefail
build=$1 fuzzer=$2 scratch=$3 corpus=$4 seed=$5 runs=$6
relative() { realpath --relative-to="$build" "$1"; }
fuzzer=$(relative "$fuzzer") corpus=$(relative "$corpus")
scratch=$(realpath -m --relative-to="$build" "$scratch")
cd "$build"
rm -rf "$scratch"
mkdir -p "$scratch"
[[ $fuzzer == */* ]] || fuzzer=./$fuzzer

no_aslr=(setarch "$(uname -m)" -R)
if ! "${no_aslr[@]}" true 2>/dev/null; then
  echo "fuzz smoke: this kernel refuses to switch off address randomisation (setarch -R), so mutating runs would" \
    "not be reproducible: replaying the corpus only"
  no_aslr=()
  runs=0
fi
args=(-seed="$seed" -runs="$runs" -use_cmp=0 -reload=0 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536
  -print_final_stats=1 "$scratch" "$corpus")
environment=(OMP_NUM_THREADS=1 "ASAN_OPTIONS=${ASAN_OPTIONS:-}" "LSAN_OPTIONS=${LSAN_OPTIONS:-}"
  "UBSAN_OPTIONS=${UBSAN_OPTIONS:-}")
echo "fuzz smoke $(basename "$fuzzer"): seed $seed, $runs executions, corpus $corpus ($(ls "$corpus" | wc -l) files)"
echo "replay: cd $PWD && rm -rf $scratch && mkdir $scratch && env -i ${environment[*]} ${no_aslr[*]} $fuzzer ${args[*]}"
exec env -i "${environment[@]}" "${no_aslr[@]}" "$fuzzer" "${args[@]}"
