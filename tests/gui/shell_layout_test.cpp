// The window layouts: every workspace (app/gui/workspaces.cpp) tiles its views into the region without overlap, inside
// it, filling it, at 1280 x 800, 1920 x 1080 and 800 x 600, whatever subset of views is open (demo steps, presenter
// mode, a view closed or opened from the View menu). Then drawUi itself, headless (ImGui frames without rendering):
// Ctrl+1..3 switch workspaces (the model explorer docks along the bottom in Model), the choice is an undoable scene
// edit, and presenter mode hides every view's widgets.
#include <GLFW/glfw3.h>  // key codes only
#include <gtest/gtest.h>
#include <imgui.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "app/gui/imgui_bridge.h"  // windowFacts: no ImGui internals here
#include "app/gui/presenter.h"
#include "app/gui/shell.h"
#include "app/gui/workspaces.h"
#include "app/views/view_probe.h"
#include "tests/gui/headless_ui.h"

namespace attnscope::gui {
namespace {

struct Rect {
  float x, y, w, h;
};

bool overlap(const Rect& a, const Rect& b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/// The views region of a window: below a 20 px menu bar and 26 px of workspace tabs, above a 20 px status bar.
std::vector<Rect> tile(const WorkspaceInfo& workspace, const std::vector<ViewKind>& shown, float width, float height) {
  std::vector<Rect> rects;
  for (const LayoutRect& r : tileWorkspace(workspace, shown, 0.0f, 46.0f, width, height - 66.0f))
    rects.push_back({r.x, r.y, r.width, r.height});
  return rects;
}

class WorkspaceLayout : public ::testing::TestWithParam<std::array<float, 2>> {};

TEST_P(WorkspaceLayout, EveryWorkspaceTilesItsViewsInsideWithoutOverlapFillingTheRegion) {
  const auto [width, height] = GetParam();
  ASSERT_GE(allWorkspaces().size(), 3u);
  for (const WorkspaceInfo& workspace : allWorkspaces()) {
    const std::vector<ViewKind> shown(workspace.opens.begin(), workspace.opens.end());
    const std::vector<Rect> rects = tile(workspace, shown, width, height);
    ASSERT_EQ(rects.size(), shown.size());
    double area = 0;
    for (std::size_t i = 0; i < rects.size(); ++i) {
      const Rect& r = rects[i];
      EXPECT_GE(r.x, 0.0f) << workspaceName(workspace.kind) << " " << viewInfo(shown[i]).id;
      EXPECT_GE(r.y, 46.0f) << workspaceName(workspace.kind) << " " << viewInfo(shown[i]).id;
      EXPECT_LE(r.x + r.w, width) << workspaceName(workspace.kind) << " " << viewInfo(shown[i]).id;
      EXPECT_LE(r.y + r.h, height - 20.0f) << workspaceName(workspace.kind) << " " << viewInfo(shown[i]).id;
      // Big enough to read: a quarter of the width and of the region's height at least (a column of two views).
      EXPECT_GE(r.w, 0.25f * width) << workspaceName(workspace.kind) << " " << viewInfo(shown[i]).id;
      EXPECT_GE(r.h, 0.25f * (height - 66.0f)) << workspaceName(workspace.kind) << " " << viewInfo(shown[i]).id;
      // Whole pixels: the background-less drawing of tiled windows needs pixel-aligned edges (shell.cpp).
      EXPECT_EQ(r.x, std::floor(r.x));
      EXPECT_EQ(r.w, std::floor(r.w));
      area += double(r.w) * r.h;
      for (std::size_t j = i + 1; j < rects.size(); ++j)
        EXPECT_FALSE(overlap(r, rects[j]))
            << workspaceName(workspace.kind) << ": " << viewInfo(shown[i]).id << " / " << viewInfo(shown[j]).id;
    }
    // Only the 4 px gaps (and up to a pixel per window lost to whole-pixel rounding) are left over.
    EXPECT_GT(area, 0.95 * width * (height - 66.0f)) << workspaceName(workspace.kind);
  }
}

TEST_P(WorkspaceLayout, AnySubsetOfViewsStillFillsTheRegionAndUnnamedViewsGetARow) {
  const auto [width, height] = GetParam();
  std::vector<ViewKind> all;
  for (const ViewInfo& view : allViews()) all.push_back(view.kind);
  for (const WorkspaceInfo& workspace : allWorkspaces()) {
    // Every non-empty subset of the first six views (demo steps show two or three of them; presenter mode drops the
    // parameters; the bench opens all): no overlap, every view inside and at least 100 px each way.
    for (unsigned mask = 1; mask < 64u; ++mask) {
      std::vector<ViewKind> shown;
      for (unsigned v = 0; v < 6; ++v)
        if (mask & (1u << v)) shown.push_back(all[v]);
      const std::vector<Rect> rects = tile(workspace, shown, width, height);
      for (std::size_t i = 0; i < rects.size(); ++i) {
        EXPECT_GE(rects[i].w, 100.0f) << workspaceName(workspace.kind) << " mask " << mask << " "
                                      << viewInfo(shown[i]).id;
        EXPECT_GE(rects[i].h, 100.0f) << workspaceName(workspace.kind) << " mask " << mask << " "
                                      << viewInfo(shown[i]).id;
        EXPECT_LE(rects[i].x + rects[i].w, width);
        EXPECT_LE(rects[i].y + rects[i].h, height - 20.0f);
        for (std::size_t j = i + 1; j < rects.size(); ++j)
          EXPECT_FALSE(overlap(rects[i], rects[j])) << workspaceName(workspace.kind) << " mask " << mask;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(WindowSizes, WorkspaceLayout,
                         ::testing::Values(std::array<float, 2>{1280.0f, 800.0f},
                                           std::array<float, 2>{1920.0f, 1080.0f},
                                           std::array<float, 2>{800.0f, 600.0f}));

TEST(Workspaces, TheModelWorkspaceDocksTheExplorerAlongTheBottomBelowTheHeadViews) {
  const WorkspaceInfo* model = &workspaceInfo(WorkspaceKind::Model);
  const std::vector<Rect> r = tile(*model, {ViewKind::Canvas, ViewKind::Maps, ViewKind::Model}, 1280.0f, 800.0f);
  EXPECT_EQ(r[2].x, 4.0f);
  EXPECT_EQ(r[2].w, 1280.0f - 8.0f);  // the whole width but the outer gaps
  EXPECT_NEAR(r[2].y + r[2].h, 800.0f - 20.0f - 4.0f, 1.0f);
  EXPECT_LE(r[0].y + r[0].h, r[2].y);
  EXPECT_EQ(r[0].y, r[1].y);
  // 734 px of height: 4 + 0.45 share + 4 + 0.55 share + 4 -> the explorer 398 px (floored), the head views 325 px.
  EXPECT_EQ(r[2].h, std::floor((734.0f - 12.0f) * 0.55f));
  EXPECT_EQ(r[0].h, std::floor((734.0f - 12.0f) * 0.45f));
}

TEST(Workspaces, ScenesWithoutAWorkspaceGetTheOneTheirViewsFit) {
  Scene scene = defaultScene();
  EXPECT_EQ(workspaceOf(scene).kind, WorkspaceKind::Playground);
  scene.workspace.reset();  // a scene saved before workspaces existed
  scene.openViews = {ViewKind::Canvas, ViewKind::Density, ViewKind::Divergence, ViewKind::Maps};
  EXPECT_EQ(workspaceOf(scene).kind, WorkspaceKind::Densities);
  scene.openViews = {ViewKind::Canvas,  ViewKind::Sweep,      ViewKind::Maps,
                     ViewKind::Density, ViewKind::Divergence, ViewKind::Parameters};  // the old default
  EXPECT_EQ(workspaceOf(scene).kind, WorkspaceKind::Playground);
  scene.openViews = {ViewKind::LongMap};
  EXPECT_EQ(workspaceOf(scene).kind, WorkspaceKind::Model);
  scene.workspace.reset();
  scene.openViews = {ViewKind::Train};
  EXPECT_EQ(workspaceOf(scene).kind, WorkspaceKind::Train);
  scene.workspace = WorkspaceKind::Densities;
  EXPECT_EQ(workspaceOf(scene).kind, WorkspaceKind::Densities);
  switchWorkspace(scene, workspaceInfo(WorkspaceKind::Playground));
  EXPECT_EQ(scene.workspace, WorkspaceKind::Playground);
  EXPECT_EQ(scene.openViews,
            (std::vector<ViewKind>{ViewKind::Canvas, ViewKind::Sweep, ViewKind::Maps, ViewKind::Parameters}));
  EXPECT_EQ(workspaceShowing(ViewKind::Model)->kind, WorkspaceKind::Model);
  EXPECT_EQ(workspaceShowing(ViewKind::Density)->kind, WorkspaceKind::Densities);
  EXPECT_EQ(workspaceShowing(ViewKind::LongMap)->kind, WorkspaceKind::Model);
}

/// The window's UI at 1280 x 1000, frame by frame, in a private ImGui context (tests/gui/headless_ui.h).
class InteractiveUi : public HeadlessUi {
 protected:
  InteractiveUi() : HeadlessUi(1280, 1000) {}
  void TearDown() override {
    context_.demoPlayer().presenter = false;
    HeadlessUi::TearDown();
  }
  /// The fonts, UI scale and window size presenter mode has on a 1280 x 800 screen (presenter mode itself is
  /// switched on by the test).
  void presenterFontAt1280x800() {
    const float scale = context_.demoPlayer().presenterFontFactor;
    setupFontsAndStyle(scale);
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    shell_.uiScale = scale;
    context_.setUiScale(scale);
    ImGui::GetIO().DisplaySize = ImVec2(1280, 800);
    layout_.width = 1280;
    layout_.height = 800;
  }
  Rect window(const char* title) {
    const std::optional<WindowFacts> w = windowFacts(title);
    EXPECT_TRUE(w.has_value()) << title;
    return w ? Rect{w->rect.x0, w->rect.y0, w->rect.x1 - w->rect.x0, w->rect.y1 - w->rect.y0} : Rect{0, 0, 0, 0};
  }
  /// Drawn in the last frame.
  static bool active(const char* title) {
    const std::optional<WindowFacts> w = windowFacts(title);
    return w.has_value() && w->active;
  }
  void setModelOpen(bool open) {
    Scene next = context_.scene();
    next.setViewOpen(ViewKind::Model, open);
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
};

TEST_F(InteractiveUi, CtrlDigitsSwitchWorkspacesAndTheModelExplorerDocksAlongTheBottom) {
  frames(3);
  const Rect canvasAlone = window("Vector canvas");
  EXPECT_FALSE(active("Model explorer"));
  shell_.keyPresses.push_back({GLFW_KEY_3, GLFW_MOD_CONTROL});
  frames(3);
  EXPECT_EQ(context_.scene().workspace, WorkspaceKind::Model);
  const Rect model = window("Model explorer");
  EXPECT_GT(model.w, 0.95f * 1280.0f);
  EXPECT_GT(model.h, 0.3f * 1000.0f);
  const char* const titles[] = {"Vector canvas", "Attention maps", "Model explorer"};
  for (const char* a : titles)
    for (const char* b : titles)
      if (std::string(a) < b) EXPECT_FALSE(overlap(window(a), window(b))) << a << " / " << b;
  EXPECT_FALSE(active("Kernel sweep"));
  EXPECT_LE(window("Vector canvas").y + window("Vector canvas").h, model.y);  // the head views sit above it

  shell_.keyPresses.push_back({GLFW_KEY_2, GLFW_MOD_CONTROL});
  frames(3);
  EXPECT_EQ(context_.scene().workspace, WorkspaceKind::Densities);
  EXPECT_TRUE(active("Gaussian-key density"));
  EXPECT_FALSE(active("Model explorer"));

  // The switch is an edit: undo goes back to Model, then to Playground with its layout exactly as before.
  context_.undo();
  context_.undo();
  context_.endFrame();
  frames(3);
  EXPECT_EQ(context_.scene().workspace, WorkspaceKind::Playground);
  const Rect canvasAgain = window("Vector canvas");
  EXPECT_FLOAT_EQ(canvasAgain.h, canvasAlone.h);
  EXPECT_FLOAT_EQ(canvasAgain.y, canvasAlone.y);
  EXPECT_NE(context_.probes().count("workspace/model"), 0u);  // the tabs publish their centres
}

TEST_F(InteractiveUi, AViewOpenedOutsideTheWorkspacesTilingGetsARowAlongTheBottom) {
  frames(3);
  Scene next = context_.scene();
  next.setViewOpen(ViewKind::Model, true);  // as File > Open of a model does, without choosing a workspace
  context_.submit(std::move(next), "model view");
  context_.endFrame();
  frames(3);
  // Playground has no place for the explorer: it gets a row along the bottom at full width, and nothing overlaps.
  const char* const titles[] = {"Vector canvas", "Kernel sweep", "Attention maps", "Parameters", "Model explorer"};
  for (const char* a : titles)
    for (const char* b : titles)
      if (std::string(a) < b) EXPECT_FALSE(overlap(window(a), window(b))) << a << " / " << b;
  EXPECT_GT(window("Model explorer").w, 0.95f * 1280.0f);
  EXPECT_GE(window("Model explorer").y, window("Parameters").y + window("Parameters").h);
}

TEST_F(InteractiveUi, PresenterModeHidesEveryViewsWidgetsAndEnlargesTheViews) {
  frames(3);
  EXPECT_GE(controlProbes(), 3) << probeNames();  // Playground: canvas, sweep and maps each publish a widget
  EXPECT_FALSE(context_.presenting());
  const Rect sweepBefore = window("Kernel sweep");
  context_.demoPlayer().presenter = true;
  frames(3);
  EXPECT_TRUE(context_.presenting());
  EXPECT_EQ(controlProbes(), 0);
  EXPECT_EQ(active("Parameters"), false);
  // Three views fill the screen (no menu, tabs or status bar): the canvas takes the column it shared with Parameters.
  const Rect sweepOn = window("Kernel sweep");
  EXPECT_GT(sweepOn.h, sweepBefore.h);
  EXPECT_GT(window("Vector canvas").h, 0.9f * 1000.0f);
  context_.demoPlayer().presenter = false;
  frames(3);
  EXPECT_FALSE(context_.presenting());
  EXPECT_GE(controlProbes(), 3) << probeNames();
}

// Fit (issue 13): at 1280 x 800 and 1920 x 1080, in every workspace, no view's content is wider than its window (a
// toolbar or sentence running off the right edge is cut: ImGui records the widest item in ContentSize), the window
// needs no horizontal scrolling, and every view is at least the minimum plot height tall. Taller content may scroll
// vertically.
TEST_F(InteractiveUi, At1280x800And1920x1080NoViewsContentIsCutAtItsRightEdge) {
  for (const ImVec2 screen : {ImVec2(1280, 800), ImVec2(1920, 1080)})
    for (std::size_t w = 0; w < allWorkspaces().size(); ++w) {
      ImGui::GetIO().DisplaySize = screen;
      layout_.width = screen.x;
      layout_.height = screen.y;
      shell_.resetLayoutRequested = true;
      shell_.keyPresses.push_back({GLFW_KEY_1 + static_cast<int>(w), GLFW_MOD_CONTROL});
      frames(4);
      ASSERT_EQ(context_.scene().workspace, allWorkspaces()[w].kind);
      for (const ViewInfo& view : allViews()) {
        const std::optional<WindowFacts> window = windowFacts(view.title);
        if (!window || !window->active) continue;
        const std::string where = std::to_string(int(screen.x)) + " " +
                                  std::string(workspaceName(allWorkspaces()[w].kind)) + ": " + view.title;
        EXPECT_LE(window->contentWidth, window->usableWidth + 1.0f) << where;
        EXPECT_FALSE(window->horizontalScrollbar) << where;
        EXPECT_FALSE(window->titleClipped) << where;
        EXPECT_GE(window->rect.y1 - window->rect.y0, 160.0f) << where;
      }
    }
}

// Presenter mode at its large font (1.6 x) on a 1280 x 800 screen, every workspace: the same standard, no view's
// content cut at its right edge.
TEST_F(InteractiveUi, PresenterModeAtItsLargeFontCutsNoViewsContentAt1280x800) {
  presenterFontAt1280x800();
  for (const WorkspaceInfo& workspace : allWorkspaces()) {
    context_.demoPlayer().presenter = false;
    Scene next = context_.scene();
    switchWorkspace(next, workspace);
    context_.submit(std::move(next), "workspace");
    context_.endFrame();
    context_.demoPlayer().presenter = true;
    frames(4);
    ASSERT_TRUE(context_.presenting());
    for (const ViewInfo& view : allViews()) {
      const std::optional<WindowFacts> window = windowFacts(view.title);
      if (!window || !window->active) continue;
      EXPECT_LE(window->contentWidth, window->usableWidth + 1.0f)
          << workspaceName(workspace.kind) << ": " << view.title;
      EXPECT_FALSE(window->horizontalScrollbar) << workspaceName(workspace.kind) << ": " << view.title;
      EXPECT_FALSE(window->titleClipped) << workspaceName(workspace.kind) << ": " << view.title;
    }
  }
}

// Presenter mode at 1280 x 800 as demo 2 step 2 shows it (canvas, sweep and maps over the step's text, issue 13):
// every sweep plot keeps its least size (minPlotHeight at the presenter font: 160 px x 1.6 = 256 px tall, and as
// wide), no view scrolls, and no title is cut. Before the presenter tiling, the sweep's column was a third of the
// screen: its sentence took three lines, the two lower plots were 200 px wide and the view scrolled.
TEST_F(InteractiveUi, PresenterModeAt1280x800GivesEverySweepPlotItsLeastSizeAndNoViewScrolls) {
  presenterFontAt1280x800();
  openDemo(context_, "2-expressive", 2);
  context_.endFrame();
  context_.demoPlayer().presenter = true;
  frames(4);
  ASSERT_TRUE(context_.presenting());
  ASSERT_EQ(workspaceOf(context_.scene()).kind, WorkspaceKind::Playground);
  const float least = std::floor(ImGui::GetFontSize() * 160.0f / 15.0f);
  EXPECT_EQ(least, 256.0f);
  const views::ViewProbe& probe = context_.viewProbe();
  for (const auto& [name, r] : {std::pair{"weights", probe.sweepWeights}, std::pair{"scores", probe.sweepScores},
                                std::pair{"bars", probe.sweepBars}}) {
    EXPECT_GE(r.y1 - r.y0, least) << name;
    EXPECT_GE(r.x1 - r.x0, least) << name;
  }
  for (const char* title : {"Vector canvas", "Kernel sweep", "Attention maps"}) {
    const std::optional<WindowFacts> window = windowFacts(title);
    ASSERT_TRUE(window && window->active) << title;
    EXPECT_FALSE(window->verticalScrollbar) << title;
    EXPECT_FALSE(window->horizontalScrollbar) << title;
    EXPECT_FALSE(window->titleClipped) << title;
  }
}

// A title wider than its window is reported cut (ImGui ends it with an ellipsis); a short one is not.
TEST_F(InteractiveUi, WindowFactsTellAClippedTitle) {
  for (int frame = 0; frame < 2; ++frame) {
    ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
    ImGui::NewFrame();
    ImGui::SetNextWindowSize(ImVec2(120, 80));
    ImGui::Begin("A window title far too long for its window##long");
    ImGui::End();
    ImGui::SetNextWindowSize(ImVec2(400, 80));
    ImGui::Begin("Short##short");
    ImGui::End();
    ImGui::EndFrame();
  }
  const std::optional<WindowFacts> clipped = windowFacts("A window title far too long for its window##long");
  const std::optional<WindowFacts> fits = windowFacts("Short##short");
  ASSERT_TRUE(clipped && fits);
  EXPECT_TRUE(clipped->titleClipped);
  EXPECT_FALSE(fits->titleClipped);
  EXPECT_FLOAT_EQ(fits->rect.x1 - fits->rect.x0, 400.0f);
  EXPECT_FALSE(windowFacts("no such window").has_value());
}

// Views no other window overlaps are drawn without their background fill (llvmpipe shades every background pixel)
// over a frame cleared to exactly that background; the exports are byte-identical (tests/golden). Here: which
// windows lose the fill, and that overlapping ones keep it.
bool bare(const char* title) {
  const std::optional<WindowFacts> w = windowFacts(title);
  return w.has_value() && w->bare;
}

const char* const kViewTitles[] = {"Vector canvas", "Kernel sweep", "Attention maps", "Parameters"};

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
  // Covered area: the four windows and the menu bar plus the painted rectangles (corner squares counted twice) cover
  // the frame.
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
  // The workspace tabs have no background and nothing is painted under them: the clear colour shows.
  windows += window("##workspaces").w * window("##workspaces").h;
  const float corners = 4 * 4 * std::pow(std::ceil(ImGui::GetStyle().WindowRounding) + 1.0f, 2.0f);
  EXPECT_NEAR(painted + windows - corners, 1280.0f * 1000.0f, 0.5f);
}

TEST_F(InteractiveUi, ExportLayoutsDrawNoBackgroundFromTheFirstFrameExceptTransparent) {
  // renderUiImage's layouts: forced placement, no menu or status bar; the first of its three frames already knows
  // every rectangle. A transparent export keeps the (zero-alpha) backgrounds and clears to transparent itself.
  layout_.interactive = false;
  layout_.forceLayout = true;
  frames(1);
  for (const char* title : kViewTitles) EXPECT_TRUE(bare(title)) << title;
  layout_.soloView = ViewKind::Maps;
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
