#!/usr/bin/env bash
# Builds the benchmark targets and prints attnscope vs PyTorch side by side as a Markdown table
# (bench/compare_pytorch.py), optionally followed by the Google Benchmark run of bench/kernels_bench.cpp.
# Usage: tools/run_benchmarks.sh [--build-dir DIR] [--sizes 256,1024,4096] [--repeat N] [--kernels a,b] [--google-benchmark]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
sizes="256,1024,4096"
repeat=10
kernels="dpa,ea,ea-pure,mgk,mgk-hard,mlk,cosine"
google_benchmark=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --kernels) kernels="$2"; shift 2 ;;
    --google-benchmark) google_benchmark=1; shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "run_benchmarks.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# Debian's interpreter: the python3 first on PATH may not see python3-numpy / python3-torch.
python=/usr/bin/python3
[[ -x "$python" ]] || { echo "run_benchmarks.sh: $python not found (apt-get install python3)" >&2; exit 1; }

blas="$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || true)"
if [[ "$blas" != *openblas-pthread* ]]; then
  echo "NOTE: the selected BLAS is '${blas:-none}', not libopenblas0-pthread: PyTorch will be slow and the comparison" \
       "unfair (apt-get install libopenblas0-pthread; update-alternatives --config libblas.so.3-x86_64-linux-gnu)." >&2
fi

if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_BUILD_GUI=OFF >/dev/null
fi
targets=(attnscope)
[[ $google_benchmark == 1 ]] && targets+=(kernels_bench)
cmake --build "$build_dir" -j2 --target "${targets[@]}" >/dev/null

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" "$root/bench/compare_pytorch.py" "$build_dir/bin/attnscope" --sizes "$sizes" --repeat "$repeat" \
  --kernels "$kernels" --threads 2

if [[ $google_benchmark == 1 ]]; then
  echo
  OMP_NUM_THREADS=2 "$build_dir/bin/kernels_bench" --benchmark_min_time=0.5
fi
