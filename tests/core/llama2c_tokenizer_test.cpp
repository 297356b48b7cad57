// Tests for core/model/llama2c_tokenizer.cpp with the real tok512.bin: ids a reader can look up in the vocabulary
// (dump it with tests/reference/llama_reference.py's reader or by hand), llama2.c's decode rules, and file errors.
#include "core/model/llama2c_tokenizer.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "llama_test_models.h"

namespace attnscope::model {
namespace {

using testing::readBytes;
using testing::requireSharedModel;
using testing::scratchDirectory;
using testing::writeBytes;

std::unique_ptr<Llama2cTokenizer> openTok512() {
  return openLlama2cTokenizer(requireSharedModel("tok512.bin"), 512);
}

std::string openError(const std::filesystem::path& path, int vocab) {
  try {
    openLlama2cTokenizer(path, vocab);
  } catch (const FileError& e) {
    return e.what();
  }
  return "(no FileError)";
}

TEST(Llama2cTokenizer, VocabularyOfTok512) {
  const auto tokenizer = openTok512();
  EXPECT_EQ(tokenizer->vocabSize(), 512);
  EXPECT_EQ(tokenizer->maxTokenLength(), 7);
  EXPECT_EQ(tokenizer->vocabPiece(0), "<unk>");
  EXPECT_EQ(tokenizer->vocabPiece(1), "\n<s>\n");
  EXPECT_EQ(tokenizer->piece(1), "<s>");  // labels lose the control token's newlines
  EXPECT_EQ(tokenizer->vocabPiece(3), "<0x00>");
  EXPECT_EQ(tokenizer->vocabPiece(258), "<0xFF>");
  EXPECT_EQ(tokenizer->vocabPiece(259), " t");
  EXPECT_EQ(tokenizer->vocabPiece(265), " the");
  EXPECT_EQ(tokenizer->score(260), -1.0f);  // "he": merge scores fall by one per rank
  EXPECT_EQ(tokenizer->lookup(" "), 410);
  EXPECT_THROW(tokenizer->piece(512), InputError);
}

TEST(Llama2cTokenizer, EncodeAddsBosAndDummyPrefixThenMerges) {
  const auto tokenizer = openTok512();
  EXPECT_EQ(tokenizer->encode(""), (std::vector<int>{1}));
  EXPECT_TRUE(tokenizer->encode("", false).empty());
  // " " + "t" merges to " t" (259, score 0, the best merge there is).
  EXPECT_EQ(tokenizer->encode("t", false), (std::vector<int>{259}));
  // " the" is one token (265): the dummy prefix makes a leading word look like a mid-sentence word.
  EXPECT_EQ(tokenizer->encode("the"), (std::vector<int>{1, 265}));
}

TEST(Llama2cTokenizer, UnknownCodePointsFallBackToBytes) {
  const auto tokenizer = openTok512();
  // U+2713 CHECK MARK is E2 9C 93 in UTF-8 and not in the vocabulary: byte tokens 0xE2+3, 0x9C+3, 0x93+3.
  EXPECT_EQ(tokenizer->encode("\xE2\x9C\x93", false), (std::vector<int>{410, 229, 159, 150}));
  EXPECT_EQ(tokenizer->vocabPiece(229), "<0xE2>");
  // llama2.c prints a lone byte only if it is printable or whitespace, so raw UTF-8 bytes are dropped...
  EXPECT_EQ(tokenizer->decode(std::vector<int>{1, 410, 229, 159, 150}), "");
  // ...while ASCII byte tokens come out as the byte: <0x0A> is id 13, <0x41> ("A") is id 68.
  EXPECT_EQ(tokenizer->decodeNext(5, 13), "\n");
  EXPECT_EQ(tokenizer->decodeNext(5, 68), "A");
  EXPECT_EQ(tokenizer->decodeNext(5, 4), "");  // <0x01> is not printable
}

TEST(Llama2cTokenizer, LeadingSpaceIsStrippedOnlyAfterBos) {
  const auto tokenizer = openTok512();
  EXPECT_EQ(tokenizer->decodeNext(1, 259), "t");
  EXPECT_EQ(tokenizer->decodeNext(259, 259), " t");
  EXPECT_EQ(tokenizer->decode(std::vector<int>{1, 265, 265}), "the the");
  EXPECT_EQ(tokenizer->decode(std::vector<int>{265}), " the");
}

TEST(Llama2cTokenizer, AsciiTextRoundTrips) {
  const auto tokenizer = openTok512();
  const std::vector<char> reference = readBytes(requireSharedModel("greedy_reference.txt"));
  for (const std::string& text : {std::string("Once upon a time, Lily saw a big red ball.\nShe smiled!"),
                                  std::string("a"), std::string("  two leading spaces, tabs\tand \"quotes\" 123"),
                                  std::string(reference.begin(), reference.end())}) {
    const std::vector<int> ids = tokenizer->encode(text);
    EXPECT_EQ(ids.front(), 1);
    EXPECT_LT(ids.size(), text.size() + 2);  // merges happened
    EXPECT_EQ(tokenizer->decode(ids), text);
  }
}

TEST(Llama2cTokenizer, WrongVocabularySizeAndCorruptFilesAreRefused) {
  const auto path = requireSharedModel("tok512.bin");
  std::string message = openError(path, 511);
  EXPECT_NE(message.find("bytes follow token 510"), std::string::npos) << message;
  EXPECT_NE(message.find("tok512.bin"), std::string::npos) << message;
  message = openError(path, 513);
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("token 512"), std::string::npos) << message;
  EXPECT_THROW(openLlama2cTokenizer(path, 0), InputError);

  const auto dir = scratchDirectory("tok");
  std::vector<char> bytes = readBytes(path);
  // Token 0 starts at offset 4: score (4 bytes) then length at offset 8.
  std::vector<char> longToken = bytes;
  const int32_t length = 1000;
  std::memcpy(longToken.data() + 8, &length, 4);
  writeBytes(dir / "long.bin", longToken);
  message = openError(dir / "long.bin", 512);
  EXPECT_NE(message.find("token 0 has length 1000 at byte offset 8"), std::string::npos) << message;

  std::vector<char> badScore = bytes;
  const uint32_t nanBits = 0x7fc00000u;
  std::memcpy(badScore.data() + 4, &nanBits, 4);
  writeBytes(dir / "nan.bin", badScore);
  message = openError(dir / "nan.bin", 512);
  EXPECT_NE(message.find("token 0 has a non-finite score"), std::string::npos) << message;

  writeBytes(dir / "cut.bin", std::vector<char>(bytes.begin(), bytes.begin() + 2));
  message = openError(dir / "cut.bin", 512);
  EXPECT_NE(message.find("max_token_length"), std::string::npos) << message;
}

}  // namespace
}  // namespace attnscope::model
