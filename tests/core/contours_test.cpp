// Tests of core/contours.cpp: straight and circular iso-lines, saddles, level placement.
#include "core/contours.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "core/error.h"

namespace attnscope {
namespace {

RowMatrix sampleField(const PlaneGrid& grid, float (*f)(float, float)) {
  RowMatrix field(grid.height, grid.width);
  for (int y = 0; y < grid.height; ++y)
    for (int x = 0; x < grid.width; ++x)
      field(y, x) = f(grid.columnToU(static_cast<float>(x)), grid.rowToV(static_cast<float>(y)));
  return field;
}

TEST(Contours, LinearRampGivesAStraightLine) {
  // f = u on 4 x 3 pixels over [-2, 2] x [-1.5, 1.5]: column centres -1.5, -0.5, 0.5, 1.5; level 0 at u = 0.
  PlaneGrid grid{-2, 2, -1.5f, 1.5f, 4, 3};
  const RowMatrix field = sampleField(grid, [](float u, float) { return u; });
  const auto contours = isoContours(field, grid, {0.0f, 1.0f});
  ASSERT_EQ(contours.size(), 2u);
  ASSERT_EQ(contours[0].segments.size(), 2u);  // one per row pair
  for (const auto& s : contours[0].segments) {
    EXPECT_NEAR(s.u0, 0.0f, 1e-6);
    EXPECT_NEAR(s.u1, 0.0f, 1e-6);
    EXPECT_NEAR(std::abs(s.v1 - s.v0), 1.0f, 1e-6);  // spans one row spacing
  }
  for (const auto& s : contours[1].segments) EXPECT_NEAR(s.u0, 1.0f, 1e-6);
  EXPECT_FLOAT_EQ(contours[1].level, 1.0f);
}

TEST(Contours, CircleHasTheRightRadiusAndLength) {
  PlaneGrid grid{-2, 2, -2, 2, 201, 201};
  const RowMatrix field = sampleField(grid, [](float u, float v) { return u * u + v * v; });
  const auto contours = isoContours(field, grid, {1.0f});
  double length = 0;
  for (const auto& s : contours[0].segments) {
    EXPECT_NEAR(std::hypot(s.u0, s.v0), 1.0f, 2e-3);
    EXPECT_NEAR(std::hypot(s.u1, s.v1), 1.0f, 2e-3);
    length += std::hypot(s.u1 - s.u0, s.v1 - s.v0);
  }
  EXPECT_NEAR(length, 2 * std::numbers::pi, 2e-3 * 2 * std::numbers::pi);
}

TEST(Contours, SaddleIsResolvedByTheCellMean) {
  // 2 x 2 samples: top-left and bottom-right high. Pixel centres at u, v = +-0.5.
  PlaneGrid grid{-1, 1, -1, 1, 2, 2};
  RowMatrix field(2, 2);
  field << 1, 0, 0, 1;
  // Level 0.4: the mean 0.5 is above, so the high corners join and the lines cut off the two low corners.
  const auto joined = isoContours(field, grid, {0.4f});
  ASSERT_EQ(joined[0].segments.size(), 2u);
  for (const auto& s : joined[0].segments) {
    // Each segment lies next to a low corner (top-right (0.5, 0.5) or bottom-left (-0.5, -0.5)): both ends share
    // the corner's quadrant sign pattern u * v > 0 once mapped to the corner.
    const float midU = 0.5f * (s.u0 + s.u1), midV = 0.5f * (s.v0 + s.v1);
    EXPECT_GT(midU * midV, 0.0f);
  }
  // Level 0.6: the mean is below, so the high corners are cut off (top-left and bottom-right, u * v < 0).
  const auto split = isoContours(field, grid, {0.6f});
  ASSERT_EQ(split[0].segments.size(), 2u);
  for (const auto& s : split[0].segments) EXPECT_LT(0.5f * (s.u0 + s.u1) * 0.5f * (s.v0 + s.v1), 0.0f);
  // Interpolated crossing on the top edge between 1 (u = -0.5) and 0 (u = 0.5) at level 0.6: u = -0.5 + 0.4.
  bool foundTopCrossing = false;
  for (const auto& s : split[0].segments)
    for (auto [u, v] : {std::pair{s.u0, s.v0}, std::pair{s.u1, s.v1}})
      if (std::abs(v - 0.5f) < 1e-6f && std::abs(u + 0.1f) < 1e-6f) foundTopCrossing = true;
  EXPECT_TRUE(foundTopCrossing);
}

TEST(Contours, LevelsOutsideTheRangeAndBadInput) {
  PlaneGrid grid{-1, 1, -1, 1, 3, 3};
  const RowMatrix field = RowMatrix::Constant(3, 3, 0.5f);
  EXPECT_TRUE(isoContours(field, grid, {0.0f})[0].segments.empty());
  EXPECT_TRUE(isoContours(field, grid, {1.0f})[0].segments.empty());
  EXPECT_THROW(isoContours(RowMatrix::Zero(2, 3), grid, {0.5f}), InputError);
  EXPECT_THROW(isoContours(field, grid, {std::nanf("")}), InputError);
  RowMatrix bad = field;
  bad(1, 1) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(isoContours(bad, grid, {0.5f}), InputError);
}

TEST(Contours, LevelsKeepTheirOrderAndMatchSeparateRuns) {
  // 300 x 300 runs in parallel; unsorted levels together must equal each level on its own, segment by segment.
  PlaneGrid grid{-2, 2, -2, 2, 300, 300};
  const RowMatrix field = sampleField(grid, [](float u, float v) { return u * u + 0.5f * v * v + 0.3f * u * v; });
  const std::vector<float> levels{2.0f, 0.5f, 1.0f};
  const auto together = isoContours(field, grid, levels);
  ASSERT_EQ(together.size(), 3u);
  for (size_t l = 0; l < levels.size(); ++l) {
    EXPECT_EQ(together[l].level, levels[l]);
    const auto alone = isoContours(field, grid, {levels[l]});
    ASSERT_EQ(together[l].segments.size(), alone[0].segments.size());
    ASSERT_FALSE(alone[0].segments.empty());
    for (size_t s = 0; s < alone[0].segments.size(); ++s) {
      EXPECT_EQ(together[l].segments[s].u0, alone[0].segments[s].u0);
      EXPECT_EQ(together[l].segments[s].v1, alone[0].segments[s].v1);
    }
  }
}

TEST(Contours, EvenlySpacedLevels) {
  const std::vector<float> levels = evenlySpacedLevels(0.0f, 1.0f, 3);
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_FLOAT_EQ(levels[0], 0.25f);
  EXPECT_FLOAT_EQ(levels[1], 0.5f);
  EXPECT_FLOAT_EQ(levels[2], 0.75f);
  EXPECT_TRUE(evenlySpacedLevels(1.0f, 1.0f, 3).empty());
  EXPECT_TRUE(evenlySpacedLevels(0.0f, 1.0f, 0).empty());
}

}  // namespace
}  // namespace attnscope
