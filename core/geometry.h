// Geometry of one attention head: angles between queries and keys, their classification, the angle sweep behind the
// parallel / orthogonal / antiparallel plots, a joint PCA basis for 2D/3D views, and weight-matrix statistics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/attention_kernels.h"
#include "core/types.h"

namespace attnscope {

// ---------------------------------------------------------------------------------------------------------------
// Cosines and angles

/// Cosines between every query and every key, plus which vectors had no direction.
/// A zero vector (all entries exactly 0) has no angle to anything: its cosines are defined as 0 (so its angle reads
/// as 90 degrees) and it is flagged, so views can grey it out and statistics can skip it. Tiny but nonzero vectors
/// (norm 1e-20) and huge ones (1e6) keep their true direction: rows are rescaled before normalising.
struct CosineMatrix {
  RowMatrix cosine;             ///< N x M, entries in [-1, 1]; 0 where the query or the key is a zero vector.
  std::vector<bool> zeroQuery;  ///< N flags: query i is the zero vector.
  std::vector<bool> zeroKey;    ///< M flags: key j is the zero vector.
  Eigen::Index zeroQueryCount = 0;
  Eigen::Index zeroKeyCount = 0;

  /// True when the pair (i, j) has a defined angle (neither vector is zero).
  bool defined(Eigen::Index i, Eigen::Index j) const { return !zeroQuery[i] && !zeroKey[j]; }
};

/// Q: N x d queries, one per row; K: M x d keys. Returns the N x M cosine matrix (one GEMM of unit rows).
/// Throws InputError on empty input, mismatched d or NaN/Inf entries.
CosineMatrix cosineMatrix(const MatrixView& Q, const MatrixView& K);

/// Angles in degrees, [0, 180], from a cosine matrix (N x M in, N x M out). Pairs with a zero vector read 90.
RowMatrix anglesDegrees(const CosineMatrix& cosines);

/// Convenience: Q: N x d, K: M x d; returns the N x M angle matrix in degrees.
RowMatrix angleMatrixDegrees(const MatrixView& Q, const MatrixView& K);

// ---------------------------------------------------------------------------------------------------------------
// Classification of pairs and angle histogram

enum class PairClass : std::uint8_t {
  parallel = 0,      ///< angle <= band
  orthogonal = 1,    ///< |angle - 90| <= band
  antiparallel = 2,  ///< angle >= 180 - band
  other = 3,         ///< none of the above
  undefined = 4,     ///< the query or the key is a zero vector
  excluded = 5,      ///< masked out by the causal option
};

struct PairClassOptions {
  /// Half-width of each class in degrees; must be in [0, 45) so the three classes cannot overlap.
  float bandDegrees = 15.0f;
  /// Count only pairs a causal head can attend: key j for query i when j <= i + (M - N) (queries are the last N
  /// positions of the M keys). Other pairs are classified `excluded`.
  bool causal = false;
};

using PairClassMatrix = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Per-head summary. Fractions are over the `counted` pairs (defined and not excluded); all 0 when counted is 0.
struct PairClassification {
  PairClassMatrix classes;  ///< N x M, values of PairClass.
  std::int64_t parallelCount = 0, orthogonalCount = 0, antiparallelCount = 0, otherCount = 0;
  std::int64_t undefinedCount = 0, excludedCount = 0;
  std::int64_t counted = 0;
  double parallelFraction = 0, orthogonalFraction = 0, antiparallelFraction = 0, otherFraction = 0;
};

/// cosines: N x M from cosineMatrix. Throws InputError for a band outside [0, 45).
PairClassification classifyPairs(const CosineMatrix& cosines, const PairClassOptions& options = {});

struct AngleHistogramOptions {
  int bins = 36;        ///< equal bins over [0, 180] degrees; must be >= 1. The last bin includes 180.
  bool causal = false;  ///< same meaning as PairClassOptions::causal
};

struct AngleHistogram {
  std::vector<std::int64_t> counts;  ///< `bins` entries; bin b covers [b w, (b + 1) w) with w = binWidthDegrees.
  float binWidthDegrees = 0;
  std::int64_t counted = 0;           ///< pairs in the histogram
  std::int64_t skippedUndefined = 0;  ///< pairs with a zero vector (no angle)
  std::int64_t skippedExcluded = 0;   ///< pairs removed by the causal option
};

/// cosines: N x M from cosineMatrix.
AngleHistogram angleHistogram(const CosineMatrix& cosines, const AngleHistogramOptions& options = {});

// ---------------------------------------------------------------------------------------------------------------
// Angle sweep

/// One kernel's response over the sweep.
struct AngleSweepCurve {
  Kernel kernel = Kernel::Dpa;
  Vector sweptWeight;          ///< S: weight the query gives the swept key at each angle
  Vector sweptScore;           ///< S: the swept key's pre-normalisation score (AttentionResult::scores) at each angle
  RowMatrix weights;           ///< S x M: every key's weight at each angle (row s sums to 1)
  RowMatrix scores;            ///< S x M: every key's pre-normalisation score
  std::vector<bool> fallback;  ///< S flags: the kernel fell back to uniform weights (AttentionResult::fallbackRows:
                               ///< EA with every key orthogonal, MGK/MLK with zero score mass)
};

/// Data behind the parallel / orthogonal / antiparallel plots.
struct AngleSweep {
  Vector anglesDegrees;  ///< S angles, evenly spaced from 0 to 180 inclusive
  /// Logit split of dot-product attention for the swept key: x = s |q||k| cos(theta) = normPart * anglePart.
  float normPart = 0;                   ///< s |q| |k| (constant over the sweep; s = attention.scale or 1/sqrt(d))
  Vector anglePart;                     ///< S: cos(theta)
  Vector logit;                         ///< S: normPart * anglePart
  std::vector<AngleSweepCurve> curves;  ///< one per requested kernel, in request order
};

struct AngleSweepOptions {
  /// Kernels to sweep, each giving one curve (in this order).
  std::vector<Kernel> kernels{Kernel::Dpa, Kernel::Ea, Kernel::Mgk};
  /// Number of angles S >= 2, evenly spaced over [0, 180] degrees inclusive (181 gives whole degrees).
  int samples = 181;
  /// Row of the key matrix that rotates; every other key stays fixed.
  Eigen::Index sweptKey = 0;
  /// Norm of the query during the sweep (>= 0); unset keeps the query's own norm.
  std::optional<float> queryNorm;
  /// Norm of the swept key (>= 0); unset keeps its own norm.
  std::optional<float> keyNorm;
  /// Kernel options (scale, EA form, cosine temperature, MGK components). Masks are ignored: one query sees every key.
  /// MGK with componentKeys: every component of the swept position turns by the same plane rotation as the key and
  /// is scaled by the same norm factor; shifts are added to the rotated key as usual.
  AttentionOptions attention;
};

/// The plane a key turns in against a query: e1 = q / |q|, e2 the unit part of k orthogonal to q, or, when k is
/// parallel, antiparallel or zero to q (no plane), the coordinate axis least aligned with q made orthogonal to it.
/// The key at angle theta is then |k| (cos theta e1 + sin theta e2). Shared by the angle sweep and the app's sweep
/// frames, so both turn a key the same way.
struct QueryKeyPlane {
  VectorD e1, e2;           ///< d each, orthonormal
  double keyRadians = 0.0;  ///< the key's own angle to q in [0, pi] (0 for a zero key)
  double keyLength = 0.0;   ///< |k|
  /// The key rotated to `degrees` from the query in this plane, of length `length` (default |k|): d-vector.
  VectorD keyAt(double degrees, std::optional<double> length = std::nullopt) const;
};
/// query, key: d-vectors, d >= 2. Throws InputError for a zero query (its angle to a key is undefined).
QueryKeyPlane queryKeyPlane(const Eigen::Ref<const VectorD>& query, const Eigen::Ref<const VectorD>& key);

/// query: d-vector (nonzero direction), keys: M x d with d >= 2. The swept key k turns in the plane spanned by q and
/// k (or by q and the coordinate axis least aligned with q when k is parallel, antiparallel or zero to q), so at
/// sample s it is |k| (cos theta_s e1 + sin theta_s e2), e1 = q / |q|. Each kernel is called through
/// computeAttention with one query row. Throws InputError on bad shapes, NaN/Inf, a zero query or bad options.
AngleSweep angleSweep(const VectorView& query, const MatrixView& keys, const AngleSweepOptions& options = {});

// ---------------------------------------------------------------------------------------------------------------
// Joint PCA of queries and keys

struct PcaOptions {
  /// Components to keep (2 or 3 for views; any value in [1, 16] is accepted). Clamped to d: a d = 2 head never gets
  /// a third axis.
  int components = 2;
  /// When d <= components, return the coordinate axes with a zero mean instead of a fitted basis, so the projection
  /// of a 2D head is its own coordinates (what a teacher drawing 2D vectors expects).
  bool keepCoordinatesWhenDimensionFits = true;
};

/// An orthonormal basis for projecting d-dimensional vectors: y = (x - mean) * components^T.
struct PcaBasis {
  Vector mean;               ///< d: joint mean of the stacked queries and keys (0 for the coordinate basis)
  RowMatrix components;      ///< k x d, orthonormal rows sorted by decreasing variance (coordinate axes: in axis order)
  Vector explainedVariance;  ///< k: variance of the stacked cloud along each component (divides by n, not n-1)
  Vector explainedRatio;     ///< k: explainedVariance / totalVariance (0 when the cloud is constant)
  float totalVariance = 0;   ///< sum of the variances along all d axes
  bool coordinateAxes = false;  ///< true when keepCoordinatesWhenDimensionFits applied
};

/// Q: N x d, K: M x d (stacked, centred on their joint mean). Returns a k x d basis with k = min(components, d).
/// Stable for constant or rank-deficient clouds and for N + M < d: directions without variance are completed with
/// orthonormal directions (explained variance 0), never NaN. Component signs are fixed so the entry with the
/// largest magnitude is positive, making the basis reproducible.
PcaBasis jointPca(const MatrixView& Q, const MatrixView& K, const PcaOptions& options = {});

/// X: n x d; returns n x k coordinates in the basis.
RowMatrix projectOntoBasis(const PcaBasis& basis, const MatrixView& X);

// ---------------------------------------------------------------------------------------------------------------
// Weight-matrix statistics

/// Entropy of each row of attention weights and its exponential, the effective number of keys attended.
struct RowEntropy {
  Vector entropyNats;          ///< N: H_i = -sum_j p_ij log p_ij with 0 log 0 = 0, in [0, log M]
  Vector effectiveKeys;        ///< N: exp(H_i), in [1, M]
  std::vector<bool> emptyRow;  ///< N flags: the row summed to 0 (fully masked); H = 0, effective keys 1 by definition
};

/// weights: N x M, non-negative (NaN/Inf or negative entries throw InputError). Each row is divided by its sum first
/// so unnormalised scores are accepted too.
RowEntropy rowEntropy(const MatrixView& weights);

struct RankOptions {
  /// Singular values <= tolerance count as zero. A value < 0 selects the default max(N, M) * eps_float * sigma_max,
  /// the float32 rule of numpy.linalg.matrix_rank, appropriate since weights are float32.
  double tolerance = -1.0;
};

struct NumericalRank {
  int rank = 0;
  double tolerance = 0;    ///< the tolerance actually used
  VectorD singularValues;  ///< min(N, M) values, decreasing
};

/// weights: N x M (any real matrix). Singular values come from the eigenvalues of the smaller Gram matrix in double
/// precision, accurate to about 1e-8 sigma_max, well under the default tolerance. A zero matrix has rank 0.
NumericalRank numericalRank(const MatrixView& weights, const RankOptions& options = {});

}  // namespace attnscope
