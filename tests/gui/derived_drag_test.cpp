// computeDerived while dragging (app/gui/derived.cpp): the coarse density and skipped MGK responsibilities of a drag,
// and finishDrag() restoring exactly what a full computation gives.
#include <gtest/gtest.h>

#include "app/gui/app_state.h"

namespace attnscope::gui {
namespace {

Scene crowdedScene() {
  Scene scene = defaultScene();
  appendRandomVectors(scene, 60, 7);
  return scene;
}

TEST(DerivedDrag, DensityHasHalfTheResolutionPerSideWhileDragging) {
  const Scene scene = crowdedScene();
  Derived full, drag;
  computeDerived(scene, 3, full, DerivedParts::WithoutSlowDivergences, false);
  computeDerived(scene, 3, drag, DerivedParts::WithoutSlowDivergences, true);
  ASSERT_EQ(full.error, "");
  ASSERT_EQ(drag.error, "");
  EXPECT_FALSE(full.density.coarse);
  EXPECT_FALSE(full.dragPreview);
  EXPECT_TRUE(drag.dragPreview);
  ASSERT_GE(full.density.resolution, 128);  // the default 256 or the budget's grid; never below 64
  EXPECT_EQ(drag.density.resolution, full.density.resolution / 2);
  EXPECT_TRUE(drag.density.coarse);
  EXPECT_EQ(drag.density.density.rows(), drag.density.resolution);
  // Same plane, same total mass: the coarse grid's mean density approximates the full grid's (a smooth field).
  EXPECT_NEAR(drag.density.density.mean(), full.density.density.mean(), 0.05 * full.density.density.mean());
  // Everything else is computed exactly as without a drag.
  EXPECT_EQ(drag.result(Kernel::Dpa).weights, full.result(Kernel::Dpa).weights);
  EXPECT_EQ(drag.result(Kernel::Mgk).weights, full.result(Kernel::Mgk).weights);
  EXPECT_EQ(drag.divergences.ctForwardPlan, full.divergences.ctForwardPlan);
}

TEST(DerivedDrag, ResponsibilitiesKeepTheirLastValuesWhileDragging) {
  const Scene scene = crowdedScene();
  Derived derived;
  computeDerived(scene, 1, derived, DerivedParts::WithoutSlowDivergences, true);
  EXPECT_EQ(derived.mgkResponsibilities.size(), 0);  // never computed yet
}

TEST(DerivedDrag, FinishDragGivesTheFullComputation) {
  const Scene scene = crowdedScene();
  Derived full, drag;
  computeDerived(scene, 5, full, DerivedParts::WithoutSlowDivergences, false);
  computeDerived(scene, 5, drag, DerivedParts::WithoutSlowDivergences, true);
  EXPECT_EQ(finishDrag(scene, drag), "");
  EXPECT_FALSE(drag.dragPreview);
  EXPECT_FALSE(drag.density.coarse);
  EXPECT_EQ(drag.density.resolution, full.density.resolution);
  EXPECT_EQ(drag.density.density, full.density.density);
  EXPECT_EQ(drag.density.kernel, full.density.kernel);
  EXPECT_EQ(drag.mgkResponsibilities, full.mgkResponsibilities);
}

TEST(DerivedDrag, SmallFieldsAreNotCoarsened) {
  Scene scene = crowdedScene();
  scene.display.densityResolution = 64;  // already the minimum: a drag keeps it
  Derived drag;
  computeDerived(scene, 2, drag, DerivedParts::WithoutSlowDivergences, true);
  EXPECT_EQ(drag.density.resolution, 64);
  EXPECT_FALSE(drag.density.coarse);
}

}  // namespace
}  // namespace attnscope::gui
