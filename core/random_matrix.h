// Seeded standard-normal test data shared by `attnscope bench` and the Google Benchmark programs, so every timing
// of a kernel or divergence runs on the same matrices for the same seed.
#pragma once

#include <random>

#include "core/types.h"

namespace attnscope {

/// rows x cols matrix of independent N(0, 1) values drawn from `engine`, filled in row-major order (the same values
/// for the same engine state with the same standard library).
RowMatrix standardNormalMatrix(Eigen::Index rows, Eigen::Index cols, std::mt19937& engine);

/// The same from a fresh std::mt19937 seeded with `seed`.
RowMatrix standardNormalMatrix(Eigen::Index rows, Eigen::Index cols, unsigned seed);

}  // namespace attnscope
