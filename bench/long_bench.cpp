// Long-sequence benchmark (README "Long sequences"): one head of N seeded N(0,1) queries and keys, streamed. Times
// the normaliser pass, a pooled overview, a zoomed exact tile and the long-range statistics per kernel, and prints
// JSON lines (bench/long_compare_pytorch.py puts them beside PyTorch's dense map).
//
//   long_bench [--n 32768] [--d 64] [--threads 2] [--repeat 3] [--pixels 1024] [--tile 512] [--causal]
//              [--kernels dpa,ea]
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "core/random_matrix.h"
#include "core/streaming_attention.h"

namespace {

using attnscope::Kernel;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Process CPU seconds (all threads): on a shared machine the wall time depends on the other jobs, the CPU time less.
double cpuSeconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

/// Largest resident set of this process so far, in bytes.
double peakResidentBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Eigen::Index n = 32768, d = 64, pixels = 1024, tileSide = 512;
  int threads = 2, repeat = 3;
  bool causal = false;
  std::string kernels = "dpa,ea";
  for (int i = 1; i + 1 < argc || (i < argc && std::string(argv[i]) == "--causal"); ++i) {
    std::string flag = argv[i];
    if (flag == "--causal") {
      causal = true;
      continue;
    }
    std::string value = argv[++i];
    if (flag == "--n")
      n = std::atol(value.c_str());
    else if (flag == "--d")
      d = std::atol(value.c_str());
    else if (flag == "--threads")
      threads = std::atoi(value.c_str());
    else if (flag == "--repeat")
      repeat = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--pixels")
      pixels = std::atol(value.c_str());
    else if (flag == "--tile")
      tileSide = std::atol(value.c_str());
    else if (flag == "--kernels")
      kernels = value;
    else {
      std::fprintf(stderr, "long_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  omp_set_num_threads(threads);
  const attnscope::RowMatrix Q = attnscope::standardNormalMatrix(n, d, 1u);
  const attnscope::RowMatrix K = attnscope::standardNormalMatrix(n, d, 2u);
  attnscope::AttentionOptions options;
  options.causal = causal;
  attnscope::StreamingOptions streaming;
  streaming.threads = threads;

  std::size_t start = 0;
  while (start <= kernels.size()) {
    std::size_t end = std::min(kernels.find(',', start), kernels.size());
    const Kernel kernel = attnscope::parseKernel(kernels.substr(start, end - start));
    start = end + 1;
    std::vector<double> normalisers, overview, tile, statistics, overviewCpu;
    float checksum = 0.0f;
    for (int r = 0; r < repeat; ++r) {
      Clock::time_point t0 = Clock::now();
      const double cpu0 = cpuSeconds();
      attnscope::StreamingAttention map(kernel, Q, K, options, streaming);
      normalisers.push_back(secondsSince(t0));
      t0 = Clock::now();
      attnscope::RowMatrix pooled = map.pooled(map.fullRegion(), pixels, pixels, attnscope::Pooling::Max);
      overview.push_back(secondsSince(t0));
      overviewCpu.push_back(cpuSeconds() - cpu0);
      // A zoomed tile in the lower half (visible keys under a causal mask), off the tile grid.
      const Eigen::Index row = n / 2 + 77, col = n / 4 + 33;
      t0 = Clock::now();
      attnscope::RowMatrix zoom = map.tile({row, std::min(n, row + tileSide), col, std::min(n, col + tileSide)});
      tile.push_back(secondsSince(t0));
      t0 = Clock::now();
      attnscope::LongRangeStatistics stats = map.statistics();
      statistics.push_back(secondsSince(t0));
      checksum += pooled.sum() + zoom.sum() + static_cast<float>(stats.recentShare);
    }
    const double normaliserSeconds = median(normalisers), overviewSeconds = median(overview);
    std::printf(
        "{\"kernel\": \"%s\", \"n\": %ld, \"d\": %ld, \"threads\": %d, \"causal\": %s, \"pixels\": %ld, "
        "\"normalisers_s\": %.4f, \"overview_s\": %.4f, \"overview_total_s\": %.4f, \"tile_ms\": %.2f, "
        "\"overview_total_cpu_s\": %.4f, \"statistics_s\": %.4f, \"peak_rss\": %.0f, \"checksum\": %.6g}\n",
        std::string(attnscope::kernelName(kernel)).c_str(), static_cast<long>(n), static_cast<long>(d), threads,
        causal ? "true" : "false", static_cast<long>(pixels), normaliserSeconds, overviewSeconds,
        normaliserSeconds + overviewSeconds, 1e3 * median(tile), median(overviewCpu), median(statistics),
        peakResidentBytes(), static_cast<double>(checksum));
    std::fflush(stdout);
  }
  return 0;
}
