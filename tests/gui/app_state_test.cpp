// Scene editing helpers, the undo stack and the AppContext edit queue (app/gui/app_state.cpp).
#include "app/gui/app_state.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/error.h"

namespace attnscope::gui {
namespace {

TEST(Scene, DefaultSceneIsValidAndShapedForTheViews) {
  const Scene scene = defaultScene();
  EXPECT_NO_THROW(scene.validate());
  EXPECT_EQ(scene.dimension(), 2);
  EXPECT_EQ(scene.queryCount(), 2);
  EXPECT_EQ(scene.keyCount(), 4);
  EXPECT_EQ(scene.kernel.mgkPriors.rows(), 4);
  EXPECT_EQ(scene.kernel.mgkPriors.cols(), 2);
  EXPECT_EQ(scene.kernel.mgkOffsets.rows(), 8);
  EXPECT_EQ(scene.openViews.size(), 4u);  // the Playground workspace's views
  EXPECT_EQ(scene.workspace, WorkspaceKind::Playground);
  EXPECT_FLOAT_EQ(scene.effectiveScale(), 1.0f / std::sqrt(2.0f));
}

TEST(Scene, AddAndRemoveKeepPerKeyMatricesConsistent) {
  Scene scene = defaultScene();
  scene.kernel.mgkPriors(2, 1) = 0.9f;  // belongs to "antiparallel", must follow it when key 1 goes
  scene.selectedKey = 3;
  const int j = scene.addKey(Vector{{0.5f, -0.5f}}, "new");
  EXPECT_EQ(j, 4);
  EXPECT_NO_THROW(scene.validate());
  scene.removeKey(1);
  EXPECT_NO_THROW(scene.validate());
  EXPECT_EQ(scene.keyLabels[1], "antiparallel");
  EXPECT_FLOAT_EQ(scene.kernel.mgkPriors(1, 1), 0.9f);
  EXPECT_EQ(scene.selectedKey, 2);  // the selection follows its key
  EXPECT_EQ(scene.kernel.mgkOffsets.rows(), 4 * 2);
}

TEST(Scene, CannotRemoveTheLastKeyOrQuery) {
  Scene scene = defaultScene();
  scene.removeQuery(0);
  EXPECT_THROW(scene.removeQuery(0), InputError);
  EXPECT_THROW(scene.removeKey(7), InputError);
}

TEST(Scene, ChangingComponentsKeepsExistingValues) {
  Scene scene = defaultScene();
  scene.kernel.mgkVariances(3, 0) = 0.7f;
  scene.setMgkComponents(4);
  EXPECT_NO_THROW(scene.validate());
  EXPECT_FLOAT_EQ(scene.kernel.mgkVariances(3, 0), 0.7f);
  scene.setMgkComponents(1);
  EXPECT_NO_THROW(scene.validate());
  EXPECT_FLOAT_EQ(scene.kernel.mgkVariances(3, 0), 0.7f);
  EXPECT_THROW(scene.setMgkComponents(5), InputError);
}

TEST(Scene, DimensionChangePadsWithZeros) {
  Scene scene = defaultScene();
  scene.setDimension(3);
  EXPECT_NO_THROW(scene.validate());
  EXPECT_FLOAT_EQ(scene.keys(3, 0), 1.6f);
  EXPECT_FLOAT_EQ(scene.keys(3, 2), 0.0f);
  EXPECT_THROW(scene.setDimension(1), InputError);
}

TEST(Scene, ValidateRejectsNanAndBadRanges) {
  Scene scene = defaultScene();
  scene.keys(1, 0) = NAN;
  EXPECT_THROW(scene.validate(), InputError);
  scene = defaultScene();
  scene.kernel.mgkVariances(0, 0) = 0.0f;
  EXPECT_THROW(scene.validate(), InputError);
  scene = defaultScene();
  scene.selectedQuery = 2;
  EXPECT_THROW(scene.validate(), InputError);
}

TEST(UndoStack, UndoRedoAndTruncation) {
  UndoStack stack(defaultScene());
  Scene a = stack.current();
  a.keys(0, 0) = 2.0f;
  stack.push(a, "Move key", EditMerge::Separate, 1);
  Scene b = stack.current();
  b.keys(0, 0) = 3.0f;
  stack.push(b, "Move key", EditMerge::Separate, 5);
  EXPECT_FLOAT_EQ(stack.current().keys(0, 0), 3.0f);
  EXPECT_TRUE(stack.undo());
  EXPECT_FLOAT_EQ(stack.current().keys(0, 0), 2.0f);
  EXPECT_TRUE(stack.undo());
  EXPECT_FLOAT_EQ(stack.current().keys(0, 0), 1.0f);
  EXPECT_FALSE(stack.undo());
  EXPECT_TRUE(stack.redo());
  // A new edit after undo drops the redo branch.
  Scene c = stack.current();
  c.keys(0, 1) = 5.0f;
  stack.push(c, "Other", EditMerge::Separate, 9);
  EXPECT_FALSE(stack.canRedo());
  EXPECT_EQ(stack.undoLabel(), "Other");
}

TEST(UndoStack, ContinuousEditsOfOneDragMergeIntoOneStep) {
  UndoStack stack(defaultScene());
  for (int frame = 10; frame < 20; ++frame) {
    Scene next = stack.current();
    next.keys(0, 1) = 0.01f * frame;
    stack.push(next, "Move key", EditMerge::Continuous, static_cast<std::uint64_t>(frame));
  }
  EXPECT_EQ(stack.size(), 2u);
  // A pause of more than a frame starts a new step even with the same label.
  Scene later = stack.current();
  later.keys(0, 1) = 1.0f;
  stack.push(later, "Move key", EditMerge::Continuous, 40);
  EXPECT_EQ(stack.size(), 3u);
  stack.undo();
  stack.undo();
  EXPECT_FLOAT_EQ(stack.current().keys(0, 1), 0.0f);
}

TEST(UndoStack, InvalidSceneIsRefusedAndNothingChanges) {
  UndoStack stack(defaultScene());
  const auto revision = stack.revision();
  Scene bad = stack.current();
  bad.keys(0, 0) = INFINITY;
  EXPECT_THROW(stack.push(bad, "Bad", EditMerge::Separate, 1), InputError);
  EXPECT_EQ(stack.revision(), revision);
  EXPECT_FLOAT_EQ(stack.current().keys(0, 0), 1.0f);
  EXPECT_EQ(stack.size(), 1u);
}

TEST(AppContext, EditsApplyAtEndOfFrameAndDerivedRecomputesOnlyOnChange) {
  AppContext context(defaultScene());
  int refreshes = 0;
  context.onDerivedChanged = [&](const AppContext&) { ++refreshes; };
  EXPECT_TRUE(context.refreshDerived());
  EXPECT_EQ(refreshes, 1);
  EXPECT_FALSE(context.endFrame());  // nothing changed: no recomputation
  EXPECT_EQ(refreshes, 1);
  Scene next = context.scene();
  next.keys(1, 0) = 0.5f;
  context.submit(next, "Move key");
  EXPECT_FLOAT_EQ(context.scene().keys(1, 0), 0.0f);  // not yet: views of this frame see one scene
  EXPECT_TRUE(context.endFrame());
  EXPECT_FLOAT_EQ(context.scene().keys(1, 0), 0.5f);
  EXPECT_EQ(refreshes, 2);
  EXPECT_EQ(context.derived().sceneRevision, context.revision());
  context.undo();
  EXPECT_TRUE(context.endFrame());
  EXPECT_FLOAT_EQ(context.scene().keys(1, 0), 0.0f);
}

TEST(AppContext, RefusedEditBecomesAnErrorNotACrash) {
  AppContext context(defaultScene());
  context.refreshDerived();
  Scene bad = context.scene();
  bad.kernel.mgkPriors(0, 0) = 2.0f;
  context.submit(bad, "Bad prior");
  context.endFrame();
  const auto errors = context.takeErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("priors"), std::string::npos);
  EXPECT_FLOAT_EQ(context.scene().kernel.mgkPriors(0, 0), 0.5f);
}

}  // namespace
}  // namespace attnscope::gui

namespace attnscope::gui {
namespace {

TEST(AppContext, BackgroundDivergencesArriveAndMatchTheSynchronousValues) {
  Scene scene = defaultScene();
  AppContext synchronous(scene);
  synchronous.refreshDerived();
  AppContext background(scene);
  background.setBackgroundDivergences(true);
  background.refreshDerived();
  // Everything but the slow scalars is there at once.
  EXPECT_EQ(background.derived().sceneRevision, background.revision());
  EXPECT_TRUE(
      background.derived().result(Kernel::Dpa).weights.isApprox(synchronous.derived().result(Kernel::Dpa).weights));
  for (int attempt = 0; attempt < 500 && background.derived().slowDivergenceRevision != background.revision();
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    background.endFrame();
  }
  ASSERT_EQ(background.derived().slowDivergenceRevision, background.revision());
  const Divergences& a = background.derived().divergences;
  const Divergences& b = synchronous.derived().divergences;
  EXPECT_FLOAT_EQ(a.sinkhorn, b.sinkhorn);
  EXPECT_FLOAT_EQ(a.mmdBiased, b.mmdBiased);
  EXPECT_FLOAT_EQ(a.gaussianKl, b.gaussianKl);
  EXPECT_FLOAT_EQ(a.frechet, b.frechet);
  EXPECT_EQ(background.divergenceHistory().size(), 1u);
}

TEST(AppContext, BackgroundDragShowsAnEarlierResultAndEndsExactlyOnTheFinalScene) {
  AppContext context(defaultScene());
  context.setBackgroundDivergences(true);
  context.refreshDerived();
  const std::uint64_t start = context.derived().sceneRevision;
  Scene scene = context.scene();
  for (int step = 1; step <= 20; ++step) {
    scene.keys(1, 0) = 0.05f * float(step);  // a drag of key 1
    context.submit(scene, "Move key", EditMerge::Continuous);
    context.endFrame();
    // While dragging the views read a finished result, possibly of an earlier scene of the drag, never a newer one.
    EXPECT_LE(context.derived().sceneRevision, context.revision());
    EXPECT_EQ(context.derived().result(Kernel::Dpa).weights.rows(), context.scene().queryCount());
  }
  // Within a few frames of the drag the background results arrive (the first drag frame only queues the job).
  for (int attempt = 0; attempt < 500 && context.derived().sceneRevision == start; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    context.submit(scene, "Move key", EditMerge::Continuous);
    context.endFrame();
  }
  EXPECT_GT(context.derived().sceneRevision, start);
  // The drag ends (a frame without an edit): Derived is exact for the final scene, as without the workers.
  context.endFrame();
  EXPECT_EQ(context.derived().sceneRevision, context.revision());
  EXPECT_FALSE(context.derived().dragPreview);
  AppContext reference(context.scene());
  reference.refreshDerived();
  EXPECT_EQ(context.derived().result(Kernel::Dpa).weights, reference.derived().result(Kernel::Dpa).weights);
  EXPECT_EQ(context.derived().result(Kernel::Mgk).weights, reference.derived().result(Kernel::Mgk).weights);
  EXPECT_EQ(context.derived().density.resolution, reference.derived().density.resolution);
  EXPECT_EQ(context.derived().density.density, reference.derived().density.density);
  EXPECT_EQ(context.derived().mgkResponsibilities, reference.derived().mgkResponsibilities);
  EXPECT_FLOAT_EQ(context.derived().divergences.ct, reference.derived().divergences.ct);
}

TEST(AppContext, ContinuousEditThatChangesShapesIsComputedAtOnce) {
  AppContext context(defaultScene());
  context.setBackgroundDivergences(true);
  context.refreshDerived();
  Scene next = context.scene();
  next.setDimension(3);  // the dimension slider is a continuous edit, but every d-sized result changes shape
  context.submit(next, "Change dimension", EditMerge::Continuous);
  context.endFrame();
  EXPECT_EQ(context.derived().sceneRevision, context.revision());
  EXPECT_EQ(context.derived().plane.basis.rows(), 3);
}

}  // namespace
}  // namespace attnscope::gui
