// Input checks shared by every core entry point: finite values and matching shapes.
#pragma once

#include <string_view>

#include "core/types.h"

namespace attnscope {

/// Throws InputError naming `what` and the first offending (row, column) if any entry is NaN or Inf.
void requireFinite(const MatrixView& matrix, std::string_view what);
void requireFiniteVector(const VectorView& vector, std::string_view what);

/// Throws InputError unless `a` and `b` have the same number of columns (the vector dimension d).
void requireSameDimension(const MatrixView& a, std::string_view aName, const MatrixView& b, std::string_view bName);

/// Throws InputError if the matrix has no rows or no columns.
void requireNonEmpty(const MatrixView& matrix, std::string_view what);

}  // namespace attnscope
