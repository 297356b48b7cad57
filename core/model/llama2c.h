// llama2.c checkpoints (Karpathy's .bin format): loading with full validation against the file size, and an Eigen
// forward pass (RMSNorm, RoPE, grouped-query attention, SwiGLU, KV cache) that can capture every head.
#pragma once

#include <filesystem>
#include <memory>

#include "core/model/model.h"

namespace attnscope::model {

/// Opens a llama2.c checkpoint: a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
/// seq_len; a negative vocab_size means an unshared classifier) followed by float32 weights in llama2.c order.
/// Throws FileError naming the file for unreadable, truncated or inconsistent files.
std::unique_ptr<Model> openLlama2cModel(const std::filesystem::path& path);

}  // namespace attnscope::model
