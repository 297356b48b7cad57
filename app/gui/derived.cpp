// computeDerived: everything the views show, computed from a Scene outside any draw function.
#include <Eigen/Eigenvalues>
#include <cmath>

#include "app/gui/app_state.h"

namespace attnscope::gui {
namespace {

/// Joint PCA of keys and queries (d > 2) or the identity (d = 2). Q: N x d, K: M x d.
PlaneProjection projectToPlane(const RowMatrix& Q, const RowMatrix& K) {
  PlaneProjection plane;
  const int d = static_cast<int>(K.cols());
  plane.basis = RowMatrix::Zero(d, 2);
  plane.mean = Vector::Zero(d);
  plane.explainedVariance = Vector::Zero(2);
  if (d == 2) {
    plane.basis(0, 0) = 1.0f;
    plane.basis(1, 1) = 1.0f;
    plane.explainedVariance << 1.0f, 0.0f;
  } else {
    plane.isPca = true;
    RowMatrixD all(Q.rows() + K.rows(), d);
    all << Q.cast<double>(), K.cast<double>();
    const VectorD mean = all.colwise().mean().transpose();
    all.rowwise() -= mean.transpose();
    const Eigen::MatrixXd covariance = all.transpose() * all / std::max<double>(1.0, double(all.rows()));
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
    const double total = std::max(solver.eigenvalues().sum(), 1e-30);
    for (int axis = 0; axis < 2; ++axis) {
      // Eigen sorts eigenvalues ascending: the principal axes are the last columns.
      const int column = d - 1 - axis;
      Eigen::VectorXd direction = solver.eigenvectors().col(column);
      // Deterministic sign: largest-magnitude entry positive, so the picture does not flip between edits.
      Eigen::Index largest = 0;
      direction.cwiseAbs().maxCoeff(&largest);
      if (direction(largest) < 0) direction = -direction;
      plane.basis.col(axis) = direction.cast<float>();
      plane.explainedVariance(axis) = static_cast<float>(std::max(solver.eigenvalues()(column), 0.0) / total);
    }
    plane.mean = mean.cast<float>();
  }
  plane.queries2d = (Q.rowwise() - plane.mean.transpose()) * plane.basis;
  plane.keys2d = (K.rowwise() - plane.mean.transpose()) * plane.basis;
  return plane;
}

}  // namespace

void computeDerived(const Scene& scene, std::uint64_t revision, Derived& out) {
  out.sceneRevision = revision;
  out.error.clear();
  try {
    scene.validate();
    out.scale = scene.effectiveScale();
    out.plane = projectToPlane(scene.queries, scene.keys);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
}

}  // namespace attnscope::gui
