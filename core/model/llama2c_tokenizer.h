// The llama2.c tokenizer format (tok*.bin / tokenizer.bin): scored vocabulary, BPE encoding by merge score with
// the dummy-prefix space and <0xXX> byte fallback, and llama2.c's decoding rules.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/model/model.h"

namespace attnscope::model {

/// A llama2.c (sentencepiece-exported) vocabulary. Token 1 is BOS and 2 is EOS, as llama2.c hard-codes them.
class Llama2cTokenizer final : public Tokenizer {
 public:
  static constexpr int kBos = 1;
  static constexpr int kEos = 2;

  /// pieces[i] and scores[i] describe token i; use openLlama2cTokenizer() to read a file.
  Llama2cTokenizer(std::vector<std::string> pieces, std::vector<float> scores, int maxTokenLength);

  /// llama2.c's encode(): optional BOS, a dummy-prefix " " token when the text is not empty, one token per UTF-8
  /// code point (or its bytes as <0xXX> tokens when the code point is not in the vocabulary), then repeated merging
  /// of the adjacent pair whose concatenation has the highest score (leftmost on ties).
  std::vector<int> encode(const std::string& text, bool addBos = true) const override;
  /// The vocabulary string, for labels; control tokens such as "\n<s>\n" lose their surrounding newlines.
  std::string piece(int tokenId) const override;
  /// What llama2.c prints for these tokens: BOS tokens print nothing, each other token prints decodeNext().
  std::string decode(std::span<const int> tokenIds) const override;
  int vocabSize() const override { return int(pieces_.size()); }

  /// What llama2.c prints for `token` following `previousToken` (-1 if none): its piece without the leading space
  /// after BOS, <0xXX> byte tokens as the raw byte, and nothing for a single byte that is neither printable nor
  /// whitespace (llama2.c's safe_printf).
  std::string decodeNext(int previousToken, int token) const;

  const std::string& vocabPiece(int tokenId) const;
  float score(int tokenId) const;
  int maxTokenLength() const { return maxTokenLength_; }
  /// Token id of an exact vocabulary string, or -1.
  int lookup(const std::string& text) const;

 private:
  int byteToken(unsigned char byte) const;
  void requireToken(int tokenId) const;

  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  int maxTokenLength_;
  std::unordered_map<std::string, int> ids_;
};

/// Opens a llama2.c tokenizer file: int32 max_token_length, then for each of `vocabSize` tokens a float32 merge
/// score, an int32 byte length and that many bytes. Every read is bounds-checked; the file must end after the last
/// token. Throws FileError naming the file, the token index and the byte offset for truncated or inconsistent
/// files, InputError for vocabSize < 1.
std::unique_ptr<Llama2cTokenizer> openLlama2cTokenizer(const std::filesystem::path& path, int vocabSize);

}  // namespace attnscope::model
