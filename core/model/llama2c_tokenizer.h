// The llama2.c tokenizer format (tok*.bin / tokenizer.bin): scored vocabulary, BPE encoding by merge score with
// the dummy-prefix space and <0xXX> byte fallback, and llama2.c's decoding rules.
#pragma once

#include <filesystem>
#include <memory>

#include "core/model/model.h"

namespace attnscope::model {

/// Opens a llama2.c tokenizer file: int32 max_token_length, then for each of `vocabSize` tokens a float32 merge
/// score, an int32 byte length and that many bytes. Throws FileError naming the file and the offending token
/// for truncated or inconsistent files, InputError for vocabSize < 1.
std::unique_ptr<Tokenizer> openLlama2cTokenizer(const std::filesystem::path& path, int vocabSize);

}  // namespace attnscope::model
