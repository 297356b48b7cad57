// Tests of core/model/head_metrics.cpp with attention matrices small enough to check by hand. The whole-model
// statistics are checked against an independent NumPy forward in tests/reference/head_metrics_reference.py.
#include "core/model/head_metrics.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/core/row_matrix_literal.h"

namespace attnscope::model {
namespace {

using test_support::rows;

// A causal 3 x 3 head:
//   query 0: [1, 0, 0]          query 1: [0.5, 0.5, 0]          query 2: [0.2, 0.3, 0.5]
TEST(HeadMetrics, PatternScoresOfACausalHeadByHand) {
  const RowMatrix a = rows({{1, 0, 0}, {0.5f, 0.5f, 0}, {0.2f, 0.3f, 0.5f}});
  const AttentionPatternScores s = attentionPatternScores(a);
  EXPECT_NEAR(s.sinkShare, (1.0 + 0.5 + 0.2) / 3.0, 1e-7);             // 0.5667: Gu et al.'s alpha_1 over all 3 queries
  EXPECT_NEAR(s.previousToken, (0.5 + 0.3) / 2.0, 1e-7);               // a_10 and a_21
  EXPECT_NEAR(s.meanDistance, (0.0 + 0.5 + (0.4 + 0.3)) / 3.0, 1e-7);  // query 2: 0.2 * 2 + 0.3 * 1
  const double h2 = -(0.2 * std::log(0.2) + 0.3 * std::log(0.3) + 0.5 * std::log(0.5));
  EXPECT_NEAR(s.entropyNats, (0.0 + std::log(2.0) + h2) / 3.0, 1e-6);
}

TEST(HeadMetrics, PreviousTokenHeadAndSinkHeadAreRecognised) {
  // A pure previous-token head (query 0 has only itself): score 1, distance (0 + 1 + 1 + 1) / 4, entropy 0.
  const RowMatrix previous = rows({{1, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}});
  const AttentionPatternScores p = attentionPatternScores(previous);
  EXPECT_DOUBLE_EQ(p.previousToken, 1.0);
  EXPECT_DOUBLE_EQ(p.meanDistance, 0.75);
  EXPECT_DOUBLE_EQ(p.entropyNats, 0.0);
  EXPECT_DOUBLE_EQ(p.sinkShare, 0.5);  // queries 0 and 1 attend to token 0
  // A sink head: everything on token 0, so alpha_1 = 1 and the distance is the mean of 0, 1, 2, 3.
  const RowMatrix sink = rows({{1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}});
  const AttentionPatternScores s = attentionPatternScores(sink);
  EXPECT_DOUBLE_EQ(s.sinkShare, 1.0);
  EXPECT_DOUBLE_EQ(s.previousToken, 1.0 / 3.0);  // of queries 1-3, only query 1 has token 0 before it
  EXPECT_DOUBLE_EQ(s.meanDistance, 1.5);
}

TEST(HeadMetrics, UnnormalisedAndMaskedRowsAreHandled) {
  // Row sums 2 and 0: the first is renormalised, the fully masked second adds nothing (and no NaN).
  const RowMatrix a = rows({{2, 0}, {0, 0}});
  const AttentionPatternScores s = attentionPatternScores(a);
  EXPECT_DOUBLE_EQ(s.sinkShare, 0.5);
  EXPECT_DOUBLE_EQ(s.previousToken, 0.0);
  EXPECT_DOUBLE_EQ(s.meanDistance, 0.0);
  EXPECT_DOUBLE_EQ(s.entropyNats, 0.0);
  const AttentionPatternScores one = attentionPatternScores(rows({{1}}));
  EXPECT_DOUBLE_EQ(one.previousToken, 0.0);  // T = 1: no previous token, 0 rather than 0 / 0
}

TEST(HeadMetrics, BadWeightsAreRefused) {
  EXPECT_THROW(attentionPatternScores(rows({{1, 0, 0}, {0, 1, 0}})), InputError);   // not square
  EXPECT_THROW(attentionPatternScores(rows({{1, 0}, {-0.5f, 1.5f}})), InputError);  // negative
  EXPECT_THROW(attentionPatternScores(rows({{1, 0}, {NAN, 1}})), InputError);
  EXPECT_THROW(attentionPatternScores(RowMatrix(0, 0)), InputError);
}

TEST(HeadMetrics, InductionScoreReadsTheTokenAfterThePreviousOccurrence) {
  // BOS + [a, b] + [a, b]: positions 0 | 1 2 | 3 4. Query 3 (second a) should look at 2 (b, which followed the first
  // a); query 4 (second b) at 3 (the second a, which followed the first b): i - period + 1 = 2 and 3.
  RowMatrix a = RowMatrix::Zero(5, 5);
  a(0, 0) = 1;
  a(1, 0) = 1;
  a(2, 1) = 1;
  a(3, 2) = 0.8f, a(3, 0) = 0.2f;  // 0.8 on the induction target
  a(4, 3) = 0.4f, a(4, 4) = 0.6f;  // 0.4 on the induction target
  EXPECT_NEAR(inductionScore(a, 1, 2), (0.8 + 0.4) / 2.0, 1e-7);
  EXPECT_THROW(inductionScore(a, 1, 3), InputError);  // 1 + 2 * 3 = 7 tokens, not 5
  EXPECT_THROW(inductionScore(a, -1, 3), InputError);
}

TEST(HeadMetrics, RepeatedRandomTokensAreDistinctRepeatedSeededAndAvoidThePrefix) {
  const std::vector<int> prefix = {1};
  const std::vector<int> tokens = repeatedRandomTokens(prefix, 50, 20, 7);
  ASSERT_EQ(tokens.size(), 41u);
  EXPECT_EQ(tokens[0], 1);
  const std::set<int> distinct(tokens.begin() + 1, tokens.begin() + 21);
  EXPECT_EQ(distinct.size(), 20u);
  EXPECT_EQ(distinct.count(1), 0u);
  for (int j = 0; j < 20; ++j) EXPECT_EQ(tokens[1 + j], tokens[21 + j]);
  for (int id : tokens) EXPECT_TRUE(id >= 0 && id < 50);
  EXPECT_EQ(repeatedRandomTokens(prefix, 50, 20, 7), tokens);
  EXPECT_NE(repeatedRandomTokens(prefix, 50, 20, 8), tokens);
  // All 49 ids outside the prefix can be used, not one more.
  EXPECT_EQ(repeatedRandomTokens(prefix, 50, 49, 1).size(), 99u);
  EXPECT_THROW(repeatedRandomTokens(prefix, 50, 50, 1), InputError);
  EXPECT_THROW(repeatedRandomTokens(prefix, 50, 0, 1), InputError);
}

TEST(HeadMetrics, TableOfTwoHeadsWithSinkRateAndNamedStatistics) {
  ModelCapture capture;
  capture.layers = 1, capture.heads = 2, capture.tokens = 2, capture.headDim = 2;
  capture.attention = {rows({{1, 0}, {1, 0}}), rows({{1, 0}, {0, 1}})};
  capture.queries = {rows({{3, 4}, {0, 0}}), rows({{1, 0}, {0, 1}})};
  capture.keys = {rows({{0, 2}, {0, 2}}), rows({{1, 0}, {0, 1}})};
  HeadMetricsOptions options;
  options.divergence.reset();
  const HeadMetricsTable table = headMetrics(capture, nullptr, 0, 0, options);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_TRUE(table.rows[0].sink);  // alpha_1 = 1
  EXPECT_TRUE(table.rows[1].sink);  // alpha_1 = 0.5 > 0.3
  EXPECT_DOUBLE_EQ(table.rows[1].pattern.sinkShare, 0.5);
  EXPECT_DOUBLE_EQ(table.sinkRate, 1.0);
  options.sinkThreshold = 0.6;
  const HeadMetricsTable stricter = headMetrics(capture, nullptr, 0, 0, options);
  EXPECT_FALSE(stricter.rows[1].sink);
  EXPECT_DOUBLE_EQ(stricter.sinkRate, 0.5);
  EXPECT_DOUBLE_EQ(table.rows[0].queryNorm, 2.5);  // (5 + 0) / 2
  EXPECT_DOUBLE_EQ(table.rows[0].keyNorm, 2.0);
  EXPECT_FALSE(table.rows[0].induction.has_value());
  EXPECT_FALSE(table.rows[0].value(HeadMetric::Divergence).has_value());
  EXPECT_DOUBLE_EQ(*table.rows[1].value(HeadMetric::QueryNorm), 1.0);
  for (HeadMetric metric : allHeadMetrics()) EXPECT_EQ(parseHeadMetric(headMetricName(metric)), metric);
  EXPECT_THROW(parseHeadMetric("sinks"), InputError);
}

}  // namespace
}  // namespace attnscope::model
