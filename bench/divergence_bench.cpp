// Google Benchmark for the alignment divergences (core/divergence.h): every metric at N = M in {256, 1024, 4096},
// d = 64, standard-normal queries and keys, one call per iteration. Sinkhorn runs a fixed number of sweeps
// (epsilon-scaling sweeps included) so the number is comparable across machines and data.
#include <benchmark/benchmark.h>

#include <limits>
#include <string>

#include "core/divergence.h"
#include "core/random_matrix.h"

namespace {

using attnscope::Metric;

constexpr int kDimension = 64;
constexpr int kSinkhornSweeps = 30;

void runDivergence(benchmark::State& state, Metric metric, bool keepMatrices) {
  const Eigen::Index n = state.range(0);
  const attnscope::RowMatrix Q = attnscope::standardNormalMatrix(n, kDimension, 1),
                             K = attnscope::standardNormalMatrix(n, kDimension, 2);
  attnscope::DivergenceOptions options;
  options.keepMatrices = keepMatrices;
  if (metric == Metric::Sinkhorn) {
    options.maxIterations = kSinkhornSweeps;
    options.tolerance = std::numeric_limits<double>::min();  // never reached: always the full sweep count
  }
  for (auto _ : state) {
    const attnscope::DivergenceResult result = attnscope::alignmentDivergence(metric, Q, K, options);
    benchmark::DoNotOptimize(result.value);
  }
  state.counters["N"] = static_cast<double>(n);
}

void registerAll() {
  for (Metric metric : attnscope::allMetrics()) {
    const std::string name = "divergence/" + std::string(attnscope::metricName(metric));
    benchmark::RegisterBenchmark(name.c_str(), runDivergence, metric, true)
        ->Arg(256)
        ->Arg(1024)
        ->Arg(4096)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  // CT without the cost matrix and plans (the GUI's summary mode): the value only.
  benchmark::RegisterBenchmark("divergence/ct-value-only", runDivergence, Metric::Ct, false)
      ->Arg(256)
      ->Arg(1024)
      ->Arg(4096)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  registerAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
