// The Train workspace headless (ImGui frames without GL, as tests/gui/shell_layout_test.cpp): Ctrl+4 opens it, its
// Start / Pause / Step / Reset buttons clicked with the mouse drive the context's TrainSession, a head goes to the
// playground as an undoable edit, the curves export as CSV; and the curves figure written as PNG and SVG (EGL).
#include <GLFW/glfw3.h>  // key codes only
#include <gtest/gtest.h>
#include <imgui.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "app/gui/model_session.h"
#include "app/gui/shell.h"
#include "app/gui/train_figure.h"
#include "app/gui/train_session.h"
#include "app/gui/workspaces.h"
#include "app/render/egl_context.h"

namespace attnscope::gui {
namespace {

class NoTextures : public HeatmapCache {
 public:
  unsigned texture(const std::string&, std::uint64_t, const MatrixView&, const HeatmapStyle&) override { return 0; }
};

class TrainUi : public ::testing::Test {
 protected:
  void SetUp() override {
    imgui_ = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 800);
    setupFontsAndStyle(1.0f);
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    context_.setHeatmapCache(&textures_);
    context_.refreshDerived();
    layout_.width = 1280;
    layout_.height = 800;
  }
  void TearDown() override { ImGui::DestroyContext(imgui_); }
  void frames(int count) {
    for (int i = 0; i < count; ++i) {
      ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
      ImGui::NewFrame();
      drawUi(context_, shell_, layout_);
      ImGui::EndFrame();
      context_.endFrame();
    }
  }
  /// A mouse click at probe `name` (published last frame): hover, press, release, one frame each (ImGui 1.86 samples
  /// the mouse once per frame; a button fires on release).
  void click(const std::string& name) {
    ASSERT_TRUE(context_.probes().count(name)) << name;
    const auto p = context_.probes().at(name);
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(p[0], p[1]);
    frames(1);
    io.MouseDown[0] = true;
    frames(1);
    io.MouseDown[0] = false;
    frames(1);
  }
  void openTrainWorkspace() {
    frames(2);
    shell_.keyPresses.push_back({GLFW_KEY_4, GLFW_MOD_CONTROL});
    frames(3);
    ASSERT_EQ(context_.scene().workspace, gui::WorkspaceKind::Train);
    ASSERT_EQ(context_.trainSession().runCount(), 2);  // the view configured its default setup: DPA and EA
    for (int r = 0; r < 2; ++r) ASSERT_TRUE(context_.trainSession().waitUntilSettled(r));
    frames(1);
  }

  ImGuiContext* imgui_ = nullptr;
  NoTextures textures_;
  AppContext context_{defaultScene()};
  ShellState shell_;
  FrameLayout layout_;
};

TEST_F(TrainUi, CtrlFourOpensTheTrainWorkspaceWithEveryRunPausedAtStepZero) {
  openTrainWorkspace();
  EXPECT_EQ(context_.scene().openViews, (std::vector<gui::ViewKind>{gui::ViewKind::Train}));
  const TrainSession& session = context_.trainSession();
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(session.state(r).status, RunStatus::Paused);
    EXPECT_EQ(session.state(r).stepsDone, 0);
  }
  EXPECT_EQ(session.setup().runs[0].kernel, Kernel::Dpa);
  EXPECT_EQ(session.setup().runs[1].kernel, Kernel::Ea);
  // Every control and the 2 x 4 heads of the default size are on screen, inside the 1280 x 800 window.
  for (const char* name :
       {"train/start", "train/pause", "train/step", "train/reset", "train/apply", "train/send", "train/explorer",
        "train/timeline", "train/export/CSV", "train/head/0/0", "train/head/1/3"}) {
    ASSERT_TRUE(context_.probes().count(name)) << name;
    const auto p = context_.probes().at(name);
    EXPECT_GT(p[0], 0.0f) << name;
    EXPECT_LT(p[0], 1280.0f) << name;
    EXPECT_GT(p[1], 46.0f) << name;
    EXPECT_LT(p[1], 780.0f) << name;
  }
}

TEST_F(TrainUi, StepPauseStartAndResetButtonsDriveTheRuns) {
  openTrainWorkspace();
  TrainSession& session = context_.trainSession();
  click("train/step");
  for (int r = 0; r < 2; ++r) {
    ASSERT_TRUE(session.waitUntilSettled(r));
    EXPECT_EQ(session.state(r).stepsDone, 1) << r;  // exactly one update each
  }
  click("train/step");
  for (int r = 0; r < 2; ++r) {
    ASSERT_TRUE(session.waitUntilSettled(r));
    EXPECT_EQ(session.state(r).stepsDone, 2) << r;
  }
  click("train/start");
  ASSERT_TRUE(session.waitForSteps(0, 6));
  ASSERT_TRUE(session.waitForSteps(1, 6));
  click("train/pause");
  for (int r = 0; r < 2; ++r) {
    ASSERT_TRUE(session.waitUntilSettled(r));
    EXPECT_EQ(session.state(r).status, RunStatus::Paused);
  }
  const int paused = session.state(0).stepsDone;
  EXPECT_GE(paused, 6);
  frames(5);
  EXPECT_EQ(session.state(0).stepsDone, paused);
  click("train/reset");
  for (int r = 0; r < 2; ++r) {
    ASSERT_TRUE(session.waitUntilSettled(r));
    EXPECT_EQ(session.state(r).stepsDone, 0);
    EXPECT_TRUE(session.history(r).empty());
  }
}

TEST_F(TrainUi, ADivergingRunRaisesABannerNamingTheStepAndTheLikelyCauseWhileTheOtherTrainsOn) {
  openTrainWorkspace();
  TrainSetup setup;
  setup.layers = 1;
  setup.heads = 2;
  setup.dim = 16;
  setup.steps = 20;
  // lambda 1e300 overflows the float gradient of run 2's regulariser at its first step.
  setup.runs = {{Kernel::Dpa}, {Kernel::Dpa, train::AlignmentKind::Ct, 1e300}};
  TrainSession& session = context_.trainSession();
  session.configure(setup);
  for (int r = 0; r < 2; ++r) ASSERT_TRUE(session.waitUntilSettled(r));
  frames(1);
  click("train/start");
  for (int r = 0; r < 2; ++r) ASSERT_TRUE(session.waitForSteps(r, 20));
  for (int r = 0; r < 2; ++r) ASSERT_TRUE(session.waitUntilSettled(r));
  frames(2);
  EXPECT_EQ(session.state(0).status, RunStatus::Finished);
  EXPECT_EQ(session.state(1).status, RunStatus::Diverged);
  int banners = 0;
  for (const auto& banner : shell_.banners) {
    if (banner.text.find("run 2 (dpa): the loss is not finite at step 1") == std::string::npos) continue;
    EXPECT_NE(banner.text.find("learning rate is likely too high"), std::string::npos) << banner.text;
    ++banners;
  }
  EXPECT_EQ(banners, 1);  // reported once, not every frame
}

TEST_F(TrainUi, SendToPlaygroundPutsTheSelectedHeadsProbeInTheSceneAsAnUndoableEdit) {
  openTrainWorkspace();
  const RowMatrix before = context_.scene().queries;
  click("train/head/1/2");
  click("train/send");
  frames(1);
  const auto snapshot = context_.trainSession().snapshots(0).back();
  const Scene& scene = context_.scene();
  EXPECT_EQ(scene.workspace, gui::WorkspaceKind::Playground);
  EXPECT_EQ(scene.queries, snapshot->head(1, 2).queries);
  EXPECT_EQ(scene.keys, snapshot->head(1, 2).keys);
  EXPECT_EQ(scene.queryCount(), 24);  // the probe's T
  EXPECT_EQ(scene.dimension(), 16);   // d_head = 64 / 4
  EXPECT_TRUE(scene.kernel.causal);
  EXPECT_EQ(scene.queryLabels[3], "3:" + std::to_string(trainProbeTokens(context_.trainSession().setup())[3]));
  context_.undo();
  context_.endFrame();
  EXPECT_EQ(context_.scene().queries, before);
  EXPECT_EQ(context_.scene().workspace, gui::WorkspaceKind::Train);
}

TEST_F(TrainUi, OpenInModelExplorerRunsTheRunsCheckpointOnTheProbe) {
  openTrainWorkspace();
  click("train/step");
  for (int r = 0; r < 2; ++r) ASSERT_TRUE(context_.trainSession().waitUntilSettled(r));
  frames(1);
  click("train/explorer");
  EXPECT_EQ(context_.scene().workspace, gui::WorkspaceKind::Model);
  // The explorer (now shown) polls the session's loader; pump frames until the run arrived.
  for (int i = 0; i < 600 && context_.modelSession().result() == nullptr; ++i) {
    frames(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const ModelResult* result = context_.modelSession().result();
  ASSERT_NE(result, nullptr) << context_.modelSession().takeError();
  EXPECT_EQ(result->info.architecture, "gpt2");
  EXPECT_EQ(result->capture.layers, 2);
  EXPECT_EQ(result->capture.heads, 4);
  const TrainSession& session = context_.trainSession();
  EXPECT_EQ(result->capture.tokenIds, trainProbeTokens(session.setup()));
  // The loader's forward of the written checkpoint gives the snapshot's attention on the probe (the latest snapshot
  // is step 0's: one step is not a snapshot step).
  const auto snapshot = session.snapshots(0).back();
  ASSERT_EQ(snapshot->step, 0);
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 4; ++h) {
      const RowMatrix& attention = result->capture.attention[static_cast<size_t>(l * 4 + h)];
      EXPECT_LT((attention - snapshot->head(l, h).weights).cwiseAbs().maxCoeff(), 2e-5f) << l << "." << h;
    }
}

TEST_F(TrainUi, CurvesExportAsCsvWithARowPerRunAndStep) {
  openTrainWorkspace();
  const std::filesystem::path csv = std::filesystem::current_path() / "train_curves.csv";
  std::filesystem::remove(csv);
  click("train/step");
  for (int r = 0; r < 2; ++r) ASSERT_TRUE(context_.trainSession().waitUntilSettled(r));
  click("train/export/CSV");
  std::ifstream in(csv);
  ASSERT_TRUE(in.good()) << csv;
  std::string header, row1, row2, extra;
  std::getline(in, header);
  std::getline(in, row1);
  std::getline(in, row2);
  EXPECT_EQ(header, "run,label,step,loss,cross_entropy,alignment,accuracy,gradient_norm,learning_rate");
  EXPECT_TRUE(row1.starts_with("1,DPA,1,")) << row1;
  EXPECT_TRUE(row2.starts_with("2,EA,1,")) << row2;
  EXPECT_FALSE(std::getline(in, extra));
}

TEST(TrainFigure, WritesThePngAndSvgOfTheCurves) {
  render::HeadlessContext gl;
  std::vector<TrainCurve> curves(2);
  curves[0].label = "DPA";
  curves[1].label = "EA + CT 0.1";
  for (int s = 1; s <= 50; ++s) {
    curves[0].history.push_back({s, 3.0 / s, 3.0 / s, 0.0, s / 50.0});
    curves[1].history.push_back({s, 2.0 / s, 2.0 / s, 0.5, s / 60.0});
  }
  const std::filesystem::path dir = std::filesystem::current_path() / "trainws_test_files";
  std::filesystem::create_directories(dir);
  const std::string png = (dir / "curves.png").string(), svg = (dir / "curves.svg").string();
  writeTrainCurvesFigure(curves, png, svg);
  ASSERT_TRUE(std::filesystem::exists(png));
  std::ifstream in(svg);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("training loss"), std::string::npos);
  EXPECT_NE(text.find("EA + CT 0.1"), std::string::npos);
  EXPECT_NE(text.find("<polyline"), std::string::npos);
}

}  // namespace
}  // namespace attnscope::gui
