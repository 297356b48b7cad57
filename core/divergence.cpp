// Alignment divergences between queries and keys (MATH.md section 4). Everything runs in double precision: the
// inputs are float, but CT plans, kernel sums and covariance algebra cancel terms that float cannot resolve.
#include "core/divergence.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/validate.h"

namespace attnscope {
namespace {

constexpr std::array<Metric, 7> kMetrics = {Metric::Ct,       Metric::Chamfer, Metric::Mmd,    Metric::MmdUnbiased,
                                            Metric::Sinkhorn, Metric::GaussKl, Metric::GaussW2};

// Column blocks of this width keep one block of every row in L1/L2 while column-wise reductions stream a row-major
// matrix, so no transposed copy is needed.
constexpr Eigen::Index kColumnBlock = 256;
// Row blocks for the blockwise kernel sums of MMD: a 256 x M double block is at most a few MB.
constexpr Eigen::Index kRowBlock = 256;
// The median heuristic looks at all pairs of at most this many pooled points (an evenly spaced subset beyond).
constexpr Eigen::Index kMedianPoints = 1024;
// Sinkhorn's epsilon scaling divides the temperature by 2 per sweep on its way down to the requested epsilon.
constexpr double kEpsilonScaling = 0.5;
// Below this many matrix entries a parallel region costs more than it saves (and on a loaded machine much more).
constexpr Eigen::Index kParallelMinEntries = 1 << 20;

void requireUsableInput(const MatrixView& Q, const MatrixView& K) {
  requireNonEmpty(Q, "queries Q");
  requireNonEmpty(K, "keys K");
  requireSameDimension(Q, "queries Q", K, "keys K");
  requireFinite(Q, "queries Q");
  requireFinite(K, "keys K");
}

// Refuses a computation whose N x M working matrices would exceed the budget, before anything is allocated.
void requireWithinBudget(double bytesPerEntry, Eigen::Index rows, Eigen::Index cols, const char* what,
                         const DivergenceOptions& options) {
  const double bytes = bytesPerEntry * static_cast<double>(rows) * static_cast<double>(cols);
  if (bytes > static_cast<double>(options.memoryBudgetBytes))
    throw ResourceError(std::string(what) + " of " + std::to_string(rows) + " x " + std::to_string(cols) + " needs " +
                        std::to_string(static_cast<long long>(bytes / (1 << 20))) + " MiB, over the budget of " +
                        std::to_string(options.memoryBudgetBytes >> 20) +
                        " MiB; use fewer queries/keys (e.g. subsample tokens) or a blockwise metric (mmd, gauss-*)");
}

void requirePositiveFinite(double value, const char* name) {
  if (!(std::isfinite(value) && value > 0.0))
    throw InputError(std::string(name) + " must be a positive finite number, got " + std::to_string(value));
}

RowMatrixD toDouble(const MatrixView& X) {
  return X.cast<double>();
}

// Rows divided by their norm; an all-zero row stays zero (it has no direction). `squaredNorms` receives 1 or 0 per
// row, the squared norm of the normalised row, so |t(a) - t(b)|^2 = |t(a)|^2 + |t(b)|^2 - 2 t(a).t(b) stays exact.
RowMatrixD unitRows(const MatrixView& X, VectorD& squaredNorms) {
  RowMatrixD unit = toDouble(X);
  squaredNorms.resize(unit.rows());
  for (Eigen::Index r = 0; r < unit.rows(); ++r) {
    const double norm = unit.row(r).norm();
    if (norm > 0.0) {
      unit.row(r) /= norm;
      squaredNorms(r) = 1.0;
    } else {
      squaredNorms(r) = 0.0;
    }
  }
  return unit;
}

// Cosines and ground cost between normalised keys (rows) and normalised queries (columns), as CT needs them.
struct DirectionalGeometry {
  RowMatrixD cosine;  // M x N, cos(k_i, q_j), 0 when either vector is zero
  VectorD keySquaredNorms, querySquaredNorms;
  TransportCost cost;

  /// Costs C_ij of key i to queries j in [first, first + count).
  Eigen::ArrayXd costs(Eigen::Index i, Eigen::Index first, Eigen::Index count) const {
    const auto cosines = cosine.row(i).segment(first, count).transpose().array();
    if (cost == TransportCost::OneMinusCos) return 1.0 - cosines;
    return (keySquaredNorms(i) + querySquaredNorms.segment(first, count).array() - 2.0 * cosines).max(0.0).sqrt();
  }
};

// exp of non-positive arguments (max-subtracted logits) as a lazy Eigen expression, so the exp fuses with what
// consumes it (a sum, an assignment) into one vectorised loop. Arguments below -700 are clamped so no result is a
// (slow) denormal; each clamped term changes a sum that is >= 1 by less than 1e-304. Use within one full expression.
template <typename Derived>
auto expNonPositive(const Eigen::ArrayBase<Derived>& arguments) {
  return arguments.max(-700.0).exp();
}

DirectionalGeometry directionalGeometry(const MatrixView& Q, const MatrixView& K, TransportCost cost) {
  DirectionalGeometry geometry;
  const RowMatrixD unitQ = unitRows(Q, geometry.querySquaredNorms);
  const RowMatrixD unitK = unitRows(K, geometry.keySquaredNorms);
  geometry.cosine.noalias() = unitK * unitQ.transpose();
  // Rounding can push |cos| a hair above 1; clamping keeps the cost real and the Chamfer limit exact.
  geometry.cosine = geometry.cosine.cwiseMax(-1.0).cwiseMin(1.0);
  geometry.cost = cost;
  return geometry;
}

void requireCtOptions(const DivergenceOptions& options) {
  if (!(options.rho >= 0.0 && options.rho <= 1.0))
    throw InputError("rho must lie in [0, 1], got " + std::to_string(options.rho));
  requirePositiveFinite(options.tau, "tau");
}

// ---------------------------------------------------------------------------------------------------------------
// MMD helpers.

// Pooled rows of Q and K, centred on their common mean: distances do not change, and the GEMM form
// |x|^2 + |y|^2 - 2 x.y loses far less to cancellation when the clouds sit far from the origin.
RowMatrixD pooledCentred(const MatrixView& Q, const MatrixView& K) {
  RowMatrixD pooled(Q.rows() + K.rows(), Q.cols());
  pooled.topRows(Q.rows()) = Q.cast<double>();
  pooled.bottomRows(K.rows()) = K.cast<double>();
  const Eigen::RowVectorXd mean = pooled.colwise().mean();
  pooled.rowwise() -= mean;
  return pooled;
}

// Squared distances between rows [start, start + rows) of A and all rows of B, clamped at 0 against rounding.
RowMatrixD squaredDistanceBlock(const RowMatrixD& A, const VectorD& aSquared, Eigen::Index start, Eigen::Index rows,
                                const RowMatrixD& B, const VectorD& bSquared) {
  RowMatrixD block(rows, B.rows());
  block.noalias() = -2.0 * A.middleRows(start, rows) * B.transpose();
  block.colwise() += aSquared.segment(start, rows);
  block.rowwise() += bSquared.transpose();
  return block.cwiseMax(0.0);
}

// sigma = median Euclidean distance over the distinct pairs of the pooled points (numpy.median convention: the mean
// of the two middle values for an even count). Beyond kMedianPoints points, only the evenly spaced subset with
// indices floor(s * P / kMedianPoints) takes part, which keeps this O(kMedianPoints^2) for any cloud size.
double medianHeuristicBandwidth(const RowMatrixD& pooled) {
  const Eigen::Index total = pooled.rows();
  const Eigen::Index count = std::min(total, kMedianPoints);
  RowMatrixD subset(count, pooled.cols());
  for (Eigen::Index s = 0; s < count; ++s) subset.row(s) = pooled.row(s * total / count);
  const VectorD squared = subset.rowwise().squaredNorm();
  std::vector<double> pairs;
  pairs.reserve(static_cast<size_t>(count * (count - 1) / 2));
  for (Eigen::Index start = 0; start < count; start += kRowBlock) {
    const Eigen::Index rows = std::min(kRowBlock, count - start);
    const RowMatrixD block = squaredDistanceBlock(subset, squared, start, rows, subset, squared);
    for (Eigen::Index r = 0; r < rows; ++r) {
      const double* row = block.row(r).data();  // row-major: the pairs (start + r, c > start + r) are contiguous
      pairs.insert(pairs.end(), row + start + r + 1, row + count);
    }
  }
  // count >= 2 always (N, M >= 1), so there is at least one pair.
  const size_t upper = pairs.size() / 2;
  std::nth_element(pairs.begin(), pairs.begin() + static_cast<std::ptrdiff_t>(upper), pairs.end());
  double median = std::sqrt(pairs[upper]);
  if (pairs.size() % 2 == 0) {
    const double lower = *std::max_element(pairs.begin(), pairs.begin() + static_cast<std::ptrdiff_t>(upper));
    median = 0.5 * (median + std::sqrt(lower));
  }
  if (median > 0.0) return median;
  // More than half of the pairs coincide: fall back to the mean non-zero distance, and to 1 if all points coincide
  // (then every kernel value is 1 and MMD^2 is 0 whatever sigma is).
  double sum = 0.0;
  size_t nonZero = 0;
  for (double d2 : pairs)
    if (d2 > 0.0) {
      sum += std::sqrt(d2);
      ++nonZero;
    }
  return nonZero > 0 ? sum / static_cast<double>(nonZero) : 1.0;
}

// Sum of k(a, b) = exp(-|a - b|^2 / (2 sigma^2)) over all rows a of A and b of B, in row blocks (no N x M matrix).
// With `same`, A and B are one matrix: only the upper block triangle is computed (off-diagonal blocks count twice)
// and the diagonal distances are set to exactly 0 (the GEMM form leaves tiny residues).
double kernelSum(const RowMatrixD& A, const RowMatrixD& B, double sigma, bool same) {
  const VectorD aSquared = A.rowwise().squaredNorm();
  const VectorD bSquared = same ? aSquared : VectorD(B.rowwise().squaredNorm());
  const double scale = -1.0 / (2.0 * sigma * sigma);
  const Eigen::Index blocks = (A.rows() + kRowBlock - 1) / kRowBlock;
  double total = 0.0;
#pragma omp parallel for reduction(+ : total) schedule(dynamic) if (A.rows() * B.rows() >= kParallelMinEntries)
  for (Eigen::Index b = 0; b < blocks; ++b) {
    const Eigen::Index start = b * kRowBlock;
    const Eigen::Index rows = std::min(kRowBlock, A.rows() - start);
    if (!same) {
      const RowMatrixD block = squaredDistanceBlock(A, aSquared, start, rows, B, bSquared);
      total += expNonPositive(block.array() * scale).sum();
      continue;
    }
    const Eigen::Index tail = A.rows() - start;
    RowMatrixD block(rows, tail);
    block.noalias() = -2.0 * A.middleRows(start, rows) * A.middleRows(start, tail).transpose();
    block.colwise() += aSquared.segment(start, rows);
    block.rowwise() += aSquared.segment(start, tail).transpose();
    block = block.cwiseMax(0.0);
    for (Eigen::Index r = 0; r < rows; ++r) block(r, r) = 0.0;
    total += expNonPositive(block.leftCols(rows).array() * scale).sum() +
             2.0 * expNonPositive(block.rightCols(tail - rows).array() * scale).sum();
  }
  return total;
}

// ---------------------------------------------------------------------------------------------------------------
// Sinkhorn helpers.

struct EntropicOtSolution {
  double value = 0.0;
  int iterations = 0;
  bool converged = false;
  double marginalError = std::numeric_limits<double>::infinity();
};

// Ground cost between the rows of X (n x d) and Y (m x d) in the GEMM form; with `same`, X and Y are one cloud and the
// diagonal is exactly 0.
RowMatrixD sinkhornCostMatrix(const RowMatrixD& X, const RowMatrixD& Y, bool same, SinkhornCost kind) {
  const VectorD xSquared = X.rowwise().squaredNorm();
  const VectorD ySquared = Y.rowwise().squaredNorm();
  RowMatrixD cost(X.rows(), Y.rows());
  cost.noalias() = -2.0 * X * Y.transpose();
  cost.colwise() += xSquared;
  cost.rowwise() += ySquared.transpose();
  cost = cost.cwiseMax(0.0);
  if (same) cost.diagonal().setZero();
  if (kind == SinkhornCost::Euclid) cost = cost.cwiseSqrt();
  return cost;
}

// -eps log sum_j w_j exp((p_j - C_ij) / eps) for every row i, with log w_j = logWeight: the row-wise soft-min.
void softMinRows(const RowMatrixD& cost, const VectorD& potential, double logWeight, double eps, VectorD& out) {
#pragma omp parallel for schedule(static) if (cost.size() >= kParallelMinEntries)
  for (Eigen::Index i = 0; i < cost.rows(); ++i) {
    const auto v = potential.array() - cost.row(i).transpose().array();  // lazy: C_i is read twice, from cache
    const double rowMax = v.maxCoeff();
    out(i) = -(rowMax + eps * (std::log(expNonPositive((v - rowMax) * (1.0 / eps)).sum()) + logWeight));
  }
}

// Runs `sweep(eps)` (one Sinkhorn sweep returning the L1 marginal error) with epsilon scaling: plain Sinkhorn needs
// O(maxCost / eps) sweeps to move mass across the cloud, so the temperature starts at the largest cost and halves
// towards the target, one sweep per level. The potentials carry over as a warm start; the fixed point at the target
// eps is unchanged. Then sweeps at the target eps until the error is below the tolerance or the cap is reached.
template <typename Sweep>
EntropicOtSolution runSinkhorn(double maxCost, const DivergenceOptions& options, Sweep&& sweep) {
  EntropicOtSolution solution;
  for (double eps = maxCost; eps > options.epsilon && solution.iterations < options.maxIterations;
       eps *= kEpsilonScaling) {
    solution.marginalError = sweep(eps);
    ++solution.iterations;
  }
  while (solution.iterations < options.maxIterations) {
    solution.marginalError = sweep(options.epsilon);
    ++solution.iterations;
    if (solution.marginalError < options.tolerance) {
      solution.converged = true;
      break;
    }
  }
  return solution;
}

// Entropic OT between two uniform clouds with n x m cost C: min_P <P, C> + eps KL(P || a b^T), read off the dual
// <a, f> + <b, g>, which equals the primal objective at convergence. Log-domain updates
//   g_j = -eps log sum_i a_i exp((f_i - C_ij) / eps),   f_i = -eps log sum_j b_j exp((g_j - C_ij) / eps)
// never exponentiate a positive number, so tiny eps cannot overflow.
EntropicOtSolution entropicOt(const RowMatrixD& cost, const DivergenceOptions& options) {
  const Eigen::Index n = cost.rows(), m = cost.cols();
  const double logA = -std::log(static_cast<double>(n)), logB = -std::log(static_cast<double>(m));
  // The g update is a soft-min down the columns of C; a transposed copy turns it into a row pass too, so each
  // half-sweep reads its matrix once from memory with unit stride (rows fit in cache for the max and the exps).
  const RowMatrixD costTransposed = cost.transpose();
  VectorD f = VectorD::Zero(n), g(m), fNew(n);
  EntropicOtSolution solution = runSinkhorn(cost.maxCoeff(), options, [&](double eps) {
    softMinRows(costTransposed, f, logA, eps, g);
    softMinRows(cost, g, logB, eps, fNew);
    // The plan of (f, g) has exact column marginals and row sums a_i exp((f_i - fNew_i) / eps): a free check.
    const double error = std::exp(logA) * (((f - fNew).array() / eps).exp() - 1.0).abs().sum();
    f.swap(fNew);
    return error;
  });
  solution.value = f.mean() + g.mean();
  return solution;
}

// Entropic OT of a uniform cloud with itself (symmetric n x n cost). The optimal potentials are equal (f = g), and
// the averaged update f <- (f + T(f)) / 2 with T(f)_i = -eps log sum_j a_j exp((f_j - C_ij) / eps) converges in a
// few sweeps where alternating updates oscillate (Feydy et al. 2019). Value 2 <a, f>.
EntropicOtSolution symmetricEntropicOt(const RowMatrixD& cost, const DivergenceOptions& options) {
  const Eigen::Index n = cost.rows();
  const double logA = -std::log(static_cast<double>(n));
  VectorD f = VectorD::Zero(n), transformed(n);
  EntropicOtSolution solution = runSinkhorn(cost.maxCoeff(), options, [&](double eps) {
    softMinRows(cost, f, logA, eps, transformed);
    // Row sums of the plan of (f, f) are a_i exp((f_i - T(f)_i) / eps); columns are the same by symmetry.
    const double error = std::exp(logA) * (((f - transformed).array() / eps).exp() - 1.0).abs().sum();
    f = 0.5 * (f + transformed);
    return error;
  });
  solution.value = 2.0 * f.mean();
  return solution;
}

// ---------------------------------------------------------------------------------------------------------------
// Gaussian-fit helpers.

struct GaussianFit {
  VectorD mean;
  Eigen::MatrixXd covariance;  // maximum-likelihood (1/n), before regularisation
};

GaussianFit fitGaussian(const MatrixView& X) {
  const RowMatrixD data = toDouble(X);
  GaussianFit fit;
  fit.mean = data.colwise().mean().transpose();
  const RowMatrixD centred = data.rowwise() - fit.mean.transpose();
  fit.covariance = (centred.transpose() * centred) / static_cast<double>(data.rows());
  return fit;
}

double regularisationFor(const GaussianFit& a, const GaussianFit& b, const DivergenceOptions& options) {
  if (options.covarianceRegularisation) {
    const double lambda = *options.covarianceRegularisation;
    if (!(std::isfinite(lambda) && lambda >= 0.0))
      throw InputError("covariance regularisation must be a finite number >= 0, got " + std::to_string(lambda));
    return lambda;
  }
  const double d = static_cast<double>(a.mean.size());
  return 1e-6 * (a.covariance.trace() + b.covariance.trace()) / (2.0 * d) + 1e-9;
}

// KL(N(m1, S1) || N(m2, S2)) = (tr(S2^-1 S1) + (m2 - m1)^T S2^-1 (m2 - m1) - d + log det S2 - log det S1) / 2,
// with both Cholesky factors so no inverse is formed.
double gaussianKl(const VectorD& m1, const Eigen::LLT<Eigen::MatrixXd>& llt1, const VectorD& m2,
                  const Eigen::LLT<Eigen::MatrixXd>& llt2) {
  const Eigen::MatrixXd L1 = llt1.matrixL();
  const Eigen::MatrixXd whitened = llt2.matrixL().solve(L1);
  const VectorD shift = llt2.matrixL().solve(m2 - m1);
  const double logDet1 = 2.0 * llt1.matrixLLT().diagonal().array().log().sum();
  const double logDet2 = 2.0 * llt2.matrixLLT().diagonal().array().log().sum();
  const double d = static_cast<double>(m1.size());
  const double kl = 0.5 * (whitened.squaredNorm() + shift.squaredNorm() - d + logDet2 - logDet1);
  return std::max(0.0, kl);  // >= 0 in exact arithmetic; rounding can give -1e-16
}

Eigen::LLT<Eigen::MatrixXd> choleskyOf(const Eigen::MatrixXd& covariance, const char* which) {
  Eigen::LLT<Eigen::MatrixXd> llt(covariance);
  if (llt.info() != Eigen::Success)
    throw InputError(std::string("the fitted covariance of the ") + which +
                     " is not positive definite after regularisation; raise the covariance regularisation");
  return llt;
}

// Symmetric positive semidefinite square root; eigenvalues below 0 (rounding) are clipped.
Eigen::MatrixXd psdSqrt(const Eigen::MatrixXd& S) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(S);
  const VectorD roots = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return solver.eigenvectors() * roots.asDiagonal() * solver.eigenvectors().transpose();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

std::span<const Metric> allMetrics() {
  return kMetrics;
}

std::string_view metricName(Metric metric) {
  switch (metric) {
    case Metric::Ct:
      return "ct";
    case Metric::Chamfer:
      return "chamfer";
    case Metric::Mmd:
      return "mmd";
    case Metric::MmdUnbiased:
      return "mmd-unbiased";
    case Metric::Sinkhorn:
      return "sinkhorn";
    case Metric::GaussKl:
      return "gauss-kl";
    case Metric::GaussW2:
      return "gauss-w2";
  }
  return "unknown";
}

Metric parseMetric(std::string_view name) {
  std::string valid;
  for (Metric metric : kMetrics) {
    if (metricName(metric) == name) return metric;
    valid += (valid.empty() ? "" : ", ") + std::string(metricName(metric));
  }
  throw InputError("unknown divergence metric '" + std::string(name) + "'; expected one of " + valid);
}

std::string_view metricDescription(Metric metric) {
  switch (metric) {
    case Metric::Ct:
      return "Conditional transport: each key sends mass to queries it points towards (and back), paying the angular "
             "distance. Has a positive floor: identical clouds do not give 0.";
    case Metric::Chamfer:
      return "Chamfer distance: average angular distance from each key to its nearest query and back (CT as tau -> "
             "0). Gives 0 when every key direction is also a query direction, e.g. identical clouds.";
    case Metric::Mmd:
      return "Maximum mean discrepancy (squared, RBF kernel, biased estimator): how far apart the two clouds' kernel "
             "mean embeddings are. Never negative; identical clouds give exactly 0.";
    case Metric::MmdUnbiased:
      return "Maximum mean discrepancy (squared, RBF kernel, unbiased estimator): unbiased for the population value, "
             "so it can be slightly negative; identical clouds give a small negative value, not 0.";
    case Metric::Sinkhorn:
      return "Sinkhorn divergence: entropic optimal-transport cost of moving the queries onto the keys, debiased by "
             "the self-transport terms. Never negative; identical clouds give 0.";
    case Metric::GaussKl:
      return "KL divergence between Gaussians fitted to each cloud (mean and covariance), averaged over both "
             "directions. Compares only the first two moments; identical clouds give 0.";
    case Metric::GaussW2:
      return "Squared 2-Wasserstein (Frechet) distance between Gaussians fitted to each cloud: mean shift plus "
             "covariance mismatch. Identical clouds give 0.";
  }
  return "";
}

bool metricHasZeroFloor(Metric metric) {
  switch (metric) {
    case Metric::Mmd:
    case Metric::Sinkhorn:
    case Metric::GaussKl:
    case Metric::GaussW2:
      return true;
    case Metric::Ct:
    case Metric::Chamfer:
    case Metric::MmdUnbiased:
      return false;
  }
  return false;
}

std::string_view transportCostName(TransportCost cost) {
  return cost == TransportCost::Euclid ? "euclid" : "one-minus-cos";
}

TransportCost parseTransportCost(std::string_view name) {
  if (name == "euclid") return TransportCost::Euclid;
  if (name == "one-minus-cos") return TransportCost::OneMinusCos;
  throw InputError("unknown transport cost '" + std::string(name) + "'; expected euclid or one-minus-cos");
}

DivergenceResult ctDivergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options) {
  requireUsableInput(Q, K);
  requireCtOptions(options);
  requireWithinBudget(options.keepMatrices ? 24.0 : 8.0, K.rows(), Q.rows(), "CT", options);
  const DirectionalGeometry geometry = directionalGeometry(Q, K, options.cost);
  const Eigen::Index keys = K.rows(), queries = Q.rows();
  const double inverseTau = 1.0 / options.tau;

  DivergenceResult result;
  result.metric = Metric::Ct;
  result.hasZeroFloor = metricHasZeroFloor(Metric::Ct);
  if (options.keepMatrices) {
    result.cost.resize(keys, queries);
    result.forwardPlan.resize(keys, queries);
  }

  // Forward plan: softmax over queries j of cos(k_i, q_j) / tau, one key row at a time.
  const bool parallel = keys * queries >= kParallelMinEntries;
  double forwardSum = 0.0;
#pragma omp parallel for reduction(+ : forwardSum) schedule(static) if (parallel)
  for (Eigen::Index i = 0; i < keys; ++i) {
    const auto logits = geometry.cosine.row(i).transpose().array();
    Eigen::ArrayXd weights = expNonPositive((logits - logits.maxCoeff()) * inverseTau);
    weights /= weights.sum();
    const Eigen::ArrayXd costs = geometry.costs(i, 0, queries);
    forwardSum += (weights * costs).sum();
    if (options.keepMatrices) {
      result.cost.row(i) = costs.cast<float>().transpose();
      result.forwardPlan.row(i) = weights.cast<float>().transpose();
    }
  }
  result.forwardTerm = forwardSum / static_cast<double>(keys);

  // Backward plan: softmax over keys i for each query j, i.e. down the columns of the row-major M x N cosine
  // matrix, streamed in column blocks so no transposed copy is made.
  RowMatrix backwardTransposed;  // M x N, transposed into the N x M plan at the end
  if (options.keepMatrices) backwardTransposed.resize(keys, queries);
  const Eigen::Index columnBlocks = (queries + kColumnBlock - 1) / kColumnBlock;
  double backwardSum = 0.0;
#pragma omp parallel for reduction(+ : backwardSum) schedule(static) if (parallel)
  for (Eigen::Index b = 0; b < columnBlocks; ++b) {
    const Eigen::Index c0 = b * kColumnBlock, width = std::min(kColumnBlock, queries - c0);
    Eigen::ArrayXd columnMax = Eigen::ArrayXd::Constant(width, -std::numeric_limits<double>::infinity());
    for (Eigen::Index i = 0; i < keys; ++i)
      columnMax = columnMax.max(geometry.cosine.row(i).segment(c0, width).transpose().array());
    Eigen::ArrayXd mass = Eigen::ArrayXd::Zero(width), weightedCost = Eigen::ArrayXd::Zero(width);
    for (Eigen::Index i = 0; i < keys; ++i) {
      const Eigen::ArrayXd e =
          expNonPositive((geometry.cosine.row(i).segment(c0, width).transpose().array() - columnMax) * inverseTau);
      mass += e;
      weightedCost += e * geometry.costs(i, c0, width);
      if (options.keepMatrices) backwardTransposed.row(i).segment(c0, width) = e.cast<float>().transpose();
    }
    backwardSum += (weightedCost / mass).sum();
    if (options.keepMatrices) {
      const Eigen::ArrayXf inverseMass = mass.inverse().cast<float>();
      for (Eigen::Index i = 0; i < keys; ++i)
        backwardTransposed.row(i).segment(c0, width).array() *= inverseMass.transpose();
    }
  }
  result.backwardTerm = backwardSum / static_cast<double>(queries);
  if (options.keepMatrices) result.backwardPlan = backwardTransposed.transpose();

  result.value = options.rho * result.forwardTerm + (1.0 - options.rho) * result.backwardTerm;
  return result;
}

DivergenceResult chamferDivergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options) {
  requireUsableInput(Q, K);
  if (!(options.rho >= 0.0 && options.rho <= 1.0))
    throw InputError("rho must lie in [0, 1], got " + std::to_string(options.rho));
  requireWithinBudget(8.0, K.rows(), Q.rows(), "Chamfer", options);
  const DirectionalGeometry geometry = directionalGeometry(Q, K, options.cost);
  const Eigen::Index keys = K.rows(), queries = Q.rows();

  // One pass: row minima give key -> nearest query, column minima query -> nearest key.
  double forwardSum = 0.0;
  Eigen::ArrayXd columnMin = Eigen::ArrayXd::Constant(queries, std::numeric_limits<double>::infinity());
  for (Eigen::Index i = 0; i < keys; ++i) {
    const Eigen::ArrayXd costs = geometry.costs(i, 0, queries);
    forwardSum += costs.minCoeff();
    columnMin = columnMin.min(costs);
  }
  DivergenceResult result;
  result.metric = Metric::Chamfer;
  result.hasZeroFloor = metricHasZeroFloor(Metric::Chamfer);
  result.forwardTerm = forwardSum / static_cast<double>(keys);
  result.backwardTerm = columnMin.mean();
  result.value = options.rho * result.forwardTerm + (1.0 - options.rho) * result.backwardTerm;
  return result;
}

DivergenceResult mmdDivergence(const MatrixView& Q, const MatrixView& K, bool unbiased,
                               const DivergenceOptions& options) {
  requireUsableInput(Q, K);
  const Eigen::Index n = Q.rows(), m = K.rows();
  if (unbiased && (n < 2 || m < 2))
    throw InputError("the unbiased MMD estimator needs at least 2 queries and 2 keys, got " + std::to_string(n) +
                     " queries and " + std::to_string(m) + " keys; use the biased 'mmd' instead");
  if (options.bandwidth) requirePositiveFinite(*options.bandwidth, "bandwidth");

  const RowMatrixD pooled = pooledCentred(Q, K);
  const double sigma = options.bandwidth ? *options.bandwidth : medianHeuristicBandwidth(pooled);
  const RowMatrixD X = pooled.topRows(n), Y = pooled.bottomRows(m);
  const double sumXX = kernelSum(X, X, sigma, true);
  const double sumYY = kernelSum(Y, Y, sigma, true);
  const double sumXY = kernelSum(X, Y, sigma, false);
  const double dn = static_cast<double>(n), dm = static_cast<double>(m);

  DivergenceResult result;
  result.metric = unbiased ? Metric::MmdUnbiased : Metric::Mmd;
  result.hasZeroFloor = metricHasZeroFloor(result.metric);
  result.bandwidth = sigma;
  if (unbiased) {
    // U-statistic: drop the n (resp. m) diagonal terms, each exactly k(x, x) = 1.
    result.value = (sumXX - dn) / (dn * (dn - 1.0)) + (sumYY - dm) / (dm * (dm - 1.0)) - 2.0 * sumXY / (dn * dm);
  } else {
    // The V-statistic is a squared RKHS norm, >= 0; rounding of the three sums can leave -1e-17.
    result.value = std::max(0.0, sumXX / (dn * dn) + sumYY / (dm * dm) - 2.0 * sumXY / (dn * dm));
  }
  return result;
}

DivergenceResult sinkhornDivergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options) {
  requireUsableInput(Q, K);
  requirePositiveFinite(options.epsilon, "epsilon");
  requirePositiveFinite(options.tolerance, "tolerance");
  if (options.maxIterations < 1)
    throw InputError("the Sinkhorn iteration cap must be at least 1, got " + std::to_string(options.maxIterations));
  requireWithinBudget(16.0, Q.rows(), K.rows(), "Sinkhorn", options);
  requireWithinBudget(8.0, std::max(Q.rows(), K.rows()), std::max(Q.rows(), K.rows()), "Sinkhorn", options);

  const RowMatrixD pooled = pooledCentred(Q, K);
  const RowMatrixD X = pooled.topRows(Q.rows()), Y = pooled.bottomRows(K.rows());
  // One problem at a time, so at most one cost matrix (and, for the cross problem, its transpose) is alive.
  const EntropicOtSolution cross = entropicOt(sinkhornCostMatrix(X, Y, false, options.sinkhornCost), options);
  const EntropicOtSolution selfQ = symmetricEntropicOt(sinkhornCostMatrix(X, X, true, options.sinkhornCost), options);
  const EntropicOtSolution selfK = symmetricEntropicOt(sinkhornCostMatrix(Y, Y, true, options.sinkhornCost), options);

  DivergenceResult result;
  result.metric = Metric::Sinkhorn;
  result.hasZeroFloor = metricHasZeroFloor(Metric::Sinkhorn);
  // S_eps >= 0 for these costs (Feydy et al. 2019); clamp the rounding residue of identical clouds.
  result.value = std::max(0.0, cross.value - 0.5 * (selfQ.value + selfK.value));
  result.iterations = std::max({cross.iterations, selfQ.iterations, selfK.iterations});
  result.converged = cross.converged && selfQ.converged && selfK.converged;
  result.marginalError = std::max({cross.marginalError, selfQ.marginalError, selfK.marginalError});
  return result;
}

DivergenceResult gaussianKlDivergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options) {
  requireUsableInput(Q, K);
  GaussianFit fitQ = fitGaussian(Q), fitK = fitGaussian(K);
  const double lambda = regularisationFor(fitQ, fitK, options);
  fitQ.covariance.diagonal().array() += lambda;
  fitK.covariance.diagonal().array() += lambda;
  const auto lltQ = choleskyOf(fitQ.covariance, "queries");
  const auto lltK = choleskyOf(fitK.covariance, "keys");

  DivergenceResult result;
  result.metric = Metric::GaussKl;
  result.hasZeroFloor = metricHasZeroFloor(Metric::GaussKl);
  result.regularisation = lambda;
  result.klQueriesToKeys = gaussianKl(fitQ.mean, lltQ, fitK.mean, lltK);
  result.klKeysToQueries = gaussianKl(fitK.mean, lltK, fitQ.mean, lltQ);
  result.value = 0.5 * (result.klQueriesToKeys + result.klKeysToQueries);
  return result;
}

DivergenceResult gaussianW2Divergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options) {
  requireUsableInput(Q, K);
  GaussianFit fitQ = fitGaussian(Q), fitK = fitGaussian(K);
  const double lambda = regularisationFor(fitQ, fitK, options);
  fitQ.covariance.diagonal().array() += lambda;
  fitK.covariance.diagonal().array() += lambda;

  const Eigen::MatrixXd rootQ = psdSqrt(fitQ.covariance);
  Eigen::MatrixXd cross = rootQ * fitK.covariance * rootQ;
  cross = 0.5 * (cross + cross.transpose()).eval();  // symmetric in exact arithmetic; keep the solver's premise
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cross, Eigen::EigenvaluesOnly);
  const double traceRoot = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();

  DivergenceResult result;
  result.metric = Metric::GaussW2;
  result.hasZeroFloor = metricHasZeroFloor(Metric::GaussW2);
  result.regularisation = lambda;
  const double meanShift = (fitQ.mean - fitK.mean).squaredNorm();
  result.value = std::max(0.0, meanShift + fitQ.covariance.trace() + fitK.covariance.trace() - 2.0 * traceRoot);
  return result;
}

DivergenceResult alignmentDivergence(Metric metric, const MatrixView& Q, const MatrixView& K,
                                     const DivergenceOptions& options) {
  switch (metric) {
    case Metric::Ct:
      return ctDivergence(Q, K, options);
    case Metric::Chamfer:
      return chamferDivergence(Q, K, options);
    case Metric::Mmd:
      return mmdDivergence(Q, K, false, options);
    case Metric::MmdUnbiased:
      return mmdDivergence(Q, K, true, options);
    case Metric::Sinkhorn:
      return sinkhornDivergence(Q, K, options);
    case Metric::GaussKl:
      return gaussianKlDivergence(Q, K, options);
    case Metric::GaussW2:
      return gaussianW2Divergence(Q, K, options);
  }
  throw InputError("unknown divergence metric");
}

}  // namespace attnscope
