// Llama decoder step, written to match llama2.c's run.c operation for operation (same RoPE table, same softmax,
// same SwiGLU) so greedy generation reproduces its text token for token, with Eigen matrix-vector products.
#include "core/model/llama_forward.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/memory_budget.h"

namespace attnscope::model {
namespace {

using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using ConstVectorMap = Eigen::Map<const Vector>;

// Attention maps are the only capture buffer that grows quadratically; refuse before allocating a runaway amount.
constexpr double kCaptureBudgetBytes = 4.0 * 1024 * 1024 * 1024;

// Entries in the first `rows` rows of a packed lower triangle (row t holds t + 1 entries).
constexpr size_t triangle(int rows) {
  return size_t(rows) * size_t(rows + 1) / 2;
}

// Rotates consecutive pairs (2j, 2j+1) of each headDim-wide head in `vec` by the angles of one position.
void applyRope(float* vec, int width, int headDim, const float* cosRow, const float* sinRow) {
  for (int i = 0; i < width; i += 2) {
    const int pair = (i % headDim) / 2;
    const float c = cosRow[pair], s = sinRow[pair];
    const float v0 = vec[i], v1 = vec[i + 1];
    vec[i] = v0 * c - v1 * s;
    vec[i + 1] = v0 * s + v1 * c;
  }
}

}  // namespace

void softmaxInPlace(float* x, int n) {
  float maxValue = x[0];
  for (int i = 1; i < n; ++i) maxValue = std::max(maxValue, x[i]);
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - maxValue);
    sum += x[i];
  }
  for (int i = 0; i < n; ++i) x[i] /= sum;
}

LlamaDecoder::LlamaDecoder(const LlamaConfig& config, const LlamaWeights& weights)
    : config_(config), weights_(weights) {
  if (config.modelDim < 1 || config.heads < 1 || config.kvHeads < 1 || config.layers < 1 || config.hiddenDim < 1 ||
      config.vocabSize < 1 || config.maxSequence < 1 || config.modelDim % config.heads != 0 ||
      config.heads % config.kvHeads != 0 || config.headDim() % 2 != 0)
    throw InputError("LlamaDecoder: inconsistent sizes (dim " + std::to_string(config.modelDim) + ", heads " +
                     std::to_string(config.heads) + ", kv heads " + std::to_string(config.kvHeads) +
                     "): need dim % heads == 0, heads % kv heads == 0 and an even head dimension");
  const int dim = config.modelDim, kvDim = config.kvDim(), headDim = config.headDim();
  // seq_len comes from the checkpoint header: the keys and values of every position can dwarf the weights.
  requireWithinBudget(2.0 * config.layers * config.maxSequence * kvDim * sizeof(float) +
                          double(config.maxSequence) * headDim * sizeof(float),
                      "the KV cache of " + std::to_string(config.layers) + " layers x " +
                          std::to_string(config.maxSequence) + " positions x " + std::to_string(kvDim) +
                          " key/value dimensions");
  x_.setZero(dim);
  xb_.setZero(dim);
  xb2_.setZero(dim);
  q_.setZero(dim);
  k_.setZero(kvDim);
  v_.setZero(kvDim);
  hb_.setZero(config.hiddenDim);
  hb2_.setZero(config.hiddenDim);
  scores_.setZero(config.maxSequence);
  logits_.setZero(config.vocabSize);
  const size_t cacheSize = size_t(config.layers) * config.maxSequence * kvDim;
  keyCache_.assign(cacheSize, 0.0f);
  valueCache_.assign(cacheSize, 0.0f);

  // llama2.c recomputes these per token in float; tabulating the same float expressions gives identical angles.
  ropeCos_.resize(config.maxSequence, headDim / 2);
  ropeSin_.resize(config.maxSequence, headDim / 2);
  for (int pair = 0; pair < headDim / 2; ++pair) {
    const float frequency = 1.0f / std::pow(config.ropeTheta, float(2 * pair) / float(headDim));
    for (int pos = 0; pos < config.maxSequence; ++pos) {
      const float angle = float(pos) * frequency;
      ropeCos_(pos, pair) = std::cos(angle);
      ropeSin_(pos, pair) = std::sin(angle);
    }
  }
}

void LlamaDecoder::rmsNorm(Eigen::Ref<Vector> out, const Vector& in, const float* weight) const {
  float sumSquares = 0.0f;
  for (Eigen::Index j = 0; j < in.size(); ++j) sumSquares += in[j] * in[j];
  sumSquares = sumSquares / float(in.size()) + config_.normEpsilon;
  const float scale = 1.0f / std::sqrt(sumSquares);
  for (Eigen::Index j = 0; j < in.size(); ++j) out[j] = weight[j] * (scale * in[j]);
}

void LlamaDecoder::reset(const DecoderCaptureOptions& capture) {
  position_ = 0;
  captureOptions_ = capture;
  captureOptions_.capacity = std::clamp(capture.capacity, 0, config_.maxSequence);
  capture_ = ModelCapture{};
  const int capacity = captureOptions_.capacity;
  if (capacity == 0) return;

  const int headCount = config_.layers * config_.heads, headDim = config_.headDim();
  capture_.layers = config_.layers;
  capture_.heads = config_.heads;
  capture_.headDim = headDim;
  capture_.causal = true;
  capture_.rope = true;
  capture_.tokenIds.reserve(capacity);
  // Capture buffers are left uninitialised: every row read back by takeCapture() is written first, and untouched
  // memory costs no page faults when a generation stops early.
  if (captureOptions_.logits) capture_.logits.resize(capacity, config_.vocabSize);
  if (!captureOptions_.heads) return;

  const double attentionBytes = double(capacity) * capacity * headCount * sizeof(float);
  if (attentionBytes > kCaptureBudgetBytes)
    throw ResourceError("capturing " + std::to_string(capacity) + " tokens over " + std::to_string(headCount) +
                        " heads needs " + std::to_string(int64_t(attentionBytes / (1024 * 1024))) +
                        " MiB of attention maps (budget 4096 MiB); capture fewer tokens");
  for (auto* list : {&capture_.queries, &capture_.keys, &capture_.queriesPreRope, &capture_.keysPreRope}) {
    list->resize(size_t(headCount));
    for (RowMatrix& m : *list) m.resize(capacity, headDim);
  }
  // Attention rows go to a packed lower triangle per head (row t holds t + 1 weights); the square maps are built
  // once, at the recorded length, by takeCapture().
  const size_t packedSize = size_t(headCount) * triangle(capacity);
  if (packedSize > packedAttentionSize_) {
    packedAttention_.reset(new float[packedSize]);
    packedAttentionSize_ = packedSize;
  }
}

std::span<const float> LlamaDecoder::step(int token) {
  if (token < 0 || token >= config_.vocabSize)
    throw InputError("token id " + std::to_string(token) + " is outside the vocabulary [0, " +
                     std::to_string(config_.vocabSize) + ")");
  if (position_ >= config_.maxSequence)
    throw InputError("the sequence is full: the model's context holds " + std::to_string(config_.maxSequence) +
                     " positions");

  const int dim = config_.modelDim, kvDim = config_.kvDim(), headDim = config_.headDim();
  const int hidden = config_.hiddenDim, pos = position_, positions = pos + 1;
  const int groupSize = config_.heads / config_.kvHeads;
  const float scoreScale = std::sqrt(float(headDim));
  const bool capturing = pos < captureOptions_.capacity;
  const bool capturingHeads = capturing && captureOptions_.heads;
  const float* cosRow = &ropeCos_(pos, 0);
  const float* sinRow = &ropeSin_(pos, 0);

  x_ = ConstVectorMap(weights_.tokenEmbedding + size_t(token) * dim, dim);
  for (int layer = 0; layer < config_.layers; ++layer) {
    rmsNorm(xb_, x_, weights_.attentionNorm + size_t(layer) * dim);
    q_.noalias() = ConstMatrixMap(weights_.wq + size_t(layer) * dim * dim, dim, dim) * xb_;
    k_.noalias() = ConstMatrixMap(weights_.wk + size_t(layer) * kvDim * dim, kvDim, dim) * xb_;
    v_.noalias() = ConstMatrixMap(weights_.wv + size_t(layer) * kvDim * dim, kvDim, dim) * xb_;

    const int firstHead = layer * config_.heads;
    if (capturingHeads)
      for (int h = 0; h < config_.heads; ++h) {
        capture_.queriesPreRope[firstHead + h].row(pos) = q_.segment(h * headDim, headDim).transpose();
        capture_.keysPreRope[firstHead + h].row(pos) = k_.segment((h / groupSize) * headDim, headDim).transpose();
      }
    applyRope(q_.data(), dim, headDim, cosRow, sinRow);
    applyRope(k_.data(), kvDim, headDim, cosRow, sinRow);
    if (capturingHeads)
      for (int h = 0; h < config_.heads; ++h) {
        capture_.queries[firstHead + h].row(pos) = q_.segment(h * headDim, headDim).transpose();
        capture_.keys[firstHead + h].row(pos) = k_.segment((h / groupSize) * headDim, headDim).transpose();
      }

    // Cache this position's key and value in each kv head's contiguous block.
    const size_t layerCache = size_t(layer) * config_.kvHeads * config_.maxSequence * headDim;
    for (int g = 0; g < config_.kvHeads; ++g) {
      const size_t offset = layerCache + (size_t(g) * config_.maxSequence + pos) * headDim;
      std::copy_n(k_.data() + g * headDim, headDim, keyCache_.data() + offset);
      std::copy_n(v_.data() + g * headDim, headDim, valueCache_.data() + offset);
    }

    for (int h = 0; h < config_.heads; ++h) {
      const size_t headCache = layerCache + size_t(h / groupSize) * config_.maxSequence * headDim;
      const ConstMatrixMap keys(keyCache_.data() + headCache, positions, headDim);
      const ConstMatrixMap values(valueCache_.data() + headCache, positions, headDim);
      auto scores = scores_.head(positions);
      scores.noalias() = keys * q_.segment(h * headDim, headDim);
      scores /= scoreScale;
      softmaxInPlace(scores.data(), positions);
      if (capturingHeads)
        std::copy_n(
            scores.data(), positions,
            packedAttention_.get() + size_t(firstHead + h) * triangle(captureOptions_.capacity) + triangle(pos));
      xb_.segment(h * headDim, headDim).noalias() = values.transpose() * scores;
    }
    xb2_.noalias() = ConstMatrixMap(weights_.wo + size_t(layer) * dim * dim, dim, dim) * xb_;
    x_ += xb2_;

    rmsNorm(xb_, x_, weights_.ffnNorm + size_t(layer) * dim);
    hb_.noalias() = ConstMatrixMap(weights_.w1 + size_t(layer) * hidden * dim, hidden, dim) * xb_;
    hb2_.noalias() = ConstMatrixMap(weights_.w3 + size_t(layer) * hidden * dim, hidden, dim) * xb_;
    for (int i = 0; i < hidden; ++i) {
      float value = hb_[i];
      value *= 1.0f / (1.0f + std::exp(-value));  // SiLU gate
      hb_[i] = value * hb2_[i];
    }
    xb_.noalias() = ConstMatrixMap(weights_.w2 + size_t(layer) * dim * hidden, dim, hidden) * hb_;
    x_ += xb_;
  }
  rmsNorm(x_, x_, weights_.finalNorm);
  logits_.noalias() = ConstMatrixMap(weights_.classifier, config_.vocabSize, dim) * x_;

  if (capturing) {
    capture_.tokenIds.push_back(token);
    if (captureOptions_.logits) capture_.logits.row(pos) = logits_.transpose();
  }
  ++position_;
  return {logits_.data(), size_t(logits_.size())};
}

ModelCapture LlamaDecoder::takeCapture() {
  const int capacity = captureOptions_.capacity, recorded = std::min(position_, capacity);
  ModelCapture result = std::move(capture_);
  capture_ = ModelCapture{};
  captureOptions_.capacity = 0;
  if (capacity > 0 && captureOptions_.heads) {
    result.attention.resize(size_t(result.layers) * result.heads);
    for (size_t i = 0; i < result.attention.size(); ++i) {
      RowMatrix& attention = result.attention[i];
      attention.resize(recorded, recorded);
      const float* packed = packedAttention_.get() + i * triangle(capacity);
      for (int t = 0; t < recorded; ++t) {
        attention.row(t).head(t + 1) = Eigen::Map<const Eigen::RowVectorXf>(packed + triangle(t), t + 1);
        attention.row(t).tail(recorded - t - 1).setZero();
      }
    }
  }
  result.tokens = recorded;
  if (recorded < result.logits.rows()) result.logits.conservativeResize(recorded, Eigen::NoChange);
  for (auto* list : {&result.queries, &result.keys, &result.queriesPreRope, &result.keysPreRope})
    for (RowMatrix& m : *list)
      if (m.rows() != recorded) m.conservativeResize(recorded, Eigen::NoChange);
  return result;
}

}  // namespace attnscope::model
