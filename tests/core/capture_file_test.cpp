// Tests for core/model/capture_file.cpp: round trip, replay model, and validation of malformed capture files.
#include "core/model/capture_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/safetensors.h"
#include "tests/core/test_scratch_dir.h"

namespace attnscope::model {
namespace {

namespace fs = std::filesystem;

using attnscope::test_support::testDir;

/// 2 layers, 2 heads, 3 tokens, head_dim 2; entry values encode (matrix, row, col) so misplacements show.
ModelCapture sampleCapture(bool rope) {
  ModelCapture capture;
  capture.layers = 2;
  capture.heads = 2;
  capture.tokens = 3;
  capture.headDim = 2;
  capture.rope = rope;
  capture.causal = true;
  capture.tokenIds = {7, 0, 42};
  capture.tokenTexts = {"The", " \"quoted\"", " ünïcode"};
  for (int m = 0; m < 4; ++m) {
    RowMatrix q(3, 2), k(3, 2), a = RowMatrix::Zero(3, 3);
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 2; ++c) {
        q(r, c) = 100.0f * m + 10.0f * r + c;
        k(r, c) = -q(r, c);
      }
      for (int c = 0; c <= r; ++c) a(r, c) = 1.0f / static_cast<float>(r + 1);
    }
    capture.queries.push_back(q);
    capture.keys.push_back(k);
    capture.attention.push_back(a);
    if (rope) {
      capture.queriesPreRope.push_back(q * 2.0f);
      capture.keysPreRope.push_back(k * 3.0f);
    }
  }
  capture.logits = RowMatrix::Constant(3, 5, 0.25f);
  return capture;
}

TEST(CaptureFile, WithoutAttentionStoresOnlyQAndKAndComputesTheMapsOnOpening) {
  const fs::path path = testDir() / "qk.safetensors";
  ModelCapture original = sampleCapture(false);
  // Small entries so the softmax is not one-hot: the computed maps are then a real check of scale and mask.
  for (RowMatrix& q : original.queries) q *= 0.01f;
  for (RowMatrix& k : original.keys) k *= 0.02f;
  original.attention.clear();
  writeCaptureFile(path, original);
  SafetensorsFile file(path);
  EXPECT_FALSE(file.contains("attn"));
  EXPECT_TRUE(isCaptureFile(path));

  const CaptureSummary summary = readCaptureSummary(path);
  EXPECT_FALSE(summary.hasAttention);
  EXPECT_EQ(summary.tokens, 3);
  EXPECT_EQ(summary.tokenTexts, original.tokenTexts);

  const ModelCapture read = readCaptureFile(path);
  ASSERT_EQ(read.attention.size(), 4u);
  // Layer 1, head 1, row 1 by hand: logits s q1.k0 and s q1.k1 (s = 1/sqrt(2)); key 2 is masked (causal).
  const RowMatrix& q = read.queries[3];
  const RowMatrix& k = read.keys[3];
  const double x0 = q.row(1).dot(k.row(0)) / std::sqrt(2.0), x1 = q.row(1).dot(k.row(1)) / std::sqrt(2.0);
  EXPECT_NEAR(read.attention[3](1, 0), 1.0 / (1.0 + std::exp(x1 - x0)), 1e-6);
  EXPECT_NEAR(read.attention[3](1, 1), 1.0 / (1.0 + std::exp(x0 - x1)), 1e-6);
  EXPECT_EQ(read.attention[3](1, 2), 0.0f);
  EXPECT_FLOAT_EQ(read.attention[0](0, 0), 1.0f);

  // One head straight from the mapping: layer 1, head 0 is matrix 2.
  const CaptureHead head = readCaptureHead(path, 1, 0);
  EXPECT_EQ(head.queries, read.queries[2]);
  EXPECT_EQ(head.keys, read.keys[2]);
  EXPECT_THROW(readCaptureHead(path, 2, 0), FileError);
  EXPECT_THROW(readCaptureHead(path, 0, -1), FileError);
}

TEST(CaptureFile, MapsMissingFromTheFileAreComputedOnlyWithinTheBudget) {
  // 600 tokens, 1 head: the computed map needs 600 x 600 x 4 bytes = 1.4 MiB.
  const fs::path path = testDir() / "qk600.safetensors";
  ModelCapture capture;
  capture.layers = capture.heads = 1;
  capture.tokens = 600;
  capture.headDim = 4;
  capture.tokenIds.assign(600, 3);
  capture.queries = {RowMatrix::Constant(600, 4, 0.5f)};
  capture.keys = {RowMatrix::Constant(600, 4, 0.5f)};
  writeCaptureFile(path, capture);
  setMemoryBudgetBytes(std::uint64_t{1} << 20);
  try {
    readCaptureFile(path);
    ADD_FAILURE() << "the 1.4 MiB map was computed under a 1 MiB budget";
  } catch (const ResourceError& error) {
    EXPECT_NE(std::string(error.what()).find("holds no attention; computing its 1 map(s) of 600 x 600 weights"),
              std::string::npos)
        << error.what();
  }
  // Opening it as a model works (q and k fit); running it needs the map and is refused the same way.
  std::unique_ptr<Model> model = openCaptureModel(path);
  EXPECT_EQ(model->info().maxSequence, 600);
  EXPECT_THROW(model->run({}), ResourceError);
  setMemoryBudgetBytes(std::nullopt);
  // Equal keys: every visible key gets the same weight, 1 / (i + 1) in row i.
  const ModelCapture computed = model->run({});
  EXPECT_FLOAT_EQ(computed.attention[0](9, 0), 0.1f);
  EXPECT_EQ(computed.attention[0](9, 10), 0.0f);
}

TEST(CaptureFile, RefusesMoreThan131072TokensFromTheHeaderAlone) {
  // The header claims 131073 tokens of dimension 1 and the data is really there (1 MiB for q and k); the token
  // count is refused before any tensor or token list is read.
  const int tokens = kMaxCaptureTokens + 1;
  const fs::path path = testDir() / "too_long.safetensors";
  std::vector<SafetensorsTensor> tensors = {{"q", {1, 1, tokens, 1}, std::vector<float>(tokens, 0.5f)},
                                            {"k", {1, 1, tokens, 1}, std::vector<float>(tokens, 0.5f)}};
  writeSafetensors(path, tensors, {{"token_ids", "[]"}});
  try {
    readCaptureSummary(path);
    FAIL() << "a 131073-token capture was accepted";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("131073 tokens, more than the 131072"), std::string::npos) << error.what();
  }
}

TEST(CaptureFile, RoundTripKeepsEveryMatrixAndToken) {
  const fs::path path = testDir() / "c.safetensors";
  const ModelCapture original = sampleCapture(true);
  writeCaptureFile(path, original, "unit test");
  EXPECT_TRUE(isCaptureFile(path));
  const ModelCapture read = readCaptureFile(path);
  EXPECT_EQ(read.layers, 2);
  EXPECT_EQ(read.heads, 2);
  EXPECT_EQ(read.tokens, 3);
  EXPECT_EQ(read.headDim, 2);
  EXPECT_TRUE(read.rope);
  EXPECT_TRUE(read.causal);
  EXPECT_EQ(read.tokenIds, original.tokenIds);
  EXPECT_EQ(read.tokenTexts, original.tokenTexts);
  ASSERT_EQ(read.queries.size(), 4u);
  EXPECT_FLOAT_EQ(read.queries[read.headIndex(1, 0)](2, 1), 221.0f);  // layer 1, head 0 = matrix 2, row 2, col 1
  EXPECT_FLOAT_EQ(read.keys[3](1, 0), -310.0f);
  EXPECT_FLOAT_EQ(read.attention[1](2, 0), 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(read.queriesPreRope[3](0, 1), 602.0f);
  EXPECT_FLOAT_EQ(read.keysPreRope[0](1, 1), -33.0f);
  EXPECT_FLOAT_EQ(read.logits(2, 4), 0.25f);

  // The metadata is what the README documents, readable by other tools.
  SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().at("token_ids"), "[7,0,42]");
  EXPECT_EQ(file.metadata().at("format"), "attnscope-capture");
  EXPECT_EQ(file.metadata().at("source"), "unit test");
  EXPECT_EQ(file.entry("attn").shape, (std::vector<int64_t>{2, 2, 3, 3}));
}

TEST(CaptureFile, ModelReplaysTheStoredCaptureOnly) {
  const fs::path path = testDir() / "c.safetensors";
  writeCaptureFile(path, sampleCapture(false));
  auto model = openCaptureModel(path);
  EXPECT_EQ(model->info().format, "capture");
  EXPECT_EQ(model->info().layers, 2);
  EXPECT_EQ(model->info().vocabSize, 5);  // width of the stored logits
  EXPECT_FALSE(model->info().rope);
  const std::vector<int> same = {7, 0, 42}, other = {7, 0, 41};
  EXPECT_EQ(model->run(same).tokens, 3);
  EXPECT_EQ(model->run({}).tokenIds, same);
  EXPECT_THROW(model->run(other), InputError);
  EXPECT_TRUE(model->run({}).queriesPreRope.empty());
}

TEST(CaptureFile, WriterRejectsInconsistentCaptures) {
  const fs::path path = testDir() / "bad.safetensors";
  ModelCapture capture = sampleCapture(false);
  capture.tokenIds.pop_back();
  EXPECT_THROW(writeCaptureFile(path, capture), InputError);
  capture = sampleCapture(false);
  capture.attention[2] = RowMatrix::Zero(3, 2);
  EXPECT_THROW(writeCaptureFile(path, capture), InputError);
  capture = sampleCapture(true);
  capture.keysPreRope.pop_back();
  EXPECT_THROW(writeCaptureFile(path, capture), InputError);
  capture = sampleCapture(false);
  capture.layers = 0;
  EXPECT_THROW(writeCaptureFile(path, capture), InputError);
  EXPECT_FALSE(fs::exists(path));
}

std::string readError(const fs::path& path) {
  try {
    readCaptureFile(path);
  } catch (const FileError& error) {
    return error.what();
  }
  return "no error";
}

TEST(CaptureFile, ReaderExplainsMalformedFiles) {
  const fs::path dir = testDir();
  const std::vector<float> q(1 * 1 * 2 * 2, 0.5f), attn = {1, 0, 0.5f, 0.5f};
  auto write = [&](const std::string& name, std::vector<SafetensorsTensor> tensors,
                   std::map<std::string, std::string> metadata) {
    writeSafetensors(dir / name, tensors, metadata);
    return readError(dir / name);
  };
  const std::map<std::string, std::string> good = {{"token_ids", "[1,2]"}, {"tokens", "[\"a\",\"b\"]"}};
  const SafetensorsTensor qT{"q", {1, 1, 2, 2}, q}, kT{"k", {1, 1, 2, 2}, q}, aT{"attn", {1, 1, 2, 2}, attn};
  EXPECT_EQ(write("ok.safetensors", {qT, kT, aT}, good), "no error");
  EXPECT_NE(write("count.safetensors", {qT, kT, aT}, {{"token_ids", "[1,2,3]"}}).find("3 token_ids"),
            std::string::npos);
  EXPECT_NE(write("noids.safetensors", {qT, kT, aT}, {}).find("token_ids"), std::string::npos);
  EXPECT_NE(write("nok.safetensors", {qT, aT}, good).find("missing tensor 'k'"), std::string::npos);
  EXPECT_NE(write("attn.safetensors", {qT, kT, {"attn", {1, 1, 2, 1}, {1, 1}}}, good).find("expected [1, 1, 2, 2]"),
            std::string::npos);
  std::vector<float> withNan = q;
  withNan[3] = std::nanf("");
  EXPECT_NE(write("nan.safetensors", {{"q", {1, 1, 2, 2}, withNan}, kT, aT}, good).find("non-finite"),
            std::string::npos);
  EXPECT_NE(write("rope.safetensors", {qT, kT, aT}, {{"token_ids", "[1,2]"}, {"rope", "true"}}).find("q_prerope"),
            std::string::npos);
  EXPECT_NE(write("flag.safetensors", {qT, kT, aT}, {{"token_ids", "[1,2]"}, {"causal", "maybe"}}).find("causal"),
            std::string::npos);
  EXPECT_NE(write("version.safetensors", {qT, kT, aT}, {{"token_ids", "[1,2]"}, {"version", "2"}}).find("version"),
            std::string::npos);
  EXPECT_NE(write("json.safetensors", {qT, kT, aT}, {{"token_ids", "[1,"}}).find("not valid JSON"), std::string::npos);
  EXPECT_NE(write("rank.safetensors", {{"q", {2, 2}, q}, kT, aT}, good).find("[layers, heads, tokens, head_dim]"),
            std::string::npos);
  std::ofstream(dir / "text.safetensors") << "not a safetensors file at all";
  EXPECT_FALSE(isCaptureFile(dir / "text.safetensors"));
  writeSafetensors(dir / "weights.safetensors", {{"wte.weight", {1}, {1}}});
  EXPECT_FALSE(isCaptureFile(dir / "weights.safetensors"));
}

}  // namespace
}  // namespace attnscope::model
