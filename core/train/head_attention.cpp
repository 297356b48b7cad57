// Training forward and backward of the seven attention kernels (MATH.md sections 1-3 and 5), one causal head at a
// time. Every kernel is "scores, then row normalisation"; the backward splits the same way, so each kernel only
// supplies d(scores)/d(Q, K, mixture). All heavy products are GEMMs over the T x dh blocks.
#include "core/train/head_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::train {
namespace {

template <typename S>
S clampPrior(S raw) {
  return std::min<S>(std::max<S>(raw, S(0)), S(1));
}

/// phi(x) = elu(x) + 1 of linear attention, and its derivative.
template <typename S>
S phi(S x) {
  return x > S(0) ? x + S(1) : std::exp(x);
}
template <typename S>
S phiDerivative(S x) {
  return x > S(0) ? S(1) : std::exp(x);
}

/// The causal loops below work on row i's first i + 1 entries. Eigen vectorises a segment in whole registers and
/// finishes its remainder one scalar at a time (a scalar expf per element for the softmax), so they run over the
/// segment rounded up to whole registers (at most T) where the extra entries are harmless, and mask afterwards.
template <typename S>
Eigen::Index paddedLength(Eigen::Index visible, Eigen::Index T) {
  constexpr Eigen::Index lanes = 64 / sizeof(S);  // one AVX-512 register; a multiple of the narrower ones
  return std::min(T, (visible + lanes - 1) / lanes * lanes);
}

/// In place: the causal softmax of `scale` times the logits in A over j <= i; above the diagonal becomes 0. A row
/// whose visible logits are all -inf (MGK with every prior 0) becomes uniform, as the core kernel's fallback.
template <typename S>
void causalSoftmaxInPlace(Matrix<S>& A, S scale) {
  const Eigen::Index T = A.rows();
  for (Eigen::Index i = 0; i < T; ++i) {
    const Eigen::Index n = i + 1, padded = paddedLength<S>(n, T);
    auto row = A.row(i);
    row.segment(n, padded - n).setConstant(-std::numeric_limits<S>::infinity());
    const S largest = row.head(padded).maxCoeff();
    if (!(largest > -std::numeric_limits<S>::infinity())) {
      row.head(n).setConstant(S(1) / static_cast<S>(n));
    } else {
      row.head(padded) = ((row.head(padded).array() - largest) * scale).exp().matrix();
      row.head(n) /= row.head(n).sum();
    }
    row.tail(T - n).setZero();
  }
}

/// In place: the causal ratio normalisation A_ij = G_ij / sum_j' G_ij' of non-negative scores in A; zero mass gives
/// uniform rows; above the diagonal becomes 0.
template <typename S>
void causalRatioInPlace(Matrix<S>& A) {
  const Eigen::Index T = A.rows();
  for (Eigen::Index i = 0; i < T; ++i) {
    const Eigen::Index n = i + 1;
    auto row = A.row(i);
    row.tail(T - n).setZero();
    const S total = row.head(n).sum();
    if (total > S(0)) {
      row.head(paddedLength<S>(n, T)) /= total;
    } else {
      row.head(n).setConstant(S(1) / static_cast<S>(n));
    }
  }
}

/// dLoss/dlogits of a causal softmax, times `scale`: scale A_ij (dA_ij - sum_j' A_ij' dA_ij'), 0 above the diagonal.
/// A: the forward's weights (exactly 0 above the diagonal, which the padded loop relies on); dL: T x T, overwritten.
template <typename S>
void softmaxBackward(const ConstMatrixRef<S>& A, const ConstMatrixRef<S>& dA, S scale, Matrix<S>& dL) {
  const Eigen::Index T = A.rows();
  dL.resize(T, T);
  for (Eigen::Index i = 0; i < T; ++i) {
    const Eigen::Index n = i + 1, padded = paddedLength<S>(n, T);
    const auto a = A.row(i).head(padded), g = dA.row(i).head(padded);
    const S inner = a.dot(g);
    dL.row(i).head(padded) = scale * a.cwiseProduct((g.array() - inner).matrix());
    dL.row(i).tail(T - n).setZero();
  }
}
template <typename S>
Matrix<S> softmaxBackward(const ConstMatrixRef<S>& A, const ConstMatrixRef<S>& dA) {
  Matrix<S> dL;
  softmaxBackward<S>(A, dA, S(1), dL);
  return dL;
}

/// dLoss/dG of a causal ratio: (dA_ij - sum_j' A_ij' dA_ij') / Z_i; zero for fallback rows (Z = 0).
template <typename S>
Matrix<S> ratioBackward(const Matrix<S>& G, const ConstMatrixRef<S>& A, const ConstMatrixRef<S>& dA) {
  const Eigen::Index T = A.rows();
  Matrix<S> dG = Matrix<S>::Zero(T, T);
  for (Eigen::Index i = 0; i < T; ++i) {
    const S total = G.row(i).head(i + 1).sum();
    if (!(total > S(0))) continue;
    const S inner = A.row(i).head(i + 1).dot(dA.row(i).head(i + 1));
    dG.row(i).head(i + 1) = (dA.row(i).head(i + 1).array() - inner).matrix() / total;
  }
  return dG;
}

/// 1 / sqrt(d_head) of the dot-product kernels.
template <typename S>
S dotScale(Eigen::Index headDim) {
  return S(1) / std::sqrt(static_cast<S>(headDim));
}

/// Expressive f(x) = x^2 / (1 + x^2) (saturating) or x^2 (pure) of X = scale * logits, in place on a row segment;
/// returns the segment's sum (the ratio's normaliser Z).
template <typename Segment, typename S>
S applyExpressive(Segment&& segment, S scale, bool pure) {
  auto x = segment.array() * scale;
  if (pure) {
    segment = x.square().matrix();
  } else {
    segment = (x.square() / (S(1) + x.square())).matrix();
  }
  return segment.sum();
}

template <typename S>
S componentVariance(const HeadKernelOptions& options, const HeadMixture<S>& mixture, Eigen::Index r, Eigen::Index dh) {
  if (mixture.logVariances.size() > 0) return std::exp(mixture.logVariances(r));
  return r < static_cast<Eigen::Index>(options.variances.size()) ? static_cast<S>(options.variances[r])
                                                                 : std::sqrt(static_cast<S>(dh));
}

/// MGK's per-component log densities, every component in one GEMM: `keys` (R T x dh) stacks the shifted keys
/// k_jr = k_j + b_r (component r in rows r T .. r T + T - 1); logDensity (T x R T) holds, for j <= i,
/// log N_r(i, j) = -|q_i - k_jr|^2 / (2 sigma_r^2) in column r T + j, through |q|^2 + |k|^2 - 2 q.k. Entries with
/// j > i are left unspecified (the causal mask never reads them).
template <typename S>
void mixtureLogDensities(const HeadKernelOptions& options, const ConstMatrixRef<S>& Q, const ConstMatrixRef<S>& K,
                         const HeadMixture<S>& mixture, Matrix<S>& keys, Matrix<S>& logDensity) {
  const Eigen::Index T = Q.rows(), R = mixture.shifts.rows(), dh = Q.cols();
  keys.resize(R * T, dh);
  for (Eigen::Index r = 0; r < R; ++r) {
    keys.middleRows(r * T, T) = K;
    keys.middleRows(r * T, T).rowwise() += mixture.shifts.row(r);
  }
  logDensity.resize(T, R * T);
  logDensity.noalias() = Q * keys.transpose();
  const Eigen::Matrix<S, Eigen::Dynamic, 1> queryNorms = Q.rowwise().squaredNorm();
  const Eigen::Matrix<S, 1, Eigen::Dynamic> keyNorms = keys.rowwise().squaredNorm().transpose();
  for (Eigen::Index r = 0; r < R; ++r) {
    const S factor = S(-0.5) / componentVariance<S>(options, mixture, r, dh);
    for (Eigen::Index i = 0; i < T; ++i) {
      // Padded past the diagonal: those entries are finite (|q|^2 + |k|^2 - 2 q.k of real keys) and never read.
      const Eigen::Index padded = paddedLength<S>(i + 1, T);
      auto segment = logDensity.row(i).segment(r * T, padded);
      segment =
          ((queryNorms(i) + keyNorms.segment(r * T, padded).array() - S(2) * segment.array()).cwiseMax(S(0)) * factor)
              .matrix();
    }
  }
}

/// MGK log scores for j <= i into `logScores` (T x T, above the diagonal unspecified): logsumexp_r(log pi_r +
/// log N_r) (soft) or max_r log N_r (hard). Components with prior 0 drop out; if every prior is 0 the scores are -inf
/// and the softmax falls back to uniform.
template <typename S>
void mixtureLogScores(const HeadKernelOptions& options, const HeadMixture<S>& mixture, const Matrix<S>& logDensity,
                      Matrix<S>& logScores) {
  const bool hard = options.kernel == Kernel::MgkHard;
  const Eigen::Index T = logDensity.rows(), R = mixture.shifts.rows();
  const S negativeInfinity = -std::numeric_limits<S>::infinity();
  logScores.resize(T, T);
  std::vector<S> prior(static_cast<size_t>(R)), logPrior(static_cast<size_t>(R));
  for (Eigen::Index r = 0; r < R; ++r) {
    prior[r] = clampPrior(mixture.priors(r));
    logPrior[r] = prior[r] > S(0) ? std::log(prior[r]) : negativeInfinity;
  }
  Eigen::Array<S, 1, Eigen::Dynamic> buffer(T);
  for (Eigen::Index i = 0; i < T; ++i) {
    // Padded past the diagonal (finite log densities, so finite scores there; the softmax masks them).
    const Eigen::Index padded = paddedLength<S>(i + 1, T);
    auto scores = logScores.row(i).head(padded);
    if (hard) {
      scores = logDensity.row(i).segment(0, padded);
      for (Eigen::Index r = 1; r < R; ++r) scores = scores.cwiseMax(logDensity.row(i).segment(r * T, padded));
      continue;
    }
    scores.setConstant(negativeInfinity);
    for (Eigen::Index r = 0; r < R; ++r) {
      if (prior[r] > S(0)) {
        scores = scores.cwiseMax((logDensity.row(i).segment(r * T, padded).array() + logPrior[r]).matrix());
      }
    }
    if (!(scores(0) > negativeInfinity)) continue;  // every prior 0: the whole row stays -inf
    // sum_r pi_r exp(log N_r - largest) >= 1 (the largest term is pi_r exp(-log pi_r)), so its log is finite.
    auto total = buffer.head(padded);
    total.setZero();
    for (Eigen::Index r = 0; r < R; ++r) {
      if (prior[r] > S(0)) total += prior[r] * (logDensity.row(i).segment(r * T, padded) - scores).array().exp();
    }
    scores = (scores.array() + total.log()).matrix();
  }
}

/// MLK: kappa_j = sum_r pi_r phi(k_j + b_r), T x dh.
template <typename S>
Matrix<S> linearKeyFeatures(const Matrix<S>& K, const HeadMixture<S>& mixture) {
  Matrix<S> kappa = Matrix<S>::Zero(K.rows(), K.cols());
  for (Eigen::Index r = 0; r < mixture.shifts.rows(); ++r) {
    Matrix<S> keys = K;
    keys.rowwise() += mixture.shifts.row(r);
    kappa += clampPrior(mixture.priors(r)) * keys.unaryExpr([](S x) { return phi(x); });
  }
  return kappa;
}

/// MGK / MGK-hard backward (see headWeightsBackward): E_r = dLogScores * gamma_r / sigma_r^2 with the
/// responsibilities gamma_ijr = pi_r N_r / S_ij (hard: one-hot on the winning component, the first on ties), all
/// components side by side in one T x R T matrix so dQ and the shifted keys' gradient are one GEMM each.
template <typename S>
void mixtureBackward(const HeadKernelOptions& options, const ConstMatrixRef<S>& Q, const ConstMatrixRef<S>& K,
                     const HeadMixture<S>& mixture, const ConstMatrixRef<S>& A, const ConstMatrixRef<S>& dA,
                     MatrixRef<S> dQ, MatrixRef<S> dK, HeadMixture<S>* dMixture, const HeadForwardCache<S>* cache) {
  const bool hard = options.kernel == Kernel::MgkHard;
  const Eigen::Index T = Q.rows(), R = mixture.shifts.rows(), dh = Q.cols();
  HeadForwardCache<S> local;
  if (!cache || cache->logScores.size() == 0) {
    mixtureLogDensities<S>(options, Q, K, mixture, local.keys, local.logDensity);
    mixtureLogScores<S>(options, mixture, local.logDensity, local.logScores);
    cache = &local;
  }
  const Matrix<S>&keys = cache->keys, &logDensity = cache->logDensity, &logScores = cache->logScores;
  Matrix<S> dLogScores;
  softmaxBackward<S>(A, dA, S(1), dLogScores);
  const bool learnedVariances = dMixture && mixture.logVariances.size() > 0;
  std::vector<S> variance(static_cast<size_t>(R)), prior(static_cast<size_t>(R));
  for (Eigen::Index r = 0; r < R; ++r) {
    variance[r] = componentVariance<S>(options, mixture, r, dh);
    prior[r] = clampPrior(mixture.priors(r));
  }
  std::vector<S> priorGradient(static_cast<size_t>(R), S(0)), logVarianceGradient(static_cast<size_t>(R), S(0));
  Matrix<S> E(T, R * T);
  std::vector<int> winner(static_cast<size_t>(T));
  Eigen::Array<S, 1, Eigen::Dynamic> buffer(T);
  for (Eigen::Index i = 0; i < T; ++i) {
    const auto upstream = dLogScores.row(i).head(i + 1).array();
    for (Eigen::Index r = 0; r < R; ++r) E.row(i).segment(r * T + i + 1, T - i - 1).setZero();
    if (hard) {
      for (Eigen::Index j = 0; j <= i; ++j) {
        int best = 0;
        for (Eigen::Index r = 1; r < R; ++r) {
          if (logDensity(i, r * T + j) > logDensity(i, best * T + j)) best = static_cast<int>(r);
        }
        winner[j] = best;
      }
      for (Eigen::Index r = 0; r < R; ++r) {
        for (Eigen::Index j = 0; j <= i; ++j) E(i, r * T + j) = winner[j] == r ? upstream(j) / variance[r] : S(0);
        if (learnedVariances) {
          logVarianceGradient[r] -=
              (E.row(i).segment(r * T, i + 1).array() * logDensity.row(i).segment(r * T, i + 1).array()).sum() *
              variance[r];
        }
      }
      continue;
    }
    if (!(logScores(i, 0) > -std::numeric_limits<S>::infinity())) {  // every prior 0: uniform row, no gradient
      for (Eigen::Index r = 0; r < R; ++r) E.row(i).segment(r * T, i + 1).setZero();
      continue;
    }
    // Padded past the diagonal: dLogScores is exactly 0 there (A is), and the scores are finite, so those entries of E
    // are 0 and drop out of every product below.
    const Eigen::Index padded = paddedLength<S>(i + 1, T);
    const auto paddedUpstream = dLogScores.row(i).head(padded).array();
    for (Eigen::Index r = 0; r < R; ++r) {
      auto densityOverScore = buffer.head(padded);  // N_r / S_ij
      densityOverScore = (logDensity.row(i).segment(r * T, padded) - logScores.row(i).head(padded)).array().exp();
      priorGradient[r] += (paddedUpstream * densityOverScore).sum();
      E.row(i).segment(r * T, padded) = (paddedUpstream * densityOverScore * (prior[r] / variance[r])).matrix();
      if (learnedVariances) {
        // d log N_r / d log sigma_r^2 = |q - k_jr|^2 / (2 sigma_r^2) = -log N_r.
        logVarianceGradient[r] -=
            (E.row(i).segment(r * T, padded).array() * logDensity.row(i).segment(r * T, padded).array()).sum() *
            variance[r];
      }
    }
  }
  // d log N_r / dq_i = (k_jr - q_i) / sigma^2; d / dk_jr is its negative.
  dQ.noalias() += E * keys;
  const Eigen::Matrix<S, Eigen::Dynamic, 1> rowTotals = E.rowwise().sum();
  for (Eigen::Index i = 0; i < T; ++i) dQ.row(i) -= rowTotals(i) * Q.row(i);
  Matrix<S> dKeys(R * T, dh);
  dKeys.noalias() = E.transpose() * Q;
  const Eigen::Matrix<S, 1, Eigen::Dynamic> columnTotals = E.colwise().sum();
  for (Eigen::Index m = 0; m < R * T; ++m) dKeys.row(m) -= columnTotals(m) * keys.row(m);
  for (Eigen::Index r = 0; r < R; ++r) {
    dK += dKeys.middleRows(r * T, T);
    if (!dMixture) continue;
    dMixture->shifts.row(r) += dKeys.middleRows(r * T, T).colwise().sum();
    // torch.clamp passes the gradient where min <= raw <= max.
    const S raw = mixture.priors(r);
    if (!hard && raw >= S(0) && raw <= S(1)) dMixture->priors(r) += priorGradient[r];
    if (learnedVariances) dMixture->logVariances(r) += logVarianceGradient[r];
  }
}

}  // namespace

bool kernelHasMixture(Kernel kernel) {
  return kernel == Kernel::Mgk || kernel == Kernel::MgkHard || kernel == Kernel::Mlk;
}

template <typename S>
void headWeights(const HeadKernelOptions& options, const ConstMatrixRef<S>& Q, const ConstMatrixRef<S>& K,
                 const HeadMixture<S>* mixture, Matrix<S>& A, HeadForwardCache<S>* cache) {
  const Eigen::Index T = Q.rows();
  A.resize(T, K.rows());
  switch (options.kernel) {
    case Kernel::Dpa:
      A.noalias() = Q * K.transpose();
      causalSoftmaxInPlace<S>(A, dotScale<S>(Q.cols()));
      return;
    case Kernel::Ea:
    case Kernel::EaPure: {
      const bool pure = options.kernel == Kernel::EaPure || options.expressiveForm == ExpressiveForm::Pure;
      const S scale = dotScale<S>(Q.cols());
      A.noalias() = Q * K.transpose();
      for (Eigen::Index i = 0; i < T; ++i) applyExpressive(A.row(i).head(paddedLength<S>(i + 1, T)), scale, pure);
      causalRatioInPlace<S>(A);
      return;
    }
    case Kernel::Cosine: {
      RowVec<S> queryNorms, keyNorms;
      const Matrix<S> q = Q, k = K;
      A.noalias() = unitRows(q, queryNorms) * unitRows(k, keyNorms).transpose();
      causalSoftmaxInPlace<S>(A, static_cast<S>(1.0 / options.cosineTemperature));
      return;
    }
    case Kernel::Mgk:
    case Kernel::MgkHard: {
      HeadForwardCache<S> local;
      HeadForwardCache<S>& kept = cache ? *cache : local;
      mixtureLogDensities<S>(options, Q, K, *mixture, kept.keys, kept.logDensity);
      mixtureLogScores<S>(options, *mixture, kept.logDensity, A);
      if (cache) cache->logScores = A;
      causalSoftmaxInPlace<S>(A, S(1));
      return;
    }
    case Kernel::Mlk: {
      const Matrix<S> k = K;
      A.noalias() = Q.unaryExpr([](S x) { return phi(x); }) * linearKeyFeatures(k, *mixture).transpose();
      causalRatioInPlace<S>(A);
      return;
    }
  }
}

template <typename S>
void headWeightsBackward(const HeadKernelOptions& options, const ConstMatrixRef<S>& Q, const ConstMatrixRef<S>& K,
                         const HeadMixture<S>* mixture, const ConstMatrixRef<S>& A, const ConstMatrixRef<S>& dA,
                         MatrixRef<S> dQ, MatrixRef<S> dK, HeadMixture<S>* dMixture, const HeadForwardCache<S>* cache) {
  const Eigen::Index T = Q.rows();
  switch (options.kernel) {
    case Kernel::Dpa: {
      Matrix<S> dLogits;
      softmaxBackward<S>(A, dA, dotScale<S>(Q.cols()), dLogits);
      dQ.noalias() += dLogits * K;
      dK.noalias() += dLogits.transpose() * Q;
      return;
    }
    case Kernel::Ea:
    case Kernel::EaPure: {
      // Recomputes X = Q K^T / sqrt(dh) and overwrites it row by row with dLoss/dX (0 above the diagonal).
      const bool pure = options.kernel == Kernel::EaPure || options.expressiveForm == ExpressiveForm::Pure;
      const S scale = dotScale<S>(Q.cols());
      Matrix<S> X(T, T);
      X.noalias() = Q * K.transpose();
      Eigen::Array<S, 1, Eigen::Dynamic> x(T);
      for (Eigen::Index i = 0; i < T; ++i) {
        const Eigen::Index n = i + 1, padded = paddedLength<S>(n, T);
        x.head(padded) = X.row(i).head(padded).array() * scale;
        const auto square = x.head(n).square();
        const S total = pure ? square.sum() : (square / (S(1) + square)).sum();
        if (!(total > S(0))) {  // uniform fallback row: no gradient
          X.row(i).setZero();
          continue;
        }
        // f'(x) = 2x (pure) or 2x / (1 + x^2)^2, times dLoss/dG = (dA - sum A dA) / Z, times dX/dlogit = scale. A is
        // 0 above the diagonal, so the padded dot product is the causal one.
        const S inner = A.row(i).head(padded).dot(dA.row(i).head(padded));
        const auto upstream = (dA.row(i).head(padded).array() - inner) * (S(2) * scale / total) * x.head(padded);
        if (pure) {
          X.row(i).head(padded) = upstream.matrix();
        } else {
          X.row(i).head(padded) = (upstream / (S(1) + x.head(padded).square()).square()).matrix();
        }
        X.row(i).tail(T - n).setZero();
      }
      dQ.noalias() += X * K;
      dK.noalias() += X.transpose() * Q;
      return;
    }
    case Kernel::Cosine: {
      RowVec<S> queryNorms, keyNorms;
      const Matrix<S> unitQ = unitRows(Matrix<S>(Q), queryNorms), unitK = unitRows(Matrix<S>(K), keyNorms);
      const Matrix<S> dCos = softmaxBackward<S>(A, dA) / static_cast<S>(options.cosineTemperature);
      Matrix<S> dQLocal = Matrix<S>::Zero(T, Q.cols()), dKLocal = Matrix<S>::Zero(K.rows(), K.cols());
      addUnitRowsBackward<S>(unitQ, queryNorms, dCos * unitK, dQLocal);
      addUnitRowsBackward<S>(unitK, keyNorms, dCos.transpose() * unitQ, dKLocal);
      dQ += dQLocal;
      dK += dKLocal;
      return;
    }
    case Kernel::Mgk:
    case Kernel::MgkHard:
      mixtureBackward<S>(options, Q, K, *mixture, A, dA, dQ, dK, dMixture, cache);
      return;
    case Kernel::Mlk: {
      const Matrix<S> phiQ = Q.unaryExpr([](S x) { return phi(x); });
      const Matrix<S> kappa = linearKeyFeatures(Matrix<S>(K), *mixture);
      const Matrix<S> dG = ratioBackward<S>(phiQ * kappa.transpose(), A, dA);
      dQ += (dG * kappa).cwiseProduct(Q.unaryExpr([](S x) { return phiDerivative(x); }));
      const Matrix<S> dKappa = dG.transpose() * phiQ;
      for (Eigen::Index r = 0; r < mixture->shifts.rows(); ++r) {
        Matrix<S> keys = K;
        keys.rowwise() += mixture->shifts.row(r);
        const Matrix<S> dKeys =
            clampPrior(mixture->priors(r)) * dKappa.cwiseProduct(keys.unaryExpr([](S x) { return phiDerivative(x); }));
        dK += dKeys;
        if (dMixture) {
          dMixture->shifts.row(r) += dKeys.colwise().sum();
          const S raw = mixture->priors(r);
          if (raw >= S(0) && raw <= S(1)) {
            dMixture->priors(r) += dKappa.cwiseProduct(keys.unaryExpr([](S x) { return phi(x); })).sum();
          }
        }
      }
      return;
    }
  }
}

template void headWeights<float>(const HeadKernelOptions&, const ConstMatrixRef<float>&, const ConstMatrixRef<float>&,
                                 const HeadMixture<float>*, Matrix<float>&, HeadForwardCache<float>*);
template void headWeights<double>(const HeadKernelOptions&, const ConstMatrixRef<double>&,
                                  const ConstMatrixRef<double>&, const HeadMixture<double>*, Matrix<double>&,
                                  HeadForwardCache<double>*);
template void headWeightsBackward<float>(const HeadKernelOptions&, const ConstMatrixRef<float>&,
                                         const ConstMatrixRef<float>&, const HeadMixture<float>*,
                                         const ConstMatrixRef<float>&, const ConstMatrixRef<float>&, MatrixRef<float>,
                                         MatrixRef<float>, HeadMixture<float>*, const HeadForwardCache<float>*);
template void headWeightsBackward<double>(const HeadKernelOptions&, const ConstMatrixRef<double>&,
                                          const ConstMatrixRef<double>&, const HeadMixture<double>*,
                                          const ConstMatrixRef<double>&, const ConstMatrixRef<double>&,
                                          MatrixRef<double>, MatrixRef<double>, HeadMixture<double>*,
                                          const HeadForwardCache<double>*);

}  // namespace attnscope::train
