// The common face of every transformer attnscope can open (llama2.c, Hugging Face safetensors, capture files):
// run a token sequence and capture, per layer and head, the queries, keys and attention weights the model used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/types.h"

namespace attnscope::model {

/// One tensor as stored in a checkpoint (for `attnscope model info`).
struct TensorInfo {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;
};

/// What a checkpoint is: enough to print `model info` and to size the UI's layer x head grid.
struct ModelInfo {
  std::string path;
  std::string format;        // "llama2.c", "safetensors", "capture"
  std::string architecture;  // "llama", "gpt2", "bert", "capture"
  int layers = 0;
  int heads = 0;          // query heads per layer
  int keyValueHeads = 0;  // < heads for grouped-query attention
  int modelDim = 0;
  int headDim = 0;
  int vocabSize = 0;
  int maxSequence = 0;
  bool causal = true;     // false for BERT-style encoders
  bool rope = false;      // rotary position embedding: captures carry pre- and post-rotation Q/K
  bool qkNorm = false;    // per-head RMSNorm of q and k (Qwen3, OLMo-2): captures also carry q/k before the norm
  int slidingWindow = 0;  // query i sees only keys i - window < j <= i (Mistral); 0 = unlimited
  std::vector<bool> slidingLayers;  // per layer, whether slidingWindow applies (Gemma 2/3); empty = every layer
  /// Gemma 2's attention soft-cap c (0 = none): the captured weights are the softmax of c tanh(s q.k / c), so they
  /// differ from a plain softmax of the captured q and k.
  float attentionSoftcap = 0.0f;
  std::string attentionKernel = "dpa";  // the kernel the model attends with (checkpoints of `attnscope train`)
  int bosTokenId = -1;                  // beginning-of-sequence id from the checkpoint's config, -1 if none
  int eosTokenId = -1;                  // end-of-sequence id (generation stops there), -1 if none
  std::vector<TensorInfo> tensors;
};

/// Everything captured from one forward pass over `tokens` tokens. Per-head matrices are indexed by
/// headIndex(layer, head) = layer * heads + head. Grouped-query models store keys per QUERY head (repeated).
struct ModelCapture {
  int layers = 0;
  int heads = 0;
  int tokens = 0;
  int headDim = 0;
  bool causal = true;
  bool rope = false;
  std::vector<int> tokenIds;              // tokens
  std::vector<std::string> tokenTexts;    // tokens (decoded pieces, for labels)
  std::vector<RowMatrix> queries;         // layers*heads of (tokens x headDim), after RoPE for RoPE models
  std::vector<RowMatrix> keys;            // layers*heads of (tokens x headDim), after RoPE for RoPE models
  std::vector<RowMatrix> queriesPreRope;  // empty unless rope
  std::vector<RowMatrix> keysPreRope;     // empty unless rope
  // QK-norm models (Qwen3): q/k straight out of the projections, before the per-head RMSNorm. queriesPreRope are then
  // after the norm, and queries/keys after norm and RoPE, the vectors the attention uses (and the views show).
  std::vector<RowMatrix> queriesPreNorm;  // empty unless the model normalises q and k
  std::vector<RowMatrix> keysPreNorm;     // empty unless the model normalises q and k
  std::vector<RowMatrix> attention;       // layers*heads of (tokens x tokens): the weights the model used
  RowMatrix logits;                       // tokens x vocab (may be empty for capture files)

  int headIndex(int layer, int head) const { return layer * heads + head; }
};

/// Progress and cancellation for long runs: called with a fraction in [0, 1]; return false to cancel
/// (the run then throws attnscope::Error("cancelled")).
using ProgressCallback = std::function<bool(float fraction)>;

struct RunOptions {
  bool captureAttention = true;  // false skips Q/K/attention copies (plain generation speed)
  ProgressCallback progress;
};

/// Incremental decoding with a key-value cache: each feed() runs only the new positions, attending over the cached
/// keys and values of the earlier ones, so generating n tokens costs O(n) forward positions instead of O(n^2).
class Decoder {
 public:
  virtual ~Decoder() = default;
  /// Runs `tokens` (each in [0, vocabSize)) at positions position() .. position() + size - 1 and returns the next-token
  /// logits after the last one (vocabSize floats). Throws InputError for bad ids or past the model's maxSequence,
  /// ResourceError when the cache would exceed the memory budget; the cache is unchanged after a throw.
  virtual std::vector<float> feed(std::span<const int> tokens) = 0;
  /// Number of positions fed so far.
  virtual int position() const = 0;
};

/// A loaded model. Implementations: llama2.c checkpoints, Hugging Face safetensors directories, capture files.
class Model {
 public:
  virtual ~Model() = default;
  /// A decoder with an empty key-value cache, or nullptr for models that do not generate (encoders such as BERT,
  /// capture files). The decoder borrows the model: it must not outlive it.
  virtual std::unique_ptr<Decoder> startDecoding() { return nullptr; }
  virtual const ModelInfo& info() const = 0;
  /// Runs the model on `tokenIds` (each in [0, vocabSize)) and returns the capture. Throws InputError for
  /// out-of-range ids or sequences longer than maxSequence.
  virtual ModelCapture run(std::span<const int> tokenIds, const RunOptions& options = {}) = 0;
};

/// Text <-> token ids. Implementations: llama2.c tokenizer, Hugging Face tokenizer.json (byte-level BPE,
/// SentencePiece-style BPE, WordPiece), GGUF vocabularies (SpmTokenizer, byte-level BPE).
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  /// Encodes text; `addBos` prepends the beginning-of-sequence token where the tokenizer has one.
  virtual std::vector<int> encode(const std::string& text, bool addBos = true) const = 0;
  /// The printable piece of one token (for token strips and labels).
  virtual std::string piece(int tokenId) const = 0;
  /// Decodes a sequence to text (handles byte tokens and leading-space rules of the format).
  virtual std::string decode(std::span<const int> tokenIds) const = 0;
  virtual int vocabSize() const = 0;
};

/// Opens any supported model by path: a llama2.c .bin, a GGUF file (by its magic), a Hugging Face directory
/// (config.json + model.safetensors[.index.json]) or a capture .safetensors file. PyTorch pickles are refused with an
/// explanation. Throws FileError naming the file and the problem.
std::unique_ptr<Model> openModel(const std::filesystem::path& path);

}  // namespace attnscope::model
