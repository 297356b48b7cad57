// Seeded N(0, 1) matrices (see random_matrix.h).
#include "core/random_matrix.h"

namespace attnscope {

RowMatrix standardNormalMatrix(Eigen::Index rows, Eigen::Index cols, std::mt19937& engine) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(engine);
  return m;
}

RowMatrix standardNormalMatrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 engine(seed);
  return standardNormalMatrix(rows, cols, engine);
}

}  // namespace attnscope
