// GPT-2 checkpoint folders for the training lab (see checkpoint.h).
#include "core/train/checkpoint.h"

#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/model/hf_config.h"
#include "core/model/safetensors.h"

namespace attnscope::train {

void saveCheckpoint(const std::filesystem::path& folder, const Transformer<float>& model, const nlohmann::json& extra) {
  const ModelConfig& c = model.config();
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw FileError(folder.string() + ": cannot create the checkpoint folder (" + error.message() + ")");
  std::vector<model::SafetensorsTensor> tensors;
  for (const Parameter<float>& p : model.parameters()) {
    tensors.push_back({p.name, p.shape, std::vector<float>(p.value.data(), p.value.data() + p.value.size())});
  }
  model::writeSafetensors(folder / "model.safetensors", tensors, {{"format", "pt"}});

  nlohmann::json block = extra.is_object() ? extra : nlohmann::json::object();
  block["kernel"] = std::string(kernelName(c.kernel));
  block["ea_form"] = c.kernel == Kernel::EaPure || c.expressiveForm == ExpressiveForm::Pure ? "pure" : "saturating";
  block["cosine_temperature"] = c.cosineTemperature;
  if (kernelHasMixture(c.kernel)) {
    block["mgk_components"] = c.mgkComponents;
    block["mgk_variances"] = c.headOptions().variances;
    // Learned: the initial values; each head's current ones are the tensor transformer.h.N.attn.mgk_log_variances.
    block["mgk_learned_variances"] = c.hasLearnedVariances();
  }
  block["alignment"] = {{"kind", alignmentKindName(c.alignment.kind)},
                        {"weight", c.alignment.weight},
                        {"rho", c.alignment.rho},
                        {"tau", c.alignment.tau},
                        {"mmd_bandwidth", c.alignment.mmdBandwidth}};
  const nlohmann::json config = {
      {"architectures", {"GPT2LMHeadModel"}},
      {"model_type", "gpt2"},
      {"n_layer", c.layers},
      {"n_head", c.heads},
      {"n_embd", c.dim},
      {"n_positions", c.context},
      {"n_ctx", c.context},
      {"n_inner", nullptr},
      {"vocab_size", c.vocab},
      {"layer_norm_epsilon", c.layerNormEpsilon},
      {"activation_function", "gelu_new"},
      {"tie_word_embeddings", true},
      {"attnscope", block},
  };
  writeFileAtomically(folder / "config.json", config.dump(2) + "\n");
}

ModelConfig readCheckpointConfig(const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "config.json";
  const model::HfConfig hf = model::parseHfConfig(path);
  if (hf.architecture != model::HfArchitecture::Gpt2) {
    throw FileError(path.string() + ": --init needs a GPT-2 checkpoint (got " + hf.architectureName + ")");
  }
  if (hf.activation != "gelu_new" || hf.intermediateDim != 4 * hf.modelDim) {
    throw FileError(path.string() + ": --init needs activation gelu_new and n_inner 4 n_embd (the training model)");
  }
  ModelConfig config;
  config.layers = hf.layers;
  config.heads = hf.heads;
  config.dim = hf.modelDim;
  config.context = hf.maxPositions;
  config.vocab = hf.vocabSize;
  config.layerNormEpsilon = hf.normEpsilon;
  const model::HfConfig::TrainedAttention& a = hf.trainedAttention;
  config.kernel = parseKernel(a.kernel);
  config.expressiveForm = a.expressiveForm == "pure" ? ExpressiveForm::Pure : ExpressiveForm::Saturating;
  config.cosineTemperature = a.cosineTemperature;
  if (a.components > 0) config.mgkComponents = a.components;
  config.variances = a.variances;
  config.learnVariances = a.learnedVariances;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_object() && json.contains("attnscope") && json["attnscope"].contains("alignment")) {
    const nlohmann::json& align = json["attnscope"]["alignment"];
    try {
      config.alignment.kind = parseAlignmentKind(align.value("kind", std::string("none")));
      config.alignment.weight = align.value("weight", 0.0);
      config.alignment.rho = align.value("rho", 0.5);
      config.alignment.tau = align.value("tau", 1.0);
      config.alignment.mmdBandwidth = align.value("mmd_bandwidth", 0.0);
    } catch (const std::exception& e) {
      throw FileError(path.string() + ": attnscope.alignment: " + e.what());
    }
  }
  try {
    config.validate();
  } catch (const InputError& e) {
    throw FileError(path.string() + ": " + e.what());
  }
  return config;
}

void loadCheckpointWeights(const std::filesystem::path& folder, Transformer<float>& model) {
  const model::SafetensorsFile file(folder / "model.safetensors");
  const std::string source = (folder / "model.safetensors").string();
  for (Parameter<float>& p : model.parameters()) {
    if (!file.contains(p.name))
      throw FileError(source + ": missing tensor '" + p.name + "' (a different architecture?)");
    const model::SafetensorsEntry& entry = file.entry(p.name);
    if (entry.shape != p.shape) {
      throw FileError(source + ": tensor '" + p.name + "' has a different shape than --init's config.json implies");
    }
    const std::vector<float> values = file.readFloats(p.name);
    for (float v : values) {
      if (!std::isfinite(v)) throw FileError(source + ": tensor '" + p.name + "' contains NaN or Inf values");
    }
    p.value = Eigen::Map<const Matrix<float>>(values.data(), p.value.rows(), p.value.cols());
  }
}

}  // namespace attnscope::train
