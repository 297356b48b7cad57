// computeDerived (app/gui/derived.cpp): the numbers views show, checked by hand-computable formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "app/gui/app_state.h"

namespace attnscope::gui {
namespace {

Derived compute(const Scene& scene) {
  Derived derived;
  computeDerived(scene, 7, derived);
  EXPECT_EQ(derived.error, "");
  EXPECT_EQ(derived.sceneRevision, 7u);
  return derived;
}

TEST(Derived, DefaultSceneDpaMatchesSoftmaxOfScaledDots) {
  const Derived derived = compute(defaultScene());
  // q0 = (1, 0); keys (1,0), (0,1), (-1,0), (1.6,0.2); s = 1/sqrt(2): logits s * (1, 0, -1, 1.6).
  const double s = 1.0 / std::sqrt(2.0);
  const double e[4] = {std::exp(s * 1.0), 1.0, std::exp(-s), std::exp(s * 1.6)};
  const double total = e[0] + e[1] + e[2] + e[3];
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(derived.result(Kernel::Dpa).weights(0, j), e[j] / total, 1e-6);
}

TEST(Derived, ExpressiveAttentionSilencesTheOrthogonalKey) {
  const Derived derived = compute(defaultScene());
  EXPECT_EQ(derived.result(Kernel::Ea).weights(0, 1), 0.0f);
  // Saturating form: f(x) = x^2/(1+x^2) with x = s (1, 0, -1, 1.6); parallel and antiparallel get equal weight.
  EXPECT_FLOAT_EQ(derived.result(Kernel::Ea).weights(0, 0), derived.result(Kernel::Ea).weights(0, 2));
  const double s2 = 0.5;
  const double f1 = s2 / (1 + s2), f4 = s2 * 2.56 / (1 + s2 * 2.56);
  EXPECT_NEAR(derived.result(Kernel::Ea).weights(0, 3), f4 / (2 * f1 + f4), 1e-6);
}

TEST(Derived, MgkWithPerPositionVariancesMatchesTheMixtureFormula) {
  Scene scene = defaultScene();
  scene.setMgkComponents(1);
  scene.kernel.mgkShifts.setZero();
  scene.kernel.mgkVariances << 0.5f, 1.0f, 2.0f, 0.25f;  // four different variances: four groups
  scene.kernel.mgkPriors << 1.0f, 0.5f, 1.0f, 0.2f;
  const Derived derived = compute(scene);
  for (int i = 0; i < scene.queryCount(); ++i) {
    double S[4], total = 0;
    for (int j = 0; j < 4; ++j) {
      const double d2 = (scene.queries.row(i) - scene.keys.row(j)).squaredNorm();
      S[j] = scene.kernel.mgkPriors(j, 0) * std::exp(-d2 / (2.0 * scene.kernel.mgkVariances(j, 0)));
      total += S[j];
    }
    for (int j = 0; j < 4; ++j)
      EXPECT_NEAR(derived.result(Kernel::Mgk).weights(i, j), S[j] / total, 1e-5) << i << "," << j;
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(derived.result(Kernel::Mgk).scores(i, j), std::log(S[j]), 1e-4);
  }
  // One component per position: every responsibility is 1.
  EXPECT_NEAR(derived.mgkResponsibilities.minCoeff(), 1.0f, 1e-6f);
}

TEST(Derived, SweepStartsParallelAndMarksTheCurrentAngle) {
  Scene scene = defaultScene();
  scene.selectedKey = 1;  // orthogonal key
  const Derived derived = compute(scene);
  ASSERT_EQ(derived.sweep.angleDegrees.size(), 181);
  EXPECT_FLOAT_EQ(derived.sweep.angleDegrees(90), 90.0f);
  EXPECT_NEAR(derived.sweep.currentAngleDegrees, 90.0f, 1e-4f);
  // At 90 degrees the swept key's EA weight is 0 whatever the other keys are.
  EXPECT_NEAR(derived.sweep.weight(Kernel::Ea)(90), 0.0f, 1e-6f);
  EXPECT_GT(derived.sweep.weight(Kernel::Dpa)(0), derived.sweep.weight(Kernel::Dpa)(180));
}

TEST(Derived, PlaneIsIdentityIn2dAndPcaAbove) {
  Scene scene = defaultScene();
  Derived derived = compute(scene);
  EXPECT_FALSE(derived.plane.isPca);
  EXPECT_FLOAT_EQ(derived.plane.keys2d(3, 0), 1.6f);
  scene.setDimension(5);
  scene.keys(0, 4) = 1.0f;
  derived = compute(scene);
  EXPECT_TRUE(derived.plane.isPca);
  EXPECT_EQ(derived.plane.basis.rows(), 5);
  EXPECT_EQ(derived.plane.basis.cols(), 2);
  EXPECT_EQ(derived.plane.keys2d.rows(), 4);
}

TEST(Derived, DensityFieldOfOneGaussianPeaksAtItsCentreWithTheGaussianConstant) {
  Scene scene = defaultScene();
  for (int j = 3; j >= 1; --j) scene.removeKey(j);
  scene.setMgkComponents(1);
  scene.kernel.mgkShifts.setZero();
  scene.keys.row(0) << 0.5f, -0.25f;
  scene.kernel.mgkVariances(0, 0) = 0.25f;
  scene.kernel.mgkPriors(0, 0) = 0.5f;
  const Derived derived = compute(scene);
  const DensityField& field = derived.density;
  ASSERT_EQ(field.density.rows(), field.resolution);
  ASSERT_EQ(field.centres2d.rows(), 1);
  EXPECT_FLOAT_EQ(field.centres2d(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(field.centres2d(0, 1), -0.25f);
  // Normalised density: 1 / (2 pi sigma^2) at the centre; the nearest pixel centres sit half a pixel off in x and y.
  const double pixel = (field.xMax - field.xMin) / field.resolution;
  const double offset2 = 2.0 * (pixel / 2) * (pixel / 2);
  const double peak = std::exp(-offset2 / (2 * 0.25)) / (2 * M_PI * 0.25);
  EXPECT_NEAR(field.density.maxCoeff(), peak, 1e-5);
  // Attention kernel: prior * exp(...), no constant.
  EXPECT_NEAR(field.kernel.maxCoeff(), 0.5 * std::exp(-offset2 / (2 * 0.25)), 1e-5);
  // Row 0 is at yMin: the peak row lies below the middle (v = -0.25).
  Eigen::Index row = 0, column = 0;
  field.density.maxCoeff(&row, &column);
  EXPECT_NEAR(field.yMin + (row + 0.5) * pixel, -0.25, pixel);
  EXPECT_NEAR(field.xMin + (column + 0.5) * pixel, 0.5, pixel);
}

TEST(Derived, DivergencesOfOneKeyAndOneQueryAreTheCost) {
  Scene scene = defaultScene();
  scene.removeKey(3);
  scene.removeKey(2);
  scene.removeKey(1);
  scene.removeQuery(1);
  scene.keys.row(0) << 0.0f, 1.0f;  // orthogonal to q = (1, 0): cost sqrt(2 (1 - 0))
  const Derived derived = compute(scene);
  EXPECT_NEAR(derived.divergences.ct, std::sqrt(2.0f), 1e-5f);
  EXPECT_EQ(derived.divergences.ctForwardPlan.rows(), 1);
  EXPECT_EQ(derived.divergences.ctBackwardPlan.cols(), 1);
}

TEST(Derived, InvalidSceneReportsAndKeepsNoNaN) {
  Scene scene = defaultScene();
  scene.queries.row(0).setZero();  // legal: a zero query
  Derived derived;
  computeDerived(scene, 3, derived);
  EXPECT_TRUE(derived.result(Kernel::Dpa).weights.allFinite());
  EXPECT_TRUE(derived.result(Kernel::Ea).weights.allFinite());
  EXPECT_TRUE(derived.result(Kernel::Mgk).weights.allFinite());
}

}  // namespace
}  // namespace attnscope::gui
