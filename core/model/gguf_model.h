// Models stored in GGUF files (llama.cpp / Ollama): `general.architecture` llama (Llama, Mistral-style, TinyStories)
// runs on the llama2.c decoder of llama_forward.h with the file's vocabulary attached.
#pragma once

#include <filesystem>
#include <memory>

#include "core/model/model.h"

namespace attnscope::model {

class GgufFile;

/// Opens a GGUF model: the header is validated (GgufFile), the architecture's sizes are read from
/// `<arch>.embedding_length`, `.feed_forward_length`, `.block_count`, `.attention.head_count[_kv]`,
/// `.context_length`, `.attention.layer_norm_rms_epsilon`, `.rope.freq_base` and `.rope.dimension_count`, every
/// tensor's ggml shape is checked, and the weights are dequantised to float once, here (after a memory-budget
/// check), and must be finite. For `llama` the result is a Llama2cModel (format "gguf") whose tokenizer is the one
/// embedded in the file when the file has one. For `gpt2` it is the Hugging Face GPT-2 forward pass over the file's
/// tensors (renamed, Conv1D weights transposed back; read on the first run), and findGgufTokenizer gives its
/// vocabulary. Throws FileError naming the file and the problem; other architectures are refused naming them.
///
/// RoPE layout: ggml's llama RoPE rotates adjacent pairs (2i, 2i+1) of each head, which is llama2.c's layout, and
/// llama.cpp's converters permute Hugging Face q/k rows into that layout when they write the file. So a llama GGUF
/// is always in the decoder's layout and its q/k rows are used as stored (stories260K.gguf equals the .bin).
std::unique_ptr<Model> openGgufModel(const std::filesystem::path& path);

/// The tokenizer embedded in a GGUF file (tokenizer.ggml.*), or null when the file has none. For models that keep
/// no tokenizer themselves (gpt2 files run by the Hugging Face GPT-2 forward pass).
std::shared_ptr<const Tokenizer> findGgufTokenizer(const std::filesystem::path& path);

/// The ggml type names of a model's tensors with how many tensors have each, e.g. "Q8_0 (36), F32 (21)".
std::string tensorTypeSummary(const ModelInfo& info);

}  // namespace attnscope::model
