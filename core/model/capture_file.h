// Q/K capture files: a safetensors file holding what one forward pass used per layer and head (q, k, attn and,
// for RoPE models, q_prerope/k_prerope) plus the tokens; attnscope opens it like a model (README "Capture files").
#pragma once

#include <filesystem>
#include <memory>

#include "core/model/model.h"

namespace attnscope::model {

/// Format identifier stored in `__metadata__["format"]`, and the current version.
inline constexpr const char* kCaptureFormat = "attnscope-capture";
inline constexpr int kCaptureVersion = 1;

/// Writes `capture` as F32 tensors q, k [layers, heads, tokens, head_dim], attn [layers, heads, tokens, tokens],
/// q_prerope/k_prerope (only when capture.rope), logits [tokens, vocab] (only when capture.logits is not empty) and
/// `__metadata__` keys format, version, tokens (JSON array of strings), token_ids (JSON array of ints), causal
/// ("true"/"false"), rope ("true"/"false"), and `source` if given. Atomic (temp file + rename). Throws InputError if
/// the capture's matrices disagree with its sizes.
void writeCaptureFile(const std::filesystem::path& path, const ModelCapture& capture, const std::string& source = {});

/// True if `path` is a safetensors file whose header has a `q` tensor and `token_ids` metadata (reads the header
/// only; false for anything unreadable).
bool isCaptureFile(const std::filesystem::path& path);

/// Reads and validates a capture file (shapes consistent, token count matching metadata, finite values).
/// Throws FileError naming the file and what is wrong.
ModelCapture readCaptureFile(const std::filesystem::path& path);

/// A Model whose run() returns the stored capture. run() accepts the stored token ids (or an empty span) and
/// throws InputError for any other sequence, since a capture cannot be re-run on new tokens.
std::unique_ptr<Model> openCaptureModel(const std::filesystem::path& path);

}  // namespace attnscope::model
