// Tests for core/validate.h: the shared finite/shape checks name the offending entry.
#include "core/validate.h"

#include <gtest/gtest.h>

#include <limits>

#include "core/error.h"

namespace attnscope {
namespace {

TEST(Validate, FiniteMatrixPasses) {
  RowMatrix m = RowMatrix::Ones(3, 2);
  EXPECT_NO_THROW(requireFinite(m, "Q"));
}

TEST(Validate, NanIsReportedWithPosition) {
  RowMatrix m = RowMatrix::Zero(3, 2);
  m(2, 1) = std::numeric_limits<float>::quiet_NaN();
  try {
    requireFinite(m, "Q");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "Q contains NaN at row 2, column 1");
  }
}

TEST(Validate, DimensionMismatchIsReported) {
  RowMatrix q = RowMatrix::Zero(3, 2), k = RowMatrix::Zero(4, 5);
  EXPECT_THROW(requireSameDimension(q, "Q", k, "K"), InputError);
}

}  // namespace
}  // namespace attnscope
