// Attention kernels of attnscope (MATH.md sections 1-3): dot-product, expressive, mixture-of-Gaussian-keys, linear
// (MLK) and cosine attention, all returning row-normalised N x M weights plus the pre-normalisation scores.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace attnscope {

/// The kernels the app, the CLI and the angle sweep can choose from.
enum class Kernel { Dpa, Ea, EaPure, Mgk, MgkHard, Mlk, Cosine };

/// Every kernel, in the order the UI and `attnscope weights --help` list them.
inline constexpr std::array<Kernel, 7> kAllKernels{Kernel::Dpa,     Kernel::Ea,  Kernel::EaPure, Kernel::Mgk,
                                                   Kernel::MgkHard, Kernel::Mlk, Kernel::Cosine};

/// Position of `kernel` in kAllKernels: the index of a per-kernel table (one result, colour or flag per kernel).
constexpr std::size_t kernelIndex(Kernel kernel) {
  std::size_t index = 0;
  while (index + 1 < kAllKernels.size() && kAllKernels[index] != kernel) ++index;
  return index;
}

/// Command-line name: "dpa", "ea", "ea-pure", "mgk", "mgk-hard", "mlk", "cosine".
std::string_view kernelName(Kernel kernel);
/// Inverse of kernelName; std::nullopt for an unknown name.
std::optional<Kernel> kernelFromName(std::string_view name);
/// Like kernelFromName but throws InputError listing the valid names.
Kernel parseKernel(std::string_view name);

/// f(x) of expressive attention: saturating x^2 / (1 + x^2) (default, as in public reimplementations) or pure x^2.
enum class ExpressiveForm { Saturating, Pure };

/// Keep-mask: entry (i, j) true means query i may attend to key j. N x M.
using KeepMask = Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Gaussian components of every key position, shared by MGK (soft and hard) and MLK.
/// R = number of components. Centres, by precedence:
///   1. componentKeys non-empty: R matrices, each M x d; component r of position j is componentKeys[r].row(j)
///      (the K argument of the kernel is then only used for its shape and may equal componentKeys[0]).
///   2. else shifts non-empty: R x d; k_jr = K.row(j) + shifts.row(r) ("sMGK").
///   3. else one component per position, k_j1 = K.row(j).
struct GaussianKeysOptions {
  std::vector<RowMatrix> componentKeys;  // R matrices, each M x d
  RowMatrix shifts;                      // R x d
  /// Priors pi_r shared by all positions (length R); empty = 1/R each. Clamped into [0, 1] without renormalising,
  /// as the official MGK code does. Ignored by the hard variant.
  Vector priors;
  /// Per-position priors pi_jr (M x R); when non-empty it overrides `priors`. Also clamped into [0, 1].
  RowMatrix positionPriors;
  /// Variance sigma_r^2 per component (length R, each > 0); empty = sqrt(d) for every component (the paper's choice).
  Vector variances;
  /// Per-position variances sigma_jr^2 (M x R, each finite and > 0); when non-empty it overrides `variances`: each key
  /// position has its own Gaussian widths (the app's editable mixture). Not supported by the streaming engine.
  RowMatrix positionVariances;
};

/// Options shared by every kernel. A field a kernel does not use is ignored (noted per field).
struct AttentionOptions {
  /// Logit scale s in x_ij = s q_i . k_j for DPA and EA; default 1/sqrt(d). Not used by MGK (its sigma^2 plays that
  /// role), MLK or cosine (which uses cosineTemperature).
  std::optional<float> scale;
  /// Causal masking: key j is visible to query i iff j <= i + causalOffset. With causalOffset = M - N the last query
  /// sees every key (the "bottom-right" alignment of a KV cache); the default 0 is PyTorch's `is_causal`.
  bool causal = false;
  Eigen::Index causalOffset = 0;
  /// Optional explicit N x M keep-mask, combined (logical and) with the causal mask.
  std::optional<KeepMask> keepMask;
  /// Which f(x) Kernel::Ea uses (Kernel::EaPure always uses Pure).
  ExpressiveForm expressiveForm = ExpressiveForm::Saturating;
  /// Temperature tau of cosine attention: logits cos(theta_ij) / tau (Swin-v2 style; must be > 0).
  float cosineTemperature = 0.1f;
  /// Components of MGK / MLK.
  GaussianKeysOptions gaussian;
  /// Fill AttentionResult::scores. The app wants them; benchmarks switch them off to match what PyTorch returns.
  bool computeScores = true;
  /// Largest total size in bytes of the N x M outputs (weights, plus scores when computed); 0 = no limit. Above it
  /// the kernel throws ResourceError before allocating, instead of failing with std::bad_alloc or swapping.
  std::size_t memoryBudgetBytes = 0;
};

/// Output of every kernel.
struct AttentionResult {
  /// N x M; each row sums to 1 over its unmasked keys, masked entries are exactly 0.
  RowMatrix weights;
  /// N x M pre-normalisation scores (empty if !computeScores), evaluated for every entry, masked or not:
  /// DPA and cosine: logits; EA: f(x); MGK: log S_ij (a position whose priors are all 0 has S = 0 and is reported as
  /// the most negative finite float, never -inf); MLK: phi(q_i) . kappa_j. Always finite.
  RowMatrix scores;
  /// Rows that have visible keys but zero total score mass, so the ratio is 0/0: EA rows whose visible keys are all
  /// orthogonal to the query (sum f = 0); MGK rows whose visible positions all have priors 0; MLK rows where
  /// phi(q_i) . kappa_j underflows or every prior is 0. Their weights fall back to uniform over the visible keys, a
  /// documented choice: with no preference expressed, every visible key gets the same share.
  std::vector<Eigen::Index> fallbackRows;
  /// Rows whose keys are all masked. Their weights are all 0 (they cannot sum to 1).
  std::vector<Eigen::Index> emptyRows;
};

/// Dot-product attention: softmax_j(s q_i . k_j), max-subtracted.
/// Q: N x d queries, one per row; K: M x d keys; returns weights N x M.
AttentionResult dotProductAttention(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options = {});

/// Expressive attention (Gros 2024): A_ij = f(x_ij) / sum_j' f(x_ij'), x_ij = s q_i . k_j, multiplicative masking.
/// The form is options.expressiveForm. Q: N x d; K: M x d; returns weights N x M. Numerically robust for norms
/// from 1e-20 to 1e6 and beyond (ratios are computed on rescaled x, never x^2 of a huge or tiny number).
AttentionResult expressiveAttention(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options = {});

/// Mixture-of-Gaussian-keys attention (Nguyen et al. 2022), soft (`hard` false) or hard variant, in log space:
/// log S_ij = logsumexp_r(log pi_jr - |q_i - k_jr|^2 / (2 sigma_r^2)) (hard: max_r, priors ignored), with
/// |q - k|^2 = |q|^2 + |k|^2 - 2 q.k so the heavy part is R GEMMs (one for shifted keys).
/// Q: N x d; K: M x d (centres per options.gaussian); returns weights N x M.
AttentionResult mixtureGaussianKeysAttention(const MatrixView& Q, const MatrixView& K, bool hard,
                                             const AttentionOptions& options = {});

/// Responsibilities gamma_ijr = pi_jr N_r / sum_r' pi_jr' N_r' (which component of position j explains query i).
/// Soft: as written (a position whose priors are all 0 gets gamma = 0); hard: one-hot on the component with the
/// largest Gaussian (priors ignored). Masks do not apply. Q: N x d; K: M x d; returns R matrices, each N x M.
std::vector<RowMatrix> gaussianKeyResponsibilities(const MatrixView& Q, const MatrixView& K, bool hard,
                                                   const GaussianKeysOptions& options = {});

/// The R centre matrices k_jr (each M x d) that options describe for keys K (M x d), after checking all shapes.
std::vector<RowMatrix> gaussianKeyCentres(const MatrixView& K, const GaussianKeysOptions& options = {});
/// Priors pi_jr as used by the soft kernel: M x R, clamped into [0, 1].
RowMatrix gaussianKeyPriors(Eigen::Index keyCount, Eigen::Index componentCount,
                            const GaussianKeysOptions& options = {});
/// Variances sigma_r^2 (length R) for dimension d; throws InputError unless every one is finite and > 0. Ignores
/// positionVariances (see gaussianKeyPositionVariances).
Vector gaussianKeyVariances(Eigen::Index dimension, Eigen::Index componentCount,
                            const GaussianKeysOptions& options = {});
/// Variances sigma_jr^2 as every MGK kernel uses them: M x R, options.positionVariances when given (shape and values
/// checked: InputError unless M x R, finite and > 0), else gaussianKeyVariances repeated for every position.
RowMatrix gaussianKeyPositionVariances(Eigen::Index keyCount, Eigen::Index dimension, Eigen::Index componentCount,
                                       const GaussianKeysOptions& options = {});

/// Linear mixture-of-keys attention (MLK) as explicit weights: with phi = elu + 1 and kappa_j = sum_r pi_jr
/// phi(k_jr), A_ij = phi(q_i) . kappa_j / sum_j' phi(q_i) . kappa_j' (masked keys dropped). Q: N x d; K: M x d;
/// returns weights N x M.
AttentionResult linearAttention(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options = {});

/// MLK output without forming the N x M weights: h_i = phi(q_i)^T (sum_j kappa_j v_j^T) / phi(q_i)^T sum_j kappa_j,
/// O((N + M) d dv); causal masking (options.causal, causalOffset) via running prefix sums; keepMask is not supported
/// here (InputError). Q: N x d; K: M x d; V: M x dv values; returns N x dv, equal to linearAttention(Q, K).weights * V.
RowMatrix linearAttentionOutput(const MatrixView& Q, const MatrixView& K, const MatrixView& V,
                                const AttentionOptions& options = {});

/// Cosine attention: softmax_j(cos(theta_ij) / tau). A zero vector has cosine 0 with everything.
/// Q: N x d; K: M x d; returns weights N x M.
AttentionResult cosineAttention(const MatrixView& Q, const MatrixView& K, const AttentionOptions& options = {});

/// Dispatcher used by the app, the CLI and the angle sweep. Kernel::EaPure forces the pure form; Kernel::MgkHard
/// the hard variant. Q: N x d queries; K: M x d keys; returns weights N x M. Cheap for tiny inputs (no threads
/// are started below a few thousand entries). Throws InputError on empty, mismatched or non-finite input.
AttentionResult computeAttention(Kernel kernel, const MatrixView& Q, const MatrixView& K,
                                 const AttentionOptions& options = {});

/// Applies a row-stochastic N x M weight matrix to values: returns weights * V (N x dv). V: M x dv.
RowMatrix applyWeights(const MatrixView& weights, const MatrixView& V);

namespace detail {
/// Expressive attention's f(x) / c^2 in place, for a divisor c > 0 (c = max|x| for the pure form, min(max|x|, 1) for
/// the saturating one; see expressiveWeights). Ratios of the results are the weights; dividing by c^2 keeps tiny norms
/// from underflowing, and x is clamped where the saturating f is already 1 in float. Multiplies by 1/c unless c is
/// subnormal (1/c = inf, and an orthogonal key would get 0 * inf = NaN): then it divides. Shared by the dense kernel
/// and the streaming engine (core/streaming_attention.h), so that both give bit-identical weights.
template <typename Derived>
void expressiveMassInPlace(Eigen::ArrayBase<Derived>& x, float c, bool pure) {
  const float inverse = 1.0f / c;
  const bool divide = !std::isfinite(inverse);
  if (!pure) x = x.cwiseMax(-1e18f).cwiseMin(1e18f);
  if (pure && divide)
    x = (x / c).square();
  else if (pure)
    x = (x * inverse).square();
  else if (divide)
    x = (x / c).square() / (1.0f + x.square());
  else
    x = (x * inverse).square() / (1.0f + x.square());
}
}  // namespace detail

}  // namespace attnscope
