// Hugging Face tokenizer.json: byte-level BPE (GPT-2 family), SentencePiece-style BPE with byte fallback (Llama 2,
// TinyLlama, Mistral) and WordPiece (BERT); plus the byte-level BPE built from a plain token and merge list (GGUF).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/model/model.h"

namespace attnscope::model {

/// Loads tokenizer.json; the kind is taken from its "model.type": "BPE" with a ByteLevel pre-tokenizer (byte-level
/// BPE), "BPE" with byte_fallback or SentencePiece's "▁" normalisation (a Prepend/Replace normalizer or a Metaspace
/// pre-tokenizer), or "WordPiece". Throws FileError for other kinds or malformed files.
std::unique_ptr<Tokenizer> openHfTokenizer(const std::filesystem::path& tokenizerJson);

/// The tokenizer belonging to a model path: tokenizer.json inside a Hugging Face model folder, or next to a
/// .safetensors file. Returns nullptr when there is none (the user then enters token ids); throws FileError when
/// one exists but cannot be used.
std::unique_ptr<Tokenizer> findHfTokenizer(const std::filesystem::path& modelPath);

/// Which hand-written split a byte-level BPE tokenizer applies before merging.
enum class ByteLevelSplit { Gpt2, Llama3, Qwen2 };

/// A byte-level BPE vocabulary given as plain lists (GGUF's tokenizer.ggml.tokens / merges), for
/// makeByteLevelBpeTokenizer. tokens[i] is token i in GPT-2's byte-to-character spelling ("Ġthe").
struct ByteLevelBpeVocabulary {
  std::vector<std::string> tokens;
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order: merges[0] applies first
  std::vector<int> verbatimIds;  // tokens matched verbatim in the text before splitting (control, user-defined)
  std::vector<int> prefixIds;    // put before the ids when encode() is asked to add special tokens (BOS)
  ByteLevelSplit split = ByteLevelSplit::Gpt2;
  bool addPrefixSpace = false;
};

/// The byte-level BPE tokenizer of openHfTokenizer, built from lists instead of tokenizer.json. `source` names the
/// file in messages. Throws FileError (naming `source`) for an empty vocabulary or a merge naming a token that is not
/// in it; the id table is checked against the memory budget.
std::unique_ptr<Tokenizer> makeByteLevelBpeTokenizer(const ByteLevelBpeVocabulary& vocabulary,
                                                     const std::string& source);

/// Splits text the way GPT-2's pre-tokenisation regex does
/// ('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+), hand-written (no std::regex).
/// Exposed for tests.
std::vector<std::string> gpt2PreTokenize(const std::string& text);

/// Splits text the way the Llama 3 pattern does (maxDigits = 3; Qwen2's variant uses maxDigits = 1):
/// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
/// Used when a tokenizer.json's Split pre-tokenizer carries that pattern.
std::vector<std::string> llama3PreTokenize(const std::string& text, int maxDigits = 3);

}  // namespace attnscope::model
