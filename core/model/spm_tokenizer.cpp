// llama.cpp's SPM tokenizer (score-ordered bigram merging with re-segmentation and <0xXX> byte fallback) over a
// scored SentencePiece vocabulary. openGgufTokenizer is in gguf_tokenizer.cpp.
#include "core/model/spm_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <queue>

#include "core/error.h"

namespace attnscope::model {
namespace {

const std::string kMetaspace = "\xE2\x96\x81";  // "▁"

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

/// Bytes of the UTF-8 character starting with `lead`, as llama.cpp's unicode_len_utf8 counts them (a stray
/// continuation byte counts as one character, so every input splits into symbols).
size_t utf8Length(unsigned char lead) {
  static const size_t lookup[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lookup[lead >> 4];
}

}  // namespace

SpmTokenizer::SpmTokenizer(SpmVocabulary vocabulary) : vocabulary_(std::move(vocabulary)) {
  const size_t count = vocabulary_.pieces.size();
  if (count == 0) throw InputError("SpmTokenizer: the vocabulary is empty");
  if (vocabulary_.scores.size() != count || (!vocabulary_.types.empty() && vocabulary_.types.size() != count))
    throw InputError("SpmTokenizer: " + std::to_string(count) + " pieces but " +
                     std::to_string(vocabulary_.scores.size()) + " scores and " +
                     std::to_string(vocabulary_.types.size()) + " types");
  for (const auto& [name, id] : {std::pair<const char*, int>{"BOS", vocabulary_.bosId},
                                 {"EOS", vocabulary_.eosId},
                                 {"unknown", vocabulary_.unkId}}) {
    if (id < -1 || id >= int(count))
      throw InputError(std::string("SpmTokenizer: the ") + name + " id " + std::to_string(id) +
                       " is outside the vocabulary [0, " + std::to_string(count) + ")");
  }
  std::fill(std::begin(byteTokens_), std::end(byteTokens_), -1);
  mergeable_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const int id = int(i);
    const std::string& piece = vocabulary_.pieces[i];
    const SpmTokenType type = typeOf(id);
    const bool byteName = piece.size() == 6 && piece.compare(0, 3, "<0x") == 0 && piece[5] == '>' &&
                          std::isxdigit(static_cast<unsigned char>(piece[3])) &&
                          std::isxdigit(static_cast<unsigned char>(piece[4]));
    // Without token types (all Normal), byte pieces are still recognised by name, as llama.cpp looks them up.
    if (byteName && (type == SpmTokenType::Byte || vocabulary_.types.empty()))
      byteTokens_[std::stoi(piece.substr(3, 2), nullptr, 16)] = id;
    if (type == SpmTokenType::Undefined || type == SpmTokenType::Normal || type == SpmTokenType::UserDefined ||
        type == SpmTokenType::Unused)
      mergeable_.emplace(piece, id);  // SentencePiece's piece table (control, unknown and byte pieces are kept apart);
                                      // a duplicated piece keeps its first id
    // llama.cpp matches these verbatim in the text before tokenising (its "special token" partition).
    if ((type == SpmTokenType::Control || type == SpmTokenType::UserDefined || type == SpmTokenType::Unknown) &&
        !piece.empty())
      specials_.emplace_back(piece, id);
  }
  std::stable_sort(specials_.begin(), specials_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

SpmTokenType SpmTokenizer::typeOf(int tokenId) const {
  return vocabulary_.types.empty() ? SpmTokenType::Normal : vocabulary_.types[size_t(tokenId)];
}

std::vector<int> SpmTokenizer::encode(const std::string& text, bool addBos) const {
  std::vector<int> ids;
  if (addBos && vocabulary_.addBos && vocabulary_.bosId >= 0) ids.push_back(vocabulary_.bosId);
  bool afterSpecial = true;  // the text's start counts as "after a special token": it gets the dummy prefix
  std::string plain;
  auto flush = [&]() {
    if (plain.empty()) return;
    std::string escaped = vocabulary_.addSpacePrefix && afterSpecial ? " " + plain : plain;
    encodeSegment(replaceAll(std::move(escaped), " ", kMetaspace), ids);
    plain.clear();
    afterSpecial = false;
  };
  size_t i = 0;
  while (i < text.size()) {
    const auto special = std::find_if(specials_.begin(), specials_.end(), [&](const auto& entry) {
      return text.compare(i, entry.first.size(), entry.first) == 0;
    });
    if (special != specials_.end()) {
      flush();
      ids.push_back(special->second);
      afterSpecial = true;
      i += special->first.size();
    } else {
      plain.push_back(text[i++]);
    }
  }
  flush();
  return ids;
}

void SpmTokenizer::encodeSegment(const std::string& escaped, std::vector<int>& out) const {
  // Symbols are byte ranges of `escaped` in a doubly linked list; a merged-away symbol has length 0.
  struct Symbol {
    size_t begin, length;
    int previous, next;
  };
  std::vector<Symbol> symbols;
  for (size_t offset = 0; offset < escaped.size();) {
    const size_t length = std::min(utf8Length(static_cast<unsigned char>(escaped[offset])), escaped.size() - offset);
    const int index = int(symbols.size());
    symbols.push_back({offset, length, index - 1, -1});
    if (index > 0) symbols[size_t(index - 1)].next = index;
    offset += length;
  }
  struct Bigram {
    int left, right;
    float score;
    size_t length;
  };
  // Highest score first; on equal scores the leftmost pair (llama_sp_bigram's comparator).
  auto lowerPriority = [](const Bigram& a, const Bigram& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(lowerPriority)> queue(lowerPriority);
  // For merged texts that are Unused pieces: the two texts they were made from, to split them again at the end.
  std::unordered_map<std::string, std::pair<std::string, std::string>> madeFrom;
  auto tryPair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::string text =
        escaped.substr(symbols[size_t(left)].begin, symbols[size_t(left)].length + symbols[size_t(right)].length);
    const auto it = mergeable_.find(text);
    if (it == mergeable_.end()) return;
    queue.push({left, right, vocabulary_.scores[size_t(it->second)], text.size()});
    if (typeOf(it->second) == SpmTokenType::Unused)
      madeFrom[text] = {escaped.substr(symbols[size_t(left)].begin, symbols[size_t(left)].length),
                        escaped.substr(symbols[size_t(right)].begin, symbols[size_t(right)].length)};
  };
  for (size_t k = 1; k < symbols.size(); ++k) tryPair(int(k - 1), int(k));
  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[size_t(bigram.left)];
    Symbol& right = symbols[size_t(bigram.right)];
    // Stale entries: one side was merged away or grew since the pair was queued.
    if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) continue;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[size_t(right.next)].previous = bigram.left;
    tryPair(left.previous, bigram.left);
    tryPair(bigram.left, left.next);
  }
  // SentencePiece's resegment(): an Unused piece is split back into the texts it was merged from; a text that is not
  // a piece (a character outside the vocabulary) becomes its bytes' <0xXX> tokens. An explicit stack, because a long
  // run of one character can nest many merges.
  std::vector<std::string> pending;
  for (int index = symbols.empty() ? -1 : 0; index >= 0; index = symbols[size_t(index)].next) {
    pending.assign(1, escaped.substr(symbols[size_t(index)].begin, symbols[size_t(index)].length));
    while (!pending.empty()) {
      const std::string text = std::move(pending.back());
      pending.pop_back();
      if (const auto it = mergeable_.find(text); it != mergeable_.end()) {
        const auto pair = madeFrom.find(text);
        if (typeOf(it->second) == SpmTokenType::Unused && pair != madeFrom.end()) {
          pending.push_back(pair->second.second);  // pushed first: the stack pops the left part first
          pending.push_back(pair->second.first);
        } else {
          out.push_back(it->second);
        }
        continue;
      }
      for (unsigned char byte : text) {
        const int id = byteTokens_[byte] >= 0 ? byteTokens_[byte] : vocabulary_.unkId;
        if (id < 0)
          throw InputError("cannot encode byte " + std::to_string(byte) +
                           ": the vocabulary has neither a <0xXX> byte token for it nor an unknown token");
        out.push_back(id);
      }
    }
  }
}

std::string SpmTokenizer::piece(int tokenId) const {
  if (tokenId < 0 || tokenId >= vocabSize()) return "<id " + std::to_string(tokenId) + ">";
  return replaceAll(vocabulary_.pieces[size_t(tokenId)], kMetaspace, " ");
}

std::string SpmTokenizer::decode(std::span<const int> tokenIds) const {
  std::string out;
  bool first = true;
  for (int id : tokenIds) {
    if (id < 0 || id >= vocabSize()) continue;
    std::string text;
    switch (typeOf(id)) {
      case SpmTokenType::Control:
        continue;
      case SpmTokenType::Unknown:
        text = " \xE2\x81\x87 ";  // SentencePiece's unk_surface, " ⁇ "
        break;
      default:
        // Byte tokens (by type, or by name in a vocabulary without types) print their byte.
        if (const int byte = int(std::find(std::begin(byteTokens_), std::end(byteTokens_), id) - byteTokens_);
            byte < 256)
          text.assign(1, static_cast<char>(byte));
        else
          text = replaceAll(vocabulary_.pieces[size_t(id)], kMetaspace, " ");
        break;
    }
    // The dummy prefix the encoder added: SentencePiece removes it from the first piece.
    if (first && vocabulary_.addSpacePrefix && !text.empty() && text[0] == ' ') text.erase(0, 1);
    first = false;
    out += text;
  }
  return out;
}

}  // namespace attnscope::model
