// Tests of core/streaming_attention.cpp: tiles, pooled overviews and long-range statistics equal the dense kernels
// (N = 2048, every kernel, causal or not, to 1e-6 relative), degenerate rows keep the dense fallbacks, and a seeded
// 32,768-token head with a planted sink column, diagonal band and retrieval spike shows them where they were planted.
#include "core/streaming_attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/random_matrix.h"

namespace attnscope {
namespace {

using Eigen::Index;

/// |actual - expected| <= 1e-6 |expected| for every entry, with an absolute floor of 1e-12 for weights that are 0
/// up to rounding (masked cells are exactly 0 in both).
void expectRelativelyEqual(const RowMatrix& actual, const RowMatrix& expected, const std::string& what) {
  ASSERT_EQ(actual.rows(), expected.rows()) << what;
  ASSERT_EQ(actual.cols(), expected.cols()) << what;
  Index bad = 0;
  double worst = 0.0;
  for (Index i = 0; i < actual.rows(); ++i)
    for (Index j = 0; j < actual.cols(); ++j) {
      double e = expected(i, j), a = actual(i, j);
      worst = std::max(worst, std::abs(a - e) / std::max(std::abs(e), 1e-30));
      if (std::abs(a - e) > 1e-6 * std::abs(e) + 1e-12) {
        if (bad++ < 3) ADD_FAILURE() << what << ": (" << i << ", " << j << ") streamed " << a << " dense " << e;
      }
    }
  EXPECT_EQ(bad, 0) << what << " worst relative error " << worst;
}

/// Options exercising every kernel's knobs: MGK with two shifted components, priors and variances.
AttentionOptions kernelOptions(Kernel kernel, bool causal, Index dimension) {
  AttentionOptions options;
  options.causal = causal;
  options.computeScores = false;
  if (kernel == Kernel::Mgk || kernel == Kernel::MgkHard || kernel == Kernel::Mlk) {
    options.gaussian.shifts = 0.3f * standardNormalMatrix(2, dimension, 7u);
    options.gaussian.priors = Vector(2);
    options.gaussian.priors << 0.7f, 0.3f;
    options.gaussian.variances = Vector(2);
    options.gaussian.variances << 6.0f, 10.0f;
  }
  return options;
}

class StreamingEqualsDense : public ::testing::TestWithParam<std::tuple<Kernel, bool>> {};

TEST_P(StreamingEqualsDense, TilesAndPooledMatchTheDenseKernelAt2048) {
  const auto [kernel, causal] = GetParam();
  const Index N = 2048, d = 64;
  RowMatrix Q = standardNormalMatrix(N, d, 11u), K = standardNormalMatrix(N, d, 12u);
  AttentionOptions options = kernelOptions(kernel, causal, d);
  RowMatrix dense = computeAttention(kernel, Q, K, options).weights;
  // Small tiles so that every row crosses many key tiles and the online shifts really move.
  StreamingOptions streaming;
  streaming.tileRows = 96;
  streaming.tileCols = 240;
  StreamingAttention map(kernel, Q, K, options, streaming);
  std::string name = std::string(kernelName(kernel)) + (causal ? " causal" : "");

  expectRelativelyEqual(map.tile(map.fullRegion()), dense, name + " whole map");
  MapRegion zoom{1000, 1517, 333, 901};
  expectRelativelyEqual(map.tile(zoom), dense.block(1000, 333, 517, 568), name + " zoomed tile");

  // Pooled 100 x 77 over a region whose size does not divide evenly, checked against pooling the dense map here.
  MapRegion region{17, 2048, 5, 1999};
  const Index P = 100, Qp = 77, H = region.rows(), W = region.cols();
  RowMatrix expectedMax(P, Qp), expectedSum(P, Qp), expectedMean(P, Qp);
  for (Index p = 0; p < P; ++p)
    for (Index q = 0; q < Qp; ++q) {
      Index r0 = region.rowBegin + p * H / P, r1 = region.rowBegin + (p + 1) * H / P;
      Index c0 = region.colBegin + q * W / Qp, c1 = region.colBegin + (q + 1) * W / Qp;
      auto cells = dense.block(r0, c0, r1 - r0, c1 - c0).cast<double>();
      expectedMax(p, q) = static_cast<float>(cells.maxCoeff());
      expectedSum(p, q) = static_cast<float>(cells.sum());
      expectedMean(p, q) = static_cast<float>(cells.sum() / static_cast<double>(cells.size()));
    }
  expectRelativelyEqual(map.pooled(region, P, Qp, Pooling::Max), expectedMax, name + " max-pooled");
  // Sums of many float weights: the dense map's own rounding (float sums of each row) bounds agreement.
  RowMatrix sum = map.pooled(region, P, Qp, Pooling::Sum), mean = map.pooled(region, P, Qp, Pooling::Mean);
  EXPECT_LE(((sum - expectedSum).cwiseAbs().array() / expectedSum.cwiseAbs().array().max(1e-6f)).maxCoeff(), 1e-5)
      << name;
  EXPECT_LE(((mean - expectedMean).cwiseAbs().array() / expectedMean.cwiseAbs().array().max(1e-9f)).maxCoeff(), 1e-5)
      << name;
}

INSTANTIATE_TEST_SUITE_P(AllKernels, StreamingEqualsDense,
                         ::testing::Combine(::testing::ValuesIn(kAllKernels), ::testing::Bool()), [](const auto& info) {
                           std::string name(kernelName(std::get<0>(info.param)));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name + (std::get<1>(info.param) ? "_causal" : "_full");
                         });

TEST(StreamingAttention, MgkWithComponentKeysAndPerPositionPriorsMatchesDense) {
  const Index N = 300, M = 700, d = 16;
  RowMatrix Q = standardNormalMatrix(N, d, 21u), K = standardNormalMatrix(M, d, 22u);
  AttentionOptions options;
  options.computeScores = false;
  options.gaussian.componentKeys = {K, K + 0.5f * standardNormalMatrix(M, d, 23u)};
  options.gaussian.positionPriors = standardNormalMatrix(M, 2, 24u).cwiseAbs().cwiseMin(1.0f);
  options.gaussian.positionPriors.row(5).setZero();  // key 5: no component, weight 0
  for (Kernel kernel : {Kernel::Mgk, Kernel::MgkHard, Kernel::Mlk}) {
    StreamingOptions streaming;
    streaming.tileCols = 144;
    StreamingAttention map(kernel, Q, K, options, streaming);
    expectRelativelyEqual(map.tile(map.fullRegion()), computeAttention(kernel, Q, K, options).weights,
                          std::string(kernelName(kernel)));
  }
}

TEST(StreamingAttention, DegenerateRowsFallBackLikeTheDenseKernels) {
  // EA: query 1 is orthogonal to every key (x = 0 everywhere) -> uniform; with a causal offset of -1 row 0 sees no
  // key -> empty (all 0).
  RowMatrix Q(3, 2), K(4, 2);
  Q << 1, 0, 0, 1, 1, 1;
  K << 1, 0, 2, 0, -1, 0, 3, 0;
  AttentionOptions options;
  options.causal = true;
  options.causalOffset = 1;
  for (Kernel kernel : {Kernel::Ea, Kernel::EaPure}) {
    StreamingOptions streaming;
    streaming.tileCols = 48;  // the smallest tile
    StreamingAttention map(kernel, Q, K, options, streaming);
    AttentionResult dense = computeAttention(kernel, Q, K, options);
    expectRelativelyEqual(map.tile(map.fullRegion()), dense.weights, std::string(kernelName(kernel)));
    EXPECT_EQ(map.fallbackRows(), std::vector<Index>{1});
    // Row 1 sees keys 0..2, all orthogonal to (0, 1): a third each, key 3 masked.
    EXPECT_FLOAT_EQ(map.tile({1, 2, 0, 4})(0, 1), 1.0f / 3.0f);
    EXPECT_EQ(map.tile({1, 2, 0, 4})(0, 3), 0.0f);
  }
  options.causalOffset = -1;
  StreamingAttention empty(Kernel::Dpa, Q, K, options);
  EXPECT_EQ(empty.emptyRows(), std::vector<Index>{0});
  EXPECT_EQ(empty.tile({0, 1, 0, 4}).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_NEAR(empty.tile({1, 2, 0, 4}).sum(), 1.0f, 1e-6f);
}

TEST(StreamingAttention, MgkRowsWhosePriorsAreAllZeroAreUniform) {
  RowMatrix Q = standardNormalMatrix(4, 3, 31u), K = standardNormalMatrix(6, 3, 32u);
  AttentionOptions options;
  options.gaussian.priors = Vector::Zero(1);
  StreamingAttention map(Kernel::Mgk, Q, K, options);
  EXPECT_EQ(map.fallbackRows(), (std::vector<Index>{0, 1, 2, 3}));
  RowMatrix weights = map.tile(map.fullRegion());
  EXPECT_TRUE(weights.isApproxToConstant(1.0f / 6.0f));
}

TEST(StreamingAttention, RefusesBadRequestsWithOneClearMessage) {
  RowMatrix Q = standardNormalMatrix(8, 4, 41u), K = standardNormalMatrix(8, 4, 42u);
  AttentionOptions masked;
  masked.keepMask = KeepMask::Constant(8, 8, true);
  EXPECT_THROW(StreamingAttention(Kernel::Dpa, Q, K, masked), InputError);
  RowMatrix bad = Q;
  bad(3, 1) = std::nanf("");
  EXPECT_THROW(StreamingAttention(Kernel::Dpa, bad, K), InputError);
  EXPECT_THROW(StreamingAttention(Kernel::Dpa, Q, standardNormalMatrix(8, 5, 43u)), InputError);
  StreamingAttention map(Kernel::Dpa, Q, K);
  EXPECT_THROW(map.tile({0, 9, 0, 8}), InputError);  // past the bottom edge
  EXPECT_THROW(map.tile({3, 3, 0, 8}), InputError);  // empty
  EXPECT_THROW(map.pooled(map.fullRegion(), 0, 4, Pooling::Max), InputError);
  EXPECT_EQ(map.clampRegion({-5, 100, 2, 100}), (MapRegion{0, 8, 2, 8}));
  EXPECT_EQ(map.pooled(map.fullRegion(), 100, 3, Pooling::Sum).rows(), 8);  // no upsampling past one cell per pixel
  EXPECT_THROW(parsePooling("median"), InputError);
  StreamingOptions oddTiles;
  oddTiles.tileCols = 100;  // not a multiple of the 48-key GEMM panel
  EXPECT_THROW(StreamingAttention(Kernel::Dpa, Q, K, {}, oddTiles), InputError);
  // Huge key counts are refused by the budget before anything is allocated or read.
  setMemoryBudgetBytes(std::uint64_t{64} << 20);
  Eigen::Map<const RowMatrix> hugeKeys(K.data(), Index{1} << 22, 4);  // never read: refused first
  EXPECT_THROW(StreamingAttention(Kernel::Dpa, Q, hugeKeys), ResourceError);
  setMemoryBudgetBytes(std::nullopt);
}

TEST(StreamingAttention, CancellationStopsARequest) {
  RowMatrix Q = standardNormalMatrix(512, 8, 51u);
  StreamingAttention map(Kernel::Dpa, Q, Q);
  std::atomic<bool> cancel{true};
  StreamingOptions streaming;
  streaming.cancel = &cancel;
  map.setStreamingOptions(streaming);
  EXPECT_THROW(map.pooled(map.fullRegion(), 64, 64, Pooling::Max), CancelledError);
  cancel = false;
  EXPECT_EQ(map.pooled(map.fullRegion(), 64, 64, Pooling::Max).rows(), 64);
}

/// Independent reference: the statistics computed with plain loops over a dense map.
LongRangeStatistics denseStatistics(const RowMatrix& weights, Index offset, const LongRangeOptions& options) {
  LongRangeStatistics stats;
  const Index N = weights.rows(), M = weights.cols();
  std::size_t bins = 1;
  while (LongRangeStatistics::binHigh(bins - 1) < N - 1 + offset) ++bins;
  stats.distanceHistogram.assign(bins, 0.0);
  Index sinkRows = 0;
  for (Index i = 0; i < N; ++i) {
    double sink = 0.0;
    for (Index j = 0; j < M; ++j) {
      double w = weights(i, j);
      Index distance = i + offset - j;
      if (j < options.sinkTokens) sink += w;
      if (distance >= 0 && distance < options.recentWindow) stats.recentShare += w;
      if (distance < 0) {
        stats.futureMass += w;
        continue;
      }
      std::size_t b = 0;
      while (distance > LongRangeStatistics::binHigh(b)) ++b;
      stats.distanceHistogram[b] += w;
    }
    stats.meanSinkMass += sink;
    if (sink >= options.sinkThreshold) ++sinkRows;
  }
  stats.rowsCounted = N;
  stats.sinkRate = static_cast<double>(sinkRows) / N;
  stats.meanSinkMass /= N;
  stats.recentShare /= N;
  stats.futureMass /= N;
  for (double& bin : stats.distanceHistogram) bin /= N;
  return stats;
}

TEST(StreamingAttention, LongRangeStatisticsMatchPlainLoopsOverTheDenseMap) {
  const Index N = 2048, d = 32;
  RowMatrix Q = standardNormalMatrix(N, d, 61u), K = standardNormalMatrix(N, d, 62u);
  K.col(0).head(4).setConstant(20.0f);  // the first keys attract every query whose q_0 > 0: some rows are sinks
  Q.col(0).array() += 1.0f;
  LongRangeOptions statsOptions;
  statsOptions.sinkTokens = 4;
  statsOptions.recentWindow = 100;
  for (bool causal : {false, true}) {
    AttentionOptions options;
    options.causal = causal;
    StreamingOptions streaming;
    streaming.tileCols = 288;
    StreamingAttention map(Kernel::Dpa, Q, K, options, streaming);
    LongRangeStatistics streamed = map.statistics(statsOptions);
    LongRangeStatistics expected =
        denseStatistics(computeAttention(Kernel::Dpa, Q, K, options).weights, 0, statsOptions);
    EXPECT_EQ(streamed.rowsCounted, N);
    EXPECT_DOUBLE_EQ(streamed.sinkRate, expected.sinkRate);
    EXPECT_GT(expected.sinkRate, 0.05);  // the planted sink is there
    EXPECT_LT(expected.sinkRate, 0.95);
    EXPECT_NEAR(streamed.meanSinkMass, expected.meanSinkMass, 1e-6);
    EXPECT_NEAR(streamed.recentShare, expected.recentShare, 1e-6);
    EXPECT_NEAR(streamed.futureMass, expected.futureMass, 1e-6);
    EXPECT_EQ(streamed.futureMass == 0.0, causal);
    ASSERT_EQ(streamed.distanceHistogram.size(), expected.distanceHistogram.size());
    ASSERT_EQ(streamed.distanceHistogram.size(), 12u);  // distances 0 .. 2047: bins 0, 1, 2-3, ..., 1024-2047
    double total = streamed.futureMass;
    for (std::size_t b = 0; b < expected.distanceHistogram.size(); ++b) {
      EXPECT_NEAR(streamed.distanceHistogram[b], expected.distanceHistogram[b], 1e-6) << "bin " << b;
      total += streamed.distanceHistogram[b];
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
}

/// A seeded 32,768-token head with planted structure: key 0 is a sink every query sees (dimension 0, logit 12.5),
/// queries and keys carry 24 harmonics of one period of 65,536 tokens whose dot product is a Dirichlet kernel peaking
/// at j = i (a diagonal band about 2,000 tokens wide, dimensions 1-48), and query 30000 alone matches key 1000
/// (dimension 63, logit 24.5: a retrieval spike). Dimensions 49-62 are small seeded noise. The expected shares below
/// were measured with NumPy on every 64th row of the same construction (sink mass 0.433 on average, 95.7% of rows
/// at least 0.3; 9.6% of the mass within 64 tokens; 38% at distances of 4096 or more).
struct PlantedHead {
  static constexpr Index kTokens = 32768, kDimension = 64, kRetrievalQuery = 30000, kRetrievalKey = 1000;
  RowMatrix Q, K;

  PlantedHead() {
    Q = 0.3f * standardNormalMatrix(kTokens, kDimension, 71u);
    K = 0.3f * standardNormalMatrix(kTokens, kDimension, 72u);
    Q.leftCols(49).setZero();
    K.leftCols(49).setZero();
    Q.col(63).setZero();
    K.col(63).setZero();
    Q.col(0).setConstant(10.0f);  // logit of key 0: 10 * 10 / sqrt(64) = 12.5
    K(0, 0) = 10.0f;
    for (Index f = 0; f < 24; ++f) {
      double omega = 2.0 * std::numbers::pi * static_cast<double>(f + 1) / 65536.0;
      for (Index t = 0; t < kTokens; ++t) {
        float c = static_cast<float>(1.5 * std::cos(omega * static_cast<double>(t)));
        float s = static_cast<float>(1.5 * std::sin(omega * static_cast<double>(t)));
        Q(t, 1 + 2 * f) = c;
        Q(t, 2 + 2 * f) = s;
        K(t, 1 + 2 * f) = c;
        K(t, 2 + 2 * f) = s;
      }
    }
    Q(kRetrievalQuery, 63) = 14.0f;  // logit 14 * 14 / 8 = 24.5, far above the rest of its row
    K(kRetrievalKey, 63) = 14.0f;
  }
};

/// Exact weights of one row in double precision, the reference for the streamed values.
std::vector<double> referenceRow(const PlantedHead& head, Index row) {
  std::vector<double> logits(static_cast<std::size_t>(row + 1));
  double max = -1e300;
  for (Index j = 0; j <= row; ++j) {
    double dot = 0.0;
    for (Index k = 0; k < PlantedHead::kDimension; ++k) dot += double(head.Q(row, k)) * double(head.K(j, k));
    logits[static_cast<std::size_t>(j)] = dot / 8.0;
    max = std::max(max, logits[static_cast<std::size_t>(j)]);
  }
  double sum = 0.0;
  for (double& logit : logits) sum += (logit = std::exp(logit - max));
  for (double& logit : logits) logit /= sum;
  return logits;
}

TEST(StreamingAttention, PlantedStructureOf32768TokensShowsWhereItWasPlanted) {
  PlantedHead head;
  AttentionOptions options;
  options.causal = true;
  StreamingAttention map(Kernel::Dpa, head.Q, head.K, options);

  // Rows checked against double-precision references: the retrieval row and two ordinary rows.
  for (Index row : {Index{0}, Index{12345}, PlantedHead::kRetrievalQuery}) {
    std::vector<double> expected = referenceRow(head, row);
    RowMatrix streamed = map.tile({row, row + 1, 0, PlantedHead::kTokens});
    for (Index j = 0; j < PlantedHead::kTokens; ++j) {
      double e = j <= row ? expected[static_cast<std::size_t>(j)] : 0.0;
      ASSERT_NEAR(streamed(0, j), e, 2e-5 * e + 1e-12) << "row " << row << " key " << j;
    }
  }
  EXPECT_GT(map.tile({PlantedHead::kRetrievalQuery, PlantedHead::kRetrievalQuery + 1, PlantedHead::kRetrievalKey,
                      PlantedHead::kRetrievalKey + 1})(0, 0),
            0.99f);

  // 1024 x 1024 max-pooled overview: 32 tokens per pixel.
  RowMatrix overview = map.pooled(map.fullRegion(), 1024, 1024, Pooling::Max);
  ASSERT_EQ(overview.rows(), 1024);
  // Retrieval spike: the largest pixel away from the sink column and the diagonal band is the planted one.
  Index bestRow = -1, bestCol = -1;
  float best = -1.0f;
  for (Index p = 0; p < 1024; ++p)
    for (Index q = 1; q < 1024; ++q)
      if (std::abs(p - q) > 1 && overview(p, q) > best) {
        best = overview(p, q);
        bestRow = p;
        bestCol = q;
      }
  EXPECT_EQ(bestRow, PlantedHead::kRetrievalQuery / 32);
  EXPECT_EQ(bestCol, PlantedHead::kRetrievalKey / 32);
  EXPECT_GT(best, 0.99f);
  // Above the diagonal everything is masked: exactly 0.
  EXPECT_EQ(overview.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().cwiseAbs().maxCoeff(), 0.0f);

  // Mean-pooled: the sink column and the diagonal stand far above every pixel more than 96 pixels (3,072 tokens)
  // from the diagonal, whose weights are about 1e-6.
  RowMatrix mean = map.pooled(map.fullRegion(), 1024, 1024, Pooling::Mean);
  Index sinkWins = 0, diagonalWins = 0;
  for (Index p = 128; p < 1024; ++p) {
    if (p == PlantedHead::kRetrievalQuery / 32) continue;   // its far pixels hold the retrieval spike
    float far = mean.row(p).segment(1, p - 97).maxCoeff();  // pixels 1 .. p - 97
    sinkWins += mean(p, 0) > 20 * far ? 1 : 0;
    diagonalWins += mean(p, p) > 20 * far ? 1 : 0;
  }
  EXPECT_EQ(sinkWins, 1024 - 128 - 1);
  EXPECT_EQ(diagonalWins, 1024 - 128 - 1);

  LongRangeStatistics stats = map.statistics();
  EXPECT_EQ(stats.rowsCounted, PlantedHead::kTokens);
  EXPECT_NEAR(stats.meanSinkMass, 0.433, 0.02);
  EXPECT_GT(stats.sinkRate, 0.93);
  EXPECT_LT(stats.sinkRate, 0.98);
  EXPECT_NEAR(stats.recentShare, 0.096, 0.01);
  EXPECT_EQ(stats.futureMass, 0.0);
  ASSERT_EQ(stats.distanceHistogram.size(), 16u);  // distances up to 32767: bins 0 .. 15
  double far = 0.0;
  for (std::size_t b = 13; b < 16; ++b) far += stats.distanceHistogram[b];  // distances 4096 .. 32767
  EXPECT_NEAR(far, 0.38, 0.02);
  EXPECT_NEAR(map.tile({12345, 12346, 0, 1})(0, 0), referenceRow(head, 12345)[0], 1e-6);
}

}  // namespace
}  // namespace attnscope
