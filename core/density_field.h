// The Gaussian-key mixture of MATH.md section 3, p(x) = sum_c w_c N(x; mu_c, sigma_c^2 I), evaluated over a pixel
// grid on a 2D plane of the d-dimensional key space, with the per-pixel winning component.
#pragma once

#include "core/plane_grid.h"
#include "core/types.h"

namespace attnscope {

struct PcaBasis;  // core/geometry.h; declared only, so this header does not pull in the kernels

/// A flat list of C isotropic Gaussian components. The caller flattens positions x components (component c of
/// position j is one entry), so this does not depend on how the kernels store MGK keys.
struct GaussianComponents {
  RowMatrix centres;  ///< C x d centres mu_c
  Vector weights;     ///< C weights (priors) w_c >= 0, at least one > 0
  Vector variances;   ///< C variances sigma_c^2 > 0
};

/// A 2D plane in R^d: plane coordinates (u, v) are the point origin + u * axisU + v * axisV.
struct DensityPlane {
  Vector origin;  ///< d
  Vector axisU;   ///< d, unit length
  Vector axisV;   ///< d, unit length, orthogonal to axisU (checked to 1e-3)
};

/// The plane of the first two components of a joint PCA basis (needs k >= 2), through its mean.
DensityPlane planeFromBasis(const PcaBasis& basis);
/// The plane spanned by coordinate axes axisA != axisB of R^d, through `origin` (d entries; empty means 0).
DensityPlane planeFromAxes(int dimension, int axisA, int axisB, const Vector& origin = {});

enum class DensityMode {
  /// True density: weights normalised to sum 1, Gaussian constants included.
  normalizedDensity,
  /// The MGK attention kernel: sum_c w_c exp(-|x - mu_c|^2 / (2 sigma_c^2)), weights as given, no constants.
  attentionKernel,
};

/// What a d > 2 mixture means on a 2D plane (for d = 2 with the coordinate plane both are the same).
enum class PlaneMeasure {
  /// Evaluate the d-dimensional mixture at the points of the plane. A centre mu splits into its in-plane coordinates
  /// mu_plane and its offset from the plane mu_perp, and |x - mu|^2 = |(u, v) - mu_plane|^2 + |mu_perp|^2, so far
  /// components fade by exp(-|mu_perp|^2 / (2 sigma^2)). In normalised mode the constant is (2 pi sigma^2)^(-d/2):
  /// the values are the d-dimensional density at those points and do NOT integrate to 1 over the plane.
  slice,
  /// Density of the projection of x onto the plane, a 2D mixture with centres mu_plane and the same variances:
  /// no |mu_perp| term, constant (2 pi sigma^2)^(-1); integrates to 1 over the plane in normalised mode.
  marginal,
};

struct DensityOptions {
  PlaneGrid grid;  ///< region of the plane and resolution
  DensityMode mode = DensityMode::normalizedDensity;
  PlaneMeasure measure = PlaneMeasure::slice;
};

using IndexMatrix = Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A field over options.grid, row-major height x width, row 0 = top = largest v (see PlaneGrid).
struct DensityField {
  PlaneGrid grid;
  RowMatrix values;     ///< raw p(x) (or the kernel); may underflow to 0 far from every centre for tiny sigmas,
                        ///< and saturates at the largest float where p(x) exceeds it (tiny sigma in high d)
  RowMatrix logValues;  ///< natural log of p(x), always finite (computed by log-sum-exp, never from `values`)
  RowMatrix display;    ///< exp(logValues - maxLog): in [0, 1], 1 at the peak pixel; finite shape even when
                        ///< `values` underflows everywhere
  IndexMatrix argmax;   ///< index c of the component with the largest w_c N_c(x) at each pixel ("who wins"); ties go
                        ///< to the lower index; zero-weight components never win
  float minValue = 0, maxValue = 0;  ///< range of `values`
  float minLog = 0, maxLog = 0;      ///< range of `logValues`
};

/// components: C centres (C x d) with weights and variances; plane: in the same R^d (for d = 2 pass
/// planeFromAxes(2, 0, 1) or use the overload below). Cost O(W H C) after projecting the centres once, independent
/// of d; rows of pixels run in parallel (OpenMP). Throws InputError on bad shapes, NaN/Inf, negative weights,
/// all-zero weights, non-positive variances, or an invalid grid or plane.
DensityField evaluateDensityField(const GaussianComponents& components, const DensityPlane& plane,
                                  const DensityOptions& options = {});

/// d = 2: the plane is the coordinate plane itself (u = x_0, v = x_1).
DensityField evaluateDensityField(const GaussianComponents& components, const DensityOptions& options = {});

}  // namespace attnscope
