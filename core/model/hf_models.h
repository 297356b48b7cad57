// Hugging Face transformer forward passes in Eigen (GPT-2, Llama, BERT) that record, per layer and head, the
// queries, keys and attention weights the model used.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/model/hf_config.h"
#include "core/model/model.h"

namespace attnscope::model {

/// Named float tensors under Hugging Face names and in their orientation, whatever the file: the safetensors shards
/// of a folder, or a GGUF file whose tensors are renamed and transposed back (gguf_model.cpp).
class HfTensorSource {
 public:
  virtual ~HfTensorSource() = default;
  virtual std::string format() const = 0;       // ModelInfo::format: "safetensors", "gguf"
  virtual std::string sizesOrigin() const = 0;  // where the expected sizes come from, for messages
  virtual bool contains(const std::string& name) const = 0;
  /// Row-major (PyTorch) shape of a tensor that contains() reports.
  virtual std::vector<int64_t> shape(const std::string& name) const = 0;
  /// All elements as float, row-major over shape(name).
  virtual std::vector<float> readFloats(const std::string& name) const = 0;
  /// Every tensor as the file stores it (names, dtypes, shapes), for `model info`.
  virtual std::vector<TensorInfo> storedTensors() const = 0;
};

/// A GPT-2 over `source` (names as in GPT2Model: wte.weight, h.0.attn.c_attn.weight stored [in, out], ...), sized by
/// `config`. Tensor names and shapes are checked here; weights are read on the first run().
std::unique_ptr<Model> openGpt2Model(HfConfig config, std::unique_ptr<HfTensorSource> source,
                                     const std::filesystem::path& path);

/// A Llama-family decoder (Llama, Qwen2, Qwen3, Gemma, ...: the variant flags of `config`) over `source`, whose names
/// are those of LlamaForCausalLM without the "model." prefix (embed_tokens.weight, layers.N.self_attn.q_proj.weight
/// [out, in], norm.weight; lm_head.weight at the root). Names and shapes are checked here; weights are read on the
/// first run(). GGUF files of the NEOX-rotary families use it through a renaming source (gguf_model.cpp).
std::unique_ptr<Model> openLlamaFamilyModel(HfConfig config, std::unique_ptr<HfTensorSource> source,
                                            const std::filesystem::path& path);

/// A GPT-NeoX / Pythia over `source` (GPTNeoXModel's names without "gpt_neox.": embed_in.weight,
/// layers.N.attention.query_key_value.weight with rows interleaved per head [q_h; k_h; v_h], final_layer_norm.*;
/// embed_out.weight at the root unless tied). GGUF gptneox files use it through a renaming source.
std::unique_ptr<Model> openGptNeoxModel(HfConfig config, std::unique_ptr<HfTensorSource> source,
                                        const std::filesystem::path& path);

/// Opens a Hugging Face model directory: config.json plus model.safetensors or model.safetensors.index.json.
/// Opening reads only config.json and the safetensors headers (every tensor name and shape is checked), so it is
/// fast even for multi-gigabyte checkpoints; the weights are converted to float on the first run(). Throws
/// FileError naming the missing tensor or file.
std::unique_ptr<Model> openHfModel(const std::filesystem::path& directory);

/// The warnings collected while reading config.json (empty for models that are not HF models).
const std::vector<std::string>& hfModelWarnings(const Model& model);

}  // namespace attnscope::model
