// Forward and hand-derived backward of the training transformer. Activations are (B T) x features, one token per
// row, so every projection is one GEMM over the whole batch; attention runs per (sequence, head) pair in parallel,
// each pair writing its own blocks, and per-pair partial gradients are reduced in a fixed order (deterministic for a
// given thread count and seed).
#include "core/train/transformer.h"

#include <cmath>
#include <numbers>
#include <random>

#include "core/error.h"
#include "core/random_matrix.h"

namespace attnscope::train {
namespace {

// Per-layer parameter slots, in GPT2LMHeadModel's order; the last two exist only for mixture kernels.
enum Slot {
  Ln1Weight,
  Ln1Bias,
  AttnWeight,
  AttnBias,
  ProjWeight,
  ProjBias,
  Ln2Weight,
  Ln2Bias,
  FcWeight,
  FcBias,
  OutWeight,
  OutBias,
  MgkShifts,
  MgkPriors,
  MgkLogVariances,
};
constexpr int kTokenEmbedding = 0, kPositionEmbedding = 1, kLayersBegin = 2;

int slotsPerLayer(const ModelConfig& config) {
  return config.hasLearnedVariances() ? 15 : kernelHasMixture(config.kernel) ? 14 : 12;
}
int layerIndex(const ModelConfig& config, int layer, Slot slot) {
  return kLayersBegin + layer * slotsPerLayer(config) + slot;
}
int finalNormIndex(const ModelConfig& config) {
  return kLayersBegin + config.layers * slotsPerLayer(config);
}

/// LayerNorm over each row: y = xhat * gain + bias with xhat = (x - mean) / sqrt(var + eps). Keeps xhat and 1/std.
template <typename S>
void layerNormForward(const Matrix<S>& x, const Matrix<S>& gain, const Matrix<S>& bias, S epsilon, Matrix<S>& xhat,
                      RowVec<S>& inverseStd, Matrix<S>& y) {
  const Eigen::Index rows = x.rows(), cols = x.cols();
  xhat.resize(rows, cols);
  inverseStd.resize(rows);
  for (Eigen::Index r = 0; r < rows; ++r) {
    const S mean = x.row(r).mean();
    xhat.row(r) = (x.row(r).array() - mean).matrix();
    inverseStd(r) = S(1) / std::sqrt(xhat.row(r).squaredNorm() / static_cast<S>(cols) + epsilon);
    xhat.row(r) *= inverseStd(r);
  }
  y = xhat * gain.row(0).asDiagonal();
  y.rowwise() += bias.row(0);
}

/// Adds dLoss/dx of a LayerNorm to dx and its parameter gradients to dGain, dBias.
template <typename S>
void layerNormBackward(const Matrix<S>& xhat, const RowVec<S>& inverseStd, const Matrix<S>& gain, const Matrix<S>& dy,
                       Matrix<S>& dx, Matrix<S>& dGain, Matrix<S>& dBias) {
  dGain.row(0) += dy.cwiseProduct(xhat).colwise().sum();
  dBias.row(0) += dy.colwise().sum();
  const Matrix<S> dxhat = dy * gain.row(0).asDiagonal();
  const S cols = static_cast<S>(xhat.cols());
  for (Eigen::Index r = 0; r < xhat.rows(); ++r) {
    const S meanGrad = dxhat.row(r).sum() / cols;
    const S meanGradXhat = dxhat.row(r).dot(xhat.row(r)) / cols;
    dx.row(r) += inverseStd(r) * (dxhat.row(r).array() - meanGrad - xhat.row(r).array() * meanGradXhat).matrix();
  }
}

/// GPT-2's gelu_new, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise with Eigen's vectorised tanh.
template <typename S>
Matrix<S> gelu(const Matrix<S>& x) {
  const S c = static_cast<S>(std::sqrt(2.0 / std::numbers::pi));
  const auto a = x.array();
  return (S(0.5) * a * (S(1) + (c * (a + S(0.044715) * a.cube())).tanh())).matrix();
}
/// Its derivative, 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2) with t the tanh above.
template <typename S>
Matrix<S> geluDerivative(const Matrix<S>& x) {
  const S c = static_cast<S>(std::sqrt(2.0 / std::numbers::pi));
  const auto a = x.array();
  const auto t = (c * (a + S(0.044715) * a.cube())).tanh().eval();
  return (S(0.5) * (S(1) + t) + S(0.5) * a * (S(1) - t.square()) * c * (S(1) + S(3 * 0.044715) * a.square())).matrix();
}

template <typename S>
Parameter<S> makeParameter(std::string name, std::vector<int64_t> shape, Eigen::Index rows, Eigen::Index cols) {
  return {std::move(name), std::move(shape), Matrix<S>::Zero(rows, cols)};
}

}  // namespace

void ModelConfig::validate() const {
  auto positive = [](int value, const char* name) {
    if (value < 1)
      throw InputError(std::string("--") + name + " must be at least 1 (got " + std::to_string(value) + ")");
  };
  positive(layers, "layers");
  positive(heads, "heads");
  positive(dim, "dim");
  positive(context, "context");
  positive(vocab, "vocab");
  if (dim % heads != 0) {
    throw InputError("--dim " + std::to_string(dim) + " is not a multiple of --heads " + std::to_string(heads));
  }
  if (kernelHasMixture(kernel)) positive(mgkComponents, "components");
  if (!variances.empty() && static_cast<int>(variances.size()) != mgkComponents) {
    throw InputError("MGK variances: " + std::to_string(variances.size()) + " given for " +
                     std::to_string(mgkComponents) + " components");
  }
  for (double v : variances) {
    if (!(v > 0.0) || !std::isfinite(v)) throw InputError("MGK variances must be finite and > 0");
  }
  if (!(cosineTemperature > 0.0) || !std::isfinite(cosineTemperature)) {
    throw InputError("cosine temperature must be finite and > 0");
  }
  if (alignment.kind != AlignmentKind::None && (!(alignment.weight >= 0.0) || !std::isfinite(alignment.weight))) {
    throw InputError("--align-weight must be finite and >= 0");
  }
  if (!(alignment.tau > 0.0) || !(alignment.rho >= 0.0 && alignment.rho <= 1.0)) {
    throw InputError("alignment: tau must be > 0 and rho in [0, 1]");
  }
}

HeadKernelOptions ModelConfig::headOptions() const {
  HeadKernelOptions options;
  options.kernel = kernel;
  options.expressiveForm = expressiveForm;
  options.cosineTemperature = cosineTemperature;
  options.variances = variances;
  if (options.variances.empty() && kernelHasMixture(kernel)) {
    options.variances.assign(static_cast<size_t>(mgkComponents), std::sqrt(static_cast<double>(headDim())));
  }
  return options;
}

double trainingMemoryBytes(const ModelConfig& config, int batch, int length) {
  const double d = config.dim, L = config.layers, V = config.vocab, C = config.context, H = config.heads;
  const double bt = static_cast<double>(batch) * length;
  const double parameters = V * d + C * d + L * (12.0 * d * d + 13.0 * d) + 2.0 * d;
  // Per layer: about 16 d floats per token of activations plus B H T^2 attention weights; logits B T V; twice for
  // the backward's temporaries.
  const double activations = L * (16.0 * d * bt + H * bt * length) + 2.0 * bt * V;
  return 4.0 * (4.0 * parameters + 2.0 * activations);
}

template <typename S>
Transformer<S>::Transformer(const ModelConfig& config) : config_(config) {
  config_.validate();
  const int d = config_.dim, inner = config_.mlpDim(), H = config_.heads, hd = config_.headDim();
  const int R = config_.mgkComponents;
  parameters_.push_back(makeParameter<S>("transformer.wte.weight", {config_.vocab, d}, config_.vocab, d));
  parameters_.push_back(makeParameter<S>("transformer.wpe.weight", {config_.context, d}, config_.context, d));
  for (int l = 0; l < config_.layers; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    parameters_.push_back(makeParameter<S>(p + "ln_1.weight", {d}, 1, d));
    parameters_.push_back(makeParameter<S>(p + "ln_1.bias", {d}, 1, d));
    parameters_.push_back(makeParameter<S>(p + "attn.c_attn.weight", {d, 3 * d}, d, 3 * d));
    parameters_.push_back(makeParameter<S>(p + "attn.c_attn.bias", {3 * d}, 1, 3 * d));
    parameters_.push_back(makeParameter<S>(p + "attn.c_proj.weight", {d, d}, d, d));
    parameters_.push_back(makeParameter<S>(p + "attn.c_proj.bias", {d}, 1, d));
    parameters_.push_back(makeParameter<S>(p + "ln_2.weight", {d}, 1, d));
    parameters_.push_back(makeParameter<S>(p + "ln_2.bias", {d}, 1, d));
    parameters_.push_back(makeParameter<S>(p + "mlp.c_fc.weight", {d, inner}, d, inner));
    parameters_.push_back(makeParameter<S>(p + "mlp.c_fc.bias", {inner}, 1, inner));
    parameters_.push_back(makeParameter<S>(p + "mlp.c_proj.weight", {inner, d}, inner, d));
    parameters_.push_back(makeParameter<S>(p + "mlp.c_proj.bias", {d}, 1, d));
    if (kernelHasMixture(config_.kernel)) {
      parameters_.push_back(makeParameter<S>(p + "attn.mgk_shifts", {H, R, hd}, H * R, hd));
      parameters_.push_back(makeParameter<S>(p + "attn.mgk_priors", {H, R}, H, R));
    }
    if (config_.hasLearnedVariances()) {
      parameters_.push_back(makeParameter<S>(p + "attn.mgk_log_variances", {H, R}, H, R));
    }
  }
  parameters_.push_back(makeParameter<S>("transformer.ln_f.weight", {d}, 1, d));
  parameters_.push_back(makeParameter<S>("transformer.ln_f.bias", {d}, 1, d));
}

template <typename S>
int Transformer<S>::find(const std::string& name) const {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

template <typename S>
void Transformer<S>::initialise(uint64_t seed) {
  // One engine for the whole model, parameters drawn in their fixed order: the same seed gives the same model.
  std::mt19937 engine(static_cast<std::mt19937::result_type>(seed ^ (seed >> 32)));
  const double residualStd = 0.02 / std::sqrt(2.0 * config_.layers);
  for (Parameter<S>& p : parameters_) {
    const bool isBias = p.name.ends_with(".bias");
    const bool isGain =
        p.name.ends_with("ln_1.weight") || p.name.ends_with("ln_2.weight") || p.name.ends_with("ln_f.weight");
    if (isBias) {
      p.value.setZero();
    } else if (isGain) {
      p.value.setOnes();
    } else if (p.name.ends_with("mgk_priors")) {
      p.value.setConstant(S(1) / static_cast<S>(config_.mgkComponents));
    } else if (p.name.ends_with("mgk_log_variances")) {
      const std::vector<double> start = config_.headOptions().variances;
      for (Eigen::Index r = 0; r < p.value.cols(); ++r) p.value.col(r).setConstant(static_cast<S>(std::log(start[r])));
    } else {
      double std = 0.02;
      if (p.name.ends_with("c_proj.weight")) std = residualStd;
      if (p.name.ends_with("mgk_shifts")) std = 1.0 / std::sqrt(static_cast<double>(config_.headDim()));
      p.value =
          (standardNormalMatrix(p.value.rows(), p.value.cols(), engine) * static_cast<float>(std)).template cast<S>();
    }
  }
}

template <typename S>
struct Transformer<S>::LayerCache {
  Matrix<S> input, xhat1, normed1, qkv, heads, xhat2, normed2, preActivation, activated;
  RowVec<S> inverseStd1, inverseStd2;
  std::vector<Matrix<S>> weights;  // B * H attention matrices, T x T
  Matrix<S> alignmentGradient;     // (B T) x 3d, dLoss/dqkv of the regulariser (Q and K columns)
};

template <typename S>
LossReport Transformer<S>::lossAndGradients(const TokenBatch& batch, std::vector<Matrix<S>>* gradients) {
  const int B = batch.batch, T = batch.length, d = config_.dim, H = config_.heads, hd = config_.headDim();
  const int V = config_.vocab, R = config_.mgkComponents;
  const Eigen::Index rows = static_cast<Eigen::Index>(B) * T;
  if (B < 1 || T < 1) throw InputError("training batch is empty");
  if (T > config_.context) {
    throw InputError("sequence length " + std::to_string(T) + " exceeds the context " +
                     std::to_string(config_.context));
  }
  if (batch.inputs.size() != static_cast<size_t>(rows) || batch.targets.size() != static_cast<size_t>(rows) ||
      (!batch.weights.empty() && batch.weights.size() != static_cast<size_t>(rows))) {
    throw InputError("training batch: inputs, targets and weights must each hold batch x length values");
  }
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (int id : {batch.inputs[i], batch.targets[i]}) {
      if (id < 0 || id >= V) {
        throw InputError("token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(V) +
                         ")");
      }
    }
  }
  const HeadKernelOptions headOptions = config_.headOptions();
  const bool mixture = kernelHasMixture(config_.kernel);
  const bool align = config_.alignment.kind != AlignmentKind::None;
  const S alignScale = static_cast<S>(config_.alignment.weight / (static_cast<double>(config_.layers) * H * B));
  const S epsilon = static_cast<S>(config_.layerNormEpsilon);
  const std::vector<Parameter<S>>& P = parameters_;
  auto param = [&](int layer, Slot slot) -> const Matrix<S>& { return P[layerIndex(config_, layer, slot)].value; };
  auto headMixture = [&](int layer, int head) {
    HeadMixture<S> m;
    if (!mixture) return m;
    m.shifts = param(layer, MgkShifts).middleRows(static_cast<Eigen::Index>(head) * R, R);
    m.priors = param(layer, MgkPriors).row(head);
    if (config_.hasLearnedVariances()) m.logVariances = param(layer, MgkLogVariances).row(head);
    return m;
  };

  // ---- forward ----
  Matrix<S> hidden(rows, d);
  for (Eigen::Index i = 0; i < rows; ++i) {
    hidden.row(i) = P[kTokenEmbedding].value.row(batch.inputs[i]) + P[kPositionEmbedding].value.row(i % T);
  }
  std::vector<LayerCache> caches(static_cast<size_t>(config_.layers));
  double alignmentTotal = 0.0;
  for (int l = 0; l < config_.layers; ++l) {
    LayerCache& c = caches[l];
    c.input = hidden;
    layerNormForward<S>(hidden, param(l, Ln1Weight), param(l, Ln1Bias), epsilon, c.xhat1, c.inverseStd1, c.normed1);
    c.qkv.noalias() = c.normed1 * param(l, AttnWeight);
    c.qkv.rowwise() += param(l, AttnBias).row(0);
    c.heads.resize(rows, d);
    c.weights.assign(static_cast<size_t>(B) * H, Matrix<S>());
    std::vector<double> divergences(static_cast<size_t>(B) * H, 0.0);
    if (align && gradients) c.alignmentGradient = Matrix<S>::Zero(rows, 3 * d);
#pragma omp parallel for schedule(static) if (static_cast <long>(B) * H * T * T > 4096)
    for (int pair = 0; pair < B * H; ++pair) {
      const int b = pair / H, h = pair % H;
      const Matrix<S> Q = c.qkv.block(static_cast<Eigen::Index>(b) * T, h * hd, T, hd);
      const Matrix<S> K = c.qkv.block(static_cast<Eigen::Index>(b) * T, d + h * hd, T, hd);
      const Matrix<S> Vh = c.qkv.block(static_cast<Eigen::Index>(b) * T, 2 * d + h * hd, T, hd);
      const HeadMixture<S> m = headMixture(l, h);
      headWeights<S>(headOptions, Q, K, mixture ? &m : nullptr, c.weights[pair]);
      c.heads.block(static_cast<Eigen::Index>(b) * T, h * hd, T, hd).noalias() = c.weights[pair] * Vh;
      if (align) {
        Matrix<S> dQ = Matrix<S>::Zero(T, hd), dK = Matrix<S>::Zero(T, hd);
        divergences[pair] = static_cast<double>(config_.alignment.kind == AlignmentKind::Ct
                                                    ? ctWithGradient<S>(Q, K, config_.alignment, alignScale, dQ, dK)
                                                    : mmdWithGradient<S>(Q, K, config_.alignment, alignScale, dQ, dK));
        if (gradients) {
          c.alignmentGradient.block(static_cast<Eigen::Index>(b) * T, h * hd, T, hd) = dQ;
          c.alignmentGradient.block(static_cast<Eigen::Index>(b) * T, d + h * hd, T, hd) = dK;
        }
      }
    }
    for (double v : divergences) alignmentTotal += v;
    hidden.noalias() += c.heads * param(l, ProjWeight);
    hidden.rowwise() += param(l, ProjBias).row(0);
    layerNormForward<S>(hidden, param(l, Ln2Weight), param(l, Ln2Bias), epsilon, c.xhat2, c.inverseStd2, c.normed2);
    c.preActivation.noalias() = c.normed2 * param(l, FcWeight);
    c.preActivation.rowwise() += param(l, FcBias).row(0);
    c.activated = gelu<S>(c.preActivation);
    hidden.noalias() += c.activated * param(l, OutWeight);
    hidden.rowwise() += param(l, OutBias).row(0);
  }
  const int finalNorm = finalNormIndex(config_);
  Matrix<S> finalXhat, finalOut;
  RowVec<S> finalInverseStd;
  layerNormForward<S>(hidden, P[finalNorm].value, P[finalNorm + 1].value, epsilon, finalXhat, finalInverseStd,
                      finalOut);
  Matrix<S> logits = finalOut * P[kTokenEmbedding].value.transpose();  // (B T) x V, becomes dLoss/dlogits below

  // ---- loss: mean cross-entropy over weighted positions ----
  double totalWeight = 0.0, crossEntropy = 0.0, correct = 0.0;
  for (Eigen::Index i = 0; i < rows; ++i) totalWeight += batch.weights.empty() ? 1.0 : batch.weights[i];
  for (Eigen::Index i = 0; i < rows; ++i) {
    const double w = batch.weights.empty() ? 1.0 : batch.weights[i];
    auto row = logits.row(i);
    Eigen::Index best = 0;
    const S largest = row.maxCoeff(&best);
    const S logSum = largest + std::log((row.array() - largest).exp().sum());
    if (w > 0.0) {
      crossEntropy += w * static_cast<double>(logSum - row(batch.targets[i]));
      if (best == batch.targets[i]) correct += w;
    }
    if (gradients) {  // softmax - onehot, weighted
      row = (row.array() - logSum).exp().matrix();
      row(batch.targets[i]) -= S(1);
      row *= totalWeight > 0.0 ? static_cast<S>(w / totalWeight) : S(0);
    }
  }
  LossReport report;
  report.counted = static_cast<int>(totalWeight);
  report.crossEntropy = totalWeight > 0.0 ? crossEntropy / totalWeight : 0.0;
  report.accuracy = totalWeight > 0.0 ? correct / totalWeight : 0.0;
  report.alignment = align ? alignmentTotal / (static_cast<double>(config_.layers) * H * B) : 0.0;
  report.loss = report.crossEntropy + (align ? config_.alignment.weight * report.alignment : 0.0);
  if (!gradients) return report;

  // ---- backward ----
  std::vector<Matrix<S>>& G = *gradients;
  G.resize(P.size());
  for (size_t i = 0; i < P.size(); ++i) G[i] = Matrix<S>::Zero(P[i].value.rows(), P[i].value.cols());
  auto grad = [&](int layer, Slot slot) -> Matrix<S>& { return G[layerIndex(config_, layer, slot)]; };
  const Matrix<S>& dLogits = logits;
  G[kTokenEmbedding].noalias() += dLogits.transpose() * finalOut;
  Matrix<S> dHidden = Matrix<S>::Zero(rows, d);
  layerNormBackward<S>(finalXhat, finalInverseStd, P[finalNorm].value, dLogits * P[kTokenEmbedding].value, dHidden,
                       G[finalNorm], G[finalNorm + 1]);
  for (int l = config_.layers - 1; l >= 0; --l) {
    LayerCache& c = caches[l];
    // MLP
    grad(l, OutWeight).noalias() += c.activated.transpose() * dHidden;
    grad(l, OutBias).row(0) += dHidden.colwise().sum();
    Matrix<S> dPre = (dHidden * param(l, OutWeight).transpose()).cwiseProduct(geluDerivative<S>(c.preActivation));
    grad(l, FcWeight).noalias() += c.normed2.transpose() * dPre;
    grad(l, FcBias).row(0) += dPre.colwise().sum();
    layerNormBackward<S>(c.xhat2, c.inverseStd2, param(l, Ln2Weight), dPre * param(l, FcWeight).transpose(), dHidden,
                         grad(l, Ln2Weight), grad(l, Ln2Bias));
    // attention output projection
    grad(l, ProjWeight).noalias() += c.heads.transpose() * dHidden;
    grad(l, ProjBias).row(0) += dHidden.colwise().sum();
    const Matrix<S> dHeads = dHidden * param(l, ProjWeight).transpose();
    Matrix<S> dQkv = (align && c.alignmentGradient.size()) ? c.alignmentGradient : Matrix<S>::Zero(rows, 3 * d);
    std::vector<HeadMixture<S>> dMixtures(mixture ? static_cast<size_t>(B) * H : 0);
#pragma omp parallel for schedule(static) if (static_cast <long>(B) * H * T * T > 4096)
    for (int pair = 0; pair < B * H; ++pair) {
      const int b = pair / H, h = pair % H;
      const Eigen::Index top = static_cast<Eigen::Index>(b) * T;
      const Matrix<S> Q = c.qkv.block(top, h * hd, T, hd);
      const Matrix<S> K = c.qkv.block(top, d + h * hd, T, hd);
      const Matrix<S> Vh = c.qkv.block(top, 2 * d + h * hd, T, hd);
      const Matrix<S> dOut = dHeads.block(top, h * hd, T, hd);
      const Matrix<S> dA = dOut * Vh.transpose();
      dQkv.block(top, 2 * d + h * hd, T, hd).noalias() += c.weights[pair].transpose() * dOut;
      Matrix<S> dQ = Matrix<S>::Zero(T, hd), dK = Matrix<S>::Zero(T, hd);
      const HeadMixture<S> m = headMixture(l, h);
      HeadMixture<S>* dm = nullptr;
      if (mixture) {
        dMixtures[pair].shifts = Matrix<S>::Zero(R, hd);
        dMixtures[pair].priors = RowVec<S>::Zero(R);
        if (config_.hasLearnedVariances()) dMixtures[pair].logVariances = RowVec<S>::Zero(R);
        dm = &dMixtures[pair];
      }
      headWeightsBackward<S>(headOptions, Q, K, mixture ? &m : nullptr, c.weights[pair], dA, dQ, dK, dm);
      dQkv.block(top, h * hd, T, hd) += dQ;
      dQkv.block(top, d + h * hd, T, hd) += dK;
    }
    if (mixture) {
      for (int pair = 0; pair < B * H; ++pair) {
        const int h = pair % H;
        grad(l, MgkShifts).middleRows(static_cast<Eigen::Index>(h) * R, R) += dMixtures[pair].shifts;
        grad(l, MgkPriors).row(h) += dMixtures[pair].priors;
        if (config_.hasLearnedVariances()) grad(l, MgkLogVariances).row(h) += dMixtures[pair].logVariances;
      }
    }
    grad(l, AttnWeight).noalias() += c.normed1.transpose() * dQkv;
    grad(l, AttnBias).row(0) += dQkv.colwise().sum();
    layerNormBackward<S>(c.xhat1, c.inverseStd1, param(l, Ln1Weight), dQkv * param(l, AttnWeight).transpose(), dHidden,
                         grad(l, Ln1Weight), grad(l, Ln1Bias));
  }
  for (Eigen::Index i = 0; i < rows; ++i) {
    G[kTokenEmbedding].row(batch.inputs[i]) += dHidden.row(i);
    G[kPositionEmbedding].row(i % T) += dHidden.row(i);
  }
  return report;
}

template <typename S>
std::vector<Matrix<S>> Transformer<S>::attentionWeights(const std::vector<int>& tokens) {
  // The training forward with B = 1; the weights are the cached ones (no gradient).
  const int T = static_cast<int>(tokens.size()), d = config_.dim, H = config_.heads, hd = config_.headDim();
  if (T < 1 || T > config_.context) throw InputError("attention weights: sequence length out of range");
  const HeadKernelOptions headOptions = config_.headOptions();
  const bool mixture = kernelHasMixture(config_.kernel);
  const S epsilon = static_cast<S>(config_.layerNormEpsilon);
  const int R = config_.mgkComponents;
  auto param = [&](int layer, Slot slot) -> const Matrix<S>& {
    return parameters_[layerIndex(config_, layer, slot)].value;
  };
  Matrix<S> hidden(T, d);
  for (int t = 0; t < T; ++t) {
    if (tokens[t] < 0 || tokens[t] >= config_.vocab) throw InputError("attention weights: token id out of range");
    hidden.row(t) = parameters_[kTokenEmbedding].value.row(tokens[t]) + parameters_[kPositionEmbedding].value.row(t);
  }
  std::vector<Matrix<S>> result;
  Matrix<S> xhat, normed, heads(T, d);
  RowVec<S> inverseStd;
  for (int l = 0; l < config_.layers; ++l) {
    layerNormForward<S>(hidden, param(l, Ln1Weight), param(l, Ln1Bias), epsilon, xhat, inverseStd, normed);
    Matrix<S> qkv = normed * param(l, AttnWeight);
    qkv.rowwise() += param(l, AttnBias).row(0);
    for (int h = 0; h < H; ++h) {
      HeadMixture<S> m;
      if (mixture) {
        m.shifts = param(l, MgkShifts).middleRows(static_cast<Eigen::Index>(h) * R, R);
        m.priors = param(l, MgkPriors).row(h);
        if (config_.hasLearnedVariances()) m.logVariances = param(l, MgkLogVariances).row(h);
      }
      Matrix<S> A;
      headWeights<S>(headOptions, qkv.middleCols(h * hd, hd), qkv.middleCols(d + h * hd, hd), mixture ? &m : nullptr,
                     A);
      heads.middleCols(h * hd, hd) = A * qkv.middleCols(2 * d + h * hd, hd);
      result.push_back(std::move(A));
    }
    hidden += heads * param(l, ProjWeight);
    hidden.rowwise() += param(l, ProjBias).row(0);
    layerNormForward<S>(hidden, param(l, Ln2Weight), param(l, Ln2Bias), epsilon, xhat, inverseStd, normed);
    Matrix<S> inner = normed * param(l, FcWeight);
    inner.rowwise() += param(l, FcBias).row(0);
    hidden += gelu<S>(inner) * param(l, OutWeight);
    hidden.rowwise() += param(l, OutBias).row(0);
  }
  return result;
}

template <typename To, typename From>
void copyParameters(const Transformer<From>& from, Transformer<To>& to) {
  if (from.parameters().size() != to.parameters().size()) throw InputError("copyParameters: different architectures");
  for (size_t i = 0; i < from.parameters().size(); ++i) {
    to.parameters()[i].value = from.parameters()[i].value.template cast<To>();
  }
}

template class Transformer<float>;
template class Transformer<double>;
template void copyParameters<double, float>(const Transformer<float>&, Transformer<double>&);
template void copyParameters<float, double>(const Transformer<double>&, Transformer<float>&);
template void copyParameters<float, float>(const Transformer<float>&, Transformer<float>&);
template void copyParameters<double, double>(const Transformer<double>&, Transformer<double>&);

}  // namespace attnscope::train
