// Shared matrix types of the core. Vectors are rows: a query or key matrix is N x d, one vector per row,
// stored row-major so each vector is contiguous (cheap row access, GEMM-friendly for Q K^T).
#pragma once

#include <Eigen/Core>

namespace attnscope {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;
using VectorD = Eigen::VectorXd;

/// Read-only view of any float matrix expression with row-major layout (no copy for RowMatrix and its blocks).
using MatrixView = Eigen::Ref<const RowMatrix>;
using VectorView = Eigen::Ref<const Vector>;

}  // namespace attnscope
