// L2 normalisation of row vectors that stays exact for tiny and huge norms; shared by cosine attention and geometry.
#pragma once

#include <vector>

#include "core/types.h"

namespace attnscope {

/// Rows scaled to unit length. X: N x d, one vector per row; returns N x d. An all-zero row has no direction and
/// stays zero; when `zeroRows` is given it receives N flags marking those rows. Each row is divided by its largest
/// |entry| before the norm is taken, so rows with norms of 1e-20 (whose squares underflow float32) or 1e30 (whose
/// squares overflow) come out exact.
RowMatrix unitRows(const MatrixView& X, std::vector<bool>* zeroRows = nullptr);

}  // namespace attnscope
