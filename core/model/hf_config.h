// Hugging Face config.json parsing: the few keys attnscope needs for GPT-2, Llama and BERT, tolerant of the
// messy keys real configs carry (unknown keys ignored, questionable values reported as warnings).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace attnscope::model {

enum class HfArchitecture { Gpt2, Llama, Bert };

struct HfConfig {
  HfArchitecture architecture = HfArchitecture::Gpt2;
  std::string architectureName;  // e.g. "GPT2LMHeadModel"
  std::string modelType;         // e.g. "gpt2"
  int layers = 0;
  int heads = 0;
  int keyValueHeads = 0;
  int modelDim = 0;
  int intermediateDim = 0;  // MLP hidden size
  int vocabSize = 0;
  int maxPositions = 0;
  int typeVocabSize = 0;       // BERT token-type embeddings
  float normEpsilon = 1e-5f;   // LayerNorm / RMSNorm epsilon
  float ropeTheta = 10000.0f;  // Llama
  bool tieWordEmbeddings = true;
  std::string activation;  // "gelu_new", "gelu", "silu", ...
  int bosTokenId = -1;     // -1 when absent or unusable
  int eosTokenId = -1;
  /// Things that looked wrong but do not stop the model from running (e.g. bos_token_id outside the vocabulary).
  std::vector<std::string> warnings;

  int headDim() const { return heads > 0 ? modelDim / heads : 0; }
};

/// Parses config.json. Throws FileError naming the file and the key when a required key is missing or has the
/// wrong type, or when the architecture is not one of GPT2LMHeadModel/GPT2Model, LlamaForCausalLM/LlamaModel,
/// BertModel/BertForMaskedLM.
HfConfig parseHfConfig(const std::filesystem::path& configPath);
/// Same, from JSON text; `sourceName` is used in messages.
HfConfig parseHfConfigText(const std::string& jsonText, const std::string& sourceName);

}  // namespace attnscope::model
