// Q/K capture files: a safetensors file holding what one forward pass used per layer and head (q, k, attn and,
// for RoPE models, q_prerope/k_prerope) plus the tokens; attnscope opens it like a model (README "Capture files").
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/model/model.h"

namespace attnscope::model {

/// Format identifier stored in `__metadata__["format"]`, and the current version.
inline constexpr const char* kCaptureFormat = "attnscope-capture";
inline constexpr int kCaptureVersion = 1;

/// Longest sequence a capture file may hold (README "Long sequences"); longer ones are refused on opening.
inline constexpr int kMaxCaptureTokens = 131072;

/// Writes `capture` as F32 tensors q, k [layers, heads, tokens, head_dim], attn [layers, heads, tokens, tokens]
/// (left out when capture.attention is empty: a capture without attention, whose maps are computed on demand),
/// q_prerope/k_prerope (only when capture.rope), logits [tokens, vocab] (only when capture.logits is not empty) and
/// `__metadata__` keys format, version, tokens (JSON array of strings), token_ids (JSON array of ints), causal
/// ("true"/"false"), rope ("true"/"false"), and `source` if given. Atomic (temp file + rename). Throws InputError if
/// the capture's matrices disagree with its sizes.
void writeCaptureFile(const std::filesystem::path& path, const ModelCapture& capture, const std::string& source = {});

/// True if `path` is a safetensors file whose header has a `q` tensor and `token_ids` metadata (reads the header
/// only; false for anything unreadable).
bool isCaptureFile(const std::filesystem::path& path);

/// Reads and validates a capture file (shapes consistent, token count matching metadata, finite values).
/// A file without `attn` gets the attention a causal (per its metadata) softmax model used, computed from q and k
/// (dot-product attention, scale 1/sqrt(head_dim)), after checking that every head's map fits the memory budget.
/// Throws FileError naming the file and what is wrong, ResourceError beyond the budget.
ModelCapture readCaptureFile(const std::filesystem::path& path);

/// What a capture file holds, from its header and metadata only (no tensor data is read).
struct CaptureSummary {
  int layers = 0;
  int heads = 0;
  int tokens = 0;
  int headDim = 0;
  bool causal = true;
  bool hasAttention = false;
  std::vector<std::string> tokenTexts;  // tokens entries (token ids as text when the metadata has none)
};
/// Throws FileError like readCaptureFile for a malformed header, missing tensors or more than kMaxCaptureTokens.
CaptureSummary readCaptureSummary(const std::filesystem::path& path);

/// One head's q and k, each tokens x headDim, converted straight from the file's mapping: no other head is read, so
/// a long capture of many heads costs this head's memory only. Throws FileError for a layer or head out of range or
/// a non-finite value (naming the tensor, head and position), ResourceError beyond the memory budget.
struct CaptureHead {
  RowMatrix queries;
  RowMatrix keys;
};
CaptureHead readCaptureHead(const std::filesystem::path& path, int layer, int head);

/// A Model whose run() returns the stored capture. run() accepts the stored token ids (or an empty span) and
/// throws InputError for any other sequence, since a capture cannot be re-run on new tokens.
std::unique_ptr<Model> openCaptureModel(const std::filesystem::path& path);

}  // namespace attnscope::model
