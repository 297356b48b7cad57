// Causal attention of one head on one sequence for training: the seven kernels of core/attention_kernels.h with their
// hand-derived backward passes, templated on the scalar so the same code trains in float and is checked in double.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "core/attention_kernels.h"

namespace attnscope::train {

template <typename S>
using Matrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename S>
using RowVec = Eigen::Matrix<S, 1, Eigen::Dynamic>;
/// A read-only or writable view of a row-major matrix or of a block of one (e.g. one head's columns of the fused
/// QKV activations, rows of one sequence) without a copy. A Matrix<S> converts to either implicitly.
template <typename S>
using ConstMatrixRef = Eigen::Ref<const Matrix<S>>;
template <typename S>
using MatrixRef = Eigen::Ref<Matrix<S>>;

/// Rows scaled to unit length; a zero row stays zero (cosine 0 with everything, as the core kernel). X: n x d;
/// returns n x d, `norms` gets |x| per row (length n). Shared by the cosine kernel and the CT regulariser.
template <typename S>
Matrix<S> unitRows(const Matrix<S>& X, RowVec<S>& norms) {
  Matrix<S> unit = X;
  norms.resize(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    norms(i) = X.row(i).norm();
    if (norms(i) > S(0)) unit.row(i) /= norms(i);
  }
  return unit;
}

/// Backward of x -> x / |x| per row, accumulated: dX += scale (g - (g . u) u) / |x| with g = dUnit; 0 for zero rows.
/// unit, dUnit, dX: n x d; norms: length n (from unitRows).
template <typename S>
void addUnitRowsBackward(const Matrix<S>& unit, const RowVec<S>& norms, const Matrix<S>& dUnit, Matrix<S>& dX,
                         S scale = S(1)) {
  for (Eigen::Index i = 0; i < unit.rows(); ++i) {
    if (!(norms(i) > S(0))) continue;
    dX.row(i) += scale * (dUnit.row(i) - dUnit.row(i).dot(unit.row(i)) * unit.row(i)) / norms(i);
  }
}

/// What one head computes; the same fields the core kernels take through AttentionOptions.
struct HeadKernelOptions {
  Kernel kernel = Kernel::Dpa;
  ExpressiveForm expressiveForm = ExpressiveForm::Saturating;  // Kernel::Ea only (EaPure is always pure)
  double cosineTemperature = 0.1;                              // Kernel::Cosine
  /// sigma_r^2 of MGK per component (length R); MLK ignores them.
  std::vector<double> variances;
};

/// Learned mixture parameters of one head (MGK, MGK-hard, MLK): shifts R x dh (k_jr = k_j + b_r) and raw priors
/// (length R, clamped into [0, 1] where used, as the official MGK code does; hard MGK ignores them).
/// With learned variances (MGK, MGK-hard), `logVariances` (length R) holds log sigma_r^2 and overrides
/// HeadKernelOptions::variances; empty otherwise. Its gradient is d/d log sigma^2.
template <typename S>
struct HeadMixture {
  Matrix<S> shifts;
  RowVec<S> priors;
  RowVec<S> logVariances;
};

/// What headWeights can keep for headWeightsBackward so the backward does not recompute it: for MGK and MGK-hard the
/// stacked shifted keys (R T x dh), the log densities (T x R T) and the log scores (T x T); other kernels leave it
/// empty. Only valid for the same Q, K and mixture.
template <typename S>
struct HeadForwardCache {
  Matrix<S> keys, logDensity, logScores;
};

/// True for the kernels that own shifts and priors.
bool kernelHasMixture(Kernel kernel);

/// Forward: causal weights A (T x T, row i nonzero only for j <= i, rows sum to 1). Q, K: T x dh. `mixture` is used
/// only by MGK, MGK-hard and MLK. Rows whose score mass is 0 (EA with all keys orthogonal, MGK with all priors 0, MLK
/// underflow) fall back to uniform weights like the core kernels; their gradient is then 0.
template <typename S>
void headWeights(const HeadKernelOptions& options, const ConstMatrixRef<S>& Q, const ConstMatrixRef<S>& K,
                 const HeadMixture<S>* mixture, Matrix<S>& A, HeadForwardCache<S>* cache = nullptr);

/// Backward of headWeights: given dLoss/dA (T x T) and the forward's A (and its cache, if it kept one), adds dLoss/dQ
/// and dLoss/dK (T x dh) into dQ and dK and, for mixture kernels, dLoss/dshifts (R x dh) and dLoss/dpriors (length R)
/// into `dMixture`. Q, K, dQ and dK may be blocks of larger matrices (views, no copies).
template <typename S>
void headWeightsBackward(const HeadKernelOptions& options, const ConstMatrixRef<S>& Q, const ConstMatrixRef<S>& K,
                         const HeadMixture<S>* mixture, const ConstMatrixRef<S>& A, const ConstMatrixRef<S>& dA,
                         MatrixRef<S> dQ, MatrixRef<S> dK, HeadMixture<S>* dMixture,
                         const HeadForwardCache<S>* cache = nullptr);

}  // namespace attnscope::train
