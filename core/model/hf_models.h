// Hugging Face transformer forward passes in Eigen (GPT-2, Llama, BERT) that record, per layer and head, the
// queries, keys and attention weights the model used.
#pragma once

#include <filesystem>
#include <memory>

#include "core/model/hf_config.h"
#include "core/model/model.h"

namespace attnscope::model {

/// Opens a Hugging Face model directory: config.json plus model.safetensors or model.safetensors.index.json.
/// Weights are converted to float once at load. Throws FileError naming the missing tensor or file.
std::unique_ptr<Model> openHfModel(const std::filesystem::path& directory);

/// The warnings collected while reading config.json (empty for models that are not HF models).
const std::vector<std::string>& hfModelWarnings(const Model& model);

}  // namespace attnscope::model
