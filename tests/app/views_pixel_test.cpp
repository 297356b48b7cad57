// Headless pixel checks of the views (EGL offscreen, no display): colours that the mathematics decides, read back from
// the same render path as the PNG export. The view probe says where each heatmap and arrow was drawn.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/gui/app_state.h"
#include "app/gui/scene_io.h"
#include "app/gui/shell.h"
#include "app/render/egl_context.h"
#include "app/views/view_common.h"
#include "app/views/view_probe.h"
#include "core/colormap.h"
#include "tests/app/headless_gl_suite.h"

namespace attnscope {
namespace {

// q0 = (1, 0), q1 = (0.6, 0.8); keys parallel (1, 0), orthogonal (0, 1), antiparallel (-1, 0), long (1.6, 0.2).
// For q0 the orthogonal key has q.k = 0 exactly, so EA's f(0) = 0 gives it weight 0 (MATH.md section 2).
gui::Scene teachingScene() {
  gui::Scene scene = gui::defaultScene();
  scene.queries.resize(2, 2);
  scene.queries << 1.0f, 0.0f, 0.6f, 0.8f;
  scene.keys.resize(4, 2);
  scene.keys << 1.0f, 0.0f, 0.0f, 1.0f, -1.0f, 0.0f, 1.6f, 0.2f;
  scene.display.colorMap = ColorMap::Viridis;
  scene.normalise();
  return scene;
}

constexpr int kOrthogonalKey = 1;
enum { kDpa = 0, kEa = 1, kMgk = 2 };

struct Rendered {
  render::Image image;
  views::ViewProbe probe;
};

Rendered renderView(gui::AppContext& context, const std::string& view) {
  gui::ExportOptions options;
  options.width = 1200;
  options.height = 760;
  options.view = view;
  Rendered result;
  result.image = gui::renderUiImage(context, options);
  result.probe = context.viewProbe();
  return result;
}

/// A pixel well inside cell (row, column) of heatmap `map`, away from the centred value text and the grid lines.
const std::uint8_t* cellPixel(const Rendered& r, int map, int row, int column) {
  const auto& area = r.probe.heatmapAreas[map];
  const float cellWidth = (area.x1 - area.x0) / float(r.probe.heatmapColumns);
  const float cellHeight = (area.y1 - area.y0) / float(r.probe.heatmapRows);
  const int x = static_cast<int>(area.x0 + (column + 0.15f) * cellWidth);
  const int y = static_cast<int>(area.y0 + (row + 0.15f) * cellHeight);
  return r.image.pixel(x, y);
}

::testing::AssertionResult sameRgb(const std::uint8_t* pixel, const Rgb8& expected) {
  if (pixel[0] == expected[0] && pixel[1] == expected[1] && pixel[2] == expected[2])
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "pixel (" << int(pixel[0]) << ", " << int(pixel[1]) << ", " << int(pixel[2])
                                       << ") != colour-map entry (" << int(expected[0]) << ", " << int(expected[1])
                                       << ", " << int(expected[2]) << ")";
}

class ViewPixels : public test_support::HeadlessGlSuite<ViewPixels> {};

TEST_F(ViewPixels, EaCellOfOrthogonalKeyIsTheColourMapsZeroColour) {
  gui::AppContext context(teachingScene());
  context.refreshDerived();
  ASSERT_EQ(context.derived().result(Kernel::Ea).weights(0, kOrthogonalKey), 0.0f);  // the math: q0 . k_orthogonal = 0
  const Rendered r = renderView(context, "maps");
  ASSERT_EQ(r.probe.heatmapRows, 2);
  ASSERT_EQ(r.probe.heatmapColumns, 4);
  EXPECT_TRUE(sameRgb(cellPixel(r, kEa, 0, kOrthogonalKey), colorMapTable(ColorMap::Viridis)[0]));
  // The same key under DPA gets exp(0) / sum exp(x) > 0: not the zero colour.
  EXPECT_FALSE(sameRgb(cellPixel(r, kDpa, 0, kOrthogonalKey), colorMapTable(ColorMap::Viridis)[0]));
}

TEST_F(ViewPixels, EveryHeatmapCellShowsItsWeightThroughTheSharedLookupTable) {
  gui::AppContext context(teachingScene());
  context.refreshDerived();
  const gui::Derived& derived = context.derived();
  // One colour scale for all three maps: [0, largest weight of any map].
  const float maxWeight =
      std::max({derived.result(Kernel::Dpa).weights.maxCoeff(), derived.result(Kernel::Ea).weights.maxCoeff(),
                derived.result(Kernel::Mgk).weights.maxCoeff()});
  const Rendered r = renderView(context, "maps");
  const gui::KernelResult* results[] = {&derived.result(Kernel::Dpa), &derived.result(Kernel::Ea),
                                        &derived.result(Kernel::Mgk)};
  for (int map = 0; map < 3; ++map)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 4; ++j) {
        const float w = results[map]->weights(i, j);
        EXPECT_TRUE(sameRgb(cellPixel(r, map, i, j), colorMapLookup(ColorMap::Viridis, w / maxWeight)))
            << "map " << map << " cell (" << i << ", " << j << ") weight " << w;
      }
}

TEST_F(ViewPixels, AllSevenKernelsSavedAndLoadedDrawSevenMapsInListOrder) {
  // A scene showing every kernel goes through a scene file and back, then the maps view draws one map per kernel,
  // in kAllKernels order (reading order), each cell coloured by that kernel's own weight on the shared scale.
  gui::Scene scene = teachingScene();
  scene.display.shownKernels.assign(kAllKernels.begin(), kAllKernels.end());
  const std::string path = ::testing::TempDir() + "attnscope_seven_kernels.json";
  gui::saveSceneFile(path, scene);
  const gui::Scene loaded = gui::loadSceneFile(path);
  std::remove(path.c_str());
  ASSERT_EQ(loaded.display.shownKernels.size(), kAllKernels.size());

  gui::AppContext context(loaded);
  context.refreshDerived();
  const gui::Derived& derived = context.derived();
  ASSERT_EQ(derived.error, "");
  float maxWeight = 0.0f;
  for (Kernel kernel : kAllKernels) {
    ASSERT_EQ(derived.result(kernel).weights.rows(), 2) << kernelName(kernel);
    maxWeight = std::max(maxWeight, derived.result(kernel).weights.maxCoeff());
  }
  const Rendered r = renderView(context, "maps");
  ASSERT_EQ(r.probe.heatmapAreas.size(), kAllKernels.size());
  for (std::size_t map = 0; map < kAllKernels.size(); ++map) {
    const auto& area = r.probe.heatmapAreas[map];
    EXPECT_GT(area.x1 - area.x0, 20.0f) << "map " << map;
    if (map > 0) {
      // Reading order: the next map is to the right on the same row, or starts a row below (the view arranges the
      // maps side by side, stacked or in a grid, whichever shows the bigger cells).
      const auto& previous = r.probe.heatmapAreas[map - 1];
      const bool right = area.x0 > previous.x1 && area.y0 < previous.y1 && area.y1 > previous.y0;
      EXPECT_TRUE(right || area.y0 > previous.y1) << "map " << map << " overlaps or precedes map " << map - 1;
    }
    const RowMatrix& weights = derived.result(kAllKernels[map]).weights;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 4; ++j)
        EXPECT_TRUE(sameRgb(cellPixel(r, int(map), i, j), colorMapLookup(ColorMap::Viridis, weights(i, j) / maxWeight)))
            << kernelName(kAllKernels[map]) << " cell (" << i << ", " << j << ") weight " << weights(i, j);
  }
  // The pure EA of q0 and the orthogonal key is exactly 0 (f(0) = 0), whatever the saturating form's neighbours do.
  EXPECT_EQ(derived.result(Kernel::EaPure).weights(0, kOrthogonalKey), 0.0f);
}

TEST_F(ViewPixels, LogScaleKeepsZeroWeightsAtTheLowestColour) {
  gui::Scene scene = teachingScene();
  scene.display.heatmapLogScale = true;
  scene.display.colorMap = ColorMap::Magma;
  gui::AppContext context(scene);
  context.refreshDerived();
  const Rendered r = renderView(context, "maps");
  EXPECT_TRUE(sameRgb(cellPixel(r, kEa, 0, kOrthogonalKey), colorMapTable(ColorMap::Magma)[0]));
  // The largest weight of all maps sits at the top of the scale.
  const gui::Derived& d = context.derived();
  const gui::KernelResult* results[] = {&d.result(Kernel::Dpa), &d.result(Kernel::Ea), &d.result(Kernel::Mgk)};
  int bestMap = 0, bestRow = 0, bestColumn = 0;
  float best = -1.0f;
  for (int map = 0; map < 3; ++map)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 4; ++j)
        if (results[map]->weights(i, j) > best)
          best = results[map]->weights(i, j), bestMap = map, bestRow = i, bestColumn = j;
  EXPECT_TRUE(
      sameRgb(cellPixel(r, bestMap, bestRow, bestColumn), colorMapTable(ColorMap::Magma)[kColorMapEntries - 1]));
}

TEST_F(ViewPixels, CanvasDrawsTheSelectedQueryArrowInTheQueryColour) {
  gui::AppContext context(teachingScene());
  context.refreshDerived();
  const Rendered r = renderView(context, "canvas");
  ASSERT_EQ(r.probe.queryTips.size(), 2u);
  // q0 = (1, 0): its tip lies right of the origin on the same row, one unit away; q1 = (0.6, 0.8) is 1 unit long too.
  const auto origin = r.probe.canvasOrigin, tip0 = r.probe.queryTips[0], tip1 = r.probe.queryTips[1];
  EXPECT_NEAR(tip0[1], origin[1], 0.5f);
  const float unit = tip0[0] - origin[0];
  EXPECT_GT(unit, 50.0f);
  EXPECT_NEAR(std::hypot(tip1[0] - origin[0], tip1[1] - origin[1]), unit, 0.5f);
  // Three fifths of the way along the (4 px thick) selected query arrow the pixel is the query colour.
  const int x = static_cast<int>(std::lround(origin[0] + 0.6f * unit)), y = static_cast<int>(std::lround(origin[1]));
  const ImU32 expected = views::queryColor();
  const std::uint8_t* p = r.image.pixel(x, y);
  EXPECT_NEAR(p[0], (expected >> IM_COL32_R_SHIFT) & 0xFF, 6);
  EXPECT_NEAR(p[1], (expected >> IM_COL32_G_SHIFT) & 0xFF, 6);
  EXPECT_NEAR(p[2], (expected >> IM_COL32_B_SHIFT) & 0xFF, 6);
}

/// Pixels inside `rect` within `tolerance` per channel of `color` (the line's solid core; anti-aliased edges differ).
int countColour(const render::Image& image, const views::ViewProbe::Rect& rect, ImU32 color, int tolerance = 6) {
  const int r = (color >> IM_COL32_R_SHIFT) & 0xFF, g = (color >> IM_COL32_G_SHIFT) & 0xFF,
            b = (color >> IM_COL32_B_SHIFT) & 0xFF;
  int count = 0;
  for (int y = static_cast<int>(rect.y0); y < static_cast<int>(rect.y1); ++y)
    for (int x = static_cast<int>(rect.x0); x < static_cast<int>(rect.x1); ++x) {
      const std::uint8_t* p = image.pixel(x, y);
      count += std::abs(p[0] - r) <= tolerance && std::abs(p[1] - g) <= tolerance && std::abs(p[2] - b) <= tolerance;
    }
  return count;
}

TEST_F(ViewPixels, SweepDrawsMlkAndCosineOnlyWhenSwitchedOn) {
  const ImU32 mlk = views::kernelColor(Kernel::Mlk), cosine = views::kernelColor(Kernel::Cosine);
  // Every kernel's colour differs from every other kernel's and from the query and key colours.
  for (Kernel a : kAllKernels) {
    for (Kernel b : kAllKernels)
      if (a != b) EXPECT_NE(views::kernelColor(a), views::kernelColor(b));
    EXPECT_NE(views::kernelColor(a), views::queryColor());
    EXPECT_NE(views::kernelColor(a), views::keyColor());
  }
  EXPECT_NE(views::queryColor(), mlk);
  EXPECT_NE(views::queryColor(), cosine);

  gui::Scene scene = teachingScene();
  gui::AppContext off(scene);
  off.refreshDerived();
  const Rendered without = renderView(off, "sweep");
  const views::ViewProbe::Rect plots[] = {without.probe.sweepWeights, without.probe.sweepPolar,
                                          without.probe.sweepBars};
  for (const auto& rect : plots) {
    ASSERT_GT(rect.x1 - rect.x0, 100.0f);
    EXPECT_EQ(countColour(without.image, rect, mlk), 0);
    EXPECT_EQ(countColour(without.image, rect, cosine), 0);
  }

  scene.display.setKernelShown(Kernel::Mlk, true);
  scene.display.setKernelShown(Kernel::Cosine, true);
  gui::AppContext on(scene);
  on.refreshDerived();
  const Rendered with = renderView(on, "sweep");
  const views::ViewProbe::Rect plotsOn[] = {with.probe.sweepWeights, with.probe.sweepPolar, with.probe.sweepBars};
  // A 3 px curve across a plot several hundred pixels wide, and bars for four keys: hundreds of solid pixels each.
  for (const auto& rect : plotsOn) {
    EXPECT_GT(countColour(with.image, rect, mlk), 300);
    EXPECT_GT(countColour(with.image, rect, cosine), 300);
  }
}

}  // namespace
}  // namespace attnscope
