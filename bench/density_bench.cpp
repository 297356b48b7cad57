// Gaussian-key density field on a 1024 x 1024 grid with 64 components (d = 2 and d = 64), plus contour extraction:
// the work the density view does when the user changes a key, a variance or the plane.
#include <random>

#include <benchmark/benchmark.h>

#include "core/contours.h"
#include "core/density_field.h"
#include "core/geometry.h"

namespace {

using namespace attnscope;

/// 64 seeded components spread over [-3, 3]^2 in the first two coordinates, small offsets in the others.
GaussianComponents seededComponents(int dimension, int count) {
  std::mt19937 rng(17);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(0.2f, 1.0f);
  GaussianComponents g;
  g.centres.resize(count, dimension);
  for (int c = 0; c < count; ++c)
    for (int i = 0; i < dimension; ++i) g.centres(c, i) = (i < 2 ? 1.5f : 0.3f) * normal(rng);
  g.weights.resize(count);
  g.variances.resize(count);
  for (int c = 0; c < count; ++c) {
    g.weights(c) = uniform(rng);
    g.variances(c) = 0.25f * uniform(rng);
  }
  return g;
}

DensityOptions gridOptions(int pixels) {
  DensityOptions options;
  options.grid = PlaneGrid{-4, 4, -4, 4, pixels, pixels};
  return options;
}

void BM_DensityField(benchmark::State& state) {
  const int dimension = static_cast<int>(state.range(0));
  const int components = static_cast<int>(state.range(1));
  const int pixels = static_cast<int>(state.range(2));
  const GaussianComponents g = seededComponents(dimension, components);
  const DensityPlane plane = planeFromAxes(dimension, 0, 1);
  const DensityOptions options = gridOptions(pixels);
  for (auto _ : state) {
    DensityField field = evaluateDensityField(g, plane, options);
    benchmark::DoNotOptimize(field.values.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pixels) * pixels * components);
}
BENCHMARK(BM_DensityField)
    ->Args({2, 64, 1024})
    ->Args({64, 64, 1024})
    ->Args({64, 8, 1024})
    ->Args({64, 256, 512})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// Same field on the plane of a joint PCA of 2048 seeded d = 64 points (PCA included in the timing).
void BM_DensityFieldOnPcaPlane(benchmark::State& state) {
  const GaussianComponents g = seededComponents(64, 64);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrix Q(1024, 64), K(1024, 64);
  for (Eigen::Index i = 0; i < Q.size(); ++i) Q.data()[i] = normal(rng), K.data()[i] = normal(rng);
  const DensityOptions options = gridOptions(1024);
  for (auto _ : state) {
    const PcaBasis basis = jointPca(Q, K);
    DensityField field = evaluateDensityField(g, planeFromBasis(basis), options);
    benchmark::DoNotOptimize(field.values.data());
  }
}
BENCHMARK(BM_DensityFieldOnPcaPlane)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Contours(benchmark::State& state) {
  const DensityField field = evaluateDensityField(seededComponents(2, 64), gridOptions(1024));
  const std::vector<float> levels = evenlySpacedLevels(0.0f, 1.0f, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto contours = isoContours(field.display, field.grid, levels);
    benchmark::DoNotOptimize(contours.data());
  }
}
BENCHMARK(BM_Contours)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
BENCHMARK_MAIN();
