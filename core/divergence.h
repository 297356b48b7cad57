// Alignment divergences between a head's queries and keys (MATH.md section 4): conditional transport (CT), Chamfer,
// MMD^2, Sinkhorn divergence and divergences between fitted Gaussians. Each treats the N queries and M keys as two
// uniformly weighted empirical distributions in R^d. All arithmetic is double precision internally.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "core/types.h"

namespace attnscope {

/// The divergences the app offers. String names (CLI, JSON, UI): "ct", "chamfer", "mmd", "mmd-unbiased", "sinkhorn",
/// "gauss-kl", "gauss-w2".
enum class Metric { Ct, Chamfer, Mmd, MmdUnbiased, Sinkhorn, GaussKl, GaussW2 };

/// Ground cost of CT and Chamfer, both between L2-normalised vectors t(x) = x / |x| (t(0) = 0, see ctDivergence).
enum class TransportCost {
  Euclid,       ///< |t(k) - t(q)| = sqrt(2 (1 - cos)) for non-zero vectors (the authors' choice).
  OneMinusCos,  ///< 1 - cos(theta); cos with a zero vector is 0, so the cost is 1.
};

/// Ground cost of the Sinkhorn divergence, between the raw (unnormalised) vectors.
enum class SinkhornCost {
  SquaredEuclid,  ///< |x - y|^2 (default; no factor 1/2).
  Euclid,         ///< |x - y|.
};

struct DivergenceOptions {
  // CT and Chamfer.
  double rho = 0.5;  ///< Weight of the forward (key -> query) term; 1 - rho weighs the backward term. In [0, 1].
  double tau = 1.0;  ///< Navigator temperature (> 0). tau -> 0 gives Chamfer; tau -> inf gives mean(C).
  TransportCost cost = TransportCost::Euclid;
  /// CT only: also return the cost matrix and both transport plans (3 N M floats). Off saves memory, not time.
  bool keepMatrices = true;

  /// CT, Chamfer and Sinkhorn hold N x M matrices (CT: 8 bytes per entry, 24 with keepMatrices; Chamfer: 8;
  /// Sinkhorn: 16 for the cross problem, 8 N^2 and 8 M^2 for the self problems). A call that would need more than
  /// this many bytes throws ResourceError before allocating. MMD and the Gaussian fits work in small blocks.
  std::size_t memoryBudgetBytes = std::size_t{4} << 30;

  // MMD.
  /// RBF bandwidth sigma in k(x, y) = exp(-|x - y|^2 / (2 sigma^2)). Absent: median heuristic, sigma = median of the
  /// Euclidean distances over all distinct pairs of the pooled set {q} u {k}; with more than 1024 pooled points
  /// (queries first, then keys) over the pairs of the evenly spaced subset floor(s P / 1024), s = 0..1023.
  std::optional<double> bandwidth;

  // Sinkhorn.
  double epsilon = 0.1;      ///< Entropic regularisation, in the units of the ground cost (> 0).
  int maxIterations = 1000;  ///< Cap per OT problem (>= 1).
  double tolerance = 1e-6;   ///< Stop when the L1 error of the plan's row marginals falls below this (> 0).
  SinkhornCost sinkhornCost = SinkhornCost::SquaredEuclid;

  // Gaussian fits.
  /// lambda added to both fitted covariances (lambda I). Absent: 1e-6 * (tr S_q + tr S_k) / (2 d) + 1e-9, which keeps
  /// single points and collinear clouds well posed while changing well-conditioned covariances negligibly.
  std::optional<double> covarianceRegularisation;
};

struct DivergenceResult {
  Metric metric = Metric::Ct;
  /// The divergence. CT/Chamfer: rho * forwardTerm + (1 - rho) * backwardTerm. MMD: MMD^2 (squared). Sinkhorn:
  /// S_eps. gauss-kl: (KL(q||k) + KL(k||q)) / 2. gauss-w2: W2^2 (squared 2-Wasserstein distance).
  double value = 0.0;
  /// True if identical clouds give exactly 0 and the value is never negative (see metricHasZeroFloor).
  bool hasZeroFloor = false;

  // CT and Chamfer. Index convention of MATH.md: i runs over the M keys, j over the N queries.
  double forwardTerm = 0.0;   ///< mean_i sum_j C_ij P_fwd(q_j | k_i)  (Chamfer: mean_i min_j C_ij).
  double backwardTerm = 0.0;  ///< mean_j sum_i C_ij P_bwd(k_i | q_j)  (Chamfer: mean_j min_i C_ij).
  RowMatrix cost;             ///< CT: M x N, C_ij between key i and query j. Empty unless keepMatrices.
  RowMatrix forwardPlan;      ///< CT: M x N, row i = P_fwd(. | k_i), sums to 1 over the N queries.
  RowMatrix backwardPlan;     ///< CT: N x M, row j = P_bwd(. | q_j), sums to 1 over the M keys.

  // MMD.
  double bandwidth = 0.0;  ///< sigma actually used (given or from the median heuristic).

  // Sinkhorn: the three OT problems OT(q,k), OT(q,q), OT(k,k).
  int iterations = 0;          ///< Largest iteration count among the three problems.
  bool converged = false;      ///< All three reached the tolerance within maxIterations.
  double marginalError = 0.0;  ///< Largest final L1 row-marginal error among the three.

  // gauss-kl, gauss-w2.
  double klQueriesToKeys = 0.0;  ///< KL(N(mu_q, S_q) || N(mu_k, S_k)).
  double klKeysToQueries = 0.0;  ///< KL(N(mu_k, S_k) || N(mu_q, S_q)).
  double regularisation = 0.0;   ///< lambda actually added to both covariances.
};

/// Every metric, in menu order.
std::span<const Metric> allMetrics();
/// "ct", "chamfer", ... (see Metric).
std::string_view metricName(Metric metric);
/// Inverse of metricName; throws InputError listing the valid names.
Metric parseMetric(std::string_view name);
/// One or two sentences for a tooltip: what the metric measures and whether identical clouds give 0.
std::string_view metricDescription(Metric metric);
/// True for metrics that are >= 0 and exactly 0 for identical clouds (MMD biased, Sinkhorn, gauss-kl, gauss-w2).
/// CT and Chamfer on normalised vectors are 0 only when every key direction matches a query direction; CT has a
/// positive floor even for identical sets, and the unbiased MMD estimator can be negative.
bool metricHasZeroFloor(Metric metric);

std::string_view transportCostName(TransportCost cost);   ///< "euclid", "one-minus-cos"
TransportCost parseTransportCost(std::string_view name);  ///< throws InputError

/// Bidirectional conditional transport (MATH.md 4). Q: N x d queries, K: M x d keys (one vector per row), d equal.
/// Zero vectors have normalised direction 0: cosine 0 with everything, Euclid cost |t(q)| (1 or 0) to others.
DivergenceResult ctDivergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options = {});

/// Chamfer distance, the tau -> 0 limit of CT: rho mean_i min_j C_ij + (1 - rho) mean_j min_i C_ij. Q: N x d, K: M x d.
DivergenceResult chamferDivergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options = {});

/// MMD^2 with an RBF kernel. Q: N x d, K: M x d. Biased (V-statistic, >= 0) or unbiased (U-statistic, needs N, M >= 2,
/// may be negative). Median heuristic falls back to the mean non-zero distance, then to 1, when the median is 0.
DivergenceResult mmdDivergence(const MatrixView& Q, const MatrixView& K, bool unbiased,
                               const DivergenceOptions& options = {});

/// Sinkhorn divergence S_eps = OT_eps(q,k) - (OT_eps(q,q) + OT_eps(k,k)) / 2 with uniform weights, where OT_eps is the
/// entropic OT objective <P, C> + eps KL(P || a b^T), solved by log-domain Sinkhorn iterations. Q: N x d, K: M x d.
DivergenceResult sinkhornDivergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options = {});

/// KL divergences between Gaussians fitted to each cloud (mean, maximum-likelihood covariance 1/n, + lambda I).
/// Q: N x d, K: M x d. value = (KL(q||k) + KL(k||q)) / 2; both directions in the result.
DivergenceResult gaussianKlDivergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options = {});

/// Squared 2-Wasserstein (Frechet) distance between the fitted Gaussians (same fit as gaussianKlDivergence):
/// W2^2 = |mu_q - mu_k|^2 + tr(S_q + S_k - 2 (S_q^1/2 S_k S_q^1/2)^1/2). Q: N x d, K: M x d.
DivergenceResult gaussianW2Divergence(const MatrixView& Q, const MatrixView& K, const DivergenceOptions& options = {});

/// Dispatcher over all metrics. Q: N x d queries, K: M x d keys. Throws InputError for empty input, differing d,
/// NaN/Inf entries or out-of-range options, ResourceError beyond options.memoryBudgetBytes.
DivergenceResult alignmentDivergence(Metric metric, const MatrixView& Q, const MatrixView& K,
                                     const DivergenceOptions& options = {});

}  // namespace attnscope
