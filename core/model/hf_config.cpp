// config.json parsing for GPT-2, Llama and BERT: required keys are checked by name, everything else is optional.
#include "core/model/hf_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
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

/// `field` is "rope_scaling" (transformers 4) or "rope_parameters" (transformers 5), for messages.
void readRopeScaling(const json& scaling, const std::string& source, HfConfig& result,
                     const std::string& field = "rope_scaling") {
  if (!scaling.is_object()) throw FileError("config '" + source + "': \"" + field + "\" must be an object or null");
  std::string type = scaling.value("rope_type", scaling.value("type", std::string("default")));
  auto number = [&](const char* key) {
    if (!scaling.contains(key) || !scaling[key].is_number() || scaling[key].get<double>() <= 0) {
      throw FileError("config '" + source + "': " + field + " of type '" + type + "' needs a positive \"" + key + "\"");
    }
    return scaling[key].get<double>();
  };
  if (type == "default") return;
  if (type == "linear") {
    result.ropeScaling = {type, number("factor")};
  } else if (type == "llama3") {
    result.ropeScaling = {type, number("factor"), number("low_freq_factor"), number("high_freq_factor"),
                          static_cast<int>(number("original_max_position_embeddings"))};
    if (result.ropeScaling.highFrequencyFactor <= result.ropeScaling.lowFrequencyFactor) {
      throw FileError("config '" + source + "': " + field + " high_freq_factor must exceed low_freq_factor");
    }
  } else if (type == "dynamic") {
    // Dynamic NTK scaling only changes frequencies for sequences longer than the original context.
    result.warnings.push_back(field + " 'dynamic' is not applied: exact up to max_position_embeddings tokens");
  } else {
    throw FileError("config '" + source + "': " + field + " type '" + type +
                    "' is not supported (supported: llama3, linear, dynamic within the original context)");
  }
}

}  // namespace

namespace {
/// The "attnscope" block written by `attnscope train` (core/train/checkpoint.h).
void readTrainedAttention(const json& block, const std::string& source, HfConfig& result) {
  HfConfig::TrainedAttention& attention = result.trainedAttention;
  auto fail = [&](const std::string& what) { throw FileError("config '" + source + "': attnscope." + what); };
  if (!block.is_object()) fail(" must be an object");
  if (result.architecture != HfArchitecture::Gpt2) fail(" is only supported for GPT-2 checkpoints");
  if (block.contains("kernel")) {
    if (!block["kernel"].is_string()) fail("kernel must be a string");
    attention.kernel = block["kernel"].get<std::string>();
    const bool known = attention.kernel == "dpa" || attention.kernel == "ea" || attention.kernel == "ea-pure" ||
                       attention.kernel == "mgk" || attention.kernel == "mgk-hard" || attention.kernel == "mlk" ||
                       attention.kernel == "cosine";
    if (!known) fail("kernel '" + attention.kernel + "' is unknown (dpa, ea, ea-pure, mgk, mgk-hard, mlk, cosine)");
  }
  if (block.contains("ea_form")) {
    if (!block["ea_form"].is_string()) fail("ea_form must be a string");
    attention.expressiveForm = block["ea_form"].get<std::string>();
    if (attention.expressiveForm != "saturating" && attention.expressiveForm != "pure") {
      fail("ea_form '" + attention.expressiveForm + "' is unknown (saturating, pure)");
    }
  }
  const bool mixture = attention.kernel == "mgk" || attention.kernel == "mgk-hard" || attention.kernel == "mlk";
  if (mixture) {
    if (!block.contains("mgk_components") || !block["mgk_components"].is_number_integer()) {
      fail("mgk_components (an integer) is required for kernel " + attention.kernel);
    }
    attention.components = block["mgk_components"].get<int>();
    if (attention.components < 1 || attention.components > 64) fail("mgk_components must be in [1, 64]");
    if (block.contains("mgk_variances")) {
      const json& variances = block["mgk_variances"];
      if (!variances.is_array() || static_cast<int>(variances.size()) != attention.components) {
        fail("mgk_variances must be an array of mgk_components numbers");
      }
      for (const json& v : variances) {
        if (!v.is_number() || !(v.get<double>() > 0.0) || !std::isfinite(v.get<double>())) {
          fail("mgk_variances must be finite and > 0");
        }
        attention.variances.push_back(v.get<double>());
      }
    }
  }
  if (block.contains("mgk_learned_variances")) {
    if (!block["mgk_learned_variances"].is_boolean()) fail("mgk_learned_variances must be true or false");
    attention.learnedVariances =
        block["mgk_learned_variances"].get<bool>() && (attention.kernel == "mgk" || attention.kernel == "mgk-hard");
  }
  if (block.contains("cosine_temperature")) {
    if (!block["cosine_temperature"].is_number() || !(block["cosine_temperature"].get<double>() > 0.0)) {
      fail("cosine_temperature must be a number > 0");
    }
    attention.cosineTemperature = block["cosine_temperature"].get<double>();
  }
}

bool llamaFamily(const std::string& arch, const std::string& modelType) {
  for (const char* name :
       {"LlamaForCausalLM", "LlamaModel", "MistralForCausalLM", "MistralModel", "Qwen2ForCausalLM", "Qwen2Model",
        "Qwen3ForCausalLM", "Qwen3Model", "Phi3ForCausalLM", "Phi3Model", "Olmo2ForCausalLM", "Olmo2Model",
        "GemmaForCausalLM", "GemmaModel", "Gemma2ForCausalLM", "Gemma2Model", "Gemma3ForCausalLM", "Gemma3TextModel"}) {
    if (arch == name) return true;
  }
  for (const char* type : {"llama", "mistral", "qwen2", "qwen3", "phi3", "olmo2", "gemma", "gemma2", "gemma3_text"}) {
    if (arch.empty() && modelType == type) return true;
  }
  return false;
}

enum class GemmaGeneration { None, Gemma1, Gemma2, Gemma3 };

GemmaGeneration gemmaGeneration(const HfConfig& result) {
  const std::string& type = result.modelType;
  const std::string& arch = result.architectureName;
  if (type == "gemma3_text" || arch.rfind("Gemma3", 0) == 0) return GemmaGeneration::Gemma3;
  if (type == "gemma2" || arch.rfind("Gemma2", 0) == 0) return GemmaGeneration::Gemma2;
  if (type == "gemma" || arch.rfind("Gemma", 0) == 0) return GemmaGeneration::Gemma1;
  return GemmaGeneration::None;
}

/// A positive number, null (-> 0, "off"), or absent (-> fallback, transformers' default for the family).
float optionalCap(const json& config, const char* key, float fallback, const std::string& source) {
  if (!config.contains(key)) return fallback;
  if (config[key].is_null()) return 0.0f;
  if (!config[key].is_number() || !(config[key].get<double>() > 0.0) || !std::isfinite(config[key].get<double>()))
    throw FileError("config '" + source + "': \"" + key + "\" must be a positive number or null");
  return config[key].get<float>();
}

/// Gemma 1/2/3 as transformers' modeling_gemma.py, modeling_gemma2.py and modeling_gemma3.py compute them; the keys and
/// their defaults are those of GemmaConfig, Gemma2Config and Gemma3TextConfig.
void readGemmaVariant(const json& config, const std::string& source, HfConfig& result, GemmaGeneration generation) {
  auto fail = [&](const std::string& what) { throw FileError("config '" + source + "': " + what); };
  result.normPlusOne = true;
  result.scaleEmbeddings = true;
  // transformers 4 reads "hidden_activation" (gelu_pytorch_tanh when absent, whatever hidden_act says: early Gemma
  // configs carry hidden_act "gelu"); transformers 5 writes the same function as "hidden_act".
  if (config.contains("hidden_activation") && config["hidden_activation"].is_string()) {
    result.activation = config["hidden_activation"].get<std::string>();
  } else if (config.contains("hidden_act") && config["hidden_act"].is_string() &&
             config["hidden_act"].get<std::string>() != "gelu") {
    result.activation = config["hidden_act"].get<std::string>();
  } else {
    result.activation = "gelu_pytorch_tanh";
  }
  // transformers 5 writes null for "not set" (GemmaConfig's default None): only an explicit true is refused.
  if (config.contains("use_bidirectional_attention") && config["use_bidirectional_attention"].is_boolean() &&
      config["use_bidirectional_attention"].get<bool>())
    fail("use_bidirectional_attention true is not supported (supported: false, causal attention)");
  if (generation == GemmaGeneration::Gemma1) return;

  result.sandwichNorms = true;
  const float scalar = optionalFloat(config, "query_pre_attn_scalar", 256.0f, source);
  if (!(scalar > 0.0f)) fail("\"query_pre_attn_scalar\" must be a positive number");
  result.attentionScale = 1.0f / std::sqrt(scalar);
  result.finalLogitSoftcap =
      optionalCap(config, "final_logit_softcapping", generation == GemmaGeneration::Gemma2 ? 30.0f : 0.0f, source);
  if (generation == GemmaGeneration::Gemma2) {
    result.attentionSoftcap = optionalCap(config, "attn_logit_softcapping", 50.0f, source);
  } else if (optionalCap(config, "attn_logit_softcapping", 0.0f, source) > 0.0f) {
    // Gemma3Attention keeps the value but never passes it to the attention function.
    result.warnings.push_back("attn_logit_softcapping is ignored, as transformers' Gemma 3 ignores it");
  }
  result.qkNorm = generation == GemmaGeneration::Gemma3;

  int window = 4096;  // Gemma2Config's and Gemma3TextConfig's default
  if (config.contains("sliding_window")) {
    if (config["sliding_window"].is_null()) {
      window = 0;
    } else if (!config["sliding_window"].is_number_integer() || config["sliding_window"].get<long long>() < 1) {
      fail("\"sliding_window\" must be a positive integer or null");
    } else {
      window = static_cast<int>(std::min<long long>(config["sliding_window"].get<long long>(), 1 << 30));
    }
  }
  result.slidingWindow = window;
  if (config.contains("layer_types") && !config["layer_types"].is_null()) {
    const json& types = config["layer_types"];
    if (!types.is_array() || static_cast<int>(types.size()) != result.layers)
      fail("\"layer_types\" must list one entry per layer (" + std::to_string(result.layers) + ")");
    result.slidingLayers.assign(types.size(), false);  // as many as the JSON really lists
    for (int l = 0; l < result.layers; ++l) {
      const json& type = types[static_cast<size_t>(l)];
      const std::string name = type.is_string() ? type.get<std::string>() : type.dump();
      if (name != "sliding_attention" && name != "full_attention")
        fail("layer_types entry '" + name + "' is not supported (supported: sliding_attention, full_attention)");
      result.slidingLayers[static_cast<size_t>(l)] = name == "sliding_attention";
    }
  } else {
    // Gemma 2: every other layer, starting with layer 0; Gemma 3: all but every sliding_window_pattern-th layer.
    const int pattern = generation == GemmaGeneration::Gemma2 ? 2 : optionalInt(config, "sliding_window_pattern", 6);
    if (pattern < 1) fail("\"sliding_window_pattern\" must be a positive integer");
    result.slidingPattern = pattern;
  }
  if (generation == GemmaGeneration::Gemma3) {
    result.localRopeTheta = optionalFloat(config, "rope_local_base_freq", 10000.0f, source);
    if (!(result.localRopeTheta > 0.0f)) fail("\"rope_local_base_freq\" must be a positive number");
  }
}

/// What distinguishes Mistral, Qwen2 and Qwen3 from Llama. The model type decides (architectures may be null).
void readLlamaVariant(const json& config, const std::string& source, HfConfig& result) {
  const std::string& type = result.modelType;
  const std::string& arch = result.architectureName;
  const bool qwen2 = type == "qwen2" || arch.rfind("Qwen2", 0) == 0;
  const bool qwen3 = type == "qwen3" || arch.rfind("Qwen3", 0) == 0;
  const bool mistral = type == "mistral" || arch.rfind("Mistral", 0) == 0;
  const bool phi3 = type == "phi3" || arch.rfind("Phi3", 0) == 0;
  result.fusedProjections = phi3;
  if (phi3 && config.contains("partial_rotary_factor") && config["partial_rotary_factor"].is_number() &&
      config["partial_rotary_factor"].get<double>() != 1.0)
    throw FileError("config '" + source + "': partial_rotary_factor " +
                    std::to_string(config["partial_rotary_factor"].get<double>()) +
                    " is not supported for phi3 (supported: 1.0, rotary over the whole head)");
  // Qwen2 always has q/k/v biases (its modelling code hard-codes them); Llama and Qwen3 say so in attention_bias.
  result.attentionBias = qwen2 || (config.contains("attention_bias") && config["attention_bias"].is_boolean() &&
                                   config["attention_bias"].get<bool>());
  const bool olmo2 = type == "olmo2" || arch.rfind("Olmo2", 0) == 0;
  result.qkNorm = qwen3 || olmo2;
  result.qkNormOverProjection = olmo2;
  result.normAfterSublayers = olmo2;
  int window = 0;
  if (config.contains("sliding_window") && !config["sliding_window"].is_null()) {
    if (!config["sliding_window"].is_number_integer() || config["sliding_window"].get<long long>() < 1)
      throw FileError("config '" + source + "': \"sliding_window\" must be a positive integer or null");
    window = static_cast<int>(std::min<long long>(config["sliding_window"].get<long long>(), 1 << 30));
  }
  // Mistral applies its window always; Qwen2/Qwen3 only with use_sliding_window, and then only from layer
  // max_window_layers on, which attnscope does not model: refuse rather than silently run full attention.
  if (mistral || phi3) {
    result.slidingWindow = window;
  } else if ((qwen2 || qwen3) && config.value("use_sliding_window", false) && window > 0) {
    throw FileError("config '" + source +
                    "': use_sliding_window with max_window_layers is not supported (supported: "
                    "use_sliding_window false, as in every released Qwen2/Qwen3 checkpoint)");
  }
}

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
  } else if (llamaFamily(arch, result.modelType)) {
    result.architecture = HfArchitecture::Llama;
  } else if (arch == "GPTNeoXForCausalLM" || arch == "GPTNeoXModel" ||
             (arch.empty() && result.modelType == "gpt_neox")) {
    result.architecture = HfArchitecture::GptNeox;
  } else if (arch == "BertModel" || arch == "BertForMaskedLM" || arch == "BertForPreTraining" ||
             (arch.empty() && result.modelType == "bert")) {
    result.architecture = HfArchitecture::Bert;
  } else if (arch == "Gemma3ForConditionalGeneration" || (arch.empty() && result.modelType == "gemma3")) {
    throw FileError("config '" + sourceName + "': the multimodal Gemma 3 wrapper ('" +
                    (arch.empty() ? result.modelType : arch) +
                    "', text_config inside) is not supported (supported: the text-only Gemma3ForCausalLM, model_type "
                    "gemma3_text, as in gemma-3-1b and gemma-3-270m)");
  } else {
    throw FileError(
        "config '" + sourceName + "': architecture '" + (arch.empty() ? result.modelType : arch) +
        "' is not supported (supported: GPT2LMHeadModel, GPT2Model, LlamaForCausalLM, MistralForCausalLM, "
        "Qwen2ForCausalLM, Qwen3ForCausalLM, Olmo2ForCausalLM, Phi3ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, "
        "Gemma3ForCausalLM, GPTNeoXForCausalLM, BertModel; or model_type gpt2, llama, mistral, qwen2, qwen3, olmo2, "
        "phi3, gemma, gemma2, gemma3_text, gpt_neox, bert)");
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
      result.activation = config.value("hidden_act", std::string("silu"));
      if (gemmaGeneration(result) == GemmaGeneration::Gemma3) result.ropeTheta = 1e6f;  // Gemma3TextConfig's default
      result.ropeTheta = optionalFloat(config, "rope_theta", result.ropeTheta, sourceName);
      if (config.contains("rope_scaling") && !config["rope_scaling"].is_null()) {
        readRopeScaling(config["rope_scaling"], sourceName, result);
      }
      // transformers 5 moves rope_theta and the scaling into one "rope_parameters" object; for Gemma 3 one per layer
      // type ("full_attention": theta and scaling of the global layers, "sliding_attention": the local ones).
      if (config.contains("rope_parameters") && !config["rope_parameters"].is_null()) {
        const json& rope = config["rope_parameters"];
        const bool perLayerType = rope.is_object() && rope.contains("full_attention");
        const json& global = perLayerType ? rope["full_attention"] : rope;
        readRopeScaling(global, sourceName, result, "rope_parameters");
        result.ropeTheta = optionalFloat(global, "rope_theta", result.ropeTheta, sourceName);
        if (perLayerType && rope.contains("sliding_attention") && rope["sliding_attention"].is_object()) {
          const json& local = rope["sliding_attention"];
          if (local.value("rope_type", std::string("default")) != "default")
            throw FileError("config '" + sourceName + "': rope_parameters.sliding_attention type '" +
                            local.value("rope_type", std::string()) + "' is not supported (supported: default)");
          result.localRopeTheta = optionalFloat(local, "rope_theta", 10000.0f, sourceName);
        }
      }
      readLlamaVariant(config, sourceName, result);
      if (const GemmaGeneration generation = gemmaGeneration(result); generation != GemmaGeneration::None) {
        const float localTheta = result.localRopeTheta;
        readGemmaVariant(config, sourceName, result, generation);
        if (localTheta > 0.0f && !config.contains("rope_local_base_freq")) result.localRopeTheta = localTheta;
      }
      break;
    case HfArchitecture::GptNeox: {
      result.layers = requireInt(config, {"num_hidden_layers"}, sourceName);
      result.heads = requireInt(config, {"num_attention_heads"}, sourceName);
      result.modelDim = requireInt(config, {"hidden_size"}, sourceName);
      result.intermediateDim = requireInt(config, {"intermediate_size"}, sourceName);
      result.maxPositions = requireInt(config, {"max_position_embeddings"}, sourceName);
      result.normEpsilon = optionalFloat(config, "layer_norm_eps", 1e-5f, sourceName);
      result.activation = config.value("hidden_act", std::string("gelu"));
      result.ropeTheta = optionalFloat(config, "rotary_emb_base", 10000.0f, sourceName);
      float fraction = optionalFloat(config, "rotary_pct", 1.0f, sourceName);
      if (config.contains("rope_parameters") && config["rope_parameters"].is_object()) {  // transformers 5
        const json& rope = config["rope_parameters"];
        readRopeScaling(rope, sourceName, result, "rope_parameters");
        result.ropeTheta = optionalFloat(rope, "rope_theta", result.ropeTheta, sourceName);
        fraction = optionalFloat(rope, "partial_rotary_factor", fraction, sourceName);
      }
      if (config.contains("rope_scaling") && !config["rope_scaling"].is_null())
        readRopeScaling(config["rope_scaling"], sourceName, result);
      if (!(fraction > 0.0f && fraction <= 1.0f))
        throw FileError("config '" + sourceName + "': rotary_pct must lie in (0, 1]");
      result.parallelResidual = config.value("use_parallel_residual", true);
      if (result.modelDim % result.heads == 0) {
        // As GPT-NeoX computes it: int(head_dim * rotary_pct), which must be even for rotate_half.
        result.rotaryDims = static_cast<int>(static_cast<float>(result.modelDim / result.heads) * fraction);
        if (result.rotaryDims % 2 != 0 || result.rotaryDims < 2)
          throw FileError("config '" + sourceName + "': rotary_pct gives " + std::to_string(result.rotaryDims) +
                          " rotary dimensions per head; RoPE needs an even number >= 2");
      }
      result.tieWordEmbeddings = config.value("tie_word_embeddings", false);
      break;
    }
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
  const int explicitHeadDim = result.architecture == HfArchitecture::Llama ? optionalInt(config, "head_dim", 0) : 0;
  result.headDimension = explicitHeadDim > 0 ? explicitHeadDim : result.modelDim / result.heads;
  if (explicitHeadDim <= 0 && result.modelDim % result.heads != 0) {
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
  result.tieWordEmbeddings = config.value("tie_word_embeddings", result.architecture != HfArchitecture::Llama &&
                                                                     result.architecture != HfArchitecture::GptNeox);
  if (!config.contains("tie_word_embeddings") && result.architecture == HfArchitecture::Llama) {
    result.tieWordEmbeddings = gemmaGeneration(result) != GemmaGeneration::None;  // Gemma ties by default
  }
  if (config.contains("attnscope")) readTrainedAttention(config["attnscope"], sourceName, result);
  result.bosTokenId = tokenId(config, "bos_token_id", result.vocabSize, result.warnings);
  result.eosTokenId = tokenId(config, "eos_token_id", result.vocabSize, result.warnings);
  const std::string act = result.activation;
  const bool known = act == "gelu_new" || act == "gelu" || act == "gelu_pytorch_tanh" || act == "gelu_fast" ||
                     act == "silu" || act == "swish" || act == "relu";
  if (!known) throw FileError("config '" + sourceName + "': activation '" + act + "' is not supported");
  return result;
}
}  // namespace

std::vector<double> ropeInverseFrequencies(const HfConfig& config) {
  const int hd = config.headDim();
  std::vector<double> frequencies(static_cast<size_t>(hd / 2));
  const HfConfig::RopeScaling& scaling = config.ropeScaling;
  for (int i = 0; i < hd / 2; ++i) {
    double frequency = std::pow(static_cast<double>(config.ropeTheta), -2.0 * i / hd);
    if (scaling.type == "linear") {
      frequency /= scaling.factor;
    } else if (scaling.type == "llama3") {
      // Short wavelengths stay, long ones are divided by `factor`, the band between is interpolated.
      const double wavelength = 2.0 * std::numbers::pi / frequency;
      const double lowWavelength = scaling.originalMaxPositions / scaling.lowFrequencyFactor;
      const double highWavelength = scaling.originalMaxPositions / scaling.highFrequencyFactor;
      if (wavelength > lowWavelength) {
        frequency /= scaling.factor;
      } else if (wavelength >= highWavelength) {
        const double smooth = (scaling.originalMaxPositions / wavelength - scaling.lowFrequencyFactor) /
                              (scaling.highFrequencyFactor - scaling.lowFrequencyFactor);
        frequency = (1.0 - smooth) * frequency / scaling.factor + smooth * frequency;
      }
    }
    frequencies[static_cast<size_t>(i)] = frequency;
  }
  return frequencies;
}

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
