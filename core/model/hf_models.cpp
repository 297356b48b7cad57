// Eigen forward passes for Hugging Face GPT-2, Llama and BERT checkpoints, recording per-head Q, K and attention.
// Activations are tokens x features, one token per row, so every projection is one GEMM over the whole prompt.
#include "core/model/hf_models.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <utility>

#include "core/attention_kernels.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/safetensors.h"

namespace attnscope::model {
namespace {

using RowVector = Eigen::RowVectorXf;

/// Reads weights by name with shape checks; `prefix` is the optional leading "transformer."/"model."/"bert.".
/// With readData = false it only checks names and shapes against the headers and returns empty matrices, so a
/// model can be opened (and listed) without touching gigabytes of weights.
class WeightLoader {
 public:
  WeightLoader(const HfTensorSource& files, std::string prefix, std::string source, bool readData)
      : files_(files), prefix_(std::move(prefix)), source_(std::move(source)), read_(readData) {}

  bool has(const std::string& name) const { return files_.contains(prefix_ + name); }

  /// A [rows, cols] tensor as stored.
  RowMatrix matrix(const std::string& name, int64_t rows, int64_t cols) const {
    const std::string full = resolve(name);
    checkShape(full, {rows, cols});
    return read_ ? finite(full, readMatrix(full)) : RowMatrix();
  }
  /// An nn.Linear weight stored [out, in], returned transposed (in x out) so that y = x W.
  RowMatrix linear(const std::string& name, int64_t in, int64_t out) const {
    const std::string full = resolve(name);
    checkShape(full, {out, in});
    return read_ ? RowMatrix(finite(full, readMatrix(full)).transpose()) : RowMatrix();
  }
  /// A tensor of any rank with the given shape, read as rows x cols (row-major order).
  RowMatrix tensor(const std::string& name, const std::vector<int64_t>& shape, int64_t rows, int64_t cols) const {
    const std::string full = resolve(name);
    checkShape(full, shape);
    if (!read_) return RowMatrix();
    std::vector<float> values = files_.readFloats(full);
    return finite(full, RowMatrix(Eigen::Map<const RowMatrix>(values.data(), rows, cols)));
  }
  RowVector vector(const std::string& name, int64_t size) const {
    const std::string full = resolve(name);
    checkShape(full, {size});
    if (!read_) return RowVector();
    std::vector<float> values = files_.readFloats(full);
    return finite(full, RowMatrix(Eigen::Map<const RowVector>(values.data(), size))).row(0);
  }
  /// First of several historical names (BERT's LayerNorm "weight"/"gamma").
  RowVector vectorEither(const std::string& name, const std::string& alternative, int64_t size) const {
    return vector(has(name) || !has(alternative) ? name : alternative, size);
  }

 private:
  /// Corrupt checkpoints sometimes hold NaN/Inf: refuse them by name rather than emit NaN attention maps.
  RowMatrix finite(const std::string& full, RowMatrix values) const {
    if (!values.allFinite()) {
      throw FileError("model '" + source_ + "': tensor '" + full +
                      "' contains NaN or Inf values (corrupt checkpoint?)");
    }
    return values;
  }
  /// A rank-2 tensor as rows x cols (rank 1: 1 x n), in storage order.
  RowMatrix readMatrix(const std::string& full) const {
    const std::vector<int64_t> shape = files_.shape(full);
    const std::vector<float> values = files_.readFloats(full);
    const Eigen::Index rows = shape.size() == 2 ? shape[0] : 1;
    return Eigen::Map<const RowMatrix>(values.data(), rows,
                                       Eigen::Index(values.size()) / std::max<Eigen::Index>(rows, 1));
  }
  std::string resolve(const std::string& name) const {
    const std::string full = prefix_ + name;
    if (!files_.contains(full)) {
      throw FileError("model '" + source_ + "': missing tensor '" + full +
                      "' (is this checkpoint the architecture its "
                      "config.json claims?)");
    }
    return full;
  }
  void checkShape(const std::string& full, const std::vector<int64_t>& expected) const {
    const std::vector<int64_t> shape = files_.shape(full);
    if (shape != expected) {
      auto text = [](const std::vector<int64_t>& shape) {
        std::string out;
        for (int64_t e : shape) out += (out.empty() ? "" : ", ") + std::to_string(e);
        return "[" + out + "]";
      };
      throw FileError("model '" + source_ + "': tensor '" + full + "' has shape " + text(shape) + ", expected " +
                      text(expected) + " from " + files_.sizesOrigin());
    }
  }

  const HfTensorSource& files_;
  std::string prefix_;
  std::string source_;
  bool read_;
};

void layerNorm(RowMatrix& x, const RowVector& weight, const RowVector& bias, float epsilon) {
  for (Eigen::Index row = 0; row < x.rows(); ++row) {
    auto r = x.row(row);
    const float mean = r.mean();
    r.array() -= mean;
    const float variance = r.squaredNorm() / static_cast<float>(r.size());
    r *= 1.0f / std::sqrt(variance + epsilon);
    r = r.cwiseProduct(weight) + bias;
  }
}

void rmsNorm(RowMatrix& x, const RowVector& weight, float epsilon) {
  for (Eigen::Index row = 0; row < x.rows(); ++row) {
    auto r = x.row(row);
    const float scale = 1.0f / std::sqrt(r.squaredNorm() / static_cast<float>(r.size()) + epsilon);
    r = (r * scale).cwiseProduct(weight);
  }
}

RowMatrix affine(const RowMatrix& x, const RowMatrix& weight, const RowVector& bias) {
  RowMatrix y = x * weight;
  y.rowwise() += bias;
  return y;
}

void activate(RowMatrix& x, const std::string& activation) {
  if (activation == "gelu_new" || activation == "gelu_pytorch_tanh" || activation == "gelu_fast") {
    const float c = std::sqrt(2.0f / std::numbers::pi_v<float>);
    x = x.unaryExpr([c](float v) { return 0.5f * v * (1.0f + std::tanh(c * (v + 0.044715f * v * v * v))); });
  } else if (activation == "gelu") {
    x = x.unaryExpr([](float v) { return 0.5f * v * (1.0f + std::erf(v * std::numbers::sqrt2_v<float> / 2.0f)); });
  } else if (activation == "silu" || activation == "swish") {
    x = x.unaryExpr([](float v) { return v / (1.0f + std::exp(-v)); });
  } else {  // relu (hf_config rejects anything else)
    x = x.cwiseMax(0.0f);
  }
}

/// Attention of one head with the core's kernels, so the weights a model used and the ones the app shows for the same
/// Q and K come from one implementation. Q: T x hd, K: T x hd, V: T x hd; `options` carries the kernel's settings
/// (causal mask, MGK shifts and priors); `weights` becomes T x T (rows sum to 1, zero above the diagonal when causal);
/// returns T x hd.
RowMatrix attendHead(Kernel kernel, const RowMatrix& Q, const RowMatrix& K, const RowMatrix& V,
                     const AttentionOptions& options, RowMatrix& weights) {
  weights = computeAttention(kernel, Q, K, options).weights;
  return weights * V;
}

/// Gemma 2's soft-capped dot-product attention (transformers' eager_attention_forward with softcap): the scaled scores
/// x_ij = s q_i . k_j become cap * tanh(x_ij / cap), then the causal mask (j <= i + causalOffset) and options.keepMask
/// apply, then a max-subtracted softmax. Q: N x hd, K: M x hd; returns N x M weights, masked entries exactly 0. Every
/// row keeps at least its own position visible, so no row is empty.
RowMatrix softcappedAttention(const RowMatrix& Q, const RowMatrix& K, const AttentionOptions& options, float cap) {
  const float scale = options.scale.value_or(1.0f / std::sqrt(static_cast<float>(Q.cols())));
  RowMatrix weights = (Q * K.transpose()) * scale;
  for (Eigen::Index i = 0; i < weights.rows(); ++i) {
    auto row = weights.row(i);
    float largest = -std::numeric_limits<float>::infinity();
    for (Eigen::Index j = 0; j < row.size(); ++j) {
      const bool visible =
          (!options.causal || j <= i + options.causalOffset) && (!options.keepMask || (*options.keepMask)(i, j));
      row(j) = visible ? cap * std::tanh(row(j) / cap) : -std::numeric_limits<float>::infinity();
      largest = std::max(largest, row(j));
    }
    float total = 0.0f;
    for (Eigen::Index j = 0; j < row.size(); ++j) {
      row(j) = std::isinf(row(j)) ? 0.0f : std::exp(row(j) - largest);
      total += row(j);
    }
    row /= total;
  }
  return weights;
}

void reportProgress(const RunOptions& options, int done, int total) {
  if (options.progress && !options.progress(static_cast<float>(done) / static_cast<float>(total))) {
    throw Error("cancelled");
  }
}

/// Rotary positions in HF's rotate_half layout on the first rotaryDims dimensions of every head of x (T x heads*hd):
/// dimension i pairs with i + rotaryDims/2 and turns by (start + t) * inverseFrequencies[i] at row t; dimensions from
/// rotaryDims on pass through (GPT-NeoX's partial rotary; Llama rotates the whole head).
void rotateHalf(RowMatrix& x, int heads, int headDim, int rotaryDims, const std::vector<double>& inverseFrequencies,
                int start) {
  const int half = rotaryDims / 2;
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    for (int i = 0; i < half; ++i) {
      // Double precision for the angle: t * frequency loses digits in float for long prompts.
      const double angle = static_cast<double>(start + t) * inverseFrequencies[static_cast<size_t>(i)];
      const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
      for (int h = 0; h < heads; ++h) {
        float& a = x(t, h * headDim + i);
        float& b = x(t, h * headDim + i + half);
        const float first = a * c - b * s, second = b * c + a * s;
        a = first;
        b = second;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

class HfModel : public Model {
 public:
  HfModel(HfConfig config, std::unique_ptr<HfTensorSource> filesOwned, const std::filesystem::path& path)
      : config_(std::move(config)), files_(std::move(filesOwned)) {
    info_.path = path.string();
    info_.format = files_->format();
    info_.layers = config_.layers;
    info_.heads = config_.heads;
    info_.keyValueHeads = config_.keyValueHeads;
    info_.modelDim = config_.modelDim;
    info_.headDim = config_.headDim();
    info_.vocabSize = config_.vocabSize;
    info_.maxSequence = config_.maxPositions;
    info_.bosTokenId = config_.bosTokenId;
    info_.eosTokenId = config_.eosTokenId;
    info_.tensors = files_->storedTensors();
  }
  const ModelInfo& info() const override { return info_; }
  const std::vector<std::string>& warnings() const { return config_.warnings; }

  ModelCapture run(std::span<const int> tokenIds, const RunOptions& options) override {
    if (tokenIds.empty()) throw InputError("model run: the token sequence is empty");
    if (static_cast<int>(tokenIds.size()) > config_.maxPositions) {
      throw InputError("model run: " + std::to_string(tokenIds.size()) + " tokens exceed the model's maximum of " +
                       std::to_string(config_.maxPositions));
    }
    for (size_t i = 0; i < tokenIds.size(); ++i) {
      if (tokenIds[i] < 0 || tokenIds[i] >= config_.vocabSize) {
        throw InputError("model run: token id " + std::to_string(tokenIds[i]) + " at position " + std::to_string(i) +
                         " is outside the vocabulary [0, " + std::to_string(config_.vocabSize) + ")");
      }
    }
    ModelCapture capture;
    capture.layers = config_.layers;
    capture.heads = config_.heads;
    capture.tokens = static_cast<int>(tokenIds.size());
    capture.headDim = config_.headDim();
    capture.causal = info_.causal;
    capture.rope = info_.rope;
    capture.tokenIds.assign(tokenIds.begin(), tokenIds.end());
    for (int id : capture.tokenIds) capture.tokenTexts.push_back(std::to_string(id));
    ensureLoaded();
    forward(tokenIds, 0, nullptr, options, capture);
    reportProgress(options, 1, 1);
    return capture;
  }

  /// Keys and values of every layer for the positions fed so far (rows = positions; post-RoPE keys), grown
  /// geometrically up to maxPositions.
  struct KvCache {
    int length = 0;
    std::vector<RowMatrix> keys, values;  // per layer: capacity x (kvHeads * hd)
  };

  /// Runs `tokens` at positions cache.length.. with the cache (see Decoder::feed); returns the last logits row.
  std::vector<float> decode(std::span<const int> tokens, KvCache& cache) {
    if (tokens.empty()) throw InputError("decode: no tokens to feed");
    if (cache.length + static_cast<long>(tokens.size()) > config_.maxPositions) {
      throw InputError("decode: " + std::to_string(cache.length + tokens.size()) +
                       " positions exceed the model's maximum of " + std::to_string(config_.maxPositions));
    }
    for (int id : tokens) {
      if (id < 0 || id >= config_.vocabSize)
        throw InputError("decode: token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                         std::to_string(config_.vocabSize) + ")");
    }
    ensureLoaded();
    reserveCache(cache, cache.length + static_cast<int>(tokens.size()));
    RunOptions options;
    options.captureAttention = false;
    ModelCapture scratch;
    forward(tokens, cache.length, &cache, options, scratch);
    cache.length += static_cast<int>(tokens.size());
    const auto last = scratch.logits.row(scratch.logits.rows() - 1);
    return std::vector<float>(last.data(), last.data() + last.size());
  }

  std::unique_ptr<Decoder> startDecoding() override;

 protected:
  /// Weights are read and converted to float on the first run or decode, once.
  void ensureLoaded() {
    if (loaded_) return;
    requireMemoryForWeights();
    loadWeights(true);
    loaded_ = true;
  }

  /// Float copies of all weights must fit in physical memory; refuse before allocating rather than swap to death.
  void requireMemoryForWeights() const {
    uint64_t bytes = 0;
    for (const TensorInfo& tensor : info_.tensors) {
      uint64_t elements = 1;
      for (int64_t extent : tensor.shape) elements *= static_cast<uint64_t>(extent);
      bytes += elements * sizeof(float);
    }
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || pageSize <= 0) return;
    const uint64_t physical = static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
    if (bytes > physical / 10 * 9) {
      throw ResourceError("model '" + info_.path + "' needs " + std::to_string(bytes >> 20) +
                          " MiB of float32 weights but this machine has " + std::to_string(physical >> 20) +
                          " MiB of memory; use a smaller model or a capture file made elsewhere");
    }
  }

  /// Checks every tensor name and shape (readData = false, at open) or reads the weights (readData = true).
  virtual void loadWeights(bool readData) = 0;
  WeightLoader loader(const std::string& prefix, bool readData) const {
    return WeightLoader(*files_, prefix, info_.path, readData);
  }
  /// The forward pass over `tokenIds` placed at positions start, start + 1, ...; with a cache, this call's keys and
  /// values are stored at rows start.. of it and the attention reads every cached row (cache capacity already
  /// reserved by decode()); without one, start is 0 and only these tokens are attended.
  virtual void forward(std::span<const int> tokenIds, int start, KvCache* cache, const RunOptions& options,
                       ModelCapture& capture) = 0;

  /// Makes room for `positions` rows in every layer of the cache, refusing beyond the memory budget first.
  void reserveCache(KvCache& cache, int positions) const {
    const Eigen::Index kvDim = static_cast<Eigen::Index>(config_.keyValueHeads) * config_.headDim();
    cache.keys.resize(static_cast<size_t>(config_.layers));
    cache.values.resize(static_cast<size_t>(config_.layers));
    if (cache.keys[0].rows() >= positions) return;
    const int capacity = std::min(config_.maxPositions, std::max({positions, 2 * int(cache.keys[0].rows()), 64}));
    requireWithinBudget(2.0 * config_.layers * capacity * double(kvDim) * sizeof(float),
                        "the key-value cache of " + info_.path);
    for (int l = 0; l < config_.layers; ++l) {
      cache.keys[static_cast<size_t>(l)].conservativeResize(capacity, kvDim);
      cache.values[static_cast<size_t>(l)].conservativeResize(capacity, kvDim);
    }
  }

  /// Stores this call's k and v (T x kvDim) for `layer` at rows start.. of the cache and returns every row so far;
  /// without a cache returns k and v themselves.
  std::pair<RowMatrix, RowMatrix> attendable(KvCache* cache, int layer, int start, RowMatrix k, RowMatrix v) const {
    if (!cache) return {std::move(k), std::move(v)};
    RowMatrix& keys = cache->keys[static_cast<size_t>(layer)];
    RowMatrix& values = cache->values[static_cast<size_t>(layer)];
    keys.middleRows(start, k.rows()) = k;
    values.middleRows(start, v.rows()) = v;
    return {keys.topRows(start + k.rows()), values.topRows(start + v.rows())};
  }

  /// Multi-head attention over projected q (T x heads*hd), k and v (T x kvHeads*hd); records per-head matrices
  /// into `capture` when asked. Returns the concatenated head outputs (T x heads*hd).
  RowMatrix multiHeadAttention(const RowMatrix& q, const RowMatrix& k, const RowMatrix& v, bool causal,
                               const RunOptions& options, ModelCapture& capture, int layer = 0, int start = 0) const {
    // q holds the N new positions start..start+N-1, k and v all M = start + N positions so far.
    const int headDim = config_.headDim();
    const int groupSize = config_.heads / config_.keyValueHeads;  // query heads sharing one key/value head
    RowMatrix output(q.rows(), static_cast<Eigen::Index>(config_.heads) * headDim);
    RowMatrix weights(q.rows(), k.rows());
    // Mistral, and Gemma 2/3's local layers: query i sees only the last `slidingWindow` positions up to i.
    const int windowSize = config_.windowOfLayer(layer);
    std::optional<KeepMask> window;
    if (windowSize > 0 && k.rows() > windowSize) {
      window = KeepMask(q.rows(), k.rows());
      for (Eigen::Index i = 0; i < q.rows(); ++i)
        for (Eigen::Index j = 0; j < k.rows(); ++j) (*window)(i, j) = start + i - j < windowSize;
    }
    for (int head = 0; head < config_.heads; ++head) {
      const int kvHead = head / groupSize;
      RowMatrix Qh = q.middleCols(head * headDim, headDim);
      RowMatrix Kh = k.middleCols(kvHead * headDim, headDim);
      RowMatrix Vh = v.middleCols(kvHead * headDim, headDim);
      AttentionOptions headOptions = headAttentionOptions(layer, head, causal);
      headOptions.causalOffset = start;
      headOptions.keepMask = window;
      if (config_.attentionScale > 0.0f) headOptions.scale = config_.attentionScale;
      if (config_.attentionSoftcap > 0.0f) {
        weights = softcappedAttention(Qh, Kh, headOptions, config_.attentionSoftcap);
        output.middleCols(head * headDim, headDim) = weights * Vh;
      } else {
        output.middleCols(head * headDim, headDim) = attendHead(kernel_, Qh, Kh, Vh, headOptions, weights);
      }
      if (options.captureAttention) {
        capture.queries.push_back(std::move(Qh));
        capture.keys.push_back(std::move(Kh));
        capture.attention.push_back(weights);
      }
    }
    return output;
  }

  /// The kernel options of one head: the causal mask and, for a checkpoint trained with MGK/MLK, its learned shifts
  /// (R x hd) and priors (R) and the variances of its config.
  AttentionOptions headAttentionOptions(int layer, int head, bool causal) const {
    AttentionOptions options;
    options.causal = causal;
    options.computeScores = false;
    const HfConfig::TrainedAttention& trained = config_.trainedAttention;
    options.expressiveForm = trained.expressiveForm == "pure" ? ExpressiveForm::Pure : ExpressiveForm::Saturating;
    options.cosineTemperature = static_cast<float>(trained.cosineTemperature);
    if (!mixtureShifts_.empty()) {
      const int R = trained.components;
      options.gaussian.shifts = mixtureShifts_[static_cast<size_t>(layer)].middleRows(head * R, R);
      options.gaussian.priors = mixturePriors_[static_cast<size_t>(layer)].row(head).transpose();
      if (!mixtureLogVariances_.empty()) {  // learned per head
        options.gaussian.variances =
            mixtureLogVariances_[static_cast<size_t>(layer)].row(head).transpose().array().exp();
      } else if (!trained.variances.empty()) {
        options.gaussian.variances.resize(R);
        for (int r = 0; r < R; ++r) options.gaussian.variances(r) = static_cast<float>(trained.variances[r]);
      }
    }
    return options;
  }

  HfConfig config_;
  ModelInfo info_;
  std::unique_ptr<HfTensorSource> files_;
  bool loaded_ = false;
  Kernel kernel_ = Kernel::Dpa;
  std::vector<RowMatrix> mixtureShifts_;        // per layer, (H R) x hd; empty unless an MGK/MLK checkpoint
  std::vector<RowMatrix> mixturePriors_;        // per layer, H x R
  std::vector<RowMatrix> mixtureLogVariances_;  // per layer, H x R (log sigma^2); empty unless learned
};

/// Decoder over an HfModel's key-value cache (GPT-2 and the Llama family).
class HfDecoder final : public Decoder {
 public:
  explicit HfDecoder(HfModel& model) : model_(model) {}
  std::vector<float> feed(std::span<const int> tokens) override { return model_.decode(tokens, cache_); }
  int position() const override { return cache_.length; }

 private:
  HfModel& model_;
  HfModel::KvCache cache_;
};

std::unique_ptr<Decoder> HfModel::startDecoding() {
  if (!info_.causal) return nullptr;  // encoders attend both ways: no incremental decoding
  return std::make_unique<HfDecoder>(*this);
}

std::string detectPrefix(const HfTensorSource& files, const std::string& probe,
                         std::initializer_list<const char*> prefixes) {
  for (const char* prefix : prefixes) {
    if (files.contains(prefix + probe)) return prefix;
  }
  return "";
}

// GPT-2: Conv1D weights are stored [in, out] (already the x W orientation), c_attn fuses Q, K and V.
class Gpt2Model final : public HfModel {
 public:
  Gpt2Model(HfConfig config, std::unique_ptr<HfTensorSource> files, const std::filesystem::path& directory)
      : HfModel(std::move(config), std::move(files), directory) {
    info_.architecture = "gpt2";
    info_.causal = true;
    info_.attentionKernel = config_.trainedAttention.kernel;
    loadWeights(false);
  }

 protected:
  void loadWeights(bool readData) override {
    const int d = config_.modelDim, inner = config_.intermediateDim;
    const WeightLoader w = loader(detectPrefix(*files_, "wte.weight", {"", "transformer."}), readData);
    layers_.clear();
    tokenEmbedding_ = w.matrix("wte.weight", config_.vocabSize, d);
    positionEmbedding_ = w.matrix("wpe.weight", config_.maxPositions, d);
    for (int l = 0; l < config_.layers; ++l) {
      const std::string p = "h." + std::to_string(l) + ".";
      Layer layer;
      layer.ln1Weight = w.vector(p + "ln_1.weight", d);
      layer.ln1Bias = w.vector(p + "ln_1.bias", d);
      layer.qkvWeight = w.matrix(p + "attn.c_attn.weight", d, 3 * d);
      layer.qkvBias = w.vector(p + "attn.c_attn.bias", 3 * d);
      layer.projWeight = w.matrix(p + "attn.c_proj.weight", d, d);
      layer.projBias = w.vector(p + "attn.c_proj.bias", d);
      layer.ln2Weight = w.vector(p + "ln_2.weight", d);
      layer.ln2Bias = w.vector(p + "ln_2.bias", d);
      layer.fcWeight = w.matrix(p + "mlp.c_fc.weight", d, inner);
      layer.fcBias = w.vector(p + "mlp.c_fc.bias", inner);
      layer.outWeight = w.matrix(p + "mlp.c_proj.weight", inner, d);
      layer.outBias = w.vector(p + "mlp.c_proj.bias", d);
      layers_.push_back(std::move(layer));
    }
    finalWeight_ = w.vector("ln_f.weight", d);
    finalBias_ = w.vector("ln_f.bias", d);
    // A checkpoint of `attnscope train` with a mixture kernel: its learned shifts and priors per layer.
    kernel_ = parseKernel(config_.trainedAttention.kernel);
    mixtureShifts_.clear();
    mixturePriors_.clear();
    mixtureLogVariances_.clear();
    const int R = config_.trainedAttention.components;
    if (R > 0) {
      const int H = config_.heads, hd = config_.headDim();
      for (int l = 0; l < config_.layers; ++l) {
        const std::string p = "h." + std::to_string(l) + ".attn.";
        const RowMatrix shifts = w.tensor(p + "mgk_shifts", {H, R, hd}, H * R, hd);
        const RowMatrix priors = w.matrix(p + "mgk_priors", H, R);
        const RowMatrix logVariances =
            config_.trainedAttention.learnedVariances ? w.matrix(p + "mgk_log_variances", H, R) : RowMatrix();
        if (readData) {
          mixtureShifts_.push_back(shifts);
          mixturePriors_.push_back(priors);
          if (config_.trainedAttention.learnedVariances) mixtureLogVariances_.push_back(logVariances);
        }
      }
    }
    // lm_head is tied to wte in every released GPT-2; use a separate one only if the file really has it.
    if (files_->contains("lm_head.weight") && !config_.tieWordEmbeddings) {
      lmHead_ = loader("", readData).matrix("lm_head.weight", config_.vocabSize, d);
    }
  }

  void forward(std::span<const int> tokenIds, int start, KvCache* cache, const RunOptions& options,
               ModelCapture& capture) override {
    const int T = static_cast<int>(tokenIds.size()), d = config_.modelDim;
    RowMatrix hidden(T, d);
    for (int t = 0; t < T; ++t) hidden.row(t) = tokenEmbedding_.row(tokenIds[t]) + positionEmbedding_.row(start + t);
    for (size_t l = 0; l < layers_.size(); ++l) {
      reportProgress(options, static_cast<int>(l), static_cast<int>(layers_.size()) + 1);
      const Layer& layer = layers_[l];
      RowMatrix x = hidden;
      layerNorm(x, layer.ln1Weight, layer.ln1Bias, config_.normEpsilon);
      const RowMatrix qkv = affine(x, layer.qkvWeight, layer.qkvBias);
      const auto [keys, values] = attendable(cache, static_cast<int>(l), start, qkv.middleCols(d, d), qkv.rightCols(d));
      const RowMatrix heads =
          multiHeadAttention(qkv.leftCols(d), keys, values, true, options, capture, static_cast<int>(l), start);
      hidden += affine(heads, layer.projWeight, layer.projBias);
      x = hidden;
      layerNorm(x, layer.ln2Weight, layer.ln2Bias, config_.normEpsilon);
      RowMatrix inner = affine(x, layer.fcWeight, layer.fcBias);
      activate(inner, config_.activation);
      hidden += affine(inner, layer.outWeight, layer.outBias);
    }
    layerNorm(hidden, finalWeight_, finalBias_, config_.normEpsilon);
    capture.logits = hidden * (lmHead_.size() ? lmHead_ : tokenEmbedding_).transpose();
  }

 private:
  struct Layer {
    RowVector ln1Weight, ln1Bias, qkvBias, projBias, ln2Weight, ln2Bias, fcBias, outBias;
    RowMatrix qkvWeight, projWeight, fcWeight, outWeight;
  };
  RowMatrix tokenEmbedding_, positionEmbedding_, lmHead_;
  RowVector finalWeight_, finalBias_;
  std::vector<Layer> layers_;
};

// Llama: RMSNorm, rotary positions in HF's rotate_half layout (dimension i pairs with i + hd/2), grouped-query
// attention, SwiGLU MLP. q_proj/k_proj in HF checkpoints are already permuted for rotate_half, so the rotation
// applied here is exactly the one the model uses; the capture records Q/K before and after it. The variants' flags
// (HfConfig) add biases, QK-norm, sliding windows, fused projections, OLMo-2's and Gemma 2/3's norm placement, and
// Gemma's (1 + w) norms, scaled embeddings, query_pre_attn_scalar, soft-capping and local/global RoPE bases.
class LlamaModel final : public HfModel {
 public:
  LlamaModel(HfConfig config, std::unique_ptr<HfTensorSource> files, const std::filesystem::path& directory)
      : HfModel(std::move(config), std::move(files), directory) {
    // llama, mistral, qwen2, qwen3, phi3, olmo2, gemma, gemma2, gemma3_text
    info_.architecture = config_.modelType.empty() ? "llama" : config_.modelType;
    info_.causal = true;
    info_.rope = true;
    info_.qkNorm = config_.qkNorm;
    info_.slidingWindow = config_.slidingWindow;
    info_.attentionSoftcap = config_.attentionSoftcap;
    inverseFrequencies_ = ropeInverseFrequencies(config_);
    if (config_.localRopeTheta > 0.0f) {  // Gemma 3's local layers: their own base, never rescaled
      HfConfig local = config_;
      local.ropeTheta = config_.localRopeTheta;
      local.ropeScaling = {};
      localInverseFrequencies_ = ropeInverseFrequencies(local);
    }
    loadWeights(false);  // every layer's tensors exist: now a per-layer list is as small as the checkpoint
    if (!config_.slidingLayers.empty() || config_.slidingPattern > 0) {
      for (int l = 0; l < config_.layers; ++l) info_.slidingLayers.push_back(config_.windowOfLayer(l) > 0);
    }
    if (!files_->contains("lm_head.weight") && !config_.tieWordEmbeddings) {
      config_.warnings.push_back("no lm_head.weight: logits use the tied token embedding");
    }
  }

 protected:
  void loadWeights(bool readData) override {
    const int d = config_.modelDim, inner = config_.intermediateDim;
    const int kvDim = config_.keyValueHeads * config_.headDim(), qDim = config_.heads * config_.headDim();
    const WeightLoader w = loader(detectPrefix(*files_, "embed_tokens.weight", {"model.", ""}), readData);
    // Gemma stores RMSNorm weights centred on 0 and scales by (1 + w): add the 1 once, here.
    auto norm = [&](const std::string& name, int64_t size) {
      RowVector weight = w.vector(name, size);
      if (readData && config_.normPlusOne) weight.array() += 1.0f;
      return weight;
    };
    layers_.clear();
    tokenEmbedding_ = w.matrix("embed_tokens.weight", config_.vocabSize, d);
    for (int l = 0; l < config_.layers; ++l) {
      const std::string p = "layers." + std::to_string(l) + ".";
      Layer layer;
      if (!config_.normAfterSublayers) layer.attentionNorm = norm(p + "input_layernorm.weight", d);
      if (config_.fusedProjections) {  // Phi-3: one [q; k; v] projection, split by rows of the stored [out, in]
        const RowMatrix qkv = w.linear(p + "self_attn.qkv_proj.weight", d, qDim + 2 * kvDim);
        if (readData) {
          layer.qWeight = qkv.leftCols(qDim);
          layer.kWeight = qkv.middleCols(qDim, kvDim);
          layer.vWeight = qkv.rightCols(kvDim);
        }
      } else {
        layer.qWeight = w.linear(p + "self_attn.q_proj.weight", d, qDim);
        layer.kWeight = w.linear(p + "self_attn.k_proj.weight", d, kvDim);
        layer.vWeight = w.linear(p + "self_attn.v_proj.weight", d, kvDim);
      }
      layer.oWeight = w.linear(p + "self_attn.o_proj.weight", qDim, d);
      if (config_.attentionBias) {
        layer.qBias = w.vector(p + "self_attn.q_proj.bias", qDim);
        layer.kBias = w.vector(p + "self_attn.k_proj.bias", kvDim);
        layer.vBias = w.vector(p + "self_attn.v_proj.bias", kvDim);
      }
      if (config_.qkNorm) {
        const bool whole = config_.qkNormOverProjection;
        layer.qNorm = norm(p + "self_attn.q_norm.weight", whole ? qDim : config_.headDim());
        layer.kNorm = norm(p + "self_attn.k_norm.weight", whole ? kvDim : config_.headDim());
      }
      // Before the MLP, or (OLMo-2, Gemma 2/3) on the attention's output.
      layer.mlpNorm = norm(p + "post_attention_layernorm.weight", d);
      if (config_.normAfterSublayers || config_.sandwichNorms)
        layer.feedForwardNorm = norm(p + "post_feedforward_layernorm.weight", d);
      if (config_.sandwichNorms) layer.preFeedForwardNorm = norm(p + "pre_feedforward_layernorm.weight", d);
      if (config_.fusedProjections) {  // Phi-3: one [gate; up] projection
        const RowMatrix gateUp = w.linear(p + "mlp.gate_up_proj.weight", d, 2 * inner);
        if (readData) {
          layer.gateWeight = gateUp.leftCols(inner);
          layer.upWeight = gateUp.rightCols(inner);
        }
      } else {
        layer.gateWeight = w.linear(p + "mlp.gate_proj.weight", d, inner);
        layer.upWeight = w.linear(p + "mlp.up_proj.weight", d, inner);
      }
      layer.downWeight = w.linear(p + "mlp.down_proj.weight", inner, d);
      layers_.push_back(std::move(layer));
    }
    finalNorm_ = norm("norm.weight", d);
    if (files_->contains("lm_head.weight")) {
      lmHead_ = loader("", readData).matrix("lm_head.weight", config_.vocabSize, d);
    }
  }

  /// Qwen3's QK-norm: RMSNorm of every head_dim slice of x (T x heads*hd) with the shared weight (hd).
  void headRmsNorm(RowMatrix& x, const RowVector& weight) const {
    const int hd = config_.headDim();
    for (Eigen::Index t = 0; t < x.rows(); ++t) {
      for (Eigen::Index start = 0; start < x.cols(); start += hd) {
        auto slice = x.row(t).segment(start, hd);
        const float inverse = 1.0f / std::sqrt(slice.squaredNorm() / static_cast<float>(hd) + config_.normEpsilon);
        slice = (slice * inverse).cwiseProduct(weight);
      }
    }
  }

  void forward(std::span<const int> tokenIds, int start, KvCache* cache, const RunOptions& options,
               ModelCapture& capture) override {
    const int T = static_cast<int>(tokenIds.size()), d = config_.modelDim, hd = config_.headDim();
    const int groupSize = config_.heads / config_.keyValueHeads;
    RowMatrix hidden(T, d);
    for (int t = 0; t < T; ++t) hidden.row(t) = tokenEmbedding_.row(tokenIds[t]);
    // Gemma: embeddings times sqrt(hidden_size), in the activations' dtype (float32 here; HF running in bfloat16 rounds
    // the factor to bfloat16 first). The tied output projection uses the unscaled embedding.
    if (config_.scaleEmbeddings) hidden *= std::sqrt(static_cast<float>(d));
    for (size_t l = 0; l < layers_.size(); ++l) {
      reportProgress(options, static_cast<int>(l), static_cast<int>(layers_.size()) + 1);
      const Layer& layer = layers_[l];
      const int layerIndex = static_cast<int>(l);
      RowMatrix x = hidden;
      if (!config_.normAfterSublayers) rmsNorm(x, layer.attentionNorm, config_.normEpsilon);
      RowMatrix q = x * layer.qWeight, k = x * layer.kWeight, v = x * layer.vWeight;
      if (config_.attentionBias) {
        q.rowwise() += layer.qBias;
        k.rowwise() += layer.kBias;
        v.rowwise() += layer.vBias;
      }
      if (config_.qkNorm) {
        if (options.captureAttention) {
          for (int h = 0; h < config_.heads; ++h) {
            capture.queriesPreNorm.push_back(q.middleCols(h * hd, hd));
            capture.keysPreNorm.push_back(k.middleCols((h / groupSize) * hd, hd));
          }
        }
        if (config_.qkNormOverProjection) {
          rmsNorm(q, layer.qNorm, config_.normEpsilon);
          rmsNorm(k, layer.kNorm, config_.normEpsilon);
        } else {
          headRmsNorm(q, layer.qNorm);
          headRmsNorm(k, layer.kNorm);
        }
      }
      if (options.captureAttention) {
        for (int h = 0; h < config_.heads; ++h) {
          capture.queriesPreRope.push_back(q.middleCols(h * hd, hd));
          capture.keysPreRope.push_back(k.middleCols((h / groupSize) * hd, hd));
        }
      }
      // Gemma 3's local (sliding) layers rotate with their own base.
      const bool local = !localInverseFrequencies_.empty() && config_.windowOfLayer(layerIndex) > 0;
      const std::vector<double>& frequencies = local ? localInverseFrequencies_ : inverseFrequencies_;
      rotateHalf(q, config_.heads, hd, hd, frequencies, start);
      rotateHalf(k, config_.keyValueHeads, hd, hd, frequencies, start);
      const auto [keys, values] = attendable(cache, layerIndex, start, std::move(k), std::move(v));
      const RowMatrix heads = multiHeadAttention(q, keys, values, true, options, capture, layerIndex, start);
      // Gemma 2/3: h + post(attn(in(h))), then h + post_ff(mlp(pre_ff(h))); OLMo-2 the same without the pre-norms
      // (in and pre_ff). Otherwise h + attn(in(h)), then h + mlp(norm(h)).
      const bool postNorms = config_.sandwichNorms || config_.normAfterSublayers;
      RowMatrix attended = heads * layer.oWeight;
      if (postNorms) rmsNorm(attended, layer.mlpNorm, config_.normEpsilon);
      hidden += attended;
      x = hidden;
      if (config_.sandwichNorms) rmsNorm(x, layer.preFeedForwardNorm, config_.normEpsilon);
      if (!postNorms) rmsNorm(x, layer.mlpNorm, config_.normEpsilon);
      RowMatrix fed = gatedMlp(x, layer);
      if (postNorms) rmsNorm(fed, layer.feedForwardNorm, config_.normEpsilon);
      hidden += fed;
    }
    rmsNorm(hidden, finalNorm_, config_.normEpsilon);
    capture.logits = hidden * (lmHead_.size() ? lmHead_ : tokenEmbedding_).transpose();
    if (config_.finalLogitSoftcap > 0.0f) {  // Gemma 2: cap * tanh(logits / cap)
      const float cap = config_.finalLogitSoftcap;
      capture.logits = capture.logits.unaryExpr([cap](float v) { return cap * std::tanh(v / cap); });
    }
  }

 private:
  struct Layer {
    RowVector attentionNorm, mlpNorm;
    RowVector feedForwardNorm;      // normAfterSublayers or sandwichNorms
    RowVector preFeedForwardNorm;   // sandwichNorms only
    RowVector qBias, kBias, vBias;  // attentionBias only
    RowVector qNorm, kNorm;         // qkNorm only (head_dim each, or the whole projection for OLMo-2)
    RowMatrix qWeight, kWeight, vWeight, oWeight, gateWeight, upWeight, downWeight;
  };

  /// The gated MLP: down(act(gate x) * up x), x: T x d -> T x d.
  RowMatrix gatedMlp(const RowMatrix& x, const Layer& layer) const {
    RowMatrix gate = x * layer.gateWeight;
    activate(gate, config_.activation);
    return gate.cwiseProduct(x * layer.upWeight) * layer.downWeight;
  }

  RowMatrix tokenEmbedding_, lmHead_;
  RowVector finalNorm_;
  std::vector<double> inverseFrequencies_;
  std::vector<double> localInverseFrequencies_;  // Gemma 3's sliding layers; empty otherwise
  std::vector<Layer> layers_;
};

// GPT-NeoX / Pythia: LayerNorm with biases, one query_key_value projection whose output is laid out per head as
// [q_h | k_h | v_h], rotary positions on the first rotaryDims dimensions of each head (rotate_half within them, the
// rest passes through), and, with use_parallel_residual, x + attn(ln1 x) + mlp(ln2 x) from the same x.
class GptNeoxModel final : public HfModel {
 public:
  GptNeoxModel(HfConfig config, std::unique_ptr<HfTensorSource> files, const std::filesystem::path& directory)
      : HfModel(std::move(config), std::move(files), directory) {
    info_.architecture = "gpt_neox";
    info_.causal = true;
    info_.rope = true;
    const int rotary = config_.rotaryDims;
    for (int i = 0; i < rotary / 2; ++i)
      inverseFrequencies_.push_back(std::pow(static_cast<double>(config_.ropeTheta), -2.0 * i / rotary));
    loadWeights(false);
  }

 protected:
  void loadWeights(bool readData) override {
    const int d = config_.modelDim, inner = config_.intermediateDim, hd = config_.headDim(), H = config_.heads;
    const WeightLoader w = loader(detectPrefix(*files_, "embed_in.weight", {"gpt_neox.", ""}), readData);
    layers_.clear();
    tokenEmbedding_ = w.matrix("embed_in.weight", config_.vocabSize, d);
    for (int l = 0; l < config_.layers; ++l) {
      const std::string p = "layers." + std::to_string(l) + ".";
      Layer layer;
      layer.ln1Weight = w.vector(p + "input_layernorm.weight", d);
      layer.ln1Bias = w.vector(p + "input_layernorm.bias", d);
      layer.ln2Weight = w.vector(p + "post_attention_layernorm.weight", d);
      layer.ln2Bias = w.vector(p + "post_attention_layernorm.bias", d);
      const RowMatrix fused = w.linear(p + "attention.query_key_value.weight", d, 3 * d);
      const RowVector fusedBias = w.vector(p + "attention.query_key_value.bias", 3 * d);
      if (readData) {  // columns h * 3 hd + [0, hd) are head h's query, then its key, then its value
        layer.qkvWeight.resize(d, 3 * d);
        layer.qkvBias.resize(3 * d);
        for (int h = 0; h < H; ++h) {
          for (int part = 0; part < 3; ++part) {
            layer.qkvWeight.middleCols(part * d + h * hd, hd) = fused.middleCols((3 * h + part) * hd, hd);
            layer.qkvBias.segment(part * d + h * hd, hd) = fusedBias.segment((3 * h + part) * hd, hd);
          }
        }
      }
      layer.denseWeight = w.linear(p + "attention.dense.weight", d, d);
      layer.denseBias = w.vector(p + "attention.dense.bias", d);
      layer.upWeight = w.linear(p + "mlp.dense_h_to_4h.weight", d, inner);
      layer.upBias = w.vector(p + "mlp.dense_h_to_4h.bias", inner);
      layer.downWeight = w.linear(p + "mlp.dense_4h_to_h.weight", inner, d);
      layer.downBias = w.vector(p + "mlp.dense_4h_to_h.bias", d);
      layers_.push_back(std::move(layer));
    }
    finalWeight_ = w.vector("final_layer_norm.weight", d);
    finalBias_ = w.vector("final_layer_norm.bias", d);
    if (!config_.tieWordEmbeddings) lmHead_ = loader("", readData).matrix("embed_out.weight", config_.vocabSize, d);
  }

  void forward(std::span<const int> tokenIds, int start, KvCache* cache, const RunOptions& options,
               ModelCapture& capture) override {
    const int T = static_cast<int>(tokenIds.size()), d = config_.modelDim, hd = config_.headDim();
    RowMatrix hidden(T, d);
    for (int t = 0; t < T; ++t) hidden.row(t) = tokenEmbedding_.row(tokenIds[t]);
    for (size_t l = 0; l < layers_.size(); ++l) {
      reportProgress(options, static_cast<int>(l), static_cast<int>(layers_.size()) + 1);
      const Layer& layer = layers_[l];
      RowMatrix x = hidden;
      layerNorm(x, layer.ln1Weight, layer.ln1Bias, config_.normEpsilon);
      const RowMatrix qkv = affine(x, layer.qkvWeight, layer.qkvBias);
      RowMatrix q = qkv.leftCols(d), k = qkv.middleCols(d, d);
      if (options.captureAttention) {
        for (int h = 0; h < config_.heads; ++h) {
          capture.queriesPreRope.push_back(q.middleCols(h * hd, hd));
          capture.keysPreRope.push_back(k.middleCols(h * hd, hd));
        }
      }
      rotateHalf(q, config_.heads, hd, config_.rotaryDims, inverseFrequencies_, start);
      rotateHalf(k, config_.heads, hd, config_.rotaryDims, inverseFrequencies_, start);
      const auto [keys, values] = attendable(cache, static_cast<int>(l), start, std::move(k), qkv.rightCols(d));
      const RowMatrix attended = affine(multiHeadAttention(q, keys, values, true, options, capture, 0, start),
                                        layer.denseWeight, layer.denseBias);
      if (config_.parallelResidual) {
        x = hidden;  // the MLP reads the layer's input too, not the attention's output
      } else {
        hidden += attended;
        x = hidden;
      }
      layerNorm(x, layer.ln2Weight, layer.ln2Bias, config_.normEpsilon);
      RowMatrix inner = affine(x, layer.upWeight, layer.upBias);
      activate(inner, config_.activation);
      hidden += affine(inner, layer.downWeight, layer.downBias);
      if (config_.parallelResidual) hidden += attended;
    }
    layerNorm(hidden, finalWeight_, finalBias_, config_.normEpsilon);
    capture.logits = hidden * (lmHead_.size() ? lmHead_ : tokenEmbedding_).transpose();
  }

 private:
  struct Layer {
    RowVector ln1Weight, ln1Bias, ln2Weight, ln2Bias, qkvBias, denseBias, upBias, downBias;
    RowMatrix qkvWeight, denseWeight, upWeight, downWeight;  // qkvWeight: d x 3d as [all q | all k | all v]
  };
  RowMatrix tokenEmbedding_, lmHead_;
  RowVector finalWeight_, finalBias_;
  std::vector<double> inverseFrequencies_;
  std::vector<Layer> layers_;
};

// BERT: post-LN encoder, absolute positions plus token type 0, bidirectional attention. Logits come from the
// masked-LM head when the checkpoint has one (BertForMaskedLM), otherwise they are left empty.
class BertModel final : public HfModel {
 public:
  BertModel(HfConfig config, std::unique_ptr<HfTensorSource> files, const std::filesystem::path& directory)
      : HfModel(std::move(config), std::move(files), directory) {
    info_.architecture = "bert";
    info_.causal = false;
    loadWeights(false);
  }

 protected:
  void loadWeights(bool readData) override {
    const int d = config_.modelDim, inner = config_.intermediateDim;
    const WeightLoader w = loader(detectPrefix(*files_, "embeddings.word_embeddings.weight", {"", "bert."}), readData);
    layers_.clear();
    wordEmbedding_ = w.matrix("embeddings.word_embeddings.weight", config_.vocabSize, d);
    positionEmbedding_ = w.matrix("embeddings.position_embeddings.weight", config_.maxPositions, d);
    const RowMatrix types = w.matrix("embeddings.token_type_embeddings.weight", config_.typeVocabSize, d);
    if (readData) typeEmbedding_ = types.row(0);  // every token has type 0
    embedNormWeight_ = w.vectorEither("embeddings.LayerNorm.weight", "embeddings.LayerNorm.gamma", d);
    embedNormBias_ = w.vectorEither("embeddings.LayerNorm.bias", "embeddings.LayerNorm.beta", d);
    for (int l = 0; l < config_.layers; ++l) {
      const std::string p = "encoder.layer." + std::to_string(l) + ".";
      Layer layer;
      layer.qWeight = w.linear(p + "attention.self.query.weight", d, d);
      layer.qBias = w.vector(p + "attention.self.query.bias", d);
      layer.kWeight = w.linear(p + "attention.self.key.weight", d, d);
      layer.kBias = w.vector(p + "attention.self.key.bias", d);
      layer.vWeight = w.linear(p + "attention.self.value.weight", d, d);
      layer.vBias = w.vector(p + "attention.self.value.bias", d);
      layer.oWeight = w.linear(p + "attention.output.dense.weight", d, d);
      layer.oBias = w.vector(p + "attention.output.dense.bias", d);
      layer.ln1Weight =
          w.vectorEither(p + "attention.output.LayerNorm.weight", p + "attention.output.LayerNorm.gamma", d);
      layer.ln1Bias = w.vectorEither(p + "attention.output.LayerNorm.bias", p + "attention.output.LayerNorm.beta", d);
      layer.fcWeight = w.linear(p + "intermediate.dense.weight", d, inner);
      layer.fcBias = w.vector(p + "intermediate.dense.bias", inner);
      layer.outWeight = w.linear(p + "output.dense.weight", inner, d);
      layer.outBias = w.vector(p + "output.dense.bias", d);
      layer.ln2Weight = w.vectorEither(p + "output.LayerNorm.weight", p + "output.LayerNorm.gamma", d);
      layer.ln2Bias = w.vectorEither(p + "output.LayerNorm.bias", p + "output.LayerNorm.beta", d);
      layers_.push_back(std::move(layer));
    }
    const WeightLoader root = loader("", readData);
    if (root.has("cls.predictions.transform.dense.weight")) {
      mlmDenseWeight_ = root.linear("cls.predictions.transform.dense.weight", d, d);
      mlmDenseBias_ = root.vector("cls.predictions.transform.dense.bias", d);
      mlmNormWeight_ = root.vectorEither("cls.predictions.transform.LayerNorm.weight",
                                         "cls.predictions.transform.LayerNorm.gamma", d);
      mlmNormBias_ =
          root.vectorEither("cls.predictions.transform.LayerNorm.bias", "cls.predictions.transform.LayerNorm.beta", d);
      mlmBias_ = root.vector("cls.predictions.bias", config_.vocabSize);
      hasMlmHead_ = true;
    }
  }

  // An encoder: every token attends to every other, so it has no cache (startDecoding() gives nullptr).
  void forward(std::span<const int> tokenIds, int /*start*/, KvCache* /*cache*/, const RunOptions& options,
               ModelCapture& capture) override {
    const int T = static_cast<int>(tokenIds.size()), d = config_.modelDim;
    RowMatrix hidden(T, d);
    for (int t = 0; t < T; ++t) {
      hidden.row(t) = wordEmbedding_.row(tokenIds[t]) + positionEmbedding_.row(t) + typeEmbedding_;
    }
    layerNorm(hidden, embedNormWeight_, embedNormBias_, config_.normEpsilon);
    for (size_t l = 0; l < layers_.size(); ++l) {
      reportProgress(options, static_cast<int>(l), static_cast<int>(layers_.size()) + 1);
      const Layer& layer = layers_[l];
      const RowMatrix heads =
          multiHeadAttention(affine(hidden, layer.qWeight, layer.qBias), affine(hidden, layer.kWeight, layer.kBias),
                             affine(hidden, layer.vWeight, layer.vBias), false, options, capture);
      hidden += affine(heads, layer.oWeight, layer.oBias);
      layerNorm(hidden, layer.ln1Weight, layer.ln1Bias, config_.normEpsilon);
      RowMatrix inner = affine(hidden, layer.fcWeight, layer.fcBias);
      activate(inner, config_.activation);
      hidden += affine(inner, layer.outWeight, layer.outBias);
      layerNorm(hidden, layer.ln2Weight, layer.ln2Bias, config_.normEpsilon);
    }
    if (hasMlmHead_) {
      RowMatrix x = affine(hidden, mlmDenseWeight_, mlmDenseBias_);
      activate(x, config_.activation);
      layerNorm(x, mlmNormWeight_, mlmNormBias_, config_.normEpsilon);
      capture.logits = affine(x, wordEmbedding_.transpose(), mlmBias_);
    }
  }

 private:
  struct Layer {
    RowVector qBias, kBias, vBias, oBias, ln1Weight, ln1Bias, fcBias, outBias, ln2Weight, ln2Bias;
    RowMatrix qWeight, kWeight, vWeight, oWeight, fcWeight, outWeight;
  };
  RowMatrix wordEmbedding_, positionEmbedding_, mlmDenseWeight_;
  RowVector typeEmbedding_, embedNormWeight_, embedNormBias_, mlmDenseBias_, mlmNormWeight_, mlmNormBias_, mlmBias_;
  bool hasMlmHead_ = false;
  std::vector<Layer> layers_;
};

// The safetensors shards of a Hugging Face folder, as stored.
class SafetensorsSource final : public HfTensorSource {
 public:
  explicit SafetensorsSource(const std::filesystem::path& directory) : files_(directory) {}
  std::string format() const override { return "safetensors"; }
  std::string sizesOrigin() const override { return "config.json"; }
  bool contains(const std::string& name) const override { return files_.contains(name); }
  std::vector<int64_t> shape(const std::string& name) const override { return files_.entry(name).shape; }
  std::vector<float> readFloats(const std::string& name) const override { return files_.readFloats(name); }
  std::vector<TensorInfo> storedTensors() const override {
    std::vector<TensorInfo> tensors;
    for (const SafetensorsEntry& e : files_.entries()) tensors.push_back({e.name, e.dtypeName, e.shape});
    return tensors;
  }

 private:
  SafetensorsModelFiles files_;
};

}  // namespace

std::unique_ptr<Model> openGpt2Model(HfConfig config, std::unique_ptr<HfTensorSource> source,
                                     const std::filesystem::path& path) {
  return std::make_unique<Gpt2Model>(std::move(config), std::move(source), path);
}

std::unique_ptr<Model> openLlamaFamilyModel(HfConfig config, std::unique_ptr<HfTensorSource> source,
                                            const std::filesystem::path& path) {
  return std::make_unique<LlamaModel>(std::move(config), std::move(source), path);
}

std::unique_ptr<Model> openGptNeoxModel(HfConfig config, std::unique_ptr<HfTensorSource> source,
                                        const std::filesystem::path& path) {
  return std::make_unique<GptNeoxModel>(std::move(config), std::move(source), path);
}

std::unique_ptr<Model> openHfModel(const std::filesystem::path& directory) {
  if (!std::filesystem::is_directory(directory)) {
    throw FileError("'" + directory.string() + "' is not a Hugging Face model folder (expected a directory)");
  }
  HfConfig config = parseHfConfig(directory / "config.json");
  auto files = std::make_unique<SafetensorsSource>(directory);
  switch (config.architecture) {
    case HfArchitecture::Gpt2:
      return std::make_unique<Gpt2Model>(std::move(config), std::move(files), directory);
    case HfArchitecture::Llama:
      return std::make_unique<LlamaModel>(std::move(config), std::move(files), directory);
    case HfArchitecture::Bert:
      return std::make_unique<BertModel>(std::move(config), std::move(files), directory);
    case HfArchitecture::GptNeox:
      return std::make_unique<GptNeoxModel>(std::move(config), std::move(files), directory);
  }
  throw FileError("unsupported architecture in '" + directory.string() + "'");
}

const std::vector<std::string>& hfModelWarnings(const Model& model) {
  static const std::vector<std::string> none;
  const auto* hf = dynamic_cast<const HfModel*>(&model);
  return hf ? hf->warnings() : none;
}

}  // namespace attnscope::model
