// Geometry of one attention head: cosines/angles, pair classes, angle sweep, joint PCA, entropy and rank.
#include "core/geometry.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include <Eigen/Eigenvalues>

#include "core/error.h"
#include "core/unit_rows.h"
#include "core/validate.h"

namespace attnscope {
namespace {

/// Euclidean norm of a vector without underflow or overflow of the squares (double accumulation of a rescaled row).
double stableNorm(const Eigen::Ref<const VectorD>& v) {
  const double largest = v.cwiseAbs().maxCoeff();
  if (largest == 0.0) return 0.0;
  return largest * (v / largest).norm();
}

double degreesToRadians(double degrees) {
  return degrees * std::numbers::pi / 180.0;
}

/// Whether query i may attend key j in a causal head whose N queries are the last N of the M key positions.
bool causallyVisible(Eigen::Index i, Eigen::Index j, Eigen::Index queries, Eigen::Index keys) {
  return j <= i + (keys - queries);
}

/// Flips v so its largest-magnitude entry is positive: eigenvectors are defined only up to sign, and views should
/// not jump when the same data is analysed twice.
void fixSign(Eigen::Ref<VectorD> v) {
  Eigen::Index largest = 0;
  v.cwiseAbs().maxCoeff(&largest);
  if (v(largest) < 0) v = -v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

CosineMatrix cosineMatrix(const MatrixView& Q, const MatrixView& K) {
  requireNonEmpty(Q, "queries Q");
  requireNonEmpty(K, "keys K");
  requireSameDimension(Q, "queries Q", K, "keys K");
  requireFinite(Q, "queries Q");
  requireFinite(K, "keys K");
  CosineMatrix result;
  const RowMatrix unitQ = unitRows(Q, &result.zeroQuery);
  const RowMatrix unitK = unitRows(K, &result.zeroKey);
  result.zeroQueryCount = std::count(result.zeroQuery.begin(), result.zeroQuery.end(), true);
  result.zeroKeyCount = std::count(result.zeroKey.begin(), result.zeroKey.end(), true);
  result.cosine.noalias() = unitQ * unitK.transpose();
  // Rounding can push |cos| of (anti)parallel unit vectors a few ulps past 1, which acos would turn into NaN.
  result.cosine = result.cosine.cwiseMax(-1.0f).cwiseMin(1.0f);
  return result;
}

RowMatrix anglesDegrees(const CosineMatrix& cosines) {
  constexpr float kDegreesPerRadian = static_cast<float>(180.0 / std::numbers::pi);
  const Eigen::Index n = cosines.cosine.rows();
  RowMatrix angles(n, cosines.cosine.cols());
#pragma omp parallel for schedule(static) if (cosines.cosine.size() > 65536)
  for (Eigen::Index i = 0; i < n; ++i)
    angles.row(i) = cosines.cosine.row(i).unaryExpr([](float c) { return std::acos(c) * kDegreesPerRadian; });
  return angles;
}

RowMatrix angleMatrixDegrees(const MatrixView& Q, const MatrixView& K) {
  return anglesDegrees(cosineMatrix(Q, K));
}

// ---------------------------------------------------------------------------------------------------------------

PairClassification classifyPairs(const CosineMatrix& cosines, const PairClassOptions& options) {
  if (!(options.bandDegrees >= 0.0f && options.bandDegrees < 45.0f))
    throw InputError(
        "angular band must be in [0, 45) degrees so parallel, orthogonal and antiparallel cannot overlap; got " +
        std::to_string(options.bandDegrees));
  // Compare cosines with thresholds instead of taking acos of every pair: angle <= band <=> cos >= cos(band), etc.
  const double band = degreesToRadians(options.bandDegrees);
  const float parallelCos = static_cast<float>(std::cos(band));
  const float orthogonalCos = static_cast<float>(std::sin(band));
  const Eigen::Index n = cosines.cosine.rows(), m = cosines.cosine.cols();
  PairClassification result;
  result.classes.resize(n, m);
  std::int64_t parallel = 0, orthogonal = 0, antiparallel = 0, other = 0, undefined = 0, excluded = 0;
#pragma omp parallel for schedule(static) reduction(+ : parallel, orthogonal, antiparallel, other, undefined, excluded) \
    if (n * m > 65536)
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < m; ++j) {
      PairClass cls;
      if (options.causal && !causallyVisible(i, j, n, m)) {
        cls = PairClass::excluded;
        ++excluded;
      } else if (!cosines.defined(i, j)) {
        cls = PairClass::undefined;
        ++undefined;
      } else {
        const float c = cosines.cosine(i, j);
        if (c >= parallelCos) {
          cls = PairClass::parallel;
          ++parallel;
        } else if (c <= -parallelCos) {
          cls = PairClass::antiparallel;
          ++antiparallel;
        } else if (std::abs(c) <= orthogonalCos) {
          cls = PairClass::orthogonal;
          ++orthogonal;
        } else {
          cls = PairClass::other;
          ++other;
        }
      }
      result.classes(i, j) = static_cast<std::uint8_t>(cls);
    }
  }
  result.parallelCount = parallel;
  result.orthogonalCount = orthogonal;
  result.antiparallelCount = antiparallel;
  result.otherCount = other;
  result.undefinedCount = undefined;
  result.excludedCount = excluded;
  result.counted = result.parallelCount + result.orthogonalCount + result.antiparallelCount + result.otherCount;
  if (result.counted > 0) {
    const double total = static_cast<double>(result.counted);
    result.parallelFraction = static_cast<double>(result.parallelCount) / total;
    result.orthogonalFraction = static_cast<double>(result.orthogonalCount) / total;
    result.antiparallelFraction = static_cast<double>(result.antiparallelCount) / total;
    result.otherFraction = static_cast<double>(result.otherCount) / total;
  }
  return result;
}

AngleHistogram angleHistogram(const CosineMatrix& cosines, const AngleHistogramOptions& options) {
  if (options.bins < 1 || options.bins > 100000)
    throw InputError("angle histogram needs between 1 and 100000 bins; got " + std::to_string(options.bins));
  AngleHistogram result;
  result.counts.assign(static_cast<size_t>(options.bins), 0);
  result.binWidthDegrees = 180.0f / static_cast<float>(options.bins);
  const float binsPerRadian = static_cast<float>(options.bins / std::numbers::pi);
  const Eigen::Index n = cosines.cosine.rows(), m = cosines.cosine.cols();
  std::int64_t counted = 0, undefined = 0, excluded = 0;
#pragma omp parallel reduction(+ : counted, undefined, excluded) if (n * m > 65536)
  {
    std::vector<std::int64_t> local(static_cast<size_t>(options.bins), 0);  // per thread: no shared increments
#pragma omp for schedule(static) nowait
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index j = 0; j < m; ++j) {
        if (options.causal && !causallyVisible(i, j, n, m)) {
          ++excluded;
        } else if (!cosines.defined(i, j)) {
          ++undefined;
        } else {
          const int bin = static_cast<int>(std::acos(cosines.cosine(i, j)) * binsPerRadian);
          ++local[static_cast<size_t>(std::clamp(bin, 0, options.bins - 1))];
          ++counted;
        }
      }
    }
#pragma omp critical(attnscope_angle_histogram)
    for (int b = 0; b < options.bins; ++b) result.counts[static_cast<size_t>(b)] += local[static_cast<size_t>(b)];
  }
  result.counted = counted;
  result.skippedUndefined = undefined;
  result.skippedExcluded = excluded;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------

QueryKeyPlane queryKeyPlane(const Eigen::Ref<const VectorD>& query, const Eigen::Ref<const VectorD>& key) {
  const double queryLength = stableNorm(query);
  if (queryLength == 0.0)
    throw InputError("the query is the zero vector: its angle to a key is undefined; give a query with a direction");
  QueryKeyPlane plane;
  plane.e1 = query / queryLength;
  plane.keyLength = stableNorm(key);
  if (plane.keyLength > 0.0) {
    const VectorD unitK = key / plane.keyLength;
    const double along = unitK.dot(plane.e1);
    const VectorD residual = unitK - along * plane.e1;
    const double across = residual.norm();
    plane.keyRadians = std::atan2(across, along);
    if (across > 1e-6) plane.e2 = residual / across;
  }
  if (plane.e2.size() == 0) {
    Eigen::Index axis = 0;
    plane.e1.cwiseAbs().minCoeff(&axis);
    plane.e2 = VectorD::Unit(query.size(), axis) - plane.e1(axis) * plane.e1;
    plane.e2 -= plane.e2.dot(plane.e1) * plane.e1;  // second pass: Gram-Schmidt loses orthogonality once
    plane.e2.normalize();
  }
  return plane;
}

VectorD QueryKeyPlane::keyAt(double degrees, std::optional<double> length) const {
  const double theta = degreesToRadians(degrees);
  return length.value_or(keyLength) * (std::cos(theta) * e1 + std::sin(theta) * e2);
}

AngleSweep angleSweep(const VectorView& query, const MatrixView& keys, const AngleSweepOptions& options) {
  requireNonEmpty(keys, "keys K");
  requireFinite(keys, "keys K");
  requireFiniteVector(query, "query q");
  const Eigen::Index d = keys.cols(), m = keys.rows();
  if (query.size() != d)
    throw InputError("query q has dimension " + std::to_string(query.size()) + " but keys K have dimension " +
                     std::to_string(d) + "; they must match");
  if (d < 2) throw InputError("an angle sweep needs vectors of dimension d >= 2 to rotate in; got d = 1");
  if (options.samples < 2 || options.samples > 100000)
    throw InputError("angle sweep needs between 2 and 100000 samples; got " + std::to_string(options.samples));
  if (options.sweptKey < 0 || options.sweptKey >= m)
    throw InputError("swept key index " + std::to_string(options.sweptKey) + " is out of range: there are " +
                     std::to_string(m) + " keys");
  if (options.kernels.empty()) throw InputError("angle sweep needs at least one kernel");
  for (const auto& norm : {options.queryNorm, options.keyNorm})
    if (norm && !(std::isfinite(*norm) && *norm >= 0.0f))
      throw InputError("sweep norms must be finite and >= 0; got " + std::to_string(*norm));
  const auto& componentKeys = options.attention.gaussian.componentKeys;
  for (size_t r = 0; r < componentKeys.size(); ++r)
    if (componentKeys[r].rows() != m || componentKeys[r].cols() != d)
      throw InputError("MGK component key matrix " + std::to_string(r) + " is " +
                       std::to_string(componentKeys[r].rows()) + " x " + std::to_string(componentKeys[r].cols()) +
                       " but the keys are " + std::to_string(m) + " x " + std::to_string(d));

  // The rotation plane: e1 along q, e2 along the part of k orthogonal to q. When k has (almost) no such part, any
  // direction orthogonal to q gives the same sweep up to the fixed other keys; the least aligned axis is the most
  // accurate choice.
  const VectorD q = query.cast<double>();
  const double queryLength = stableNorm(q);
  const QueryKeyPlane plane = queryKeyPlane(q, keys.row(options.sweptKey).transpose().cast<double>());
  const VectorD &e1 = plane.e1, &e2 = plane.e2;
  const double keyLength = plane.keyLength;
  const double startAngle = plane.keyRadians;

  const double sweptQueryLength = options.queryNorm ? *options.queryNorm : queryLength;
  const double sweptKeyLength = options.keyNorm ? *options.keyNorm : keyLength;
  const double componentScale = keyLength > 0.0 ? sweptKeyLength / keyLength : 1.0;
  const RowMatrix sweptQuery = (e1 * sweptQueryLength).transpose().cast<float>();
  const int samples = options.samples;

  AngleSweep result;
  result.anglesDegrees.resize(samples);
  result.anglePart.resize(samples);
  const float scale = options.attention.scale.value_or(1.0f / std::sqrt(static_cast<float>(d)));
  result.normPart = static_cast<float>(scale * sweptQueryLength * sweptKeyLength);

  AttentionOptions attention = options.attention;
  attention.causal = false;
  attention.keepMask.reset();
  attention.computeScores = true;
  result.curves.resize(options.kernels.size());
  for (size_t k = 0; k < options.kernels.size(); ++k) {
    AngleSweepCurve& curve = result.curves[k];
    curve.kernel = options.kernels[k];
    curve.weights.resize(samples, m);
    curve.scores.resize(samples, m);
    curve.fallback.assign(static_cast<size_t>(samples), false);
  }

  // One working copy of the keys (and MGK component keys) whose swept row is overwritten per angle: memory stays
  // O(M d) however many samples, and every kernel sees the same geometry at a given angle.
  RowMatrix sweptKeys = keys;
  for (int s = 0; s < samples; ++s) {
    const double degrees = 180.0 * s / (samples - 1);
    const double theta = degreesToRadians(degrees);
    // Exact values at the landmark angles so "orthogonal" really is orthogonal.
    double c = std::cos(theta), sn = std::sin(theta);
    if (2 * s == samples - 1) c = 0.0, sn = 1.0;
    if (s == samples - 1) c = -1.0, sn = 0.0;
    result.anglesDegrees(s) = static_cast<float>(degrees);
    result.anglePart(s) = static_cast<float>(c);
    sweptKeys.row(options.sweptKey) = (sweptKeyLength * (c * e1 + sn * e2)).transpose().cast<float>();
    for (size_t r = 0; r < componentKeys.size(); ++r) {
      // Turn the position's component centre by the same plane rotation that takes k from its own angle to theta.
      const double phi = theta - startAngle;
      const double cp = std::cos(phi), sp = std::sin(phi);
      const VectorD centre = componentKeys[r].row(options.sweptKey).transpose().cast<double>();
      const double a = centre.dot(e1), b = centre.dot(e2);
      const VectorD turned = centre + (a * cp - b * sp - a) * e1 + (a * sp + b * cp - b) * e2;
      attention.gaussian.componentKeys[r].row(options.sweptKey) = (componentScale * turned).transpose().cast<float>();
    }
    for (AngleSweepCurve& curve : result.curves) {
      const AttentionResult out = computeAttention(curve.kernel, sweptQuery, sweptKeys, attention);
      curve.weights.row(s) = out.weights.row(0);
      curve.scores.row(s) = out.scores.row(0);
      curve.fallback[static_cast<size_t>(s)] = !out.fallbackRows.empty();
    }
  }
  result.logit = result.normPart * result.anglePart;
  for (AngleSweepCurve& curve : result.curves) {
    curve.sweptWeight = curve.weights.col(options.sweptKey);
    curve.sweptScore = curve.scores.col(options.sweptKey);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------

PcaBasis jointPca(const MatrixView& Q, const MatrixView& K, const PcaOptions& options) {
  requireNonEmpty(Q, "queries Q");
  requireNonEmpty(K, "keys K");
  requireSameDimension(Q, "queries Q", K, "keys K");
  requireFinite(Q, "queries Q");
  requireFinite(K, "keys K");
  if (options.components < 1 || options.components > 16)
    throw InputError("PCA components must be between 1 and 16; got " + std::to_string(options.components));
  const Eigen::Index d = Q.cols();
  const Eigen::Index n = Q.rows() + K.rows();
  const Eigen::Index k = std::min<Eigen::Index>(options.components, d);

  // Double precision throughout: clouds far from the origin (mean 1e6, spread 1) lose their spread in float.
  RowMatrixD X(n, d);
  X.topRows(Q.rows()) = Q.cast<double>();
  X.bottomRows(K.rows()) = K.cast<double>();
  const VectorD mean = X.colwise().mean().transpose();
  X.rowwise() -= mean.transpose();
  const double totalVariance = X.squaredNorm() / static_cast<double>(n);

  RowMatrixD basis(k, d);  // rows = components
  bool coordinateAxes = false;
  if (options.keepCoordinatesWhenDimensionFits && d <= options.components) {
    basis = RowMatrixD::Identity(k, d);
    coordinateAxes = true;
  } else {
    Eigen::Index found = 0;
    if (n >= d) {
      // Covariance route (d x d): its eigenvectors are orthonormal even for zero eigenvalues.
      RowMatrixD covariance = RowMatrixD::Zero(d, d);
      covariance.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose(), 1.0 / static_cast<double>(n));
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance.selfadjointView<Eigen::Lower>());
      for (; found < k; ++found) basis.row(found) = solver.eigenvectors().col(d - 1 - found).transpose();
    } else {
      // Fewer points than dimensions: the n x n Gram matrix has the same nonzero spectrum; map its eigenvectors
      // back with X^T. Directions of (numerically) zero variance are left to the completion below.
      RowMatrixD gram = RowMatrixD::Zero(n, n);
      gram.selfadjointView<Eigen::Lower>().rankUpdate(X, 1.0 / static_cast<double>(n));
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram.selfadjointView<Eigen::Lower>());
      const double largest = std::max(0.0, solver.eigenvalues()(n - 1));
      const double tolerance = static_cast<double>(std::max(n, d)) * DBL_EPSILON * largest;
      for (Eigen::Index r = 0; r < std::min(k, n); ++r) {
        const double eigenvalue = solver.eigenvalues()(n - 1 - r);
        if (!(eigenvalue > tolerance) || largest == 0.0) break;
        VectorD direction = X.transpose() * solver.eigenvectors().col(n - 1 - r);
        for (Eigen::Index p = 0; p < found; ++p) direction -= basis.row(p).dot(direction) * basis.row(p).transpose();
        const double length = direction.norm();
        if (!(length > 0.0)) break;
        basis.row(found++) = (direction / length).transpose();
      }
    }
    // Completion: coordinate axes made orthogonal to what was found (twice, for accuracy), in axis order.
    for (Eigen::Index axis = 0; found < k && axis < d; ++axis) {
      VectorD direction = VectorD::Unit(d, axis);
      for (int pass = 0; pass < 2; ++pass)
        for (Eigen::Index p = 0; p < found; ++p) direction -= basis.row(p).dot(direction) * basis.row(p).transpose();
      const double length = direction.norm();
      if (length > 0.5) basis.row(found++) = (direction / length).transpose();
    }
    for (Eigen::Index r = 0; r < k; ++r) fixSign(basis.row(r).transpose());
  }

  PcaBasis result;
  result.coordinateAxes = coordinateAxes;
  result.mean = coordinateAxes ? Vector::Zero(d) : Vector(mean.cast<float>());
  result.components = basis.cast<float>();
  result.totalVariance = static_cast<float>(totalVariance);
  result.explainedVariance.resize(k);
  result.explainedRatio.resize(k);
  for (Eigen::Index r = 0; r < k; ++r) {
    // Measured, not taken from the eigenvalue: also right for completed directions and coordinate axes.
    const double variance = (X * basis.row(r).transpose()).squaredNorm() / static_cast<double>(n);
    result.explainedVariance(r) = static_cast<float>(variance);
    result.explainedRatio(r) = totalVariance > 0.0 ? static_cast<float>(std::min(1.0, variance / totalVariance)) : 0.0f;
  }
  return result;
}

RowMatrix projectOntoBasis(const PcaBasis& basis, const MatrixView& X) {
  const Eigen::Index d = basis.components.cols();
  if (X.cols() != d)
    throw InputError("cannot project vectors of dimension " + std::to_string(X.cols()) +
                     " onto a PCA basis of dimension " + std::to_string(d));
  requireFinite(X, "vectors to project");
  RowMatrix projected(X.rows(), basis.components.rows());
  projected.noalias() = (X.rowwise() - basis.mean.transpose()) * basis.components.transpose();
  return projected;
}

// ---------------------------------------------------------------------------------------------------------------

RowEntropy rowEntropy(const MatrixView& weights) {
  requireNonEmpty(weights, "attention weights");
  const Eigen::Index n = weights.rows(), m = weights.cols();
  // One pass for the common case: 0 <= w < inf is false for NaN, Inf and negatives alike; then find which it was.
  if (!((weights.array() >= 0.0f) && (weights.array() <= std::numeric_limits<float>::max())).all()) {
    requireFinite(weights, "attention weights");
    Eigen::Index row = 0, col = 0;
    const float lowest = weights.minCoeff(&row, &col);
    throw InputError("attention weights must be non-negative; row " + std::to_string(row) + ", column " +
                     std::to_string(col) + " is " + std::to_string(lowest));
  }
  RowEntropy result;
  result.entropyNats.resize(n);
  result.effectiveKeys.resize(n);
  result.emptyRow.assign(static_cast<size_t>(n), false);
  const float maxEntropy = std::log(static_cast<float>(m));
  std::vector<std::uint8_t> empty(static_cast<size_t>(n), 0);  // not vector<bool>: threads write neighbouring rows
#pragma omp parallel for schedule(static) if (n * m > 65536)
  for (Eigen::Index i = 0; i < n; ++i) {
    const float largest = weights.row(i).maxCoeff();
    float entropy = 0.0f;
    if (largest > 0.0f) {
      // Scaled by the largest entry first so the row sum cannot overflow for huge unnormalised scores.
      Eigen::ArrayXf p = weights.row(i).transpose().array() / largest;
      p /= p.sum();
      // 0 log 0 = 0 without a branch: log of max(p, FLT_MIN) is finite, and 0 times it is 0.
      entropy = -(p * p.max(FLT_MIN).log()).sum();
    } else {
      empty[static_cast<size_t>(i)] = 1;
    }
    entropy = std::clamp(entropy, 0.0f, maxEntropy);  // rounding must not leave the mathematically possible range
    result.entropyNats(i) = entropy;
    result.effectiveKeys(i) = std::exp(entropy);
  }
  for (Eigen::Index i = 0; i < n; ++i) result.emptyRow[static_cast<size_t>(i)] = empty[static_cast<size_t>(i)] != 0;
  return result;
}

NumericalRank numericalRank(const MatrixView& weights, const RankOptions& options) {
  requireNonEmpty(weights, "weight matrix");
  requireFinite(weights, "weight matrix");
  if (!std::isfinite(options.tolerance))
    throw InputError("rank tolerance must be finite (or negative for the default)");
  const Eigen::Index n = weights.rows(), m = weights.cols();
  const Eigen::Index small = std::min(n, m);
  const RowMatrixD A = weights.cast<double>();
  RowMatrixD gram = RowMatrixD::Zero(small, small);
  if (n <= m)
    gram.selfadjointView<Eigen::Lower>().rankUpdate(A);
  else
    gram.selfadjointView<Eigen::Lower>().rankUpdate(A.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram.selfadjointView<Eigen::Lower>(), Eigen::EigenvaluesOnly);
  NumericalRank result;
  result.singularValues.resize(small);
  for (Eigen::Index r = 0; r < small; ++r)
    result.singularValues(r) = std::sqrt(std::max(0.0, solver.eigenvalues()(small - 1 - r)));
  const double largest = result.singularValues(0);
  result.tolerance =
      options.tolerance >= 0.0 ? options.tolerance : static_cast<double>(std::max(n, m)) * FLT_EPSILON * largest;
  result.rank = static_cast<int>((result.singularValues.array() > result.tolerance).count());
  return result;
}

}  // namespace attnscope
