// Text generation with a llama2.c model: llama2.c's sampler (argmax, multinomial, top-p with its xorshift RNG) and
// its generate loop (prompt forcing, stop at BOS, streamed pieces), optionally capturing every head on the way.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/llama2c.h"
#include "core/model/llama2c_tokenizer.h"

namespace attnscope::model {

struct SamplerOptions {
  float temperature = 1.0f;  // 0 = greedy (argmax); must be >= 0
  float topp = 0.9f;         // nucleus threshold; <= 0 or >= 1 samples from the full distribution
  uint64_t seed = 1;         // xorshift state; must not be 0
};

/// llama2.c's Sampler: identical choices for identical logits, options and seed.
class Sampler {
 public:
  /// Throws InputError for vocabSize < 1, a negative or non-finite temperature, or seed 0.
  Sampler(int vocabSize, const SamplerOptions& options);
  /// Picks the next token from `logits` (vocab entries; copied, not modified).
  int sample(std::span<const float> logits);

 private:
  uint32_t randomU32();
  float randomF32();

  SamplerOptions options_;
  uint64_t state_;
  std::vector<float> probabilities_;
  std::vector<std::pair<float, int>> candidates_;  // top-p scratch: (probability, token)
};

struct GenerateOptions {
  std::string prompt;  // encoded with BOS and the dummy prefix; empty starts from BOS alone
  int steps = 256;     // forward positions including the prompt's; <= 0 or > maxSequence means maxSequence
  SamplerOptions sampler;
  bool capture = false;       // record Q/K/attention of every position fed (costs capacity^2 floats per head)
  ProgressCallback progress;  // called after each position with position / steps; false cancels
};

struct GenerateResult {
  std::vector<int> tokens;  // every token fed or produced: BOS, the prompt, then the generated tokens
  std::string text;         // exactly what llama2.c prints (without its final newline)
  int positions = 0;        // forward passes run
  double seconds = 0.0;     // wall time of those forward passes (and sampling)
  ModelCapture capture;     // filled when options.capture
};

/// Runs llama2.c's generate(): forces the prompt tokens, then samples until `steps` positions are run or one of the
/// model's stop tokens (Llama2cModel::stopTokens(): BOS for llama2.c, BOS and EOS for GGUF) is produced. `onText`
/// receives each printed piece as soon as it is decoded (for streaming output). With a Llama2cTokenizer the text is
/// exactly what llama2.c prints (decodeNext); with any other tokenizer (a GGUF vocabulary) it is the tokenizer's
/// decode() of the tokens after the first, streamed as each new token extends it.
GenerateResult generate(const Llama2cModel& model, const Tokenizer& tokenizer, const GenerateOptions& options,
                        const std::function<void(std::string_view)>& onText = {});

}  // namespace attnscope::model
