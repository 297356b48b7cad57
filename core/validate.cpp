#include "core/validate.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace attnscope {

void requireFinite(const MatrixView& matrix, std::string_view what) {
  if (matrix.allFinite()) return;
  for (Eigen::Index r = 0; r < matrix.rows(); ++r)
    for (Eigen::Index c = 0; c < matrix.cols(); ++c)
      if (!std::isfinite(matrix(r, c)))
        throw InputError(std::string(what) + " contains " + (std::isnan(matrix(r, c)) ? "NaN" : "Inf") + " at row " +
                         std::to_string(r) + ", column " + std::to_string(c));
}

void requireFiniteVector(const VectorView& vector, std::string_view what) {
  if (vector.allFinite()) return;
  for (Eigen::Index i = 0; i < vector.size(); ++i)
    if (!std::isfinite(vector(i)))
      throw InputError(std::string(what) + " contains " + (std::isnan(vector(i)) ? "NaN" : "Inf") + " at index " +
                       std::to_string(i));
}

void requireSameDimension(const MatrixView& a, std::string_view aName, const MatrixView& b, std::string_view bName) {
  if (a.cols() != b.cols())
    throw InputError(std::string(aName) + " has dimension " + std::to_string(a.cols()) + " but " + std::string(bName) +
                     " has dimension " + std::to_string(b.cols()) + "; they must match");
}

void requireNonEmpty(const MatrixView& matrix, std::string_view what) {
  if (matrix.rows() == 0 || matrix.cols() == 0)
    throw InputError(std::string(what) + " is empty (" + std::to_string(matrix.rows()) + " x " +
                     std::to_string(matrix.cols()) + ")");
}

}  // namespace attnscope
