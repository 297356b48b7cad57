// Tests for core/model/hf_config.cpp: tolerant parsing of messy real configs, clear errors for missing keys.
#include "core/model/hf_config.h"

#include <gtest/gtest.h>

#include <numbers>

#include "core/error.h"

namespace attnscope::model {
namespace {

std::string errorOf(const std::string& json) {
  try {
    parseHfConfigText(json, "cfg.json");
  } catch (const FileError& error) {
    return error.what();
  }
  return "no error";
}

TEST(HfConfig, Gpt2ConfigWithUnknownKeysAndNullInner) {
  const HfConfig c = parseHfConfigText(
      R"({"architectures":["GPT2LMHeadModel"],"n_layer":12,"n_head":12,"n_embd":768,"vocab_size":50257,
          "n_positions":1024,"n_inner":null,"task_specific_params":{"text-generation":{"do_sample":true}},
          "bos_token_id":50256,"eos_token_id":50256})",
      "gpt2/config.json");
  EXPECT_EQ(c.architecture, HfArchitecture::Gpt2);
  EXPECT_EQ(c.headDim(), 64);
  EXPECT_EQ(c.intermediateDim, 3072);
  EXPECT_EQ(c.activation, "gelu_new");
  EXPECT_FLOAT_EQ(c.normEpsilon, 1e-5f);
  EXPECT_EQ(c.bosTokenId, 50256);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(HfConfig, LlamaDefaultsGroupedQueryAndToleratedBadBos) {
  const HfConfig c = parseHfConfigText(
      R"({"architectures":["LlamaForCausalLM"],"num_hidden_layers":2,"num_attention_heads":8,"num_key_value_heads":2,
          "hidden_size":64,"intermediate_size":172,"vocab_size":512,"max_position_embeddings":256,
          "bos_token_id":128000,"eos_token_id":[2,9],"rope_scaling":null})",
      "llama/config.json");
  EXPECT_EQ(c.architecture, HfArchitecture::Llama);
  EXPECT_EQ(c.keyValueHeads, 2);
  EXPECT_EQ(c.headDim(), 8);
  EXPECT_FLOAT_EQ(c.ropeTheta, 10000.0f);
  EXPECT_FLOAT_EQ(c.normEpsilon, 1e-6f);
  EXPECT_FALSE(c.tieWordEmbeddings);
  EXPECT_EQ(c.bosTokenId, -1);  // outside the vocabulary: ignored, with a warning
  EXPECT_EQ(c.eosTokenId, 2);   // first of a list
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("bos_token_id = 128000"), std::string::npos);
}

TEST(HfConfig, Llama3RopeScalingBandsAndExplicitHeadDim) {
  const std::string base = R"({"architectures":["LlamaForCausalLM"],"num_hidden_layers":1,"num_attention_heads":2,
      "hidden_size":8,"intermediate_size":16,"vocab_size":10,"max_position_embeddings":128,"rope_theta":10000,)";
  const HfConfig c = parseHfConfigText(base + R"("head_dim":8,"rope_scaling":{"rope_type":"llama3","factor":8.0,
      "low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":64}})",
                                       "l3.json");
  EXPECT_EQ(c.headDim(), 8);  // from head_dim, not hidden_size / heads = 4
  const std::vector<double> f = ropeInverseFrequencies(c);
  ASSERT_EQ(f.size(), 4u);
  // Unscaled: 10000^(-i/4) = 1, 0.1, 0.01, 0.001; wavelengths 2 pi / f = 6.3, 62.8, 628, 6283.
  // Band edges: 64 / 4 = 16 and 64 / 1 = 64. So f0 stays, f1 blends, f2 and f3 are divided by 8.
  EXPECT_DOUBLE_EQ(f[0], 1.0);
  const double smooth = (64.0 / (2 * std::numbers::pi / 0.1) - 1.0) / 3.0;
  EXPECT_NEAR(f[1], (1 - smooth) * 0.1 / 8 + smooth * 0.1, 1e-15);
  EXPECT_NEAR(f[2], 0.01 / 8, 1e-15);
  EXPECT_NEAR(f[3], 0.001 / 8, 1e-15);

  const HfConfig linear = parseHfConfigText(base + R"("rope_scaling":{"type":"linear","factor":2.0}})", "lin.json");
  EXPECT_NEAR(ropeInverseFrequencies(linear)[1], 0.01 / 2, 1e-15);  // hd = 4: 10000^(-2/4) / 2
  EXPECT_THROW(parseHfConfigText(base + R"("rope_scaling":{"rope_type":"yarn","factor":4.0}})", "y.json"), FileError);
  EXPECT_THROW(parseHfConfigText(base + R"("rope_scaling":{"rope_type":"llama3","factor":8.0}})", "m.json"), FileError);
}

TEST(HfConfig, BertDefaults) {
  const HfConfig c = parseHfConfigText(
      R"({"architectures":["BertModel"],"num_hidden_layers":1,"num_attention_heads":2,"hidden_size":8,
          "intermediate_size":16,"vocab_size":30,"max_position_embeddings":16})",
      "bert.json");
  EXPECT_EQ(c.architecture, HfArchitecture::Bert);
  EXPECT_EQ(c.activation, "gelu");
  EXPECT_EQ(c.typeVocabSize, 2);
  EXPECT_FLOAT_EQ(c.normEpsilon, 1e-12f);
}

TEST(HfConfig, ErrorsNameTheKeyAndTheFile) {
  const std::string missing =
      errorOf(R"({"architectures":["GPT2Model"],"n_layer":1,"n_head":1,"vocab_size":5,"n_positions":4})");
  EXPECT_NE(missing.find("\"n_embd\" or \"hidden_size\""), std::string::npos) << missing;
  EXPECT_NE(missing.find("cfg.json"), std::string::npos) << missing;
  EXPECT_NE(errorOf(R"({"architectures":["T5Model"]})").find("T5Model"), std::string::npos);
  EXPECT_NE(errorOf("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(errorOf(R"({"model_type":"gpt2","n_layer":"2","n_head":1,"n_embd":4,"vocab_size":5,"n_positions":4})")
                .find("\"n_layer\" must be a positive integer"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"model_type":"gpt2","n_layer":1,"n_head":3,"n_embd":4,"vocab_size":5,"n_positions":4})")
                .find("not divisible"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"model_type":"gpt2","n_layer":1,"n_head":1,"n_embd":4,"vocab_size":5,"n_positions":4,
                        "activation_function":7})")
                .find("cfg.json"),
            std::string::npos);
  EXPECT_THROW(parseHfConfig("/nonexistent/config.json"), FileError);
}

// The Llama family as transformers 4 and 5 write it: the variant flags come from model_type, even when
// "architectures" is null, and transformers 5's rope_parameters replaces rope_theta and rope_scaling.
TEST(HfConfig, LlamaFamilyVariantsFromTransformers4And5Configs) {
  const std::string sizes = R"("num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,
      "hidden_size":32,"intermediate_size":40,"vocab_size":100,"max_position_embeddings":64,)";
  const HfConfig qwen2 = parseHfConfigText(R"({"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2",)" + sizes +
                                               R"("dtype":"bfloat16","use_sliding_window":false,"sliding_window":3,
          "rope_parameters":{"rope_type":"default","rope_theta":500.0}})",
                                           "qwen2.json");
  EXPECT_EQ(qwen2.architecture, HfArchitecture::Llama);
  EXPECT_TRUE(qwen2.attentionBias);
  EXPECT_FALSE(qwen2.qkNorm);
  EXPECT_EQ(qwen2.slidingWindow, 0);  // present but switched off by use_sliding_window
  EXPECT_FLOAT_EQ(qwen2.ropeTheta, 500.0f);
  const HfConfig qwen3 = parseHfConfigText(
      R"({"architectures":null,"model_type":"qwen3","head_dim":16,)" + sizes + R"("attention_bias":false})",
      "qwen3.json");
  EXPECT_TRUE(qwen3.qkNorm);
  EXPECT_FALSE(qwen3.attentionBias);
  EXPECT_EQ(qwen3.headDim(), 16);
  EXPECT_EQ(qwen3.architectureName, "qwen3");
  const HfConfig mistral =
      parseHfConfigText(R"({"architectures":["MistralForCausalLM"],)" + sizes + R"("sliding_window":4096})", "m.json");
  EXPECT_EQ(mistral.slidingWindow, 4096);
  EXPECT_FALSE(mistral.attentionBias);
  const HfConfig unlimited =
      parseHfConfigText(R"({"model_type":"mistral",)" + sizes + R"("sliding_window":null})", "m.json");
  EXPECT_EQ(unlimited.slidingWindow, 0);
  const HfConfig llama = parseHfConfigText(R"({"model_type":"llama",)" + sizes + R"("attention_bias":true})", "l.json");
  EXPECT_TRUE(llama.attentionBias);

  // Unsupported options are refused in one line naming the field and what is supported.
  const std::string windowed = errorOf(R"({"model_type":"qwen2",)" + sizes +
                                       R"("use_sliding_window":true,"sliding_window":8,"max_window_layers":1})");
  EXPECT_NE(windowed.find("use_sliding_window"), std::string::npos) << windowed;
  const std::string rope = errorOf(R"({"model_type":"qwen3",)" + sizes +
                                   R"("rope_parameters":{"rope_type":"yarn","factor":4.0,"rope_theta":1e6}})");
  EXPECT_NE(rope.find("rope_parameters type 'yarn' is not supported (supported: llama3, linear"), std::string::npos)
      << rope;
  const std::string falcon = errorOf(R"({"architectures":["FalconForCausalLM"],"model_type":"falcon"})");
  EXPECT_NE(falcon.find("architecture 'FalconForCausalLM' is not supported (supported: GPT2LMHeadModel"),
            std::string::npos)
      << falcon;
  const HfConfig olmo2 =
      parseHfConfigText(R"({"architectures":["Olmo2ForCausalLM"],)" + sizes + R"("rope_theta":5e5})", "o.json");
  EXPECT_TRUE(olmo2.qkNorm);
  EXPECT_TRUE(olmo2.qkNormOverProjection);
  EXPECT_TRUE(olmo2.normAfterSublayers);
  EXPECT_FALSE(qwen3.qkNormOverProjection);
  EXPECT_NE(errorOf(R"({"model_type":"mistral",)" + sizes + R"("sliding_window":-1})").find("sliding_window"),
            std::string::npos);
  const HfConfig phi3 = parseHfConfigText(
      R"({"architectures":["Phi3ForCausalLM"],"model_type":"phi3",)" + sizes + R"("sliding_window":2047})", "p.json");
  EXPECT_TRUE(phi3.fusedProjections);
  EXPECT_EQ(phi3.slidingWindow, 2047);
  const std::string partial =
      errorOf(R"({"model_type":"phi3",)" + sizes + R"("partial_rotary_factor":0.75,"sliding_window":null})");
  EXPECT_NE(partial.find("partial_rotary_factor 0.750000 is not supported for phi3"), std::string::npos) << partial;
  const std::string longrope = errorOf(R"({"model_type":"phi3",)" + sizes +
                                       R"("rope_scaling":{"type":"longrope","short_factor":[1],"long_factor":[1]}})");
  EXPECT_NE(longrope.find("rope_scaling type 'longrope' is not supported"), std::string::npos) << longrope;

  // GPT-NeoX / Pythia: rotary_pct (transformers 4) or rope_parameters.partial_rotary_factor (5).
  const std::string neoxSizes = R"("num_hidden_layers":2,"num_attention_heads":4,"hidden_size":64,
      "intermediate_size":256,"vocab_size":100,"max_position_embeddings":64,)";
  const HfConfig pythia = parseHfConfigText(
      R"({"architectures":["GPTNeoXForCausalLM"],)" + neoxSizes + R"("rotary_pct":0.25,"use_parallel_residual":true})",
      "pythia.json");
  EXPECT_EQ(pythia.architecture, HfArchitecture::GptNeox);
  EXPECT_EQ(pythia.rotaryDims, 4);  // int(16 * 0.25)
  EXPECT_TRUE(pythia.parallelResidual);
  EXPECT_FALSE(pythia.tieWordEmbeddings);
  const HfConfig v5 =
      parseHfConfigText(R"({"architectures":null,"model_type":"gpt_neox",)" + neoxSizes +
                            R"("use_parallel_residual":false,"rope_parameters":{"rope_type":"default","rope_theta":500,
          "partial_rotary_factor":0.5}})",
                        "v5.json");
  EXPECT_EQ(v5.rotaryDims, 8);
  EXPECT_FALSE(v5.parallelResidual);
  EXPECT_FLOAT_EQ(v5.ropeTheta, 500.0f);
  const std::string odd = errorOf(R"({"model_type":"gpt_neox",)" + neoxSizes + R"("rotary_pct":0.1875})");
  EXPECT_NE(odd.find("rotary_pct gives 3 rotary dimensions per head; RoPE needs an even number"), std::string::npos)
      << odd;
}

// Gemma 1/2/3 with the defaults of transformers' GemmaConfig, Gemma2Config and Gemma3TextConfig when keys are absent.
TEST(HfConfig, GemmaFamily) {
  const std::string sizes = R"("num_hidden_layers":7,"num_attention_heads":4,"num_key_value_heads":1,"head_dim":16,
      "hidden_size":32,"intermediate_size":40,"vocab_size":100,"max_position_embeddings":64,)";
  const HfConfig gemma = parseHfConfigText(
      R"({"architectures":["GemmaForCausalLM"],"model_type":"gemma",)" + sizes + R"("hidden_act":"gelu"})", "g.json");
  EXPECT_EQ(gemma.architecture, HfArchitecture::Llama);
  EXPECT_TRUE(gemma.normPlusOne);
  EXPECT_TRUE(gemma.scaleEmbeddings);
  EXPECT_TRUE(gemma.tieWordEmbeddings);  // absent: Gemma ties
  EXPECT_FALSE(gemma.sandwichNorms);
  EXPECT_EQ(gemma.activation, "gelu_pytorch_tanh");  // transformers 4 ignores hidden_act "gelu" for Gemma
  EXPECT_EQ(gemma.headDim(), 16);
  EXPECT_EQ(gemma.windowOfLayer(3), 0);
  EXPECT_FLOAT_EQ(gemma.attentionScale, 0.0f);
  // transformers 5 writes "not set" as null (GemmaConfig's use_bidirectional_attention defaults to None).
  EXPECT_NO_THROW(parseHfConfigText(R"({"model_type":"gemma","use_bidirectional_attention":null,)" + sizes +
                                        R"("hidden_act":"gelu_pytorch_tanh","rope_parameters":{"rope_type":"default",
                                        "rope_theta":10000.0}})",
                                    "g5.json"));

  const HfConfig gemma2 =
      parseHfConfigText(R"({"model_type":"gemma2","architectures":null,)" + sizes + R"("x":1})", "g2.json");
  EXPECT_TRUE(gemma2.sandwichNorms);
  EXPECT_FLOAT_EQ(gemma2.attentionScale, 1.0f / 16.0f);  // query_pre_attn_scalar defaults to 256
  EXPECT_FLOAT_EQ(gemma2.attentionSoftcap, 50.0f);
  EXPECT_FLOAT_EQ(gemma2.finalLogitSoftcap, 30.0f);
  EXPECT_EQ(gemma2.slidingWindow, 4096);
  EXPECT_EQ(gemma2.windowOfLayer(0), 4096);  // even layers local
  EXPECT_EQ(gemma2.windowOfLayer(1), 0);
  EXPECT_EQ(gemma2.windowOfLayer(6), 4096);
  EXPECT_FALSE(gemma2.qkNorm);
  const HfConfig uncapped = parseHfConfigText(
      R"({"model_type":"gemma2",)" + sizes +
          R"("attn_logit_softcapping":null,"final_logit_softcapping":null,"query_pre_attn_scalar":144})",
      "g2.json");
  EXPECT_FLOAT_EQ(uncapped.attentionSoftcap, 0.0f);
  EXPECT_FLOAT_EQ(uncapped.finalLogitSoftcap, 0.0f);
  EXPECT_FLOAT_EQ(uncapped.attentionScale, 1.0f / 12.0f);

  // Gemma 3, transformers 4: sliding_window_pattern 6 makes layer 5 global; rope_scaling applies to global layers.
  const HfConfig gemma3 = parseHfConfigText(
      R"({"architectures":["Gemma3ForCausalLM"],"model_type":"gemma3_text",)" + sizes +
          R"("sliding_window":512,"sliding_window_pattern":6,"rope_theta":1000000.0,"rope_local_base_freq":10000.0,
          "rope_scaling":{"rope_type":"linear","factor":8.0},"attn_logit_softcapping":null})",
      "g3.json");
  EXPECT_TRUE(gemma3.qkNorm);
  EXPECT_FALSE(gemma3.qkNormOverProjection);
  EXPECT_FLOAT_EQ(gemma3.attentionSoftcap, 0.0f);
  EXPECT_FLOAT_EQ(gemma3.finalLogitSoftcap, 0.0f);
  for (int l = 0; l < 7; ++l) EXPECT_EQ(gemma3.windowOfLayer(l), l == 5 ? 0 : 512) << l;
  EXPECT_FLOAT_EQ(gemma3.ropeTheta, 1e6f);
  EXPECT_FLOAT_EQ(gemma3.localRopeTheta, 1e4f);
  EXPECT_EQ(gemma3.ropeScaling.type, "linear");
  EXPECT_TRUE(gemma3.warnings.empty());
  // transformers 5: layer_types and rope_parameters per layer type.
  const HfConfig gemma3v5 = parseHfConfigText(
      R"({"architectures":null,"model_type":"gemma3_text","num_hidden_layers":2,"num_attention_heads":4,
          "head_dim":16,"hidden_size":32,"intermediate_size":40,"vocab_size":100,"max_position_embeddings":64,
          "dtype":"bfloat16","layer_types":["full_attention","sliding_attention"],"sliding_window":4,
          "attn_logit_softcapping":20.0,
          "rope_parameters":{"full_attention":{"rope_type":"linear","factor":2.0,"rope_theta":5e5},
                             "sliding_attention":{"rope_type":"default","rope_theta":200.0}}})",
      "g3v5.json");
  EXPECT_EQ(gemma3v5.windowOfLayer(0), 0);
  EXPECT_EQ(gemma3v5.windowOfLayer(1), 4);
  EXPECT_FLOAT_EQ(gemma3v5.ropeTheta, 5e5f);
  EXPECT_FLOAT_EQ(gemma3v5.localRopeTheta, 200.0f);
  EXPECT_DOUBLE_EQ(gemma3v5.ropeScaling.factor, 2.0);
  EXPECT_FLOAT_EQ(gemma3v5.attentionSoftcap, 0.0f);  // Gemma 3 never applies it: a warning says so
  ASSERT_EQ(gemma3v5.warnings.size(), 1u);
  EXPECT_NE(gemma3v5.warnings[0].find("attn_logit_softcapping is ignored"), std::string::npos);

  // Refused in one line naming the field and what is supported.
  const std::string multimodal =
      errorOf(R"({"architectures":["Gemma3ForConditionalGeneration"],"model_type":"gemma3","text_config":{}})");
  EXPECT_NE(multimodal.find("the multimodal Gemma 3 wrapper ('Gemma3ForConditionalGeneration', text_config inside) is "
                            "not supported (supported: the text-only Gemma3ForCausalLM"),
            std::string::npos)
      << multimodal;
  const std::string types = errorOf(R"({"model_type":"gemma3_text",)" + sizes + R"("layer_types":["chunked"]})");
  EXPECT_NE(types.find("\"layer_types\" must list one entry per layer (7)"), std::string::npos) << types;
  const std::string chunked = errorOf(R"({"model_type":"gemma3_text","num_hidden_layers":1,"num_attention_heads":4,
      "hidden_size":32,"intermediate_size":40,"vocab_size":100,"max_position_embeddings":64,
      "layer_types":["chunked_attention"]})");
  EXPECT_NE(chunked.find("layer_types entry 'chunked_attention' is not supported (supported: sliding_attention, "
                         "full_attention)"),
            std::string::npos)
      << chunked;
  const std::string bidirectional =
      errorOf(R"({"model_type":"gemma3_text",)" + sizes + R"("use_bidirectional_attention":true})");
  EXPECT_NE(bidirectional.find("use_bidirectional_attention true is not supported"), std::string::npos)
      << bidirectional;
  const std::string rope = errorOf(R"({"model_type":"gemma2",)" + sizes + R"("rope_scaling":{"rope_type":"yarn"}})");
  EXPECT_NE(rope.find("rope_scaling type 'yarn' is not supported (supported: llama3, linear"), std::string::npos)
      << rope;
  const std::string cap = errorOf(R"({"model_type":"gemma2",)" + sizes + R"("attn_logit_softcapping":-1})");
  EXPECT_NE(cap.find("\"attn_logit_softcapping\" must be a positive number or null"), std::string::npos) << cap;
}

}  // namespace
}  // namespace attnscope::model
