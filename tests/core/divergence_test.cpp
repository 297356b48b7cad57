// Tests for core/divergence.h: MATH.md's CT rows, hand-computed values for every other metric, limits (tau -> 0,
// tau -> inf), zero floors, and degenerate but legal input (zero vectors, single points, norms 1e-20 and 1e6).
#include "core/divergence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "core/error.h"
#include "tests/core/row_matrix_literal.h"

namespace attnscope {
namespace {

using test_support::rows;

RowMatrix randomCloud(Eigen::Index n, Eigen::Index d, unsigned seed, float shift = 0.0f) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrix m(n, d);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(engine) + shift;
  return m;
}

void expectFiniteResult(const DivergenceResult& r, const std::string& label) {
  EXPECT_TRUE(std::isfinite(r.value)) << label;
  EXPECT_TRUE(std::isfinite(r.forwardTerm) && std::isfinite(r.backwardTerm)) << label;
  EXPECT_TRUE(std::isfinite(r.klQueriesToKeys) && std::isfinite(r.klKeysToQueries)) << label;
  EXPECT_TRUE(r.cost.allFinite() && r.forwardPlan.allFinite() && r.backwardPlan.allFinite()) << label;
}

// ---- CT: MATH.md's hand-checkable rows -----------------------------------------------------------------------

TEST(DivergenceCt, OneKeyOneQueryIsExactlyTheCost) {
  // cos((1,1), (2,0)) = 1/sqrt2, so C = sqrt(2 - sqrt2) = 0.7653669 (Euclid) or 1 - 1/sqrt2 (one-minus-cos).
  const RowMatrix q = rows({{1, 1}}), k = rows({{2, 0}});
  for (double rho : {0.0, 0.3, 0.5, 1.0})
    for (double tau : {0.01, 1.0, 50.0}) {
      DivergenceOptions options;
      options.rho = rho;
      options.tau = tau;
      EXPECT_NEAR(ctDivergence(q, k, options).value, std::sqrt(2.0 - std::sqrt(2.0)), 1e-6);
      options.cost = TransportCost::OneMinusCos;
      EXPECT_NEAR(ctDivergence(q, k, options).value, 1.0 - 1.0 / std::sqrt(2.0), 1e-6);
    }
}

TEST(DivergenceCt, AntipodalPairsMatchMathTable) {
  // Keys {x, -x}, queries {x, -x}: each point sees cost 0 at cosine 1 and cost 2 at cosine -1, so every direction
  // pays 2 e^-1 / (e + e^-1) = 0.238406 at tau = 1.
  const RowMatrix q = rows({{1, 0}, {-1, 0}}), k = rows({{3, 0}, {-0.5f, 0}});
  const DivergenceResult r = ctDivergence(q, k);
  const double expected = 2.0 * std::exp(-1.0) / (std::exp(1.0) + std::exp(-1.0));
  EXPECT_NEAR(expected, 0.238406, 1e-6);
  EXPECT_NEAR(r.value, expected, 1e-5);
  EXPECT_NEAR(r.forwardTerm, expected, 1e-5);
  EXPECT_NEAR(r.backwardTerm, expected, 1e-5);
  ASSERT_EQ(r.cost.rows(), 2);
  EXPECT_NEAR(r.cost(0, 1), 2.0, 1e-6);  // key x to query -x
  EXPECT_NEAR(r.forwardPlan(0, 0), std::exp(1.0) / (std::exp(1.0) + std::exp(-1.0)), 1e-6);
  EXPECT_GT(r.value, 0.0);  // positive floor: the two sets have identical directions
}

TEST(DivergenceCt, SymmetricNavigatorMakesCtSymmetricAtRhoHalf) {
  const RowMatrix q = randomCloud(7, 5, 1), k = randomCloud(11, 5, 2);
  for (TransportCost cost : {TransportCost::Euclid, TransportCost::OneMinusCos}) {
    DivergenceOptions options;
    options.cost = cost;
    options.tau = 0.7;
    const DivergenceResult forward = ctDivergence(q, k, options), swapped = ctDivergence(k, q, options);
    EXPECT_NEAR(forward.value, swapped.value, 1e-6);
    EXPECT_NEAR(forward.forwardTerm, swapped.backwardTerm, 1e-6);
  }
}

TEST(DivergenceCt, PlansHaveDocumentedShapesAndSumToOne) {
  const RowMatrix q = randomCloud(6, 4, 3), k = randomCloud(9, 4, 4);
  const DivergenceResult r = ctDivergence(q, k);
  ASSERT_EQ(r.cost.rows(), 9);
  ASSERT_EQ(r.cost.cols(), 6);
  ASSERT_EQ(r.forwardPlan.rows(), 9);
  ASSERT_EQ(r.forwardPlan.cols(), 6);
  ASSERT_EQ(r.backwardPlan.rows(), 6);
  ASSERT_EQ(r.backwardPlan.cols(), 9);
  for (Eigen::Index i = 0; i < 9; ++i) EXPECT_NEAR(r.forwardPlan.row(i).sum(), 1.0f, 1e-5f);
  for (Eigen::Index j = 0; j < 6; ++j) EXPECT_NEAR(r.backwardPlan.row(j).sum(), 1.0f, 1e-5f);
  // The value is reproducible from the returned matrices.
  const double forward = (r.cost.cast<double>().array() * r.forwardPlan.cast<double>().array()).rowwise().sum().mean();
  const double backward =
      (r.cost.cast<double>().transpose().array() * r.backwardPlan.cast<double>().array()).rowwise().sum().mean();
  EXPECT_NEAR(r.forwardTerm, forward, 1e-6);
  EXPECT_NEAR(r.backwardTerm, backward, 1e-6);
  EXPECT_NEAR(r.value, 0.5 * forward + 0.5 * backward, 1e-6);
  // Without matrices the numbers are unchanged.
  DivergenceOptions lean;
  lean.keepMatrices = false;
  const DivergenceResult leanResult = ctDivergence(q, k, lean);
  EXPECT_EQ(leanResult.cost.size(), 0);
  EXPECT_NEAR(leanResult.value, r.value, 1e-12);
}

TEST(DivergenceCt, TendsToChamferAsTauVanishes) {
  const RowMatrix q = randomCloud(5, 3, 5), k = randomCloud(4, 3, 6);
  DivergenceOptions options;
  options.tau = 1e-7;
  options.rho = 0.3;
  for (TransportCost cost : {TransportCost::Euclid, TransportCost::OneMinusCos}) {
    options.cost = cost;
    EXPECT_NEAR(ctDivergence(q, k, options).value, chamferDivergence(q, k, options).value, 1e-6);
  }
}

TEST(DivergenceCt, ConstantNavigatorGivesMeanCost) {
  const RowMatrix q = randomCloud(5, 3, 7), k = randomCloud(8, 3, 8);
  DivergenceOptions options;
  options.tau = 1e12;
  const DivergenceResult r = ctDivergence(q, k, options);
  EXPECT_NEAR(r.value, r.cost.cast<double>().mean(), 1e-6);
  EXPECT_NEAR(r.forwardPlan(0, 0), 1.0 / 5.0, 1e-6);
}

TEST(DivergenceCt, ZeroVectorsHaveNoDirection) {
  // t(0) = 0: the Euclid cost to any non-zero vector is |t(q)| = 1, to another zero vector 0; cosine 0.
  EXPECT_DOUBLE_EQ(ctDivergence(rows({{0, 0}}), rows({{1, 2}})).value, 1.0);
  EXPECT_DOUBLE_EQ(ctDivergence(rows({{0, 0}}), rows({{0, 0}})).value, 0.0);
  DivergenceOptions oneMinusCos;
  oneMinusCos.cost = TransportCost::OneMinusCos;
  EXPECT_DOUBLE_EQ(ctDivergence(rows({{0, 0}}), rows({{1, 2}}), oneMinusCos).value, 1.0);
  expectFiniteResult(ctDivergence(rows({{0, 0}, {1, 0}}), rows({{0, 0}, {0, 0}, {0, 3}})), "ct with zeros");
}

TEST(DivergenceCt, InvariantToNormsFromTinyToHuge) {
  const RowMatrix q = randomCloud(6, 4, 9), k = randomCloud(5, 4, 10);
  const double reference = ctDivergence(q, k).value;
  const RowMatrix tinyQ = q * 1e-20f, hugeK = k * 1e6f;
  const DivergenceResult r = ctDivergence(tinyQ, hugeK);
  expectFiniteResult(r, "tiny/huge");
  EXPECT_NEAR(r.value, reference, 1e-6);
}

// ---- Chamfer ----------------------------------------------------------------------------------------------------

TEST(DivergenceChamfer, HandComputedOneMinusCos) {
  // Costs 1 - cos: k1=(1,0): q1=(1,1) -> 1 - 1/sqrt2, q2=(-3,0) -> 2;  k2=(0,2): q1 -> 1 - 1/sqrt2, q2 -> 1.
  // Forward (key -> nearest query): 1 - 1/sqrt2 twice. Backward: q1 -> 1 - 1/sqrt2, q2 -> 1.
  const RowMatrix k = rows({{1, 0}, {0, 2}}), q = rows({{1, 1}, {-3, 0}});
  DivergenceOptions options;
  options.cost = TransportCost::OneMinusCos;
  const DivergenceResult r = chamferDivergence(q, k, options);
  const double c = 1.0 - 1.0 / std::sqrt(2.0);
  EXPECT_NEAR(r.forwardTerm, c, 1e-7);
  EXPECT_NEAR(r.backwardTerm, (c + 1.0) / 2.0, 1e-7);
  EXPECT_NEAR(r.value, 0.5 * c + 0.25 * (c + 1.0), 1e-7);
  options.rho = 1.0;
  EXPECT_NEAR(chamferDivergence(q, k, options).value, c, 1e-7);
}

TEST(DivergenceChamfer, ZeroWhenDirectionsCoincide) {
  const RowMatrix q = randomCloud(6, 3, 11);
  const RowMatrix k = 2.5f * q;
  EXPECT_NEAR(chamferDivergence(q, k).value, 0.0, 1e-6);
}

// ---- MMD --------------------------------------------------------------------------------------------------------

TEST(DivergenceMmd, HandComputedSinglePoints) {
  // Q = {0}, K = {1} in 1-D: one pooled pair at distance 1, so sigma = 1 and MMD^2 = 2 - 2 exp(-1/2) = 0.786939.
  const DivergenceResult r = mmdDivergence(rows({{0}}), rows({{1}}), false);
  EXPECT_DOUBLE_EQ(r.bandwidth, 1.0);
  EXPECT_NEAR(r.value, 2.0 - 2.0 * std::exp(-0.5), 1e-12);
  EXPECT_NEAR(r.value, 0.786939, 1e-6);
}

TEST(DivergenceMmd, MedianHeuristicConvention) {
  // Pooled {0, 0, 3}: distances {0, 3, 3} -> median 3.
  EXPECT_DOUBLE_EQ(mmdDivergence(rows({{0}, {0}}), rows({{3}}), false).bandwidth, 3.0);
  // Pooled {0, 1, 3, 7}: distances {1, 3, 7, 2, 6, 4} -> even count, mean of 3 and 4.
  EXPECT_NEAR(mmdDivergence(rows({{0}, {1}}), rows({{3}, {7}}), false).bandwidth, 3.5, 1e-12);
  // All points equal: median 0 falls back to 1 and MMD^2 is 0.
  const DivergenceResult same = mmdDivergence(rows({{2, 2}}), rows({{2, 2}, {2, 2}}), false);
  EXPECT_DOUBLE_EQ(same.bandwidth, 1.0);
  EXPECT_DOUBLE_EQ(same.value, 0.0);
  // Mostly coincident points: median 0 falls back to the mean non-zero distance (here the only one, 4).
  EXPECT_NEAR(mmdDivergence(rows({{0}, {0}, {0}}), rows({{0}, {4}}), false).bandwidth, 4.0, 1e-12);
}

TEST(DivergenceMmd, UnbiasedHandComputed) {
  // Q = K = {0, 1}, sigma = 1: off-diagonal within-set means e^-1/2 each, cross mean (2 + 2 e^-1/2) / 4.
  // MMD_u^2 = 2 e^-1/2 - (1 + e^-1/2) = e^-1/2 - 1 = -0.393469: the U-statistic is negative for identical sets.
  DivergenceOptions options;
  options.bandwidth = 1.0;
  const DivergenceResult r = mmdDivergence(rows({{0}, {1}}), rows({{0}, {1}}), true, options);
  EXPECT_NEAR(r.value, std::exp(-0.5) - 1.0, 1e-12);
  EXPECT_FALSE(r.hasZeroFloor);
}

TEST(DivergenceMmd, IdenticalSetsGiveZeroAndShiftIncreasesIt) {
  const RowMatrix q = randomCloud(40, 5, 12);
  const DivergenceResult identical = mmdDivergence(q, q, false);
  EXPECT_NEAR(identical.value, 0.0, 1e-12);
  EXPECT_TRUE(identical.hasZeroFloor);
  const double small = mmdDivergence(q, randomCloud(40, 5, 13, 0.5f), false).value;
  const double large = mmdDivergence(q, randomCloud(40, 5, 13, 2.0f), false).value;
  EXPECT_GT(small, 0.0);
  EXPECT_GT(large, small);
}

TEST(DivergenceMmd, UnbiasedNeedsTwoPointsPerSet) {
  EXPECT_THROW(mmdDivergence(rows({{0}}), rows({{1}, {2}}), true), InputError);
  EXPECT_THROW(mmdDivergence(rows({{0}, {1}}), rows({{1}}), true), InputError);
  DivergenceOptions bad;
  bad.bandwidth = 0.0;
  EXPECT_THROW(mmdDivergence(rows({{0}}), rows({{1}}), false, bad), InputError);
}

TEST(DivergenceMmd, MedianHeuristicIsScaleEquivariant) {
  // With the median bandwidth, MMD^2 depends only on the shape of the clouds, so scaling both by 1e6 or 1e-20
  // leaves it unchanged (and finite).
  const RowMatrix q = randomCloud(20, 3, 14), k = randomCloud(25, 3, 15, 0.7f);
  const double reference = mmdDivergence(q, k, false).value;
  for (float scale : {1e6f, 1e-20f}) {
    const RowMatrix qs = q * scale, ks = k * scale;
    const DivergenceResult r = mmdDivergence(qs, ks, false);
    EXPECT_NEAR(r.value, reference, 1e-5 * reference) << scale;
  }
}

// ---- Sinkhorn ---------------------------------------------------------------------------------------------------

TEST(DivergenceSinkhorn, SinglePointsGiveTheSquaredDistance) {
  // With one point per set the plan is the 1 x 1 matrix 1, KL term 0: OT(q,k) = |q - k|^2, self terms 0.
  const DivergenceResult r = sinkhornDivergence(rows({{0, 0}}), rows({{3, 4}}));
  EXPECT_NEAR(r.value, 25.0, 1e-9);
  EXPECT_TRUE(r.converged);
  DivergenceOptions euclid;
  euclid.sinkhornCost = SinkhornCost::Euclid;
  EXPECT_NEAR(sinkhornDivergence(rows({{0, 0}}), rows({{3, 4}}), euclid).value, 5.0, 1e-9);
}

TEST(DivergenceSinkhorn, IdenticalSetsGiveZero) {
  const RowMatrix q = randomCloud(30, 4, 16);
  DivergenceOptions options;
  options.epsilon = 1.0;  // costs reach ~40 here; eps = 1 converges in well under the default cap
  const DivergenceResult r = sinkhornDivergence(q, q, options);
  EXPECT_NEAR(r.value, 0.0, 1e-9);
  EXPECT_TRUE(r.converged);
  EXPECT_TRUE(r.hasZeroFloor);
}

TEST(DivergenceSinkhorn, SmallEpsilonApproachesSquaredShift) {
  // Two clouds that differ by a translation t: as eps -> 0 the OT plan is the identity matching, so the divergence
  // tends to |t|^2 (here 4); the entropic terms are exponentially small at eps = 0.01.
  const RowMatrix q = rows({{0, 0}, {5, 0}, {0, 5}});
  const RowMatrix k = q.rowwise() + Eigen::RowVector2f(2, 0);
  DivergenceOptions options;
  options.epsilon = 0.01;
  const DivergenceResult r = sinkhornDivergence(q, k, options);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.value, 4.0, 1e-3);
}

TEST(DivergenceSinkhorn, ReportsNonConvergenceAtTheIterationCap) {
  const RowMatrix q = randomCloud(20, 3, 17), k = randomCloud(25, 3, 18, 1.0f);
  DivergenceOptions options;
  options.epsilon = 0.01;
  options.maxIterations = 2;
  const DivergenceResult r = sinkhornDivergence(q, k, options);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 2);
  EXPECT_TRUE(std::isfinite(r.value));
  EXPECT_GT(r.marginalError, options.tolerance);
}

TEST(DivergenceSinkhorn, RejectsBadOptions) {
  DivergenceOptions options;
  options.epsilon = 0.0;
  EXPECT_THROW(sinkhornDivergence(rows({{0}}), rows({{1}}), options), InputError);
  options.epsilon = 1.0;
  options.maxIterations = 0;
  EXPECT_THROW(sinkhornDivergence(rows({{0}}), rows({{1}}), options), InputError);
}

// ---- Gaussian fits ----------------------------------------------------------------------------------------------

TEST(DivergenceGaussian, HandComputedOneDimensional) {
  // Q = {-1, 1}: mean 0, variance 1 (1/n). K = {-2, 2}: mean 0, variance 4. No regularisation.
  // KL(q||k) = (1/4 - 1 + ln 4) / 2 = 0.318147; KL(k||q) = (4 - 1 - ln 4) / 2 = 0.806853; W2^2 = (1 - 2)^2 = 1.
  DivergenceOptions options;
  options.covarianceRegularisation = 0.0;
  const RowMatrix q = rows({{-1}, {1}}), k = rows({{-2}, {2}});
  const DivergenceResult kl = gaussianKlDivergence(q, k, options);
  EXPECT_NEAR(kl.klQueriesToKeys, 0.5 * (0.25 - 1.0 + std::log(4.0)), 1e-12);
  EXPECT_NEAR(kl.klKeysToQueries, 0.5 * (3.0 - std::log(4.0)), 1e-12);
  EXPECT_NEAR(kl.value, 0.5 * (kl.klQueriesToKeys + kl.klKeysToQueries), 1e-15);
  EXPECT_NEAR(gaussianW2Divergence(q, k, options).value, 1.0, 1e-12);
  // Shifted copy K = Q + 2: KL = |shift|^2 / (2 var) = 2 each way, W2^2 = 4.
  const RowMatrix shifted = rows({{1}, {3}});
  EXPECT_NEAR(gaussianKlDivergence(q, shifted, options).klQueriesToKeys, 2.0, 1e-12);
  EXPECT_NEAR(gaussianW2Divergence(q, shifted, options).value, 4.0, 1e-12);
}

TEST(DivergenceGaussian, TwoPointMassesInOneDimension) {
  // Single points: covariance is lambda I on both sides, so W2^2 is the squared distance (value is W2^2, not W2).
  const DivergenceResult w2 = gaussianW2Divergence(rows({{0}}), rows({{3}}));
  EXPECT_NEAR(w2.value, 9.0, 1e-9);
  EXPECT_NEAR(w2.regularisation, 1e-9, 1e-21);
  // KL of two regularised point masses is huge but finite: |shift|^2 / (2 lambda) each way.
  const DivergenceResult kl = gaussianKlDivergence(rows({{0}}), rows({{3}}));
  EXPECT_NEAR(kl.klQueriesToKeys / (9.0 / (2.0 * 1e-9)), 1.0, 1e-9);
}

TEST(DivergenceGaussian, IdenticalCloudsGiveZero) {
  const RowMatrix q = randomCloud(50, 6, 19, 3.0f);
  EXPECT_NEAR(gaussianKlDivergence(q, q).value, 0.0, 1e-10);
  EXPECT_NEAR(gaussianW2Divergence(q, q).value, 0.0, 1e-9);
}

TEST(DivergenceGaussian, DegenerateCloudsStayFinite) {
  // Collinear points in 3-D and fewer points than dimensions: singular covariances, fixed by lambda.
  const RowMatrix line = rows({{0, 0, 0}, {1, 1, 1}, {2, 2, 2}});
  const RowMatrix pair = rows({{0, 1, 0}, {0, 2, 0}});
  for (Metric metric : {Metric::GaussKl, Metric::GaussW2}) {
    const DivergenceResult r = alignmentDivergence(metric, line, pair);
    EXPECT_TRUE(std::isfinite(r.value)) << metricName(metric);
    EXPECT_GT(r.value, 0.0);
  }
}

// ---- Every metric: degenerate input, rejection, names -------------------------------------------------------------

TEST(DivergenceAll, DegenerateButLegalInputNeverGivesNanOrInf) {
  const RowMatrix zeros = RowMatrix::Zero(3, 4);
  const RowMatrix cloud = randomCloud(5, 4, 20);
  const RowMatrix tiny = cloud * 1e-20f, huge = randomCloud(4, 4, 21) * 1e6f;
  const RowMatrix single = randomCloud(1, 4, 22);
  struct Case {
    const char* name;
    const RowMatrix& q;
    const RowMatrix& k;
  };
  const Case cases[] = {{"zeros-zeros", zeros, zeros},   {"zeros-cloud", zeros, cloud}, {"tiny-huge", tiny, huge},
                        {"huge-huge", huge, huge},       {"tiny-tiny", tiny, tiny},     {"single-cloud", single, cloud},
                        {"cloud-single", cloud, single}, {"identical", cloud, cloud}};
  for (const Case& c : cases)
    for (Metric metric : allMetrics()) {
      if (metric == Metric::MmdUnbiased && (c.q.rows() < 2 || c.k.rows() < 2)) continue;
      const std::string label = std::string(c.name) + " " + std::string(metricName(metric));
      DivergenceResult r;
      ASSERT_NO_THROW(r = alignmentDivergence(metric, c.q, c.k)) << label;
      expectFiniteResult(r, label);
      if (metricHasZeroFloor(metric)) {
        EXPECT_GE(r.value, 0.0) << label;
      }
    }
  // Single point against single point, all metrics but the unbiased MMD.
  for (Metric metric : allMetrics()) {
    if (metric != Metric::MmdUnbiased) expectFiniteResult(alignmentDivergence(metric, single, single), "single");
  }
}

TEST(DivergenceAll, RejectsNanInfShapeAndOptions) {
  RowMatrix bad = RowMatrix::Ones(3, 2);
  bad(1, 0) = std::numeric_limits<float>::quiet_NaN();
  const RowMatrix good = RowMatrix::Ones(3, 2);
  for (Metric metric : allMetrics()) {
    EXPECT_THROW(alignmentDivergence(metric, bad, good), InputError) << metricName(metric);
    EXPECT_THROW(alignmentDivergence(metric, good, RowMatrix::Ones(3, 3)), InputError) << metricName(metric);
    EXPECT_THROW(alignmentDivergence(metric, RowMatrix(0, 2), good), InputError) << metricName(metric);
  }
  bad(1, 0) = std::numeric_limits<float>::infinity();
  try {
    alignmentDivergence(Metric::Ct, good, bad);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "keys K contains Inf at row 1, column 0");
  }
  DivergenceOptions options;
  options.rho = 1.5;
  EXPECT_THROW(ctDivergence(good, good, options), InputError);
  options.rho = 0.5;
  options.tau = 0.0;
  EXPECT_THROW(ctDivergence(good, good, options), InputError);
  options.tau = 1e-310;  // denormal: 1 / tau overflows
  EXPECT_THROW(ctDivergence(good, good, options), InputError);
  options.tau = 1e-300;  // tiny but legal: the limit is Chamfer, no NaN
  EXPECT_TRUE(std::isfinite(ctDivergence(good, good, options).value));
  DivergenceOptions mmdOptions;
  mmdOptions.bandwidth = 1e-200;  // sigma^2 underflows
  EXPECT_THROW(mmdDivergence(good, good, false, mmdOptions), InputError);
  mmdOptions.bandwidth = 1e200;  // every kernel value is 1: MMD^2 = 0
  EXPECT_DOUBLE_EQ(mmdDivergence(good, good * 3.0f, false, mmdOptions).value, 0.0);
}

TEST(DivergenceAll, RefusesMatricesOverTheMemoryBudget) {
  const RowMatrix q = randomCloud(100, 3, 23), k = randomCloud(100, 3, 24);
  DivergenceOptions options;
  options.memoryBudgetBytes = 100 * 100 * 8;  // exactly the cosine matrix: fine without the plans, not with them
  EXPECT_THROW(ctDivergence(q, k, options), ResourceError);
  options.keepMatrices = false;
  EXPECT_NO_THROW(ctDivergence(q, k, options));
  EXPECT_NO_THROW(chamferDivergence(q, k, options));
  EXPECT_THROW(sinkhornDivergence(q, k, options), ResourceError);
  // MMD and the Gaussian fits work blockwise and ignore the budget.
  options.memoryBudgetBytes = 1;
  EXPECT_NO_THROW(mmdDivergence(q, k, false, options));
  EXPECT_NO_THROW(gaussianW2Divergence(q, k, options));
}

TEST(DivergenceAll, NamesRoundTripAndDescriptionsExist) {
  for (Metric metric : allMetrics()) {
    EXPECT_EQ(parseMetric(metricName(metric)), metric);
    EXPECT_GT(metricDescription(metric).size(), 40u);
  }
  EXPECT_EQ(allMetrics().size(), 7u);
  EXPECT_EQ(parseMetric("gauss-w2"), Metric::GaussW2);
  EXPECT_THROW(parseMetric("wasserstein"), InputError);
  EXPECT_EQ(parseTransportCost("one-minus-cos"), TransportCost::OneMinusCos);
  EXPECT_THROW(parseTransportCost("cosine"), InputError);
  EXPECT_TRUE(metricHasZeroFloor(Metric::Mmd));
  EXPECT_FALSE(metricHasZeroFloor(Metric::Ct));
}

}  // namespace
}  // namespace attnscope
