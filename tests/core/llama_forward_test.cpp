// Tests for core/model/llama_forward.cpp on hand-built models small enough to follow with pencil and paper:
// RMSNorm, RoPE at position 1 (angle 1 rad), causal softmax, the grouped-query head mapping and the KV cache limits.
#include "core/model/llama_forward.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"

namespace attnscope::model {
namespace {

// dim 2, one head of dimension 2, identity Q/K/V projections, zero output and MLP projections: the residual stream
// stays the token embedding, so every quantity below has a closed form.
struct TinyModel {
  LlamaConfig config;
  std::vector<float> embedding = {1, 0,   // token 0
                                  0, 2};  // token 1
  std::vector<float> ones = {1, 1};
  std::vector<float> identity = {1, 0, 0, 1};
  std::vector<float> zeros = std::vector<float>(4, 0.0f);
  LlamaWeights weights;

  TinyModel() {
    config.modelDim = 2;
    config.hiddenDim = 2;
    config.layers = 1;
    config.heads = 1;
    config.kvHeads = 1;
    config.vocabSize = 2;
    config.maxSequence = 3;
    weights.tokenEmbedding = embedding.data();
    weights.attentionNorm = ones.data();
    weights.wq = weights.wk = weights.wv = identity.data();
    weights.wo = weights.w1 = weights.w2 = weights.w3 = zeros.data();
    weights.ffnNorm = weights.finalNorm = ones.data();
    weights.classifier = embedding.data();
  }
};

TEST(LlamaForward, HandComputedTwoTokenPass) {
  TinyModel tiny;
  LlamaDecoder decoder(tiny.config, tiny.weights);
  decoder.reset({.capacity = 3});
  // RMSNorm(1, 0) = (1, 0) / sqrt(0.5 + 1e-5); RMSNorm(0, 2) = (0, 2) / sqrt(2 + 1e-5).
  const float s0 = 1.0f / std::sqrt(0.5f + 1e-5f), s1 = 1.0f / std::sqrt(2.0f + 1e-5f);

  std::span<const float> logits = decoder.step(0);
  // logits = embedding * RMSNorm(x) with x = embedding[0]: (s0 * 1, 0).
  EXPECT_NEAR(logits[0], s0, 1e-6f);
  EXPECT_NEAR(logits[1], 0.0f, 1e-6f);
  logits = decoder.step(1);
  EXPECT_NEAR(logits[0], 0.0f, 1e-6f);
  EXPECT_NEAR(logits[1], 4.0f * s1, 1e-5f);

  const ModelCapture capture = decoder.takeCapture();
  ASSERT_EQ(capture.tokens, 2);
  EXPECT_EQ(capture.tokenIds, (std::vector<int>{0, 1}));
  // Position 1 rotates the pair (0, 2 s1) by 1 rad (frequency 10000^0 = 1): (-2 s1 sin 1, 2 s1 cos 1).
  const RowMatrix& q = capture.queries[0];
  EXPECT_NEAR(capture.queriesPreRope[0](1, 0), 0.0f, 1e-6f);
  EXPECT_NEAR(capture.queriesPreRope[0](1, 1), 2 * s1, 1e-6f);
  EXPECT_NEAR(q(1, 0), -2 * s1 * std::sin(1.0f), 1e-6f);
  EXPECT_NEAR(q(1, 1), 2 * s1 * std::cos(1.0f), 1e-6f);
  EXPECT_NEAR(q(0, 0), s0, 1e-6f);                 // position 0 is not rotated
  EXPECT_EQ(capture.keys[0], capture.queries[0]);  // W_q = W_k = I

  // Row 1 of the attention: softmax of (q1.k0, q1.k1) / sqrt(2) = (-2 s1 s0 sin 1, 4 s1^2) / sqrt(2).
  const float a = -2 * s1 * s0 * std::sin(1.0f) / std::sqrt(2.0f), b = 4 * s1 * s1 / std::sqrt(2.0f);
  const float expected0 = 1.0f / (1.0f + std::exp(b - a));
  const RowMatrix& attention = capture.attention[0];
  EXPECT_EQ(attention(0, 0), 1.0f);
  EXPECT_EQ(attention(0, 1), 0.0f);
  EXPECT_NEAR(attention(1, 0), expected0, 1e-6f);
  EXPECT_NEAR(attention(1, 1), 1.0f - expected0, 1e-6f);
  EXPECT_NEAR(capture.logits(1, 1), 4.0f * s1, 1e-5f);
}

TEST(LlamaForward, SequenceLimitAndTokenRange) {
  TinyModel tiny;
  LlamaDecoder decoder(tiny.config, tiny.weights);
  decoder.reset();
  EXPECT_THROW(decoder.step(2), InputError);
  EXPECT_THROW(decoder.step(-1), InputError);
  for (int i = 0; i < 3; ++i) decoder.step(i % 2);
  EXPECT_EQ(decoder.position(), 3);
  EXPECT_THROW(decoder.step(0), InputError);  // maxSequence = 3
  decoder.reset();
  EXPECT_NO_THROW(decoder.step(0));
}

TEST(LlamaForward, CaptureIsTrimmedToPositionsFed) {
  TinyModel tiny;
  LlamaDecoder decoder(tiny.config, tiny.weights);
  decoder.reset({.capacity = 3});
  decoder.step(1);
  decoder.step(0);
  const ModelCapture capture = decoder.takeCapture();
  EXPECT_EQ(capture.tokens, 2);
  EXPECT_EQ(capture.attention[0].rows(), 2);
  EXPECT_EQ(capture.attention[0].cols(), 2);
  EXPECT_EQ(capture.queries[0].rows(), 2);
  EXPECT_EQ(capture.logits.rows(), 2);
  // After takeCapture nothing is recorded until reset.
  decoder.step(1);
  EXPECT_EQ(decoder.takeCapture().tokens, 0);
}

TEST(LlamaForward, GroupedQueryHeadsReadTheirKeyValueHead) {
  // dim 8: four query heads of dimension 2 over two kv heads. W_q = I (8x8), W_k = first four rows of I, so query
  // head h is x[2h, 2h+2) and kv head g is x[2g, 2g+2). Query heads 0,1 must read kv head 0 and 2,3 kv head 1
  // (h / (heads / kvHeads)); the modulo mapping h % kvHeads would give head 1 the keys of kv head 1.
  LlamaConfig config;
  config.modelDim = 8;
  config.hiddenDim = 1;
  config.layers = 1;
  config.heads = 4;
  config.kvHeads = 2;
  config.vocabSize = 1;
  config.maxSequence = 2;
  std::vector<float> embedding = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<float> ones(8, 1.0f), zeros(64, 0.0f), wq(64, 0.0f), wk(32, 0.0f);
  for (int i = 0; i < 8; ++i) wq[size_t(i * 8 + i)] = 1.0f;
  for (int i = 0; i < 4; ++i) wk[size_t(i * 8 + i)] = 1.0f;
  LlamaWeights weights;
  weights.tokenEmbedding = weights.classifier = embedding.data();
  weights.attentionNorm = weights.ffnNorm = weights.finalNorm = ones.data();
  weights.wq = wq.data();
  weights.wk = weights.wv = wk.data();
  weights.wo = weights.w1 = weights.w2 = weights.w3 = zeros.data();

  LlamaDecoder decoder(config, weights);
  decoder.reset({.capacity = 1});
  decoder.step(0);
  const ModelCapture capture = decoder.takeCapture();
  const float scale = 1.0f / std::sqrt(204.0f / 8.0f + 1e-5f);  // RMS of 1..8 is sqrt(204 / 8)
  for (int h = 0; h < 4; ++h) {
    const int g = h / 2;
    EXPECT_NEAR(capture.queriesPreRope[size_t(h)](0, 0), (2 * h + 1) * scale, 1e-5f) << "head " << h;
    EXPECT_NEAR(capture.keysPreRope[size_t(h)](0, 0), (2 * g + 1) * scale, 1e-5f) << "head " << h;
    EXPECT_NEAR(capture.keysPreRope[size_t(h)](0, 1), (2 * g + 2) * scale, 1e-5f) << "head " << h;
  }
}

TEST(LlamaForward, InconsistentConfigIsRejected) {
  TinyModel tiny;
  LlamaConfig bad = tiny.config;
  bad.heads = 2;  // head dimension 1 is odd: RoPE needs pairs
  EXPECT_THROW(LlamaDecoder(bad, tiny.weights), InputError);
  bad = tiny.config;
  bad.kvHeads = 2;  // more kv heads than query heads
  EXPECT_THROW(LlamaDecoder(bad, tiny.weights), InputError);
}

}  // namespace
}  // namespace attnscope::model
