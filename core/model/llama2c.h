// llama2.c checkpoints (Karpathy's .bin format): loading with full validation against the file size, and the
// Model implementation running the Eigen forward pass of llama_forward.h (RoPE, grouped-query attention, KV cache).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "core/model/llama_forward.h"
#include "core/model/model.h"

namespace attnscope::model {

/// A loaded llama2.c checkpoint. The weights live in memory for the model's lifetime; decoders view them.
class Llama2cModel final : public Model {
 public:
  /// Use openLlama2cModel() or openGgufModel(); this constructor takes already validated weights in llama2.c order.
  /// `legacyRopeTables`: the weights include llama2.c's two unused freq_cis tables (maxSequence x headDim/2 each)
  /// before the classifier, as .bin files do; GGUF files have none.
  Llama2cModel(ModelInfo info, LlamaConfig config, bool sharedClassifier, std::vector<float> weights,
               bool legacyRopeTables = true);

  const ModelInfo& info() const override { return info_; }
  const LlamaConfig& config() const { return config_; }
  bool sharedClassifier() const { return sharedClassifier_; }

  /// Runs `tokenIds` (1 to maxSequence ids in [0, vocab)) from position 0 and captures every layer and query head:
  /// Q and K before and after RoPE (tokens x headDim each, keys repeated per query head), the causal attention the
  /// model used (tokens x tokens) and the logits (tokens x vocab). tokenTexts are the tokenizer's pieces when one
  /// is attached (setTokenizer), else "[id]". Progress is reported after every token; cancelling throws
  /// attnscope::Error("cancelled").
  ModelCapture run(std::span<const int> tokenIds, const RunOptions& options = {}) override;

  /// A fresh incremental decoder over this model's weights (for generation); the model must outlive it.
  LlamaDecoder makeDecoder() const { return LlamaDecoder(config_, weights_); }
  /// Views of the weights (valid while the model lives), e.g. for reference implementations in benchmarks.
  const LlamaWeights& weights() const { return weights_; }

  /// Attaches the tokenizer used for token labels in captures (may be null).
  void setTokenizer(std::shared_ptr<const Tokenizer> tokenizer, std::filesystem::path tokenizerPath = {});
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  std::shared_ptr<const Tokenizer> sharedTokenizer() const { return tokenizer_; }
  /// Where the attached tokenizer came from (empty if none or set programmatically).
  const std::filesystem::path& tokenizerPath() const { return tokenizerPath_; }

  /// Tokens that end generation: llama2.c stops at BOS (token 1, its end-of-story convention); GGUF models stop at
  /// the file's BOS and EOS ids.
  const std::vector<int>& stopTokens() const { return stopTokens_; }
  void setStopTokens(std::vector<int> tokens) { stopTokens_ = std::move(tokens); }

 private:
  ModelInfo info_;
  LlamaConfig config_;
  bool sharedClassifier_;
  std::vector<float> storage_;  // the file's float payload, in llama2.c order
  LlamaWeights weights_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::filesystem::path tokenizerPath_;
  std::vector<int> stopTokens_ = {1};
};

/// Opens a llama2.c checkpoint: a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
/// seq_len; a negative vocab_size means an unshared classifier) followed by float32 weights in llama2.c order.
/// Every size is checked against the file size before reading, and the weights must be finite. Throws FileError
/// naming the file for unreadable, truncated, oversized or inconsistent files. A llama2.c tokenizer found next to
/// the model (findLlama2cTokenizer) is attached for token labels; the result is a Llama2cModel.
std::unique_ptr<Model> openLlama2cModel(const std::filesystem::path& path);

/// True if `path` is a regular file whose size and 28-byte header are consistent with a llama2.c checkpoint.
bool looksLikeLlama2cModel(const std::filesystem::path& path);

/// The llama2.c tokenizer next to `modelPath` that loads with `vocabSize` tokens: tok<vocabSize>.bin first, then
/// tokenizer.bin, then any other tok*.bin in name order. Returns nothing if none fits.
std::optional<std::filesystem::path> findLlama2cTokenizer(const std::filesystem::path& modelPath, int vocabSize);

}  // namespace attnscope::model
