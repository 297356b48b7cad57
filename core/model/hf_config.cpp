// config.json parsing for GPT-2, Llama and BERT: required keys are checked by name, everything else is optional.
#include "core/model/hf_config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace attnscope::model {
namespace {

using nlohmann::json;

// Reads the first of `keys` that is present (configs of one family spell the same size differently).
int requireInt(const json& config, std::initializer_list<const char*> keys, const std::string& source) {
  for (const char* key : keys) {
    if (!config.contains(key)) continue;
    const json& value = config[key];
    if (!value.is_number_integer() || value.get<int64_t>() <= 0 || value.get<int64_t>() > (1 << 30)) {
      throw FileError("config '" + source + "': key \"" + key + "\" must be a positive integer, got " + value.dump());
    }
    return value.get<int>();
  }
  std::string names;
  for (const char* key : keys) names += std::string(names.empty() ? "\"" : " or \"") + key + "\"";
  throw FileError("config '" + source + "': required key " + names + " is missing");
}

int optionalInt(const json& config, const char* key, int fallback) {
  if (!config.contains(key) || !config[key].is_number_integer()) return fallback;
  return config[key].get<int>();
}

float optionalFloat(const json& config, const char* key, float fallback, const std::string& source) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  if (!config[key].is_number()) throw FileError("config '" + source + "': key \"" + key + "\" must be a number");
  return config[key].get<float>();
}

// bos/eos ids may be an int, null, or a list (some configs list several eos tokens): take the first usable one.
int tokenId(const json& config, const char* key, int vocabSize, std::vector<std::string>& warnings) {
  if (!config.contains(key) || config[key].is_null()) return -1;
  json value = config[key];
  if (value.is_array()) {
    if (value.empty()) return -1;
    value = value[0];
  }
  if (!value.is_number_integer()) {
    warnings.push_back(std::string(key) + " is not an integer; ignored");
    return -1;
  }
  const int id = value.get<int>();
  if (id < 0 || id >= vocabSize) {
    warnings.push_back(std::string(key) + " = " + std::to_string(id) + " is outside the vocabulary of " +
                       std::to_string(vocabSize) + " tokens; ignored");
    return -1;
  }
  return id;
}

}  // namespace

namespace {
HfConfig parseHfConfigJson(const std::string& jsonText, const std::string& sourceName) {
  json config;
  try {
    config = json::parse(jsonText);
  } catch (const json::exception& error) {
    throw FileError("config '" + sourceName + "' is not valid JSON: " + error.what());
  }
  if (!config.is_object()) throw FileError("config '" + sourceName + "' is not a JSON object");

  HfConfig result;
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty() &&
      config["architectures"][0].is_string()) {
    result.architectureName = config["architectures"][0].get<std::string>();
  }
  if (config.contains("model_type") && config["model_type"].is_string()) {
    result.modelType = config["model_type"].get<std::string>();
  }
  const std::string& arch = result.architectureName;
  if (arch == "GPT2LMHeadModel" || arch == "GPT2Model" || (arch.empty() && result.modelType == "gpt2")) {
    result.architecture = HfArchitecture::Gpt2;
  } else if (arch == "LlamaForCausalLM" || arch == "LlamaModel" || (arch.empty() && result.modelType == "llama")) {
    result.architecture = HfArchitecture::Llama;
  } else if (arch == "BertModel" || arch == "BertForMaskedLM" || arch == "BertForPreTraining" ||
             (arch.empty() && result.modelType == "bert")) {
    result.architecture = HfArchitecture::Bert;
  } else {
    throw FileError("config '" + sourceName + "': architecture '" + (arch.empty() ? result.modelType : arch) +
                    "' is not supported (supported: GPT2LMHeadModel, GPT2Model, LlamaForCausalLM, BertModel)");
  }
  if (result.architectureName.empty()) result.architectureName = result.modelType;

  result.vocabSize = requireInt(config, {"vocab_size"}, sourceName);
  switch (result.architecture) {
    case HfArchitecture::Gpt2:
      result.layers = requireInt(config, {"n_layer", "num_hidden_layers"}, sourceName);
      result.heads = requireInt(config, {"n_head", "num_attention_heads"}, sourceName);
      result.modelDim = requireInt(config, {"n_embd", "hidden_size"}, sourceName);
      result.maxPositions = requireInt(config, {"n_positions", "max_position_embeddings", "n_ctx"}, sourceName);
      result.intermediateDim = optionalInt(config, "n_inner", 4 * result.modelDim);
      if (result.intermediateDim <= 0) result.intermediateDim = 4 * result.modelDim;  // n_inner: null means 4*d
      result.normEpsilon = optionalFloat(config, "layer_norm_epsilon", 1e-5f, sourceName);
      result.activation = config.value("activation_function", std::string("gelu_new"));
      break;
    case HfArchitecture::Llama:
      result.layers = requireInt(config, {"num_hidden_layers"}, sourceName);
      result.heads = requireInt(config, {"num_attention_heads"}, sourceName);
      result.modelDim = requireInt(config, {"hidden_size"}, sourceName);
      result.intermediateDim = requireInt(config, {"intermediate_size"}, sourceName);
      result.maxPositions = requireInt(config, {"max_position_embeddings"}, sourceName);
      result.keyValueHeads = optionalInt(config, "num_key_value_heads", result.heads);
      result.normEpsilon = optionalFloat(config, "rms_norm_eps", 1e-6f, sourceName);
      result.ropeTheta = optionalFloat(config, "rope_theta", 10000.0f, sourceName);
      result.activation = config.value("hidden_act", std::string("silu"));
      if (config.contains("rope_scaling") && !config["rope_scaling"].is_null()) {
        result.warnings.push_back(
            "rope_scaling is set but not applied: positions use plain RoPE (fine for prompts "
            "shorter than the original training context)");
      }
      break;
    case HfArchitecture::Bert:
      result.layers = requireInt(config, {"num_hidden_layers"}, sourceName);
      result.heads = requireInt(config, {"num_attention_heads"}, sourceName);
      result.modelDim = requireInt(config, {"hidden_size"}, sourceName);
      result.intermediateDim = requireInt(config, {"intermediate_size"}, sourceName);
      result.maxPositions = requireInt(config, {"max_position_embeddings"}, sourceName);
      result.typeVocabSize = optionalInt(config, "type_vocab_size", 2);
      result.normEpsilon = optionalFloat(config, "layer_norm_eps", 1e-12f, sourceName);
      result.activation = config.value("hidden_act", std::string("gelu"));
      if (config.value("position_embedding_type", std::string("absolute")) != "absolute") {
        throw FileError("config '" + sourceName + "': position_embedding_type '" +
                        config["position_embedding_type"].get<std::string>() + "' is not supported (only absolute)");
      }
      break;
  }
  if (result.keyValueHeads <= 0) result.keyValueHeads = result.heads;
  if (result.modelDim % result.heads != 0) {
    throw FileError("config '" + sourceName + "': hidden size " + std::to_string(result.modelDim) +
                    " is not divisible by the number of heads " + std::to_string(result.heads));
  }
  if (result.heads % result.keyValueHeads != 0) {
    throw FileError("config '" + sourceName + "': num_attention_heads " + std::to_string(result.heads) +
                    " is not a multiple of num_key_value_heads " + std::to_string(result.keyValueHeads));
  }
  if (result.architecture == HfArchitecture::Llama && result.headDim() % 2 != 0) {
    throw FileError("config '" + sourceName + "': RoPE needs an even head dimension, got " +
                    std::to_string(result.headDim()));
  }
  result.tieWordEmbeddings = config.value("tie_word_embeddings", result.architecture != HfArchitecture::Llama);
  if (!config.contains("tie_word_embeddings") && result.architecture == HfArchitecture::Llama) {
    result.tieWordEmbeddings = false;
  }
  result.bosTokenId = tokenId(config, "bos_token_id", result.vocabSize, result.warnings);
  result.eosTokenId = tokenId(config, "eos_token_id", result.vocabSize, result.warnings);
  const std::string act = result.activation;
  const bool known = act == "gelu_new" || act == "gelu" || act == "gelu_pytorch_tanh" || act == "gelu_fast" ||
                     act == "silu" || act == "swish" || act == "relu";
  if (!known) throw FileError("config '" + sourceName + "': activation '" + act + "' is not supported");
  return result;
}
}  // namespace

HfConfig parseHfConfigText(const std::string& jsonText, const std::string& sourceName) {
  try {
    return parseHfConfigJson(jsonText, sourceName);
  } catch (const json::exception& error) {
    // A key with an unexpected type (e.g. a number where a string belongs) surfaces here.
    throw FileError("config '" + sourceName + "': unexpected value type: " + error.what());
  }
}

HfConfig parseHfConfig(const std::filesystem::path& configPath) {
  std::ifstream in(configPath);
  if (!in) throw FileError("cannot open config '" + configPath.string() + "'");
  std::stringstream text;
  text << in.rdbuf();
  return parseHfConfigText(text.str(), configPath.string());
}

}  // namespace attnscope::model
