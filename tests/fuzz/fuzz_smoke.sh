#!/usr/bin/env bash
# CI fuzz smoke of one loader (tests/cmake/fuzz.cmake): a fixed number of libFuzzer executions from a fixed seed,
# starting from the committed corpus. (Coverage feedback still varies slightly between runs for targets with threads or
# per-process paths, so later mutations can differ: see the README.)
# It still mutates (new inputs are generated from the seed), so a regression near the corpus is likely caught; the
# open-ended, time-boxed campaign is tools/fuzz.sh, outside CI, and each of its findings joins the corpus.
# The scratch folder (libFuzzer writes the inputs it finds there) is emptied first: otherwise a second run in the same
# build tree would start from a bigger corpus and run different inputs.
# usage: fuzz_smoke.sh FUZZER SCRATCH_DIR CORPUS_DIR SEED RUNS
set -euo pipefail
fuzzer=$1 scratch=$2 corpus=$3 seed=$4 runs=$5
rm -rf "$scratch"
mkdir -p "$scratch"
echo "fuzz smoke $(basename "$fuzzer"): seed $seed, $runs executions, corpus $corpus ($(ls "$corpus" | wc -l) files)"
echo "replay: $fuzzer -seed=$seed -runs=$runs -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 EMPTY_DIR $corpus"
exec "$fuzzer" -seed="$seed" -runs="$runs" -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
  -print_final_stats=1 "$scratch" "$corpus"
