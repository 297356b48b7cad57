// llama2.c's sampling and generation loop, ported decision for decision so seeded runs reproduce its output.
#include "core/model/llama_generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"
#include "core/model/llama_forward.h"

namespace attnscope::model {

Sampler::Sampler(int vocabSize, const SamplerOptions& options) : options_(options), state_(options.seed) {
  if (vocabSize < 1) throw InputError("sampler: vocabulary size must be at least 1");
  if (!(options.temperature >= 0.0f) || !std::isfinite(options.temperature))
    throw InputError("temperature must be a finite number >= 0, got " + std::to_string(options.temperature));
  if (!std::isfinite(options.topp)) throw InputError("top-p must be finite");
  if (options.seed == 0) throw InputError("the sampler seed must not be 0 (xorshift would stay at 0)");
  probabilities_.resize(size_t(vocabSize));
  candidates_.reserve(size_t(vocabSize));
}

uint32_t Sampler::randomU32() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return uint32_t((state_ * 0x2545F4914F6CDD1Dull) >> 32);
}

float Sampler::randomF32() {
  return float(randomU32() >> 8) / 16777216.0f;
}

int Sampler::sample(std::span<const float> logits) {
  const int n = int(probabilities_.size());
  if (int(logits.size()) != n)
    throw InputError("sampler: got " + std::to_string(logits.size()) + " logits for a vocabulary of " +
                     std::to_string(n));
  if (options_.temperature == 0.0f) {
    int best = 0;  // first maximum, as llama2.c's sample_argmax
    for (int i = 1; i < n; ++i)
      if (logits[size_t(i)] > logits[size_t(best)]) best = i;
    return best;
  }
  for (int i = 0; i < n; ++i) probabilities_[size_t(i)] = logits[size_t(i)] / options_.temperature;
  softmaxInPlace(probabilities_.data(), n);
  const float coin = randomF32();

  if (options_.topp <= 0.0f || options_.topp >= 1.0f) {
    float cdf = 0.0f;
    for (int i = 0; i < n; ++i) {
      cdf += probabilities_[size_t(i)];
      if (coin < cdf) return i;
    }
    return n - 1;  // rounding
  }
  // Top-p: drop tokens that cannot be in the nucleus, sort the rest by probability (stable, like glibc's merge-sort
  // qsort), keep the shortest prefix whose mass exceeds topp and sample within it.
  const float cutoff = (1.0f - options_.topp) / float(n - 1 > 0 ? n - 1 : 1);
  candidates_.clear();
  for (int i = 0; i < n; ++i)
    if (probabilities_[size_t(i)] >= cutoff) candidates_.emplace_back(probabilities_[size_t(i)], i);
  if (candidates_.empty()) {  // a tiny topp can put the cutoff above every probability: take the likeliest
    return int(std::max_element(probabilities_.begin(), probabilities_.end()) - probabilities_.begin());
  }
  std::stable_sort(candidates_.begin(), candidates_.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  float cumulative = 0.0f;
  size_t last = candidates_.size() - 1;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cumulative += candidates_[i].first;
    if (cumulative > options_.topp) {
      last = i;
      break;
    }
  }
  const float r = coin * cumulative;
  float cdf = 0.0f;
  for (size_t i = 0; i <= last; ++i) {
    cdf += candidates_[i].first;
    if (r < cdf) return candidates_[i].second;
  }
  return candidates_[last].second;
}

GenerateResult generate(const Llama2cModel& model, const Tokenizer& tokenizer, const GenerateOptions& options,
                        const std::function<void(std::string_view)>& onText) {
  const auto* llama2cTokenizer = dynamic_cast<const Llama2cTokenizer*>(&tokenizer);
  const std::vector<int>& stops = model.stopTokens();
  // Other tokenizers decode whole sequences (byte tokens join into UTF-8, the leading space of the first piece
  // goes): the text so far is re-decoded and only what it gained is printed.
  std::vector<int> decoded;
  std::string printed;
  auto textOf = [&](int previous, int next) -> std::string {
    if (llama2cTokenizer) return llama2cTokenizer->decodeNext(previous, next);
    decoded.push_back(next);
    const std::string text = tokenizer.decode(decoded);
    if (!text.starts_with(printed)) return {};  // not a continuation (cannot happen for SentencePiece): wait
    std::string gained = text.substr(printed.size());
    printed = text;
    return gained;
  };
  const LlamaConfig& config = model.config();
  if (tokenizer.vocabSize() != config.vocabSize)
    throw InputError("the tokenizer has " + std::to_string(tokenizer.vocabSize()) + " tokens but the model has " +
                     std::to_string(config.vocabSize));
  const int steps = options.steps <= 0 || options.steps > config.maxSequence ? config.maxSequence : options.steps;
  const std::vector<int> prompt = tokenizer.encode(options.prompt, true);
  if (int(prompt.size()) > steps)
    throw InputError("the prompt has " + std::to_string(prompt.size()) + " tokens, more than the " +
                     std::to_string(steps) + " steps allowed");

  Sampler sampler(config.vocabSize, options.sampler);
  LlamaDecoder decoder = model.makeDecoder();
  decoder.reset({.capacity = options.capture ? steps : 0, .heads = true, .logits = true});

  GenerateResult result;
  result.tokens.reserve(size_t(steps) + 1);
  result.tokens.push_back(prompt[0]);
  const auto start = std::chrono::steady_clock::now();
  int token = prompt[0];
  for (int pos = 0; pos < steps; ++pos) {
    const std::span<const float> logits = decoder.step(token);
    const int next = pos + 1 < int(prompt.size()) ? prompt[size_t(pos) + 1] : sampler.sample(logits);
    if (options.progress && !options.progress(float(pos + 1) / float(steps))) throw Error("cancelled");
    // BOS delimits sequences: the model has finished its story.
    if (std::find(stops.begin(), stops.end(), next) != stops.end()) break;
    result.tokens.push_back(next);
    const std::string piece = textOf(token, next);
    result.text += piece;
    if (onText && !piece.empty()) onText(piece);
    token = next;
  }
  if (!llama2cTokenizer) {  // whatever a non-continuing decode held back
    const std::string full = tokenizer.decode(decoded);
    if (onText && full.size() > result.text.size() && full.starts_with(result.text))
      onText(std::string_view(full).substr(result.text.size()));
    result.text = full;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.positions = decoder.position();
  if (options.capture) {
    result.capture = decoder.takeCapture();
    for (int id : result.capture.tokenIds) result.capture.tokenTexts.push_back(tokenizer.piece(id));
  }
  return result;
}

}  // namespace attnscope::model
