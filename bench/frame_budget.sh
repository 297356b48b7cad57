#!/bin/sh
# Reproduces bench/frame_budget.md: runs `attnscope --bench-frames` under Xvfb + llvmpipe and prints the frame times,
# the per-window draw-list counts and shaded pixels, texture renders, the median wall time of each phase of a frame,
# CPU time per frame of the main, llvmpipe and other threads, and the median time of each part of Derived.
# ATTNSCOPE_BENCH_DROP=all|big|small|small-solid|small-textured (see app/gui/frame_stats.h) attributes rasterisation.
# Usage: bench/frame_budget.sh BUILD_DIR [FRAMES] [VECTORS]
set -eu
build=${1:?usage: frame_budget.sh BUILD_DIR [FRAMES] [VECTORS]}
frames=${2:-200}
vectors=${3:-256}
profile=$(mktemp)
trap 'rm -f "$profile"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
ATTNSCOPE_PROFILE_DERIVED=1 xvfb-run -a -s "-screen 0 1280x1024x24" \
  "$build/bin/attnscope" --no-persist --window-size 1280 1000 --bench-frames "$frames" --bench-vectors "$vectors" \
  2>"$profile"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# The first refresh (start-up, not a drag) is printed separately: it is the full-resolution Derived.
awk '/^derived:/ { part = $2; for (i = 3; i < NF - 1; ++i) part = part " " $i; t = $(NF - 1);
       if (!(part in first)) { first[part] = t; order[++n] = part; next }
       v[part, ++c[part]] = t }
     END { printf "Derived parts (ms): %-14s %10s %10s\n", "part", "start-up", "drag median";
           for (k = 1; k <= n; ++k) { p = order[k]; m = c[p];
             for (i = 1; i <= m; ++i) s[i] = v[p, i];
             for (i = 2; i <= m; ++i) { x = s[i]; j = i - 1; while (j > 0 && s[j] > x) { s[j + 1] = s[j]; --j } s[j + 1] = x }
             printf "                    %-14s %10.2f %10.2f\n", p, first[p], m ? s[int((m + 1) / 2)] : 0 } }' "$profile"
