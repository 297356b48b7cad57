// CT and MMD^2 between a head's keys and queries with hand-derived gradients (MATH.md sections 4 and 5). Every
// pairwise quantity is one GEMM (cosines, squared distances); the sequences are short (the context), so the M x N
// matrices are small.
#include "core/train/alignment_loss.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace attnscope::train {
namespace {

template <typename S>
Matrix<S> squaredDistances(const Matrix<S>& X, const Matrix<S>& Y) {
  Matrix<S> distance = -S(2) * (X * Y.transpose());
  distance.colwise() += X.rowwise().squaredNorm();
  distance.rowwise() += Y.rowwise().squaredNorm().transpose();
  return distance.cwiseMax(S(0));
}

/// numpy.median of the distinct pairwise distances of the pooled points, with core/divergence.cpp's fallbacks (mean
/// non-zero distance, then 1).
template <typename S>
S medianBandwidth(const Matrix<S>& Q, const Matrix<S>& K) {
  Matrix<S> pooled(Q.rows() + K.rows(), Q.cols());
  pooled << Q, K;
  const Matrix<S> squared = squaredDistances(pooled, pooled);
  std::vector<double> pairs;
  for (Eigen::Index i = 0; i < pooled.rows(); ++i) {
    for (Eigen::Index j = i + 1; j < pooled.rows(); ++j) pairs.push_back(static_cast<double>(squared(i, j)));
  }
  const size_t upper = pairs.size() / 2;
  std::nth_element(pairs.begin(), pairs.begin() + static_cast<std::ptrdiff_t>(upper), pairs.end());
  double median = std::sqrt(pairs[upper]);
  if (pairs.size() % 2 == 0) {
    median = 0.5 * (median + std::sqrt(*std::max_element(pairs.begin(), pairs.begin() + upper)));
  }
  if (median > 0.0) return static_cast<S>(median);
  double sum = 0.0;
  size_t nonZero = 0;
  for (double d2 : pairs) {
    if (d2 > 0.0) {
      sum += std::sqrt(d2);
      ++nonZero;
    }
  }
  return static_cast<S>(nonZero ? sum / static_cast<double>(nonZero) : 1.0);
}

}  // namespace

const char* alignmentKindName(AlignmentKind kind) {
  switch (kind) {
    case AlignmentKind::Ct:
      return "ct";
    case AlignmentKind::Mmd:
      return "mmd";
    case AlignmentKind::None:
      break;
  }
  return "none";
}

AlignmentKind parseAlignmentKind(const std::string& name) {
  if (name == "ct") return AlignmentKind::Ct;
  if (name == "mmd") return AlignmentKind::Mmd;
  if (name == "none" || name.empty()) return AlignmentKind::None;
  throw InputError("unknown alignment regulariser '" + name + "' (expected ct, mmd or none)");
}

template <typename S>
S ctWithGradient(const Matrix<S>& Q, const Matrix<S>& K, const AlignmentOptions& options, S scale, Matrix<S>& dQ,
                 Matrix<S>& dK) {
  const Eigen::Index M = K.rows(), N = Q.rows();
  const S rho = static_cast<S>(options.rho), tau = static_cast<S>(options.tau);
  RowVec<S> keyNorms, queryNorms;
  const Matrix<S> unitK = unitRows(K, keyNorms), unitQ = unitRows(Q, queryNorms);
  const Matrix<S> cosine = unitK * unitQ.transpose();  // M x N, the navigator logits times tau
  const Matrix<S> cost = squaredDistances(unitK, unitQ).cwiseSqrt();
  // Forward plan: softmax over queries j of each key row i; backward plan: softmax over keys i of each column j.
  Matrix<S> forward(M, N), backward(M, N);
  for (Eigen::Index i = 0; i < M; ++i) {
    const S largest = cosine.row(i).maxCoeff();
    forward.row(i) = ((cosine.row(i).array() - largest) / tau).exp().matrix();
    forward.row(i) /= forward.row(i).sum();
  }
  for (Eigen::Index j = 0; j < N; ++j) {
    const S largest = cosine.col(j).maxCoeff();
    backward.col(j) = ((cosine.col(j).array() - largest) / tau).exp().matrix();
    backward.col(j) /= backward.col(j).sum();
  }
  const S forwardWeight = rho / static_cast<S>(M), backwardWeight = (S(1) - rho) / static_cast<S>(N);
  const S value = forwardWeight * cost.cwiseProduct(forward).sum() + backwardWeight * cost.cwiseProduct(backward).sum();

  // Through the plans (softmax backward per row / per column), then the cosines.
  Matrix<S> dCosine(M, N);
  for (Eigen::Index i = 0; i < M; ++i) {
    const S inner = forward.row(i).dot(cost.row(i));
    dCosine.row(i) = forwardWeight * forward.row(i).cwiseProduct((cost.row(i).array() - inner).matrix());
  }
  for (Eigen::Index j = 0; j < N; ++j) {
    const S inner = backward.col(j).dot(cost.col(j));
    dCosine.col(j) += backwardWeight * backward.col(j).cwiseProduct((cost.col(j).array() - inner).matrix());
  }
  dCosine /= tau;
  // Through the cost C_ij = |t(k_i) - t(q_j)|: dC/dt(k_i) = (t(k_i) - t(q_j)) / C, with C floored (kCostFloor).
  const Matrix<S> dCost = forwardWeight * forward + backwardWeight * backward;
  const Matrix<S> W = dCost.cwiseQuotient(cost.cwiseMax(static_cast<S>(kCostFloor)));
  Matrix<S> dUnitK = dCosine * unitQ + W.rowwise().sum().asDiagonal() * unitK - W * unitQ;
  Matrix<S> dUnitQ =
      dCosine.transpose() * unitK + W.colwise().sum().transpose().asDiagonal() * unitQ - W.transpose() * unitK;
  addUnitRowsBackward<S>(unitK, keyNorms, dUnitK, dK, scale);
  addUnitRowsBackward<S>(unitQ, queryNorms, dUnitQ, dQ, scale);
  return value;
}

template <typename S>
S mmdWithGradient(const Matrix<S>& Q, const Matrix<S>& K, const AlignmentOptions& options, S scale, Matrix<S>& dQ,
                  Matrix<S>& dK) {
  const S sigma = options.mmdBandwidth > 0.0 ? static_cast<S>(options.mmdBandwidth) : medianBandwidth(Q, K);
  const S factor = S(-0.5) / (sigma * sigma);
  const Matrix<S> kernelQQ = (squaredDistances(Q, Q) * factor).array().exp().matrix();
  const Matrix<S> kernelKK = (squaredDistances(K, K) * factor).array().exp().matrix();
  const Matrix<S> kernelQK = (squaredDistances(Q, K) * factor).array().exp().matrix();
  const S N = static_cast<S>(Q.rows()), M = static_cast<S>(K.rows());
  const S value = kernelQQ.sum() / (N * N) + kernelKK.sum() / (M * M) - S(2) * kernelQK.sum() / (N * M);
  // d k(x, y) / dx = -k (x - y) / sigma^2; sum_b W_ab (x_a - y_b) = rowsum(W)_a x_a - (W Y)_a.
  const S inverseVariance = S(1) / (sigma * sigma);
  const Matrix<S> wQQ = kernelQQ * (-S(2) * inverseVariance / (N * N));
  const Matrix<S> wKK = kernelKK * (-S(2) * inverseVariance / (M * M));
  const Matrix<S> wQK = kernelQK * (S(2) * inverseVariance / (N * M));
  dQ += scale * (wQQ.rowwise().sum().asDiagonal() * Q - wQQ * Q + wQK.rowwise().sum().asDiagonal() * Q - wQK * K);
  dK += scale * (wKK.rowwise().sum().asDiagonal() * K - wKK * K + wQK.colwise().sum().transpose().asDiagonal() * K -
                 wQK.transpose() * Q);
  return value;
}

template float ctWithGradient<float>(const Matrix<float>&, const Matrix<float>&, const AlignmentOptions&, float,
                                     Matrix<float>&, Matrix<float>&);
template double ctWithGradient<double>(const Matrix<double>&, const Matrix<double>&, const AlignmentOptions&, double,
                                       Matrix<double>&, Matrix<double>&);
template float mmdWithGradient<float>(const Matrix<float>&, const Matrix<float>&, const AlignmentOptions&, float,
                                      Matrix<float>&, Matrix<float>&);
template double mmdWithGradient<double>(const Matrix<double>&, const Matrix<double>&, const AlignmentOptions&, double,
                                        Matrix<double>&, Matrix<double>&);

}  // namespace attnscope::train
