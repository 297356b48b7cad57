// Tests for core/model/hf_tokenizer.cpp: GPT-2 pre-tokenisation, byte-level BPE merges, WordPiece with BERT's
// normalisation; expectations worked out by hand from the tiny vocabularies below.
#include "core/model/hf_tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tests/core/process_measures.h"
#include "tests/core/test_scratch_dir.h"

namespace attnscope::model {
namespace {

namespace fs = std::filesystem;
using Pieces = std::vector<std::string>;
using Ids = std::vector<int>;

using attnscope::test_support::testDir;

TEST(HfTokenizer, Gpt2PreTokenizerFollowsTheRegex) {
  EXPECT_EQ(gpt2PreTokenize("Hello world's  end\n"), (Pieces{"Hello", " world", "'s", " ", " end", "\n"}));
  EXPECT_EQ(gpt2PreTokenize("I'm 42!! ok?"), (Pieces{"I", "'m", " 42", "!!", " ok", "?"}));
  EXPECT_EQ(gpt2PreTokenize("they'LL we've"), (Pieces{"they", "'", "LL", " we", "'ve"}));  // case-sensitive
  EXPECT_EQ(gpt2PreTokenize("a\n\nb"), (Pieces{"a", "\n", "\n", "b"}));
  EXPECT_EQ(gpt2PreTokenize("x   "), (Pieces{"x", "   "}));  // trailing whitespace stays together
  EXPECT_EQ(gpt2PreTokenize("\xC3\xA9t\xC3\xA9 \xE6\x95\xB0\xE5\xAD\x97"
                            "123"),  // été 数字123
            (Pieces{"\xC3\xA9t\xC3\xA9", " \xE6\x95\xB0\xE5\xAD\x97", "123"}));
  EXPECT_EQ(gpt2PreTokenize("e\xCC\x81"), (Pieces{"e", "\xCC\x81"}));  // a combining mark is not a letter
  EXPECT_EQ(gpt2PreTokenize("\xC2\xB2x"), (Pieces{"\xC2\xB2", "x"}));  // superscript two is \p{N}
  EXPECT_TRUE(gpt2PreTokenize("").empty());
  // No backtracking blow-up: 200k characters of mixed whitespace and punctuation take milliseconds of this thread's
  // CPU time (a quadratic split would take minutes); CPU time, not wall time, so a loaded machine cannot fail it.
  std::string big;
  for (int i = 0; i < 20000; ++i) big += " \t  !?a1 ";
  const double start = test_support::threadCpuSeconds();
  const Pieces pieces = gpt2PreTokenize(big);
  EXPECT_LT(test_support::threadCpuSeconds() - start, 2.0);
  std::string joined;
  for (const std::string& p : pieces) joined += p;
  EXPECT_EQ(joined, big);
}

TEST(HfTokenizer, Llama3PreTokenizerFollowsItsPattern) {
  EXPECT_EQ(llama3PreTokenize("Hello world's  end\n"), (Pieces{"Hello", " world", "'s", " ", " end", "\n"}));
  EXPECT_EQ(llama3PreTokenize("I'M 12345!!\n\nok"), (Pieces{"I", "'M", " ", "123", "45", "!!\n\n", "ok"}));
  EXPECT_EQ(llama3PreTokenize("12345", 1), (Pieces{"1", "2", "3", "4", "5"}));  // Qwen2 variant
  EXPECT_EQ(llama3PreTokenize("(hello) x"), (Pieces{"(hello", ")", " x"}));     // one non-letter may lead a word
  EXPECT_EQ(llama3PreTokenize("a \n b"), (Pieces{"a", " \n", " b"}));
  EXPECT_EQ(llama3PreTokenize("x  \n\n  "), (Pieces{"x", "  \n\n", "  "}));
  std::string big;
  for (int i = 0; i < 20000; ++i) big += " \t\n !?a1 ";
  std::string joined;
  for (const std::string& p : llama3PreTokenize(big)) joined += p;
  EXPECT_EQ(joined, big);
}

/// GPT-2's byte -> character map, written independently of the implementation.
std::string byteChar(int b) {
  std::vector<int> printable;
  for (int c = '!'; c <= '~'; ++c) printable.push_back(c);
  for (int c = 0xA1; c <= 0xAC; ++c) printable.push_back(c);
  for (int c = 0xAE; c <= 0xFF; ++c) printable.push_back(c);
  int cp = b, n = 0;
  if (std::find(printable.begin(), printable.end(), b) == printable.end()) {
    for (int x = 0; x < b; ++x) {
      if (std::find(printable.begin(), printable.end(), x) == printable.end()) ++n;
    }
    cp = 256 + n;
  }
  std::string out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

/// Byte tokens have id = byte value; merges add 256 "Ġt", 257 "he", 258 "Ġthe", 259 "Ġc", 260 "at", 261 "Ġcat";
/// 262 is <|endoftext|>.
fs::path writeBpeTokenizer(const fs::path& dir, bool addPrefixSpace, bool arrayMerges, bool bosTemplate) {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[byteChar(b)] = b;
  const std::vector<std::pair<std::string, std::string>> merges = {{"\xC4\xA0", "t"},
                                                                   {"h", "e"},
                                                                   {"\xC4\xA0t", "he"},
                                                                   {"\xC4\xA0", "c"},
                                                                   {"a", "t"},
                                                                   {"\xC4\xA0"
                                                                    "c",
                                                                    "at"}};
  nlohmann::json mergeList = nlohmann::json::array();
  int id = 256;
  for (const auto& [a, b] : merges) {
    vocab[a + b] = id++;
    if (arrayMerges)
      mergeList.push_back({a, b});
    else
      mergeList.push_back(a + " " + b);
  }
  vocab["<|endoftext|>"] = 262;
  nlohmann::json root = {
      {"version", "1.0"},
      {"added_tokens", {{{"id", 262}, {"content", "<|endoftext|>"}, {"special", true}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", addPrefixSpace}, {"use_regex", true}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", mergeList}}},
  };
  if (bosTemplate) {
    root["post_processor"] = {{"type", "TemplateProcessing"},
                              {"single",
                               {{{"SpecialToken", {{"id", "<|endoftext|>"}, {"type_id", 0}}}},
                                {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}}};
  }
  const fs::path path = dir / "tokenizer.json";
  std::ofstream(path) << root.dump();
  return path;
}

TEST(HfTokenizer, ByteLevelBpeAppliesMergesByRank) {
  const fs::path dir = testDir();
  for (bool arrayMerges : {false, true}) {
    auto tokenizer = openHfTokenizer(writeBpeTokenizer(dir, false, arrayMerges, false));
    EXPECT_EQ(tokenizer->vocabSize(), 263);
    // "the": t h e -> t he (rank 1); "t he" is not a merge. " cat": Ġc (3), at (4), then Ġc at (5).
    EXPECT_EQ(tokenizer->encode("the cat"), (Ids{'t', 257, 261}));
    EXPECT_EQ(tokenizer->encode(" the cat"), (Ids{258, 261}));
    EXPECT_EQ(tokenizer->encode("the<|endoftext|>x"), (Ids{'t', 257, 262, 'x'}));
    EXPECT_EQ(tokenizer->decode(Ids{258, 261, 262}), " the cat<|endoftext|>");
    EXPECT_EQ(tokenizer->piece(258), " the");
  }
  EXPECT_NE(findHfTokenizer(dir), nullptr);
  EXPECT_NE(findHfTokenizer(dir / "model.safetensors"), nullptr);
  EXPECT_EQ(findHfTokenizer(dir / "elsewhere" / "model.safetensors"), nullptr);
}

TEST(HfTokenizer, ByteLevelBpeHandlesBytesPrefixSpaceAndTemplates) {
  const fs::path dir = testDir();
  auto tokenizer = openHfTokenizer(writeBpeTokenizer(dir, true, false, true));
  EXPECT_EQ(tokenizer->encode("the", false), (Ids{258}));      // add_prefix_space turns "the" into " the"
  EXPECT_EQ(tokenizer->encode("the", true), (Ids{262, 258}));  // template: <|endoftext|> $A
  const Ids accented = tokenizer->encode("\xC3\xA9", false);   // é: space byte, then bytes C3 A9
  EXPECT_EQ(accented, (Ids{' ', 0xC3, 0xA9}));
  EXPECT_EQ(tokenizer->decode(accented), " \xC3\xA9");
  EXPECT_EQ(tokenizer->piece(0xC3), "<C3>");  // half a character is shown as its byte
  EXPECT_EQ(tokenizer->piece(10), "\n");
  EXPECT_EQ(tokenizer->piece(999), "<id 999>");
}

TEST(HfTokenizer, SplitPatternSelectsTheLlama3PreTokenizer) {
  // Merges "3 4" (rank 0), "1 2" (1), "12 3" (2): GPT-2 splitting keeps "12345" whole -> 12 34 5, the Llama 3
  // pattern splits "123" "45" -> 123 4 5.
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[byteChar(b)] = b;
  vocab["34"] = 256;
  vocab["12"] = 257;
  vocab["123"] = 258;
  const nlohmann::json merges = {"3 4", "1 2", "12 3"};
  const std::string pattern =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  nlohmann::json llama3 = {
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}}};
  const fs::path dir = testDir();
  std::ofstream(dir / "llama3.json") << llama3.dump();
  EXPECT_EQ(openHfTokenizer(dir / "llama3.json")->encode("12345", false), (Ids{258, '4', '5'}));
  llama3["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}};
  std::ofstream(dir / "gpt2.json") << llama3.dump();
  EXPECT_EQ(openHfTokenizer(dir / "gpt2.json")->encode("12345", false), (Ids{257, 256, '5'}));
}

fs::path writeWordPiece(const fs::path& dir) {
  const std::vector<std::string> tokens = {"[PAD]", "[UNK]",  "[CLS]", "[SEP]", "hello", "world",        "##s", "un",
                                           "##aff", "##able", ",",     "!",     "cafe",  "\xE4\xB8\xAD", "$"};
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  nlohmann::json root = {
      {"added_tokens",
       {{{"id", 0}, {"content", "[PAD]"}},
        {{"id", 1}, {"content", "[UNK]"}},
        {{"id", 2}, {"content", "[CLS]"}},
        {{"id", 3}, {"content", "[SEP]"}}}},
      {"normalizer",
       {{"type", "BertNormalizer"},
        {"lowercase", true},
        {"strip_accents", nullptr},
        {"handle_chinese_chars", true},
        {"clean_text", true}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single",
         {{{"SpecialToken", {{"id", "[CLS]"}}}},
          {{"Sequence", {{"id", "A"}}}},
          {{"SpecialToken", {{"id", "[SEP]"}}}}}}}},
      {"model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"}, {"vocab", vocab}}},
  };
  const fs::path path = dir / "tokenizer.json";
  std::ofstream(path) << root.dump();
  return path;
}

TEST(HfTokenizer, WordPieceNormalisesSplitsAndMatchesLongestFirst) {
  auto tokenizer = openHfTokenizer(writeWordPiece(testDir()));
  EXPECT_EQ(tokenizer->vocabSize(), 15);
  // "Café" loses its accent and case; "WORLDs" -> world ##s; "unaffable" -> un ##aff ##able.
  EXPECT_EQ(tokenizer->encode("Hello, WORLDs\tunaffable Caf\xC3\xA9!"), (Ids{2, 4, 10, 5, 6, 7, 8, 9, 12, 11, 3}));
  EXPECT_EQ(tokenizer->encode("hello xyz", false), (Ids{4, 1}));  // unknown word -> [UNK]
  EXPECT_EQ(tokenizer->encode("helloxyz", false), (Ids{1}));      // no partial matches: the whole word is [UNK]
  EXPECT_EQ(tokenizer->encode("$hello", false), (Ids{14, 4}));    // ASCII symbols split like punctuation
  EXPECT_EQ(tokenizer->encode("\xE4\xB8\xADhello", false), (Ids{13, 4}));      // CJK characters stand alone
  EXPECT_EQ(tokenizer->encode("hello[SEP]world", false), (Ids{4, 3, 5}));      // special tokens matched verbatim
  EXPECT_EQ(tokenizer->encode("he\xCC\x81llo\xE2\x80\x8B", false), (Ids{4}));  // combining mark and ZWSP removed
  EXPECT_EQ(tokenizer->decode(Ids{2, 4, 10, 5, 6, 3}), "[CLS] hello , worlds [SEP]");
  EXPECT_EQ(tokenizer->piece(6), "##s");
}

TEST(HfTokenizer, UnsupportedOrMalformedFilesAreExplained) {
  const fs::path dir = testDir();
  std::ofstream(dir / "bad.json") << "{";
  EXPECT_THROW(openHfTokenizer(dir / "bad.json"), FileError);
  std::ofstream(dir / "unigram.json") << R"({"model":{"type":"Unigram","vocab":[]}})";
  try {
    openHfTokenizer(dir / "unigram.json");
    FAIL();
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("enter token ids"), std::string::npos);
  }
  std::ofstream(dir / "sp.json") << R"({"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"pre_tokenizer":null})";
  EXPECT_THROW(openHfTokenizer(dir / "sp.json"), FileError);
  std::ofstream(dir / "nomodel.json") << R"({"version":"1.0"})";
  EXPECT_THROW(openHfTokenizer(dir / "nomodel.json"), FileError);
  std::ofstream(dir / "wp.json") << R"({"model":{"type":"WordPiece","vocab":{"a":0}}})";  // no [UNK] in vocab
  EXPECT_THROW(openHfTokenizer(dir / "wp.json"), FileError);
  EXPECT_THROW(openHfTokenizer(dir / "absent.json"), FileError);
}

}  // namespace
}  // namespace attnscope::model
