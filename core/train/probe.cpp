// The probe of the Train workspace (probe.h). The forward is written against the model's public parameters (names as
// in GPT2LMHeadModel) so it stays independent of how transformer.cpp organises its own batched forward; the test
// checks it against Transformer::attentionWeights.
#include "core/train/probe.h"

#include <cmath>
#include <numbers>
#include <string>

#include "core/error.h"
#include "core/geometry.h"

namespace attnscope::train {
namespace {

const Matrix<float>& parameter(const Transformer<float>& model, const std::string& name) {
  const int index = model.find(name);
  if (index < 0) throw InputError("probe: the model has no parameter " + name);
  return model.parameters()[static_cast<size_t>(index)].value;
}

/// LayerNorm of every row of x (T x d) with gain and bias (1 x d each).
Matrix<float> layerNorm(const Matrix<float>& x, const Matrix<float>& gain, const Matrix<float>& bias, float epsilon) {
  Matrix<float> y(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float mean = x.row(r).mean();
    const RowVec<float> centred = (x.row(r).array() - mean).matrix();
    const float inverseStd = 1.0f / std::sqrt(centred.squaredNorm() / static_cast<float>(x.cols()) + epsilon);
    y.row(r) = (centred * inverseStd).cwiseProduct(gain.row(0)) + bias.row(0);
  }
  return y;
}

/// GPT-2's gelu_new (tanh approximation), elementwise.
Matrix<float> gelu(const Matrix<float>& x) {
  const float c = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
  const auto a = x.array();
  return (0.5f * a * (1.0f + (c * (a + 0.044715f * a.cube())).tanh())).matrix();
}

}  // namespace

std::vector<HeadProbe> probeHeads(const Transformer<float>& model, const std::vector<int>& tokens) {
  const ModelConfig& config = model.config();
  const int T = static_cast<int>(tokens.size()), d = config.dim, H = config.heads, hd = config.headDim();
  if (T < 1 || T > config.context) {
    throw InputError("probe: " + std::to_string(T) + " tokens; the model takes 1 to " + std::to_string(config.context));
  }
  const Matrix<float>& tokenEmbedding = parameter(model, "transformer.wte.weight");
  const Matrix<float>& positionEmbedding = parameter(model, "transformer.wpe.weight");
  Matrix<float> hidden(T, d);
  for (int t = 0; t < T; ++t) {
    if (tokens[t] < 0 || tokens[t] >= config.vocab) {
      throw InputError("probe: token id " + std::to_string(tokens[t]) + " outside the vocabulary of " +
                       std::to_string(config.vocab));
    }
    hidden.row(t) = tokenEmbedding.row(tokens[t]) + positionEmbedding.row(t);
  }
  const HeadKernelOptions headOptions = config.headOptions();
  const bool mixture = kernelHasMixture(config.kernel);
  const int R = config.mgkComponents;
  const float epsilon = static_cast<float>(config.layerNormEpsilon);
  std::vector<HeadProbe> probes;
  probes.reserve(static_cast<size_t>(config.layers) * H);
  Matrix<float> heads(T, d);
  for (int l = 0; l < config.layers; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    Matrix<float> qkv =
        layerNorm(hidden, parameter(model, p + "ln_1.weight"), parameter(model, p + "ln_1.bias"), epsilon) *
        parameter(model, p + "attn.c_attn.weight");
    qkv.rowwise() += parameter(model, p + "attn.c_attn.bias").row(0);
    for (int h = 0; h < H; ++h) {
      HeadMixture<float> m;
      if (mixture) {
        m.shifts = parameter(model, p + "attn.mgk_shifts").middleRows(static_cast<Eigen::Index>(h) * R, R);
        m.priors = parameter(model, p + "attn.mgk_priors").row(h);
        if (config.hasLearnedVariances()) m.logVariances = parameter(model, p + "attn.mgk_log_variances").row(h);
      }
      HeadProbe probe;
      const Matrix<float> Q = qkv.middleCols(h * hd, hd), K = qkv.middleCols(d + h * hd, hd);
      Matrix<float> A;
      headWeights<float>(headOptions, Q, K, mixture ? &m : nullptr, A);
      heads.middleCols(h * hd, hd) = A * qkv.middleCols(2 * d + h * hd, hd);
      probe.queries = Q;
      probe.keys = K;
      probe.weights = A;
      probes.push_back(std::move(probe));
    }
    hidden += heads * parameter(model, p + "attn.c_proj.weight");
    hidden.rowwise() += parameter(model, p + "attn.c_proj.bias").row(0);
    Matrix<float> inner =
        layerNorm(hidden, parameter(model, p + "ln_2.weight"), parameter(model, p + "ln_2.bias"), epsilon) *
        parameter(model, p + "mlp.c_fc.weight");
    inner.rowwise() += parameter(model, p + "mlp.c_fc.bias").row(0);
    hidden += gelu(inner) * parameter(model, p + "mlp.c_proj.weight");
    hidden.rowwise() += parameter(model, p + "mlp.c_proj.bias").row(0);
  }
  return probes;
}

WeightedPairFractions attentionWeightedFractions(const MatrixView& Q, const MatrixView& K, const MatrixView& A,
                                                 float bandDegrees) {
  if (A.rows() != Q.rows() || A.cols() != K.rows()) {
    throw InputError("weighted fractions: attention is " + std::to_string(A.rows()) + " x " + std::to_string(A.cols()) +
                     " for " + std::to_string(Q.rows()) + " queries and " + std::to_string(K.rows()) + " keys");
  }
  if (!A.allFinite()) throw InputError("weighted fractions: the attention weights contain NaN or Inf");
  PairClassOptions options;
  options.bandDegrees = bandDegrees;
  const PairClassification classes = classifyPairs(cosineMatrix(Q, K), options);
  double mass[4] = {0.0, 0.0, 0.0, 0.0};
  for (Eigen::Index i = 0; i < A.rows(); ++i) {
    for (Eigen::Index j = 0; j < A.cols(); ++j) {
      const std::uint8_t c = classes.classes(i, j);
      if (c <= static_cast<std::uint8_t>(PairClass::other) && A(i, j) > 0.0f) mass[c] += A(i, j);
    }
  }
  const double total = mass[0] + mass[1] + mass[2] + mass[3];
  WeightedPairFractions result;
  if (total > 0.0) {
    result.parallel = mass[int(PairClass::parallel)] / total;
    result.orthogonal = mass[int(PairClass::orthogonal)] / total;
    result.antiparallel = mass[int(PairClass::antiparallel)] / total;
    result.other = mass[int(PairClass::other)] / total;
  }
  return result;
}

}  // namespace attnscope::train
