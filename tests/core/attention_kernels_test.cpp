// Tests of core/attention_kernels.cpp: MATH.md's hand-checkable table, the MGK -> DPA reduction, and the numerical
// properties every kernel must keep (rows sum to 1, no NaN/Inf for degenerate but legal input, masking).
#include "core/attention_kernels.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"
#include "tests/core/row_matrix_literal.h"

namespace attnscope {
namespace {

using test_support::rows;

RowMatrix randomMatrix(Eigen::Index r, Eigen::Index c, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  RowMatrix m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

void expectRow(const RowMatrix& weights, Eigen::Index row, std::initializer_list<double> expected, double tol = 1e-5) {
  ASSERT_EQ(weights.cols(), static_cast<Eigen::Index>(expected.size()));
  Eigen::Index j = 0;
  for (double e : expected) {
    EXPECT_NEAR(weights(row, j), e, tol) << "row " << row << " column " << j;
    ++j;
  }
}

void expectFinite(const AttentionResult& result) {
  EXPECT_TRUE(result.weights.allFinite());
  if (result.scores.size() > 0) {
    EXPECT_TRUE(result.scores.allFinite());
  }
}

/// Every row sums to 1 over its keys, except rows the kernel reported empty (all zeros).
void expectRowsSumToOne(const AttentionResult& result, double tol = 1e-5) {
  for (Eigen::Index i = 0; i < result.weights.rows(); ++i) {
    bool empty = std::find(result.emptyRows.begin(), result.emptyRows.end(), i) != result.emptyRows.end();
    EXPECT_NEAR(result.weights.row(i).sum(), empty ? 0.0 : 1.0, tol) << "row " << i;
    EXPECT_GE(result.weights.row(i).minCoeff(), 0.0f);
  }
}

// --- MATH.md's table -------------------------------------------------------------------------------------------

const RowMatrix kQuery = rows({{1, 0}});
const RowMatrix kThreeKeys = rows({{0, 1}, {1, 0}, {3, 0}});

TEST(AttentionKernels, ExpressiveSaturatingMatchesTable) {
  AttentionOptions options;
  options.scale = 1.0f;
  AttentionResult result = computeAttention(Kernel::Ea, kQuery, kThreeKeys, options);
  expectRow(result.weights, 0, {0.0, 0.357143, 0.642857});  // f = (0, 1/2, 9/10), sum 1.4
  expectRow(result.scores, 0, {0.0, 0.5, 0.9});
  EXPECT_TRUE(result.fallbackRows.empty());
}

TEST(AttentionKernels, ExpressivePureMatchesTable) {
  AttentionOptions options;
  options.scale = 1.0f;
  AttentionResult result = computeAttention(Kernel::EaPure, kQuery, kThreeKeys, options);
  expectRow(result.weights, 0, {0.0, 0.1, 0.9});
  expectRow(result.scores, 0, {0.0, 1.0, 9.0});
  // The option and the dispatcher name select the same form.
  options.expressiveForm = ExpressiveForm::Pure;
  expectRow(expressiveAttention(kQuery, kThreeKeys, options).weights, 0, {0.0, 0.1, 0.9});
}

TEST(AttentionKernels, DotProductMatchesTable) {
  AttentionOptions options;
  options.scale = 1.0f;
  AttentionResult result = computeAttention(Kernel::Dpa, kQuery, kThreeKeys, options);
  expectRow(result.weights, 0, {0.04201, 0.11420, 0.84379});
  expectRow(result.scores, 0, {0.0, 1.0, 3.0});
}

TEST(AttentionKernels, ParallelAndAntiparallelKeys) {
  AttentionOptions options;
  options.scale = 1.0f;
  RowMatrix keys = rows({{1, 0}, {-1, 0}});
  expectRow(computeAttention(Kernel::Ea, kQuery, keys, options).weights, 0, {0.5, 0.5});
  expectRow(computeAttention(Kernel::EaPure, kQuery, keys, options).weights, 0, {0.5, 0.5});
  expectRow(computeAttention(Kernel::Dpa, kQuery, keys, options).weights, 0, {0.880797, 0.119203});
}

// MGK 1-D, sigma^2 = 1, q = 0; position 1 owns keys {0, 10}, position 2 owns {+1, -1}; priors 1/2.
// Soft: S1 = (1 + e^-50)/2, S2 = e^-1/2 * 2 / 2 = e^-0.5; hard: S1 = 1, S2 = e^-0.5.
AttentionOptions tableMgkOptions() {
  AttentionOptions options;
  options.gaussian.componentKeys = {rows({{0}, {1}}), rows({{10}, {-1}})};
  options.gaussian.priors = Vector::Constant(2, 0.5f);
  options.gaussian.variances = Vector::Constant(2, 1.0f);
  return options;
}

TEST(AttentionKernels, GaussianKeysSoftMatchesTable) {
  RowMatrix q = rows({{0}});
  AttentionOptions options = tableMgkOptions();
  AttentionResult result = computeAttention(Kernel::Mgk, q, options.gaussian.componentKeys[0], options);
  expectRow(result.weights, 0, {0.451863, 0.548137});
  expectRow(result.scores, 0, {std::log(0.5 * (1 + std::exp(-50.0))), -0.5});
}

TEST(AttentionKernels, GaussianKeysHardMatchesTable) {
  RowMatrix q = rows({{0}});
  AttentionOptions options = tableMgkOptions();
  AttentionResult result = computeAttention(Kernel::MgkHard, q, options.gaussian.componentKeys[0], options);
  expectRow(result.weights, 0, {0.622459, 0.377541});
  expectRow(result.scores, 0, {0.0, -0.5});
}

TEST(AttentionKernels, GaussianKeysShiftedEqualsExplicitCentres) {
  // sMGK (centres k_j + b_r, one GEMM) must equal MGK given those centres as explicit key matrices (R GEMMs).
  RowMatrix q = randomMatrix(5, 3, 1);
  RowMatrix K = randomMatrix(7, 3, 2);
  RowMatrix shifts = randomMatrix(2, 3, 3);
  AttentionOptions shifted;
  shifted.gaussian.shifts = shifts;
  shifted.gaussian.priors = rows({{0.7f}, {0.3f}}).col(0);
  shifted.gaussian.variances = rows({{2.0f}, {0.5f}}).col(0);
  AttentionOptions explicitKeys = shifted;
  explicitKeys.gaussian.shifts.resize(0, 0);
  explicitKeys.gaussian.componentKeys = gaussianKeyCentres(K, shifted.gaussian);
  for (Kernel kernel : {Kernel::Mgk, Kernel::MgkHard}) {
    AttentionResult a = computeAttention(kernel, q, K, shifted);
    AttentionResult b = computeAttention(kernel, q, K, explicitKeys);
    EXPECT_LT((a.weights - b.weights).cwiseAbs().maxCoeff(), 1e-5f);
    EXPECT_LT((a.scores - b.scores).cwiseAbs().maxCoeff(), 1e-4f);
  }
}

TEST(AttentionKernels, GaussianKeysWithOneKeyReducesToDotProduct) {
  // M = 1 component per position, unit vectors, equal priors, sigma^2 = 1/s: |q-k|^2 s / 2 = s - s q.k, and the
  // constant cancels in the normalisation.
  RowMatrix Q = randomMatrix(6, 4, 11).rowwise().normalized();
  RowMatrix K = randomMatrix(9, 4, 12).rowwise().normalized();
  const float s = 0.8f;
  AttentionOptions mgk;
  mgk.gaussian.variances = Vector::Constant(1, 1.0f / s);
  AttentionOptions dpa;
  dpa.scale = s;
  RowMatrix a = computeAttention(Kernel::Mgk, Q, K, mgk).weights;
  RowMatrix b = computeAttention(Kernel::Dpa, Q, K, dpa).weights;
  EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-6f);
}

TEST(AttentionKernels, ResponsibilitiesOfTableCase) {
  RowMatrix q = rows({{0}});
  AttentionOptions options = tableMgkOptions();
  std::vector<RowMatrix> gamma =
      gaussianKeyResponsibilities(q, options.gaussian.componentKeys[0], false, options.gaussian);
  ASSERT_EQ(gamma.size(), 2u);
  // Position 1: components at 0 and 10 -> 1 / (1 + e^-50) and the rest; position 2: symmetric, 1/2 each.
  EXPECT_NEAR(gamma[0](0, 0), 1.0, 1e-6);
  EXPECT_NEAR(gamma[1](0, 0), 0.0, 1e-6);
  EXPECT_NEAR(gamma[0](0, 1), 0.5, 1e-6);
  EXPECT_NEAR(gamma[1](0, 1), 0.5, 1e-6);
  std::vector<RowMatrix> hard =
      gaussianKeyResponsibilities(rows({{-0.9f}}), options.gaussian.componentKeys[0], true, options.gaussian);
  EXPECT_EQ(hard[0](0, 1), 0.0f);  // -0.9 is closer to -1 (component 2) than to +1
  EXPECT_EQ(hard[1](0, 1), 1.0f);
}

// Per-position variances, 1-D, q = 0, one component with prior 1 at both positions and the same centre k = 1, but
// sigma_1^2 = 1 and sigma_2^2 = 4: S1 = e^-1/2, S2 = e^-1/8, so A = (1, e^0.375) / (1 + e^0.375) =
// (0.407333, 0.592667); with one shared variance the two positions would tie at 0.5.
TEST(AttentionKernels, GaussianKeysPositionVariancesMatchTheHandValues) {
  const RowMatrix q = rows({{0}}), keys = rows({{1}, {1}});
  AttentionOptions options;
  options.gaussian.priors = Vector::Constant(1, 1.0f);
  options.gaussian.variances = Vector::Constant(1, 1.0f);  // overridden by the per-position matrix
  options.gaussian.positionVariances = rows({{1}, {4}});
  for (Kernel kernel : {Kernel::Mgk, Kernel::MgkHard}) {  // one component: soft and hard agree
    const AttentionResult result = computeAttention(kernel, q, keys, options);
    expectRow(result.weights, 0, {0.407333, 0.592667}, 1e-6);
    expectRow(result.scores, 0, {-0.5, -0.125}, 1e-6);
  }
  options.gaussian.positionVariances.resize(0, 0);
  expectRow(computeAttention(Kernel::Mgk, q, keys, options).weights, 0, {0.5, 0.5}, 1e-7);
}

TEST(AttentionKernels, GaussianKeyResponsibilitiesUseThePositionsOwnVariances) {
  // One position, q = 0, centres 1 and 2 with sigma^2 = 1 and 4 and priors 1/2: t_1 = -1/2, t_2 = -4/8 = -1/2, so
  // gamma = (1/2, 1/2). The second position, centres 1 and 2 with sigma^2 = 1 for both: t = (-1/2, -2), gamma_1 =
  // 1 / (1 + e^-1.5) = 0.817574.
  const RowMatrix q = rows({{0}}), keys = rows({{1}, {1}});
  GaussianKeysOptions options;
  options.shifts = rows({{0}, {1}});
  options.priors = Vector::Constant(2, 0.5f);
  options.positionVariances = rows({{1, 4}, {1, 1}});
  const std::vector<RowMatrix> gamma = gaussianKeyResponsibilities(q, keys, false, options);
  ASSERT_EQ(gamma.size(), 2u);
  EXPECT_NEAR(gamma[0](0, 0), 0.5, 1e-6);
  EXPECT_NEAR(gamma[1](0, 0), 0.5, 1e-6);
  EXPECT_NEAR(gamma[0](0, 1), 0.817574, 1e-6);
  EXPECT_NEAR(gamma[1](0, 1), 0.182426, 1e-6);
}

TEST(AttentionKernels, EqualPositionVariancesGiveTheSharedVarianceResult) {
  // Every row of the per-position matrix equal to the shared variances: bit-identical weights and scores (the core
  // takes the shared path), causal masking included. One position changed: the per-position path, which agrees to
  // float rounding when that change is undone in the shared options too.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  RowMatrix Q(5, 3), K(6, 3), shifts(2, 3);
  for (RowMatrix* m : {&Q, &K, &shifts})
    for (Eigen::Index i = 0; i < m->size(); ++i) m->data()[i] = normal(rng);
  AttentionOptions shared;
  shared.causal = true;
  shared.causalOffset = 1;
  shared.gaussian.shifts = shifts;
  shared.gaussian.priors = rows({{0.3f, 0.9f}}).transpose();
  shared.gaussian.variances = rows({{0.7f, 2.5f}}).transpose();
  AttentionOptions perPosition = shared;
  perPosition.gaussian.positionVariances = shared.gaussian.variances.transpose().replicate(6, 1);
  for (Kernel kernel : {Kernel::Mgk, Kernel::MgkHard}) {
    const AttentionResult a = computeAttention(kernel, Q, K, shared), b = computeAttention(kernel, Q, K, perPosition);
    EXPECT_EQ(a.weights, b.weights) << kernelName(kernel);
    EXPECT_EQ(a.scores, b.scores) << kernelName(kernel);
  }
  // Position 5 (visible to the last query only, causal offset 1) gets other widths: rows 0..3 cannot see it and keep
  // their weights up to rounding; row 4 must differ from the shared result.
  perPosition.gaussian.positionVariances.row(5) << 0.2f, 9.0f;
  for (Kernel kernel : {Kernel::Mgk, Kernel::MgkHard}) {
    const AttentionResult a = computeAttention(kernel, Q, K, shared), b = computeAttention(kernel, Q, K, perPosition);
    EXPECT_LE((a.weights.topRows(4) - b.weights.topRows(4)).cwiseAbs().maxCoeff(), 1e-6f) << kernelName(kernel);
    EXPECT_GT((a.weights.row(4) - b.weights.row(4)).cwiseAbs().maxCoeff(), 1e-4f) << kernelName(kernel);
    for (Eigen::Index i = 0; i < 5; ++i) EXPECT_NEAR(b.weights.row(i).sum(), 1.0f, 1e-5f);
  }
}

TEST(AttentionKernels, PositionVariancesOfTheWrongShapeOrSignAreRefused) {
  const RowMatrix q = rows({{0}}), keys = rows({{1}, {1}});
  AttentionOptions options;
  options.gaussian.positionVariances = rows({{1}, {1}, {1}});
  try {
    computeAttention(Kernel::Mgk, q, keys, options);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "per-position MGK variances are 3 x 1 but keys x components is 2 x 1");
  }
  options.gaussian.positionVariances = rows({{1}, {0}});
  try {
    computeAttention(Kernel::MgkHard, q, keys, options);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "MGK variance of key position 1, component 1 must be finite and > 0, got 0.000000");
  }
}

TEST(AttentionKernels, GaussianKeyPriorsAreClampedNotRenormalised) {
  GaussianKeysOptions options;
  options.priors = rows({{1.5f}, {-0.2f}, {0.4f}}).col(0);
  RowMatrix priors = gaussianKeyPriors(2, 3, options);
  EXPECT_EQ(priors(1, 0), 1.0f);
  EXPECT_EQ(priors(1, 1), 0.0f);
  EXPECT_FLOAT_EQ(priors(1, 2), 0.4f);
  EXPECT_FLOAT_EQ(gaussianKeyVariances(16, 2, {})(1), 4.0f);  // sqrt(d)
}

TEST(AttentionKernels, ZeroPriorPositionGetsZeroWeightAndFiniteScore) {
  RowMatrix Q = randomMatrix(3, 2, 5);
  RowMatrix K = randomMatrix(4, 2, 6);
  AttentionOptions options;
  options.gaussian.positionPriors = RowMatrix::Constant(4, 1, 0.5f);
  options.gaussian.positionPriors(2, 0) = 0.0f;
  AttentionResult result = computeAttention(Kernel::Mgk, Q, K, options);
  expectFinite(result);
  expectRowsSumToOne(result);
  EXPECT_EQ(result.weights.col(2).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(result.scores(0, 2), std::numeric_limits<float>::lowest());
  // All priors 0: zero mass everywhere, the row falls back to uniform and is reported.
  options.gaussian.positionPriors.setZero();
  AttentionResult none = computeAttention(Kernel::Mgk, Q, K, options);
  expectFinite(none);
  EXPECT_EQ(none.fallbackRows.size(), 3u);
  EXPECT_FLOAT_EQ(none.weights(1, 3), 0.25f);
}

// --- Properties ------------------------------------------------------------------------------------------------

TEST(AttentionKernels, RowsSumToOneForEveryKernel) {
  RowMatrix Q = randomMatrix(17, 8, 21);
  RowMatrix K = randomMatrix(23, 8, 22);
  for (Kernel kernel : kAllKernels) {
    SCOPED_TRACE(std::string(kernelName(kernel)));
    AttentionResult result = computeAttention(kernel, Q, K);
    ASSERT_EQ(result.weights.rows(), 17);
    ASSERT_EQ(result.weights.cols(), 23);
    expectFinite(result);
    expectRowsSumToOne(result);
  }
}

TEST(AttentionKernels, LargeInputsUseTheParallelPathConsistently) {
  // 600 x 500 entries exceed the parallel threshold; every row must match the same computation on one query.
  RowMatrix Q = randomMatrix(600, 16, 31);
  RowMatrix K = randomMatrix(500, 16, 32);
  for (Kernel kernel : kAllKernels) {
    SCOPED_TRACE(std::string(kernelName(kernel)));
    AttentionResult all = computeAttention(kernel, Q, K);
    expectRowsSumToOne(all);
    for (Eigen::Index i : {0, 137, 599}) {
      AttentionResult one = computeAttention(kernel, Q.row(i), K);
      EXPECT_LT((one.weights.row(0) - all.weights.row(i)).cwiseAbs().maxCoeff(), 1e-6f);
    }
  }
}

TEST(AttentionKernels, KernelsLeaveTheCallersThreadSettingAlone) {
  int before = omp_get_max_threads();
  computeAttention(Kernel::Dpa, randomMatrix(8, 4, 35), randomMatrix(8, 4, 36));
  computeAttention(Kernel::Mgk, randomMatrix(600, 4, 35), randomMatrix(600, 4, 36));
  EXPECT_EQ(omp_get_max_threads(), before);
}

TEST(AttentionKernels, ZeroVectorsGiveUniformWeights) {
  RowMatrix Q = RowMatrix::Zero(2, 3);
  RowMatrix K = RowMatrix::Zero(4, 3);
  for (Kernel kernel : kAllKernels) {
    SCOPED_TRACE(std::string(kernelName(kernel)));
    AttentionResult result = computeAttention(kernel, Q, K);
    expectFinite(result);
    for (Eigen::Index j = 0; j < 4; ++j) EXPECT_NEAR(result.weights(1, j), 0.25, 1e-6);
  }
  // For EA the zero query is the all-orthogonal case: it is the fallback, and it is reported.
  EXPECT_EQ(computeAttention(Kernel::Ea, Q, K).fallbackRows, (std::vector<Eigen::Index>{0, 1}));
}

TEST(AttentionKernels, AllOrthogonalRowFallsBackToUniformOverVisibleKeys) {
  RowMatrix keys = rows({{0, 1}, {0, -2}, {0, 3}});
  AttentionOptions options;
  options.keepMask = KeepMask::Constant(1, 3, true);
  (*options.keepMask)(0, 1) = false;
  AttentionResult result = computeAttention(Kernel::Ea, kQuery, keys, options);
  expectRow(result.weights, 0, {0.5, 0.0, 0.5});
  EXPECT_EQ(result.fallbackRows, (std::vector<Eigen::Index>{0}));
}

TEST(AttentionKernels, ExtremeNormsStayFinite) {
  RowMatrix direction = randomMatrix(5, 4, 41);
  RowMatrix keyDirection = randomMatrix(6, 4, 42);
  for (float norm : {1e-20f, 1e-6f, 1e6f}) {
    RowMatrix Q = direction.rowwise().normalized() * norm;
    RowMatrix K = keyDirection.rowwise().normalized() * norm;
    for (Kernel kernel : kAllKernels) {
      SCOPED_TRACE(std::string(kernelName(kernel)) + " at norm " + std::to_string(norm));
      AttentionResult result = computeAttention(kernel, Q, K);
      expectFinite(result);
      expectRowsSumToOne(result, 1e-4);
    }
  }
  // Pure EA is scale-free: the weights at norm 1e-20 (x ~ 1e-40, subnormal) and 1e6 (x ~ 1e12, x^2 ~ 1e24) equal those
  // at norm 1, because ratios are taken on x / max|x|, never on x^2 of a tiny or huge number.
  RowMatrix Q = direction.rowwise().normalized();
  RowMatrix K = keyDirection.rowwise().normalized();
  RowMatrix reference = computeAttention(Kernel::EaPure, Q, K).weights;
  RowMatrix big = computeAttention(Kernel::EaPure, Q * 1e6f, K * 1e6f).weights;
  EXPECT_LT((reference - big).cwiseAbs().maxCoeff(), 1e-5f);
  RowMatrix small = computeAttention(Kernel::EaPure, Q * 1e-10f, K * 1e-10f).weights;
  EXPECT_LT((reference - small).cwiseAbs().maxCoeff(), 1e-4f);
  // At norm 1e-20, x is subnormal and 1 / max|x| overflows: the kernel must still give the same weights (to the
  // ~5 digits subnormal products keep), not flag every row as all-orthogonal and fall back to uniform.
  AttentionResult tiny = computeAttention(Kernel::EaPure, Q * 1e-20f, K * 1e-20f);
  EXPECT_LT((reference - tiny.weights).cwiseAbs().maxCoeff(), 1e-4f);
  EXPECT_TRUE(tiny.fallbackRows.empty());
  // Saturating EA with huge x: every non-orthogonal key saturates to f = 1 (no inf/inf).
  AttentionResult saturated = computeAttention(Kernel::Ea, rows({{1e19f, 0}}), rows({{1e19f, 0}, {-1e19f, 0}}));
  expectRow(saturated.weights, 0, {0.5, 0.5});
  expectFinite(saturated);
}

TEST(AttentionKernels, FullyMaskedRowIsZeroAndReported) {
  RowMatrix Q = randomMatrix(3, 4, 51);
  RowMatrix K = randomMatrix(5, 4, 52);
  AttentionOptions options;
  options.keepMask = KeepMask::Constant(3, 5, true);
  options.keepMask->row(1).setConstant(false);
  (*options.keepMask)(2, 0) = false;
  for (Kernel kernel : kAllKernels) {
    SCOPED_TRACE(std::string(kernelName(kernel)));
    AttentionResult result = computeAttention(kernel, Q, K, options);
    expectFinite(result);
    EXPECT_EQ(result.emptyRows, (std::vector<Eigen::Index>{1}));
    EXPECT_EQ(result.weights.row(1).cwiseAbs().maxCoeff(), 0.0f);
    EXPECT_EQ(result.weights(2, 0), 0.0f);
    expectRowsSumToOne(result);
  }
}

TEST(AttentionKernels, CausalMaskHidesFutureKeys) {
  RowMatrix Q = randomMatrix(4, 3, 61);
  RowMatrix K = randomMatrix(4, 3, 62);
  AttentionOptions options;
  options.causal = true;
  for (Kernel kernel : kAllKernels) {
    SCOPED_TRACE(std::string(kernelName(kernel)));
    AttentionResult result = computeAttention(kernel, Q, K, options);
    expectRowsSumToOne(result);
    for (Eigen::Index i = 0; i < 4; ++i)
      for (Eigen::Index j = i + 1; j < 4; ++j) EXPECT_EQ(result.weights(i, j), 0.0f);
    EXPECT_FLOAT_EQ(result.weights(0, 0), 1.0f);
    // Causal equals the same computation on the visible prefix of keys.
    AttentionResult prefix = computeAttention(kernel, Q.row(2), K.topRows(3));
    EXPECT_LT((prefix.weights.row(0) - result.weights.row(2).head(3)).cwiseAbs().maxCoeff(), 1e-6f);
  }
  // A negative offset hides every key from the first query: that row is empty (all zeros), in every kernel. Soft MGK
  // once took the max of an empty row here (an Eigen assertion in debug builds).
  options.causalOffset = -1;
  for (Kernel kernel : kAllKernels) {
    SCOPED_TRACE(std::string(kernelName(kernel)));
    AttentionResult result = computeAttention(kernel, Q, K, options);
    EXPECT_EQ(result.emptyRows, (std::vector<Eigen::Index>{0}));
    EXPECT_EQ(result.weights.row(0).cwiseAbs().maxCoeff(), 0.0f);
    expectFinite(result);
  }
}

TEST(AttentionKernels, SingleQueryAndSingleKey) {
  RowMatrix Q = randomMatrix(1, 5, 71);
  RowMatrix K = randomMatrix(1, 5, 72);
  for (Kernel kernel : kAllKernels) {
    SCOPED_TRACE(std::string(kernelName(kernel)));
    EXPECT_NEAR(computeAttention(kernel, Q, K).weights(0, 0), 1.0f, 1e-6f);
    AttentionResult many = computeAttention(kernel, randomMatrix(6, 5, 73), K);
    EXPECT_LT((many.weights.array() - 1.0f).abs().maxCoeff(), 1e-6f);
    expectRowsSumToOne(computeAttention(kernel, Q, randomMatrix(6, 5, 74)));
  }
}

TEST(AttentionKernels, ExpressiveInvariantUnderFlippingAKeysSign) {
  RowMatrix Q = randomMatrix(7, 6, 81);
  RowMatrix K = randomMatrix(9, 6, 82);
  for (Kernel kernel : {Kernel::Ea, Kernel::EaPure}) {
    RowMatrix before = computeAttention(kernel, Q, K).weights;
    for (Eigen::Index j : {0, 4, 8}) {
      RowMatrix flipped = K;
      flipped.row(j) *= -1.0f;
      EXPECT_LT((computeAttention(kernel, Q, flipped).weights - before).cwiseAbs().maxCoeff(), 1e-6f);
    }
  }
  // DPA is not invariant: a control showing the test can fail.
  RowMatrix flipped = K;
  flipped.row(0) *= -1.0f;
  EXPECT_GT((computeAttention(Kernel::Dpa, Q, flipped).weights - computeAttention(Kernel::Dpa, Q, K).weights)
                .cwiseAbs()
                .maxCoeff(),
            1e-3f);
}

TEST(AttentionKernels, LinearImplicitWeightsEqualExplicitForm) {
  RowMatrix Q = randomMatrix(12, 5, 91);
  RowMatrix K = randomMatrix(15, 5, 92);
  RowMatrix V = randomMatrix(15, 3, 93);
  AttentionOptions options;
  options.gaussian.shifts = randomMatrix(2, 5, 94);
  options.gaussian.priors = rows({{0.6f}, {0.9f}}).col(0);
  for (bool causal : {false, true}) {
    options.causal = causal;
    AttentionResult explicitForm = computeAttention(Kernel::Mlk, Q, K, options);
    expectRowsSumToOne(explicitForm);
    RowMatrix viaWeights = applyWeights(explicitForm.weights, V);
    RowMatrix implicitForm = linearAttentionOutput(Q, K, V, options);
    EXPECT_LT((viaWeights - implicitForm).cwiseAbs().maxCoeff(), 1e-5f) << "causal " << causal;
  }
  // Hand check of one entry: phi = elu + 1, kappa_j = sum_r pi_r phi(k_j + b_r).
  options.causal = false;
  RowMatrix phiQ = (Q.array() > 0).select(Q.array() + 1, Q.array().exp()).matrix();
  RowMatrix kappa = RowMatrix::Zero(15, 5);
  for (int r = 0; r < 2; ++r) {
    RowMatrix centre = K.rowwise() + options.gaussian.shifts.row(r);
    kappa +=
        options.gaussian.priors(r) * (centre.array() > 0).select(centre.array() + 1, centre.array().exp()).matrix();
  }
  Eigen::VectorXf row = kappa * phiQ.row(3).transpose();
  EXPECT_NEAR(computeAttention(Kernel::Mlk, Q, K, options).weights(3, 7), row(7) / row.sum(), 1e-6);
}

TEST(AttentionKernels, CosineIgnoresNormsAndUsesTemperature) {
  AttentionOptions options;
  options.cosineTemperature = 1.0f;
  // q = (1,0), keys at 0, 90 and 180 degrees with different norms: logits 1, 0, -1.
  AttentionResult result = computeAttention(Kernel::Cosine, kQuery, rows({{5, 0}, {0, 0.1f}, {-2, 0}}), options);
  double z = std::exp(1.0) + 1.0 + std::exp(-1.0);
  expectRow(result.weights, 0, {std::exp(1.0) / z, 1.0 / z, std::exp(-1.0) / z});
  expectRow(result.scores, 0, {1.0, 0.0, -1.0});
  // Same geometry at norms 1e-20 (subnormal squares) and 1e19: identical weights.
  for (float norm : {1e-20f, 1e19f}) {
    AttentionResult scaled =
        computeAttention(Kernel::Cosine, kQuery * norm, rows({{5, 0}, {0, 0.1f}, {-2, 0}}) * norm, options);
    EXPECT_LT((scaled.weights - result.weights).cwiseAbs().maxCoeff(), 1e-6f) << norm;
  }
}

TEST(AttentionKernels, RejectsBadInputWithMessage) {
  RowMatrix Q = randomMatrix(2, 3, 101);
  RowMatrix K = randomMatrix(4, 3, 102);
  RowMatrix bad = K;
  bad(2, 1) = std::numeric_limits<float>::quiet_NaN();
  for (Kernel kernel : kAllKernels) {
    try {
      computeAttention(kernel, Q, bad);
      ADD_FAILURE() << "NaN accepted by " << kernelName(kernel);
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("NaN at row 2, column 1"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(computeAttention(Kernel::Dpa, Q, randomMatrix(4, 2, 1)), InputError);
  EXPECT_THROW(computeAttention(Kernel::Dpa, RowMatrix(0, 3), K), InputError);
  AttentionOptions wrongMask;
  wrongMask.keepMask = KeepMask::Constant(3, 3, true);
  EXPECT_THROW(computeAttention(Kernel::Ea, Q, K, wrongMask), InputError);
  AttentionOptions badVariance;
  badVariance.gaussian.variances = Vector::Constant(1, 0.0f);
  EXPECT_THROW(computeAttention(Kernel::Mgk, Q, K, badVariance), InputError);
  AttentionOptions badPriors;
  badPriors.gaussian.priors = Vector::Constant(3, 0.5f);  // 3 priors for 1 component
  EXPECT_THROW(computeAttention(Kernel::Mgk, Q, K, badPriors), InputError);
  EXPECT_THROW(parseKernel("softmax"), InputError);
  // Norms whose products overflow float32 are refused with a message, never turned into NaN.
  for (Kernel kernel : kAllKernels) {
    if (kernel == Kernel::Cosine || kernel == Kernel::Mlk) continue;  // normalised / linear in |q|: no overflow here
    EXPECT_THROW(computeAttention(kernel, rows({{1e20f, 1e20f}}), rows({{1e20f, 1e20f}, {1, 0}})), InputError)
        << kernelName(kernel);
  }
  AttentionResult normalised = computeAttention(Kernel::Cosine, rows({{1e20f, 1e20f}}), rows({{1e20f, 1e20f}}));
  expectFinite(normalised);
}

TEST(AttentionKernels, MemoryBudgetRefusesBeforeAllocating) {
  AttentionOptions options;
  options.memoryBudgetBytes = 1000;  // 16 x 16 weights + scores = 2048 bytes
  RowMatrix Q = randomMatrix(16, 2, 121);
  EXPECT_THROW(computeAttention(Kernel::Dpa, Q, Q, options), ResourceError);
  options.computeScores = false;  // 1024 bytes: still above
  EXPECT_THROW(computeAttention(Kernel::Dpa, Q, Q, options), ResourceError);
  options.memoryBudgetBytes = 1024;
  EXPECT_NO_THROW(computeAttention(Kernel::Dpa, Q, Q, options));
}

TEST(AttentionKernels, KernelNamesRoundTrip) {
  for (Kernel kernel : kAllKernels) EXPECT_EQ(parseKernel(kernelName(kernel)), kernel);
  EXPECT_EQ(kernelName(Kernel::EaPure), "ea-pure");
  EXPECT_FALSE(kernelFromName("DPA").has_value());
}

TEST(AttentionKernels, ScoresCanBeSwitchedOff) {
  AttentionOptions options;
  options.computeScores = false;
  for (Kernel kernel : kAllKernels) {
    AttentionResult result = computeAttention(kernel, randomMatrix(3, 2, 111), randomMatrix(4, 2, 112), options);
    EXPECT_EQ(result.scores.size(), 0);
    EXPECT_EQ(result.weights.rows(), 3);
  }
}

}  // namespace
}  // namespace attnscope
