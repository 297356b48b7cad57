// computeDerived: everything the views show, computed from a Scene by the core (attention kernels, angle sweep,
// joint PCA, density field, divergences), outside any draw function. Each part is computed in its own try block:
// one failing part reports its message and keeps its last good values while the others still update.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "app/gui/app_state.h"
#include "core/attention_kernels.h"
#include "core/density_field.h"
#include "core/divergence.h"
#include "core/geometry.h"

namespace attnscope::gui {
namespace {

/// Pixels x components evaluated per density field: keeps a scene of hundreds of keys interactive (the grid gets
/// coarser as components grow, never below kMinDensityResolution).
constexpr double kDensityBudget = 2.0 * 1024 * 1024;
constexpr int kMinDensityResolution = 64;

AttentionOptions attentionOptions(const Scene& scene) {
  AttentionOptions options;
  options.scale = scene.effectiveScale();
  options.causal = scene.kernel.causal;
  options.expressiveForm = scene.kernel.eaForm;
  options.cosineTemperature = scene.kernel.cosineTemperature;
  GaussianKeysOptions& gaussian = options.gaussian;
  const int R = scene.kernel.mgkComponents;
  if (scene.kernel.mgkCentres == MgkCentres::Shifted) {
    gaussian.shifts = scene.kernel.mgkShifts;
  } else {
    gaussian.componentKeys.resize(R);
    for (int r = 0; r < R; ++r) {
      RowMatrix centres = scene.keys;
      for (int j = 0; j < scene.keyCount(); ++j) centres.row(j) += scene.kernel.mgkOffsets.row(j * R + r);
      gaussian.componentKeys[r] = std::move(centres);
    }
  }
  gaussian.positionPriors = scene.kernel.mgkPriors;
  gaussian.positionVariances = scene.kernel.mgkVariances;
  return options;
}

void copyResult(const AttentionResult& result, KernelResult& out) {
  out.weights = result.weights;
  out.scores = result.scores;
  out.fallbackRows.assign(result.fallbackRows.begin(), result.fallbackRows.end());
}

/// MGK (soft or hard) of the scene, its per-position variances passed to the core; responsibilities == nullptr skips
/// them (during a drag no view shows them; they follow when the drag ends).
void mixtureGaussianKeys(const Scene& scene, const AttentionOptions& options, bool hard, KernelResult& out,
                         RowMatrix* responsibilities) {
  copyResult(mixtureGaussianKeysAttention(scene.queries, scene.keys, hard, options), out);
  if (responsibilities == nullptr) return;
  const std::vector<RowMatrix> gamma = gaussianKeyResponsibilities(scene.queries, scene.keys, hard, options.gaussian);
  const int N = scene.queryCount(), M = scene.keyCount(), R = scene.kernel.mgkComponents;
  responsibilities->resize(N, static_cast<Eigen::Index>(M) * R);
  for (int j = 0; j < M; ++j)
    for (int r = 0; r < R; ++r) responsibilities->col(static_cast<Eigen::Index>(j) * R + r) = gamma[r].col(j);
}

/// The selected key swept against the selected query, for every shown kernel (the others' curves are emptied: each
/// kernel adds S core calls). Every position keeps its own MGK variances; the swept key keeps the selected key's.
void computeSweep(const Scene& scene, const AttentionOptions& base, AngleSweep& out) {
  AngleSweepOptions options;
  options.kernels = scene.display.shownKernels;
  options.samples = 181;
  options.sweptKey = scene.selectedKey;
  options.attention = base;
  options.attention.causal = false;
  const Vector query = scene.queries.row(scene.selectedQuery).transpose();
  const attnscope::AngleSweep sweep = angleSweep(query, scene.keys, options);
  out.angleDegrees = sweep.anglesDegrees;
  for (Vector& curve : out.weights) curve.resize(0);
  for (Vector& curve : out.scores) curve.resize(0);
  for (const AngleSweepCurve& curve : sweep.curves) {
    out.weights[kernelIndex(curve.kernel)] = curve.sweptWeight;
    out.scores[kernelIndex(curve.kernel)] = curve.sweptScore;
  }
  const RowMatrix angle = angleMatrixDegrees(scene.queries.row(scene.selectedQuery), scene.keys.row(scene.selectedKey));
  out.currentAngleDegrees = angle(0, 0);
}

void computePlane(const Scene& scene, const PcaBasis& basis, PlaneProjection& out) {
  out.isPca = !basis.coordinateAxes;
  out.mean = basis.mean;
  out.basis = basis.components.topRows(2).transpose();
  out.explainedVariance = basis.explainedRatio.head(2);
  out.queries2d = projectOntoBasis(basis, scene.queries);
  out.keys2d = projectOntoBasis(basis, scene.keys);
}

void computeDensity(const Scene& scene, const PcaBasis& basis, bool coarse, DensityField& out) {
  const int M = scene.keyCount(), R = scene.kernel.mgkComponents, d = scene.dimension();
  GaussianComponents components;
  components.centres.resize(static_cast<Eigen::Index>(M) * R, d);
  components.weights.resize(M * R);
  components.variances.resize(M * R);
  for (int j = 0; j < M; ++j)
    for (int r = 0; r < R; ++r) {
      components.centres.row(j * R + r) = scene.mgkCentre(j, r).transpose();
      // The hard variant ignores priors; its field shows every component with equal weight.
      components.weights(j * R + r) =
          scene.display.mgkHard() ? 1.0f : std::clamp(scene.kernel.mgkPriors(j, r), 0.0f, 1.0f);
      components.variances(j * R + r) = scene.kernel.mgkVariances(j, r);
    }
  const int budgetResolution = static_cast<int>(std::sqrt(kDensityBudget / std::max(1.0, static_cast<double>(M) * R)));
  const int fullResolution = std::clamp(budgetResolution, kMinDensityResolution, scene.display.densityResolution);
  // While dragging, half the samples per side: a quarter of the exp() calls, and bilinear texture filtering hides
  // the difference until the full field returns when the drag ends.
  const int resolution =
      coarse ? std::max(std::min(kMinDensityResolution, fullResolution), fullResolution / 2) : fullResolution;
  const float extent = scene.display.planeExtent;
  DensityOptions options;
  options.grid = PlaneGrid{-extent, extent, -extent, extent, resolution, resolution};
  options.measure = PlaneMeasure::marginal;
  const DensityPlane plane = d == 2 ? planeFromAxes(2, 0, 1) : planeFromBasis(basis);
  out.centres2d.resize(static_cast<Eigen::Index>(M) * R, 2);
  for (Eigen::Index c = 0; c < components.centres.rows(); ++c) {
    const Vector offset = components.centres.row(c).transpose() - plane.origin;
    out.centres2d(c, 0) = offset.dot(plane.axisU);
    out.centres2d(c, 1) = offset.dot(plane.axisV);
  }
  if (!(components.weights.array() > 0.0f).any()) {
    // Every prior is 0: there is no mixture to draw. An all-zero field (not an error) says so honestly.
    out.density = RowMatrix::Zero(resolution, resolution);
    out.kernel = RowMatrix::Zero(resolution, resolution);
    out.argmaxComponent.setZero(resolution, resolution);
  } else {
    options.mode = DensityMode::normalizedDensity;
    const attnscope::DensityField density = evaluateDensityField(components, plane, options);
    options.mode = DensityMode::attentionKernel;
    const attnscope::DensityField kernel = evaluateDensityField(components, plane, options);
    // The core stores row 0 at the top (largest v); Derived documents row 0 at yMin.
    out.density = density.values.colwise().reverse();
    out.kernel = kernel.values.colwise().reverse();
    out.argmaxComponent = density.argmax.colwise().reverse();
  }
  out.resolution = resolution;
  out.coarse = resolution < fullResolution;
  out.xMin = out.yMin = -extent;
  out.xMax = out.yMax = extent;
}

DivergenceOptions divergenceOptions(const Scene& scene) {
  DivergenceOptions options;
  options.rho = scene.divergence.ctRho;
  options.tau = scene.divergence.ctTau;
  options.cost = scene.divergence.ctCost;
  options.epsilon = scene.divergence.sinkhornEpsilon;
  return options;
}

void computeConditionalTransport(const Scene& scene, Divergences& out) {
  const DivergenceResult ct = ctDivergence(scene.queries, scene.keys, divergenceOptions(scene));
  out.ct = static_cast<float>(ct.value);
  out.ctForward = static_cast<float>(ct.forwardTerm);
  out.ctBackward = static_cast<float>(ct.backwardTerm);
  out.ctForwardPlan = ct.forwardPlan;
  out.ctBackwardPlan = ct.backwardPlan.transpose();  // core: N x M; Derived documents M x N
  out.ctCost = ct.cost;
}

void computeMmd(const Scene& scene, Divergences& out) {
  DivergenceOptions options = divergenceOptions(scene);
  options.keepMatrices = false;
  out.mmdBiased = static_cast<float>(mmdDivergence(scene.queries, scene.keys, false, options).value);
  // The unbiased estimator needs two points per cloud; with fewer it is undefined, shown as 0.
  out.mmdUnbiased = scene.queryCount() >= 2 && scene.keyCount() >= 2
                        ? static_cast<float>(mmdDivergence(scene.queries, scene.keys, true, options).value)
                        : 0.0f;
}

void computeGaussianFits(const Scene& scene, Divergences& out) {
  const DivergenceOptions options = divergenceOptions(scene);
  out.gaussianKl = static_cast<float>(gaussianKlDivergence(scene.queries, scene.keys, options).value);
  out.frechet = static_cast<float>(gaussianW2Divergence(scene.queries, scene.keys, options).value);
}

/// ATTNSCOPE_PROFILE_DERIVED=1 prints the time of every part to stderr (finding what makes a drag slow).
bool profiling() {
  static const bool enabled = std::getenv("ATTNSCOPE_PROFILE_DERIVED") != nullptr;
  return enabled;
}

template <typename Function>
void attempt(const char* part, std::string& errors, Function&& function) {
  const auto start = std::chrono::steady_clock::now();
  try {
    function();
  } catch (const std::exception& e) {
    errors += std::string(errors.empty() ? "" : "\n") + part + ": " + e.what();
  }
  if (profiling())
    std::fprintf(stderr, "derived: %-12s %7.2f ms\n", part,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
}

/// Weights and scores of every pair under each shown kernel; the hidden kernels' results are emptied (a scene of
/// hundreds of keys pays only for what the views draw). `responsibilities` (nullptr: keep the last ones) are those of
/// the MGK variant the density view follows.
void computeKernels(const Scene& scene, const AttentionOptions& options, Derived& out, RowMatrix* responsibilities,
                    std::string& errors) {
  const bool hard = scene.display.mgkHard();
  for (Kernel kernel : kAllKernels) {
    KernelResult& result = out.result(kernel);
    if (!scene.display.isKernelShown(kernel)) {
      result = KernelResult{};
      continue;
    }
    const std::string name(kernelName(kernel));
    attempt(name.c_str(), errors, [&] {
      if (kernel == Kernel::Mgk || kernel == Kernel::MgkHard) {
        const bool variantHard = kernel == Kernel::MgkHard;
        mixtureGaussianKeys(scene, options, variantHard, result, variantHard == hard ? responsibilities : nullptr);
      } else {
        copyResult(computeAttention(kernel, scene.queries, scene.keys, options), result);
      }
    });
  }
}

/// MGK responsibilities of the variant the density view follows, alone (end of a drag; no MGK kernel shown).
void computeResponsibilities(const Scene& scene, RowMatrix& out) {
  KernelResult unused;
  mixtureGaussianKeys(scene, attentionOptions(scene), scene.display.mgkHard(), unused, &out);
}

}  // namespace

void computeDerived(const Scene& scene, std::uint64_t revision, Derived& out) {
  computeDerived(scene, revision, out, DerivedParts::All);
}

/// Interactive scenes are small, and the sweep alone makes hundreds of tiny core calls: OpenMP fork/join per call
/// costs more than it saves, and on a loaded 2-core machine a join waiting for a descheduled worker cost seconds
/// per refresh (measured: headless export 8.6 s with threads, 0.7 s without). Large heads keep every core.
class SmallSceneThreads {
 public:
  explicit SmallSceneThreads(const Scene& scene) : previous_(omp_get_max_threads()) {
    if (static_cast<double>(scene.queryCount()) * scene.keyCount() <= 65536.0) omp_set_num_threads(1);
  }
  ~SmallSceneThreads() { omp_set_num_threads(previous_); }
  SmallSceneThreads(const SmallSceneThreads&) = delete;
  SmallSceneThreads& operator=(const SmallSceneThreads&) = delete;

 private:
  int previous_;
};

std::string finishDrag(const Scene& scene, Derived& out) {
  SmallSceneThreads threads(scene);
  std::string error;
  attempt("density", error, [&] {
    const PcaBasis basis = jointPca(scene.queries, scene.keys);
    if (basis.components.rows() >= 2) computeDensity(scene, basis, false, out.density);
  });
  attempt("MGK responsibilities", error, [&] { computeResponsibilities(scene, out.mgkResponsibilities); });
  out.dragPreview = false;
  if (!error.empty()) out.error += std::string(out.error.empty() ? "" : "\n") + error;
  return error;
}

void computeSlowDivergences(const Scene& scene, Divergences& out, std::string& error) {
  SmallSceneThreads threads(scene);
  attempt("MMD", error, [&] { computeMmd(scene, out); });
  attempt("Sinkhorn", error, [&] {
    out.sinkhorn = static_cast<float>(sinkhornDivergence(scene.queries, scene.keys, divergenceOptions(scene)).value);
  });
  attempt("Gaussian fits", error, [&] { computeGaussianFits(scene, out); });
}

void computeDerived(const Scene& scene, std::uint64_t revision, Derived& out, DerivedParts parts, bool dragging) {
  out.sceneRevision = revision;
  out.error.clear();
  try {
    scene.validate();
  } catch (const std::exception& e) {
    out.error = e.what();
    return;
  }
  out.scale = scene.effectiveScale();
  SmallSceneThreads threads(scene);
  const AttentionOptions options = attentionOptions(scene);
  computeKernels(scene, options, out, dragging ? nullptr : &out.mgkResponsibilities, out.error);
  // No MGK kernel shown: the responsibilities (of the density view's variant) still follow the scene.
  if (!dragging && !scene.display.isKernelShown(Kernel::Mgk) && !scene.display.isKernelShown(Kernel::MgkHard))
    attempt("MGK responsibilities", out.error, [&] { computeResponsibilities(scene, out.mgkResponsibilities); });
  out.dragPreview = dragging;
  attempt("kernel sweep", out.error, [&] { computeSweep(scene, options, out.sweep); });
  PcaBasis basis;
  attempt("projection", out.error, [&] {
    basis = jointPca(scene.queries, scene.keys);
    computePlane(scene, basis, out.plane);
  });
  attempt("density", out.error, [&] {
    if (basis.components.rows() >= 2) computeDensity(scene, basis, dragging, out.density);
  });
  attempt("CT", out.error, [&] { computeConditionalTransport(scene, out.divergences); });
  if (parts == DerivedParts::All) {
    computeSlowDivergences(scene, out.divergences, out.error);
    out.slowDivergenceRevision = revision;
  }
}

}  // namespace attnscope::gui
