// The alignment regulariser of training (MATH.md sections 4 and 5): CT or MMD^2 between one head's keys and queries on
// one sequence, with its gradient with respect to both, templated on the scalar like the rest of core/train.
#pragma once

#include "core/train/head_attention.h"

namespace attnscope::train {

enum class AlignmentKind { None, Ct, Mmd };

/// "none", "ct", "mmd"; parseAlignmentKind throws InputError for anything else.
const char* alignmentKindName(AlignmentKind kind);
AlignmentKind parseAlignmentKind(const std::string& name);

struct AlignmentOptions {
  AlignmentKind kind = AlignmentKind::None;
  double weight = 0.0;  ///< lambda in lambda * mean over layers, heads and sequences.
  double rho = 0.5;     ///< CT: weight of the forward (key -> query) term.
  double tau = 1.0;     ///< CT: navigator temperature.
  /// MMD: RBF bandwidth sigma; 0 = the median heuristic (treated as a constant in the gradient).
  double mmdBandwidth = 0.0;
};

/// Where the CT cost sqrt(2 (1 - cos)) is smoothed: its derivative -1/C is infinite at C = 0 (a key exactly on a
/// query's direction), so the derivative uses max(C, kCostFloor). The value itself is exact.
inline constexpr double kCostFloor = 1e-4;

/// CT(K, Q) as core/divergence.h's ctDivergence with the Euclidean cost (keys index i, queries j): adds its
/// gradient times `scale` to dQ (N x d) and dK (M x d) and returns the value. Q: N x d, K: M x d.
template <typename S>
S ctWithGradient(const Matrix<S>& Q, const Matrix<S>& K, const AlignmentOptions& options, S scale, Matrix<S>& dQ,
                 Matrix<S>& dK);

/// Biased MMD^2 with an RBF kernel whose bandwidth is the median heuristic of core/divergence.h (numpy.median of the
/// pooled pairwise distances), treated as a constant in the gradient (a stop-gradient, as is usual for the heuristic).
/// Adds scale * gradient to dQ and dK; returns the value. Q: N x d, K: M x d.
template <typename S>
S mmdWithGradient(const Matrix<S>& Q, const Matrix<S>& K, const AlignmentOptions& options, S scale, Matrix<S>& dQ,
                  Matrix<S>& dK);

}  // namespace attnscope::train
