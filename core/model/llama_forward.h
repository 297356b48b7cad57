// Llama-family decoder forward pass over float32 weights in llama2.c order: RMSNorm, rotary position embedding,
// grouped-query causal attention, SwiGLU MLP and a KV cache, one token at a time, optionally capturing every head.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "core/model/model.h"
#include "core/types.h"

namespace attnscope::model {

/// Softmax in place over x[0, n) (n >= 1), max-subtracted, with llama2.c's exact operation order (exp, running
/// sum, divide): the forward pass and the sampler share it so seeded runs reproduce llama2.c bit for bit.
void softmaxInPlace(float* x, int n);

/// Sizes of a Llama-family decoder (llama2.c header fields plus the constants llama2.c hard-codes).
struct LlamaConfig {
  int modelDim = 0;   // dim: residual stream width
  int hiddenDim = 0;  // SwiGLU width
  int layers = 0;
  int heads = 0;    // query heads
  int kvHeads = 0;  // key/value heads; heads % kvHeads == 0 (query head h reads kv head h / (heads / kvHeads))
  int vocabSize = 0;
  int maxSequence = 0;  // seq_len: KV cache length
  float normEpsilon = 1e-5f;
  float ropeTheta = 10000.0f;

  int headDim() const { return modelDim / heads; }
  int kvDim() const { return kvHeads * headDim(); }
};

/// Read-only views of row-major float32 weights (they must outlive the decoder). Per-layer tensors are stacked
/// layer-major; a projection "out x in" maps an `in` vector to an `out` vector (llama2.c's matmul convention).
struct LlamaWeights {
  const float* tokenEmbedding = nullptr;  // vocab x dim
  const float* attentionNorm = nullptr;   // layers x dim
  const float* wq = nullptr;              // layers x (heads * headDim) x dim
  const float* wk = nullptr;              // layers x kvDim x dim
  const float* wv = nullptr;              // layers x kvDim x dim
  const float* wo = nullptr;              // layers x dim x (heads * headDim)
  const float* ffnNorm = nullptr;         // layers x dim
  const float* w1 = nullptr;              // layers x hidden x dim (gate)
  const float* w2 = nullptr;              // layers x dim x hidden (down)
  const float* w3 = nullptr;              // layers x hidden x dim (up)
  const float* finalNorm = nullptr;       // dim
  const float* classifier = nullptr;      // vocab x dim (may alias tokenEmbedding)
};

/// What a decoder records while it runs.
struct DecoderCaptureOptions {
  int capacity = 0;    // positions to reserve; 0 records nothing
  bool heads = true;   // per-head Q/K (pre and post RoPE) and attention rows
  bool logits = true;  // one row of logits per position
};

/// Incremental decoding with a KV cache. All buffers are allocated by the constructor and reset(), so step() does
/// no heap allocation: generation runs at plain-C speed. Not thread-safe; use one decoder per thread.
class LlamaDecoder {
 public:
  LlamaDecoder(const LlamaConfig& config, const LlamaWeights& weights);

  /// Starts a new sequence at position 0. With capture.capacity > 0 the next min(capacity, maxSequence) positions
  /// are recorded (reserving capacity^2 floats per head for attention when capture.heads).
  void reset(const DecoderCaptureOptions& capture = {});

  /// Feeds `token` at position() and advances. Returns the vocab logits for the next token, valid until the next
  /// step() or reset(). Throws InputError for a token outside [0, vocab) or when maxSequence positions are used.
  std::span<const float> step(int token);

  /// Positions fed since reset().
  int position() const { return position_; }
  const LlamaConfig& config() const { return config_; }

  /// Moves out what was recorded (trimmed to the positions fed, at most the capacity); capture stops until reset.
  /// Keys are stored per query head (repeated across a grouped-query group); attention rows are causal (zeros above
  /// the diagonal).
  ModelCapture takeCapture();

 private:
  void rmsNorm(Eigen::Ref<Vector> out, const Vector& in, const float* weight) const;

  LlamaConfig config_;
  LlamaWeights weights_;
  int position_ = 0;

  // Scratch vectors (llama2.c's RunState).
  Vector x_, xb_, xb2_, q_, k_, v_, hb_, hb2_, scores_, logits_;
  // KV cache: per layer and kv head, a contiguous maxSequence x headDim block (contiguous per head so a head's
  // score and value products are plain matrix-vector products).
  std::vector<float> keyCache_, valueCache_;
  // RoPE cos/sin per position and dimension pair: maxSequence x headDim/2, computed as llama2.c does (float powf).
  RowMatrix ropeCos_, ropeSin_;

  DecoderCaptureOptions captureOptions_;
  ModelCapture capture_;
  std::unique_ptr<float[]> packedAttention_;  // per head, a packed lower triangle of capacity rows
  size_t packedAttentionSize_ = 0;
};

}  // namespace attnscope::model
