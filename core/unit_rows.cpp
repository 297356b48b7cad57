// Overflow- and underflow-safe row normalisation (see unit_rows.h).
#include "core/unit_rows.h"

namespace attnscope {

RowMatrix unitRows(const MatrixView& X, std::vector<bool>* zeroRows) {
  RowMatrix unit(X.rows(), X.cols());
  if (zeroRows) zeroRows->assign(static_cast<std::size_t>(X.rows()), false);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const float largest = X.row(i).cwiseAbs().maxCoeff();
    if (largest == 0.0f) {
      unit.row(i).setZero();
      if (zeroRows) (*zeroRows)[static_cast<std::size_t>(i)] = true;
      continue;
    }
    unit.row(i) = X.row(i) / largest;
    unit.row(i) /= unit.row(i).norm();
  }
  return unit;
}

}  // namespace attnscope
