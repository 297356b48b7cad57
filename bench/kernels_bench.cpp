// Google Benchmark of every attention kernel at N = M in {256, 1024, 4096}, d = 64, one call each (weights only,
// as PyTorch returns them; a second DPA/EA/MGK series includes the scores the app asks for).
#include <benchmark/benchmark.h>

#include <cmath>

#include "core/attention_kernels.h"
#include "core/random_matrix.h"

namespace {

using attnscope::AttentionOptions;
using attnscope::Kernel;
using attnscope::RowMatrix;
using attnscope::standardNormalMatrix;

constexpr int kDimension = 64;

void benchKernel(benchmark::State& state, Kernel kernel, bool scores) {
  const Eigen::Index n = state.range(0);
  RowMatrix Q = standardNormalMatrix(n, kDimension, 1);
  RowMatrix K = standardNormalMatrix(n, kDimension, 2);
  AttentionOptions options;
  options.computeScores = scores;
  if (kernel == Kernel::Mgk || kernel == Kernel::MgkHard || kernel == Kernel::Mlk) {
    // Two components with separate key matrices and the official code's variances sqrt(d) and sqrt(d)/3.
    const float rootD = std::sqrt(static_cast<float>(kDimension));
    options.gaussian.componentKeys = {K, standardNormalMatrix(n, kDimension, 3)};
    options.gaussian.variances = attnscope::Vector(2);
    options.gaussian.variances << rootD, rootD / 3.0f;
    options.gaussian.priors = attnscope::Vector::Constant(2, 0.5f);
  }
  for (auto _ : state) {
    attnscope::AttentionResult result = attnscope::computeAttention(kernel, Q, K, options);
    benchmark::DoNotOptimize(result.weights.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n * n);
}

void registerAll() {
  for (Kernel kernel : attnscope::kAllKernels) {
    for (bool scores : {false, true}) {
      if (scores && kernel != Kernel::Dpa && kernel != Kernel::Ea && kernel != Kernel::Mgk) continue;
      std::string name = "kernel/" + std::string(attnscope::kernelName(kernel)) + (scores ? "+scores" : "");
      benchmark::RegisterBenchmark(name.c_str(), benchKernel, kernel, scores)
          ->Arg(256)
          ->Arg(1024)
          ->Arg(4096)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
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
