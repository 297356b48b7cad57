// app/gui/train_session.h without GL: Pause / Step / Reset semantics, the same history as `attnscope train` for the
// same options, a diverging run that pauses alone, refusals before anything starts, and checkpoints.
#include "app/gui/train_session.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/train/checkpoint.h"

namespace attnscope::gui {
namespace {

/// Small enough to train a step in a millisecond or two: 1 layer, 2 heads, dim 16, copy of 8 symbols, T = 12.
TrainSetup smallSetup() {
  TrainSetup setup;
  setup.task.symbols = 8;
  setup.context = 12;
  setup.layers = 1;
  setup.heads = 2;
  setup.dim = 16;
  setup.batch = 8;
  setup.seed = 3;
  setup.steps = 400;
  setup.snapshotEvery = 5;
  setup.runs = {{Kernel::Dpa}, {Kernel::Ea}};
  return setup;
}

std::filesystem::path scratch() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::current_path() / "trainws_test_files" / info->name();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(TrainSession, StartsPausedAtStepZeroWithTheFirstSnapshot) {
  TrainSession session;
  session.configure(smallSetup());
  ASSERT_EQ(session.runCount(), 2);
  for (int r = 0; r < 2; ++r) {
    ASSERT_TRUE(session.waitUntilSettled(r));
    EXPECT_EQ(session.state(r).status, RunStatus::Paused);
    EXPECT_EQ(session.state(r).stepsDone, 0);
    EXPECT_TRUE(session.history(r).empty());
    const auto snapshots = session.snapshots(r);
    ASSERT_EQ(snapshots.size(), 1u);
    EXPECT_EQ(snapshots[0]->step, 0);
    ASSERT_EQ(snapshots[0]->perHead.size(), 2u);  // 1 layer x 2 heads
    const HeadSnapshot& head = snapshots[0]->head(0, 1);
    EXPECT_EQ(head.queries.rows(), 12);
    EXPECT_EQ(head.queries.cols(), 8);
    EXPECT_EQ(head.weights.rows(), 12);
    const auto& f = head.fractions;
    EXPECT_NEAR(f.parallel + f.orthogonal + f.antiparallel + f.other, 1.0, 1e-9);
    EXPECT_TRUE(std::isfinite(head.ct));
  }
}

TEST(TrainSession, StepFromPauseDoesExactlyOneUpdateOfThatRunOnly) {
  TrainSession session;
  session.configure(smallSetup());
  ASSERT_TRUE(session.waitUntilSettled(0));
  for (int expected = 1; expected <= 3; ++expected) {
    session.step(0);
    ASSERT_TRUE(session.waitUntilSettled(0));
    EXPECT_EQ(session.state(0).stepsDone, expected);
    EXPECT_EQ(session.state(0).status, RunStatus::Paused);
    ASSERT_EQ(session.history(0).size(), size_t(expected));
    EXPECT_EQ(session.history(0).back().step, expected);
  }
  // Nothing more happens while paused, and the other run never moved.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(session.state(0).stepsDone, 3);
  ASSERT_TRUE(session.waitUntilSettled(1));
  EXPECT_EQ(session.state(1).stepsDone, 0);
}

TEST(TrainSession, AStepShowsAsComputingTheNextUpdateFromItsStartUntilItLands) {
  // One run at the default size with a batch of 256: one update takes well over 50 ms, so the moment between the
  // worker beginning it and it landing is long enough to watch by polling.
  TrainSetup setup;
  setup.batch = 256;
  setup.runs = {{Kernel::Dpa}};
  TrainSession session;
  session.configure(setup);
  ASSERT_TRUE(session.waitUntilSettled(0));
  EXPECT_EQ(session.state(0).stepping, 0);
  session.step(0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  RunState state = session.state(0);
  while (state.stepping == 0 && state.stepsDone == 0 && std::chrono::steady_clock::now() < deadline)
    state = session.state(0);
  EXPECT_EQ(state.stepping, 1);  // seen while computing, before the update landed
  EXPECT_EQ(state.stepsDone, 0);
  EXPECT_EQ(state.status, RunStatus::Running);
  ASSERT_TRUE(session.waitUntilSettled(0));
  EXPECT_EQ(session.state(0).stepping, 0);
  EXPECT_EQ(session.state(0).stepsDone, 1);
  // A Pause during a Step drops the update: no longer computing, still at step 1.
  session.step(0);
  state = session.state(0);
  while (state.stepping == 0 && state.stepsDone == 1 && std::chrono::steady_clock::now() < deadline)
    state = session.state(0);
  EXPECT_EQ(state.stepping, 2);
  session.pause(0);
  ASSERT_TRUE(session.waitUntilSettled(0));
  EXPECT_EQ(session.state(0).stepping, 0);
  EXPECT_EQ(session.state(0).stepsDone, 1);
  EXPECT_EQ(session.state(0).status, RunStatus::Paused);
}

TEST(TrainSession, PauseStopsBetweenStepsAndResetRebuildsTheSameRunFromTheSeed) {
  TrainSession session;
  session.configure(smallSetup());
  ASSERT_TRUE(session.waitUntilSettled(0));
  const auto first = session.snapshots(0).front();
  session.start();
  ASSERT_TRUE(session.waitForSteps(0, 20));
  ASSERT_TRUE(session.waitForSteps(1, 20));
  session.pause();
  ASSERT_TRUE(session.waitUntilSettled(0));
  ASSERT_TRUE(session.waitUntilSettled(1));
  const int stopped = session.state(0).stepsDone;
  EXPECT_GE(stopped, 20);
  EXPECT_EQ(session.history(0).size(), size_t(stopped));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(session.state(0).stepsDone, stopped);
  // Snapshots every 5 steps: 0, 5, 10, ...
  const auto snapshots = session.snapshots(0);
  ASSERT_EQ(snapshots.size(), size_t(stopped / 5 + 1));
  for (size_t i = 0; i < snapshots.size(); ++i) EXPECT_EQ(snapshots[i]->step, int(5 * i));
  const std::vector<train::StepRecord> before = session.history(0);

  session.reset(0);
  ASSERT_TRUE(session.waitUntilSettled(0));
  EXPECT_EQ(session.state(0).stepsDone, 0);
  EXPECT_TRUE(session.history(0).empty());
  ASSERT_EQ(session.snapshots(0).size(), 1u);
  EXPECT_EQ(session.snapshots(0).front()->head(0, 0).queries, first->head(0, 0).queries);
  EXPECT_EQ(session.state(1).stepsDone, session.history(1).size());  // run 2 untouched by run 1's reset
  EXPECT_GE(session.state(1).stepsDone, 20);
  // The same seed gives the same steps again.
  for (int i = 0; i < 4; ++i) {
    session.step(0);
    ASSERT_TRUE(session.waitUntilSettled(0));
  }
  const std::vector<train::StepRecord> again = session.history(0);
  ASSERT_EQ(again.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(again[i].loss, before[i].loss) << i;
}

std::vector<std::vector<double>> readLog(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) row.push_back(std::stod(field));
    rows.push_back(row);
  }
  return rows;
}

TEST(TrainSession, SameSeedGivesTheHistoryOfAttnscopeTrainsLog) {
  const std::filesystem::path dir = scratch();
  TrainSetup setup = smallSetup();
  setup.runs = {{Kernel::Ea, train::AlignmentKind::Ct, 0.3}};
  setup.steps = 12;
  const std::string command = std::string(ATTNSCOPE_BINARY) +
                              " train --task copy --symbols 8 --context 12 --layers 1 --heads 2 --dim 16 --batch 8"
                              " --seed 3 --steps 12 --kernel ea --align ct --align-weight 0.3 --eval-batches 0 --out " +
                              (dir / "run").string() + " --log " + (dir / "log.csv").string() + " > " +
                              (dir / "summary.json").string();
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const auto log = readLog(dir / "log.csv");
  ASSERT_EQ(log.size(), 12u);

  TrainSession session;
  session.configure(setup);
  session.start();
  ASSERT_TRUE(session.waitForSteps(0, 12));
  ASSERT_TRUE(session.waitUntilSettled(0));
  EXPECT_EQ(session.state(0).status, RunStatus::Finished);
  const auto history = session.history(0);
  ASSERT_EQ(history.size(), 12u);
  for (size_t i = 0; i < 12; ++i) {
    // The log prints 9 significant digits: step, loss, cross-entropy, alignment, accuracy.
    EXPECT_EQ(log[i][0], history[i].step);
    EXPECT_NEAR(log[i][1], history[i].loss, 1e-8 * std::abs(history[i].loss)) << "step " << i + 1;
    EXPECT_NEAR(log[i][2], history[i].crossEntropy, 1e-8 * std::abs(history[i].crossEntropy));
    EXPECT_NEAR(log[i][3], history[i].alignment, 1e-8 * std::abs(history[i].alignment) + 1e-12);
    EXPECT_NEAR(log[i][4], history[i].accuracy, 1e-9);
  }
  // Finished: Start and Step do nothing more.
  session.start();
  session.step();
  EXPECT_TRUE(session.waitUntilSettled(0));
  EXPECT_EQ(session.state(0).stepsDone, 12);
  // Snapshots at 0, 5, 10 and the last step.
  const auto snapshots = session.snapshots(0);
  ASSERT_EQ(snapshots.size(), 4u);
  EXPECT_EQ(snapshots.back()->step, 12);

  // The checkpoint of the last snapshot is the model attnscope train wrote (same weights to float precision).
  session.writeCheckpoint(0, dir / "session");
  const train::ModelConfig config = train::readCheckpointConfig(dir / "session");
  EXPECT_EQ(config.kernel, Kernel::Ea);
  EXPECT_EQ(config.alignment.kind, train::AlignmentKind::Ct);
  train::Transformer<float> fromSession(config), fromCli(train::readCheckpointConfig(dir / "run"));
  train::loadCheckpointWeights(dir / "session", fromSession);
  train::loadCheckpointWeights(dir / "run", fromCli);
  for (size_t p = 0; p < fromCli.parameters().size(); ++p) {
    EXPECT_EQ(fromSession.parameters()[p].value, fromCli.parameters()[p].value) << fromCli.parameters()[p].name;
  }
}

TEST(TrainSession, KeepsTheWeightsOfThinnedSnapshotsAndWritesTheCheckpointOfAnEarlierOne) {
  TrainSetup setup = smallSetup();
  setup.runs = {{Kernel::Dpa}};
  setup.steps = 10;
  setup.snapshotEvery = 1;
  setup.keptWeights = 4;
  TrainSession session;
  session.configure(setup);
  session.start();
  ASSERT_TRUE(session.waitForSteps(0, 10));
  ASSERT_TRUE(session.waitUntilSettled(0));
  ASSERT_EQ(session.state(0).status, RunStatus::Finished);
  const auto snapshots = session.snapshots(0);
  ASSERT_EQ(snapshots.size(), 11u);  // steps 0..10
  // By hand: 0-3 kept; at 4 there would be 5, so stride 2: 0, 2, 4; 5 joins as the latest and leaves when 6 comes;
  // at 7 there would be 5 again (0, 2, 4, 6, 7), so stride 4: 0, 4, 7; then 8 replaces 7, 9 joins, 10 replaces 9.
  EXPECT_EQ(session.keptWeightSteps(0), (std::vector<int>{0, 4, 8, 10}));
  EXPECT_EQ(session.nearestKeptStep(0, 4), 4);
  EXPECT_EQ(session.nearestKeptStep(0, 6), 4);  // 4 and 8 are as near: the earlier
  EXPECT_EQ(session.nearestKeptStep(0, 7), 8);
  EXPECT_EQ(session.nearestKeptStep(0, 9), 8);
  const std::filesystem::path dir = scratch();
  try {
    session.writeCheckpoint(0, 5, dir / "step5");
    ADD_FAILURE() << "step 5's weights are not kept";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "train: run 1 keeps no weights for step 5 (kept: 0, 4, 8, 10)");
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "step5"));

  // The checkpoint of step 4 holds step 4's weights: its probe gives step 4's snapshot, not the latest's.
  session.writeCheckpoint(0, 4, dir / "step4");
  train::Transformer<float> model(train::readCheckpointConfig(dir / "step4"));
  train::loadCheckpointWeights(dir / "step4", model);
  const TrainSnapshot reread = takeTrainSnapshot(model, trainProbeTokens(setup), 4, setup.bandDegrees);
  for (int h = 0; h < 2; ++h) {
    const RowMatrix& q = reread.head(0, h).queries;
    EXPECT_LT((q - snapshots[4]->head(0, h).queries).cwiseAbs().maxCoeff(), 1e-5f) << h;
    EXPECT_GT((q - snapshots[10]->head(0, h).queries).cwiseAbs().maxCoeff(), 1e-3f) << h;
  }
  std::ifstream config(dir / "step4" / "config.json");
  const nlohmann::json json = nlohmann::json::parse(config);
  EXPECT_EQ(json["attnscope"]["steps"], 4);
}

TEST(TrainSession, CheckpointFoldersAreRemovedOnResetReconfigureAndDestructionAndThoseOfDeadProcessesAtStart) {
  const std::filesystem::path root = scratch();
  // Folders a crashed attnscope left: a process that has exited (and been reaped) has no pid any more. The
  // session's own process (alive) and a name that is not ours keep theirs.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  const std::string dead = "attnscope-train-" + std::to_string(child);
  std::filesystem::create_directories(root / dead / "s1" / "run1-step0");
  std::filesystem::create_directories(root / (dead + "-run2-step10"));  // the naming before per-process folders
  const std::string alive = "attnscope-train-" + std::to_string(::getppid());
  std::filesystem::create_directories(root / alive / "s1");
  std::filesystem::create_directories(root / "attnscope-train-notes");

  std::filesystem::path sessionRoot;
  {
    TrainSession session(root);
    sessionRoot = session.checkpointRoot();
    EXPECT_EQ(sessionRoot.parent_path(), root / ("attnscope-train-" + std::to_string(::getpid())));
    session.configure(smallSetup());
    for (int r = 0; r < 2; ++r) ASSERT_TRUE(session.waitUntilSettled(r));
    EXPECT_TRUE(std::filesystem::exists(root / dead));  // nothing written yet: nothing swept
    const std::filesystem::path run1 = session.explorerCheckpoint(0, 0), run2 = session.explorerCheckpoint(1, 0);
    EXPECT_EQ(run1, sessionRoot / "run1-step0");
    EXPECT_TRUE(std::filesystem::exists(run1 / "model.safetensors"));
    EXPECT_TRUE(std::filesystem::exists(run2 / "config.json"));
    EXPECT_FALSE(std::filesystem::exists(root / dead));
    EXPECT_FALSE(std::filesystem::exists(root / (dead + "-run2-step10")));
    EXPECT_TRUE(std::filesystem::exists(root / alive / "s1"));
    EXPECT_TRUE(std::filesystem::exists(root / "attnscope-train-notes"));

    session.reset(0);  // run 1's weights are gone: its folder too; run 2's stays
    EXPECT_FALSE(std::filesystem::exists(run1));
    EXPECT_TRUE(std::filesystem::exists(run2));
    ASSERT_TRUE(session.waitUntilSettled(0));
    EXPECT_EQ(session.explorerCheckpoint(0, 0), run1);
    EXPECT_TRUE(std::filesystem::exists(run1));

    session.configure(smallSetup());  // the runs are replaced (Apply)
    EXPECT_FALSE(std::filesystem::exists(run1));
    EXPECT_FALSE(std::filesystem::exists(run2));
    ASSERT_TRUE(session.waitUntilSettled(1));
    session.explorerCheckpoint(1, 0);
    EXPECT_TRUE(std::filesystem::exists(run2));
  }
  // Destroyed (the app's exit): the session's folder and the process's are gone.
  EXPECT_FALSE(std::filesystem::exists(sessionRoot));
  EXPECT_FALSE(std::filesystem::exists(sessionRoot.parent_path()));
  EXPECT_TRUE(std::filesystem::exists(root / alive / "s1"));
}

TEST(TrainSession, ANonFiniteLossPausesOnlyThatRunAndKeepsItsLastGoodSnapshot) {
  TrainSetup setup = smallSetup();
  setup.steps = 30;
  // lambda 1e300 overflows the float gradient of the regulariser at the first step; run 1 is unregularised.
  setup.runs = {{Kernel::Dpa}, {Kernel::Dpa, train::AlignmentKind::Ct, 1e300}};
  TrainSession session;
  session.configure(setup);
  session.start();
  ASSERT_TRUE(session.waitForSteps(0, 30));
  ASSERT_TRUE(session.waitUntilSettled(0));
  ASSERT_TRUE(session.waitUntilSettled(1));
  EXPECT_EQ(session.state(0).status, RunStatus::Finished);
  EXPECT_EQ(session.state(0).stepsDone, 30);
  const RunState diverged = session.state(1);
  EXPECT_EQ(diverged.status, RunStatus::Diverged);
  EXPECT_EQ(diverged.stepsDone, 0);
  EXPECT_NE(diverged.message.find("not finite at step 1"), std::string::npos) << diverged.message;
  EXPECT_NE(diverged.message.find("learning rate"), std::string::npos) << diverged.message;
  EXPECT_NE(diverged.message.find("snapshot, step 0"), std::string::npos) << diverged.message;
  ASSERT_EQ(session.snapshots(1).size(), 1u);
  EXPECT_TRUE(session.snapshots(1).front()->head(0, 0).weights.allFinite());
  // Start does not restart a diverged run; Reset does.
  session.start(1);
  EXPECT_TRUE(session.waitUntilSettled(1));
  EXPECT_EQ(session.state(1).status, RunStatus::Diverged);
  session.reset(1);
  ASSERT_TRUE(session.waitUntilSettled(1));
  EXPECT_EQ(session.state(1).status, RunStatus::Paused);
  EXPECT_TRUE(session.state(1).message.empty());
}

TEST(TrainSession, RefusesBadSetupsBeforeAnythingStartsAndKeepsTheRunsItHas) {
  TrainSession session;
  session.configure(smallSetup());
  TrainSetup tooMany = smallSetup();
  tooMany.runs.assign(5, TrainRunOptions{});
  EXPECT_THROW(session.configure(tooMany), InputError);
  TrainSetup huge = smallSetup();
  huge.dim = 1 << 16;
  huge.heads = 16;
  huge.layers = 64;
  EXPECT_THROW(session.configure(huge), ResourceError);
  TrainSetup shortContext = smallSetup();
  shortContext.task.kind = train::TaskKind::Recall;  // 8 pairs need 18 tokens
  shortContext.context = 12;
  EXPECT_THROW(session.configure(shortContext), InputError);
  TrainSetup badRate = smallSetup();
  badRate.optimizer.learningRate = std::nan("");
  EXPECT_THROW(session.configure(badRate), InputError);
  EXPECT_EQ(session.runCount(), 2);
  EXPECT_EQ(session.setup().dim, 16);
  EXPECT_THROW(session.writeCheckpoint(2, scratch()), InputError);
}

}  // namespace
}  // namespace attnscope::gui
