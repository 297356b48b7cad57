// The window layouts: defaultViewRect (app/gui/shell.cpp) gives every view a place, and with the model explorer open
// the seven windows tile the region without covering each other, at 1280 x 1000 and at 800 x 600; demoViewRect
// (app/gui/presenter.cpp, demos and presenter mode) fills the screen with the shown views, leaving no hole.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "app/gui/presenter.h"
#include "app/gui/shell.h"

namespace attnscope::gui {
namespace {

struct Rect {
  float x, y, w, h;
};

Rect place(const std::string& id, float width, float height, bool modelOpen) {
  float out[4];
  // The views region of the window: below a 20 px menu bar, above a 20 px status bar.
  defaultViewRect(id, 0.0f, 20.0f, width, height - 40.0f, out, modelOpen);
  return {out[0], out[1], out[2], out[3]};
}

bool overlap(const Rect& a, const Rect& b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

std::vector<std::string> viewIds() {
  std::vector<std::string> ids;
  for (const ViewInfo& view : allViews()) ids.emplace_back(view.id);
  return ids;
}

class ShellLayout : public ::testing::TestWithParam<std::array<float, 2>> {};

TEST_P(ShellLayout, WithTheModelExplorerOpenNoWindowCoversAnotherAndAllStayInside) {
  const auto [width, height] = GetParam();
  const std::vector<std::string> ids = viewIds();
  ASSERT_EQ(ids.size(), 7u);  // the six views plus the model explorer
  std::vector<Rect> rects;
  for (const std::string& id : ids) {
    const Rect r = place(id, width, height, true);
    EXPECT_GE(r.x, 0.0f) << id;
    EXPECT_GE(r.y, 20.0f) << id;
    EXPECT_LE(r.x + r.w, width) << id;
    EXPECT_LE(r.y + r.h, height - 20.0f) << id;
    // Big enough to read: at least a fifth of the width and 15% of the height of the views region.
    EXPECT_GE(r.w, 0.2f * width) << id;
    EXPECT_GE(r.h, 0.15f * (height - 40.0f)) << id;
    rects.push_back(r);
  }
  for (std::size_t a = 0; a < rects.size(); ++a)
    for (std::size_t b = a + 1; b < rects.size(); ++b)
      EXPECT_FALSE(overlap(rects[a], rects[b])) << ids[a] << " overlaps " << ids[b];
  // The model explorer spans the width (its two layer x head grids sit side by side) below the six views.
  const Rect model = place("model", width, height, true);
  EXPECT_GT(model.w, 0.95f * width);
  for (const std::string& id : ids)
    if (id != "model") EXPECT_LE(place(id, width, height, true).y + place(id, width, height, true).h, model.y) << id;
}

TEST_P(ShellLayout, WithoutTheModelExplorerTheSixViewsShareTheWholeRegion) {
  const auto [width, height] = GetParam();
  const Rect canvas = place("canvas", width, height, false);
  const Rect divergence = place("divergence", width, height, false);
  // Two rows of three filling the region (4 px gaps), as before the model explorer had a place.
  EXPECT_NEAR(canvas.x, 4.0f, 1e-3f);
  EXPECT_NEAR(divergence.x + divergence.w, width - 4.0f, 1e-3f);
  EXPECT_NEAR(divergence.y + divergence.h, height - 20.0f - 4.0f, 1e-3f);
  for (const std::string& a : {"canvas", "sweep", "maps", "parameters", "density", "divergence"})
    for (const std::string& b : {"canvas", "sweep", "maps", "parameters", "density", "divergence"})
      if (a < b) EXPECT_FALSE(overlap(place(a, width, height, false), place(b, width, height, false))) << a << b;
}

TEST_P(ShellLayout, PresenterAndDemoLayoutFillsTheScreenWithoutOverlapOrHoles) {
  const auto [width, height] = GetParam();
  for (int count = 1; count <= 7; ++count) {
    std::vector<Rect> rects;
    double area = 0;
    for (int i = 0; i < count; ++i) {
      float out[4];
      demoViewRect(i, count, 0.0f, 0.0f, width, height, out);
      rects.push_back({out[0], out[1], out[2], out[3]});
      area += double(out[2]) * out[3];
      EXPECT_LE(out[0] + out[2], width + 1e-3f);
      EXPECT_LE(out[1] + out[3], height + 1e-3f);
    }
    for (int a = 0; a < count; ++a)
      for (int b = a + 1; b < count; ++b) EXPECT_FALSE(overlap(rects[a], rects[b])) << count << ": " << a << ", " << b;
    // Only the 4 px gaps are left over (5 views: 3 on top, 2 sharing the bottom row's whole width).
    EXPECT_GT(area, 0.95 * width * height) << count << " views";
  }
}

INSTANTIATE_TEST_SUITE_P(WindowSizes, ShellLayout,
                         ::testing::Values(std::array<float, 2>{1280.0f, 1000.0f}, std::array<float, 2>{800.0f, 600.0f},
                                           std::array<float, 2>{1600.0f, 1000.0f}));

}  // namespace
}  // namespace attnscope::gui
