// Forward and hand-derived backward of the training transformer. The batch is cut into a fixed number of chunks of
// whole sequences (kBatchChunks, never the thread count) that run forward and backward independently, one thread
// each: every operation except attention is per token, attention is per sequence, so a chunk needs nothing
// from the others until its parameter gradients are summed, in chunk order. The result is therefore the same bit for
// bit at any thread count, and two cores share a step with one synchronisation instead of one per operation.
// Within a chunk, activations are (chunk tokens) x features, one token per row, so every projection is one GEMM; the
// attention of each (sequence, head) pair works on views of the fused QKV activations (no copies).
#include "core/train/transformer.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numbers>
#include <random>
#include <system_error>
#include <thread>

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

/// Chunks a batch of B sequences is cut into: a constant (at most B), never the thread count, so the result is the
/// same at every thread count. Four lets two or four cores share a step and, at the benchmark size (8 sequences of 64
/// tokens per chunk), measured faster than 1, 2 or 8 even on one thread (smaller working sets per operation); each
/// chunk past the first costs one copy of the parameter gradients.
constexpr int kBatchChunks = 4;

int batchChunks(int batch) {
  return std::max(1, std::min(batch, kBatchChunks));
}

int slotsPerLayer(const ModelConfig& config) {
  return config.hasLearnedVariances() ? 15 : kernelHasMixture(config.kernel) ? 14 : 12;
}
int layerIndex(const ModelConfig& config, int layer, Slot slot) {
  return kLayersBegin + layer * slotsPerLayer(config) + slot;
}
int finalNormIndex(const ModelConfig& config) {
  return kLayersBegin + config.layers * slotsPerLayer(config);
}

/// LayerNorm over each row, one pass per row: y = xhat * gain + bias with xhat = (x - mean) / sqrt(var + eps).
/// x, xhat, y: n x d; keeps xhat and 1/std (length n) for the backward.
template <typename S>
void layerNormForward(const Matrix<S>& x, const Matrix<S>& gain, const Matrix<S>& bias, S epsilon, Matrix<S>& xhat,
                      RowVec<S>& inverseStd, Matrix<S>& y) {
  const Eigen::Index rows = x.rows(), cols = x.cols();
  xhat.resize(rows, cols);
  inverseStd.resize(rows);
  y.resize(rows, cols);
  for (Eigen::Index r = 0; r < rows; ++r) {
    const S mean = x.row(r).mean();
    xhat.row(r) = (x.row(r).array() - mean).matrix();
    inverseStd(r) = S(1) / std::sqrt(xhat.row(r).squaredNorm() / static_cast<S>(cols) + epsilon);
    xhat.row(r) *= inverseStd(r);
    y.row(r) = (xhat.row(r).array() * gain.row(0).array() + bias.row(0).array()).matrix();
  }
}

/// Backward of a LayerNorm, one pass per row: dLoss/dx is added to dx (the residual stream's gradient) and the
/// parameter gradients are written (not added) to dGain, dBias (1 x d each).
template <typename S>
void layerNormBackward(const Matrix<S>& xhat, const RowVec<S>& inverseStd, const Matrix<S>& gain, const Matrix<S>& dy,
                       Matrix<S>& dx, Matrix<S>& dGain, Matrix<S>& dBias) {
  const Eigen::Index cols = xhat.cols();
  dGain.setZero(1, cols);
  dBias.setZero(1, cols);
  RowVec<S> dxhat(cols);
  for (Eigen::Index r = 0; r < xhat.rows(); ++r) {
    dGain.row(0) += dy.row(r).cwiseProduct(xhat.row(r));
    dBias.row(0) += dy.row(r);
    dxhat = dy.row(r).cwiseProduct(gain.row(0));
    const S meanGrad = dxhat.sum() / static_cast<S>(cols);
    const S meanGradXhat = dxhat.dot(xhat.row(r)) / static_cast<S>(cols);
    dx.row(r) += inverseStd(r) * (dxhat.array() - meanGrad - xhat.row(r).array() * meanGradXhat).matrix();
  }
}

/// GPT-2's gelu_new, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise with Eigen's vectorised tanh,
/// into `activated`; if `derivative` is not null it also receives the derivative from the same tanh t,
/// 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2), for the backward. All n x inner.
template <typename S>
void gelu(const Matrix<S>& x, Matrix<S>& activated, Matrix<S>* derivative) {
  const S c = static_cast<S>(std::sqrt(2.0 / std::numbers::pi));
  activated.resize(x.rows(), x.cols());
  if (derivative) derivative->resize(x.rows(), x.cols());
  // Row by row so x, t and both outputs stay in the L1 cache between the two expressions.
  Eigen::Array<S, 1, Eigen::Dynamic> t(x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const auto a = x.row(r).array();
    t = (c * (a + S(0.044715) * a.cube())).tanh();
    activated.row(r) = (S(0.5) * a * (S(1) + t)).matrix();
    if (derivative) {
      derivative->row(r) =
          (S(0.5) * (S(1) + t) + S(0.5) * a * (S(1) - t.square()) * c * (S(1) + S(3 * 0.044715) * a.square())).matrix();
    }
  }
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

double parameterFloats(const ModelConfig& config) {
  const double d = config.dim, L = config.layers, V = config.vocab, C = config.context;
  return V * d + C * d + L * (12.0 * d * d + 13.0 * d) + 2.0 * d;
}

double trainingMemoryBytes(const ModelConfig& config, int batch, int length) {
  const double d = config.dim, L = config.layers, V = config.vocab, H = config.heads;
  const double bt = static_cast<double>(batch) * length;
  const double parameters = parameterFloats(config);
  // Per layer: about 16 d floats per token of activations plus B H T^2 attention weights; logits B T V; twice for
  // the backward's temporaries.
  const double activations = L * (16.0 * d * bt + H * bt * length) + 2.0 * bt * V;
  // Values, gradients and the two AdamW moments, plus one gradient copy per batch chunk past the first.
  const double parameterCopies = 4.0 + (batchChunks(batch) - 1);
  return 4.0 * (parameterCopies * parameters + 2.0 * activations);
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

namespace {

/// Sums a chunk hands back; the caller adds them in chunk order.
struct ChunkSums {
  double crossEntropy = 0.0;  // sum of w * (-log p(target))
  double correct = 0.0;       // sum of w over argmax == target
  double alignment = 0.0;     // sum of the per-(sequence, head) divergences
};

/// What one layer's backward needs from its forward, for the rows of one chunk.
template <typename S>
struct LayerCache {
  Matrix<S> xhat1, normed1, qkv, heads, xhat2, normed2, activated, geluDerivative;
  RowVec<S> inverseStd1, inverseStd2;
  std::vector<Matrix<S>> weights;         // sequences * H attention matrices, T x T, index sequence * H + head
  std::vector<HeadForwardCache<S>> kept;  // per weights entry, what the kernel's backward would otherwise recompute
  Matrix<S> alignmentGradient;            // rows x 2d, dLoss/d(Q, K) of the regulariser
};

/// out = input * weight + bias (bias broadcast over rows), without Eigen's zero-fill of `out` before the product.
template <typename S>
void affine(const Matrix<S>& input, const Matrix<S>& weight, const Matrix<S>& bias, Matrix<S>& out) {
  out.resize(input.rows(), weight.cols());
  for (Eigen::Index r = 0; r < out.rows(); ++r) out.row(r) = bias.row(0);  // (replicate() is not vectorised)
  out.noalias() += input * weight;
}

/// Everything one batch needs to know about the model, shared by the chunks (read only).
template <typename S>
struct StepContext {
  const ModelConfig& config;
  const std::vector<Parameter<S>>& P;
  const TokenBatch& batch;
  HeadKernelOptions headOptions;
  double totalWeight = 0.0;  // sum of the batch's position weights (the cross-entropy's denominator)
  S alignScale = 0;          // lambda / (layers H B): the regulariser's weight per (sequence, head) divergence

  const Matrix<S>& param(int layer, Slot slot) const { return P[layerIndex(config, layer, slot)].value; }
  HeadMixture<S> headMixture(int layer, int head) const {
    HeadMixture<S> m;
    if (!kernelHasMixture(config.kernel)) return m;
    const int R = config.mgkComponents;
    m.shifts = param(layer, MgkShifts).middleRows(static_cast<Eigen::Index>(head) * R, R);
    m.priors = param(layer, MgkPriors).row(head);
    if (config.hasLearnedVariances()) m.logVariances = param(layer, MgkLogVariances).row(head);
    return m;
  }
};

/// Forward and (if G is not null) backward of sequences [first, first + count) of the batch. G is resized like the
/// parameters and every entry is written: the gradient of this chunk's share of the loss.
template <typename S>
ChunkSums chunkLossAndGradients(const StepContext<S>& s, int first, int count, std::vector<Matrix<S>>* G) {
  const ModelConfig& config = s.config;
  const std::vector<Parameter<S>>& P = s.P;
  const TokenBatch& batch = s.batch;
  const int T = batch.length, d = config.dim, H = config.heads, hd = config.headDim(), R = config.mgkComponents;
  const Eigen::Index rows = static_cast<Eigen::Index>(count) * T, offset = static_cast<Eigen::Index>(first) * T;
  const bool mixture = kernelHasMixture(config.kernel);
  const bool align = config.alignment.kind != AlignmentKind::None;
  const S epsilon = static_cast<S>(config.layerNormEpsilon);
  auto block = [&](Matrix<S>& m, int sequence, int column) {
    return m.block(static_cast<Eigen::Index>(sequence) * T, column, T, hd);
  };
  ChunkSums sums;

  // ---- forward ----
  Matrix<S> hidden(rows, d);
  for (Eigen::Index i = 0; i < rows; ++i) {
    hidden.row(i) = P[kTokenEmbedding].value.row(batch.inputs[offset + i]) + P[kPositionEmbedding].value.row(i % T);
  }
  std::vector<LayerCache<S>> caches(static_cast<size_t>(config.layers));
  for (int l = 0; l < config.layers; ++l) {
    LayerCache<S>& c = caches[l];
    layerNormForward<S>(hidden, s.param(l, Ln1Weight), s.param(l, Ln1Bias), epsilon, c.xhat1, c.inverseStd1, c.normed1);
    affine<S>(c.normed1, s.param(l, AttnWeight), s.param(l, AttnBias), c.qkv);
    c.heads.resize(rows, d);
    c.weights.resize(static_cast<size_t>(count) * H);
    if (G) c.kept.resize(c.weights.size());
    if (align && G) c.alignmentGradient.setZero(rows, 2 * d);
    for (int pair = 0; pair < count * H; ++pair) {
      const int b = pair / H, h = pair % H;
      const HeadMixture<S> m = s.headMixture(l, h);
      headWeights<S>(s.headOptions, block(c.qkv, b, h * hd), block(c.qkv, b, d + h * hd), mixture ? &m : nullptr,
                     c.weights[pair], G ? &c.kept[pair] : nullptr);
      block(c.heads, b, h * hd).noalias() = c.weights[pair] * block(c.qkv, b, 2 * d + h * hd);
      if (align) {
        const Matrix<S> Q = block(c.qkv, b, h * hd), K = block(c.qkv, b, d + h * hd);
        Matrix<S> dQ = Matrix<S>::Zero(T, hd), dK = Matrix<S>::Zero(T, hd);
        sums.alignment += static_cast<double>(config.alignment.kind == AlignmentKind::Ct
                                                  ? ctWithGradient<S>(Q, K, config.alignment, s.alignScale, dQ, dK)
                                                  : mmdWithGradient<S>(Q, K, config.alignment, s.alignScale, dQ, dK));
        if (G) {
          block(c.alignmentGradient, b, h * hd) = dQ;
          block(c.alignmentGradient, b, d + h * hd) = dK;
        }
      }
    }
    hidden.noalias() += c.heads * s.param(l, ProjWeight);
    hidden.rowwise() += s.param(l, ProjBias).row(0);
    layerNormForward<S>(hidden, s.param(l, Ln2Weight), s.param(l, Ln2Bias), epsilon, c.xhat2, c.inverseStd2, c.normed2);
    Matrix<S> preActivation;
    affine<S>(c.normed2, s.param(l, FcWeight), s.param(l, FcBias), preActivation);
    gelu<S>(preActivation, c.activated, G ? &c.geluDerivative : nullptr);
    hidden.noalias() += c.activated * s.param(l, OutWeight);
    hidden.rowwise() += s.param(l, OutBias).row(0);
  }
  const int finalNorm = finalNormIndex(config);
  Matrix<S> finalXhat, finalOut;
  RowVec<S> finalInverseStd;
  layerNormForward<S>(hidden, P[finalNorm].value, P[finalNorm + 1].value, epsilon, finalXhat, finalInverseStd,
                      finalOut);
  Matrix<S> logits(rows, config.vocab);  // becomes dLoss/dlogits below
  logits.noalias() = finalOut * P[kTokenEmbedding].value.transpose();

  // ---- loss: this chunk's share of the mean cross-entropy over the batch's weighted positions ----
  for (Eigen::Index i = 0; i < rows; ++i) {
    const double w = batch.weights.empty() ? 1.0 : batch.weights[offset + i];
    const int target = batch.targets[offset + i];
    auto row = logits.row(i);
    Eigen::Index best = 0;
    const S largest = row.maxCoeff(&best);
    const S logSum = largest + std::log((row.array() - largest).exp().sum());
    if (w > 0.0) {
      sums.crossEntropy += w * static_cast<double>(logSum - row(target));
      if (best == target) sums.correct += w;
    }
    if (G) {  // softmax - onehot, weighted
      row = (row.array() - logSum).exp().matrix();
      row(target) -= S(1);
      row *= s.totalWeight > 0.0 ? static_cast<S>(w / s.totalWeight) : S(0);
    }
  }
  if (!G) return sums;

  // ---- backward: every parameter gradient is written by its first contribution, not zero-filled and added to ----
  G->resize(P.size());
  auto grad = [&](int layer, Slot slot) -> Matrix<S>& { return (*G)[layerIndex(config, layer, slot)]; };
  const Matrix<S>& dLogits = logits;
  (*G)[kTokenEmbedding].noalias() = dLogits.transpose() * finalOut;
  Matrix<S> dHidden = Matrix<S>::Zero(rows, d);
  {
    Matrix<S> dFinal(rows, d);
    dFinal.noalias() = dLogits * P[kTokenEmbedding].value;
    layerNormBackward<S>(finalXhat, finalInverseStd, P[finalNorm].value, dFinal, dHidden, (*G)[finalNorm],
                         (*G)[finalNorm + 1]);
  }
  Matrix<S> dPre, dNormed(rows, d), dHeads(rows, d), dQkv(rows, 3 * d), dA;
  for (int l = config.layers - 1; l >= 0; --l) {
    LayerCache<S>& c = caches[l];
    // MLP
    grad(l, OutWeight).noalias() = c.activated.transpose() * dHidden;
    grad(l, OutBias) = dHidden.colwise().sum();
    dPre.resize(rows, config.mlpDim());
    dPre.noalias() = dHidden * s.param(l, OutWeight).transpose();
    dPre.array() *= c.geluDerivative.array();
    grad(l, FcWeight).noalias() = c.normed2.transpose() * dPre;
    grad(l, FcBias) = dPre.colwise().sum();
    dNormed.noalias() = dPre * s.param(l, FcWeight).transpose();
    layerNormBackward<S>(c.xhat2, c.inverseStd2, s.param(l, Ln2Weight), dNormed, dHidden, grad(l, Ln2Weight),
                         grad(l, Ln2Bias));
    // attention output projection
    grad(l, ProjWeight).noalias() = c.heads.transpose() * dHidden;
    grad(l, ProjBias) = dHidden.colwise().sum();
    dHeads.noalias() = dHidden * s.param(l, ProjWeight).transpose();
    if (mixture) {
      grad(l, MgkShifts).setZero(H * R, hd);
      grad(l, MgkPriors).setZero(H, R);
      if (config.hasLearnedVariances()) grad(l, MgkLogVariances).setZero(H, R);
    }
    HeadMixture<S> dm;
    for (int pair = 0; pair < count * H; ++pair) {
      const int b = pair / H, h = pair % H;
      const auto dOut = block(dHeads, b, h * hd);
      dA.noalias() = dOut * block(c.qkv, b, 2 * d + h * hd).transpose();
      block(dQkv, b, 2 * d + h * hd).noalias() = c.weights[pair].transpose() * dOut;
      if (align) {
        block(dQkv, b, h * hd) = block(c.alignmentGradient, b, h * hd);
        block(dQkv, b, d + h * hd) = block(c.alignmentGradient, b, d + h * hd);
      } else {
        block(dQkv, b, h * hd).setZero();
        block(dQkv, b, d + h * hd).setZero();
      }
      const HeadMixture<S> m = s.headMixture(l, h);
      if (mixture) {  // this pair's mixture gradient, added to the layer's in pair order
        dm.shifts.setZero(R, hd);
        dm.priors.setZero(R);
        if (config.hasLearnedVariances()) dm.logVariances.setZero(R);
      }
      headWeightsBackward<S>(s.headOptions, block(c.qkv, b, h * hd), block(c.qkv, b, d + h * hd),
                             mixture ? &m : nullptr, c.weights[pair], dA, block(dQkv, b, h * hd),
                             block(dQkv, b, d + h * hd), mixture ? &dm : nullptr, &c.kept[pair]);
      if (mixture) {
        grad(l, MgkShifts).middleRows(static_cast<Eigen::Index>(h) * R, R) += dm.shifts;
        grad(l, MgkPriors).row(h) += dm.priors;
        if (config.hasLearnedVariances()) grad(l, MgkLogVariances).row(h) += dm.logVariances;
      }
    }
    grad(l, AttnWeight).noalias() = c.normed1.transpose() * dQkv;
    grad(l, AttnBias) = dQkv.colwise().sum();
    dNormed.noalias() = dQkv * s.param(l, AttnWeight).transpose();
    layerNormBackward<S>(c.xhat1, c.inverseStd1, s.param(l, Ln1Weight), dNormed, dHidden, grad(l, Ln1Weight),
                         grad(l, Ln1Bias));
  }
  (*G)[kPositionEmbedding].setZero(P[kPositionEmbedding].value.rows(), d);
  for (Eigen::Index i = 0; i < rows; ++i) {
    (*G)[kTokenEmbedding].row(batch.inputs[offset + i]) += dHidden.row(i);
    (*G)[kPositionEmbedding].row(i % T) += dHidden.row(i);
  }
  return sums;
}

}  // namespace

template <typename S>
LossReport Transformer<S>::lossAndGradients(const TokenBatch& batch, std::vector<Matrix<S>>* gradients,
                                            const std::atomic<bool>* interrupt) {
  const int B = batch.batch, T = batch.length, H = config_.heads, V = config_.vocab;
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
  const bool align = config_.alignment.kind != AlignmentKind::None;
  StepContext<S> context{config_, parameters_, batch, config_.headOptions()};
  for (Eigen::Index i = 0; i < rows; ++i) context.totalWeight += batch.weights.empty() ? 1.0 : batch.weights[i];
  context.alignScale = static_cast<S>(config_.alignment.weight / (static_cast<double>(config_.layers) * H * B));

  // Chunk 0 writes straight into `gradients`; the others into their own copies, summed in chunk order below.
  const int chunks = batchChunks(B);
  std::vector<ChunkSums> sums(static_cast<size_t>(chunks));
  std::vector<std::vector<Matrix<S>>> partial(static_cast<size_t>(chunks - 1));
  const auto interrupted = [interrupt] { return interrupt != nullptr && interrupt->load(); };
  auto runChunk = [&](int chunk) {
    if (interrupted()) return;  // the step is dropped below: no chunk needs finishing
    const int first = static_cast<int>(static_cast<long>(B) * chunk / chunks);
    const int last = static_cast<int>(static_cast<long>(B) * (chunk + 1) / chunks);
    std::vector<Matrix<S>>* G = !gradients ? nullptr : chunk == 0 ? gradients : &partial[chunk - 1];
    sums[chunk] = chunkLossAndGradients<S>(context, first, last - first, G);
  };
  // The chunks share the OpenMP thread budget (omp_get_max_threads: OMP_NUM_THREADS, --threads), each thread taking
  // the next chunk, every chunk's GEMMs on one thread. Plain threads that block when done rather than an OpenMP team
  // whose idle threads spin: on a shared machine a spinning thread takes the core the other chunk needs (measured:
  // twice the CPU time per step at two threads with OpenMP's default wait policy, the same CPU time as one thread
  // here). Which thread runs a chunk never changes the result.
  // Inside an OpenMP region (a caller training several models at once) the caller owns the threads: one here.
  const int threads = omp_in_parallel() ? 1 : std::min(chunks, std::max(1, omp_get_max_threads()));
  if (threads == 1) {
    for (int chunk = 0; chunk < chunks; ++chunk) runChunk(chunk);
  } else {
    std::atomic<int> next{0};
    auto work = [&] {
      const int saved = omp_get_max_threads();
      omp_set_num_threads(1);  // this thread's setting only: Eigen's GEMMs stay on it
      for (int chunk = next++; chunk < chunks; chunk = next++) runChunk(chunk);
      omp_set_num_threads(saved);
    };
    std::vector<std::thread> helpers;
    for (int t = 1; t < threads; ++t) {
      try {
        helpers.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // no thread to be had: the threads already started and this one take every chunk
      }
    }
    work();
    for (std::thread& helper : helpers) helper.join();
  }
  if (interrupted()) throw StepInterrupted();
  if (gradients) {
    for (int chunk = 1; chunk < chunks; ++chunk) {
      for (size_t p = 0; p < parameters_.size(); ++p) (*gradients)[p] += partial[chunk - 1][p];
    }
  }
  double crossEntropy = 0.0, correct = 0.0, alignmentTotal = 0.0;
  for (const ChunkSums& c : sums) {
    crossEntropy += c.crossEntropy;
    correct += c.correct;
    alignmentTotal += c.alignment;
  }
  const double totalWeight = context.totalWeight;
  LossReport report;
  report.counted = static_cast<int>(totalWeight);
  report.crossEntropy = totalWeight > 0.0 ? crossEntropy / totalWeight : 0.0;
  report.accuracy = totalWeight > 0.0 ? correct / totalWeight : 0.0;
  report.alignment = align ? alignmentTotal / (static_cast<double>(config_.layers) * H * B) : 0.0;
  report.loss = report.crossEntropy + (align ? config_.alignment.weight * report.alignment : 0.0);
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
    Matrix<S> activated;
    gelu<S>(inner, activated, nullptr);
    hidden += activated * param(l, OutWeight);
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
