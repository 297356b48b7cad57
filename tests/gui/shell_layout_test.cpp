// The window layouts: defaultViewRect (app/gui/shell.cpp) gives every view a place, and with the model explorer open
// the seven windows tile the region without covering each other, at 1280 x 1000 and at 800 x 600; demoViewRect
// (app/gui/presenter.cpp, demos and presenter mode) fills the screen with the shown views, leaving no hole. Then
// drawUi itself, headless (ImGui frames without rendering): opening the model explorer switches the layout and
// closing it switches back, and presenter mode hides every view's widgets.
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <array>
#include <cmath>
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
  std::vector<std::string> ids = viewIds();
  ASSERT_EQ(ids.size(), 8u);  // the six views, the model explorer and the long map
  // The long map opens alone for a long capture (gui::openLongCapture) and takes the region above the explorer.
  std::erase(ids, std::string("longmap"));
  const Rect longMap = place("longmap", width, height, true);
  EXPECT_GT(longMap.w, 0.95f * width);
  EXPECT_LE(longMap.y + longMap.h, place("model", width, height, true).y);
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

/// Heatmaps without GL: no texture (views draw their frames and skip the image).
class NoTextures : public HeatmapCache {
 public:
  unsigned texture(const std::string&, std::uint64_t, const MatrixView&, const HeatmapStyle&) override { return 0; }
};

/// The window's UI, frame by frame, in a private ImGui context (no GL: frames are built, never rendered).
class InteractiveUi : public ::testing::Test {
 protected:
  void SetUp() override {
    imgui_ = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 1000);
    setupFontsAndStyle(1.0f);
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    context_.setHeatmapCache(&textures_);
    context_.refreshDerived();
    layout_.width = 1280;
    layout_.height = 1000;
  }
  void TearDown() override {
    context_.demoPlayer().presenter = false;
    ImGui::DestroyContext(imgui_);
  }
  void frames(int count) {
    for (int i = 0; i < count; ++i) {
      ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
      ImGui::NewFrame();
      drawUi(context_, shell_, layout_);
      ImGui::EndFrame();
      context_.endFrame();
    }
  }
  Rect window(const char* title) {
    const ImGuiWindow* w = ImGui::FindWindowByName(title);
    EXPECT_NE(w, nullptr) << title;
    return w ? Rect{w->Pos.x, w->Pos.y, w->Size.x, w->Size.y} : Rect{0, 0, 0, 0};
  }
  void setModelOpen(bool open) {
    Scene next = context_.scene();
    next.setViewOpen("model", open);
    context_.submit(std::move(next), "model view");
    context_.endFrame();
  }
  std::string probeNames() const {
    std::string names;
    for (const auto& [name, point] : context_.probes()) names += name + " ";
    for (const auto& banner : shell_.banners) names += "| banner: " + banner.text;
    return names;
  }
  int controlProbes() const {
    int count = 0;
    for (const auto& [name, point] : context_.probes()) count += name.starts_with("control/");
    return count;
  }

  ImGuiContext* imgui_ = nullptr;
  NoTextures textures_;
  AppContext context_{defaultScene()};
  ShellState shell_;
  FrameLayout layout_;
};

TEST_F(InteractiveUi, OpeningTheModelExplorerDocksItAndClosingItGivesTheSpaceBack) {
  frames(3);
  const Rect canvasAlone = window("Vector canvas");
  const char* const titles[] = {"Vector canvas",        "Kernel sweep",         "Attention maps", "Parameters",
                                "Gaussian-key density", "Alignment divergence", "Model explorer"};
  setModelOpen(true);
  frames(3);
  const Rect model = window("Model explorer");
  EXPECT_GT(model.w, 0.95f * 1280.0f);
  EXPECT_GT(model.h, 0.3f * 1000.0f);
  for (const char* a : titles)
    for (const char* b : titles)
      if (std::string(a) < b) EXPECT_FALSE(overlap(window(a), window(b))) << a << " / " << b;
  EXPECT_LT(window("Vector canvas").h, canvasAlone.h - 100.0f);  // the six views moved up to make room

  setModelOpen(false);
  frames(3);
  const Rect canvasAgain = window("Vector canvas");
  EXPECT_FLOAT_EQ(canvasAgain.h, canvasAlone.h);
  EXPECT_FLOAT_EQ(canvasAgain.y, canvasAlone.y);
}

TEST_F(InteractiveUi, PresenterModeHidesEveryViewsWidgetsAndEnlargesTheViews) {
  frames(3);
  EXPECT_GE(controlProbes(), 5) << probeNames();  // canvas, sweep, maps, density, divergence each publish a widget
  EXPECT_FALSE(context_.presenting());
  const Rect densityBefore = window("Gaussian-key density");
  context_.demoPlayer().presenter = true;
  frames(3);
  EXPECT_TRUE(context_.presenting());
  EXPECT_EQ(controlProbes(), 0);
  EXPECT_EQ(ImGui::FindWindowByName("Parameters")->Active, false);
  // Five views fill the screen (3 + 2, no menu or status bar): the bottom two share the width Parameters had.
  const Rect densityOn = window("Gaussian-key density");
  EXPECT_GT(densityOn.w * densityOn.h, 1.3f * densityBefore.w * densityBefore.h);
  context_.demoPlayer().presenter = false;
  frames(3);
  EXPECT_FALSE(context_.presenting());
  EXPECT_GE(controlProbes(), 5) << probeNames();
}

// Views no other window overlaps are drawn without their background fill (llvmpipe shades every background pixel)
// over a frame cleared to exactly that background; the exports are byte-identical (tests/golden). Here: which
// windows lose the fill, and that overlapping ones keep it.
bool bare(const char* title) {
  const ImGuiWindow* w = ImGui::FindWindowByName(title);
  return w != nullptr && (w->Flags & ImGuiWindowFlags_NoBackground) != 0;
}

const char* const kViewTitles[] = {"Vector canvas", "Kernel sweep",         "Attention maps",
                                   "Parameters",    "Gaussian-key density", "Alignment divergence"};

TEST_F(InteractiveUi, TiledViewsDrawNoBackgroundAndTheFrameIsClearedToIt) {
  frames(3);
  for (const char* title : kViewTitles) EXPECT_TRUE(bare(title)) << title;
  EXPECT_FALSE(bare("##MainMenuBar"));
  // The clear colour is the window background's bytes (0.09, 0.10, 0.12 -> 23, 26, 31).
  EXPECT_FLOAT_EQ(shell_.clearColour[0] * 255.0f, 23.0f);
  EXPECT_FLOAT_EQ(shell_.clearColour[1] * 255.0f, 26.0f);
  EXPECT_FLOAT_EQ(shell_.clearColour[2] * 255.0f, 31.0f);
  EXPECT_FLOAT_EQ(shell_.clearColour[3], 1.0f);
  // Around the windows the background draw list paints the old clear colour, 70% of the background: 16, 18, 21.
  ImGui::NewFrame();
  drawUi(context_, shell_, layout_);
  ImGui::Render();
  const ImDrawList* background = ImGui::GetBackgroundDrawList();
  ASSERT_GT(background->VtxBuffer.Size, 0);
  EXPECT_EQ(background->VtxBuffer[0].col, IM_COL32(16, 18, 21, 255));
  context_.endFrame();
  // Covered area: the six windows and the menu bar plus the painted rectangles (corner squares counted twice) cover the
  // frame.
  float painted = 0;
  const ImU32 surround = IM_COL32(16, 18, 21, 255);
  for (int i = 0; i + 2 < background->IdxBuffer.Size; i += 3) {
    const ImDrawVert& a = background->VtxBuffer[background->IdxBuffer[i]];
    const ImDrawVert& b = background->VtxBuffer[background->IdxBuffer[i + 1]];
    const ImDrawVert& c = background->VtxBuffer[background->IdxBuffer[i + 2]];
    if (a.col != surround || b.col != surround || c.col != surround) continue;
    painted += 0.5f * std::abs((b.pos.x - a.pos.x) * (c.pos.y - a.pos.y) - (c.pos.x - a.pos.x) * (b.pos.y - a.pos.y));
  }
  float windows = 0;
  for (const char* title : kViewTitles) windows += window(title).w * window(title).h;
  windows += window("##MainMenuBar").w * window("##MainMenuBar").h;  // opaque: nothing painted under it
  const float corners = 6 * 4 * std::pow(std::ceil(ImGui::GetStyle().WindowRounding) + 1.0f, 2.0f);
  EXPECT_NEAR(painted + windows - corners, 1280.0f * 1000.0f, 0.5f);
}

TEST_F(InteractiveUi, ExportLayoutsDrawNoBackgroundFromTheFirstFrameExceptTransparent) {
  // renderUiImage's layouts: forced placement, no menu or status bar; the first of its three frames already knows
  // every rectangle. A transparent export keeps the (zero-alpha) backgrounds and clears to transparent itself.
  layout_.interactive = false;
  layout_.forceLayout = true;
  frames(1);
  for (const char* title : kViewTitles) EXPECT_TRUE(bare(title)) << title;
  layout_.soloView = "maps";
  frames(1);
  EXPECT_TRUE(bare("Attention maps"));
  layout_.transparent = true;
  frames(1);
  EXPECT_FALSE(bare("Attention maps"));
}

TEST_F(InteractiveUi, OverlappingViewsKeepTheirBackgroundAndGetItBackWhenApart) {
  frames(3);
  const Rect canvas = window("Vector canvas");
  const Rect sweep = window("Kernel sweep");
  ImGui::SetWindowPos("Kernel sweep", ImVec2(canvas.x + 40, canvas.y + 40));
  frames(2);
  EXPECT_FALSE(bare("Vector canvas"));
  EXPECT_FALSE(bare("Kernel sweep"));
  EXPECT_TRUE(bare("Attention maps"));
  ImGui::SetWindowPos("Kernel sweep", ImVec2(sweep.x, sweep.y));
  frames(2);
  EXPECT_TRUE(bare("Vector canvas"));
  EXPECT_TRUE(bare("Kernel sweep"));
  // A dialog window over the views: the views under it keep their background.
  shell_.showHelp = true;
  frames(3);
  int covered = 0;
  for (const char* title : kViewTitles) covered += !bare(title);
  EXPECT_GE(covered, 1);
  shell_.showHelp = false;
  frames(2);
  for (const char* title : kViewTitles) EXPECT_TRUE(bare(title)) << title;
  EXPECT_FLOAT_EQ(shell_.clearColour[0] * 255.0f, 23.0f);
}

}  // namespace
}  // namespace attnscope::gui
