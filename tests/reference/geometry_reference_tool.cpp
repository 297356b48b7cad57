// Runs the geometry and density-field core on .npy inputs written by geometry_reference.py and writes the results
// back as .npy, so the NumPy script can compare them with its own independent implementation.
//   geometry_reference_tool geometry DIR          reads Q.npy, K.npy, W.npy; writes cosine, pca_*, entropy, rank
//   geometry_reference_tool density DIR MODE MEASURE WIDTH HEIGHT UMIN UMAX VMIN VMAX
//       reads centres.npy (C x d), weights.npy (1 x C), variances.npy (1 x C), plane.npy (3 x d: origin, u, v);
//       writes density_values, density_log, density_display, density_argmax (H x W); MODE kernel|density,
//       MEASURE slice|marginal.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "core/density_field.h"
#include "core/geometry.h"
#include "core/npy.h"

namespace {

using namespace attnscope;
namespace fs = std::filesystem;

void runGeometry(const fs::path& dir) {
  const RowMatrix Q = readNpyMatrix(dir / "Q.npy");
  const RowMatrix K = readNpyMatrix(dir / "K.npy");
  const RowMatrix W = readNpyMatrix(dir / "W.npy");
  writeNpyMatrix(dir / "cosine.npy", cosineMatrix(Q, K).cosine);
  PcaOptions options;
  options.components = 3;
  const PcaBasis basis = jointPca(Q, K, options);
  writeNpyMatrix(dir / "pca_components.npy", basis.components);
  writeNpyMatrix(dir / "pca_mean.npy", basis.mean.transpose());
  writeNpyMatrix(dir / "pca_variance.npy", basis.explainedVariance.transpose());
  writeNpyMatrix(dir / "pca_projected_k.npy", projectOntoBasis(basis, K));
  const RowEntropy entropy = rowEntropy(W);
  writeNpyMatrix(dir / "entropy.npy", entropy.entropyNats.transpose());
  const NumericalRank rank = numericalRank(W);
  RowMatrix rankOut(1, 1);
  rankOut(0, 0) = static_cast<float>(rank.rank);
  writeNpyMatrix(dir / "rank.npy", rankOut);
  writeNpyMatrix(dir / "singular_values.npy", rank.singularValues.cast<float>().transpose());
}

void runDensity(const fs::path& dir, char** args) {
  GaussianComponents g;
  g.centres = readNpyMatrix(dir / "centres.npy");
  g.weights = readNpyMatrix(dir / "weights.npy").row(0).transpose();
  g.variances = readNpyMatrix(dir / "variances.npy").row(0).transpose();
  const RowMatrix planeRows = readNpyMatrix(dir / "plane.npy");
  const DensityPlane plane{planeRows.row(0).transpose(), planeRows.row(1).transpose(), planeRows.row(2).transpose()};
  DensityOptions options;
  options.mode = std::string(args[0]) == "kernel" ? DensityMode::attentionKernel : DensityMode::normalizedDensity;
  options.measure = std::string(args[1]) == "marginal" ? PlaneMeasure::marginal : PlaneMeasure::slice;
  options.grid = PlaneGrid{std::stof(args[4]), std::stof(args[5]), std::stof(args[6]), std::stof(args[7]),
                           std::stoi(args[2]), std::stoi(args[3])};
  const DensityField field = evaluateDensityField(g, plane, options);
  writeNpyMatrix(dir / "density_values.npy", field.values);
  writeNpyMatrix(dir / "density_log.npy", field.logValues);
  writeNpyMatrix(dir / "density_display.npy", field.display);
  writeNpyMatrix(dir / "density_argmax.npy", field.argmax.cast<float>());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "geometry" && argc == 3) {
      runGeometry(argv[2]);
    } else if (command == "density" && argc == 11) {
      runDensity(argv[2], argv + 3);
    } else {
      std::fprintf(stderr, "usage: %s geometry DIR | density DIR MODE MEASURE W H UMIN UMAX VMIN VMAX\n", argv[0]);
      return 2;
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "geometry_reference_tool: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
