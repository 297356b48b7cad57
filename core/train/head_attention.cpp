// Training forward and backward of the seven attention kernels (MATH.md sections 1-3 and 5), one causal head at a
// time. Every kernel is "scores, then row normalisation"; the backward splits the same way, so each kernel only
// supplies d(scores)/d(Q, K, mixture). All heavy products are GEMMs over the T x dh blocks.
#include "core/train/head_attention.h"

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

/// Causal softmax of logits L over j <= i, in place into A. A row whose visible logits are all -inf (MGK with every
/// prior 0) becomes uniform, as the core kernel's fallback.
template <typename S>
void causalSoftmax(const Matrix<S>& L, Matrix<S>& A) {
  const Eigen::Index T = L.rows();
  A.setZero(T, T);
  for (Eigen::Index i = 0; i < T; ++i) {
    const S largest = L.row(i).head(i + 1).maxCoeff();
    if (!(largest > -std::numeric_limits<S>::infinity())) {
      A.row(i).head(i + 1).setConstant(S(1) / static_cast<S>(i + 1));
      continue;
    }
    A.row(i).head(i + 1) = (L.row(i).head(i + 1).array() - largest).exp().matrix();
    A.row(i).head(i + 1) /= A.row(i).head(i + 1).sum();
  }
}

/// Causal ratio normalisation A_ij = G_ij / sum_j' G_ij' of non-negative scores; zero mass gives uniform rows.
template <typename S>
void causalRatio(const Matrix<S>& G, Matrix<S>& A) {
  const Eigen::Index T = G.rows();
  A.setZero(T, T);
  for (Eigen::Index i = 0; i < T; ++i) {
    const S total = G.row(i).head(i + 1).sum();
    if (total > S(0)) {
      A.row(i).head(i + 1) = G.row(i).head(i + 1) / total;
    } else {
      A.row(i).head(i + 1).setConstant(S(1) / static_cast<S>(i + 1));
    }
  }
}

/// dLoss/dlogits of a causal softmax: A_ij (dA_ij - sum_j' A_ij' dA_ij'), zero above the diagonal.
template <typename S>
Matrix<S> softmaxBackward(const Matrix<S>& A, const Matrix<S>& dA) {
  const Eigen::Index T = A.rows();
  Matrix<S> dL = Matrix<S>::Zero(T, T);
  for (Eigen::Index i = 0; i < T; ++i) {
    const S inner = A.row(i).head(i + 1).dot(dA.row(i).head(i + 1));
    dL.row(i).head(i + 1) = A.row(i).head(i + 1).cwiseProduct((dA.row(i).head(i + 1).array() - inner).matrix());
  }
  return dL;
}

/// dLoss/dG of a causal ratio: (dA_ij - sum_j' A_ij' dA_ij') / Z_i; zero for fallback rows (Z = 0).
template <typename S>
Matrix<S> ratioBackward(const Matrix<S>& G, const Matrix<S>& A, const Matrix<S>& dA) {
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

template <typename S>
S dotScale(const Matrix<S>& Q) {
  return S(1) / std::sqrt(static_cast<S>(Q.cols()));
}

/// Expressive f(x) and f'(x).
template <typename S>
S expressiveF(S x, bool pure) {
  const S square = x * x;
  return pure ? square : square / (S(1) + square);
}
template <typename S>
S expressiveDerivative(S x, bool pure) {
  if (pure) return S(2) * x;
  const S denominator = S(1) + x * x;
  return S(2) * x / (denominator * denominator);
}

template <typename S>
S componentVariance(const HeadKernelOptions& options, const HeadMixture<S>& mixture, Eigen::Index r, Eigen::Index dh) {
  if (mixture.logVariances.size() > 0) return std::exp(mixture.logVariances(r));
  return r < static_cast<Eigen::Index>(options.variances.size()) ? static_cast<S>(options.variances[r])
                                                                 : std::sqrt(static_cast<S>(dh));
}

/// MGK: log N_r(i, j) = -|q_i - k_j - b_r|^2 / (2 sigma_r^2) for component r, through |q|^2 + |k|^2 - 2 q.k.
template <typename S>
Matrix<S> componentLogDensity(const Matrix<S>& Q, const Matrix<S>& shiftedKeys, S variance) {
  Matrix<S> distance = -S(2) * (Q * shiftedKeys.transpose());
  distance.colwise() += Q.rowwise().squaredNorm();
  distance.rowwise() += shiftedKeys.rowwise().squaredNorm().transpose();
  return distance.cwiseMax(S(0)) * (S(-0.5) / variance);
}

template <typename S>
Matrix<S> shifted(const Matrix<S>& K, const HeadMixture<S>& mixture, Eigen::Index r) {
  Matrix<S> keys = K;
  keys.rowwise() += mixture.shifts.row(r);
  return keys;
}

/// MGK log scores: logsumexp_r(log pi_r + log N_r) (soft) or max_r log N_r (hard). `winner` gets argmax_r (hard).
template <typename S>
Matrix<S> mixtureLogScores(const HeadKernelOptions& options, const Matrix<S>& Q, const Matrix<S>& K,
                           const HeadMixture<S>& mixture, std::vector<Matrix<S>>& logDensity) {
  const bool hard = options.kernel == Kernel::MgkHard;
  const Eigen::Index T = Q.rows(), R = mixture.shifts.rows();
  logDensity.resize(static_cast<size_t>(R));
  for (Eigen::Index r = 0; r < R; ++r) {
    logDensity[r] = componentLogDensity(Q, shifted(K, mixture, r), componentVariance<S>(options, mixture, r, Q.cols()));
  }
  if (hard) {
    Matrix<S> logScores = logDensity[0];
    for (Eigen::Index r = 1; r < R; ++r) logScores = logScores.cwiseMax(logDensity[r]);
    return logScores;
  }
  // Soft: a log-sum-exp over components, elementwise on whole T x T matrices (vectorised exp and log). Components
  // with prior 0 drop out; if every prior is 0 the scores are -inf and the softmax falls back to uniform.
  const S negativeInfinity = -std::numeric_limits<S>::infinity();
  Matrix<S> largest = Matrix<S>::Constant(T, T, negativeInfinity);
  for (Eigen::Index r = 0; r < R; ++r) {
    const S prior = clampPrior(mixture.priors(r));
    if (prior > S(0)) largest = largest.cwiseMax((logDensity[r].array() + std::log(prior)).matrix());
  }
  if (!(largest(0, 0) > negativeInfinity)) return largest;
  Matrix<S> total = Matrix<S>::Zero(T, T);
  for (Eigen::Index r = 0; r < R; ++r) {
    const S prior = clampPrior(mixture.priors(r));
    if (prior > S(0)) total.array() += prior * (logDensity[r] - largest).array().exp();
  }
  return largest + total.array().log().matrix();
}

/// MLK: kappa_j = sum_r pi_r phi(k_j + b_r), T x dh.
template <typename S>
Matrix<S> linearKeyFeatures(const Matrix<S>& K, const HeadMixture<S>& mixture) {
  Matrix<S> kappa = Matrix<S>::Zero(K.rows(), K.cols());
  for (Eigen::Index r = 0; r < mixture.shifts.rows(); ++r) {
    kappa += clampPrior(mixture.priors(r)) * shifted(K, mixture, r).unaryExpr([](S x) { return phi(x); });
  }
  return kappa;
}

}  // namespace

bool kernelHasMixture(Kernel kernel) {
  return kernel == Kernel::Mgk || kernel == Kernel::MgkHard || kernel == Kernel::Mlk;
}

template <typename S>
void headWeights(const HeadKernelOptions& options, const Matrix<S>& Q, const Matrix<S>& K,
                 const HeadMixture<S>* mixture, Matrix<S>& A) {
  switch (options.kernel) {
    case Kernel::Dpa:
      causalSoftmax<S>((Q * K.transpose()) * dotScale(Q), A);
      return;
    case Kernel::Ea:
    case Kernel::EaPure: {
      const bool pure = options.kernel == Kernel::EaPure || options.expressiveForm == ExpressiveForm::Pure;
      const S scale = dotScale(Q);
      const Matrix<S> G = (Q * K.transpose()).unaryExpr([&](S x) { return expressiveF(scale * x, pure); });
      causalRatio(G, A);
      return;
    }
    case Kernel::Cosine: {
      RowVec<S> queryNorms, keyNorms;
      const Matrix<S> logits = unitRows(Q, queryNorms) * unitRows(K, keyNorms).transpose();
      causalSoftmax<S>(logits / static_cast<S>(options.cosineTemperature), A);
      return;
    }
    case Kernel::Mgk:
    case Kernel::MgkHard: {
      std::vector<Matrix<S>> logDensity;
      causalSoftmax<S>(mixtureLogScores(options, Q, K, *mixture, logDensity), A);
      return;
    }
    case Kernel::Mlk: {
      const Matrix<S> G = Q.unaryExpr([](S x) { return phi(x); }) * linearKeyFeatures(K, *mixture).transpose();
      causalRatio(G, A);
      return;
    }
  }
}

template <typename S>
void headWeightsBackward(const HeadKernelOptions& options, const Matrix<S>& Q, const Matrix<S>& K,
                         const HeadMixture<S>* mixture, const Matrix<S>& A, const Matrix<S>& dA, Matrix<S>& dQ,
                         Matrix<S>& dK, HeadMixture<S>* dMixture) {
  switch (options.kernel) {
    case Kernel::Dpa: {
      const Matrix<S> dLogits = softmaxBackward(A, dA) * dotScale(Q);
      dQ.noalias() += dLogits * K;
      dK.noalias() += dLogits.transpose() * Q;
      return;
    }
    case Kernel::Ea:
    case Kernel::EaPure: {
      const bool pure = options.kernel == Kernel::EaPure || options.expressiveForm == ExpressiveForm::Pure;
      const S scale = dotScale(Q);
      const Matrix<S> X = (Q * K.transpose()) * scale;
      const Matrix<S> G = X.unaryExpr([&](S x) { return expressiveF(x, pure); });
      Matrix<S> dX = ratioBackward(G, A, dA);
      dX = dX.cwiseProduct(X.unaryExpr([&](S x) { return expressiveDerivative(x, pure); })) * scale;
      dQ.noalias() += dX * K;
      dK.noalias() += dX.transpose() * Q;
      return;
    }
    case Kernel::Cosine: {
      RowVec<S> queryNorms, keyNorms;
      const Matrix<S> unitQ = unitRows(Q, queryNorms), unitK = unitRows(K, keyNorms);
      const Matrix<S> dCos = softmaxBackward(A, dA) / static_cast<S>(options.cosineTemperature);
      addUnitRowsBackward<S>(unitQ, queryNorms, dCos * unitK, dQ);
      addUnitRowsBackward<S>(unitK, keyNorms, dCos.transpose() * unitQ, dK);
      return;
    }
    case Kernel::Mgk:
    case Kernel::MgkHard: {
      const bool hard = options.kernel == Kernel::MgkHard;
      std::vector<Matrix<S>> logDensity;
      const Matrix<S> logScores = mixtureLogScores(options, Q, K, *mixture, logDensity);
      const Matrix<S> dLogScores = softmaxBackward(A, dA);
      const Eigen::Index T = Q.rows(), R = mixture->shifts.rows();
      // Hard: the gradient goes through the winning component only (the first on ties).
      std::vector<Eigen::Index> winner;
      if (hard) {
        winner.assign(static_cast<size_t>(T * T), 0);
        for (Eigen::Index i = 0; i < T; ++i) {
          for (Eigen::Index j = 0; j < T; ++j) {
            for (Eigen::Index r = 1; r < R; ++r) {
              if (logDensity[r](i, j) > logDensity[winner[i * T + j]](i, j)) winner[i * T + j] = r;
            }
          }
        }
      }
      for (Eigen::Index r = 0; r < R; ++r) {
        const S variance = componentVariance<S>(options, *mixture, r, Q.cols());
        const S prior = clampPrior(mixture->priors(r));
        // N_r / S_ij and the responsibility gamma_ijr = pi_r N_r / S_ij (hard: one-hot).
        Matrix<S> responsibility = Matrix<S>::Zero(T, T);
        S priorGradient = 0;
        if (hard) {
          for (Eigen::Index i = 0; i < T; ++i) {
            for (Eigen::Index j = 0; j <= i; ++j) responsibility(i, j) = winner[i * T + j] == r ? S(1) : S(0);
          }
        } else if (logScores(0, 0) > -std::numeric_limits<S>::infinity()) {
          // Above the diagonal dLogScores is 0, so those entries drop out of every product below.
          const Matrix<S> densityOverScore = (logDensity[r] - logScores).array().exp().matrix();
          responsibility = prior * densityOverScore;
          priorGradient = dLogScores.cwiseProduct(densityOverScore).sum();
        }
        const Matrix<S> E = dLogScores.cwiseProduct(responsibility) / variance;
        const Matrix<S> keys = shifted(K, *mixture, r);
        // d log N_r / dq_i = (k_jr - q_i) / sigma^2; d / dk_jr is its negative.
        dQ.noalias() += E * keys;
        dQ -= E.rowwise().sum().asDiagonal() * Q;
        Matrix<S> dKeys = E.transpose() * Q;
        dKeys -= E.colwise().sum().transpose().asDiagonal() * keys;
        dK += dKeys;
        if (dMixture) {
          dMixture->shifts.row(r) += dKeys.colwise().sum();
          // torch.clamp passes the gradient where min <= raw <= max.
          const S raw = mixture->priors(r);
          if (!hard && raw >= S(0) && raw <= S(1)) dMixture->priors(r) += priorGradient;
          // d log N_r / d log sigma_r^2 = |q - k_jr|^2 / (2 sigma_r^2) = -log N_r.
          if (mixture->logVariances.size() > 0) {
            dMixture->logVariances(r) -= dLogScores.cwiseProduct(responsibility).cwiseProduct(logDensity[r]).sum();
          }
        }
      }
      return;
    }
    case Kernel::Mlk: {
      const Matrix<S> phiQ = Q.unaryExpr([](S x) { return phi(x); });
      const Matrix<S> kappa = linearKeyFeatures(K, *mixture);
      const Matrix<S> dG = ratioBackward<S>(phiQ * kappa.transpose(), A, dA);
      dQ += (dG * kappa).cwiseProduct(Q.unaryExpr([](S x) { return phiDerivative(x); }));
      const Matrix<S> dKappa = dG.transpose() * phiQ;
      for (Eigen::Index r = 0; r < mixture->shifts.rows(); ++r) {
        const Matrix<S> keys = shifted(K, *mixture, r);
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

template void headWeights<float>(const HeadKernelOptions&, const Matrix<float>&, const Matrix<float>&,
                                 const HeadMixture<float>*, Matrix<float>&);
template void headWeights<double>(const HeadKernelOptions&, const Matrix<double>&, const Matrix<double>&,
                                  const HeadMixture<double>*, Matrix<double>&);
template void headWeightsBackward<float>(const HeadKernelOptions&, const Matrix<float>&, const Matrix<float>&,
                                         const HeadMixture<float>*, const Matrix<float>&, const Matrix<float>&,
                                         Matrix<float>&, Matrix<float>&, HeadMixture<float>*);
template void headWeightsBackward<double>(const HeadKernelOptions&, const Matrix<double>&, const Matrix<double>&,
                                          const HeadMixture<double>*, const Matrix<double>&, const Matrix<double>&,
                                          Matrix<double>&, Matrix<double>&, HeadMixture<double>*);

}  // namespace attnscope::train
