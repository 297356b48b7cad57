// Tests for core/model/hf_models.cpp with hand-checkable tiny models (the NumPy cross-check of random models is
// tests/reference/hf_reference.py, run by CTest): uniform attention when Q = K = 0, exact RoPE angles, GQA key
// sharing, and errors naming tensors and shapes.
#include "core/model/hf_models.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "core/model/safetensors.h"
#include "tests/core/process_measures.h"
#include "tests/core/test_scratch_dir.h"

namespace attnscope::model {
namespace {

namespace fs = std::filesystem;

using attnscope::test_support::testDir;

/// Deterministic, non-trivial filler values.
SafetensorsTensor filled(const std::string& name, std::vector<int64_t> shape, float scale = 0.3f, float offset = 0.0f) {
  int64_t count = 1;
  for (int64_t e : shape) count *= e;
  SafetensorsTensor t{name, std::move(shape), std::vector<float>(static_cast<size_t>(count))};
  for (int64_t i = 0; i < count; ++i)
    t.values[i] = offset + scale * std::sin(1.7f * static_cast<float>(i + name.size()));
  return t;
}
SafetensorsTensor zeros(const std::string& name, std::vector<int64_t> shape) {
  return filled(name, shape, 0.0f);
}

/// GPT-2, 1 layer, 2 heads, d = 4, vocab 10, 8 positions; c_attn is zero so every query and key is zero.
void writeGpt2(const fs::path& dir, const std::string& prefix, bool dropFinalBias = false, bool badShape = false) {
  std::ofstream(dir / "config.json") << R"({"architectures":["GPT2LMHeadModel"],"n_layer":1,"n_head":2,"n_embd":4,
      "vocab_size":10,"n_positions":8,"bos_token_id":50256,"unknown_key":[1,2]})";
  std::vector<SafetensorsTensor> t = {
      filled(prefix + "wte.weight", {10, 4}),
      filled(prefix + "wpe.weight", {8, 4}),
      filled(prefix + "h.0.ln_1.weight", {4}, 0.1f, 1.0f),
      zeros(prefix + "h.0.ln_1.bias", {4}),
      zeros(prefix + "h.0.attn.c_attn.weight", {4, 12}),
      zeros(prefix + "h.0.attn.c_attn.bias", {12}),
      filled(prefix + "h.0.attn.c_proj.weight", {4, 4}),
      filled(prefix + "h.0.attn.c_proj.bias", {4}),
      filled(prefix + "h.0.ln_2.weight", {4}, 0.1f, 1.0f),
      zeros(prefix + "h.0.ln_2.bias", {4}),
      filled(prefix + "h.0.mlp.c_fc.weight", {4, 16}),
      filled(prefix + "h.0.mlp.c_fc.bias", {16}),
      filled(prefix + "h.0.mlp.c_proj.weight", {16, 4}),
      filled(prefix + "h.0.mlp.c_proj.bias", {4}),
      filled(prefix + "ln_f.weight", {4}, 0.1f, 1.0f),
  };
  if (!dropFinalBias) t.push_back(filled(prefix + "ln_f.bias", {badShape ? 5 : 4}));
  writeSafetensors(dir / "model.safetensors", t);
}

TEST(HfModels, Gpt2WithZeroQueriesAndKeysAttendsUniformlyToThePast) {
  for (const std::string prefix : {"", "transformer."}) {
    const fs::path dir = testDir();
    writeGpt2(dir, prefix);
    auto model = openHfModel(dir);
    EXPECT_EQ(model->info().architecture, "gpt2");
    EXPECT_EQ(model->info().heads, 2);
    EXPECT_EQ(model->info().headDim, 2);
    EXPECT_TRUE(model->info().causal);
    ASSERT_EQ(hfModelWarnings(*model).size(), 1u);  // bos_token_id 50256 outside a 10-token vocabulary
    const std::vector<int> ids = {3, 1, 4, 1, 5};
    const ModelCapture capture = model->run(ids);
    ASSERT_EQ(capture.attention.size(), 2u);
    for (const RowMatrix& a : capture.attention) {
      for (int i = 0; i < 5; ++i) {
        for (int j = 0; j < 5; ++j) EXPECT_FLOAT_EQ(a(i, j), j <= i ? 1.0f / static_cast<float>(i + 1) : 0.0f);
      }
    }
    EXPECT_EQ(capture.queries[1].cwiseAbs().maxCoeff(), 0.0f);
    EXPECT_EQ(capture.logits.rows(), 5);
    EXPECT_EQ(capture.logits.cols(), 10);
    EXPECT_TRUE(capture.logits.allFinite());
  }
}

TEST(HfModels, RunRejectsBadTokensAndSupportsCancelAndNoCapture) {
  const fs::path dir = testDir();
  writeGpt2(dir, "");
  auto model = openHfModel(dir);
  const std::vector<int> outside = {1, 10}, negative = {-1}, tooLong(9, 1), empty;
  EXPECT_THROW(model->run(outside), InputError);
  EXPECT_THROW(model->run(negative), InputError);
  EXPECT_THROW(model->run(tooLong), InputError);
  EXPECT_THROW(model->run(empty), InputError);
  const std::vector<int> ids = {2, 3};
  RunOptions cancel;
  cancel.progress = [](float) { return false; };
  EXPECT_THROW(model->run(ids, cancel), Error);
  RunOptions plain;
  plain.captureAttention = false;
  float lastProgress = -1.0f;
  plain.progress = [&](float f) {
    lastProgress = f;
    return true;
  };
  const ModelCapture capture = model->run(ids, plain);
  EXPECT_TRUE(capture.queries.empty());
  EXPECT_TRUE(capture.attention.empty());
  EXPECT_EQ(capture.logits.rows(), 2);
  EXPECT_EQ(lastProgress, 1.0f);
  // Logits do not depend on whether attention is captured.
  EXPECT_EQ((model->run(ids).logits - capture.logits).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(HfModels, NonFiniteWeightsAreRefusedByName) {
  const fs::path dir = testDir();
  writeGpt2(dir, "");
  SafetensorsFile original(dir / "model.safetensors");
  std::vector<SafetensorsTensor> tensors;
  for (const SafetensorsEntry& e : original.entries())
    tensors.push_back({e.name, e.shape, original.readFloats(e.name)});
  for (SafetensorsTensor& t : tensors) {
    if (t.name == "h.0.mlp.c_fc.bias") t.values[3] = std::numeric_limits<float>::infinity();
  }
  writeSafetensors(dir / "model.safetensors", tensors);
  auto model = openHfModel(dir);  // opening reads headers only
  const std::vector<int> ids = {1, 2};
  try {
    model->run(ids);
    FAIL() << "expected FileError";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("'h.0.mlp.c_fc.bias' contains NaN or Inf"), std::string::npos)
        << error.what();
  }
}

TEST(HfModels, MissingOrMisshapenTensorsAreNamed) {
  const fs::path dir = testDir();
  writeGpt2(dir, "transformer.", true);
  try {
    openHfModel(dir);
    FAIL() << "expected FileError";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("'transformer.ln_f.bias'"), std::string::npos) << error.what();
  }
  writeGpt2(dir, "", false, true);
  try {
    openHfModel(dir);
    FAIL() << "expected FileError";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("has shape [5], expected [4]"), std::string::npos) << error.what();
  }
  EXPECT_THROW(openHfModel(dir / "absent"), FileError);
}

TEST(HfModels, OpeningAModelLargerThanMemoryReadsOnlyHeadersAndRunningIsRefused) {
  const fs::path dir = testDir();
  // wte alone is at least 4 GiB of F32 and always more than this machine's memory (a sparse file: no disk used).
  const uint64_t physical =
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
  const int64_t d = 1024;
  const int64_t vocab = std::max<int64_t>(int64_t{1} << 20, static_cast<int64_t>(physical / (4 * d)) + (1 << 20));
  std::ofstream(dir / "config.json") << R"({"architectures":["GPT2LMHeadModel"],"n_layer":1,"n_head":16,"n_embd":1024,)"
                                     << R"("vocab_size":)" << vocab << R"(,"n_positions":8})";
  const std::vector<std::pair<std::string, std::vector<int64_t>>> tensors = {{"wte.weight", {vocab, d}},
                                                                             {"wpe.weight", {8, d}},
                                                                             {"h.0.ln_1.weight", {d}},
                                                                             {"h.0.ln_1.bias", {d}},
                                                                             {"h.0.attn.c_attn.weight", {d, 3 * d}},
                                                                             {"h.0.attn.c_attn.bias", {3 * d}},
                                                                             {"h.0.attn.c_proj.weight", {d, d}},
                                                                             {"h.0.attn.c_proj.bias", {d}},
                                                                             {"h.0.ln_2.weight", {d}},
                                                                             {"h.0.ln_2.bias", {d}},
                                                                             {"h.0.mlp.c_fc.weight", {d, 4 * d}},
                                                                             {"h.0.mlp.c_fc.bias", {4 * d}},
                                                                             {"h.0.mlp.c_proj.weight", {4 * d, d}},
                                                                             {"h.0.mlp.c_proj.bias", {d}},
                                                                             {"ln_f.weight", {d}},
                                                                             {"ln_f.bias", {d}}};
  std::string header = "{";
  uint64_t offset = 0;
  for (const auto& [name, shape] : tensors) {
    uint64_t bytes = 4;
    std::string dims;
    for (int64_t e : shape) {
      bytes *= static_cast<uint64_t>(e);
      if (!dims.empty()) dims += ',';
      dims += std::to_string(e);
    }
    if (header.size() > 1) header += ',';
    header += ("\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + dims + "],\"data_offsets\":[" +
               std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}");
    offset += bytes;
  }
  header += "}";
  {
    std::ofstream out(dir / "model.safetensors", std::ios::binary);
    const uint64_t length = header.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << header;
  }
  ASSERT_EQ(truncate((dir / "model.safetensors").c_str(), static_cast<off_t>(8 + header.size() + offset)), 0);
  ASSERT_GT(offset, uint64_t{4} << 30);

  // Opening maps the file and reads the header only: resident memory grows by far less than the 4 GiB a read of the
  // weights would bring in (a load-independent check; the time is printed for information).
  const uint64_t residentBefore = test_support::residentBytes();
  const auto start = std::chrono::steady_clock::now();
  auto model = openModel(dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(test_support::residentBytes(), residentBefore + (uint64_t{64} << 20));
  EXPECT_EQ(model->info().vocabSize, vocab);
  EXPECT_EQ(model->info().tensors.size(), tensors.size());
  // Converting the weights to float would need more than the machine has: refused before allocating.
  const std::vector<int> ids = {1};
  EXPECT_THROW(model->run(ids), ResourceError);
  std::printf("[ %.1f GiB model folder open: %.3f ms ]\n", static_cast<double>(offset) / (1 << 30), seconds * 1e3);
  fs::remove_all(dir);
}

/// Llama, 1 layer, d = 4, identity q/k/v projections, every token embedded as (1, 1, 1, 1): RoPE's effect is
/// then visible directly in Q and K.
void writeLlama(const fs::path& dir, int heads, int kvHeads, int headDim) {
  const int d = heads * headDim, kv = kvHeads * headDim;
  std::ofstream(dir / "config.json") << R"({"architectures":["LlamaForCausalLM"],"num_hidden_layers":1,)"
                                     << R"("num_attention_heads":)" << heads << R"(,"num_key_value_heads":)" << kvHeads
                                     << R"(,"hidden_size":)" << d << R"(,"intermediate_size":6,"vocab_size":3,)"
                                     << R"("max_position_embeddings":16,"rms_norm_eps":1e-12,"rope_theta":10000.0})";
  auto identity = [](const std::string& name, int rows, int cols) {
    SafetensorsTensor t{name, {rows, cols}, std::vector<float>(static_cast<size_t>(rows) * cols, 0.0f)};
    for (int i = 0; i < std::min(rows, cols); ++i) t.values[static_cast<size_t>(i) * cols + i] = 1.0f;
    return t;
  };
  writeSafetensors(
      dir / "model.safetensors",
      {filled("model.embed_tokens.weight", {3, d}, 0.0f, 1.0f),
       filled("model.layers.0.input_layernorm.weight", {d}, 0.0f, 1.0f),
       identity("model.layers.0.self_attn.q_proj.weight", d, d),
       identity("model.layers.0.self_attn.k_proj.weight", kv, d),
       identity("model.layers.0.self_attn.v_proj.weight", kv, d),
       filled("model.layers.0.self_attn.o_proj.weight", {d, d}),
       filled("model.layers.0.post_attention_layernorm.weight", {d}, 0.0f, 1.0f),
       filled("model.layers.0.mlp.gate_proj.weight", {6, d}), filled("model.layers.0.mlp.up_proj.weight", {6, d}),
       filled("model.layers.0.mlp.down_proj.weight", {d, 6}), filled("model.norm.weight", {d}, 0.0f, 1.0f),
       filled("lm_head.weight", {3, d})});
}

TEST(HfModels, LlamaRotatesHalvesWithHuggingFaceFrequencies) {
  const fs::path dir = testDir();
  writeLlama(dir, 1, 1, 4);
  auto model = openHfModel(dir);
  EXPECT_TRUE(model->info().rope);
  const std::vector<int> ids = {0, 1, 2};
  const ModelCapture c = model->run(ids);
  ASSERT_EQ(c.queries.size(), 1u);
  // hd = 4: dimension i pairs with i + 2; frequencies 1 and 10000^(-1/2) = 0.01.
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 2; ++i) {
      const double angle = t * (i == 0 ? 1.0 : 0.01);
      EXPECT_NEAR(c.queriesPreRope[0](t, i), 1.0, 1e-6);
      EXPECT_NEAR(c.queries[0](t, i), std::cos(angle) - std::sin(angle), 1e-6);
      EXPECT_NEAR(c.queries[0](t, i + 2), std::cos(angle) + std::sin(angle), 1e-6);
      EXPECT_NEAR(c.keys[0](t, i + 2), std::cos(angle) + std::sin(angle), 1e-6);
    }
  }
  // Position 0 is not rotated; attention rows are causal and sum to 1.
  EXPECT_NEAR(c.queries[0](0, 0), 1.0, 1e-6);
  EXPECT_FLOAT_EQ(c.attention[0](0, 0), 1.0f);
  EXPECT_EQ(c.attention[0](1, 2), 0.0f);
  EXPECT_NEAR(c.attention[0].row(2).sum(), 1.0f, 1e-6f);
  // q . k at t = 1 with itself: |q|^2 = 4 after any rotation, scaled by 1/sqrt(4).
  EXPECT_NEAR(c.queries[0].row(1).dot(c.keys[0].row(1)), 4.0f, 1e-5f);
}

TEST(HfModels, LlamaGroupedQueryHeadsShareTheirKeyHead) {
  const fs::path dir = testDir();
  writeLlama(dir, 4, 2, 2);
  auto model = openHfModel(dir);
  EXPECT_EQ(model->info().keyValueHeads, 2);
  const std::vector<int> ids = {0, 1};
  const ModelCapture c = model->run(ids);
  ASSERT_EQ(c.keys.size(), 4u);
  EXPECT_EQ(c.keys[0], c.keys[1]);  // query heads 0 and 1 use key head 0
  EXPECT_EQ(c.keys[2], c.keys[3]);
  EXPECT_EQ(c.keysPreRope[2], c.keysPreRope[3]);
  EXPECT_EQ(c.keysPreRope.size(), 4u);
}

TEST(HfModels, BertWithZeroQueriesAndKeysAttendsUniformlyBothWays) {
  const fs::path dir = testDir();
  std::ofstream(dir / "config.json") << R"({"architectures":["BertModel"],"num_hidden_layers":1,"num_attention_heads":2,
      "hidden_size":4,"intermediate_size":8,"vocab_size":6,"max_position_embeddings":8,"type_vocab_size":2})";
  const std::string p = "encoder.layer.0.";
  writeSafetensors(dir / "model.safetensors", {filled("embeddings.word_embeddings.weight", {6, 4}),
                                               filled("embeddings.position_embeddings.weight", {8, 4}),
                                               filled("embeddings.token_type_embeddings.weight", {2, 4}),
                                               filled("embeddings.LayerNorm.gamma", {4}, 0.0f, 1.0f),
                                               zeros("embeddings.LayerNorm.beta", {4}),
                                               zeros(p + "attention.self.query.weight", {4, 4}),
                                               zeros(p + "attention.self.query.bias", {4}),
                                               zeros(p + "attention.self.key.weight", {4, 4}),
                                               zeros(p + "attention.self.key.bias", {4}),
                                               filled(p + "attention.self.value.weight", {4, 4}),
                                               filled(p + "attention.self.value.bias", {4}),
                                               filled(p + "attention.output.dense.weight", {4, 4}),
                                               filled(p + "attention.output.dense.bias", {4}),
                                               filled(p + "attention.output.LayerNorm.weight", {4}, 0.0f, 1.0f),
                                               zeros(p + "attention.output.LayerNorm.bias", {4}),
                                               filled(p + "intermediate.dense.weight", {8, 4}),
                                               filled(p + "intermediate.dense.bias", {8}),
                                               filled(p + "output.dense.weight", {4, 8}),
                                               filled(p + "output.dense.bias", {4}),
                                               filled(p + "output.LayerNorm.weight", {4}, 0.0f, 1.0f),
                                               zeros(p + "output.LayerNorm.bias", {4})});
  auto model = openHfModel(dir);
  EXPECT_FALSE(model->info().causal);
  const std::vector<int> ids = {2, 0, 5, 1};
  const ModelCapture c = model->run(ids);
  EXPECT_FALSE(c.causal);
  for (const RowMatrix& a : c.attention) EXPECT_NEAR((a.array() - 0.25f).abs().maxCoeff(), 0.0f, 1e-7f);
  EXPECT_EQ(c.logits.size(), 0);  // BertModel has no masked-LM head
}

}  // namespace
}  // namespace attnscope::model
