// SentencePiece-style vocabularies with scores (the GGUF `llama` tokenizer: Llama 2, TinyLlama, Mistral, stories260K)
// encoded with llama.cpp's SPM algorithm, and the GGUF entry point that also opens `gpt2` (byte-level BPE)
// vocabularies.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/model/model.h"

namespace attnscope::model {

class GgufFile;

/// SentencePiece piece types, numbered as in sentencepiece_model.proto and GGUF's tokenizer.ggml.token_type.
enum class SpmTokenType : int {
  Undefined = 0,  // treated as Normal (some converters leave the type at 0)
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

/// A scored vocabulary: pieces[i], scores[i] and types[i] describe token i. Pieces spell spaces as U+2581 ("▁").
struct SpmVocabulary {
  std::vector<std::string> pieces;
  std::vector<float> scores;        // one per piece; higher merges first
  std::vector<SpmTokenType> types;  // one per piece, or empty: every piece Normal
  int bosId = 1;                    // -1: none
  int eosId = 2;                    // -1: none
  int unkId = 0;                    // -1: none (then a byte with no <0xXX> token cannot be encoded)
  bool addBos = true;               // encode(text, true) prepends bosId
  bool addSpacePrefix = true;       // SentencePiece's add_dummy_prefix: " " before the text and after special tokens
};

/// llama.cpp's SPM tokenizer (llm_tokenizer_spm), which equals SentencePiece's BPE encoder on these vocabularies:
///  1. Unknown, control and user-defined pieces found verbatim in the text become their token (longest first);
///  2. each remaining text segment gets " " prepended (addSpacePrefix) and every " " replaced by "▁";
///  3. one symbol per UTF-8 character, then repeatedly the adjacent pair whose concatenation is a Normal,
///     UserDefined or Unused piece with the highest score is merged (leftmost on equal scores);
///  4. an Unused piece is split back into the two texts it was made from (SentencePiece's resegment), and a
///     character that is not a piece becomes its UTF-8 bytes as <0xXX> tokens (or unkId if those are missing).
class SpmTokenizer final : public Tokenizer {
 public:
  /// Throws InputError if scores or types do not have one entry per piece, the vocabulary is empty, or bos/eos/unk
  /// ids are outside it.
  explicit SpmTokenizer(SpmVocabulary vocabulary);

  std::vector<int> encode(const std::string& text, bool addBos = true) const override;
  /// The piece with "▁" shown as " " (byte tokens stay "<0x0A>", control tokens "<s>"); "<id N>" outside the
  /// vocabulary.
  std::string piece(int tokenId) const override;
  /// SentencePiece's decoding: "▁" becomes " ", <0xXX> tokens their byte, control tokens nothing, unknown tokens
  /// " ⁇ ", and with addSpacePrefix the first text's leading space is removed. Ids outside the vocabulary are skipped.
  std::string decode(std::span<const int> tokenIds) const override;
  int vocabSize() const override { return int(vocabulary_.pieces.size()); }

  const SpmVocabulary& vocabulary() const { return vocabulary_; }

 private:
  void encodeSegment(const std::string& escaped, std::vector<int>& out) const;
  SpmTokenType typeOf(int tokenId) const;

  SpmVocabulary vocabulary_;
  std::unordered_map<std::string, int> mergeable_;     // Normal / UserDefined / Unused / Undefined pieces -> id
  int byteTokens_[256];                                // id of <0xXX>, or -1
  std::vector<std::pair<std::string, int>> specials_;  // matched verbatim, longest first
};

/// The tokenizer stored in a GGUF file's metadata (tokenizer.ggml.*):
///  - model "llama": tokens, scores, token_type, bos/eos/unknown_token_id, add_bos_token, add_space_prefix ->
///    SpmTokenizer;
///  - model "gpt2": tokens and merges ("a b" strings) -> the byte-level BPE tokenizer of hf_tokenizer.cpp, with the
///    pre-tokenizer named by tokenizer.ggml.pre (Llama 3 / Qwen2 patterns; GPT-2's otherwise), control and
///    user-defined tokens matched verbatim, and BOS only when add_bos_token says so.
/// Throws FileError naming the file for other models, missing keys, mismatched array lengths or ids out of range;
/// the arrays' sizes are checked against the memory budget before they are read.
std::unique_ptr<Tokenizer> openGgufTokenizer(const GgufFile& file);

/// A tokenizer file given by the user (--tokenizer): a GGUF file (by its magic) through openGgufTokenizer, anything
/// else as tokenizer.json through openHfTokenizer. Throws FileError naming the file.
std::unique_ptr<Tokenizer> openTokenizerFile(const std::filesystem::path& path);

}  // namespace attnscope::model
