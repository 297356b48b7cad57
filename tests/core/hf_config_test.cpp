// Tests for core/model/hf_config.cpp: tolerant parsing of messy real configs, clear errors for missing keys.
#include "core/model/hf_config.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace attnscope::model
