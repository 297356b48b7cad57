// Tests for core/model/llama_generate.cpp: llama2.c's sampler (argmax ties, seeded determinism, multinomial and
// top-p frequencies) and the generate loop (prompt forcing, step limits, capture of the positions run).
#include "core/model/llama_generate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "llama_test_models.h"

namespace attnscope::model {
namespace {

using testing::requireSharedModel;

TEST(LlamaGenerate, GreedyPicksFirstMaximum) {
  Sampler sampler(3, {.temperature = 0.0f});
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f};
  EXPECT_EQ(sampler.sample(logits), 1);
  EXPECT_THROW(sampler.sample(std::vector<float>{1.0f}), InputError);
}

TEST(LlamaGenerate, SamplerRejectsBadOptions) {
  EXPECT_THROW(Sampler(3, {.temperature = -1.0f}), InputError);
  EXPECT_THROW(Sampler(3, {.temperature = NAN}), InputError);
  EXPECT_THROW(Sampler(3, {.temperature = 1.0f, .topp = 0.9f, .seed = 0}), InputError);
}

TEST(LlamaGenerate, MultinomialFrequenciesFollowSoftmax) {
  // logits (0, ln 3): probabilities 1/4 and 3/4. 20000 draws put the frequency within 0.02 of 0.75 with
  // overwhelming probability (standard deviation 0.003); a broken RNG or softmax lands far outside.
  Sampler sampler(2, {.temperature = 1.0f, .topp = 0.0f, .seed = 42});
  const std::vector<float> logits = {0.0f, std::log(3.0f)};
  int ones = 0;
  for (int i = 0; i < 20000; ++i) ones += sampler.sample(logits);
  EXPECT_NEAR(ones / 20000.0, 0.75, 0.02);
}

TEST(LlamaGenerate, TopPKeepsTheNucleusOnly) {
  // probabilities (0.2, 0.5, 0.3) with top-p 0.7: sorted 0.5, 0.3 already exceed 0.7, so token 0 is never drawn and
  // token 1 is drawn 0.5 / 0.8 = 62.5% of the time.
  Sampler sampler(3, {.temperature = 1.0f, .topp = 0.7f, .seed = 7});
  const std::vector<float> logits = {std::log(0.2f), std::log(0.5f), std::log(0.3f)};
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 20000; ++i) ++counts[sampler.sample(logits)];
  EXPECT_EQ(counts[0], 0);
  EXPECT_NEAR(counts[1] / 20000.0, 0.625, 0.02);
}

TEST(LlamaGenerate, SeedsAreReproducible) {
  const std::vector<float> logits = {0.1f, 0.5f, 0.2f, 0.9f, 0.0f};
  auto draw = [&](uint64_t seed) {
    Sampler sampler(5, {.temperature = 1.0f, .topp = 0.0f, .seed = seed});
    std::vector<int> picks;
    for (int i = 0; i < 64; ++i) picks.push_back(sampler.sample(logits));
    return picks;
  };
  EXPECT_EQ(draw(3), draw(3));
  EXPECT_NE(draw(3), draw(4));
}

class LlamaGenerateStories : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<Model> opened = openLlama2cModel(requireSharedModel("stories260K.bin"));
    model_.reset(dynamic_cast<Llama2cModel*>(opened.release()));
    tokenizer_ = openLlama2cTokenizer(requireSharedModel("tok512.bin"), 512);
  }
  std::unique_ptr<Llama2cModel> model_;
  std::unique_ptr<Llama2cTokenizer> tokenizer_;
};

TEST_F(LlamaGenerateStories, PromptIsForcedAndPrinted) {
  GenerateOptions options;
  options.prompt = "Once upon a time";
  options.steps = 12;
  options.sampler.temperature = 0.0f;
  std::string streamed;
  const GenerateResult result = generate(*model_, *tokenizer_, options, [&](std::string_view s) { streamed += s; });
  const std::vector<int> prompt = tokenizer_->encode(options.prompt);
  ASSERT_LE(prompt.size(), result.tokens.size());
  EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), result.tokens.begin()));
  EXPECT_EQ(result.text.rfind("Once upon a time", 0), 0u) << result.text;
  EXPECT_EQ(streamed, result.text);
  EXPECT_EQ(result.positions, 12);
  EXPECT_EQ(result.tokens.size(), 13u);  // BOS + 12 produced (prompt forced, then sampled)
  EXPECT_EQ(result.text, tokenizer_->decode(result.tokens));
}

TEST_F(LlamaGenerateStories, StepsAreClampedAndPromptMustFit) {
  GenerateOptions options;
  options.sampler.temperature = 0.0f;
  options.steps = 5000;  // > seq_len 512: llama2.c clamps to the context
  EXPECT_LE(generate(*model_, *tokenizer_, options).positions, 512);
  options.steps = 2;
  options.prompt = "Once upon a time there was a girl";
  EXPECT_THROW(generate(*model_, *tokenizer_, options), InputError);
}

TEST_F(LlamaGenerateStories, CaptureDuringGenerationMatchesRun) {
  GenerateOptions options;
  options.sampler.temperature = 0.0f;
  options.steps = 24;
  options.capture = true;
  const GenerateResult result = generate(*model_, *tokenizer_, options);
  ASSERT_EQ(result.capture.tokens, result.positions);
  // The same tokens through run() give bit-identical captures: one code path.
  const std::vector<int> fed(result.tokens.begin(), result.tokens.begin() + result.positions);
  const ModelCapture run = model_->run(fed);
  EXPECT_EQ(result.capture.tokenIds, fed);
  for (size_t i = 0; i < run.attention.size(); ++i) {
    EXPECT_EQ(result.capture.attention[i], run.attention[i]);
    EXPECT_EQ(result.capture.queries[i], run.queries[i]);
  }
  EXPECT_EQ(result.capture.tokenTexts[0], "<s>");
}

TEST_F(LlamaGenerateStories, CancelStopsGeneration) {
  GenerateOptions options;
  options.sampler.temperature = 0.0f;
  options.progress = [](float fraction) { return fraction < 0.1f; };
  EXPECT_THROW(generate(*model_, *tokenizer_, options), Error);
}

}  // namespace
}  // namespace attnscope::model
