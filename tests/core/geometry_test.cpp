// Tests of core/geometry.cpp with values a reader can check by hand.
#include "core/geometry.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/core/row_matrix_literal.h"

namespace attnscope {
namespace {

using test_support::rows;

/// Unit vectors in the x-y plane at the given angles (degrees) from the x axis, one per row.
RowMatrix keysAtAngles(const std::vector<float>& degrees) {
  RowMatrix K(static_cast<Eigen::Index>(degrees.size()), 2);
  for (size_t i = 0; i < degrees.size(); ++i) {
    const double r = degrees[i] * std::numbers::pi / 180.0;
    K(static_cast<Eigen::Index>(i), 0) = static_cast<float>(std::cos(r));
    K(static_cast<Eigen::Index>(i), 1) = static_cast<float>(std::sin(r));
  }
  return K;
}

bool allFinite(const RowMatrix& m) {
  return m.allFinite();
}

// --------------------------------------------------------------------------------------------------------------
// Cosines and angles

TEST(QueryKeyPlane, HandValuesAndTheParallelFallback) {
  // q = (2, 0, 0), k = (1, 1, 0): e1 = x, e2 = y, the key at 45 degrees, |k| = sqrt 2; at 90 degrees it is
  // (0, sqrt 2, 0).
  const QueryKeyPlane plane = queryKeyPlane(VectorD::Unit(3, 0) * 2.0, (VectorD(3) << 1, 1, 0).finished());
  EXPECT_NEAR((plane.e1 - VectorD::Unit(3, 0)).norm(), 0.0, 1e-15);
  EXPECT_NEAR((plane.e2 - VectorD::Unit(3, 1)).norm(), 0.0, 1e-15);
  EXPECT_NEAR(plane.keyRadians, std::numbers::pi / 4, 1e-15);
  EXPECT_NEAR((plane.keyAt(90.0) - VectorD::Unit(3, 1) * std::sqrt(2.0)).norm(), 0.0, 1e-15);
  EXPECT_NEAR((plane.keyAt(0.0, 5.0) - VectorD::Unit(3, 0) * 5.0).norm(), 0.0, 1e-15);
  // k parallel to q spans no plane: e2 is the axis least aligned with q (y, the first of the tied y and z).
  const QueryKeyPlane parallel = queryKeyPlane(VectorD::Unit(3, 0), VectorD::Unit(3, 0) * 3.0);
  EXPECT_NEAR((parallel.e2 - VectorD::Unit(3, 1)).norm(), 0.0, 1e-15);
  EXPECT_NEAR((parallel.keyAt(180.0) + VectorD::Unit(3, 0) * 3.0).norm(), 0.0, 1e-14);
  EXPECT_THROW(queryKeyPlane(VectorD::Zero(3), VectorD::Unit(3, 0)), InputError);
}

TEST(GeometryCosine, HandValuesAndZeroVectors) {
  const RowMatrix Q = rows({{1, 0}, {0, 0}});
  const RowMatrix K = rows({{2, 0}, {0, 3}, {-1, 0}, {1, 1}});
  const CosineMatrix c = cosineMatrix(Q, K);
  EXPECT_NEAR(c.cosine(0, 0), 1.0f, 1e-7);
  EXPECT_NEAR(c.cosine(0, 1), 0.0f, 1e-7);
  EXPECT_NEAR(c.cosine(0, 2), -1.0f, 1e-7);
  EXPECT_NEAR(c.cosine(0, 3), std::sqrt(0.5f), 1e-7);
  for (int j = 0; j < 4; ++j) EXPECT_EQ(c.cosine(1, j), 0.0f);  // zero query: cosine 0 by definition
  EXPECT_FALSE(c.zeroQuery[0]);
  EXPECT_TRUE(c.zeroQuery[1]);
  EXPECT_EQ(c.zeroQueryCount, 1);
  EXPECT_EQ(c.zeroKeyCount, 0);
  EXPECT_FALSE(c.defined(1, 0));
  const RowMatrix angles = anglesDegrees(c);
  EXPECT_NEAR(angles(0, 0), 0.0f, 1e-3);
  EXPECT_NEAR(angles(0, 1), 90.0f, 1e-4);
  EXPECT_NEAR(angles(0, 2), 180.0f, 1e-3);
  EXPECT_NEAR(angles(0, 3), 45.0f, 1e-4);
  EXPECT_NEAR(angles(1, 2), 90.0f, 1e-6);  // zero vector reads 90 degrees
}

TEST(GeometryCosine, TinyAndHugeNormsKeepTheirDirection) {
  const RowMatrix Q = rows({{1e-20f, 1e-20f}, {1e6f, -1e6f}, {1e-38f, 0}});
  const RowMatrix K = rows({{1e6f, 0}, {0, 1e-20f}});
  const RowMatrix angles = angleMatrixDegrees(Q, K);
  ASSERT_TRUE(allFinite(angles));
  EXPECT_NEAR(angles(0, 0), 45.0f, 1e-4);
  EXPECT_NEAR(angles(0, 1), 45.0f, 1e-4);
  EXPECT_NEAR(angles(1, 0), 45.0f, 1e-4);
  EXPECT_NEAR(angles(1, 1), 135.0f, 1e-4);
  EXPECT_NEAR(angles(2, 0), 0.0f, 1e-3);
}

TEST(GeometryCosine, RejectsNonFiniteAndMismatchedInput) {
  RowMatrix Q = rows({{1, 0}});
  const RowMatrix K3 = rows({{1, 0, 0}});
  EXPECT_THROW(cosineMatrix(Q, K3), InputError);
  Q(0, 1) = std::nanf("");
  EXPECT_THROW(cosineMatrix(Q, rows({{1, 0}})), InputError);
  EXPECT_THROW(cosineMatrix(RowMatrix(0, 2), rows({{1, 0}})), InputError);
}

// --------------------------------------------------------------------------------------------------------------
// Classification and histogram

TEST(GeometryClasses, FractionsWithDefaultBand) {
  // Keys at 0, 10, 20, 80, 95, 110, 170, 180 degrees from q, plus a zero key: 2 of each class, zero key undefined.
  RowMatrix K(9, 2);
  K.topRows(8) = keysAtAngles({0, 10, 20, 80, 95, 110, 170, 180});
  K.row(8).setZero();
  const PairClassification p = classifyPairs(cosineMatrix(rows({{2, 0}}), K));
  const auto cls = [&](int j) { return static_cast<PairClass>(p.classes(0, j)); };
  EXPECT_EQ(cls(0), PairClass::parallel);
  EXPECT_EQ(cls(1), PairClass::parallel);
  EXPECT_EQ(cls(2), PairClass::other);
  EXPECT_EQ(cls(3), PairClass::orthogonal);
  EXPECT_EQ(cls(4), PairClass::orthogonal);
  EXPECT_EQ(cls(5), PairClass::other);
  EXPECT_EQ(cls(6), PairClass::antiparallel);
  EXPECT_EQ(cls(7), PairClass::antiparallel);
  EXPECT_EQ(cls(8), PairClass::undefined);
  EXPECT_EQ(p.counted, 8);
  EXPECT_EQ(p.undefinedCount, 1);
  EXPECT_DOUBLE_EQ(p.parallelFraction, 0.25);
  EXPECT_DOUBLE_EQ(p.orthogonalFraction, 0.25);
  EXPECT_DOUBLE_EQ(p.antiparallelFraction, 0.25);
  EXPECT_DOUBLE_EQ(p.otherFraction, 0.25);
}

TEST(GeometryClasses, BandIsConfigurableAndChecked) {
  const RowMatrix K = keysAtAngles({20, 110});
  PairClassOptions wide;
  wide.bandDegrees = 25;
  const PairClassification p = classifyPairs(cosineMatrix(rows({{1, 0}}), K), wide);
  EXPECT_EQ(static_cast<PairClass>(p.classes(0, 0)), PairClass::parallel);
  EXPECT_EQ(static_cast<PairClass>(p.classes(0, 1)), PairClass::orthogonal);
  PairClassOptions bad;
  bad.bandDegrees = 45;
  EXPECT_THROW(classifyPairs(cosineMatrix(rows({{1, 0}}), K), bad), InputError);
  bad.bandDegrees = -1;
  EXPECT_THROW(classifyPairs(cosineMatrix(rows({{1, 0}}), K), bad), InputError);
}

TEST(GeometryClasses, CausalExcludesFuturePairs) {
  const RowMatrix Q = rows({{1, 0}, {0, 1}});
  const RowMatrix K = rows({{1, 0}, {0, 1}});
  PairClassOptions causal;
  causal.causal = true;
  const PairClassification p = classifyPairs(cosineMatrix(Q, K), causal);
  EXPECT_EQ(static_cast<PairClass>(p.classes(0, 1)), PairClass::excluded);
  EXPECT_EQ(p.excludedCount, 1);
  EXPECT_EQ(p.counted, 3);
  EXPECT_EQ(p.parallelCount, 2);
  EXPECT_EQ(p.orthogonalCount, 1);
}

TEST(GeometryHistogram, FourBins) {
  RowMatrix K(9, 2);
  K.topRows(8) = keysAtAngles({0, 10, 20, 80, 95, 110, 170, 180});
  K.row(8).setZero();
  AngleHistogramOptions options;
  options.bins = 4;
  const AngleHistogram h = angleHistogram(cosineMatrix(rows({{1, 0}}), K), options);
  ASSERT_EQ(h.counts.size(), 4u);
  EXPECT_EQ(h.counts[0], 3);
  EXPECT_EQ(h.counts[1], 1);
  EXPECT_EQ(h.counts[2], 2);
  EXPECT_EQ(h.counts[3], 2);  // 180 degrees falls into the last bin
  EXPECT_EQ(h.counted, 8);
  EXPECT_EQ(h.skippedUndefined, 1);
  EXPECT_FLOAT_EQ(h.binWidthDegrees, 45.0f);
  options.bins = 0;
  EXPECT_THROW(angleHistogram(cosineMatrix(rows({{1, 0}}), K), options), InputError);
}

// --------------------------------------------------------------------------------------------------------------
// Angle sweep

TEST(GeometrySweep, MatchesMathTableAtZeroAndNinety) {
  // MATH.md: q = (1,0), keys (0,1), (1,0), (3,0), s = 1. Sweep the key (3,0): at 0 degrees it is itself.
  AngleSweepOptions options;
  options.kernels = {Kernel::Dpa, Kernel::Ea, Kernel::EaPure};
  options.sweptKey = 2;
  options.attention.scale = 1.0f;
  const Vector q = Eigen::Vector2f(1, 0);
  const AngleSweep sweep = angleSweep(q, rows({{0, 1}, {1, 0}, {3, 0}}), options);
  ASSERT_EQ(sweep.anglesDegrees.size(), 181);
  EXPECT_FLOAT_EQ(sweep.anglesDegrees(90), 90.0f);
  const RowMatrix& dpa = sweep.curves[0].weights;
  EXPECT_NEAR(dpa(0, 0), 0.04201f, 1e-5);
  EXPECT_NEAR(dpa(0, 1), 0.11420f, 1e-5);
  EXPECT_NEAR(dpa(0, 2), 0.84379f, 1e-5);
  EXPECT_NEAR(sweep.curves[1].sweptWeight(0), 0.642857f, 1e-5);
  EXPECT_NEAR(sweep.curves[2].sweptWeight(0), 0.9f, 1e-5);
  // At 90 degrees the swept key is (0, 3): DPA logits (0, 1, 0) give (1, e, 1) / (2 + e).
  const float e = std::exp(1.0f);
  EXPECT_NEAR(dpa(90, 0), 1 / (2 + e), 1e-5);
  EXPECT_NEAR(dpa(90, 1), e / (2 + e), 1e-5);
  EXPECT_NEAR(dpa(90, 2), 1 / (2 + e), 1e-5);
  // ... and EA gives everything to the one non-orthogonal key.
  EXPECT_NEAR(sweep.curves[1].weights(90, 1), 1.0f, 1e-6);
  // At 180 degrees the swept key is (-3, 0): EA pure weights (0, 1, 9) / 10 again, by sign symmetry.
  EXPECT_NEAR(sweep.curves[2].sweptWeight(180), 0.9f, 1e-5);
}

TEST(GeometrySweep, DpaDecreasesAndEaIsSymmetricWithMinimumAtNinety) {
  AngleSweepOptions options;
  options.kernels = {Kernel::Dpa, Kernel::Ea};
  options.sweptKey = 0;
  const Vector q = Eigen::Vector3f(1.0f, 0.5f, -0.25f);
  const RowMatrix K = rows({{0.3f, 1.0f, 0.2f}, {0.5f, 0.5f, 0.0f}, {-1.0f, 0.3f, 0.7f}});
  const AngleSweep sweep = angleSweep(q, K, options);
  const Vector& dpa = sweep.curves[0].sweptWeight;
  const Vector& ea = sweep.curves[1].sweptWeight;
  for (int s = 0; s + 1 < 181; ++s) EXPECT_LE(dpa(s + 1), dpa(s)) << "at sample " << s;
  EXPECT_GT(dpa(0), dpa(180) + 0.1f);
  for (int s = 0; s < 181; ++s) {
    EXPECT_NEAR(ea(s), ea(180 - s), 1e-6) << "at sample " << s;
    EXPECT_GE(ea(s), ea(90));
    EXPECT_NEAR(sweep.curves[0].weights.row(s).sum(), 1.0f, 1e-5);
  }
  EXPECT_LT(ea(90), 1e-7f);  // other keys are not orthogonal to q, so the orthogonal key gets nothing
  EXPECT_GT(ea(0), 0.3f);
}

TEST(GeometrySweep, LogitSplitAndScores) {
  AngleSweepOptions options;
  options.kernels = {Kernel::Dpa};
  options.samples = 7;  // every 30 degrees
  options.queryNorm = 2.0f;
  options.keyNorm = 3.0f;
  options.attention.scale = 0.5f;
  const Vector q = Eigen::Vector2f(0.6f, 0.8f);
  const AngleSweep sweep = angleSweep(q, rows({{1, 0}, {0, 1}}), options);
  EXPECT_FLOAT_EQ(sweep.normPart, 3.0f);        // s |q| |k| = 0.5 * 2 * 3
  EXPECT_NEAR(sweep.anglePart(2), 0.5f, 1e-6);  // cos 60
  EXPECT_NEAR(sweep.logit(2), 1.5f, 1e-6);
  EXPECT_EQ(sweep.anglePart(3), 0.0f);  // exactly orthogonal at 90
  EXPECT_NEAR(sweep.logit(6), -3.0f, 1e-6);
  // DPA scores are the logits: the swept key's score is the logit split back together.
  for (int s = 0; s < 7; ++s) EXPECT_NEAR(sweep.curves[0].sweptScore(s), sweep.logit(s), 1e-5);
}

TEST(GeometrySweep, EaFallbackFlaggedWhenEveryKeyIsOrthogonal) {
  AngleSweepOptions options;
  options.kernels = {Kernel::Ea};
  options.samples = 5;  // 0, 45, 90, 135, 180
  const Vector q = Eigen::Vector3f(1, 0, 0);
  // Swept key turns in the x-y plane; the other key is along z, orthogonal to q throughout.
  const AngleSweep sweep = angleSweep(q, rows({{1, 1, 0}, {0, 0, 1}}), options);
  const AngleSweepCurve& ea = sweep.curves[0];
  EXPECT_TRUE(ea.fallback[2]);
  EXPECT_FALSE(ea.fallback[0]);
  EXPECT_NEAR(ea.weights(2, 0), 0.5f, 1e-6);  // documented fallback: uniform
  EXPECT_NEAR(ea.weights(2, 1), 0.5f, 1e-6);
  EXPECT_NEAR(ea.sweptWeight(0), 1.0f, 1e-6);
  EXPECT_TRUE(ea.weights.allFinite());
}

TEST(GeometrySweep, MgkReducesToDpaForUnitVectors) {
  // MATH.md reduction: one component, unit q and k, equal priors, sigma^2 = 1/s gives DPA exactly.
  AngleSweepOptions options;
  options.kernels = {Kernel::Dpa, Kernel::Mgk};
  options.queryNorm = 1.0f;
  options.attention.scale = 0.5f;
  options.attention.gaussian.variances = Vector::Constant(1, 2.0f);
  const Vector q = Eigen::Vector3f(0.2f, -0.4f, 0.9f);
  RowMatrix K = rows({{1, 2, 2}, {0, 1, 0}, {0.6f, 0, 0.8f}});
  K.row(0) /= 3.0f;
  const AngleSweep sweep = angleSweep(q, K, options);
  EXPECT_TRUE(sweep.curves[0].weights.isApprox(sweep.curves[1].weights, 1e-5f));
  EXPECT_LT((sweep.curves[0].weights - sweep.curves[1].weights).cwiseAbs().maxCoeff(), 1e-6f);
}

TEST(GeometrySweep, ComponentKeysTurnWithTheSweptKey) {
  // Component keys equal to the keys themselves must give the same sweep as plain MGK on the keys.
  const Vector q = Eigen::Vector3f(1.0f, 0.2f, 0.0f);
  const RowMatrix K = rows({{0.4f, 0.9f, 0.3f}, {-0.5f, 0.1f, 0.8f}});
  AngleSweepOptions plain;
  plain.kernels = {Kernel::Mgk};
  plain.sweptKey = 0;
  plain.keyNorm = 2.0f;
  AngleSweepOptions components = plain;
  components.attention.gaussian.componentKeys = {K};
  const AngleSweep a = angleSweep(q, K, plain);
  const AngleSweep b = angleSweep(q, K, components);
  EXPECT_LT((a.curves[0].weights - b.curves[0].weights).cwiseAbs().maxCoeff(), 1e-5f);
}

TEST(GeometrySweep, ParallelKeyAndDegenerateInput) {
  AngleSweepOptions options;
  options.kernels = {Kernel::Dpa, Kernel::Ea, Kernel::Cosine};
  const Vector q = Eigen::Vector2f(2, 0);
  // Swept key parallel to q: the sweep plane uses another axis; a zero other key is legal.
  const AngleSweep sweep = angleSweep(q, rows({{5, 0}, {0, 0}}), options);
  EXPECT_NEAR(sweep.anglePart(0), 1.0f, 1e-7);
  for (const auto& curve : sweep.curves) EXPECT_TRUE(curve.weights.allFinite());
  // Query norm 0 (keeping its direction) and key norm 0: nothing is preferred, still finite.
  options.queryNorm = 0.0f;
  const AngleSweep flat = angleSweep(q, rows({{5, 0}, {1, 1}}), options);
  for (const auto& curve : flat.curves) EXPECT_TRUE(curve.weights.allFinite());
  EXPECT_NEAR(flat.curves[0].sweptWeight(40), 0.5f, 1e-6);
  EXPECT_THROW(angleSweep(Eigen::Vector2f(0, 0), rows({{1, 0}}), {}), InputError);
  EXPECT_THROW(angleSweep(Vector::Ones(1), rows({{1}}), {}), InputError);
  AngleSweepOptions badIndex;
  badIndex.sweptKey = 3;
  EXPECT_THROW(angleSweep(q, rows({{1, 0}}), badIndex), InputError);
  AngleSweepOptions badNorm;
  badNorm.keyNorm = -1.0f;
  EXPECT_THROW(angleSweep(q, rows({{1, 0}}), badNorm), InputError);
}

// --------------------------------------------------------------------------------------------------------------
// Joint PCA

TEST(GeometryPca, PointsOnALineHaveOneNonzeroVariance) {
  // t = -2..2 along (1, 2, 2)/3 around (5, 5, 5): variance 2 along the line, 0 across.
  RowMatrix Q(3, 3), K(2, 3);
  const Eigen::RowVector3f direction(1.0f / 3, 2.0f / 3, 2.0f / 3), centre(5, 5, 5);
  for (int t = -2; t <= 0; ++t) Q.row(t + 2) = centre + static_cast<float>(t) * direction;
  for (int t = 1; t <= 2; ++t) K.row(t - 1) = centre + static_cast<float>(t) * direction;
  const PcaBasis basis = jointPca(Q, K);
  ASSERT_EQ(basis.components.rows(), 2);
  EXPECT_FALSE(basis.coordinateAxes);
  EXPECT_NEAR(basis.explainedVariance(0), 2.0f, 1e-5);
  EXPECT_NEAR(basis.explainedVariance(1), 0.0f, 1e-6);
  EXPECT_NEAR(basis.explainedRatio(0), 1.0f, 1e-6);
  EXPECT_NEAR(basis.totalVariance, 2.0f, 1e-5);
  EXPECT_TRUE(basis.components.row(0).isApprox(direction, 1e-5f));  // sign fixed: largest entry positive
  EXPECT_TRUE((basis.components * basis.components.transpose()).isApprox(RowMatrix::Identity(2, 2), 1e-6f));
  EXPECT_TRUE(basis.mean.isApprox(centre.transpose(), 1e-6f));
  const RowMatrix projected = projectOntoBasis(basis, K);
  EXPECT_NEAR(projected(0, 0), 1.0f, 1e-5);
  EXPECT_NEAR(projected(1, 0), 2.0f, 1e-5);
  EXPECT_NEAR(projected(1, 1), 0.0f, 1e-5);
}

TEST(GeometryPca, AxisAlignedCrossHandValues) {
  // (+-1, 0, 7) and (0, +-0.5, 7): variance 0.5 along x, 0.125 along y, none along z.
  const RowMatrix Q = rows({{1, 0, 7}, {-1, 0, 7}});
  const RowMatrix K = rows({{0, 0.5f, 7}, {0, -0.5f, 7}});
  PcaOptions three;
  three.components = 3;
  const PcaBasis basis = jointPca(Q, K, three);
  EXPECT_NEAR(basis.explainedVariance(0), 0.5f, 1e-6);
  EXPECT_NEAR(basis.explainedVariance(1), 0.125f, 1e-6);
  EXPECT_NEAR(basis.explainedVariance(2), 0.0f, 1e-7);
  EXPECT_NEAR(basis.explainedRatio(0), 0.8f, 1e-6);
  EXPECT_TRUE(basis.components.row(0).isApprox(Eigen::RowVector3f(1, 0, 0), 1e-6f));
  EXPECT_TRUE(basis.components.row(1).isApprox(Eigen::RowVector3f(0, 1, 0), 1e-6f));
  EXPECT_NEAR(std::abs(basis.components(2, 2)), 1.0f, 1e-6);
}

TEST(GeometryPca, ConstantCloudAndFewPointsStayFinite) {
  const RowMatrix constant = RowMatrix::Constant(4, 5, 3.0f);
  const PcaBasis flat = jointPca(constant, constant);
  EXPECT_TRUE(flat.components.allFinite());
  EXPECT_TRUE((flat.components * flat.components.transpose()).isApprox(RowMatrix::Identity(2, 2), 1e-6f));
  EXPECT_EQ(flat.explainedVariance.maxCoeff(), 0.0f);
  EXPECT_EQ(flat.explainedRatio.maxCoeff(), 0.0f);
  EXPECT_TRUE(projectOntoBasis(flat, constant).isZero(1e-6f));

  // N + M = 3 < d = 10: centred rank 2, the third component is a completion with zero variance.
  RowMatrix Q = RowMatrix::Zero(2, 10), K = RowMatrix::Zero(1, 10);
  Q(0, 3) = 1;
  Q(1, 7) = 2;
  K(0, 0) = -1;
  PcaOptions three;
  three.components = 3;
  const PcaBasis few = jointPca(Q, K, three);
  ASSERT_EQ(few.components.rows(), 3);
  EXPECT_TRUE(few.components.allFinite());
  EXPECT_TRUE((few.components * few.components.transpose()).isApprox(RowMatrix::Identity(3, 3), 1e-5f));
  EXPECT_NEAR(few.explainedVariance(2), 0.0f, 1e-6);
  EXPECT_NEAR(few.explainedVariance.sum(), few.totalVariance, 1e-5);
  EXPECT_GE(few.explainedVariance(0), few.explainedVariance(1));
}

TEST(GeometryPca, TwoDimensionalHeadKeepsItsCoordinates) {
  const RowMatrix Q = rows({{1, 2}, {3, -1}});
  const RowMatrix K = rows({{0, 5}});
  const PcaBasis basis = jointPca(Q, K);
  EXPECT_TRUE(basis.coordinateAxes);
  EXPECT_TRUE(basis.mean.isZero());
  EXPECT_TRUE(projectOntoBasis(basis, Q).isApprox(Q));
  PcaOptions three;
  three.components = 3;
  EXPECT_EQ(jointPca(Q, K, three).components.rows(), 2);  // clamped to d
  PcaOptions fitted;
  fitted.keepCoordinatesWhenDimensionFits = false;
  const PcaBasis rotated = jointPca(Q, K, fitted);
  EXPECT_FALSE(rotated.coordinateAxes);
  EXPECT_NEAR(rotated.explainedVariance.sum(), rotated.totalVariance, 1e-5);
  EXPECT_THROW(projectOntoBasis(rotated, rows({{1, 2, 3}})), InputError);
}

// --------------------------------------------------------------------------------------------------------------
// Entropy and rank

TEST(GeometryEntropy, HandValues) {
  const RowMatrix W =
      rows({{0.25f, 0.25f, 0.25f, 0.25f}, {1, 0, 0, 0}, {0.5f, 0.5f, 0, 0}, {2, 2, 0, 0}, {0, 0, 0, 0}});
  const RowEntropy h = rowEntropy(W);
  EXPECT_NEAR(h.entropyNats(0), std::log(4.0f), 1e-6);
  EXPECT_NEAR(h.effectiveKeys(0), 4.0f, 1e-5);
  EXPECT_EQ(h.entropyNats(1), 0.0f);
  EXPECT_EQ(h.effectiveKeys(1), 1.0f);
  EXPECT_NEAR(h.entropyNats(2), std::log(2.0f), 1e-6);
  EXPECT_NEAR(h.entropyNats(3), std::log(2.0f), 1e-6);  // unnormalised rows are normalised first
  EXPECT_TRUE(h.emptyRow[4]);
  EXPECT_FALSE(h.emptyRow[0]);
  EXPECT_EQ(h.entropyNats(4), 0.0f);
  EXPECT_EQ(h.effectiveKeys(4), 1.0f);
  EXPECT_THROW(rowEntropy(rows({{0.5f, -0.1f}})), InputError);
  EXPECT_THROW(rowEntropy(rows({{0.5f, std::nanf("")}})), InputError);
}

TEST(GeometryRank, HandValues) {
  const Eigen::Vector<float, 5> u(1, 2, 3, 4, 5);
  const Eigen::Vector<float, 4> v(0.5f, -1, 0.25f, 2);
  const RowMatrix rankOne = u * v.transpose();
  EXPECT_EQ(numericalRank(rankOne).rank, 1);
  EXPECT_EQ(numericalRank(rankOne.transpose()).rank, 1);
  EXPECT_EQ(numericalRank(RowMatrix::Identity(3, 3)).rank, 3);
  EXPECT_EQ(numericalRank(RowMatrix::Zero(3, 4)).rank, 0);
  const NumericalRank diag = numericalRank(rows({{3, 0}, {0, 2}}));
  EXPECT_NEAR(diag.singularValues(0), 3.0, 1e-12);
  EXPECT_NEAR(diag.singularValues(1), 2.0, 1e-12);
  EXPECT_NEAR(diag.tolerance, 2 * 3 * 1.1920928955078125e-07, 1e-15);
  // Rank 2 from a product of 4x2 and 2x6 factors; an explicit tolerance above sigma_2 drops it to 1.
  RowMatrix left(4, 2), right(2, 6);
  left << 1, 0, 2, 1, 0, 3, 1, 1;
  right << 1, 2, 0, 1, 3, 0, 0, 1, 1, 0, 2, 5;
  const NumericalRank two = numericalRank(left * right);
  EXPECT_EQ(two.rank, 2);
  RankOptions loose;
  loose.tolerance = two.singularValues(1) * 1.01;
  EXPECT_EQ(numericalRank(left * right, loose).rank, 1);
  // A uniform attention matrix (every row the same) has rank 1.
  EXPECT_EQ(numericalRank(RowMatrix::Constant(6, 6, 1.0f / 6)).rank, 1);
}

TEST(GeometryEdges, SingleVectorsAndOneDimension) {
  // N = 1, M = 1.
  const RowMatrix q = rows({{0, 2, 0}});
  const RowMatrix k = rows({{0, -1e-20f, 0}});
  EXPECT_NEAR(angleMatrixDegrees(q, k)(0, 0), 180.0f, 1e-3);
  const PcaBasis pair = jointPca(q, k);
  EXPECT_TRUE(pair.components.allFinite());
  EXPECT_NEAR(pair.explainedVariance(0), 1.0f, 1e-6);  // two points 2 apart: variance 1 along their line
  EXPECT_NEAR(pair.explainedVariance(1), 0.0f, 1e-7);
  EXPECT_NEAR(std::abs(pair.components(0, 1)), 1.0f, 1e-6);
  const RowEntropy one = rowEntropy(rows({{0.7f}}));
  EXPECT_EQ(one.entropyNats(0), 0.0f);
  EXPECT_EQ(one.effectiveKeys(0), 1.0f);
  EXPECT_EQ(numericalRank(rows({{1e-30f}})).rank, 1);
  EXPECT_EQ(numericalRank(rows({{0.0f}})).rank, 0);
  // d = 1: angles are 0 or 180, PCA keeps the single axis.
  const RowMatrix angles = angleMatrixDegrees(rows({{2}, {-3}}), rows({{5}}));
  EXPECT_NEAR(angles(0, 0), 0.0f, 1e-4);
  EXPECT_NEAR(angles(1, 0), 180.0f, 1e-4);
  const PcaBasis line = jointPca(rows({{2}, {-3}}), rows({{5}}));
  EXPECT_EQ(line.components.rows(), 1);
  EXPECT_TRUE(line.coordinateAxes);
  // Huge and tiny clouds: finite, orthonormal bases with the right ratios.
  for (const float scale : {1e-20f, 1e6f}) {
    const RowMatrix Q = scale * rows({{1, 0, 0}, {-1, 0, 0}});
    const RowMatrix K = scale * rows({{0, 0.5f, 0}, {0, -0.5f, 0}});
    const PcaBasis basis = jointPca(Q, K);
    ASSERT_TRUE(basis.components.allFinite());
    EXPECT_NEAR(basis.explainedRatio(0), 0.8f, 1e-5) << "scale " << scale;
    EXPECT_TRUE(basis.components.row(0).isApprox(Eigen::RowVector3f(1, 0, 0), 1e-5f)) << "scale " << scale;
  }
}

}  // namespace
}  // namespace attnscope
