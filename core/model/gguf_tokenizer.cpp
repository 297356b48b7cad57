// openGgufTokenizer: the tokenizer.ggml.* metadata of a GGUF file as an SpmTokenizer (model "llama") or as
// hf_tokenizer.cpp's byte-level BPE (model "gpt2"), every array length checked before it is read.
#include <climits>
#include <cmath>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/gguf.h"
#include "core/model/hf_tokenizer.h"
#include "core/model/spm_tokenizer.h"

namespace attnscope::model {
namespace {

/// An id key (bos/eos/unknown_token_id) inside [0, vocabSize), or `fallback` when absent.
int optionalId(const GgufFile& file, std::string_view key, int vocabSize, int fallback) {
  const std::optional<int64_t> value = file.optionalInteger(key);
  if (!value) return fallback;
  if (*value < 0 || *value >= vocabSize)
    throw FileError(file.path().string() + ": " + std::string(key) + " = " + std::to_string(*value) +
                    " is outside the vocabulary of " + std::to_string(vocabSize) + " tokens");
  return int(*value);
}

bool optionalBool(const GgufFile& file, std::string_view key, bool fallback) {
  if (!file.has(key)) return fallback;
  return file.boolean(key);
}

/// Checks an array's length (against the vocabulary, and its cost against the memory budget) before reading it.
void requireArray(const GgufFile& file, std::string_view key, uint64_t expected, double bytesPerElement) {
  if (!file.has(key))
    throw FileError(file.path().string() + ": the tokenizer needs the metadata key " + std::string(key));
  if (file.type(key) != GgufValueType::Array)
    throw FileError(file.path().string() + ": " + std::string(key) + " is not an array");
  const uint64_t size = file.arraySize(key);
  if (expected != 0 && size != expected)
    throw FileError(file.path().string() + ": " + std::string(key) + " has " + std::to_string(size) +
                    " entries but tokenizer.ggml.tokens has " + std::to_string(expected));
  requireWithinBudget(double(size) * bytesPerElement, std::string(key) + " of " + file.path().string());
}

}  // namespace

std::unique_ptr<Tokenizer> openGgufTokenizer(const GgufFile& file) {
  const std::string source = file.path().string();
  if (!file.has("tokenizer.ggml.model"))
    throw FileError(source + ": no tokenizer in this GGUF file (tokenizer.ggml.model is missing); enter token ids");
  const std::string kind = file.string("tokenizer.ggml.model");
  requireArray(file, "tokenizer.ggml.tokens", 0, sizeof(std::string) + 64.0);
  const uint64_t tokenCount = file.arraySize("tokenizer.ggml.tokens");
  if (tokenCount == 0) throw FileError(source + ": tokenizer.ggml.tokens is empty");
  if (tokenCount > uint64_t(INT32_MAX))
    throw FileError(source + ": tokenizer.ggml.tokens has " + std::to_string(tokenCount) + " entries (too many)");
  const int vocabSize = int(tokenCount);
  std::vector<std::string> tokens = file.stringArray("tokenizer.ggml.tokens");
  std::vector<SpmTokenType> types;
  if (file.has("tokenizer.ggml.token_type")) {
    requireArray(file, "tokenizer.ggml.token_type", tokenCount, sizeof(int64_t));
    for (int64_t type : file.integerArray("tokenizer.ggml.token_type")) {
      if (type < 0 || type > int64_t(SpmTokenType::Byte))
        throw FileError(source + ": tokenizer.ggml.token_type holds " + std::to_string(type) +
                        ", which is not a token type (0..6)");
      types.push_back(SpmTokenType(type));
    }
  }

  if (kind == "llama") {
    SpmVocabulary vocabulary;
    requireArray(file, "tokenizer.ggml.scores", tokenCount, sizeof(float));
    vocabulary.scores = file.floatArray("tokenizer.ggml.scores");
    for (size_t i = 0; i < vocabulary.scores.size(); ++i) {
      if (!std::isfinite(vocabulary.scores[i]))
        throw FileError(source + ": tokenizer.ggml.scores[" + std::to_string(i) + "] is not a finite number");
    }
    vocabulary.pieces = std::move(tokens);
    vocabulary.types = std::move(types);
    // llama.cpp's defaults for SPM vocabularies: <unk> 0, <s> 1, </s> 2, BOS added, dummy prefix on.
    vocabulary.unkId = optionalId(file, "tokenizer.ggml.unknown_token_id", vocabSize, vocabSize > 0 ? 0 : -1);
    vocabulary.bosId = optionalId(file, "tokenizer.ggml.bos_token_id", vocabSize, vocabSize > 1 ? 1 : -1);
    vocabulary.eosId = optionalId(file, "tokenizer.ggml.eos_token_id", vocabSize, vocabSize > 2 ? 2 : -1);
    vocabulary.addBos = optionalBool(file, "tokenizer.ggml.add_bos_token", true);
    vocabulary.addSpacePrefix = optionalBool(file, "tokenizer.ggml.add_space_prefix", true);
    return std::make_unique<SpmTokenizer>(std::move(vocabulary));
  }

  if (kind == "gpt2") {
    ByteLevelBpeVocabulary vocabulary;
    requireArray(file, "tokenizer.ggml.merges", 0, sizeof(std::string) * 2 + 64.0);
    for (const std::string& merge : file.stringArray("tokenizer.ggml.merges")) {
      const size_t space = merge.find(' ', 1);
      if (space == std::string::npos)
        throw FileError(source + ": tokenizer.ggml.merges entry '" + merge +
                        "' is not two tokens separated by a space");
      vocabulary.merges.emplace_back(merge.substr(0, space), merge.substr(space + 1));
    }
    vocabulary.tokens = std::move(tokens);
    for (size_t i = 0; i < types.size(); ++i) {
      if (types[i] == SpmTokenType::Control || types[i] == SpmTokenType::UserDefined)
        vocabulary.verbatimIds.push_back(int(i));
    }
    // llama.cpp's BPE default is no BOS; files that want one say add_bos_token = true.
    const int bos = optionalId(file, "tokenizer.ggml.bos_token_id", vocabSize, -1);
    if (bos >= 0 && optionalBool(file, "tokenizer.ggml.add_bos_token", false)) vocabulary.prefixIds.push_back(bos);
    // tokenizer.ggml.pre names the pre-tokenizer llama.cpp applies; these are the ones attnscope writes by hand.
    const std::string pre = file.optionalString("tokenizer.ggml.pre").value_or("default");
    if (pre == "llama-bpe" || pre == "llama3" || pre == "smaug-bpe")
      vocabulary.split = ByteLevelSplit::Llama3;
    else if (pre == "qwen2")
      vocabulary.split = ByteLevelSplit::Qwen2;
    else if (pre == "gpt-2" || pre == "default")
      vocabulary.split = ByteLevelSplit::Gpt2;
    else
      throw FileError(source + ": tokenizer.ggml.pre '" + pre +
                      "' is a pre-tokenizer attnscope does not implement (gpt-2, llama-bpe and qwen2 are)");
    return makeByteLevelBpeTokenizer(vocabulary, source);
  }

  throw FileError(source + ": tokenizer.ggml.model '" + kind +
                  "' is not supported (llama and gpt2 are); enter token ids instead");
}

std::unique_ptr<Tokenizer> openTokenizerFile(const std::filesystem::path& path) {
  if (looksLikeGguf(path)) {
    const GgufFile file(path);
    return openGgufTokenizer(file);
  }
  return openHfTokenizer(path);
}

}  // namespace attnscope::model
