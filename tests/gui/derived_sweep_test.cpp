// The kernel sweep's optional kernels in computeDerived (app/gui/derived.cpp): MLK and cosine curves and their
// per-key weights, against values computed by hand, and computed only while the sweep shows them.
#include <gtest/gtest.h>

#include <cmath>

#include "app/gui/app_state.h"

namespace attnscope::gui {
namespace {

// The sweep has 181 samples over 0..180 degrees: sample s is s degrees.
constexpr int kParallel = 0, kOrthogonal = 90, kAntiparallel = 180;

/// q = (1, 0); key 0 = (0.6, 0.8) is swept (unit length, so in the sweep it is (cos t, sin t): the plane of q and
/// key 0 is the x-y plane with e2 = +y); key 1 = (0, 1) stays fixed. One MGK component with zero shift and prior 1,
/// so MLK's kappa_j = phi(k_j) with phi = elu + 1 (phi(x) = x + 1 for x > 0, e^x for x <= 0).
Scene twoKeyScene() {
  Scene scene = defaultScene();
  scene.queries.resize(1, 2);
  scene.queries << 1.0f, 0.0f;
  scene.queryLabels = {"q"};
  scene.keys.resize(2, 2);
  scene.keys << 0.6f, 0.8f, 0.0f, 1.0f;
  scene.keyLabels = {"swept", "fixed"};
  scene.selectedQuery = 0;
  scene.selectedKey = 0;
  scene.normalise();
  scene.setMgkComponents(1);
  scene.kernel.mgkShifts.setZero();
  scene.kernel.mgkPriors.setConstant(1.0f);
  scene.display.setKernelShown(Kernel::Mlk, true);
  scene.display.setKernelShown(Kernel::Cosine, true);
  scene.kernel.cosineTemperature = 0.5f;
  scene.validate();
  return scene;
}

Derived compute(const Scene& scene) {
  Derived derived;
  computeDerived(scene, 3, derived);
  EXPECT_EQ(derived.error, "");
  return derived;
}

TEST(DerivedSweep, MlkCurveAtZeroNinetyAndOneEightyEqualsTheHandValues) {
  const Derived derived = compute(twoKeyScene());
  const AngleSweep& sweep = derived.sweep;
  ASSERT_EQ(sweep.angleDegrees.size(), 181);
  ASSERT_EQ(sweep.weight(Kernel::Mlk).size(), 181);
  ASSERT_EQ(sweep.score(Kernel::Mlk).size(), 181);
  EXPECT_NEAR(sweep.angleDegrees[kOrthogonal], 90.0f, 1e-4f);
  // phi(q) = phi(1, 0) = (2, 1). Fixed key (0, 1): phi = (1, 2), score 2*1 + 1*2 = 4.
  //   0 deg:  swept (1, 0),  phi (2, 1),      score 4 + 1 = 5,          weight 5 / 9
  //  90 deg:  swept (0, 1),  phi (1, 2),      score 4,                  weight 4 / 8 = 1/2
  // 180 deg:  swept (-1, 0), phi (1/e, 1),    score 2/e + 1 = 1.735759, weight 1.735759 / 5.735759 = 0.302621
  const double antiparallelScore = 2.0 / std::exp(1.0) + 1.0;
  EXPECT_NEAR(sweep.score(Kernel::Mlk)[kParallel], 5.0, 1e-5);
  EXPECT_NEAR(sweep.score(Kernel::Mlk)[kOrthogonal], 4.0, 1e-5);
  EXPECT_NEAR(sweep.score(Kernel::Mlk)[kAntiparallel], antiparallelScore, 1e-5);
  EXPECT_NEAR(sweep.weight(Kernel::Mlk)[kParallel], 5.0 / 9.0, 1e-6);
  EXPECT_NEAR(sweep.weight(Kernel::Mlk)[kOrthogonal], 0.5, 1e-6);
  EXPECT_NEAR(sweep.weight(Kernel::Mlk)[kAntiparallel], antiparallelScore / (antiparallelScore + 4.0), 1e-6);
  EXPECT_NEAR(sweep.weight(Kernel::Mlk)[kAntiparallel], 0.302621, 1e-6);
}

TEST(DerivedSweep, CosineCurveAtZeroNinetyAndOneEightyEqualsTheHandValues) {
  const Derived derived = compute(twoKeyScene());
  const AngleSweep& sweep = derived.sweep;
  ASSERT_EQ(sweep.weight(Kernel::Cosine).size(), 181);
  // tau = 0.5: logits cos(theta) / tau. The fixed key (0, 1) is orthogonal to q: logit 0.
  //   0 deg: logit  2, weight e^2 / (e^2 + 1) = 0.880797
  //  90 deg: logit  0, weight 1/2
  // 180 deg: logit -2, weight 1 / (e^2 + 1)   = 0.119203
  EXPECT_NEAR(sweep.score(Kernel::Cosine)[kParallel], 2.0, 1e-5);
  EXPECT_NEAR(sweep.score(Kernel::Cosine)[kOrthogonal], 0.0, 1e-5);
  EXPECT_NEAR(sweep.score(Kernel::Cosine)[kAntiparallel], -2.0, 1e-5);
  EXPECT_NEAR(sweep.weight(Kernel::Cosine)[kParallel], 0.880797, 1e-6);
  EXPECT_NEAR(sweep.weight(Kernel::Cosine)[kOrthogonal], 0.5, 1e-6);
  EXPECT_NEAR(sweep.weight(Kernel::Cosine)[kAntiparallel], 0.119203, 1e-6);
}

TEST(DerivedSweep, CosineIgnoresLengthsAndUsesTheScenesTemperature) {
  Scene scene = twoKeyScene();
  scene.queries *= 3.0f;  // lengths change DPA and MLK, never cosine
  scene.keys.row(0) *= 0.25f;
  scene.kernel.cosineTemperature = 1.0f;
  const Derived derived = compute(scene);
  // tau = 1: e / (e + 1) = 0.731059 at 0 deg, 1 / (e + 1) = 0.268941 at 180 deg.
  EXPECT_NEAR(derived.sweep.weight(Kernel::Cosine)[kParallel], 0.731059, 1e-6);
  EXPECT_NEAR(derived.sweep.weight(Kernel::Cosine)[kOrthogonal], 0.5, 1e-6);
  EXPECT_NEAR(derived.sweep.weight(Kernel::Cosine)[kAntiparallel], 0.268941, 1e-6);
}

TEST(DerivedSweep, PerKeyWeightsOfTheOptionalKernelsMatchTheFormulas) {
  const Derived derived = compute(twoKeyScene());
  // The unswept scene: key 0 = (0.6, 0.8). Cosine tau 0.5: logits 1.2 and 0, weights e^1.2 / (e^1.2 + 1) = 0.768525.
  ASSERT_EQ(derived.result(Kernel::Cosine).weights.rows(), 1);
  ASSERT_EQ(derived.result(Kernel::Cosine).weights.cols(), 2);
  EXPECT_NEAR(derived.result(Kernel::Cosine).weights(0, 0), 0.768525, 1e-6);
  EXPECT_NEAR(derived.result(Kernel::Cosine).weights(0, 1), 0.231475, 1e-6);
  // MLK: phi(0.6, 0.8) = (1.6, 1.8), score 2*1.6 + 1.8 = 5.0; the fixed key scores 4: weights 5/9 and 4/9.
  ASSERT_EQ(derived.result(Kernel::Mlk).weights.cols(), 2);
  EXPECT_NEAR(derived.result(Kernel::Mlk).scores(0, 0), 5.0, 1e-5);
  EXPECT_NEAR(derived.result(Kernel::Mlk).weights(0, 0), 5.0 / 9.0, 1e-6);
  EXPECT_NEAR(derived.result(Kernel::Mlk).weights(0, 1), 4.0 / 9.0, 1e-6);
}

TEST(DerivedSweep, CosineAtNinetyDegreesAmongFourKeysWithTheDefaultTemperature) {
  // The default scene: q0 = (1, 0), keys (1,0) swept, (0,1), (-1,0), (1.6,0.2); tau = 0.1. At 90 degrees the swept
  // key is (0, 1) like the orthogonal key: both logit 0; the antiparallel key -10, the long one 10 * 1.6 / |(1.6,
  // 0.2)| = 9.9228. Weight of the swept key = 1 / (2 + e^-10 + e^9.9228) = 4.9040e-5.
  Scene scene = defaultScene();
  scene.display.setKernelShown(Kernel::Cosine, true);
  const Derived derived = compute(scene);
  const double expected = 1.0 / (2.0 + std::exp(-10.0) + std::exp(10.0 * 1.6 / std::hypot(1.6, 0.2)));
  EXPECT_NEAR(derived.sweep.weight(Kernel::Cosine)[kOrthogonal], expected, 1e-8);
  EXPECT_NEAR(derived.sweep.score(Kernel::Cosine)[kOrthogonal], 0.0, 1e-5);
}

TEST(DerivedSweep, KernelsAreComputedOnlyWhileShown) {
  Scene scene = twoKeyScene();
  scene.display.setKernelShown(Kernel::Mlk, false);
  scene.display.setKernelShown(Kernel::Cosine, false);
  Derived derived;
  computeDerived(scene, 1, derived);
  EXPECT_EQ(derived.sweep.weight(Kernel::Mlk).size(), 0);
  EXPECT_EQ(derived.sweep.weight(Kernel::Cosine).size(), 0);
  EXPECT_EQ(derived.result(Kernel::Mlk).weights.size(), 0);
  EXPECT_EQ(derived.result(Kernel::Cosine).weights.size(), 0);
  EXPECT_EQ(derived.sweep.weight(Kernel::Dpa).size(), 181);   // the default three stay shown
  EXPECT_EQ(derived.sweep.weight(Kernel::EaPure).size(), 0);  // never shown here: never computed
  EXPECT_EQ(derived.result(Kernel::MgkHard).weights.size(), 0);

  scene.display.setKernelShown(Kernel::Cosine, true);  // one on: only that one appears
  computeDerived(scene, 2, derived);
  EXPECT_EQ(derived.sweep.weight(Kernel::Mlk).size(), 0);
  EXPECT_EQ(derived.sweep.weight(Kernel::Cosine).size(), 181);
  EXPECT_EQ(derived.result(Kernel::Mlk).weights.size(), 0);
  EXPECT_EQ(derived.result(Kernel::Cosine).weights.size(), 2);

  scene.display.setKernelShown(Kernel::Cosine, false);  // switched off again: the results go away, not stale values
  computeDerived(scene, 3, derived);
  EXPECT_EQ(derived.sweep.weight(Kernel::Cosine).size(), 0);
  EXPECT_EQ(derived.result(Kernel::Cosine).weights.size(), 0);
}

TEST(DerivedSweep, TheDefaultCosineTemperatureIsTheCoresTenth) {
  // Same default as the core and `attnscope weights --kernel cosine`, so the app and the CLI agree.
  EXPECT_FLOAT_EQ(defaultScene().kernel.cosineTemperature, 0.1f);
  Scene scene = defaultScene();
  scene.kernel.cosineTemperature = 0.0f;
  EXPECT_THROW(scene.validate(), std::exception);
  scene.kernel.cosineTemperature = std::nanf("");
  EXPECT_THROW(scene.validate(), std::exception);
}

}  // namespace
}  // namespace attnscope::gui
