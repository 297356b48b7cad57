// Hugging Face tokenizer.json: byte-level BPE (GPT-2 family) and WordPiece (BERT).
#pragma once

#include <filesystem>
#include <memory>

#include "core/model/model.h"

namespace attnscope::model {

/// Loads tokenizer.json; the kind is taken from its "model.type" ("BPE" with a ByteLevel pre-tokenizer, or
/// "WordPiece"). Throws FileError for other kinds or malformed files.
std::unique_ptr<Tokenizer> openHfTokenizer(const std::filesystem::path& tokenizerJson);

/// The tokenizer belonging to a model path: tokenizer.json inside a Hugging Face model folder, or next to a
/// .safetensors file. Returns nullptr when there is none (the user then enters token ids); throws FileError when
/// one exists but cannot be used.
std::unique_ptr<Tokenizer> findHfTokenizer(const std::filesystem::path& modelPath);

/// Splits text the way GPT-2's pre-tokenisation regex does
/// ('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+), hand-written (no std::regex).
/// Exposed for tests.
std::vector<std::string> gpt2PreTokenize(const std::string& text);

}  // namespace attnscope::model
