// The Train workspace headless (ImGui frames without GL: tests/gui/headless_ui.h): Ctrl+4 opens it, its
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
#include "tests/gui/headless_ui.h"

namespace attnscope::gui {
namespace {

class TrainUi : public HeadlessUi {
 protected:
  void openTrainWorkspace() {
    frames(2);
    shell_.keyPresses.push_back({GLFW_KEY_4, GLFW_MOD_CONTROL});
    frames(3);
    ASSERT_EQ(context_.scene().workspace, gui::WorkspaceKind::Train);
    ASSERT_EQ(context_.trainSession().runCount(), 2);  // the view configured its default setup: DPA and EA
    for (int r = 0; r < 2; ++r) ASSERT_TRUE(context_.trainSession().waitUntilSettled(r));
    frames(1);
  }

  /// The explorer (shown once "Open in Model explorer" is clicked) polls the session's loader: pumps frames until the
  /// run arrived, up to about 6 s. Null if it did not.
  const ModelResult* waitForExplorerRun() {
    for (int i = 0; i < 600 && context_.modelSession().result() == nullptr; ++i) {
      frames(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return context_.modelSession().result();
  }
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
  const ModelResult* result = waitForExplorerRun();
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

TEST_F(TrainUi, OpenInModelExplorerOpensTheStepTheTimelineShowsNotTheLatest) {
  openTrainWorkspace();
  TrainSession& session = context_.trainSession();
  for (int i = 0; i < 20; ++i) {
    session.step();
    for (int r = 0; r < 2; ++r) ASSERT_TRUE(session.waitUntilSettled(r));
  }
  frames(1);
  const auto snapshots = session.snapshots(0);
  ASSERT_EQ(snapshots.size(), 3u);  // steps 0, 10, 20 (a snapshot every 10 steps)
  EXPECT_EQ(session.keptWeightSteps(0), (std::vector<int>{0, 10, 20}));
  // A click in the middle of the timeline (3 snapshots: 0..2) shows the middle one, step 10.
  click("train/timeline");
  click("train/explorer");
  EXPECT_EQ(context_.scene().workspace, gui::WorkspaceKind::Model);
  const ModelResult* result = waitForExplorerRun();
  ASSERT_NE(result, nullptr) << context_.modelSession().takeError();
  float fromShown = 0.0f, fromLatest = 0.0f;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 4; ++h) {
      const RowMatrix& attention = result->capture.attention[static_cast<size_t>(l * 4 + h)];
      fromShown = std::max(fromShown, (attention - snapshots[1]->head(l, h).weights).cwiseAbs().maxCoeff());
      fromLatest = std::max(fromLatest, (attention - snapshots[2]->head(l, h).weights).cwiseAbs().maxCoeff());
    }
  EXPECT_LT(fromShown, 2e-5f);   // the explorer runs step 10's weights
  EXPECT_GT(fromLatest, 1e-3f);  // which are not step 20's
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
