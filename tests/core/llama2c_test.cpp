// Tests for core/model/llama2c.cpp: the stories260K checkpoint loads with the documented sizes, corrupt or truncated
// copies are refused with messages naming the file, run() captures what the model used, and the greedy reference
// text is reproduced token for token in-process.
#include "core/model/llama2c.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/model/llama2c_tokenizer.h"
#include "core/model/llama_generate.h"
#include "llama_test_models.h"

namespace attnscope::model {
namespace {

using testing::readBytes;
using testing::requireSharedModel;
using testing::scratchDirectory;
using testing::writeBytes;

std::unique_ptr<Llama2cModel> openStories() {
  std::unique_ptr<Model> model = openLlama2cModel(requireSharedModel("stories260K.bin"));
  auto* llama = dynamic_cast<Llama2cModel*>(model.get());
  if (!llama) return nullptr;
  model.release();
  return std::unique_ptr<Llama2cModel>(llama);
}

// Writes a copy of stories260K.bin with header field `field` (0 = dim ... 6 = seq_len) set to `value`.
std::filesystem::path copyWithHeaderField(const std::filesystem::path& dir, int field, int32_t value) {
  std::vector<char> bytes = readBytes(requireSharedModel("stories260K.bin"));
  std::memcpy(bytes.data() + 4 * field, &value, 4);
  const auto path = dir / ("field" + std::to_string(field) + ".bin");
  writeBytes(path, bytes);
  return path;
}

std::string openError(const std::filesystem::path& path) {
  try {
    openLlama2cModel(path);
  } catch (const FileError& e) {
    return e.what();
  }
  return "(no FileError)";
}

TEST(Llama2c, Stories260KHeaderAndTensors) {
  const auto model = openStories();
  ASSERT_TRUE(model);
  const ModelInfo& info = model->info();
  EXPECT_EQ(info.format, "llama2.c");
  EXPECT_EQ(info.architecture, "llama");
  EXPECT_EQ(info.layers, 5);
  EXPECT_EQ(info.heads, 8);
  EXPECT_EQ(info.keyValueHeads, 4);
  EXPECT_EQ(info.modelDim, 64);
  EXPECT_EQ(info.headDim, 8);
  EXPECT_EQ(info.vocabSize, 512);
  EXPECT_EQ(info.maxSequence, 512);
  EXPECT_TRUE(info.rope);
  EXPECT_TRUE(info.causal);
  EXPECT_TRUE(model->sharedClassifier());
  EXPECT_EQ(model->config().hiddenDim, 172);
  ASSERT_EQ(info.tensors.size(), 13u);  // no wcls: the classifier is the embedding
  EXPECT_EQ(info.tensors[0].name, "token_embedding_table");
  EXPECT_EQ(info.tensors[0].shape, (std::vector<int64_t>{512, 64}));
  EXPECT_EQ(info.tensors[3].name, "wk");
  EXPECT_EQ(info.tensors[3].shape, (std::vector<int64_t>{5, 32, 64}));
  EXPECT_EQ(info.tensors[7].name, "w1");
  EXPECT_EQ(info.tensors[7].shape, (std::vector<int64_t>{5, 172, 64}));
  // 28 header bytes + 4 bytes per listed value = the file size (1056540, PROVENANCE.md).
  int64_t values = 0;
  for (const auto& t : info.tensors) {
    int64_t n = 1;
    for (int64_t s : t.shape) n *= s;
    values += n;
  }
  EXPECT_EQ(28 + 4 * values, 1056540);
  // The tokenizer next to the model is attached for labels.
  EXPECT_EQ(model->tokenizerPath().filename(), "tok512.bin");
}

TEST(Llama2c, TruncatedAndOversizedFilesAreRefusedWithSizes) {
  const auto dir = scratchDirectory("llama2c");
  std::vector<char> bytes = readBytes(requireSharedModel("stories260K.bin"));
  ASSERT_EQ(bytes.size(), 1056540u);

  std::vector<char> cut(bytes.begin(), bytes.end() - 4);
  writeBytes(dir / "cut.bin", cut);
  std::string message = openError(dir / "cut.bin");
  EXPECT_NE(message.find("cut.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("1056540"), std::string::npos) << message;
  EXPECT_NE(message.find("1056536"), std::string::npos) << message;

  writeBytes(dir / "short.bin", std::vector<char>(bytes.begin(), bytes.begin() + 20));
  message = openError(dir / "short.bin");
  EXPECT_NE(message.find("fewer than the 28-byte"), std::string::npos) << message;

  std::vector<char> longer = bytes;
  longer.resize(bytes.size() + 8, 0);
  writeBytes(dir / "long.bin", longer);
  message = openError(dir / "long.bin");
  EXPECT_NE(message.find("oversized"), std::string::npos) << message;

  message = openError(dir / "absent.bin");
  EXPECT_NE(message.find("absent.bin"), std::string::npos) << message;
}

TEST(Llama2c, InconsistentHeadersAreRefusedBeforeReading) {
  const auto dir = scratchDirectory("llama2c");
  struct Case {
    int field;
    int32_t value;
    const char* expected;
  };
  const Case cases[] = {
      {0, -64, "dim must be in"},
      {0, 1 << 30, "dim must be in"},
      {3, 7, "n_heads must divide dim"},
      {4, 3, "n_kv_heads must divide n_heads"},
      {4, 16, "n_kv_heads must be in [1, n_heads]"},
      {4, 0, "n_kv_heads must be in [1, n_heads]"},
      {3, 64, "head dimension dim / n_heads must be even"},
      {5, 0, "|vocab_size| must be in"},
      {2, 0, "n_layers must be in"},
      {6, -1, "seq_len must be in"},
      {1, 171, "needs exactly"},  // plausible but not this file's size
  };
  for (const Case& c : cases) {
    const std::string message = openError(copyWithHeaderField(dir, c.field, c.value));
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "field " << c.field << " = " << c.value << ": " << message;
    EXPECT_NE(message.find("field" + std::to_string(c.field) + ".bin"), std::string::npos) << message;
  }
}

TEST(Llama2c, NonFiniteWeightIsReportedByTensorAndOffset) {
  const auto dir = scratchDirectory("llama2c");
  std::vector<char> bytes = readBytes(requireSharedModel("stories260K.bin"));
  // wq starts after the embedding (512*64) and rms_att_weight (5*64) values.
  const int64_t offset = 28 + 4 * (512 * 64 + 5 * 64 + 10);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bytes.data() + offset, &nan, 4);
  writeBytes(dir / "nan.bin", bytes);
  const std::string message = openError(dir / "nan.bin");
  EXPECT_NE(message.find("tensor wq has a non-finite value at element 10"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(offset)), std::string::npos) << message;
}

TEST(Llama2c, UnsharedClassifierLayoutLoadsAndMatchesShared) {
  // A negative vocab_size means a separate classifier after the RoPE tables. Appending a copy of the embedding
  // must give exactly the shared model's logits.
  const auto dir = scratchDirectory("llama2c");
  std::vector<char> bytes = readBytes(requireSharedModel("stories260K.bin"));
  const int32_t negativeVocab = -512;
  std::memcpy(bytes.data() + 20, &negativeVocab, 4);
  bytes.insert(bytes.end(), bytes.begin() + 28, bytes.begin() + 28 + 4 * 512 * 64);
  writeBytes(dir / "unshared.bin", bytes);

  std::unique_ptr<Model> unshared = openLlama2cModel(dir / "unshared.bin");
  const auto shared = openStories();
  ASSERT_TRUE(shared);
  EXPECT_FALSE(dynamic_cast<Llama2cModel&>(*unshared).sharedClassifier());
  EXPECT_EQ(unshared->info().tensors.back().name, "wcls");
  EXPECT_EQ(unshared->info().vocabSize, 512);
  const std::vector<int> ids = {1, 403, 407, 261, 378};
  const ModelCapture a = unshared->run(ids), b = shared->run(ids);
  EXPECT_EQ((a.logits - b.logits).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Llama2c, RunCapturesCausalAttentionAndGroupedKeys) {
  const auto model = openStories();
  ASSERT_TRUE(model);
  const std::vector<int> ids = {1, 403, 407, 261, 378, 260, 425};
  const ModelCapture capture = model->run(ids);
  const int tokens = int(ids.size());
  EXPECT_EQ(capture.layers, 5);
  EXPECT_EQ(capture.heads, 8);
  EXPECT_EQ(capture.tokens, tokens);
  EXPECT_EQ(capture.headDim, 8);
  EXPECT_TRUE(capture.rope);
  EXPECT_EQ(capture.tokenIds, ids);
  ASSERT_EQ(capture.tokenTexts.size(), ids.size());
  EXPECT_EQ(capture.tokenTexts[0], "<s>");
  ASSERT_EQ(capture.attention.size(), 40u);
  ASSERT_EQ(capture.logits.rows(), tokens);
  ASSERT_EQ(capture.logits.cols(), 512);
  for (int layer = 0; layer < 5; ++layer)
    for (int head = 0; head < 8; ++head) {
      const int index = capture.headIndex(layer, head);
      const RowMatrix& attention = capture.attention[size_t(index)];
      ASSERT_EQ(attention.rows(), tokens);
      ASSERT_EQ(attention.cols(), tokens);
      for (int t = 0; t < tokens; ++t) {
        EXPECT_NEAR(attention.row(t).sum(), 1.0f, 1e-5f);
        for (int s = t + 1; s < tokens; ++s) EXPECT_EQ(attention(t, s), 0.0f);
      }
      EXPECT_EQ(attention(0, 0), 1.0f);  // the first token can only attend to itself
      // Query heads 2g and 2g+1 share kv head g: identical keys.
      const int partner = capture.headIndex(layer, head ^ 1);
      EXPECT_EQ(capture.keys[size_t(index)], capture.keys[size_t(partner)]);
      EXPECT_EQ(capture.keysPreRope[size_t(index)], capture.keysPreRope[size_t(partner)]);
      // RoPE: position 0 is not rotated, and rotation preserves each pair's length.
      EXPECT_EQ(capture.queries[size_t(index)].row(0), capture.queriesPreRope[size_t(index)].row(0));
      for (int t = 0; t < tokens; ++t)
        for (int pair = 0; pair < 4; ++pair)
          EXPECT_NEAR(capture.queries[size_t(index)].row(t).segment(2 * pair, 2).norm(),
                      capture.queriesPreRope[size_t(index)].row(t).segment(2 * pair, 2).norm(), 1e-5f);
    }
  // Different kv heads hold different keys (the grouping is not collapsing everything).
  EXPECT_NE(capture.keys[0], capture.keys[2]);
}

TEST(Llama2c, RunWithoutAttentionCaptureKeepsLogits) {
  const auto model = openStories();
  ASSERT_TRUE(model);
  const std::vector<int> ids = {1, 403, 407};
  RunOptions options;
  options.captureAttention = false;
  const ModelCapture light = model->run(ids, options), full = model->run(ids);
  EXPECT_TRUE(light.attention.empty());
  EXPECT_TRUE(light.queries.empty());
  EXPECT_EQ(light.logits, full.logits);
}

TEST(Llama2c, RunRejectsBadInputAndHonoursCancel) {
  const auto model = openStories();
  ASSERT_TRUE(model);
  EXPECT_THROW(model->run(std::vector<int>{}), InputError);
  EXPECT_THROW(model->run(std::vector<int>{1, 512}), InputError);
  EXPECT_THROW(model->run(std::vector<int>{-1}), InputError);
  EXPECT_THROW(model->run(std::vector<int>(513, 5)), InputError);
  int calls = 0;
  RunOptions options;
  options.progress = [&calls](float fraction) {
    ++calls;
    return fraction < 0.5f;
  };
  try {
    model->run(std::vector<int>{1, 2, 3, 4}, options);
    FAIL() << "expected cancellation";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cancelled");
  }
  EXPECT_EQ(calls, 2);  // 0.25 continues, 0.5 cancels
}

TEST(Llama2c, GreedyReferenceReproducedTokenForToken) {
  const auto model = openStories();
  ASSERT_TRUE(model);
  const auto tokenizer = openLlama2cTokenizer(requireSharedModel("tok512.bin"), 512);
  const std::vector<char> expected = readBytes(requireSharedModel("greedy_reference.txt"));
  ASSERT_FALSE(expected.empty());

  GenerateOptions options;
  options.sampler.temperature = 0.0f;
  options.steps = 512;
  const GenerateResult result = generate(*model, *tokenizer, options);
  EXPECT_EQ(result.text, std::string(expected.begin(), expected.end()));
  EXPECT_EQ(result.tokens.front(), 1);
  EXPECT_LT(result.positions, 512);  // it stopped by generating BOS

  // run() over the same tokens agrees with the incremental generation: every next token is the argmax.
  const ModelCapture capture = model->run(result.tokens);
  for (int t = 0; t + 1 < capture.tokens; ++t) {
    Eigen::Index best = 0;
    capture.logits.row(t).maxCoeff(&best);
    ASSERT_EQ(int(best), result.tokens[size_t(t) + 1]) << "position " << t;
  }
}

TEST(Llama2c, FindsTokenizerNextToModel) {
  const auto found = findLlama2cTokenizer(requireSharedModel("stories260K.bin"), 512);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->filename(), "tok512.bin");
  EXPECT_FALSE(findLlama2cTokenizer(requireSharedModel("stories260K.bin"), 300).has_value());
  EXPECT_TRUE(looksLikeLlama2cModel(requireSharedModel("stories260K.bin")));
  EXPECT_FALSE(looksLikeLlama2cModel(requireSharedModel("tok512.bin")));
}

}  // namespace
}  // namespace attnscope::model
