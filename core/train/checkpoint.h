// Checkpoints of the training lab as Hugging Face GPT-2 folders: config.json (GPT-2 keys plus an "attnscope" block
// for what GPT-2 lacks) and model.safetensors with GPT2LMHeadModel's names and Conv1D layout, readable by
// core/model/hf_models.cpp (`attnscope model info|capture`, the Model explorer) and by transformers.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/train/transformer.h"

namespace attnscope::train {

/// Writes DIR/model.safetensors and DIR/config.json (each atomically; the folder is created). `extra` (the task,
/// seed, steps, ...) is stored inside the "attnscope" block next to the kernel settings.
void saveCheckpoint(const std::filesystem::path& folder, const Transformer<float>& model,
                    const nlohmann::json& extra = nlohmann::json::object());

/// The architecture, kernel and regulariser of a checkpoint folder written by saveCheckpoint (a plain GPT-2 folder
/// gives kernel dpa). Throws FileError naming the file and the key on anything unusable.
ModelConfig readCheckpointConfig(const std::filesystem::path& folder);

/// Reads every parameter of `model` from DIR/model.safetensors, checking names and shapes against the model (same
/// architecture) and refusing NaN/Inf. Throws FileError naming the tensor.
void loadCheckpointWeights(const std::filesystem::path& folder, Transformer<float>& model);

}  // namespace attnscope::train
