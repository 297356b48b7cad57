// Shared by the core tests: small matrices written out row by row, so a test's numbers read like MATH.md's tables.
#pragma once

#include <initializer_list>

#include "core/types.h"

namespace attnscope::test_support {

/// rows({{1, 0}, {0, 1}}) is the 2 x 2 identity (a RowMatrix; rows<M>(...) builds any Eigen matrix type M). Every
/// row must have as many values as the first.
template <typename Matrix = RowMatrix>
Matrix rows(std::initializer_list<std::initializer_list<typename Matrix::Scalar>> values) {
  Matrix m(static_cast<Eigen::Index>(values.size()), static_cast<Eigen::Index>(values.begin()->size()));
  Eigen::Index r = 0;
  for (const auto& row : values) {
    Eigen::Index c = 0;
    for (const auto v : row) m(r, c++) = v;
    ++r;
  }
  return m;
}

}  // namespace attnscope::test_support
