// Geometry of one head at app scale: cosines, pair classes, angle histogram, joint PCA, entropy, rank and the angle
// sweep, on seeded random data (d = 64).
#include <random>

#include <benchmark/benchmark.h>

#include "core/geometry.h"

namespace {

using namespace attnscope;

RowMatrix seededMatrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

void BM_CosineMatrix(benchmark::State& state) {
  const RowMatrix Q = seededMatrix(state.range(0), 64, 1), K = seededMatrix(state.range(0), 64, 2);
  for (auto _ : state) benchmark::DoNotOptimize(cosineMatrix(Q, K).cosine.data());
}
BENCHMARK(BM_CosineMatrix)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ClassifyAndHistogram(benchmark::State& state) {
  const CosineMatrix c = cosineMatrix(seededMatrix(state.range(0), 64, 1), seededMatrix(state.range(0), 64, 2));
  for (auto _ : state) {
    benchmark::DoNotOptimize(classifyPairs(c).counted);
    benchmark::DoNotOptimize(angleHistogram(c).counted);
  }
}
BENCHMARK(BM_ClassifyAndHistogram)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_JointPca(benchmark::State& state) {
  const RowMatrix Q = seededMatrix(state.range(0), state.range(1), 1),
                  K = seededMatrix(state.range(0), state.range(1), 2);
  PcaOptions options;
  options.components = 3;
  for (auto _ : state) benchmark::DoNotOptimize(jointPca(Q, K, options).components.data());
}
BENCHMARK(BM_JointPca)->Args({4096, 64})->Args({64, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RowEntropy(benchmark::State& state) {
  const RowMatrix W = seededMatrix(state.range(0), state.range(0), 3).cwiseAbs();
  for (auto _ : state) benchmark::DoNotOptimize(rowEntropy(W).entropyNats.data());
}
BENCHMARK(BM_RowEntropy)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_NumericalRank(benchmark::State& state) {
  const RowMatrix W = seededMatrix(state.range(0), state.range(0), 4);
  for (auto _ : state) benchmark::DoNotOptimize(numericalRank(W).rank);
}
BENCHMARK(BM_NumericalRank)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AngleSweep(benchmark::State& state) {
  const RowMatrix K = seededMatrix(state.range(0), 64, 5);
  const Vector q = seededMatrix(1, 64, 6).row(0).transpose();
  AngleSweepOptions options;
  options.kernels = {Kernel::Dpa, Kernel::Ea, Kernel::Mgk};
  for (auto _ : state) benchmark::DoNotOptimize(angleSweep(q, K, options).curves.data());
}
BENCHMARK(BM_AngleSweep)->Arg(16)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
