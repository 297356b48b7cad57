// core/train: the hand-checkable gradients of MATH.md section 5, central finite differences of the whole model for
// every kernel and both regularisers (double), float against double, and the training forward against the core's
// inference kernels.
#include "core/train/transformer.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>

#include "core/attention_kernels.h"
#include "core/divergence.h"
#include "tests/core/row_matrix_literal.h"
#include "train_test_models.h"

namespace attnscope::train {
namespace {

using MatD = Matrix<double>;

MatD rows(std::initializer_list<std::initializer_list<double>> values) {
  return test_support::rows<MatD>(values);
}

struct HandCase {
  Kernel kernel;
  std::vector<double> weights, dq, dK;
  double output;
};

// MATH.md section 5: q = (1, 0.5), keys (0,1), (1,0), (2,1), v = (1, 2, 3), s = 1. The causal head puts q in the last
// row (which sees every key) and uses s = 1/sqrt(2), so q is fed in scaled by sqrt(2): do/dq = sqrt(2) do/dq_fed.
TEST(TrainHeadAttention, HandCheckableGradientsOfMathSection5) {
  const std::vector<HandCase> cases = {
      {Kernel::Dpa,
       {0.099624, 0.164252, 0.736125},
       {0.430615, 0.104546},
       {-0.163034, -0.081517, -0.104546, -0.052273, 0.267581, 0.133790},
       2.636501},
      {Kernel::Ea,
       {0.128035, 0.320088, 0.551876},
       {-0.065494, -0.548280},
       {-0.583366, -0.291683, -0.135667, -0.067833, 0.035086, 0.017543},
       2.423841},
      {Kernel::EaPure,
       {0.033333, 0.133333, 0.833333},
       {0.053333, -0.106667},
       {-0.240000, -0.120000, -0.213333, -0.106667, 0.133333, 0.066667},
       2.800000},
  };
  const double root2 = std::sqrt(2.0);
  for (const HandCase& hand : cases) {
    SCOPED_TRACE(std::string(kernelName(hand.kernel)));
    HeadKernelOptions options;
    options.kernel = hand.kernel;
    const MatD Q = rows({{0.3, -0.2}, {0.5, 0.9}, {root2 * 1.0, root2 * 0.5}});
    const MatD K = rows({{0, 1}, {1, 0}, {2, 1}});
    MatD A;
    headWeights<double>(options, Q, K, nullptr, A);
    const Eigen::RowVector3d v(1, 2, 3);
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(A(2, j), hand.weights[j], 1e-6);
    EXPECT_NEAR(A.row(2).dot(v), hand.output, 1e-6);
    MatD dA = MatD::Zero(3, 3);
    dA.row(2) = v;
    MatD dQ = MatD::Zero(3, 2), dK = MatD::Zero(3, 2);
    headWeightsBackward<double>(options, Q, K, nullptr, A, dA, dQ, dK, nullptr);
    EXPECT_NEAR(dQ(2, 0) * root2, hand.dq[0], 1e-6);
    EXPECT_NEAR(dQ(2, 1) * root2, hand.dq[1], 1e-6);
    EXPECT_EQ(dQ.row(0).norm(), 0.0);  // rows with zero upstream gradient contribute nothing
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(dK(i / 2, i % 2), hand.dK[i], 1e-6);
  }
}

// MATH.md section 5, CT: keys {(1,1), (-1,0.5)}, queries {(1,0), (0,2)}.
TEST(TrainAlignment, CtHandCheckableGradient) {
  const MatD K = rows({{1, 1}, {-1, 0.5}}), Q = rows({{1, 0}, {0, 2}});
  MatD dQ = MatD::Zero(2, 2), dK = MatD::Zero(2, 2);
  const double value = ctWithGradient<double>(Q, K, AlignmentOptions{}, 1.0, dQ, dK);
  EXPECT_NEAR(value, 0.963942, 1e-6);
  EXPECT_NEAR(dQ(0, 0), 0.0, 1e-6);
  EXPECT_NEAR(dQ(0, 1), -0.323520, 1e-6);
  EXPECT_NEAR(dQ(1, 0), 0.010005, 1e-6);
  EXPECT_NEAR(dQ(1, 1), 0.0, 1e-6);
  EXPECT_NEAR(dK(0, 0), -0.039266, 1e-6);
  EXPECT_NEAR(dK(0, 1), 0.039266, 1e-6);
  EXPECT_NEAR(dK(1, 0), -0.105999, 1e-6);
  EXPECT_NEAR(dK(1, 1), -0.211998, 1e-6);
}

// The regularisers' values are the core's divergences (core/divergence.h), computed independently there.
TEST(TrainAlignment, ValuesEqualCoreDivergences) {
  std::mt19937 engine(7);
  std::normal_distribution<double> normal;
  MatD Q(9, 4), K(7, 4);
  for (double& x : Q.reshaped()) x = normal(engine);
  for (double& x : K.reshaped()) x = normal(engine);
  MatD dQ = MatD::Zero(9, 4), dK = MatD::Zero(7, 4);
  const RowMatrix Qf = Q.cast<float>(), Kf = K.cast<float>();
  const double ct = ctWithGradient<double>(Q, K, AlignmentOptions{}, 1.0, dQ, dK);
  EXPECT_NEAR(ct, ctDivergence(Qf, Kf).value, 1e-5);
  const double mmd = mmdWithGradient<double>(Q, K, AlignmentOptions{}, 1.0, dQ, dK);
  EXPECT_NEAR(mmd, mmdDivergence(Qf, Kf, false).value, 1e-5);
}

using testing::smallTrainConfig;

/// The shared seeded weights (train_test_models.h), from the engine seed + 1.
template <typename S>
void randomiseForGradientCheck(Transformer<S>& model, unsigned seed) {
  std::mt19937 engine(seed + 1);
  testing::seedFarFromUniform(model, seed, engine);
}

TokenBatch smallBatch(unsigned seed) {
  TokenBatch batch;
  batch.batch = 2;
  batch.length = 5;
  std::mt19937 engine(seed);
  for (int i = 0; i < 10; ++i) {
    batch.inputs.push_back(static_cast<int>(engine() % 7));
    batch.targets.push_back(static_cast<int>(engine() % 7));
    batch.weights.push_back(i % 3 == 1 ? 0.0f : 1.0f);
  }
  return batch;
}

struct GradientCase {
  Kernel kernel;
  AlignmentKind align;
  bool learnVariances = false;
};

class TrainGradientTest : public ::testing::TestWithParam<GradientCase> {};

// Central differences (h = 1e-5) of the double model against the analytic gradient, on up to 16 evenly spaced
// entries of every parameter tensor:
// |analytic - numeric| <= 1e-6 + 1e-5 |numeric| (the truncation error is O(h^2) ~ 1e-10 times third derivatives).
TEST_P(TrainGradientTest, MatchesFiniteDifferences) {
  const GradientCase c = GetParam();
  ModelConfig config = smallTrainConfig(c.kernel, c.align, c.learnVariances);
  config.alignment.mmdBandwidth = 1.3;  // the median heuristic is a stop-gradient; fix sigma for differences
  Transformer<double> model(config);
  randomiseForGradientCheck(model, 11);
  const TokenBatch batch = smallBatch(5);
  std::vector<MatD> gradients;
  model.lossAndGradients(batch, &gradients);
  const double h = 1e-5;
  double worst = 0.0;
  std::string worstName;
  for (size_t p = 0; p < model.parameters().size(); ++p) {
    MatD& value = model.parameters()[p].value;
    const Eigen::Index stride = std::max<Eigen::Index>(1, value.size() / 16);
    for (Eigen::Index i = 0; i < value.size(); i += stride) {
      double& x = value.data()[i];
      const double saved = x;
      x = saved + h;
      const double plus = model.lossAndGradients(batch, nullptr).loss;
      x = saved - h;
      const double minus = model.lossAndGradients(batch, nullptr).loss;
      x = saved;
      const double numeric = (plus - minus) / (2 * h);
      const double error = std::abs(gradients[p].data()[i] - numeric) / (1e-6 + 1e-5 * std::abs(numeric));
      if (error > worst) {
        worst = error;
        worstName = model.parameters()[p].name + "[" + std::to_string(i) + "] analytic " +
                    std::to_string(gradients[p].data()[i]) + " numeric " + std::to_string(numeric);
      }
    }
  }
  EXPECT_LE(worst, 1.0) << worstName;
}

// float32 storage and arithmetic against the double model on the same (float-representable) weights: the gradient
// of every tensor within 1e-4 of its largest entry, so float accumulation is enough at these sizes.
TEST_P(TrainGradientTest, FloatAgreesWithDouble) {
  const GradientCase c = GetParam();
  const ModelConfig config = smallTrainConfig(c.kernel, c.align, c.learnVariances);
  Transformer<double> exact(config);
  randomiseForGradientCheck(exact, 11);
  Transformer<float> single(config);
  copyParameters(exact, single);
  const TokenBatch batch = smallBatch(5);
  std::vector<MatD> reference;
  std::vector<Matrix<float>> gradients;
  const double lossExact = exact.lossAndGradients(batch, &reference).loss;
  const double lossSingle = single.lossAndGradients(batch, &gradients).loss;
  EXPECT_NEAR(lossSingle, lossExact, 1e-5 * std::abs(lossExact));
  for (size_t p = 0; p < reference.size(); ++p) {
    const double scale = reference[p].cwiseAbs().maxCoeff();
    if (scale == 0.0) continue;
    EXPECT_LE((gradients[p].cast<double>() - reference[p]).cwiseAbs().maxCoeff(), 1e-4 * scale)
        << exact.parameters()[p].name;
  }
}

std::vector<GradientCase> allCases() {
  std::vector<GradientCase> cases;
  for (Kernel k : kAllKernels) cases.push_back({k, AlignmentKind::None});
  cases.push_back({Kernel::Dpa, AlignmentKind::Ct});
  cases.push_back({Kernel::Dpa, AlignmentKind::Mmd});
  cases.push_back({Kernel::Mgk, AlignmentKind::Ct});
  cases.push_back({Kernel::Ea, AlignmentKind::Mmd});
  cases.push_back({Kernel::Mgk, AlignmentKind::None, true});
  cases.push_back({Kernel::MgkHard, AlignmentKind::None, true});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllKernels, TrainGradientTest, ::testing::ValuesIn(allCases()),
                         [](const ::testing::TestParamInfo<GradientCase>& info) {
                           std::string name(kernelName(info.param.kernel));
                           for (char& ch : name) ch = ch == '-' ? '_' : ch;
                           return name + "_" + alignmentKindName(info.param.align) +
                                  (info.param.learnVariances ? "_learned_sigma2" : "");
                         });

// The training forward's attention is the core's inference kernel on the same Q and K (causal), for every kernel.
TEST(TrainHeadAttention, ForwardEqualsCoreKernels) {
  std::mt19937 engine(3);
  const int T = 6, hd = 4;
  std::normal_distribution<float> normal;
  Matrix<float> Q(T, hd), K(T, hd), shifts(2, hd);
  for (float& x : Q.reshaped()) x = normal(engine);
  for (float& x : K.reshaped()) x = normal(engine);
  for (float& x : shifts.reshaped()) x = normal(engine);
  HeadMixture<float> mixture{shifts, RowVec<float>(2)};
  mixture.priors << 0.6f, 0.3f;
  for (Kernel kernel : kAllKernels) {
    SCOPED_TRACE(std::string(kernelName(kernel)));
    HeadKernelOptions options;
    options.kernel = kernel;
    options.variances = {2.0, 2.0};
    Matrix<float> A;
    headWeights<float>(options, Q, K, &mixture, A);
    AttentionOptions core;
    core.causal = true;
    core.gaussian.shifts = shifts;
    core.gaussian.priors = mixture.priors.transpose();
    core.gaussian.variances = Vector::Constant(2, 2.0f);
    const RowMatrix expected = computeAttention(kernel, Q, K, core).weights;
    EXPECT_LE((A - expected).cwiseAbs().maxCoeff(), 2e-6f);
  }
}

TEST(TrainTransformer, SameSeedSameModelAndLoss) {
  const ModelConfig config = smallTrainConfig(Kernel::Mgk, AlignmentKind::Ct);
  Transformer<float> a(config), b(config), c(config);
  a.initialise(42);
  b.initialise(42);
  c.initialise(43);
  const TokenBatch batch = smallBatch(1);
  std::vector<Matrix<float>> ga, gb;
  EXPECT_EQ(a.lossAndGradients(batch, &ga).loss, b.lossAndGradients(batch, &gb).loss);
  for (size_t p = 0; p < ga.size(); ++p) EXPECT_EQ(ga[p], gb[p]);
  EXPECT_NE(a.parameters()[0].value, c.parameters()[0].value);
  // At GPT-2's initialisation the logits are nearly 0: the loss is close to log(vocab).
  EXPECT_NEAR(a.lossAndGradients(batch, nullptr).crossEntropy, std::log(7.0), 0.05);
}

// The batch is cut into a fixed number of chunks whatever the thread count (transformer.cpp), so one and two OpenMP
// threads give the same loss and gradients bit for bit. Six sequences make four uneven chunks (1, 2, 1, 2).
TEST(TrainTransformer, SameLossAndGradientsAtOneAndTwoThreads) {
  const ModelConfig config = smallTrainConfig(Kernel::Mgk, AlignmentKind::Ct);
  Transformer<float> model(config);
  std::mt19937 engine(8);
  testing::seedFarFromUniform(model, 7, engine);
  TokenBatch batch;
  batch.batch = 6;
  batch.length = 5;
  for (int i = 0; i < 30; ++i) {
    batch.inputs.push_back(static_cast<int>(engine() % 7));
    batch.targets.push_back(static_cast<int>(engine() % 7));
  }
  const int saved = omp_get_max_threads();
  std::vector<Matrix<float>> one, two;
  omp_set_num_threads(1);
  const LossReport a = model.lossAndGradients(batch, &one);
  omp_set_num_threads(2);
  const LossReport b = model.lossAndGradients(batch, &two);
  omp_set_num_threads(saved);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.alignment, b.alignment);
  ASSERT_EQ(one.size(), model.parameters().size());
  for (size_t p = 0; p < one.size(); ++p) EXPECT_EQ(one[p], two[p]) << model.parameters()[p].name;
  EXPECT_GT(one[0].norm(), 0.0f);
}

}  // namespace
}  // namespace attnscope::train
