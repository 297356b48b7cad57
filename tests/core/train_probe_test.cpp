// core/train/probe.h: the probe forward against Transformer::attentionWeights and a softmax recomputed from its own
// Q and K, and the attention-weighted pair fractions on a hand-made head.
#include "core/train/probe.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "tests/core/train_test_models.h"

namespace attnscope::train {
namespace {

TEST(TrainProbe, WeightsEqualTheModelsOwnForwardForEveryKernelAndLayer) {
  const std::vector<int> tokens{3, 0, 6, 2, 2, 5};
  for (Kernel kernel : {Kernel::Dpa, Kernel::Ea, Kernel::Mgk, Kernel::Mlk, Kernel::Cosine}) {
    Transformer<float> model(testing::smallTrainConfig(kernel, AlignmentKind::None, kernel == Kernel::Mgk));
    std::mt19937 engine(11);
    testing::seedFarFromUniform(model, 4, engine);
    const std::vector<HeadProbe> probes = probeHeads(model, tokens);
    const std::vector<Matrix<float>> reference = model.attentionWeights(tokens);
    ASSERT_EQ(probes.size(), reference.size());
    ASSERT_EQ(probes.size(), 4u);  // 2 layers x 2 heads
    for (size_t h = 0; h < probes.size(); ++h) {
      EXPECT_EQ(probes[h].queries.rows(), 6);
      EXPECT_EQ(probes[h].queries.cols(), 4);  // d_head = 8 / 2
      EXPECT_EQ(probes[h].keys.rows(), 6);
      EXPECT_LT((probes[h].weights - RowMatrix(reference[h])).cwiseAbs().maxCoeff(), 1e-5f)
          << kernelName(kernel) << " head " << h;
    }
  }
}

TEST(TrainProbe, DpaWeightsAreTheCausalSoftmaxOfTheProbesQueriesAndKeys) {
  Transformer<float> model(testing::smallTrainConfig(Kernel::Dpa));
  std::mt19937 engine(5);
  testing::seedFarFromUniform(model, 2, engine);
  const std::vector<HeadProbe> probes = probeHeads(model, {1, 4, 4, 0, 6});
  for (const HeadProbe& p : probes) {
    for (int i = 0; i < 5; ++i) {
      double total = 0.0;
      std::vector<double> e(5, 0.0);
      for (int j = 0; j <= i; ++j) total += e[j] = std::exp(p.queries.row(i).dot(p.keys.row(j)) / 2.0);  // sqrt(4)
      for (int j = 0; j < 5; ++j) EXPECT_NEAR(p.weights(i, j), j <= i ? e[j] / total : 0.0, 1e-5);
    }
  }
}

TEST(TrainProbe, RefusesSequencesTheModelCannotRun) {
  Transformer<float> model(testing::smallTrainConfig(Kernel::Dpa));
  model.initialise(1);
  EXPECT_THROW(probeHeads(model, {}), InputError);
  EXPECT_THROW(probeHeads(model, {0, 1, 2, 3, 4, 5, 6}), InputError);  // context 6
  EXPECT_THROW(probeHeads(model, {0, 7}), InputError);                 // vocabulary 7
}

TEST(TrainProbe, WeightedFractionsOfAHandMadeHead) {
  // Queries e1, e2; keys e1, e2, -e1, (1, 1) at 45 degrees to both, and a zero key with no angle.
  RowMatrix Q(2, 2), K(5, 2), A(2, 5);
  Q << 1, 0, 0, 1;
  K << 1, 0, 0, 1, -1, 0, 1, 1, 0, 0;
  A << 0.4f, 0.2f, 0.2f, 0.1f, 0.1f,  //
      0.1f, 0.5f, 0.2f, 0.1f, 0.1f;
  // Mass on pairs with an angle: 0.9 per row, 1.8 in all. Parallel (q1 k1, q2 k2): 0.4 + 0.5; orthogonal (q1 k2,
  // q2 k1, q2 k3): 0.2 + 0.1 + 0.2; antiparallel (q1 k3): 0.2; other (both with k4): 0.1 + 0.1.
  const WeightedPairFractions f = attentionWeightedFractions(Q, K, A, 15.0f);
  EXPECT_NEAR(f.parallel, 0.9 / 1.8, 1e-6);
  EXPECT_NEAR(f.orthogonal, 0.5 / 1.8, 1e-6);
  EXPECT_NEAR(f.antiparallel, 0.2 / 1.8, 1e-6);
  EXPECT_NEAR(f.other, 0.2 / 1.8, 1e-6);
  // A 46-degree band is refused (the classes would overlap); 44 degrees leaves the 45-degree key in "other" still.
  EXPECT_THROW(attentionWeightedFractions(Q, K, A, 46.0f), InputError);
  EXPECT_NEAR(attentionWeightedFractions(Q, K, A, 44.0f).other, 0.2 / 1.8, 1e-6);
  // No weight on any pair with an angle: all four are 0, never NaN.
  RowMatrix onlyZeroKey = RowMatrix::Zero(2, 5);
  onlyZeroKey.col(4).setOnes();
  const WeightedPairFractions none = attentionWeightedFractions(Q, K, onlyZeroKey, 15.0f);
  EXPECT_EQ(none.parallel + none.orthogonal + none.antiparallel + none.other, 0.0);
  EXPECT_THROW(attentionWeightedFractions(Q, K, RowMatrix::Zero(2, 4), 15.0f), InputError);
}

}  // namespace
}  // namespace attnscope::train
