// Gaussian-key mixture fields on a plane: centres are projected onto the plane once, then each pixel row is a
// vectorised log-sum-exp over components, rows in parallel.
// Why not a literal GEMM of grid points x centres: on a plane, |x - mu|^2 = (u - a)^2 + (v - b)^2 + |mu_perp|^2, so
// the d-dimensional inner products collapse to per-row constants plus one squared difference per pixel. That is the
// GEMM form |x|^2 + |mu|^2 - 2 x.mu with the product already folded in: O(W H C) work independent of d, no W H x C
// temporary, and no cancellation error when |x| and |mu| are large but close.
#include "core/density_field.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/geometry.h"
#include "core/validate.h"

namespace attnscope {
namespace {

constexpr float kLowest = std::numeric_limits<float>::lowest();
/// exp(x) of a float is 0 (or an irrelevant denormal) for x < -104, so components further below a pixel's maximum
/// contribute nothing a float sum can hold: skipping them is exact and makes localised mixtures cheap.
constexpr float kNegligibleLogGap = 104.0f;

/// Per-component constants of the mixture after projection onto the plane:
/// log(w_c g_c(x)) = base - alpha ((u - a)^2 + (v - b)^2), with (a, b) the in-plane centre and alpha = 1/(2 sigma^2).
struct PlaneComponent {
  int index;     // position in the caller's list (for the arg-max map)
  double a, b;   // in-plane centre
  double alpha;  // 1 / (2 sigma^2)
  double base;   // log weight + log Gaussian constant - alpha |mu_perp|^2 (the latter for slices only)
};

void requireValidPlane(const DensityPlane& plane, Eigen::Index d) {
  if (plane.origin.size() != d || plane.axisU.size() != d || plane.axisV.size() != d)
    throw InputError("density plane must have origin and axes of dimension " + std::to_string(d) + " (got " +
                     std::to_string(plane.origin.size()) + ", " + std::to_string(plane.axisU.size()) + ", " +
                     std::to_string(plane.axisV.size()) + ")");
  requireFiniteVector(plane.origin, "plane origin");
  requireFiniteVector(plane.axisU, "plane axis u");
  requireFiniteVector(plane.axisV, "plane axis v");
  const double lengthU = plane.axisU.cast<double>().norm(), lengthV = plane.axisV.cast<double>().norm();
  const double overlap = plane.axisU.cast<double>().dot(plane.axisV.cast<double>());
  if (std::abs(lengthU - 1.0) > 1e-3 || std::abs(lengthV - 1.0) > 1e-3 || std::abs(overlap) > 1e-3)
    throw InputError("density plane axes must be orthonormal (|u| = " + std::to_string(lengthU) +
                     ", |v| = " + std::to_string(lengthV) + ", u.v = " + std::to_string(overlap) + ")");
}

std::vector<PlaneComponent> projectComponents(const GaussianComponents& components, const DensityPlane& plane,
                                              const DensityOptions& options) {
  const Eigen::Index count = components.centres.rows(), d = components.centres.cols();
  double weightSum = 0.0;
  for (Eigen::Index c = 0; c < count; ++c) weightSum += components.weights(c);
  const bool normalised = options.mode == DensityMode::normalizedDensity;
  const bool slice = options.measure == PlaneMeasure::slice;
  // A slice keeps the d-dimensional Gaussian constant; a marginal on the plane is a 2D Gaussian.
  const double gaussianDimension = slice ? static_cast<double>(d) : 2.0;
  const VectorD origin = plane.origin.cast<double>(), axisU = plane.axisU.cast<double>(),
                axisV = plane.axisV.cast<double>();
  std::vector<PlaneComponent> projected;
  projected.reserve(static_cast<size_t>(count));
  for (Eigen::Index c = 0; c < count; ++c) {
    const double weight = components.weights(c);
    if (weight == 0.0) continue;  // never contributes and never wins
    const double variance = components.variances(c);
    const VectorD offset = components.centres.row(c).transpose().cast<double>() - origin;
    const double a = offset.dot(axisU), b = offset.dot(axisV);
    const double perpSquared = (offset - a * axisU - b * axisV).squaredNorm();
    PlaneComponent component{static_cast<int>(c), a, b, 0.5 / variance, std::log(weight)};
    if (normalised) {
      component.base -= std::log(weightSum);
      component.base -= 0.5 * gaussianDimension * std::log(2.0 * std::numbers::pi * variance);
    }
    if (slice) component.base -= component.alpha * perpSquared;
    projected.push_back(component);
  }
  return projected;
}

}  // namespace

DensityPlane planeFromBasis(const PcaBasis& basis) {
  if (basis.components.rows() < 2)
    throw InputError("a density plane needs a basis with at least 2 components; this one has " +
                     std::to_string(basis.components.rows()));
  return DensityPlane{basis.mean, basis.components.row(0).transpose(), basis.components.row(1).transpose()};
}

DensityPlane planeFromAxes(int dimension, int axisA, int axisB, const Vector& origin) {
  if (dimension < 2) throw InputError("a plane needs dimension >= 2; got " + std::to_string(dimension));
  if (axisA < 0 || axisB < 0 || axisA >= dimension || axisB >= dimension || axisA == axisB)
    throw InputError("plane axes must be two different indices in [0, " + std::to_string(dimension) + "); got " +
                     std::to_string(axisA) + " and " + std::to_string(axisB));
  if (origin.size() != 0 && origin.size() != dimension)
    throw InputError("plane origin has dimension " + std::to_string(origin.size()) + ", expected " +
                     std::to_string(dimension));
  return DensityPlane{origin.size() == 0 ? Vector(Vector::Zero(dimension)) : origin, Vector::Unit(dimension, axisA),
                      Vector::Unit(dimension, axisB)};
}

DensityField evaluateDensityField(const GaussianComponents& components, const DensityPlane& plane,
                                  const DensityOptions& options) {
  const Eigen::Index count = components.centres.rows(), d = components.centres.cols();
  requireNonEmpty(components.centres, "component centres");
  requireFinite(components.centres, "component centres");
  if (components.weights.size() != count || components.variances.size() != count)
    throw InputError("density field has " + std::to_string(count) + " component centres but " +
                     std::to_string(components.weights.size()) + " weights and " +
                     std::to_string(components.variances.size()) + " variances");
  requireFiniteVector(components.weights, "component weights");
  requireFiniteVector(components.variances, "component variances");
  for (Eigen::Index c = 0; c < count; ++c) {
    if (components.weights(c) < 0.0f)
      throw InputError("component weight " + std::to_string(c) + " is negative (" +
                       std::to_string(components.weights(c)) + "); weights must be >= 0");
    if (!(components.variances(c) > 0.0f))
      throw InputError("component variance " + std::to_string(c) + " is " + std::to_string(components.variances(c)) +
                       "; variances must be > 0");
  }
  if (components.weights.maxCoeff() == 0.0f) throw InputError("all component weights are 0: the mixture is empty");
  requireValidPlane(plane, d);
  requireValidGrid(options.grid);

  const std::vector<PlaneComponent> mixture = projectComponents(components, plane, options);
  const int width = options.grid.width, height = options.grid.height;
  Eigen::ArrayXf u(width);
  for (int x = 0; x < width; ++x) u(x) = options.grid.columnToU(static_cast<float>(x));

  DensityField field;
  field.grid = options.grid;
  field.logValues.resize(height, width);
  field.argmax.resize(height, width);
  field.values.resize(height, width);
  field.display.resize(height, width);
  const float largest = std::numeric_limits<float>::max();
  const int componentCount = static_cast<int>(mixture.size());

#pragma omp parallel
  {
    // Per-thread row buffers; per pixel the work is two passes over the components: max (and arg-max), then the
    // sum of exp(e - max). Recomputing e in the second pass is cheaper than storing C x W exponents.
    Eigen::ArrayXf rowMax(width), rowSum(width), exponent(width);
    Eigen::ArrayXi rowArg(width);
    std::vector<float> rowBase(static_cast<size_t>(componentCount)), alpha(static_cast<size_t>(componentCount)),
        centreU(static_cast<size_t>(componentCount));
#pragma omp for schedule(static)
    for (int y = 0; y < height; ++y) {
      const double v = options.grid.rowToV(static_cast<float>(y));
      for (int c = 0; c < componentCount; ++c) {
        const PlaneComponent& component = mixture[static_cast<size_t>(c)];
        const double dv = v - component.b;
        rowBase[static_cast<size_t>(c)] =
            static_cast<float>(std::max<double>(kLowest, component.base - component.alpha * dv * dv));
        alpha[static_cast<size_t>(c)] = static_cast<float>(component.alpha);
        centreU[static_cast<size_t>(c)] = static_cast<float>(component.a);
      }
      // Both passes evaluate the exponents through this one function so they are bitwise identical: the winning
      // component then contributes exactly exp(0) = 1, and the sum can neither vanish nor overflow.
      const auto exponents = [&](int c) {
        const float base = rowBase[static_cast<size_t>(c)], a = alpha[static_cast<size_t>(c)],
                    centre = centreU[static_cast<size_t>(c)];
        exponent = (base - a * (u - centre).square()).max(kLowest);
      };
      rowMax.setConstant(kLowest);
      rowArg.setConstant(mixture[0].index);
      float* maxPtr = rowMax.data();
      int* argPtr = rowArg.data();
      const float* exponentPtr = exponent.data();
      for (int c = 0; c < componentCount; ++c) {
        exponents(c);
        const int index = mixture[static_cast<size_t>(c)].index;
#pragma omp simd
        for (int x = 0; x < width; ++x) {
          const bool better = exponentPtr[x] > maxPtr[x];
          maxPtr[x] = better ? exponentPtr[x] : maxPtr[x];
          argPtr[x] = better ? index : argPtr[x];
        }
      }
      const float rowFloor = rowMax.minCoeff() - kNegligibleLogGap;
      rowSum.setZero();
      for (int c = 0; c < componentCount; ++c) {
        // Every exponent of this component is <= its row base: far below every pixel's maximum it adds nothing.
        if (rowBase[static_cast<size_t>(c)] < rowFloor) continue;
        exponents(c);
        rowSum += (exponent - rowMax).exp();
      }
      // The winner contributes exactly 1, so rowSum is in [1, C] and the log is finite (>= lowest float).
      const Eigen::ArrayXf logRow = rowMax + rowSum.log();
      field.logValues.row(y) = logRow.matrix().transpose();
      // exp would overflow for peaked d-dimensional densities (tiny sigma, large d): saturate at the largest float.
      field.values.row(y) = logRow.exp().min(largest).matrix().transpose();
      field.argmax.row(y) = rowArg.matrix().transpose();
    }
  }

  field.maxLog = field.logValues.maxCoeff();
  field.minLog = field.logValues.minCoeff();
  field.maxValue = field.values.maxCoeff();
  field.minValue = field.values.minCoeff();
  const float maxLog = field.maxLog;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < height; ++y) field.display.row(y) = (field.logValues.row(y).array() - maxLog).exp().matrix();
  return field;
}

DensityField evaluateDensityField(const GaussianComponents& components, const DensityOptions& options) {
  if (components.centres.cols() != 2)
    throw InputError("the plane-less density field needs 2-dimensional centres; got dimension " +
                     std::to_string(components.centres.cols()) + " (pass a DensityPlane for d > 2)");
  return evaluateDensityField(components, planeFromAxes(2, 0, 1), options);
}

}  // namespace attnscope
