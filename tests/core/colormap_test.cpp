// Colour-map tables: published stops land on the entries a reader can compute, and the index rule is round(t * 255).
#include "core/colormap.h"

#include <gtest/gtest.h>

#include <cmath>

namespace attnscope {
namespace {

Rgb8 hex(std::uint32_t value) {
  return {static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>((value >> 8) & 0xff),
          static_cast<std::uint8_t>(value & 0xff)};
}

TEST(Colormap, EndpointsAreThePublishedColours) {
  EXPECT_EQ(colorMapTable(ColorMap::Viridis)[0], hex(0x440154));
  EXPECT_EQ(colorMapTable(ColorMap::Viridis)[255], hex(0xfde725));
  EXPECT_EQ(colorMapTable(ColorMap::Magma)[0], hex(0x000004));
  EXPECT_EQ(colorMapTable(ColorMap::Magma)[255], hex(0xfcfdbf));
  EXPECT_EQ(colorMapTable(ColorMap::Diverging)[0], hex(0x053061));
  EXPECT_EQ(colorMapTable(ColorMap::Diverging)[255], hex(0x67001f));
}

TEST(Colormap, InteriorStopsFallOnExactEntries) {
  // 11 diverging stops over 255 steps: stop s sits at entry 25.5 s, an integer for even s.
  const auto diverging = colorMapTable(ColorMap::Diverging);
  EXPECT_EQ(diverging[51], hex(0x4393c3));
  EXPECT_EQ(diverging[102], hex(0xd1e5f0));
  EXPECT_EQ(diverging[153], hex(0xfddbc7));
  EXPECT_EQ(diverging[204], hex(0xd6604d));
}

TEST(Colormap, InterpolatesBetweenStops) {
  // Viridis entry 1 lies 8/255 of the way from stop 0 (0x44,0x01,0x54) to stop 1 (0x47,0x2c,0x7a).
  const Rgb8 entry = colorMapTable(ColorMap::Viridis)[1];
  EXPECT_EQ(entry[0], static_cast<int>(std::lround(0x44 + (0x47 - 0x44) * 8.0 / 255.0)));
  EXPECT_EQ(entry[1], static_cast<int>(std::lround(0x01 + (0x2c - 0x01) * 8.0 / 255.0)));
  EXPECT_EQ(entry[2], static_cast<int>(std::lround(0x54 + (0x7a - 0x54) * 8.0 / 255.0)));
}

TEST(Colormap, IndexRuleRoundsAndClamps) {
  EXPECT_EQ(colorMapIndex(0.0f), 0);
  EXPECT_EQ(colorMapIndex(-3.0f), 0);
  EXPECT_EQ(colorMapIndex(NAN), 0);
  EXPECT_EQ(colorMapIndex(1.0f), 255);
  EXPECT_EQ(colorMapIndex(7.0f), 255);
  EXPECT_EQ(colorMapIndex(0.5f), 128);  // 127.5 rounds up
  EXPECT_EQ(colorMapIndex(1.0f / 255.0f), 1);
  EXPECT_EQ(colorMapLookup(ColorMap::Magma, 1.0f), hex(0xfcfdbf));
}

TEST(Colormap, NormaliseLinearAndLog) {
  EXPECT_FLOAT_EQ(normaliseValue(0.25f, 0.0f, 1.0f, false), 0.25f);
  EXPECT_FLOAT_EQ(normaliseValue(2.0f, 0.0f, 1.0f, false), 1.0f);
  EXPECT_NEAR(normaliseValue(0.1f, 0.01f, 1.0f, true), 0.5f, 1e-6f);  // log10: -1 is halfway from -2 to 0
  EXPECT_FLOAT_EQ(normaliseValue(0.0f, 0.0f, 1.0f, true), 0.0f);      // zero clamps to the floor, never -inf
  EXPECT_FLOAT_EQ(normaliseValue(0.5f, 1.0f, 1.0f, false), 0.0f);     // empty range
  EXPECT_FLOAT_EQ(normaliseValue(INFINITY, 0.0f, 1.0f, false), 0.0f);
}

TEST(Colormap, NamesRoundTrip) {
  for (ColorMap map : kAllColorMaps) EXPECT_EQ(colorMapFromName(colorMapName(map)), map);
  EXPECT_FALSE(colorMapFromName("jet").has_value());
}

}  // namespace
}  // namespace attnscope
