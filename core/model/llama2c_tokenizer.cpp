// llama2.c tokenizer: file reader with bounds checks and a faithful port of run.c's encode()/decode()/safe_printf,
// with an O(n) merge bookkeeping instead of re-concatenating every pair after each merge.
#include "core/model/llama2c_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "core/error.h"

namespace attnscope::model {
namespace {

constexpr int64_t kMaxTokenizerBytes = 256ll * 1024 * 1024;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// sscanf(piece, "<0x%02hhX>", &byte) == 1 in llama2.c: "<0x" followed by one or two hex digits.
bool parseByteToken(const std::string& piece, unsigned char& byte) {
  if (piece.size() < 4 || piece.compare(0, 3, "<0x") != 0) return false;
  const int high = hexValue(piece[3]);
  if (high < 0) return false;
  const int low = piece.size() > 4 ? hexValue(piece[4]) : -1;
  byte = static_cast<unsigned char>(low < 0 ? high : high * 16 + low);
  return true;
}

}  // namespace

Llama2cTokenizer::Llama2cTokenizer(std::vector<std::string> pieces, std::vector<float> scores, int maxTokenLength)
    : pieces_(std::move(pieces)), scores_(std::move(scores)), maxTokenLength_(maxTokenLength) {
  if (pieces_.empty() || pieces_.size() != scores_.size())
    throw InputError("Llama2cTokenizer: need one score per piece and at least one piece (got " +
                     std::to_string(pieces_.size()) + " pieces, " + std::to_string(scores_.size()) + " scores)");
  ids_.reserve(pieces_.size());
  // llama2.c binary-searches a sorted copy; with duplicate pieces the first id wins here.
  for (size_t i = 0; i < pieces_.size(); ++i) ids_.emplace(pieces_[i], int(i));
}

void Llama2cTokenizer::requireToken(int tokenId) const {
  if (tokenId < 0 || tokenId >= vocabSize())
    throw InputError("token id " + std::to_string(tokenId) + " is outside the tokenizer's vocabulary [0, " +
                     std::to_string(vocabSize()) + ")");
}

const std::string& Llama2cTokenizer::vocabPiece(int tokenId) const {
  requireToken(tokenId);
  return pieces_[size_t(tokenId)];
}

float Llama2cTokenizer::score(int tokenId) const {
  requireToken(tokenId);
  return scores_[size_t(tokenId)];
}

int Llama2cTokenizer::lookup(const std::string& text) const {
  const auto it = ids_.find(text);
  return it == ids_.end() ? -1 : it->second;
}

int Llama2cTokenizer::byteToken(unsigned char byte) const {
  static const char* digits = "0123456789ABCDEF";
  const std::string name = std::string("<0x") + digits[byte >> 4] + digits[byte & 15] + ">";
  if (const int id = lookup(name); id >= 0) return id;
  // llama2.c assumes byte tokens sit right after <unk>, <s>, </s>.
  if (byte + 3 < vocabSize()) return byte + 3;
  throw InputError("cannot encode byte 0x" + name.substr(3, 2) + ": the vocabulary has no byte-fallback tokens");
}

std::vector<int> Llama2cTokenizer::encode(const std::string& text, bool addBos) const {
  std::vector<int> tokens;
  tokens.reserve(text.size() + 2);
  if (addBos) tokens.push_back(kBos);
  if (!text.empty()) {
    const int space = lookup(" ");
    tokens.push_back(space >= 0 ? space : byteToken(' '));
  }

  // One token per UTF-8 code point (at most 4 bytes), or its bytes when the code point is unknown.
  std::string codePoint;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) != 0x80) codePoint.clear();
    codePoint.push_back(char(byte));
    const bool nextContinues = i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80;
    if (nextContinues && codePoint.size() < 4) continue;
    if (const int id = lookup(codePoint); id >= 0) {
      tokens.push_back(id);
    } else {
      for (char c : codePoint) tokens.push_back(byteToken(static_cast<unsigned char>(c)));
    }
    codePoint.clear();
  }

  // Greedy merges by score. mergedId[i] caches the vocabulary id of tokens[i] + tokens[i+1] (-1 if none), so each
  // merge re-looks-up only the two pairs it changed.
  auto pairId = [&](size_t i) { return lookup(pieces_[size_t(tokens[i])] + pieces_[size_t(tokens[i + 1])]); };
  std::vector<int> mergedId(tokens.size() > 1 ? tokens.size() - 1 : 0);
  for (size_t i = 0; i < mergedId.size(); ++i) mergedId[i] = pairId(i);
  while (!mergedId.empty()) {
    float bestScore = -1e10f;
    int bestIndex = -1;
    for (size_t i = 0; i < mergedId.size(); ++i)
      if (mergedId[i] >= 0 && scores_[size_t(mergedId[i])] > bestScore) {
        bestScore = scores_[size_t(mergedId[i])];
        bestIndex = int(i);
      }
    if (bestIndex < 0) break;
    tokens[size_t(bestIndex)] = mergedId[size_t(bestIndex)];
    tokens.erase(tokens.begin() + bestIndex + 1);
    mergedId.erase(mergedId.begin() + bestIndex);
    if (bestIndex > 0) mergedId[size_t(bestIndex - 1)] = pairId(size_t(bestIndex - 1));
    if (size_t(bestIndex) < mergedId.size()) mergedId[size_t(bestIndex)] = pairId(size_t(bestIndex));
  }
  return tokens;
}

std::string Llama2cTokenizer::piece(int tokenId) const {
  const std::string& text = vocabPiece(tokenId);
  if (text.size() > 4 && text.front() == '\n' && text.back() == '\n' && text[1] == '<')
    return text.substr(1, text.size() - 2);
  return text;
}

std::string Llama2cTokenizer::decodeNext(int previousToken, int token) const {
  std::string text = vocabPiece(token);
  if (previousToken == kBos && !text.empty() && text[0] == ' ') text.erase(0, 1);
  if (unsigned char byte = 0; parseByteToken(text, byte)) text.assign(1, char(byte));
  if (text.size() == 1) {
    const auto byte = static_cast<unsigned char>(text[0]);
    if (!(std::isprint(byte) || std::isspace(byte))) return {};
  }
  return text;
}

std::string Llama2cTokenizer::decode(std::span<const int> tokenIds) const {
  std::string text;
  int previous = -1;
  for (int token : tokenIds) {
    requireToken(token);
    if (token != kBos) text += decodeNext(previous, token);
    previous = token;
  }
  return text;
}

std::unique_ptr<Llama2cTokenizer> openLlama2cTokenizer(const std::filesystem::path& path, int vocabSize) {
  if (vocabSize < 1) throw InputError("tokenizer vocabulary size must be at least 1, got " + std::to_string(vocabSize));
  const std::string name = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw FileError(name + ": no such tokenizer file");
  const auto fileSize = int64_t(std::filesystem::file_size(path, ec));
  if (ec) throw FileError(name + ": cannot read its size: " + ec.message());
  if (fileSize > kMaxTokenizerBytes)
    throw FileError(name + ": " + std::to_string(fileSize) + " bytes is too large for a llama2.c tokenizer");
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size_t(fileSize), '\0');
  if (!in.read(bytes.data(), std::streamsize(bytes.size()))) throw FileError(name + ": cannot read the file");

  size_t offset = 0;
  auto readInt = [&](const char* what, int index) {
    if (bytes.size() - offset < 4)
      throw FileError(name + ": truncated llama2.c tokenizer: " + what +
                      (index >= 0 ? " of token " + std::to_string(index) : std::string()) + " at byte offset " +
                      std::to_string(offset) + " is missing (file has " + std::to_string(bytes.size()) +
                      " bytes; expected " + std::to_string(vocabSize) + " tokens)");
    int32_t value;
    std::memcpy(&value, bytes.data() + offset, 4);
    offset += 4;
    return value;
  };
  const int32_t maxTokenLength = readInt("max_token_length", -1);
  if (maxTokenLength < 0 || maxTokenLength > 65536)
    throw FileError(name + ": max_token_length " + std::to_string(maxTokenLength) +
                    " is outside [0, 65536]; not a llama2.c tokenizer");

  // Validate, then allocate: vocabSize comes from the model, not from this file, and each entry takes at least 8 bytes
  // (score and length), so the tables grow with the entries actually read; a 14-byte file no longer gets a table of
  // 32000 strings before it is found to be truncated.
  std::vector<std::string> pieces;
  std::vector<float> scores;
  const size_t entriesPresent = (bytes.size() - offset) / 8;
  const size_t entriesExpected = std::min(static_cast<size_t>(vocabSize), entriesPresent);
  pieces.reserve(entriesExpected);
  scores.reserve(entriesExpected);
  for (int i = 0; i < vocabSize; ++i) {
    const int32_t scoreBits = readInt("score", i);
    float score = 0.0f;
    std::memcpy(&score, &scoreBits, 4);
    scores.push_back(score);
    pieces.emplace_back();
    if (!std::isfinite(score))
      throw FileError(name + ": token " + std::to_string(i) + " has a non-finite score at byte offset " +
                      std::to_string(offset - 4));
    const int32_t length = readInt("length", i);
    if (length < 0 || length > maxTokenLength)
      throw FileError(name + ": token " + std::to_string(i) + " has length " + std::to_string(length) +
                      " at byte offset " + std::to_string(offset - 4) +
                      ", outside [0, max_token_length = " + std::to_string(maxTokenLength) + "]");
    if (bytes.size() - offset < size_t(length))
      throw FileError(name + ": truncated llama2.c tokenizer: token " + std::to_string(i) + " needs " +
                      std::to_string(length) + " bytes at offset " + std::to_string(offset) + " but the file has " +
                      std::to_string(bytes.size()) + " bytes");
    pieces[size_t(i)].assign(bytes.data() + offset, size_t(length));
    offset += size_t(length);
  }
  if (offset != bytes.size())
    throw FileError(name + ": " + std::to_string(bytes.size() - offset) + " bytes follow token " +
                    std::to_string(vocabSize - 1) + ": the tokenizer has more than the model's " +
                    std::to_string(vocabSize) + " tokens (wrong tokenizer for this model?)");
  return std::make_unique<Llama2cTokenizer>(std::move(pieces), std::move(scores), maxTokenLength);
}

}  // namespace attnscope::model
